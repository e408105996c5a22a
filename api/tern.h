/*
 * Tern's socket API: the C equivalent of Python's socket module (see
 * ../shared/seeds/), on top of a Tern stack. Same calls, same address rules
 * ("" = INADDR_ANY, "<broadcast>" = INADDR_BROADCAST), Linux's constants
 * (AF_INET, SOCK_DGRAM, SOL_SOCKET, SO_*, MSG_*, IP_TTL from the system
 * headers) and POSIX errno values: a failing call returns -1 and sets errno.
 *
 * Sockets are small integers in their own range (starting at TERN_FD_BASE so
 * they never collide with kernel descriptors). Every call may be made from
 * any thread. Blocking by default; tern_setblocking()/tern_settimeout() and
 * SO_RCVTIMEO/SO_SNDTIMEO change that, MSG_DONTWAIT per call.
 *
 * Two ways to run (struct tern_conf.mode):
 *  - TERN_MODE_LCORE: the stack runs on its own lcore; app threads anywhere.
 *  - TERN_MODE_INLINE: no stack thread; a single application thread drives
 *    the stack, either through tern_poll() in its own loop or implicitly
 *    whenever a call would block.
 */
#ifndef TERN_H
#define TERN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "stats.h"

#define TERN_FD_BASE 1000000

enum tern_mode { TERN_MODE_LCORE = 0, TERN_MODE_INLINE = 1 };

struct rte_mempool;
struct tern_impair_conf;
struct tern_port;
struct tern_stack;
struct tern_rt;

struct tern_conf {
	enum tern_mode mode;
	uint16_t port_id;          /**< DPDK port to open (ignored if @ref port is set) */
	struct tern_port *port;    /**< a ready port (tests: in-memory), not owned */
	uint32_t ip;               /**< host order */
	uint8_t prefix_len;        /**< 0 = 24 */
	uint32_t gateway;          /**< host order, 0 = none */
	uint16_t mtu;              /**< 0 = 1500 */
	unsigned nb_mbufs;         /**< 0 = 8191 */
	unsigned max_sockets;      /**< 0 = 1024 */
	unsigned stack_lcore;      /**< LCORE mode: lcore id; 0 = first worker lcore */
	bool no_offload;           /**< force software checksums */
	const struct tern_impair_conf *impair; /**< wrap the port, or NULL */
	uint64_t seed;             /**< 0 = random */
	/** INLINE only: the application owns the clock. Only tern_poll_at()
	 *  moves the stack's time; a call that waits still drives the stack,
	 *  at the last time the owner gave (so nothing times out behind the
	 *  owner's back). For harnesses on a virtual clock. */
	bool external_clock;
	struct rte_mempool *pool;  /**< a ready mbuf pool (priv_size >= TERN_MBUF_PRIV_SIZE),
				    *   not owned; NULL = tern_start creates one of nb_mbufs.
				    *   Tests pass one when two runtimes share a mem port pair,
				    *   so that mbufs crossing between stacks outlive both. */
};

/**
 * Initialise DPDK's EAL from the command line (DPDK style: EAL arguments
 * first, then "--", then the application's). @return the number of
 * arguments consumed (as rte_eal_init), or -1 with errno.
 */
int tern_eal_init(int argc, char **argv);

/**
 * Create the mbuf pool, open the port, create the stack and (LCORE mode)
 * launch it. The first runtime started becomes the default one used by
 * tern_socket(). @return the runtime, or NULL with errno set.
 */
struct tern_rt *tern_start(const struct tern_conf *conf);
/** Stop the stack thread, close every socket of @p rt, free everything. */
void tern_stop(struct tern_rt *rt);
/** The stack behind a runtime (for stats and tests). */
struct tern_stack *tern_rt_stack(struct tern_rt *rt);
/** INLINE mode: run one stack iteration now. @return work done (0 = idle). */
unsigned tern_poll(struct tern_rt *rt);
/** Run one stack iteration at time @p now (ns, any monotonic clock that
 *  never goes backwards): for runtimes started with external_clock.
 *  @return work done. */
unsigned tern_poll_at(struct tern_rt *rt, uint64_t now);
/** Counters of the stack behind @p rt (NULL = default runtime). */
void tern_stats(struct tern_rt *rt, struct tern_stats *out);

/* ---- sockets (socket module calls) ---- */

/** socket(AF_INET, SOCK_DGRAM, 0) on the default runtime. EAFNOSUPPORT,
 *  EPROTONOSUPPORT / ESOCKTNOSUPPORT, EMFILE at max_sockets. */
int tern_socket(int domain, int type, int protocol);
/** Same on a given runtime (two stacks in one process). */
int tern_socket_rt(struct tern_rt *rt, int domain, int type, int protocol);
/** socket.bind(): @p addr is a struct sockaddr_in. EINVAL (short @p len or
 *  already bound), EAFNOSUPPORT, EADDRNOTAVAIL (not ours, not broadcast),
 *  EADDRINUSE (unless SO_REUSEADDR on both). @return 0 or -1 with errno. */
int tern_bind(int fd, const struct sockaddr *addr, socklen_t len);
/** socket.connect(): set the default peer (binds an ephemeral port if
 *  needed); AF_UNSPEC dissolves the association. EACCES for a broadcast
 *  peer without SO_BROADCAST. @return 0 or -1 with errno. */
int tern_connect(int fd, const struct sockaddr *addr, socklen_t len);
/** Like tern_connect but returns 0 or the errno value instead of -1 (socket.connect_ex). */
int tern_connect_ex(int fd, const struct sockaddr *addr, socklen_t len);
/** socket.send() on a connected socket (EDESTADDRREQ otherwise). The bytes
 *  are copied before the call returns; @p buf stays the caller's. Blocks while
 *  SO_SNDBUF is full unless non-blocking or MSG_DONTWAIT (EAGAIN). A pending
 *  asynchronous error (ECONNREFUSED) is returned once. EMSGSIZE above 65507.
 *  @return @p len or -1 with errno. */
ssize_t tern_send(int fd, const void *buf, size_t len, int flags);
/** socket.sendto(): as tern_send() to @p to (also allowed when connected,
 *  as Linux); @p to NULL means the connected peer. */
ssize_t tern_sendto(int fd, const void *buf, size_t len, int flags,
		    const struct sockaddr *to, socklen_t tolen);
/** socket.recv(): one datagram, at most @p len bytes of it (the rest is
 *  dropped; MSG_TRUNC returns its real length). MSG_PEEK leaves it queued.
 *  Blocks until data, the timeout (EAGAIN) or an asynchronous error.
 *  @return bytes or -1 with errno. */
ssize_t tern_recv(int fd, void *buf, size_t len, int flags);
/** socket.recvfrom(): as tern_recv(), and the sender into @p from
 *  (*@p fromlen in/out; the copy is truncated to it, as POSIX). */
ssize_t tern_recvfrom(int fd, void *buf, size_t len, int flags,
		      struct sockaddr *from, socklen_t *fromlen);
/** socket.close(): queued datagrams are freed; later calls on @p fd fail
 *  with EBADF. No other thread may be inside a call on @p fd. */
int tern_close(int fd);
/** socket.listen(backlog): stream sockets only (EOPNOTSUPP otherwise);
 *  an unbound socket gets an ephemeral port, as on Linux. */
int tern_listen(int fd, int backlog);
/** socket.accept(): the new socket's descriptor, the peer in @p addr.
 *  Blocks unless the listener is non-blocking (EAGAIN). */
int tern_accept(int fd, struct sockaddr *addr, socklen_t *len);
/** accept4(): @p flags may hold SOCK_NONBLOCK (and SOCK_CLOEXEC, ignored). */
int tern_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
/** shutdown(SHUT_RD | SHUT_WR | SHUT_RDWR). */
int tern_shutdown(int fd, int how);
/** socket.getsockname(): the local address (0.0.0.0:0 until bound). */
int tern_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
/** socket.getpeername(): the connected peer, ENOTCONN if none. */
int tern_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
/** SOL_SOCKET: SO_BROADCAST, SO_REUSEADDR, SO_RCVBUF, SO_SNDBUF (Linux's
 *  doubling and limits), SO_RCVTIMEO, SO_SNDTIMEO (struct timeval, EDOM on a
 *  bad tv_usec); IPPROTO_IP: IP_TTL. ENOPROTOOPT otherwise, EINVAL when
 *  @p len is short. */
int tern_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
/** The options of tern_setsockopt() plus SO_ERROR (read and clear),
 *  SO_TYPE, SO_PROTOCOL, SO_DOMAIN. */
int tern_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
/** socket.setblocking(flag). */
int tern_setblocking(int fd, bool blocking);
/** socket.settimeout(): seconds < 0 = blocking forever (None), 0 = non-blocking,
 *  > 0 = blocking calls give up with EAGAIN after that long. */
int tern_settimeout(int fd, double seconds);
/** socket.gettimeout(): -1 for None (and -1 with errno EBADF for a bad fd). */
double tern_gettimeout(int fd);

/* ---- addresses (module-level helpers) ---- */

/**
 * Fill @p out from a host string and port, the socket module's way:
 * "" -> INADDR_ANY, "<broadcast>" -> INADDR_BROADCAST, else a dotted quad.
 * @return 0, or -1 with errno EINVAL.
 */
int tern_addr(const char *host, uint16_t port, struct sockaddr_in *out);
/** Dotted quad of @p a (network order) into @p buf (>= 16 bytes). */
const char *tern_inet_ntoa(struct in_addr a, char *buf);
/** Parse a dotted quad into @p out (network order). @return 1 ok, 0 bad. */
int tern_inet_aton(const char *s, struct in_addr *out);
static inline uint16_t tern_htons(uint16_t v) { return htons(v); }
static inline uint16_t tern_ntohs(uint16_t v) { return ntohs(v); }
static inline uint32_t tern_htonl(uint32_t v) { return htonl(v); }
static inline uint32_t tern_ntohl(uint32_t v) { return ntohl(v); }

#endif

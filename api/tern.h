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
 * Several threads may use one socket at once, as with Linux's sockets: on
 * a stream socket one send and one recv run at a time (a per-socket lock
 * per direction), so each call's bytes are contiguous in the stream even
 * when the call sleeps for buffer space or data (Linux lets go of its
 * socket lock while a blocking call sleeps, so there two blocking sends may
 * interleave; Tern's guarantee is stronger). Waiting threads take their
 * turn in FIFO order; a timeout covers the wait for the turn too. A
 * non-blocking call that finds the holder asleep (no room, no data) says
 * EAGAIN at once (so it does when blocked calls queue for the turn); one
 * that finds the holder copying waits for it briefly (at most about a
 * millisecond). Datagrams are sent and received whole by any
 * number of threads; each listener's queued connection is accepted by
 * exactly one of the threads in accept(). See tern_close() for close()
 * while other threads are inside calls.
 *
 * Two ways to run (struct tern_conf.mode):
 *  - TERN_MODE_LCORE: the stack runs on its own lcore; app threads anywhere.
 *  - TERN_MODE_INLINE: no stack thread; a single application thread drives
 *    the stack, either through tern_drive() in its own loop or implicitly
 *    whenever a call would block.
 */
#ifndef TERN_H
#define TERN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
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
	/** INLINE only: the application owns the clock. Only tern_drive_at()
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
unsigned tern_drive(struct tern_rt *rt);
/** Run one stack iteration at time @p now (ns, any monotonic clock that
 *  never goes backwards): for runtimes started with external_clock.
 *  @return work done. */
unsigned tern_drive_at(struct tern_rt *rt, uint64_t now);
/** Counters of the stack behind @p rt (NULL = default runtime). */
void tern_stats(struct tern_rt *rt, struct tern_stats *out);

/* ---- sockets (socket module calls) ---- */

/** socket(AF_INET, SOCK_DGRAM, 0) on the default runtime. EAFNOSUPPORT,
 *  EPROTONOSUPPORT / ESOCKTNOSUPPORT, EMFILE at max_sockets. */
int tern_socket(int domain, int type, int protocol);
/** Same on a given runtime (two stacks in one process). */
int tern_socket_rt(struct tern_rt *rt, int domain, int type, int protocol);
/** socket.bind(): @p addr is a struct sockaddr_in. EINVAL (short @p len or
 *  already bound), EFAULT (@p addr NULL with a length), EAFNOSUPPORT,
 *  EADDRNOTAVAIL (not ours, not broadcast),
 *  EADDRINUSE (unless SO_REUSEADDR on both). @return 0 or -1 with errno. */
int tern_bind(int fd, const struct sockaddr *addr, socklen_t len);
/** socket.connect(): set the default peer (binds an ephemeral port if
 *  needed); AF_UNSPEC dissolves the association. EACCES for a broadcast
 *  peer without SO_BROADCAST.
 *  A stream socket behaves as Linux's: a non-blocking connect (or a blocking
 *  one whose SO_SNDTIMEO runs out) says EINPROGRESS, later calls EALREADY
 *  while the handshake is pending; the first call after it ended returns 0
 *  (later ones EISCONN) or its error (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH,
 *  ECONNABORTED once SO_ERROR was read), after which the socket is
 *  unconnected and may bind, listen or connect again. Under settimeout(t)
 *  a connect not answered in t fails with EAGAIN and the next one says
 *  EALREADY (Python). AF_UNSPEC on a stream drops its connection (an RST
 *  to a connected peer, ECONNRESET pending) or stops it listening.
 *  @return 0 or -1 with errno. */
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
/**
 * socket.close(): queued datagrams are freed; later calls on @p fd fail
 * with EBADF. Other threads may be inside calls on @p fd meanwhile: those
 * blocked in recv, send, accept or connect (or waiting for the socket's
 * send/recv turn) are woken and fail with EBADF — a deliberate difference
 * from Linux, where close(2) leaves such a thread blocked until data, its
 * timeout or a shutdown(2) ends the call. tern_close() returns once every
 * call on the socket has returned; only then is the socket (and later its
 * descriptor number) reused, so no call ever acts on a socket it did not
 * look up. A call that starts after tern_close() fails with EBADF.
 */
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
/**
 * setsockopt(2) with Linux's answers, per option and socket type (the host
 * kernel is the reference in tests/unit/test_sockopt.c). Options:
 *  - SOL_SOCKET: SO_BROADCAST, SO_REUSEADDR, SO_REUSEPORT (two sockets that
 *    both set it share an address and port, listeners too; connections and
 *    datagrams are spread by a hash of the 4-tuple), SO_KEEPALIVE, SO_LINGER
 *    (struct linger; only l_linger 0 acts: close() sends RST), SO_RCVBUF and
 *    SO_SNDBUF (clamped to 212992, doubled, at least 2304 / 4608),
 *    SO_RCVLOWAT (0 = 1, negative = INT_MAX; TCP: at most half the buffer,
 *    and recv() waits for that many bytes), SO_RCVTIMEO and SO_SNDTIMEO
 *    (struct timeval in 4 ms jiffies; tv_sec < 0 = do not wait, EDOM for a
 *    bad tv_usec). SO_ERROR, SO_TYPE, SO_PROTOCOL, SO_DOMAIN, SO_ACCEPTCONN
 *    are read-only (ENOPROTOOPT).
 *  - IPPROTO_IP: IP_TTL (1..255, -1 = 64), IP_TOS (a byte; TCP keeps the ECN
 *    bits); an optlen of 1..3 passes one byte, 0 passes 0.
 *  - IPPROTO_TCP on a stream socket: TCP_NODELAY, TCP_MAXSEG (0 or
 *    88..32767), TCP_KEEPIDLE and TCP_KEEPINTVL (1..32767 s), TCP_KEEPCNT
 *    (1..127), TCP_CONGESTION ("cubic" or "reno"; ENOENT otherwise).
 * Errors as Linux: EINVAL when @p len is negative or shorter than the option
 * (an int for every SOL_SOCKET name, known or not), EFAULT for a NULL @p val
 * that would be read, ENOPROTOOPT for an unknown option or level (and any
 * IPPROTO_TCP option on a UDP socket). Values Linux takes from sysctls are
 * Linux's stock defaults. An accepted socket starts with its listener's
 * options. @return 0 or -1 with errno.
 */
int tern_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
/**
 * getsockopt(2): the options above, plus SO_ERROR (read and clear),
 * SO_TYPE, SO_PROTOCOL, SO_DOMAIN, SO_ACCEPTCONN (1 on a listener) and
 * TCP_INFO (glibc's struct tcp_info). *@p len in/out: the value is cut to
 * *@p len bytes, as Linux (IP_TTL/IP_TOS into 1..3 bytes give one byte;
 * TCP_CONGESTION reads 16 bytes, NUL padded). A TCP socket whose buffers
 * were not set reads SO_RCVBUF 131072 and SO_SNDBUF 16384, Linux's starting
 * sizes (Linux then grows them, autotuning; Tern uses 212992 bytes each
 * throughout and keeps reporting the start). Errors: EINVAL for a
 * negative *@p len, EFAULT for NULL pointers, ENOPROTOOPT for an unknown
 * option, EOPNOTSUPP for an unknown level (and IPPROTO_TCP on a UDP socket).
 * @return 0 or -1 with errno.
 */
int tern_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
/** socket.setblocking(flag). */
int tern_setblocking(int fd, bool blocking);
/** socket.settimeout(): seconds < 0 = blocking forever (None), 0 = non-blocking,
 *  > 0 = blocking calls give up with EAGAIN after that long. */
int tern_settimeout(int fd, double seconds);
/** socket.gettimeout(): -1 for None (and -1 with errno EBADF for a bad fd). */
double tern_gettimeout(int fd);

/* ---- readiness (Linux's poll and epoll semantics) ---- */

/**
 * poll(2) over Tern sockets and kernel descriptors together: entries with
 * fd >= TERN_FD_BASE are Tern sockets, smaller ones are handed to the
 * kernel, negative ones are ignored. revents as Linux's tcp_poll/udp_poll
 * (POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP, POLLRDNORM, POLLWRNORM),
 * POLLNVAL for a descriptor that is not open. @p timeout_ms < 0 waits
 * forever, 0 does not wait. @return ready entries, 0 at the timeout, or
 * -1 with errno (EINVAL for too many entries, EFAULT for NULL with n > 0).
 */
int tern_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/** epoll_create(2): @p size must be > 0 (EINVAL), else ignored. @return an
 *  epoll descriptor in Tern's range, closed with tern_close(). */
int tern_epoll_create(int size);
/** epoll_create1(2): @p flags 0 or EPOLL_CLOEXEC (else EINVAL). */
int tern_epoll_create1(int flags);
/**
 * epoll_ctl(2): EPOLL_CTL_ADD/MOD/DEL of a Tern socket or a kernel
 * descriptor (the latter goes to a kernel epoll set inside, so one wait
 * covers both). Events: EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLPRI, EPOLLET,
 * EPOLLONESHOT; EPOLLERR and EPOLLHUP are always reported. Errors as Linux:
 * EBADF, EEXIST, ENOENT, EINVAL (epfd == fd, not an epoll descriptor, bad op).
 * Closing a socket removes it from every set.
 */
int tern_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
/** epoll_wait(2): level-triggered by default, EPOLLET edge-triggered (one
 *  report per new event), EPOLLONESHOT disarms after a report until MOD.
 *  Any thread, several at once. @return events, 0 at the timeout, -1 with
 *  errno (EINVAL for maxevents <= 0, EBADF, EINTR never). */
int tern_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms);
/**
 * A kernel descriptor that polls readable whenever tern_epoll_wait(epfd)
 * would return events (Tern sockets ready, or kernel descriptors in the set),
 * so a Tern epoll set can sit inside an application's own kernel event loop
 * (with timers, pipes, stdin). Owned by the epoll set; do not close it.
 * @return the descriptor or -1 with errno.
 */
int tern_epoll_kernel_fd(int epfd);

/** fcntl(2) for Tern descriptors: F_GETFL (O_RDWR, plus O_NONBLOCK when
 *  non-blocking), F_SETFL (O_NONBLOCK honoured, other bits ignored as
 *  Linux), F_GETFD/F_SETFD (FD_CLOEXEC remembered). EINVAL otherwise. */
int tern_fcntl(int fd, int cmd, ...);

/* ---- names: hosts, services, host name (module-level, api/names.c) ---- */

/*
 * The socket module's name functions without DNS: Tern never sends a query.
 * Host names come from a hosts file (hosts(5), default /etc/hosts) and
 * services from a services file (services(5), default /etc/services), both
 * parsed by Tern on every call, so an edit to the file is seen at once.
 * Parsing follows glibc's "files" backend (checked against it in
 * tests/unit/test_names.c): '#' starts a comment anywhere on a line, fields
 * are separated by blanks/tabs (CR too), host names match case-insensitively,
 * service and protocol names case-sensitively, the first matching line wins.
 * Differences from glibc, all on lines glibc reads oddly: IPv6 lines are
 * skipped (glibc answers an IPv4 query for a "::1" line with 127.0.0.1 and for
 * "::ffff:a.b.c.d" with a.b.c.d); host and alias names longer than 255 octets
 * (RFC 1035 2.3.4) are not used; a services port above 65535 or without
 * "/protocol" makes the line invalid (glibc truncates the port to 16 bits and
 * accepts an empty protocol).
 *
 * Any thread may call these at any time, also without a runtime (no EAL):
 * results go to the caller's buffers and the h_errno-like code is per thread.
 * Host calls set tern_h_errno() on every call: 0 on success, else a <netdb.h>
 * code. SO_*, MSG_*, SOL_*, IPPROTO_*, INADDR_*, IP_*, AF_* and SOCK_* are
 * the system headers' (Linux's numeric values, checked by test_names.c).
 */
#include <netdb.h>    /* HOST_NOT_FOUND, NETDB_INTERNAL for tern_h_errno() */

/** socket.SOMAXCONN: Linux's default net.core.somaxconn since 5.4 (the
 *  largest backlog tern_listen() keeps; larger ones are cut to it). */
#define TERN_SOMAXCONN 4096
/** Longest host name kept, NUL included: RFC 1035 2.3.4's 255 octets. */
#define TERN_HOST_NAME_MAX 256
/** Aliases and addresses kept per result; more set @c truncated. */
#define TERN_HOST_ALIASES_MAX 16
#define TERN_HOST_ADDRS_MAX 16

/** One host, Python's (hostname, aliaslist, ipaddrlist) triple. */
struct tern_hostent {
	char name[TERN_HOST_NAME_MAX];                             /**< canonical */
	char aliases[TERN_HOST_ALIASES_MAX][TERN_HOST_NAME_MAX];
	unsigned n_aliases;
	struct in_addr addrs[TERN_HOST_ADDRS_MAX];                 /**< network order */
	unsigned n_addrs;
	bool truncated;  /**< the file had more aliases/addresses than fit */
};

/**
 * Hosts file for the tern_gethostby*() calls of every thread; NULL restores
 * /etc/hosts. The path is copied. @return 0, or -1 with errno EINVAL ("") or
 * ENAMETOOLONG (PATH_MAX or longer). The file need not exist yet.
 */
int tern_set_hosts_file(const char *path);
/** Services file for tern_getservby*(), as tern_set_hosts_file(). */
int tern_set_services_file(const char *path);
/** This thread's result code of its last tern_gethostby*() call: 0,
 *  HOST_NOT_FOUND, or NETDB_INTERNAL (look at errno). */
int tern_h_errno(void);

/**
 * socket.gethostbyname(): @p name to one IPv4 address (network order).
 * In order: "" -> INADDR_ANY and "<broadcast>" -> INADDR_BROADCAST (the
 * module's special forms); a dotted quad as tern_inet_aton() reads it,
 * returned unchanged; a name of only digits and dots that is not one fails
 * (HOST_NOT_FOUND, the file is not read: as glibc); the first hosts-file line
 * naming @p name (canonical or alias); else "localhost", "localhost." and
 * names ending in ".localhost" -> 127.0.0.1 (RFC 6761 6.3).
 * @return 0; -1 with errno ENOENT and h_errno HOST_NOT_FOUND for an unknown
 * name; -1 with errno EINVAL and NETDB_INTERNAL for NULL or a name longer
 * than 255; -1 with fopen's errno and NETDB_INTERNAL if the hosts file cannot
 * be read (the built-in forms above still answer).
 */
int tern_gethostbyname(const char *name, struct in_addr *out);
/**
 * socket.gethostbyname_ex(): canonical name, aliases and every address of
 * @p name, as glibc with "multi on" (Debian's /etc/host.conf): the first
 * matching line gives the canonical name, its aliases and first address; each
 * later line naming @p name adds its aliases, then its canonical name if it
 * differs (strcmp) from the first one, then its address, duplicates kept.
 * A dotted quad gives itself as name and address. "" and "<broadcast>" are
 * address forms, not names: HOST_NOT_FOUND (as Python, which passes them to
 * gethostbyname_r). Errors as tern_gethostbyname().
 */
int tern_gethostbyname_ex(const char *name, struct tern_hostent *out);
/**
 * socket.gethostbyaddr() for an IPv4 address (network order): the first
 * hosts-file line with @p addr, its aliases, and @p addr as the one address.
 * @return 0, or -1 with errno ENOENT / h_errno HOST_NOT_FOUND when no line
 * has it (no "localhost" fallback here), other errors as tern_gethostbyname().
 */
int tern_gethostbyaddr(struct in_addr addr, struct tern_hostent *out);
/** socket.gethostname(): the kernel's host name (uname(2) nodename).
 *  @return 0, or -1 with errno ENAMETOOLONG if it and its NUL do not fit in
 *  @p len (as glibc on Linux), EINVAL for a NULL @p buf. */
int tern_gethostname(char *buf, size_t len);
/**
 * socket.getservbyname(): the port (host order) of service @p name (or an
 * alias) for protocol @p proto ("tcp", "udp", ...; NULL = the first line of
 * any protocol). @return 0, or -1 with errno ENOENT (no such service, or no
 * services file), another fopen errno, or EINVAL (NULL name/port).
 */
int tern_getservbyname(const char *name, const char *proto, uint16_t *port);
/**
 * socket.getservbyport(): the canonical name of the service on @p port (host
 * order) for @p proto (NULL = any) into @p buf. @return 0, or -1 with errno
 * ENOENT, ERANGE (name and NUL longer than @p len), EINVAL (NULL buf).
 */
int tern_getservbyport(uint16_t port, const char *proto, char *buf, size_t len);
/**
 * inet_pton(3) for AF_INET only (Tern is IPv4): exactly four decimal parts
 * of 1-3 digits, each <= 255, no leading zeros (the same strings glibc's
 * inet_pton accepts). @return 1, 0 for a bad string, -1 with errno
 * EAFNOSUPPORT for another family (AF_INET6 included) or EINVAL for NULL.
 */
int tern_inet_pton(int af, const char *src, void *dst);
/** inet_ntop(3) for AF_INET only: @return @p dst, or NULL with errno
 *  EAFNOSUPPORT (not AF_INET), ENOSPC (the text and its NUL exceed @p size,
 *  as glibc: "1.2.3.4" fits in 8), EINVAL (NULL pointer). */
const char *tern_inet_ntop(int af, const void *src, char *dst, socklen_t size);

/* ---- addresses (module-level helpers) ---- */

/**
 * Fill @p out from a host string and port, the socket module's way:
 * "" -> INADDR_ANY, "<broadcast>" -> INADDR_BROADCAST, else a dotted quad.
 * @return 0, or -1 with errno EINVAL.
 */
int tern_addr(const char *host, uint16_t port, struct sockaddr_in *out);
/** Dotted quad of @p a (network order) into @p buf (>= 16 bytes). */
const char *tern_inet_ntoa(struct in_addr a, char *buf);
/** Parse a dotted quad into @p out (network order). @return 1 ok, 0 bad.
 *  Stricter than glibc's inet_aton(3): only the a.b.c.d form of 1-3 decimal
 *  digits per part, each <= 255, no leading zero (what inet_pton accepts).
 *  glibc also takes "a.b.c", "a.b", "a" (last part fills the rest), hex
 *  ("0x7f.1") and octal ("010.0.0.1" = 8.0.0.1) parts and anything after a
 *  blank ("1.2.3.4 junk"); Tern refuses them rather than read "010" as 8. */
int tern_inet_aton(const char *s, struct in_addr *out);
static inline uint16_t tern_htons(uint16_t v) { return htons(v); }
static inline uint16_t tern_ntohs(uint16_t v) { return ntohs(v); }
static inline uint32_t tern_htonl(uint32_t v) { return htonl(v); }
static inline uint32_t tern_ntohl(uint32_t v) { return ntohl(v); }

#endif

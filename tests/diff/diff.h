/*
 * The differential test against the Linux kernel: one table of scenarios,
 * run once on kernel sockets and once on Tern's, every observable result
 * recorded as text so the two runs compare line by line.
 *
 * A scenario is a C function over a struct diff_ctx. The socket under test
 * (SUT) is reached only through ctx->b, the backend vtable (kernel: libc in
 * namespace A; Tern: tern_*); the peer is always a kernel socket in the
 * process's own namespace B (198.18.0.1), so both runs talk to the same
 * kind of peer over the same addresses. Each sut_*() and peer_*() helper
 * makes the call, records label and result, and returns the result.
 *
 * Records never hold anything that differs between correct runs: descriptors
 * are "fd", ephemeral ports "eph", bytes as a count, a short excerpt and a
 * hash. Anything that depends on a packet arriving is first waited for
 * (a bounded poll on the SUT, or a peer call with a receive timeout).
 */
#ifndef DIFF_H
#define DIFF_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Addresses (host order), the same in both runs: the SUT is 198.18.0.2,
 * the peer namespace 198.18.0.1, nobody answers ARP for 198.18.0.3. */
#define SUT_IP    0xc6120002u
#define PEER_IP   0xc6120001u
#define NOHOST_IP 0xc6120003u
#define BCAST_IP  0xc61200ffu
#define OTHER_IP  0xcb007101u   /* 203.0.113.1 (TEST-NET-3): not local */

/* Ports: scenario k owns PORT_BASE + PORT_SPAN * k ... + PORT_SPAN - 1,
 * below Linux's (and Tern's) ephemeral range 32768-60999, so a recorded
 * port is either one the scenario chose or "eph". */
#define PORT_BASE 20000u
#define PORT_SPAN 8u
#define EPH_LO 32768u
#define EPH_HI 60999u

/* Bounded waits (safety nets, never measured). */
#define WAIT_MS 2000          /* a packet that must arrive */
#define PEER_TIMEO_MS 2000    /* every peer socket's SO_RCVTIMEO/SO_SNDTIMEO */
#define SCEN_MAX_S 20         /* a scenario running longer is declared hung */

/** The socket calls of the side under test. */
struct backend {
	const char *name;
	int (*socket)(int domain, int type, int protocol);
	int (*bind)(int fd, const struct sockaddr *a, socklen_t len);
	int (*listen)(int fd, int backlog);
	int (*accept4)(int fd, struct sockaddr *a, socklen_t *len, int flags);
	int (*connect)(int fd, const struct sockaddr *a, socklen_t len);
	ssize_t (*send)(int fd, const void *buf, size_t len, int flags);
	ssize_t (*sendto)(int fd, const void *buf, size_t len, int flags,
			  const struct sockaddr *to, socklen_t tolen);
	ssize_t (*recv)(int fd, void *buf, size_t len, int flags);
	ssize_t (*recvfrom)(int fd, void *buf, size_t len, int flags,
			    struct sockaddr *from, socklen_t *fromlen);
	int (*shutdown)(int fd, int how);
	int (*close)(int fd);
	int (*setsockopt)(int fd, int level, int name, const void *v, socklen_t len);
	int (*getsockopt)(int fd, int level, int name, void *v, socklen_t *len);
	int (*getsockname)(int fd, struct sockaddr *a, socklen_t *len);
	int (*getpeername)(int fd, struct sockaddr *a, socklen_t *len);
	int (*fcntl)(int fd, int cmd, int arg);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout_ms);
	int (*epoll_create1)(int flags);
	int (*epoll_ctl)(int epfd, int op, int fd, struct epoll_event *ev);
	int (*epoll_wait)(int epfd, struct epoll_event *ev, int max, int timeout_ms);
	/** The socket module's settimeout: < 0 None, 0 non-blocking, > 0 seconds. */
	int (*settimeout)(int fd, double seconds);
	int (*setblocking)(int fd, bool blocking);
	double (*gettimeout)(int fd);
	/** A descriptor in this backend's range that is not open. */
	int bad_fd;
};

extern const struct backend backend_kernel;
extern const struct backend backend_tern;
/** Kernel backend: the namespace its sockets are created in (path of
 *  /run/netns/NAME); @return 0 or -1. */
int kernel_backend_init(const char *sut_netns);

struct diff_ctx;
typedef void (*scen_fn)(struct diff_ctx *c, intptr_t arg);

/** One scenario of the table. */
struct scenario {
	const char *name;
	scen_fn fn;
	intptr_t arg;
	/** A deliberate difference from Linux: why (NULL = none). */
	const char *differs;
	/** Comma-separated labels of the steps that differ ("*" = any). */
	const char *differs_steps;
};

#define CTX_MAX_FDS 64

struct diff_ctx {
	const struct backend *b;
	const struct scenario *sc;
	FILE *out;
	int step;
	uint16_t port0;            /* first of the scenario's own ports */
	int sut_fds[CTX_MAX_FDS];  /* left open by the scenario: closed after it */
	int n_sut;
	int peer_fds[CTX_MAX_FDS];
	int n_peer;
};

/* ---- the table ---- */

/** Add a scenario (@p name is copied). */
void scen_add(const char *name, scen_fn fn, intptr_t arg, const char *differs,
	      const char *differs_steps);
/* One registration function per file of scenarios. */
void scen_args_register(void);
void scen_udp_register(void);
void scen_tcp_register(void);
void scen_tcp_more_register(void);
void scen_flags_register(void);
void scen_poll_register(void);

/* ---- recording ---- */

/** Record one step: @p label and a printf-style value. */
void rec(struct diff_ctx *c, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** "0", "N", or "-1 ENAME" (errno as saved by the caller). */
void rec_ret(struct diff_ctx *c, const char *label, long rc, int err);
/** "fd" or "-1 ENAME". */
void rec_fd(struct diff_ctx *c, const char *label, int rc, int err);
/** A port as recorded: the number, "eph", or 0. */
const char *port_str(uint16_t port, char *buf, size_t len);
/** "A.B.C.D:port/len" of a sockaddr (normalised). */
const char *addr_str(const struct sockaddr *sa, socklen_t len, char *buf, size_t blen);
/** Names of the poll bits set in @p m ("POLLIN|POLLOUT", "0"). */
const char *poll_str(unsigned m, char *buf, size_t len);
/** Bytes as recorded: count, an excerpt and a hash. */
const char *bytes_str(const void *p, size_t n, char *buf, size_t len);

/** A sockaddr_in for host-order @p ip and @p port. */
struct sockaddr_in sin_of(uint32_t ip, uint16_t port);
/** The scenario's own port number @p k (0 .. PORT_SPAN - 1). */
#define PORT(c, k) ((uint16_t)((c)->port0 + (k)))

/* ---- the socket under test: call, record, return ---- */

int sut_socket(struct diff_ctx *c, const char *l, int domain, int type, int proto);
int sut_tcp(struct diff_ctx *c, const char *l);
int sut_udp(struct diff_ctx *c, const char *l);
int sut_bind(struct diff_ctx *c, const char *l, int fd, const struct sockaddr *a, socklen_t len);
int sut_bind_to(struct diff_ctx *c, const char *l, int fd, uint32_t ip, uint16_t port);
int sut_listen(struct diff_ctx *c, const char *l, int fd, int backlog);
/** accept4 and the peer address; a new descriptor is tracked. */
int sut_accept(struct diff_ctx *c, const char *l, int fd, int flags);
int sut_connect(struct diff_ctx *c, const char *l, int fd, const struct sockaddr *a, socklen_t len);
int sut_connect_to(struct diff_ctx *c, const char *l, int fd, uint32_t ip, uint16_t port);
ssize_t sut_send(struct diff_ctx *c, const char *l, int fd, const void *buf, size_t len, int flags);
ssize_t sut_sendto(struct diff_ctx *c, const char *l, int fd, const void *buf, size_t len,
		   int flags, uint32_t ip, uint16_t port);
/** recv into a buffer of @p len; records bytes received. */
ssize_t sut_recv(struct diff_ctx *c, const char *l, int fd, size_t len, int flags);
/** recvfrom with a full-size address; records bytes and the sender. */
ssize_t sut_recvfrom(struct diff_ctx *c, const char *l, int fd, size_t len, int flags);
/** Receive until @p want bytes, EOF or an error; records total and hash. */
ssize_t sut_recv_exact(struct diff_ctx *c, const char *l, int fd, size_t want);
/** Send @p len bytes of the pattern stream starting at offset @p off. */
ssize_t sut_send_pattern(struct diff_ctx *c, const char *l, int fd, size_t len, size_t off);
int sut_shutdown(struct diff_ctx *c, const char *l, int fd, int how);
int sut_close(struct diff_ctx *c, const char *l, int fd);
int sut_setint(struct diff_ctx *c, const char *l, int fd, int level, int name, int v);
/** getsockopt of an int; records rc and value. */
int sut_getint(struct diff_ctx *c, const char *l, int fd, int level, int name);
int sut_settv(struct diff_ctx *c, const char *l, int fd, int name, long sec, long usec);
int sut_gettv(struct diff_ctx *c, const char *l, int fd, int name);
int sut_sockname(struct diff_ctx *c, const char *l, int fd);
int sut_peername(struct diff_ctx *c, const char *l, int fd);
int sut_settimeout(struct diff_ctx *c, const char *l, int fd, double s);
int sut_setblocking(struct diff_ctx *c, const char *l, int fd, bool blocking);
void sut_gettimeout(struct diff_ctx *c, const char *l, int fd);
/** poll one descriptor for @p events, waiting up to @p ms; records rc and revents. */
int sut_poll1(struct diff_ctx *c, const char *l, int fd, short events, int ms);
/** Wait (bounded) until poll reports any of @p events (or error/hangup);
 *  records the final revents. */
int sut_wait(struct diff_ctx *c, const char *l, int fd, short events);
int sut_fcntl(struct diff_ctx *c, const char *l, int fd, int cmd, int arg);

/** Connected TCP pair: peer listener on PORT(k), SUT connects (blocking),
 *  peer accepts. @return 0 and *sut, *peer; -1 if a step failed. */
int tcp_pair_active(struct diff_ctx *c, int k, int *sut, int *peer);
/** Connected TCP pair the other way: SUT listens on PORT(k), the peer
 *  connects, the SUT accepts. *lfd is the SUT listener. */
int tcp_pair_passive(struct diff_ctx *c, int k, int *lfd, int *sut, int *peer);
/** A peer listener on PORT(k) whose accept queue is full, so the SUT's SYN
 *  is dropped and its connect stays pending. *filler is the queued peer
 *  connection (accept it to free the queue). @return the listener. */
int peer_listen_full(struct diff_ctx *c, int k, int *filler);

/* ---- the peer (kernel sockets in this namespace): record as "peer.*" ---- */

int peer_udp(struct diff_ctx *c, uint16_t port);      /* bound to PEER_IP:port (0 = eph) */
int peer_udp_any(struct diff_ctx *c, uint16_t port);  /* bound to 0.0.0.0:port (broadcasts) */
int peer_listen(struct diff_ctx *c, uint16_t port, int backlog);
int peer_accept(struct diff_ctx *c, const char *l, int lfd);
/** Connect (blocking, bounded) to the SUT's @p port; records result. */
int peer_connect(struct diff_ctx *c, const char *l, uint16_t port);
ssize_t peer_send(struct diff_ctx *c, const char *l, int fd, const void *buf, size_t len);
ssize_t peer_sendto(struct diff_ctx *c, const char *l, int fd, const void *buf, size_t len,
		    uint32_t ip, uint16_t port);
ssize_t peer_send_pattern(struct diff_ctx *c, const char *l, int fd, size_t len, size_t off);
/** Blocking recv (bounded by the socket's timeout); records bytes. */
ssize_t peer_recv(struct diff_ctx *c, const char *l, int fd, size_t len, int flags);
ssize_t peer_recvfrom(struct diff_ctx *c, const char *l, int fd, size_t len);
ssize_t peer_recv_exact(struct diff_ctx *c, const char *l, int fd, size_t want);
int peer_shutdown(struct diff_ctx *c, const char *l, int fd, int how);
/** Wait (bounded) until everything the peer sent on @p fd is acknowledged,
 *  so it sits in the SUT's receive queue; records whether it was. */
int peer_wait_acked(struct diff_ctx *c, const char *l, int fd);
/** Close (not recorded: the peer's close never fails). */
void peer_close(struct diff_ctx *c, int fd);
/** Close with SO_LINGER {1, 0}: an RST instead of a FIN. */
void peer_reset(struct diff_ctx *c, int fd);
/** The byte at offset @p off of the pattern stream. */
uint8_t pattern_byte(size_t off);

/** Names for errno values in records. */
const char *err_name(int e);

#endif

/*
 * Private to api/: the application-side socket and the helpers socket.c
 * (descriptors, datagram sockets, options) shares with stream.c (TCP
 * sockets). Nothing here is part of the public contract in tern.h.
 */
#ifndef TERN_API_SOCK_IMPL_H
#define TERN_API_SOCK_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rte_common.h>

#include "runtime.h"
#include "sockif.h"

#define NO_DEADLINE UINT64_MAX

/*
 * A per-socket call lock (one per direction): it keeps one stream call's
 * bytes contiguous when several threads send (or recv) on one socket. The
 * holder keeps it while it sleeps for buffer space or data, so a call's
 * bytes stay contiguous even across sleeps (Linux releases its socket lock
 * while it sleeps, so there concurrent blocking calls may interleave).
 * Waiters queue in FIFO order and the holder hands the lock straight to the
 * first, so a steady stream of calls from one thread cannot starve another
 * (whose timeout would then expire with data flowing).
 */
struct sock_lock_waiter {
	struct sock_lock_waiter *next;
	_Atomic uint32_t state;         /* futex word: LOCKW_* */
};

struct sock_lock {
	_Atomic uint32_t word;          /* 0 free, 1 held, 2 held and waiters queued */
	_Atomic bool waiting;           /* the holder sleeps in sock_wait_held() */
	pthread_mutex_t qlock;          /* guards the queue and word's 1 <-> 2 moves */
	struct sock_lock_waiter *head, *tail;
};

struct tern_sock {
	struct tern_chan chan;          /* shared with the stack: keep first */
	struct tern_rt *rt;
	uint32_t slot;                  /* stack slot index (per runtime) */
	int fd;                         /* -1 while free */
	int type;
	/* Several threads at once (see sock_enter() and tern_close()). */
	_Atomic uint32_t calls;         /* threads inside a call; futex word for close */
	_Atomic bool closing;           /* close() began: calls end with EBADF */
	struct sock_lock send_lock;     /* one stream send at a time */
	struct sock_lock recv_lock;     /* one stream recv at a time */
	/* Settings read by any thread without a lock: relaxed atomics. */
	_Atomic int64_t timeout_ns;     /* socket module timeout: <0 None, 0 non-blocking */
	_Atomic int64_t rcvtimeo_ns;    /* SO_RCVTIMEO: <0 forever, 0 do not wait */
	_Atomic int64_t sndtimeo_ns;    /* SO_SNDTIMEO: same */
	_Atomic bool broadcast;         /* SO_BROADCAST (cached; the stack has its copy) */
	_Atomic bool reuseaddr;         /* SO_REUSEADDR (cached) */
	_Atomic bool connected;         /* a default peer is set; stream: Linux's SS_CONNECTED */
	_Atomic int ttl;                /* IP_TTL */
	_Atomic bool connecting;        /* stream: connect() sent the SYN and no connect()
					 * has reported the outcome yet (SS_CONNECTING) */
	_Atomic bool disconnecting;     /* stream: shut down after such a connect failed
					 * (SS_DISCONNECTING: connect, listen say EINVAL) */
	_Atomic bool listening;         /* stream: listen() succeeded */
	_Atomic uint32_t shut;          /* shutdown() so far: SOCK_SHUT_RD | SOCK_SHUT_WR */
	_Atomic int rcvlowat;           /* SO_RCVLOWAT (>= 1) */
	/* Options only the application side keeps (sockopt.c). */
	_Atomic uint32_t opts;          /* SO_KEEPALIVE, SO_REUSEPORT, l_onoff, buffer locks */
	_Atomic int linger;             /* SO_LINGER's l_linger as Linux reads it back */
	_Atomic int tos;                /* IP_TOS */
	_Atomic int so_rcvbuf;          /* SO_RCVBUF as read back (Linux's sk_rcvbuf); 0 = default */
	_Atomic int so_sndbuf;          /* SO_SNDBUF as read back; 0 = default */
} __rte_cache_aligned;

/* Linux's sk_shutdown bits (RCV_SHUTDOWN, SEND_SHUTDOWN): shutdown(how)
 * sets how + 1, so SHUT_RDWR sets both. */
#define SOCK_SHUT_RD 1u
#define SOCK_SHUT_WR 2u

/* Descriptors in the process-wide table (sockets and epoll sets share it). */
#define TERN_FD_MAX 65536u

typedef bool (*sock_ready_fn)(struct tern_sock *s, uint32_t arg);

/** errno = err; @return -1. */
int sock_fail(int err);
/** The socket behind @p fd, or NULL with errno EBADF. Takes no reference:
 *  the slot may be closed and reused under the caller (prefer sock_enter). */
struct tern_sock *sock_get(int fd);
/**
 * Enter a call on @p fd: the socket, counted in its `calls`, or NULL with
 * errno EBADF. Every non-NULL return is paired with sock_leave(); while
 * counted, close() waits and the slot is not reused.
 */
struct tern_sock *sock_enter(int fd);
/** Leave a call entered with sock_enter() (keeps errno). */
void sock_leave(struct tern_sock *s);
/** close() has begun on @p s: blocking calls give up with EBADF. */
static inline bool
sock_closing(struct tern_sock *s)
{
	/* seq_cst: pairs with tern_close()'s store (see sock_leave()). */
	return atomic_load_explicit(&s->closing, memory_order_seq_cst);
}
/**
 * Take @p l before @p deadline (0 = do not wait, NO_DEADLINE = forever).
 * Non-blocking: waits only while the holder is running (bounded, about a
 * millisecond); if the holder sleeps for data or room, or blocked callers
 * queue for the lock, -EAGAIN at once. Blocking: FIFO behind the others.
 * @return 0, -EAGAIN, or -EBADF once the socket is closing.
 */
int sock_lock(struct tern_sock *s, struct sock_lock *l, uint64_t deadline);
void sock_unlock(struct sock_lock *l);
/** Deadline of a blocking call (0 = do not wait, NO_DEADLINE = forever). */
uint64_t sock_deadline(const struct tern_sock *s, int flags, _Atomic int64_t *sotimeo);
/** Wait until ready(s, arg) or the deadline. @return 0, -EAGAIN at the
 *  deadline, or -EBADF once the socket is closing (checked first). */
int sock_wait(struct tern_sock *s, sock_ready_fn ready, uint32_t arg, uint64_t deadline);
/** sock_wait() by the holder of @p l (marks it asleep for sock_lock()). */
int sock_wait_held(struct tern_sock *s, struct sock_lock *l, sock_ready_fn ready,
		   uint32_t arg, uint64_t deadline);
/** Take (and clear) the pending asynchronous error, 0 if none. */
int sock_take_error(struct tern_sock *s);
/** Reserve a slot, a descriptor index and a fresh channel on @p rt.
 *  @return the socket (not yet visible to other calls) or NULL with *err. */
struct tern_sock *sock_reserve(struct tern_rt *rt, int type, int *idx, int *err);
/** Undo sock_reserve() (the stack never saw the slot, or has let go of it). */
void sock_unreserve(struct tern_sock *s, int idx);
/** Make a reserved socket visible as a descriptor. @return the fd. */
int sock_publish(struct tern_sock *s, int idx);

/** Reserve the lowest free descriptor index. @return index or -1 (EMFILE). */
int sock_fd_alloc(void);
/** Give a descriptor index back. */
void sock_fd_release(uint32_t idx);

/* sockopt.c: options and descriptor flags. */
/** Default options of a fresh socket (from chan_init). */
void sock_opts_init(struct tern_sock *s);
/** accept(): @p ns takes listener @p ls's options, as Linux's clone does.
 *  Call before the ACCEPT request (the stack reads the buffer sizes then). */
void sock_opts_inherit(struct tern_sock *ns, const struct tern_sock *ls);
/** Set descriptor index @p idx's fcntl flags (FD_CLOEXEC; 0 when allocated). */
void sock_fd_flags_set(uint32_t idx, uint32_t flags);

/* poll.c: readiness. */
/** The socket's poll(2) mask now, as Linux's tcp_poll/udp_poll compute it. */
uint32_t sock_events(struct tern_sock *s);
/** Socket close: wake and unlink its poll/epoll watchers. */
void sock_watch_close(struct tern_sock *s);

/* epoll.c */
/** Is @p fd an open Tern epoll descriptor? */
bool epoll_is(int fd);
/** close() of an epoll descriptor. @return 0 or -errno. */
int epoll_close(int fd);

/** Write an AF_INET address to a caller's sockaddr, POSIX's way with *len. */
void sock_name_out(uint32_t addr, uint16_t port, struct sockaddr *sa, socklen_t *len);

/* stream.c: the SOCK_STREAM halves of the calls. */
int stream_connect(struct tern_sock *s, uint32_t addr, uint16_t port);
/** connect(AF_UNSPEC) on a stream (Linux tcp_disconnect): an RST if it was
 *  connected; the socket is unconnected and may connect again. */
int stream_disconnect(struct tern_sock *s);
ssize_t stream_send(struct tern_sock *s, const void *buf, size_t len, int flags);
ssize_t stream_recv(struct tern_sock *s, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen);

#endif

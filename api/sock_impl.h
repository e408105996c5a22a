/*
 * Private to api/: the application-side socket and the helpers socket.c
 * (descriptors, datagram sockets, options) shares with stream.c (TCP
 * sockets). Nothing here is part of the public contract in tern.h.
 */
#ifndef TERN_API_SOCK_IMPL_H
#define TERN_API_SOCK_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rte_common.h>

#include "runtime.h"
#include "sockif.h"

#define NO_DEADLINE UINT64_MAX

struct tern_sock {
	struct tern_chan chan;          /* shared with the stack: keep first */
	struct tern_rt *rt;
	uint32_t slot;                  /* stack slot index (per runtime) */
	int fd;                         /* -1 while free */
	int type;
	/* Settings read by any thread without a lock: relaxed atomics. */
	_Atomic int64_t timeout_ns;     /* socket module timeout: <0 None, 0 non-blocking */
	_Atomic int64_t rcvtimeo_ns;    /* SO_RCVTIMEO: <0 forever, 0 do not wait */
	_Atomic int64_t sndtimeo_ns;    /* SO_SNDTIMEO: same */
	_Atomic bool broadcast;         /* SO_BROADCAST (cached; the stack has its copy) */
	_Atomic bool reuseaddr;         /* SO_REUSEADDR (cached) */
	_Atomic bool connected;         /* a default peer is set */
	_Atomic int ttl;                /* IP_TTL */
	_Atomic bool connecting;        /* stream: connect() sent the SYN, no answer yet */
	_Atomic bool listening;         /* stream: listen() succeeded */
} __rte_cache_aligned;

typedef bool (*sock_ready_fn)(struct tern_sock *s, uint32_t arg);

/** errno = err; @return -1. */
int sock_fail(int err);
/** The socket behind @p fd, or NULL with errno EBADF. */
struct tern_sock *sock_get(int fd);
/** Deadline of a blocking call (0 = do not wait, NO_DEADLINE = forever). */
uint64_t sock_deadline(const struct tern_sock *s, int flags, _Atomic int64_t *sotimeo);
/** Wait until ready(s, arg) or the deadline. @return 0, or -EAGAIN at the deadline. */
int sock_wait(struct tern_sock *s, sock_ready_fn ready, uint32_t arg, uint64_t deadline);
/** Take (and clear) the pending asynchronous error, 0 if none. */
int sock_take_error(struct tern_sock *s);
/** Reserve a slot, a descriptor index and a fresh channel on @p rt.
 *  @return the socket (not yet visible to other calls) or NULL with *err. */
struct tern_sock *sock_reserve(struct tern_rt *rt, int type, int *idx, int *err);
/** Undo sock_reserve() (the stack never saw the slot, or has let go of it). */
void sock_unreserve(struct tern_sock *s, int idx);
/** Make a reserved socket visible as a descriptor. @return the fd. */
int sock_publish(struct tern_sock *s, int idx);

/** Write an AF_INET address to a caller's sockaddr, POSIX's way with *len. */
void sock_name_out(uint32_t addr, uint16_t port, struct sockaddr *sa, socklen_t *len);

/* stream.c: the SOCK_STREAM halves of the calls. */
int stream_connect(struct tern_sock *s, uint32_t addr, uint16_t port);
ssize_t stream_send(struct tern_sock *s, const void *buf, size_t len, int flags);
ssize_t stream_recv(struct tern_sock *s, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen);

#endif

/*
 * Stream (TCP) sockets on the application side: listen, accept, connect,
 * send, recv and shutdown over the same channel as datagrams. The byte
 * stream arrives as single-segment mbufs in the socket's ring; a reader may
 * consume part of the head one in place (the HTS ring's peek API keeps
 * other readers out meanwhile), so bytes are never reordered or lost.
 * Called from socket.c's calls for SOCK_STREAM sockets.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_peek.h>

#include "runtime.h"
#include "sock_impl.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#define SEND_CHUNK (64u * 1024)  /* bytes per submitted chain */
#define PEEK_BURST 32u

static uint32_t
chan_flags(const struct tern_sock *s)
{
	/* acquire: pairs with the stack's release when it sets a flag, so the
	 * data and state behind the flag are visible. */
	return atomic_load_explicit(&((struct tern_sock *)s)->chan.flags, memory_order_acquire);
}

/* ---- listen / accept ---- */

int
tern_listen(int fd, int backlog)
{
	struct tern_sock *s = sock_get(fd);
	if (s == NULL)
		return -1;
	if (s->type != SOCK_STREAM)
		return sock_fail(EOPNOTSUPP);
	struct tern_req req = { .op = TERN_REQ_LISTEN, .sock = s->slot, .ival = backlog };
	int rc = tern_api_request(s->rt, &req);
	if (rc != 0)
		return sock_fail(-rc);
	/* relaxed: read by SO_ACCEPTCONN and accept()'s check only. */
	atomic_store_explicit(&s->listening, true, memory_order_relaxed);
	return 0;
}

static bool
ready_accept(struct tern_sock *s, uint32_t arg)
{
	(void)arg;
	/* relaxed: a listener's rx_bytes counts connections; the accept
	 * request that follows is what takes one. */
	return atomic_load_explicit(&s->chan.rx_bytes, memory_order_relaxed) > 0 ||
	       atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0;
}

int
tern_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct tern_sock *s = sock_get(fd);
	if (s == NULL)
		return -1;
	if (s->type != SOCK_STREAM)
		return sock_fail(EOPNOTSUPP);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return sock_fail(EINVAL);
	/* relaxed: set once by listen(). */
	if (!atomic_load_explicit(&s->listening, memory_order_relaxed))
		return sock_fail(EINVAL);
	uint64_t deadline = sock_deadline(s, 0, &s->rcvtimeo_ns);
	/* Nothing queued and no waiting allowed: answer without a round trip
	 * to the stack (a polling server asks this every loop). */
	if (deadline == 0 && !ready_accept(s, 0))
		return sock_fail(EAGAIN);
	int idx, err;
	struct tern_sock *ns = sock_reserve(s->rt, SOCK_STREAM, &idx, &err);
	if (ns == NULL)
		return sock_fail(err);
	struct tern_req req;
	for (;;) {
		req = (struct tern_req){ .op = TERN_REQ_ACCEPT, .sock = s->slot,
					 .ival = ns->slot, .chan = &ns->chan };
		int rc = tern_api_request(s->rt, &req);
		if (rc == 0)
			break;
		if (rc != -EAGAIN || deadline == 0 ||
		    sock_wait(s, ready_accept, 0, deadline) != 0) {
			sock_unreserve(ns, idx);
			return sock_fail(-rc == EAGAIN ? EAGAIN : -rc);
		}
		int e = sock_take_error(s);
		if (e != 0) {
			sock_unreserve(ns, idx);
			return sock_fail(e);
		}
	}
	if (flags & SOCK_NONBLOCK)
		/* relaxed: not yet shared (published below). */
		atomic_store_explicit(&ns->timeout_ns, 0, memory_order_relaxed);
	if (addr != NULL && len != NULL)
		sock_name_out(req.raddr, req.rport, addr, len);
	return sock_publish(ns, idx);
}

int
tern_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return tern_accept4(fd, addr, len, 0);
}

/* ---- connect ---- */

static bool
ready_connected(struct tern_sock *s, uint32_t arg)
{
	(void)arg;
	return (chan_flags(s) & (TERN_CHAN_CONNECTED | TERN_CHAN_DEAD)) != 0 ||
	       atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0;
}

int
stream_connect(struct tern_sock *s, uint32_t addr, uint16_t port)
{
	uint32_t fl = chan_flags(s);
	/* relaxed, here and below: the flag is only this socket's own memo. */
	bool connecting = atomic_load_explicit(&s->connecting, memory_order_relaxed);
	if (connecting && (fl & TERN_CHAN_DEAD)) {
		/* A non-blocking connect that failed: report why, once. */
		atomic_store_explicit(&s->connecting, false, memory_order_relaxed);
		int e = sock_take_error(s);
		return -(e != 0 ? e : ECONNREFUSED);
	}
	if (fl & TERN_CHAN_CONNECTED) {
		if (connecting) {
			/* The first connect() after a non-blocking one completed:
			 * Linux reports EISCONN too. */
			atomic_store_explicit(&s->connecting, false, memory_order_relaxed);
		}
		return -EISCONN;
	}
	uint64_t deadline = sock_deadline(s, 0, &s->sndtimeo_ns);
	if (!connecting) {
		struct tern_req req = { .op = TERN_REQ_CONNECT, .sock = s->slot,
					.addr = addr, .port = port };
		int rc = tern_api_request(s->rt, &req);
		if (rc != 0)
			return rc;
		atomic_store_explicit(&s->connecting, true, memory_order_relaxed);
		if (deadline == 0)
			return -EINPROGRESS;
	} else if (deadline == 0) {
		return -EALREADY;
	}
	if (sock_wait(s, ready_connected, 0, deadline) != 0)
		return -EINPROGRESS;   /* Linux: a timed-out blocking connect */
	atomic_store_explicit(&s->connecting, false, memory_order_relaxed);
	if (chan_flags(s) & TERN_CHAN_CONNECTED)
		return 0;
	int e = sock_take_error(s);
	return -(e != 0 ? e : ECONNREFUSED);
}

/* ---- send ---- */

static bool
ready_send(struct tern_sock *s, uint32_t want)
{
	uint32_t fl = chan_flags(s);
	if (fl & (TERN_CHAN_DEAD | TERN_CHAN_WR_SHUT))
		return true;
	if (atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0)
		return true;
	if (!(fl & TERN_CHAN_CONNECTED))
		return false;
	/* acquire: pairs with the stack's release as ACKs free the buffer. */
	uint32_t tx = atomic_load_explicit(&s->chan.tx_bytes, memory_order_acquire);
	uint32_t lim = atomic_load_explicit(&s->chan.sndbuf, memory_order_relaxed);
	return tx < lim && (want == 0 || lim - tx >= (want < 4096 ? want : 4096));
}

/* Why a stream cannot take data now, or 0. */
static int
send_error(struct tern_sock *s)
{
	uint32_t fl = chan_flags(s);
	if (fl & TERN_CHAN_DEAD) {
		int e = sock_take_error(s);
		return e != 0 ? e : EPIPE;
	}
	int e = sock_take_error(s);
	if (e != 0)
		return e;
	if (fl & TERN_CHAN_WR_SHUT)
		return EPIPE;
	return 0;
}

ssize_t
stream_send(struct tern_sock *s, const void *buf, size_t len, int flags)
{
	if (buf == NULL && len > 0)
		return -EFAULT;
	uint64_t deadline = sock_deadline(s, flags, &s->sndtimeo_ns);
	/* relaxed: this socket's own memo. */
	if (!(chan_flags(s) & TERN_CHAN_CONNECTED)) {
		if (!atomic_load_explicit(&s->connecting, memory_order_relaxed))
			return -EPIPE;   /* Linux tcp_sendmsg on a never-connected socket */
		if (deadline == 0)
			return -EAGAIN;
		if (sock_wait(s, ready_connected, 0, deadline) != 0)
			return -EAGAIN;
		if (!(chan_flags(s) & TERN_CHAN_CONNECTED)) {
			int e = send_error(s);
			return -(e != 0 ? e : EPIPE);
		}
	}
	struct rte_mempool *mp = tern_stack_pool(s->rt->stack);
	size_t sent = 0;
	while (sent < len || len == 0) {
		int e = send_error(s);
		if (e != 0)
			return sent > 0 ? (ssize_t)sent : -e;
		if (len == 0)
			return 0;
		uint32_t tx = atomic_load_explicit(&s->chan.tx_bytes, memory_order_acquire);
		uint32_t lim = atomic_load_explicit(&s->chan.sndbuf, memory_order_relaxed);
		if (tx >= lim) {
			if (deadline == 0 ||
			    sock_wait(s, ready_send, (uint32_t)(len - sent), deadline) != 0)
				return sent > 0 ? (ssize_t)sent : -EAGAIN;
			continue;
		}
		size_t chunk = len - sent;
		if (chunk > lim - tx)
			chunk = lim - tx;
		if (chunk > SEND_CHUNK)
			chunk = SEND_CHUNK;
		struct rte_mbuf *m = tern_mbuf_from_buf(mp, (const uint8_t *)buf + sent, chunk, 0);
		if (m == NULL) {
			/* Pool dry: give the stack a moment to free what it sent. */
			if (deadline == 0)   /* Linux says EAGAIN when memory is short too */
				return sent > 0 ? (ssize_t)sent : -EAGAIN;
			if (s->rt->mode == TERN_MODE_INLINE)
				tern_api_drive();
			else
				rte_pause();
			continue;
		}
		struct tern_mbuf_meta *md = tern_mbuf_meta(m);
		md->sock = s->slot;
		/* relaxed: the slot's generation only changes on close. */
		md->gen = atomic_load_explicit(&s->chan.gen, memory_order_relaxed);
		md->flags = 0;
		/* relaxed: the stack only subtracts what it was given, after the
		 * ring handed it over (the ring's enqueue orders this store). */
		atomic_fetch_add_explicit(&s->chan.tx_bytes, (uint32_t)chunk, memory_order_relaxed);
		if (tern_api_submit(s->rt, m, 0) != 0) {
			atomic_fetch_sub_explicit(&s->chan.tx_bytes, (uint32_t)chunk,
						  memory_order_relaxed);
			rte_pktmbuf_free(m);
			return sent > 0 ? (ssize_t)sent : -ENOBUFS;
		}
		sent += chunk;
	}
	return (ssize_t)sent;
}

/* ---- recv ---- */

static bool
ready_recv(struct tern_sock *s, uint32_t arg)
{
	(void)arg;
	return !rte_ring_empty(s->chan.rxq) ||
	       (chan_flags(s) & (TERN_CHAN_EOF | TERN_CHAN_DEAD)) != 0 ||
	       atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0;
}

/* Copy up to @p want bytes from the head of the ring; consume them unless
 * @p peek. @return bytes copied. */
static size_t
ring_copy(struct tern_sock *s, uint8_t *dst, size_t want, bool peek)
{
	struct rte_ring *q = s->chan.rxq;
	void *objs[PEEK_BURST];
	size_t copied = 0;
	while (copied < want) {
		/* HTS peek: we own the head objects until _finish(). */
		unsigned n = rte_ring_dequeue_burst_start(q, objs, PEEK_BURST, NULL);
		if (n == 0)
			break;
		unsigned done = 0;
		for (unsigned i = 0; i < n && copied < want; i++) {
			struct rte_mbuf *m = objs[i];
			size_t take = m->data_len;
			if (take > want - copied)
				take = want - copied;
			memcpy(dst + copied, rte_pktmbuf_mtod(m, const uint8_t *), take);
			copied += take;
			if (peek)
				continue;
			if (take == m->data_len) {
				done++;
			} else {
				/* Part of this one stays at the head for the next read. */
				rte_pktmbuf_adj(m, (uint16_t)take);
			}
		}
		if (peek) {
			rte_ring_dequeue_finish(q, 0);
			break;   /* a peek sees what one burst holds */
		}
		rte_ring_dequeue_finish(q, done);
		for (unsigned i = 0; i < done; i++)
			rte_pktmbuf_free(objs[i]);
		if (done < n)
			break;
	}
	if (!peek && copied > 0)
		/* relaxed: the stack reads it as an estimate of free space. */
		atomic_fetch_sub_explicit(&s->chan.rx_bytes, (uint32_t)copied, memory_order_relaxed);
	return copied;
}

/* Tell the stack we read, if it asked (so it can reopen its window). */
static void
notify_read(struct tern_sock *s)
{
	/* seq_cst: pairs with the stack's fence between setting WUPDATE and
	 * re-checking the space we just freed (Dekker): either it sees our
	 * read, or we see its request here. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!(chan_flags(s) & TERN_CHAN_WUPDATE))
		return;
	/* acq_rel: whoever clears the flag sends the one notice. */
	uint32_t old = atomic_fetch_and_explicit(&s->chan.flags, ~TERN_CHAN_WUPDATE,
						 memory_order_acq_rel);
	if ((old & TERN_CHAN_WUPDATE) && tern_api_submit(s->rt, tern_rcvd_tag(s->slot), 64) != 0)
		/* Ring full: leave the request standing for the next read. */
		atomic_fetch_or_explicit(&s->chan.flags, TERN_CHAN_WUPDATE, memory_order_relaxed);
}

ssize_t
stream_recv(struct tern_sock *s, void *buf, size_t len, int flags,
	    struct sockaddr *from, socklen_t *fromlen)
{
	/* Linux's TCP recvfrom returns no address. */
	if (from != NULL && fromlen != NULL)
		*fromlen = 0;
	if (flags & MSG_OOB)
		return -EINVAL;
	/* relaxed: set once by listen(). */
	if (atomic_load_explicit(&s->listening, memory_order_relaxed))
		return -ENOTCONN;
	bool peek = flags & MSG_PEEK;
	bool waitall = (flags & MSG_WAITALL) && !peek;
	uint64_t deadline = NO_DEADLINE;
	bool have_deadline = false;
	size_t copied = 0;
	for (;;) {
		copied += ring_copy(s, (uint8_t *)buf + copied, len - copied, peek);
		if (copied == len || (copied > 0 && !waitall))
			break;
		uint32_t fl = chan_flags(s);
		/* EOF counts only once the ring is seen empty after the flag:
		 * the stack queues all data before it sets EOF. */
		if ((fl & (TERN_CHAN_EOF | TERN_CHAN_DEAD)) && rte_ring_empty(s->chan.rxq)) {
			if (copied == 0 && (fl & TERN_CHAN_DEAD)) {
				int e = sock_take_error(s);
				if (e != 0)
					return -e;
			}
			break;
		}
		if (copied == 0) {
			int e = sock_take_error(s);
			if (e != 0)
				return -e;
		}
		if (!(fl & TERN_CHAN_CONNECTED) &&
		    !atomic_load_explicit(&s->connecting, memory_order_relaxed))
			return copied > 0 ? (ssize_t)copied : -ENOTCONN;
		if (!have_deadline) {
			deadline = sock_deadline(s, flags, &s->rcvtimeo_ns);
			have_deadline = true;
		}
		/* MSG_WAITALL may want more than the window holds: tell the
		 * stack what was read before sleeping, or it never reopens. */
		if (copied > 0 && !peek)
			notify_read(s);
		if (deadline == 0 || sock_wait(s, ready_recv, 0, deadline) != 0) {
			if (copied > 0)
				break;
			return -EAGAIN;
		}
	}
	if (!peek && copied > 0)
		notify_read(s);
	return (ssize_t)copied;
}

/* ---- shutdown ---- */

int
tern_shutdown(int fd, int how)
{
	struct tern_sock *s = sock_get(fd);
	if (s == NULL)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return sock_fail(EINVAL);
	if (s->type != SOCK_STREAM) {
		/* Linux lets a connected datagram socket shut down; else ENOTCONN. */
		/* relaxed: a hint kept by connect(). */
		return atomic_load_explicit(&s->connected, memory_order_relaxed) ? 0 :
		       sock_fail(ENOTCONN);
	}
	struct tern_req req = { .op = TERN_REQ_SHUTDOWN, .sock = s->slot, .ival = how };
	int rc = tern_api_request(s->rt, &req);
	return rc == 0 ? 0 : sock_fail(-rc);
}

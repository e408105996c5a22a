/*
 * Stream (TCP) sockets on the application side: listen, accept, connect,
 * send, recv and shutdown over the same channel as datagrams. The byte
 * stream arrives as single-segment mbufs in the socket's ring; a reader may
 * consume part of the head one in place (the HTS ring's peek API keeps
 * other readers out meanwhile), so bytes are never reordered or lost.
 * Called from socket.c's calls for SOCK_STREAM sockets.
 */
#include <errno.h>
#include <fcntl.h>
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
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	int rc = -EOPNOTSUPP;
	/* relaxed: this socket's own memos. Linux inet_listen(): only an
	 * unconnected socket (not one that connected, even if the connection
	 * is gone since, nor one with a connect outstanding). */
	if (s->type == SOCK_STREAM &&
	    (atomic_load_explicit(&s->connected, memory_order_relaxed) ||
	     atomic_load_explicit(&s->connecting, memory_order_relaxed) ||
	     atomic_load_explicit(&s->disconnecting, memory_order_relaxed))) {
		rc = -EINVAL;
	} else if (s->type == SOCK_STREAM) {
		struct tern_req req = { .op = TERN_REQ_LISTEN, .sock = s->slot,
					.ival = backlog };
		rc = tern_api_request(s->rt, &req);
		if (rc == 0)
			/* relaxed: read by SO_ACCEPTCONN and accept()'s check only. */
			atomic_store_explicit(&s->listening, true, memory_order_relaxed);
	}
	sock_leave(s);
	return rc == 0 ? 0 : sock_fail(-rc);
}

static bool
ready_accept(struct tern_sock *s, uint32_t arg)
{
	(void)arg;
	/* relaxed: a listener's rx_bytes counts connections; the accept
	 * request that follows is what takes one. */
	return atomic_load_explicit(&s->chan.rx_bytes, memory_order_relaxed) > 0 ||
	       atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0 ||
	       sock_closing(s);
}

/* Several threads may accept on one listener at once: each asks the stack,
 * which hands each queued connection to exactly one request; the others
 * hear -EAGAIN and wait again. @return the new fd or -errno. */
static int
stream_accept(struct tern_sock *s, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	/* relaxed: set once by listen(). */
	if (!atomic_load_explicit(&s->listening, memory_order_relaxed))
		return -EINVAL;
	uint64_t deadline = sock_deadline(s, 0, &s->rcvtimeo_ns);
	/* Nothing queued and no waiting allowed: answer without a round trip
	 * to the stack (a polling server asks this every loop). */
	if (deadline == 0 && !ready_accept(s, 0))
		return -EAGAIN;
	int idx, err;
	struct tern_sock *ns = sock_reserve(s->rt, SOCK_STREAM, &idx, &err);
	if (ns == NULL)
		return -err;
	sock_opts_inherit(ns, s);   /* before ACCEPT: the stack reads its buffer sizes */
	struct tern_req req;
	for (;;) {
		req = (struct tern_req){ .op = TERN_REQ_ACCEPT, .sock = s->slot,
					 .ival = ns->slot, .chan = &ns->chan };
		int rc = tern_api_request(s->rt, &req);
		if (rc == 0)
			break;
		if (rc == -EAGAIN && deadline != 0)
			rc = sock_wait(s, ready_accept, 0, deadline);
		if (rc == 0)
			rc = -sock_take_error(s);
		if (rc != 0) {
			sock_unreserve(ns, idx);
			return rc;
		}
	}
	/* relaxed: not yet shared (published below). Linux inet_accept():
	 * the new socket is SS_CONNECTED. */
	atomic_store_explicit(&ns->connected, true, memory_order_relaxed);
	if (flags & SOCK_NONBLOCK)
		/* relaxed: not yet shared (published below). */
		atomic_store_explicit(&ns->timeout_ns, 0, memory_order_relaxed);
	if (flags & SOCK_CLOEXEC)
		sock_fd_flags_set((uint32_t)idx, FD_CLOEXEC);
	if (addr != NULL && len != NULL)
		sock_name_out(req.raddr, req.rport, addr, len);
	return sock_publish(ns, idx);
}

int
tern_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	int rc = stream_accept(s, addr, len, flags);
	sock_leave(s);
	return rc >= 0 ? rc : sock_fail(-rc);
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
	       atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0 ||
	       sock_closing(s);
}

/* Forget a connection's traces on this side after a disconnect (Linux
 * tcp_disconnect() purges the receive queue and clears sk_shutdown;
 * inet's sock->state is SS_UNCONNECTED). The stack cleared its flags. */
static void
stream_forget(struct tern_sock *s)
{
	/* relaxed, all: this socket's own memos (Linux's sock->state). */
	atomic_store_explicit(&s->connecting, false, memory_order_relaxed);
	atomic_store_explicit(&s->connected, false, memory_order_relaxed);
	atomic_store_explicit(&s->disconnecting, false, memory_order_relaxed);
	atomic_store_explicit(&s->listening, false, memory_order_relaxed);
	atomic_store_explicit(&s->shut, 0, memory_order_relaxed);
	void *objs[PEEK_BURST];
	unsigned n;
	while ((n = rte_ring_dequeue_burst(s->chan.rxq, objs, PEEK_BURST, NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = objs[i];
			/* relaxed: as ring_copy()'s. */
			atomic_fetch_sub_explicit(&s->chan.rx_bytes, m->data_len,
						  memory_order_relaxed);
			rte_pktmbuf_free(m);
		}
	}
}

int
stream_disconnect(struct tern_sock *s)
{
	struct tern_req req = { .op = TERN_REQ_CONNECT, .sock = s->slot, .unspec = true };
	int rc = tern_api_request(s->rt, &req);
	if (rc == 0)
		stream_forget(s);
	return rc;
}

/* A connection attempt still waits for its answer (Linux: SYN-SENT). */
static bool
syn_pending(struct tern_sock *s)
{
	/* relaxed: this socket's own memo. */
	return atomic_load_explicit(&s->connecting, memory_order_relaxed) &&
	       !(chan_flags(s) & (TERN_CHAN_CONNECTED | TERN_CHAN_DEAD));
}

/*
 * Linux's __inet_stream_connect() over the memos `connected` (SS_CONNECTED)
 * and `connecting` (SS_CONNECTING; it stays set after a non-blocking
 * connect completes or fails, until connect() is called again): the call
 * that sends the SYN says EINPROGRESS and a later one EALREADY while the
 * answer is pending (also when a blocking wait under SO_SNDTIMEO ends);
 * once answered the next call reports the outcome: 0 (and EISCONN after
 * that), or the error, after which the socket is unconnected again
 * (tcp_disconnect) and may connect anew.
 * Under a socket-module timeout (settimeout(t > 0)) the socket is
 * O_NONBLOCK underneath and the wait is Python's (internal_connect): EAGAIN
 * when it runs out, EALREADY at once on the next call, and the outcome
 * read from SO_ERROR with the socket left as the kernel has it.
 */
int
stream_connect(struct tern_sock *s, uint32_t addr, uint16_t port)
{
	/* relaxed, the memos here and below: this socket's own. */
	if (atomic_load_explicit(&s->connected, memory_order_relaxed))
		return -EISCONN;
	if (atomic_load_explicit(&s->disconnecting, memory_order_relaxed))
		return -EINVAL;   /* SS_DISCONNECTING: only AF_UNSPEC helps */
	int64_t pytimeo = atomic_load_explicit(&s->timeout_ns, memory_order_relaxed);
	int err;
	bool asked = false;   /* this call asked the stack (or raced one that did) */
	if (atomic_load_explicit(&s->connecting, memory_order_relaxed)) {
		err = EALREADY;
	} else {
		asked = true;
		struct tern_req req = { .op = TERN_REQ_CONNECT, .sock = s->slot,
					.addr = addr, .port = port };
		int rc = tern_api_request(s->rt, &req);
		/* -EALREADY: another thread's connect() won the race: as
		 * Linux's second connect, this one waits for that handshake. */
		if (rc != 0 && rc != -EALREADY)
			return rc;
		if (rc == 0)
			atomic_store_explicit(&s->connecting, true, memory_order_relaxed);
		err = rc == 0 ? EINPROGRESS : EALREADY;
	}
	/* The call that sent the SYN waits (or says EINPROGRESS) whatever
	 * came back meanwhile: Linux decides under the socket lock, before
	 * the answer can be processed. */
	if (asked || syn_pending(s)) {
		if (pytimeo > 0) {
			if (err != EINPROGRESS)
				return -err;
			int rc = sock_wait(s, ready_connected, 0,
					   tern_clock_ns() + (uint64_t)pytimeo);
			if (rc != 0)
				return rc;   /* -EAGAIN: socket.timeout */
			return -sock_take_error(s);
		}
		uint64_t deadline = sock_deadline(s, 0, &s->sndtimeo_ns);
		if (deadline == 0)
			return -err;
		int rc = sock_wait(s, ready_connected, 0, deadline);
		if (rc == -EAGAIN)
			return -err;   /* Linux: SO_SNDTIMEO ran out; still pending */
		if (rc != 0)
			return rc;
	}
	uint32_t fl = chan_flags(s);
	if ((fl & TERN_CHAN_CONNECTED) && !(fl & TERN_CHAN_DEAD)) {
		atomic_store_explicit(&s->connecting, false, memory_order_relaxed);
		atomic_store_explicit(&s->connected, true, memory_order_relaxed);
		return 0;
	}
	/* CLOSE: refused, reset, timed out, unreachable. Linux's sock_error
	 * path: the error (ECONNABORTED once it was read), then disconnect. */
	int e = sock_take_error(s);
	stream_disconnect(s);
	return -(e != 0 ? e : ECONNABORTED);
}

/* ---- send ---- */

static bool
ready_send(struct tern_sock *s, uint32_t want)
{
	uint32_t fl = chan_flags(s);
	if (fl & (TERN_CHAN_DEAD | TERN_CHAN_WR_SHUT))
		return true;
	if (atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0 ||
	    sock_closing(s))
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

/* stream_send() under the send lock. */
static ssize_t
send_locked(struct tern_sock *s, const void *buf, size_t len, uint64_t deadline)
{
	struct sock_lock *l = &s->send_lock;
	if (!(chan_flags(s) & TERN_CHAN_CONNECTED)) {
		/* Linux sk_stream_wait_connect(): the pending error first, then
		 * EPIPE unless a connect is still waiting for its answer. */
		int e = sock_take_error(s);
		if (e != 0)
			return -e;
		if (!syn_pending(s))
			return -EPIPE;
		if (deadline == 0)
			return -EAGAIN;
		int rc = sock_wait_held(s, l, ready_connected, 0, deadline);
		if (rc != 0)
			return rc;
		if (!(chan_flags(s) & TERN_CHAN_CONNECTED)) {
			e = send_error(s);
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
			/* Full: freed space must now wake epoll watchers too
			 * (Linux sets SOCK_NOSPACE here). seq_cst: Dekker with
			 * tern_chan_wake_space(); the wait re-checks. */
			atomic_fetch_or_explicit(&s->chan.flags, TERN_CHAN_NOSPACE,
						 memory_order_seq_cst);
			/* A partial write is returned as such, whatever ended the
			 * wait (timeout, close), as Linux does after a signal. */
			int rc = deadline == 0 ? -EAGAIN :
				 sock_wait_held(s, l, ready_send, (uint32_t)(len - sent),
						deadline);
			if (rc != 0)
				return sent > 0 ? (ssize_t)sent : rc;
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
			if (sock_closing(s))
				return sent > 0 ? (ssize_t)sent : -EBADF;
			if (deadline != NO_DEADLINE && tern_clock_ns() >= deadline)
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

/* One send at a time per socket (the send lock, held across sleeps), so
 * each call's bytes are contiguous in the stream whatever other threads
 * send; the deadline covers the wait for the lock too. */
ssize_t
stream_send(struct tern_sock *s, const void *buf, size_t len, int flags)
{
	if (buf == NULL && len > 0)
		return -EFAULT;
	uint64_t deadline = sock_deadline(s, flags, &s->sndtimeo_ns);
	int rc = sock_lock(s, &s->send_lock, deadline);
	if (rc != 0)
		return rc;
	ssize_t n = send_locked(s, buf, len, deadline);
	sock_unlock(&s->send_lock);
	return n;
}

/* ---- recv ---- */

static bool
ready_recv(struct tern_sock *s, uint32_t arg)
{
	(void)arg;
	return !rte_ring_empty(s->chan.rxq) ||
	       (chan_flags(s) & (TERN_CHAN_EOF | TERN_CHAN_DEAD)) != 0 ||
	       atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0 ||
	       sock_closing(s);
}

/* A peek short of SO_RCVLOWAT leaves the ring as it is: it waits for
 * @p want bytes in all (or the end, an error, close). */
static bool
ready_peek(struct tern_sock *s, uint32_t want)
{
	/* relaxed: a count (the data's own ordering is the ring's). */
	return atomic_load_explicit(&s->chan.rx_bytes, memory_order_relaxed) >= want ||
	       (chan_flags(s) & (TERN_CHAN_EOF | TERN_CHAN_DEAD)) != 0 ||
	       atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0 ||
	       sock_closing(s);
}

/* Copy up to @p want bytes from the head of the ring (@p dst NULL: count
 * them only); consume them unless @p peek. @return bytes copied. */
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
			if (dst != NULL)
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

/* stream_recv() under the recv lock. */
static ssize_t
recv_locked(struct tern_sock *s, void *buf, size_t len, int flags, uint64_t deadline)
{
	bool peek = flags & MSG_PEEK;
	bool waitall = (flags & MSG_WAITALL) && !peek;
	/* Linux sock_rcvlowat(): the call returns once it has min(SO_RCVLOWAT,
	 * len) bytes (all of len with MSG_WAITALL), or at EOF, an error or the
	 * timeout with what it has. relaxed: a setting. */
	size_t target = (size_t)atomic_load_explicit(&s->rcvlowat, memory_order_relaxed);
	if (waitall || target > len)
		target = len;
	/* Linux tcp_recvmsg(): MSG_TRUNC takes the bytes without copying. */
	uint8_t *dst = (flags & MSG_TRUNC) ? NULL : (uint8_t *)buf;
	size_t copied = 0;
	for (;;) {
		if (peek)   /* a peek looks from the head each time */
			copied = ring_copy(s, dst, len, true);
		else
			copied += ring_copy(s, dst != NULL ? dst + copied : NULL, len - copied, false);
		/* A zero-length read needs data there all the same (Linux's
		 * target is at least one byte): EAGAIN or a wait otherwise. */
		if ((copied == len && (len > 0 || !rte_ring_empty(s->chan.rxq))) ||
		    (copied > 0 && copied >= target))
			break;
		/* One peek sees one burst of the ring: enough is there when the
		 * ring holds target bytes, whatever one look showed. relaxed: a
		 * count the stack raises before it enqueues. */
		if (peek && copied > 0 &&
		    atomic_load_explicit(&s->chan.rx_bytes, memory_order_relaxed) >= target)
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
		/* MSG_WAITALL may want more than the window holds: tell the
		 * stack what was read before sleeping, or it never reopens. */
		if (copied > 0 && !peek)
			notify_read(s);
		int rc = deadline == 0 ? -EAGAIN :
			 sock_wait_held(s, &s->recv_lock, peek ? ready_peek : ready_recv,
					(uint32_t)(target < UINT32_MAX ? target : UINT32_MAX), deadline);
		if (rc != 0) {
			/* Timeout or close: what MSG_WAITALL already has is
			 * returned, as Linux does after a timeout or signal. */
			if (copied > 0)
				break;
			return rc;
		}
	}
	if (!peek && copied > 0)
		notify_read(s);
	return (ssize_t)copied;
}

/* One recv at a time per socket (the recv lock, held across sleeps): a
 * call's bytes are contiguous in the stream, so MSG_WAITALL readers sharing
 * a socket each get whole messages. The deadline covers the lock's wait. */
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
	uint64_t deadline = sock_deadline(s, flags, &s->rcvtimeo_ns);
	int rc = sock_lock(s, &s->recv_lock, deadline);
	if (rc != 0)
		return rc;
	ssize_t n = recv_locked(s, buf, len, flags, deadline);
	sock_unlock(&s->recv_lock);
	return n;
}

/* ---- shutdown ---- */

int
tern_shutdown(int fd, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return sock_get(fd) == NULL ? -1 : sock_fail(EINVAL);
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	if (s->type != SOCK_STREAM) {
		/* Linux's inet_shutdown records the direction even when it then
		 * says ENOTCONN (so pollers of an unconnected socket see
		 * POLLHUP). relaxed: read by poll and the calls as a state bit. */
		atomic_fetch_or_explicit(&s->shut, (uint32_t)how + 1, memory_order_relaxed);
		/* Linux lets a connected datagram socket shut down; else ENOTCONN. */
		/* relaxed: a hint kept by connect(). */
		int rc = atomic_load_explicit(&s->connected, memory_order_relaxed) ? 0 :
			 -ENOTCONN;
		tern_chan_wake(&s->chan);   /* pollers see the new state */
		sock_leave(s);
		return rc == 0 ? 0 : sock_fail(-rc);
	}
	/* Linux inet_shutdown(): a connect whose outcome no connect() has
	 * reported yet is settled first: SS_CONNECTED if it completed, else
	 * SS_DISCONNECTING (a pending one is then dropped below and the
	 * socket is unconnected again). relaxed: this socket's own memos. */
	if (atomic_load_explicit(&s->connecting, memory_order_relaxed)) {
		uint32_t fl = chan_flags(s);
		bool up = (fl & TERN_CHAN_CONNECTED) && !(fl & TERN_CHAN_DEAD);
		atomic_store_explicit(up ? &s->connected : &s->disconnecting, true,
				      memory_order_relaxed);
		atomic_store_explicit(&s->connecting, false, memory_order_relaxed);
	}
	struct tern_req req = { .op = TERN_REQ_SHUTDOWN, .sock = s->slot, .ival = how };
	int rc = tern_api_request(s->rt, &req);
	/* The stack says what inet_shutdown did besides its result: recorded
	 * the direction (also with ENOTCONN), or dropped a listener or a
	 * connect in progress (the socket is unconnected again). relaxed: as
	 * above. */
	if (req.ival == TERN_SHUT_DISCONNECTED)
		stream_forget(s);
	else if (req.ival != TERN_SHUT_KEPT)
		atomic_fetch_or_explicit(&s->shut, (uint32_t)how + 1, memory_order_relaxed);
	tern_chan_wake(&s->chan);   /* pollers see the new state */
	sock_leave(s);
	return rc == 0 ? 0 : sock_fail(-rc);
}

/*
 * Readiness: what poll(2) would say of a Tern socket, and tern_poll() over
 * Tern sockets and kernel descriptors together.
 *
 * The event mask follows Linux's own functions so that applications ported
 * from kernel sockets see the same bits: tcp_poll() (net/ipv4/tcp.c) for
 * stream sockets and datagram_poll()/udp_poll() for datagram ones,
 * including their surprises (a fresh TCP socket is POLLOUT|POLLHUP; a reset
 * connection is readable, writable, hung up and in error at once).
 *
 * Waiting: a waiter links a struct tern_watch into each socket's channel;
 * the stack runs it after every event (tern_chan_wake), which bumps the
 * waiter's futex word, or writes an eventfd when the waiter sleeps in the
 * kernel because kernel descriptors are in the set too.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "poll_impl.h"
#include "runtime.h"
#include "sock_impl.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#define POLL_MAX 65536u          /* entries per call (Linux: RLIMIT_NOFILE) */
#define WAIT_SPINS 1000u         /* readiness looks before sleeping */

/* ---- the mask ---- */

/* sk_stream_is_writeable(): free space at least half of what is queued
 * (sk_stream_min_wspace). */
static bool
stream_writeable(struct tern_chan *c)
{
	/* acquire: pairs with the stack's release as ACKs free the buffer. */
	uint32_t queued = atomic_load_explicit(&c->tx_bytes, memory_order_acquire);
	/* relaxed: a setting. */
	uint32_t lim = atomic_load_explicit(&c->sndbuf, memory_order_relaxed);
	return queued < lim && lim - queued >= queued / 2;
}

/* tcp_poll() of a stream socket whose channel flags are @p fl and whose
 * error is pending if @p err. */
static uint32_t
stream_mask(struct tern_sock *s, uint32_t fl, bool err)
{
	struct tern_chan *c = &s->chan;
	/* relaxed, the socket's own memos below: a racing change shows up in
	 * the next call, as with Linux's lockless tcp_poll. */
	uint32_t shut = atomic_load_explicit(&s->shut, memory_order_relaxed);
	bool listening = atomic_load_explicit(&s->listening, memory_order_relaxed);
	bool connecting = atomic_load_explicit(&s->connecting, memory_order_relaxed);
	uint32_t mask = 0;

	if (listening && !(fl & TERN_CHAN_DEAD)) {
		/* inet_csk_listen_poll(): readable when a connection waits.
		 * relaxed: a listener's rx_bytes counts them; a hint. */
		if (atomic_load_explicit(&c->rx_bytes, memory_order_relaxed) > 0)
			mask |= POLLIN | POLLRDNORM;
		return mask;
	}
	bool dead = fl & TERN_CHAN_DEAD;
	bool syn_sent = connecting && !(fl & (TERN_CHAN_CONNECTED | TERN_CHAN_DEAD));
	/* TCP_CLOSE: never connected (fresh, bound) or gone (tcp_done()). */
	bool closed = dead || (!(fl & TERN_CHAN_CONNECTED) && !connecting);
	/* tcp_done() sets SHUTDOWN_MASK; a FIN sets RCV_SHUTDOWN. */
	bool rcv_shut = dead || (fl & TERN_CHAN_EOF) || (shut & SOCK_SHUT_RD);
	bool snd_shut = dead || (fl & TERN_CHAN_WR_SHUT) || (shut & SOCK_SHUT_WR);

	if ((rcv_shut && snd_shut) || closed)
		mask |= POLLHUP;
	if (rcv_shut)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (!syn_sent) {
		/* relaxed: a level; the ring's own barriers order the data. */
		uint32_t avail = atomic_load_explicit(&c->rx_bytes, memory_order_relaxed);
		int lowat = atomic_load_explicit(&s->rcvlowat, memory_order_relaxed);
		if (avail > 0 && avail >= (uint32_t)(lowat < 1 ? 1 : lowat))
			mask |= POLLIN | POLLRDNORM;
		if (!snd_shut) {
			if (stream_writeable(c)) {
				mask |= POLLOUT | POLLWRNORM;
			} else {
				/* Ask the stack to tell watchers when space
				 * frees (SOCK_NOSPACE), then look again so a
				 * free that came first is not missed. seq_cst:
				 * Dekker with tern_chan_wake_space(). */
				atomic_fetch_or_explicit(&c->flags, TERN_CHAN_NOSPACE,
							 memory_order_seq_cst);
				if (stream_writeable(c))
					mask |= POLLOUT | POLLWRNORM;
			}
		} else {
			mask |= POLLOUT | POLLWRNORM;
		}
	}
	if (err)
		mask |= POLLERR;
	return mask;
}

#define DEATH_LOOKS 64u   /* bound on looking again while the stack publishes a death */

static uint32_t
stream_events(struct tern_sock *s)
{
	struct tern_chan *c = &s->chan;
	/* The flags, the error, the flags again: a death the stack is still
	 * publishing (DYING, or the flags moved meanwhile) is looked at again,
	 * so the error of a reset never shows without its hang-up (see
	 * tcp_chan_dead()). Bounded: the stack ends those stores at once. */
	uint32_t fl = 0, mask = 0;
	for (unsigned i = 0; i < DEATH_LOOKS; i++) {
		/* acquire: pairs with the stack's release when it sets a flag,
		 * so the data queued before the flag is seen with it. */
		fl = atomic_load_explicit(&c->flags, memory_order_acquire);
		if (fl & TERN_CHAN_DYING) {
			rte_pause();
			continue;
		}
		/* acquire: an error seen here brings DYING or DEAD into the
		 * second load (the stack set DYING before storing it). */
		bool err = atomic_load_explicit(&c->so_error, memory_order_acquire) != 0;
		mask = stream_mask(s, fl, err);
		/* acquire: as the first load. */
		if (atomic_load_explicit(&c->flags, memory_order_acquire) == fl)
			return mask;
	}
	/* relaxed: a level, as the last look saw it. */
	return stream_mask(s, fl, atomic_load_explicit(&c->so_error, memory_order_relaxed) != 0);
}

static uint32_t
dgram_events(struct tern_sock *s)
{
	struct tern_chan *c = &s->chan;
	/* relaxed: see stream_events(). */
	uint32_t shut = atomic_load_explicit(&s->shut, memory_order_relaxed);
	uint32_t mask = 0;

	/* datagram_poll(): error, shutdown, data, then writability. */
	if (atomic_load_explicit(&c->so_error, memory_order_relaxed) != 0)
		mask |= POLLERR;
	if (shut & SOCK_SHUT_RD)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (shut == (SOCK_SHUT_RD | SOCK_SHUT_WR))
		mask |= POLLHUP;
	if (!rte_ring_empty(c->rxq))
		mask |= POLLIN | POLLRDNORM;
	/* sock_writeable(): under half of SO_SNDBUF in flight. acquire: pairs
	 * with the stack's release when it sends. */
	uint32_t queued = atomic_load_explicit(&c->tx_bytes, memory_order_acquire);
	uint32_t lim = atomic_load_explicit(&c->sndbuf, memory_order_relaxed);
	if (queued < lim / 2)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}

uint32_t
sock_events(struct tern_sock *s)
{
	return s->type == SOCK_STREAM ? stream_events(s) : dgram_events(s);
}

/* ---- waiters ---- */

void
waiter_init(struct tern_waiter *w, int evfd)
{
	/* relaxed, all: not shared yet. */
	atomic_store_explicit(&w->seq, 0, memory_order_relaxed);
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
	atomic_store_explicit(&w->kernel_armed, 0, memory_order_relaxed);
	atomic_store_explicit(&w->ev_pending, 0, memory_order_relaxed);
	w->evfd = evfd;
}

void
waiter_signal(struct tern_waiter *w)
{
	/* release: a waiter that sees the new value sees the event behind it. */
	atomic_fetch_add_explicit(&w->seq, 1, memory_order_release);
	/* seq_cst: Dekker with the sleeper, which raises `sleeping` (or
	 * `kernel_armed`) and then re-reads seq: one of us sees the other. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&w->sleeping, memory_order_relaxed) != 0)
		tern_futex_wake(&w->seq);
	if (w->evfd >= 0 && atomic_load_explicit(&w->kernel_armed, memory_order_relaxed) != 0 &&
	    /* acq_rel: one signaller writes until the consumer drains. */
	    atomic_exchange_explicit(&w->ev_pending, 1, memory_order_acq_rel) == 0) {
		uint64_t one = 1;
		/* An eventfd write only fails when the counter would overflow,
		 * and then it is readable anyway. */
		ssize_t rc = write(w->evfd, &one, sizeof(one));
		(void)rc;
	}
}

void
waiter_drain(struct tern_waiter *w)
{
	if (w->evfd < 0)
		return;
	/* release: a signal after this store writes again. */
	atomic_store_explicit(&w->ev_pending, 0, memory_order_release);
	uint64_t v;
	ssize_t rc = read(w->evfd, &v, sizeof(v));   /* non-blocking: EAGAIN if empty */
	(void)rc;
}

/* Futex sleep until the waiter is signalled after @p seen, or the deadline. */
void
waiter_sleep(struct tern_waiter *w, uint32_t seen, uint64_t deadline)
{
	/* seq_cst: our half of the Dekker pairing in waiter_signal(). */
	atomic_fetch_add_explicit(&w->sleeping, 1, memory_order_seq_cst);
	uint64_t now = tern_clock_ns();
	if (deadline == NO_DEADLINE)
		tern_futex_wait(&w->seq, seen, -1);
	else if (now < deadline)
		tern_futex_wait(&w->seq, seen, (int64_t)(deadline - now));
	/* relaxed: only a hint for signallers. */
	atomic_fetch_sub_explicit(&w->sleeping, 1, memory_order_relaxed);
}

bool
waiter_block(struct tern_waiter *w, uint32_t seen, uint64_t deadline, unsigned spins,
	     bool drive, struct pollfd *kfds, nfds_t nk)
{
	if (deadline != NO_DEADLINE && tern_clock_ns() >= deadline)
		return false;
	if (drive) {
		/* An INLINE runtime's sockets: nobody else runs its stack. */
		if (tern_api_drive() == 0)
			rte_pause();
		return true;
	}
	if (spins < WAIT_SPINS) {
		rte_pause();
		return true;
	}
	if (nk == 0) {
		waiter_sleep(w, seen, deadline);
		return true;
	}
	/* Kernel descriptors too: sleep in the kernel on them and on the
	 * eventfd, which signals write while we are armed. seq_cst: Dekker
	 * with waiter_signal(), as in waiter_sleep(). */
	atomic_fetch_add_explicit(&w->kernel_armed, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&w->seq, memory_order_seq_cst) == seen) {
		kfds[nk] = (struct pollfd){ .fd = w->evfd, .events = POLLIN };
		/* An error (EINTR, a kernel descriptor gone bad) shows in the
		 * caller's next look. */
		(void)poll(kfds, nk + 1, poll_ms_left(deadline));
	}
	/* relaxed: only a hint for signallers. */
	atomic_fetch_sub_explicit(&w->kernel_armed, 1, memory_order_relaxed);
	return true;
}

uint64_t
poll_deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return NO_DEADLINE;
	return tern_clock_ns() + (uint64_t)timeout_ms * TERN_NS_PER_MS;
}

/* Milliseconds left until @p deadline, rounded up, for a kernel poll. */
int
poll_ms_left(uint64_t deadline)
{
	if (deadline == NO_DEADLINE)
		return -1;
	uint64_t now = tern_clock_ns();
	if (now >= deadline)
		return 0;
	uint64_t ms = (deadline - now + TERN_NS_PER_MS - 1) / TERN_NS_PER_MS;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* ---- tern_poll ---- */

/* One thread's eventfd for polls that include kernel descriptors: made on
 * first use, closed when the thread exits. */
static pthread_key_t evfd_key;
static pthread_once_t evfd_once = PTHREAD_ONCE_INIT;
static __thread int tl_evfd = -1;

static void
evfd_close(void *p)
{
	close((int)(intptr_t)p - 1);
}

static void
evfd_key_make(void)
{
	pthread_key_create(&evfd_key, evfd_close);
}

static int
thread_evfd(void)
{
	if (tl_evfd >= 0)
		return tl_evfd;
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -1;
	pthread_once(&evfd_once, evfd_key_make);
	pthread_setspecific(evfd_key, (void *)(intptr_t)(fd + 1));
	tl_evfd = fd;
	return fd;
}

/* A poll call's link into one socket's channel. */
struct poll_watch {
	struct tern_watch w;       /* first: the notify callback casts back */
	struct tern_waiter *waiter;
	struct tern_sock *s;
	uint32_t gen;
};

static void
poll_watch_notify(struct tern_watch *w)
{
	waiter_signal(((struct poll_watch *)w)->waiter);
}

/* The socket behind a Tern descriptor if it is still the one we watch. */
static struct tern_sock *
poll_sock(int fd)
{
	int saved = errno;
	struct tern_sock *s = sock_get(fd);
	errno = saved;
	return s;
}

static uint32_t
tern_entry_events(const struct pollfd *p, const struct poll_watch *pw)
{
	if (pw->s == NULL || poll_sock(p->fd) != pw->s ||
	    /* acquire: a new generation means the socket was closed. */
	    atomic_load_explicit(&pw->s->chan.gen, memory_order_acquire) != pw->gen)
		return POLLNVAL;
	/* POLLERR and POLLHUP are reported whether asked for or not. */
	return sock_events(pw->s) & ((uint16_t)p->events | POLLERR | POLLHUP);
}

int
tern_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	if (n > POLL_MAX)
		return sock_fail(EINVAL);
	if (fds == NULL && n > 0)
		return sock_fail(EFAULT);

	struct tern_waiter waiter;
	struct poll_watch *pw = calloc(n ? n : 1, sizeof(*pw));
	/* Kernel entries, plus one slot for our eventfd. */
	struct pollfd *kfds = calloc(n + 1, sizeof(*kfds));
	nfds_t *kmap = calloc(n ? n : 1, sizeof(*kmap));
	if (pw == NULL || kfds == NULL || kmap == NULL) {
		free(pw);
		free(kfds);
		free(kmap);
		return sock_fail(ENOMEM);
	}
	nfds_t nk = 0;
	bool drive = false;   /* an INLINE runtime: waiting must run it */
	int evfd = -1;
	for (nfds_t i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		if (fds[i].fd < TERN_FD_BASE) {
			kfds[nk] = (struct pollfd){ .fd = fds[i].fd, .events = fds[i].events };
			kmap[nk++] = i;
		}
	}
	if (nk > 0) {
		evfd = thread_evfd();
		if (evfd < 0) {
			int e = errno;
			free(pw);
			free(kfds);
			free(kmap);
			return sock_fail(e);
		}
	}
	waiter_init(&waiter, evfd);
	for (nfds_t i = 0; i < n; i++) {
		if (fds[i].fd < TERN_FD_BASE)
			continue;
		struct tern_sock *s = poll_sock(fds[i].fd);
		if (s == NULL)
			continue;   /* reported as POLLNVAL below */
		pw[i].s = s;
		pw[i].waiter = &waiter;
		pw[i].w.notify = poll_watch_notify;
		/* acquire: the generation this descriptor had when we looked. */
		pw[i].gen = atomic_load_explicit(&s->chan.gen, memory_order_acquire);
		tern_chan_watch_add(&s->chan, &pw[i].w);
		if (s->rt->mode == TERN_MODE_INLINE)
			drive = true;
	}

	uint64_t deadline = poll_deadline(timeout_ms);
	int ready = 0;
	for (unsigned spins = 0;; spins++) {
		/* acquire: events signalled after this load change seq. */
		uint32_t seen = atomic_load_explicit(&waiter.seq, memory_order_acquire);
		ready = 0;
		for (nfds_t i = 0; i < n; i++) {
			if (fds[i].fd < TERN_FD_BASE)
				continue;
			fds[i].revents = (short)tern_entry_events(&fds[i], &pw[i]);
			ready += fds[i].revents != 0;
		}
		if (nk > 0) {
			int k = poll(kfds, nk, 0);
			if (k < 0) {
				ready = -1;
				break;
			}
			for (nfds_t j = 0; j < nk; j++) {
				fds[kmap[j]].revents = kfds[j].revents;
				ready += kfds[j].revents != 0;
			}
		}
		if (ready > 0 || timeout_ms == 0)
			break;
		if (!waiter_block(&waiter, seen, deadline, spins, drive, kfds, nk))
			break;
		if (nk > 0)
			waiter_drain(&waiter);
	}
	int e = errno;
	for (nfds_t i = 0; i < n; i++)
		if (pw[i].s != NULL)
			tern_chan_watch_del(&pw[i].s->chan, &pw[i].w);
	/* The watchers are unlinked under their channels' locks, so no
	 * signal is in flight any more: an eventfd write that raced with
	 * our last look is drained here, not by the next poll. */
	if (evfd >= 0)
		waiter_drain(&waiter);
	free(pw);
	free(kfds);
	free(kmap);
	if (ready < 0)
		return sock_fail(e);
	return ready;
}

/* ---- close ---- */

void
sock_watch_close(struct tern_sock *s)
{
	tern_chan_watch_clear(&s->chan);
}

/*
 * The socket calls of tern.h: descriptors, argument checks with Linux's
 * errno values, datagram copy in and out of mbufs, and blocking. Called by
 * applications on any thread; speaks to the stack only through sockif.h
 * (requests, submitted mbufs, the per-socket struct tern_chan).
 *
 * Descriptors: a process-wide table maps fd - TERN_FD_BASE to a socket; each
 * runtime owns an array of sockets indexed by the stack's slot number, so a
 * slot's channel (and its rx ring and generation) outlives reuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <netinet/tcp.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_peek.h>

#include "runtime.h"
#include "sockif.h"
#include "sock_impl.h"
#include "stack.h"
#include "tern.h"

#define FD_MAX TERN_FD_MAX         /* descriptors in the process-wide table */
#define RXQ_SIZE 1024u             /* entries of a socket's inbound ring */
#define BUF_DEFAULT 212992u        /* Linux net.core.{r,w}mem_default */
#define UDP_MAX_PAYLOAD 65507u     /* 65535 - 20 (IPv4) - 8 (UDP) */
#define TTL_DEFAULT 64             /* Linux net.ipv4.ip_default_ttl */
#define WAIT_SPIN 2000u            /* ready checks before sleeping (LCORE) */
#define NOMBUF_WAIT_NS (100 * TERN_NS_PER_MS) /* retry an empty pool this long */
#define LOCK_NB_WAIT_NS TERN_NS_PER_MS /* non-blocking: wait this long for a running holder */



/* The sockets of one runtime and the FIFO of free slot numbers (FIFO so a
 * slot is reused as late as possible). The mutex is taken by socket() and
 * close() only. */
struct tern_socktab {
	struct tern_sock *socks;
	uint32_t *free;
	uint32_t cap, head, count;
	pthread_mutex_t lock;
};

static struct tern_sock *_Atomic fd_table[FD_MAX];
static bool fd_taken[FD_MAX];      /* guarded by fd_lock */
static uint32_t fd_low;            /* no free index below this (guarded) */
static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;

int
sock_fail(int err)
{
	errno = err;
	return -1;
}

/* ---- descriptors and slots ---- */

struct tern_sock *
sock_get(int fd)
{
	if (fd < TERN_FD_BASE || (unsigned)(fd - TERN_FD_BASE) >= FD_MAX) {
		errno = EBADF;
		return NULL;
	}
	/* acquire: pairs with the release store in tern_socket_rt(), so the
	 * socket's fields are seen initialised. */
	struct tern_sock *s = atomic_load_explicit(&fd_table[fd - TERN_FD_BASE],
						   memory_order_acquire);
	if (s == NULL)
		errno = epoll_is(fd) ? ENOTSOCK : EBADF;
	return s;
}

/*
 * Calls and close (how a socket stays valid under a thread inside a call):
 * a call counts itself in s->calls, then re-reads the descriptor; close()
 * first unpublishes the descriptor, then marks the socket closing, wakes
 * every waiter, and waits for calls to drop to zero before the stack's
 * CLOSE and the slot's release. Both sides are Dekker pairs (store, then
 * load the other's word, all seq_cst): a call that still sees the
 * descriptor is seen by close in `calls`, and a call that leaves after
 * close looked sees `closing` and wakes it.
 */
struct tern_sock *
sock_enter(int fd)
{
	for (;;) {
		struct tern_sock *s = sock_get(fd);
		if (s == NULL)
			return NULL;
		/* seq_cst: the call's half of the pairing with tern_close(). */
		atomic_fetch_add_explicit(&s->calls, 1, memory_order_seq_cst);
		/* seq_cst: read after the increment (see above). Still ours:
		 * close() will wait for us. Else the slot was closed (and maybe
		 * reused) between the two reads: look the descriptor up again. */
		if (atomic_load_explicit(&fd_table[fd - TERN_FD_BASE],
					 memory_order_seq_cst) == s)
			return s;
		sock_leave(s);
	}
}

void
sock_leave(struct tern_sock *s)
{
	/* seq_cst: the decrement is the store of the pairing, `closing` the
	 * load; the last call out of a closing socket wakes the closer. */
	if (atomic_fetch_sub_explicit(&s->calls, 1, memory_order_seq_cst) == 1 &&
	    sock_closing(s)) {
		int saved = errno;
		tern_futex_wake(&s->calls);
		errno = saved;
	}
}

/* ---- per-socket call locks ---- */

/* A queued waiter's state (its futex word). */
#define LOCKW_WAITING 0u
#define LOCKW_GRANTED 1u     /* the holder handed the lock over */
#define LOCKW_LOOK    2u     /* close(): look at `closing` */

static void
futex_wake_one(_Atomic uint32_t *word)
{
	int saved = errno;
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	errno = saved;
}

static bool
lock_try(struct sock_lock *l)
{
	uint32_t free_word = 0;
	/* acquire: the previous holder's release in sock_unlock() hands over
	 * what it did under the lock (the partly read head mbuf, say). */
	return atomic_compare_exchange_strong_explicit(&l->word, &free_word, 1,
						       memory_order_acquire,
						       memory_order_relaxed);
}

/* Non-blocking: a holder that runs (copying) is done soon, as Linux's
 * lock_sock() owner is; one that sleeps found no data or no room, which is
 * our answer too, and so is a queue of blocked callers ahead of us (a
 * queued lock is handed over without ever being free). Bounded in time in
 * case the holder is preempted. */
static int
lock_nonblocking(struct tern_sock *s, struct sock_lock *l)
{
	uint64_t until = 0;
	for (unsigned i = 1;; i++) {
		if (sock_closing(s))
			return -EBADF;
		/* relaxed, both: hints; a wrong guess costs one EAGAIN or one
		 * more spin. */
		if (atomic_load_explicit(&l->waiting, memory_order_relaxed) ||
		    atomic_load_explicit(&l->word, memory_order_relaxed) == 2)
			return -EAGAIN;
		if (lock_try(l))
			return 0;
		if (i % 64 == 0) {
			uint64_t now = tern_clock_ns();
			if (until == 0)
				until = now + LOCK_NB_WAIT_NS;
			else if (now >= until)
				return -EAGAIN;
			sched_yield();
		}
		rte_pause();
	}
}

/* Take @p w off the queue (under qlock). */
static void
lock_dequeue(struct sock_lock *l, struct sock_lock_waiter *w)
{
	struct sock_lock_waiter **pp = &l->head, *prev = NULL;
	while (*pp != NULL && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp == NULL)
		return;
	*pp = w->next;
	if (l->tail == w)
		l->tail = prev;
}

/* We hold @p l: fine, unless the socket is closing. */
static int
lock_owned(struct tern_sock *s, struct sock_lock *l)
{
	if (!sock_closing(s))
		return 0;
	sock_unlock(l);
	return -EBADF;
}

int
sock_lock(struct tern_sock *s, struct sock_lock *l, uint64_t deadline)
{
	if (lock_try(l))
		return 0;
	if (deadline == 0)
		return lock_nonblocking(s, l);
	for (unsigned i = 0; i < WAIT_SPIN; i++) {
		if (sock_closing(s))
			return -EBADF;
		if (lock_try(l))
			return 0;
		rte_pause();
	}

	/* Queue up. word 1 -> 2 under qlock with the enqueue, so that an
	 * unlock that finds 2 also finds a waiter (or an empty queue that an
	 * abandoning waiter left, see below). */
	struct sock_lock_waiter me = { .next = NULL };
	/* relaxed: not shared until queued, under qlock. */
	atomic_store_explicit(&me.state, LOCKW_WAITING, memory_order_relaxed);
	pthread_mutex_lock(&l->qlock);
	for (;;) {
		if (sock_closing(s)) {
			pthread_mutex_unlock(&l->qlock);
			return -EBADF;
		}
		if (lock_try(l)) {
			pthread_mutex_unlock(&l->qlock);
			return 0;
		}
		uint32_t held = 1;
		/* relaxed: qlock orders the queue; only the value matters. */
		if (atomic_load_explicit(&l->word, memory_order_relaxed) == 2 ||
		    atomic_compare_exchange_strong_explicit(&l->word, &held, 2,
							    memory_order_relaxed,
							    memory_order_relaxed))
			break;
		/* The holder let go meanwhile: try again. */
	}
	if (l->tail != NULL)
		l->tail->next = &me;
	else
		l->head = &me;
	l->tail = &me;
	pthread_mutex_unlock(&l->qlock);

	for (;;) {
		/* acquire: pairs with the release store of GRANTED, which hands
		 * over the previous holder's work, or of LOOK after `closing`. */
		uint32_t st = atomic_load_explicit(&me.state, memory_order_acquire);
		if (st == LOCKW_GRANTED)
			return lock_owned(s, l);
		uint64_t now = 0;
		bool late = false;
		if (deadline != NO_DEADLINE) {
			now = tern_clock_ns();
			late = now >= deadline;
		}
		if (late || sock_closing(s)) {
			pthread_mutex_lock(&l->qlock);
			/* relaxed: qlock orders it with the granting unlock. */
			if (atomic_load_explicit(&me.state, memory_order_relaxed) ==
			    LOCKW_GRANTED) {
				pthread_mutex_unlock(&l->qlock);
				/* acquire: as above, now that we own it. */
				atomic_thread_fence(memory_order_acquire);
				return lock_owned(s, l);
			}
			lock_dequeue(l, &me);
			if (l->head == NULL)
				/* relaxed: still held (by the holder), nobody queued. */
				atomic_store_explicit(&l->word, 1, memory_order_relaxed);
			pthread_mutex_unlock(&l->qlock);
			return sock_closing(s) ? -EBADF : -EAGAIN;
		}
		tern_futex_wait(&me.state, LOCKW_WAITING,
				deadline == NO_DEADLINE ? -1 : (int64_t)(deadline - now));
	}
}

void
sock_unlock(struct sock_lock *l)
{
	uint32_t held = 1;
	/* release: pairs with the next holder's acquire in lock_try(). */
	if (atomic_compare_exchange_strong_explicit(&l->word, &held, 0,
						    memory_order_release,
						    memory_order_relaxed))
		return;
	/* Waiters: hand the lock to the first, FIFO; word never reads free, so
	 * nobody can take it in between. */
	pthread_mutex_lock(&l->qlock);
	struct sock_lock_waiter *w = l->head;
	if (w == NULL) {
		/* The last waiter gave up (timeout, close) after we saw 2.
		 * release: as above. */
		atomic_store_explicit(&l->word, 0, memory_order_release);
	} else {
		l->head = w->next;
		if (l->head == NULL) {
			l->tail = NULL;
			/* relaxed: held (by w), nobody queued; qlock orders it. */
			atomic_store_explicit(&l->word, 1, memory_order_relaxed);
		}
		/* release: w's acquire load sees our work under the lock. Once
		 * w sees GRANTED it may return and its node (on its stack) go
		 * away: the wake below may then hit a dead address, harmless
		 * since every futex waiter re-checks its condition. */
		atomic_store_explicit(&w->state, LOCKW_GRANTED, memory_order_release);
		futex_wake_one(&w->state);
	}
	pthread_mutex_unlock(&l->qlock);
}

/* close(): every queued waiter looks at `closing` (set before this). */
static void
lock_wake_all(struct sock_lock *l)
{
	pthread_mutex_lock(&l->qlock);
	for (struct sock_lock_waiter *w = l->head; w != NULL; w = w->next) {
		uint32_t waiting = LOCKW_WAITING;
		/* release: the waiter's acquire of LOOK sees `closing`. */
		if (atomic_compare_exchange_strong_explicit(&w->state, &waiting, LOCKW_LOOK,
							    memory_order_release,
							    memory_order_relaxed))
			futex_wake_one(&w->state);
	}
	pthread_mutex_unlock(&l->qlock);
}

/* Reserve the lowest free descriptor index (POSIX's rule). @return index or -1. */
int
sock_fd_alloc(void)
{
	int idx = -1;
	pthread_mutex_lock(&fd_lock);
	for (uint32_t i = fd_low; i < FD_MAX; i++) {
		if (!fd_taken[i]) {
			fd_taken[i] = true;
			fd_low = i + 1;
			idx = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&fd_lock);
	if (idx >= 0)
		sock_fd_flags_set((uint32_t)idx, 0);   /* no FD_CLOEXEC, no F_SETFL flags */
	return idx;
}

void
sock_fd_release(uint32_t idx)
{
	pthread_mutex_lock(&fd_lock);
	fd_taken[idx] = false;
	if (idx < fd_low)
		fd_low = idx;
	pthread_mutex_unlock(&fd_lock);
}

static struct tern_sock *
slot_alloc(struct tern_rt *rt)
{
	struct tern_socktab *t = rt->socks;
	struct tern_sock *s = NULL;
	pthread_mutex_lock(&t->lock);
	if (t->count > 0) {
		s = &t->socks[t->free[t->head]];
		t->head = (t->head + 1) % t->cap;
		t->count--;
	}
	pthread_mutex_unlock(&t->lock);
	return s;
}

static void
slot_release(struct tern_sock *s)
{
	struct tern_socktab *t = s->rt->socks;
	pthread_mutex_lock(&t->lock);
	t->free[(t->head + t->count) % t->cap] = s->slot;
	t->count++;
	pthread_mutex_unlock(&t->lock);
}

/* Free whatever is left in a socket's inbound ring (no producer runs). */
static void
rxq_drain(struct tern_sock *s)
{
	void *m;
	if (s->chan.rxq == NULL)
		return;
	while (rte_ring_dequeue(s->chan.rxq, &m) == 0)
		rte_pktmbuf_free(m);
	/* relaxed: the stack no longer serves this slot. */
	atomic_store_explicit(&s->chan.rx_bytes, 0, memory_order_relaxed);
}

int
tern_api_socks_init(struct tern_rt *rt, uint32_t max_sockets)
{
	if (max_sockets == 0)
		return -EINVAL;
	struct tern_socktab *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->socks = aligned_alloc(RTE_CACHE_LINE_SIZE,
				 RTE_ALIGN_CEIL(sizeof(*t->socks) * max_sockets,
						RTE_CACHE_LINE_SIZE));
	t->free = calloc(max_sockets, sizeof(*t->free));
	if (t->socks == NULL || t->free == NULL) {
		free(t->socks);
		free(t->free);
		free(t);
		return -ENOMEM;
	}
	memset(t->socks, 0, sizeof(*t->socks) * max_sockets);
	for (uint32_t i = 0; i < max_sockets; i++) {
		t->socks[i].rt = rt;
		t->socks[i].slot = i;
		t->socks[i].fd = -1;
		pthread_mutex_init(&t->socks[i].send_lock.qlock, NULL);
		pthread_mutex_init(&t->socks[i].recv_lock.qlock, NULL);
		t->free[i] = i;
	}
	t->cap = t->count = max_sockets;
	t->head = 0;
	pthread_mutex_init(&t->lock, NULL);
	rt->socks = t;
	return 0;
}

void
tern_api_socks_close_all(struct tern_rt *rt)
{
	struct tern_socktab *t = rt->socks;
	for (uint32_t i = 0; i < t->cap; i++) {
		struct tern_sock *s = &t->socks[i];
		if (s->fd < 0)
			continue;
		uint32_t idx = (uint32_t)(s->fd - TERN_FD_BASE);
		/* release: later callers see EBADF; nothing else to publish. */
		atomic_store_explicit(&fd_table[idx], NULL, memory_order_release);
		sock_fd_release(idx);
		s->fd = -1;
	}
}

void
tern_api_socks_fini(struct tern_rt *rt)
{
	struct tern_socktab *t = rt->socks;
	for (uint32_t i = 0; i < t->cap; i++) {
		struct tern_sock *s = &t->socks[i];
		rxq_drain(s);
		free(s->chan.rxq);
		s->chan.rxq = NULL;
		pthread_mutex_destroy(&s->send_lock.qlock);
		pthread_mutex_destroy(&s->recv_lock.qlock);
	}
	pthread_mutex_destroy(&t->lock);
	free(t->socks);
	free(t->free);
	free(t);
	rt->socks = NULL;
}

/* Prepare a slot's channel for a new socket. The ring is made once per slot
 * with rte_ring_init on our own memory (no memzone, no name to make unique). */
static int
chan_init(struct tern_sock *s)
{
	struct tern_chan *c = &s->chan;
	if (c->rxq == NULL) {
		ssize_t sz = rte_ring_get_memsize(RXQ_SIZE);
		void *mem = NULL;
		if (sz < 0 || posix_memalign(&mem, RTE_CACHE_LINE_SIZE, (size_t)sz) != 0)
			return -ENOMEM;
		if (rte_ring_init(mem, "tern_rxq", RXQ_SIZE,
				  RING_F_SP_ENQ | RING_F_MC_HTS_DEQ) != 0) {
			free(mem);
			return -ENOMEM;
		}
		c->rxq = mem;
	} else {
		rxq_drain(s);
	}
	/* relaxed, all: the slot is not served by the stack until the OPEN
	 * request, and the submit ring's enqueue releases these stores. */
	atomic_store_explicit(&c->rx_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&c->tx_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&c->rcvbuf, BUF_DEFAULT, memory_order_relaxed);
	atomic_store_explicit(&c->sndbuf, BUF_DEFAULT, memory_order_relaxed);
	atomic_store_explicit(&c->so_error, 0, memory_order_relaxed);
	atomic_store_explicit(&c->flags, 0, memory_order_relaxed);
	atomic_store_explicit(&s->connecting, false, memory_order_relaxed);
	atomic_store_explicit(&s->disconnecting, false, memory_order_relaxed);
	atomic_store_explicit(&s->listening, false, memory_order_relaxed);
	atomic_store_explicit(&c->waiters, 0, memory_order_relaxed);
	/* The previous socket's close() waited for its calls, so nobody looks
	 * at this flag until sock_publish() releases it. `calls` is left as is:
	 * a stale sock_enter() may still be counted and will leave. */
	atomic_store_explicit(&s->closing, false, memory_order_relaxed);
	atomic_store_explicit(&s->timeout_ns, -1, memory_order_relaxed);
	atomic_store_explicit(&s->rcvtimeo_ns, -1, memory_order_relaxed);
	atomic_store_explicit(&s->sndtimeo_ns, -1, memory_order_relaxed);
	atomic_store_explicit(&s->broadcast, false, memory_order_relaxed);
	atomic_store_explicit(&s->reuseaddr, false, memory_order_relaxed);
	atomic_store_explicit(&s->connected, false, memory_order_relaxed);
	atomic_store_explicit(&s->ttl, TTL_DEFAULT, memory_order_relaxed);
	atomic_store_explicit(&s->shut, 0, memory_order_relaxed);
	atomic_store_explicit(&s->rcvlowat, 1, memory_order_relaxed);
	sock_opts_init(s);
	return 0;
}

/* ---- blocking ---- */

/* Deadline of a blocking call: 0 = do not wait, NO_DEADLINE = forever.
 * Both the socket module's timeout and SO_RCVTIMEO/SO_SNDTIMEO apply; the
 * shorter wins. */
uint64_t
sock_deadline(const struct tern_sock *s, int flags, _Atomic int64_t *sotimeo)
{
	/* relaxed: settings; a call racing with a change sees either value. */
	int64_t t = atomic_load_explicit(&s->timeout_ns, memory_order_relaxed);
	int64_t k = atomic_load_explicit(sotimeo, memory_order_relaxed);
	if ((flags & MSG_DONTWAIT) || t == 0 || k == 0)
		return 0;
	int64_t w = t;
	if (k > 0 && (w < 0 || k < w))
		w = k;
	return w < 0 ? NO_DEADLINE : tern_clock_ns() + (uint64_t)w;
}


static bool
so_error_pending(struct tern_sock *s)
{
	/* relaxed: a hint; the caller takes the error with an exchange. */
	return atomic_load_explicit(&s->chan.so_error, memory_order_relaxed) != 0;
}

/* @p arg: also when the socket is shut for reading. */
static bool
ready_rx(struct tern_sock *s, uint32_t arg)
{
	/* relaxed: a state bit (shutdown() wakes the waiters after it). */
	return !rte_ring_empty(s->chan.rxq) || so_error_pending(s) || sock_closing(s) ||
	       (arg != 0 && (atomic_load_explicit(&s->shut, memory_order_relaxed) & SOCK_SHUT_RD));
}

/* Room in SO_SNDBUF for @p len more bytes (one datagram may always go). */
static bool
ready_tx(struct tern_sock *s, uint32_t len)
{
	/* acquire: pairs with the stack's release when it subtracts what it
	 * sent, so the buffer space we see is really free. */
	uint32_t tx = atomic_load_explicit(&s->chan.tx_bytes, memory_order_acquire);
	/* relaxed: a setting. */
	uint32_t lim = atomic_load_explicit(&s->chan.sndbuf, memory_order_relaxed);
	return tx == 0 || (uint64_t)tx + len <= lim || so_error_pending(s) ||
	       sock_closing(s);
}

/*
 * Wait until ready(s, arg) or the deadline (> now). INLINE: drive the inline
 * stacks. LCORE: spin briefly, then sleep on chan.wseq. The stack's side is:
 * produce; seq_cst fence; if (waiters) { bump wseq; futex wake }. close()
 * sets `closing`, then bumps wseq and wakes unconditionally.
 * @return 0 when ready, -EAGAIN at the deadline, -EBADF when closing.
 */
int
sock_wait(struct tern_sock *s, sock_ready_fn ready, uint32_t arg, uint64_t deadline)
{
	struct tern_chan *c = &s->chan;

	if (s->rt->mode == TERN_MODE_INLINE) {
		for (;;) {
			if (sock_closing(s))
				return -EBADF;
			if (ready(s, arg))
				return 0;
			if (deadline != NO_DEADLINE && tern_clock_ns() >= deadline)
				return -EAGAIN;
			if (tern_api_drive() == 0)
				rte_pause();
		}
	}

	for (unsigned i = 0; i < WAIT_SPIN; i++) {
		if (sock_closing(s))
			return -EBADF;
		if (ready(s, arg))
			return 0;
		rte_pause();
	}
	for (;;) {
		/* acquire: read the sequence before re-checking the condition,
		 * so an event published after this load changes the word and
		 * the futex wait returns at once. */
		uint32_t seq = atomic_load_explicit(&c->wseq, memory_order_acquire);
		/* seq_cst: Dekker pairing with the stack's seq_cst fence between
		 * its enqueue and its load of waiters: either it sees us waiting
		 * (and wakes us) or our re-check below sees its data. */
		atomic_fetch_add_explicit(&c->waiters, 1, memory_order_seq_cst);
		/* seq_cst: orders the re-check's plain acquire loads (ring tail,
		 * tx_bytes) after the increment in C11 terms, not just on x86. */
		atomic_thread_fence(memory_order_seq_cst);
		bool ok = sock_closing(s) || ready(s, arg);
		uint64_t now = tern_clock_ns();
		if (!ok && (deadline == NO_DEADLINE || now < deadline))
			tern_futex_wait(&c->wseq, seq,
					deadline == NO_DEADLINE ? -1 :
					(int64_t)(deadline - now));
		/* relaxed: the count is only a hint for the stack's wake. */
		atomic_fetch_sub_explicit(&c->waiters, 1, memory_order_relaxed);
		if (sock_closing(s))
			return -EBADF;
		if (ok || ready(s, arg))
			return 0;
		if (deadline != NO_DEADLINE && tern_clock_ns() >= deadline)
			return -EAGAIN;
	}
}

int
sock_wait_held(struct tern_sock *s, struct sock_lock *l, sock_ready_fn ready,
	       uint32_t arg, uint64_t deadline)
{
	/* relaxed: a hint for non-blocking contenders (see sock_lock()). */
	atomic_store_explicit(&l->waiting, true, memory_order_relaxed);
	int rc = sock_wait(s, ready, arg, deadline);
	atomic_store_explicit(&l->waiting, false, memory_order_relaxed);
	return rc;
}

/* ---- addresses ---- */

static bool
is_broadcast(const struct tern_rt *rt, uint32_t a)
{
	if (a == INADDR_BROADCAST)
		return true;
	/* RFC 3021: /31 and /32 have no directed broadcast address. */
	if (rt->netmask >= 0xfffffffeu)
		return false;
	return a == ((rt->ip & rt->netmask) | ~rt->netmask);
}

/* Parse an AF_INET destination as Linux's connect/sendto do.
 * @return 0 or -errno. */
static int
dest_parse(const struct sockaddr *sa, socklen_t len, uint32_t *addr, uint16_t *port)
{
	if (sa == NULL || len < sizeof(struct sockaddr_in))
		return -EINVAL;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	if (sin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*addr = ntohl(sin->sin_addr.s_addr);
	*port = ntohs(sin->sin_port);
	return 0;
}

void
sock_name_out(uint32_t addr, uint16_t port, struct sockaddr *sa, socklen_t *len)
{
	if (sa == NULL || len == NULL)
		return;
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons(port);
	/* POSIX: truncate to the caller's buffer, report the full length. */
	size_t n = *len < sizeof(sin) ? *len : sizeof(sin);
	memcpy(sa, &sin, n);
	*len = sizeof(sin);
}

/* ---- socket, bind, connect, close ---- */

int
tern_socket(int domain, int type, int protocol)
{
	return tern_socket_rt(tern_api_default_rt(), domain, type, protocol);
}

struct tern_sock *
sock_reserve(struct tern_rt *rt, int type, int *idx, int *err)
{
	struct tern_sock *s = slot_alloc(rt);
	if (s == NULL) {
		*err = EMFILE;
		return NULL;
	}
	*idx = sock_fd_alloc();
	if (*idx < 0) {
		slot_release(s);
		*err = EMFILE;
		return NULL;
	}
	int rc = chan_init(s);
	if (rc != 0) {
		sock_fd_release((uint32_t)*idx);
		slot_release(s);
		*err = -rc;
		return NULL;
	}
	s->type = type;
	return s;
}

void
sock_unreserve(struct tern_sock *s, int idx)
{
	sock_fd_release((uint32_t)idx);
	slot_release(s);
}

int
sock_publish(struct tern_sock *s, int idx)
{
	s->fd = TERN_FD_BASE + idx;
	/* release: publish the initialised socket to other threads' sock_get(). */
	atomic_store_explicit(&fd_table[idx], s, memory_order_release);
	return s->fd;
}

int
sock_take_error(struct tern_sock *s)
{
	/* acquire: pairs with the stack's release store of the error. */
	return atomic_exchange_explicit(&s->chan.so_error, 0, memory_order_acquire);
}

int
tern_socket_rt(struct tern_rt *rt, int domain, int type, int protocol)
{
	if (domain != AF_INET)
		return sock_fail(EAFNOSUPPORT);
	if (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf))
		return sock_fail(EINVAL);
	int base = type & 0xf;
	if (base > SOCK_PACKET)   /* Linux __sock_create: type >= SOCK_MAX */
		return sock_fail(EINVAL);
	if (base != SOCK_DGRAM && base != SOCK_STREAM)
		return sock_fail(ESOCKTNOSUPPORT);
	if (protocol != 0 && protocol != (base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return sock_fail(EPROTONOSUPPORT);
	/* acquire: a runtime seen live was initialised before it was published. */
	if (rt == NULL || !atomic_load_explicit(&rt->live, memory_order_acquire))
		return sock_fail(ENETDOWN);

	int idx, err;
	struct tern_sock *s = sock_reserve(rt, base, &idx, &err);
	if (s == NULL)
		return sock_fail(err);
	if (type & SOCK_NONBLOCK)
		/* relaxed: not yet shared (published below). */
		atomic_store_explicit(&s->timeout_ns, 0, memory_order_relaxed);
	if (type & SOCK_CLOEXEC)
		sock_fd_flags_set((uint32_t)idx, FD_CLOEXEC);
	struct tern_req req = {
		.op = TERN_REQ_OPEN, .sock = s->slot, .type = base, .chan = &s->chan,
	};
	int rc = tern_api_request(rt, &req);
	if (rc != 0) {
		sock_unreserve(s, idx);
		return sock_fail(-rc);
	}
	return sock_publish(s, idx);
}

/* @return 0 or -errno. */
static int
sock_bind(struct tern_sock *s, const struct sockaddr *addr, socklen_t len)
{
	/* Linux move_addr_to_kernel(): a length past sockaddr_storage is
	 * EINVAL, an address it cannot read EFAULT; then inet_bind's own
	 * length check. */
	if (len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	if (addr == NULL && len > 0)
		return -EFAULT;
	if (addr == NULL || len < sizeof(struct sockaddr_in))
		return -EINVAL;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	uint32_t a = ntohl(sin->sin_addr.s_addr);
	/* Linux inet_bind: AF_UNSPEC is tolerated for INADDR_ANY only. */
	if (sin->sin_family != AF_INET &&
	    (sin->sin_family != AF_UNSPEC || a != INADDR_ANY))
		return -EAFNOSUPPORT;
	/* Linux: the address must be local, broadcast or multicast (the stack
	 * decides on multicast). */
	if (a != INADDR_ANY && a != s->rt->ip && !is_broadcast(s->rt, a) &&
	    !IN_MULTICAST(a))
		return -EADDRNOTAVAIL;
	struct tern_req req = {
		.op = TERN_REQ_BIND, .sock = s->slot, .addr = a,
		.port = ntohs(sin->sin_port),
	};
	return tern_api_request(s->rt, &req);
}

int
tern_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	int rc = sock_bind(s, addr, len);
	sock_leave(s);
	return rc == 0 ? 0 : sock_fail(-rc);
}

/* @return 0 or -errno. */
static int
sock_connect_in(struct tern_sock *s, const struct sockaddr *addr, socklen_t len)
{
	/* Linux inet_dgram_connect: AF_UNSPEC needs only the family field. */
	if (addr == NULL || len < sizeof(addr->sa_family))
		return -EINVAL;
	if (s->type == SOCK_STREAM) {
		/* Linux __inet_stream_connect(): AF_UNSPEC disconnects. */
		if (addr->sa_family == AF_UNSPEC)
			return stream_disconnect(s);
		uint32_t a;
		uint16_t p;
		int rc = dest_parse(addr, len, &a, &p);
		return rc != 0 ? rc : stream_connect(s, a, p);
	}
	struct tern_req req = { .op = TERN_REQ_CONNECT, .sock = s->slot };
	if (addr->sa_family == AF_UNSPEC) {
		req.unspec = true;
	} else {
		int rc = dest_parse(addr, len, &req.addr, &req.port);
		if (rc != 0)
			return rc;
		/* relaxed: a setting. Linux ip4_datagram_connect: EACCES. */
		if (is_broadcast(s->rt, req.addr) &&
		    !atomic_load_explicit(&s->broadcast, memory_order_relaxed))
			return -EACCES;
	}
	int rc = tern_api_request(s->rt, &req);
	if (rc == 0)
		/* relaxed: a hint for send(); the stack holds the real peer. */
		atomic_store_explicit(&s->connected, !req.unspec, memory_order_relaxed);
	return rc;
}

/* @return 0 or -errno. */
static int
sock_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -errno;
	int rc = sock_connect_in(s, addr, len);
	sock_leave(s);
	return rc;
}

int
tern_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int rc = sock_connect(fd, addr, len);
	return rc == 0 ? 0 : sock_fail(-rc);
}

int
tern_connect_ex(int fd, const struct sockaddr *addr, socklen_t len)
{
	return -sock_connect(fd, addr, len);
}

/* Make every call inside @p s return (blocking ones with EBADF: Linux
 * would let them block on, see tern_close() in tern.h) and wait until the
 * last has left. */
static void
sock_close_calls(struct tern_sock *s)
{
	/* seq_cst: the store of the pairing with sock_leave(). */
	atomic_store_explicit(&s->closing, true, memory_order_seq_cst);
	/* release: a sleeper that sees the new wseq sees `closing`. Always
	 * bump and wake: the futex compares wseq, so no sleeper can miss it. */
	atomic_fetch_add_explicit(&s->chan.wseq, 1, memory_order_release);
	tern_futex_wake(&s->chan.wseq);
	lock_wake_all(&s->send_lock);
	lock_wake_all(&s->recv_lock);
	for (;;) {
		/* seq_cst: the load of the pairing with sock_enter(). */
		uint32_t n = atomic_load_explicit(&s->calls, memory_order_seq_cst);
		if (n == 0)
			break;
		/* The last call out wakes us (sock_leave()); a changed count
		 * makes the wait return at once. */
		tern_futex_wait(&s->calls, n, -1);
	}
}

int
tern_close(int fd)
{
	if (epoll_is(fd)) {
		int rc = epoll_close(fd);
		return rc == 0 ? 0 : sock_fail(-rc);
	}
	struct tern_sock *s = sock_get(fd);
	if (s == NULL)
		return -1;
	uint32_t idx = (uint32_t)(fd - TERN_FD_BASE);
	/* seq_cst: only one closer wins the descriptor; later calls see EBADF.
	 * The store of the pairing with sock_enter()'s re-read. */
	if (!atomic_compare_exchange_strong_explicit(&fd_table[idx], &s, NULL,
						     memory_order_seq_cst,
						     memory_order_relaxed))
		return sock_fail(EBADF);
	sock_close_calls(s);
	/* Linux drops a closed socket from every epoll set. */
	sock_watch_close(s);
	struct tern_req req = { .op = TERN_REQ_CLOSE, .sock = s->slot };
	tern_api_request(s->rt, &req);
	/* release: datagrams still in the submit ring carry the old generation
	 * and are dropped by the stack once the slot serves a new socket. */
	atomic_fetch_add_explicit(&s->chan.gen, 1, memory_order_release);
	rxq_drain(s);
	s->fd = -1;
	sock_fd_release(idx);
	slot_release(s);
	return 0;
}

/* ---- send ---- */


/* @return bytes sent or -errno. */
static ssize_t
sock_send(struct tern_sock *s, const void *buf, size_t len, int flags,
	  const struct sockaddr *to, socklen_t tolen)
{
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_STREAM) {
		/* Linux tcp_sendmsg ignores a destination on a stream socket. */
		(void)to;
		(void)tolen;
		return stream_send(s, buf, len, flags);
	}
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (buf == NULL && len > 0)
		return -EFAULT;

	uint32_t addr = 0;
	uint16_t port = 0, mflags = 0;
	if (to != NULL) {
		if (tolen < sizeof(struct sockaddr_in))
			return -EINVAL;
		const struct sockaddr_in *sin = (const struct sockaddr_in *)to;
		/* Linux udp_sendmsg tolerates AF_UNSPEC as AF_INET. */
		if (sin->sin_family != AF_INET && sin->sin_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		addr = ntohl(sin->sin_addr.s_addr);
		port = ntohs(sin->sin_port);
		if (port == 0)
			return -EINVAL;
		/* relaxed: a setting. Linux: EACCES without SO_BROADCAST. */
		if (is_broadcast(s->rt, addr) &&
		    !atomic_load_explicit(&s->broadcast, memory_order_relaxed))
			return -EACCES;
		mflags = TERN_META_TO_ADDR;
	} else if (!atomic_load_explicit(&s->connected, memory_order_relaxed)) {
		/* relaxed above: a hint kept by connect(). */
		return -EDESTADDRREQ;
	}

	/* acquire: pairs with the stack's release of the error it recorded. */
	int32_t err = atomic_exchange_explicit(&s->chan.so_error, 0, memory_order_acquire);
	if (err != 0)
		return -err;
	/* Linux sock_alloc_send_pskb(): after the pending error, a socket
	 * shut for sending says EPIPE. relaxed: a state bit. */
	if (atomic_load_explicit(&s->shut, memory_order_relaxed) & SOCK_SHUT_WR)
		return -EPIPE;

	uint64_t deadline = sock_deadline(s, flags, &s->sndtimeo_ns);
	while (!ready_tx(s, (uint32_t)len)) {
		if (deadline == 0)
			return -EAGAIN;
		int rc = sock_wait(s, ready_tx, (uint32_t)len, deadline);
		if (rc != 0)
			return rc;
		err = atomic_exchange_explicit(&s->chan.so_error, 0,
					       memory_order_acquire);  /* as above */
		if (err != 0)
			return -err;
	}

	struct rte_mempool *mp = tern_stack_pool(s->rt->stack);
	struct rte_mbuf *m = tern_mbuf_from_buf(mp, buf, len, 0);
	if (m == NULL) {
		/* The pool is shared with the stack: wait for it to free some,
		 * briefly, as Linux waits for socket memory. */
		uint64_t until = deadline == 0 ? 0 : tern_clock_ns() + NOMBUF_WAIT_NS;
		if (deadline != NO_DEADLINE && until > deadline)
			until = deadline;
		while (m == NULL && until != 0 && tern_clock_ns() < until &&
		       !sock_closing(s)) {
			if (s->rt->mode == TERN_MODE_INLINE)
				tern_api_drive();
			else
				sched_yield();
			m = tern_mbuf_from_buf(mp, buf, len, 0);
		}
		if (m == NULL)
			return -ENOBUFS;
	}
	struct tern_mbuf_meta *meta = tern_mbuf_meta(m);
	meta->addr = addr;
	meta->port = port;
	meta->flags = mflags;
	meta->sock = s->slot;
	/* relaxed: only close() changes gen, and not while this socket is open. */
	meta->gen = atomic_load_explicit(&s->chan.gen, memory_order_relaxed);

	/* relaxed: a counter; the submit ring's enqueue orders it before the
	 * stack sees the datagram and subtracts. */
	atomic_fetch_add_explicit(&s->chan.tx_bytes, (uint32_t)len, memory_order_relaxed);
	int rc = tern_api_submit(s->rt, m, deadline == 0 ? 64 : 0);
	if (rc != 0) {
		/* relaxed: undo our own addition. */
		atomic_fetch_sub_explicit(&s->chan.tx_bytes, (uint32_t)len,
					  memory_order_relaxed);
		rte_pktmbuf_free(m);
		return -EAGAIN;
	}
	return (ssize_t)len;
}

ssize_t
tern_send(int fd, const void *buf, size_t len, int flags)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	ssize_t rc = sock_send(s, buf, len, flags, NULL, 0);
	sock_leave(s);
	return rc >= 0 ? rc : sock_fail((int)-rc);
}

ssize_t
tern_sendto(int fd, const void *buf, size_t len, int flags,
	    const struct sockaddr *to, socklen_t tolen)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	ssize_t rc = sock_send(s, buf, len, flags, to, tolen);
	sock_leave(s);
	return rc >= 0 ? rc : sock_fail((int)-rc);
}

/* ---- receive ---- */

/* Copy a datagram out; @return what recv returns for it. */
static ssize_t
datagram_copy(const struct rte_mbuf *m, void *buf, size_t len, int flags,
	      struct sockaddr *from, socklen_t *fromlen)
{
	uint32_t n = m->pkt_len < len ? m->pkt_len : (uint32_t)len;
	if (n > 0 && buf != NULL) {
		const void *p = rte_pktmbuf_read(m, 0, n, buf);
		if (p != NULL && p != buf)
			memcpy(buf, p, n);
	}
	const struct tern_mbuf_meta *meta = rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)m);
	sock_name_out(meta->addr, meta->port, from, fromlen);
	/* Linux: MSG_TRUNC returns the datagram's real length. */
	return (flags & MSG_TRUNC) ? (ssize_t)m->pkt_len : (ssize_t)n;
}

/* @return bytes or -errno. */
static ssize_t
sock_recv(struct tern_sock *s, void *buf, size_t len, int flags,
	  struct sockaddr *from, socklen_t *fromlen)
{
	if (buf == NULL && len > 0)
		return -EFAULT;
	if (s->type == SOCK_STREAM)
		return stream_recv(s, buf, len, flags, from, fromlen);
	struct rte_ring *q = s->chan.rxq;
	uint64_t deadline = NO_DEADLINE;
	bool deadline_set = false;
	for (;;) {
		void *obj;
		if (flags & MSG_PEEK) {
			/* HTS peek: the head stays in the ring, and no other
			 * consumer can take it until we finish with 0. */
			if (rte_ring_dequeue_burst_start(q, &obj, 1, NULL) == 1) {
				ssize_t r = datagram_copy(obj, buf, len, flags, from, fromlen);
				rte_ring_dequeue_finish(q, 0);
				return r;
			}
		} else if (rte_ring_dequeue(q, &obj) == 0) {
			struct rte_mbuf *m = obj;
			ssize_t r = datagram_copy(m, buf, len, flags, from, fromlen);
			/* release: the stack's acquire load of rx_bytes sees the
			 * space once we are done with the datagram. */
			atomic_fetch_sub_explicit(&s->chan.rx_bytes, m->pkt_len,
						  memory_order_release);
			rte_pktmbuf_free(m);
			return r;
		}
		/* acquire: pairs with the stack's release of the error. Linux
		 * reports e.g. ECONNREFUSED to a connected socket's recv. */
		int32_t err = atomic_exchange_explicit(&s->chan.so_error, 0,
						       memory_order_acquire);
		if (err != 0)
			return -err;
		if (!deadline_set) {
			deadline = sock_deadline(s, flags, &s->rcvtimeo_ns);
			deadline_set = true;
		}
		if (deadline == 0)
			return -EAGAIN;
		/* Linux __skb_wait_for_more_packets(): a receive that would
		 * block ends at once with 0 when the socket is shut for reading.
		 * Under a socket-module timeout the kernel socket never blocks
		 * (Python waits, and sees EAGAIN to the end). relaxed: settings. */
		bool kblock = atomic_load_explicit(&s->timeout_ns, memory_order_relaxed) < 0;
		if (kblock && (atomic_load_explicit(&s->shut, memory_order_relaxed) & SOCK_SHUT_RD))
			return 0;
		int rc = sock_wait(s, ready_rx, kblock, deadline);
		if (rc != 0)
			return rc;
	}
}

ssize_t
tern_recv(int fd, void *buf, size_t len, int flags)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	ssize_t rc = sock_recv(s, buf, len, flags, NULL, NULL);
	sock_leave(s);
	return rc >= 0 ? rc : sock_fail((int)-rc);
}

ssize_t
tern_recvfrom(int fd, void *buf, size_t len, int flags,
	      struct sockaddr *from, socklen_t *fromlen)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	ssize_t rc = sock_recv(s, buf, len, flags, from, fromlen);
	sock_leave(s);
	return rc >= 0 ? rc : sock_fail((int)-rc);
}

/* ---- names ---- */

static int
sock_getname(int fd, struct sockaddr *addr, socklen_t *len, bool peer)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	if (addr == NULL || len == NULL) {
		sock_leave(s);
		return sock_fail(EFAULT);
	}
	struct tern_req req = { .op = TERN_REQ_GETNAME, .sock = s->slot };
	int rc = tern_api_request(s->rt, &req);
	sock_leave(s);
	if (rc != 0)
		return sock_fail(-rc);
	if (peer) {
		if (req.ival == 0)
			return sock_fail(ENOTCONN);
		sock_name_out(req.raddr, req.rport, addr, len);
	} else {
		sock_name_out(req.addr, req.port, addr, len);
	}
	return 0;
}

int
tern_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return sock_getname(fd, addr, len, false);
}

int
tern_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return sock_getname(fd, addr, len, true);
}

/* ---- options: sockopt.c ---- */

/* ---- socket module timeouts ---- */

int
tern_settimeout(int fd, double seconds)
{
	if (isnan(seconds))
		return sock_get(fd) == NULL ? -1 : sock_fail(EINVAL);
	/* Entered like any call, so a racing close cannot hand us the slot's
	 * next socket. */
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	int64_t ns;
	if (seconds < 0)
		ns = -1;
	else if (seconds == 0)
		ns = 0;
	else if (seconds >= (double)INT64_MAX / 1e9)
		ns = -1;
	else {
		ns = (int64_t)(seconds * 1e9);
		if (ns == 0)
			ns = 1;
	}
	/* relaxed: a setting, read by the next blocking call. */
	atomic_store_explicit(&s->timeout_ns, ns, memory_order_relaxed);
	sock_leave(s);
	return 0;
}

int
tern_setblocking(int fd, bool blocking)
{
	/* socket module: setblocking(True) is settimeout(None),
	 * setblocking(False) is settimeout(0.0). */
	return tern_settimeout(fd, blocking ? -1.0 : 0.0);
}

double
tern_gettimeout(int fd)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1.0;
	/* relaxed: a setting. */
	int64_t ns = atomic_load_explicit(&s->timeout_ns, memory_order_relaxed);
	sock_leave(s);
	return ns < 0 ? -1.0 : (double)ns / 1e9;
}

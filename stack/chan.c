/*
 * The channel's mechanics between the stack core and application threads:
 * futex helpers, socket-channel wake, request completion (the stack wakes
 * and completes; api/ waits), and copying payload into mbufs (api/ sends).
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <stdbool.h>
#include <string.h>

#include <rte_spinlock.h>

#include "sockif.h"

int
tern_futex_wait(_Atomic uint32_t *word, uint32_t expect, int64_t timeout_ns)
{
	struct timespec ts, *tp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tp = &ts;
	}
	/* Private futex: every waiter and waker is in this process. */
	long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expect, tp, NULL, 0);
	return r == 0 ? 0 : -errno;
}

void
tern_futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void
tern_chan_wake(struct tern_chan *c)
{
	/* Pairs with the waiter's seq_cst increment of `waiters` before it
	 * re-checks the queue (Dekker): either it sees what we just produced,
	 * or we see it waiting. Without the fence both could miss. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&c->waiters, memory_order_relaxed) != 0) {
		/* release: the waiter that sees the new seq sees the event too. */
		atomic_fetch_add_explicit(&c->wseq, 1, memory_order_release);
		tern_futex_wake(&c->wseq);
	}
	/* relaxed: ordered by the fence above, paired with the seq_cst
	 * increment in tern_chan_watch_add() (same Dekker argument). */
	if (atomic_load_explicit(&c->nwatch, memory_order_relaxed) != 0) {
		rte_spinlock_lock(&c->wlock);
		for (struct tern_watch *w = c->watch; w != NULL; w = w->next)
			w->notify(w);
		rte_spinlock_unlock(&c->wlock);
	}
}

/* sk_stream_is_writeable(): free space at least half of what is queued. */
static bool
stream_writeable(const struct tern_chan *c)
{
	/* relaxed: both are levels; the caller fenced. */
	uint32_t queued = atomic_load_explicit(&((struct tern_chan *)c)->tx_bytes,
					       memory_order_relaxed);
	uint32_t lim = atomic_load_explicit(&((struct tern_chan *)c)->sndbuf,
					    memory_order_relaxed);
	return queued < lim && lim - queued >= queued / 2;
}

void
tern_chan_wake_space(struct tern_chan *c)
{
	/* seq_cst: as in tern_chan_wake(); also pairs with the api's seq_cst
	 * set of NOSPACE before it re-checks the space (Dekker). */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&c->waiters, memory_order_relaxed) != 0) {
		/* release: see tern_chan_wake(). */
		atomic_fetch_add_explicit(&c->wseq, 1, memory_order_release);
		tern_futex_wake(&c->wseq);
	}
	/* relaxed: ordered by the fence above. */
	if (atomic_load_explicit(&c->nwatch, memory_order_relaxed) == 0 ||
	    !(atomic_load_explicit(&c->flags, memory_order_relaxed) & TERN_CHAN_NOSPACE) ||
	    !stream_writeable(c))
		return;
	/* acq_rel: one waker clears it and runs the watchers. */
	if (!(atomic_fetch_and_explicit(&c->flags, ~TERN_CHAN_NOSPACE, memory_order_acq_rel) &
	      TERN_CHAN_NOSPACE))
		return;
	rte_spinlock_lock(&c->wlock);
	for (struct tern_watch *w = c->watch; w != NULL; w = w->next)
		w->notify(w);
	rte_spinlock_unlock(&c->wlock);
}

void
tern_chan_watch_add(struct tern_chan *c, struct tern_watch *w)
{
	rte_spinlock_lock(&c->wlock);
	w->next = c->watch;
	if (w->next != NULL)
		w->next->pprev = &w->next;
	w->pprev = &c->watch;
	c->watch = w;
	/* seq_cst: the watcher's half of the Dekker pairing; its readiness
	 * check follows this increment, the waker's fence precedes its load. */
	atomic_fetch_add_explicit(&c->nwatch, 1, memory_order_seq_cst);
	rte_spinlock_unlock(&c->wlock);
}

static void
watch_unlink(struct tern_chan *c, struct tern_watch *w)
{
	*w->pprev = w->next;
	if (w->next != NULL)
		w->next->pprev = w->pprev;
	w->next = NULL;
	w->pprev = NULL;
	/* relaxed: the lock orders it against the wakers that read it under
	 * the lock; an unlocked reader only skips or takes the lock early. */
	atomic_fetch_sub_explicit(&c->nwatch, 1, memory_order_relaxed);
}

void
tern_chan_watch_del(struct tern_chan *c, struct tern_watch *w)
{
	rte_spinlock_lock(&c->wlock);
	if (w->pprev != NULL)
		watch_unlink(c, w);
	rte_spinlock_unlock(&c->wlock);
}

void
tern_chan_watch_clear(struct tern_chan *c)
{
	rte_spinlock_lock(&c->wlock);
	while (c->watch != NULL) {
		struct tern_watch *w = c->watch;
		w->notify(w);
		watch_unlink(c, w);
		if (w->detached != NULL)
			w->detached(w);
	}
	rte_spinlock_unlock(&c->wlock);
}

void
tern_req_complete(struct tern_req *r, int32_t result)
{
	r->result = result;
	/* acq_rel: the submitter's acquire load of DONE sees `result`. After
	 * this store the request may already be gone (it lives on the
	 * submitter's stack); a wake on a dead futex address is harmless
	 * because every waiter re-checks its condition. */
	uint32_t old = atomic_exchange_explicit(&r->state, TERN_REQ_DONE, memory_order_acq_rel);
	if (old == TERN_REQ_WAITING)
		tern_futex_wake(&r->state);
}

struct rte_mbuf *
tern_mbuf_from_buf(struct rte_mempool *mp, const void *buf, size_t len, size_t seg_max)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(mp);
	if (head == NULL)
		return NULL;
	struct rte_mbuf *cur = head;
	const uint8_t *p = buf;
	size_t left = len;
	for (;;) {
		size_t n = rte_pktmbuf_tailroom(cur);
		if (seg_max != 0 && n > seg_max)
			n = seg_max;
		if (n > left)
			n = left;
		if (n > 0) {
			memcpy(rte_pktmbuf_mtod(cur, uint8_t *), p, n);
			cur->data_len = (uint16_t)n;
			p += n;
			left -= n;
		}
		if (left == 0)
			break;
		struct rte_mbuf *next = rte_pktmbuf_alloc(mp);
		if (next == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		cur->next = next;
		head->nb_segs++;
		cur = next;
	}
	head->pkt_len = (uint32_t)len;
	return head;
}

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

#include <string.h>

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

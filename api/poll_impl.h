/*
 * Private to api/: the waiter shared by tern_poll() (poll.c) and the epoll
 * sets (epoll.c). A waiter is signalled by channel watchers from any thread
 * (usually the stack's); it sleeps on a futex, or in the kernel on an
 * eventfd when kernel descriptors are waited on at the same time.
 */
#ifndef TERN_API_POLL_IMPL_H
#define TERN_API_POLL_IMPL_H

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct tern_waiter {
	_Atomic uint32_t seq;          /* futex word: bumped by every signal */
	_Atomic uint32_t sleeping;     /* threads in a futex wait on seq */
	_Atomic uint32_t kernel_armed; /* a thread sleeps in the kernel: write evfd */
	_Atomic uint32_t ev_pending;   /* evfd written and not drained yet */
	int evfd;                      /* eventfd, or -1 */
};

void waiter_init(struct tern_waiter *w, int evfd);
/** Wake the waiter (any thread; cheap when nobody sleeps). */
void waiter_signal(struct tern_waiter *w);
/** Consume the eventfd's count so it can be written again. */
void waiter_drain(struct tern_waiter *w);
/** Sleep until signalled after @p seen (a seq value read before the
 *  caller's last readiness check) or until @p deadline. */
void waiter_sleep(struct tern_waiter *w, uint32_t seen, uint64_t deadline);
/**
 * One pause of a readiness loop whose last look (begun after reading
 * @p seen from w->seq) found nothing: drive INLINE stacks (@p drive), spin
 * (@p spins counts the looks so far), then sleep on the futex, or in the
 * kernel on @p kfds[0..nk) plus the waiter's eventfd (kfds has room for
 * nk + 1 entries). @return false once @p deadline has passed.
 */
bool waiter_block(struct tern_waiter *w, uint32_t seen, uint64_t deadline, unsigned spins,
		  bool drive, struct pollfd *kfds, nfds_t nk);
/** poll()'s timeout (ms, < 0 = forever) as an absolute deadline. */
uint64_t poll_deadline(int timeout_ms);
/** Milliseconds to @p deadline, rounded up (-1 forever, 0 passed). */
int poll_ms_left(uint64_t deadline);

#endif

/*
 * Private interface between the two halves of api/: runtime.c (runtimes,
 * request submission, the inline driver) and socket.c (descriptors and the
 * socket calls). Nothing here is part of the public contract in tern.h.
 *
 * Call chain: tern_<call>() in socket.c -> tern_api_request() or
 * tern_stack_submit() -> the stack's MPSC ring; while a call waits, an
 * INLINE runtime is driven by tern_api_drive() from the waiting thread.
 */
#ifndef TERN_API_RUNTIME_H
#define TERN_API_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tern.h"

struct rte_mempool;
struct tern_req;
struct tern_socktab;

/** Most runtimes one process may run at once. */
#define TERN_RT_MAX 16

/* One runtime: a stack, its port and pool, its sockets and (LCORE) its thread.
 * Runtimes live in a static array and are never freed, so a thread that read
 * a stale pointer from the list still touches valid memory (see live). */
struct tern_rt {
	_Atomic bool live;        /* published in the runtime list and usable */
	_Atomic bool polling;     /* INLINE: a thread is inside tern_stack_poll() */
	_Atomic bool stop;        /* LCORE: ask the stack loop to return */
	bool in_use;              /* slot taken (guarded by the runtime list mutex) */
	enum tern_mode mode;
	bool external_clock;      /* INLINE, the owner's clock: see tern_drive_at() */
	_Atomic uint64_t vnow;    /* external_clock: the last time tern_drive_at() gave */
	unsigned lcore;
	bool launched;
	struct tern_stack *stack;
	struct rte_mempool *pool;
	bool own_pool;
	struct tern_port *port;      /* what the stack drives (maybe the impair wrapper) */
	struct tern_port *own_port;  /* opened by tern_start (ethdev), closed by tern_stop */
	struct tern_port *impair;    /* impairment wrapper, or NULL */
	uint32_t ip;                 /* host order */
	uint32_t netmask;            /* host order */
	struct tern_socktab *socks;  /* socket.c's per-runtime slots */
};

/**
 * Submit @p req to @p rt's stack and wait for its completion (spin then futex
 * in LCORE mode; driving the inline stacks in INLINE mode).
 * @return req->result: 0 or -errno.
 */
int tern_api_request(struct tern_rt *rt, struct tern_req *req);

/**
 * Hand @p obj (an mbuf or a tagged request) to @p rt's stack, retrying while
 * its ring is full: yield (LCORE) or drive the inline stacks (INLINE).
 * @p max_tries 0 = forever. @return 0, or -ENOBUFS after max_tries attempts.
 */
int tern_api_submit(struct tern_rt *rt, void *obj, unsigned max_tries);

/** Run one iteration of every live INLINE stack that no other thread is
 *  polling. @return the work done (0 = all idle). */
unsigned tern_api_drive(void);

/** The runtime tern_socket() uses, or NULL. */
struct tern_rt *tern_api_default_rt(void);

/* socket.c: per-runtime socket slots, created by tern_start(). @return 0 or -errno. */
int tern_api_socks_init(struct tern_rt *rt, uint32_t max_sockets);
/* socket.c: unpublish every descriptor of @p rt (calls then fail with EBADF). */
void tern_api_socks_close_all(struct tern_rt *rt);
/* socket.c: free the slots, their rings and any mbufs left in them; after
 * the stack is destroyed. */
void tern_api_socks_fini(struct tern_rt *rt);

#endif

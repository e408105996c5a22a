/*
 * Runtimes: EAL start-up, one stack per runtime with its pool and port, the
 * LCORE stack loop, and how an application thread hands requests to a stack
 * and waits for them. Called by applications (tern_start/tern_stop/tern_poll)
 * and by socket.c (tern_api_request/tern_api_submit/tern_api_drive).
 *
 * The runtime list is a small static array: a mutex guards start and stop
 * only; the fast path reads each slot's live flag with acquire loads.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include "impair.h"
#include "port.h"
#include "runtime.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

/* ThreadSanitizer cannot see the synchronisation inside EAL (built without
 * it): rte_eal_wait_lcore() waits for the worker with atomics in
 * librte_eal. These two annotations state that edge (the worker's last
 * touch of the stack happens before tern_stop() frees it). No-ops
 * otherwise. */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define RT_TSAN_RELEASE(p) __tsan_release(p)
#define RT_TSAN_ACQUIRE(p) __tsan_acquire(p)
#else
#define RT_TSAN_RELEASE(p) ((void)(p))
#define RT_TSAN_ACQUIRE(p) ((void)(p))
#endif

/* Reads of a request's state before sleeping on it (LCORE mode). */
#define REQ_SPIN 2000u
#define RT_DEFAULT_MBUFS 8191u
#define RT_POOL_CACHE 256u

static struct tern_rt rt_slots[TERN_RT_MAX];
static pthread_mutex_t rt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tern_rt *_Atomic rt_default;
static _Atomic unsigned rt_pool_seq;

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* EAL keeps a runtime directory (/var/run/dpdk/<file-prefix>) for secondary
 * processes, which Tern does not use; left behind, every run with a unique
 * prefix (as tests need) adds one more. Remove ours at exit. */
static void
eal_cleanup_at_exit(void)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int
tern_eal_init(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		errno = rte_errno != 0 ? rte_errno : EINVAL;
		return -1;
	}
	atexit(eal_cleanup_at_exit);
	/* The poll loops read the clock on every iteration: a cheap one is
	 * worth 10 ms once (stack/clock.c). */
	tern_clock_calibrate();
	return n;
}

/* One stack iteration with the clock read now; the impairment layer sees
 * the same clock so its delays need no sleeping. */
static unsigned
rt_poll_once(struct tern_rt *rt)
{
	/* An externally clocked stack never sees time move unless its owner
	 * moves it: waiting calls poll it at the owner's last time. relaxed:
	 * the polling flag orders this with the owner's store. */
	uint64_t now = rt->external_clock ?
		atomic_load_explicit(&rt->vnow, memory_order_relaxed) : tern_clock_ns();
	if (rt->impair != NULL)
		tern_impair_set_now(rt->impair, now);
	return tern_stack_poll(rt->stack, now);
}

static int
rt_loop(void *arg)
{
	struct tern_rt *rt = arg;
	/* acquire: pairs with the release store in tern_stop(); nothing after
	 * the loop depends on it, but the flag is the thread's only input. */
	while (!atomic_load_explicit(&rt->stop, memory_order_acquire))
		rt_poll_once(rt);
	RT_TSAN_RELEASE(rt);
	return 0;
}

/* Poll @p rt if no other thread is polling it. */
static unsigned
rt_try_poll(struct tern_rt *rt)
{
	unsigned work = 0;
	/* acquire: whoever polled before us released the stack's state with
	 * the store below; we now own the stack for one iteration. */
	if (atomic_exchange_explicit(&rt->polling, true, memory_order_acquire))
		return 0;
	/* relaxed: tern_stop() clears live and then takes polling itself, so
	 * while we hold polling the stack cannot be destroyed under us; a
	 * runtime already unpublished is simply skipped. */
	if (atomic_load_explicit(&rt->live, memory_order_relaxed))
		work = rt_poll_once(rt);
	/* release: publish the stack state we changed to the next poller. */
	atomic_store_explicit(&rt->polling, false, memory_order_release);
	return work;
}

unsigned
tern_api_drive(void)
{
	unsigned work = 0;
	for (unsigned i = 0; i < TERN_RT_MAX; i++) {
		struct tern_rt *rt = &rt_slots[i];
		/* acquire: pairs with the release store of live in tern_start(),
		 * so mode and stack are seen initialised. */
		if (!atomic_load_explicit(&rt->live, memory_order_acquire) ||
		    rt->mode != TERN_MODE_INLINE)
			continue;
		work += rt_try_poll(rt);
	}
	return work;
}

unsigned
tern_drive_at(struct tern_rt *rt, uint64_t now)
{
	if (rt == NULL || rt->mode != TERN_MODE_INLINE)
		return 0;
	unsigned work = 0;
	/* Same ownership protocol as rt_try_poll(), but wait for the stack
	 * rather than skip it: the owner's clock step must happen. */
	while (atomic_exchange_explicit(&rt->polling, true, memory_order_acquire))
		rte_pause();
	/* relaxed: see rt_try_poll(). */
	if (atomic_load_explicit(&rt->live, memory_order_relaxed)) {
		/* relaxed: read back only by pollers, who hold the flag. */
		atomic_store_explicit(&rt->vnow, now, memory_order_relaxed);
		if (rt->impair != NULL)
			tern_impair_set_now(rt->impair, now);
		work = tern_stack_poll(rt->stack, now);
	}
	/* release: publish the stack state to the next poller. */
	atomic_store_explicit(&rt->polling, false, memory_order_release);
	return work;
}

unsigned
tern_drive(struct tern_rt *rt)
{
	if (rt == NULL || rt->mode != TERN_MODE_INLINE)
		return 0;
	return rt_try_poll(rt);
}

/* Let the stack make progress while we cannot: an LCORE stack runs by
 * itself, an INLINE one only when some application thread drives it. */
static void
rt_backoff(struct tern_rt *rt)
{
	if (rt->mode == TERN_MODE_INLINE) {
		if (tern_api_drive() == 0)
			rte_pause();
	} else {
		sched_yield();
	}
}

/* INLINE: if no other thread is running the stack, carry the request out
 * here and now (tern_stack_dispatch), as Linux runs a send in the caller's
 * system call: no trip through the submit ring, no wait for the next poll,
 * and the segment is on the wire when send() returns. @return whether it
 * was done. */
static bool
rt_try_dispatch(struct tern_rt *rt, void *obj)
{
	bool done = false;
	/* acquire/release: the polling flag's protocol (rt_try_poll). */
	if (atomic_exchange_explicit(&rt->polling, true, memory_order_acquire))
		return false;
	/* relaxed: see rt_try_poll(). */
	if (atomic_load_explicit(&rt->live, memory_order_relaxed)) {
		uint64_t now = rt->external_clock ?
			atomic_load_explicit(&rt->vnow, memory_order_relaxed) : tern_clock_ns();
		if (rt->impair != NULL)
			tern_impair_set_now(rt->impair, now);
		tern_stack_dispatch(rt->stack, obj, now);
		done = true;
	}
	atomic_store_explicit(&rt->polling, false, memory_order_release);
	return done;
}

/* Through the submit ring, retrying while it is full. */
static int
submit_ring(struct tern_rt *rt, void *obj, unsigned max_tries)
{
	for (unsigned tries = 1;; tries++) {
		int rc = tern_stack_submit(rt->stack, obj);
		if (rc != -ENOBUFS)
			return rc;
		if (max_tries != 0 && tries >= max_tries)
			return -ENOBUFS;
		rt_backoff(rt);
	}
}

int
tern_api_submit(struct tern_rt *rt, void *obj, unsigned max_tries)
{
	/* Data (a send's mbufs, a window update) is carried out at once where
	 * it can be. Control requests (tern_api_request) keep the ring: in a
	 * connect/request/close loop (crr, tern-bench A/B over memif) carrying
	 * each out on its own cost about 8% of the rate that batching them into
	 * the next poll gives. */
	if (rt->mode == TERN_MODE_INLINE && rt_try_dispatch(rt, obj))
		return 0;
	return submit_ring(rt, obj, max_tries);
}

int
tern_api_request(struct tern_rt *rt, struct tern_req *req)
{
	req->result = 0;
	/* relaxed: the request is not shared yet; the submit ring's enqueue
	 * releases every field of *req to the stack. */
	atomic_store_explicit(&req->state, TERN_REQ_PENDING, memory_order_relaxed);
	submit_ring(rt, tern_req_tag(req), 0);

	if (rt->mode == TERN_MODE_INLINE) {
		/* acquire: pairs with the stack's release of DONE in
		 * tern_req_complete(), making result and out fields visible. */
		while (atomic_load_explicit(&req->state, memory_order_acquire) !=
		       TERN_REQ_DONE) {
			if (tern_api_drive() == 0)
				rte_pause();
		}
		return req->result;
	}

	for (unsigned i = 0; i < REQ_SPIN; i++) {
		/* acquire: as above. */
		if (atomic_load_explicit(&req->state, memory_order_acquire) ==
		    TERN_REQ_DONE)
			return req->result;
		rte_pause();
	}
	uint32_t expect = TERN_REQ_PENDING;
	/* acq_rel: on success we announce that we sleep (the stack's exchange
	 * to DONE then sees WAITING and wakes us); on failure the state is DONE
	 * and acquire makes the result visible. */
	if (atomic_compare_exchange_strong_explicit(&req->state, &expect,
						    TERN_REQ_WAITING,
						    memory_order_acq_rel,
						    memory_order_acquire)) {
		do {
			tern_futex_wait(&req->state, TERN_REQ_WAITING, -1);
			/* acquire: as above. */
		} while (atomic_load_explicit(&req->state, memory_order_acquire) !=
			 TERN_REQ_DONE);
	}
	return req->result;
}

struct tern_rt *
tern_api_default_rt(void)
{
	/* acquire: pairs with the release store in tern_start(); the runtime
	 * it points to was initialised before it was published. */
	return atomic_load_explicit(&rt_default, memory_order_acquire);
}

struct tern_stack *
tern_rt_stack(struct tern_rt *rt)
{
	return rt != NULL ? rt->stack : NULL;
}

void
tern_stats(struct tern_rt *rt, struct tern_stats *out)
{
	if (rt == NULL)
		rt = tern_api_default_rt();
	if (rt == NULL || rt->stack == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	tern_stack_stats_read(rt->stack, out);
}

/* Pick the lcore for an LCORE runtime: the one asked for, or the first idle
 * worker. @return 0 or -errno. */
static int
rt_pick_lcore(const struct tern_conf *conf, unsigned *out)
{
	if (conf->stack_lcore != 0) {
		unsigned l = conf->stack_lcore;
		if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l) ||
		    l == rte_get_main_lcore())
			return -EINVAL;
		if (rte_eal_get_lcore_state(l) != WAIT)
			return -EBUSY;
		*out = l;
		return 0;
	}
	for (unsigned l = rte_get_next_lcore(-1, 1, 0); l < RTE_MAX_LCORE;
	     l = rte_get_next_lcore(l, 1, 0)) {
		bool taken = false;
		for (unsigned i = 0; i < TERN_RT_MAX; i++) {
			const struct tern_rt *o = &rt_slots[i];
			if (o->in_use && o->launched && o->lcore == l)
				taken = true;
		}
		if (!taken && rte_eal_get_lcore_state(l) == WAIT) {
			*out = l;
			return 0;
		}
	}
	return rte_lcore_count() > 1 ? -EBUSY : -ENODEV;
}

/* Undo what tern_start() built, in reverse; the runtime is not live. */
static void
rt_teardown(struct tern_rt *rt)
{
	if (rt->launched) {
		/* release: the loop's acquire load ends it; nothing else to publish. */
		atomic_store_explicit(&rt->stop, true, memory_order_release);
		rte_eal_wait_lcore(rt->lcore);
		RT_TSAN_ACQUIRE(rt);
		rt->launched = false;
	}
	if (rt->socks != NULL)
		tern_api_socks_close_all(rt);
	if (rt->stack != NULL) {
		tern_stack_destroy(rt->stack);
		rt->stack = NULL;
	}
	if (rt->socks != NULL)
		tern_api_socks_fini(rt);
	if (rt->impair != NULL) {
		tern_port_close(rt->impair);
		rt->impair = NULL;
	}
	if (rt->own_port != NULL) {
		tern_port_close(rt->own_port);
		rt->own_port = NULL;
	}
	if (rt->own_pool && rt->pool != NULL) {
		/* An mbuf still out (in a port we do not own, say) would later be
		 * freed into a freed pool: leak the pool rather than corrupt. */
		if (rte_mempool_avail_count(rt->pool) == rt->pool->size)
			rte_mempool_free(rt->pool);
		else
			fprintf(stderr, "tern_stop: pool %s: %u mbufs still out, not freed\n",
				rt->pool->name,
				rt->pool->size - rte_mempool_avail_count(rt->pool));
	}
	rt->pool = NULL;
	rt->port = NULL;
}

/* Build the runtime in @p rt (reserved, not live). @return 0 or -errno. */
static int
rt_build(struct tern_rt *rt, const struct tern_conf *conf)
{
	uint16_t mtu = conf->mtu != 0 ? conf->mtu : 1500;

	if (conf->pool != NULL) {
		rt->pool = conf->pool;
	} else {
		char name[RTE_MEMPOOL_NAMESIZE];
		/* relaxed: only uniqueness of the number matters. */
		unsigned seq = atomic_fetch_add_explicit(&rt_pool_seq, 1,
							 memory_order_relaxed);
		snprintf(name, sizeof(name), "tern_rt%u", seq);
		unsigned n = conf->nb_mbufs != 0 ? conf->nb_mbufs : RT_DEFAULT_MBUFS;
		uint32_t room = (uint32_t)mtu + 14 + 4 + RTE_PKTMBUF_HEADROOM;
		if (room < RTE_MBUF_DEFAULT_BUF_SIZE)
			room = RTE_MBUF_DEFAULT_BUF_SIZE;
		if (room > UINT16_MAX)
			return -EINVAL;
		unsigned cache = n / 2 < RT_POOL_CACHE ? 0 : RT_POOL_CACHE;
		/* Application threads allocate (send) and free (recv) mbufs
		 * too; not being EAL lcores they have no mempool cache and may
		 * be preempted inside the pool's ring. RTS mode keeps that from
		 * stalling every other thread (see tern_stack_create()). */
		rt->pool = rte_pktmbuf_pool_create_by_ops(name, n, cache, TERN_MBUF_PRIV_SIZE,
							  (uint16_t)room, rte_socket_id(),
							  "ring_mt_rts");
		if (rt->pool == NULL)
			return -(rte_errno != 0 ? rte_errno : ENOMEM);
		rt->own_pool = true;
	}

	if (conf->port != NULL) {
		rt->port = conf->port;
	} else {
		rt->own_port = tern_port_ethdev_open(conf->port_id, rt->pool, mtu,
						     conf->no_offload);
		if (rt->own_port == NULL)
			return -(errno != 0 ? errno : ENODEV);
		rt->port = rt->own_port;
	}
	if (conf->impair != NULL) {
		rt->impair = tern_impair_wrap(rt->port, rt->pool, conf->impair);
		if (rt->impair == NULL)
			return -(errno != 0 ? errno : ENOMEM);
		rt->port = rt->impair;
	}

	struct tern_stack_conf sc = {
		.port = rt->port,
		.pool = rt->pool,
		.ip = conf->ip,
		.prefix_len = conf->prefix_len,
		.gateway = conf->gateway,
		.max_sockets = conf->max_sockets,
		.seed = conf->seed,
	};
	rt->stack = tern_stack_create(&sc);
	if (rt->stack == NULL)
		return -(errno != 0 ? errno : ENOMEM);
	rt->ip = tern_stack_ip(rt->stack);
	rt->netmask = tern_stack_netmask(rt->stack);

	int rc = tern_api_socks_init(rt, tern_stack_max_sockets(rt->stack));
	if (rc != 0)
		return rc;

	if (rt->mode == TERN_MODE_LCORE) {
		rc = rt_pick_lcore(conf, &rt->lcore);
		if (rc != 0)
			return rc;
		/* relaxed: the launch itself publishes the runtime to the lcore. */
		atomic_store_explicit(&rt->stop, false, memory_order_relaxed);
		rc = rte_eal_remote_launch(rt_loop, rt, rt->lcore);
		if (rc != 0)
			return rc < 0 ? rc : -EBUSY;
		rt->launched = true;
	}
	return 0;
}

struct tern_rt *
tern_start(const struct tern_conf *conf)
{
	if (conf == NULL || (conf->mode != TERN_MODE_LCORE &&
			     conf->mode != TERN_MODE_INLINE) ||
	    conf->prefix_len > 32 || conf->ip == 0) {
		errno = EINVAL;
		return NULL;
	}

	pthread_mutex_lock(&rt_lock);
	struct tern_rt *rt = NULL;
	for (unsigned i = 0; i < TERN_RT_MAX && rt == NULL; i++)
		if (!rt_slots[i].in_use)
			rt = &rt_slots[i];
	if (rt == NULL) {
		pthread_mutex_unlock(&rt_lock);
		errno = ENOSPC;
		return NULL;
	}
	rt->in_use = true;
	rt->mode = conf->mode;
	rt->external_clock = conf->external_clock && conf->mode == TERN_MODE_INLINE;
	rt->lcore = 0;
	rt->launched = false;
	rt->stack = NULL;
	rt->pool = NULL;
	rt->own_pool = false;
	rt->port = rt->own_port = rt->impair = NULL;
	rt->socks = NULL;
	/* relaxed: nobody polls a runtime that is not live; the release store
	 * of live below publishes these. */
	atomic_store_explicit(&rt->polling, false, memory_order_relaxed);
	atomic_store_explicit(&rt->stop, false, memory_order_relaxed);

	errno = 0;
	int rc = rt_build(rt, conf);
	if (rc != 0) {
		rt_teardown(rt);
		rt->in_use = false;
		pthread_mutex_unlock(&rt_lock);
		errno = -rc;
		return NULL;
	}
	/* release: every field above is visible to whoever sees live. */
	atomic_store_explicit(&rt->live, true, memory_order_release);
	struct tern_rt *none = NULL;
	/* release: publish the initialised runtime as the default (first one). */
	atomic_compare_exchange_strong_explicit(&rt_default, &none, rt,
						memory_order_release,
						memory_order_relaxed);
	pthread_mutex_unlock(&rt_lock);
	return rt;
}

void
tern_stop(struct tern_rt *rt)
{
	if (rt == NULL)
		return;
	pthread_mutex_lock(&rt_lock);
	if (!rt->in_use) {
		pthread_mutex_unlock(&rt_lock);
		return;
	}
	/* release: drivers that see live false skip the runtime. */
	atomic_store_explicit(&rt->live, false, memory_order_release);
	if (tern_api_default_rt() == rt) {
		struct tern_rt *next = NULL;
		for (unsigned i = 0; i < TERN_RT_MAX && next == NULL; i++)
			/* relaxed: we hold the list mutex, which orders live. */
			if (&rt_slots[i] != rt &&
			    atomic_load_explicit(&rt_slots[i].live, memory_order_relaxed))
				next = &rt_slots[i];
		/* release: as in tern_start(). */
		atomic_store_explicit(&rt_default, next, memory_order_release);
	}
	/* acquire: wait out a thread inside rt_try_poll() and keep the flag,
	 * so no inline driver touches the stack while it is torn down. */
	while (atomic_exchange_explicit(&rt->polling, true, memory_order_acquire))
		rte_pause();
	rt_teardown(rt);
	rt->in_use = false;
	pthread_mutex_unlock(&rt_lock);
}

/*
 * Public face of one Tern stack: a per-core context holding all protocol
 * state (STYLE rule 4), driven by tern_stack_poll() with the time passed in
 * (rule 5). Several stacks can live in one process, each on its own port.
 *
 * Threads: create/destroy/poll/input run on the one thread that owns the
 * stack (its lcore, or the inline application). tern_stack_submit() and
 * tern_stack_stats_read() may be called from any thread.
 */
#ifndef TERN_STACK_H
#define TERN_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "stats.h"

struct rte_mbuf;
struct rte_mempool;
struct tern_port;
struct tern_stack;

#define TERN_NS_PER_SEC 1000000000ull
#define TERN_NS_PER_MS  1000000ull

struct tern_stack_conf {
	struct tern_port *port;      /**< where frames go; not owned */
	struct rte_mempool *pool;    /**< mbufs with priv_size >= TERN_MBUF_PRIV_SIZE */
	uint32_t ip;                 /**< our address, host order */
	uint8_t prefix_len;          /**< netmask length, 0..32 (0 means /24) */
	uint32_t gateway;            /**< default gateway, host order, 0 = none */
	uint32_t max_sockets;        /**< socket slots (0 = 1024) */
	uint64_t seed;               /**< PRNG seed for IP IDs and ports (0 = from getrandom) */
	/* Tunables; 0 selects the default shown. */
	uint32_t arp_cache_size;     /**< entries (256) */
	uint64_t arp_reachable_ns;   /**< how long a learned entry is trusted (60 s) */
	uint64_t arp_retry_ns;       /**< between requests while resolving (1 s) */
	uint32_t arp_retries;        /**< requests before EHOSTUNREACH (3) */
	uint32_t arp_queue_max;      /**< packets held per unresolved address (16) */
	uint64_t reass_timeout_ns;   /**< fragment reassembly lifetime (30 s, as Linux) */
	uint32_t reass_mem_max;      /**< bytes held in reassembly (4 MiB) */
	uint32_t reass_max;          /**< datagrams in reassembly at once (256) */
	uint32_t icmp_rate;          /**< ICMP errors per second (1000) */
	uint32_t icmp_burst;         /**< ICMP error burst (50) */
	bool no_gratuitous_arp;      /**< skip the gratuitous ARP on the first poll */
};

/** Create a stack. @return NULL with errno set (EINVAL, ENOMEM). */
struct tern_stack *tern_stack_create(const struct tern_stack_conf *conf);
/** Free the stack, every mbuf it holds, and every socket it serves. */
void tern_stack_destroy(struct tern_stack *s);

/**
 * One run-to-completion iteration: rx burst -> parse -> deliver -> drain
 * application requests -> timers -> tx flush. @p now is in nanoseconds on
 * any monotonic clock (virtual in tests) and must not go backwards.
 * @return the number of frames and requests handled (0 = idle).
 */
unsigned tern_stack_poll(struct tern_stack *s, uint64_t now);

/**
 * Carry out one application request now, as tern_stack_submit() followed by
 * a poll would, but without the ring: for a caller that owns the stack (an
 * INLINE runtime's polling flag). Requests already queued go first, and
 * whatever it sends leaves before the call returns.
 */
void tern_stack_dispatch(struct tern_stack *s, void *obj, uint64_t now);

/** Feed frames to the stack directly (consumes them); used by tests and fuzzers. */
void tern_stack_input(struct tern_stack *s, struct rte_mbuf **m, uint16_t n, uint64_t now);

/** Earliest time at which a timer is due (UINT64_MAX if none). */
uint64_t tern_stack_next_deadline(struct tern_stack *s);

/** Copy the counters (any thread; values may be a few packets stale). */
void tern_stack_stats_read(const struct tern_stack *s, struct tern_stats *out);

/** Our address and mask, host order. */
uint32_t tern_stack_ip(const struct tern_stack *s);
uint32_t tern_stack_netmask(const struct tern_stack *s);
struct rte_mempool *tern_stack_pool(const struct tern_stack *s);
uint32_t tern_stack_max_sockets(const struct tern_stack *s);

/** Monotonic wall clock in ns, for the real poll loop (never used by protocol
 *  code): CLOCK_MONOTONIC, or the TSC scaled to it once calibrated (clock.c). */
uint64_t tern_clock_ns(void);
/** Switch tern_clock_ns() to the TSC if the kernel keeps time with it (busy
 *  waits ~10 ms once). @return whether the TSC is in use. */
bool tern_clock_calibrate(void);

#endif

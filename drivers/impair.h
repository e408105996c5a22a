/*
 * Impairment layer: wraps any port and, per direction, loses, duplicates,
 * reorders, delays, corrupts or truncates frames. Seeded and deterministic:
 * the same seed and the same frame sequence give the same actions, so a
 * failing loss-recovery test replays exactly. The kernel here has no netem,
 * so this is how TCP's recovery is exercised.
 *
 * Delay is measured on the clock passed in with tern_impair_set_now(), so a
 * test on a virtual clock sees delays without sleeping.
 */
#ifndef TERN_IMPAIR_H
#define TERN_IMPAIR_H

#include <stdint.h>
#include <stdio.h>

#include "port.h"

enum tern_impair_dir { TERN_IMPAIR_RX = 0, TERN_IMPAIR_TX = 1 };

struct tern_impair_dir_conf {
	uint32_t loss_ppm;       /* random loss, parts per million */
	uint64_t drop_nth;       /* drop the Nth frame (1-based) matching drop_match; 0 = off */
	uint64_t drop_every;     /* after drop_nth, drop every drop_every-th match again; 0 = once */
	uint16_t drop_match_ethertype; /* 0 = any frame matches */
	uint8_t drop_match_proto;      /* IPv4 protocol to match, 0 = any */
	uint32_t dup_ppm;        /* duplicate a frame */
	uint32_t reorder_ppm;    /* hold a frame back and send it after the next one */
	uint32_t delay_ppm;      /* delay a frame by delay_ns (0 ppm with delay_ns > 0 = all) */
	uint64_t delay_ns;
	uint32_t corrupt_ppm;    /* flip one random bit after the Ethernet header */
	uint32_t truncate_ppm;   /* cut the frame at a random length */
};

struct tern_impair_conf {
	uint64_t seed;
	struct tern_impair_dir_conf dir[2];
};

struct tern_impair_counters {
	uint64_t seen, passed, lost, nth_dropped, duplicated, reordered, delayed,
		 corrupted, truncated;
};

/** Wrap @p inner. The wrapper does not own @p inner (closing it leaves inner open).
 *  Copies of frames (duplication) come from @p pool. @return NULL on error. */
struct tern_port *tern_impair_wrap(struct tern_port *inner, struct rte_mempool *pool,
				   const struct tern_impair_conf *conf);
/** Advance the clock used for delays (nanoseconds, any epoch). */
void tern_impair_set_now(struct tern_port *p, uint64_t now_ns);
/** Counters of one direction. */
const struct tern_impair_counters *tern_impair_counters(struct tern_port *p,
							enum tern_impair_dir d);
void tern_impair_print(FILE *f, struct tern_port *p);
/**
 * Frames of direction @p d the wrapper holds right now (delayed, held back
 * for reordering, or ready and not yet taken by the caller (rx) or the inner
 * port (tx)). The counters always satisfy
 *   seen + duplicated == passed + lost + nth_dropped + pending.
 * (passed counts frames handed on, duplicates included; corrupted and
 * truncated frames are passed on too, so they are not in the sum.)
 */
unsigned tern_impair_pending(struct tern_port *p, enum tern_impair_dir d);
/**
 * Parse a command-line spec such as "rx:loss=1%,dup=0.5%;tx:nth=3,delay=2ms,seed=7"
 * into @p conf (which the caller zeroes first). Keys: loss, dup, reorder,
 * corrupt, truncate (percent or ppm with suffix), delay (ns/us/ms), nth,
 * every, proto (icmp/udp/tcp or number), seed. @return 0 or -EINVAL.
 */
int tern_impair_parse(const char *spec, struct tern_impair_conf *conf);
/*
 * Spec grammar as implemented (no whitespace anywhere):
 *   spec  := group (';' group)*            empty spec = no change
 *   group := [dir ':'] item (',' item)*    dir := rx | tx | both (none = both)
 *   item  := key '=' value
 * rates (loss, dup, reorder, corrupt, truncate, delay_rate): "N%" with up to
 *   4 decimals ("0.5%", ".25%") or "Nppm" (integer); at most 100%.
 * delay: a number with unit ns, us, ms or s ("2ms", "1.5us"); delay_rate is
 *   the share delayed (default: all frames when delay is set).
 * nth, every: integers; "every=N" alone means nth=N too (every Nth match).
 * proto: icmp | tcp | udp | 0..255; ethertype: arp | ipv4 | ip | ipv6 |
 *   0xNNNN | decimal. seed: decimal or 0x hex, global even inside a group.
 * On -EINVAL, *conf is left as it was.
 */

#endif

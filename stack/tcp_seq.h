/*
 * TCP sequence-number arithmetic modulo 2^32 (RFC 9293 3.4): every
 * comparison of sequence or acknowledgment numbers goes through these, never
 * through < or > on the raw values (FreeBSD's SEQ_LT/SEQ_GEQ convention).
 * Valid while the two numbers are less than 2^31 apart.
 */
#ifndef TERN_TCP_SEQ_H
#define TERN_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b)  { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b)  { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }
/** lo <= a < hi, in sequence space (the window test of RFC 9293 3.10.7.4). */
static inline bool seq_in(uint32_t a, uint32_t lo, uint32_t hi)
{
	return seq_geq(a, lo) && seq_lt(a, hi);
}

#endif

/*
 * Retransmission timer computation (RFC 6298): SRTT/RTTVAR estimator, RTO
 * with clock granularity, bounds and exponential backoff. Samples come from
 * timestamps (RFC 7323 4) or from timing one unretransmitted segment (Karn's
 * algorithm, RFC 6298 3: the caller never samples a retransmitted segment).
 */
#ifndef TERN_TCP_RTT_H
#define TERN_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_RTO_INITIAL_NS   1000000000ull   /* RFC 6298 2.1: 1 s */
#define TCP_RTO_SYN_LOST_NS  3000000000ull   /* RFC 6298 5.7: 3 s after a lost SYN */
#define TCP_RTO_MIN_NS        200000000ull   /* Linux's floor; RFC 6298 2.4 allows it */
#define TCP_RTO_MAX_NS     120000000000ull   /* RFC 6298 2.5: at least 60 s; Linux: 120 s */
#define TCP_CLOCK_G_NS          1000000ull   /* granularity G of RFC 6298 2.2 */

struct tcp_rtt {
	uint64_t srtt_ns;        /* 0 until the first sample */
	uint64_t rttvar_ns;
	uint64_t rto_ns;         /* current RTO before backoff */
	uint8_t backoff;         /* RTO doublings since the last new ACK (RFC 6298 5.5) */
	uint64_t min_rtt_ns;     /* smallest sample seen (for CUBIC and TCP_INFO) */
	uint64_t latest_ns;      /* last sample */
};

void tcp_rtt_init(struct tcp_rtt *r);
/** Take one RTT measurement (RFC 6298 2.2 first, 2.3 later; alpha 1/8, beta 1/4, K 4). */
void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns);
/** The timeout to arm now: rto << backoff, clamped to [MIN, MAX]. */
uint64_t tcp_rtt_timeout(const struct tcp_rtt *r);
/** RFC 6298 5.5: the timer expired; double (bounded by MAX). */
void tcp_rtt_backoff(struct tcp_rtt *r);
/** New data was acknowledged: forget the backoff (RFC 6298 5.7 note / Karn). */
void tcp_rtt_reset_backoff(struct tcp_rtt *r);
/** RFC 6298 5.7: the SYN (or SYN-ACK) was retransmitted and no sample has
 *  been taken: the RTO once data flows must be 3 s. */
void tcp_rtt_syn_lost(struct tcp_rtt *r);

#endif

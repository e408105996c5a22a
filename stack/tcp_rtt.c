/*
 * Retransmission timeout estimator of RFC 6298 (SRTT/RTTVAR, RTO bounds,
 * exponential backoff). The TCP core feeds it one sample per ACK that
 * qualifies under Karn's rule and arms its RTO timer with tcp_rtt_timeout().
 */
#include "tcp_rtt.h"

/* RFC 6298 2.3: alpha = 1/8, beta = 1/4 (as shifts); 2.2/2.3: K = 4. */
#define RTT_ALPHA_SHIFT 3
#define RTT_BETA_SHIFT  2
#define RTT_K           4

static uint64_t
rto_clamp(uint64_t rto)
{
	/* RFC 6298 2.4: a floor (we use Linux's 200 ms, see tcp_rtt.h) */
	if (rto < TCP_RTO_MIN_NS)
		return TCP_RTO_MIN_NS;
	/* RFC 6298 2.5: an upper bound of at least 60 s may be placed */
	if (rto > TCP_RTO_MAX_NS)
		return TCP_RTO_MAX_NS;
	return rto;
}

void
tcp_rtt_init(struct tcp_rtt *r)
{
	r->srtt_ns = 0;
	r->rttvar_ns = 0;
	/* RFC 6298 2.1: until a sample is taken, RTO = 1 s */
	r->rto_ns = TCP_RTO_INITIAL_NS;
	r->backoff = 0;
	r->min_rtt_ns = 0;
	r->latest_ns = 0;
}

void
tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns)
{
	/* srtt_ns == 0 means "no sample yet", so a zero sample (possible with a
	 * ns clock on a loopback path) is counted as 1 ns to keep that meaning. */
	if (rtt_ns == 0)
		rtt_ns = 1;
	/* A sample longer than the largest RTO cannot be acted on anyway;
	 * bounding it keeps 7*SRTT and 4*RTTVAR far from overflow. */
	if (rtt_ns > TCP_RTO_MAX_NS)
		rtt_ns = TCP_RTO_MAX_NS;

	if (r->srtt_ns == 0) {
		/* RFC 6298 2.2: first measurement R: SRTT = R, RTTVAR = R/2 */
		r->srtt_ns = rtt_ns;
		r->rttvar_ns = rtt_ns / 2;
	} else {
		/* RFC 6298 2.3: RTTVAR is updated with the *old* SRTT, then SRTT:
		 * RTTVAR = (1 - beta) RTTVAR + beta |SRTT - R'|
		 * SRTT   = (1 - alpha) SRTT + alpha R' */
		uint64_t err = r->srtt_ns > rtt_ns ? r->srtt_ns - rtt_ns : rtt_ns - r->srtt_ns;
		r->rttvar_ns = (r->rttvar_ns * ((1u << RTT_BETA_SHIFT) - 1) + err) >> RTT_BETA_SHIFT;
		r->srtt_ns = (r->srtt_ns * ((1u << RTT_ALPHA_SHIFT) - 1) + rtt_ns) >> RTT_ALPHA_SHIFT;
	}

	/* RFC 6298 2.2/2.3: RTO = SRTT + max(G, K*RTTVAR); the G term keeps a
	 * zero variance from putting the timer at exactly SRTT. */
	uint64_t var = RTT_K * r->rttvar_ns;
	r->rto_ns = rto_clamp(r->srtt_ns + (var > TCP_CLOCK_G_NS ? var : TCP_CLOCK_G_NS));

	if (r->min_rtt_ns == 0 || rtt_ns < r->min_rtt_ns)
		r->min_rtt_ns = rtt_ns;
	r->latest_ns = rtt_ns;
}

uint64_t
tcp_rtt_timeout(const struct tcp_rtt *r)
{
	uint64_t rto = rto_clamp(r->rto_ns);
	/* RFC 6298 5.5: each expiry doubles the timer; 2.5: up to the maximum.
	 * The shift is checked first so a long backoff cannot wrap around. */
	if (r->backoff >= 64 || rto > (TCP_RTO_MAX_NS >> r->backoff))
		return TCP_RTO_MAX_NS;
	return rto_clamp(rto << r->backoff);
}

void
tcp_rtt_backoff(struct tcp_rtt *r)
{
	/* backoff counts every expiry (the core may give up on it, RFC 9293
	 * 3.8.3 R2), saturating; the timer itself stops growing at the maximum. */
	if (r->backoff < UINT8_MAX)
		r->backoff++;
}

void
tcp_rtt_reset_backoff(struct tcp_rtt *r)
{
	/* RFC 6298 5 (note after 5.7): once new data is acknowledged the
	 * backed-off RTO collapses back to the estimator's value. */
	r->backoff = 0;
}

void
tcp_rtt_syn_lost(struct tcp_rtt *r)
{
	/* RFC 6298 5.7: a SYN timed out and no sample exists: once data flows the
	 * RTO must be 3 s, not the 1 s of 2.1 that just proved too short. */
	if (r->srtt_ns == 0 && r->rto_ns < TCP_RTO_SYN_LOST_NS)
		r->rto_ns = TCP_RTO_SYN_LOST_NS;
}

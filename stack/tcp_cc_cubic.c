/*
 * CUBIC window sizing (RFC 9438): cubic growth around the window of the last
 * congestion event, a Reno-friendly floor, fast convergence, and slow start
 * as NewReno below ssthresh. Called through tcp_cc_cubic's hooks by the TCP
 * core; tcp_cc.h says what the core does during recovery.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "tcp_cc.h"

/* RFC 9438 4.1.1: C = 0.4 (segments / s^3), beta_cubic = 0.7. beta is also
 * kept as a fraction so ssthresh is computed exactly in integers. */
#define CUBIC_C          0.4
#define CUBIC_BETA       0.7
#define CUBIC_BETA_NUM   7u
#define CUBIC_BETA_DEN   10u
/* RFC 9438 4.3: alpha_cubic = 3 (1 - beta) / (1 + beta), so that CUBIC and
 * Reno get the same average window at the same loss rate. */
#define CUBIC_ALPHA      (3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA))
#define NS_PER_S         1e9

/* Windows are kept in bytes as doubles: the curve is continuous and a
 * per-ACK increment of (target - cwnd)/cwnd is usually below one byte. */
struct cubic {
	double w_max;          /* W_max of 4.2 (bytes); 0 = none */
	double cwnd_prior;     /* cwnd before the last reduction (4.3, 4.6) */
	double w_est;          /* Reno-friendly window W_est (4.3) */
	double k_s;            /* K of 4.2, seconds from epoch to reach W_max */
	double frac;           /* growth earned but not yet a whole byte */
	uint64_t epoch_ns;     /* start of this congestion avoidance stage */
	uint64_t last_ack_ns;  /* for discounting application-limited time */
	uint64_t min_rtt_ns;   /* smallest RTT sample, the RTT of W_cubic(t+RTT) */
	uint32_t cwnd_epoch;   /* cwnd at the start of the stage (4.2) */
	bool in_epoch;         /* epoch_ns / k_s / w_est are valid */
	bool rto_pending;      /* an RTO happened and no new data was acked since */
};

static_assert(sizeof(struct cubic) <= sizeof(((struct tcp_cc *)0)->priv),
	      "CUBIC state must fit in tcp_cc.priv");

/* priv[] is uint64_t storage: copy in and out rather than cast. */
static struct cubic
cubic_load(const struct tcp_cc *cc)
{
	struct cubic cu;
	memcpy(&cu, cc->priv, sizeof(cu));
	return cu;
}

static void
cubic_store(struct tcp_cc *cc, const struct cubic *cu)
{
	memcpy(cc->priv, cu, sizeof(*cu));
}

static uint32_t
cwnd_from_double(double w)
{
	if (w >= (double)TCP_CC_CWND_MAX)
		return TCP_CC_CWND_MAX;
	return w < 1.0 ? 1 : (uint32_t)w;
}

/* RFC 9438 4.2 eq. 1: W_cubic(t) = C (t - K)^3 + W_max, in bytes (C is per
 * segment, hence the mss). */
static double
cubic_w(const struct cubic *cu, uint32_t mss, double t)
{
	double d = t - cu->k_s;
	return CUBIC_C * mss * d * d * d + cu->w_max;
}

static void
cubic_init(struct tcp_cc *cc, uint32_t mss, uint64_t now)
{
	/* RFC 9293 3.7.1: 536 is the send MSS when nothing better is known */
	if (mss == 0)
		mss = 536;
	memset(cc->priv, 0, sizeof(cc->priv));
	cc->mss = mss;
	cc->cwnd = tcp_cc_initial_window(mss);   /* RFC 6928 2 */
	cc->ssthresh = UINT32_MAX;                /* RFC 5681 3.1: arbitrarily high */
	cc->last_send_ns = now;
	struct cubic cu = cubic_load(cc);
	cu.last_ack_ns = now;
	cubic_store(cc, &cu);
}

/* First ACK of a congestion avoidance stage. */
static void
cubic_epoch_begin(struct tcp_cc *cc, struct cubic *cu, uint64_t now)
{
	cu->in_epoch = true;
	cu->epoch_ns = now;
	cu->cwnd_epoch = cc->cwnd;
	cu->w_est = cc->cwnd;        /* RFC 9438 4.3: W_est starts at cwnd_epoch */
	cu->frac = 0;
	if (cu->w_max <= (double)cc->cwnd) {
		/* RFC 9438 4.8: after a timeout K = 0 and W_max = cwnd_epoch, so
		 * growth starts convex from here. The same holds when no congestion
		 * event has set W_max yet (slow start ended at ssthresh) or the
		 * window already passed it: there is no plateau left to approach. */
		cu->w_max = cc->cwnd;
		cu->k_s = 0;
	} else {
		/* RFC 9438 4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C) */
		cu->k_s = cbrt((cu->w_max - cc->cwnd) / (CUBIC_C * cc->mss));
	}
}

static void
cubic_cong_avoid(struct tcp_cc *cc, struct cubic *cu, uint32_t acked, uint64_t now)
{
	if (!cu->in_epoch)
		cubic_epoch_begin(cc, cu, now);

	double cwnd = cc->cwnd, mss = cc->mss;
	/* a clock that steps back must not wrap t into a huge value */
	double t = now > cu->epoch_ns ? (double)(now - cu->epoch_ns) / NS_PER_S : 0.0;
	double rtt = (double)cu->min_rtt_ns / NS_PER_S;

	/* RFC 9438 4.3: W_est grows like Reno with alpha_cubic per RTT, and at
	 * Reno's own rate (alpha = 1) once it has regained cwnd_prior. */
	double alpha = cu->w_est >= cu->cwnd_prior ? 1.0 : CUBIC_ALPHA;
	cu->w_est += alpha * (double)acked * mss / cwnd;

	if (cubic_w(cu, cc->mss, t) < cu->w_est) {
		/* RFC 9438 4.3: Reno-friendly region, cwnd = W_est (never lowered
		 * here: the target below may have run ahead of W_cubic(t)). */
		if (cu->w_est > cwnd) {
			cc->cwnd = cwnd_from_double(cu->w_est);
			cu->frac = 0;
		}
		return;
	}

	/* RFC 9438 4.4 / 4.5 (concave / convex): aim at the curve one RTT ahead,
	 * bounded below by cwnd (never shrink) and above by 1.5 cwnd (never
	 * faster than slow start), per 4.2. */
	double target = cubic_w(cu, cc->mss, t + rtt);
	if (target < cwnd)
		target = cwnd;
	else if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;

	/* RFC 9438 4.2: cwnd += (target - cwnd) / cwnd per SMSS acked, so one
	 * window of ACKs brings cwnd to target; a stretch ACK cannot pass it. */
	double inc = (target - cwnd) * (double)acked / cwnd;
	if (inc > target - cwnd)
		inc = target - cwnd;
	cu->frac += inc;
	double whole = floor(cu->frac);
	cu->frac -= whole;
	cc->cwnd = cwnd_from_double(cwnd + whole);
}

static void
cubic_on_ack(struct tcp_cc *cc, uint32_t acked, uint32_t flight, uint64_t rtt_ns,
	     uint64_t now)
{
	struct cubic cu = cubic_load(cc);

	/* New data acked: a later RTO is a fresh loss event (RFC 5681 3.1). */
	cu.rto_pending = false;
	if (rtt_ns != 0 && (cu.min_rtt_ns == 0 || rtt_ns < cu.min_rtt_ns))
		cu.min_rtt_ns = rtt_ns;

	if (!tcp_cc_cwnd_limited(cc, flight)) {
		/* RFC 9438 5.8: no growth while application-limited, and that
		 * time does not count in t, or the curve would have run ahead
		 * when the application catches up. */
		if (cu.in_epoch && now > cu.last_ack_ns)
			cu.epoch_ns += now - cu.last_ack_ns;
	} else {
		/* RFC 9438 4.10: below ssthresh, slow start as Reno does */
		if (tcp_cc_in_slow_start(cc))
			acked = tcp_cc_slow_start(cc, acked);
		if (acked > 0)
			cubic_cong_avoid(cc, &cu, acked, now);
	}
	cu.last_ack_ns = now;
	cubic_store(cc, &cu);
}

/* RFC 9438 4.6: ssthresh = cwnd * beta_cubic, at least 2 SMSS. cwnd rather
 * than FlightSize is used, which 4.6 permits when growth is stopped while
 * the window is not in use (tcp_cc_cwnd_limited()). */
static uint32_t
cubic_reduced(const struct tcp_cc *cc)
{
	uint64_t s = (uint64_t)cc->cwnd * CUBIC_BETA_NUM / CUBIC_BETA_DEN;
	return s > 2ull * cc->mss ? (uint32_t)s : 2 * cc->mss;
}

static void
cubic_on_loss(struct tcp_cc *cc, uint32_t flight, uint64_t now)
{
	struct cubic cu = cubic_load(cc);
	(void)flight;
	(void)now;

	double cwnd = cc->cwnd;
	/* RFC 9438 4.7: fast convergence. Losing below the previous W_max means
	 * the share of this flow is shrinking: release bandwidth sooner by
	 * placing the plateau lower, at (1 + beta) / 2 of the window. */
	if (cwnd < cu.w_max)
		cu.w_max = cwnd * (1.0 + CUBIC_BETA) / 2.0;
	else
		cu.w_max = cwnd;
	cu.cwnd_prior = cwnd;                    /* RFC 9438 4.6 */
	cc->ssthresh = cubic_reduced(cc);
	/* RFC 9438 4.6: cwnd = ssthresh; the core adds any RFC 6582 inflation */
	cc->cwnd = cc->ssthresh;
	/* The next congestion avoidance stage starts a new curve (4.2). */
	cu.in_epoch = false;
	cu.rto_pending = false;
	cubic_store(cc, &cu);
}

static void
cubic_on_recovered(struct tcp_cc *cc, uint64_t now)
{
	(void)now;
	/* RFC 6582 3.2 step 3 (full ACK), option 2: deflate to ssthresh; the
	 * epoch starts at the first ACK of congestion avoidance. */
	cc->cwnd = cc->ssthresh;
}

static void
cubic_on_rto(struct tcp_cc *cc, uint32_t flight, uint64_t now)
{
	struct cubic cu = cubic_load(cc);
	(void)flight;
	(void)now;

	/* RFC 9438 4.8: ssthresh as in 4.6, but only on the first expiry for a
	 * segment (RFC 5681 3.1), and cwnd back to 1 SMSS (RFC 5681 3.1 LW). */
	if (!cu.rto_pending) {
		cu.cwnd_prior = cc->cwnd;
		cc->ssthresh = cubic_reduced(cc);
	}
	/* RFC 9438 4.8: the first stage after a timeout uses K = 0 and
	 * W_max = cwnd_epoch; w_max = 0 makes cubic_epoch_begin() do that. */
	cu.w_max = 0;
	cu.in_epoch = false;
	cu.rto_pending = true;
	cc->cwnd = cc->mss;
	cubic_store(cc, &cu);
}

static void
cubic_on_idle_restart(struct tcp_cc *cc, uint64_t now)
{
	struct cubic cu = cubic_load(cc);
	/* RFC 5681 4.1 (RFC 9438 5.8 defers to it): cwnd = min(cwnd, IW) */
	uint32_t rw = tcp_cc_initial_window(cc->mss);
	if (cc->cwnd > rw)
		cc->cwnd = rw;
	/* The idle time must not count in t; slow start will lead back to
	 * ssthresh, where a new stage (and curve) begins. */
	cu.in_epoch = false;
	cu.last_ack_ns = now;
	cubic_store(cc, &cu);
}

bool
tcp_cc_cubic_state(const struct tcp_cc *cc, double *w_max, double *k_s)
{
	if (cc->ops != &tcp_cc_cubic)
		return false;
	struct cubic cu = cubic_load(cc);
	if (w_max != NULL)
		*w_max = cu.w_max;
	if (k_s != NULL)
		*k_s = cu.in_epoch ? cu.k_s : 0;
	return true;
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_loss = cubic_on_loss,
	.on_recovered = cubic_on_recovered,
	.on_rto = cubic_on_rto,
	.on_idle_restart = cubic_on_idle_restart,
};

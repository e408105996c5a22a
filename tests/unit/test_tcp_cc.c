/*
 * Unit tests of the RFC 6298 RTO estimator (stack/tcp_rtt.c) and the
 * congestion control modules (stack/tcp_cc*.c): hand-computed estimator
 * sequences, NewReno and CUBIC window values, and CUBIC on a virtual clock
 * checked against the RFC 9438 curve. No mbufs are used, so EAL is not
 * started and there is no pool to check at teardown.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fixture.h"
#include "tcp_cc.h"
#include "tcp_rtt.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define MSS 1460u

/* ================= RFC 6298 estimator ================= */

START_TEST(test_rtt_init)
{
	struct tcp_rtt r;
	memset(&r, 0xa5, sizeof(r));
	tcp_rtt_init(&r);
	ck_assert_uint_eq(r.srtt_ns, 0);
	ck_assert_uint_eq(r.rttvar_ns, 0);
	ck_assert_uint_eq(r.backoff, 0);
	ck_assert_uint_eq(r.min_rtt_ns, 0);
	/* RFC 6298 2.1: 1 s before any sample */
	ck_assert_uint_eq(r.rto_ns, TCP_RTO_INITIAL_NS);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 1 * SEC);
}
END_TEST

START_TEST(test_rtt_first_sample)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 100 * MS);
	/* SRTT = R, RTTVAR = R/2, RTO = R + 4 * R/2 = 3R */
	ck_assert_uint_eq(r.srtt_ns, 100 * MS);
	ck_assert_uint_eq(r.rttvar_ns, 50 * MS);
	ck_assert_uint_eq(r.rto_ns, 300 * MS);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 300 * MS);
	ck_assert_uint_eq(r.min_rtt_ns, 100 * MS);
	ck_assert_uint_eq(r.latest_ns, 100 * MS);
}
END_TEST

START_TEST(test_rtt_second_and_third_sample)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 100 * MS);
	tcp_rtt_sample(&r, 200 * MS);
	/* RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms (old SRTT used)
	 * SRTT   = 7/8 * 100 + 1/8 * 200 = 112.5 ms
	 * RTO    = 112.5 + 4 * 62.5 = 362.5 ms */
	ck_assert_uint_eq(r.rttvar_ns, 62500000);
	ck_assert_uint_eq(r.srtt_ns, 112500000);
	ck_assert_uint_eq(r.rto_ns, 362500000);
	ck_assert_uint_eq(r.min_rtt_ns, 100 * MS);
	ck_assert_uint_eq(r.latest_ns, 200 * MS);

	tcp_rtt_sample(&r, 50 * MS);
	/* RTTVAR = 3/4 * 62.5 + 1/4 * |112.5 - 50| = 62.5 ms
	 * SRTT   = 7/8 * 112.5 + 1/8 * 50 = 104.6875 ms
	 * RTO    = 104.6875 + 250 = 354.6875 ms */
	ck_assert_uint_eq(r.rttvar_ns, 62500000);
	ck_assert_uint_eq(r.srtt_ns, 104687500);
	ck_assert_uint_eq(r.rto_ns, 354687500);
	ck_assert_uint_eq(r.min_rtt_ns, 50 * MS);
	ck_assert_uint_eq(r.latest_ns, 50 * MS);
}
END_TEST

START_TEST(test_rtt_convergence_and_g_floor)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 3 * SEC);
	for (int i = 0; i < 50; i++)
		tcp_rtt_sample(&r, 1 * SEC);
	uint64_t prev_var = r.rttvar_ns;
	for (int i = 0; i < 150; i++) {
		tcp_rtt_sample(&r, 1 * SEC);
		/* once SRTT has come close, the variance only decays */
		ck_assert_uint_le(r.rttvar_ns, prev_var);
		prev_var = r.rttvar_ns;
	}
	ck_assert_uint_eq(r.srtt_ns, 1 * SEC);
	ck_assert_uint_eq(r.rttvar_ns, 0);
	/* RFC 6298 2.3: max(G, 4*RTTVAR) keeps RTO above SRTT by G */
	ck_assert_uint_eq(r.rto_ns, 1 * SEC + TCP_CLOCK_G_NS);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 1 * SEC + TCP_CLOCK_G_NS);
}
END_TEST

START_TEST(test_rtt_g_vs_variance)
{
	/* 4*RTTVAR just above G wins over G */
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 1 * SEC);
	while (4 * r.rttvar_ns >= 2 * TCP_CLOCK_G_NS)
		tcp_rtt_sample(&r, 1 * SEC);
	if (4 * r.rttvar_ns > TCP_CLOCK_G_NS)
		ck_assert_uint_eq(r.rto_ns, r.srtt_ns + 4 * r.rttvar_ns);
	else
		ck_assert_uint_eq(r.rto_ns, r.srtt_ns + TCP_CLOCK_G_NS);
	ck_assert_uint_gt(r.rto_ns, r.srtt_ns);
}
END_TEST

START_TEST(test_rtt_min_clamp)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	/* 1 ms path: 3 ms computed, floor 200 ms (RFC 6298 2.4) */
	tcp_rtt_sample(&r, 1 * MS);
	ck_assert_uint_eq(r.srtt_ns, 1 * MS);
	ck_assert_uint_eq(r.rto_ns, TCP_RTO_MIN_NS);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), TCP_RTO_MIN_NS);
	for (int i = 0; i < 100; i++)
		tcp_rtt_sample(&r, 10000);   /* 10 us */
	ck_assert_uint_eq(tcp_rtt_timeout(&r), TCP_RTO_MIN_NS);
	ck_assert_uint_eq(r.min_rtt_ns, 10000);
}
END_TEST

START_TEST(test_rtt_max_clamp)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	/* 100 s sample: 300 s computed, bounded at 120 s (RFC 6298 2.5) */
	tcp_rtt_sample(&r, 100 * SEC);
	ck_assert_uint_eq(r.srtt_ns, 100 * SEC);
	ck_assert_uint_eq(r.rto_ns, TCP_RTO_MAX_NS);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), TCP_RTO_MAX_NS);
	/* an absurd sample neither overflows nor escapes the bound */
	tcp_rtt_sample(&r, UINT64_MAX);
	ck_assert_uint_le(r.srtt_ns, TCP_RTO_MAX_NS);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), TCP_RTO_MAX_NS);
}
END_TEST

START_TEST(test_rtt_backoff_doubles_and_caps)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 100 * MS);      /* RTO 300 ms */
	uint64_t expect = 300 * MS;
	for (int i = 1; i <= 20; i++) {
		tcp_rtt_backoff(&r);
		expect *= 2;
		if (expect > TCP_RTO_MAX_NS)
			expect = TCP_RTO_MAX_NS;
		ck_assert_uint_eq(tcp_rtt_timeout(&r), expect);
		ck_assert_uint_eq(r.backoff, i);
	}
	/* 300 ms * 2^9 = 153.6 s > 120 s: capped from the 9th doubling on */
	ck_assert_uint_eq(expect, TCP_RTO_MAX_NS);
	/* the estimator's own value is untouched by backoff */
	ck_assert_uint_eq(r.rto_ns, 300 * MS);
	/* saturates without wrapping the shift or the counter */
	for (int i = 0; i < 1000; i++)
		tcp_rtt_backoff(&r);
	ck_assert_uint_eq(r.backoff, UINT8_MAX);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), TCP_RTO_MAX_NS);
}
END_TEST

START_TEST(test_rtt_backoff_exact_steps)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	/* RFC 6298 5.5 from the initial 1 s: 1, 2, 4, ..., 64, then 120 (cap) */
	const uint64_t want[] = { 1, 2, 4, 8, 16, 32, 64, 120, 120 };
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_uint_eq(tcp_rtt_timeout(&r), want[i] * SEC);
		tcp_rtt_backoff(&r);
	}
}
END_TEST

START_TEST(test_rtt_reset_backoff)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 100 * MS);
	tcp_rtt_backoff(&r);
	tcp_rtt_backoff(&r);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 1200 * MS);
	tcp_rtt_reset_backoff(&r);
	ck_assert_uint_eq(r.backoff, 0);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 300 * MS);
	/* a fresh sample after backoff collapses RTO to the estimate */
	tcp_rtt_backoff(&r);
	tcp_rtt_sample(&r, 100 * MS);
	tcp_rtt_reset_backoff(&r);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), r.rto_ns);
}
END_TEST

START_TEST(test_rtt_syn_lost)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	/* SYN timed out: backoff for the SYN itself, then 3 s for data */
	tcp_rtt_backoff(&r);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 2 * SEC);
	tcp_rtt_syn_lost(&r);
	tcp_rtt_reset_backoff(&r);   /* handshake completed */
	ck_assert_uint_eq(r.rto_ns, TCP_RTO_SYN_LOST_NS);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 3 * SEC);
	/* a later sample takes over as usual */
	tcp_rtt_sample(&r, 100 * MS);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 300 * MS);
	/* with a sample already taken, syn_lost changes nothing */
	tcp_rtt_syn_lost(&r);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), 300 * MS);
}
END_TEST

START_TEST(test_rtt_zero_sample)
{
	struct tcp_rtt r;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 0);
	/* counted as a sample: SRTT no longer reads as "none" */
	ck_assert_uint_gt(r.srtt_ns, 0);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), TCP_RTO_MIN_NS);
	tcp_rtt_syn_lost(&r);
	ck_assert_uint_eq(tcp_rtt_timeout(&r), TCP_RTO_MIN_NS);
}
END_TEST

/* ================= helpers for the window tests ================= */

static void
cc_start(struct tcp_cc *cc, const struct tcp_cc_ops *ops, uint32_t mss, uint64_t now)
{
	memset(cc, 0x5a, sizeof(*cc));
	cc->ops = ops;
	ops->init(cc, mss, now);
}

/* One RTT of a window-limited sender with one ACK per MSS spread evenly
 * over the RTT (a full window in flight when it began). @return end time */
static uint64_t
run_rtt(struct tcp_cc *cc, uint64_t now, uint64_t rtt)
{
	uint32_t n = cc->cwnd / cc->mss;
	if (n == 0)
		n = 1;
	uint32_t flight = cc->cwnd;
	for (uint32_t i = 1; i <= n; i++)
		cc->ops->on_ack(cc, cc->mss, flight, rtt, now + rtt * i / n);
	return now + rtt;
}

/* RFC 9438 eq. 1 in segments, written out independently of the module. */
static double
w_cubic_seg(double w_max_seg, double k, double t)
{
	return 0.4 * pow(t - k, 3) + w_max_seg;
}

/* ================= initial window and registry ================= */

START_TEST(test_initial_window)
{
	/* RFC 6928 2: min(10*MSS, max(2*MSS, 14600)) */
	ck_assert_uint_eq(tcp_cc_initial_window(536), 5360);
	ck_assert_uint_eq(tcp_cc_initial_window(1460), 14600);
	ck_assert_uint_eq(tcp_cc_initial_window(4000), 14600);
	ck_assert_uint_eq(tcp_cc_initial_window(8960), 17920);
	ck_assert_uint_eq(tcp_cc_initial_window(9000), 18000);
	ck_assert_uint_eq(tcp_cc_initial_window(1), 10);

	const struct tcp_cc_ops *algs[] = { &tcp_cc_newreno, &tcp_cc_cubic };
	const uint32_t mss[] = { 536, 1460, 9000 };
	const uint32_t iw[] = { 5360, 14600, 18000 };
	for (unsigned a = 0; a < 2; a++)
		for (unsigned i = 0; i < 3; i++) {
			struct tcp_cc cc;
			cc_start(&cc, algs[a], mss[i], 7 * SEC);
			ck_assert_ptr_eq(cc.ops, algs[a]);
			ck_assert_uint_eq(cc.mss, mss[i]);
			ck_assert_uint_eq(cc.cwnd, iw[i]);
			ck_assert_uint_eq(cc.ssthresh, UINT32_MAX);
			ck_assert_uint_eq(cc.last_send_ns, 7 * SEC);
			ck_assert(tcp_cc_in_slow_start(&cc));
		}
}
END_TEST

START_TEST(test_registry)
{
	ck_assert_ptr_eq(tcp_cc_find("reno"), &tcp_cc_newreno);
	ck_assert_ptr_eq(tcp_cc_find("newreno"), &tcp_cc_newreno);
	ck_assert_ptr_eq(tcp_cc_find("cubic"), &tcp_cc_cubic);
	ck_assert_ptr_null(tcp_cc_find("bbr"));
	ck_assert_ptr_null(tcp_cc_find(""));
	ck_assert_ptr_null(tcp_cc_find("cubicx"));
	ck_assert_ptr_null(tcp_cc_find("CUBIC"));
	ck_assert_ptr_null(tcp_cc_find(NULL));
	ck_assert_ptr_eq(tcp_cc_default(), &tcp_cc_cubic);
	ck_assert_str_eq(tcp_cc_newreno.name, "newreno");
	ck_assert_str_eq(tcp_cc_cubic.name, "cubic");
	ck_assert_uint_lt(strlen(tcp_cc_cubic.name), TCP_CC_NAME_MAX);
	/* every hook present: the core calls them unconditionally */
	const struct tcp_cc_ops *algs[] = { &tcp_cc_newreno, &tcp_cc_cubic };
	for (unsigned a = 0; a < 2; a++) {
		ck_assert_ptr_nonnull(algs[a]->init);
		ck_assert_ptr_nonnull(algs[a]->on_ack);
		ck_assert_ptr_nonnull(algs[a]->on_loss);
		ck_assert_ptr_nonnull(algs[a]->on_recovered);
		ck_assert_ptr_nonnull(algs[a]->on_rto);
		ck_assert_ptr_nonnull(algs[a]->on_idle_restart);
	}
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	ck_assert(!tcp_cc_cubic_state(&cc, NULL, NULL));
}
END_TEST

/* ================= NewReno ================= */

START_TEST(test_newreno_zero_mss)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, 0, 0);
	ck_assert_uint_eq(cc.mss, 536);
	ck_assert_uint_eq(cc.cwnd, 5360);
}
END_TEST

START_TEST(test_newreno_slow_start_abc)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	/* one MSS acked: +1 MSS */
	cc.ops->on_ack(&cc, MSS, cc.cwnd, 0, 1 * MS);
	ck_assert_uint_eq(cc.cwnd, 11 * MSS);
	/* a partial segment: + the bytes acked (RFC 3465 2.2) */
	cc.ops->on_ack(&cc, 100, cc.cwnd, 0, 2 * MS);
	ck_assert_uint_eq(cc.cwnd, 11 * MSS + 100);
	/* a stretch ACK of 4 MSS: at most L = 2 MSS */
	cc.ops->on_ack(&cc, 4 * MSS, cc.cwnd, 0, 3 * MS);
	ck_assert_uint_eq(cc.cwnd, 13 * MSS + 100);

	/* a whole window acked per MSS doubles cwnd ... */
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	run_rtt(&cc, 0, 50 * MS);
	ck_assert_uint_eq(cc.cwnd, 20 * MSS);
	run_rtt(&cc, 50 * MS, 50 * MS);
	ck_assert_uint_eq(cc.cwnd, 40 * MSS);
	/* ... and so does one ACK per two MSS (delayed ACKs) thanks to L = 2 */
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	uint32_t flight = cc.cwnd;
	for (int i = 0; i < 5; i++)
		cc.ops->on_ack(&cc, 2 * MSS, flight, 0, (uint64_t)i * MS);
	ck_assert_uint_eq(cc.cwnd, 20 * MSS);
}
END_TEST

START_TEST(test_newreno_slow_start_stops_at_ssthresh)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	cc.ssthresh = 11 * MSS;
	cc.ops->on_ack(&cc, 2 * MSS, cc.cwnd, 0, 0);
	/* only 1 MSS of slow start is left; the rest counts towards CA */
	ck_assert_uint_eq(cc.cwnd, 11 * MSS);
	ck_assert(!tcp_cc_in_slow_start(&cc));
	/* 1 MSS already counted, so 10 more reach cwnd = 11 MSS */
	for (int i = 0; i < 9; i++)
		cc.ops->on_ack(&cc, MSS, cc.cwnd, 0, 0);
	ck_assert_uint_eq(cc.cwnd, 11 * MSS);
	cc.ops->on_ack(&cc, MSS, cc.cwnd, 0, 0);
	ck_assert_uint_eq(cc.cwnd, 12 * MSS);
}
END_TEST

START_TEST(test_newreno_congestion_avoidance)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	cc.cwnd = cc.ssthresh = 20 * MSS;
	/* RFC 5681 3.1: about 1 SMSS per RTT; with byte counting, exactly */
	uint64_t now = 0;
	for (int rtt = 1; rtt <= 10; rtt++) {
		now = run_rtt(&cc, now, 100 * MS);
		ck_assert_uint_eq(cc.cwnd, (20 + rtt) * MSS);
	}
	/* delayed ACKs (2 MSS each) give the same growth per window */
	cc.cwnd = cc.ssthresh = 20 * MSS;
	cc.ops->on_loss(&cc, 40 * MSS, now);      /* clears the byte counter */
	ck_assert_uint_eq(cc.cwnd, 20 * MSS);
	for (int i = 0; i < 9; i++)
		cc.ops->on_ack(&cc, 2 * MSS, cc.cwnd, 0, now);
	ck_assert_uint_eq(cc.cwnd, 20 * MSS);
	cc.ops->on_ack(&cc, 2 * MSS, cc.cwnd, 0, now);
	ck_assert_uint_eq(cc.cwnd, 21 * MSS);
	/* small ACKs: 20 MSS of 100-byte ACKs still add exactly one MSS */
	cc.cwnd = cc.ssthresh = 20 * MSS;
	cc.ops->on_recovered(&cc, now);
	uint32_t start = cc.cwnd;
	for (uint32_t acked = 0; acked < 20 * MSS; acked += 100)
		cc.ops->on_ack(&cc, 100, cc.cwnd, 0, now);
	ck_assert_uint_eq(cc.cwnd, start + MSS);
}
END_TEST

START_TEST(test_newreno_on_loss)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	cc.cwnd = 40 * MSS;
	/* RFC 5681 eq. 4 uses FlightSize, not cwnd */
	cc.ops->on_loss(&cc, 20 * MSS, 1 * SEC);
	ck_assert_uint_eq(cc.ssthresh, 10 * MSS);
	ck_assert_uint_eq(cc.cwnd, 10 * MSS);
	/* floor 2*SMSS */
	cc.ops->on_loss(&cc, 3 * MSS, 2 * SEC);
	ck_assert_uint_eq(cc.ssthresh, 2 * MSS);
	ck_assert_uint_eq(cc.cwnd, 2 * MSS);
	/* odd flight: half, rounded down */
	cc.ops->on_loss(&cc, 20 * MSS + 1, 3 * SEC);
	ck_assert_uint_eq(cc.ssthresh, 10 * MSS);
}
END_TEST

START_TEST(test_newreno_recovery_round_trip)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	cc.cwnd = 30 * MSS;
	cc.ops->on_loss(&cc, 30 * MSS, 1 * SEC);
	ck_assert_uint_eq(cc.cwnd, 15 * MSS);
	/* the core inflates during recovery (RFC 5681 3.2 steps 3-4) ... */
	cc.cwnd = cc.ssthresh + 3 * MSS;
	for (int i = 0; i < 7; i++)
		cc.cwnd += MSS;
	/* ... and on_recovered deflates to ssthresh (RFC 6582 3.2 step 3) */
	cc.ops->on_recovered(&cc, 2 * SEC);
	ck_assert_uint_eq(cc.cwnd, 15 * MSS);
	ck_assert_uint_eq(cc.ssthresh, 15 * MSS);
	/* then congestion avoidance: +1 MSS per window */
	run_rtt(&cc, 2 * SEC, 100 * MS);
	ck_assert_uint_eq(cc.cwnd, 16 * MSS);
}
END_TEST

START_TEST(test_newreno_on_rto)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	cc.cwnd = 40 * MSS;
	cc.ops->on_rto(&cc, 30 * MSS, 1 * SEC);
	/* RFC 5681 3.1: ssthresh = max(FlightSize/2, 2*SMSS), cwnd = LW = 1 SMSS */
	ck_assert_uint_eq(cc.ssthresh, 15 * MSS);
	ck_assert_uint_eq(cc.cwnd, MSS);
	/* the same segment times out again: ssthresh held */
	cc.ops->on_rto(&cc, MSS, 2 * SEC);
	ck_assert_uint_eq(cc.ssthresh, 15 * MSS);
	ck_assert_uint_eq(cc.cwnd, MSS);
	/* slow start back up */
	cc.ops->on_ack(&cc, MSS, MSS, 0, 3 * SEC);
	ck_assert_uint_eq(cc.cwnd, 2 * MSS);
	/* new data was acked: the next RTO is a new event */
	cc.ops->on_rto(&cc, 2 * MSS, 4 * SEC);
	ck_assert_uint_eq(cc.ssthresh, 2 * MSS);
	ck_assert_uint_eq(cc.cwnd, MSS);
}
END_TEST

START_TEST(test_newreno_idle_restart)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	cc.cwnd = 50 * MSS;
	cc.ssthresh = 30 * MSS;
	/* RFC 5681 4.1: RW = min(IW, cwnd) */
	cc.ops->on_idle_restart(&cc, 10 * SEC);
	ck_assert_uint_eq(cc.cwnd, 14600);
	ck_assert_uint_eq(cc.ssthresh, 30 * MSS);
	cc.cwnd = 4 * MSS;
	cc.ops->on_idle_restart(&cc, 20 * SEC);
	ck_assert_uint_eq(cc.cwnd, 4 * MSS);
	cc_start(&cc, &tcp_cc_newreno, 9000, 0);
	cc.cwnd = 100000;
	cc.ops->on_idle_restart(&cc, 10 * SEC);
	ck_assert_uint_eq(cc.cwnd, 18000);
}
END_TEST

START_TEST(test_newreno_app_limited)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_newreno, MSS, 0);
	/* under half the window in flight: ACKs do not validate cwnd */
	for (int i = 0; i < 100; i++)
		cc.ops->on_ack(&cc, MSS, 2 * MSS, 0, (uint64_t)i * MS);
	ck_assert_uint_eq(cc.cwnd, 14600);
	/* exactly half is enough */
	cc.ops->on_ack(&cc, MSS, 7300, 0, 1 * SEC);
	ck_assert_uint_eq(cc.cwnd, 14600 + MSS);
}
END_TEST

START_TEST(test_cwnd_never_exceeds_max)
{
	const struct tcp_cc_ops *algs[] = { &tcp_cc_newreno, &tcp_cc_cubic };
	for (unsigned a = 0; a < 2; a++) {
		struct tcp_cc cc;
		cc_start(&cc, algs[a], 9000, 0);
		/* slow start towards the cap */
		cc.cwnd = TCP_CC_CWND_MAX - 100;
		cc.ops->on_ack(&cc, 18000, cc.cwnd, 10 * MS, 1 * MS);
		ck_assert_uint_eq(cc.cwnd, TCP_CC_CWND_MAX);
		/* congestion avoidance at the cap */
		cc.ssthresh = cc.cwnd = TCP_CC_CWND_MAX - 100;
		uint64_t now = 2 * MS;
		for (int i = 0; i < 2000; i++) {
			cc.ops->on_ack(&cc, UINT32_MAX, UINT32_MAX, 10 * MS, now);
			now += 10 * SEC;
			ck_assert_uint_le(cc.cwnd, TCP_CC_CWND_MAX);
		}
		ck_assert_uint_ge(cc.cwnd, TCP_CC_CWND_MAX - 100);
	}
}
END_TEST

/* ================= CUBIC ================= */

START_TEST(test_cubic_slow_start)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	ck_assert_uint_eq(cc.cwnd, 14600);
	/* RFC 9438 4.10: Reno's slow start, with ABC */
	cc.ops->on_ack(&cc, 4 * MSS, cc.cwnd, 20 * MS, 1 * MS);
	ck_assert_uint_eq(cc.cwnd, 12 * MSS);
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	run_rtt(&cc, 0, 20 * MS);
	ck_assert_uint_eq(cc.cwnd, 20 * MSS);
	double w_max = -1, k = -1;
	ck_assert(tcp_cc_cubic_state(&cc, &w_max, &k));
	ck_assert(w_max == 0 && k == 0);
}
END_TEST

START_TEST(test_cubic_on_loss_beta)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 100 * MSS;
	cc.ops->on_loss(&cc, 100 * MSS, 1 * SEC);
	/* RFC 9438 4.6: ssthresh = 0.7 * cwnd, cwnd = ssthresh; exact */
	ck_assert_uint_eq(cc.ssthresh, 102200);
	ck_assert_uint_eq(cc.cwnd, 102200);
	double w_max = 0;
	tcp_cc_cubic_state(&cc, &w_max, NULL);
	ck_assert(w_max == 100.0 * MSS);

	cc.cwnd = 123457;
	cc.ops->on_loss(&cc, 123457, 2 * SEC);
	ck_assert_uint_eq(cc.ssthresh, 123457u * 7 / 10);
	/* never below 2*SMSS */
	cc.cwnd = 2 * MSS;
	cc.ops->on_loss(&cc, 2 * MSS, 3 * SEC);
	ck_assert_uint_eq(cc.ssthresh, 2 * MSS);
	ck_assert_uint_eq(cc.cwnd, 2 * MSS);
}
END_TEST

START_TEST(test_cubic_k_matches_rfc)
{
	const double wmaxes[] = { 10, 100, 1000, 12345 / 1460.0 * 10 };
	for (unsigned i = 0; i < sizeof(wmaxes) / sizeof(wmaxes[0]); i++) {
		struct tcp_cc cc;
		cc_start(&cc, &tcp_cc_cubic, MSS, 0);
		cc.cwnd = (uint32_t)(wmaxes[i] * MSS);
		double wmax_seg = (double)cc.cwnd / MSS;
		cc.ops->on_loss(&cc, cc.cwnd, 1 * SEC);
		cc.ops->on_recovered(&cc, 1 * SEC);
		double k = -1;
		tcp_cc_cubic_state(&cc, NULL, &k);
		ck_assert(k == 0);    /* no stage yet: starts at the first CA ACK */
		cc.ops->on_ack(&cc, MSS, cc.cwnd, 100 * MS, 1 * SEC + 1 * MS);
		tcp_cc_cubic_state(&cc, NULL, &k);
		/* RFC 9438 4.2 eq. 2 with cwnd_epoch = beta * W_max:
		 * K = cbrt(W_max (1 - beta) / C), up to the byte rounding of
		 * ssthresh, which cbrt((W_max - cwnd_epoch)/C) accounts for. */
		double k_rfc8312 = cbrt(wmax_seg * (1 - 0.7) / 0.4);
		double k_exact = cbrt((wmax_seg - (double)cc.ssthresh / MSS) / 0.4);
		ck_assert_msg(fabs(k - k_exact) < 1e-9, "K %f vs %f", k, k_exact);
		ck_assert_msg(fabs(k - k_rfc8312) < 1e-3, "K %f vs %f", k, k_rfc8312);
	}
	/* W_max = 100 segments: K = cbrt(75) = 4.2172 s */
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 100 * MSS;
	cc.ops->on_loss(&cc, cc.cwnd, 0);
	cc.ops->on_recovered(&cc, 0);
	cc.ops->on_ack(&cc, MSS, cc.cwnd, 100 * MS, 1 * MS);
	double k = 0;
	tcp_cc_cubic_state(&cc, NULL, &k);
	ck_assert(fabs(k - 4.2171633) < 1e-6);
}
END_TEST

/* Loss at 100 segments, 100 ms RTT, then a window-limited sender: cwnd stays
 * on max(W_cubic(t), W_est) (RFC 9438 4.2, 4.3) to within one RTT of time
 * and one segment of rounding. W_est is modelled per RTT: +alpha_cubic until
 * it regains cwnd_prior (100), then +1. */
START_TEST(test_cubic_follows_curve)
{
	const uint64_t rtt = 100 * MS;
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 100 * MSS;
	uint64_t now = 5 * SEC;
	cc.ops->on_loss(&cc, cc.cwnd, now);
	cc.ops->on_recovered(&cc, now);
	ck_assert_uint_eq(cc.cwnd, 70 * MSS);

	const double k = cbrt(100 * 0.3 / 0.4);
	const double alpha = 3 * (1 - 0.7) / (1 + 0.7);
	double w_est = 70;
	int reno_rounds = 0;
	/* the stage (t = 0) starts at the first ACK of the first round */
	const uint64_t epoch = now + rtt / (cc.cwnd / MSS);
	for (int round = 0; round < 80; round++) {
		now = run_rtt(&cc, now, rtt);
		w_est += w_est >= 100 ? 1 : alpha;
		double t = (double)(now - epoch) / SEC;
		double w = (double)cc.cwnd / MSS;
		double lo = fmax(w_cubic_seg(100, k, t - 0.1), w_est - 1.5) - 1;
		double hi = fmax(w_cubic_seg(100, k, t + 0.1), w_est + 1.5) + 1;
		ck_assert_msg(w >= lo && w <= hi, "t=%.2f cwnd=%.2f not in [%.2f, %.2f]",
			      t, w, lo, hi);
		reno_rounds += w_est > w_cubic_seg(100, k, t) + 1;
	}
	/* both regions were exercised: cubic first, then Reno-friendly near
	 * the plateau where the 1 segment/RTT of W_est is faster */
	ck_assert_int_gt(reno_rounds, 5);
	ck_assert_int_lt(reno_rounds, 40);
}
END_TEST

START_TEST(test_cubic_concave_then_convex)
{
	const uint64_t rtt = 100 * MS;
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 100 * MSS;
	uint64_t now = 0;
	cc.ops->on_loss(&cc, cc.cwnd, now);
	cc.ops->on_recovered(&cc, now);
	/* K = 4.22 s = 42 rounds. Record cwnd at each round end. */
	uint32_t w[100];
	for (int i = 0; i < 100; i++) {
		now = run_rtt(&cc, now, rtt);
		w[i] = cc.cwnd;
	}
	/* concave (RFC 9438 4.4): growth slows on approach to W_max */
	uint32_t g1 = w[13] - w[0], g2 = w[26] - w[13], g3 = w[39] - w[26];
	ck_assert_uint_gt(g1, g2);
	ck_assert_uint_gt(g2, g3);
	/* plateau: within 1% of W_max around t = K, and never far above it */
	ck_assert_uint_ge(w[41], 99 * MSS);
	ck_assert_uint_le(w[41], 101 * MSS);
	uint32_t g_plateau = w[45] - w[38];
	ck_assert_uint_lt(g_plateau, 2 * MSS);
	/* convex (RFC 9438 4.5): growth speeds up past W_max */
	uint32_t g4 = w[58] - w[45], g5 = w[71] - w[58], g6 = w[84] - w[71];
	ck_assert_uint_lt(g4, g5);
	ck_assert_uint_lt(g5, g6);
	ck_assert_uint_gt(w[99], 120 * MSS);
	/* never more than 1.5x per RTT (RFC 9438 4.2 target bound) */
	for (int i = 1; i < 100; i++)
		ck_assert_uint_le(w[i], w[i - 1] + w[i - 1] / 2);
}
END_TEST

/* Small W_max and a 1 ms RTT: Reno's linear growth beats the cubic curve,
 * so cwnd follows W_est (RFC 9438 4.3). */
START_TEST(test_cubic_reno_friendly)
{
	const uint64_t rtt = 1 * MS;
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 20 * MSS;
	uint64_t now = 1 * SEC;
	cc.ops->on_loss(&cc, cc.cwnd, now);
	cc.ops->on_recovered(&cc, now);
	ck_assert_uint_eq(cc.cwnd, 14 * MSS);
	const double k = cbrt(20 * 0.3 / 0.4);
	const double alpha = 3 * (1 - 0.7) / (1 + 0.7);
	/* Reno model per RTT: alpha until cwnd_prior (20) is regained, then 1 */
	double model = 14;
	for (int round = 1; round <= 200; round++) {
		now = run_rtt(&cc, now, rtt);
		model += model >= 20 ? 1 : alpha;
		double w = (double)cc.cwnd / MSS;
		double t = (double)(now - 1 * SEC) / SEC;
		ck_assert_msg(fabs(w - model) <= 0.05 * model + 1,
			      "round %d: cwnd %.2f vs Reno model %.2f", round, w, model);
		/* well above the cubic curve once it has pulled away */
		if (round > 20)
			ck_assert(w > w_cubic_seg(20, k, t + 0.001) + 1);
	}
	ck_assert_uint_gt(cc.cwnd, 180 * MSS);
}
END_TEST

START_TEST(test_cubic_alpha_before_prior)
{
	/* Before W_est reaches cwnd_prior it grows by alpha_cubic (0.53) per RTT,
	 * not 1: after 10 RTTs from 14 segments, 14 + 5.3 */
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 20 * MSS;
	uint64_t now = 0;
	cc.ops->on_loss(&cc, cc.cwnd, now);
	cc.ops->on_recovered(&cc, now);
	for (int i = 0; i < 10; i++)
		now = run_rtt(&cc, now, 1 * MS);
	double w = (double)cc.cwnd / MSS;
	ck_assert_msg(w > 18.8 && w < 19.8, "cwnd %.2f", w);
}
END_TEST

START_TEST(test_cubic_fast_convergence)
{
	/* a window large enough (1000 segments, 100 ms) that the cubic curve,
	 * not W_est, governs until the plateau */
	const uint64_t rtt = 100 * MS;
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 1000 * MSS;
	cc.ops->on_loss(&cc, cc.cwnd, 0);
	cc.ops->on_recovered(&cc, 0);
	double w_max = 0;
	tcp_cc_cubic_state(&cc, &w_max, NULL);
	ck_assert(w_max == 1000.0 * MSS);

	/* the next loss comes below W_max: RFC 9438 4.7 lowers W_max to
	 * cwnd * (1 + beta) / 2 = 800 * 0.85 = 680 segments */
	cc.cwnd = 800 * MSS;
	uint64_t now = 1 * SEC;
	cc.ops->on_loss(&cc, cc.cwnd, now);
	cc.ops->on_recovered(&cc, now);
	tcp_cc_cubic_state(&cc, &w_max, NULL);
	ck_assert(fabs(w_max - 680.0 * MSS) < 1e-6);
	ck_assert_uint_eq(cc.ssthresh, 560 * MSS);

	/* the plateau is at 680 segments, reached at K = cbrt((680 - 560)/0.4):
	 * without fast convergence it would be 800, at cbrt(240/0.4) */
	const double k = cbrt(120 / 0.4);
	const uint64_t start = now;
	while ((double)(now - start) / SEC < k)
		now = run_rtt(&cc, now, rtt);
	double w = (double)cc.cwnd / MSS;
	ck_assert_msg(fabs(w - 680) < 680 * 0.01, "cwnd at K: %.2f", w);
	double k_got = 0;
	tcp_cc_cubic_state(&cc, NULL, &k_got);
	ck_assert(fabs(k_got - k) < 1e-9);

	/* a loss at or above W_max sets W_max = cwnd (no convergence step) */
	cc.cwnd = 900 * MSS;
	cc.ops->on_loss(&cc, cc.cwnd, now);
	tcp_cc_cubic_state(&cc, &w_max, NULL);
	ck_assert(w_max == 900.0 * MSS);
}
END_TEST

START_TEST(test_cubic_on_rto)
{
	const uint64_t rtt = 50 * MS;
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 100 * MSS;
	cc.ops->on_rto(&cc, 100 * MSS, 1 * SEC);
	/* RFC 9438 4.8: ssthresh as in 4.6, cwnd = 1 SMSS */
	ck_assert_uint_eq(cc.ssthresh, 70 * MSS);
	ck_assert_uint_eq(cc.cwnd, MSS);
	/* second expiry for the same data: ssthresh held */
	cc.ops->on_rto(&cc, MSS, 2 * SEC);
	ck_assert_uint_eq(cc.ssthresh, 70 * MSS);
	ck_assert_uint_eq(cc.cwnd, MSS);
	/* slow start back to ssthresh */
	uint64_t now = 3 * SEC;
	while (tcp_cc_in_slow_start(&cc))
		now = run_rtt(&cc, now, rtt);
	ck_assert_uint_ge(cc.cwnd, 70 * MSS);
	now = run_rtt(&cc, now, rtt);
	/* first stage after a timeout: K = 0, W_max = cwnd_epoch (4.8) */
	double w_max = 0, k = -1;
	tcp_cc_cubic_state(&cc, &w_max, &k);
	ck_assert(k == 0);
	ck_assert(w_max >= 70.0 * MSS && w_max <= 72.0 * MSS);
	/* convex growth from there on */
	uint32_t w0 = cc.cwnd;
	for (int i = 0; i < 20; i++)
		now = run_rtt(&cc, now, rtt);
	uint32_t w1 = cc.cwnd;
	for (int i = 0; i < 20; i++)
		now = run_rtt(&cc, now, rtt);
	ck_assert_uint_gt(w1, w0);
	ck_assert_uint_gt(cc.cwnd - w1, w1 - w0);
}
END_TEST

START_TEST(test_cubic_idle_restart)
{
	struct tcp_cc cc;
	cc_start(&cc, &tcp_cc_cubic, MSS, 0);
	cc.cwnd = 100 * MSS;
	cc.ssthresh = 70 * MSS;
	cc.ops->on_idle_restart(&cc, 10 * SEC);
	ck_assert_uint_eq(cc.cwnd, 14600);
	ck_assert_uint_eq(cc.ssthresh, 70 * MSS);
	cc.cwnd = 3 * MSS;
	cc.ops->on_idle_restart(&cc, 20 * SEC);
	ck_assert_uint_eq(cc.cwnd, 3 * MSS);
}
END_TEST

/* Application-limited time is not counted in t (RFC 9438 5.8): a pause in
 * the middle of a stage leaves cwnd where a run without the pause is. */
START_TEST(test_cubic_app_limited_freezes_curve)
{
	const uint64_t rtt = 100 * MS;
	struct tcp_cc a, b;
	cc_start(&a, &tcp_cc_cubic, MSS, 0);
	cc_start(&b, &tcp_cc_cubic, MSS, 0);
	a.cwnd = b.cwnd = 100 * MSS;
	uint64_t ta = 0, tb = 0;
	a.ops->on_loss(&a, a.cwnd, 0);
	a.ops->on_recovered(&a, 0);
	b.ops->on_loss(&b, b.cwnd, 0);
	b.ops->on_recovered(&b, 0);
	for (int i = 0; i < 10; i++) {
		ta = run_rtt(&a, ta, rtt);
		tb = run_rtt(&b, tb, rtt);
	}
	/* b: 3 s of one-segment exchanges (far below half of cwnd) */
	uint32_t held = b.cwnd;
	for (int i = 0; i < 30; i++) {
		tb += rtt;
		b.ops->on_ack(&b, MSS, MSS, rtt, tb);
		ck_assert_uint_eq(b.cwnd, held);
	}
	for (int i = 0; i < 10; i++) {
		ta = run_rtt(&a, ta, rtt);
		tb = run_rtt(&b, tb, rtt);
	}
	ck_assert_msg(abs((int)a.cwnd - (int)b.cwnd) <= (int)(2 * MSS),
		      "paused %u vs continuous %u", b.cwnd, a.cwnd);
}
END_TEST

START_TEST(test_cubic_jumbo_mss)
{
	/* the curve is in segments: a 9000-byte MSS gives the same K and the
	 * same window in segments as 1460 */
	struct tcp_cc a, b;
	cc_start(&a, &tcp_cc_cubic, 1460, 0);
	cc_start(&b, &tcp_cc_cubic, 9000, 0);
	a.cwnd = 50 * 1460;
	b.cwnd = 50 * 9000;
	uint64_t ta = 0, tb = 0;
	a.ops->on_loss(&a, a.cwnd, 0);
	a.ops->on_recovered(&a, 0);
	b.ops->on_loss(&b, b.cwnd, 0);
	b.ops->on_recovered(&b, 0);
	for (int i = 0; i < 30; i++) {
		ta = run_rtt(&a, ta, 100 * MS);
		tb = run_rtt(&b, tb, 100 * MS);
	}
	double ka, kb;
	tcp_cc_cubic_state(&a, NULL, &ka);
	tcp_cc_cubic_state(&b, NULL, &kb);
	ck_assert(fabs(ka - kb) < 1e-9);
	ck_assert(fabs((double)a.cwnd / 1460 - (double)b.cwnd / 9000) < 1.0);
}
END_TEST

static Suite *
tcp_cc_suite(void)
{
	Suite *s = suite_create("tcp_cc");

	TCase *tr = tcase_create("rtt");
	tcase_add_test(tr, test_rtt_init);
	tcase_add_test(tr, test_rtt_first_sample);
	tcase_add_test(tr, test_rtt_second_and_third_sample);
	tcase_add_test(tr, test_rtt_convergence_and_g_floor);
	tcase_add_test(tr, test_rtt_g_vs_variance);
	tcase_add_test(tr, test_rtt_min_clamp);
	tcase_add_test(tr, test_rtt_max_clamp);
	tcase_add_test(tr, test_rtt_backoff_doubles_and_caps);
	tcase_add_test(tr, test_rtt_backoff_exact_steps);
	tcase_add_test(tr, test_rtt_reset_backoff);
	tcase_add_test(tr, test_rtt_syn_lost);
	tcase_add_test(tr, test_rtt_zero_sample);
	suite_add_tcase(s, tr);

	TCase *tg = tcase_create("registry");
	tcase_add_test(tg, test_initial_window);
	tcase_add_test(tg, test_registry);
	tcase_add_test(tg, test_cwnd_never_exceeds_max);
	suite_add_tcase(s, tg);

	TCase *tn = tcase_create("newreno");
	tcase_add_test(tn, test_newreno_zero_mss);
	tcase_add_test(tn, test_newreno_slow_start_abc);
	tcase_add_test(tn, test_newreno_slow_start_stops_at_ssthresh);
	tcase_add_test(tn, test_newreno_congestion_avoidance);
	tcase_add_test(tn, test_newreno_on_loss);
	tcase_add_test(tn, test_newreno_recovery_round_trip);
	tcase_add_test(tn, test_newreno_on_rto);
	tcase_add_test(tn, test_newreno_idle_restart);
	tcase_add_test(tn, test_newreno_app_limited);
	suite_add_tcase(s, tn);

	TCase *tc = tcase_create("cubic");
	tcase_add_test(tc, test_cubic_slow_start);
	tcase_add_test(tc, test_cubic_on_loss_beta);
	tcase_add_test(tc, test_cubic_k_matches_rfc);
	tcase_add_test(tc, test_cubic_follows_curve);
	tcase_add_test(tc, test_cubic_concave_then_convex);
	tcase_add_test(tc, test_cubic_reno_friendly);
	tcase_add_test(tc, test_cubic_alpha_before_prior);
	tcase_add_test(tc, test_cubic_fast_convergence);
	tcase_add_test(tc, test_cubic_on_rto);
	tcase_add_test(tc, test_cubic_idle_restart);
	tcase_add_test(tc, test_cubic_app_limited_freezes_curve);
	tcase_add_test(tc, test_cubic_jumbo_mss);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(tcp_cc_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

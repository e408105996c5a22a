/*
 * NewReno window sizing (RFC 5681 slow start and congestion avoidance with
 * RFC 3465 byte counting; RFC 6582 leaves recovery itself to the core).
 * Called through tcp_cc_newreno's hooks by the TCP core; see tcp_cc.h for
 * what the core does between on_loss and on_recovered.
 */
#include <assert.h>
#include <string.h>

#include "tcp_cc.h"

struct newreno {
	uint32_t bytes_acked;   /* RFC 3465 2.1 / RFC 5681 3.1 byte counter in CA */
	bool rto_pending;       /* an RTO happened and no new data was acked since */
};

static_assert(sizeof(struct newreno) <= sizeof(((struct tcp_cc *)0)->priv),
	      "NewReno state must fit in tcp_cc.priv");

/* priv[] is uint64_t storage: copy in and out rather than cast, so the
 * state is never accessed through a type it was not declared with. */
static struct newreno
nr_load(const struct tcp_cc *cc)
{
	struct newreno nr;
	memcpy(&nr, cc->priv, sizeof(nr));
	return nr;
}

static void
nr_store(struct tcp_cc *cc, const struct newreno *nr)
{
	memcpy(cc->priv, nr, sizeof(*nr));
}

static void
newreno_init(struct tcp_cc *cc, uint32_t mss, uint64_t now)
{
	/* RFC 9293 3.7.1: 536 is the send MSS when nothing better is known */
	if (mss == 0)
		mss = 536;
	memset(cc->priv, 0, sizeof(cc->priv));
	cc->mss = mss;
	cc->cwnd = tcp_cc_initial_window(mss);   /* RFC 6928 2 */
	cc->ssthresh = UINT32_MAX;                /* RFC 5681 3.1: arbitrarily high */
	cc->last_send_ns = now;
}

/* Congestion avoidance by byte counting: RFC 5681 3.1 recommends adding SMSS
 * once a full cwnd of bytes has been acked (RFC 3465 2.1), which gives
 * exactly 1 SMSS per RTT whatever the ACK pattern (delayed, stretch). */
static void
newreno_cong_avoid(struct tcp_cc *cc, struct newreno *nr, uint32_t acked)
{
	nr->bytes_acked += acked;
	while (nr->bytes_acked >= cc->cwnd && cc->cwnd < TCP_CC_CWND_MAX) {
		nr->bytes_acked -= cc->cwnd;
		cc->cwnd += cc->mss;
		if (cc->cwnd > TCP_CC_CWND_MAX)
			cc->cwnd = TCP_CC_CWND_MAX;
	}
	if (cc->cwnd >= TCP_CC_CWND_MAX)
		nr->bytes_acked = 0;
}

static void
newreno_on_ack(struct tcp_cc *cc, uint32_t acked, uint32_t flight, uint64_t rtt_ns,
	       uint64_t now)
{
	struct newreno nr = nr_load(cc);
	(void)rtt_ns;
	(void)now;

	/* New data acked: a later RTO is a fresh loss event (RFC 5681 3.1). */
	nr.rto_pending = false;
	if (tcp_cc_cwnd_limited(cc, flight)) {
		if (tcp_cc_in_slow_start(cc))
			acked = tcp_cc_slow_start(cc, acked);
		if (acked > 0)
			newreno_cong_avoid(cc, &nr, acked);
	}
	nr_store(cc, &nr);
}

/* RFC 5681 3.1 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS) */
static uint32_t
newreno_half_flight(const struct tcp_cc *cc, uint32_t flight)
{
	uint32_t half = flight / 2;
	return half > 2 * cc->mss ? half : 2 * cc->mss;
}

static void
newreno_on_loss(struct tcp_cc *cc, uint32_t flight, uint64_t now)
{
	struct newreno nr = nr_load(cc);
	(void)now;

	/* RFC 5681 3.2 step 2: halve what was in flight, not cwnd (cwnd may be
	 * far above what the application actually used) */
	cc->ssthresh = newreno_half_flight(cc, flight);
	/* The core adds the 3*SMSS and per-dupack inflation (tcp_cc.h). */
	cc->cwnd = cc->ssthresh;
	nr.bytes_acked = 0;
	nr.rto_pending = false;
	nr_store(cc, &nr);
}

static void
newreno_on_recovered(struct tcp_cc *cc, uint64_t now)
{
	(void)now;
	/* RFC 6582 3.2 step 3 (full ACK), option 2: deflate to ssthresh */
	cc->cwnd = cc->ssthresh;
	struct newreno nr = nr_load(cc);
	nr.bytes_acked = 0;
	nr_store(cc, &nr);
}

static void
newreno_on_rto(struct tcp_cc *cc, uint32_t flight, uint64_t now)
{
	struct newreno nr = nr_load(cc);
	(void)now;

	/* RFC 5681 3.1: eq. 4 applies only if the segment has not already been
	 * resent by the timer; a second expiry would otherwise shrink ssthresh
	 * to 2*SMSS from the one segment still in flight. */
	if (!nr.rto_pending)
		cc->ssthresh = newreno_half_flight(cc, flight);
	/* RFC 5681 3.1: cwnd = LW = 1 SMSS after a timeout */
	cc->cwnd = cc->mss;
	nr.bytes_acked = 0;
	nr.rto_pending = true;
	nr_store(cc, &nr);
}

static void
newreno_on_idle_restart(struct tcp_cc *cc, uint64_t now)
{
	(void)now;
	/* RFC 5681 4.1: after an idle period longer than RTO,
	 * cwnd = RW = min(IW, cwnd); ssthresh is kept as the memory of the path */
	uint32_t rw = tcp_cc_initial_window(cc->mss);
	if (cc->cwnd > rw)
		cc->cwnd = rw;
	struct newreno nr = nr_load(cc);
	nr.bytes_acked = 0;
	nr_store(cc, &nr);
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_loss = newreno_on_loss,
	.on_recovered = newreno_on_recovered,
	.on_rto = newreno_on_rto,
	.on_idle_restart = newreno_on_idle_restart,
};

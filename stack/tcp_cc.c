/*
 * Congestion control registry and the pieces every algorithm shares: the
 * initial window, slow start with byte counting, and the "is the window in
 * use" test. The TCP core looks algorithms up here (TCP_CONGESTION); the
 * algorithms themselves live in tcp_cc_<name>.c.
 */
#include <stddef.h>
#include <string.h>

#include "tcp_cc.h"

static const struct {
	const char *name;
	const struct tcp_cc_ops *ops;
} tcp_cc_registry[] = {
	{ "cubic",   &tcp_cc_cubic },
	{ "newreno", &tcp_cc_newreno },
	/* Linux calls its NewReno "reno"; accept both spellings. */
	{ "reno",    &tcp_cc_newreno },
};

const struct tcp_cc_ops *
tcp_cc_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(tcp_cc_registry) / sizeof(tcp_cc_registry[0]); i++)
		if (strncmp(name, tcp_cc_registry[i].name, TCP_CC_NAME_MAX) == 0)
			return tcp_cc_registry[i].ops;
	return NULL;
}

const struct tcp_cc_ops *
tcp_cc_default(void)
{
	return &tcp_cc_cubic;
}

uint32_t
tcp_cc_initial_window(uint32_t mss)
{
	/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)) */
	uint64_t ten = 10ull * mss, two = 2ull * mss;
	uint64_t iw = two > 14600 ? two : 14600;
	if (ten < iw)
		iw = ten;
	return iw > TCP_CC_CWND_MAX ? TCP_CC_CWND_MAX : (uint32_t)iw;
}

bool
tcp_cc_cwnd_limited(const struct tcp_cc *cc, uint32_t flight)
{
	/* RFC 7661 3: a sender using less than half of cwnd is rate-limited and
	 * its cwnd is not validated by the ACKs it gets, so it must not grow
	 * (otherwise an application-limited flow inflates cwnd unboundedly). */
	return 2ull * flight >= cc->cwnd;
}

uint32_t
tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked)
{
	/* RFC 5681 3.1 eq. 2 with RFC 3465 2.2: grow by the bytes acked, at most
	 * L*SMSS per ACK so a stretch ACK cannot cause a line-rate burst. */
	uint64_t inc = acked;
	if (inc > (uint64_t)TCP_CC_ABC_L * cc->mss)
		inc = (uint64_t)TCP_CC_ABC_L * cc->mss;

	uint32_t limit = cc->ssthresh < TCP_CC_CWND_MAX ? cc->ssthresh : TCP_CC_CWND_MAX;
	if (cc->cwnd >= limit)
		return 0;
	uint32_t room = limit - cc->cwnd;
	if (inc < room) {
		cc->cwnd += (uint32_t)inc;
		return 0;
	}
	/* Stop at ssthresh rather than overshoot it (RFC 5681 3.1 switches to
	 * congestion avoidance there); what this ACK acked beyond that point
	 * is handed to congestion avoidance. */
	cc->cwnd = limit;
	if (limit == TCP_CC_CWND_MAX && limit < cc->ssthresh)
		return 0;
	return acked > room ? acked - room : 0;
}

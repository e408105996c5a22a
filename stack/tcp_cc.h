/*
 * Pluggable congestion control (FreeBSD cc/ style): each algorithm is a
 * table of hooks over a struct tcp_cc holding cwnd/ssthresh and a private
 * area. Chosen per socket with TCP_CONGESTION. Loss detection and recovery
 * (fast retransmit, NewReno partial ACKs RFC 6582, SACK recovery RFC 6675)
 * live in the TCP core; these hooks only size the window.
 * All windows are in bytes; time is passed in (ns).
 *
 * Division of labour between the hooks and the core:
 *  - Before calling init the core sets cc->ops; the hooks never change it.
 *  - Outside recovery the hooks own cwnd and ssthresh. The core calls on_ack
 *    once per ACK that advances SND.UNA, with @p flight = bytes in flight
 *    before that ACK. Growth only happens while the window is in use
 *    (flight >= cwnd/2, RFC 7661 3), so flight must be accurate, not 0.
 *  - Duplicate ACKs are the core's: it counts them and decides on fast
 *    retransmit (RFC 5681 3.2 steps 1-2, or RFC 6675 5 with SACK), then calls
 *    on_loss once per congestion event. on_loss sets ssthresh and
 *    cwnd = ssthresh and nothing more.
 *  - From on_loss until on_recovered (or on_rto) the core owns cwnd and does
 *    not call on_ack, neither for further duplicate ACKs nor partial ACKs:
 *      without SACK (NewReno): right after on_loss it sets
 *        cwnd = ssthresh + 3*SMSS (RFC 5681 3.2 step 3), adds SMSS per
 *        further duplicate ACK (step 4), and on a partial ACK deflates cwnd
 *        by the bytes newly acked, adding back SMSS if that was >= SMSS
 *        (RFC 6582 3.2 step 3, partial acknowledgments);
 *      with SACK (RFC 6675 5): it leaves cwnd = ssthresh and sends while
 *        pipe < cwnd.
 *  - On the full ACK that ends recovery (RFC 6582 3.2 step 3, full
 *    acknowledgments; RFC 6675 5) the core calls on_recovered, which sets
 *    cwnd = ssthresh (option 2) and so discards any inflation; the core may
 *    then lower cwnd to max(FlightSize, SMSS) + SMSS to avoid a burst
 *    (option 1). That ACK is not also passed to on_ack.
 *  - On each RTO expiry the core calls on_rto (and leaves recovery, RFC 6582
 *    3.2 step 4). Only the first expiry for a segment lowers ssthresh
 *    (RFC 5681 3.1, the condition before eq. 4): the hooks remember an RTO
 *    until the next on_ack, so the core calls on_rto on every expiry.
 *  - The core stamps last_send_ns on every transmission and, when it is
 *    about to send after more than one RTO of silence, calls on_idle_restart
 *    (RFC 5681 4.1) before sending.
 */
#ifndef TERN_TCP_CC_H
#define TERN_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_CC_NAME_MAX 16
#define TCP_CC_PRIV 96
/** Largest cwnd: the largest window a peer can offer (RFC 7323 2.3: 2^30). */
#define TCP_CC_CWND_MAX (1u << 30)
/** Appropriate byte counting limit L, in SMSS per ACK (RFC 3465 2.2). */
#define TCP_CC_ABC_L 2

struct tcp_cc {
	const struct tcp_cc_ops *ops;
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t mss;             /* SMSS (RFC 5681 2) */
	uint64_t last_send_ns;    /* for restart after idle (RFC 5681 4.1) */
	uint64_t priv[TCP_CC_PRIV / 8];
};

struct tcp_cc_ops {
	const char *name;
	/** Connection established: initial window RFC 6928 (min(10*MSS, max(2*MSS, 14600))),
	 *  ssthresh "arbitrarily high" (RFC 5681 3.1). */
	void (*init)(struct tcp_cc *cc, uint32_t mss, uint64_t now);
	/** New data acknowledged outside recovery. @p acked bytes newly acked,
	 *  @p flight bytes in flight before this ACK, @p rtt_ns latest sample (0 = none). */
	void (*on_ack)(struct tcp_cc *cc, uint32_t acked, uint32_t flight, uint64_t rtt_ns,
		       uint64_t now);
	/** Loss detected by duplicate ACKs/SACK: entering fast recovery.
	 *  Set ssthresh (RFC 5681 3.2 step 2: max(flight/2, 2*MSS) for NewReno;
	 *  RFC 9438 4.6 for CUBIC) and cwnd for recovery. */
	void (*on_loss)(struct tcp_cc *cc, uint32_t flight, uint64_t now);
	/** Recovery finished (full ACK): cwnd = ssthresh (RFC 6582 3.2 step 3). */
	void (*on_recovered)(struct tcp_cc *cc, uint64_t now);
	/** Retransmission timeout: ssthresh per RFC 5681 (4), cwnd = 1 MSS (LW). */
	void (*on_rto)(struct tcp_cc *cc, uint32_t flight, uint64_t now);
	/** Sending again after an idle period longer than RTO (RFC 5681 4.1):
	 *  cwnd = min(cwnd, restart window = IW). */
	void (*on_idle_restart)(struct tcp_cc *cc, uint64_t now);
};

extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;
/** Look an algorithm up by name ("reno"/"newreno", "cubic"). NULL if unknown. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);
/** Default algorithm (CUBIC, like Linux). */
const struct tcp_cc_ops *tcp_cc_default(void);
/** Initial window for an MSS (RFC 6928 2). */
uint32_t tcp_cc_initial_window(uint32_t mss);

/* Helpers shared by the algorithms (tcp_cc.c); the core may use the first. */

/** RFC 5681 3.1: slow start while cwnd < ssthresh. */
static inline bool
tcp_cc_in_slow_start(const struct tcp_cc *cc)
{
	return cc->cwnd < cc->ssthresh;
}
/** Whether the window is in use enough to be grown (RFC 7661 3): at least
 *  half of cwnd in flight. */
bool tcp_cc_cwnd_limited(const struct tcp_cc *cc, uint32_t flight);
/** One slow-start step (RFC 5681 3.1 with RFC 3465 2.2, L = 2), stopping at
 *  ssthresh. Call only in slow start.
 *  @return the acked bytes left over for congestion avoidance (0 if none). */
uint32_t tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked);

/** CUBIC's curve parameters (RFC 9438 4.2), for tests and TCP_INFO.
 *  @param w_max  W_max in bytes (0 before any congestion event)
 *  @param k_s    K in seconds, 0 outside a congestion avoidance stage
 *  @return false if @p cc does not run CUBIC. Either pointer may be NULL. */
bool tcp_cc_cubic_state(const struct tcp_cc *cc, double *w_max, double *k_s);

#endif

/*
 * Pluggable congestion control (FreeBSD cc/ style): each algorithm is a
 * table of hooks over a struct tcp_cc holding cwnd/ssthresh and a private
 * area. Chosen per socket with TCP_CONGESTION. Loss detection and recovery
 * (fast retransmit, NewReno partial ACKs RFC 6582, SACK recovery RFC 6675)
 * live in the TCP core; these hooks only size the window.
 * All windows are in bytes; time is passed in (ns).
 */
#ifndef TERN_TCP_CC_H
#define TERN_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_CC_NAME_MAX 16
#define TCP_CC_PRIV 96

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

#endif

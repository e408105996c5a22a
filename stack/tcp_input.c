/*
 * TCP input: a segment's arrival, processed in the order of RFC 9293
 * 3.10.7 ("SEGMENT ARRIVES"), with the security rules of RFC 5961, PAWS and
 * RTTM of RFC 7323, and loss detection (RFC 5681 dupACKs, RFC 6582
 * NewReno). Called by ipv4_input for protocol 6; consumes the mbuf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "stack_impl.h"
#include "tcp.h"

/* What tcp_input learned of a segment, in host order. */
struct seg {
	struct tcp_repr th;
	uint32_t seq;        /* possibly trimmed */
	uint32_t len;        /* payload bytes (trimmed) */
	uint32_t off;        /* payload offset in the mbuf */
	uint8_t flags;       /* possibly with SYN/FIN trimmed away */
};

static void
drop_ack(struct tern_stack *s, struct tcb *tp)
{
	/* RFC 9293 3.10.7.4: an unacceptable segment is answered with
	 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (unless it was a RST). The RFC's
	 * SND.NXT never moves back; ours does for a go-back-N retransmission,
	 * so the RFC's value is snd_max (FreeBSD sends pure ACKs there too).
	 * A rewound SEQ is below the peer's RCV.NXT when it already has that
	 * data: it finds our ACK unacceptable and answers with its own, which
	 * is just as old if it is recovering too, and neither ever learns what
	 * the other acknowledged (found by the 'sim' suite at 10% loss). */
	tcp_send_ctl(s, tp, WIRE_TCP_ACK, tp->snd_max);
}

static void
challenge_ack(struct tern_stack *s, struct tcb *tp)
{
	/* RFC 5961 3.2 / 4.2 / 5.2, with the throttling of section 7: at most
	 * one challenge per connection per 500 ms (Linux's
	 * tcp_invalid_ratelimit), so a blind attacker gets no amplifier. */
	if (tp->last_challenge != 0 && s->now - tp->last_challenge < 500 * TERN_NS_PER_MS) {
		STAT(s, tcp_challenge_limited);
		return;
	}
	tp->last_challenge = s->now;
	STAT(s, tcp_challenge_ack);
	drop_ack(s, tp);
}

/*
 * When to ACK data. RFC 9293 3.8.6.3 and RFC 1122 4.2.3.2 let a receiver
 * delay an ACK (by less than 0.5 s) but require one for at least every
 * second full-sized segment; RFC 5681 4.2 says the same. Within that, Tern
 * follows Linux's policy (tcp_event_data_recv / __tcp_ack_snd_check), so
 * a peer sees, and a script written against Linux expects, the same ACKs:
 *  - Quick ACKs. A new sender's congestion window is small and grows only
 *    as ACKs come back, so delaying them at the start of a connection
 *    costs it round trips. The first data segments are therefore ACKed at
 *    once: as many as half of our advertised window holds of the peer's
 *    segments, 2 if not even one fits, at most TCP_MAX_QUICKACKS. Every
 *    ACK sent while data was owed uses one. The count is refilled when
 *    data comes after more than an RTO of silence (the sender restarts from
 *    a small window, RFC 5681 4.1) and when data we already had comes again
 *    (our ACK was probably lost).
 *  - Interactive connections ("ping-pong"): once we send data within the
 *    delayed-ACK time of the last data received, the application answers
 *    what it is sent, so the next ACK is better delayed to ride on the
 *    answer: quick ACKs stop. A delayed ACK that has to go out alone (the
 *    timer fired, no answer came) ends the mode, as does duplicate data.
 *  - Otherwise the ACK waits TCP_DELACK_NS (40 ms), unless more than one
 *    full segment is unacknowledged.
 *  - A FIN in ESTABLISHED after data makes the connection interactive: its
 *    ACK waits for the answer or our FIN (fin_input()).
 * Out-of-order data, a filled hole, a FIN in the closing states and
 * unacceptable segments are ACKed at once in any case (RFC 5681 4.2, RFC
 * 9293 3.10.7.4). Linux also stretches its delayed-ACK time with the
 * peer's pace and ACKs when a read drains a short segment; Tern keeps 40 ms.
 */
static void
quickack_refill(struct tcb *tp)
{
	uint32_t wnd = seq_gt(tp->rcv_adv, tp->last_ack_sent) ? tp->rcv_adv - tp->last_ack_sent : 0;
	uint32_t n = wnd / (2u * (tp->rcv_mss ? tp->rcv_mss : TCP_DEFAULT_MSS));
	if (n == 0)
		n = 2;
	if (n > TCP_MAX_QUICKACKS)
		n = TCP_MAX_QUICKACKS;
	if (n > tp->quickacks)
		tp->quickacks = (uint8_t)n;
}

/* Data we already had came again: quick ACKs, and not interactive. */
static void
quickack_enter(struct tcb *tp)
{
	quickack_refill(tp);
	tp->flags &= ~(uint32_t)TF_PINGPONG;
}

/* In-order data was taken (rcv_unacked counts it): ACK now or later. With
 * @p fin the segment also carries the peer's FIN, and fin_input() decides. */
static void
ack_policy_data(struct tern_stack *s, struct tcb *tp, bool fin)
{
	if (!tp->rcvd_data) {
		tp->rcvd_data = true;
		quickack_refill(tp);
	} else if (s->now - tp->last_data_ns > tcp_rtt_timeout(&tp->rtt)) {
		quickack_refill(tp);
	}
	tp->last_data_ns = s->now;
	tp->flags |= TF_ACKSCHED;
	if (fin)
		return;
	bool quick = tp->quickacks > 0 && !(tp->flags & TF_PINGPONG);
	if (tp->rcv_unacked > tp->rcv_mss || quick) {
		tp->flags |= TF_ACKNOW;
	} else if (!(tp->flags & TF_DELACK)) {
		tp->flags |= TF_DELACK;
		tcp_timer_arm(s, tp, TCPT_DELACK, TCP_DELACK_NS);
	}
}

/* Options of a SYN or SYN-ACK: what the connection will use (RFC 9293
 * 3.7.1 MSS, RFC 7323 2.2 / 3.2 wscale and timestamps, RFC 2018 2 SACK). */
static void
syn_options(struct tern_stack *s, struct tcb *tp, const struct tcp_opts *o, bool active)
{
	uint16_t mss = o->has_mss ? o->mss : TCP_DEFAULT_MSS;
	if (mss < TCP_MIN_MSS)
		mss = TCP_MIN_MSS;
	tp->peer_mss = mss;
	uint16_t ours = (uint16_t)(s->mtu - WIRE_IPV4_HLEN - WIRE_TCP_HLEN);
	if (tp->mss_clamp != 0 && tp->mss_clamp < ours)
		ours = tp->mss_clamp;
	tp->mss = mss < ours ? mss : ours;
	tp->rcv_mss = tp->mss;   /* refined by what the peer actually sends */
	if (o->has_wscale) {
		tp->flags |= TF_WS;
		tp->snd_wscale = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
		if (!active)
			tp->rcv_wscale = 7;   /* Linux's usual choice: scripts expect it */
	} else {
		tp->flags &= ~(uint32_t)TF_WS;
		tp->snd_wscale = 0;
		tp->rcv_wscale = 0;
	}
	if (o->sack_perm)
		tp->flags |= TF_SACK;
	else
		tp->flags &= ~(uint32_t)TF_SACK;
	if (o->has_ts) {
		tp->flags |= TF_TS;
		tp->ts_recent = o->ts_val;
		tp->ts_recent_age = s->now;
		/* RFC 9293 3.7.1: the MSS counts data only, and every segment
		 * will carry 12 bytes of timestamp option (Linux: 1448). */
		tp->mss -= 12;
	} else {
		tp->flags &= ~(uint32_t)TF_TS;
	}
	if ((tp->flags & TF_SACK) && tp->sb == NULL)
		tp->sb = calloc(1, sizeof(*tp->sb));
}

/* Set the congestion state once the connection is synchronized. */
static void
conn_established(struct tern_stack *s, struct tcb *tp)
{
	tp->cc.ops->init(&tp->cc, tp->mss, s->now);
	if (tp->flags & TF_SYN_LOST)
		tcp_rtt_syn_lost(&tp->rtt);
	tcp_set_state(s, tp, TCPS_ESTABLISHED);
	tp->idle_since = s->now;
	if (tp->flags & TF_KEEPALIVE)
		tcp_timer_arm(s, tp, TCPT_KEEP, tp->keep_idle);
	else
		tcp_timer_stop(s, tp, TCPT_KEEP);
}

/* A child takes its listener's socket options. */
static void
inherit(struct tern_stack *s, struct tcb *tp, const struct tcb *l)
{
	/* Linux's accept()ed socket is a clone of the listener's: SO_LINGER,
	 * SO_REUSEADDR and SO_REUSEPORT come along too. */
	tp->flags |= l->flags & (TF_NODELAY | TF_KEEPALIVE | TF_LINGER0 | TF_REUSEADDR |
				 TF_REUSEPORT);
	tp->rcvbuf = l->rcvbuf;
	tp->sndbuf = l->sndbuf;
	tp->ttl = l->ttl;
	tp->tos = l->tos;
	tp->mss_clamp = l->mss_clamp;
	tp->cc.ops = l->cc.ops;
	tp->keep_idle = l->keep_idle;
	tp->keep_intvl = l->keep_intvl;
	tp->keep_cnt = l->keep_cnt;
	tp->ts_offset = (uint32_t)stack_random(s);
}

#define COOKIE_WINDOW_NS (120ull * TERN_NS_PER_SEC)

/* RFC 4987 3.6: the SYN queue is full, so answer without keeping state:
 * our ISN is a cookie that encodes the peer's MSS; with timestamps, TSval
 * carries its window scale and SACK-permitted (as Linux does). Without
 * timestamps those options cannot be remembered, so they are not offered. */
static void
syncookie_reply(struct tern_stack *s, struct tcb *l, const struct ipv4_repr *ip,
		const struct tcp_repr *th)
{
	struct tcb tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.t = (struct tcp_4tuple){ .laddr = ip->dst, .raddr = ip->src,
				     .lport = th->dport, .rport = th->sport };
	tmp.state = TCPS_SYN_RECEIVED;
	tmp.slot = TCB_NO_SLOT;
	tmp.rcvbuf = l->rcvbuf;
	tmp.ttl = l->ttl;
	tmp.tos = l->tos;
	tmp.mss = TCP_DEFAULT_MSS;
	tmp.mss_clamp = l->mss_clamp;
	tmp.irs = th->seq;
	tmp.rcv_nxt = th->seq + 1;
	tmp.rcv_adv = tmp.rcv_nxt;
	uint16_t peer_mss = th->opt.has_mss ? th->opt.mss : TCP_DEFAULT_MSS;
	tmp.iss = tcp_cookie_make(&s->tcp.secret, &tmp.t, th->seq, peer_mss, s->now);
	if (th->opt.has_ts) {
		tmp.flags |= TF_TS;
		tmp.ts_recent = th->opt.ts_val;
		if (th->opt.has_wscale) {
			tmp.flags |= TF_WS;
			tmp.rcv_wscale = 7;
		}
		if (th->opt.sack_perm)
			tmp.flags |= TF_SACK;
		uint32_t now_ms = (uint32_t)(s->now / TERN_NS_PER_MS);
		uint32_t tsv = tcp_cookie_ts_encode(now_ms, th->opt.wscale, th->opt.has_wscale,
						    th->opt.sack_perm);
		tmp.ts_offset = tsv - now_ms;   /* tcp_ts_now() then yields tsv */
	}
	l->last_cookie_ns = s->now;
	STAT(s, tcp_syncookie_tx);
	tcp_send_ctl(s, &tmp, WIRE_TCP_SYN | WIRE_TCP_ACK, tmp.iss);
}

/* An ACK for a listener with no connection: a cookie's third step? */
static struct tcb *
syncookie_accept(struct tern_stack *s, struct tcb *l, const struct ipv4_repr *ip,
		 const struct tcp_repr *th)
{
	if (l->last_cookie_ns == 0 || s->now - l->last_cookie_ns > COOKIE_WINDOW_NS)
		return NULL;
	struct tcp_4tuple t = { .laddr = ip->dst, .raddr = ip->src,
				.lport = th->dport, .rport = th->sport };
	uint16_t mss;
	if (!tcp_cookie_check(&s->tcp.secret, &t, th->seq - 1, th->ack - 1, s->now, &mss))
		return NULL;
	struct tcb *tp = tcp_tcb_new(s);
	if (tp == NULL)
		return NULL;
	tp->t = t;
	inherit(s, tp, l);
	tp->irs = th->seq - 1;
	tp->rcv_nxt = th->seq;
	/* The cookie SYN-ACK advertised an unscaled window of up to 64 KiB
	 * (RFC 7323 2.2); the peer may use it already. */
	tp->rcv_adv = tp->rcv_nxt + (tp->rcvbuf < 65535 ? tp->rcvbuf : 65535);
	tp->iss = th->ack - 1;
	tp->snd_una = th->ack;
	tp->snd_nxt = th->ack;
	tp->snd_max = th->ack;
	tp->snd_recover = tp->iss;
	tp->snd_sml = tp->iss;
	uint16_t ours = (uint16_t)(s->mtu - WIRE_IPV4_HLEN - WIRE_TCP_HLEN);
	if (tp->mss_clamp != 0 && tp->mss_clamp < ours)
		ours = tp->mss_clamp;
	tp->peer_mss = mss;
	tp->mss = mss < ours ? mss : ours;
	if (th->opt.has_ts && th->opt.ts_ecr != 0) {
		uint8_t ws;
		bool has_ws, sack;
		tcp_cookie_ts_decode(th->opt.ts_ecr, &ws, &has_ws, &sack);
		tp->flags |= TF_TS;
		tp->ts_recent = th->opt.ts_val;
		tp->ts_recent_age = s->now;
		/* Continue the TS clock the SYN-ACK started. */
		tp->ts_offset = th->opt.ts_ecr - (uint32_t)(s->now / TERN_NS_PER_MS);
		tp->mss -= 12;
		if (has_ws) {
			tp->flags |= TF_WS;
			tp->snd_wscale = ws;
			tp->rcv_wscale = 7;
		}
		if (sack) {
			tp->flags |= TF_SACK;
			tp->sb = calloc(1, sizeof(*tp->sb));
		}
	}
	tp->snd_wnd = (uint32_t)th->win << tp->snd_wscale;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = th->seq;
	tp->snd_wl2 = th->ack;
	tp->listener = l;
	tp->state = TCPS_SYN_RECEIVED;
	tcp_hash_insert(s, tp);
	conn_established(s, tp);
	tcp_child_established(s, tp);
	STAT(s, tcp_syncookie_ok);
	return tp;
}

/* RFC 9293 3.10.7.2: a segment for a listening socket. @return a connection
 * made from a SYN cookie (the segment then continues to it), else NULL. */
static struct tcb *
listen_input(struct tern_stack *s, struct tcb *l, const struct ipv4_repr *ip, struct seg *g)
{
	const struct tcp_repr *th = &g->th;
	if (th->flags & WIRE_TCP_RST)
		return NULL;
	if (th->flags & WIRE_TCP_ACK) {
		bool cookies = l->last_cookie_ns != 0 &&
			       s->now - l->last_cookie_ns <= COOKIE_WINDOW_NS;
		if (!(th->flags & WIRE_TCP_SYN) && cookies && l->acc_len >= l->backlog) {
			/* Maybe a valid cookie, but no room to accept it: drop, as
			 * Linux does; the peer's next segment carries it again. */
			STAT(s, tcp_listen_overflow);
			return NULL;
		}
		if (!(th->flags & WIRE_TCP_SYN)) {
			struct tcb *tp = syncookie_accept(s, l, ip, th);
			if (tp != NULL)
				return tp;
			if (cookies)
				STAT(s, tcp_syncookie_bad);
		}
		tcp_respond_rst(s, ip, th, g->len);
		return NULL;
	}
	if (!(th->flags & WIRE_TCP_SYN))
		return NULL;
	if (l->acc_len >= l->backlog) {
		/* Accept queue full: the application is behind; drop, the peer
		 * retries (Linux does the same). */
		STAT(s, tcp_listen_overflow);
		return NULL;
	}
	if (l->syn_len >= l->backlog) {
		/* SYN queue full (a flood, or a burst): SYN cookies. */
		syncookie_reply(s, l, ip, th);
		return NULL;
	}
	struct tcb *tp = tcp_tcb_new(s);
	if (tp == NULL) {
		STAT(s, nombuf);
		return NULL;
	}
	tp->t = (struct tcp_4tuple){ .laddr = ip->dst, .raddr = ip->src,
				     .lport = th->dport, .rport = th->sport };
	inherit(s, tp, l);
	tp->irs = th->seq;
	tp->rcv_nxt = th->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	syn_options(s, tp, &th->opt, false);
	tp->snd_wnd = th->win;   /* RFC 7323 2.2: the SYN's window is never scaled */
	tp->snd_wl1 = th->seq;
	tp->iss = tcp_isn(&s->tcp.secret, &tp->t, s->now);
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->iss + 1;
	tp->snd_max = tp->snd_nxt;
	tp->snd_recover = tp->iss;
	tp->snd_sml = tp->iss;
	tp->listener = l;
	tp->acc_next = l->syn_head;
	l->syn_head = tp;
	l->syn_len++;
	tp->state = TCPS_LISTEN;
	tcp_set_state(s, tp, TCPS_SYN_RECEIVED);
	tcp_hash_insert(s, tp);
	tcp_send_ctl(s, tp, WIRE_TCP_SYN | WIRE_TCP_ACK, tp->iss);
	tp->rtt_start = s->now;   /* the SYN-ACK's round trip is the first sample */
	tp->rtt_seq = tp->iss;
	tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
	return NULL;
}

/* RFC 9293 3.10.7.3. @return true if the segment is finished with. */
static bool
syn_sent_input(struct tern_stack *s, struct tcb *tp, const struct ipv4_repr *ip, struct seg *g)
{
	const struct tcp_repr *th = &g->th;
	bool ack = th->flags & WIRE_TCP_ACK;
	if (ack && (seq_leq(th->ack, tp->iss) || seq_gt(th->ack, tp->snd_max))) {
		if (!(th->flags & WIRE_TCP_RST))
			tcp_respond_rst(s, ip, th, g->len);
		return true;
	}
	if (th->flags & WIRE_TCP_RST) {
		/* RFC 5961 3.2 keeps RFC 9293's rule here: only a RST that
		 * acknowledges our SYN counts. */
		if (ack) {
			tcp_notify(s, tp, ECONNREFUSED);
			tcp_close_tcb(s, tp);
		}
		return true;
	}
	if (!(th->flags & WIRE_TCP_SYN))
		return true;
	tp->irs = th->seq;
	tp->rcv_nxt = th->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	syn_options(s, tp, &th->opt, true);
	if (ack) {
		tp->snd_una = th->ack;
		tp->snd_wnd = th->win;   /* RFC 7323 2.2: a <SYN,ACK>'s window is never scaled */
		tp->max_sndwnd = tp->snd_wnd;
		tp->snd_wl1 = th->seq;
		tp->snd_wl2 = th->ack;
		/* Our SYN was acknowledged: a sample unless it was retransmitted. */
		if ((tp->flags & TF_TS) && th->opt.ts_ecr != 0)
			tcp_rtt_sample(&tp->rtt, (uint64_t)(tcp_ts_now(s, tp) - th->opt.ts_ecr) *
					TERN_NS_PER_MS);
		else if (tp->rtt_start != 0 && tp->rxt_shift == 0)
			tcp_rtt_sample(&tp->rtt, s->now - tp->rtt_start);
		tp->rtt_start = 0;
		tp->rxt_shift = 0;
		tcp_rtt_reset_backoff(&tp->rtt);
		tcp_timer_stop(s, tp, TCPT_REXMT);
		conn_established(s, tp);
		tp->flags |= TF_ACKNOW;
		return false;   /* data or FIN in the SYN-ACK: go on with step 6 */
	}
	/* Simultaneous open (RFC 9293 3.5 figure 7). */
	tp->snd_wnd = th->win;
	tp->snd_wl1 = th->seq;
	tcp_set_state(s, tp, TCPS_SYN_RECEIVED);
	tcp_send_ctl(s, tp, WIRE_TCP_SYN | WIRE_TCP_ACK, tp->iss);
	return true;
}

/* RFC 9293 3.10.7.4 "first: check sequence number", the four cases. */
static bool
seq_acceptable(const struct tcb *tp, uint32_t seq, uint32_t len, uint32_t wnd)
{
	if (len == 0) {
		if (wnd == 0)
			return seq == tp->rcv_nxt;
		return seq_in(seq, tp->rcv_nxt, tp->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return seq_in(seq, tp->rcv_nxt, tp->rcv_nxt + wnd) ||
	       seq_in(seq + len - 1, tp->rcv_nxt, tp->rcv_nxt + wnd);
}

/* Free what an ACK covered from the send queue; @return bytes freed. */
static uint32_t
sndq_drop(struct tcb *tp, uint32_t bytes)
{
	uint32_t freed = 0;
	while (bytes > 0 && tp->sndq_head != NULL) {
		struct rte_mbuf *m = tp->sndq_head;
		/* The cursor (tcp_output.c) must not outlive or misplace its
		 * mbuf: forget it when that one is freed or trimmed. */
		if (m == tp->sndq_cur)
			tp->sndq_cur = NULL;
		if (m->data_len <= bytes) {
			bytes -= m->data_len;
			freed += m->data_len;
			tp->sndq_head = m->next;
			if (tp->sndq_head == NULL)
				tp->sndq_tail = NULL;
			m->next = NULL;
			rte_pktmbuf_free(m);
		} else {
			rte_pktmbuf_adj(m, (uint16_t)bytes);
			freed += bytes;
			bytes = 0;
		}
	}
	tp->sndq_bytes -= freed;
	return freed;
}

static void
fast_retransmit(struct tern_stack *s, struct tcb *tp)
{
	/* RFC 5681 3.2 / RFC 6582 3.2: enter recovery at the third dupACK
	 * unless this loss is covered by a recovery already done. */
	uint32_t flight = tp->snd_max - tp->snd_una;
	tp->snd_recover = tp->snd_max;
	tp->flags |= TF_INRECOVERY;
	tp->cc.ops->on_loss(&tp->cc, flight, s->now);
	STAT(s, tcp_fast_rexmt);
	tp->total_retrans++;
	uint32_t nxt = tp->snd_nxt;
	uint32_t cwnd = tp->cc.cwnd;
	tp->snd_nxt = tp->snd_una;
	tp->cc.cwnd = tp->mss;           /* exactly one segment now */
	tcp_output(s, tp);
	tp->cc.cwnd = cwnd + 3 * tp->mss;  /* RFC 5681 3.2 step 3: inflate by the 3 dupACKs */
	if (seq_gt(nxt, tp->snd_nxt))
		tp->snd_nxt = nxt;
	tp->rtt_start = 0;                /* Karn: the timed segment may be resent */
}

static bool
sack_on(const struct tcb *tp)
{
	return (tp->flags & TF_SACK) && tp->sb != NULL;
}

/* RFC 6675 5 step (C): while in recovery, send as long as the congestion
 * window exceeds the pipe by a segment: NextSeg's retransmissions first,
 * new data when rule (2) allows. */
static void
sack_recovery_output(struct tern_stack *s, struct tcb *tp)
{
	for (unsigned guard = 0; guard < 64; guard++) {
		uint32_t pipe = tcp_sb_pipe(tp->sb, tp->snd_una, tp->snd_max, tp->mss);
		if (tp->cc.cwnd < pipe || tp->cc.cwnd - pipe < tp->mss)
			return;
		uint32_t data_end = tp->snd_una + tp->sndq_bytes;
		bool can_new = seq_lt(tp->snd_max, data_end) &&
			       seq_leq(tp->snd_max + tp->mss, tp->snd_una + tp->snd_wnd);
		uint32_t seq, len;
		if (tcp_sb_next_seg(tp->sb, tp->snd_una, tp->snd_max, tcp_seg_room(tp), can_new,
				    &seq, &len)) {
			bool rescue = tp->sb->rescue_next;
			uint32_t sent = tcp_send_range(s, tp, seq, len);
			if (sent == 0)
				return;
			tcp_sb_sent(tp->sb, seq, sent, rescue);
			tp->rtt_start = 0;   /* Karn */
			continue;
		}
		if (!can_new)
			return;
		/* Rule (2): new data goes from SND.MAX. */
		uint32_t nxt = tp->snd_nxt;
		tp->snd_nxt = tp->snd_max;
		uint32_t n = tcp_send_one_new(s, tp);
		if (seq_gt(nxt, tp->snd_nxt))
			tp->snd_nxt = nxt;
		if (n == 0)
			return;
	}
}

/* RFC 6675 5: loss detected (DupThresh dupACKs or IsLost(HighACK+1)). */
static void
sack_enter_recovery(struct tern_stack *s, struct tcb *tp)
{
	uint32_t flight = tp->snd_max - tp->snd_una;
	tp->snd_recover = tp->snd_max;   /* RecoveryPoint = HighData */
	tp->flags |= TF_INRECOVERY;
	/* NextSeg's rule (4) rescue retransmission is optional in RFC 6675;
	 * Linux does not do it, and neither do we (scripts written against
	 * Linux expect none): mark this recovery's rescue as used. */
	tp->sb->rescue_valid = true;
	tp->sb->rescue_rxt = tp->snd_max;
	tp->cc.ops->on_loss(&tp->cc, flight, s->now);   /* cwnd = ssthresh */
	STAT(s, tcp_fast_rexmt);
	tp->rtt_start = 0;
	/* Step (C.1)-(C.3) begin with the first unacknowledged segment. */
	uint32_t seq, len;
	if (tcp_sb_next_seg(tp->sb, tp->snd_una, tp->snd_max, tcp_seg_room(tp), false,
			    &seq, &len)) {
		bool rescue = tp->sb->rescue_next;
		uint32_t sent = tcp_send_range(s, tp, seq, len);
		if (sent > 0)
			tcp_sb_sent(tp->sb, seq, sent, rescue);
	} else {
		uint32_t sent = tcp_send_range(s, tp, tp->snd_una,
					       tp->mss < tp->snd_max - tp->snd_una ?
					       tp->mss : tp->snd_max - tp->snd_una);
		if (sent > 0)
			tcp_sb_sent(tp->sb, tp->snd_una, sent, false);
	}
	sack_recovery_output(s, tp);
}

/* RFC 9293 3.10.7.4 "fifth: check the ACK field" for synchronized states.
 * @return false if the segment must be dropped here. */
static bool
ack_input(struct tern_stack *s, struct tcb *tp, struct seg *g)
{
	const struct tcp_repr *th = &g->th;
	uint32_t ack = th->ack;
	/* RFC 5961 5.2: an ACK older than SND.UNA - MAX.SND.WND is refused
	 * with an ACK (a challenge). */
	if (seq_lt(ack, tp->snd_una - tp->max_sndwnd)) {
		challenge_ack(s, tp);
		return false;
	}
	if (seq_gt(ack, tp->snd_max)) {
		/* Acknowledges something not yet sent. */
		drop_ack(s, tp);
		return false;
	}
	if (tp->state == TCPS_SYN_RECEIVED) {
		if (!seq_gt(ack, tp->snd_una)) {
			return false;
		}
		tp->snd_wnd = (uint32_t)th->win << tp->snd_wscale;
		tp->max_sndwnd = tp->snd_wnd;
		tp->snd_wl1 = g->seq;
		tp->snd_wl2 = ack;
		tp->snd_una = ack;
		/* RFC 6298 2 / RFC 7323 4: the handshake gives the first sample
		 * (Karn: not if the SYN-ACK was retransmitted, unless TS says
		 * which copy was answered). */
		if ((tp->flags & TF_TS) && th->opt.has_ts && th->opt.ts_ecr != 0)
			tcp_rtt_sample(&tp->rtt, (uint64_t)(uint32_t)(tcp_ts_now(s, tp) -
					th->opt.ts_ecr) * TERN_NS_PER_MS + 1);
		else if (tp->rtt_start != 0 && tp->rxt_shift == 0)
			tcp_rtt_sample(&tp->rtt, s->now - tp->rtt_start + 1);
		tp->rtt_start = 0;
		tp->rxt_shift = 0;
		tcp_rtt_reset_backoff(&tp->rtt);
		tcp_timer_stop(s, tp, TCPT_REXMT);
		conn_established(s, tp);
		tcp_child_established(s, tp);
		return true;
	}
	uint32_t win = (uint32_t)th->win << tp->snd_wscale;
	/* RFC 6675 / RFC 2018: fold the SACK blocks into the scoreboard first,
	 * so loss detection below sees them. */
	uint32_t newly_sacked = 0;
	if (sack_on(tp) && th->opt.nsack > 0) {
		bool dsack = false;
		newly_sacked = tcp_sb_update(tp->sb, tp->snd_una, tp->snd_max, th->opt.sack,
					     th->opt.nsack, &dsack);
		if (dsack)
			STAT(s, tcp_dsack_rx);
	}
	if (seq_leq(ack, tp->snd_una)) {
		/* RFC 5681 2 "duplicate acknowledgment": no data, no SYN/FIN,
		 * window unchanged, ack == SND.UNA, data outstanding. */
		bool dup = ack == tp->snd_una && g->len == 0 &&
			   !(th->flags & (WIRE_TCP_SYN | WIRE_TCP_FIN)) &&
			   win == tp->snd_wnd && tp->snd_max != tp->snd_una;
		if (dup && sack_on(tp)) {
			tp->dupacks++;
			if (tp->flags & TF_INRECOVERY) {
				sack_recovery_output(s, tp);
			} else if ((tp->dupacks >= TCP_DUPTHRESH ||
				    tcp_sb_is_lost(tp->sb, tp->snd_una, tp->mss)) &&
				   seq_gt(tp->snd_una, tp->snd_recover - 1)) {
				sack_enter_recovery(s, tp);
			} else if (tp->dupacks < TCP_DUPTHRESH && newly_sacked > 0) {
				/* RFC 3042 limited transmit, SACK flavour (RFC 6675 5 (A)). */
				tcp_send_one_new(s, tp);
			}
		} else if (dup) {
			tp->dupacks++;
			if (tp->dupacks == TCP_DUPTHRESH && !(tp->flags & TF_INRECOVERY) &&
			    seq_gt(tp->snd_una, tp->snd_recover - 1)) {
				fast_retransmit(s, tp);
			} else if (tp->dupacks > TCP_DUPTHRESH && (tp->flags & TF_INRECOVERY)) {
				/* RFC 5681 3.2 step 4: each further dupACK inflates
				 * (bounded: a dupACK flood must not wrap cwnd). */
				if (tp->cc.cwnd < TCP_CC_CWND_MAX - tp->mss)
					tp->cc.cwnd += tp->mss;
			} else if (tp->dupacks < TCP_DUPTHRESH &&
				   tp->snd_max - tp->snd_una + tp->mss <=
				   tp->cc.cwnd + tp->dupacks * tp->mss) {
				/* RFC 3042 2 limited transmit: each of the first two
				 * dupACKs may send one new segment, keeping what is
				 * outstanding within cwnd + 2 * SMSS. */
				tcp_send_one_new(s, tp);
			}
		} else if (ack != tp->snd_una || g->len > 0) {
			tp->dupacks = 0;
		}
	} else {
		/* New data acknowledged. */
		uint32_t acked = ack - tp->snd_una;
		uint32_t flight = tp->snd_max - tp->snd_una;
		uint64_t sample = 0;
		if ((tp->flags & TF_TS) && th->opt.has_ts && th->opt.ts_ecr != 0) {
			sample = (uint64_t)(uint32_t)(tcp_ts_now(s, tp) - th->opt.ts_ecr) *
				 TERN_NS_PER_MS;
			if (sample == 0)
				sample = TERN_NS_PER_MS / 2;
		} else if (tp->rtt_start != 0 && seq_gt(ack, tp->rtt_seq)) {
			sample = s->now - tp->rtt_start;
			tp->rtt_start = 0;
		}
		tp->rxt_shift = 0;
		/* Karn (RFC 6298 5): the backed-off RTO stays until a valid
		 * sample, i.e. an ACK of data that was not retransmitted (or a
		 * timestamp saying which transmission it answers). */
		if (sample != 0) {
			tcp_rtt_sample(&tp->rtt, sample);
			tcp_rtt_reset_backoff(&tp->rtt);
		}
		/* Our FIN occupies a sequence number, not a byte of the queue. */
		uint32_t data = acked;
		if ((tp->flags & TF_FIN_SENT) && seq_gt(ack, tp->fin_seq) &&
		    seq_leq(tp->snd_una, tp->fin_seq))
			data--;
		uint32_t freed = sndq_drop(tp, data);
		tp->snd_una = ack;
		if (seq_lt(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		if (tp->sb != NULL)
			tcp_sb_ack(tp->sb, ack);
		if ((tp->flags & TF_INRECOVERY) && sack_on(tp)) {
			if (seq_geq(ack, tp->snd_recover)) {
				/* RFC 6675 5: recovery ends when RecoveryPoint is acked. */
				tp->flags &= ~(uint32_t)TF_INRECOVERY;
				tp->cc.ops->on_recovered(&tp->cc, s->now);
			} else {
				sack_recovery_output(s, tp);
			}
		} else if (tp->flags & TF_INRECOVERY) {
			if (seq_geq(ack, tp->snd_recover)) {
				/* RFC 6582 3.2 step 3: a full ACK ends recovery. */
				tp->flags &= ~(uint32_t)TF_INRECOVERY;
				tp->cc.ops->on_recovered(&tp->cc, s->now);
			} else {
				/* RFC 6582 3.2 step 3, partial ACK: retransmit the
				 * next hole, deflate by what was acked, and add one
				 * SMSS back if at least that much was acked. */
				uint32_t nxt = tp->snd_nxt;
				uint32_t cwnd = tp->cc.cwnd;
				tp->snd_nxt = tp->snd_una;
				tp->cc.cwnd = tp->mss;
				tcp_output(s, tp);
				tp->total_retrans++;
				uint32_t back = acked >= tp->mss ? tp->mss : 0;
				tp->cc.cwnd = cwnd > acked ? cwnd - acked + back : tp->mss;
				if (seq_gt(nxt, tp->snd_nxt))
					tp->snd_nxt = nxt;
			}
		} else {
			tp->cc.ops->on_ack(&tp->cc, acked, flight, sample, s->now);
		}
		tp->dupacks = 0;
		if (freed > 0)
			tcp_sndbuf_release(tp, freed);
		/* RFC 6298 5.2 / 5.3: all acked -> stop, else restart. */
		if (tp->snd_una == tp->snd_max)
			tcp_timer_stop(s, tp, TCPT_REXMT);
		else
			tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
	}
	tp->persist_probes = 0;   /* the peer answers: it is alive */
	/* RFC 9293 3.10.7.4: update the send window from the newest segment. */
	if (seq_lt(tp->snd_wl1, g->seq) ||
	    (tp->snd_wl1 == g->seq && seq_leq(tp->snd_wl2, ack))) {
		bool opened = tp->snd_wnd == 0 && win > 0;
		tp->snd_wnd = win;
		if (win > tp->max_sndwnd)
			tp->max_sndwnd = win;
		tp->snd_wl1 = g->seq;
		tp->snd_wl2 = ack;
		if (opened) {
			tcp_timer_stop(s, tp, TCPT_PERSIST);
			tp->rxt_shift = 0;
		}
	}
	bool fin_acked = tcp_fin_acked(tp);
	switch (tp->state) {
	case TCPS_FIN_WAIT_1:
		if (fin_acked) {
			tcp_set_state(s, tp, TCPS_FIN_WAIT_2);
			/* An orphan must not wait forever for the peer's FIN. */
			if (tp->chan == NULL)
				tcp_timer_arm(s, tp, TCPT_2MSL, TCP_FIN_WAIT2_NS);
		}
		break;
	case TCPS_CLOSING:
		if (fin_acked) {
			tcp_set_state(s, tp, TCPS_TIME_WAIT);
			tcp_timers_stop_all(s, tp);
			tcp_timer_arm(s, tp, TCPT_2MSL, 2 * TCP_MSL_NS);
		}
		break;
	case TCPS_LAST_ACK:
		if (fin_acked) {
			tcp_close_tcb(s, tp);
			return false;
		}
		break;
	default:
		break;
	}
	return true;
}

struct pull_ctx {
	struct tern_stack *s;
	struct tcb *tp;
};

static void
pull_deliver(void *arg, struct rte_mbuf *m, uint32_t len)
{
	struct pull_ctx *c = arg;
	tcp_deliver(c->s, c->tp, m, len);
}

/* Step 7: the payload, in order or held for later. Consumes m.
 * @return true if a FIN held out of order has now been reached. */
static bool
data_input(struct tern_stack *s, struct tcb *tp, struct rte_mbuf *m, struct seg *g)
{
	if (tp->state < TCPS_ESTABLISHED || TCPS_HAVE_RCVD_FIN(tp->state) ||
	    (g->len == 0 && !((g->flags & WIRE_TCP_FIN) && seq_gt(g->seq, tp->rcv_nxt)))) {
		rte_pktmbuf_free(m);
		return false;
	}
	/* After shutdown(SHUT_RD), data is still taken and acknowledged as
	 * usual (Linux queues it, and recv() returns it before reporting 0),
	 * so the peer is never left retransmitting into silence. */
	/* A reassembled segment is a chain: cut across segments, not within
	 * the first or last one only (rte_pktmbuf_adj/trim would refuse). */
	m = mbuf_cut_front(m, g->off);
	mbuf_keep_front(m, g->len);
	if (g->seq == tp->rcv_nxt) {
		tp->rcv_nxt += g->len;
		tcp_deliver(s, tp, m, g->len);
		bool fin = false;
		if (tp->ooo != NULL && tp->ooo->n > 0) {
			struct pull_ctx c = { s, tp };
			tp->rcv_nxt = tcp_ooo_pull(tp->ooo, tp->rcv_nxt, pull_deliver, &c, &fin);
			if (fin)
				tp->rcv_nxt--;   /* fin_input() counts the FIN itself */
			/* A hole filled: ACK at once (RFC 5681 4.2). */
			tp->flags |= TF_ACKNOW;
		}
		/* RFC 9293 3.8.6.3 / RFC 5681 4.2: ACK at least every second
		 * full-size segment, i.e. as soon as more than one full segment's
		 * worth is unacknowledged (Linux's rule too), else within the
		 * delayed-ACK time, or at once in quick-ACK mode (ack_policy_data).
		 * The peer's segment size is learned from what it sends, bounded
		 * by the MSS it may use towards us. */
		uint32_t adv_mss = s->mtu - WIRE_IPV4_HLEN - WIRE_TCP_HLEN;
		if (g->len > tp->rcv_mss)
			tp->rcv_mss = (uint16_t)(g->len < adv_mss ? g->len : adv_mss);
		tp->rcv_unacked += g->len;
		ack_policy_data(s, tp, (g->flags & WIRE_TCP_FIN) != 0);
		return fin;
	}
	/* Out of order: hold it and ACK at once, so the sender sees dupACKs
	 * (and SACK blocks) promptly (RFC 5681 4.2, RFC 2018). */
	if (tp->ooo == NULL) {
		tp->ooo = malloc(sizeof(*tp->ooo));
		if (tp->ooo == NULL) {
			STAT(s, nombuf);
			rte_pktmbuf_free(m);
			return false;
		}
		tcp_ooo_init(tp->ooo, tp->rcvbuf);
	}
	/* The queue is charged whole buffers (buf_len) while the window we
	 * advertise counts payload bytes: with a cap of rcvbuf, 1448-byte
	 * segments in 2176-byte buffers filled it at two thirds of the window,
	 * and in-window data we had invited was dropped (RFC 9293 3.8.6.2.2:
	 * the window is an offer to buffer that much). Cap it at a full
	 * window of segments charged like this one; the segment limit of
	 * the queue still bounds a flood of tiny segments. */
	uint64_t charge = 0;
	for (const struct rte_mbuf *c = m; c != NULL; c = c->next)
		charge += c->buf_len;
	uint64_t cap = ((uint64_t)tp->rcvbuf / (tp->mss ? tp->mss : 1) + 1) * charge;
	tp->ooo->cap = cap > tp->rcvbuf ? (cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap) :
		       tp->rcvbuf;
	int rc = tcp_ooo_insert(tp->ooo, g->seq, m, g->len, (g->flags & WIRE_TCP_FIN) != 0);
	if (rc < 0) {
		STAT(s, tcp_ooo_drop);
	} else {
		STAT(s, tcp_ooo);
		if (rc == 1 && (tp->flags & TF_SACK)) {
			/* RFC 2883 4: a duplicate of held data is reported too. */
			tp->dsack_start = g->seq;
			tp->dsack_end = g->seq + g->len;
		}
	}
	tp->flags |= TF_ACKNOW | TF_ACKSCHED;
	return false;
}

static void
fin_input(struct tern_stack *s, struct tcb *tp)
{
	/* RFC 9293 3.10.7.4 "eighth: check the FIN bit". */
	tp->rcv_nxt++;
	tp->flags |= TF_ACKSCHED;
	if (tp->state != TCPS_ESTABLISHED && tp->state != TCPS_SYN_RECEIVED)
		tp->flags |= TF_ACKNOW;
	/* EOF goes to the socket once all data before the FIN is in its ring;
	 * if some still waits for ring space, the flush will set it. */
	if (tp->chan != NULL && tp->rcvq_head == NULL) {
		/* release: the reader that sees EOF sees all data before it. */
		atomic_fetch_or_explicit(&tp->chan->flags, TERN_CHAN_EOF, memory_order_release);
		tern_chan_wake(tp->chan);
	}
	switch (tp->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tcp_set_state(s, tp, TCPS_CLOSE_WAIT);
		/* The peer finished sending, typically a request: its ACK is
		 * delayed so that our answer or our FIN carries it (Linux enters
		 * its interactive mode here, see ack_policy_data()). At once if
		 * no data came before (Linux's delayed-ACK time is still 0 then)
		 * or more than a full segment is unacknowledged; a filled hole
		 * has set TF_ACKNOW already. */
		tp->flags |= TF_PINGPONG;
		if (!tp->rcvd_data || tp->rcv_unacked > tp->rcv_mss) {
			tp->flags |= TF_ACKNOW;
		} else if (!(tp->flags & (TF_ACKNOW | TF_DELACK))) {
			tp->flags |= TF_DELACK;
			tcp_timer_arm(s, tp, TCPT_DELACK, TCP_DELACK_NS);
		}
		break;
	case TCPS_FIN_WAIT_1:
		if (tcp_fin_acked(tp)) {
			tcp_set_state(s, tp, TCPS_TIME_WAIT);
			tcp_timers_stop_all(s, tp);
			tcp_timer_arm(s, tp, TCPT_2MSL, 2 * TCP_MSL_NS);
		} else {
			tcp_set_state(s, tp, TCPS_CLOSING);
		}
		break;
	case TCPS_FIN_WAIT_2:
		tcp_set_state(s, tp, TCPS_TIME_WAIT);
		tcp_timers_stop_all(s, tp);
		tcp_timer_arm(s, tp, TCPT_2MSL, 2 * TCP_MSL_NS);
		break;
	case TCPS_TIME_WAIT:
		tcp_timer_arm(s, tp, TCPT_2MSL, 2 * TCP_MSL_NS);
		break;
	default:
		break;
	}
}

/* Consumes m (data at the IP header). */
void
tcp_input(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip)
{
	uint32_t l4len = m->pkt_len - ip->hlen;
	uint8_t tmp[WIRE_TCP_MAX_HLEN];
	struct seg g;
	if (l4len < WIRE_TCP_HLEN) {
		STAT(s, tcp_truncated);
		goto drop;
	}
	uint32_t want = l4len < sizeof(tmp) ? l4len : (uint32_t)sizeof(tmp);
	const uint8_t *h = mbuf_bytes(m, ip->hlen, want, tmp);
	/* The parser reads header bytes only (data offset * 4 <= min(l4len, 60)). */
	int hl = wire_tcp_parse(h, l4len, &g.th);
	if (hl < 0) {
		if (hl == WIRE_E_TRUNCATED)
			STAT(s, tcp_truncated);
		else
			STAT(s, tcp_bad_off);
		goto drop;
	}
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	bool hw = (s->offloads & TERN_PORT_RX_L4_CKSUM) && !(ip->mf || ip->frag_off);
	if ((hw && f == RTE_MBUF_F_RX_L4_CKSUM_BAD) ||
	    (!(hw && f == RTE_MBUF_F_RX_L4_CKSUM_GOOD) &&
	     wire_csum_fold(mbuf_csum(m, ip->hlen, l4len,
				      wire_csum_pseudo(ip->src, ip->dst, WIRE_PROTO_TCP,
						       (uint16_t)l4len))) != 0)) {
		STAT(s, tcp_bad_csum);
		goto drop;
	}
	/* RFC 1122 4.2.3.10: nothing to a broadcast or multicast address. */
	if (stack_is_bcast(s, ip->dst) || wire_ipv4_is_multicast(ip->dst)) {
		STAT(s, tcp_bcast);
		goto drop;
	}
	STAT(s, tcp_rx);
	g.seq = g.th.seq;
	g.off = ip->hlen + (uint32_t)hl;
	g.len = l4len - (uint32_t)hl;
	g.flags = g.th.flags;

	struct tcp_4tuple t = { .laddr = ip->dst, .raddr = ip->src,
				.lport = g.th.dport, .rport = g.th.sport };
	struct tcb *tp = tcp_lookup(s, &t);
	if (tp == NULL) {
		struct tcb *l = tcp_lookup_listener(s, &t);
		if (l != NULL) {
			tp = listen_input(s, l, ip, &g);
			if (tp != NULL)
				goto synchronized;   /* a cookie's ACK may carry data */
		} else {
			/* RFC 9293 3.10.7.1: no connection -> RST (RFC 1122 4.2.2.12). */
			STAT(s, tcp_no_conn);
			tcp_respond_rst(s, ip, &g.th, g.len + !!(g.flags & WIRE_TCP_SYN) +
					!!(g.flags & WIRE_TCP_FIN));
		}
		goto drop;
	}
	if (tp->state == TCPS_SYN_SENT) {
		if (syn_sent_input(s, tp, ip, &g))
			goto drop;
		/* The SYN is consumed: data and FIN follow at IRS+1. */
		g.seq++;
		g.flags &= (uint8_t)~WIRE_TCP_SYN;
	} else {
synchronized:;
		uint32_t seg_len = g.len + !!(g.flags & WIRE_TCP_SYN) + !!(g.flags & WIRE_TCP_FIN);
		/* RFC 7323 5.3 PAWS: a timestamp older than TS.Recent marks an
		 * old duplicate (unless TS.Recent is over 24 days old). */
		if ((tp->flags & TF_TS) && g.th.opt.has_ts && !(g.flags & WIRE_TCP_RST) &&
		    seq_lt(g.th.opt.ts_val, tp->ts_recent) &&
		    s->now - tp->ts_recent_age < 24ull * 86400 * TERN_NS_PER_SEC) {
			STAT(s, tcp_paws_drop);
			drop_ack(s, tp);
			goto drop;
		}
		uint32_t wnd = tp->rcv_adv - tp->rcv_nxt;
		if (seq_lt(tp->rcv_adv, tp->rcv_nxt))
			wnd = 0;
		if (tp->state == TCPS_SYN_RECEIVED && (g.flags & WIRE_TCP_SYN) && g.seq == tp->irs) {
			if (!(g.flags & WIRE_TCP_ACK)) {
				/* The peer's SYN again: our SYN-ACK was lost (Linux
				 * tcp_check_req resends it). */
				tcp_send_ctl(s, tp, WIRE_TCP_SYN | WIRE_TCP_ACK, tp->iss);
				goto drop;
			}
			/* Simultaneous open (RFC 9293 figure 7): the peer's SYN-ACK
			 * repeats its SYN at IRS; the SYN is old, the ACK is new.
			 * The old SYN is answered with an ACK (3.10.7.4, as Linux):
			 * it completes the peer's handshake if our SYN-ACK was lost. */
			g.seq++;
			g.flags &= (uint8_t)~WIRE_TCP_SYN;
			seg_len--;
			tp->flags |= TF_ACKNOW;
		}
		if (wnd == 0 && g.seq == tp->rcv_nxt && g.len > 0) {
			/* RFC 9293 3.10.7.4: with a zero receive window no data is
			 * taken, but the segment's ACK, RST and URG still count. */
			g.len = 0;
			g.flags &= (uint8_t)~WIRE_TCP_FIN;
			seg_len = !!(g.flags & WIRE_TCP_SYN);
			tp->flags |= TF_ACKNOW;
			quickack_enter(tp);   /* as Linux for data beyond the window */
		}
		if (!seq_acceptable(tp, g.seq, seg_len, wnd)) {
			/* RFC 2883 4: data wholly below RCV.NXT is a duplicate to report. */
			if ((tp->flags & TF_SACK) && g.len > 0 &&
			    seq_leq(g.seq + g.len, tp->rcv_nxt) && !(g.flags & WIRE_TCP_RST)) {
				tp->dsack_start = g.seq;
				tp->dsack_end = g.seq + g.len;
			}
			STAT(s, tcp_out_of_window);
			/* Data (or a FIN) we already had: our ACK was probably
			 * lost, so ACK the next segments at once too. */
			if (seg_len > 0 && seq_lt(g.seq, tp->rcv_nxt) && !(g.flags & WIRE_TCP_RST))
				quickack_enter(tp);
			if (tp->state == TCPS_TIME_WAIT && (g.flags & WIRE_TCP_FIN))
				/* RFC 9293 3.10.7.4: a retransmitted FIN restarts the
				 * 2MSL wait (and is ACKed below). */
				tcp_timer_arm(s, tp, TCPT_2MSL, 2 * TCP_MSL_NS);
			if (!(g.flags & WIRE_TCP_RST))
				drop_ack(s, tp);
			goto drop;
		}
		/* Trim to the window: bytes before RCV.NXT (a retransmission)... */
		if (seq_lt(g.seq, tp->rcv_nxt)) {
			uint32_t cut = tp->rcv_nxt - g.seq;
			/* RFC 2883 4: tell the sender which bytes came twice. */
			uint32_t dup_from = g.seq + !!(g.flags & WIRE_TCP_SYN);
			uint32_t dup_to = g.seq + g.len < tp->rcv_nxt ? g.seq + g.len : tp->rcv_nxt;
			if ((tp->flags & TF_SACK) && g.len > 0 && seq_lt(dup_from, dup_to)) {
				tp->dsack_start = dup_from;
				tp->dsack_end = dup_to;
			}
			if (g.flags & WIRE_TCP_SYN) {
				g.flags &= (uint8_t)~WIRE_TCP_SYN;
				cut--;
				g.seq++;
			}
			if (cut > g.len) {
				cut = g.len;
				g.flags &= (uint8_t)~WIRE_TCP_FIN;   /* a duplicate FIN */
			}
			g.off += cut;
			g.len -= cut;
			g.seq += cut;
			/* What is new in a partly old segment takes the usual ACK
			 * decision (ack_policy_data(), fin_input(); Linux's too),
			 * the D-SACK rides on that ACK. Nothing new: ACK now. */
			if (g.len == 0 && !(g.flags & WIRE_TCP_FIN))
				tp->flags |= TF_ACKNOW;
		}
		/* ...and beyond the right edge. */
		if (seq_gt(g.seq + g.len, tp->rcv_nxt + wnd)) {
			g.len = tp->rcv_nxt + wnd - g.seq;
			g.flags &= (uint8_t)~WIRE_TCP_FIN;
		}
		if (g.flags & WIRE_TCP_RST) {
			/* RFC 5961 3.2: only a RST exactly at RCV.NXT resets; any
			 * other in-window RST earns a challenge ACK. RFC 1337:
			 * TIME-WAIT ignores RSTs. */
			if (tp->state == TCPS_TIME_WAIT)
				goto drop;
			if (g.seq != tp->rcv_nxt) {
				challenge_ack(s, tp);
				goto drop;
			}
			STAT(s, tcp_rst_rx);
			if (tp->state == TCPS_SYN_RECEIVED && tp->listener != NULL) {
				tcp_close_tcb(s, tp);   /* back to LISTEN: just forget it */
			} else {
				/* RFC 9293 3.10.7.4 second: the user hears "connection
				 * reset", with Linux's errno per state (tcp_reset):
				 * refused in SYN-RECEIVED, EPIPE once the peer had
				 * closed (CLOSE-WAIT), nothing in the closing states
				 * after ours, ECONNRESET otherwise. */
				int err;
				switch (tp->state) {
				case TCPS_SYN_RECEIVED: err = ECONNREFUSED; break;
				case TCPS_CLOSE_WAIT:   err = EPIPE; break;
				case TCPS_CLOSING:
				case TCPS_LAST_ACK:     err = 0; break;
				default:                err = ECONNRESET; break;
				}
				if (err != 0)
					tcp_notify(s, tp, err);
				tcp_close_tcb(s, tp);
			}
			goto drop;
		}
		if (g.flags & WIRE_TCP_SYN) {
			/* RFC 5961 4.2 / RFC 9293 3.10.7.4 fourth: any SYN in a
			 * synchronized state gets a challenge ACK. A passive
			 * SYN-RECEIVED seeing its SYN again resends the SYN-ACK. */
			challenge_ack(s, tp);
			goto drop;
		}
		if (!(g.flags & WIRE_TCP_ACK))
			goto drop;
		/* Whether TS.Recent may move is decided before the ACK moves
		 * SND.UNA and may send (which moves Last.ACK.sent). */
		bool ts_ok = (tp->flags & TF_TS) && g.th.opt.has_ts &&
			     seq_leq(g.seq, tp->last_ack_sent) &&
			     seq_geq(g.th.opt.ts_val, tp->ts_recent);
		if (!ack_input(s, tp, &g))
			goto drop;
		/* RFC 7323 4.3: TS.Recent takes the TSval of a segment that starts
		 * at or before Last.ACK.sent, so a delayed ACK echoes the earliest
		 * unacknowledged segment's time; and only once the segment's ACK
		 * was found acceptable (as Linux's tcp_replace_ts_recent), so a
		 * forged segment cannot poison it and black-hole the peer by PAWS. */
		if (ts_ok) {
			tp->ts_recent = g.th.opt.ts_val;
			tp->ts_recent_age = s->now;
		}
		if (tp->state == TCPS_TIME_WAIT) {
			/* A retransmitted FIN: ACK it and restart the 2MSL wait. */
			if (g.flags & WIRE_TCP_FIN) {
				tcp_timer_arm(s, tp, TCPT_2MSL, 2 * TCP_MSL_NS);
				drop_ack(s, tp);
			}
			goto drop;
		}
	}
	tp->idle_since = s->now;
	if (tp->flags & TF_KEEPALIVE && TCPS_HAVE_ESTABLISHED(tp->state)) {
		tp->keep_probes = 0;
		tcp_timer_arm(s, tp, TCPT_KEEP, tp->keep_idle);
	}
	if (tp->chan == NULL && g.len > 0 &&
	    (tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_FIN_WAIT_2)) {
		/* RFC 1122 4.2.2.13 (and Linux): data for a connection the user
		 * has closed can never be read: reset it. */
		STAT(s, tcp_abort_on_data);
		tcp_respond_rst(s, ip, &g.th, g.len + !!(g.flags & WIRE_TCP_FIN));
		tcp_close_tcb(s, tp);
		goto drop;
	}
	bool fin = (g.flags & WIRE_TCP_FIN) != 0;
	uint32_t fin_seq = g.seq + g.len;
	if (fin && fin_seq != tp->rcv_nxt + (g.seq == tp->rcv_nxt ? g.len : 0) &&
	    seq_gt(g.seq, tp->rcv_nxt))
		tp->flags |= TF_ACKNOW;   /* RFC 5681 4.2: out of order -> ACK at once */
	bool ooo_fin = data_input(s, tp, m, &g);
	m = NULL;
	/* RFC 9293 3.10.7.4 eighth: the FIN counts once everything before it
	 * is in (it may have waited in the out-of-order queue). */
	if ((fin && fin_seq == tp->rcv_nxt) || ooo_fin)
		fin_input(s, tp);
	tcp_output(s, tp);
	return;
drop:
	rte_pktmbuf_free(m);
}

/*
 * TCP output: decides what a connection may send now (data within the
 * peer's and the congestion window, FIN, ACKs, window updates), builds the
 * segments with their options, and answers stray segments with RST.
 * Called by tcp_input, tcp_usr (new data, reads) and tcp_timer.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "stack_impl.h"
#include "tcp.h"

uint32_t
tcp_ts_now(const struct tern_stack *s, const struct tcb *tp)
{
	/* RFC 7323 5.4: a millisecond clock with a random per-connection
	 * offset, so TSval reveals neither uptime nor other connections. */
	return (uint32_t)(s->now / TERN_NS_PER_MS) + tp->ts_offset;
}

/* The window to advertise, unscaled bytes, and move rcv_adv accordingly. */
static uint32_t
rcv_window(struct tcb *tp, bool syn)
{
	uint32_t space = tcp_rcv_space(tp);
	uint32_t scale = syn ? 0 : tp->rcv_wscale;
	uint32_t max = 65535u << scale;
	if (space > max)
		space = max;
	uint32_t adv = tp->rcv_adv - tp->rcv_nxt;
	if (seq_lt(tp->rcv_adv, tp->rcv_nxt))
		adv = 0;
	/* RFC 9293 3.8.6.2.2 (receiver SWS avoidance): open the window only
	 * by at least min(rcvbuf/2, MSS); and RFC 9293 3.8.6: never shrink it,
	 * so the right edge already advertised stays where it is. */
	uint32_t step = tp->rcvbuf / 2 < tp->mss ? tp->rcvbuf / 2 : tp->mss;
	uint32_t win = adv;
	if (space >= adv + step || (space > adv && space == tp->rcvbuf))
		win = space;
	/* The scaled field loses the low bits: round down, never up. */
	win = (win >> scale) << scale;
	if (seq_gt(tp->rcv_nxt + win, tp->rcv_adv))
		tp->rcv_adv = tp->rcv_nxt + win;
	uint32_t full = tp->rcvbuf < max ? tp->rcvbuf : max;
	if (tp->chan != NULL && win < full / 2) {
		/* Ask the reader to tell us when it frees space. The reader
		 * subtracts, fences and checks the flag; we set it, fence and
		 * look at the space again (Dekker): if it opened meanwhile, the
		 * reader may have missed the flag, so we send the update now. */
		atomic_fetch_or_explicit(&tp->chan->flags, TERN_CHAN_WUPDATE, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (tcp_rcv_space(tp) >= win + step)
			tp->flags |= TF_ACKNOW;
	}
	return win;
}

static void
fill_options(struct tern_stack *s, struct tcb *tp, struct tcp_repr *th)
{
	struct tcp_opts *o = &th->opt;
	bool syn = th->flags & WIRE_TCP_SYN;
	if (syn) {
		/* RFC 9293 3.7.1: our MSS is what fits in our MTU. */
		o->has_mss = true;
		o->mss = (uint16_t)(s->mtu - WIRE_IPV4_HLEN - WIRE_TCP_HLEN);
		if (tp->mss_clamp != 0 && tp->mss_clamp < o->mss)
			o->mss = tp->mss_clamp;
		/* A SYN-ACK carries only what the SYN offered (RFC 7323 1.3, RFC 2018 2). */
		bool active = tp->state == TCPS_SYN_SENT;
		o->sack_perm = active || (tp->flags & TF_SACK);
		o->has_wscale = active || (tp->flags & TF_WS);
		o->wscale = tp->rcv_wscale;
		o->has_ts = active || (tp->flags & TF_TS);
	} else {
		o->has_ts = (tp->flags & TF_TS) != 0;
	}
	if (o->has_ts) {
		o->ts_val = tcp_ts_now(s, tp);
		/* RFC 7323 3.2: TSecr echoes TS.Recent when ACK is set. */
		o->ts_ecr = (th->flags & WIRE_TCP_ACK) ? tp->ts_recent : 0;
	}
	if (!syn && (tp->flags & TF_SACK)) {
		unsigned n = 0;
		if (tp->dsack_start != tp->dsack_end) {
			/* RFC 2883 4: a duplicate is reported once, in the first block. */
			o->sack[n++] = (struct tcp_sack_block){ tp->dsack_start, tp->dsack_end };
			tp->dsack_start = tp->dsack_end;
			STAT(s, tcp_dsack_tx);
		}
		if (tp->ooo != NULL && tp->ooo->n > 0)
			n += tcp_ooo_sack(tp->ooo, o->sack + n, WIRE_TCP_MAX_SACK - n);
		o->nsack = (uint8_t)n;
	}
}

/* Append [off, off+len) of the send queue (off counted from SND.UNA) to
 * @p m, chaining more mbufs when one is not enough (a jumbo MSS). The walk
 * to the start begins at the cursor when the segment lies at or after it
 * (the next new segment always does), else at the head (a retransmission).
 * @return 0 or -ENOBUFS. */
static int
sndq_append(struct tern_stack *s, struct tcb *tp, struct rte_mbuf *m,
	    uint32_t off, uint32_t len)
{
	uint32_t seq = tp->snd_una + off;
	struct rte_mbuf *q = tp->sndq_head;
	uint32_t qseq = tp->snd_una;   /* the head starts at SND.UNA (sndq_drop) */
	if (tp->sndq_cur != NULL && seq_geq(seq, tp->sndq_cur_seq)) {
		q = tp->sndq_cur;
		qseq = tp->sndq_cur_seq;
	}
	off = seq - qseq;
	while (q != NULL && off >= q->data_len) {
		off -= q->data_len;
		qseq += q->data_len;
		q = q->next;
	}
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);
	while (q != NULL && len > 0) {
		uint32_t n = q->data_len - off;
		if (n > len)
			n = len;
		uint32_t room = rte_pktmbuf_tailroom(last);
		if (room == 0) {
			struct rte_mbuf *seg = rte_pktmbuf_alloc(s->pool);
			if (seg == NULL || rte_pktmbuf_chain(m, seg) != 0) {
				rte_pktmbuf_free(seg);
				return -ENOBUFS;
			}
			last = seg;
			room = rte_pktmbuf_tailroom(last);
		}
		if (n > room)
			n = room;
		memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len),
		       rte_pktmbuf_mtod_offset(q, const uint8_t *, off), n);
		last->data_len = (uint16_t)(last->data_len + n);
		m->pkt_len += n;
		len -= n;
		off += n;
		if (off == q->data_len && q->next != NULL) {
			off = 0;
			qseq += q->data_len;
			q = q->next;
		} else if (off == q->data_len) {
			break;   /* the queue's last byte: keep the cursor on it */
		}
	}
	if (q != NULL) {
		tp->sndq_cur = q;
		tp->sndq_cur_seq = qseq;
	}
	return len == 0 ? 0 : -EINVAL;
}

/* Build and send one segment: flags, sequence number, and @p len bytes of
 * the send queue starting at @p seq. @return 0 or -errno (not sent). */
static int
send_segment(struct tern_stack *s, struct tcb *tp, uint8_t flags, uint32_t seq, uint32_t len)
{
	struct tcp_repr th = {
		.sport = tp->t.lport, .dport = tp->t.rport, .seq = seq, .flags = flags,
	};
	if (flags & WIRE_TCP_ACK)
		th.ack = tp->rcv_nxt;
	fill_options(s, tp, &th);
	uint32_t win = (flags & WIRE_TCP_RST) ? 0 : rcv_window(tp, flags & WIRE_TCP_SYN);
	th.win = (uint16_t)((flags & WIRE_TCP_SYN) ? (win > 65535 ? 65535 : win)
						   : win >> tp->rcv_wscale);
	size_t hlen = WIRE_TCP_HLEN + wire_tcp_opts_len(&th);
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->pool);
	if (m == NULL) {
		STAT(s, nombuf);
		return -ENOBUFS;
	}
	if (len > 0 && sndq_append(s, tp, m, seq - tp->snd_una, len) != 0) {
		rte_pktmbuf_free(m);
		STAT(s, nombuf);
		return -ENOBUFS;
	}
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)hlen);
	wire_tcp_emit(h, hlen, &th);
	m->l4_len = (uint8_t)hlen;
	struct ipv4_out o = {
		.src = tp->t.laddr, .dst = tp->t.raddr, .proto = WIRE_PROTO_TCP,
		.ttl = tp->ttl, .tos = tp->tos, .df = true,
		.l4_csum = TERN_PORT_TX_TCP_CKSUM,
	};
	STAT(s, tcp_tx);
	if (flags & WIRE_TCP_ACK) {
		tp->last_ack_sent = tp->rcv_nxt;
		/* An ACK of data we owed one for uses up a quick ACK
		 * (tcp_input.c, ack_policy_data()). */
		if ((tp->flags & TF_ACKSCHED) && tp->quickacks > 0)
			tp->quickacks--;
		tp->flags &= ~(uint32_t)(TF_ACKNOW | TF_DELACK | TF_ACKSCHED);
		tp->rcv_unacked = 0;
		tcp_timer_stop(s, tp, TCPT_DELACK);
	}
	/* Data sent within the delayed-ACK time of data received: the
	 * application answers requests, the connection is interactive. */
	if (len > 0 && tp->rcvd_data && s->now - tp->last_data_ns < TCP_DELACK_NS)
		tp->flags |= TF_PINGPONG;
	return ipv4_output(s, m, &o);
}

int
tcp_send_ctl(struct tern_stack *s, struct tcb *tp, uint8_t flags, uint32_t seq)
{
	if (flags & WIRE_TCP_RST)
		STAT(s, tcp_rst_tx);
	return send_segment(s, tp, flags, seq, 0);
}

/* Bytes of the send queue at or after SND.NXT. The queue holds data only:
 * the FIN sits just past its end (fin_seq). */
static uint32_t
unsent(const struct tcb *tp)
{
	uint32_t end = tp->snd_una + tp->sndq_bytes;
	return seq_lt(tp->snd_nxt, end) ? end - tp->snd_nxt : 0;
}

/* Data bytes a segment may carry now: the MSS less the SACK blocks we are
 * about to advertise (they share the 40 bytes of option space). */
uint32_t
tcp_seg_room(const struct tcb *tp)
{
	uint32_t n = (tp->ooo != NULL ? tp->ooo->n : 0) + (tp->dsack_start != tp->dsack_end);
	if (!(tp->flags & TF_SACK) || n == 0)
		return tp->mss;
	uint32_t fit = (tp->flags & TF_TS) ? 3 : 4;
	if (n > fit)
		n = fit;
	uint32_t opt = 4 + 8 * n;
	return tp->mss > opt ? tp->mss - opt : 1;
}

int
tcp_output(struct tern_stack *s, struct tcb *tp)
{
	if (tp->state == TCPS_LISTEN || tp->state == TCPS_CLOSED ||
	    tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
		return 0;
	if (unlikely(tp->cc.cwnd == 0))   /* never initialised: never divide by it */
		tp->cc.ops->init(&tp->cc, tp->mss, s->now);
	bool sent_any = false;
	for (;;) {
		uint32_t avail = unsent(tp);
		uint32_t wnd = tp->snd_wnd < tp->cc.cwnd ? tp->snd_wnd : tp->cc.cwnd;
		uint32_t flight = tp->snd_nxt - tp->snd_una;
		uint32_t usable = wnd > flight ? wnd - flight : 0;
		uint32_t len = avail < usable ? avail : usable;
		uint32_t room = tcp_seg_room(tp);
		if (len > room)
			len = room;
		/* The FIN follows the last byte, first time or again after a
		 * go-back-N retransmission; never once it is acknowledged. */
		bool fin = (tp->flags & TF_FIN_QUEUED) && len == avail &&
			   tp->snd_nxt + len == tp->snd_una + tp->sndq_bytes &&
			   !tcp_fin_acked(tp) &&
			   !((tp->flags & TF_FIN_SENT) && seq_gt(tp->snd_nxt + len, tp->fin_seq));
		if (len > 0 && len < room && len == avail && !fin) {
			/* RFC 9293 3.7.4 Nagle, in Minshall's form (as Linux): a
			 * short segment waits only while an earlier short one is
			 * unacknowledged, unless TCP_NODELAY. */
			if (!(tp->flags & TF_NODELAY) && flight > 0 &&
			    seq_gt(tp->snd_sml, tp->snd_una))
				len = 0;
		} else if (len > 0 && len < room && len < avail) {
			/* RFC 9293 3.8.6.2.1 sender SWS avoidance: a window too
			 * small for a full segment is used only if it is at least
			 * half the largest window the peer offered; otherwise wait
			 * (the persist timer probes a zero window). */
			if (len < tp->snd_wnd / 2 || flight > 0)
				len = 0;
		}
		if (len == 0 && !fin) {
			/* A pure ACK at SND.MAX, the RFC's SND.NXT (see drop_ack()
			 * in tcp_input.c): our SND.NXT may be rewound for go-back-N. */
			if (!sent_any && (tp->flags & TF_ACKNOW))
				send_segment(s, tp, WIRE_TCP_ACK, tp->snd_max, 0);
			if (avail > 0 && tp->snd_wnd == 0 && flight == 0 &&
			    tp->deadline[TCPT_PERSIST] == 0 && tp->deadline[TCPT_REXMT] == 0)
				tcp_timer_arm(s, tp, TCPT_PERSIST, tcp_rtt_timeout(&tp->rtt));
			break;
		}
		uint8_t flags = WIRE_TCP_ACK;
		if (len > 0 && len == avail)
			flags |= WIRE_TCP_PSH;
		if (fin)
			flags |= WIRE_TCP_FIN;
		uint32_t seq = tp->snd_nxt;
		if (seq_lt(seq, tp->snd_max))
			STAT(s, tcp_rexmt);
		if (send_segment(s, tp, flags, seq, len) != 0) {
			/* No mbuf (or no route) now: a timer must bring us back, or
			 * nothing ever would (no data in flight, no persist). */
			if (tp->deadline[TCPT_REXMT] == 0)
				tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
			break;
		}
		sent_any = true;
		if (len < room)
			tp->snd_sml = seq + len;
		tp->snd_nxt += len;
		if (fin) {
			tp->fin_seq = tp->snd_nxt;
			tp->snd_nxt++;
			tp->flags |= TF_FIN_SENT;
		}
		if (seq_gt(tp->snd_nxt, tp->snd_max)) {
			tp->snd_max = tp->snd_nxt;
			/* Karn (RFC 6298 3): time a new segment only, one at a time,
			 * when timestamps do not give us every sample. */
			if (!(tp->flags & TF_TS) && tp->rtt_start == 0) {
				tp->rtt_start = s->now;
				tp->rtt_seq = seq;
			}
		}
		tp->cc.last_send_ns = s->now;
		/* RFC 6298 5.1: start the timer if it is not running. */
		if (tp->deadline[TCPT_REXMT] == 0)
			tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
		tcp_timer_stop(s, tp, TCPT_PERSIST);
		if (fin)
			break;
	}
	return 0;
}

uint32_t
tcp_send_range(struct tern_stack *s, struct tcb *tp, uint32_t seq, uint32_t len)
{
	uint32_t data_end = tp->snd_una + tp->sndq_bytes;
	uint32_t dlen = seq_lt(seq, data_end) ? data_end - seq : 0;
	if (dlen > len)
		dlen = len;
	/* The range covers our FIN: it goes out with the last byte. */
	bool fin = (tp->flags & TF_FIN_SENT) && seq_leq(seq + dlen, tp->fin_seq) &&
		   seq_gt(seq + len, tp->fin_seq) && seq + dlen == tp->fin_seq;
	if (dlen == 0 && !fin)
		return 0;
	uint8_t flags = WIRE_TCP_ACK | (fin ? WIRE_TCP_FIN : 0);
	if (dlen > 0 && seq + dlen == data_end)
		flags |= WIRE_TCP_PSH;
	if (send_segment(s, tp, flags, seq, dlen) != 0)
		return 0;
	STAT(s, tcp_rexmt);
	tp->total_retrans++;
	tp->cc.last_send_ns = s->now;
	if (tp->deadline[TCPT_REXMT] == 0)
		tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
	return dlen + (fin ? 1 : 0);
}

uint32_t
tcp_send_one_new(struct tern_stack *s, struct tcb *tp)
{
	/* tcp_output() with a congestion window of exactly one more segment:
	 * the peer's window, Nagle and the FIN rules still apply. */
	uint32_t cwnd = tp->cc.cwnd;
	uint32_t before = tp->snd_nxt;
	tp->cc.cwnd = (tp->snd_nxt - tp->snd_una) + tcp_seg_room(tp);
	tcp_output(s, tp);
	tp->cc.cwnd = cwnd;
	return tp->snd_nxt - before;
}

void
tcp_respond_rst(struct tern_stack *s, const struct ipv4_repr *ip, const struct tcp_repr *th,
		uint32_t seg_len)
{
	/* RFC 9293 3.10.7.1: never answer a RST; if the segment had an ACK,
	 * <SEQ=SEG.ACK><CTL=RST>, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	if (th->flags & WIRE_TCP_RST)
		return;
	if (stack_is_bcast(s, ip->dst) || wire_ipv4_is_multicast(ip->dst))
		return;
	struct tcp_repr r = { .sport = th->dport, .dport = th->sport };
	if (th->flags & WIRE_TCP_ACK) {
		r.seq = th->ack;
		r.flags = WIRE_TCP_RST;
	} else {
		r.seq = 0;
		r.ack = th->seq + seg_len;
		r.flags = WIRE_TCP_RST | WIRE_TCP_ACK;
	}
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->pool);
	if (m == NULL) {
		STAT(s, nombuf);
		return;
	}
	uint8_t *h = (uint8_t *)rte_pktmbuf_append(m, WIRE_TCP_HLEN);
	wire_tcp_emit(h, WIRE_TCP_HLEN, &r);
	struct ipv4_out o = { .src = ip->dst, .dst = ip->src, .proto = WIRE_PROTO_TCP,
			      .ttl = 64, .df = true, .l4_csum = TERN_PORT_TX_TCP_CKSUM };
	STAT(s, tcp_rst_tx);
	ipv4_output(s, m, &o);
}

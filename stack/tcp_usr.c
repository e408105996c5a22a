/*
 * The socket side of TCP: requests made through sockreq_dispatch (open,
 * bind, listen, connect, accept, shutdown, close, options, names),
 * application data to send, reads that free receive space, and delivery
 * of received data into the socket's ring.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <rte_ring.h>

#include "stack_impl.h"
#include "tcp.h"

#define TCP_SOMAXCONN 4096

static struct tcb *
slot_tcb(struct tern_stack *s, uint32_t slot)
{
	return slot < s->max_sockets ? s->tcp.slot_tcb[slot] : NULL;
}

void
tcp_sndbuf_release(struct tcb *tp, uint32_t bytes)
{
	if (tp->chan == NULL)
		return;
	/* release: pairs with the sender's acquire read of tx_bytes. */
	atomic_fetch_sub_explicit(&tp->chan->tx_bytes, bytes, memory_order_release);
	tern_chan_wake_space(tp->chan);
}

static void
rcvq_append(struct tcb *tp, struct rte_mbuf *m, uint32_t len)
{
	/* Entries are single segments: the queue links through m->next. */
	m->next = NULL;
	if (tp->rcvq_tail != NULL)
		tp->rcvq_tail->next = m;
	else
		tp->rcvq_head = m;
	tp->rcvq_tail = m;
	tp->rcvq_bytes += len;
	tp->rcvq_charge += m->buf_len;
}

/* Move held data into the socket's ring while it has room. */
static void
rcvq_flush(struct tcb *tp)
{
	while (tp->rcvq_head != NULL && tp->chan != NULL) {
		struct rte_mbuf *m = tp->rcvq_head;
		uint32_t len = m->pkt_len;
		struct rte_mbuf *next = m->next;
		m->next = NULL;
		uint32_t charge = m->buf_len;
		/* Count before publishing so the reader never subtracts first. */
		atomic_fetch_add_explicit(&tp->chan->rx_bytes, len, memory_order_relaxed);
		int rc = rte_ring_sp_enqueue(tp->chan->rxq, m);
		if (rc != 0) {
			/* Ask to hear of the next read, then look again: the reader
			 * dequeues, fences and checks the flag (Dekker), so either
			 * it sees the request or this retry sees its space. */
			atomic_fetch_or_explicit(&tp->chan->flags, TERN_CHAN_WUPDATE,
						 memory_order_relaxed);
			atomic_thread_fence(memory_order_seq_cst);
			rc = rte_ring_sp_enqueue(tp->chan->rxq, m);
		}
		if (rc != 0) {
			atomic_fetch_sub_explicit(&tp->chan->rx_bytes, len, memory_order_relaxed);
			m->next = next;
			break;
		}
		tp->rcvq_head = next;
		if (next == NULL)
			tp->rcvq_tail = NULL;
		tp->rcvq_bytes -= len;
		tp->rcvq_charge -= charge;
	}
	/* The last held byte is in the ring: an EOF that waited can go now. */
	if (tp->rcvq_head == NULL && tp->chan != NULL && TCPS_HAVE_RCVD_FIN(tp->state) &&
	    !(atomic_load_explicit(&tp->chan->flags, memory_order_relaxed) & TERN_CHAN_EOF)) {
		/* release: with everything queued before it (rule of sockif.h). */
		atomic_fetch_or_explicit(&tp->chan->flags, TERN_CHAN_EOF, memory_order_release);
		tern_chan_wake(tp->chan);
	}
}

void
tcp_deliver(struct tern_stack *s, struct tcb *tp, struct rte_mbuf *m, uint32_t len)
{
	(void)s;
	(void)len;
	/* Every entry of the socket's ring is one single-segment mbuf, so a
	 * reader can consume part of one in place (rte_pktmbuf_adj works on a
	 * first segment only); a chain is split into its segments here. */
	while (m != NULL) {
		struct rte_mbuf *next = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		if (m->data_len > 0)
			rcvq_append(tp, m, m->data_len);
		else
			rte_pktmbuf_free_seg(m);
		m = next;
	}
	rcvq_flush(tp);
	tcp_wake(tp);
}

static void
attach(struct tern_stack *s, struct tcb *tp, uint32_t slot, struct tern_chan *c)
{
	tp->slot = slot;
	tp->chan = c;
	/* acquire: the api wrote the chan before asking. */
	tp->gen = atomic_load_explicit(&c->gen, memory_order_acquire);
	s->tcp.slot_tcb[slot] = tp;
	uint32_t rb = atomic_load_explicit(&c->rcvbuf, memory_order_relaxed);
	uint32_t sb = atomic_load_explicit(&c->sndbuf, memory_order_relaxed);
	if (rb != 0)
		tp->rcvbuf = rb;
	if (sb != 0)
		tp->sndbuf = sb;
}

static int
do_connect(struct tern_stack *s, struct tcb *tp, struct tern_req *r)
{
	switch (tp->state) {
	case TCPS_CLOSED:
		break;
	case TCPS_SYN_SENT:
		return -EALREADY;
	default:
		return -EISCONN;
	}
	uint32_t dst = r->addr ? r->addr : s->ip;   /* 0.0.0.0 means this host */
	if (stack_is_bcast(s, dst) || wire_ipv4_is_multicast(dst) || r->port == 0)
		return r->port == 0 ? -ECONNREFUSED : -ENETUNREACH;
	if (dst != s->ip && (dst & s->netmask) != (s->ip & s->netmask) && s->gateway == 0)
		return -ENETUNREACH;
	bool was_bound = tcp_port_bound(tp);
	struct tcp_4tuple name = tp->t;   /* restored if the connect fails */
	if (!was_bound) {
		/* A port given back when an earlier connection ended is not
		 * reused: a fresh one, as Linux picks (inet_hash_connect). */
		uint32_t laddr = (tp->userlocks & TCP_LOCK_ADDR) ? tp->t.laddr : s->ip;
		int rc = tcp_bind_port(s, tp, laddr, 0);
		if (rc != 0)
			return rc;
		tp->port_released = false;
	} else if (tp->t.laddr == 0) {
		tp->t.laddr = s->ip;
	}
	tp->t.raddr = dst;
	tp->t.rport = r->port;
	if (tcp_lookup(s, &tp->t) != NULL) {
		if (!was_bound) {
			tcp_unbind_port(s, tp);
			tp->port_released = name.lport != 0;
		}
		tp->t = name;
		return -EADDRNOTAVAIL;
	}
	tp->iss = tcp_isn(&s->tcp.secret, &tp->t, s->now);
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->iss + 1;
	tp->snd_max = tp->snd_nxt;
	tp->snd_recover = tp->iss;
	tp->snd_sml = tp->iss;
	tp->rcv_wscale = 7;      /* we offer scaling; used only if the peer does too */
	tp->ts_offset = (uint32_t)stack_random(s);
	tp->rtt_start = s->now;
	tp->rtt_seq = tp->iss;
	/* Linux tcp_connect_init(): an error left by an earlier connection
	 * (a disconnect's ECONNRESET) does not outlive a new attempt.
	 * relaxed: the request's completion publishes it. */
	if (tp->chan != NULL)
		atomic_store_explicit(&tp->chan->so_error, 0, memory_order_relaxed);
	tcp_hash_insert(s, tp);
	tcp_set_state(s, tp, TCPS_SYN_SENT);
	tcp_send_ctl(s, tp, WIRE_TCP_SYN, tp->iss);
	tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
	return 0;
}

static int
do_accept(struct tern_stack *s, struct tcb *l, struct tern_req *r)
{
	if (l->state != TCPS_LISTEN)
		return -EINVAL;
	struct tcb *tp = l->acc_head;
	if (tp == NULL)
		return -EAGAIN;
	if (r->ival < 0 || (uint64_t)r->ival >= s->max_sockets || r->chan == NULL ||
	    s->tcp.slot_tcb[r->ival] != NULL)
		return -EINVAL;
	l->acc_head = tp->acc_next;
	tp->acc_next = NULL;
	l->acc_len--;
	if (l->chan != NULL)
		atomic_fetch_sub_explicit(&l->chan->rx_bytes, 1, memory_order_relaxed);
	tp->listener = NULL;
	attach(s, tp, (uint32_t)r->ival, r->chan);
	s->slot_type[r->ival] = SOCK_STREAM;
	r->addr = tp->t.laddr;
	r->port = tp->t.lport;
	r->raddr = tp->t.raddr;
	r->rport = tp->t.rport;
	if (tp->state == TCPS_CLOSED) {
		/* It died in the queue (reset, timed out): Linux's accept()
		 * returns it all the same, its data first, then its error (once
		 * the last held byte is in the ring: tcp_usr_rcvd()). */
		/* release: as below. */
		atomic_fetch_or_explicit(&tp->chan->flags, TERN_CHAN_CONNECTED,
					 memory_order_release);
		rcvq_flush(tp);
		if (tp->rcvq_head == NULL)
			tcp_chan_dead(tp->chan, tp->err);
		return 0;
	}
	uint32_t flags = TERN_CHAN_CONNECTED;
	if (TCPS_SENT_FIN(tp->state))
		flags |= TERN_CHAN_WR_SHUT;
	rcvq_flush(tp);
	if (TCPS_HAVE_RCVD_FIN(tp->state) && tp->rcvq_head == NULL)
		flags |= TERN_CHAN_EOF;
	/* release: the new socket's owner sees the data queued above. */
	atomic_fetch_or_explicit(&tp->chan->flags, flags, memory_order_release);
	tcp_wake(tp);
	/* The reader can open a window the accept queue kept closed. */
	tcp_output(s, tp);
	return 0;
}

static int
do_close(struct tern_stack *s, struct tcb *tp)
{
	bool unread = tp->rcvq_bytes > 0 ||
		      (tp->chan != NULL &&
		       atomic_load_explicit(&tp->chan->rx_bytes, memory_order_relaxed) > 0);
	/* Detach first: the socket and its channel are gone once we answer. */
	s->tcp.slot_tcb[tp->slot] = NULL;
	tp->slot = TCB_NO_SLOT;
	tp->chan = NULL;
	switch (tp->state) {
	case TCPS_CLOSED:
	case TCPS_SYN_SENT:
	case TCPS_LISTEN:
		tcp_close_tcb(s, tp);
		return 0;
	default:
		break;
	}
	if (unread || (tp->flags & TF_LINGER0)) {
		/* RFC 9293 3.10.4 / RFC 2525 2.17: closing with data unread, or
		 * SO_LINGER 0, aborts: RST, and the connection is gone. */
		/* RFC 5961 3.2: the peer takes a RST only at exactly its RCV.NXT,
		 * which is our SND.MAX once it has what we sent (snd_nxt may be
		 * rewound for go-back-N). */
		if (tp->state != TCPS_TIME_WAIT)
			tcp_send_ctl(s, tp, WIRE_TCP_RST | WIRE_TCP_ACK, tp->snd_max);
		tcp_close_tcb(s, tp);
		return 0;
	}
	switch (tp->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		if (tp->cc.cwnd == 0)   /* simultaneous open not yet complete */
			tp->cc.ops->init(&tp->cc, tp->mss, s->now);
		tp->flags |= TF_FIN_QUEUED;
		tcp_set_state(s, tp, TCPS_FIN_WAIT_1);
		break;
	case TCPS_CLOSE_WAIT:
		tp->flags |= TF_FIN_QUEUED;
		tcp_set_state(s, tp, TCPS_LAST_ACK);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_timer_arm(s, tp, TCPT_2MSL, TCP_FIN_WAIT2_NS);
		break;
	default:
		break;   /* already closing */
	}
	tcp_output(s, tp);
	return 0;
}

/* @p r->ival in: how; out: TERN_SHUT_* (what the socket layer records). */
static int
do_shutdown(struct tern_stack *s, struct tcb *tp, struct tern_req *r)
{
	int how = (int)r->ival;
	r->ival = TERN_SHUT_KEPT;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	/* Linux inet_shutdown(): a listener shut for reading stops listening
	 * and a connect in progress is abandoned, both by tcp_disconnect()
	 * (the socket is CLOSE and unconnected again; SYN-SENT leaves
	 * ECONNRESET); a listener's SHUT_WR does nothing. Neither records
	 * the direction. */
	if (tp->state == TCPS_LISTEN && how == SHUT_WR)
		return 0;
	if (tp->state == TCPS_LISTEN || tp->state == TCPS_SYN_SENT) {
		int rc = tcp_disconnect(s, tp);
		if (rc == 0)
			r->ival = TERN_SHUT_DISCONNECTED;
		return rc;
	}
	/* Any other state keeps the direction, even CLOSE's ENOTCONN. */
	r->ival = TERN_SHUT_RECORDED;
	if (!TCPS_HAVE_ESTABLISHED(tp->state) && tp->state != TCPS_SYN_RECEIVED)
		return -ENOTCONN;
	if (how != SHUT_WR) {
		tp->flags |= TF_SHUT_RD;
		atomic_fetch_or_explicit(&tp->chan->flags, TERN_CHAN_EOF, memory_order_release);
		tern_chan_wake(tp->chan);
	}
	if (how != SHUT_RD && !(tp->flags & TF_FIN_QUEUED)) {
		if (tp->state == TCPS_ESTABLISHED) {
			tp->flags |= TF_FIN_QUEUED;
			tcp_set_state(s, tp, TCPS_FIN_WAIT_1);
		} else if (tp->state == TCPS_CLOSE_WAIT) {
			tp->flags |= TF_FIN_QUEUED;
			tcp_set_state(s, tp, TCPS_LAST_ACK);
		}
		tcp_output(s, tp);
	}
	return 0;
}

static int
tcp_info_fill(struct tern_stack *s, const struct tcb *tp, struct tern_req *r)
{
	(void)s;
	struct tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	/* Linux's TCP_ESTABLISHED.. numbering differs from RFC order. */
	static const uint8_t linux_state[] = {
		[TCPS_CLOSED] = 7, [TCPS_LISTEN] = 10, [TCPS_SYN_SENT] = 2,
		[TCPS_SYN_RECEIVED] = 3, [TCPS_ESTABLISHED] = 1, [TCPS_CLOSE_WAIT] = 8,
		[TCPS_FIN_WAIT_1] = 4, [TCPS_CLOSING] = 11, [TCPS_LAST_ACK] = 9,
		[TCPS_FIN_WAIT_2] = 5, [TCPS_TIME_WAIT] = 6,
	};
	ti.tcpi_state = linux_state[tp->state];
	ti.tcpi_retransmits = tp->rxt_shift;
	ti.tcpi_options = (uint8_t)(((tp->flags & TF_TS) ? TCPI_OPT_TIMESTAMPS : 0) |
				    ((tp->flags & TF_SACK) ? TCPI_OPT_SACK : 0) |
				    ((tp->flags & TF_WS) ? TCPI_OPT_WSCALE : 0));
	ti.tcpi_snd_wscale = tp->snd_wscale;
	ti.tcpi_rcv_wscale = tp->rcv_wscale;
	ti.tcpi_rto = (uint32_t)(tcp_rtt_timeout(&tp->rtt) / 1000);
	ti.tcpi_snd_mss = tp->mss;
	ti.tcpi_rcv_mss = tp->peer_mss;
	ti.tcpi_unacked = (tp->snd_max - tp->snd_una + tp->mss - 1) / (tp->mss ? tp->mss : 1);
	ti.tcpi_rtt = (uint32_t)(tp->rtt.srtt_ns / 1000);
	ti.tcpi_rttvar = (uint32_t)(tp->rtt.rttvar_ns / 1000);
	ti.tcpi_snd_ssthresh = tp->cc.ssthresh / (tp->mss ? tp->mss : 1);
	ti.tcpi_snd_cwnd = tp->cc.cwnd / (tp->mss ? tp->mss : 1);
	ti.tcpi_advmss = tp->mss;
	ti.tcpi_rcv_space = tcp_rcv_space(tp);
	ti.tcpi_total_retrans = tp->total_retrans;
	uint32_t n = r->buflen < sizeof(ti) ? r->buflen : (uint32_t)sizeof(ti);
	memcpy(r->buf, &ti, n);
	r->buflen = n;
	return 0;
}

/* TCP_CONGESTION speaks Linux's names: its NewReno module is "reno". */
static const char *
cc_linux_name(const struct tcp_cc_ops *ops)
{
	return ops == &tcp_cc_newreno ? "reno" : ops->name;
}

static const struct tcp_cc_ops *
cc_by_linux_name(const char *name)
{
	/* Tern's own spelling "newreno" is not a Linux module: ENOENT there. */
	const struct tcp_cc_ops *ops = tcp_cc_find(name);
	return ops != NULL && strcmp(cc_linux_name(ops), name) == 0 ? ops : NULL;
}

static int
do_opt(struct tern_stack *s, struct tcb *tp, struct tern_req *r, bool set)
{
	int64_t v = r->ival;
	uint32_t bit = 0;
	if (r->level == SOL_SOCKET) {
		switch (r->name) {
		case SO_REUSEADDR: bit = TF_REUSEADDR; break;
		case SO_REUSEPORT: bit = TF_REUSEPORT; break;
		case SO_KEEPALIVE: bit = TF_KEEPALIVE; break;
		case SO_LINGER:
			/* ival: -1 = off, else the linger time in seconds; only 0
			 * changes what close() does (abort with RST). */
			if (set) {
				if (v == 0)
					tp->flags |= TF_LINGER0;
				else
					tp->flags &= ~(uint32_t)TF_LINGER0;
			} else {
				r->ival = (tp->flags & TF_LINGER0) ? 0 : -1;
			}
			return 0;
		case SO_RCVBUF:
			if (set)
				tp->rcvbuf = (uint32_t)v;
			else
				r->ival = tp->rcvbuf;
			return 0;
		case SO_SNDBUF:
			if (set)
				tp->sndbuf = (uint32_t)v;
			else
				r->ival = tp->sndbuf;
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	} else if (r->level == IPPROTO_TCP) {
		switch (r->name) {
		case TCP_NODELAY:
			bit = TF_NODELAY;
			break;
		case TCP_MAXSEG:
			if (!set) {
				r->ival = TCPS_HAVE_ESTABLISHED(tp->state) ? tp->mss :
					  (tp->mss_clamp ? tp->mss_clamp : TCP_DEFAULT_MSS);
				return 0;
			}
			/* Linux do_tcp_setsockopt: 0 (no clamp) or 88..32767
			 * (TCP_MIN_MSS..MAX_TCP_WINDOW). */
			if (v != 0 && (v < TCP_MIN_MSS || v > TCP_MAX_USER_MSS))
				return -EINVAL;
			tp->mss_clamp = (uint16_t)v;
			return 0;
		case TCP_KEEPIDLE:
		case TCP_KEEPINTVL:
		case TCP_KEEPCNT: {
			if (!set) {
				r->ival = r->name == TCP_KEEPIDLE ? (int64_t)(tp->keep_idle / TERN_NS_PER_SEC) :
					  r->name == TCP_KEEPINTVL ? (int64_t)(tp->keep_intvl / TERN_NS_PER_SEC) :
					  tp->keep_cnt;
				return 0;
			}
			/* Linux's limits: 1..32767 seconds, 1..127 probes. */
			if (v < 1 || v > (r->name == TCP_KEEPCNT ? 127 : 32767))
				return -EINVAL;
			if (r->name == TCP_KEEPIDLE)
				tp->keep_idle = (uint64_t)v * TERN_NS_PER_SEC;
			else if (r->name == TCP_KEEPINTVL)
				tp->keep_intvl = (uint64_t)v * TERN_NS_PER_SEC;
			else
				tp->keep_cnt = (uint8_t)v;
			if ((tp->flags & TF_KEEPALIVE) && TCPS_HAVE_ESTABLISHED(tp->state))
				tcp_timer_arm(s, tp, TCPT_KEEP, tp->keep_idle);
			return 0;
		}
		case TCP_CONGESTION: {
			if (!set) {
				memset(r->str, 0, sizeof(r->str));
				strncpy(r->str, cc_linux_name(tp->cc.ops), sizeof(r->str) - 1);
				return 0;
			}
			const struct tcp_cc_ops *ops = cc_by_linux_name(r->str);
			if (ops == NULL)
				return -ENOENT;   /* Linux's answer for an unknown algorithm */
			if (ops != tp->cc.ops) {
				tp->cc.ops = ops;
				if (TCPS_HAVE_ESTABLISHED(tp->state)) {
					uint32_t cwnd = tp->cc.cwnd;
					ops->init(&tp->cc, tp->mss, s->now);
					tp->cc.cwnd = cwnd;
				}
			}
			return 0;
		}
		case TCP_INFO:
			if (set)
				return -ENOPROTOOPT;
			return tcp_info_fill(s, tp, r);
		default:
			return -ENOPROTOOPT;
		}
	} else if (r->level == IPPROTO_IP) {
		if (r->name == IP_TTL) {
			if (!set) {
				r->ival = tp->ttl;
				return 0;
			}
			if (v == -1)
				v = 64;
			if (v < 1 || v > 255)
				return -EINVAL;
			tp->ttl = (uint8_t)v;
			return 0;
		}
		if (r->name == IP_TOS) {
			if (set)
				tp->tos = (uint8_t)(v & 0xfc);
			else
				r->ival = tp->tos;
			return 0;
		}
		return -ENOPROTOOPT;
	} else {
		return -ENOPROTOOPT;
	}
	if (!set) {
		r->ival = (tp->flags & bit) != 0;
		return 0;
	}
	if (v)
		tp->flags |= bit;
	else
		tp->flags &= ~bit;
	if (bit == TF_KEEPALIVE && TCPS_HAVE_ESTABLISHED(tp->state)) {
		if (v)
			tcp_timer_arm(s, tp, TCPT_KEEP, tp->keep_idle);
		else
			tcp_timer_stop(s, tp, TCPT_KEEP);
	}
	if (bit == TF_NODELAY && v)
		tcp_output(s, tp);   /* Linux flushes what Nagle held */
	return 0;
}

int
tcp_req(struct tern_stack *s, struct tern_req *r)
{
	if (r->op == TERN_REQ_OPEN) {
		if (r->sock >= s->max_sockets || r->chan == NULL || s->tcp.slot_tcb[r->sock] != NULL)
			return -EINVAL;
		struct tcb *tp = tcp_tcb_new(s);
		if (tp == NULL)
			return -ENOMEM;
		attach(s, tp, r->sock, r->chan);
		return 0;
	}
	struct tcb *tp = slot_tcb(s, r->sock);
	if (tp == NULL) {
		/* The connection is gone (reset or timed out); the socket has
		 * its error in so_error and a DEAD flag. */
		switch (r->op) {
		case TERN_REQ_CLOSE:
			return 0;
		case TERN_REQ_GETNAME:
			r->addr = r->raddr = 0;
			r->port = r->rport = 0;
			r->ival = 0;
			return 0;
		case TERN_REQ_GETOPT:
			if (r->level == IPPROTO_TCP && r->name == TCP_INFO && r->buf != NULL) {
				/* Linux answers for a dead connection too: state CLOSE. */
				struct tcp_info ti;
				memset(&ti, 0, sizeof(ti));
				ti.tcpi_state = 7;
				uint32_t n = r->buflen < sizeof(ti) ? r->buflen : (uint32_t)sizeof(ti);
				memcpy(r->buf, &ti, n);
				r->buflen = n;
			}
			return 0;
		case TERN_REQ_SETOPT:
			return 0;
		case TERN_REQ_SHUTDOWN:
			r->ival = TERN_SHUT_RECORDED;
			return -ENOTCONN;
		default:
			return -ENOTCONN;
		}
	}
	switch (r->op) {
	case TERN_REQ_BIND: {
		/* Linux inet_bind(): CLOSE and no port held (one given back when
		 * a connection ended does not count). The address may be ours,
		 * a broadcast or a multicast one (inet_addr_valid_or_nonlocal). */
		if (tp->state != TCPS_CLOSED || tcp_port_bound(tp))
			return -EINVAL;
		if (r->addr != 0 && r->addr != s->ip && !stack_is_bcast(s, r->addr) &&
		    !wire_ipv4_is_multicast(r->addr))
			return -EADDRNOTAVAIL;
		int rc = tcp_bind_port(s, tp, r->addr, r->port);
		if (rc != 0)
			return rc;
		tp->port_released = false;
		tp->userlocks = (uint8_t)((r->addr != 0 ? TCP_LOCK_ADDR : 0) |
					  (r->port != 0 ? TCP_LOCK_PORT : 0));
		return 0;
	}
	case TERN_REQ_LISTEN: {
		if (tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN)
			return -EINVAL;
		if (!tcp_port_bound(tp)) {
			/* Linux binds a listener it must (an automatic port). */
			uint32_t laddr = (tp->userlocks & TCP_LOCK_ADDR) ? tp->t.laddr : 0;
			int rc = tcp_bind_port(s, tp, laddr, 0);
			if (rc != 0)
				return rc;
			tp->port_released = false;
		} else if (tp->state == TCPS_CLOSED) {
			/* Another socket on the port (REUSEADDR) may not listen too,
			 * unless both set SO_REUSEPORT (Linux inet_csk_get_port at
			 * listen: a listener conflicts with every overlapping socket
			 * but its SO_REUSEPORT group). */
			for (struct tcb *o = s->tcp.bound[tp->t.lport]; o != NULL; o = o->bnext)
				if (o != tp && o->state == TCPS_LISTEN &&
				    (o->t.laddr == 0 || tp->t.laddr == 0 || o->t.laddr == tp->t.laddr) &&
				    !((o->flags & TF_REUSEPORT) && (tp->flags & TF_REUSEPORT)))
					return -EADDRINUSE;
		}
		int64_t b = r->ival;
		tp->backlog = b < 1 ? 1 : b > TCP_SOMAXCONN ? TCP_SOMAXCONN : (uint32_t)b;
		if (tp->state == TCPS_CLOSED)
			tcp_set_state(s, tp, TCPS_LISTEN);
		return 0;
	}
	case TERN_REQ_CONNECT:
		if (r->unspec)   /* connect(AF_UNSPEC), or a failed connect's cleanup */
			return tcp_disconnect(s, tp);
		return do_connect(s, tp, r);
	case TERN_REQ_ACCEPT:
		return do_accept(s, tp, r);
	case TERN_REQ_SHUTDOWN:
		return do_shutdown(s, tp, r);
	case TERN_REQ_CLOSE:
		return do_close(s, tp);
	case TERN_REQ_SETOPT:
		return do_opt(s, tp, r, true);
	case TERN_REQ_GETOPT:
		return do_opt(s, tp, r, false);
	case TERN_REQ_GETNAME:
		r->addr = tp->t.laddr;
		r->port = tp->t.lport;
		r->raddr = tp->t.raddr;
		r->rport = tp->t.rport;
		r->ival = TCPS_HAVE_ESTABLISHED(tp->state);
		return 0;
	default:
		STAT(s, req_bad);
		return -EINVAL;
	}
}

/* Consumes m (payload, meta filled by the api). */
void
tcp_usr_send(struct tern_stack *s, struct rte_mbuf *m)
{
	struct tern_mbuf_meta *md = tern_mbuf_meta(m);
	struct tcb *tp = slot_tcb(s, md->sock);
	uint32_t len = m->pkt_len;
	if (tp == NULL || tp->gen != md->gen) {
		STAT(s, tcp_tx_dropped);
		rte_pktmbuf_free(m);
		return;
	}
	if ((tp->flags & TF_FIN_QUEUED) ||
	    !(tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT)) {
		STAT(s, tcp_tx_dropped);
		rte_pktmbuf_free(m);
		tcp_sndbuf_release(tp, len);
		return;
	}
	/* The send queue links single segments through m->next. */
	while (m != NULL) {
		struct rte_mbuf *next = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		if (m->data_len == 0) {
			rte_pktmbuf_free_seg(m);
		} else {
			if (tp->sndq_tail != NULL)
				tp->sndq_tail->next = m;
			else
				tp->sndq_head = m;
			tp->sndq_tail = m;
			tp->sndq_bytes += m->data_len;
		}
		m = next;
	}
	/* RFC 5681 4.1: after an idle period longer than the RTO, restart
	 * from the initial window. */
	if (tp->snd_una == tp->snd_max && tp->cc.last_send_ns != 0 &&
	    s->now - tp->cc.last_send_ns > tcp_rtt_timeout(&tp->rtt))
		tp->cc.ops->on_idle_restart(&tp->cc, s->now);
	tcp_output(s, tp);
}

void
tcp_usr_rcvd(struct tern_stack *s, uint32_t slot)
{
	struct tcb *tp = slot_tcb(s, slot);
	if (tp != NULL && tp->state == TCPS_CLOSED && tp->rcvq_head != NULL) {
		/* Accepted dead with more data than the ring took: its death
		 * is told after its last byte. */
		rcvq_flush(tp);
		tcp_wake(tp);
		if (tp->rcvq_head == NULL)
			tcp_chan_dead(tp->chan, tp->err);
		return;
	}
	if (tp == NULL || tp->state < TCPS_ESTABLISHED)
		return;
	rcvq_flush(tp);
	tcp_wake(tp);   /* what the flush queued is there to read */
	/* RFC 9293 3.8.6.2.2: a window update once the window can open by at
	 * least min(rcvbuf/2, MSS) — tcp_output's window rule decides. */
	uint32_t adv = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t space = tcp_rcv_space(tp);
	uint32_t max = 65535u << tp->rcv_wscale;   /* what the field can say */
	if (space > max)
		space = max;
	uint32_t step = tp->rcvbuf / 2 < tp->mss ? tp->rcvbuf / 2 : tp->mss;
	if (space >= adv + step && !TCPS_HAVE_RCVD_FIN(tp->state)) {
		tp->flags |= TF_ACKNOW;
		tcp_output(s, tp);
	}
}

/*
 * TCP timers: each connection has one deadline per named timer (FreeBSD
 * style) and a single entry on the stack's timer wheel, armed at the
 * earliest of them, so idle connections cost nothing per poll. Called by
 * the poll loop (tcp_timers_run) and by every TCP file (arm/stop).
 */
#include <errno.h>
#include <stddef.h>

#include "stack_impl.h"
#include "tcp.h"

#define TCP_PERSIST_MIN_NS (200ull * TERN_NS_PER_MS)
#define TCP_PERSIST_MAX_NS (60ull * TERN_NS_PER_SEC)

/*
 * Lazy wheel entry: the entry is armed no later than the earliest deadline,
 * but it may be earlier, for a deadline since stopped or pushed back. Then it
 * fires for nothing and fire() places it at the earliest deadline left. A
 * request/response exchange arms the retransmission timer on every send and
 * stops it on every ACK; moving the wheel entry each time was about 670
 * instructions per echo (tests/bench/instr.sh). Now the entry moves once per
 * RTO at most, and only when a deadline comes earlier than where it sits.
 * (The same idea as Linux's lazy TCP timer rearming, sk_reset_timer only on
 * an earlier expiry, and FreeBSD's callout_reset avoidance.)
 */
static void
rearm(struct tern_stack *s, struct tcb *tp)
{
	uint64_t first = UINT64_MAX;
	for (int i = 0; i < TCPT_COUNT; i++)
		if (tp->deadline[i] != 0 && tp->deadline[i] < first)
			first = tp->deadline[i];
	if (first != UINT64_MAX)
		twheel_add(&s->tcp.wheel, &tp->tw, first);
}

void
tcp_timer_arm(struct tern_stack *s, struct tcb *tp, enum tcp_timer which, uint64_t delay)
{
	uint64_t at = s->now + (delay ? delay : 1);

	tp->deadline[which] = at;
	if (!twheel_armed(&tp->tw) || tp->tw.expires > at)
		twheel_add(&s->tcp.wheel, &tp->tw, at);
}

void
tcp_timer_stop(struct tern_stack *s, struct tcb *tp, enum tcp_timer which)
{
	(void)s;
	/* The wheel entry stays where it is (see rearm). */
	tp->deadline[which] = 0;
}

void
tcp_timers_stop_all(struct tern_stack *s, struct tcb *tp)
{
	for (int i = 0; i < TCPT_COUNT; i++)
		tp->deadline[i] = 0;
	twheel_del(&s->tcp.wheel, &tp->tw);
}

/* The connection gives up: tell the socket why, and forget it. */
static void
drop_conn(struct tern_stack *s, struct tcb *tp, int err)
{
	STAT(s, tcp_timeout_drop);
	tcp_notify(s, tp, err);
	tcp_close_tcb(s, tp);
}

/* @return false if the TCB is gone. */
static bool
rexmt_timeout(struct tern_stack *s, struct tcb *tp)
{
	tp->rxt_shift++;
	tp->total_retrans++;
	STAT(s, tcp_rto);
	switch (tp->state) {
	case TCPS_SYN_SENT:
		if (tp->rxt_shift > TCP_SYN_RETRIES) {
			drop_conn(s, tp, ETIMEDOUT);
			return false;
		}
		tp->flags |= TF_SYN_LOST;
		tcp_rtt_backoff(&tp->rtt);
		tp->rtt_start = 0;
		tcp_send_ctl(s, tp, WIRE_TCP_SYN, tp->iss);
		tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
		return true;
	case TCPS_SYN_RECEIVED:
		if (tp->rxt_shift > TCP_SYNACK_RETRIES) {
			drop_conn(s, tp, ETIMEDOUT);
			return false;
		}
		tp->flags |= TF_SYN_LOST;
		tcp_rtt_backoff(&tp->rtt);
		tcp_send_ctl(s, tp, WIRE_TCP_SYN | WIRE_TCP_ACK, tp->iss);
		tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
		return true;
	default:
		break;
	}
	/* RFC 1122 4.2.3.5: after R2 retransmissions, give up. */
	if (tp->rxt_shift > TCP_R2_RETRIES) {
		drop_conn(s, tp, ETIMEDOUT);
		return false;
	}
	/* RFC 6298 5.5-5.6: back off and resend the earliest unacknowledged
	 * segment; RFC 5681 3.1 eq. (4): the window collapses to one segment.
	 * Go-back-N from SND.UNA; the SACK scoreboard is cleared (RFC 6675
	 * 5.1) since the receiver may renege; recovery starts afresh. */
	tcp_rtt_backoff(&tp->rtt);
	tp->cc.ops->on_rto(&tp->cc, tp->snd_max - tp->snd_una, s->now);
	if (tp->sb != NULL)
		tcp_sb_reset(tp->sb);
	tp->flags &= ~(uint32_t)TF_INRECOVERY;
	tp->snd_recover = tp->snd_max;
	tp->dupacks = 0;
	tp->rtt_start = 0;   /* Karn: no sample from a retransmission */
	tp->snd_nxt = tp->snd_una;
	if (tp->snd_wnd == 0) {
		/* RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: the peer's window is
		 * closed (it shrank under data in flight, or its opening ACK was
		 * lost), so the go-back-N below would send nothing, and with the
		 * retransmission timer running tcp_output never starts the
		 * persist timer: nothing would ask for the window again and the
		 * connection died of R2 here (the 'sim' suite's slow reader at 1%
		 * loss). Probe instead, as FreeBSD does: tcp_output arms the
		 * persist timer now that no retransmission is pending. */
		tcp_timer_stop(s, tp, TCPT_REXMT);
		tcp_output(s, tp);
		return true;
	}
	tcp_timer_arm(s, tp, TCPT_REXMT, tcp_rtt_timeout(&tp->rtt));
	tcp_output(s, tp);
	return true;
}

/* @return false if the TCB is gone. */
static bool
persist_timeout(struct tern_stack *s, struct tcb *tp)
{
	/* RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: probe a zero window, backing
	 * off, for as long as the receiver answers. The probe is an ACK with
	 * an old sequence number (as Linux sends), which any receiver must
	 * answer with its current window. */
	/* Never forever: a peer that stopped answering, or one that holds the
	 * window shut to pin our state, is dropped after R2 unanswered probes
	 * (Linux: tcp_retries2 in tcp_probe_timer). */
	if (++tp->persist_probes > TCP_R2_RETRIES) {
		drop_conn(s, tp, ETIMEDOUT);
		return false;
	}
	STAT(s, tcp_persist_probe);
	tcp_send_ctl(s, tp, WIRE_TCP_ACK, tp->snd_una - 1);
	/* The first probe went one RTO after the window closed; each later
	 * one waits twice as long as the last (Linux tcp_probe_timer). */
	tp->rxt_shift++;
	uint64_t t = tcp_rtt_timeout(&tp->rtt) << (tp->rxt_shift < 10 ? tp->rxt_shift : 10);
	if (t < TCP_PERSIST_MIN_NS)
		t = TCP_PERSIST_MIN_NS;
	if (t > TCP_PERSIST_MAX_NS)
		t = TCP_PERSIST_MAX_NS;
	tcp_timer_arm(s, tp, TCPT_PERSIST, t);
	return true;
}

/* @return false if the TCB is gone. */
static bool
keep_timeout(struct tern_stack *s, struct tcb *tp)
{
	if (!TCPS_HAVE_ESTABLISHED(tp->state) || !(tp->flags & TF_KEEPALIVE))
		return true;
	/* RFC 1122 4.2.3.6: after keep_idle of silence, probe every
	 * keep_intvl; keep_cnt unanswered probes end the connection. */
	if (tp->keep_probes >= tp->keep_cnt) {
		/* Tell a peer that may still exist that we are gone (Linux's
		 * tcp_keepalive_timer sends a RST too). */
		tcp_send_ctl(s, tp, WIRE_TCP_RST | WIRE_TCP_ACK, tp->snd_max);
		drop_conn(s, tp, ETIMEDOUT);
		return false;
	}
	tp->keep_probes++;
	STAT(s, tcp_keepalive_probe);
	tcp_send_ctl(s, tp, WIRE_TCP_ACK, tp->snd_una - 1);
	tcp_timer_arm(s, tp, TCPT_KEEP, tp->keep_intvl);
	return true;
}

static void
fire(void *arg, struct twheel_entry *e)
{
	struct tern_stack *s = arg;
	struct tcb *tp = (struct tcb *)((char *)e - offsetof(struct tcb, tw));
	uint64_t now = s->now;
	for (int i = 0; i < TCPT_COUNT; i++) {
		if (tp->deadline[i] == 0 || tp->deadline[i] > now)
			continue;
		tp->deadline[i] = 0;
		switch (i) {
		case TCPT_REXMT:
			if (!rexmt_timeout(s, tp))
				return;
			break;
		case TCPT_DELACK:
			if (tp->flags & TF_DELACK) {
				/* The ACK goes alone: no answer rode on it, so the
				 * connection is not (or no longer) interactive and
				 * quick ACKs may resume (tcp_input.c, ack_policy_data). */
				tp->flags &= ~(uint32_t)TF_PINGPONG;
				tp->flags |= TF_ACKNOW;
				tcp_output(s, tp);
			}
			break;
		case TCPT_PERSIST:
			if (!persist_timeout(s, tp))
				return;
			break;
		case TCPT_KEEP:
			if (!keep_timeout(s, tp))
				return;
			break;
		case TCPT_2MSL:
			/* TIME-WAIT over (RFC 9293 3.10.8), or an orphaned
			 * FIN-WAIT-2 that waited long enough. */
			tcp_close_tcb(s, tp);
			return;
		}
	}
	rearm(s, tp);
}

void
tcp_timers_run(struct tern_stack *s, uint64_t now)
{
	twheel_advance(&s->tcp.wheel, now, fire, s);
}

uint64_t
tcp_next_deadline(struct tern_stack *s)
{
	return twheel_next(&s->tcp.wheel);
}

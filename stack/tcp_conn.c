/*
 * TCP connection blocks: the 4-tuple hash table (sized for 100,000+
 * connections), local-port binding, the single place states change, and
 * teardown. Called by every other tcp_*.c file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "stack_impl.h"
#include "tcp.h"

#define TCP_HASH_BUCKETS (1u << 17)   /* 131072: chains stay short at 100k connections */
#define EPHEMERAL_LO 32768u           /* Linux's ip_local_port_range */
#define EPHEMERAL_HI 60999u

static const char *const state_names[] __attribute__((unused)) = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT",
	"FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT",
};

int
tcp_init(struct tern_stack *s, uint64_t seed)
{
	struct tcp_stack *ts = &s->tcp;
	ts->hash = calloc(TCP_HASH_BUCKETS, sizeof(*ts->hash));
	ts->bound = calloc(65536, sizeof(*ts->bound));
	ts->slot_tcb = calloc(s->max_sockets, sizeof(*ts->slot_tcb));
	if (ts->hash == NULL || ts->bound == NULL || ts->slot_tcb == NULL)
		return -ENOMEM;
	ts->hash_mask = TCP_HASH_BUCKETS - 1;
	twheel_init(&ts->wheel, 0, TERN_NS_PER_MS);
	tcp_secret_init(&ts->secret, seed);
	return 0;
}

void
tcp_fini(struct tern_stack *s)
{
	struct tcp_stack *ts = &s->tcp;
	if (ts->hash != NULL) {
		for (uint32_t b = 0; b <= ts->hash_mask; b++) {
			while (ts->hash[b] != NULL) {
				struct tcb *tp = ts->hash[b];
				ts->hash[b] = tp->hnext;
				tp->hnext = NULL;
				tcp_unbind_port(s, tp);
				tcp_tcb_free(s, tp);
			}
		}
	}
	/* Listeners and bound-only TCBs are not in the hash. */
	if (ts->bound != NULL) {
		for (uint32_t p = 0; p < 65536; p++) {
			while (ts->bound[p] != NULL) {
				struct tcb *tp = ts->bound[p];
				ts->bound[p] = tp->bnext;
				tp->bnext = NULL;
				tcp_tcb_free(s, tp);
			}
		}
	}
	free(ts->hash);
	free(ts->bound);
	free(ts->slot_tcb);
	memset(ts, 0, sizeof(*ts));
}

struct tcb *
tcp_tcb_new(struct tern_stack *s)
{
	struct tcb *tp = calloc(1, sizeof(*tp));
	if (tp == NULL)
		return NULL;
	tp->slot = TCB_NO_SLOT;
	tp->mss = TCP_DEFAULT_MSS;
	tp->peer_mss = TCP_DEFAULT_MSS;
	tp->rcvbuf = TCP_DEFAULT_RCVBUF;
	tp->sndbuf = TCP_DEFAULT_SNDBUF;
	tp->ttl = 64;
	tp->keep_idle = TCP_DEF_KEEPIDLE_NS;
	tp->keep_intvl = TCP_DEF_KEEPINTVL_NS;
	tp->keep_cnt = TCP_DEF_KEEPCNT;
	tp->cc.ops = tcp_cc_default();
	tcp_rtt_init(&tp->rtt);
	s->tcp.count++;
	return tp;
}

static void
free_chain_list(struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *next = m->next;
		m->next = NULL;
		rte_pktmbuf_free(m);
		m = next;
	}
}

void
tcp_tcb_free(struct tern_stack *s, struct tcb *tp)
{
	if (tp == NULL)
		return;
	tcp_timers_stop_all(s, tp);
	free_chain_list(tp->sndq_head);
	free_chain_list(tp->rcvq_head);
	if (tp->ooo != NULL) {
		tcp_ooo_clear(tp->ooo);
		free(tp->ooo);
	}
	free(tp->sb);
	if (tp->slot != TCB_NO_SLOT && tp->slot < s->max_sockets &&
	    s->tcp.slot_tcb[tp->slot] == tp)
		s->tcp.slot_tcb[tp->slot] = NULL;
	s->tcp.count--;
	free(tp);
}

static inline uint32_t
tuple_hash(const struct tcp_stack *ts, const struct tcp_4tuple *t)
{
	/* The remote side is attacker-chosen: hash with the per-stack secret so
	 * nobody can aim a flood at one chain. */
	uint64_t h = tern_siphash24(ts->secret.isn_key, t, sizeof(*t));
	return (uint32_t)h & ts->hash_mask;
}

void
tcp_hash_insert(struct tern_stack *s, struct tcb *tp)
{
	uint32_t b = tuple_hash(&s->tcp, &tp->t);
	tp->hnext = s->tcp.hash[b];
	s->tcp.hash[b] = tp;
}

void
tcp_hash_remove(struct tern_stack *s, struct tcb *tp)
{
	uint32_t b = tuple_hash(&s->tcp, &tp->t);
	for (struct tcb **pp = &s->tcp.hash[b]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == tp) {
			*pp = tp->hnext;
			tp->hnext = NULL;
			return;
		}
	}
}

struct tcb *
tcp_lookup(struct tern_stack *s, const struct tcp_4tuple *t)
{
	for (struct tcb *tp = s->tcp.hash[tuple_hash(&s->tcp, t)]; tp != NULL; tp = tp->hnext)
		if (tp->t.lport == t->lport && tp->t.rport == t->rport &&
		    tp->t.raddr == t->raddr && tp->t.laddr == t->laddr)
			return tp;
	return NULL;
}

struct tcb *
tcp_lookup_listener(struct tern_stack *s, uint32_t laddr, uint16_t lport)
{
	struct tcb *any = NULL;
	for (struct tcb *tp = s->tcp.bound[lport]; tp != NULL; tp = tp->bnext) {
		if (tp->state != TCPS_LISTEN)
			continue;
		if (tp->t.laddr == laddr)
			return tp;      /* a specific address beats the wildcard */
		if (tp->t.laddr == 0)
			any = tp;
	}
	return any;
}

static bool
port_conflict(struct tern_stack *s, const struct tcb *self, uint32_t laddr, uint16_t port)
{
	for (const struct tcb *tp = s->tcp.bound[port]; tp != NULL; tp = tp->bnext) {
		if (tp == self)
			continue;
		if (tp->t.laddr != 0 && laddr != 0 && tp->t.laddr != laddr)
			continue;
		/* Linux: SO_REUSEADDR on both lets a socket bind beside ones that
		 * are not listening (e.g. a server restarting past TIME-WAIT). */
		if ((self->flags & TF_REUSEADDR) && (tp->flags & TF_REUSEADDR) &&
		    tp->state != TCPS_LISTEN)
			continue;
		if (tp->state == TCPS_TIME_WAIT && (self->flags & TF_REUSEADDR))
			continue;
		return true;
	}
	return false;
}

int
tcp_bind_port(struct tern_stack *s, struct tcb *tp, uint32_t laddr, uint16_t lport)
{
	if (lport == 0) {
		/* RFC 6056 3.3.1: a random start, probing upward. */
		uint32_t span = EPHEMERAL_HI - EPHEMERAL_LO + 1;
		uint32_t start = (uint32_t)(stack_random(s) % span);
		for (uint32_t i = 0; i < span; i++) {
			uint16_t p = (uint16_t)(EPHEMERAL_LO + (start + i) % span);
			if (s->tcp.bound[p] == NULL) {
				lport = p;
				break;
			}
		}
		if (lport == 0)
			return -EADDRNOTAVAIL;   /* Linux's answer when the range is used up */
	} else if (port_conflict(s, tp, laddr, lport)) {
		return -EADDRINUSE;
	}
	tp->t.laddr = laddr;
	tp->t.lport = lport;
	tp->bnext = s->tcp.bound[lport];
	s->tcp.bound[lport] = tp;
	return 0;
}

void
tcp_unbind_port(struct tern_stack *s, struct tcb *tp)
{
	for (struct tcb **pp = &s->tcp.bound[tp->t.lport]; *pp != NULL; pp = &(*pp)->bnext) {
		if (*pp == tp) {
			*pp = tp->bnext;
			tp->bnext = NULL;
			return;
		}
	}
}

void
tcp_set_state(struct tern_stack *s, struct tcb *tp, enum tcp_state st)
{
	(void)s;
	TRACE("tcp " IP4_FMT ":%u-" IP4_FMT ":%u %s=>%s\n", IP4_ARGS(tp->t.laddr), tp->t.lport,
	      IP4_ARGS(tp->t.raddr), tp->t.rport, state_names[tp->state], state_names[st]);
	tp->state = (uint8_t)st;
	if (tp->chan == NULL)
		return;
	uint32_t set = 0;
	if (TCPS_HAVE_ESTABLISHED(st))
		set |= TERN_CHAN_CONNECTED;
	if (TCPS_SENT_FIN(st))
		set |= TERN_CHAN_WR_SHUT;
	if (set != 0) {
		/* release: the socket that sees CONNECTED sees the TCB's state. */
		atomic_fetch_or_explicit(&tp->chan->flags, set, memory_order_release);
		tern_chan_wake(tp->chan);
	}
}

void
tcp_wake(struct tcb *tp)
{
	if (tp->chan != NULL)
		tern_chan_wake(tp->chan);
}

void
tcp_notify(struct tern_stack *s, struct tcb *tp, int err)
{
	(void)s;
	if (tp->chan == NULL)
		return;
	/* release: the error is visible with everything that led to it. */
	atomic_store_explicit(&tp->chan->so_error, err, memory_order_release);
	tern_chan_wake(tp->chan);
}

uint32_t
tcp_rcv_space(const struct tcb *tp)
{
	/* Held data pays for its buffers, not its payload: tiny segments must
	 * not pin more mbufs than the buffer size allows. Data waiting for
	 * ring space means the reader is behind: the window is closed. */
	if (tp->chan != NULL && tp->rcvq_head != NULL)
		return 0;
	uint32_t used = tp->rcvq_charge;
	if (tp->chan != NULL)
		/* relaxed: an estimate; the reader only ever frees space. */
		used += atomic_load_explicit(&tp->chan->rx_bytes, memory_order_relaxed);
	if (tp->ooo != NULL)
		used += tp->ooo->bytes;
	return used >= tp->rcvbuf ? 0 : tp->rcvbuf - used;
}

static bool
list_remove(struct tcb **head, struct tcb *tp)
{
	for (struct tcb **pp = head; *pp != NULL; pp = &(*pp)->acc_next) {
		if (*pp == tp) {
			*pp = tp->acc_next;
			tp->acc_next = NULL;
			return true;
		}
	}
	return false;
}

static void
list_append(struct tcb **head, struct tcb *tp)
{
	struct tcb **pp = head;
	while (*pp != NULL)
		pp = &(*pp)->acc_next;
	tp->acc_next = NULL;
	*pp = tp;
}

void
tcp_child_established(struct tern_stack *s, struct tcb *tp)
{
	(void)s;
	struct tcb *l = tp->listener;
	if (l == NULL)
		return;
	if (list_remove(&l->syn_head, tp))
		l->syn_len--;
	list_append(&l->acc_head, tp);
	l->acc_len++;
	if (l->chan != NULL) {
		/* A listener's rx_bytes counts connections ready to accept:
		 * relaxed, the accept request is what hands them over. */
		atomic_fetch_add_explicit(&l->chan->rx_bytes, 1, memory_order_relaxed);
		tern_chan_wake(l->chan);
	}
}

/* Take a child off its listener's lists. */
static void
unlink_child(struct tcb *tp)
{
	struct tcb *l = tp->listener;
	if (l == NULL)
		return;
	if (list_remove(&l->syn_head, tp)) {
		l->syn_len--;
	} else if (list_remove(&l->acc_head, tp)) {
		l->acc_len--;
		if (l->chan != NULL)
			atomic_fetch_sub_explicit(&l->chan->rx_bytes, 1, memory_order_relaxed);
	}
	tp->listener = NULL;
}

/* RFC 9293 3.10.4: closing a listener aborts the connections it holds. */
static void
abort_children(struct tern_stack *s, struct tcb **head)
{
	while (*head != NULL) {
		struct tcb *c = *head;
		unlink_child(c);
		tcp_send_ctl(s, c, WIRE_TCP_RST | WIRE_TCP_ACK, c->snd_nxt);
		tcp_set_state(s, c, TCPS_CLOSED);
		tcp_hash_remove(s, c);
		tcp_unbind_port(s, c);
		tcp_tcb_free(s, c);
	}
}

void
tcp_close_tcb(struct tern_stack *s, struct tcb *tp)
{
	unlink_child(tp);
	if (tp->state == TCPS_LISTEN) {
		abort_children(s, &tp->syn_head);
		abort_children(s, &tp->acc_head);
	}
	if (tp->state != TCPS_CLOSED)
		tcp_set_state(s, tp, TCPS_CLOSED);
	tcp_hash_remove(s, tp);
	tcp_unbind_port(s, tp);
	if (tp->chan != NULL) {
		atomic_fetch_or_explicit(&tp->chan->flags, TERN_CHAN_DEAD, memory_order_release);
		tern_chan_wake(tp->chan);
	}
	tcp_tcb_free(s, tp);
}

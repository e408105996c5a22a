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

static bool list_remove(struct tcb **head, struct tcb *tp);

/* Teardown: take a child off its listener's lists (the sockets' channels
 * may be gone already, so no counts are touched). */
static void
fini_unlink_child(struct tcb *tp)
{
	if (tp->listener != NULL && !list_remove(&tp->listener->syn_head, tp))
		list_remove(&tp->listener->acc_head, tp);
	tp->listener = NULL;
}

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
	/* Sockets' TCBs in no table: never bound, or CLOSED with their
	 * automatic port given back; every other one is freed below. */
	for (uint32_t i = 0; ts->slot_tcb != NULL && i < s->max_sockets; i++) {
		struct tcb *tp = ts->slot_tcb[i];
		if (tp != NULL && tp->state == TCPS_CLOSED && !tcp_port_bound(tp))
			tcp_tcb_free(s, tp);
	}
	if (ts->hash != NULL) {
		for (uint32_t b = 0; b <= ts->hash_mask; b++) {
			while (ts->hash[b] != NULL) {
				struct tcb *tp = ts->hash[b];
				ts->hash[b] = tp->hnext;
				tp->hnext = NULL;
				tcp_unbind_port(s, tp);
				fini_unlink_child(tp);
				tcp_tcb_free(s, tp);
			}
		}
	}
	/* Listeners and bound-only TCBs are not in the hash; children that
	 * died in an accept queue are in no table and go with their listener. */
	if (ts->bound != NULL) {
		for (uint32_t p = 0; p < 65536; p++) {
			while (ts->bound[p] != NULL) {
				struct tcb *tp = ts->bound[p];
				ts->bound[p] = tp->bnext;
				tp->bnext = NULL;
				while (tp->acc_head != NULL) {
					struct tcb *c = tp->acc_head;
					tp->acc_head = c->acc_next;
					tcp_tcb_free(s, c);
				}
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
	 * nobody can aim a flood at one chain. Every segment looks up its
	 * connection, so the hash is the multilinear family (Lemire and Kaser,
	 * "Strongly universal string hashing is fast", 2014: h = k0 + sum of
	 * k_i * x_i mod 2^64 over 32-bit words x_i, keep the high 32 bits),
	 * which is strongly universal under random 64-bit keys: for a peer that
	 * does not know the keys, any two distinct tuples collide on a chain
	 * with probability 1/buckets. Four multiplies instead of SipHash's
	 * ~700 instructions (tests/bench/instr.sh). Linux makes the same
	 * trade with a keyed jhash (inet_ehashfn). */
	const uint64_t *k = ts->secret.lookup_key;
	uint64_t h = k[0] + k[1] * t->laddr + k[2] * t->raddr +
		     k[3] * ((uint64_t)t->lport << 16 | t->rport);
	return (uint32_t)(h >> 32) & ts->hash_mask;
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

/* Does a listener on @p laddr take segments to @p dst? 2 = bound to it,
 * 1 = the wildcard, 0 = no. */
static int
listener_score(uint32_t laddr, uint32_t dst)
{
	return laddr == dst ? 2 : laddr == 0 ? 1 : 0;
}

struct tcb *
tcp_lookup_listener(struct tern_stack *s, const struct tcp_4tuple *t)
{
	struct tcb *best = NULL;
	int best_score = 0;
	uint32_t group = 0;   /* SO_REUSEPORT listeners on best's address */
	for (struct tcb *tp = s->tcp.bound[t->lport]; tp != NULL; tp = tp->bnext) {
		if (tp->state != TCPS_LISTEN)
			continue;
		int sc = listener_score(tp->t.laddr, t->laddr);
		if (sc > best_score) {
			best = tp;
			best_score = sc;
			group = 0;
		}
		if (sc == best_score && sc > 0 && (tp->flags & TF_REUSEPORT))
			group++;
	}
	if (best == NULL || !(best->flags & TF_REUSEPORT) || group < 2)
		return best;
	/* Linux (reuseport_select_sock) spreads connections over the group by
	 * a hash of the 4-tuple; ours is keyed with the stack's secret like
	 * the connection table, so a peer cannot aim at one listener, and is
	 * the same for every segment of a handshake (a cookie's ACK finds the
	 * listener its SYN did while the group is unchanged). */
	uint32_t pick = (uint32_t)(tern_siphash24(s->tcp.secret.isn_key, t, sizeof(*t)) >> 32) %
			group;
	for (struct tcb *tp = s->tcp.bound[t->lport]; tp != NULL; tp = tp->bnext) {
		if (tp->state != TCPS_LISTEN || !(tp->flags & TF_REUSEPORT) ||
		    listener_score(tp->t.laddr, t->laddr) != best_score)
			continue;
		if (pick-- == 0)
			return tp;
	}
	return best;
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
		/* Linux inet_bind_conflict: SO_REUSEPORT on both shares the port,
		 * listening or not (one user here: Linux's uid check always passes). */
		if ((self->flags & TF_REUSEPORT) && (tp->flags & TF_REUSEPORT))
			continue;
		/* A TIME-WAIT is no exception: Linux's keeps its socket's
		 * SO_REUSEADDR (tw_reuse) and the rule above applies. */
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
	/* Published by tcp_close_tcb() with the death itself (one event), or
	 * kept for accept() by a child no socket owns yet. */
	tp->err = err;
}

void
tcp_chan_dead(struct tern_chan *c, int err)
{
	/* Readers (api/poll.c) load the flags, then so_error, then the flags
	 * again: DYING, set before the error and replaced by DEAD, tells one
	 * that straddled these stores to look again, so poll never shows the
	 * error of a connection not yet hung up (Linux's tcp_poll sees both,
	 * set under the socket lock before the wake-up). release, each: a
	 * reader that sees a store sees the ones before it. */
	atomic_fetch_or_explicit(&c->flags, TERN_CHAN_DYING, memory_order_release);
	if (err != 0)
		atomic_store_explicit(&c->so_error, err, memory_order_release);
	/* relaxed: only the expected value of the exchange below. */
	uint32_t fl = atomic_load_explicit(&c->flags, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&c->flags, &fl,
						      (fl | TERN_CHAN_DEAD) & ~TERN_CHAN_DYING,
						      memory_order_release, memory_order_relaxed))
		;
	tern_chan_wake(c);
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
		if (c->state != TCPS_CLOSED)   /* one that died in the queue is gone already */
			tcp_send_ctl(s, c, WIRE_TCP_RST | WIRE_TCP_ACK, c->snd_nxt);
		tcp_set_state(s, c, TCPS_CLOSED);
		tcp_hash_remove(s, c);
		tcp_unbind_port(s, c);
		tcp_tcb_free(s, c);
	}
}

/*
 * A fresh CLOSED TCB for @p old's socket, in its place (Linux keeps the
 * socket itself): the options a socket keeps (the list inherit() in
 * tcp_input.c copies from a listener), what bind() fixed, the port bound
 * if bind() chose it, else only its number as the name (Linux's
 * tcp_set_state(TCP_CLOSE) puts an automatic port back, inet_sport stays).
 * @p keep_addr: the local address stays too (tcp_done keeps it;
 * tcp_disconnect clears it unless bind() chose it). @p old is detached,
 * its unsent bytes given back to the send buffer. NULL if out of memory
 * (nothing changed).
 */
static struct tcb *
respawn(struct tern_stack *s, struct tcb *old, bool keep_addr)
{
	struct tcb *tp = tcp_tcb_new(s);
	if (tp == NULL)
		return NULL;
	tp->flags = old->flags & (TF_NODELAY | TF_KEEPALIVE | TF_LINGER0 | TF_REUSEADDR |
				  TF_REUSEPORT);
	tp->rcvbuf = old->rcvbuf;
	tp->sndbuf = old->sndbuf;
	tp->ttl = old->ttl;
	tp->tos = old->tos;
	tp->mss_clamp = old->mss_clamp;
	tp->cc.ops = old->cc.ops;
	tp->keep_idle = old->keep_idle;
	tp->keep_intvl = old->keep_intvl;
	tp->keep_cnt = old->keep_cnt;
	tp->userlocks = old->userlocks;
	tp->t.laddr = keep_addr || (old->userlocks & TCP_LOCK_ADDR) ? old->t.laddr : 0;
	tp->t.lport = old->t.lport;
	tp->slot = old->slot;
	tp->chan = old->chan;
	tp->gen = old->gen;
	s->tcp.slot_tcb[tp->slot] = tp;
	old->slot = TCB_NO_SLOT;
	old->chan = NULL;
	if (old->sndq_bytes > 0)
		tcp_sndbuf_release(tp, old->sndq_bytes);   /* freed with old */
	if (tp->t.lport != 0 && (tp->userlocks & TCP_LOCK_PORT)) {
		tp->bnext = s->tcp.bound[tp->t.lport];
		s->tcp.bound[tp->t.lport] = tp;
	} else {
		tp->port_released = tp->t.lport != 0;
	}
	return tp;
}

/* An established child dies before accept() (Linux: tcp_done on a socket
 * in the accept queue): it stays queued, CLOSED, with its error (tp->err)
 * and the data that came before it; accept() returns it (tcp_usr.c). */
static void
child_died(struct tern_stack *s, struct tcb *tp)
{
	tcp_set_state(s, tp, TCPS_CLOSED);
	tcp_timers_stop_all(s, tp);
	tcp_hash_remove(s, tp);
	tcp_unbind_port(s, tp);
	tp->port_released = true;
	free_chain_list(tp->sndq_head);
	tp->sndq_head = tp->sndq_tail = tp->sndq_cur = NULL;
	tp->sndq_bytes = 0;
	if (tp->ooo != NULL)
		tcp_ooo_clear(tp->ooo);
}

void
tcp_close_tcb(struct tern_stack *s, struct tcb *tp)
{
	if (tp->chan == NULL && tp->listener != NULL && TCPS_HAVE_ESTABLISHED(tp->state)) {
		child_died(s, tp);
		return;
	}
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
		/* Linux tcp_done(): the socket stays, CLOSE and shut both ways.
		 * Out of memory, the slot is left without a TCB, and tcp_req()
		 * answers for it as for a connection that is gone. */
		/* The death first: a sender the freed send buffer wakes must
		 * find it (not room to send into a connection that is gone). */
		tcp_chan_dead(tp->chan, tp->err);
		respawn(s, tp, true);
	}
	tcp_tcb_free(s, tp);
}

int
tcp_disconnect(struct tern_stack *s, struct tcb *tp)
{
	/* Linux tcp_disconnect(): RST where the peer holds a synchronized
	 * connection (tcp_need_reset, or a FIN of ours not yet sent in
	 * CLOSING/LAST-ACK), and ECONNRESET for the socket; a SYN-SENT is
	 * dropped silently but the socket still hears ECONNRESET. */
	bool rst = false;
	switch (tp->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_TIME_WAIT:
	case TCPS_SYN_SENT:
		break;
	case TCPS_CLOSING:
	case TCPS_LAST_ACK:
		rst = !(tp->flags & TF_FIN_SENT);
		break;
	default:
		rst = true;
		break;
	}
	int err = rst || tp->state == TCPS_SYN_SENT ? ECONNRESET : 0;
	bool listener = tp->state == TCPS_LISTEN;
	struct tern_chan *c = tp->chan;
	if (c == NULL)
		return -EINVAL;   /* only a socket's own TCB */
	/* The error before the send buffer is freed (by respawn()): a sender
	 * that wakes for the room finds it. release: as tcp_chan_dead(). */
	if (err != 0)
		atomic_store_explicit(&c->so_error, err, memory_order_release);
	if (respawn(s, tp, false) == NULL)
		return -ENOMEM;
	if (rst)
		/* RFC 5961 3.2: at SND.MAX, as do_close()'s abort. */
		tcp_send_ctl(s, tp, WIRE_TCP_RST | WIRE_TCP_ACK, tp->snd_max);
	/* A TIME-WAIT stays, an orphan now (Linux's timewait socket outlives
	 * the socket's own CLOSE); anything else ends here, a listener's
	 * queued connections reset (RFC 9293 3.10.4). */
	if (tp->state != TCPS_TIME_WAIT)
		tcp_close_tcb(s, tp);
	if (listener)
		/* relaxed: a listener's count of queued connections, now none. */
		atomic_store_explicit(&c->rx_bytes, 0, memory_order_relaxed);
	/* Linux: sk_shutdown = 0 and SOCK_DONE cleared; nothing of the old
	 * connection shows. release: pairs with the readers' acquire. */
	atomic_fetch_and_explicit(&c->flags,
				  ~(TERN_CHAN_CONNECTED | TERN_CHAN_EOF | TERN_CHAN_DEAD |
				    TERN_CHAN_WR_SHUT | TERN_CHAN_WUPDATE | TERN_CHAN_NOSPACE),
				  memory_order_release);
	tern_chan_wake(c);
	return 0;
}

void
tcp_unreach(struct tern_stack *s, const struct tcp_4tuple *t, int err)
{
	struct tcb *tp = tcp_lookup(s, t);
	/* Linux tcp_v4_err(): a hard error ends an attempt in SYN-SENT; later
	 * states only note it (their retransmissions go on). */
	if (tp == NULL || tp->state != TCPS_SYN_SENT)
		return;
	tcp_notify(s, tp, err);
	tcp_close_tcb(s, tp);
}

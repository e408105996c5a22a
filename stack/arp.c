/*
 * ARP (RFC 826) for our one IPv4 address: a bounded cache with expiry, a
 * bounded queue of datagrams per unresolved address with retries and then
 * EHOSTUNREACH, replies only for our address, and a gratuitous ARP at start.
 * Called by eth_input (arp_input), ipv4_output (arp_output) and the poll
 * loop's timers (arp_timer).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack_impl.h"

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

int
arp_init(struct tern_stack *s, const struct tern_stack_conf *c)
{
	struct arp_table *t = &s->arp;
	t->size = c->arp_cache_size ? c->arp_cache_size : 256;
	t->qmax = c->arp_queue_max ? c->arp_queue_max : 16;
	t->retries = c->arp_retries ? c->arp_retries : 3;
	t->retry_ns = c->arp_retry_ns ? c->arp_retry_ns : TERN_NS_PER_SEC;
	t->reachable_ns = c->arp_reachable_ns ? c->arp_reachable_ns : 60 * TERN_NS_PER_SEC;
	t->next_deadline = UINT64_MAX;
	t->e = calloc(t->size, sizeof(*t->e));
	if (t->e == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->size; i++) {
		t->e[i].queue = calloc(t->qmax, sizeof(struct rte_mbuf *));
		if (t->e[i].queue == NULL)
			return -ENOMEM;
	}
	return 0;
}

static void
entry_flush_queue(struct arp_entry *e)
{
	for (uint16_t i = 0; i < e->qlen; i++)
		rte_pktmbuf_free(e->queue[i]);
	e->qlen = 0;
}

void
arp_fini(struct tern_stack *s)
{
	struct arp_table *t = &s->arp;
	if (t->e == NULL)
		return;
	for (uint32_t i = 0; i < t->size; i++) {
		entry_flush_queue(&t->e[i]);
		free(t->e[i].queue);
	}
	free(t->e);
	t->e = NULL;
}

static struct arp_entry *
arp_find(struct arp_table *t, uint32_t ip)
{
	/* One hot peer (the gateway, or the benchmark client) is the common
	 * case: check it first, then scan the bounded table. */
	struct arp_entry *e = &t->e[t->last_hit];
	if (e->state != ARP_FREE && e->ip == ip)
		return e;
	for (uint32_t i = 0; i < t->size; i++) {
		e = &t->e[i];
		if (e->state != ARP_FREE && e->ip == ip) {
			t->last_hit = i;
			return e;
		}
	}
	return NULL;
}

/* A free entry, or the least recently used one evicted (its queue dropped). */
static struct arp_entry *
arp_alloc(struct tern_stack *s, uint32_t ip)
{
	struct arp_table *t = &s->arp;
	struct arp_entry *victim = NULL;
	for (uint32_t i = 0; i < t->size; i++) {
		struct arp_entry *e = &t->e[i];
		if (e->state == ARP_FREE) {
			victim = e;
			break;
		}
		if (victim == NULL || e->used < victim->used)
			victim = e;
	}
	if (victim->state != ARP_FREE) {
		TRACE("arp cache full: evicting " IP4_FMT "\n", IP4_ARGS(victim->ip));
		STAT(s, arp_cache_full);
		s->st.arp_unresolved += victim->qlen;
		entry_flush_queue(victim);
	}
	victim->ip = ip;
	victim->state = ARP_FREE;
	victim->tries = 0;
	victim->qlen = 0;
	victim->used = s->now;
	return victim;
}

static void
arp_send(struct tern_stack *s, uint16_t op, const uint8_t l2dst[6],
	 const uint8_t tha[6], uint32_t tpa)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->pool);
	if (m == NULL) {
		STAT(s, nombuf);
		return;
	}
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, WIRE_ARP_LEN);
	struct arp_repr a = { .op = op, .spa = s->ip, .tpa = tpa };
	memcpy(a.sha, s->mac, 6);
	memcpy(a.tha, tha, 6);
	wire_arp_emit(p, WIRE_ARP_LEN, &a);
	eth_output_to(s, m, l2dst, WIRE_ETHERTYPE_ARP);
}

static void
arp_request(struct tern_stack *s, uint32_t ip)
{
	static const uint8_t zero[6];
	STAT(s, arp_request_tx);
	arp_send(s, WIRE_ARP_REQUEST, mac_bcast, zero, ip);
}

void
arp_announce(struct tern_stack *s)
{
	/* RFC 5227 3: an ARP request with sender and target both our address
	 * updates stale caches of our neighbours after (re)start. */
	static const uint8_t zero[6];
	STAT(s, arp_gratuitous_tx);
	arp_send(s, WIRE_ARP_REQUEST, mac_bcast, zero, s->ip);
}

static void
note_deadline(struct arp_table *t, uint64_t d)
{
	if (d < t->next_deadline)
		t->next_deadline = d;
}

static void
entry_resolved(struct tern_stack *s, struct arp_entry *e, const uint8_t mac[6])
{
	TRACE("arp " IP4_FMT " is-at %02x:%02x:%02x:%02x:%02x:%02x (%u queued)\n",
	      IP4_ARGS(e->ip), mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], e->qlen);
	memcpy(e->mac, mac, 6);
	e->state = ARP_REACHABLE;
	e->deadline = s->now + s->arp.reachable_ns;
	e->used = s->now;
	note_deadline(&s->arp, e->deadline);
	for (uint16_t i = 0; i < e->qlen; i++)
		eth_output_to(s, e->queue[i], e->mac, WIRE_ETHERTYPE_IPV4);
	e->qlen = 0;
}

/* Consumes m (data at the ARP header). */
void
arp_input(struct tern_stack *s, struct rte_mbuf *m)
{
	uint8_t tmp[WIRE_ARP_LEN];
	struct arp_repr a;
	const uint8_t *p = m->pkt_len >= WIRE_ARP_LEN ? mbuf_bytes(m, 0, WIRE_ARP_LEN, tmp) : NULL;
	if (p == NULL) {
		STAT(s, arp_truncated);
		goto out;
	}
	int rc = wire_arp_parse(p, WIRE_ARP_LEN, &a);
	if (rc < 0) {
		if (rc == WIRE_E_TRUNCATED)
			STAT(s, arp_truncated);
		else
			STAT(s, arp_bad_format);
		goto out;
	}
	/* A sender claiming a multicast MAC or a martian/broadcast IP would
	 * poison the cache. 0.0.0.0 is an ARP probe (RFC 5227 2.1.1): no learning. */
	if (wire_mac_is_multicast(a.sha) || (a.spa != 0 && (wire_ipv4_is_martian_src(a.spa) ||
	    stack_is_bcast(s, a.spa) || a.spa == s->ip))) {
		STAT(s, arp_bad_sender);
		goto out;
	}
	/* RFC 826 "Packet reception": merge the sender into an existing entry
	 * whether or not the packet is for us... */
	struct arp_entry *e = a.spa != 0 ? arp_find(&s->arp, a.spa) : NULL;
	if (e != NULL)
		entry_resolved(s, e, a.sha);
	if (a.tpa != s->ip) {
		STAT(s, arp_not_for_us);
		goto out;
	}
	/* ...and add it when we are the target. */
	if (e == NULL && a.spa != 0) {
		e = arp_alloc(s, a.spa);
		entry_resolved(s, e, a.sha);
	}
	if (a.op == WIRE_ARP_REQUEST) {
		STAT(s, arp_request_rx);
		STAT(s, arp_reply_tx);
		arp_send(s, WIRE_ARP_REPLY, a.sha, a.sha, a.spa);
	} else {
		STAT(s, arp_reply_rx);
	}
out:
	rte_pktmbuf_free(m);
}

/* Consumes m (an IPv4 datagram, data at its header). */
void
arp_output(struct tern_stack *s, struct rte_mbuf *m, uint32_t nh)
{
	struct arp_table *t = &s->arp;
	struct arp_entry *e = arp_find(t, nh);
	if (likely(e != NULL && e->state == ARP_REACHABLE)) {
		e->used = s->now;
		eth_output_to(s, m, e->mac, WIRE_ETHERTYPE_IPV4);
		return;
	}
	if (e == NULL) {
		e = arp_alloc(s, nh);
		e->state = ARP_INCOMPLETE;
		e->tries = 1;
		e->deadline = s->now + t->retry_ns;
		note_deadline(t, e->deadline);
		arp_request(s, nh);
	}
	if (e->qlen == t->qmax) {
		STAT(s, arp_queue_full);
		rte_pktmbuf_free(m);
		return;
	}
	e->queue[e->qlen++] = m;
}

/* A TCP segment of ours that waited in vain: a connection still opening
 * fails (Linux turns the neighbour's failure into a host unreachable for
 * the sender, which ends a SYN-SENT in tcp_v4_err). m: data at the IP
 * header. */
static void
tcp_segment_unreach(struct tern_stack *s, struct rte_mbuf *m)
{
	uint8_t tmp[64];
	uint32_t want = m->pkt_len < sizeof(tmp) ? m->pkt_len : (uint32_t)sizeof(tmp);
	if (want < WIRE_IPV4_HLEN)
		return;
	const uint8_t *p = mbuf_bytes(m, 0, want, tmp);
	struct ipv4_repr ip;
	int hl = wire_ipv4_parse(p, m->pkt_len, false, &ip);
	if (hl < 0 || ip.proto != WIRE_PROTO_TCP || ip.src != s->ip || (uint32_t)hl + 4 > want)
		return;
	struct tcp_4tuple t = {
		.laddr = ip.src, .raddr = ip.dst,
		.lport = (uint16_t)(p[hl] << 8 | p[hl + 1]),
		.rport = (uint16_t)(p[hl + 2] << 8 | p[hl + 3]),
	};
	tcp_unreach(s, &t, EHOSTUNREACH);
}

/* The sockets whose datagrams waited in vain learn EHOSTUNREACH. */
static void
entry_fail(struct tern_stack *s, struct arp_entry *e)
{
	TRACE("arp " IP4_FMT " unresolved after %u tries: %u datagrams dropped\n",
	      IP4_ARGS(e->ip), e->tries, e->qlen);
	for (uint16_t i = 0; i < e->qlen; i++) {
		struct tern_mbuf_meta *md = tern_mbuf_meta(e->queue[i]);
		if (md->flags & TERN_META_FROM_SOCK)
			udp_set_error(s, md->sock, md->gen, EHOSTUNREACH);
		else
			tcp_segment_unreach(s, e->queue[i]);
		STAT(s, arp_unresolved);
		rte_pktmbuf_free(e->queue[i]);
	}
	e->qlen = 0;
	e->state = ARP_FREE;
}

void
arp_timer(struct tern_stack *s, uint64_t now)
{
	struct arp_table *t = &s->arp;
	t->next_deadline = UINT64_MAX;
	for (uint32_t i = 0; i < t->size; i++) {
		struct arp_entry *e = &t->e[i];
		if (e->state == ARP_FREE)
			continue;
		if (e->deadline > now) {
			note_deadline(t, e->deadline);
			continue;
		}
		if (e->state == ARP_REACHABLE) {
			/* Expired: forget it; the next datagram resolves afresh. */
			e->state = ARP_FREE;
		} else if (e->tries < t->retries) {
			e->tries++;
			e->deadline = now + t->retry_ns;
			note_deadline(t, e->deadline);
			arp_request(s, e->ip);
		} else {
			entry_fail(s, e);
		}
	}
}

/*
 * UDP (RFC 768, RFC 1122 4.1): protocol control blocks indexed by socket
 * slot, demultiplexing by local port, checksum and length checks, delivery
 * into the socket's ring, sending, and the socket requests (bind, connect,
 * options) made through sockreq_dispatch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_ring.h>

#include "stack_impl.h"

/* Linux's default ip_local_port_range, so scripts and users see familiar ports. */
#define EPHEMERAL_LO 32768u
#define EPHEMERAL_HI 60999u

#define PCB_F_ADDR_LOCK 0x10  /* address set by bind(): kept over disconnect */
#define PCB_F_PORT_LOCK 0x20  /* port set by bind(): kept over disconnect */

int
udp_init(struct tern_stack *s)
{
	s->pcbs = calloc(s->max_sockets, sizeof(*s->pcbs));
	s->port_head = calloc(65536, sizeof(*s->port_head));
	if (s->pcbs == NULL || s->port_head == NULL)
		return -ENOMEM;
	return 0;
}

void
udp_fini(struct tern_stack *s)
{
	free(s->pcbs);
	free(s->port_head);
	s->pcbs = NULL;
	s->port_head = NULL;
}

static struct udp_pcb *
pcb_get(struct tern_stack *s, uint32_t sock)
{
	if (sock >= s->max_sockets || s->pcbs[sock].state == UDP_PCB_FREE)
		return NULL;
	return &s->pcbs[sock];
}

static void
port_link(struct tern_stack *s, struct udp_pcb *p)
{
	uint32_t slot = (uint32_t)(p - s->pcbs);
	p->port_next = s->port_head[p->lport];
	s->port_head[p->lport] = slot + 1;
	p->flags |= PCB_F_BOUND;
}

static void
port_unlink(struct tern_stack *s, struct udp_pcb *p)
{
	if (!(p->flags & PCB_F_BOUND))
		return;
	uint32_t slot = (uint32_t)(p - s->pcbs) + 1;
	uint32_t *link = &s->port_head[p->lport];
	while (*link != 0 && *link != slot)
		link = &s->pcbs[*link - 1].port_next;
	if (*link == slot)
		*link = p->port_next;
	p->port_next = 0;
	p->flags &= (uint8_t)~PCB_F_BOUND;
	p->lport = 0;
}

/* Would binding (laddr, port) clash with another socket? Two sockets may
 * share a port when their addresses differ and neither is the wildcard, or
 * when both set SO_REUSEADDR, or both SO_REUSEPORT (Linux's
 * udp_lib_lport_inuse: the flags the other socket has now, ours at bind;
 * one user here, so Linux's same-uid rule for SO_REUSEPORT always holds). */
static bool
port_conflict(struct tern_stack *s, const struct udp_pcb *self, uint32_t laddr,
	      uint16_t port)
{
	for (uint32_t i = s->port_head[port]; i != 0; i = s->pcbs[i - 1].port_next) {
		const struct udp_pcb *p = &s->pcbs[i - 1];
		if (p == self)
			continue;
		if (p->laddr != 0 && laddr != 0 && p->laddr != laddr)
			continue;
		if (self->flags & p->flags & (PCB_F_REUSEADDR | PCB_F_REUSEPORT))
			continue;
		return true;
	}
	return false;
}

static int
bind_ephemeral(struct tern_stack *s, struct udp_pcb *p)
{
	/* RFC 6056 3.3.1: start at a random port and probe upward. */
	uint32_t span = EPHEMERAL_HI - EPHEMERAL_LO + 1;
	uint32_t start = (uint32_t)(stack_random(s) % span);
	for (uint32_t i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(EPHEMERAL_LO + (start + i) % span);
		if (s->port_head[port] == 0 ||
		    !port_conflict(s, p, p->laddr, port)) {
			p->lport = port;
			port_link(s, p);
			return 0;
		}
	}
	return -EAGAIN;   /* what Linux returns when the range is exhausted */
}

static bool
routable(const struct tern_stack *s, uint32_t dst)
{
	return dst == s->ip || stack_is_bcast(s, dst) ||
	       (dst & s->netmask) == (s->ip & s->netmask) ||
	       (s->gateway != 0 && !wire_ipv4_is_multicast(dst));
}

static int
udp_bind(struct tern_stack *s, struct udp_pcb *p, uint32_t addr, uint16_t port)
{
	if (p->flags & PCB_F_BOUND)
		return -EINVAL;
	if (addr != 0 && addr != s->ip && !stack_is_bcast(s, addr))
		return -EADDRNOTAVAIL;
	p->laddr = addr;
	if (port == 0) {
		if (bind_ephemeral(s, p) != 0) {
			p->laddr = 0;
			return -EADDRINUSE;
		}
	} else {
		if (port_conflict(s, p, addr, port)) {
			p->laddr = 0;
			return -EADDRINUSE;
		}
		p->lport = port;
		port_link(s, p);
		p->flags |= PCB_F_PORT_LOCK;
	}
	if (addr != 0)
		p->flags |= PCB_F_ADDR_LOCK;
	return 0;
}

static int
udp_connect(struct tern_stack *s, struct udp_pcb *p, const struct tern_req *r)
{
	if (r->unspec) {
		/* Linux udp_disconnect: forget the peer; an address or port that
		 * bind() did not set is released too. */
		p->flags &= (uint8_t)~PCB_F_CONNECTED;
		p->raddr = 0;
		p->rport = 0;
		if (!(p->flags & PCB_F_ADDR_LOCK))
			p->laddr = 0;
		if (!(p->flags & PCB_F_PORT_LOCK))
			port_unlink(s, p);
		return 0;
	}
	uint32_t dst = r->addr ? r->addr : s->ip;   /* 0.0.0.0 means this host */
	if (stack_is_bcast(s, dst) && !(p->flags & PCB_F_BROADCAST))
		return -EACCES;
	if (!routable(s, dst))
		return -ENETUNREACH;
	if (!(p->flags & PCB_F_BOUND)) {
		int rc = bind_ephemeral(s, p);
		if (rc != 0)
			return rc;
	}
	/* Linux fixes the local address at connect time when it was the wildcard. */
	if (p->laddr == 0)
		p->laddr = s->ip;
	p->raddr = dst;
	p->rport = r->port;
	p->flags |= PCB_F_CONNECTED;
	return 0;
}

static int
udp_opt(struct udp_pcb *p, struct tern_req *r, bool set)
{
	uint8_t flag = 0;
	if (r->level == SOL_SOCKET && r->name == SO_BROADCAST)
		flag = PCB_F_BROADCAST;
	else if (r->level == SOL_SOCKET && r->name == SO_REUSEADDR)
		flag = PCB_F_REUSEADDR;
	else if (r->level == SOL_SOCKET && r->name == SO_REUSEPORT)
		flag = PCB_F_REUSEPORT;
	if (flag != 0) {
		if (!set) {
			r->ival = (p->flags & flag) != 0;
		} else if (r->ival) {
			p->flags |= flag;
		} else {
			p->flags &= (uint8_t)~flag;
		}
		return 0;
	}
	if (r->level == IPPROTO_IP && r->name == IP_TTL) {
		if (!set) {
			r->ival = p->ttl;
			return 0;
		}
		if (r->ival == -1)
			r->ival = 64;
		if (r->ival < 1 || r->ival > 255)
			return -EINVAL;
		p->ttl = (uint8_t)r->ival;
		return 0;
	}
	if (r->level == IPPROTO_IP && r->name == IP_TOS) {
		if (!set) {
			r->ival = p->tos;
			return 0;
		}
		/* Linux __ip_sock_set_tos: a datagram socket keeps all eight
		 * bits, ECN field included (only TCP owns its ECN bits). */
		p->tos = (uint8_t)r->ival;
		return 0;
	}
	return -ENOPROTOOPT;
}

int
udp_req(struct tern_stack *s, struct tern_req *r)
{
	if (r->op == TERN_REQ_OPEN) {
		if (r->sock >= s->max_sockets || r->chan == NULL)
			return -EINVAL;
		if (r->type != SOCK_DGRAM)
			return -EPROTONOSUPPORT;
		struct udp_pcb *p = &s->pcbs[r->sock];
		if (p->state != UDP_PCB_FREE)
			return -EBUSY;
		memset(p, 0, sizeof(*p));
		p->state = UDP_PCB_OPEN;
		p->ttl = 64;
		p->chan = r->chan;
		/* acquire: the api wrote the chan (ring, limits) before asking. */
		p->gen = atomic_load_explicit(&r->chan->gen, memory_order_acquire);
		return 0;
	}
	struct udp_pcb *p = pcb_get(s, r->sock);
	if (p == NULL)
		return -EBADF;
	switch (r->op) {
	case TERN_REQ_BIND:
		return udp_bind(s, p, r->addr, r->port);
	case TERN_REQ_CONNECT:
		return udp_connect(s, p, r);
	case TERN_REQ_CLOSE:
		port_unlink(s, p);
		p->state = UDP_PCB_FREE;
		p->chan = NULL;
		return 0;
	case TERN_REQ_SETOPT:
		return udp_opt(p, r, true);
	case TERN_REQ_GETOPT:
		return udp_opt(p, r, false);
	case TERN_REQ_GETNAME:
		r->addr = p->laddr;
		r->port = p->lport;
		r->raddr = p->raddr;
		r->rport = p->rport;
		r->ival = (p->flags & PCB_F_CONNECTED) != 0;
		return 0;
	default:
		STAT(s, req_bad);
		return -EINVAL;
	}
}

static void
tx_done(struct udp_pcb *p, uint32_t len)
{
	/* release: pairs with the sender's acquire read of tx_bytes, so the
	 * space it sees freed is really free. */
	atomic_fetch_sub_explicit(&p->chan->tx_bytes, len, memory_order_release);
	tern_chan_wake(p->chan);
}

/* Consumes m (data = payload, meta filled by the api). */
void
udp_send(struct tern_stack *s, struct rte_mbuf *m)
{
	struct tern_mbuf_meta *md = tern_mbuf_meta(m);
	struct udp_pcb *p = pcb_get(s, md->sock);
	uint32_t len = m->pkt_len;
	if (p == NULL || p->gen != md->gen) {
		/* The socket closed (and maybe reopened) after this was queued. */
		STAT(s, udp_tx_dropped);
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t dst = (md->flags & TERN_META_TO_ADDR) ? md->addr : p->raddr;
	uint16_t dport = (md->flags & TERN_META_TO_ADDR) ? md->port : p->rport;
	if (dst == 0 && (md->flags & TERN_META_TO_ADDR))
		dst = s->ip;
	if (dst == 0 || dport == 0 || len > 0xffff - WIRE_IPV4_HLEN - WIRE_UDP_HLEN ||
	    (stack_is_bcast(s, dst) && !(p->flags & PCB_F_BROADCAST)) ||
	    (!(p->flags & PCB_F_BOUND) && bind_ephemeral(s, p) != 0)) {
		STAT(s, udp_tx_dropped);
		rte_pktmbuf_free(m);
		tx_done(p, len);
		return;
	}
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, WIRE_UDP_HLEN);
	if (h == NULL) {
		STAT(s, udp_tx_dropped);
		rte_pktmbuf_free(m);
		tx_done(p, len);
		return;
	}
	struct udp_repr u = { .sport = p->lport, .dport = dport,
			      .len = (uint16_t)(len + WIRE_UDP_HLEN), .csum = 0 };
	wire_udp_emit(h, WIRE_UDP_HLEN, &u);
	/* Keep the buffer-ownership bits: clearing INDIRECT on a clone makes
	 * its free skip the parent's refcount (the parent leaks). */
	m->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
	m->l4_len = WIRE_UDP_HLEN;
	uint32_t src = (p->laddr != 0 && !stack_is_bcast(s, p->laddr)) ? p->laddr : s->ip;
	struct ipv4_out o = {
		.src = src, .dst = dst, .proto = WIRE_PROTO_UDP, .ttl = p->ttl, .tos = p->tos,
		.l4_csum = TERN_PORT_TX_UDP_CKSUM, .from_sock = true,
		.sock = md->sock, .gen = md->gen,
	};
	STAT(s, udp_tx);
	ipv4_output(s, m, &o);
	tx_done(p, len);
}

/* An SO_REUSEPORT group (unconnected sockets bound to the same address and
 * port, all with the option) shares the datagrams: Linux picks one by a
 * hash of the 4-tuple, so one peer's flow stays on one socket. Ours is keyed
 * with the stack's secret. */
static struct udp_pcb *
reuseport_pick(struct tern_stack *s, struct udp_pcb *first, const struct ipv4_repr *ip,
	       uint16_t sport, uint16_t dport)
{
	uint32_t n = 0;
	for (uint32_t i = s->port_head[dport]; i != 0; i = s->pcbs[i - 1].port_next) {
		const struct udp_pcb *p = &s->pcbs[i - 1];
		if ((p->flags & (PCB_F_REUSEPORT | PCB_F_CONNECTED)) == PCB_F_REUSEPORT &&
		    p->laddr == first->laddr)
			n++;
	}
	if (n < 2)
		return first;
	struct { uint32_t src, dst; uint16_t sport, dport; } key = {
		.src = ip->src, .dst = ip->dst, .sport = sport, .dport = dport,
	};
	uint32_t pick = (uint32_t)(tern_siphash24(s->tcp.secret.isn_key, &key, sizeof(key)) >> 32) % n;
	for (uint32_t i = s->port_head[dport]; i != 0; i = s->pcbs[i - 1].port_next) {
		struct udp_pcb *p = &s->pcbs[i - 1];
		if ((p->flags & (PCB_F_REUSEPORT | PCB_F_CONNECTED)) == PCB_F_REUSEPORT &&
		    p->laddr == first->laddr && pick-- == 0)
			return p;
	}
	return first;
}

/* Which socket takes a unicast datagram? The most specific match wins:
 * connected to this peer beats bound to our address beats the wildcard;
 * among equals the last bound (Linux's SO_REUSEADDR behaviour). */
static struct udp_pcb *
udp_lookup(struct tern_stack *s, const struct ipv4_repr *ip, uint16_t sport, uint16_t dport)
{
	struct udp_pcb *best = NULL;
	int best_score = -1;
	for (uint32_t i = s->port_head[dport]; i != 0; i = s->pcbs[i - 1].port_next) {
		struct udp_pcb *p = &s->pcbs[i - 1];
		int score = 0;
		if (p->laddr != 0) {
			if (p->laddr != ip->dst)
				continue;
			score += 2;
		}
		if (p->flags & PCB_F_CONNECTED) {
			if (p->raddr != ip->src || p->rport != sport)
				continue;
			score += 4;
		}
		if (score > best_score) {  /* the chain runs newest first */
			best = p;
			best_score = score;
		}
	}
	if (best == NULL || (best->flags & (PCB_F_REUSEPORT | PCB_F_CONNECTED)) != PCB_F_REUSEPORT)
		return best;
	return reuseport_pick(s, best, ip, sport, dport);
}

static bool
broadcast_match(const struct udp_pcb *p, const struct ipv4_repr *ip, uint16_t sport)
{
	if (p->laddr != 0 && p->laddr != ip->dst)
		return false;
	if ((p->flags & PCB_F_CONNECTED) && (p->raddr != ip->src || p->rport != sport))
		return false;
	return true;
}

/* Consumes m (data = payload, meta filled). */
static void
udp_deliver(struct tern_stack *s, struct udp_pcb *p, struct rte_mbuf *m)
{
	struct tern_chan *c = p->chan;
	uint32_t len = m->pkt_len;
	/* relaxed: an estimate is enough for the limit; the ring is the truth. */
	uint32_t queued = atomic_load_explicit(&c->rx_bytes, memory_order_relaxed);
	uint32_t limit = atomic_load_explicit(&c->rcvbuf, memory_order_relaxed);
	/* Like Linux, an empty queue takes one datagram whatever its size. */
	if (queued != 0 && queued + len > limit) {
		STAT(s, udp_rcvbuf_full);
		rte_pktmbuf_free(m);
		return;
	}
	/* Count before publishing, so the reader never subtracts first. */
	atomic_fetch_add_explicit(&c->rx_bytes, len, memory_order_relaxed);
	if (rte_ring_sp_enqueue(c->rxq, m) != 0) {
		atomic_fetch_sub_explicit(&c->rx_bytes, len, memory_order_relaxed);
		STAT(s, udp_rcvbuf_full);
		rte_pktmbuf_free(m);
		return;
	}
	STAT(s, udp_rx);
	tern_chan_wake(c);
}

/* Consumes m (data at the IP header). */
void
udp_input(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip)
{
	uint32_t l4len = m->pkt_len - ip->hlen;
	uint8_t tmp[WIRE_UDP_HLEN];
	struct udp_repr u;
	if (l4len < WIRE_UDP_HLEN) {
		STAT(s, udp_truncated);
		goto drop;
	}
	const uint8_t *h = mbuf_bytes(m, ip->hlen, WIRE_UDP_HLEN, tmp);
	/* The parser reads the 8 header bytes only; l4len bounds its length check. */
	int rc = wire_udp_parse(h, l4len, &u);
	if (rc < 0) {
		if (rc == WIRE_E_TRUNCATED)
			STAT(s, udp_truncated);
		else
			STAT(s, udp_bad_len);
		goto drop;
	}
	/* RFC 768: bytes past the UDP length are not part of the datagram. */
	if (u.len < l4len)
		rte_pktmbuf_trim(m, (uint16_t)(l4len - u.len));
	if (u.csum != 0) {
		uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
		bool hw = (s->offloads & TERN_PORT_RX_L4_CKSUM) && !(ip->mf || ip->frag_off);
		if (hw && f == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
			STAT(s, udp_bad_csum);
			goto drop;
		}
		if (!(hw && f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)) {
			uint32_t sum = wire_csum_pseudo(ip->src, ip->dst, WIRE_PROTO_UDP, u.len);
			if (wire_csum_fold(mbuf_csum(m, ip->hlen, u.len, sum)) != 0) {
				STAT(s, udp_bad_csum);
				goto drop;
			}
		}
	}
	bool bcast = stack_is_bcast(s, ip->dst);
	if (!bcast) {
		struct udp_pcb *p = udp_lookup(s, ip, u.sport, u.dport);
		if (p == NULL) {
			/* RFC 1122 4.1.3.1: SHOULD send port unreachable. */
			STAT(s, udp_no_port);
			icmp_send_error(s, m, ip, WIRE_ICMP_UNREACH, WIRE_ICMP_UNREACH_PORT, 0);
			goto drop;
		}
		rte_pktmbuf_adj(m, (uint16_t)(ip->hlen + WIRE_UDP_HLEN));
		struct tern_mbuf_meta *md = tern_mbuf_meta(m);
		md->addr = ip->src;
		md->port = u.sport;
		md->flags = 0;
		udp_deliver(s, p, m);
		return;
	}
	/* A broadcast goes to every socket that takes it (RFC 1122 4.1.3.5),
	 * each getting its own reference to the same data. */
	rte_pktmbuf_adj(m, (uint16_t)(ip->hlen + WIRE_UDP_HLEN));
	struct tern_mbuf_meta *md = tern_mbuf_meta(m);
	md->addr = ip->src;
	md->port = u.sport;
	md->flags = TERN_META_BCAST;
	struct udp_pcb *last = NULL;
	for (uint32_t i = s->port_head[u.dport]; i != 0; i = s->pcbs[i - 1].port_next) {
		struct udp_pcb *p = &s->pcbs[i - 1];
		if (!broadcast_match(p, ip, u.sport))
			continue;
		if (last != NULL) {
			struct rte_mbuf *c = rte_pktmbuf_clone(m, s->pool);
			if (c == NULL) {
				STAT(s, nombuf);
			} else {
				*tern_mbuf_meta(c) = *md;
				udp_deliver(s, last, c);
			}
		}
		last = p;
	}
	if (last == NULL) {
		STAT(s, udp_bcast_refused);
		goto drop;
	}
	udp_deliver(s, last, m);
	return;
drop:
	rte_pktmbuf_free(m);
}

void
udp_set_error(struct tern_stack *s, uint32_t sock, uint32_t gen, int err)
{
	struct udp_pcb *p = pcb_get(s, sock);
	if (p == NULL || p->gen != gen)
		return;
	/* release: whoever reads the error sees the state that caused it. */
	atomic_store_explicit(&p->chan->so_error, err, memory_order_release);
	tern_chan_wake(p->chan);
}

void
udp_icmp_error(struct tern_stack *s, const struct ipv4_repr *inner,
	       const uint8_t *l4, uint32_t l4len, int err)
{
	if (l4len < 4)
		return;
	uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]);
	uint16_t dport = (uint16_t)(l4[2] << 8 | l4[3]);
	/* Without IP_RECVERR, Linux reports hard ICMP errors to connected
	 * sockets only (an unconnected socket cannot tell whose datagram it was). */
	for (uint32_t i = s->port_head[sport]; i != 0; i = s->pcbs[i - 1].port_next) {
		struct udp_pcb *p = &s->pcbs[i - 1];
		if ((p->flags & PCB_F_CONNECTED) && p->raddr == inner->dst && p->rport == dport &&
		    (p->laddr == 0 || p->laddr == inner->src)) {
			atomic_store_explicit(&p->chan->so_error, err, memory_order_release);
			tern_chan_wake(p->chan);
			return;
		}
	}
}

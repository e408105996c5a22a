/*
 * IPv4 (RFC 791, host requirements of RFC 1122 3.2.1): header validation,
 * local delivery, reassembly hand-off, routing to a next hop (on-link,
 * broadcast or the default gateway), unpredictable IDs, checksum placement
 * (offload or software) and fragmentation on output.
 * Called by eth_input (ipv4_input) and the transports (ipv4_output).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "ipv4_frag.h"
#include "stack_impl.h"

/* Largest number of fragments one datagram can need: 65535 bytes over the
 * smallest MTU we accept (576, RFC 791 "every host must accept 576"). */
#define IPV4_MAX_FRAGS 128
#define IPV4_MIN_MTU 576

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

uint32_t
mbuf_csum(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t sum)
{
	uint64_t acc = sum;
	uint32_t done = 0;
	for (const struct rte_mbuf *seg = m; seg != NULL && len > 0; seg = seg->next) {
		if (off >= seg->data_len) {
			off -= seg->data_len;
			continue;
		}
		uint32_t n = seg->data_len - off;
		if (n > len)
			n = len;
		uint32_t part = wire_csum_add(0, rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n);
		part = (part & 0xffff) + (part >> 16);
		part = (part & 0xffff) + (part >> 16);
		/* RFC 1071 2(B): a block that starts at an odd position of the
		 * whole sums to the byte-swapped value of its own sum. */
		if (done & 1)
			part = ((part & 0xff) << 8) | (part >> 8);
		acc += part;
		done += n;
		len -= n;
		off = 0;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffffull) + (acc >> 32);
	return (uint32_t)acc;
}

static bool
rx_csum_trusted(const struct tern_stack *s, const struct rte_mbuf *m, bool *bad)
{
	*bad = false;
	if (!(s->offloads & TERN_PORT_RX_IPV4_CKSUM))
		return false;
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		*bad = true;
	return f == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
}

/* Parse the header at the front of m into ip. @return 0 or -1 (counted). */
static int
ipv4_check(struct tern_stack *s, const struct rte_mbuf *m, struct ipv4_repr *ip)
{
	uint8_t tmp[60];
	uint32_t want = m->pkt_len < sizeof(tmp) ? m->pkt_len : (uint32_t)sizeof(tmp);
	if (unlikely(want < WIRE_IPV4_HLEN)) {
		STAT(s, ip_truncated);
		return -1;
	}
	const uint8_t *h = mbuf_bytes(m, 0, want, tmp);
	bool bad;
	bool verify = !rx_csum_trusted(s, m, &bad);
	if (unlikely(bad)) {
		STAT(s, ip_bad_csum);
		return -1;
	}
	/* The parser reads only header bytes (IHL*4 <= min(len, 60) once it has
	 * checked IHL*4 <= len), so handing it the first `want` bytes with the
	 * whole packet's length is safe and lets it check total length. */
	int rc = wire_ipv4_parse(h, m->pkt_len, verify, ip);
	if (likely(rc > 0))
		return 0;
	TRACE("ipv4 drop: parse error %d (%u bytes)\n", rc, m->pkt_len);
	switch (rc) {
	case WIRE_E_TRUNCATED: STAT(s, ip_truncated); break;
	case WIRE_E_VERSION:   STAT(s, ip_bad_version); break;
	case WIRE_E_IHL:       STAT(s, ip_bad_ihl); break;
	case WIRE_E_CSUM:      STAT(s, ip_bad_csum); break;
	default:               STAT(s, ip_bad_len); break;
	}
	return -1;
}

static void
ipv4_deliver(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip)
{
	STAT(s, ip_rx);
	switch (ip->proto) {
	case WIRE_PROTO_UDP:
		udp_input(s, m, ip);
		return;
	case WIRE_PROTO_ICMP:
		icmp_input(s, m, ip);
		return;
	case WIRE_PROTO_TCP:
		tcp_input(s, m, ip);
		return;
	default:
		/* RFC 1122 3.2.2.1: SHOULD send protocol unreachable (never
		 * for broadcasts: icmp_send_error checks). */
		STAT(s, ip_unknown_proto);
		icmp_send_error(s, m, ip, WIRE_ICMP_UNREACH, WIRE_ICMP_UNREACH_PROTO, 0);
		rte_pktmbuf_free(m);
		return;
	}
}

/* Consumes m (data at the IPv4 header). */
void
ipv4_input(struct tern_stack *s, struct rte_mbuf *m, bool l2_bcast)
{
	struct ipv4_repr ip;
	if (ipv4_check(s, m, &ip) != 0)
		goto drop;
	/* Ethernet may pad short frames: the IP length is the truth. */
	if (m->pkt_len > ip.total_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ip.total_len));
	/* RFC 1122 3.2.1.3: a source that is broadcast, multicast, loopback or
	 * "this network" other than 0.0.0.0 is martian. */
	if (unlikely(wire_ipv4_is_martian_src(ip.src) || stack_is_bcast(s, ip.src))) {
		STAT(s, ip_martian_src);
		goto drop;
	}
	bool ip_bcast = stack_is_bcast(s, ip.dst);
	/* RFC 1122 3.3.6: a unicast datagram that came as a link-layer
	 * broadcast is discarded; so is anything not addressed to us. */
	if (!(ip.dst == s->ip || ip_bcast) || (l2_bcast && !ip_bcast)) {
		STAT(s, ip_not_for_us);
		goto drop;
	}
	if (ip.mf || ip.frag_off != 0) {
		/* ipv4_reass_input counts frag_rx and frag_reassembled. */
		m = ipv4_reass_input(s->reass, m, &ip, s->now, &s->st);
		if (m == NULL)
			return;
		/* The reassembled header is ours, but re-read it: lengths changed. */
		if (ipv4_check(s, m, &ip) != 0)
			goto drop;
	}
	ipv4_deliver(s, m, &ip);
	return;
drop:
	rte_pktmbuf_free(m);
}

/* Fill the L4 checksum of m (data at IP header, hlen bytes of it). */
static void
l4_csum_software(struct rte_mbuf *m, uint32_t hlen, const struct ipv4_out *o)
{
	uint32_t l4len = m->pkt_len - hlen;
	uint32_t off = o->l4_csum == TERN_PORT_TX_UDP_CKSUM ? 6 : 16;
	uint8_t *field = rte_pktmbuf_mtod_offset(m, uint8_t *, hlen + off);
	field[0] = field[1] = 0;
	uint32_t sum = wire_csum_pseudo(o->src, o->dst, o->proto, (uint16_t)l4len);
	uint16_t c = wire_csum_fold(mbuf_csum(m, hlen, l4len, sum));
	/* RFC 768: a computed zero is sent as all ones (zero means "none"). */
	if (c == 0 && o->l4_csum == TERN_PORT_TX_UDP_CKSUM)
		c = 0xffff;
	field[0] = (uint8_t)(c >> 8);
	field[1] = (uint8_t)c;
}

static void
set_meta(struct rte_mbuf *m, const struct ipv4_out *o)
{
	struct tern_mbuf_meta *md = tern_mbuf_meta(m);
	md->flags = o->from_sock ? TERN_META_FROM_SOCK : 0;
	md->sock = o->sock;
	md->gen = o->gen;
}

/* Consumes m (data at the L4 header, headroom for IP + Ethernet). */
int
ipv4_output(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_out *o)
{
	uint32_t total = m->pkt_len + WIRE_IPV4_HLEN;
	if (unlikely(total > 0xffff)) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	/* Route (RFC 1122 3.3.1): broadcast and on-link go direct, the rest
	 * through the gateway. We are a host: no forwarding, no multicast. */
	bool bcast = stack_is_bcast(s, o->dst);
	bool local = o->dst == s->ip;
	uint32_t nh = o->dst;
	if (!bcast && !local && (o->dst & s->netmask) != (s->ip & s->netmask)) {
		if (s->gateway == 0 || wire_ipv4_is_multicast(o->dst)) {
			STAT(s, ip_no_route);
			rte_pktmbuf_free(m);
			return -ENETUNREACH;
		}
		nh = s->gateway;
	}
	uint16_t mtu = s->mtu < IPV4_MIN_MTU ? IPV4_MIN_MTU : s->mtu;
	bool frag = !local && total > mtu;
	bool l4_off = o->l4_csum != 0 && !frag && !local && (s->offloads & o->l4_csum);
	bool ip_off = !frag && !local && (s->offloads & TERN_PORT_TX_IPV4_CKSUM);

	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, WIRE_IPV4_HLEN);
	if (unlikely(h == NULL)) {
		STAT(s, nombuf);
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	struct ipv4_repr ip = {
		.hlen = WIRE_IPV4_HLEN, .tos = o->tos, .total_len = (uint16_t)total,
		/* RFC 6864 4.3 / RFC 7739: IDs need only be unique per (src,dst,
		 * proto) while fragments live; random makes them unpredictable. */
		.id = (uint16_t)stack_random(s), .df = o->df,
		.ttl = o->ttl ? o->ttl : 64, .proto = o->proto, .src = o->src, .dst = o->dst,
	};
	wire_ipv4_emit(h, WIRE_IPV4_HLEN, &ip, !ip_off);
	m->l3_len = WIRE_IPV4_HLEN;
	m->l2_len = WIRE_ETH_HLEN;
	if (ip_off)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	if (l4_off) {
		/* The NIC finishes the sum; it wants the pseudo header's in place. */
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | (o->l4_csum == TERN_PORT_TX_UDP_CKSUM ?
				RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM);
		uint16_t ph = rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)h, m->ol_flags);
		uint32_t off = WIRE_IPV4_HLEN + (o->l4_csum == TERN_PORT_TX_UDP_CKSUM ? 6 : 16);
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, off), &ph, 2);
	} else if (o->l4_csum != 0) {
		l4_csum_software(m, WIRE_IPV4_HLEN, o);
	}
	STAT(s, ip_tx);
	set_meta(m, o);

	if (local) {
		/* To ourselves: no wire. Queued for the next poll rather than
		 * handed to input now, so a transport never runs inside its own
		 * send (a TCP segment to ourselves could otherwise free the
		 * connection that is sending it). */
		if (s->loop_n == TERN_LOOP_SIZE) {
			STAT(s, ip_loop_full);
			rte_pktmbuf_free(m);
			return -ENOBUFS;
		}
		s->loop[(s->loop_head + s->loop_n++) % TERN_LOOP_SIZE] = m;
		return 0;
	}
	if (!frag) {
		if (bcast)
			eth_output_to(s, m, mac_bcast, WIRE_ETHERTYPE_IPV4);
		else
			arp_output(s, m, nh);
		return 0;
	}
	struct rte_mbuf *out[IPV4_MAX_FRAGS];
	int n = ipv4_fragment(m, mtu, s->pool, RTE_PKTMBUF_HEADROOM, out, IPV4_MAX_FRAGS);
	if (n < 0) {
		if (n == -EMSGSIZE)
			STAT(s, frag_df_drop);
		else
			STAT(s, nombuf);
		return n;
	}
	for (int i = 0; i < n; i++) {
		set_meta(out[i], o);
		out[i]->l2_len = WIRE_ETH_HLEN;
		out[i]->l3_len = WIRE_IPV4_HLEN;
		STAT(s, frag_tx);
		if (bcast)
			eth_output_to(s, out[i], mac_bcast, WIRE_ETHERTYPE_IPV4);
		else
			arp_output(s, out[i], nh);
	}
	return 0;
}

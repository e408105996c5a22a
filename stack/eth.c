/*
 * Ethernet II: the first and last hop of every frame. eth_input() is called
 * by tern_stack_input() for each received frame; eth_output_to() by ARP once
 * the next hop's MAC is known.
 */
#include <string.h>

#include "stack_impl.h"

/* Consumes m. */
void
eth_input(struct tern_stack *s, struct rte_mbuf *m)
{
	uint8_t tmp[WIRE_ETH_HLEN];
	struct eth_repr eth;
	const uint8_t *h = m->pkt_len >= WIRE_ETH_HLEN ?
		mbuf_bytes(m, 0, WIRE_ETH_HLEN, tmp) : NULL;

	if (unlikely(h == NULL || wire_eth_parse(h, WIRE_ETH_HLEN, &eth) < 0)) {
		STAT(s, eth_runt);
		goto drop;
	}
	bool bcast = wire_mac_is_broadcast(eth.dst);
	/* We join no multicast group, so only our MAC and broadcast are ours. */
	if (!bcast && memcmp(eth.dst, s->mac, 6) != 0) {
		STAT(s, eth_not_for_us);
		goto drop;
	}
	/* IEEE 802: a group address is never a valid source. */
	if (unlikely(wire_mac_is_multicast(eth.src))) {
		STAT(s, eth_bad_src);
		goto drop;
	}
	rte_pktmbuf_adj(m, WIRE_ETH_HLEN);
	switch (eth.ethertype) {
	case WIRE_ETHERTYPE_IPV4:
		ipv4_input(s, m, bcast);
		return;
	case WIRE_ETHERTYPE_ARP:
		arp_input(s, m);
		return;
	default:
		STAT(s, eth_bad_ethertype);
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}

/* Consumes m. */
void
eth_output_to(struct tern_stack *s, struct rte_mbuf *m, const uint8_t l2dst[6],
	      uint16_t ethertype)
{
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, WIRE_ETH_HLEN);
	if (unlikely(h == NULL)) {
		/* Every mbuf we build keeps RTE_PKTMBUF_HEADROOM in front; an mbuf
		 * without it is a bug upstream, counted rather than crashed on. */
		STAT(s, nombuf);
		rte_pktmbuf_free(m);
		return;
	}
	struct eth_repr eth = { .ethertype = ethertype };
	memcpy(eth.dst, l2dst, 6);
	memcpy(eth.src, s->mac, 6);
	wire_eth_emit(h, WIRE_ETH_HLEN, &eth);
	m->l2_len = WIRE_ETH_HLEN;
	stack_tx(s, m);
}

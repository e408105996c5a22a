/*
 * Ethernet II header parse/emit and MAC address classes (IEEE 802.3).
 * Called by stack/eth.c on every received frame and by the output paths
 * (ARP and IPv4) that prepend a header.
 */
#include <string.h>

#include "wire.h"

int wire_eth_parse(const uint8_t *buf, size_t len, struct eth_repr *out)
{
	if (len < WIRE_ETH_HLEN)
		return WIRE_E_TRUNCATED;
	memcpy(out->dst, buf, 6);
	memcpy(out->src, buf + 6, 6);
	/* No 802.1Q or 802.3 interpretation here: the value goes up as found
	 * and eth.c drops what it does not serve (STYLE rule 2). */
	out->ethertype = (uint16_t)(buf[12] << 8 | buf[13]);
	return WIRE_ETH_HLEN;
}

size_t wire_eth_emit(uint8_t *buf, size_t cap, const struct eth_repr *r)
{
	if (cap < WIRE_ETH_HLEN)
		return 0;
	memcpy(buf, r->dst, 6);
	memcpy(buf + 6, r->src, 6);
	buf[12] = (uint8_t)(r->ethertype >> 8);
	buf[13] = (uint8_t)r->ethertype;
	return WIRE_ETH_HLEN;
}

bool wire_mac_is_broadcast(const uint8_t mac[6])
{
	return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

bool wire_mac_is_multicast(const uint8_t mac[6])
{
	/* IEEE 802 I/G bit: the least significant bit of the first octet
	 * (first on the wire) marks a group address; broadcast is one. */
	return (mac[0] & 0x01) != 0;
}

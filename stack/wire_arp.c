/*
 * ARP for Ethernet/IPv4 (RFC 826) parse/emit over byte arrays. Called by
 * stack/arp.c for received ARP frames and for requests/replies it sends.
 */
#include <string.h>

#include "wire.h"

#define ARP_HTYPE_ETHER 1

static inline uint16_t arp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t arp_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void arp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void arp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int wire_arp_parse(const uint8_t *buf, size_t len, struct arp_repr *out)
{
	uint16_t op;

	/* Bytes past 28 are Ethernet padding (a 60-byte minimum frame): ok. */
	if (len < WIRE_ARP_LEN)
		return WIRE_E_TRUNCATED;
	/* RFC 826 "Packet Reception": we only speak Ethernet/IPv4, so the
	 * hardware/protocol types and their address lengths are fixed. A
	 * different hlen/plen would also move every later field. */
	if (arp_be16(buf) != ARP_HTYPE_ETHER ||
	    arp_be16(buf + 2) != WIRE_ETHERTYPE_IPV4 ||
	    buf[4] != 6 || buf[5] != 4)
		return WIRE_E_FORMAT;
	op = arp_be16(buf + 6);
	/* RARP (3, 4) and InARP (8, 9) share the format; we serve neither. */
	if (op != WIRE_ARP_REQUEST && op != WIRE_ARP_REPLY)
		return WIRE_E_FORMAT;
	out->op = op;
	memcpy(out->sha, buf + 8, 6);
	out->spa = arp_be32(buf + 14);
	memcpy(out->tha, buf + 18, 6);
	out->tpa = arp_be32(buf + 24);
	return WIRE_ARP_LEN;
}

size_t wire_arp_emit(uint8_t *buf, size_t cap, const struct arp_repr *r)
{
	if (cap < WIRE_ARP_LEN)
		return 0;
	arp_put16(buf, ARP_HTYPE_ETHER);
	arp_put16(buf + 2, WIRE_ETHERTYPE_IPV4);
	buf[4] = 6;
	buf[5] = 4;
	arp_put16(buf + 6, r->op);
	memcpy(buf + 8, r->sha, 6);
	arp_put32(buf + 14, r->spa);
	memcpy(buf + 18, r->tha, 6);
	arp_put32(buf + 24, r->tpa);
	return WIRE_ARP_LEN;
}

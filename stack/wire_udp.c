/*
 * UDP header (RFC 768) parse/emit and checksum verification with the IPv4
 * pseudo header. Called by stack/udp.c on input and output.
 */
#include "wire.h"

static inline uint16_t udp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void udp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int wire_udp_parse(const uint8_t *buf, size_t len, struct udp_repr *out)
{
	uint16_t ulen;

	if (len < WIRE_UDP_HLEN)
		return WIRE_E_TRUNCATED;
	/* RFC 768: length counts header and data, so it is at least 8, and it
	 * cannot claim more than the IP payload holds. A shorter length than
	 * the IP payload is accepted (the rest is ignored), as RFC 1122 4.1.3.4
	 * leaves it to the receiver; callers use r->len, not the IP length. */
	ulen = udp_be16(buf + 4);
	if (ulen < WIRE_UDP_HLEN || ulen > len)
		return WIRE_E_LENGTH;
	out->sport = udp_be16(buf);
	out->dport = udp_be16(buf + 2);
	out->len = ulen;
	out->csum = udp_be16(buf + 6);
	return WIRE_UDP_HLEN;
}

bool wire_udp_verify(const uint8_t *udp, const struct udp_repr *r,
		     uint32_t src, uint32_t dst)
{
	uint32_t sum;

	/* RFC 768: "an all zero transmitted checksum value means that the
	 * transmitter generated no checksum". */
	if (r->csum == 0)
		return true;
	/* A datagram whose checksum computed to 0 was sent as 0xffff (the
	 * other zero of one's complement); adding 0xffff to a sum of 0xffff
	 * still folds to 0xffff, so no special case is needed for it. */
	sum = wire_csum_pseudo(src, dst, WIRE_PROTO_UDP, r->len);
	sum = wire_csum_add(sum, udp, r->len);
	return wire_csum_fold(sum) == 0;
}

/*
 * Caller notes: r->csum is written as is (big-endian, as
 * wire_csum_fold() returns it). To checksum, emit with r->csum = 0, then
 * sum wire_csum_pseudo(src, dst, WIRE_PROTO_UDP, len) plus the header and
 * payload, fold it, and if the result is 0 store 0xffff instead: RFC 768
 * "if the computed checksum is zero, it is transmitted as all ones", since
 * a 0 field means "no checksum". With TX offload the NIC expects the
 * pseudo header sum folded but not complemented: ~wire_csum_fold(sum).
 */
size_t wire_udp_emit(uint8_t *buf, size_t cap, const struct udp_repr *r)
{
	if (cap < WIRE_UDP_HLEN)
		return 0;
	udp_put16(buf, r->sport);
	udp_put16(buf + 2, r->dport);
	udp_put16(buf + 4, r->len);
	udp_put16(buf + 6, r->csum);
	return WIRE_UDP_HLEN;
}

/*
 * ICMP header (RFC 792) parse/emit and checksum store. Called by
 * stack/icmp.c for echo and error messages, in and out.
 */
#include "wire.h"

int wire_icmp_parse(const uint8_t *buf, size_t len, bool verify_csum,
		    struct icmp_repr *out)
{
	if (len < WIRE_ICMP_HLEN)
		return WIRE_E_TRUNCATED;
	/* RFC 792: the checksum covers the whole ICMP message, header and
	 * data, so the caller passes the IP payload length as @p len. */
	if (verify_csum && wire_csum_fold(wire_csum_add(0, buf, len)) != 0)
		return WIRE_E_CSUM;
	out->type = buf[0];
	out->code = buf[1];
	out->rest = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 |
		    (uint32_t)buf[6] << 8 | buf[7];
	return WIRE_ICMP_HLEN;
}

size_t wire_icmp_emit(uint8_t *buf, size_t cap, const struct icmp_repr *r)
{
	if (cap < WIRE_ICMP_HLEN)
		return 0;
	buf[0] = r->type;
	buf[1] = r->code;
	/* RFC 792: "for computing the checksum, the checksum field should be
	 * zero"; the caller fills it once the payload is in place. */
	buf[2] = 0;
	buf[3] = 0;
	buf[4] = (uint8_t)(r->rest >> 24);
	buf[5] = (uint8_t)(r->rest >> 16);
	buf[6] = (uint8_t)(r->rest >> 8);
	buf[7] = (uint8_t)r->rest;
	return WIRE_ICMP_HLEN;
}

/* @p csum is the value wire_csum_fold() returned; stored big-endian. */
void wire_icmp_set_csum(uint8_t *hdr, uint16_t csum)
{
	hdr[2] = (uint8_t)(csum >> 8);
	hdr[3] = (uint8_t)csum;
}

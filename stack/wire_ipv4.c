/*
 * IPv4 header (RFC 791) parse/validate/emit and address classes. Called by
 * stack/ipv4.c on input and output, by the fragmenter/reassembler, and by
 * ICMP when it quotes an offending header.
 */
#include "wire.h"

static inline uint16_t ip_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ip_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void ip_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ip_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int wire_ipv4_parse(const uint8_t *buf, size_t len, bool verify_csum,
		    struct ipv4_repr *out)
{
	unsigned ihl, hlen, total;
	uint16_t frag;

	if (len < WIRE_IPV4_HLEN)
		return WIRE_E_TRUNCATED;
	if (buf[0] >> 4 != 4)
		return WIRE_E_VERSION;
	/* RFC 791 3.1: IHL counts 32-bit words and "the minimum value for a
	 * correct header is 5"; options must also fit in what we hold. */
	ihl = buf[0] & 0x0f;
	hlen = ihl * 4;
	if (ihl < 5 || hlen > len)
		return WIRE_E_IHL;
	/* RFC 1122 3.2.1.2 / RFC 791 3.1: total length covers header and data;
	 * it may be shorter than the frame (Ethernet pads to 60 bytes) but
	 * never longer, and never shorter than the header itself. */
	total = ip_be16(buf + 2);
	if (total < hlen || total > len)
		return WIRE_E_LENGTH;
	/* RFC 1122 3.2.1.2: silently discard a datagram whose header checksum
	 * fails. A correct header (options included) sums to 0xffff. */
	if (verify_csum && wire_csum_fold(wire_csum_add(0, buf, hlen)) != 0)
		return WIRE_E_CSUM;

	frag = ip_be16(buf + 6);
	out->hlen = (uint8_t)hlen;
	out->tos = buf[1];
	out->total_len = (uint16_t)total;
	out->id = ip_be16(buf + 4);
	out->df = (frag & WIRE_IP_DF) != 0;
	out->mf = (frag & WIRE_IP_MF) != 0;
	/* RFC 791 3.1: the offset is in units of 8 octets; 8191 * 8 fits. */
	out->frag_off = (uint16_t)((frag & WIRE_IP_OFFMASK) * 8);
	out->ttl = buf[8];
	out->proto = buf[9];
	out->src = ip_be32(buf + 12);
	out->dst = ip_be32(buf + 16);
	return (int)hlen;
}

/* r->hlen is ignored: we never send options, so the header is 20 bytes.
 * r->frag_off must be a multiple of 8 (RFC 791 3.2); lower bits are lost. */
size_t wire_ipv4_emit(uint8_t *buf, size_t cap, const struct ipv4_repr *r,
		      bool fill_csum)
{
	uint16_t frag;

	if (cap < WIRE_IPV4_HLEN)
		return 0;
	frag = (uint16_t)((r->frag_off / 8) & WIRE_IP_OFFMASK);
	if (r->df)
		frag |= WIRE_IP_DF;
	if (r->mf)
		frag |= WIRE_IP_MF;
	buf[0] = 0x45;	/* version 4, IHL 5 */
	buf[1] = r->tos;
	ip_put16(buf + 2, r->total_len);
	ip_put16(buf + 4, r->id);
	ip_put16(buf + 6, frag);
	buf[8] = r->ttl;
	buf[9] = r->proto;
	/* RFC 791 3.1: the checksum field is zero while it is computed; with
	 * offload the NIC fills it and expects the zero. */
	ip_put16(buf + 10, 0);
	ip_put32(buf + 12, r->src);
	ip_put32(buf + 16, r->dst);
	if (fill_csum)
		ip_put16(buf + 10,
			 wire_csum_fold(wire_csum_add(0, buf, WIRE_IPV4_HLEN)));
	return WIRE_IPV4_HLEN;
}

bool wire_ipv4_is_martian_src(uint32_t a)
{
	unsigned top = a >> 24;

	/* RFC 1122 3.2.1.3 (a): 0.0.0.0 is a legal source while a host learns
	 * its address (DHCP, RFC 2131 4.1), but 0/8 otherwise is "this network"
	 * and never a source. (c)/(g): 127/8 loopback must not appear on the
	 * wire. RFC 1112 / RFC 1122 3.2.1.3 (d)-(e): a multicast (224/4),
	 * class E (240/4) or limited broadcast (255.255.255.255) source is
	 * never valid; all of them are >= 224.0.0.0. */
	if (a == 0)
		return false;
	return top == 0 || top == 127 || top >= 224;
}

bool wire_ipv4_is_multicast(uint32_t a)
{
	return (a >> 28) == 0xe;	/* RFC 5771: 224.0.0.0/4 */
}

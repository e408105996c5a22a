/*
 * TCP header and options (RFC 9293 3.1, RFC 7323, RFC 2018): parse into a
 * host-order repr, emit with Linux's option layout, verify the checksum with
 * the IPv4 pseudo header. Called by the TCP input and output paths.
 */
#include <string.h>

#include "wire.h"

/* Option lengths (RFC 9293 3.2, RFC 7323 2.2 and 3.2, RFC 2018 2 and 3). */
#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TS 10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_BLOCK 8
#define TCP_MAX_OPTLEN (WIRE_TCP_MAX_HLEN - WIRE_TCP_HLEN)

static inline uint16_t tcp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t tcp_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void tcp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tcp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Take one option whose kind and length (2 <= olen, fits the header) have
 * been checked. A known kind with a length other than its own is ignored,
 * not taken: reading an MSS out of a 3-byte option would read a byte of the
 * next one. Linux does the same (tcp_parse_options checks opsize per kind).
 * A repeated option overwrites the earlier one, as in Linux.
 * Whether an option is allowed on this segment (MSS, WSCALE and SACK_PERM
 * only on SYN: RFC 9293 3.7.1, RFC 7323 2.2, RFC 2018 2) is the caller's
 * decision; the parser reports what is on the wire.
 */
static void tcp_take_opt(const uint8_t *o, uint8_t olen, struct tcp_opts *opt)
{
	unsigned int i, n;

	switch (o[0]) {
	case WIRE_TCPOPT_MSS:
		if (olen != TCPOLEN_MSS)
			return;
		opt->has_mss = true;
		opt->mss = tcp_be16(o + 2);
		break;
	case WIRE_TCPOPT_WSCALE:
		if (olen != TCPOLEN_WSCALE)
			return;
		/* RFC 7323 2.3: a shift above 14 is used as 14 (and logged);
		 * that clamp belongs to the caller, so return it as received. */
		opt->has_wscale = true;
		opt->wscale = o[2];
		break;
	case WIRE_TCPOPT_SACK_PERM:
		if (olen != TCPOLEN_SACK_PERM)
			return;
		opt->sack_perm = true;
		break;
	case WIRE_TCPOPT_TS:
		if (olen != TCPOLEN_TS)
			return;
		opt->has_ts = true;
		opt->ts_val = tcp_be32(o + 2);
		opt->ts_ecr = tcp_be32(o + 6);
		break;
	case WIRE_TCPOPT_SACK:
		/* RFC 2018 3: length 2 + 8n. n >= 1, and n <= 4 follows from
		 * the 40-byte option space, but is checked so the array
		 * bound never depends on that arithmetic. */
		if (olen < TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK ||
		    (olen - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_BLOCK != 0)
			return;
		n = (olen - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK;
		if (n > WIRE_TCP_MAX_SACK)
			return;
		for (i = 0; i < n; i++) {
			const uint8_t *b = o + TCPOLEN_SACK_BASE + i * TCPOLEN_SACK_BLOCK;

			opt->sack[i].start = tcp_be32(b);
			opt->sack[i].end = tcp_be32(b + 4);
		}
		opt->nsack = (uint8_t)n;
		break;
	default:
		/* RFC 9293 3.1: an unknown option is skipped by its length
		 * (RFC 1122 4.2.2.5: "MUST be prepared to handle an
		 * illegal option length ... without crashing"). */
		break;
	}
}

/* Parse the option bytes o[0..olen) (the header after its fixed 20 bytes). */
static void tcp_parse_opts(const uint8_t *o, size_t olen, struct tcp_opts *opt)
{
	size_t i = 0;

	while (i < olen) {
		uint8_t kind = o[i];
		uint8_t len;

		/* RFC 9293 3.1: End of Option List; what follows is padding. */
		if (kind == WIRE_TCPOPT_EOL)
			break;
		if (kind == WIRE_TCPOPT_NOP) {
			i++;
			continue;
		}
		/* Every other kind has a length byte, which must be inside the
		 * header, count itself and the kind (>= 2), and not run past
		 * the header. Otherwise the rest of the list cannot be
		 * delimited: stop, keeping what was parsed (RFC 1122
		 * 4.2.2.5; Linux stops the same way and keeps the segment). */
		if (olen - i < 2) {
			opt->malformed = true;
			break;
		}
		len = o[i + 1];
		if (len < 2 || len > olen - i) {
			opt->malformed = true;
			break;
		}
		tcp_take_opt(o + i, len, opt);
		i += len;
	}
}

int wire_tcp_parse(const uint8_t *buf, size_t len, struct tcp_repr *out)
{
	size_t hlen;

	if (len < WIRE_TCP_HLEN)
		return WIRE_E_TRUNCATED;
	/* RFC 9293 3.1: Data Offset counts 32-bit words; the fixed header
	 * is 5 of them, and the header cannot claim more than the segment. */
	hlen = (size_t)(buf[12] >> 4) * 4;
	if (hlen < WIRE_TCP_HLEN || hlen > len)
		return WIRE_E_LENGTH;

	out->sport = tcp_be16(buf);
	out->dport = tcp_be16(buf + 2);
	out->seq = tcp_be32(buf + 4);
	out->ack = tcp_be32(buf + 8);
	out->hlen = (uint8_t)hlen;
	/* The low nibble of byte 12 (reserved bits and RFC 3540's NS, now
	 * AE) is not interpreted: RFC 9293 3.1 "must be zero" on send only. */
	out->flags = buf[13];
	out->win = tcp_be16(buf + 14);
	out->csum = tcp_be16(buf + 16);
	out->urg = tcp_be16(buf + 18);

	memset(&out->opt, 0, sizeof(out->opt));
	tcp_parse_opts(buf + WIRE_TCP_HLEN, hlen - WIRE_TCP_HLEN, &out->opt);
	return (int)hlen;
}

bool wire_tcp_verify(const uint8_t *tcp, size_t len, uint32_t src, uint32_t dst)
{
	uint32_t sum;

	/* The pseudo header's TCP length is 16 bits (RFC 9293 3.1); a longer
	 * segment cannot come out of an IPv4 packet. */
	if (len > UINT16_MAX)
		return false;
	/* Unlike UDP, a zero checksum field is not "none": the TCP checksum
	 * is mandatory (RFC 9293 3.1), so every segment is summed. */
	sum = wire_csum_pseudo(src, dst, WIRE_PROTO_TCP, (uint16_t)len);
	sum = wire_csum_add(sum, tcp, len);
	return wire_csum_fold(sum) == 0;
}

static uint8_t *tcp_put_nops(uint8_t *p, unsigned int n)
{
	while (n--)
		*p++ = WIRE_TCPOPT_NOP;
	return p;
}

/*
 * Lay out r->opt into o (at least 40 bytes) and return the length, a
 * multiple of 4. wire_tcp_opts_len() and wire_tcp_emit() both call this, so
 * the length announced is the length written.
 *
 * The layout is Linux's (tcp_options_write), so packetdrill scripts written
 * against Linux match byte for byte; each piece is a multiple of 4 bytes,
 * NOPs going before the option to keep its fields 32-bit aligned (the
 * suggestion of RFC 7323 appendix A):
 *   MSS                  2,4,mss                          4
 *   SACK_PERM + TS (SYN) 4,2, 8,10,val,ecr               12
 *   TS                   1,1, 8,10,val,ecr               12
 *   SACK_PERM (SYN)      1,1, 4,2                         4
 *   WSCALE (SYN)         1, 3,3,shift                     4
 *   SACK (not SYN)       1,1, 5,2+8n, blocks          4 + 8n
 * The largest SYN is 4 + 12 + 4 = 20 bytes. Otherwise MSS (4, unusual off
 * a SYN) and TS (12) leave room for as many SACK blocks as fit.
 */
static size_t tcp_opts_layout(const struct tcp_repr *r, uint8_t *o)
{
	const struct tcp_opts *opt = &r->opt;
	bool syn = (r->flags & WIRE_TCP_SYN) != 0;
	uint8_t *p = o;

	if (opt->has_mss) {
		*p++ = WIRE_TCPOPT_MSS;
		*p++ = TCPOLEN_MSS;
		tcp_put16(p, opt->mss);
		p += 2;
	}
	/* SACK_PERM and WSCALE only on a SYN (RFC 2018 2 "MUST NOT be sent on
	 * non-SYN segments"; RFC 7323 2.2 "MUST only be sent in a <SYN>"):
	 * a repr parsed from a SYN can be reused without leaking them. */
	if (opt->has_ts) {
		if (syn && opt->sack_perm) {
			*p++ = WIRE_TCPOPT_SACK_PERM;
			*p++ = TCPOLEN_SACK_PERM;
		} else {
			p = tcp_put_nops(p, 2);
		}
		*p++ = WIRE_TCPOPT_TS;
		*p++ = TCPOLEN_TS;
		tcp_put32(p, opt->ts_val);
		tcp_put32(p + 4, opt->ts_ecr);
		p += 8;
	} else if (syn && opt->sack_perm) {
		p = tcp_put_nops(p, 2);
		*p++ = WIRE_TCPOPT_SACK_PERM;
		*p++ = TCPOLEN_SACK_PERM;
	}
	if (syn && opt->has_wscale) {
		p = tcp_put_nops(p, 1);
		*p++ = WIRE_TCPOPT_WSCALE;
		*p++ = TCPOLEN_WSCALE;
		*p++ = opt->wscale;
	}
	/* SACK blocks report received data (RFC 2018 4), which a SYN has
	 * none of. Linux sends as many of the first (most recent, RFC 2018 4)
	 * blocks as the remaining space holds: 4 alone, 3 with TS. */
	if (!syn && opt->nsack > 0) {
		size_t room = TCP_MAX_OPTLEN - (size_t)(p - o);
		unsigned int n = opt->nsack, i;

		if (n > WIRE_TCP_MAX_SACK)
			n = WIRE_TCP_MAX_SACK;
		if (room < 2 + TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK)
			n = 0;
		else if (n > (room - 2 - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK)
			n = (unsigned int)((room - 2 - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK);
		if (n > 0) {
			p = tcp_put_nops(p, 2);
			*p++ = WIRE_TCPOPT_SACK;
			*p++ = (uint8_t)(TCPOLEN_SACK_BASE + n * TCPOLEN_SACK_BLOCK);
			for (i = 0; i < n; i++) {
				tcp_put32(p, opt->sack[i].start);
				tcp_put32(p + 4, opt->sack[i].end);
				p += TCPOLEN_SACK_BLOCK;
			}
		}
	}
	/* Every piece above is a multiple of 4, so this never runs today; it
	 * keeps the Data Offset rule (RFC 9293 3.1: header padding of zeros,
	 * which read as EOL) true if a piece is ever added that is not. */
	while ((p - o) % 4 != 0)
		*p++ = WIRE_TCPOPT_EOL;
	return (size_t)(p - o);
}

size_t wire_tcp_opts_len(const struct tcp_repr *r)
{
	uint8_t o[TCP_MAX_OPTLEN];

	return tcp_opts_layout(r, o);
}

/*
 * Caller notes: r->hlen is not read; the data offset is the options' length.
 * To checksum in software, emit with r->csum = 0, sum
 * wire_csum_pseudo(src, dst, WIRE_PROTO_TCP, hlen + payload) plus the header
 * and payload, and store wire_csum_fold() big-endian at offset 16 (a
 * computed 0 goes as 0: TCP has no "no checksum" value). With TX offload the
 * NIC wants the folded pseudo header sum, not complemented, in the field.
 */
size_t wire_tcp_emit(uint8_t *buf, size_t cap, const struct tcp_repr *r)
{
	uint8_t o[TCP_MAX_OPTLEN];
	size_t olen = tcp_opts_layout(r, o);
	size_t hlen = WIRE_TCP_HLEN + olen;

	if (cap < hlen)
		return 0;
	tcp_put16(buf, r->sport);
	tcp_put16(buf + 2, r->dport);
	tcp_put32(buf + 4, r->seq);
	tcp_put32(buf + 8, r->ack);
	/* RFC 9293 3.1: reserved bits are sent as zero. */
	buf[12] = (uint8_t)(hlen / 4 << 4);
	buf[13] = r->flags;
	tcp_put16(buf + 14, r->win);
	tcp_put16(buf + 16, r->csum);
	tcp_put16(buf + 18, r->urg);
	memcpy(buf + WIRE_TCP_HLEN, o, olen);
	return hlen;
}

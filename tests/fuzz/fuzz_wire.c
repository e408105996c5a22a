/*
 * libFuzzer target over the pure wire code (stack/wire.h): every parser gets
 * the raw input, then the input is decoded as a frame layer by layer the way
 * the stack does it. Each successful parse is checked against the documented
 * invariants, re-emitted and re-parsed; the checksum is checked against a
 * byte-at-a-time reference. No DPDK: links wire_dep only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Most parsers look at a few dozen bytes; a bigger input adds nothing but
 * time (an IPv4 total length still covers up to 65535 bytes). */
#define MAX_INPUT 65600

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

static uint8_t scratch[MAX_INPUT + 64];

/* RFC 1071 the slow way: 16-bit words, end-around carry after each add. */
static uint32_t
ref_csum(uint32_t sum, const uint8_t *p, size_t len)
{
	uint32_t s = sum;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	for (size_t i = 0; i < len; i += 2) {
		uint32_t w = (uint32_t)p[i] << 8;
		if (i + 1 < len)
			w |= p[i + 1];
		s += w;
		s = (s & 0xffff) + (s >> 16);
	}
	return s;
}

static void
fuzz_csum(const uint8_t *d, size_t n)
{
	uint32_t sum = wire_csum_add(0, d, n);
	/* The running sum comes back folded to 16 bits. */
	CHECK(sum <= 0xffff);
	CHECK(sum == ref_csum(0, d, n));
	/* Sums compose at any even split (RFC 1071 2(C), incremental). */
	size_t cut = n ? (d[0] * 2u) % (n + 1) & ~(size_t)1 : 0;
	uint32_t a = wire_csum_add(0, d, cut);
	CHECK(wire_csum_fold(wire_csum_add(a, d + cut, n - cut)) == wire_csum_fold(sum));
	/* A seed from outside (the pseudo header) is carried in. */
	if (n >= 4) {
		uint32_t seed = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
				(uint32_t)d[2] << 8 | d[3];
		uint32_t got = wire_csum_add(seed, d + 4, n - 4);
		CHECK(wire_csum_fold(got) == wire_csum_fold(ref_csum(seed, d + 4, n - 4)));
	}
	/* Storing the complement in an even-aligned slot makes the whole
	 * block verify: the property every header checksum relies on. */
	if (n >= 2 && n <= MAX_INPUT) {
		memcpy(scratch, d, n);
		scratch[0] = scratch[1] = 0;
		uint16_t c = wire_csum_fold(wire_csum_add(0, scratch, n));
		scratch[0] = (uint8_t)(c >> 8);
		scratch[1] = (uint8_t)c;
		CHECK(wire_csum_fold(wire_csum_add(0, scratch, n)) == 0);
	}
	if (n >= 12) {
		uint32_t src = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 |
			       (uint32_t)d[6] << 8 | d[7];
		uint32_t dst = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 |
			       (uint32_t)d[10] << 8 | d[11];
		uint32_t ps = wire_csum_pseudo(src, dst, d[0], (uint16_t)(d[1] << 8 | d[2]));
		uint8_t ph[12] = {
			(uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
			(uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst,
			0, d[0], d[1], d[2],
		};
		CHECK(wire_csum_fold(ps) == wire_csum_fold(ref_csum(0, ph, sizeof(ph))));
	}
}

/* Reprs are compared field by field: their padding is never written. */
static bool
arp_repr_eq(const struct arp_repr *a, const struct arp_repr *b)
{
	return a->op == b->op && memcmp(a->sha, b->sha, 6) == 0 && a->spa == b->spa &&
	       memcmp(a->tha, b->tha, 6) == 0 && a->tpa == b->tpa;
}

static bool
icmp_repr_eq(const struct icmp_repr *a, const struct icmp_repr *b)
{
	return a->type == b->type && a->code == b->code && a->rest == b->rest;
}

static bool
ipv4_repr_eq(const struct ipv4_repr *a, const struct ipv4_repr *b)
{
	return a->hlen == b->hlen && a->tos == b->tos && a->total_len == b->total_len &&
	       a->id == b->id && a->df == b->df && a->mf == b->mf &&
	       a->frag_off == b->frag_off && a->ttl == b->ttl && a->proto == b->proto &&
	       a->src == b->src && a->dst == b->dst;
}

static void
fuzz_eth(const uint8_t *d, size_t n, struct eth_repr *out, int *rc_out)
{
	struct eth_repr e, e2;
	uint8_t buf[WIRE_ETH_HLEN];
	int rc = wire_eth_parse(d, n, &e);
	*rc_out = rc;
	if (n < WIRE_ETH_HLEN) {
		CHECK(rc == WIRE_E_TRUNCATED);
		return;
	}
	CHECK(rc == WIRE_ETH_HLEN);
	CHECK(wire_eth_emit(buf, sizeof(buf) - 1, &e) == 0);
	CHECK(wire_eth_emit(buf, sizeof(buf), &e) == WIRE_ETH_HLEN);
	CHECK(memcmp(buf, d, WIRE_ETH_HLEN) == 0);
	CHECK(wire_eth_parse(buf, sizeof(buf), &e2) == WIRE_ETH_HLEN);
	CHECK(memcmp(e.dst, e2.dst, 6) == 0 && memcmp(e.src, e2.src, 6) == 0 &&
	      e.ethertype == e2.ethertype);
	/* Broadcast is one of the group addresses. */
	if (wire_mac_is_broadcast(e.dst))
		CHECK(wire_mac_is_multicast(e.dst));
	CHECK(wire_mac_is_multicast(e.src) == ((e.src[0] & 1) != 0));
	*out = e;
}

static void
fuzz_arp(const uint8_t *d, size_t n)
{
	struct arp_repr a, a2;
	uint8_t buf[WIRE_ARP_LEN];
	int rc = wire_arp_parse(d, n, &a);
	if (n < WIRE_ARP_LEN) {
		CHECK(rc == WIRE_E_TRUNCATED);
		return;
	}
	if (rc < 0) {
		CHECK(rc == WIRE_E_FORMAT);
		return;
	}
	CHECK(rc == WIRE_ARP_LEN);
	CHECK(a.op == WIRE_ARP_REQUEST || a.op == WIRE_ARP_REPLY);
	CHECK(wire_arp_emit(buf, sizeof(buf) - 1, &a) == 0);
	CHECK(wire_arp_emit(buf, sizeof(buf), &a) == WIRE_ARP_LEN);
	/* Every field of the fixed Ethernet/IPv4 format is in the repr or
	 * checked to a constant, so the emitted bytes are the input's. */
	CHECK(memcmp(buf, d, WIRE_ARP_LEN) == 0);
	CHECK(wire_arp_parse(buf, sizeof(buf), &a2) == WIRE_ARP_LEN);
	CHECK(arp_repr_eq(&a, &a2));
}

/* @return the header length, or <= 0 if the input is no IPv4 header. */
static int
fuzz_ipv4(const uint8_t *d, size_t n, struct ipv4_repr *out)
{
	struct ipv4_repr ip, ipv, ip2;
	int rc = wire_ipv4_parse(d, n, false, &ip);
	int rcv = wire_ipv4_parse(d, n, true, &ipv);

	if (rc < 0) {
		CHECK(rc >= WIRE_E_LENGTH);   /* not CSUM nor FORMAT without verify */
		/* Structural errors are found before the checksum is looked at. */
		CHECK(rcv == rc);
		return rc;
	}
	CHECK(rc >= 20 && rc <= 60 && rc % 4 == 0);
	CHECK(ip.hlen == rc);
	CHECK(ip.hlen <= ip.total_len && ip.total_len <= n);
	CHECK(ip.frag_off % 8 == 0);
	CHECK(n >= 1 && (d[0] >> 4) == 4);
	bool sum_ok = wire_csum_fold(wire_csum_add(0, d, ip.hlen)) == 0;
	CHECK(sum_ok == (rcv >= 0));
	if (rcv >= 0) {
		CHECK(rcv == rc);
		CHECK(ipv4_repr_eq(&ip, &ipv));
	} else {
		CHECK(rcv == WIRE_E_CSUM);
	}

	/* Re-emit (options are not emitted: a 20-byte header) and re-parse with
	 * the payload length the repr's total length asks for. */
	struct ipv4_repr want = ip;
	want.hlen = WIRE_IPV4_HLEN;
	memset(scratch, 0, want.total_len);
	CHECK(wire_ipv4_emit(scratch, WIRE_IPV4_HLEN - 1, &ip, true) == 0);
	CHECK(wire_ipv4_emit(scratch, WIRE_IPV4_HLEN, &ip, true) == WIRE_IPV4_HLEN);
	CHECK(wire_ipv4_parse(scratch, want.total_len, true, &ip2) == WIRE_IPV4_HLEN);
	CHECK(ipv4_repr_eq(&want, &ip2));
	/* Without the checksum (offload) the field is zero and only the
	 * non-verifying parse must accept it, unless the sum happens to be 0. */
	CHECK(wire_ipv4_emit(scratch, WIRE_IPV4_HLEN, &ip, false) == WIRE_IPV4_HLEN);
	CHECK(scratch[10] == 0 && scratch[11] == 0);
	CHECK(wire_ipv4_parse(scratch, want.total_len, false, &ip2) == WIRE_IPV4_HLEN);
	CHECK(ipv4_repr_eq(&want, &ip2));
	/* A header that claims more than the buffer holds is refused. */
	if (want.total_len > WIRE_IPV4_HLEN)
		CHECK(wire_ipv4_parse(scratch, want.total_len - 1u, false, &ip2) == WIRE_E_LENGTH);

	/* Address classes agree with their definitions. */
	CHECK(wire_ipv4_is_multicast(ip.src) == (ip.src >= 0xe0000000u && ip.src < 0xf0000000u));
	CHECK(wire_ipv4_is_martian_src(ip.src) ==
	      (ip.src != 0 && ((ip.src >> 24) == 0 || (ip.src >> 24) == 127 || ip.src >= 0xe0000000u)));
	*out = ip;
	return rc;
}

static void
fuzz_icmp(const uint8_t *d, size_t n)
{
	struct icmp_repr ic, icv, ic2;
	int rc = wire_icmp_parse(d, n, false, &ic);
	int rcv = wire_icmp_parse(d, n, true, &icv);
	if (n < WIRE_ICMP_HLEN) {
		CHECK(rc == WIRE_E_TRUNCATED && rcv == WIRE_E_TRUNCATED);
		return;
	}
	CHECK(rc == WIRE_ICMP_HLEN);
	CHECK(ic.type == d[0] && ic.code == d[1]);
	bool sum_ok = wire_csum_fold(wire_csum_add(0, d, n)) == 0;
	CHECK(sum_ok == (rcv == WIRE_ICMP_HLEN));
	if (rcv < 0)
		CHECK(rcv == WIRE_E_CSUM);
	else
		CHECK(icmp_repr_eq(&ic, &icv));
	if (n > MAX_INPUT)
		return;
	/* Re-emit over the same payload, checksum it the documented way, and
	 * the message verifies with the same repr. */
	memcpy(scratch, d, n);
	CHECK(wire_icmp_emit(scratch, WIRE_ICMP_HLEN - 1, &ic) == 0);
	CHECK(wire_icmp_emit(scratch, n, &ic) == WIRE_ICMP_HLEN);
	CHECK(scratch[2] == 0 && scratch[3] == 0);
	wire_icmp_set_csum(scratch, wire_csum_fold(wire_csum_add(0, scratch, n)));
	CHECK(wire_icmp_parse(scratch, n, true, &ic2) == WIRE_ICMP_HLEN);
	CHECK(icmp_repr_eq(&ic, &ic2));
	/* A message that verified comes back byte for byte, up to the two
	 * zeros of one's complement in the checksum field. */
	if (sum_ok)
		CHECK(memcmp(scratch, d, n) == 0 ||
		      (uint16_t)(d[2] << 8 | d[3]) + (uint16_t)(scratch[2] << 8 | scratch[3]) == 0xffff);
}

static void
fuzz_udp(const uint8_t *d, size_t n, uint32_t src, uint32_t dst)
{
	struct udp_repr u, u2;
	int rc = wire_udp_parse(d, n, &u);
	if (n < WIRE_UDP_HLEN) {
		CHECK(rc == WIRE_E_TRUNCATED);
		return;
	}
	if (rc < 0) {
		CHECK(rc == WIRE_E_LENGTH);
		return;
	}
	CHECK(rc == WIRE_UDP_HLEN);
	CHECK(u.len >= WIRE_UDP_HLEN && u.len <= n);
	bool ok = wire_udp_verify(d, &u, src, dst);
	if (u.csum == 0)
		CHECK(ok);
	else
		CHECK(ok == (wire_csum_fold(wire_csum_add(
				     wire_csum_pseudo(src, dst, WIRE_PROTO_UDP, u.len),
				     d, u.len)) == 0));
	/* Emit with the checksum computed as the caller notes say; it must
	 * verify and re-parse to the same ports and length. */
	memcpy(scratch, d, u.len);
	struct udp_repr w = u;
	w.csum = 0;
	CHECK(wire_udp_emit(scratch, WIRE_UDP_HLEN - 1, &w) == 0);
	CHECK(wire_udp_emit(scratch, u.len, &w) == WIRE_UDP_HLEN);
	uint16_t c = wire_csum_fold(wire_csum_add(
		wire_csum_pseudo(src, dst, WIRE_PROTO_UDP, u.len), scratch, u.len));
	w.csum = c == 0 ? 0xffff : c;   /* RFC 768: computed zero goes as all ones */
	CHECK(wire_udp_emit(scratch, u.len, &w) == WIRE_UDP_HLEN);
	CHECK(wire_udp_parse(scratch, u.len, &u2) == WIRE_UDP_HLEN);
	CHECK(u2.sport == u.sport && u2.dport == u.dport && u2.len == u.len && u2.csum == w.csum);
	CHECK(wire_udp_verify(scratch, &u2, src, dst));
	/* Another destination changes the pseudo header sum by one: a
	 * checksum that verified cannot verify for it too. */
	CHECK(!wire_udp_verify(scratch, &u2, src, dst ^ 1u));
}

static uint16_t
fz_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
fz_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool
tcp_repr_eq(const struct tcp_repr *a, const struct tcp_repr *b)
{
	const struct tcp_opts *x = &a->opt, *y = &b->opt;
	if (a->sport != b->sport || a->dport != b->dport || a->seq != b->seq ||
	    a->ack != b->ack || a->hlen != b->hlen || a->flags != b->flags ||
	    a->win != b->win || a->csum != b->csum || a->urg != b->urg)
		return false;
	if (x->has_mss != y->has_mss || x->has_wscale != y->has_wscale ||
	    x->sack_perm != y->sack_perm || x->has_ts != y->has_ts ||
	    x->nsack != y->nsack || x->malformed != y->malformed)
		return false;
	if ((x->has_mss && x->mss != y->mss) || (x->has_wscale && x->wscale != y->wscale) ||
	    (x->has_ts && (x->ts_val != y->ts_val || x->ts_ecr != y->ts_ecr)))
		return false;
	for (unsigned int i = 0; i < x->nsack && i < WIRE_TCP_MAX_SACK; i++)
		if (x->sack[i].start != y->sack[i].start || x->sack[i].end != y->sack[i].end)
			return false;
	return true;
}

/* The option walk of wire.h's contract, written as plainly as possible:
 * which options are taken, and whether the list was malformed. */
static void
ref_tcp_opts(const uint8_t *o, size_t len, struct tcp_opts *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < len;) {
		if (o[i] == 0)
			return;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len) {
			r->malformed = true;
			return;
		}
		size_t l = o[i + 1];
		if (o[i] == 2 && l == 4)
			r->has_mss = true, r->mss = fz_be16(o + i + 2);
		else if (o[i] == 3 && l == 3)
			r->has_wscale = true, r->wscale = o[i + 2];
		else if (o[i] == 4 && l == 2)
			r->sack_perm = true;
		else if (o[i] == 8 && l == 10)
			r->has_ts = true, r->ts_val = fz_be32(o + i + 2), r->ts_ecr = fz_be32(o + i + 6);
		else if (o[i] == 5 && l >= 10 && (l - 2) % 8 == 0) {
			r->nsack = (uint8_t)((l - 2) / 8);
			for (unsigned int k = 0; k < r->nsack; k++) {
				r->sack[k].start = fz_be32(o + i + 2 + 8 * k);
				r->sack[k].end = fz_be32(o + i + 6 + 8 * k);
			}
		}
		i += l;
	}
}

static void
fuzz_tcp(const uint8_t *d, size_t n, uint32_t src, uint32_t dst)
{
	struct tcp_repr t, t2;
	struct tcp_opts ref;
	uint8_t buf[WIRE_TCP_MAX_HLEN], buf2[WIRE_TCP_MAX_HLEN];
	int rc = wire_tcp_parse(d, n, &t);

	if (n < WIRE_TCP_HLEN) {
		CHECK(rc == WIRE_E_TRUNCATED);
		return;
	}
	size_t doff = (size_t)(d[12] >> 4) * 4;
	if (doff < WIRE_TCP_HLEN || doff > n) {
		CHECK(rc == WIRE_E_LENGTH);
		return;
	}
	CHECK(rc == (int)doff && t.hlen == doff);
	CHECK(t.sport == fz_be16(d) && t.dport == fz_be16(d + 2));
	CHECK(t.seq == fz_be32(d + 4) && t.ack == fz_be32(d + 8));
	CHECK(t.flags == d[13] && t.win == fz_be16(d + 14) &&
	      t.csum == fz_be16(d + 16) && t.urg == fz_be16(d + 18));
	CHECK(t.opt.nsack <= WIRE_TCP_MAX_SACK);
	/* The options are the header's alone: the payload changes nothing. */
	CHECK(wire_tcp_parse(d, doff, &t2) == rc);
	CHECK(tcp_repr_eq(&t, &t2));
	ref_tcp_opts(d + WIRE_TCP_HLEN, doff - WIRE_TCP_HLEN, &ref);
	t2.opt = ref;
	CHECK(tcp_repr_eq(&t, &t2));

	/* Checksum against the byte-at-a-time reference over the pseudo
	 * header; no 16-bit length describes more than 65535 bytes. */
	bool ok = wire_tcp_verify(d, n, src, dst);
	if (n > 0xffff) {
		CHECK(!ok);
	} else {
		uint8_t ph[12] = {
			(uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
			(uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst,
			0, WIRE_PROTO_TCP, (uint8_t)(n >> 8), (uint8_t)n,
		};
		CHECK(ok == (ref_csum(ref_csum(0, ph, sizeof(ph)), d, n) == 0xffff));
	}

	/* Re-emit: Linux's layout of what was parsed. SYN-only options go
	 * only on a SYN, SACK blocks only off it and as many as fit. */
	bool syn = (t.flags & WIRE_TCP_SYN) != 0;
	size_t olen = wire_tcp_opts_len(&t);
	CHECK(olen % 4 == 0 && olen <= 40);
	size_t hlen = WIRE_TCP_HLEN + olen;
	CHECK(wire_tcp_emit(buf, hlen - 1, &t) == 0);
	CHECK(wire_tcp_emit(buf, sizeof(buf), &t) == hlen);
	CHECK(wire_tcp_parse(buf, hlen, &t2) == (int)hlen);
	CHECK(t2.sport == t.sport && t2.dport == t.dport && t2.seq == t.seq &&
	      t2.ack == t.ack && t2.flags == t.flags && t2.win == t.win &&
	      t2.csum == t.csum && t2.urg == t.urg && t2.hlen == hlen);
	CHECK(!t2.opt.malformed);
	CHECK(t2.opt.has_mss == t.opt.has_mss && (!t.opt.has_mss || t2.opt.mss == t.opt.mss));
	CHECK(t2.opt.has_ts == t.opt.has_ts &&
	      (!t.opt.has_ts || (t2.opt.ts_val == t.opt.ts_val && t2.opt.ts_ecr == t.opt.ts_ecr)));
	CHECK(t2.opt.sack_perm == (syn && t.opt.sack_perm));
	CHECK(t2.opt.has_wscale == (syn && t.opt.has_wscale));
	CHECK(!t2.opt.has_wscale || t2.opt.wscale == t.opt.wscale);
	size_t fit = (40 - 4 - (t.opt.has_mss ? 4u : 0u) - (t.opt.has_ts ? 12u : 0u)) / 8;
	size_t nsack = syn ? 0 : t.opt.nsack < fit ? t.opt.nsack : fit;
	CHECK(t2.opt.nsack == nsack);
	for (size_t i = 0; i < nsack; i++)
		CHECK(t2.opt.sack[i].start == t.opt.sack[i].start &&
		      t2.opt.sack[i].end == t.opt.sack[i].end);
	/* Tern's own layout is a fixed point: emit(parse(emit(x))) == emit(x). */
	CHECK(wire_tcp_emit(buf2, sizeof(buf2), &t2) == hlen);
	CHECK(memcmp(buf, buf2, hlen) == 0);

	/* Re-emitted in front of the same payload and checksummed the way the
	 * caller notes in wire_tcp.c say, the segment verifies. */
	size_t plen = n - doff, seglen = hlen + plen;
	if (seglen > 0xffff)
		return;
	memcpy(scratch, buf, hlen);
	memcpy(scratch + hlen, d + doff, plen);
	scratch[16] = scratch[17] = 0;
	uint16_t c = wire_csum_fold(wire_csum_add(
		wire_csum_pseudo(src, dst, WIRE_PROTO_TCP, (uint16_t)seglen), scratch, seglen));
	scratch[16] = (uint8_t)(c >> 8);
	scratch[17] = (uint8_t)c;
	CHECK(wire_tcp_verify(scratch, seglen, src, dst));
	CHECK(!wire_tcp_verify(scratch, seglen, src, dst ^ 1u));
}

/* The stack's order: Ethernet, then ARP or IPv4, then ICMP, UDP or TCP over the
 * IP payload (total length minus header, padding ignored). */
static void
fuzz_layered(const uint8_t *d, size_t n)
{
	struct eth_repr e;
	int rc;
	fuzz_eth(d, n, &e, &rc);
	if (rc < 0)
		return;
	d += WIRE_ETH_HLEN;
	n -= WIRE_ETH_HLEN;
	if (e.ethertype == WIRE_ETHERTYPE_ARP) {
		fuzz_arp(d, n);
		return;
	}
	if (e.ethertype != WIRE_ETHERTYPE_IPV4)
		return;
	struct ipv4_repr ip;
	int hlen = fuzz_ipv4(d, n, &ip);
	if (hlen <= 0)
		return;
	const uint8_t *l4 = d + hlen;
	size_t l4len = ip.total_len - (size_t)hlen;
	/* Only a first fragment carries the transport header. */
	if (ip.frag_off != 0)
		return;
	if (ip.proto == WIRE_PROTO_ICMP) {
		fuzz_icmp(l4, l4len);
		/* Errors quote the offending IP header: parse it like ICMP does. */
		struct ipv4_repr inner;
		if (l4len > WIRE_ICMP_HLEN)
			fuzz_ipv4(l4 + WIRE_ICMP_HLEN, l4len - WIRE_ICMP_HLEN, &inner);
	} else if (ip.proto == WIRE_PROTO_UDP) {
		fuzz_udp(l4, l4len, ip.src, ip.dst);
	} else if (ip.proto == WIRE_PROTO_TCP) {
		fuzz_tcp(l4, l4len, ip.src, ip.dst);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return -1;   /* not added to the corpus */
	struct eth_repr e;
	struct ipv4_repr ip;
	int rc;

	fuzz_csum(data, size);
	/* Each parser on the raw bytes, so none depends on getting past the
	 * layer below it... */
	fuzz_eth(data, size, &e, &rc);
	fuzz_arp(data, size);
	fuzz_ipv4(data, size, &ip);
	fuzz_icmp(data, size);
	fuzz_udp(data, size, 0x0a000002u, 0x0a000001u);
	fuzz_tcp(data, size, 0x0a000002u, 0x0a000001u);
	/* ...and the input as a frame, the way the stack sees it. */
	fuzz_layered(data, size);
	return 0;
}

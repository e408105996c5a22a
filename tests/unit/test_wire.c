/*
 * Unit tests of the pure wire layer (stack/wire_*.c) and the counter table
 * (stack/stats.c): per protocol a good packet, emit/parse round trip,
 * truncated buffers, impossible length fields, and checksum vectors.
 * Links only wire_dep, no DPDK. Run by `meson test --suite unit wire`.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "wire.h"

/* ---- helpers ---- */

/* Copy @p len bytes to a heap block of exactly that size, so a parser that
 * reads past its length trips AddressSanitizer in the sanitizer build. */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, src, len);
	/* A zero-length copy still gets a 1-byte block; make it a byte a
	 * parser would choke on if it read it anyway. */
	if (!len)
		p[0] = 0xa5;
	return p;
}

/* Reference RFC 1071 checksum, written the slow and obvious way so the
 * optimised wire_csum_add() is checked against an independent sum. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
static void fill_random(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

#define IP4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* ---- Internet checksum ---- */

START_TEST(test_csum_rfc1071_example)
{
	/* RFC 1071 3: these bytes sum to 0xddf2 before the complement. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };
	uint32_t s = wire_csum_add(0, b, sizeof(b));

	ck_assert_uint_eq(s, 0xddf2);
	ck_assert_uint_eq(wire_csum_fold(s), 0x220d);
	ck_assert_uint_eq(ref_csum(b, sizeof(b)), 0x220d);
}
END_TEST

START_TEST(test_csum_odd_length)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4 };

	/* The odd trailing byte is the high half of a zero-padded word. */
	ck_assert_uint_eq(wire_csum_add(0, b + 4, 1), 0xf400);
	ck_assert_uint_eq(wire_csum_add(0, b, 3), 0x0001 + 0xf200);
	ck_assert_uint_eq(wire_csum_add(0, b, 5), 0x0001 + 0xf203 + 0xf400 - 0xffff);
	ck_assert_uint_eq(wire_csum_fold(wire_csum_add(0, b, 5)), ref_csum(b, 5));
}
END_TEST

START_TEST(test_csum_matches_reference)
{
	uint8_t buf[1501 + 7];
	size_t len;

	fill_random(buf, sizeof(buf), 7);
	/* Every length 0..1501 covers all residues of the 16/4/2/1-byte
	 * loops, and every start offset 0..7 the unaligned loads; an initial
	 * sum that needs folding checks the carry back in. */
	for (size_t off = 0; off < 8; off++)
		for (len = 0; len + off <= sizeof(buf); len++) {
			ck_assert_msg(wire_csum_fold(wire_csum_add(0, buf + off, len)) ==
				      ref_csum(buf + off, len), "offset %zu length %zu", off, len);
			uint32_t init = 0xfffe;
			uint32_t want = (uint32_t)(uint16_t)~ref_csum(buf + off, len) + init;
			want = (want & 0xffff) + (want >> 16);
			ck_assert_msg(wire_csum_fold(wire_csum_add(init, buf + off, len)) ==
				      (uint16_t)~want, "offset %zu length %zu, initial sum", off, len);
		}
}
END_TEST

START_TEST(test_csum_split_even)
{
	uint8_t buf[1000];
	uint32_t parts;
	uint16_t whole, whole_odd;
	size_t cut1, cut2;

	fill_random(buf, sizeof(buf), 99);
	whole = wire_csum_fold(wire_csum_add(0, buf, sizeof(buf)));
	whole_odd = wire_csum_fold(wire_csum_add(0, buf, sizeof(buf) - 1));
	ck_assert_uint_eq(whole, ref_csum(buf, sizeof(buf)));
	/* Split at every pair of even offsets (2-byte steps exercise the
	 * 4-byte loop out of phase); the last block may be odd. */
	for (cut1 = 0; cut1 <= 64; cut1 += 2) {
		for (cut2 = cut1; cut2 <= 202; cut2 += 2) {
			parts = wire_csum_add(0, buf, cut1);
			parts = wire_csum_add(parts, buf + cut1, cut2 - cut1);
			ck_assert_uint_eq(wire_csum_fold(wire_csum_add(parts,
					  buf + cut2, sizeof(buf) - cut2)), whole);
			ck_assert_uint_eq(wire_csum_fold(wire_csum_add(parts,
					  buf + cut2, sizeof(buf) - 1 - cut2)),
					  whole_odd);
		}
	}
}
END_TEST

START_TEST(test_csum_empty_and_initial)
{
	static const uint8_t b[] = { 0x12, 0x34 };

	ck_assert_uint_eq(wire_csum_fold(wire_csum_add(0x1234, b, 0)),
			  (uint16_t)~0x1234);
	ck_assert_uint_eq(wire_csum_fold(wire_csum_add(0, b, 0)), 0xffff);
	/* A large starting sum keeps its carries: 0xffffffff folds to
	 * 0xffff, negative zero, so adding it changes nothing. */
	ck_assert_uint_eq(wire_csum_fold(wire_csum_add(0xffffffffu, b, 2)),
			  (uint16_t)~0x1234);
	ck_assert_uint_eq(wire_csum_fold(wire_csum_add(0x00010000u, b, 2)),
			  (uint16_t)~0x1235);
}
END_TEST

START_TEST(test_csum_carry)
{
	uint8_t ff[4000];

	/* 2000 words of 0xffff: every addition carries, the sum stays 0xffff
	 * (negative zero) and the stored checksum is 0. */
	memset(ff, 0xff, sizeof(ff));
	ck_assert_uint_eq(wire_csum_add(0, ff, sizeof(ff)), 0xffff);
	ck_assert_uint_eq(wire_csum_fold(wire_csum_add(0, ff, sizeof(ff))), 0);
	ck_assert_uint_eq(wire_csum_fold(0x2fffd), 0);
	ck_assert_uint_eq(wire_csum_fold(0x10000), 0xfffe);
}
END_TEST

START_TEST(test_csum_pseudo)
{
	uint8_t ph[12];
	uint32_t src = IP4(192, 168, 0, 1), dst = IP4(10, 255, 3, 200);

	/* Lay the pseudo header out as RFC 768 draws it and sum the bytes. */
	ph[0] = 192; ph[1] = 168; ph[2] = 0; ph[3] = 1;
	ph[4] = 10; ph[5] = 255; ph[6] = 3; ph[7] = 200;
	ph[8] = 0; ph[9] = WIRE_PROTO_UDP;
	put16(ph + 10, 1234);
	ck_assert_uint_eq(wire_csum_fold(wire_csum_pseudo(src, dst, WIRE_PROTO_UDP, 1234)),
			  ref_csum(ph, sizeof(ph)));
	ck_assert_uint_eq(wire_csum_pseudo(IP4(0, 0, 0, 1), IP4(0, 0, 0, 2), 6, 3),
			  1 + 2 + 6 + 3);
}
END_TEST

/* ---- Ethernet ---- */

static const uint8_t eth_frame[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* dst: broadcast */
	0x02, 0x11, 0x22, 0x33, 0x44, 0x55,	/* src */
	0x08, 0x06,				/* ARP */
};

START_TEST(test_eth_parse_good)
{
	struct eth_repr r;
	uint8_t *b = exact_copy(eth_frame, sizeof(eth_frame));
	static const uint8_t src[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(wire_eth_parse(b, sizeof(eth_frame), &r), WIRE_ETH_HLEN);
	ck_assert_mem_eq(r.dst, eth_frame, 6);
	ck_assert_mem_eq(r.src, src, 6);
	ck_assert_uint_eq(r.ethertype, WIRE_ETHERTYPE_ARP);
	free(b);
}
END_TEST

START_TEST(test_eth_roundtrip)
{
	struct eth_repr in = {
		.dst = { 0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc },
		.src = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
		.ethertype = WIRE_ETHERTYPE_IPV4,
	}, out;
	uint8_t buf[1 + WIRE_ETH_HLEN + 1];

	memset(buf, 0xee, sizeof(buf));
	/* Offset 1: emit and parse must not need alignment. */
	ck_assert_uint_eq(wire_eth_emit(buf + 1, WIRE_ETH_HLEN, &in), WIRE_ETH_HLEN);
	ck_assert_uint_eq(buf[0], 0xee);
	ck_assert_uint_eq(buf[WIRE_ETH_HLEN + 1], 0xee);
	ck_assert_uint_eq(buf[13], 0x08);
	ck_assert_uint_eq(buf[14], 0x00);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(wire_eth_parse(buf + 1, WIRE_ETH_HLEN, &out), WIRE_ETH_HLEN);
	ck_assert_mem_eq(out.dst, in.dst, 6);
	ck_assert_mem_eq(out.src, in.src, 6);
	ck_assert_uint_eq(out.ethertype, in.ethertype);
}
END_TEST

START_TEST(test_eth_truncated)
{
	struct eth_repr r;
	size_t len;

	for (len = 0; len < WIRE_ETH_HLEN; len++) {
		uint8_t *b = exact_copy(eth_frame, len);

		ck_assert_int_eq(wire_eth_parse(b, len, &r), WIRE_E_TRUNCATED);
		free(b);
	}
}
END_TEST

START_TEST(test_eth_emit_small_cap)
{
	struct eth_repr r = { .ethertype = 0x0800 };
	uint8_t buf[WIRE_ETH_HLEN];
	size_t cap;

	for (cap = 0; cap < WIRE_ETH_HLEN; cap++) {
		memset(buf, 0x5a, sizeof(buf));
		ck_assert_uint_eq(wire_eth_emit(buf, cap, &r), 0);
		ck_assert_uint_eq(buf[0], 0x5a);	/* nothing written */
	}
}
END_TEST

START_TEST(test_eth_other_ethertypes_as_found)
{
	uint8_t b[WIRE_ETH_HLEN];
	struct eth_repr r;

	/* 802.1Q tag and an 802.3 length field come back as they are. */
	memcpy(b, eth_frame, sizeof(b));
	b[12] = 0x81; b[13] = 0x00;
	ck_assert_int_eq(wire_eth_parse(b, sizeof(b), &r), WIRE_ETH_HLEN);
	ck_assert_uint_eq(r.ethertype, 0x8100);
	b[12] = 0x00; b[13] = 0x2e;
	ck_assert_int_eq(wire_eth_parse(b, sizeof(b), &r), WIRE_ETH_HLEN);
	ck_assert_uint_eq(r.ethertype, 0x002e);
}
END_TEST

START_TEST(test_mac_broadcast)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t uc[6] = { 0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc };
	uint8_t almost[6];
	int i;

	ck_assert(wire_mac_is_broadcast(bc));
	ck_assert(!wire_mac_is_broadcast(mc));
	ck_assert(!wire_mac_is_broadcast(uc));
	/* Any single byte short of 0xff is not broadcast. */
	for (i = 0; i < 6; i++) {
		memcpy(almost, bc, 6);
		almost[i] = 0xfe;
		ck_assert_msg(!wire_mac_is_broadcast(almost), "byte %d", i);
	}
}
END_TEST

START_TEST(test_mac_multicast)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t v4mc[6] = { 0x01, 0x00, 0x5e, 0x7f, 0x00, 0x01 };
	static const uint8_t v6mc[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t uc[6] = { 0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc };
	static const uint8_t local[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t fe[6] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };

	ck_assert(wire_mac_is_multicast(bc));	/* broadcast is a group */
	ck_assert(wire_mac_is_multicast(v4mc));
	ck_assert(wire_mac_is_multicast(v6mc));
	ck_assert(!wire_mac_is_multicast(uc));
	ck_assert(!wire_mac_is_multicast(local));
	ck_assert(!wire_mac_is_multicast(fe));	/* I/G bit is bit 0 */
}
END_TEST

/* ---- ARP ---- */

/* Who has 192.168.1.1? Tell 192.168.1.100 (from 02:11:22:33:44:55). */
static const uint8_t arp_req[WIRE_ARP_LEN] = {
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 192, 168, 1, 100,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 168, 1, 1,
};

START_TEST(test_arp_parse_good)
{
	static const uint8_t sha[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t zero[6];
	uint8_t *b = exact_copy(arp_req, sizeof(arp_req));
	struct arp_repr r;

	memset(&r, 0xcc, sizeof(r));
	ck_assert_int_eq(wire_arp_parse(b, WIRE_ARP_LEN, &r), WIRE_ARP_LEN);
	ck_assert_uint_eq(r.op, WIRE_ARP_REQUEST);
	ck_assert_mem_eq(r.sha, sha, 6);
	ck_assert_uint_eq(r.spa, IP4(192, 168, 1, 100));
	ck_assert_mem_eq(r.tha, zero, 6);
	ck_assert_uint_eq(r.tpa, IP4(192, 168, 1, 1));
	free(b);
}
END_TEST

START_TEST(test_arp_roundtrip)
{
	struct arp_repr in = {
		.op = WIRE_ARP_REPLY,
		.sha = { 0x00, 0x1b, 0x21, 0x01, 0x02, 0x03 },
		.spa = IP4(10, 0, 0, 1),
		.tha = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
		.tpa = IP4(10, 0, 0, 254),
	}, out;
	uint8_t buf[3 + WIRE_ARP_LEN];

	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(wire_arp_emit(buf + 3, WIRE_ARP_LEN, &in), WIRE_ARP_LEN);
	/* Fixed fields as RFC 826 lays them out. */
	ck_assert_uint_eq(get16(buf + 3), 1);
	ck_assert_uint_eq(get16(buf + 5), 0x0800);
	ck_assert_uint_eq(buf[7], 6);
	ck_assert_uint_eq(buf[8], 4);
	ck_assert_uint_eq(get16(buf + 9), 2);
	ck_assert_uint_eq(buf[3 + 14], 10);
	ck_assert_uint_eq(buf[3 + 27], 254);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(wire_arp_parse(buf + 3, WIRE_ARP_LEN, &out), WIRE_ARP_LEN);
	ck_assert_uint_eq(out.op, in.op);
	ck_assert_mem_eq(out.sha, in.sha, 6);
	ck_assert_uint_eq(out.spa, in.spa);
	ck_assert_mem_eq(out.tha, in.tha, 6);
	ck_assert_uint_eq(out.tpa, in.tpa);
}
END_TEST

START_TEST(test_arp_truncated)
{
	struct arp_repr r;
	size_t len;

	for (len = 0; len < WIRE_ARP_LEN; len++) {
		uint8_t *b = exact_copy(arp_req, len);

		ck_assert_int_eq(wire_arp_parse(b, len, &r), WIRE_E_TRUNCATED);
		free(b);
	}
}
END_TEST

/* Parse arp_req with byte @p off replaced by @p val. */
static int arp_parse_patched(size_t off, uint8_t val)
{
	uint8_t b[WIRE_ARP_LEN];
	struct arp_repr r;

	memcpy(b, arp_req, sizeof(b));
	b[off] = val;
	return wire_arp_parse(b, sizeof(b), &r);
}

START_TEST(test_arp_bad_htype)
{
	ck_assert_int_eq(arp_parse_patched(1, 0x06), WIRE_E_FORMAT); /* IEEE 802 */
	ck_assert_int_eq(arp_parse_patched(1, 0x00), WIRE_E_FORMAT);
	ck_assert_int_eq(arp_parse_patched(0, 0x01), WIRE_E_FORMAT); /* 0x0101 */
}
END_TEST

START_TEST(test_arp_bad_ptype)
{
	ck_assert_int_eq(arp_parse_patched(2, 0x86), WIRE_E_FORMAT); /* 0x8600 */
	ck_assert_int_eq(arp_parse_patched(3, 0xdd), WIRE_E_FORMAT); /* 0x08dd */
	ck_assert_int_eq(arp_parse_patched(3, 0x06), WIRE_E_FORMAT); /* 0x0806 */
}
END_TEST

START_TEST(test_arp_bad_hlen)
{
	ck_assert_int_eq(arp_parse_patched(4, 0), WIRE_E_FORMAT);
	ck_assert_int_eq(arp_parse_patched(4, 8), WIRE_E_FORMAT);
	ck_assert_int_eq(arp_parse_patched(4, 255), WIRE_E_FORMAT);
}
END_TEST

START_TEST(test_arp_bad_plen)
{
	ck_assert_int_eq(arp_parse_patched(5, 0), WIRE_E_FORMAT);
	ck_assert_int_eq(arp_parse_patched(5, 16), WIRE_E_FORMAT);
	ck_assert_int_eq(arp_parse_patched(5, 6), WIRE_E_FORMAT);
}
END_TEST

START_TEST(test_arp_bad_op)
{
	ck_assert_int_eq(arp_parse_patched(7, 0), WIRE_E_FORMAT);
	ck_assert_int_eq(arp_parse_patched(7, 3), WIRE_E_FORMAT);	/* RARP */
	ck_assert_int_eq(arp_parse_patched(7, 4), WIRE_E_FORMAT);
	ck_assert_int_eq(arp_parse_patched(6, 1), WIRE_E_FORMAT);	/* 0x0101 */
	ck_assert_int_eq(arp_parse_patched(7, 2), WIRE_ARP_LEN);	/* reply ok */
}
END_TEST

START_TEST(test_arp_padding_accepted)
{
	/* Ethernet minimum frame: 46 bytes of payload, 18 of them padding. */
	uint8_t b[46];
	struct arp_repr r;

	memset(b, 0xab, sizeof(b));
	memcpy(b, arp_req, sizeof(arp_req));
	ck_assert_int_eq(wire_arp_parse(b, sizeof(b), &r), WIRE_ARP_LEN);
	ck_assert_uint_eq(r.tpa, IP4(192, 168, 1, 1));
}
END_TEST

START_TEST(test_arp_emit_small_cap)
{
	struct arp_repr r = { .op = WIRE_ARP_REQUEST };
	uint8_t buf[WIRE_ARP_LEN];
	size_t cap;

	for (cap = 0; cap < WIRE_ARP_LEN; cap++) {
		memset(buf, 0x5a, sizeof(buf));
		ck_assert_uint_eq(wire_arp_emit(buf, cap, &r), 0);
		ck_assert_uint_eq(buf[0], 0x5a);
	}
}
END_TEST

/* ---- IPv4 ---- */

/* A widely quoted sample header: 192.168.0.1 -> 192.168.0.199, UDP, DF,
 * total length 0x73, checksum 0xb861. Padded to the total length below. */
static const uint8_t ip_hdr[WIRE_IPV4_HLEN] = {
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
	0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
	0xc0, 0xa8, 0x00, 0xc7,
};

/* Recompute the header checksum of @p b in place (test helper). */
static void ip_fix_csum(uint8_t *b)
{
	size_t hlen = (size_t)(b[0] & 0x0f) * 4;

	put16(b + 10, 0);
	put16(b + 10, ref_csum(b, hlen));
}

/* A valid header of @p hlen bytes (NOP options) and total length @p total
 * in @p b, which must hold at least hlen bytes. */
static void ip_build(uint8_t *b, unsigned hlen, uint16_t total)
{
	memcpy(b, ip_hdr, WIRE_IPV4_HLEN);
	memset(b + WIRE_IPV4_HLEN, 0x01, hlen - WIRE_IPV4_HLEN); /* NOP */
	b[0] = (uint8_t)(0x40 | hlen / 4);
	put16(b + 2, total);
	ip_fix_csum(b);
}

START_TEST(test_ipv4_parse_good)
{
	uint8_t full[0x73];
	uint8_t *b;
	struct ipv4_repr r;

	memset(full, 0, sizeof(full));
	memcpy(full, ip_hdr, sizeof(ip_hdr));
	b = exact_copy(full, sizeof(full));
	/* The quoted checksum is right by the reference sum as well. */
	ck_assert_uint_eq(ref_csum(ip_hdr, sizeof(ip_hdr)), 0);
	memset(&r, 0xcc, sizeof(r));
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(full), true, &r), 20);
	ck_assert_uint_eq(r.hlen, 20);
	ck_assert_uint_eq(r.tos, 0);
	ck_assert_uint_eq(r.total_len, 0x73);
	ck_assert_uint_eq(r.id, 0);
	ck_assert(r.df);
	ck_assert(!r.mf);
	ck_assert_uint_eq(r.frag_off, 0);
	ck_assert_uint_eq(r.ttl, 64);
	ck_assert_uint_eq(r.proto, WIRE_PROTO_UDP);
	ck_assert_uint_eq(r.src, IP4(192, 168, 0, 1));
	ck_assert_uint_eq(r.dst, IP4(192, 168, 0, 199));
	free(b);
}
END_TEST

START_TEST(test_ipv4_roundtrip)
{
	struct ipv4_repr in = {
		.hlen = 20, .tos = 0xb8, .total_len = 1500, .id = 0xbeef,
		.df = false, .mf = true, .frag_off = 1480, .ttl = 1,
		.proto = WIRE_PROTO_ICMP, .src = IP4(10, 1, 2, 3),
		.dst = IP4(172, 16, 254, 1),
	}, out;
	uint8_t buf[1 + 1500];

	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(wire_ipv4_emit(buf + 1, 1500, &in, true), 20);
	ck_assert_uint_eq(buf[1], 0x45);
	ck_assert_uint_eq(get16(buf + 1 + 6), WIRE_IP_MF | 1480 / 8);
	ck_assert_uint_eq(ref_csum(buf + 1, 20), 0);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(wire_ipv4_parse(buf + 1, 1500, true, &out), 20);
	ck_assert_uint_eq(out.hlen, 20);
	ck_assert_uint_eq(out.tos, in.tos);
	ck_assert_uint_eq(out.total_len, in.total_len);
	ck_assert_uint_eq(out.id, in.id);
	ck_assert_int_eq(out.df, in.df);
	ck_assert_int_eq(out.mf, in.mf);
	ck_assert_uint_eq(out.frag_off, in.frag_off);
	ck_assert_uint_eq(out.ttl, in.ttl);
	ck_assert_uint_eq(out.proto, in.proto);
	ck_assert_uint_eq(out.src, in.src);
	ck_assert_uint_eq(out.dst, in.dst);

	/* Same with DF only and offset 0. */
	in.df = true;
	in.mf = false;
	in.frag_off = 0;
	in.total_len = 20;
	ck_assert_uint_eq(wire_ipv4_emit(buf, 20, &in, true), 20);
	ck_assert_uint_eq(get16(buf + 6), WIRE_IP_DF);
	ck_assert_int_eq(wire_ipv4_parse(buf, 20, true, &out), 20);
	ck_assert(out.df);
	ck_assert(!out.mf);
	ck_assert_uint_eq(out.frag_off, 0);
}
END_TEST

START_TEST(test_ipv4_emit_no_csum)
{
	struct ipv4_repr in = {
		.total_len = 20, .ttl = 64, .proto = WIRE_PROTO_TCP,
		.src = IP4(10, 0, 0, 1), .dst = IP4(10, 0, 0, 2),
	}, out;
	uint8_t buf[20];

	memset(buf, 0xff, sizeof(buf));
	ck_assert_uint_eq(wire_ipv4_emit(buf, sizeof(buf), &in, false), 20);
	/* Left zero for the NIC to fill (offload). */
	ck_assert_uint_eq(get16(buf + 10), 0);
	ck_assert_int_eq(wire_ipv4_parse(buf, sizeof(buf), true, &out), WIRE_E_CSUM);
	ck_assert_int_eq(wire_ipv4_parse(buf, sizeof(buf), false, &out), 20);
	ck_assert_uint_eq(out.src, in.src);
}
END_TEST

START_TEST(test_ipv4_emit_ignores_hlen)
{
	struct ipv4_repr in = { .hlen = 24, .total_len = 24, .ttl = 9 };
	uint8_t buf[24];

	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(wire_ipv4_emit(buf, sizeof(buf), &in, true), 20);
	ck_assert_uint_eq(buf[0], 0x45);
}
END_TEST

START_TEST(test_ipv4_emit_small_cap)
{
	struct ipv4_repr in = { .total_len = 20 };
	uint8_t buf[20];
	size_t cap;

	for (cap = 0; cap < 20; cap++) {
		memset(buf, 0x5a, sizeof(buf));
		ck_assert_uint_eq(wire_ipv4_emit(buf, cap, &in, true), 0);
		ck_assert_uint_eq(buf[0], 0x5a);
	}
}
END_TEST

START_TEST(test_ipv4_truncated)
{
	struct ipv4_repr r;
	size_t len;

	for (len = 0; len < WIRE_IPV4_HLEN; len++) {
		uint8_t *b = exact_copy(ip_hdr, len);

		ck_assert_int_eq(wire_ipv4_parse(b, len, true, &r), WIRE_E_TRUNCATED);
		ck_assert_int_eq(wire_ipv4_parse(b, len, false, &r), WIRE_E_TRUNCATED);
		free(b);
	}
}
END_TEST

START_TEST(test_ipv4_bad_version)
{
	static const uint8_t versions[] = { 0, 1, 5, 6, 15 };
	struct ipv4_repr r;
	uint8_t b[20];
	size_t i;

	for (i = 0; i < sizeof(versions); i++) {
		ip_build(b, 20, 20);
		b[0] = (uint8_t)(versions[i] << 4 | 5);
		ip_fix_csum(b);
		ck_assert_int_eq(wire_ipv4_parse(b, 20, true, &r), WIRE_E_VERSION);
	}
}
END_TEST

START_TEST(test_ipv4_ihl_below_5)
{
	struct ipv4_repr r;
	uint8_t b[20];
	unsigned ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		ip_build(b, 20, 20);
		b[0] = (uint8_t)(0x40 | ihl);
		ck_assert_int_eq(wire_ipv4_parse(b, 20, false, &r), WIRE_E_IHL);
	}
}
END_TEST

START_TEST(test_ipv4_ihl_beyond_len)
{
	uint8_t full[60];
	struct ipv4_repr r;
	size_t len;

	/* IHL 15 (60 bytes) with every buffer length from 20 to 59. */
	ip_build(full, 60, 60);
	for (len = 20; len < 60; len++) {
		uint8_t *b = exact_copy(full, len);

		ck_assert_int_eq(wire_ipv4_parse(b, len, false, &r), WIRE_E_IHL);
		free(b);
	}
	ck_assert_int_eq(wire_ipv4_parse(full, 60, true, &r), 60);
}
END_TEST

START_TEST(test_ipv4_total_below_hlen)
{
	uint8_t b[64];
	struct ipv4_repr r;
	uint16_t total;

	for (total = 0; total < 24; total++) {
		ip_build(b, 24, total);
		ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), WIRE_E_LENGTH);
	}
	ip_build(b, 24, 24);
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), 24);
}
END_TEST

START_TEST(test_ipv4_total_beyond_len)
{
	uint8_t b[100];
	struct ipv4_repr r;

	memset(b, 0, sizeof(b));
	ip_build(b, 20, 101);
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), WIRE_E_LENGTH);
	ip_build(b, 20, 0xffff);
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), WIRE_E_LENGTH);
	ip_build(b, 20, 100);
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), 20);
	ck_assert_uint_eq(r.total_len, 100);
}
END_TEST

START_TEST(test_ipv4_bad_csum)
{
	uint8_t b[0x73];
	struct ipv4_repr r;
	size_t i;

	/* A flipped bit anywhere the length checks do not look at is caught
	 * by the checksum alone; bytes 0 and 2-3 are checked before it. */
	memset(b, 0, sizeof(b));
	for (i = 1; i < 20; i++) {
		if (i == 2 || i == 3)
			continue;
		memcpy(b, ip_hdr, sizeof(ip_hdr));
		b[i] ^= 0x10;
		ck_assert_msg(wire_ipv4_parse(b, sizeof(b), true, &r) == WIRE_E_CSUM,
			      "byte %zu", i);
		ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), false, &r), 20);
	}
	/* The stored 0 of a header whose checksum is not filled. */
	memcpy(b, ip_hdr, sizeof(ip_hdr));
	put16(b + 10, 0);
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), WIRE_E_CSUM);
	/* The payload is not covered by the header checksum. */
	memcpy(b, ip_hdr, sizeof(ip_hdr));
	b[40] = 0xff;
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), 20);
}
END_TEST

START_TEST(test_ipv4_options_in_csum)
{
	uint8_t b[28];
	struct ipv4_repr r;

	/* The checksum covers the options: break one and it fails. */
	ip_build(b, 28, 28);
	ck_assert_int_eq(wire_ipv4_parse(b, 28, true, &r), 28);
	b[25] = 0x00;	/* NOP -> EOL, checksum not updated */
	ck_assert_int_eq(wire_ipv4_parse(b, 28, true, &r), WIRE_E_CSUM);
}
END_TEST

START_TEST(test_ipv4_padding_accepted)
{
	uint8_t b[46];
	struct ipv4_repr r;

	/* A 28-byte ICMP echo in a minimum Ethernet frame: 18 bytes of pad. */
	memset(b, 0xaa, sizeof(b));
	ip_build(b, 20, 28);
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), 20);
	ck_assert_uint_eq(r.total_len, 28);
}
END_TEST

START_TEST(test_ipv4_options_skipped)
{
	uint8_t b[40];
	struct ipv4_repr r;

	memset(b, 0, sizeof(b));
	ip_build(b, 24, 40);
	b[20] = 0x94; b[21] = 0x04; b[22] = 0; b[23] = 0; /* Router Alert */
	ip_fix_csum(b);
	ck_assert_int_eq(wire_ipv4_parse(b, sizeof(b), true, &r), 24);
	ck_assert_uint_eq(r.hlen, 24);
	ck_assert_uint_eq(r.total_len, 40);
	ck_assert_uint_eq(r.src, IP4(192, 168, 0, 1));
	ck_assert_uint_eq(r.dst, IP4(192, 168, 0, 199));
}
END_TEST

START_TEST(test_ipv4_frag_off_bytes)
{
	uint8_t b[20];
	struct ipv4_repr r;

	ip_build(b, 20, 20);
	put16(b + 6, WIRE_IP_OFFMASK);	/* largest offset, no flags */
	ip_fix_csum(b);
	ck_assert_int_eq(wire_ipv4_parse(b, 20, true, &r), 20);
	ck_assert_uint_eq(r.frag_off, 8191 * 8);
	ck_assert(!r.df);
	ck_assert(!r.mf);

	put16(b + 6, WIRE_IP_MF | 1);
	ip_fix_csum(b);
	ck_assert_int_eq(wire_ipv4_parse(b, 20, true, &r), 20);
	ck_assert_uint_eq(r.frag_off, 8);
	ck_assert(r.mf);
	ck_assert(!r.df);
}
END_TEST

START_TEST(test_ipv4_martian_src)
{
	/* 0.0.0.0 is a legal source (DHCP); the rest of 0/8 is not. */
	ck_assert(!wire_ipv4_is_martian_src(IP4(0, 0, 0, 0)));
	ck_assert(wire_ipv4_is_martian_src(IP4(0, 0, 0, 1)));
	ck_assert(wire_ipv4_is_martian_src(IP4(0, 255, 255, 255)));
	ck_assert(wire_ipv4_is_martian_src(IP4(127, 0, 0, 1)));
	ck_assert(wire_ipv4_is_martian_src(IP4(127, 255, 255, 255)));
	ck_assert(wire_ipv4_is_martian_src(IP4(224, 0, 0, 1)));
	ck_assert(wire_ipv4_is_martian_src(IP4(239, 255, 255, 255)));
	ck_assert(wire_ipv4_is_martian_src(IP4(240, 0, 0, 1)));
	ck_assert(wire_ipv4_is_martian_src(IP4(255, 255, 255, 255)));
	ck_assert(!wire_ipv4_is_martian_src(IP4(1, 0, 0, 0)));
	ck_assert(!wire_ipv4_is_martian_src(IP4(10, 0, 0, 1)));
	ck_assert(!wire_ipv4_is_martian_src(IP4(126, 255, 255, 255)));
	ck_assert(!wire_ipv4_is_martian_src(IP4(128, 0, 0, 0)));
	ck_assert(!wire_ipv4_is_martian_src(IP4(223, 255, 255, 255)));
}
END_TEST

START_TEST(test_ipv4_multicast)
{
	ck_assert(wire_ipv4_is_multicast(IP4(224, 0, 0, 0)));
	ck_assert(wire_ipv4_is_multicast(IP4(224, 0, 0, 251)));
	ck_assert(wire_ipv4_is_multicast(IP4(239, 255, 255, 255)));
	ck_assert(!wire_ipv4_is_multicast(IP4(223, 255, 255, 255)));
	ck_assert(!wire_ipv4_is_multicast(IP4(240, 0, 0, 0)));
	ck_assert(!wire_ipv4_is_multicast(IP4(255, 255, 255, 255)));
	ck_assert(!wire_ipv4_is_multicast(IP4(0, 0, 0, 0)));
	ck_assert(!wire_ipv4_is_multicast(IP4(10, 0, 0, 1)));
}
END_TEST

/* ---- ICMP ---- */

/* An echo request, id 0x1234 seq 7, with @p plen payload bytes; the
 * checksum is filled by the reference sum. Returns the message length. */
static size_t icmp_build_echo(uint8_t *b, size_t plen)
{
	size_t i;

	b[0] = WIRE_ICMP_ECHO;
	b[1] = 0;
	put16(b + 2, 0);
	put16(b + 4, 0x1234);
	put16(b + 6, 7);
	for (i = 0; i < plen; i++)
		b[8 + i] = (uint8_t)('a' + i % 23);
	put16(b + 2, ref_csum(b, 8 + plen));
	return 8 + plen;
}

START_TEST(test_icmp_parse_good)
{
	uint8_t msg[8 + 32];
	size_t len = icmp_build_echo(msg, 32);
	uint8_t *b = exact_copy(msg, len);
	struct icmp_repr r;

	memset(&r, 0xcc, sizeof(r));
	ck_assert_int_eq(wire_icmp_parse(b, len, true, &r), WIRE_ICMP_HLEN);
	ck_assert_uint_eq(r.type, WIRE_ICMP_ECHO);
	ck_assert_uint_eq(r.code, 0);
	ck_assert_uint_eq(r.rest, 0x12340007u);
	free(b);
}
END_TEST

START_TEST(test_icmp_roundtrip)
{
	struct icmp_repr in = {
		.type = WIRE_ICMP_UNREACH, .code = WIRE_ICMP_UNREACH_NEEDFRAG,
		.rest = 1400,	/* next-hop MTU, RFC 1191 */
	}, out;
	uint8_t msg[1 + 8 + 28];

	fill_random(msg, sizeof(msg), 3);
	ck_assert_uint_eq(wire_icmp_emit(msg + 1, 8, &in), 8);
	ck_assert_uint_eq(get16(msg + 1 + 2), 0);	/* left for the caller */
	wire_icmp_set_csum(msg + 1, wire_csum_fold(wire_csum_add(0, msg + 1, 36)));
	ck_assert_uint_eq(ref_csum(msg + 1, 36), 0);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(wire_icmp_parse(msg + 1, 36, true, &out), 8);
	ck_assert_uint_eq(out.type, in.type);
	ck_assert_uint_eq(out.code, in.code);
	ck_assert_uint_eq(out.rest, in.rest);
	ck_assert_uint_eq(get16(msg + 1 + 6), 1400);
}
END_TEST

START_TEST(test_icmp_csum_covers_payload)
{
	uint8_t msg[8 + 56];
	size_t len = icmp_build_echo(msg, 56);
	struct icmp_repr r;
	size_t i;

	ck_assert_int_eq(wire_icmp_parse(msg, len, true, &r), 8);
	/* Any payload bit counts, not just the header. */
	for (i = 0; i < len; i++) {
		msg[i] ^= 0x01;
		ck_assert_msg(wire_icmp_parse(msg, len, true, &r) == WIRE_E_CSUM,
			      "byte %zu", i);
		ck_assert_int_eq(wire_icmp_parse(msg, len, false, &r), 8);
		msg[i] ^= 0x01;
	}
}
END_TEST

START_TEST(test_icmp_odd_payload)
{
	uint8_t msg[8 + 13];
	size_t len = icmp_build_echo(msg, 13);
	struct icmp_repr r;

	ck_assert_int_eq(wire_icmp_parse(msg, len, true, &r), 8);
	msg[len - 1] ^= 0x80;
	ck_assert_int_eq(wire_icmp_parse(msg, len, true, &r), WIRE_E_CSUM);
}
END_TEST

START_TEST(test_icmp_truncated)
{
	uint8_t msg[8];
	struct icmp_repr r;
	size_t len;

	icmp_build_echo(msg, 0);
	for (len = 0; len < WIRE_ICMP_HLEN; len++) {
		uint8_t *b = exact_copy(msg, len);

		ck_assert_int_eq(wire_icmp_parse(b, len, true, &r), WIRE_E_TRUNCATED);
		ck_assert_int_eq(wire_icmp_parse(b, len, false, &r), WIRE_E_TRUNCATED);
		free(b);
	}
	ck_assert_int_eq(wire_icmp_parse(msg, 8, true, &r), 8);
}
END_TEST

START_TEST(test_icmp_emit_small_cap)
{
	struct icmp_repr in = { .type = WIRE_ICMP_ECHO_REPLY };
	uint8_t buf[8];
	size_t cap;

	for (cap = 0; cap < 8; cap++) {
		memset(buf, 0x5a, sizeof(buf));
		ck_assert_uint_eq(wire_icmp_emit(buf, cap, &in), 0);
		ck_assert_uint_eq(buf[0], 0x5a);
	}
}
END_TEST

/* ---- UDP ---- */

#define UDP_SRC IP4(192, 0, 2, 1)
#define UDP_DST IP4(198, 51, 100, 7)

/* A datagram 5353 -> 53 with @p plen payload bytes and a checksum computed
 * by the reference sum over the laid-out pseudo header. */
static size_t udp_build(uint8_t *b, size_t plen, uint32_t seed)
{
	uint8_t tmp[12 + 8 + 1500];
	size_t len = 8 + plen;
	uint16_t c;

	ck_assert_uint_le(plen, 1500);
	put16(b, 5353);
	put16(b + 2, 53);
	put16(b + 4, (uint16_t)len);
	put16(b + 6, 0);
	fill_random(b + 8, plen, seed);
	tmp[0] = 192; tmp[1] = 0; tmp[2] = 2; tmp[3] = 1;
	tmp[4] = 198; tmp[5] = 51; tmp[6] = 100; tmp[7] = 7;
	tmp[8] = 0; tmp[9] = WIRE_PROTO_UDP;
	put16(tmp + 10, (uint16_t)len);
	memcpy(tmp + 12, b, len);
	c = ref_csum(tmp, 12 + len);
	put16(b + 6, c ? c : 0xffff);
	return len;
}

START_TEST(test_udp_parse_good)
{
	uint8_t dgram[8 + 21];
	size_t len = udp_build(dgram, 21, 5);
	uint8_t *b = exact_copy(dgram, len);
	struct udp_repr r;

	memset(&r, 0xcc, sizeof(r));
	ck_assert_int_eq(wire_udp_parse(b, len, &r), WIRE_UDP_HLEN);
	ck_assert_uint_eq(r.sport, 5353);
	ck_assert_uint_eq(r.dport, 53);
	ck_assert_uint_eq(r.len, 29);
	ck_assert_uint_eq(r.csum, get16(dgram + 6));
	ck_assert(wire_udp_verify(b, &r, UDP_SRC, UDP_DST));
	free(b);
}
END_TEST

START_TEST(test_udp_roundtrip)
{
	struct udp_repr in = { .sport = 1, .dport = 65535, .len = 8 + 100,
			       .csum = 0 }, out;
	uint8_t buf[1 + 108];
	uint32_t sum;
	uint16_t c;

	fill_random(buf, sizeof(buf), 11);
	ck_assert_uint_eq(wire_udp_emit(buf + 1, 8, &in), 8);
	/* The way an output path fills it (see wire_udp_emit's notes). */
	sum = wire_csum_pseudo(UDP_SRC, UDP_DST, WIRE_PROTO_UDP, in.len);
	c = wire_csum_fold(wire_csum_add(sum, buf + 1, in.len));
	in.csum = c ? c : 0xffff;
	ck_assert_uint_eq(wire_udp_emit(buf + 1, 8, &in), 8);
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(wire_udp_parse(buf + 1, 108, &out), 8);
	ck_assert_uint_eq(out.sport, in.sport);
	ck_assert_uint_eq(out.dport, in.dport);
	ck_assert_uint_eq(out.len, in.len);
	ck_assert_uint_eq(out.csum, in.csum);
	ck_assert(wire_udp_verify(buf + 1, &out, UDP_SRC, UDP_DST));
	ck_assert_uint_eq(get16(buf + 1), 1);
	ck_assert_uint_eq(get16(buf + 3), 65535);
}
END_TEST

START_TEST(test_udp_truncated)
{
	uint8_t dgram[8];
	struct udp_repr r;
	size_t len;

	udp_build(dgram, 0, 1);
	for (len = 0; len < WIRE_UDP_HLEN; len++) {
		uint8_t *b = exact_copy(dgram, len);

		ck_assert_int_eq(wire_udp_parse(b, len, &r), WIRE_E_TRUNCATED);
		free(b);
	}
	ck_assert_int_eq(wire_udp_parse(dgram, 8, &r), 8);
	ck_assert_uint_eq(r.len, 8);
}
END_TEST

START_TEST(test_udp_len_below_8)
{
	uint8_t dgram[8 + 16];
	struct udp_repr r;
	uint16_t l;

	udp_build(dgram, 16, 2);
	for (l = 0; l < 8; l++) {
		put16(dgram + 4, l);
		ck_assert_int_eq(wire_udp_parse(dgram, sizeof(dgram), &r), WIRE_E_LENGTH);
	}
}
END_TEST

START_TEST(test_udp_len_beyond_buffer)
{
	uint8_t dgram[8 + 16];
	struct udp_repr r;

	udp_build(dgram, 16, 2);
	put16(dgram + 4, 25);
	ck_assert_int_eq(wire_udp_parse(dgram, sizeof(dgram), &r), WIRE_E_LENGTH);
	put16(dgram + 4, 0xffff);
	ck_assert_int_eq(wire_udp_parse(dgram, sizeof(dgram), &r), WIRE_E_LENGTH);
	/* The caller passes the IP payload length: a shorter one fails too. */
	put16(dgram + 4, 24);
	ck_assert_int_eq(wire_udp_parse(dgram, 23, &r), WIRE_E_LENGTH);
	ck_assert_int_eq(wire_udp_parse(dgram, 24, &r), 8);
}
END_TEST

START_TEST(test_udp_len_shorter_than_buffer)
{
	uint8_t buf[8 + 30];
	struct udp_repr r;

	/* UDP length 18 inside a 38-byte IP payload: accepted, r.len rules. */
	memset(buf, 0x77, sizeof(buf));
	udp_build(buf, 10, 4);
	ck_assert_int_eq(wire_udp_parse(buf, sizeof(buf), &r), 8);
	ck_assert_uint_eq(r.len, 18);
	ck_assert(wire_udp_verify(buf, &r, UDP_SRC, UDP_DST));
}
END_TEST

START_TEST(test_udp_verify_bad)
{
	uint8_t dgram[8 + 33];
	size_t len = udp_build(dgram, 33, 9), i;
	struct udp_repr r;

	ck_assert_int_eq(wire_udp_parse(dgram, len, &r), 8);
	ck_assert(wire_udp_verify(dgram, &r, UDP_SRC, UDP_DST));
	/* The pseudo header counts: wrong addresses fail. */
	ck_assert(!wire_udp_verify(dgram, &r, UDP_SRC + 1, UDP_DST));
	ck_assert(!wire_udp_verify(dgram, &r, UDP_SRC, IP4(198, 51, 100, 8)));
	/* Every byte counts, the odd last one too. */
	for (i = 0; i < len; i++) {
		dgram[i] ^= 0x40;
		ck_assert_msg(!wire_udp_verify(dgram, &r, UDP_SRC, UDP_DST),
			      "byte %zu", i);
		dgram[i] ^= 0x40;
	}
	/* The sum covers the field in the buffer; r->csum only says whether
	 * there is one, so a repr with a different non-zero value changes
	 * nothing. */
	r.csum ^= 0x0100;
	ck_assert(wire_udp_verify(dgram, &r, UDP_SRC, UDP_DST));
}
END_TEST

START_TEST(test_udp_verify_zero_passes)
{
	uint8_t dgram[8 + 20];
	size_t len = udp_build(dgram, 20, 6);
	struct udp_repr r;

	put16(dgram + 6, 0);
	dgram[10] ^= 0xff;	/* garbage payload is not checked */
	ck_assert_int_eq(wire_udp_parse(dgram, len, &r), 8);
	ck_assert_uint_eq(r.csum, 0);
	ck_assert(wire_udp_verify(dgram, &r, UDP_SRC, UDP_DST));
}
END_TEST

START_TEST(test_udp_verify_ffff)
{
	uint8_t dgram[8 + 20];
	struct udp_repr r;
	uint32_t sum;
	uint16_t s16;

	/* Make a datagram whose checksum computes to 0: with the field at 0,
	 * the one's-complement sum must be 0xffff. Adjust the last payload
	 * word so it is, then store 0xffff as RFC 768 says. */
	udp_build(dgram, 20, 8);
	put16(dgram + 6, 0);
	put16(dgram + 26, 0);
	sum = wire_csum_pseudo(UDP_SRC, UDP_DST, WIRE_PROTO_UDP, 28);
	s16 = (uint16_t)~wire_csum_fold(wire_csum_add(sum, dgram, 28));
	put16(dgram + 26, (uint16_t)(0xffff - s16));
	ck_assert_uint_eq(wire_csum_fold(wire_csum_add(sum, dgram, 28)), 0);
	put16(dgram + 6, 0xffff);
	ck_assert_int_eq(wire_udp_parse(dgram, 28, &r), 8);
	ck_assert_uint_eq(r.csum, 0xffff);
	ck_assert(wire_udp_verify(dgram, &r, UDP_SRC, UDP_DST));
	dgram[9] ^= 1;
	ck_assert(!wire_udp_verify(dgram, &r, UDP_SRC, UDP_DST));
}
END_TEST

START_TEST(test_udp_emit_small_cap)
{
	struct udp_repr in = { .sport = 7, .len = 8 };
	uint8_t buf[8];
	size_t cap;

	for (cap = 0; cap < 8; cap++) {
		memset(buf, 0x5a, sizeof(buf));
		ck_assert_uint_eq(wire_udp_emit(buf, cap, &in), 0);
		ck_assert_uint_eq(buf[0], 0x5a);
	}
}
END_TEST

/* ---- counters ---- */

START_TEST(test_stats_count)
{
#define COUNT_ONE(name, desc) + 1
	const unsigned listed = 0 TERN_STATS_LIST(COUNT_ONE);
#undef COUNT_ONE
	unsigned i;

	ck_assert_uint_eq(TERN_STATS_COUNT, listed);
	for (i = 0; i < TERN_STATS_COUNT; i++) {
		ck_assert_ptr_nonnull(tern_stats_name(i));
		ck_assert_ptr_nonnull(tern_stats_desc(i));
		ck_assert_uint_gt(strlen(tern_stats_desc(i)), 0);
	}
	ck_assert_ptr_null(tern_stats_name(TERN_STATS_COUNT));
	ck_assert_ptr_null(tern_stats_desc(TERN_STATS_COUNT));
}
END_TEST

START_TEST(test_stats_names_unique)
{
	unsigned i, j;

	for (i = 0; i < TERN_STATS_COUNT; i++)
		for (j = i + 1; j < TERN_STATS_COUNT; j++)
			ck_assert_str_ne(tern_stats_name(i), tern_stats_name(j));
	ck_assert_str_eq(tern_stats_name(0), "rx_frames");
}
END_TEST

START_TEST(test_stats_get_and_by_name)
{
	struct tern_stats s;
	uint64_t vals[TERN_STATS_COUNT];
	unsigned i;

	/* Distinct values in every slot: a wrong offset or name shows. */
	for (i = 0; i < TERN_STATS_COUNT; i++)
		vals[i] = 1000 + i * 0x100000001ull;
	memcpy(&s, vals, sizeof(s));
	for (i = 0; i < TERN_STATS_COUNT; i++) {
		ck_assert_uint_eq(tern_stats_get(&s, i), vals[i]);
		ck_assert_uint_eq(tern_stats_by_name(&s, tern_stats_name(i)), vals[i]);
	}
	ck_assert_uint_eq(tern_stats_by_name(&s, "ip_bad_csum"), s.ip_bad_csum);
	ck_assert_uint_eq(tern_stats_by_name(&s, "req_bad"), s.req_bad);
	ck_assert_uint_eq(tern_stats_by_name(&s, "no_such_counter"), UINT64_MAX);
	ck_assert_uint_eq(tern_stats_by_name(&s, ""), UINT64_MAX);
	ck_assert_uint_eq(tern_stats_by_name(&s, "ip_bad"), UINT64_MAX);
	ck_assert_uint_eq(tern_stats_get(&s, TERN_STATS_COUNT), 0);
}
END_TEST

START_TEST(test_stats_print)
{
	struct tern_stats s;
	char *out = NULL;
	size_t size = 0;
	FILE *f;
	char name[64];
	unsigned long long v;
	int lines = 0, n;
	const char *p;

	memset(&s, 0, sizeof(s));
	s.rx_frames = 12;
	s.udp_bad_csum = 3;
	s.req_bad = 18446744073709551615ull;
	f = open_memstream(&out, &size);
	ck_assert_ptr_nonnull(f);
	tern_stats_print(f, &s);
	fclose(f);
	/* Only the non-zero counters, "name value" one per line, in order. */
	for (p = out; *p; p = strchr(p, '\n') + 1) {
		ck_assert_int_eq(sscanf(p, "%63s %llu%n", name, &v, &n), 2);
		ck_assert_uint_eq(tern_stats_by_name(&s, name), v);
		ck_assert_uint_ne(v, 0);
		ck_assert_int_eq(p[n], '\n');
		lines++;
	}
	ck_assert_int_eq(lines, 3);
	ck_assert_ptr_eq(strstr(out, "rx_frames"), out);
	ck_assert_ptr_nonnull(strstr(out, "udp_bad_csum"));
	free(out);

	memset(&s, 0, sizeof(s));
	out = NULL;
	f = open_memstream(&out, &size);
	tern_stats_print(f, &s);
	fclose(f);
	ck_assert_uint_eq(size, 0);
	free(out);
}
END_TEST

/* ---- runner ---- */

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc;

	tc = tcase_create("csum");
	tcase_add_test(tc, test_csum_rfc1071_example);
	tcase_add_test(tc, test_csum_odd_length);
	tcase_add_test(tc, test_csum_matches_reference);
	tcase_add_test(tc, test_csum_split_even);
	tcase_add_test(tc, test_csum_empty_and_initial);
	tcase_add_test(tc, test_csum_carry);
	tcase_add_test(tc, test_csum_pseudo);
	suite_add_tcase(s, tc);

	tc = tcase_create("eth");
	tcase_add_test(tc, test_eth_parse_good);
	tcase_add_test(tc, test_eth_roundtrip);
	tcase_add_test(tc, test_eth_truncated);
	tcase_add_test(tc, test_eth_emit_small_cap);
	tcase_add_test(tc, test_eth_other_ethertypes_as_found);
	tcase_add_test(tc, test_mac_broadcast);
	tcase_add_test(tc, test_mac_multicast);
	suite_add_tcase(s, tc);

	tc = tcase_create("arp");
	tcase_add_test(tc, test_arp_parse_good);
	tcase_add_test(tc, test_arp_roundtrip);
	tcase_add_test(tc, test_arp_truncated);
	tcase_add_test(tc, test_arp_bad_htype);
	tcase_add_test(tc, test_arp_bad_ptype);
	tcase_add_test(tc, test_arp_bad_hlen);
	tcase_add_test(tc, test_arp_bad_plen);
	tcase_add_test(tc, test_arp_bad_op);
	tcase_add_test(tc, test_arp_padding_accepted);
	tcase_add_test(tc, test_arp_emit_small_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("ipv4");
	tcase_add_test(tc, test_ipv4_parse_good);
	tcase_add_test(tc, test_ipv4_roundtrip);
	tcase_add_test(tc, test_ipv4_emit_no_csum);
	tcase_add_test(tc, test_ipv4_emit_ignores_hlen);
	tcase_add_test(tc, test_ipv4_emit_small_cap);
	tcase_add_test(tc, test_ipv4_truncated);
	tcase_add_test(tc, test_ipv4_bad_version);
	tcase_add_test(tc, test_ipv4_ihl_below_5);
	tcase_add_test(tc, test_ipv4_ihl_beyond_len);
	tcase_add_test(tc, test_ipv4_total_below_hlen);
	tcase_add_test(tc, test_ipv4_total_beyond_len);
	tcase_add_test(tc, test_ipv4_bad_csum);
	tcase_add_test(tc, test_ipv4_options_in_csum);
	tcase_add_test(tc, test_ipv4_padding_accepted);
	tcase_add_test(tc, test_ipv4_options_skipped);
	tcase_add_test(tc, test_ipv4_frag_off_bytes);
	tcase_add_test(tc, test_ipv4_martian_src);
	tcase_add_test(tc, test_ipv4_multicast);
	suite_add_tcase(s, tc);

	tc = tcase_create("icmp");
	tcase_add_test(tc, test_icmp_parse_good);
	tcase_add_test(tc, test_icmp_roundtrip);
	tcase_add_test(tc, test_icmp_csum_covers_payload);
	tcase_add_test(tc, test_icmp_odd_payload);
	tcase_add_test(tc, test_icmp_truncated);
	tcase_add_test(tc, test_icmp_emit_small_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("udp");
	tcase_add_test(tc, test_udp_parse_good);
	tcase_add_test(tc, test_udp_roundtrip);
	tcase_add_test(tc, test_udp_truncated);
	tcase_add_test(tc, test_udp_len_below_8);
	tcase_add_test(tc, test_udp_len_beyond_buffer);
	tcase_add_test(tc, test_udp_len_shorter_than_buffer);
	tcase_add_test(tc, test_udp_verify_bad);
	tcase_add_test(tc, test_udp_verify_zero_passes);
	tcase_add_test(tc, test_udp_verify_ffff);
	tcase_add_test(tc, test_udp_emit_small_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_add_test(tc, test_stats_count);
	tcase_add_test(tc, test_stats_names_unique);
	tcase_add_test(tc, test_stats_get_and_by_name);
	tcase_add_test(tc, test_stats_print);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(wire_suite());
	int failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}

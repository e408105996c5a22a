/*
 * Unit tests of the TCP wire code (stack/wire_tcp.c): header parse, truncated
 * and impossible data offsets, each option alone and malformed, Linux's
 * option layout byte for byte, emit/parse round trips over every option
 * combination, and checksum verification. Links only wire_dep, no DPDK.
 * Run by `meson test wire_tcp`.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	else
		p[0] = 0xa5;
	return p;
}

/* Parse @p len bytes from an exact-size copy. */
static int parse_exact(const uint8_t *src, size_t len, struct tcp_repr *out)
{
	uint8_t *p = exact_copy(src, len);
	int rc = wire_tcp_parse(p, len, out);

	free(p);
	return rc;
}

/* A fixed header followed by @p olen option bytes (a multiple of 4), the
 * data offset set to cover them. @return the header length. */
static size_t build_seg(uint8_t *buf, const uint8_t *opts, size_t olen)
{
	static const uint8_t fixed[WIRE_TCP_HLEN] = {
		0x9c, 0x40, 0x00, 0x50,   /* sport 40000, dport 80 */
		0x01, 0x02, 0x03, 0x04,   /* seq */
		0xa1, 0xb2, 0xc3, 0xd4,   /* ack */
		0x50, 0x12,               /* doff 5, SYN|ACK */
		0xfa, 0xf0,               /* window */
		0xbe, 0xef,               /* checksum */
		0x00, 0x07,               /* urgent pointer */
	};

	ck_assert_uint_eq(olen % 4, 0);
	ck_assert_uint_le(olen, 40);
	memcpy(buf, fixed, sizeof(fixed));
	buf[12] = (uint8_t)((WIRE_TCP_HLEN + olen) / 4 << 4);
	if (olen)
		memcpy(buf + WIRE_TCP_HLEN, opts, olen);
	return WIRE_TCP_HLEN + olen;
}

/* Parse a header carrying option bytes @p opts; the parse must succeed. */
static void parse_opts(const uint8_t *opts, size_t olen, struct tcp_repr *r)
{
	uint8_t buf[WIRE_TCP_MAX_HLEN];
	size_t hlen = build_seg(buf, opts, olen);

	ck_assert_int_eq(parse_exact(buf, hlen, r), (int)hlen);
}

static bool opts_empty(const struct tcp_opts *o)
{
	return !o->has_mss && !o->has_wscale && !o->sack_perm && !o->has_ts &&
	       o->nsack == 0 && !o->malformed;
}

/* Reference RFC 1071 sum, the slow and obvious way: 16-bit words. */
static uint32_t ref_sum(uint32_t s, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Checksum of a TCP segment over an explicitly laid out pseudo header. */
static uint16_t ref_tcp_csum(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
	uint8_t ph[12] = {
		(uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
		(uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst,
		0, WIRE_PROTO_TCP, (uint8_t)(len >> 8), (uint8_t)len,
	};

	return (uint16_t)~ref_sum(ref_sum(0, ph, sizeof(ph)), seg, len);
}

static void base_repr(struct tcp_repr *r, uint8_t flags)
{
	memset(r, 0, sizeof(*r));
	r->sport = 40000;
	r->dport = 8080;
	r->seq = 0xdeadbeef;
	r->ack = 0x01020304;
	r->flags = flags;
	r->win = 29200;
	r->csum = 0;
	r->urg = 0;
}

/* ---- header ---- */

START_TEST(test_parse_good_header)
{
	uint8_t buf[WIRE_TCP_HLEN];
	struct tcp_repr r;

	build_seg(buf, NULL, 0);
	memset(&r, 0xff, sizeof(r));
	ck_assert_int_eq(parse_exact(buf, sizeof(buf), &r), WIRE_TCP_HLEN);
	ck_assert_uint_eq(r.sport, 40000);
	ck_assert_uint_eq(r.dport, 80);
	ck_assert_uint_eq(r.seq, 0x01020304u);
	ck_assert_uint_eq(r.ack, 0xa1b2c3d4u);
	ck_assert_uint_eq(r.hlen, 20);
	ck_assert_uint_eq(r.flags, WIRE_TCP_SYN | WIRE_TCP_ACK);
	ck_assert_uint_eq(r.win, 0xfaf0);
	ck_assert_uint_eq(r.csum, 0xbeef);
	ck_assert_uint_eq(r.urg, 7);
	/* The options are cleared even though the caller's struct was not. */
	ck_assert(opts_empty(&r.opt));
}
END_TEST

START_TEST(test_parse_every_flag_bit)
{
	uint8_t buf[WIRE_TCP_HLEN];
	struct tcp_repr r;
	unsigned int bit;

	build_seg(buf, NULL, 0);
	for (bit = 0; bit < 8; bit++) {
		buf[13] = (uint8_t)(1u << bit);
		ck_assert_int_eq(parse_exact(buf, sizeof(buf), &r), WIRE_TCP_HLEN);
		ck_assert_uint_eq(r.flags, 1u << bit);
	}
	ck_assert_uint_eq(WIRE_TCP_FIN | WIRE_TCP_SYN | WIRE_TCP_RST | WIRE_TCP_PSH |
			  WIRE_TCP_ACK | WIRE_TCP_URG | WIRE_TCP_ECE | WIRE_TCP_CWR, 0xff);
}
END_TEST

START_TEST(test_parse_reserved_bits_ignored)
{
	uint8_t buf[WIRE_TCP_HLEN];
	struct tcp_repr r;

	build_seg(buf, NULL, 0);
	buf[12] |= 0x0f;   /* reserved and AE */
	ck_assert_int_eq(parse_exact(buf, sizeof(buf), &r), WIRE_TCP_HLEN);
	ck_assert_uint_eq(r.hlen, 20);
	ck_assert_uint_eq(r.flags, WIRE_TCP_SYN | WIRE_TCP_ACK);
}
END_TEST

START_TEST(test_parse_truncated)
{
	uint8_t buf[WIRE_TCP_HLEN];
	struct tcp_repr r;
	size_t len;

	build_seg(buf, NULL, 0);
	for (len = 0; len < WIRE_TCP_HLEN; len++)
		ck_assert_int_eq(parse_exact(buf, len, &r), WIRE_E_TRUNCATED);
}
END_TEST

START_TEST(test_parse_doff_below_5)
{
	uint8_t buf[64];
	struct tcp_repr r;
	unsigned int doff;

	build_seg(buf, NULL, 0);
	memset(buf + WIRE_TCP_HLEN, 0, sizeof(buf) - WIRE_TCP_HLEN);
	for (doff = 0; doff < 5; doff++) {
		buf[12] = (uint8_t)(doff << 4);
		ck_assert_int_eq(parse_exact(buf, WIRE_TCP_HLEN, &r), WIRE_E_LENGTH);
		ck_assert_int_eq(parse_exact(buf, sizeof(buf), &r), WIRE_E_LENGTH);
	}
}
END_TEST

START_TEST(test_parse_doff_beyond_buffer)
{
	uint8_t buf[WIRE_TCP_MAX_HLEN];
	struct tcp_repr r;
	unsigned int doff;
	size_t len;

	build_seg(buf, NULL, 0);
	memset(buf + WIRE_TCP_HLEN, WIRE_TCPOPT_NOP, sizeof(buf) - WIRE_TCP_HLEN);
	for (doff = 6; doff <= 15; doff++) {
		buf[12] = (uint8_t)(doff << 4);
		for (len = WIRE_TCP_HLEN; len < doff * 4u; len++)
			ck_assert_int_eq(parse_exact(buf, len, &r), WIRE_E_LENGTH);
		ck_assert_int_eq(parse_exact(buf, doff * 4u, &r), (int)(doff * 4));
		ck_assert_uint_eq(r.hlen, doff * 4);
	}
}
END_TEST

START_TEST(test_parse_payload_not_options)
{
	/* Bytes after the header are payload, even if they look like options. */
	uint8_t buf[WIRE_TCP_HLEN + 8];
	struct tcp_repr r;

	build_seg(buf, NULL, 0);
	memcpy(buf + WIRE_TCP_HLEN, (const uint8_t[]){ 2, 4, 5, 0xb4, 1, 3, 3, 7 }, 8);
	ck_assert_int_eq(parse_exact(buf, sizeof(buf), &r), WIRE_TCP_HLEN);
	ck_assert(opts_empty(&r.opt));
}
END_TEST

/* ---- each option alone ---- */

START_TEST(test_opt_mss)
{
	static const uint8_t o[] = { 2, 4, 0x05, 0xb4 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.has_mss);
	ck_assert_uint_eq(r.opt.mss, 1460);
	ck_assert(!r.opt.has_wscale && !r.opt.sack_perm && !r.opt.has_ts);
	ck_assert_uint_eq(r.opt.nsack, 0);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_wscale)
{
	static const uint8_t o[] = { 1, 3, 3, 7 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.has_wscale);
	ck_assert_uint_eq(r.opt.wscale, 7);
	ck_assert(!r.opt.has_mss && !r.opt.sack_perm && !r.opt.has_ts);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_sack_perm)
{
	static const uint8_t o[] = { 1, 1, 4, 2 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.sack_perm);
	ck_assert(!r.opt.has_mss && !r.opt.has_wscale && !r.opt.has_ts);
	ck_assert_uint_eq(r.opt.nsack, 0);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_ts)
{
	static const uint8_t o[] = { 1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44,
				     0xf5, 0x66, 0x77, 0x88 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.has_ts);
	ck_assert_uint_eq(r.opt.ts_val, 0x11223344u);
	ck_assert_uint_eq(r.opt.ts_ecr, 0xf5667788u);
	ck_assert(!r.opt.has_mss && !r.opt.has_wscale && !r.opt.sack_perm);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_sack_blocks)
{
	uint8_t o[40];
	struct tcp_repr r;
	unsigned int n, i;

	for (n = 1; n <= WIRE_TCP_MAX_SACK; n++) {
		size_t olen = 4 + 8 * n;

		memset(o, 0, sizeof(o));
		o[0] = 1;
		o[1] = 1;
		o[2] = 5;
		o[3] = (uint8_t)(2 + 8 * n);
		for (i = 0; i < n; i++) {
			uint8_t *b = o + 4 + 8 * i;

			b[0] = (uint8_t)(0x10 + i); b[3] = 0x01;   /* start 0x1?000001 */
			b[4] = (uint8_t)(0x80 + i); b[7] = 0x02;   /* end   0x8?000002 */
		}
		parse_opts(o, olen, &r);
		ck_assert_uint_eq(r.opt.nsack, n);
		for (i = 0; i < n; i++) {
			ck_assert_uint_eq(r.opt.sack[i].start, (uint32_t)(0x10 + i) << 24 | 1);
			ck_assert_uint_eq(r.opt.sack[i].end, (uint32_t)(0x80 + i) << 24 | 2);
		}
		ck_assert(!r.opt.has_mss && !r.opt.has_ts && !r.opt.malformed);
	}
}
END_TEST

START_TEST(test_opt_full_60_byte_header)
{
	/* TS + 3 SACK blocks: 40 bytes of options, a 60-byte header. */
	static const uint8_t o[40] = {
		1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6,
		1, 1, 5, 26,
		0, 0, 0, 10, 0, 0, 0, 20,
		0, 0, 0, 30, 0, 0, 0, 40,
		0, 0, 0, 50, 0, 0, 0, 60,
	};
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert_uint_eq(r.hlen, 60);
	ck_assert(r.opt.has_ts);
	ck_assert_uint_eq(r.opt.ts_val, 5);
	ck_assert_uint_eq(r.opt.ts_ecr, 6);
	ck_assert_uint_eq(r.opt.nsack, 3);
	ck_assert_uint_eq(r.opt.sack[2].start, 50);
	ck_assert_uint_eq(r.opt.sack[2].end, 60);
	ck_assert(!r.opt.malformed);
}
END_TEST

/* ---- malformed and odd option lists ---- */

START_TEST(test_opt_len_zero)
{
	/* MSS taken, then an unknown kind with length 0: stop, malformed. */
	static const uint8_t o[] = { 2, 4, 0x05, 0xb4, 30, 0, 1, 1, 4, 2, 0, 0 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.malformed);
	ck_assert(r.opt.has_mss);
	ck_assert_uint_eq(r.opt.mss, 1460);
	ck_assert(!r.opt.sack_perm);   /* after the stop: not parsed */
}
END_TEST

START_TEST(test_opt_len_one)
{
	static const uint8_t o[] = { 1, 1, 4, 2, 2, 1, 4, 2 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.malformed);
	ck_assert(r.opt.sack_perm);
	ck_assert(!r.opt.has_mss);
}
END_TEST

START_TEST(test_opt_overrun_by_one)
{
	/* TS claims 10 bytes where 9 remain. */
	static const uint8_t o[] = { 1, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.malformed);
	ck_assert(!r.opt.has_ts);
}
END_TEST

START_TEST(test_opt_exact_fit_at_end)
{
	/* The same TS one byte earlier ends exactly at the header end. */
	static const uint8_t o[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(!r.opt.malformed);
	ck_assert(r.opt.has_ts);
	ck_assert_uint_eq(r.opt.ts_ecr, 2);
}
END_TEST

START_TEST(test_opt_kind_without_length_byte)
{
	/* MSS kind as the very last byte of the header: no length byte. */
	static const uint8_t o[] = { 1, 3, 3, 2, 1, 1, 1, 2 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.malformed);
	ck_assert(r.opt.has_wscale);
	ck_assert_uint_eq(r.opt.wscale, 2);
	ck_assert(!r.opt.has_mss);
}
END_TEST

START_TEST(test_opt_known_kind_wrong_length)
{
	/* MSS len 3 is skipped by its length, not taken, and the list goes on:
	 * the next option (SACK_PERM) is found at offset 3. */
	static const uint8_t o[] = { 2, 3, 0x05, 4, 2, 1, 1, 1 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(!r.opt.has_mss);
	ck_assert(r.opt.sack_perm);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_other_wrong_lengths)
{
	/* WSCALE len 4, SACK_PERM len 3, TS len 8, SACK len 2 (no block),
	 * SACK len 9 (not 2+8n), then a good MSS: only the MSS is taken. */
	static const uint8_t o[] = {
		3, 4, 7, 0,
		4, 3, 0,
		8, 8, 0, 0, 0, 1, 0, 0,
		5, 2,
		5, 9, 0, 0, 0, 1, 0, 0, 0,
		2, 4, 0x02, 0x18,
		0, 0,
	};
	struct tcp_repr r;

	ck_assert_uint_eq(sizeof(o), 32);
	parse_opts(o, sizeof(o), &r);
	ck_assert(!r.opt.has_wscale);
	ck_assert(!r.opt.sack_perm);
	ck_assert(!r.opt.has_ts);
	ck_assert_uint_eq(r.opt.nsack, 0);
	ck_assert(r.opt.has_mss);
	ck_assert_uint_eq(r.opt.mss, 536);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_sack_not_2_plus_8n)
{
	/* SACK lengths that are not 2 + 8n (RFC 2018 3) are skipped by their
	 * length, whole blocks or not; the MSS after them is still found. */
	static const uint8_t lens[] = { 3, 9, 11, 13, 17, 25, 33 };
	uint8_t o[40];
	struct tcp_repr r;
	size_t i;

	for (i = 0; i < sizeof(lens); i++) {
		memset(o, WIRE_TCPOPT_NOP, sizeof(o));
		memset(o, 0x77, lens[i]);
		o[0] = WIRE_TCPOPT_SACK;
		o[1] = lens[i];
		o[36] = 2; o[37] = 4; o[38] = 0x05; o[39] = 0xb4;
		parse_opts(o, sizeof(o), &r);
		ck_assert_uint_eq(r.opt.nsack, 0);
		ck_assert(r.opt.has_mss);
		ck_assert_uint_eq(r.opt.mss, 1460);
		ck_assert(!r.opt.malformed);
	}
}
END_TEST

START_TEST(test_opt_unknown_kind_skipped)
{
	/* Kind 99 length 4 is skipped whole; its body would otherwise read
	 * as an MSS. */
	static const uint8_t o[] = { 99, 4, 2, 4, 1, 3, 3, 9 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(!r.opt.has_mss);
	ck_assert(r.opt.has_wscale);
	ck_assert_uint_eq(r.opt.wscale, 9);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_eol_then_garbage)
{
	static const uint8_t o[] = { 2, 4, 0x05, 0xb4, 0, 0xff, 0, 1, 3, 3, 7, 0 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.has_mss);
	ck_assert(!r.opt.has_wscale);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_many_nops)
{
	uint8_t o[40];
	struct tcp_repr r;

	/* 40 NOPs: nothing, not malformed. */
	memset(o, WIRE_TCPOPT_NOP, sizeof(o));
	parse_opts(o, sizeof(o), &r);
	ck_assert(opts_empty(&r.opt));
	/* 36 NOPs then an MSS in the last four bytes. */
	o[36] = 2; o[37] = 4; o[38] = 0x23; o[39] = 0x28;
	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.has_mss);
	ck_assert_uint_eq(r.opt.mss, 9000);
	ck_assert(!r.opt.malformed);
}
END_TEST

START_TEST(test_opt_wscale_above_14_as_received)
{
	static const uint8_t shifts[] = { 14, 15, 200, 255 };
	uint8_t o[] = { 1, 3, 3, 0 };
	struct tcp_repr r;
	size_t i;

	for (i = 0; i < sizeof(shifts); i++) {
		o[3] = shifts[i];
		parse_opts(o, sizeof(o), &r);
		ck_assert(r.opt.has_wscale);
		ck_assert_uint_eq(r.opt.wscale, shifts[i]);
	}
}
END_TEST

START_TEST(test_opt_repeated_last_wins)
{
	static const uint8_t o[] = { 2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18 };
	struct tcp_repr r;

	parse_opts(o, sizeof(o), &r);
	ck_assert(r.opt.has_mss);
	ck_assert_uint_eq(r.opt.mss, 536);
}
END_TEST

START_TEST(test_opt_every_truncation_in_bounds)
{
	/* Every prefix-length option list of a full header, with a data
	 * offset that still covers it, parses without reading past it: the
	 * exact-size copy catches any overread under ASan. */
	static const uint8_t o[40] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0,
		1, 3, 3, 7, 1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
		0, 0, 0, 4,
	};
	uint8_t buf[WIRE_TCP_MAX_HLEN];
	struct tcp_repr r;
	size_t olen;

	for (olen = 0; olen <= 40; olen += 4) {
		size_t hlen = build_seg(buf, o, olen);

		ck_assert_int_eq(parse_exact(buf, hlen, &r), (int)hlen);
		ck_assert_uint_eq(r.opt.has_mss, olen >= 4);
		ck_assert_uint_eq(r.opt.sack_perm, olen >= 8);
		ck_assert_uint_eq(r.opt.has_ts, olen >= 16);
		ck_assert_uint_eq(r.opt.has_wscale, olen >= 20);
		ck_assert_uint_eq(r.opt.nsack, olen >= 40 ? 2 : 0);
		/* Cut inside the TS (at 6..15) or the SACK (at 22..39):
		 * the option runs past the header. */
		ck_assert_uint_eq(r.opt.malformed,
				  (olen >= 8 && olen < 16) || (olen >= 24 && olen < 40));
	}
}
END_TEST

/* ---- emit: Linux layouts byte for byte ---- */

static void emit_and_compare(const struct tcp_repr *r, const uint8_t *want, size_t wlen)
{
	uint8_t buf[WIRE_TCP_MAX_HLEN + 4];
	size_t hlen;

	memset(buf, 0xcc, sizeof(buf));
	ck_assert_uint_eq(wire_tcp_opts_len(r), wlen);
	hlen = wire_tcp_emit(buf, sizeof(buf), r);
	ck_assert_uint_eq(hlen, WIRE_TCP_HLEN + wlen);
	ck_assert_uint_eq(buf[12], (WIRE_TCP_HLEN + wlen) / 4 << 4);
	if (wlen)   /* memcmp(NULL, p, 0) is undefined */
		ck_assert_mem_eq(buf + WIRE_TCP_HLEN, want, wlen);
	/* Nothing written past the header. */
	ck_assert_uint_eq(buf[hlen], 0xcc);
}

START_TEST(test_emit_linux_syn_ts)
{
	/* packetdrill: <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7> */
	static const uint8_t want[20] = {
		0x02, 0x04, 0x05, 0xb4,
		0x04, 0x02, 0x08, 0x0a,
		0x00, 0x00, 0x00, 0x64,
		0x00, 0x00, 0x00, 0x00,
		0x01, 0x03, 0x03, 0x07,
	};
	struct tcp_repr r;

	base_repr(&r, WIRE_TCP_SYN);
	r.opt.has_mss = true;
	r.opt.mss = 1460;
	r.opt.sack_perm = true;
	r.opt.has_ts = true;
	r.opt.ts_val = 100;
	r.opt.ts_ecr = 0;
	r.opt.has_wscale = true;
	r.opt.wscale = 7;
	emit_and_compare(&r, want, sizeof(want));
	/* The same options on a SYN-ACK. */
	r.flags |= WIRE_TCP_ACK;
	emit_and_compare(&r, want, sizeof(want));
}
END_TEST

START_TEST(test_emit_linux_syn_no_ts)
{
	/* packetdrill: <mss 1460,nop,nop,sackOK,nop,wscale 7> */
	static const uint8_t want[12] = {
		0x02, 0x04, 0x05, 0xb4,
		0x01, 0x01, 0x04, 0x02,
		0x01, 0x03, 0x03, 0x07,
	};
	struct tcp_repr r;

	base_repr(&r, WIRE_TCP_SYN);
	r.opt.has_mss = true;
	r.opt.mss = 1460;
	r.opt.sack_perm = true;
	r.opt.has_wscale = true;
	r.opt.wscale = 7;
	emit_and_compare(&r, want, sizeof(want));
}
END_TEST

START_TEST(test_emit_linux_syn_ts_no_sack)
{
	/* <mss 1460,nop,nop,TS val 1 ecr 2,nop,wscale 2> */
	static const uint8_t want[20] = {
		0x02, 0x04, 0x05, 0xb4,
		0x01, 0x01, 0x08, 0x0a,
		0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x02,
		0x01, 0x03, 0x03, 0x02,
	};
	struct tcp_repr r;

	base_repr(&r, WIRE_TCP_SYN | WIRE_TCP_ACK);
	r.opt.has_mss = true;
	r.opt.mss = 1460;
	r.opt.has_ts = true;
	r.opt.ts_val = 1;
	r.opt.ts_ecr = 2;
	r.opt.has_wscale = true;
	r.opt.wscale = 2;
	emit_and_compare(&r, want, sizeof(want));
}
END_TEST

START_TEST(test_emit_syn_mss_only_and_none)
{
	static const uint8_t want[4] = { 0x02, 0x04, 0x02, 0x18 };
	struct tcp_repr r;

	base_repr(&r, WIRE_TCP_SYN);
	emit_and_compare(&r, NULL, 0);
	r.opt.has_mss = true;
	r.opt.mss = 536;
	emit_and_compare(&r, want, sizeof(want));
}
END_TEST

START_TEST(test_emit_ack_ts_sack)
{
	/* <nop,nop,TS val 7 ecr 9,nop,nop,sack 1:2 3:4 5:6>; the fourth
	 * block does not fit next to TS and is dropped. */
	static const uint8_t want[40] = {
		0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 7, 0, 0, 0, 9,
		0x01, 0x01, 0x05, 0x1a,
		0, 0, 0, 1, 0, 0, 0, 2,
		0, 0, 0, 3, 0, 0, 0, 4,
		0, 0, 0, 5, 0, 0, 0, 6,
	};
	struct tcp_repr r;
	unsigned int i;

	base_repr(&r, WIRE_TCP_ACK);
	r.opt.has_ts = true;
	r.opt.ts_val = 7;
	r.opt.ts_ecr = 9;
	r.opt.nsack = 4;
	for (i = 0; i < 4; i++) {
		r.opt.sack[i].start = 2 * i + 1;
		r.opt.sack[i].end = 2 * i + 2;
	}
	emit_and_compare(&r, want, sizeof(want));
}
END_TEST

START_TEST(test_emit_ack_sack_no_ts)
{
	/* <nop,nop,sack 1:2 3:4 5:6 7:8>: 36 bytes. */
	static const uint8_t want[36] = {
		0x01, 0x01, 0x05, 0x22,
		0, 0, 0, 1, 0, 0, 0, 2,
		0, 0, 0, 3, 0, 0, 0, 4,
		0, 0, 0, 5, 0, 0, 0, 6,
		0, 0, 0, 7, 0, 0, 0, 8,
	};
	struct tcp_repr r;
	unsigned int i;

	base_repr(&r, WIRE_TCP_ACK);
	r.opt.nsack = 4;
	for (i = 0; i < 4; i++) {
		r.opt.sack[i].start = 2 * i + 1;
		r.opt.sack[i].end = 2 * i + 2;
	}
	emit_and_compare(&r, want, sizeof(want));
}
END_TEST

START_TEST(test_emit_syn_only_options_not_on_ack)
{
	/* A repr parsed from a SYN reused for an ACK: sackOK and wscale are
	 * not sent (RFC 2018 2, RFC 7323 2.2); TS stays, behind two NOPs. */
	static const uint8_t want[12] = {
		0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 100, 0, 0, 0, 0,
	};
	struct tcp_repr r;

	base_repr(&r, WIRE_TCP_ACK);
	r.opt.sack_perm = true;
	r.opt.has_ts = true;
	r.opt.ts_val = 100;
	r.opt.has_wscale = true;
	r.opt.wscale = 7;
	emit_and_compare(&r, want, sizeof(want));
}
END_TEST

START_TEST(test_emit_header_fields)
{
	uint8_t buf[WIRE_TCP_HLEN];
	static const uint8_t want[WIRE_TCP_HLEN] = {
		0x9c, 0x40, 0x1f, 0x90,
		0xde, 0xad, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04,
		0x50, 0x19,
		0x72, 0x10,
		0xab, 0xcd,
		0x00, 0x2a,
	};
	struct tcp_repr r;

	base_repr(&r, WIRE_TCP_FIN | WIRE_TCP_PSH | WIRE_TCP_ACK);
	r.csum = 0xabcd;
	r.urg = 42;
	r.hlen = 44;   /* ignored: the options decide */
	memset(buf, 0xff, sizeof(buf));
	ck_assert_uint_eq(wire_tcp_emit(buf, sizeof(buf), &r), WIRE_TCP_HLEN);
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(test_emit_short_cap)
{
	uint8_t buf[WIRE_TCP_MAX_HLEN];
	struct tcp_repr r;
	size_t cap;

	base_repr(&r, WIRE_TCP_SYN);
	r.opt.has_mss = true;
	r.opt.mss = 1460;
	r.opt.has_ts = true;
	/* 36-byte header: every smaller cap is refused without writing. */
	for (cap = 0; cap < 36; cap++) {
		memset(buf, 0xee, sizeof(buf));
		ck_assert_uint_eq(wire_tcp_emit(buf, cap, &r), 0);
		ck_assert_uint_eq(buf[0], 0xee);
	}
	ck_assert_uint_eq(wire_tcp_emit(buf, 36, &r), 36);
}
END_TEST

/* ---- emit -> parse round trips ---- */

/* Emit @p r, check the length rules, parse it back and check that what
 * Tern emits for it comes back: SYN-only options only on SYN, SACK blocks
 * only off SYN and as many as fit. */
static void roundtrip(const struct tcp_repr *r)
{
	uint8_t buf[WIRE_TCP_MAX_HLEN];
	struct tcp_repr p;
	bool syn = (r->flags & WIRE_TCP_SYN) != 0;
	size_t olen = wire_tcp_opts_len(r), hlen, used, fit;
	unsigned int i, n;

	ck_assert_uint_eq(olen % 4, 0);
	ck_assert_uint_le(olen, 40);
	hlen = wire_tcp_emit(buf, sizeof(buf), r);
	ck_assert_uint_eq(hlen, WIRE_TCP_HLEN + olen);
	ck_assert_int_eq(parse_exact(buf, hlen, &p), (int)hlen);

	ck_assert_uint_eq(p.sport, r->sport);
	ck_assert_uint_eq(p.dport, r->dport);
	ck_assert_uint_eq(p.seq, r->seq);
	ck_assert_uint_eq(p.ack, r->ack);
	ck_assert_uint_eq(p.flags, r->flags);
	ck_assert_uint_eq(p.win, r->win);
	ck_assert_uint_eq(p.csum, r->csum);
	ck_assert_uint_eq(p.urg, r->urg);
	ck_assert_uint_eq(p.hlen, hlen);
	ck_assert(!p.opt.malformed);

	ck_assert_uint_eq(p.opt.has_mss, r->opt.has_mss);
	if (r->opt.has_mss)
		ck_assert_uint_eq(p.opt.mss, r->opt.mss);
	ck_assert_uint_eq(p.opt.has_ts, r->opt.has_ts);
	if (r->opt.has_ts) {
		ck_assert_uint_eq(p.opt.ts_val, r->opt.ts_val);
		ck_assert_uint_eq(p.opt.ts_ecr, r->opt.ts_ecr);
	}
	ck_assert_uint_eq(p.opt.sack_perm, syn && r->opt.sack_perm);
	ck_assert_uint_eq(p.opt.has_wscale, syn && r->opt.has_wscale);
	if (syn && r->opt.has_wscale)
		ck_assert_uint_eq(p.opt.wscale, r->opt.wscale);

	used = (r->opt.has_mss ? 4u : 0u) + (r->opt.has_ts ? 12u : 0u);
	fit = (40 - used - 4) / 8;
	n = syn ? 0 : r->opt.nsack;
	if (n > fit)
		n = (unsigned int)fit;
	ck_assert_uint_eq(p.opt.nsack, n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(p.opt.sack[i].start, r->opt.sack[i].start);
		ck_assert_uint_eq(p.opt.sack[i].end, r->opt.sack[i].end);
	}

	/* What was parsed emits to the same bytes. */
	{
		uint8_t again[WIRE_TCP_MAX_HLEN];

		ck_assert_uint_eq(wire_tcp_emit(again, sizeof(again), &p), hlen);
		ck_assert_mem_eq(again, buf, hlen);
	}
}

static void fill_opts(struct tcp_repr *r, unsigned int mask, unsigned int nsack)
{
	unsigned int i;

	r->opt.has_mss = mask & 1;
	r->opt.mss = 1400 + (uint16_t)mask;
	r->opt.sack_perm = (mask >> 1) & 1;
	r->opt.has_ts = (mask >> 2) & 1;
	r->opt.ts_val = 0x80000000u + mask;
	r->opt.ts_ecr = 0xfffffff0u - mask;
	r->opt.has_wscale = (mask >> 3) & 1;
	r->opt.wscale = (uint8_t)(mask + 1);
	r->opt.nsack = (uint8_t)nsack;
	for (i = 0; i < WIRE_TCP_MAX_SACK; i++) {
		r->opt.sack[i].start = 0x10000000u * (i + 1) + mask;
		r->opt.sack[i].end = 0x10000000u * (i + 1) + 0x1000 + nsack;
	}
}

START_TEST(test_roundtrip_syn_all_combinations)
{
	static const uint8_t flags[] = { WIRE_TCP_SYN, WIRE_TCP_SYN | WIRE_TCP_ACK,
					 WIRE_TCP_SYN | WIRE_TCP_ECE | WIRE_TCP_CWR };
	struct tcp_repr r;
	unsigned int f, mask, nsack;

	for (f = 0; f < sizeof(flags); f++)
		for (mask = 0; mask < 16; mask++)
			for (nsack = 0; nsack <= WIRE_TCP_MAX_SACK; nsack++) {
				base_repr(&r, flags[f]);
				fill_opts(&r, mask, nsack);
				roundtrip(&r);
				ck_assert_uint_le(wire_tcp_opts_len(&r), 20);
			}
}
END_TEST

START_TEST(test_roundtrip_nonsyn_all_combinations)
{
	static const uint8_t flags[] = { WIRE_TCP_ACK, WIRE_TCP_ACK | WIRE_TCP_PSH,
					 WIRE_TCP_ACK | WIRE_TCP_FIN, WIRE_TCP_RST, 0 };
	struct tcp_repr r;
	unsigned int f, mask, nsack;

	for (f = 0; f < sizeof(flags); f++)
		for (mask = 0; mask < 16; mask++)
			for (nsack = 0; nsack <= WIRE_TCP_MAX_SACK; nsack++) {
				base_repr(&r, flags[f]);
				fill_opts(&r, mask, nsack);
				roundtrip(&r);
			}
}
END_TEST

START_TEST(test_sack_blocks_fit)
{
	/* Blocks sent for 4 wanted: 4 alone, 3 with TS, 4 with MSS, 2 with
	 * MSS and TS; the options always fill at most 40 bytes. */
	static const struct { bool mss, ts; unsigned int blocks; size_t olen; } c[] = {
		{ false, false, 4, 36 },
		{ false, true, 3, 40 },
		{ true, false, 4, 40 },
		{ true, true, 2, 36 },
	};
	struct tcp_repr r, p;
	uint8_t buf[WIRE_TCP_MAX_HLEN];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		base_repr(&r, WIRE_TCP_ACK);
		fill_opts(&r, (c[i].mss ? 1u : 0u) | (c[i].ts ? 4u : 0u), 4);
		ck_assert_uint_eq(wire_tcp_opts_len(&r), c[i].olen);
		ck_assert_uint_eq(wire_tcp_emit(buf, sizeof(buf), &r), 20 + c[i].olen);
		ck_assert_int_eq(parse_exact(buf, 20 + c[i].olen, &p), (int)(20 + c[i].olen));
		ck_assert_uint_eq(p.opt.nsack, c[i].blocks);
	}
}
END_TEST

START_TEST(test_opts_len_every_flag_byte)
{
	/* The multiple-of-4 and 40-byte rules hold for every flags byte and
	 * every option set, and the emitted data offset agrees. */
	uint8_t buf[WIRE_TCP_MAX_HLEN];
	struct tcp_repr r;
	unsigned int flags, mask, nsack;

	for (flags = 0; flags < 256; flags++)
		for (mask = 0; mask < 16; mask++)
			for (nsack = 0; nsack <= WIRE_TCP_MAX_SACK; nsack++) {
				size_t olen, hlen;

				base_repr(&r, (uint8_t)flags);
				fill_opts(&r, mask, nsack);
				olen = wire_tcp_opts_len(&r);
				ck_assert_uint_eq(olen % 4, 0);
				ck_assert_uint_le(olen, 40);
				hlen = wire_tcp_emit(buf, sizeof(buf), &r);
				ck_assert_uint_eq(hlen, 20 + olen);
				ck_assert_uint_eq((size_t)(buf[12] >> 4) * 4, hlen);
			}
}
END_TEST

/* ---- checksum ---- */

START_TEST(test_verify_good_and_bad_odd_lengths)
{
	const uint32_t src = 0xc0a80001u, dst = 0x0a000002u;
	uint8_t seg[WIRE_TCP_HLEN + 16];
	size_t plen, i;

	for (plen = 0; plen <= 16; plen++) {
		size_t len = WIRE_TCP_HLEN + plen;
		uint16_t c;
		uint8_t *p;

		build_seg(seg, NULL, 0);
		for (i = 0; i < plen; i++)
			seg[WIRE_TCP_HLEN + i] = (uint8_t)(0xf1 + 13 * i);
		seg[16] = seg[17] = 0;
		c = ref_tcp_csum(seg, len, src, dst);
		seg[16] = (uint8_t)(c >> 8);
		seg[17] = (uint8_t)c;

		p = exact_copy(seg, len);
		ck_assert(wire_tcp_verify(p, len, src, dst));
		/* Wrong addresses, a flipped bit anywhere, or a shorter length. */
		ck_assert(!wire_tcp_verify(p, len, src ^ 0x100, dst));
		ck_assert(!wire_tcp_verify(p, len, src, dst + 1));
		for (i = 0; i < len; i++) {
			p[i] ^= 0x01;
			ck_assert(!wire_tcp_verify(p, len, src, dst));
			p[i] ^= 0x01;
		}
		if (plen > 0)
			ck_assert(!wire_tcp_verify(p, len - 1, src, dst));
		free(p);
	}
}
END_TEST

START_TEST(test_verify_caller_recipe)
{
	/* The recipe in wire_tcp.c's caller notes: emit with csum 0, sum the
	 * pseudo header and segment with the wire helpers, store the fold. */
	const uint32_t src = 0x0a000001u, dst = 0x0a000002u;
	uint8_t seg[WIRE_TCP_MAX_HLEN + 7];
	struct tcp_repr r, p;
	size_t hlen, len;
	uint16_t c;

	base_repr(&r, WIRE_TCP_SYN);
	fill_opts(&r, 15, 0);
	hlen = wire_tcp_emit(seg, sizeof(seg), &r);
	ck_assert_uint_eq(hlen, 40);
	memcpy(seg + hlen, "payload", 7);
	len = hlen + 7;
	c = wire_csum_fold(wire_csum_add(wire_csum_pseudo(src, dst, WIRE_PROTO_TCP,
							  (uint16_t)len), seg, len));
	ck_assert_uint_eq(c, ref_tcp_csum(seg, len, src, dst));
	r.csum = c;
	ck_assert_uint_eq(wire_tcp_emit(seg, sizeof(seg), &r), hlen);
	ck_assert(wire_tcp_verify(seg, len, src, dst));
	ck_assert_int_eq(parse_exact(seg, len, &p), (int)hlen);
	ck_assert_uint_eq(p.csum, c);
}
END_TEST

START_TEST(test_verify_zero_field_is_not_none)
{
	/* Unlike UDP, a zero TCP checksum field is checked like any other. */
	const uint32_t src = 0x0a000001u, dst = 0x0a000002u;
	uint8_t seg[WIRE_TCP_HLEN];

	build_seg(seg, NULL, 0);
	seg[16] = seg[17] = 0;
	ck_assert_uint_ne(ref_tcp_csum(seg, sizeof(seg), src, dst), 0);
	ck_assert(!wire_tcp_verify(seg, sizeof(seg), src, dst));
}
END_TEST

START_TEST(test_verify_too_long)
{
	/* No IPv4 packet carries a 65536-byte segment; the 16-bit pseudo
	 * header length cannot describe it. This one would verify if its
	 * length were taken modulo 2^16 (as 0): the sum is then 6 + 0xfff9. */
	size_t len = 65536;
	uint8_t *seg = calloc(1, len);

	ck_assert_ptr_nonnull(seg);
	seg[16] = 0xff;
	seg[17] = 0xf9;
	ck_assert_uint_eq(wire_csum_fold(wire_csum_add(wire_csum_pseudo(0, 0, WIRE_PROTO_TCP, 0),
						       seg, len)), 0);
	ck_assert(!wire_tcp_verify(seg, len, 0, 0));
	free(seg);
}
END_TEST

static Suite *wire_tcp_suite(void)
{
	Suite *s = suite_create("wire_tcp");
	TCase *tc;

	tc = tcase_create("header");
	tcase_add_test(tc, test_parse_good_header);
	tcase_add_test(tc, test_parse_every_flag_bit);
	tcase_add_test(tc, test_parse_reserved_bits_ignored);
	tcase_add_test(tc, test_parse_truncated);
	tcase_add_test(tc, test_parse_doff_below_5);
	tcase_add_test(tc, test_parse_doff_beyond_buffer);
	tcase_add_test(tc, test_parse_payload_not_options);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_test(tc, test_opt_mss);
	tcase_add_test(tc, test_opt_wscale);
	tcase_add_test(tc, test_opt_sack_perm);
	tcase_add_test(tc, test_opt_ts);
	tcase_add_test(tc, test_opt_sack_blocks);
	tcase_add_test(tc, test_opt_full_60_byte_header);
	tcase_add_test(tc, test_opt_len_zero);
	tcase_add_test(tc, test_opt_len_one);
	tcase_add_test(tc, test_opt_overrun_by_one);
	tcase_add_test(tc, test_opt_exact_fit_at_end);
	tcase_add_test(tc, test_opt_kind_without_length_byte);
	tcase_add_test(tc, test_opt_known_kind_wrong_length);
	tcase_add_test(tc, test_opt_other_wrong_lengths);
	tcase_add_test(tc, test_opt_sack_not_2_plus_8n);
	tcase_add_test(tc, test_opt_unknown_kind_skipped);
	tcase_add_test(tc, test_opt_eol_then_garbage);
	tcase_add_test(tc, test_opt_many_nops);
	tcase_add_test(tc, test_opt_wscale_above_14_as_received);
	tcase_add_test(tc, test_opt_repeated_last_wins);
	tcase_add_test(tc, test_opt_every_truncation_in_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("emit");
	tcase_add_test(tc, test_emit_linux_syn_ts);
	tcase_add_test(tc, test_emit_linux_syn_no_ts);
	tcase_add_test(tc, test_emit_linux_syn_ts_no_sack);
	tcase_add_test(tc, test_emit_syn_mss_only_and_none);
	tcase_add_test(tc, test_emit_ack_ts_sack);
	tcase_add_test(tc, test_emit_ack_sack_no_ts);
	tcase_add_test(tc, test_emit_syn_only_options_not_on_ack);
	tcase_add_test(tc, test_emit_header_fields);
	tcase_add_test(tc, test_emit_short_cap);
	tcase_add_test(tc, test_roundtrip_syn_all_combinations);
	tcase_add_test(tc, test_roundtrip_nonsyn_all_combinations);
	tcase_add_test(tc, test_sack_blocks_fit);
	tcase_add_test(tc, test_opts_len_every_flag_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("csum");
	tcase_add_test(tc, test_verify_good_and_bad_odd_lengths);
	tcase_add_test(tc, test_verify_caller_recipe);
	tcase_add_test(tc, test_verify_zero_field_is_not_none);
	tcase_add_test(tc, test_verify_too_long);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(wire_tcp_suite());
	int failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}

/*
 * Unit tests of stack/tcp_isn.c: SipHash-2-4 against the published vectors,
 * RFC 6528 ISNs (determinism, the 4-us clock, key and tuple sensitivity, a
 * distribution check), RFC 4987 SYN cookies (MSS encoding, expiry, tamper
 * rejection, counter wrap) and the TSval option encoding. Pure: no DPDK.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tcp_isn.h"

#define NS_PER_S     1000000000ull
#define PERIOD_NS    (64ull * NS_PER_S)   /* the cookie counter period */
#define SEED_A       0x5eed0000000000a1ull
#define SEED_B       0x5eed0000000000b2ull

#define IP4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* ---- helpers ---- */

static const struct tcp_4tuple tuple0 = {
	.laddr = IP4(10, 0, 0, 1), .raddr = IP4(192, 168, 7, 42),
	.lport = 80, .rport = 49152,
};

static struct tcp_secret secret_from(uint64_t seed)
{
	struct tcp_secret k;

	tcp_secret_init(&k, seed);
	return k;
}

/* Deterministic 64-bit generator (xorshift64*) for test inputs, so any
 * failure reproduces exactly. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static struct tcp_4tuple random_tuple(uint64_t *s)
{
	uint64_t a = rng_next(s), b = rng_next(s);
	struct tcp_4tuple t = {
		.laddr = (uint32_t)a, .raddr = (uint32_t)(a >> 32),
		.lport = (uint16_t)b, .rport = (uint16_t)(b >> 16),
	};

	return t;
}

/* ---- SipHash-2-4 ---- */

/*
 * The 64 published SipHash-2-4 vectors (64-bit output) from the reference
 * distribution: key = 00 01 .. 0f, message i = 00 01 .. (i-1). Written here
 * as the little-endian value of each 8-byte output, which is what
 * tern_siphash24() returns.
 */
static const uint64_t sip_vectors[64] = {
	0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
	0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
	0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
	0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
	0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
	0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
	0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
	0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
	0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
	0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
	0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
	0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
	0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
	0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
	0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
	0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
	0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
	0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
	0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
	0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
	0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
	0x958a324ceb064572ULL,
};

static void sip_test_key(uint8_t key[16])
{
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
}

START_TEST(test_siphash_vectors)
{
	/* _i is the loop index: message length 0..63. */
	uint8_t key[16], msg[64];

	sip_test_key(key);
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	ck_assert_msg(tern_siphash24(key, msg, (size_t)_i) == sip_vectors[_i],
		      "vector %d: got %016llx", _i,
		      (unsigned long long)tern_siphash24(key, msg, (size_t)_i));
}
END_TEST

START_TEST(test_siphash_unaligned)
{
	/* Words are read byte-wise: any offset gives the same digest. */
	uint8_t key[16], buf[64 + 8];

	sip_test_key(key);
	for (int off = 1; off < 8; off++) {
		for (int i = 0; i < 64; i++)
			buf[off + i] = (uint8_t)i;
		for (int len = 0; len < 64; len++)
			ck_assert_uint_eq(tern_siphash24(key, buf + off, (size_t)len),
					  sip_vectors[len]);
	}
}
END_TEST

START_TEST(test_siphash_key_and_length_sensitivity)
{
	uint8_t key[16], msg[16] = {0};
	uint64_t ref;

	sip_test_key(key);
	ref = tern_siphash24(key, msg, 15);
	/* Every key bit matters. */
	for (int bit = 0; bit < 128; bit++) {
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_uint_ne(tern_siphash24(key, msg, 15), ref);
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Trailing zero bytes are not padding: the length is hashed in. */
	ck_assert_uint_ne(tern_siphash24(key, msg, 16), ref);
	ck_assert_uint_ne(tern_siphash24(key, msg, 14), ref);
}
END_TEST

/* ---- secrets ---- */

START_TEST(test_secret_seed_deterministic)
{
	struct tcp_secret a = secret_from(SEED_A), a2 = secret_from(SEED_A);
	struct tcp_secret b = secret_from(SEED_B);

	ck_assert_mem_eq(&a, &a2, sizeof(a));
	ck_assert(memcmp(a.isn_key, b.isn_key, 16) != 0);
	ck_assert(memcmp(a.cookie_key, b.cookie_key, 16) != 0);
	/* The two keys of one stack are independent. */
	ck_assert(memcmp(a.isn_key, a.cookie_key, 16) != 0);
	/* Neighbouring seeds are as different as any. */
	b = secret_from(SEED_A + 1);
	ck_assert(memcmp(a.isn_key, b.isn_key, 16) != 0);
}
END_TEST

START_TEST(test_secret_random)
{
	static const uint8_t zero[16];
	struct tcp_secret a = secret_from(0), b = secret_from(0);

	/* getrandom(): 256 bits each, so a repeat or an all-zero key means
	 * the source was not used. */
	ck_assert(memcmp(&a, &b, sizeof(a)) != 0);
	ck_assert(memcmp(a.isn_key, zero, 16) != 0);
	ck_assert(memcmp(a.cookie_key, zero, 16) != 0);
	ck_assert(memcmp(a.isn_key, a.cookie_key, 16) != 0);
}
END_TEST

/* ---- RFC 6528 ISN ---- */

START_TEST(test_isn_deterministic)
{
	struct tcp_secret k = secret_from(SEED_A), k2 = secret_from(SEED_A);
	uint64_t now = 123456789012345ull;

	ck_assert_uint_eq(tcp_isn(&k, &tuple0, now), tcp_isn(&k, &tuple0, now));
	/* A second stack from the same seed agrees (tests rely on this). */
	ck_assert_uint_eq(tcp_isn(&k, &tuple0, now), tcp_isn(&k2, &tuple0, now));
}
END_TEST

START_TEST(test_isn_layout)
{
	/* Documented layout: F = low 32 bits of SipHash(isn_key, laddr lport
	 * raddr rport in network order), M = now / 4000 ns. */
	struct tcp_secret k = secret_from(SEED_A);
	const uint8_t msg[12] = { 10, 0, 0, 1, 0, 80, 192, 168, 7, 42, 0xc0, 0x00 };
	uint32_t f = (uint32_t)tern_siphash24(k.isn_key, msg, sizeof(msg));

	ck_assert_uint_eq(tcp_isn(&k, &tuple0, 0), f);
	ck_assert_uint_eq(tcp_isn(&k, &tuple0, 4000ull * 1000), f + 1000);
}
END_TEST

START_TEST(test_isn_clock_4us)
{
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t base = 1000 * NS_PER_S;  /* a multiple of 4 us */
	uint32_t i0 = tcp_isn(&k, &tuple0, base);

	/* RFC 6528 3: M is a timer that ticks every 4 microseconds. */
	ck_assert_uint_eq(tcp_isn(&k, &tuple0, base + 3999), i0);
	ck_assert_uint_eq(tcp_isn(&k, &tuple0, base + 4000), i0 + 1);
	ck_assert_uint_eq(tcp_isn(&k, &tuple0, base + 4000 * 7 + 123), i0 + 7);
	/* 250,000 ticks a second, so about 4.77 hours per 2^32 wrap. */
	ck_assert_uint_eq(tcp_isn(&k, &tuple0, base + NS_PER_S), i0 + 250000);
	for (uint64_t t = 0; t < 1000; t++)
		ck_assert_uint_eq((uint32_t)(tcp_isn(&k, &tuple0, base + t * 4000) - i0), t);
}
END_TEST

START_TEST(test_isn_clock_wraps)
{
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t base = 77 * NS_PER_S;
	uint64_t wrap = 4000ull << 32;   /* one full turn of the 32-bit M */

	ck_assert_uint_eq(tcp_isn(&k, &tuple0, base + wrap), tcp_isn(&k, &tuple0, base));
	ck_assert_uint_eq(tcp_isn(&k, &tuple0, base + wrap - 4000),
			  tcp_isn(&k, &tuple0, base) - 1);
	/* A clock far in the future still behaves (no overflow in now/4000). */
	ck_assert_uint_eq(tcp_isn(&k, &tuple0, UINT64_MAX - UINT64_MAX % 4000 + 0),
			  tcp_isn(&k, &tuple0, UINT64_MAX - UINT64_MAX % 4000 - 4000) + 1);
}
END_TEST

START_TEST(test_isn_differs_across_tuples)
{
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t now = 5 * NS_PER_S;
	uint32_t i0 = tcp_isn(&k, &tuple0, now);
	struct tcp_4tuple t;

	t = tuple0; t.laddr ^= 1;
	ck_assert_uint_ne(tcp_isn(&k, &t, now), i0);
	t = tuple0; t.raddr ^= 0x80000000u;
	ck_assert_uint_ne(tcp_isn(&k, &t, now), i0);
	t = tuple0; t.lport++;
	ck_assert_uint_ne(tcp_isn(&k, &t, now), i0);
	t = tuple0; t.rport++;
	ck_assert_uint_ne(tcp_isn(&k, &t, now), i0);
	/* The reverse direction is another connection. */
	t.laddr = tuple0.raddr; t.raddr = tuple0.laddr;
	t.lport = tuple0.rport; t.rport = tuple0.lport;
	ck_assert_uint_ne(tcp_isn(&k, &t, now), i0);
	/* Swapping just the ports, or just the addresses, too. */
	t = tuple0; t.lport = tuple0.rport; t.rport = tuple0.lport;
	ck_assert_uint_ne(tcp_isn(&k, &t, now), i0);
	t = tuple0; t.laddr = tuple0.raddr; t.raddr = tuple0.laddr;
	ck_assert_uint_ne(tcp_isn(&k, &t, now), i0);
}
END_TEST

START_TEST(test_isn_differs_across_keys)
{
	struct tcp_secret a = secret_from(SEED_A), b = secret_from(SEED_B);
	uint64_t s = 42;
	int same = 0;

	/* Two stacks with different seeds: the same tuple and time give
	 * unrelated ISNs, so one host's ISNs say nothing of another's. */
	ck_assert_uint_ne(tcp_isn(&a, &tuple0, 0), tcp_isn(&b, &tuple0, 0));
	for (int i = 0; i < 1000; i++) {
		struct tcp_4tuple t = random_tuple(&s);

		same += tcp_isn(&a, &t, 9 * NS_PER_S) == tcp_isn(&b, &t, 9 * NS_PER_S);
	}
	ck_assert_int_eq(same, 0);
	/* One flipped key bit is enough. */
	b = a;
	b.isn_key[15] ^= 0x80;
	ck_assert_uint_ne(tcp_isn(&a, &tuple0, 0), tcp_isn(&b, &tuple0, 0));
	/* The cookie key plays no part in ISNs. */
	b = a;
	b.cookie_key[0] ^= 1;
	ck_assert_uint_eq(tcp_isn(&a, &tuple0, 0), tcp_isn(&b, &tuple0, 0));
}
END_TEST

START_TEST(test_isn_distribution)
{
	/* 100,000 sequential-looking tuples (one client, consecutive ports,
	 * as a port scan or a busy NAT would produce) at one instant: the low
	 * 8 bits must fill 256 bins evenly and each of the 32 bits be set
	 * about half the time. With a fixed seed this is deterministic; the
	 * bounds are loose (chi-square, 255 d.o.f.: mean 255, sd 22.6). */
	enum { N = 100000, BINS = 256 };
	static uint32_t bins[BINS];
	uint32_t ones[32] = {0};
	struct tcp_secret k = secret_from(SEED_A);
	struct tcp_4tuple t = tuple0;
	double chi2 = 0, expect = (double)N / BINS;

	memset(bins, 0, sizeof(bins));
	for (uint32_t i = 0; i < N; i++) {
		uint32_t isn;

		t.rport = (uint16_t)(1024 + i % 60000);
		t.raddr = tuple0.raddr + i / 60000;
		isn = tcp_isn(&k, &t, 3 * NS_PER_S);
		bins[isn & 0xff]++;
		for (int b = 0; b < 32; b++)
			ones[b] += (isn >> b) & 1;
	}
	for (int i = 0; i < BINS; i++)
		chi2 += (bins[i] - expect) * (bins[i] - expect) / expect;
	ck_assert_msg(chi2 > 150 && chi2 < 400, "chi2 = %f", chi2);
	/* Each bit: binomial(1e5, 1/2), sd 158; allow 6 sd. */
	for (int b = 0; b < 32; b++)
		ck_assert_msg(ones[b] > N / 2 - 950 && ones[b] < N / 2 + 950,
			      "bit %d set %u times", b, ones[b]);
}
END_TEST

/* ---- RFC 4987 SYN cookies ---- */

START_TEST(test_cookie_mss_table_sane)
{
	ck_assert_uint_eq(tcp_cookie_mss_table[0], 536);
	for (int i = 1; i < 8; i++)
		ck_assert_uint_gt(tcp_cookie_mss_table[i], tcp_cookie_mss_table[i - 1]);
	/* The common Ethernet value is there exactly. */
	ck_assert_uint_eq(tcp_cookie_mss_table[5], 1460);
}
END_TEST

/* Make a cookie and check it at the same instant; return the MSS. */
static uint16_t cookie_roundtrip_mss(uint16_t peer_mss)
{
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t now = 1000 * PERIOD_NS + 5 * NS_PER_S;
	uint32_t c = tcp_cookie_make(&k, &tuple0, 0xdeadbeef, peer_mss, now);
	uint16_t mss = 0;

	ck_assert_msg(tcp_cookie_check(&k, &tuple0, 0xdeadbeef, c, now, &mss),
		      "peer mss %u", peer_mss);
	return mss;
}

START_TEST(test_cookie_every_table_entry)
{
	for (int i = 0; i < 8; i++) {
		uint16_t m = tcp_cookie_mss_table[i];

		ck_assert_uint_eq(cookie_roundtrip_mss(m), m);
		ck_assert_uint_eq(cookie_roundtrip_mss((uint16_t)(m + 1)), m);
		if (i > 0)
			ck_assert_uint_eq(cookie_roundtrip_mss((uint16_t)(m - 1)),
					  tcp_cookie_mss_table[i - 1]);
	}
}
END_TEST

START_TEST(test_cookie_mss_boundaries)
{
	/* Below the table: the 536 floor (see cookie_mss_index()). */
	ck_assert_uint_eq(cookie_roundtrip_mss(0), 536);
	ck_assert_uint_eq(cookie_roundtrip_mss(535), 536);
	ck_assert_uint_eq(cookie_roundtrip_mss(536), 536);
	ck_assert_uint_eq(cookie_roundtrip_mss(1459), 1452);
	ck_assert_uint_eq(cookie_roundtrip_mss(1460), 1460);
	ck_assert_uint_eq(cookie_roundtrip_mss(8959), 4312);
	ck_assert_uint_eq(cookie_roundtrip_mss(65535), 8960);
	/* Never more than the peer offered, from 536 up. */
	for (uint32_t m = 536; m <= 65535; m += 7)
		ck_assert_uint_le(cookie_roundtrip_mss((uint16_t)m), m);
}
END_TEST

START_TEST(test_cookie_layout)
{
	/* Bits 31..27 = (now / 64 s) % 32, bits 26..24 = MSS index. */
	struct tcp_secret k = secret_from(SEED_A);

	for (uint64_t p = 0; p < 70; p++) {
		uint32_t c = tcp_cookie_make(&k, &tuple0, 1, 1460, p * PERIOD_NS + 17);

		ck_assert_uint_eq(c >> 27, p % 32);
		ck_assert_uint_eq((c >> 24) & 7, 5);
	}
	ck_assert_uint_eq((tcp_cookie_make(&k, &tuple0, 1, 65535, 0) >> 24) & 7, 7);
	ck_assert_uint_eq((tcp_cookie_make(&k, &tuple0, 1, 100, 0) >> 24) & 7, 0);
}
END_TEST

static bool check_at(const struct tcp_secret *k, uint32_t c, uint64_t now)
{
	uint16_t mss = 0;
	bool ok = tcp_cookie_check(k, &tuple0, 0x01020304, c, now, &mss);

	if (ok)
		ck_assert_uint_eq(mss, 1460);
	return ok;
}

START_TEST(test_cookie_expiry_aligned)
{
	/* Made at the very start of a period: valid through the end of the
	 * next one, i.e. for exactly 128 s. */
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t t0 = 500 * PERIOD_NS;
	uint32_t c = tcp_cookie_make(&k, &tuple0, 0x01020304, 1460, t0);

	ck_assert(check_at(&k, c, t0));
	ck_assert(check_at(&k, c, t0 + 63 * NS_PER_S));
	ck_assert(check_at(&k, c, t0 + 64 * NS_PER_S));
	ck_assert(check_at(&k, c, t0 + 100 * NS_PER_S));
	ck_assert(check_at(&k, c, t0 + 127 * NS_PER_S));
	ck_assert(check_at(&k, c, t0 + 128 * NS_PER_S - 1));
	ck_assert(!check_at(&k, c, t0 + 128 * NS_PER_S));
	ck_assert(!check_at(&k, c, t0 + 129 * NS_PER_S));
	ck_assert(!check_at(&k, c, t0 + 1000 * NS_PER_S));
	/* Every later period up to and past a wrap of the 5-bit counter. */
	for (uint64_t p = 2; p < 70; p++)
		ck_assert_msg(!check_at(&k, c, t0 + p * PERIOD_NS + 3), "period +%llu",
			      (unsigned long long)p);
}
END_TEST

START_TEST(test_cookie_expiry_unaligned)
{
	/* Made 1 s before a period ends: lives only 65 s (the 64-128 s
	 * window of RFC 4987 3.6 is measured in whole periods). */
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t t0 = 500 * PERIOD_NS + 63 * NS_PER_S;
	uint32_t c = tcp_cookie_make(&k, &tuple0, 0x01020304, 1460, t0);

	ck_assert(check_at(&k, c, t0));
	ck_assert(check_at(&k, c, t0 + 1 * NS_PER_S));
	ck_assert(check_at(&k, c, t0 + 65 * NS_PER_S - 1));
	ck_assert(!check_at(&k, c, t0 + 65 * NS_PER_S));
}
END_TEST

START_TEST(test_cookie_from_future_rejected)
{
	/* A cookie stamped with a period we have not reached is no cookie of
	 * ours (or our clock went backwards): reject it. */
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t t0 = 500 * PERIOD_NS;
	uint32_t c = tcp_cookie_make(&k, &tuple0, 0x01020304, 1460, t0);

	ck_assert(!check_at(&k, c, t0 - 1));
	ck_assert(!check_at(&k, c, t0 - PERIOD_NS));
}
END_TEST

START_TEST(test_cookie_counter_wrap)
{
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t t31 = 31 * PERIOD_NS + 10;
	uint32_t c = tcp_cookie_make(&k, &tuple0, 0x01020304, 1460, t31);

	/* t % 32 goes 31 -> 0: the previous period is still recognised. */
	ck_assert_uint_eq(c >> 27, 31);
	ck_assert(check_at(&k, c, 32 * PERIOD_NS));
	ck_assert(check_at(&k, c, 33 * PERIOD_NS - 1));
	ck_assert(!check_at(&k, c, 33 * PERIOD_NS));
	/* 32 periods later the 5 bits match again, but the hash covers the
	 * whole counter, so the stale cookie is still refused. */
	ck_assert(!check_at(&k, c, t31 + 32 * PERIOD_NS));
	ck_assert(!check_at(&k, c, t31 + 33 * PERIOD_NS));
	ck_assert(!check_at(&k, c, t31 + 64 * PERIOD_NS));
	/* At time 0 there is no previous period to fall back to. */
	c = tcp_cookie_make(&k, &tuple0, 0x01020304, 1460, 0);
	ck_assert(check_at(&k, c, 0));
	ck_assert(check_at(&k, c, PERIOD_NS));
	ck_assert(!check_at(&k, c, 2 * PERIOD_NS));
	ck_assert(!check_at(&k, c, 32 * PERIOD_NS));
}
END_TEST

START_TEST(test_cookie_wrong_tuple_or_isn)
{
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t now = 900 * PERIOD_NS;
	uint32_t c = tcp_cookie_make(&k, &tuple0, 0x01020304, 1460, now);
	struct tcp_4tuple t;
	uint16_t mss;

	ck_assert(tcp_cookie_check(&k, &tuple0, 0x01020304, c, now, &mss));
	t = tuple0; t.laddr++;
	ck_assert(!tcp_cookie_check(&k, &t, 0x01020304, c, now, &mss));
	t = tuple0; t.raddr++;
	ck_assert(!tcp_cookie_check(&k, &t, 0x01020304, c, now, &mss));
	t = tuple0; t.lport++;
	ck_assert(!tcp_cookie_check(&k, &t, 0x01020304, c, now, &mss));
	t = tuple0; t.rport++;
	ck_assert(!tcp_cookie_check(&k, &t, 0x01020304, c, now, &mss));
	/* The peer's ISN is bound too (the ACK's SEG.SEQ - 1). */
	ck_assert(!tcp_cookie_check(&k, &tuple0, 0x01020305, c, now, &mss));
	ck_assert(!tcp_cookie_check(&k, &tuple0, 0x01020303, c, now, &mss));
	ck_assert(!tcp_cookie_check(&k, &tuple0, 0x81020304, c, now, &mss));
}
END_TEST

START_TEST(test_cookie_wrong_key)
{
	struct tcp_secret a = secret_from(SEED_A), b = secret_from(SEED_B);
	uint64_t now = 900 * PERIOD_NS;
	uint32_t c = tcp_cookie_make(&a, &tuple0, 7, 1460, now);
	uint16_t mss;

	/* Another stack (or this one after a restart) cannot validate it. */
	ck_assert(!tcp_cookie_check(&b, &tuple0, 7, c, now, &mss));
	/* The ISN key plays no part in cookies. */
	b = a;
	b.isn_key[3] ^= 4;
	ck_assert(tcp_cookie_check(&b, &tuple0, 7, c, now, &mss));
	b = a;
	b.cookie_key[3] ^= 4;
	ck_assert(!tcp_cookie_check(&b, &tuple0, 7, c, now, &mss));
}
END_TEST

START_TEST(test_cookie_bit_flips)
{
	/* _i = the bit flipped. Every bit is authenticated: the 24 hash bits
	 * directly, the 8 t/MSS bits because the hash covers t and the index.
	 * Checked at the making period and the one after. */
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t now = 700 * PERIOD_NS + 30 * NS_PER_S;
	uint64_t s = 99;

	for (int n = 0; n < 200; n++) {
		struct tcp_4tuple t = n ? random_tuple(&s) : tuple0;
		uint32_t pisn = (uint32_t)rng_next(&s);
		uint16_t pmss = (uint16_t)rng_next(&s);
		uint32_t c = tcp_cookie_make(&k, &t, pisn, pmss, now);
		uint32_t bad = c ^ (1u << _i);
		uint16_t mss = 0;

		ck_assert(tcp_cookie_check(&k, &t, pisn, c, now, &mss));
		ck_assert_msg(!tcp_cookie_check(&k, &t, pisn, bad, now, &mss),
			      "bit %d accepted (n %d)", _i, n);
		ck_assert(!tcp_cookie_check(&k, &t, pisn, bad, now + PERIOD_NS, &mss));
	}
}
END_TEST

START_TEST(test_cookie_many_roundtrips)
{
	/* Random tuples, ISNs, offered MSS and instants: each cookie checks,
	 * and the MSS is the table's largest not above the offer (or 536). */
	struct tcp_secret k = secret_from(SEED_B);
	uint64_t s = 2024;

	for (int n = 0; n < 20000; n++) {
		struct tcp_4tuple t = random_tuple(&s);
		uint32_t pisn = (uint32_t)rng_next(&s);
		uint16_t pmss = (uint16_t)rng_next(&s);
		uint64_t now = rng_next(&s) >> 8;
		uint64_t later = now + rng_next(&s) % PERIOD_NS;
		uint32_t c = tcp_cookie_make(&k, &t, pisn, pmss, now);
		uint16_t mss = 0, want = 536;

		for (int i = 0; i < 8; i++)
			if (tcp_cookie_mss_table[i] <= pmss)
				want = tcp_cookie_mss_table[i];
		ck_assert(tcp_cookie_check(&k, &t, pisn, c, later, &mss));
		ck_assert_uint_eq(mss, want);
	}
}
END_TEST

START_TEST(test_cookie_random_guesses_fail)
{
	/* An attacker guessing cookies blind: with 24 hash bits 10^5 guesses
	 * should all fail (expected accepts ~ 0.0004 with this fixed seed). */
	struct tcp_secret k = secret_from(SEED_A);
	uint64_t now = 321 * PERIOD_NS, s = 7;
	int accepted = 0;
	uint16_t mss;

	for (int n = 0; n < 100000; n++)
		accepted += tcp_cookie_check(&k, &tuple0, 5, (uint32_t)rng_next(&s), now, &mss);
	ck_assert_int_eq(accepted, 0);
}
END_TEST

/* ---- SYN options in TSval ---- */

static void ts_roundtrip(uint32_t ts_now, uint8_t ws, bool has_ws, bool sack)
{
	uint32_t enc = tcp_cookie_ts_encode(ts_now, ws, has_ws, sack);
	uint8_t ws2 = 0xaa;
	bool has2 = !has_ws, sack2 = !sack;

	/* Never ahead of the clock, and at most one 64-tick block behind. */
	ck_assert_uint_le(ts_now - enc, 63);
	/* The peer echoes TSval in TSecr. */
	tcp_cookie_ts_decode(enc, &ws2, &has2, &sack2);
	ck_assert(has2 == has_ws);
	ck_assert(sack2 == sack);
	ck_assert_uint_eq(ws2, has_ws ? ws : 0);
}

START_TEST(test_ts_roundtrip_all)
{
	static const uint32_t clocks[] = {
		0, 1, 5, 63, 64, 0x12345678, 0x7fffffc0, 0xffffffc0, 0xffffffff,
	};

	for (size_t c = 0; c < sizeof(clocks) / sizeof(clocks[0]); c++) {
		for (int sack = 0; sack < 2; sack++) {
			for (uint8_t ws = 0; ws <= 14; ws++)
				ts_roundtrip(clocks[c], ws, true, sack);
			ts_roundtrip(clocks[c], 0, false, sack);
			ts_roundtrip(clocks[c], 9, false, sack);
		}
	}
}
END_TEST

START_TEST(test_ts_layout)
{
	uint8_t ws;
	bool has, sack;

	/* bits 0-3 wscale (15 = none), bit 4 SACK, bit 5 spare. */
	ck_assert_uint_eq(tcp_cookie_ts_encode(0x1234567f, 7, true, true), 0x12345657);
	ck_assert_uint_eq(tcp_cookie_ts_encode(0x1234567f, 0, true, false), 0x12345640);
	ck_assert_uint_eq(tcp_cookie_ts_encode(0x1234567f, 3, false, false), 0x1234564f);
	ck_assert_uint_eq(tcp_cookie_ts_encode(0x1234567f, 0, false, true), 0x1234565f);
	/* Options above the clock's low bits: step back a block. */
	ck_assert_uint_eq(tcp_cookie_ts_encode(0x12345640, 7, true, true), 0x12345617);
	ck_assert_uint_eq(tcp_cookie_ts_encode(0x00000003, 14, true, false), 0xffffffce);
	/* The spare bit and the clock bits do not disturb decoding. */
	tcp_cookie_ts_decode(0xabcdef00 | 0x20 | 0x10 | 6, &ws, &has, &sack);
	ck_assert(has && sack);
	ck_assert_uint_eq(ws, 6);
	tcp_cookie_ts_decode(0xffffffef, &ws, &has, &sack);
	ck_assert(!has && !sack);
}
END_TEST

START_TEST(test_ts_wscale_clamped)
{
	uint8_t ws;
	bool has, sack;

	/* RFC 7323 2.3: a shift above 14 is taken as 14, never as "none". */
	for (unsigned w = 15; w <= 255; w++) {
		tcp_cookie_ts_decode(tcp_cookie_ts_encode(1000000, (uint8_t)w, true, false),
				     &ws, &has, &sack);
		ck_assert(has);
		ck_assert_uint_eq(ws, 14);
		ck_assert(!sack);
	}
}
END_TEST

static Suite *tcp_isn_suite(void)
{
	Suite *s = suite_create("tcp_isn");
	TCase *tc;

	tc = tcase_create("siphash");
	tcase_add_loop_test(tc, test_siphash_vectors, 0, 64);
	tcase_add_test(tc, test_siphash_unaligned);
	tcase_add_test(tc, test_siphash_key_and_length_sensitivity);
	suite_add_tcase(s, tc);

	tc = tcase_create("secret");
	tcase_add_test(tc, test_secret_seed_deterministic);
	tcase_add_test(tc, test_secret_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("isn");
	tcase_add_test(tc, test_isn_deterministic);
	tcase_add_test(tc, test_isn_layout);
	tcase_add_test(tc, test_isn_clock_4us);
	tcase_add_test(tc, test_isn_clock_wraps);
	tcase_add_test(tc, test_isn_differs_across_tuples);
	tcase_add_test(tc, test_isn_differs_across_keys);
	tcase_add_test(tc, test_isn_distribution);
	suite_add_tcase(s, tc);

	tc = tcase_create("cookie");
	tcase_add_test(tc, test_cookie_mss_table_sane);
	tcase_add_test(tc, test_cookie_every_table_entry);
	tcase_add_test(tc, test_cookie_mss_boundaries);
	tcase_add_test(tc, test_cookie_layout);
	tcase_add_test(tc, test_cookie_expiry_aligned);
	tcase_add_test(tc, test_cookie_expiry_unaligned);
	tcase_add_test(tc, test_cookie_from_future_rejected);
	tcase_add_test(tc, test_cookie_counter_wrap);
	tcase_add_test(tc, test_cookie_wrong_tuple_or_isn);
	tcase_add_test(tc, test_cookie_wrong_key);
	tcase_add_loop_test(tc, test_cookie_bit_flips, 0, 32);
	tcase_add_test(tc, test_cookie_many_roundtrips);
	tcase_add_test(tc, test_cookie_random_guesses_fail);
	suite_add_tcase(s, tc);

	tc = tcase_create("ts");
	tcase_add_test(tc, test_ts_roundtrip_all);
	tcase_add_test(tc, test_ts_layout);
	tcase_add_test(tc, test_ts_wscale_clamped);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tcp_isn_suite());
	int failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}

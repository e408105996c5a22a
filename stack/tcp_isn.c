/*
 * SipHash-2-4, RFC 6528 initial sequence numbers and RFC 4987 SYN cookies.
 * Pure code (no EAL, no clock): tcp_in.c/tcp_out.c call tcp_isn() for an
 * active or passive open and the cookie functions when the SYN queue is full;
 * the stack calls tcp_secret_init() once when it is created.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "tcp_isn.h"

/* ---- SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012, section 2) ---- */

static inline uint64_t sip_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

/* The paper reads key and message words little-endian whatever the host's
 * byte order, so assemble them byte by byte (this also needs no alignment). */
static inline uint64_t sip_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* One SipRound: the ARX network of section 2, figure 2.1. */
static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = sip_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = sip_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = sip_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = sip_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = sip_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = sip_rotl(v[2], 32);
}

/* c = 2 compression rounds per message word, d = 4 finalization rounds. */
static inline void sip_compress(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

uint64_t tern_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = sip_le64(key), k1 = sip_le64(key + 8);
	/* Initialization: the key XORed into the ASCII of "somepseudorandomly
	 * generatedbytes", so no key gives a trivially symmetric state. */
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ull,
		k1 ^ 0x646f72616e646f6dull,
		k0 ^ 0x6c7967656e657261ull,
		k1 ^ 0x7465646279746573ull,
	};
	size_t full = len & ~(size_t)7;
	uint64_t last;

	for (size_t i = 0; i < full; i += 8)
		sip_compress(v, sip_le64(p + i));
	/* The final word holds the 0..7 leftover bytes and, in its top byte,
	 * len mod 256: the padding that makes distinct lengths distinct. */
	last = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < (len & 7); i++)
		last |= (uint64_t)p[full + i] << (8 * i);
	sip_compress(v, last);
	/* Finalization: XOR 0xff into v2 so the last block cannot be confused
	 * with a compression step, then d = 4 rounds. */
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- secrets ---- */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Fill @p buf from the kernel CSPRNG. A predictable key would make ISNs
 * and cookies forgeable (the whole point of RFC 6528), so with no entropy
 * source at all we stop rather than fall back to something guessable. */
static void secret_random(uint8_t *buf, size_t len)
{
	size_t got = 0;
	int fd;

	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);

		if (n > 0)
			got += (size_t)n;
		else if (n < 0 && errno != EINTR)
			break;
	}
	if (got == len)
		return;
	/* getrandom() is missing (ENOSYS in some sandboxes): the device. */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		abort();
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || errno != EINTR)
			abort();
	}
	close(fd);
}

void tcp_secret_init(struct tcp_secret *k, uint64_t seed)
{
	uint8_t seed_key[16], label[8];

	if (seed == 0) {
		secret_random(k->isn_key, sizeof(k->isn_key));
		secret_random(k->cookie_key, sizeof(k->cookie_key));
		secret_random((uint8_t *)k->lookup_key, sizeof(k->lookup_key));
		return;
	}
	/* Tests want reproducible keys: use SipHash as a PRF keyed by the seed
	 * and expand four labelled words. The two keys are independent, and
	 * neither equals the stack's splitmix64 PRNG state from the same seed. */
	put_le64(seed_key, seed);
	put_le64(seed_key + 8, ~seed);
	for (int i = 0; i < 4; i++) {
		uint8_t *dst = i < 2 ? k->isn_key + 8 * i : k->cookie_key + 8 * (i - 2);

		memcpy(label, "tcpkey", 6);
		label[6] = 0;
		label[7] = (uint8_t)i;
		put_le64(dst, tern_siphash24(seed_key, label, sizeof(label)));
	}
	for (int i = 0; i < 4; i++) {
		memcpy(label, "lookup", 6);
		label[6] = 0;
		label[7] = (uint8_t)i;
		k->lookup_key[i] = tern_siphash24(seed_key, label, sizeof(label));
	}
}

/* ---- RFC 6528 initial sequence numbers ---- */

/* The fixed byte layout hashed for a connection, network byte order:
 *   0..3 laddr  4..5 lport  6..9 raddr  10..11 rport
 * (RFC 6528 3 lists F's inputs in this order). */
#define TUPLE_LEN 12
static void tuple_bytes(uint8_t out[TUPLE_LEN], const struct tcp_4tuple *t)
{
	put_be32(out, t->laddr);
	put_be16(out + 4, t->lport);
	put_be32(out + 6, t->raddr);
	put_be16(out + 10, t->rport);
}

/* RFC 6528 3 (after RFC 793 3.3): M ticks every 4 microseconds. */
#define ISN_TICK_NS 4000ull

uint32_t tcp_isn(const struct tcp_secret *k, const struct tcp_4tuple *t, uint64_t now)
{
	uint8_t msg[TUPLE_LEN];
	uint32_t m = (uint32_t)(now / ISN_TICK_NS);
	uint32_t f;

	tuple_bytes(msg, t);
	/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
	 * secretkey), F a PRF that must not be computable from outside; SipHash
	 * is one, and its low 32 bits are as good as any other 32. */
	f = (uint32_t)tern_siphash24(k->isn_key, msg, sizeof(msg));
	return m + f;
}

/* ---- RFC 4987 3.6 SYN cookies ----
 *
 * Cookie (our ISN on a SYN-ACK sent without keeping state), bit 31 first:
 *
 *   31    27 26  24 23                                    0
 *  +--------+------+---------------------------------------+
 *  | t % 32 | mssi |  low 24 bits of SipHash(cookie_key,   |
 *  | 5 bits | 3 b. |  tuple, peer_isn, t, mssi)            |
 *  +--------+------+---------------------------------------+
 *
 * t = now / 64 s. The hash covers the full 64-bit t (not just t % 32) and
 * the MSS index, so every one of the 32 bits is authenticated: the top 8
 * only say which t and MSS to recompute the hash for.
 */

/* Sorted ascending; the SYN-ACK encodes the largest entry <= the peer's MSS.
 * Each entry is a common path MTU minus 40 (IPv4 + TCP headers). */
const uint16_t tcp_cookie_mss_table[8] = {
	536,    /* RFC 9293 3.7.1 default (576-byte datagrams) */
	1240,   /* 1280-byte MTU tunnels */
	1300,   /* a common VPN / MSS clamp value */
	1440,   /* 1480 MTU: IP-in-IP, 6in4 */
	1452,   /* 1492 MTU: PPPoE */
	1460,   /* 1500 MTU: Ethernet */
	4312,   /* 4352 MTU: FDDI */
	8960,   /* 9000 MTU: jumbo Ethernet */
};

#define COOKIE_PERIOD_NS (64ull * 1000000000ull)
#define COOKIE_T_SHIFT   27
#define COOKIE_T_MASK    0x1fu
#define COOKIE_MSS_SHIFT 24
#define COOKIE_MSS_MASK  0x7u
#define COOKIE_HASH_MASK 0xffffffu

/* Hash input, network byte order: tuple (12), peer_isn (4), t (8), mssi (1). */
static uint32_t cookie_hash(const struct tcp_secret *k, const struct tcp_4tuple *t,
			    uint32_t peer_isn, uint64_t period, unsigned mssi)
{
	uint8_t msg[TUPLE_LEN + 4 + 8 + 1];

	tuple_bytes(msg, t);
	put_be32(msg + TUPLE_LEN, peer_isn);
	put_be32(msg + TUPLE_LEN + 4, (uint32_t)(period >> 32));
	put_be32(msg + TUPLE_LEN + 8, (uint32_t)period);
	msg[TUPLE_LEN + 12] = (uint8_t)mssi;
	return (uint32_t)tern_siphash24(k->cookie_key, msg, sizeof(msg)) & COOKIE_HASH_MASK;
}

static unsigned cookie_mss_index(uint16_t peer_mss)
{
	unsigned i;

	/* A peer offering less than 536 still gets index 0 (as Linux does):
	 * RFC 9293 3.7.1 lets every host assume 536, and 3 bits cannot carry
	 * an arbitrary small value. The caller may clamp further. */
	for (i = 7; i > 0; i--)
		if (tcp_cookie_mss_table[i] <= peer_mss)
			break;
	return i;
}

uint32_t tcp_cookie_make(const struct tcp_secret *k, const struct tcp_4tuple *t,
			 uint32_t peer_isn, uint16_t peer_mss, uint64_t now)
{
	uint64_t period = now / COOKIE_PERIOD_NS;
	unsigned mssi = cookie_mss_index(peer_mss);

	/* RFC 4987 3.6: top 5 bits t mod 32, next 3 bits an encoding of the
	 * MSS, bottom 24 bits a secret function of the addresses, ports and t. */
	return ((uint32_t)(period & COOKIE_T_MASK) << COOKIE_T_SHIFT) |
	       ((uint32_t)mssi << COOKIE_MSS_SHIFT) |
	       cookie_hash(k, t, peer_isn, period, mssi);
}

bool tcp_cookie_check(const struct tcp_secret *k, const struct tcp_4tuple *t,
		      uint32_t peer_isn, uint32_t cookie, uint64_t now, uint16_t *mss)
{
	uint64_t cur = now / COOKIE_PERIOD_NS;
	unsigned ct = (cookie >> COOKIE_T_SHIFT) & COOKIE_T_MASK;
	unsigned mssi = (cookie >> COOKIE_MSS_SHIFT) & COOKIE_MSS_MASK;

	/* RFC 4987 3.6: accept the current and the previous counter value, so a
	 * cookie lives 64 to 128 s; older ones (including t + 32k, which share
	 * the 5 bits) fail because the hash covers the full counter. */
	for (uint64_t back = 0; back <= 1 && back <= cur; back++) {
		uint64_t period = cur - back;

		if ((period & COOKIE_T_MASK) != ct)
			continue;
		if (cookie_hash(k, t, peer_isn, period, mssi) != (cookie & COOKIE_HASH_MASK))
			return false;
		if (mss)
			*mss = tcp_cookie_mss_table[mssi];
		return true;
	}
	return false;
}

/* ---- SYN options in the SYN-ACK's TSval (RFC 7323 lets TSval be any
 * value the sender chooses, so its low bits are ours to use) ----
 *
 * Low 6 bits of TSval:
 *   bits 0..3  window scale shift 0..14, 15 = no Window Scale option
 *   bit  4     SACK-permitted was offered
 *   bit  5     spare, sent as 0 and ignored
 * Bits 6..31 are ts_now's.
 */
#define TS_OPT_BITS     6
#define TS_OPT_MASK     ((1u << TS_OPT_BITS) - 1)
#define TS_WSCALE_MASK  0xfu
#define TS_WSCALE_NONE  0xfu
#define TS_SACK_BIT     0x10u
#define TS_WSCALE_MAX   14

uint32_t tcp_cookie_ts_encode(uint32_t ts_now, uint8_t wscale, bool has_wscale, bool sack_perm)
{
	uint32_t opt, ts;

	/* RFC 7323 2.3: a shift above 14 is used as 14. */
	if (wscale > TS_WSCALE_MAX)
		wscale = TS_WSCALE_MAX;
	opt = has_wscale ? wscale : TS_WSCALE_NONE;
	if (sack_perm)
		opt |= TS_SACK_BIT;
	ts = (ts_now & ~TS_OPT_MASK) | opt;
	/* Never send a TSval ahead of the clock: our later segments carry
	 * ts_now, and RFC 7323 5 (PAWS) at the peer would drop them if they
	 * looked older than this one. Step back one 64-tick block instead
	 * (modulo 2^32, as all TS arithmetic is). */
	if (opt > (ts_now & TS_OPT_MASK))
		ts -= TS_OPT_MASK + 1;
	return ts;
}

void tcp_cookie_ts_decode(uint32_t ts_ecr, uint8_t *wscale, bool *has_wscale, bool *sack_perm)
{
	uint32_t ws = ts_ecr & TS_WSCALE_MASK;

	*has_wscale = ws != TS_WSCALE_NONE;
	*wscale = *has_wscale ? (uint8_t)ws : 0;
	*sack_perm = (ts_ecr & TS_SACK_BIT) != 0;
}

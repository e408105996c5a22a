/*
 * Unit tests of IPv4 reassembly and fragmentation (stack/ipv4_reass.c,
 * stack/ipv4_frag.c) on real mbufs: fragments are built here as raw header
 * bytes, fed in every order, and the result compared byte for byte. Every
 * test ends with the pool back at its starting count.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <rte_mbuf.h>

#include "fixture.h"
#include "ipv4_frag.h"

#define SEC 1000000000ull
#define TIMEOUT (30 * SEC)
#define MAXDG 65535

/* ---- fixture ---- */

static unsigned pool_start;
static struct ipv4_reass *tr;
static struct tern_stats tst;
static uint32_t rng = 0x2545f491;

static void
setup(void)
{
	pool_start = fixture_pool_avail();
	tr = NULL;
	memset(&tst, 0, sizeof(tst));
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
	return x < y ? -1 : x > y;
}

/* A double free leaves the count right and the pool holding one mbuf
 * twice: drain the pool and look for repeats. */
static void
pool_check_unique(void)
{
	static struct rte_mbuf *all[8192];
	unsigned n = 0;
	while (n < 8192 && (all[n] = rte_pktmbuf_alloc(fixture_pool())) != NULL)
		n++;
	qsort(all, n, sizeof(all[0]), cmp_ptr);
	unsigned dups = 0;
	for (unsigned i = 1; i < n; i++)
		dups += all[i] == all[i - 1];
	for (unsigned i = 0; i < n; i++)
		if (i == 0 || all[i] != all[i - 1])
			rte_pktmbuf_free(all[i]);
	ck_assert_uint_eq(dups, 0);
}

static void
teardown(void)
{
	ipv4_reass_destroy(tr);
	tr = NULL;
	fixture_pool_check(pool_start);
	pool_check_unique();
}

static uint32_t
rnd(void)
{
	/* xorshift32: deterministic, so a failure replays. */
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void
shuffle(unsigned *a, unsigned n)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = rnd() % i;
		unsigned t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* ---- building datagrams and fragments ---- */

/* Own RFC 1071 sum, independent of wire_csum_*, to cross-check them. */
static uint16_t
t_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
set_csum(uint8_t *h, unsigned hlen)
{
	put16(h + 10, 0);
	put16(h + 10, t_csum(h, hlen));
}

struct dgram {
	uint8_t *b;       /* header + payload */
	unsigned hlen;
	unsigned len;     /* total length */
};

/* A datagram with random payload; options (if any) are @p opts, padded. */
static struct dgram
make_dgram(unsigned plen, uint16_t id, uint32_t src, uint8_t proto,
	   const uint8_t *opts, unsigned optlen)
{
	struct dgram d;
	d.hlen = 20 + (optlen + 3) / 4 * 4;
	d.len = d.hlen + plen;
	ck_assert_uint_le(d.len, MAXDG);
	d.b = calloc(1, d.len);
	ck_assert_ptr_nonnull(d.b);
	uint8_t *h = d.b;
	h[0] = (uint8_t)(0x40 | d.hlen / 4);
	h[1] = 0;
	put16(h + 2, (uint16_t)d.len);
	put16(h + 4, id);
	put16(h + 6, 0);
	h[8] = 64;
	h[9] = proto;
	h[12] = (uint8_t)(src >> 24);
	h[13] = (uint8_t)(src >> 16);
	h[14] = (uint8_t)(src >> 8);
	h[15] = (uint8_t)src;
	h[16] = 10, h[17] = 0, h[18] = 0, h[19] = 1;
	if (optlen > 0)
		memcpy(h + 20, opts, optlen);
	set_csum(h, d.hlen);
	for (unsigned i = d.hlen; i < d.len; i++)
		d.b[i] = (uint8_t)rnd();
	return d;
}

static struct dgram
make_udp(unsigned plen, uint16_t id)
{
	return make_dgram(plen, id, 0x0a000002, WIRE_PROTO_UDP, NULL, 0);
}

struct fspec {
	unsigned off, len;
	bool mf;
};

/* Fragment bytes of @p d: its header with length/offset/MF set, then
 * payload [off, off + len), then @p pad bytes of junk. @return length. */
static unsigned
make_frag(uint8_t *out, const struct dgram *d, struct fspec f, unsigned pad)
{
	memcpy(out, d->b, d->hlen);
	put16(out + 2, (uint16_t)(d->hlen + f.len));
	put16(out + 6, (uint16_t)((f.mf ? WIRE_IP_MF : 0) | f.off / 8));
	set_csum(out, d->hlen);
	memcpy(out + d->hlen, d->b + d->hlen + f.off, f.len);
	memset(out + d->hlen + f.len, 0xee, pad);
	return d->hlen + f.len + pad;
}

/* Split a payload of @p plen into @p n fragments at random multiples of 8. */
static void
split(unsigned plen, unsigned n, struct fspec *f)
{
	unsigned blocks = (plen + 7) / 8;   /* the last fragment may be short */
	ck_assert_uint_ge(blocks, n);
	unsigned cut[n + 1];
	cut[0] = 0;
	unsigned left = blocks;
	for (unsigned i = 1; i < n; i++) {
		/* leave at least one block for each remaining fragment */
		unsigned room = left - (n - i);
		unsigned take = 1 + rnd() % room;
		cut[i] = cut[i - 1] + take;
		left -= take;
	}
	for (unsigned i = 0; i < n; i++) {
		f[i].off = cut[i] * 8;
		f[i].mf = i + 1 < n;
	}
	for (unsigned i = 0; i + 1 < n; i++)
		f[i].len = f[i + 1].off - f[i].off;
	f[n - 1].len = plen - f[n - 1].off;
	ck_assert_uint_gt(f[n - 1].len, 0);
}

/* Even split into pieces of @p each bytes (a multiple of 8). @return count. */
static unsigned
split_even(unsigned plen, unsigned each, struct fspec *f)
{
	unsigned n = 0;
	for (unsigned off = 0; off < plen; off += each, n++) {
		f[n].off = off;
		f[n].len = plen - off < each ? plen - off : each;
		f[n].mf = off + each < plen;
	}
	return n;
}

/* An mbuf chain over @p data cut into segments of random small lengths,
 * some of them empty; the header may be split across segments. */
static struct rte_mbuf *
chain_mbuf(const uint8_t *data, unsigned len, unsigned maxseg)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	unsigned pos = 0;
	bool first = true;
	while (pos < len || head == NULL) {
		struct rte_mbuf *s = rte_pktmbuf_alloc(fixture_pool());
		ck_assert_ptr_nonnull(s);
		unsigned n = first ? 7 : rnd() % (maxseg + 1);
		first = false;
		if (n > len - pos)
			n = len - pos;
		memcpy(rte_pktmbuf_append(s, (uint16_t)n), data + pos, n);
		pos += n;
		if (head == NULL) {
			head = s;
		} else {
			tail->next = s;
			head->nb_segs++;
			head->pkt_len += n;
		}
		tail = s;
	}
	return head;
}

enum feed_kind { FEED_FLAT, FEED_CHAIN, FEED_CLONE };

/* Feed one fragment of @p d; @return what ipv4_reass_input returned. */
static struct rte_mbuf *
feed_ex(const struct dgram *d, struct fspec f, unsigned pad, enum feed_kind kind,
	uint64_t now)
{
	static uint8_t buf[MAXDG + 64];
	unsigned n = make_frag(buf, d, f, pad);
	struct ipv4_repr ip;
	ck_assert_int_eq(wire_ipv4_parse(buf, n, true, &ip), (int)d->hlen);
	struct rte_mbuf *m;
	if (kind == FEED_CHAIN) {
		m = chain_mbuf(buf, n, 40);
	} else {
		m = fixture_mbuf(buf, n);
		ck_assert_ptr_nonnull(m);
	}
	if (kind == FEED_CLONE) {
		/* An indirect mbuf: its header must not be written in place. */
		struct rte_mbuf *c = rte_pktmbuf_clone(m, fixture_pool());
		ck_assert_ptr_nonnull(c);
		rte_pktmbuf_free(m);   /* the clone now holds the only reference */
		m = c;
	}
	return ipv4_reass_input(tr, m, &ip, now, &tst);
}

static struct rte_mbuf *
feed(const struct dgram *d, struct fspec f)
{
	return feed_ex(d, f, 0, FEED_FLAT, 1000);
}

static struct rte_mbuf *
feed_at(const struct dgram *d, unsigned off, unsigned len, bool mf)
{
	return feed((d), (struct fspec){ off, len, mf });
}

/* The reassembled chain equals the original datagram, header and all
 * (the original had MF = offset = 0, so the rewritten header is the same
 * bytes, checksum included), and the chain is well formed. Frees @p m. */
static void
check_result(struct rte_mbuf *m, const struct dgram *d)
{
	static uint8_t got[MAXDG];
	const char *why = NULL;
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->pkt_len, d->len);
	ck_assert_msg(rte_mbuf_check(m, 1, &why) == 0, "mbuf check: %s", why);
	unsigned segs = 0;
	uint32_t sum = 0;
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		segs++;
		sum += s->data_len;
	}
	ck_assert_uint_eq(segs, m->nb_segs);
	ck_assert_uint_eq(sum, d->len);
	ck_assert_uint_ge(m->data_len, d->hlen);
	ck_assert_uint_eq(fixture_mbuf_read(m, got, sizeof(got)), d->len);
	ck_assert_uint_eq(t_csum(got, d->hlen), 0);
	ck_assert_uint_eq(get16(got + 2), d->len);
	ck_assert_uint_eq(get16(got + 6), 0);
	ck_assert_msg(memcmp(got, d->b, d->len) == 0, "bytes differ");
	rte_pktmbuf_free(m);
}

/* Feed @p f in the order @p ord; the last one must complete. */
static void
feed_order(const struct dgram *d, const struct fspec *f, const unsigned *ord,
	   unsigned n, enum feed_kind kind, unsigned pad)
{
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = feed_ex(d, f[ord[i]], pad, kind, 1000 + i);
		if (i + 1 < n) {
			ck_assert_ptr_null(m);
		} else {
			check_result(m, d);
		}
	}
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 0);
}

static void
new_table(unsigned max, uint32_t mem)
{
	tr = ipv4_reass_create(max, mem, TIMEOUT);
	ck_assert_ptr_nonnull(tr);
}

/* ---- reassembly: orders ---- */

static bool
next_perm(unsigned *a, unsigned n)
{
	if (n < 2)
		return false;
	unsigned i = n - 1;
	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return false;
	unsigned j = n - 1;
	while (a[j] <= a[i - 1])
		j--;
	unsigned t = a[i - 1];
	a[i - 1] = a[j];
	a[j] = t;
	for (unsigned l = i, r = n - 1; l < r; l++, r--) {
		t = a[l];
		a[l] = a[r];
		a[r] = t;
	}
	return true;
}

START_TEST(test_every_permutation)
{
	new_table(16, 1 << 20);
	for (unsigned n = 1; n <= 4; n++) {
		struct dgram d = make_udp(n * 200 + 13, (uint16_t)(100 + n));
		struct fspec f[4];
		split(d.len - d.hlen, n, f);
		unsigned ord[4] = { 0, 1, 2, 3 };
		unsigned perms = 0;
		do {
			feed_order(&d, f, ord, n, FEED_FLAT, 0);
			perms++;
		} while (next_perm(ord, n));
		ck_assert_uint_eq(perms, n == 1 ? 1 : n == 2 ? 2 : n == 3 ? 6 : 24);
		free(d.b);
	}
	/* n == 1 is a lone last fragment at offset 0: not a fragment at all. */
	ck_assert_uint_eq(tst.frag_reassembled, 2 + 6 + 24);
	ck_assert_uint_eq(tst.frag_rx, 2 * 2 + 3 * 6 + 4 * 24);
}
END_TEST

START_TEST(test_random_shuffles)
{
	new_table(16, 1 << 20);
	static const unsigned sizes[] = { 20, 21, 33, 64, 128, 200 };
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (unsigned iter = 0; iter < 30; iter++) {
			unsigned n = sizes[s];
			unsigned plen = n * 8 + rnd() % (n * 200);
			if (plen > 65000)
				plen = 65000;
			struct dgram d = make_udp(plen, (uint16_t)rnd());
			struct fspec f[256];
			unsigned ord[256];
			split(plen, n, f);
			for (unsigned i = 0; i < n; i++)
				ord[i] = i;
			shuffle(ord, n);
			feed_order(&d, f, ord, n, FEED_FLAT, 0);
			free(d.b);
		}
	}
}
END_TEST

START_TEST(test_options_header_kept)
{
	/* The first fragment's header, options and all, heads the result. */
	static const uint8_t opts[] = { 0x94, 0x04, 0x00, 0x00,   /* router alert (copied) */
					0x01, 0x07, 0x07, 0x04, 0, 0, 0, 0 };
	new_table(4, 1 << 20);
	struct dgram d = make_dgram(3000, 7, 0x0a000002, WIRE_PROTO_UDP, opts, sizeof(opts));
	ck_assert_uint_eq(d.hlen, 32);
	struct fspec f[8];
	unsigned n = split_even(3000, 1000, f);
	unsigned ord[] = { 2, 0, 1 };
	feed_order(&d, f, ord, n, FEED_FLAT, 0);
	free(d.b);
}
END_TEST

/* ---- duplicates ---- */

START_TEST(test_duplicates_all)
{
	new_table(4, 1 << 20);
	struct dgram d = make_udp(5000, 1);
	struct fspec f[16];
	unsigned n = split_even(5000, 400, f);
	for (unsigned i = 0; i + 1 < n; i++) {
		ck_assert_ptr_null(feed(&d, f[i]));
		ck_assert_ptr_null(feed(&d, f[i]));
	}
	ck_assert_uint_eq(tst.frag_dup, n - 1);
	check_result(feed(&d, f[n - 1]), &d);
	/* A copy arriving after completion starts a datagram that times out. */
	ck_assert_ptr_null(feed(&d, f[0]));
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	ipv4_reass_expire(tr, UINT64_MAX, &tst);
	ck_assert_uint_eq(tst.frag_timeout, 1);
	free(d.b);
}
END_TEST

START_TEST(test_duplicates_some)
{
	new_table(4, 1 << 20);
	for (unsigned iter = 0; iter < 50; iter++) {
		struct dgram d = make_udp(4000 + rnd() % 3000, (uint16_t)iter);
		struct fspec f[32];
		unsigned n = split_even(d.len - d.hlen, 256, f);
		unsigned ord[64], k = 0;
		for (unsigned i = 0; i < n; i++) {
			ord[k++] = i;
			if (rnd() % 3 == 0)
				ord[k++] = i;
		}
		shuffle(ord, k);
		uint64_t dup0 = tst.frag_dup;
		unsigned fed_dups = 0;
		bool seen[32] = { false };
		struct rte_mbuf *done = NULL;
		for (unsigned i = 0; i < k; i++) {
			struct rte_mbuf *m = feed(&d, f[ord[i]]);
			if (m != NULL) {
				ck_assert_ptr_null(done);
				done = m;
				/* later copies would start a new datagram: stop */
				break;
			}
			if (seen[ord[i]])
				fed_dups++;
			seen[ord[i]] = true;
		}
		check_result(done, &d);
		ck_assert_uint_eq(tst.frag_dup - dup0, fed_dups);
		ck_assert_uint_eq(ipv4_reass_count(tr), 0);
		free(d.b);
	}
}
END_TEST

/* ---- overlaps (RFC 5722 / RFC 1858) ---- */

/* Hold fragments [0,800) [1600,2400) of a 3200-byte payload, then feed the
 * overlapping piece: the datagram must be gone and counted. */
static void
overlap_case(unsigned off, unsigned len, bool mf)
{
	struct dgram d = make_udp(3200, 9);
	uint64_t ov0 = tst.frag_overlap;
	ck_assert_ptr_null(feed_at(&d, 0, 800, true));
	ck_assert_ptr_null(feed_at(&d, 1600, 800, true));
	ck_assert_ptr_null(feed_at(&d, 2400, 800, false));
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	ck_assert_ptr_null(feed_at(&d, off, len, mf));
	ck_assert_uint_eq(tst.frag_overlap, ov0 + 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 0);
	free(d.b);
}

START_TEST(test_overlaps)
{
	new_table(4, 1 << 20);
	overlap_case(400, 800, true);     /* starts inside the first */
	overlap_case(800, 808, true);     /* runs into [1600,..) by 8 */
	overlap_case(0, 1600, true);      /* superset of the first */
	overlap_case(0, 400, true);       /* same offset, shorter */
	overlap_case(1600, 1600, false);  /* same offset, longer */
	overlap_case(1608, 8, true);      /* inside a held one */
	overlap_case(800, 2400, false);   /* spans the hole and beyond */
	overlap_case(2392, 16, true);     /* straddles two adjacent held ones */
}
END_TEST

START_TEST(test_overlap_exact_range_is_dup)
{
	/* Same offset and length is a duplicate even with other flags/data. */
	new_table(4, 1 << 20);
	struct dgram d = make_udp(2400, 3);
	ck_assert_ptr_null(feed_at(&d, 0, 800, true));
	ck_assert_ptr_null(feed_at(&d, 0, 800, true));
	ck_assert_uint_eq(tst.frag_dup, 1);
	ck_assert_ptr_null(feed_at(&d, 1600, 800, false));
	check_result(feed_at(&d, 800, 800, true), &d);
	free(d.b);
}
END_TEST

START_TEST(test_tiny_fragment_attack)
{
	new_table(4, 1 << 20);
	/* RFC 1858 3.2: TCP first fragment of 8 bytes, flags in the second. */
	struct dgram t = make_dgram(64, 77, 0x0a000002, WIRE_PROTO_TCP, NULL, 0);
	ck_assert_ptr_null(feed_at(&t, 0, 8, true));
	ck_assert_ptr_null(feed_at(&t, 8, 56, false));
	ck_assert_uint_eq(tst.frag_overlap, 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	/* In the other order the FO=1 fragment never gets in either. */
	ck_assert_ptr_null(feed_at(&t, 8, 56, false));
	ck_assert_uint_eq(tst.frag_overlap, 2);
	ck_assert_ptr_null(feed_at(&t, 0, 8, true));
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);   /* waits for its timeout */
	ipv4_reass_expire(tr, UINT64_MAX, &tst);

	/* RFC 1858 3.3: a fragment at offset 16 rewriting TCP header bytes
	 * 16..23 of a 24-byte first fragment. */
	ck_assert_ptr_null(feed_at(&t, 0, 24, true));
	ck_assert_ptr_null(feed_at(&t, 16, 48, false));
	ck_assert_uint_eq(tst.frag_overlap, 3);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);

	/* UDP's header is 8 bytes: offset 8 is fine there. */
	struct dgram u = make_udp(64, 78);
	ck_assert_ptr_null(feed_at(&u, 8, 56, false));
	check_result(feed_at(&u, 0, 8, true), &u);
	ck_assert_uint_eq(tst.frag_overlap, 3);
	free(t.b);
	free(u.b);
}
END_TEST

/* ---- impossible fragments ---- */

START_TEST(test_ping_of_death)
{
	new_table(4, 1 << 20);
	struct dgram d = make_udp(65515, 5);   /* the largest legal datagram */
	ck_assert_ptr_null(feed_at(&d, 0, 1480, true));
	/* 20 + 65512 + 24 > 65535 */
	static uint8_t buf[2000];
	memcpy(buf, d.b, 20);
	put16(buf + 2, 20 + 24);
	put16(buf + 6, 65512 / 8);
	set_csum(buf, 20);
	struct ipv4_repr ip;
	ck_assert_int_eq(wire_ipv4_parse(buf, 44, true, &ip), 20);
	ck_assert_ptr_null(ipv4_reass_input(tr, fixture_mbuf(buf, 44), &ip, 1000, &tst));
	ck_assert_uint_eq(tst.frag_bad, 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);   /* datagram dropped with it */

	/* The exact maximum is fine. */
	ck_assert_ptr_null(feed_at(&d, 65512, 3, false));
	ck_assert_uint_eq(tst.frag_bad, 1);
	ipv4_reass_expire(tr, UINT64_MAX, &tst);

	/* A first fragment whose options push the end past 65535. */
	static const uint8_t opts[40] = { 0x94, 0x04 };
	struct dgram big = make_dgram(65515 - 40, 6, 0x0a000002, WIRE_PROTO_UDP, opts, 40);
	ck_assert_uint_eq(big.hlen, 60);
	struct dgram small = make_udp(65515, 6);   /* same key, 20-byte header */
	ck_assert_ptr_null(feed_at(&small, 65512, 3, false));   /* 20 + 65515 ok */
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	ck_assert_ptr_null(feed_at(&big, 0, 1480, true));         /* 60 + 65515 not */
	ck_assert_uint_eq(tst.frag_bad, 2);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	free(d.b);
	free(big.b);
	free(small.b);
}
END_TEST

START_TEST(test_bad_lengths)
{
	new_table(4, 1 << 20);
	struct dgram d = make_udp(3000, 11);
	ck_assert_ptr_null(feed_at(&d, 0, 1000, true));
	/* Non-last fragment not a multiple of 8: dropped alone. */
	ck_assert_ptr_null(feed_at(&d, 1000, 1004, true));
	ck_assert_uint_eq(tst.frag_bad, 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	/* Empty fragment: dropped alone. */
	ck_assert_ptr_null(feed_at(&d, 1000, 0, true));
	ck_assert_uint_eq(tst.frag_bad, 2);
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	ck_assert_ptr_null(feed_at(&d, 2000, 1000, false));
	/* A second last fragment with another end: the datagram goes. */
	ck_assert_ptr_null(feed_at(&d, 2000, 992, false));
	ck_assert_uint_eq(tst.frag_bad, 3);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);

	/* A last fragment ending before data already held. */
	ck_assert_ptr_null(feed_at(&d, 1600, 400, true));
	ck_assert_ptr_null(feed_at(&d, 800, 400, false));
	ck_assert_uint_eq(tst.frag_bad, 4);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);

	/* A fragment past the known end. */
	ck_assert_ptr_null(feed_at(&d, 1000, 1000, false));
	ck_assert_ptr_null(feed_at(&d, 2000, 1000, true));
	ck_assert_uint_eq(tst.frag_bad, 5);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);

	/* The same last fragment twice is a plain duplicate. */
	ck_assert_ptr_null(feed_at(&d, 2000, 1000, false));
	ck_assert_ptr_null(feed_at(&d, 2000, 1000, false));
	ck_assert_uint_eq(tst.frag_dup, 1);
	ck_assert_ptr_null(feed_at(&d, 0, 1000, true));
	check_result(feed_at(&d, 1000, 1000, true), &d);
	ck_assert_uint_eq(tst.frag_bad, 5);
	free(d.b);
}
END_TEST

START_TEST(test_not_a_fragment)
{
	/* MF = 0, offset 0: returned as is, padding trimmed, nothing counted. */
	new_table(4, 1 << 20);
	struct dgram d = make_udp(100, 1);
	check_result(feed_ex(&d, (struct fspec){ 0, 100, false }, 18, FEED_FLAT, 0), &d);
	ck_assert_uint_eq(tst.frag_rx, 0);
	free(d.b);
}
END_TEST

/* ---- time ---- */

START_TEST(test_timeout_virtual_clock)
{
	new_table(8, 1 << 20);
	struct dgram a = make_udp(3000, 1), b = make_udp(3000, 2);
	uint64_t t0 = 5 * SEC;
	ck_assert_uint_eq(ipv4_reass_next_deadline(tr), UINT64_MAX);
	ck_assert_ptr_null(feed_ex(&a, (struct fspec){ 0, 1000, true }, 0, FEED_FLAT, t0));
	ck_assert_uint_eq(ipv4_reass_next_deadline(tr), t0 + TIMEOUT);
	/* A later fragment does not extend the deadline (RFC 791 3.2 timer
	 * starts with the first fragment; we do not restart it). */
	ck_assert_ptr_null(feed_ex(&a, (struct fspec){ 1000, 1000, true }, 0, FEED_FLAT, t0 + SEC));
	ck_assert_ptr_null(feed_ex(&b, (struct fspec){ 0, 1000, true }, 0, FEED_FLAT, t0 + 2 * SEC));
	ck_assert_uint_eq(ipv4_reass_next_deadline(tr), t0 + TIMEOUT);

	ipv4_reass_expire(tr, t0 + TIMEOUT - 1, &tst);
	ck_assert_uint_eq(ipv4_reass_count(tr), 2);
	ck_assert_uint_eq(tst.frag_timeout, 0);
	ipv4_reass_expire(tr, t0 + TIMEOUT, &tst);
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	ck_assert_uint_eq(tst.frag_timeout, 1);   /* one per datagram, not per fragment */
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 1000);
	ck_assert_uint_eq(ipv4_reass_next_deadline(tr), t0 + 2 * SEC + TIMEOUT);

	/* The rest of a expires before it is looked at: a new datagram starts. */
	ck_assert_ptr_null(feed_ex(&a, (struct fspec){ 2000, 1000, false }, 0, FEED_FLAT,
				   t0 + 2 * SEC + TIMEOUT));
	ck_assert_uint_eq(tst.frag_timeout, 2);
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	ck_assert_uint_eq(ipv4_reass_next_deadline(tr), t0 + 2 * SEC + 2 * TIMEOUT);
	ipv4_reass_expire(tr, UINT64_MAX, &tst);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	ck_assert_uint_eq(ipv4_reass_next_deadline(tr), UINT64_MAX);
	ck_assert_uint_eq(tst.frag_timeout, 3);
	free(a.b);
	free(b.b);
}
END_TEST

static unsigned expired_calls;
static uint16_t expired_id;
static uint32_t expired_len;

static void
on_expired(void *arg, const struct rte_mbuf *first)
{
	(void)arg;
	uint8_t h[20];
	fixture_mbuf_read(first, h, sizeof(h));
	expired_calls++;
	expired_id = (uint16_t)(h[4] << 8 | h[5]);
	expired_len = first->pkt_len;
}

START_TEST(test_timeout_callback)
{
	/* RFC 1122 3.3.2: Time Exceeded only when fragment zero had come. The
	 * callback sees that fragment (header + its payload) before it is freed. */
	new_table(8, 1 << 20);
	struct dgram a = make_udp(3000, 11), b = make_udp(3000, 12);
	ck_assert_ptr_null(feed_ex(&a, (struct fspec){ 0, 1000, true }, 0, FEED_FLAT, 0));
	ck_assert_ptr_null(feed_ex(&b, (struct fspec){ 1000, 1000, true }, 0, FEED_FLAT, 0));
	expired_calls = 0;
	ipv4_reass_on_expired(tr, on_expired, NULL);
	ipv4_reass_expire(tr, TIMEOUT, &tst);
	ck_assert_uint_eq(tst.frag_timeout, 2);
	ck_assert_uint_eq(expired_calls, 1);          /* b had no fragment zero */
	ck_assert_uint_eq(expired_id, a.b[4] << 8 | a.b[5]);
	ck_assert_uint_eq(expired_len, a.hlen + 1000);
	free(a.b);
	free(b.b);
}
END_TEST

START_TEST(test_timeout_saturates)
{
	tr = ipv4_reass_create(2, 1 << 20, UINT64_MAX);
	ck_assert_ptr_nonnull(tr);
	struct dgram a = make_udp(3000, 1);
	ck_assert_ptr_null(feed_ex(&a, (struct fspec){ 0, 1000, true }, 0, FEED_FLAT, 7));
	ck_assert_uint_eq(ipv4_reass_next_deadline(tr), UINT64_MAX);
	ipv4_reass_expire(tr, 1000 * SEC, &tst);
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	free(a.b);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_memory_cap)
{
	/* The cap is charged buffers (each flat fragment = one mbuf of B
	 * bytes), not payload: tiny fragments cannot pin more of the pool. */
	const uint32_t B = RTE_MBUF_DEFAULT_BUF_SIZE;
	new_table(8, 2 * B);
	struct dgram a = make_udp(3000, 1), b = make_udp(3000, 2), c = make_udp(3000, 3);
	ck_assert_ptr_null(feed_at(&a, 0, 400, true));
	ck_assert_ptr_null(feed_at(&b, 0, 400, true));
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 800);
	/* c needs one more buffer: the oldest (a) is evicted. */
	ck_assert_ptr_null(feed_at(&c, 0, 400, true));
	ck_assert_uint_eq(tst.frag_mem, 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 2);
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 800);
	/* b is oldest now, and it is b that grows: it goes, fragment and all. */
	ck_assert_ptr_null(feed_at(&b, 400, 8, true));
	ck_assert_uint_eq(tst.frag_mem, 2);
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 400);
	/* Within the cap everything still completes. */
	ipv4_reass_expire(tr, UINT64_MAX, &tst);
	struct dgram s = make_udp(1000, 4);
	ck_assert_ptr_null(feed_at(&s, 0, 504, true));
	check_result(feed_at(&s, 504, 496, false), &s);
	ipv4_reass_destroy(tr);
	/* A cap below one buffer takes nothing, however small the payload. */
	new_table(8, B - 1);
	ck_assert_ptr_null(feed_at(&a, 0, 8, true));
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 0);
	free(a.b);
	free(b.b);
	free(c.b);
	free(s.b);
}
END_TEST

START_TEST(test_table_full)
{
	new_table(2, 1 << 20);
	struct dgram a = make_udp(2000, 1), b = make_udp(2000, 2), c = make_udp(2000, 3);
	ck_assert_ptr_null(feed_at(&a, 0, 1000, true));
	ck_assert_ptr_null(feed_at(&b, 0, 1000, true));
	ck_assert_ptr_null(feed_at(&c, 0, 1000, true));   /* evicts a */
	ck_assert_uint_eq(tst.frag_mem, 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 2);
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 2000);
	check_result(feed_at(&b, 1000, 1000, false), &b);
	check_result(feed_at(&c, 1000, 1000, false), &c);
	/* a's rest starts over and can only time out. */
	ck_assert_ptr_null(feed_at(&a, 1000, 1000, false));
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	free(a.b);
	free(b.b);
	free(c.b);
}
END_TEST

START_TEST(test_table_zero)
{
	new_table(0, 1 << 20);
	struct dgram a = make_udp(2000, 1);
	ck_assert_ptr_null(feed_at(&a, 0, 1000, true));
	ck_assert_uint_eq(tst.frag_mem, 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	free(a.b);
}
END_TEST

START_TEST(test_too_many_fragments)
{
	new_table(2, 1 << 20);
	unsigned n = IPV4_REASS_MAX_FRAGS + 1;
	struct dgram d = make_udp(n * 8 + 8, 1);
	for (unsigned i = 0; i < IPV4_REASS_MAX_FRAGS; i++)
		ck_assert_ptr_null(feed_at(&d, 8 * (i + 1), 8, true));
	ck_assert_uint_eq(ipv4_reass_count(tr), 1);
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 8 * IPV4_REASS_MAX_FRAGS);
	ck_assert_uint_eq(tst.frag_mem, 0);
	ck_assert_ptr_null(feed_at(&d, 0, 8, true));
	ck_assert_uint_eq(tst.frag_mem, 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);

	/* Exactly the maximum completes. */
	struct dgram e = make_udp(IPV4_REASS_MAX_FRAGS * 8 - 3, 2);
	struct fspec f[IPV4_REASS_MAX_FRAGS];
	unsigned ord[IPV4_REASS_MAX_FRAGS];
	unsigned k = split_even(e.len - e.hlen, 8, f);
	ck_assert_uint_eq(k, IPV4_REASS_MAX_FRAGS);
	for (unsigned i = 0; i < k; i++)
		ord[i] = i;
	shuffle(ord, k);
	feed_order(&e, f, ord, k, FEED_FLAT, 0);
	free(d.b);
	free(e.b);
}
END_TEST

/* ---- shapes of input ---- */

START_TEST(test_ethernet_padding)
{
	new_table(4, 1 << 20);
	for (unsigned iter = 0; iter < 20; iter++) {
		struct dgram d = make_udp(40 + rnd() % 200, (uint16_t)iter);
		struct fspec f[16];
		unsigned n = split_even(d.len - d.hlen, 16, f);
		unsigned ord[16];
		for (unsigned i = 0; i < n; i++)
			ord[i] = i;
		shuffle(ord, n);
		/* Pad every fragment to the 46-byte Ethernet minimum payload or more. */
		for (unsigned i = 0; i < n; i++) {
			unsigned len = d.hlen + f[ord[i]].len;
			unsigned pad = (len < 46 ? 46 - len : 0) + rnd() % 8;
			struct rte_mbuf *m = feed_ex(&d, f[ord[i]], pad, FEED_FLAT, 1);
			if (i + 1 < n)
				ck_assert_ptr_null(m);
			else
				check_result(m, &d);
		}
		free(d.b);
	}
}
END_TEST

START_TEST(test_chained_input)
{
	/* ~450 segments of ~20 bytes per datagram: the cap charges buffers,
	 * so give this one room for them. */
	new_table(4, 16u << 20);
	for (unsigned iter = 0; iter < 40; iter++) {
		struct dgram d = make_udp(1000 + rnd() % 8000, (uint16_t)iter);
		struct fspec f[32];
		unsigned n = 2 + rnd() % 20;
		split(d.len - d.hlen, n, f);
		unsigned ord[32];
		for (unsigned i = 0; i < n; i++)
			ord[i] = i;
		shuffle(ord, n);
		feed_order(&d, f, ord, n, FEED_CHAIN, iter % 3 == 0 ? 5 : 0);
		free(d.b);
	}
}
END_TEST

START_TEST(test_cloned_input)
{
	/* Indirect mbufs: the first fragment's header is copied, not written. */
	new_table(4, 1 << 20);
	struct dgram d = make_udp(3000, 1);
	struct fspec f[8];
	unsigned n = split_even(3000, 1000, f);
	unsigned ord[] = { 1, 0, 2 };
	feed_order(&d, f, ord, n, FEED_CLONE, 3);
	free(d.b);
}
END_TEST

START_TEST(test_header_copy_nombuf)
{
	/* The first fragment's header split over segments needs a fresh head;
	 * with the pool empty the datagram goes, counted, nothing leaks. */
	new_table(4, 1 << 20);
	struct dgram d = make_udp(2000, 1);
	ck_assert_ptr_null(feed_at(&d, 1000, 1000, false));
	static uint8_t buf[1100];
	unsigned n = make_frag(buf, &d, (struct fspec){ 0, 1000, true }, 0);
	struct ipv4_repr ip;
	ck_assert_int_eq(wire_ipv4_parse(buf, n, true, &ip), 20);
	struct rte_mbuf *m = chain_mbuf(buf, n, 300);   /* first segment: 7 bytes */
	static struct rte_mbuf *hoard[8192];
	unsigned h = 0;
	while ((hoard[h] = rte_pktmbuf_alloc(fixture_pool())) != NULL)
		h++;
	ck_assert_ptr_null(ipv4_reass_input(tr, m, &ip, 1000, &tst));
	for (unsigned i = 0; i < h; i++)
		rte_pktmbuf_free(hoard[i]);
	ck_assert_uint_eq(tst.nombuf, 1);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	ck_assert_uint_eq(ipv4_reass_bytes(tr), 0);
	free(d.b);
}
END_TEST

START_TEST(test_interleaved)
{
	new_table(16, 1 << 20);
	enum { ND = 6 };
	struct dgram d[ND];
	struct fspec f[ND][32];
	unsigned nf[ND];
	struct { unsigned dg, fr; } order[ND * 32];
	unsigned k = 0;
	for (unsigned i = 0; i < ND; i++) {
		/* Same id with other source or protocol must not mix. */
		d[i] = make_dgram(2000 + rnd() % 5000, (uint16_t)(i / 2),
				  0x0a000002 + (i % 2), i == 5 ? WIRE_PROTO_ICMP : WIRE_PROTO_UDP,
				  NULL, 0);
		nf[i] = 3 + rnd() % 20;
		split(d[i].len - d[i].hlen, nf[i], f[i]);
		for (unsigned j = 0; j < nf[i]; j++) {
			order[k].dg = i;
			order[k].fr = j;
			k++;
		}
	}
	for (unsigned i = k; i > 1; i--) {
		unsigned j = rnd() % i;
		__typeof__(order[0]) t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	unsigned done = 0;
	for (unsigned i = 0; i < k; i++) {
		struct rte_mbuf *m = feed(&d[order[i].dg], f[order[i].dg][order[i].fr]);
		if (m != NULL) {
			uint8_t h[20];
			fixture_mbuf_read(m, h, 20);
			unsigned which = ND;
			for (unsigned j = 0; j < ND; j++)
				if (memcmp(h + 4, d[j].b + 4, 2) == 0 && h[9] == d[j].b[9] &&
				    memcmp(h + 12, d[j].b + 12, 4) == 0)
					which = j;
			ck_assert_uint_lt(which, ND);
			check_result(m, &d[which]);
			done++;
		}
	}
	ck_assert_uint_eq(done, ND);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	for (unsigned i = 0; i < ND; i++)
		free(d[i].b);
}
END_TEST

/* ---- fragmentation ---- */

static struct rte_mbuf *out_frags[8192];

/* Fragment @p d at @p mtu, check every fragment, reassemble, compare. */
static void
round_trip(const struct dgram *d, uint16_t mtu, uint16_t headroom)
{
	struct rte_mbuf *m = fixture_mbuf(d->b, d->len);
	ck_assert_ptr_nonnull(m);
	int n = ipv4_fragment(m, mtu, fixture_pool(), headroom, out_frags, 8192);
	ck_assert_int_gt(n, 0);
	if (d->len <= mtu) {
		ck_assert_int_eq(n, 1);
		ck_assert_ptr_eq(out_frags[0], m);
		check_result(out_frags[0], d);
		return;
	}
	unsigned first_pl = (mtu - d->hlen) & ~7u;
	unsigned pos = 0;
	struct rte_mbuf *done = NULL;
	static uint8_t buf[MAXDG];
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *fm = out_frags[i];
		const char *why = NULL;
		ck_assert_msg(rte_mbuf_check(fm, 1, &why) == 0, "%s", why);
		ck_assert_uint_le(fm->pkt_len, mtu);
		ck_assert_uint_eq(rte_pktmbuf_headroom(fm), headroom);
		unsigned len = (unsigned)fixture_mbuf_read(fm, buf, sizeof(buf));
		struct ipv4_repr ip;
		int hl = wire_ipv4_parse(buf, len, true, &ip);
		ck_assert_int_gt(hl, 0);
		ck_assert_uint_eq(ip.total_len, len);
		ck_assert_uint_eq(ip.frag_off, pos);
		ck_assert(ip.mf == (i + 1 < n));
		ck_assert(!ip.df);
		ck_assert_uint_eq(ip.id, get16(d->b + 4));
		unsigned pl = ip.total_len - ip.hlen;
		if (i == 0) {
			ck_assert_uint_eq(ip.hlen, d->hlen);
			ck_assert_uint_eq(pl, first_pl);
		} else if (i + 1 < n) {
			/* payload rounds down to a multiple of 8 */
			ck_assert_uint_eq(pl, (mtu - ip.hlen) & ~7u);
		}
		if (i + 1 < n)
			ck_assert_uint_eq(pl % 8, 0);
		ck_assert(memcmp(buf + ip.hlen, d->b + d->hlen + pos, pl) == 0);
		pos += pl;
		struct rte_mbuf *r = ipv4_reass_input(tr, fm, &ip, 1000, &tst);
		if (i + 1 < n)
			ck_assert_ptr_null(r);
		else
			done = r;
	}
	ck_assert_uint_eq(pos, d->len - d->hlen);
	check_result(done, d);
}

/* Near a size where the fragment count changes (one more byte, one more
 * fragment): the single/multi border and the next few. */
static bool
near_border(unsigned plen, uint16_t mtu)
{
	unsigned pl = (mtu - 20u) & ~7u;
	for (unsigned k = 0; k < 4; k++) {
		unsigned b = k == 0 ? mtu - 20u : k * pl;
		if (plen + 9 >= b && plen <= b + 9)
			return true;
	}
	return false;
}

/* Round trips for payload sizes 0..maxplen: every size up to three MTUs
 * (capped), every size near a border, a stride of 97 beyond, and the top. */
static void
sweep(uint16_t mtu, unsigned maxplen)
{
	unsigned dense = 3u * mtu < 4600 ? 3u * mtu : 4600;
	unsigned runs = 0;
	for (unsigned plen = 0; plen <= maxplen; plen++) {
		if (plen > dense && !near_border(plen, mtu) && plen % 97 != 0 &&
		    plen != maxplen)
			continue;
		struct dgram d = make_udp(plen, (uint16_t)plen);
		round_trip(&d, mtu, RTE_PKTMBUF_HEADROOM);
		free(d.b);
		runs++;
	}
	ck_assert_uint_gt(runs, 300);
	ck_assert_uint_eq(ipv4_reass_count(tr), 0);
	ck_assert_uint_eq(tst.frag_bad + tst.frag_overlap + tst.frag_mem + tst.frag_dup, 0);
}

START_TEST(test_round_trip_1500)
{
	new_table(4, 1 << 20);
	sweep(1500, MAXDG - 20);
}
END_TEST

START_TEST(test_round_trip_576)
{
	new_table(4, 1 << 20);
	sweep(576, MAXDG - 20);
}
END_TEST

START_TEST(test_round_trip_odd_mtus)
{
	new_table(4, 1 << 20);
	sweep(1006, MAXDG - 20);   /* (1006 - 20) rounds down to 984 */
	sweep(296, MAXDG - 20);    /* 241 fragments at the top */
	sweep(68, IPV4_REASS_MAX_FRAGS * 48 - 1);
	sweep(9000, MAXDG - 20);   /* fragments larger than one mbuf: chained */
}
END_TEST

START_TEST(test_fragment_options)
{
	/* RFC 791 3.1: later fragments keep only the options with the copied
	 * flag. Here: NOP, record route (not copied), router alert (copied),
	 * a copied 3-byte option (LSRR-like, type 0x83), then EOL. */
	static const uint8_t opts[] = {
		0x01,
		0x07, 0x07, 0x04, 0, 0, 0, 0,
		0x94, 0x04, 0x00, 0x00,
		0x83, 0x03, 0x04,
		0x00,
	};
	new_table(4, 1 << 20);
	struct dgram d = make_dgram(5000, 42, 0x0a000002, WIRE_PROTO_UDP, opts, sizeof(opts));
	ck_assert_uint_eq(d.hlen, 36);
	struct rte_mbuf *m = fixture_mbuf(d.b, d.len);
	int n = ipv4_fragment(m, 1500, fixture_pool(), 64, out_frags, 16);
	ck_assert_int_eq(n, 4);
	static const uint8_t later[] = { 0x94, 0x04, 0x00, 0x00, 0x83, 0x03, 0x04, 0x00 };
	for (int i = 0; i < n; i++) {
		uint8_t h[60];
		fixture_mbuf_read(out_frags[i], h, 60);
		if (i == 0) {
			ck_assert_uint_eq(h[0] & 0xf, 9);
			ck_assert(memcmp(h + 20, d.b + 20, 16) == 0);
		} else {
			ck_assert_uint_eq(h[0] & 0xf, 7);
			ck_assert(memcmp(h + 20, later, sizeof(later)) == 0);
		}
		ck_assert_uint_eq(t_csum(h, (h[0] & 0xfu) * 4), 0);
	}
	/* Reassembly keeps the first header: the original comes back. */
	struct rte_mbuf *r = NULL;
	for (int i = n - 1; i >= 0; i--) {
		uint8_t b[1500];
		unsigned len = (unsigned)fixture_mbuf_read(out_frags[i], b, sizeof(b));
		struct ipv4_repr ip;
		ck_assert_int_gt(wire_ipv4_parse(b, len, true, &ip), 0);
		r = ipv4_reass_input(tr, out_frags[i], &ip, 0, &tst);
	}
	check_result(r, &d);
	free(d.b);
}
END_TEST

START_TEST(test_fragment_bad_option)
{
	static const uint8_t opts[] = { 0x94, 0x09, 0, 0 };   /* runs past IHL */
	struct dgram d = make_dgram(3000, 1, 0x0a000002, WIRE_PROTO_UDP, opts, sizeof(opts));
	struct rte_mbuf *m = fixture_mbuf(d.b, d.len);
	ck_assert_int_eq(ipv4_fragment(m, 1500, fixture_pool(), 64, out_frags, 16), -EINVAL);
	free(d.b);
}
END_TEST

START_TEST(test_fragment_df)
{
	struct dgram d = make_udp(3000, 1);
	put16(d.b + 6, WIRE_IP_DF);
	set_csum(d.b, 20);
	struct rte_mbuf *m = fixture_mbuf(d.b, d.len);
	ck_assert_int_eq(ipv4_fragment(m, 1500, fixture_pool(), 64, out_frags, 16), -EMSGSIZE);
	/* DF on a datagram that fits is no obstacle. */
	m = fixture_mbuf(d.b, d.len);
	ck_assert_int_eq(ipv4_fragment(m, 3020, fixture_pool(), 64, out_frags, 16), 1);
	ck_assert_ptr_eq(out_frags[0], m);
	rte_pktmbuf_free(m);
	free(d.b);
}
END_TEST

START_TEST(test_fragment_einval)
{
	struct dgram d = make_udp(3000, 1);
	struct rte_mbuf *m = fixture_mbuf(d.b, d.len);
	/* 3 fragments needed, room for 2 */
	ck_assert_int_eq(ipv4_fragment(m, 1500, fixture_pool(), 64, out_frags, 2), -EINVAL);
	m = fixture_mbuf(d.b, d.len);
	ck_assert_int_eq(ipv4_fragment(m, 27, fixture_pool(), 64, out_frags, 16), -EINVAL);
	m = fixture_mbuf(d.b, d.len);
	ck_assert_int_eq(ipv4_fragment(m, 1500, fixture_pool(), 4000, out_frags, 16), -EINVAL);
	/* a truncated datagram: total length beyond the mbuf */
	m = fixture_mbuf(d.b, d.len - 1);
	ck_assert_int_eq(ipv4_fragment(m, 1500, fixture_pool(), 64, out_frags, 16), -EINVAL);
	/* not IPv4 */
	d.b[0] = 0x65;
	m = fixture_mbuf(d.b, d.len);
	ck_assert_int_eq(ipv4_fragment(m, 1500, fixture_pool(), 64, out_frags, 16), -EINVAL);
	m = fixture_mbuf(d.b, 10);
	ck_assert_int_eq(ipv4_fragment(m, 1500, fixture_pool(), 64, out_frags, 16), -EINVAL);
	ck_assert_int_eq(ipv4_fragment(NULL, 1500, fixture_pool(), 64, out_frags, 16), -EINVAL);
	free(d.b);
}
END_TEST

START_TEST(test_fragment_pool_exhausted)
{
	struct dgram d = make_udp(30000, 1);   /* 21 fragments at 1500 */
	static struct rte_mbuf *hoard[8192];
	for (unsigned keep = 0; keep < 24; keep++) {
		struct rte_mbuf *m = fixture_mbuf(d.b, d.len);
		ck_assert_ptr_nonnull(m);
		unsigned segs = m->nb_segs;
		unsigned h = 0;
		while (fixture_pool_avail() > keep)
			hoard[h++] = rte_pktmbuf_alloc(fixture_pool());
		int rc = ipv4_fragment(m, 1500, fixture_pool(), 64, out_frags, 64);
		/* the input's segments came back; failed fragments did too */
		ck_assert_uint_eq(fixture_pool_avail(), keep + segs - (rc > 0 ? (unsigned)rc : 0u));
		if (keep < 21)
			ck_assert_int_eq(rc, -ENOBUFS);
		else
			ck_assert_int_eq(rc, 21);
		for (int i = 0; i < rc; i++)
			rte_pktmbuf_free(out_frags[i]);
		for (unsigned i = 0; i < h; i++)
			rte_pktmbuf_free(hoard[i]);
	}
	free(d.b);
}
END_TEST

START_TEST(test_refragment)
{
	/* A fragment (offset 1480, MF) cut again at a smaller MTU: offsets
	 * count from 1480 and every piece keeps MF. */
	new_table(4, 1 << 20);
	struct dgram d = make_udp(4000, 9);
	static uint8_t buf[2000];
	unsigned n = make_frag(buf, &d, (struct fspec){ 1480, 1480, true }, 0);
	struct rte_mbuf *m = fixture_mbuf(buf, n);
	int k = ipv4_fragment(m, 576, fixture_pool(), 64, out_frags, 16);
	ck_assert_int_eq(k, 3);
	unsigned pos = 1480;
	for (int i = 0; i < k; i++) {
		uint8_t b[600];
		unsigned len = (unsigned)fixture_mbuf_read(out_frags[i], b, sizeof(b));
		struct ipv4_repr ip;
		ck_assert_int_eq(wire_ipv4_parse(b, len, true, &ip), 20);
		ck_assert_uint_eq(ip.frag_off, pos);
		ck_assert(ip.mf);
		pos += ip.total_len - 20u;
		ck_assert_ptr_null(ipv4_reass_input(tr, out_frags[i], &ip, 0, &tst));
	}
	ck_assert_uint_eq(pos, 2960);
	ck_assert_ptr_null(feed_at(&d, 0, 1480, true));
	check_result(feed_at(&d, 2960, 1040, false), &d);
	free(d.b);
}
END_TEST

static Suite *
reass_suite(void)
{
	Suite *s = suite_create("reass");
	TCase *tc = tcase_create("reassembly");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_every_permutation);
	tcase_add_test(tc, test_random_shuffles);
	tcase_add_test(tc, test_options_header_kept);
	tcase_add_test(tc, test_duplicates_all);
	tcase_add_test(tc, test_duplicates_some);
	tcase_add_test(tc, test_overlaps);
	tcase_add_test(tc, test_overlap_exact_range_is_dup);
	tcase_add_test(tc, test_tiny_fragment_attack);
	tcase_add_test(tc, test_ping_of_death);
	tcase_add_test(tc, test_bad_lengths);
	tcase_add_test(tc, test_not_a_fragment);
	tcase_add_test(tc, test_timeout_virtual_clock);
	tcase_add_test(tc, test_timeout_saturates);
	tcase_add_test(tc, test_timeout_callback);
	tcase_add_test(tc, test_memory_cap);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_table_zero);
	tcase_add_test(tc, test_too_many_fragments);
	tcase_add_test(tc, test_ethernet_padding);
	tcase_add_test(tc, test_chained_input);
	tcase_add_test(tc, test_cloned_input);
	tcase_add_test(tc, test_header_copy_nombuf);
	tcase_add_test(tc, test_interleaved);
	suite_add_tcase(s, tc);

	TCase *tf = tcase_create("fragmentation");
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_set_timeout(tf, 600);
	tcase_add_test(tf, test_round_trip_1500);
	tcase_add_test(tf, test_round_trip_576);
	tcase_add_test(tf, test_round_trip_odd_mtus);
	tcase_add_test(tf, test_fragment_options);
	tcase_add_test(tf, test_fragment_bad_option);
	tcase_add_test(tf, test_fragment_df);
	tcase_add_test(tf, test_fragment_einval);
	tcase_add_test(tf, test_fragment_pool_exhausted);
	tcase_add_test(tf, test_refragment);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	fixture_pool();
	return fixture_run(reass_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

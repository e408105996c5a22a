/*
 * Unit tests of the receiver's out-of-order queue (stack/tcp_reass.c) on
 * real mbufs: every insertion order, overlaps on both sides, duplicates,
 * the byte and segment caps under a flood, SACK block generation (RFC 2018
 * 4), FIN placement, sequence numbers across 2^32. Every test ends with
 * the pool back at its starting count.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <rte_mbuf.h>

#include "fixture.h"
#include "sockif.h"
#include "tcp_reass.h"

#define NOCAP UINT32_MAX

static unsigned pool_start;
static struct tcp_ooo q;

/* The byte the sender put at sequence number @p seq. */
static inline uint8_t
pat(uint32_t seq)
{
	return (uint8_t)(seq * 131u + (seq >> 8) * 7u + 3u);
}

/* A payload mbuf for [seq, seq+len) (chained in @p seg_max pieces if
 * non-zero), holding the pattern XOR @p flip. */
static struct rte_mbuf *
mk_flip(uint32_t seq, uint32_t len, size_t seg_max, uint8_t flip)
{
	static uint8_t buf[70000];
	for (uint32_t i = 0; i < len; i++)
		buf[i] = pat(seq + i) ^ flip;
	struct rte_mbuf *m = tern_mbuf_from_buf(fixture_pool(), buf, len, seg_max);
	ck_assert_ptr_nonnull(m);
	return m;
}

static struct rte_mbuf *
mk(uint32_t seq, uint32_t len)
{
	return mk_flip(seq, len, 0, 0);
}

static int
ins(uint32_t seq, uint32_t len, bool fin)
{
	return tcp_ooo_insert(&q, seq, mk(seq, len), len, fin);
}

/* What tcp_ooo_pull() hands over, checked against the pattern. */
struct sink {
	uint32_t next;           /* sequence number expected next */
	uint32_t bytes, calls;
};

static void
deliver(void *arg, struct rte_mbuf *m, uint32_t len)
{
	struct sink *k = arg;
	static uint8_t buf[70000];
	ck_assert_uint_eq(m->pkt_len, len);
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_eq(fixture_mbuf_read(m, buf, sizeof(buf)), len);
	for (uint32_t i = 0; i < len; i++)
		ck_assert_msg(buf[i] == pat(k->next + i), "byte at %u", k->next + i);
	k->next += len;
	k->bytes += len;
	k->calls++;
	rte_pktmbuf_free(m);
}

static uint32_t
pull(struct sink *k, uint32_t rcv_nxt, bool *fin)
{
	k->next = rcv_nxt;
	return tcp_ooo_pull(&q, rcv_nxt, deliver, k, fin);
}

/* Queue invariants: sorted, disjoint, counters right. */
static void
check_queue(void)
{
	uint32_t bytes = 0, charged = 0;
	for (unsigned k = 0; k < q.n; k++) {
		const struct tcp_ooo_seg *g = &q.seg[k];
		ck_assert_uint_eq(g->m->pkt_len, g->len);
		bytes += g->len;
		for (const struct rte_mbuf *s = g->m; s != NULL; s = s->next)
			charged += s->buf_len;
		if (k > 0)
			ck_assert((int32_t)(g->seq - (q.seg[k - 1].seq + q.seg[k - 1].len)) >= 0);
		if (g->fin)
			ck_assert_uint_eq(k, q.n - 1u);
	}
	ck_assert_uint_eq(bytes, q.bytes);
	ck_assert_uint_eq(charged, q.charged);
	ck_assert_uint_le(q.charged, q.cap);
	ck_assert_uint_le(q.n, TCP_OOO_MAX_SEGS);
}

static void
setup(void)
{
	pool_start = fixture_pool_avail();
	tcp_ooo_init(&q, NOCAP);
}

static void
teardown(void)
{
	tcp_ooo_clear(&q);
	ck_assert_uint_eq(q.n, 0);
	ck_assert_uint_eq(q.charged, 0);
	fixture_pool_check(pool_start);
}

static const uint32_t bases[] = { 1000, 0xFFFFFF00u, 0xFFFFFFF0u, 0x7FFFFF80u };
#define NBASES (sizeof(bases) / sizeof(bases[0]))

/* ---- ordering ---- */

struct span { uint32_t off, len; };

/* Insert @p n spans (offsets from base) in the order @p perm, then pull
 * from base + @p first (where the caller's in-order data reached) and
 * expect everything up to base + @p end delivered. */
static void
run_order(uint32_t base, const struct span *sp, const unsigned *perm, unsigned n,
	  uint32_t first, uint32_t end)
{
	tcp_ooo_init(&q, NOCAP);
	for (unsigned i = 0; i < n; i++) {
		const struct span *x = &sp[perm[i]];
		int rc = ins(base + x->off, x->len, false);
		ck_assert(rc == 0 || rc == 1);
		check_queue();
	}
	struct sink k = { 0 };
	bool fin = true;
	ck_assert_uint_eq(pull(&k, base + first, &fin), base + end);
	ck_assert(!fin);
	ck_assert_uint_eq(k.bytes, end - first);
	ck_assert_uint_eq(q.n, 0);
	ck_assert_uint_eq(q.bytes, 0);
	ck_assert_uint_eq(q.charged, 0);
}

/* Every permutation of @p n (<= 4) spans. */
static void
all_orders(const struct span *sp, unsigned n, uint32_t first, uint32_t end)
{
	unsigned perm[4];
	unsigned total = 1;
	for (unsigned i = 2; i <= n; i++)
		total *= i;
	for (unsigned b = 0; b < NBASES; b++)
		for (unsigned p = 0; p < total; p++) {
			/* the p-th permutation (factorial number system) */
			unsigned left[4] = { 0, 1, 2, 3 }, m = n, code = p;
			for (unsigned i = 0; i < n; i++) {
				unsigned pick = code % m;
				code /= m;
				perm[i] = left[pick];
				memmove(&left[pick], &left[pick + 1], (m - pick - 1) * sizeof(left[0]));
				m--;
			}
			run_order(bases[b], sp, perm, n, first, end);
		}
}

START_TEST(test_orders_disjoint)
{
	const struct span sp[4] = { { 100, 100 }, { 200, 50 }, { 250, 150 }, { 400, 1 } };
	all_orders(sp, 4, 100, 401);
	all_orders(sp, 3, 100, 400);
}
END_TEST

START_TEST(test_orders_overlapping)
{
	const struct span sp[4] = { { 100, 120 }, { 150, 100 }, { 180, 300 }, { 90, 400 } };
	all_orders(sp, 4, 90, 490);
	const struct span sp3[3] = { { 10, 30 }, { 20, 60 }, { 5, 10 } };
	all_orders(sp3, 3, 5, 80);
}
END_TEST

START_TEST(test_orders_contained)
{
	/* one segment inside another, one spanning two others */
	const struct span sp[4] = { { 100, 10 }, { 120, 10 }, { 95, 40 }, { 102, 3 } };
	all_orders(sp, 4, 95, 135);
}
END_TEST

/* ---- overlaps: held bytes win ---- */

START_TEST(test_overlap_left_keeps_old)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		tcp_ooo_init(&q, NOCAP);
		ck_assert_int_eq(ins(base + 100, 100, false), 0);
		/* the part [100,150) that overlaps the held segment differs:
		 * if the new copy won, the sink would see it */
		struct rte_mbuf *m = mk_flip(base + 50, 100, 0, 0);
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		for (unsigned i = 50; i < 100; i++)
			d[i] ^= 0xFF;
		ck_assert_int_eq(tcp_ooo_insert(&q, base + 50, m, 100, false), 0);
		check_queue();
		ck_assert_uint_eq(q.n, 2);
		ck_assert_uint_eq(q.seg[0].seq, base + 50);
		ck_assert_uint_eq(q.seg[0].len, 50);
		struct sink k = { 0 };
		bool fin;
		ck_assert_uint_eq(pull(&k, base + 50, &fin), base + 200);
		ck_assert_uint_eq(k.bytes, 150);
	}
}
END_TEST

START_TEST(test_overlap_right_keeps_old)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		tcp_ooo_init(&q, NOCAP);
		ck_assert_int_eq(ins(base + 100, 100, false), 0);
		struct rte_mbuf *m = mk_flip(base + 150, 100, 0, 0);
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		for (unsigned i = 0; i < 50; i++)
			d[i] ^= 0xFF;      /* [150,200) differs from what is held */
		ck_assert_int_eq(tcp_ooo_insert(&q, base + 150, m, 100, false), 0);
		check_queue();
		ck_assert_uint_eq(q.n, 2);
		ck_assert_uint_eq(q.seg[1].seq, base + 200);
		ck_assert_uint_eq(q.seg[1].len, 50);
		struct sink k = { 0 };
		bool fin;
		ck_assert_uint_eq(pull(&k, base + 100, &fin), base + 250);
	}
}
END_TEST

/* A new segment around held ones is split into the gaps (clones). */
START_TEST(test_overlap_both_sides_split)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		tcp_ooo_init(&q, NOCAP);
		ck_assert_int_eq(ins(base + 100, 10, false), 0);
		ck_assert_int_eq(ins(base + 120, 10, false), 0);
		ck_assert_int_eq(ins(base + 140, 10, false), 0);
		struct rte_mbuf *m = mk_flip(base + 90, 70, 0, 0);
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		for (unsigned i = 10; i < 20; i++)
			d[i] ^= 0x5A;      /* held bytes [100,110) must survive */
		ck_assert_int_eq(tcp_ooo_insert(&q, base + 90, m, 70, false), 0);
		check_queue();
		ck_assert_uint_eq(q.n, 7);
		ck_assert_uint_eq(q.bytes, 70);
		struct sink k = { 0 };
		bool fin;
		ck_assert_uint_eq(pull(&k, base + 90, &fin), base + 160);
		ck_assert_uint_eq(k.calls, 7);
	}
}
END_TEST

/* Chained mbufs: trimming crosses segment boundaries of the chain. */
START_TEST(test_chained_trim)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		tcp_ooo_init(&q, NOCAP);
		ck_assert_int_eq(ins(base + 1000, 100, false), 0);
		ck_assert_int_eq(ins(base + 3000, 500, false), 0);
		struct rte_mbuf *m = mk_flip(base + 500, 4000, 300, 0);
		ck_assert_uint_gt(m->nb_segs, 10);
		ck_assert_int_eq(tcp_ooo_insert(&q, base + 500, m, 4000, false), 0);
		check_queue();
		ck_assert_uint_eq(q.n, 5);
		ck_assert_uint_eq(q.bytes, 4000);
		struct sink k = { 0 };
		bool fin;
		ck_assert_uint_eq(pull(&k, base + 777, &fin), base + 4500);  /* trims 277 */
		ck_assert_uint_eq(k.bytes, 4500 - 777);
	}
}
END_TEST

/* The caller's length is what counts: extra bytes in the mbuf are cut. */
START_TEST(test_len_shorter_than_mbuf)
{
	struct rte_mbuf *m = mk(500, 300);
	ck_assert_int_eq(tcp_ooo_insert(&q, 500, m, 200, false), 0);
	check_queue();
	ck_assert_uint_eq(q.seg[0].len, 200);
	struct sink k = { 0 };
	bool fin;
	ck_assert_uint_eq(pull(&k, 500, &fin), 700);
}
END_TEST

/* ---- duplicates (RFC 2883) ---- */

START_TEST(test_duplicate)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		tcp_ooo_init(&q, NOCAP);
		ck_assert_int_eq(ins(base + 100, 100, false), 0);
		ck_assert_int_eq(ins(base + 200, 100, false), 0);
		ck_assert_int_eq(ins(base + 500, 100, false), 0);
		ck_assert_int_eq(ins(base + 100, 100, false), 1);    /* the same */
		ck_assert_int_eq(ins(base + 120, 60, false), 1);     /* inside */
		ck_assert_int_eq(ins(base + 150, 100, false), 1);    /* across two */
		/* the duplicate's block is reported first, after the D-SACK */
		struct tcp_sack_block sb[4];
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 2);
		ck_assert_uint_eq(sb[0].start, base + 100);
		ck_assert_uint_eq(sb[0].end, base + 300);
		ck_assert_int_eq(ins(base + 550, 10, false), 1);
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 2);
		ck_assert_uint_eq(sb[0].start, base + 500);
		ck_assert_int_eq(ins(base + 299, 2, false), 0);      /* one byte new */
		check_queue();
		ck_assert_uint_eq(q.n, 4);
		ck_assert_uint_eq(q.bytes, 301);
		tcp_ooo_clear(&q);
	}
}
END_TEST

/* ---- caps ---- */

START_TEST(test_cap_bytes)
{
	struct rte_mbuf *probe = mk(0, 1);
	uint32_t one = probe->buf_len;
	rte_pktmbuf_free(probe);
	tcp_ooo_init(&q, 4 * one);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(ins(1000 + 100 * i, 10, false), 0);
	ck_assert_uint_eq(q.charged, 4 * one);
	ck_assert_int_eq(ins(2000, 10, false), -ENOBUFS);
	/* a duplicate is still recognised when full */
	ck_assert_int_eq(ins(1000, 10, false), 1);
	/* a segment that would need clones: refused whole */
	ck_assert_int_eq(ins(1005, 245, false), -ENOBUFS);
	check_queue();
	ck_assert_uint_eq(q.n, 4);
	/* one pulled: room again */
	struct sink k = { 0 };
	bool fin;
	ck_assert_uint_eq(pull(&k, 1000, &fin), 1010);
	ck_assert_int_eq(ins(2000, 10, false), 0);
	/* charged counts buffers: a chain of 3 costs 3 buffers */
	tcp_ooo_clear(&q);
	tcp_ooo_init(&q, 2 * one);
	ck_assert_int_eq(tcp_ooo_insert(&q, 100, mk_flip(100, 30, 10, 0), 30, false), -ENOBUFS);
	ck_assert_int_eq(tcp_ooo_insert(&q, 100, mk_flip(100, 20, 10, 0), 20, false), 0);
	ck_assert_uint_eq(q.charged, 2 * one);
}
END_TEST

START_TEST(test_cap_segments)
{
	for (unsigned i = 0; i < TCP_OOO_MAX_SEGS; i++)
		ck_assert_int_eq(ins(0xFFFFFF00u + 2 * i, 1, false), 0);
	ck_assert_uint_eq(q.n, TCP_OOO_MAX_SEGS);
	ck_assert_int_eq(ins(0xFFFFFF00u + 2 * TCP_OOO_MAX_SEGS, 1, false), -ENOBUFS);
	ck_assert_int_eq(ins(0xFFFFFF00u + 1, 1, false), -ENOBUFS);   /* fills a hole */
	ck_assert_int_eq(ins(0xFFFFFF00u, 1, false), 1);
	check_queue();
	struct tcp_sack_block sb[4];
	ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 4);
	/* nothing delivered beyond the first byte: the holes are still there */
	struct sink k = { 0 };
	bool fin;
	ck_assert_uint_eq(pull(&k, 0xFFFFFF00u, &fin), 0xFFFFFF01u);
	ck_assert_uint_eq(q.n, TCP_OOO_MAX_SEGS - 1);
}
END_TEST

/* 10,000 one-byte segments, every other byte (no two adjacent), in a
 * scrambled order: the queue stays within both caps and it is quick. */
static void
flood(uint32_t cap, unsigned expect_max)
{
	tcp_ooo_init(&q, cap);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned held = 0, refused = 0;
	uint32_t base = 0xFFFFF000u;
	for (unsigned i = 0; i < 10000; i++) {
		uint32_t off = 1 + 2 * ((i * 7919u) % 10000u);  /* a permutation */
		int rc = ins(base + off, 1, false);
		ck_assert(rc == 0 || rc == -ENOBUFS);
		held += rc == 0;
		refused += rc == -ENOBUFS;
		ck_assert_uint_le(q.n, expect_max);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs < 2.0, "flood took %.3f s", secs);
	ck_assert_uint_eq(held, q.n);
	ck_assert_uint_eq(held + refused, 10000);
	check_queue();
	tcp_ooo_clear(&q);
}

START_TEST(test_flood_bounded)
{
	struct rte_mbuf *probe = mk(0, 1);
	uint32_t one = probe->buf_len;
	rte_pktmbuf_free(probe);
	flood(NOCAP, TCP_OOO_MAX_SEGS);
	flood(64 * 1024, 64 * 1024 / one);
	ck_assert_uint_eq(fixture_pool_avail(), pool_start);
}
END_TEST

/* ---- SACK blocks (RFC 2018 4) ---- */

START_TEST(test_sack_latest_first)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		struct tcp_sack_block sb[4];
		tcp_ooo_init(&q, NOCAP);
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 0);
		ins(base + 300, 100, false);
		ins(base + 100, 100, false);
		ins(base + 500, 100, false);
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 3);
		ck_assert_uint_eq(sb[0].start, base + 500);
		ck_assert_uint_eq(sb[1].start, base + 100);   /* then lowest first */
		ck_assert_uint_eq(sb[2].start, base + 300);
		ins(base + 700, 100, false);
		ins(base + 200, 50, false);
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 4);
		ck_assert_uint_eq(sb[0].start, base + 100);
		ck_assert_uint_eq(sb[0].end, base + 250);
		/* the blocks reported last time follow the first, in the order
		 * they were reported (RFC 2018 4: repeat the most recent ones) */
		ck_assert_uint_eq(sb[1].start, base + 500);
		ck_assert_uint_eq(sb[2].start, base + 300);
		ck_assert_uint_eq(sb[3].start, base + 700);
		/* only three fit: the latest is never the one left out */
		ins(base + 900, 10, false);
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 3), 3);
		ck_assert_uint_eq(sb[0].start, base + 900);
		ck_assert_uint_eq(sb[1].start, base + 100);
		ck_assert_uint_eq(sb[2].start, base + 500);
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 0), 0);
		tcp_ooo_clear(&q);
	}
}
END_TEST

START_TEST(test_sack_coalesced)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		struct tcp_sack_block sb[4];
		tcp_ooo_init(&q, NOCAP);
		ins(base + 100, 100, false);
		ins(base + 300, 100, false);
		ins(base + 200, 100, false);     /* bridges: three segments, one block */
		ck_assert_uint_eq(q.n, 3);
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 1);
		ck_assert_uint_eq(sb[0].start, base + 100);
		ck_assert_uint_eq(sb[0].end, base + 400);
		ins(base + 401, 10, false);      /* one byte apart: separate */
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 2);
		ck_assert_uint_eq(sb[0].start, base + 401);
		ck_assert_uint_eq(sb[1].start, base + 100);
		ck_assert_uint_eq(sb[1].end, base + 400);
		tcp_ooo_clear(&q);
	}
}
END_TEST

/* ---- FIN ---- */

START_TEST(test_fin_after_data)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		struct sink k = { 0 };
		bool fin;
		tcp_ooo_init(&q, NOCAP);
		ck_assert_int_eq(ins(base + 200, 100, true), 0);
		ck_assert_int_eq(ins(base + 100, 50, false), 0);
		ck_assert_uint_eq(pull(&k, base + 50, &fin), base + 50);   /* hole */
		ck_assert(!fin);
		ck_assert_uint_eq(pull(&k, base + 100, &fin), base + 150);
		ck_assert(!fin);                                          /* hole before FIN */
		ck_assert_uint_eq(pull(&k, base + 200, &fin), base + 301); /* past the FIN */
		ck_assert(fin);
		ck_assert_uint_eq(q.n, 0);
	}
}
END_TEST

START_TEST(test_fin_alone)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		struct sink k = { 0 };
		bool fin;
		struct tcp_sack_block sb[4];
		tcp_ooo_init(&q, NOCAP);
		ck_assert_int_eq(ins(base + 100, 100, false), 0);
		ck_assert_int_eq(ins(base + 300, 0, true), 0);   /* FIN past a hole */
		check_queue();
		ck_assert_uint_eq(tcp_ooo_sack(&q, sb, 4), 1);   /* a FIN is no data */
		ck_assert_int_eq(ins(base + 300, 0, true), 1);   /* the same FIN again */
		ck_assert_uint_eq(pull(&k, base + 100, &fin), base + 200);
		ck_assert(!fin);
		ck_assert_int_eq(ins(base + 250, 50, false), 0);
		ck_assert_uint_eq(q.n, 2);
		ck_assert_uint_eq(pull(&k, base + 200, &fin), base + 200);
		ck_assert(!fin);
		ck_assert_uint_eq(pull(&k, base + 250, &fin), base + 301);
		ck_assert(fin);
		ck_assert_uint_eq(q.n, 0);
		/* a FIN right after held data rides on that segment */
		ck_assert_int_eq(ins(base + 400, 100, false), 0);
		ck_assert_int_eq(ins(base + 500, 0, true), 0);
		ck_assert_uint_eq(q.n, 1);
		ck_assert(q.seg[0].fin);
		ck_assert_int_eq(ins(base + 450, 50, true), 1);  /* nothing new */
		ck_assert_uint_eq(pull(&k, base + 400, &fin), base + 501);
		ck_assert(fin);
	}
}
END_TEST

START_TEST(test_fin_conflicts)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		struct sink k = { 0 };
		bool fin;
		tcp_ooo_init(&q, NOCAP);
		ck_assert_int_eq(ins(base + 100, 100, true), 0);    /* FIN at 200 */
		ck_assert_int_eq(ins(base + 200, 50, false), 1);    /* past the FIN */
		ck_assert_int_eq(ins(base + 150, 100, false), 1);   /* cut to [150,200): dup */
		ck_assert_int_eq(ins(base + 50, 100, true), 0);     /* second FIN ignored */
		check_queue();
		ck_assert_uint_eq(q.n, 2);
		ck_assert(!q.seg[0].fin);
		ck_assert(q.seg[1].fin);
		/* a FIN below held data contradicts it: the data stays */
		tcp_ooo_clear(&q);
		ck_assert_int_eq(ins(base + 300, 100, false), 0);
		ck_assert_int_eq(ins(base + 100, 100, true), 0);
		ck_assert(!q.seg[0].fin);
		ck_assert_uint_eq(pull(&k, base + 100, &fin), base + 200);
		ck_assert(!fin);
		/* a FIN that was already consumed (in order) is stale */
		tcp_ooo_clear(&q);
		ck_assert_int_eq(ins(base + 100, 50, true), 0);
		ck_assert_uint_eq(pull(&k, base + 151, &fin), base + 151);
		ck_assert(!fin);
		ck_assert_uint_eq(q.n, 0);
	}
}
END_TEST

/* ---- pull ---- */

START_TEST(test_pull_trims_below_rcv_nxt)
{
	for (unsigned b = 0; b < NBASES; b++) {
		uint32_t base = bases[b];
		struct sink k = { 0 };
		bool fin;
		tcp_ooo_init(&q, NOCAP);
		ins(base + 100, 100, false);
		ins(base + 200, 100, false);
		ins(base + 400, 100, false);
		/* rcv_nxt already inside the second segment: the first is stale */
		ck_assert_uint_eq(pull(&k, base + 250, &fin), base + 300);
		ck_assert_uint_eq(k.bytes, 50);
		ck_assert_uint_eq(k.calls, 1);
		ck_assert_uint_eq(q.n, 1);
		/* rcv_nxt past everything: nothing delivered, all freed */
		ck_assert_uint_eq(pull(&k, base + 600, &fin), base + 600);
		ck_assert_uint_eq(k.bytes, 50);
		ck_assert_uint_eq(q.n, 0);
		ck_assert_uint_eq(q.charged, 0);
	}
}
END_TEST

START_TEST(test_clear_frees)
{
	ins(100, 10, false);
	ins(200, 1000, true);
	tcp_ooo_insert(&q, 50, mk_flip(50, 300, 40, 0), 300, false);
	check_queue();
	ck_assert_uint_lt(fixture_pool_avail(), pool_start);
	tcp_ooo_clear(&q);
	ck_assert_uint_eq(fixture_pool_avail(), pool_start);
	ck_assert_uint_eq(q.bytes, 0);
}
END_TEST

static Suite *
ooo_suite(void)
{
	Suite *s = suite_create("tcp_reass");
	TCase *tc = tcase_create("insert");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_orders_disjoint);
	tcase_add_test(tc, test_orders_overlapping);
	tcase_add_test(tc, test_orders_contained);
	tcase_add_test(tc, test_overlap_left_keeps_old);
	tcase_add_test(tc, test_overlap_right_keeps_old);
	tcase_add_test(tc, test_overlap_both_sides_split);
	tcase_add_test(tc, test_chained_trim);
	tcase_add_test(tc, test_len_shorter_than_mbuf);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_clear_frees);
	suite_add_tcase(s, tc);

	TCase *tk = tcase_create("caps");
	tcase_add_checked_fixture(tk, setup, teardown);
	tcase_set_timeout(tk, 120);
	tcase_add_test(tk, test_cap_bytes);
	tcase_add_test(tk, test_cap_segments);
	tcase_add_test(tk, test_flood_bounded);
	suite_add_tcase(s, tk);

	TCase *tp = tcase_create("sack_fin_pull");
	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, test_sack_latest_first);
	tcase_add_test(tp, test_sack_coalesced);
	tcase_add_test(tp, test_fin_after_data);
	tcase_add_test(tp, test_fin_alone);
	tcase_add_test(tp, test_fin_conflicts);
	tcase_add_test(tp, test_pull_trims_below_rcv_nxt);
	suite_add_tcase(s, tp);
	return s;
}

int
main(void)
{
	fixture_pool();
	return fixture_run(ooo_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

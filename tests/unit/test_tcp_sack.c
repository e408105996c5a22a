/*
 * Unit tests of the sender's SACK scoreboard (stack/tcp_sack.c): merging,
 * trimming, the cap, D-SACK detection (RFC 2883 4), IsLost() at its exact
 * boundaries, SetPipe() and NextSeg() (RFC 6675 4) on hand-computed
 * scenarios, each also run with sequence numbers across 2^32.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fixture.h"
#include "tcp_sack.h"

#define SMSS 1000u
#define WRAP 0xFFFFF000u      /* a base whose flights cross 2^32 */

static unsigned pool_start;
static struct tcp_sb sb;

static void
setup(void)
{
	pool_start = fixture_pool_avail();
	tcp_sb_reset(&sb);
}

static void
teardown(void)
{
	fixture_pool_check(pool_start);
}

/* The board's invariants: sorted, disjoint, non-adjacent, sum = sacked_bytes. */
static void
check_board(const struct tcp_sb *b)
{
	uint32_t sum = 0;
	for (unsigned k = 0; k < b->n; k++) {
		ck_assert((int32_t)(b->blk[k].end - b->blk[k].start) > 0);
		if (k > 0)
			ck_assert((int32_t)(b->blk[k].start - b->blk[k - 1].end) > 0);
		sum += b->blk[k].end - b->blk[k].start;
	}
	ck_assert_uint_eq(sum, b->sacked_bytes);
}

/* Feed one ACK carrying a single block (offsets from @p base). */
static uint32_t
sack1(uint32_t base, uint32_t s, uint32_t e, uint32_t una, uint32_t snd_max)
{
	struct tcp_sack_block b = { base + s, base + e };
	bool d;
	uint32_t got = tcp_sb_update(&sb, base + una, base + snd_max, &b, 1, &d);
	ck_assert(!d);
	check_board(&sb);
	return got;
}

static void
expect_blk(unsigned k, uint32_t base, uint32_t s, uint32_t e)
{
	ck_assert_uint_gt(sb.n, k);
	ck_assert_uint_eq(sb.blk[k].start, base + s);
	ck_assert_uint_eq(sb.blk[k].end, base + e);
}

static const uint32_t bases[] = { 0, 1000000, WRAP, 0xFFFFFFFFu - 2500u, 0x7FFFF000u };
#define NBASES (sizeof(bases) / sizeof(bases[0]))

/* ---- merging ---- */

START_TEST(test_merge_adjacent)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		ck_assert_uint_eq(sack1(b, 2000, 3000, 1000, 10000), 1000);
		ck_assert_uint_eq(sack1(b, 3000, 4000, 1000, 10000), 1000);
		ck_assert_uint_eq(sb.n, 1);
		expect_blk(0, b, 2000, 4000);
		/* adjacent from below too */
		ck_assert_uint_eq(sack1(b, 1500, 2000, 1000, 10000), 500);
		ck_assert_uint_eq(sb.n, 1);
		expect_blk(0, b, 1500, 4000);
		ck_assert_uint_eq(sb.sacked_bytes, 2500);
	}
}
END_TEST

START_TEST(test_merge_overlapping)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		ck_assert_uint_eq(sack1(b, 2000, 3000, 1000, 10000), 1000);
		ck_assert_uint_eq(sack1(b, 2500, 3500, 1000, 10000), 500);
		ck_assert_uint_eq(sack1(b, 1800, 2200, 1000, 10000), 200);
		ck_assert_uint_eq(sb.n, 1);
		expect_blk(0, b, 1800, 3500);
	}
}
END_TEST

START_TEST(test_merge_containing)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		ck_assert_uint_eq(sack1(b, 2000, 5000, 1000, 10000), 3000);
		ck_assert_uint_eq(sack1(b, 3000, 4000, 1000, 10000), 0);     /* inside */
		ck_assert_uint_eq(sack1(b, 2000, 5000, 1000, 10000), 0);     /* same */
		ck_assert_uint_eq(sb.n, 1);
		tcp_sb_reset(&sb);
		ck_assert_uint_eq(sack1(b, 3000, 4000, 1000, 10000), 1000);
		ck_assert_uint_eq(sack1(b, 2000, 5000, 1000, 10000), 2000);  /* around */
		ck_assert_uint_eq(sb.n, 1);
		expect_blk(0, b, 2000, 5000);
	}
}
END_TEST

START_TEST(test_merge_out_of_order)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		sack1(b, 6000, 7000, 1000, 10000);
		sack1(b, 2000, 3000, 1000, 10000);
		sack1(b, 4000, 5000, 1000, 10000);
		sack1(b, 8000, 9000, 1000, 10000);
		ck_assert_uint_eq(sb.n, 4);
		expect_blk(0, b, 2000, 3000);
		expect_blk(1, b, 4000, 5000);
		expect_blk(2, b, 6000, 7000);
		expect_blk(3, b, 8000, 9000);
		/* bridging one gap exactly */
		ck_assert_uint_eq(sack1(b, 3000, 4000, 1000, 10000), 1000);
		ck_assert_uint_eq(sb.n, 3);
		expect_blk(0, b, 2000, 5000);
		/* one block swallowing everything that is left */
		ck_assert_uint_eq(sack1(b, 1500, 9500, 1000, 10000), 8000 - 5000);
		ck_assert_uint_eq(sb.n, 1);
		expect_blk(0, b, 1500, 9500);
		ck_assert_uint_eq(tcp_sb_high_sacked(&sb, b + 1000), b + 9500);
	}
}
END_TEST

START_TEST(test_update_several_blocks)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		/* RFC 2018 4 order: latest first, then older ones */
		struct tcp_sack_block blk[3] = {
			{ b + 5000, b + 6000 }, { b + 2000, b + 3000 }, { b + 3500, b + 4000 } };
		bool d = true;
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 8000, blk, 3, &d), 2500);
		ck_assert(!d);
		ck_assert_uint_eq(sb.n, 3);
		/* the same ACK again brings nothing new */
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 8000, blk, 3, &d), 0);
		check_board(&sb);
	}
}
END_TEST

START_TEST(test_update_ignores_bogus)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		struct tcp_sack_block blk[4] = {
			{ b + 2000, b + 3000 },     /* fine */
			{ b + 9000, b + 11000 },    /* past snd_max */
			{ b + 4000, b + 4000 },     /* empty */
			{ b + 900, b + 1500 },      /* not first, straddles una */
		};
		bool d;
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 10000, blk, 4, &d), 1000);
		ck_assert(!d);
		ck_assert_uint_eq(sb.n, 1);
		struct tcp_sack_block inv = { b + 6000, b + 5000 };
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 10000, &inv, 1, &d), 0);
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 10000, NULL, 0, &d), 0);
		ck_assert(!d);
		ck_assert_uint_eq(sb.n, 1);
		/* a block ending exactly at snd_max is fine */
		ck_assert_uint_eq(sack1(b, 9000, 10000, 1000, 10000), 1000);
	}
}
END_TEST

START_TEST(test_wraparound)
{
	uint32_t una = 0xFFFFFC00u, snd_max = 0x00000C00u;   /* 4 KB across 2^32 */
	struct tcp_sack_block b1 = { 0xFFFFFE00u, 0x00000200u };  /* crosses zero */
	struct tcp_sack_block b2 = { 0x00000200u, 0x00000400u };  /* adjacent above */
	struct tcp_sack_block b3 = { 0x00000800u, 0x00000A00u };
	bool d;
	ck_assert_uint_eq(tcp_sb_update(&sb, una, snd_max, &b3, 1, &d), 0x200);
	ck_assert_uint_eq(tcp_sb_update(&sb, una, snd_max, &b1, 1, &d), 0x400);
	ck_assert(!d);
	ck_assert_uint_eq(sb.n, 2);
	ck_assert_uint_eq(sb.blk[0].start, 0xFFFFFE00u);   /* below zero sorts first */
	ck_assert_uint_eq(tcp_sb_update(&sb, una, snd_max, &b2, 1, &d), 0x200);
	ck_assert_uint_eq(sb.n, 2);
	ck_assert_uint_eq(sb.blk[0].start, 0xFFFFFE00u);
	ck_assert_uint_eq(sb.blk[0].end, 0x00000400u);
	check_board(&sb);
	ck_assert(tcp_sb_is_sacked(&sb, 0xFFFFFF00u, 0x400));
	ck_assert(!tcp_sb_is_sacked(&sb, 0xFFFFFD00u, 0x200));
	ck_assert_uint_eq(tcp_sb_high_sacked(&sb, una), 0x00000A00u);
	/* ACK across zero trims the straddling range */
	tcp_sb_ack(&sb, 0x00000100u);
	ck_assert_uint_eq(sb.blk[0].start, 0x00000100u);
	ck_assert_uint_eq(sb.sacked_bytes, 0x300 + 0x200);
	check_board(&sb);
}
END_TEST

/* ---- D-SACK (RFC 2883 4) ---- */

START_TEST(test_dsack_below_una)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		struct tcp_sack_block blk[2] = { { b + 500, b + 1000 }, { b + 2000, b + 3000 } };
		bool d = false;
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 5000, blk, 2, &d), 1000);
		ck_assert(d);
		ck_assert_uint_eq(sb.n, 1);               /* the D-SACK was not merged */
		expect_blk(0, b, 2000, 3000);
		/* alone, and straddling una */
		struct tcp_sack_block one = { b + 900, b + 1100 };
		d = false;
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 5000, &one, 1, &d), 0);
		ck_assert(d);
		ck_assert_uint_eq(sb.n, 1);
	}
}
END_TEST

START_TEST(test_dsack_inside_second)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		struct tcp_sack_block blk[2] = { { b + 3000, b + 3500 }, { b + 2000, b + 4000 } };
		bool d = false;
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 5000, blk, 2, &d), 2000);
		ck_assert(d);
		ck_assert_uint_eq(sb.n, 1);
		expect_blk(0, b, 2000, 4000);
		/* the whole second block reported again is a duplicate too */
		struct tcp_sack_block same[2] = { { b + 2000, b + 4000 }, { b + 2000, b + 4000 } };
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 5000, same, 2, &d), 0);
		ck_assert(d);
		/* overlapping but not inside: an ordinary SACK */
		struct tcp_sack_block ov[2] = { { b + 3500, b + 4500 }, { b + 2000, b + 4000 } };
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 5000, ov, 2, &d), 500);
		ck_assert(!d);
		/* a single block above una is never a D-SACK */
		struct tcp_sack_block one = { b + 2500, b + 3000 };
		ck_assert_uint_eq(tcp_sb_update(&sb, b + 1000, b + 5000, &one, 1, &d), 0);
		ck_assert(!d);
		check_board(&sb);
	}
}
END_TEST

/* ---- cumulative ACK ---- */

START_TEST(test_ack_trims)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		sack1(b, 2000, 3000, 1000, 10000);
		sack1(b, 4000, 5000, 1000, 10000);
		sack1(b, 6000, 7000, 1000, 10000);
		tcp_sb_ack(&sb, b + 1500);                 /* below everything */
		ck_assert_uint_eq(sb.n, 3);
		tcp_sb_ack(&sb, b + 2500);                 /* inside the first */
		expect_blk(0, b, 2500, 3000);
		ck_assert_uint_eq(sb.sacked_bytes, 2500);
		tcp_sb_ack(&sb, b + 5000);                 /* exactly at an end */
		ck_assert_uint_eq(sb.n, 1);
		expect_blk(0, b, 6000, 7000);
		check_board(&sb);
		tcp_sb_ack(&sb, b + 9000);
		ck_assert_uint_eq(sb.n, 0);
		ck_assert_uint_eq(sb.sacked_bytes, 0);
		ck_assert_uint_eq(tcp_sb_high_sacked(&sb, b + 9000), b + 9000);
	}
}
END_TEST

/* ---- the cap ---- */

START_TEST(test_cap_forgets_highest)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		uint32_t top = 100 + 200 * TCP_SB_MAX + 1000;
		tcp_sb_reset(&sb);
		/* TCP_SB_MAX ranges of 100 bytes, 100 apart, from offset 200 up */
		for (unsigned k = 0; k < TCP_SB_MAX; k++)
			ck_assert_uint_eq(sack1(b, 200 + 200 * k, 300 + 200 * k, 0, top), 100);
		ck_assert_uint_eq(sb.n, TCP_SB_MAX);
		uint32_t high = tcp_sb_high_sacked(&sb, b);
		/* one more above them all: forgotten at once */
		ck_assert_uint_eq(sack1(b, top - 100, top, 0, top), 0);
		ck_assert_uint_eq(sb.n, TCP_SB_MAX);
		ck_assert_uint_eq(tcp_sb_high_sacked(&sb, b), high);
		/* one below: kept, the highest range goes */
		ck_assert_uint_eq(sack1(b, 50, 100, 0, top), 50);
		ck_assert_uint_eq(sb.n, TCP_SB_MAX);
		ck_assert_uint_eq(tcp_sb_high_sacked(&sb, b), high - 200);
		expect_blk(0, b, 50, 100);
		/* a merge when full needs no room */
		ck_assert_uint_eq(sack1(b, 300, 400, 0, top), 100);
		ck_assert_uint_eq(sb.n, TCP_SB_MAX - 1);
		check_board(&sb);
	}
}
END_TEST

/* ---- IsLost (RFC 6675 4) ---- */

START_TEST(test_is_lost_bytes_boundary)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		/* exactly (DupThresh - 1) * SMSS = 2000 bytes above, two ranges */
		sack1(b, 1000, 2000, 0, 10000);
		sack1(b, 3000, 4000, 0, 10000);
		ck_assert(!tcp_sb_is_lost(&sb, b + 0, SMSS));
		ck_assert(!tcp_sb_is_lost(&sb, b + 999, SMSS));
		/* one byte more: lost */
		sack1(b, 4000, 4001, 0, 10000);
		ck_assert_uint_eq(sb.n, 2);
		ck_assert(tcp_sb_is_lost(&sb, b + 0, SMSS));
		ck_assert(tcp_sb_is_lost(&sb, b + 999, SMSS));
		/* between the ranges only 1001 bytes are above */
		ck_assert(!tcp_sb_is_lost(&sb, b + 2500, SMSS));
		/* a single range of 2001 bytes is enough on its own */
		tcp_sb_reset(&sb);
		sack1(b, 1000, 3000, 0, 10000);
		ck_assert(!tcp_sb_is_lost(&sb, b + 500, SMSS));
		sack1(b, 3000, 3001, 0, 10000);
		ck_assert(tcp_sb_is_lost(&sb, b + 500, SMSS));
		/* octets above seq only: from inside the range, fewer count */
		ck_assert(!tcp_sb_is_lost(&sb, b + 1000, SMSS));   /* 2000 above */
		ck_assert(tcp_sb_is_lost(&sb, b + 999, SMSS));     /* 2001 above */
	}
}
END_TEST

START_TEST(test_is_lost_ranges_boundary)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		sack1(b, 1000, 1001, 0, 10000);
		sack1(b, 2000, 2001, 0, 10000);
		ck_assert(!tcp_sb_is_lost(&sb, b + 0, SMSS));      /* 2 ranges, 2 bytes */
		sack1(b, 3000, 3001, 0, 10000);
		ck_assert(tcp_sb_is_lost(&sb, b + 0, SMSS));       /* 3 ranges */
		ck_assert(!tcp_sb_is_lost(&sb, b + 1500, SMSS));   /* only 2 above */
		ck_assert(!tcp_sb_is_lost(&sb, b + 3500, SMSS));   /* none above */
		/* a fourth range adjacent to the third does not count twice */
		tcp_sb_reset(&sb);
		sack1(b, 1000, 1001, 0, 10000);
		sack1(b, 2000, 2001, 0, 10000);
		sack1(b, 2001, 2002, 0, 10000);
		ck_assert_uint_eq(sb.n, 2);
		ck_assert(!tcp_sb_is_lost(&sb, b + 0, SMSS));
	}
}
END_TEST

/* ---- SetPipe (RFC 6675 4) ---- */

START_TEST(test_pipe_no_sack)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10 * SMSS, SMSS), 10 * SMSS);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b, SMSS), 0);
	}
}
END_TEST

/* Ten segments of 1000 bytes sent, the first lost, the next three SACKed:
 * hole [0,1000) has 3000 bytes SACKed above it (> 2*SMSS) so it is lost,
 * [4000,10000) is not: pipe = 6000. After the first is retransmitted,
 * HighRxt = 1000 and that copy counts: 7000. */
START_TEST(test_pipe_single_loss)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		sack1(b, 1000, 2000, 0, 10000);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10000, SMSS), 9000);
		sack1(b, 2000, 3000, 0, 10000);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10000, SMSS), 8000);  /* 2000: not lost */
		sack1(b, 3000, 4000, 0, 10000);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10000, SMSS), 6000);
		tcp_sb_sent(&sb, b, 1000, false);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10000, SMSS), 7000);
		/* the retransmission arrives: ACK to 4000 */
		tcp_sb_ack(&sb, b + 4000);
		ck_assert(!sb.rxt_valid);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b + 4000, b + 10000, SMSS), 6000);
	}
}
END_TEST

/* Segments 0, 2 and 4 lost, 1, 3 and 5 SACKed, 6..9 in flight:
 *   hole [0,1000): 3 ranges above -> lost            ->    0
 *   hole [2000,3000): 2 ranges, 2000 bytes -> not     -> 1000
 *   hole [4000,5000): 1 range -> not                  -> 1000
 *   [6000,10000): nothing above                       -> 4000   = 6000.
 * Retransmitting [0,1000) adds 1000; then [2000,3000) (rule 3) adds its
 * second copy, 1000 more, and [1000,2000) is SACKed so adds nothing. */
START_TEST(test_pipe_multiple_holes)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		sack1(b, 1000, 2000, 0, 10000);
		sack1(b, 3000, 4000, 0, 10000);
		sack1(b, 5000, 6000, 0, 10000);
		ck_assert(tcp_sb_is_lost(&sb, b + 0, SMSS));
		ck_assert(!tcp_sb_is_lost(&sb, b + 2000, SMSS));
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10000, SMSS), 6000);
		tcp_sb_sent(&sb, b, 1000, false);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10000, SMSS), 7000);
		tcp_sb_sent(&sb, b + 2000, 1000, false);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10000, SMSS), 8000);
		/* a fourth SACK makes [2000,3000) lost: its first copy leaves the
		 * pipe, the retransmitted one stays (below HighRxt) */
		sack1(b, 7000, 8000, 0, 10000);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 10000, SMSS), 1000 + 1000 + 1000 + 1000 + 2000);
	}
}
END_TEST

/* HighRxt inside a hole counts only the part below it. */
START_TEST(test_pipe_partial_high_rxt)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		sack1(b, 3000, 6000, 0, 8000);          /* [0,3000) lost by bytes */
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 8000, SMSS), 2000);
		tcp_sb_sent(&sb, b, 1000, false);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 8000, SMSS), 3000);
		tcp_sb_sent(&sb, b + 1000, 500, false);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 8000, SMSS), 3500);
		/* HighRxt never moves back */
		tcp_sb_sent(&sb, b + 200, 100, false);
		ck_assert_uint_eq(sb.high_rxt, b + 1500);
		/* SND.UNA inside the retransmitted part: only what is left counts */
		tcp_sb_ack(&sb, b + 1200);
		ck_assert(sb.rxt_valid);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b + 1200, b + 8000, SMSS), 300 + 2000);
	}
}
END_TEST

/* ---- NextSeg (RFC 6675 4) ---- */

START_TEST(test_next_seg_rule1_progression)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		uint32_t seq, len;
		tcp_sb_reset(&sb);
		sack1(b, 2500, 5000, 0, 8000);          /* [0,2500) lost */
		for (uint32_t want = 0; want < 2500; want += SMSS) {
			ck_assert(tcp_sb_next_seg(&sb, b, b + 8000, SMSS, true, &seq, &len));
			ck_assert(!sb.rescue_next);
			ck_assert_uint_eq(seq, b + want);
			ck_assert_uint_eq(len, want + SMSS <= 2500 ? SMSS : 2500 - want);
			tcp_sb_sent(&sb, seq, len, sb.rescue_next);
			ck_assert_uint_eq(sb.high_rxt, seq + len);
		}
		/* the hole is done; new data next (rule 2) */
		ck_assert(!tcp_sb_next_seg(&sb, b, b + 8000, SMSS, true, &seq, &len));
	}
}
END_TEST

START_TEST(test_next_seg_rule_order)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		uint32_t seq, len;
		tcp_sb_reset(&sb);
		/* holes [0,1000) lost, [2000,3000) and [4000,5000) not; tail
		 * [6000,10000) */
		sack1(b, 1000, 2000, 0, 10000);
		sack1(b, 3000, 4000, 0, 10000);
		sack1(b, 5000, 6000, 0, 10000);
		/* (1) before new data even when new data could go */
		ck_assert(tcp_sb_next_seg(&sb, b, b + 10000, SMSS, true, &seq, &len));
		ck_assert_uint_eq(seq, b + 0);
		ck_assert_uint_eq(len, 1000);
		tcp_sb_sent(&sb, seq, len, false);
		/* (2) new data before (3) */
		ck_assert(!tcp_sb_next_seg(&sb, b, b + 10000, SMSS, true, &seq, &len));
		/* (3) when there is no new data to send */
		ck_assert(tcp_sb_next_seg(&sb, b, b + 10000, SMSS, false, &seq, &len));
		ck_assert(!sb.rescue_next);
		ck_assert_uint_eq(seq, b + 2000);
		ck_assert_uint_eq(len, 1000);
		tcp_sb_sent(&sb, seq, len, false);
		ck_assert(tcp_sb_next_seg(&sb, b, b + 10000, SMSS, false, &seq, &len));
		ck_assert_uint_eq(seq, b + 4000);
		tcp_sb_sent(&sb, seq, len, false);
		ck_assert_uint_eq(sb.high_rxt, b + 5000);
		/* (3) stops at the highest SACKed octet; (4) the rescue covers
		 * the highest unSACKed octet, the tail end */
		ck_assert(tcp_sb_next_seg(&sb, b, b + 10000, SMSS, false, &seq, &len));
		ck_assert(sb.rescue_next);
		ck_assert_uint_eq(seq, b + 9000);
		ck_assert_uint_eq(len, 1000);
		/* a newly lost segment below HighRxt is not resent by (1) */
		sack1(b, 7000, 8000, 0, 10000);
		ck_assert(tcp_sb_is_lost(&sb, b + 2000, SMSS));
		ck_assert(!tcp_sb_next_seg(&sb, b, b + 10000, SMSS, true, &seq, &len));
	}
}
END_TEST

/* Rule (1) looks above HighRxt only, and finds a lost hole higher up. */
START_TEST(test_next_seg_skips_below_high_rxt)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		uint32_t seq, len;
		tcp_sb_reset(&sb);
		sack1(b, 1000, 2000, 0, 12000);
		sack1(b, 3000, 4000, 0, 12000);
		sack1(b, 5000, 6000, 0, 12000);
		sack1(b, 7000, 8000, 0, 12000);
		/* holes [0,1000), [2000,3000) lost (3 ranges above), [4000,5000)
		 * not yet (2 ranges, 2000 bytes) */
		tcp_sb_sent(&sb, b, 1000, false);
		ck_assert(tcp_sb_next_seg(&sb, b, b + 12000, SMSS, true, &seq, &len));
		ck_assert_uint_eq(seq, b + 2000);
		tcp_sb_sent(&sb, seq, len, false);
		ck_assert(!tcp_sb_next_seg(&sb, b, b + 12000, SMSS, true, &seq, &len));
	}
}
END_TEST

START_TEST(test_rescue_at_most_once)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		uint32_t seq, len;
		tcp_sb_reset(&sb);
		/* tail loss: [1000,2000) SACKed, [0,1000) and [2000,5000) not */
		sack1(b, 1000, 2000, 0, 5000);
		/* (3) first: the hole below the SACK */
		ck_assert(tcp_sb_next_seg(&sb, b, b + 5000, SMSS, false, &seq, &len));
		ck_assert_uint_eq(seq, b + 0);
		ck_assert(!sb.rescue_next);
		tcp_sb_sent(&sb, seq, len, sb.rescue_next);
		/* (4): the highest unSACKed octet is 4999 */
		ck_assert(tcp_sb_next_seg(&sb, b, b + 5000, SMSS, false, &seq, &len));
		ck_assert(sb.rescue_next);
		ck_assert_uint_eq(seq, b + 4000);
		ck_assert_uint_eq(len, 1000);
		tcp_sb_sent(&sb, seq, len, sb.rescue_next);
		ck_assert_uint_eq(sb.high_rxt, b + 1000);     /* (4): HighRxt unchanged */
		ck_assert(sb.rescue_valid);
		/* no second rescue in this recovery, even with progress */
		ck_assert(!tcp_sb_next_seg(&sb, b, b + 5000, SMSS, false, &seq, &len));
		tcp_sb_ack(&sb, b + 2000);
		ck_assert(!tcp_sb_next_seg(&sb, b + 2000, b + 5000, SMSS, false, &seq, &len));
		tcp_sb_ack(&sb, b + 5000);
		ck_assert(!tcp_sb_next_seg(&sb, b + 5000, b + 5000, SMSS, false, &seq, &len));
		/* once HighACK is beyond RescueRxt a new recovery may rescue again */
		tcp_sb_ack(&sb, b + 5001);
		ck_assert(!sb.rescue_valid);
		ck_assert(tcp_sb_next_seg(&sb, b + 5001, b + 5500, SMSS, false, &seq, &len));
		ck_assert(sb.rescue_next);
		ck_assert_uint_eq(seq, b + 5001);
		ck_assert_uint_eq(len, 499);
	}
}
END_TEST

/* The rescue segment stays inside the topmost hole when the tail is SACKed. */
START_TEST(test_rescue_below_top_sack)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		uint32_t seq, len;
		tcp_sb_reset(&sb);
		sack1(b, 2500, 3000, 0, 3000);
		tcp_sb_sent(&sb, b, 2500, false);   /* everything below retransmitted */
		ck_assert(tcp_sb_next_seg(&sb, b, b + 3000, SMSS, false, &seq, &len));
		ck_assert(sb.rescue_next);
		ck_assert_uint_eq(seq, b + 1500);
		ck_assert_uint_eq(len, 1000);
		/* new data would have gone first */
		ck_assert(!tcp_sb_next_seg(&sb, b, b + 3000, SMSS, true, &seq, &len));
		ck_assert(!sb.rescue_next);
	}
}
END_TEST

START_TEST(test_next_seg_nothing_outstanding)
{
	uint32_t seq, len;
	ck_assert(!tcp_sb_next_seg(&sb, 100, 100, SMSS, false, &seq, &len));
	ck_assert(!tcp_sb_next_seg(&sb, 100, 100, SMSS, true, &seq, &len));
	/* everything outstanding SACKed: nothing to resend */
	struct tcp_sack_block blk = { 100, 200 };
	bool d;
	tcp_sb_update(&sb, 100, 200, &blk, 1, &d);
	ck_assert_uint_eq(sb.n, 1);
	ck_assert(!tcp_sb_next_seg(&sb, 100, 200, SMSS, false, &seq, &len));
	/* the only unSACKed octets already retransmitted: rule (4) still
	 * allows its one rescue of the highest of them, then nothing */
	tcp_sb_reset(&sb);
	tcp_sb_update(&sb, 50, 200, &blk, 1, &d);
	tcp_sb_sent(&sb, 50, 50, false);
	ck_assert(tcp_sb_next_seg(&sb, 50, 200, SMSS, false, &seq, &len));
	ck_assert(sb.rescue_next);
	ck_assert_uint_eq(seq, 50);
	ck_assert_uint_eq(len, 50);
	tcp_sb_sent(&sb, seq, len, sb.rescue_next);
	ck_assert_uint_eq(sb.high_rxt, 100);
	ck_assert(!tcp_sb_next_seg(&sb, 50, 200, SMSS, false, &seq, &len));
}
END_TEST

START_TEST(test_is_sacked_and_reset)
{
	for (unsigned i = 0; i < NBASES; i++) {
		uint32_t b = bases[i];
		tcp_sb_reset(&sb);
		sack1(b, 1000, 2000, 0, 5000);
		ck_assert(tcp_sb_is_sacked(&sb, b + 1000, 1000));
		ck_assert(tcp_sb_is_sacked(&sb, b + 1500, 1));
		ck_assert(!tcp_sb_is_sacked(&sb, b + 999, 2));
		ck_assert(!tcp_sb_is_sacked(&sb, b + 1999, 2));
		ck_assert(!tcp_sb_is_sacked(&sb, b + 3000, 10));
		tcp_sb_sent(&sb, b, 500, false);
		tcp_sb_reset(&sb);
		ck_assert_uint_eq(sb.n, 0);
		ck_assert(!sb.rxt_valid && !sb.rescue_valid);
		ck_assert_uint_eq(tcp_sb_pipe(&sb, b, b + 5000, SMSS), 5000);
	}
}
END_TEST

/* Random blocks against a bitmap model: the board and pipe agree with a
 * per-octet SetPipe() at every step, across 2^32. */
static uint32_t rng = 0x9e3779b9;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

START_TEST(test_model_random)
{
	enum { SPAN = 6000, MSS = 100 };
	static bool sacked[SPAN];
	for (unsigned round = 0; round < 100; round++) {
		uint32_t b = round % 2 ? WRAP + 3000 * (round % 3) : rnd();
		tcp_sb_reset(&sb);
		memset(sacked, 0, sizeof(sacked));
		uint32_t una = 0, rxt = 0;
		for (unsigned step = 0; step < 30 && una < SPAN; step++) {
			uint32_t s = una + rnd() % (SPAN - una);
			uint32_t e = s + 1 + rnd() % 300;
			if (e > SPAN)
				e = SPAN;
			struct tcp_sack_block blk = { b + s, b + e };
			bool d;
			uint32_t fresh = 0;
			for (uint32_t o = s; o < e; o++)
				fresh += !sacked[o];
			ck_assert_uint_eq(tcp_sb_update(&sb, b + una, b + SPAN, &blk, 1, &d), fresh);
			for (uint32_t o = s; o < e; o++)
				sacked[o] = true;
			if (rnd() % 5 == 0) {
				una += rnd() % 400;
				if (una > SPAN)
					una = SPAN;
				tcp_sb_ack(&sb, b + una);
			}
			if (rnd() % 4 == 0) {
				uint32_t r = una + rnd() % (SPAN - una + 1);
				tcp_sb_sent(&sb, b + una, r - una, false);
				if (r > rxt)
					rxt = r;
			}
			check_board(&sb);
			/* per-octet SetPipe of RFC 6675 4, from the top down so
			 * that the SACKed ranges and bytes above are running sums */
			uint32_t pipe = 0;
			unsigned ranges = 0, bytes = 0;
			for (uint32_t o = SPAN; o-- > una;) {
				if (sacked[o]) {
					bytes++;
					if (o + 1 == SPAN || !sacked[o + 1])
						ranges++;
					continue;
				}
				bool lost = ranges >= 3 || bytes > 2 * MSS;
				/* the hole's edges and a sample inside it */
				if (o == una || sacked[o - 1] || o + 1 == SPAN || sacked[o + 1] ||
				    o % 61 == 0)
					ck_assert(lost == tcp_sb_is_lost(&sb, b + o, MSS));
				pipe += !lost;
				pipe += o < rxt;
			}
			ck_assert_uint_eq(tcp_sb_pipe(&sb, b + una, b + SPAN, MSS), pipe);
		}
	}
}
END_TEST

static Suite *
sack_suite(void)
{
	Suite *s = suite_create("tcp_sack");
	TCase *tc = tcase_create("scoreboard");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_merge_adjacent);
	tcase_add_test(tc, test_merge_overlapping);
	tcase_add_test(tc, test_merge_containing);
	tcase_add_test(tc, test_merge_out_of_order);
	tcase_add_test(tc, test_update_several_blocks);
	tcase_add_test(tc, test_update_ignores_bogus);
	tcase_add_test(tc, test_wraparound);
	tcase_add_test(tc, test_dsack_below_una);
	tcase_add_test(tc, test_dsack_inside_second);
	tcase_add_test(tc, test_ack_trims);
	tcase_add_test(tc, test_cap_forgets_highest);
	tcase_add_test(tc, test_is_sacked_and_reset);
	tcase_add_test(tc, test_model_random);
	suite_add_tcase(s, tc);

	TCase *tr = tcase_create("recovery");
	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_is_lost_bytes_boundary);
	tcase_add_test(tr, test_is_lost_ranges_boundary);
	tcase_add_test(tr, test_pipe_no_sack);
	tcase_add_test(tr, test_pipe_single_loss);
	tcase_add_test(tr, test_pipe_multiple_holes);
	tcase_add_test(tr, test_pipe_partial_high_rxt);
	tcase_add_test(tr, test_next_seg_rule1_progression);
	tcase_add_test(tr, test_next_seg_rule_order);
	tcase_add_test(tr, test_next_seg_skips_below_high_rxt);
	tcase_add_test(tr, test_rescue_at_most_once);
	tcase_add_test(tr, test_rescue_below_top_sack);
	tcase_add_test(tr, test_next_seg_nothing_outstanding);
	suite_add_tcase(s, tr);
	return s;
}

int
main(void)
{
	fixture_pool();
	return fixture_run(sack_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * Sequence-number arithmetic (RFC 9293 3.4): comparisons modulo 2^32, at
 * the wrap, at the 2^31 boundary where "before" flips, and the window test.
 */
#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "tcp_seq.h"

START_TEST(test_plain_order)
{
	ck_assert(seq_lt(1, 2));
	ck_assert(!seq_lt(2, 1));
	ck_assert(!seq_lt(5, 5));
	ck_assert(seq_leq(5, 5));
	ck_assert(seq_gt(2, 1));
	ck_assert(seq_geq(5, 5));
	ck_assert(!seq_gt(5, 5));
}
END_TEST

START_TEST(test_wraparound)
{
	/* 0xffffffff comes just before 0 */
	ck_assert(seq_lt(0xffffffffu, 0));
	ck_assert(seq_gt(0, 0xffffffffu));
	ck_assert(seq_lt(0xfffffff0u, 0x10));
	ck_assert(seq_gt(0x10, 0xfffffff0u));
	ck_assert_uint_eq(seq_max(0xfffffff0u, 0x10), 0x10);
	ck_assert_uint_eq(seq_min(0xfffffff0u, 0x10), 0xfffffff0u);
	/* a byte count across the wrap is plain subtraction */
	ck_assert_uint_eq((uint32_t)(0x10u - 0xfffffff0u), 0x20);
}
END_TEST

START_TEST(test_half_space_boundary)
{
	/* a is before b while b - a < 2^31; at exactly 2^31 apart both
	 * orders are "after" by the sign of the difference: documented limit */
	ck_assert(seq_lt(0, 0x7fffffffu));
	ck_assert(!seq_lt(0, 0x80000001u));   /* 0x80000001 is now "before" 0 */
	ck_assert(seq_gt(0, 0x80000001u));
	for (uint32_t base = 0; base < 0xf0000000u; base += 0x10000001u) {
		ck_assert(seq_lt(base, base + 0x7fffffffu));
		ck_assert(seq_gt(base + 0x7fffffffu, base));
		ck_assert(seq_lt(base + 0x80000001u, base));
	}
}
END_TEST

START_TEST(test_window_membership)
{
	/* seq_in(a, lo, hi): lo <= a < hi, also when the window spans the wrap */
	ck_assert(seq_in(100, 100, 200));
	ck_assert(seq_in(199, 100, 200));
	ck_assert(!seq_in(200, 100, 200));
	ck_assert(!seq_in(99, 100, 200));
	ck_assert(seq_in(0xfffffffeu, 0xfffffff0u, 0x10));
	ck_assert(seq_in(0x5, 0xfffffff0u, 0x10));
	ck_assert(!seq_in(0x10, 0xfffffff0u, 0x10));
	ck_assert(!seq_in(0xffffffefu, 0xfffffff0u, 0x10));
	/* an empty window holds nothing */
	ck_assert(!seq_in(7, 7, 7));
}
END_TEST

START_TEST(test_consistency_random)
{
	/* lt/gt/leq/geq agree with each other for any pair under 2^31 apart */
	uint32_t x = 12345;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		uint32_t a = x, d = (x * 2654435761u) & 0x7fffffffu, b = a + d;
		ck_assert(d == 0 ? !seq_lt(a, b) : seq_lt(a, b));
		ck_assert(seq_leq(a, b));
		ck_assert(seq_geq(b, a));
		ck_assert(d == 0 ? !seq_gt(b, a) : seq_gt(b, a));
		ck_assert_uint_eq(seq_max(a, b), b);
		ck_assert_uint_eq(seq_min(a, b), a);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tcp_seq");
	TCase *tc = tcase_create("seq");
	tcase_add_test(tc, test_plain_order);
	tcase_add_test(tc, test_wraparound);
	tcase_add_test(tc, test_half_space_boundary);
	tcase_add_test(tc, test_window_membership);
	tcase_add_test(tc, test_consistency_random);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

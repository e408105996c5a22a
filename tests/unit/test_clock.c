/*
 * The poll loop's clock (stack/clock.c): once switched to the TSC it must
 * still be CLOCK_MONOTONIC, read more cheaply. The kernel's clock is the
 * oracle; a reading of ours taken between two of its readings must fall
 * between them, give or take the calibration error (1e-3 of the time since
 * the anchor: five times clock.c's worst case) plus 2 us of rounding.
 * Preemption between the readings only widens the window, so nothing here
 * depends on how fast the machine is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <check.h>

#include "stack.h"

static uint64_t
mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
check_between(uint64_t anchor, unsigned rounds)
{
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t a = mono(), t = tern_clock_ns(), b = mono();
		uint64_t tol = 2000 + (b - anchor) / 1000;
		ck_assert_msg(t + tol >= a && t <= b + tol,
			      "tern_clock_ns %llu outside kernel [%llu, %llu] +- %llu",
			      (unsigned long long)t, (unsigned long long)a,
			      (unsigned long long)b, (unsigned long long)tol);
	}
}

START_TEST(test_follows_monotonic)
{
	uint64_t anchor = mono();
	check_between(anchor, 1000);             /* before: the kernel's clock */
	bool tsc = tern_clock_calibrate();
	check_between(anchor, 1000);
	/* Spin ~50 ms of kernel time so a rate error would show. */
	uint64_t until = mono() + 50000000ull;
	while (mono() < until)
		check_between(anchor, 100);
	/* Calibrating again is a no-op with the same answer. */
	ck_assert(tern_clock_calibrate() == tsc);
}
END_TEST

START_TEST(test_never_goes_back)
{
	tern_clock_calibrate();
	uint64_t last = tern_clock_ns();
	for (unsigned i = 0; i < 2000000; i++) {
		uint64_t t = tern_clock_ns();
		ck_assert_msg(t >= last, "clock went back %llu -> %llu",
			      (unsigned long long)last, (unsigned long long)t);
		last = t;
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");
	tcase_add_test(tc, test_follows_monotonic);
	tcase_add_test(tc, test_never_goes_back);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	/* One process: calibration state is per process, and the order of the
	 * cases (before/after) matters to the first. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

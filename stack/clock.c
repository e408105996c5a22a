/*
 * The real poll loop's clock (protocol code never reads a clock: it is
 * handed `now`). CLOCK_MONOTONIC through the vDSO costs 20-50 ns here, and
 * a busy-polling loop reads it on every iteration: on an idle tern-echo
 * perf put half of all samples in __vdso_clock_gettime, and every round trip
 * pays for several reads. Where the kernel itself keeps time with the TSC,
 * we read the TSC (a few ns) and scale it to nanoseconds instead.
 *
 * tern_clock_calibrate() (called once by tern_eal_init()) switches over:
 *  - only if the kernel's clocksource is "tsc": the kernel checked at boot
 *    that the TSC is invariant and in step across CPUs, so readings from
 *    different threads and cores compare, as CLOCK_MONOTONIC's do;
 *  - the rate is measured against CLOCK_MONOTONIC over CALIB_NS of busy
 *    waiting, each end a TSC reading bracketed by two kernel readings at
 *    most PAIR_NS apart: the rate is good to 2e-4 at worst and about 1e-5
 *    typically (brackets of ~50 ns), 36 ms an hour, for timers that are
 *    relative and tolerate far more;
 *  - the TSC clock starts at the CLOCK_MONOTONIC reading it was anchored to,
 *    so the switch does not step time.
 * Otherwise, and before calibration, tern_clock_ns() is CLOCK_MONOTONIC.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "stack.h"

#define CALIB_NS (10ull * 1000 * 1000)
#define PAIR_NS 1000u
#define CLOCKSOURCE "/sys/devices/system/clocksource/clocksource0/current_clocksource"

static struct {
	atomic_bool on;      /* the fields below are set; read with acquire */
	uint64_t tsc0, ns0;  /* anchor: a TSC reading and CLOCK_MONOTONIC then */
	uint64_t mult;       /* ns per TSC tick, 32.32 fixed point */
} tsc_clock;

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TERN_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t
tern_clock_ns(void)
{
	/* acquire: pairs with the release in tern_clock_calibrate(), so the
	 * anchor and rate are seen complete. */
	if (atomic_load_explicit(&tsc_clock.on, memory_order_acquire)) {
		uint64_t d = rte_rdtsc() - tsc_clock.tsc0;
		return tsc_clock.ns0 + (uint64_t)(((unsigned __int128)d * tsc_clock.mult) >> 32);
	}
	return mono_ns();
}

static bool
kernel_uses_tsc(void)
{
	char buf[32] = "";
	FILE *f = fopen(CLOCKSOURCE, "re");
	if (f == NULL)
		return false;
	bool ok = fgets(buf, sizeof(buf), f) != NULL && strcmp(buf, "tsc\n") == 0;
	fclose(f);
	return ok;
}

/* A TSC reading and the CLOCK_MONOTONIC time at it, taken as the midpoint
 * of two kernel readings around it; retried until the two are within
 * PAIR_NS, so a preemption in between cannot skew the rate. */
static bool
clock_pair(uint64_t *ns, uint64_t *tsc)
{
	for (int i = 0; i < 100; i++) {
		uint64_t a = mono_ns(), c = rte_rdtsc(), b = mono_ns();
		if (b - a <= PAIR_NS) {
			*ns = a + (b - a) / 2;
			*tsc = c;
			return true;
		}
	}
	return false;
}

bool
tern_clock_calibrate(void)
{
	static atomic_flag once = ATOMIC_FLAG_INIT;
	uint64_t t0, c0, t1, c1;

	if (atomic_load_explicit(&tsc_clock.on, memory_order_acquire))
		return true;
	if (atomic_flag_test_and_set(&once) || !kernel_uses_tsc() || !clock_pair(&t0, &c0))
		return false;
	while (mono_ns() - t0 < CALIB_NS)
		;
	if (!clock_pair(&t1, &c1) || c1 <= c0)
		return false;   /* noisy, or a TSC that did not move: keep the kernel's */
	tsc_clock.mult = (uint64_t)((((unsigned __int128)(t1 - t0)) << 32) / (c1 - c0));
	tsc_clock.tsc0 = c1;
	tsc_clock.ns0 = t1;
	atomic_store_explicit(&tsc_clock.on, true, memory_order_release);
	return true;
}

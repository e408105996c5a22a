/*
 * Unit tests of the timer wheel (stack/twheel.c) on a virtual clock: exact
 * expiry at every level, cancel and re-arm (also from the callback), clamped
 * huge deadlines, twheel_next() against a brute-force oracle, and the cost
 * of advancing (steps counted through TWHEEL_COUNT_WORK, never wall time).
 * No DPDK. Run by `meson test twheel`.
 */
#include <check.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Count the wheel's steps (events visited, entries cascaded or fired). The
 * wheel is compiled into this test, with this hook, rather than linked
 * from stack_lib, whose copy has no hook and needs DPDK. */
static uint64_t wheel_work;
#define TWHEEL_COUNT_WORK() (wheel_work++)
#include "twheel.c"

#define NS 1ull
#define US (1000 * NS)
#define MS (1000 * US)
#define SEC (1000 * MS)
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
#define TICK MS   /* what TCP is expected to use */

/* ---- helpers ---- */

/* For checks run millions of times: a passing ck_assert still records its
 * location with the runner (a write per call), which dominates run time. */
#define HOT_UINT(x, op, y) do {							\
		uint64_t x_ = (x), y_ = (y);					\
		if (!(x_ op y_))						\
			ck_abort_msg("%s %s %s failed: %" PRIu64 " vs %" PRIu64,	\
				     #x, #op, #y, x_, y_);			\
	} while (0)

/* A timer owner, as a TCB would embed it. */
struct owner {
	struct twheel_entry tw;   /* first: the callback casts back */
	uint64_t deadline;
	unsigned fired;
	uint64_t fired_at;        /* the now of the advance that fired it */
	uint64_t rearm_every;     /* re-arm by this much from the callback (0: no) */
	unsigned rearm_left;
	struct owner *victim;     /* twheel_del() this one from the callback */
};

struct run {
	struct twheel *w;
	uint64_t now;             /* of the advance in progress */
	uint64_t prev_now;        /* of the previous advance (lateness check) */
	bool have_prev;
	unsigned fires;
	struct owner **order;     /* fire order, if recorded */
	unsigned norder, cap;
};

static void
on_fire(void *arg, struct twheel_entry *e)
{
	struct run *r = arg;
	struct owner *o = (struct owner *)e;

	HOT_UINT(twheel_armed(e), ==, false);
	/* Never early. */
	HOT_UINT(o->deadline, <=, r->now);
	/* Never late: the previous advance did not reach the deadline. */
	if (r->have_prev)
		HOT_UINT(o->deadline, >, r->prev_now);
	o->fired++;
	o->fired_at = r->now;
	r->fires++;
	if (r->order != NULL && r->norder < r->cap)
		r->order[r->norder++] = o;
	if (o->victim != NULL)
		twheel_del(r->w, &o->victim->tw);
	if (o->rearm_left > 0) {
		o->rearm_left--;
		o->deadline += o->rearm_every;
		twheel_add(r->w, e, o->deadline);
	}
}

static void
run_init(struct run *r, struct twheel *w, uint64_t now)
{
	memset(r, 0, sizeof(*r));
	r->w = w;
	r->now = now;
}

static unsigned
advance(struct run *r, uint64_t now)
{
	unsigned before = r->fires;

	r->now = now;
	unsigned n = twheel_advance(r->w, now, on_fire, r);
	HOT_UINT(n, ==, r->fires - before);
	r->prev_now = now;
	r->have_prev = true;
	return n;
}

static void
arm(struct twheel *w, struct owner *o, uint64_t deadline)
{
	o->deadline = deadline;
	twheel_add(w, &o->tw, deadline);
	HOT_UINT(twheel_armed(&o->tw), ==, true);
}

/* Deterministic PRNG (xorshift64*), so failures reproduce. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static uint64_t
rnd_below(uint64_t *s, uint64_t n)
{
	return n == 0 ? 0 : rnd(s) % n;
}

/* The wheel's own consistency: bitmaps match the lists, count matches. */
static void
check_wheel(const struct twheel *w)
{
	uint32_t n = 0;

	for (unsigned l = 0; l < TWHEEL_LEVELS; l++)
		for (unsigned s = 0; s < TWHEEL_SLOTS; s++) {
			const struct twheel_entry *h = &w->slot[l][s];
			bool bit = (w->occupied[l] >> s) & 1;

			HOT_UINT(bit, ==, h->next != h);
			for (const struct twheel_entry *e = h->next; e != h; e = e->next) {
				HOT_UINT(e->next->prev == e, ==, true);
				n++;
			}
		}
	ck_assert_uint_eq(n, w->count);
}

/* Arm one entry at @p delta after @p t0 and probe deadline - 1, deadline. */
static void
probe_one(uint64_t t0, uint64_t tick, uint64_t delta)
{
	struct twheel w;
	struct run r;
	struct owner o = { 0 };

	twheel_init(&w, t0, tick);
	run_init(&r, &w, t0);
	arm(&w, &o, t0 + delta);
	ck_assert_uint_le(twheel_next(&w), t0 + delta);
	if (delta > 0) {
		ck_assert_uint_eq(advance(&r, t0 + delta - 1), 0);
		ck_assert(twheel_armed(&o.tw));
		ck_assert_uint_le(twheel_next(&w), t0 + delta);
	}
	ck_assert_uint_eq(advance(&r, t0 + delta), 1);
	ck_assert_uint_eq(o.fired, 1);
	ck_assert(!twheel_armed(&o.tw));
	ck_assert_uint_eq(w.count, 0);
	ck_assert_uint_eq(twheel_next(&w), UINT64_MAX);
	check_wheel(&w);
}

/* ---- basics ---- */

START_TEST(test_empty)
{
	struct twheel w;
	struct run r;

	twheel_init(&w, 12345, TICK);
	run_init(&r, &w, 12345);
	ck_assert_uint_eq(twheel_next(&w), UINT64_MAX);
	ck_assert_uint_eq(w.count, 0);
	ck_assert_uint_eq(advance(&r, DAY), 0);
	ck_assert_uint_eq(twheel_next(&w), UINT64_MAX);
	check_wheel(&w);
}
END_TEST

START_TEST(test_single_aligned)
{
	probe_one(0, TICK, 5 * TICK);
}
END_TEST

START_TEST(test_single_unaligned)
{
	/* Deadline inside a tick: fires at the deadline, not the tick's end. */
	probe_one(0, TICK, 5 * TICK + 300 * US);
	probe_one(777 * US, TICK, 5 * TICK + 300 * US);
}
END_TEST

START_TEST(test_single_every_level)
{
	/* At, below and above each level boundary, from an aligned and an
	 * unaligned start, with a coarse and a 1-ns tick. */
	static const uint64_t ticks[] = { TICK, 1, 7 * US };
	for (unsigned i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
		uint64_t tick = ticks[i];
		for (unsigned l = 0; l <= TWHEEL_LEVELS; l++) {
			uint64_t edge = (1ull << (6 * l)) * tick;
			probe_one(0, tick, edge);
			probe_one(0, tick, edge - 1);
			probe_one(0, tick, edge + 1);
			probe_one(3 * tick + tick / 2, tick, edge);
			probe_one(1000003 * tick + 1, tick, edge + tick / 3);
		}
	}
}
END_TEST

START_TEST(test_stepwise_each_tick)
{
	/* Advance one tick at a time (never skipping) across a cascade. */
	struct twheel w;
	struct run r;
	struct owner o[4] = { 0 };
	uint64_t d[4] = { 63 * TICK, 64 * TICK, 4096 * TICK + 5, 4161 * TICK - 1 };

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	for (unsigned i = 0; i < 4; i++)
		arm(&w, &o[i], d[i]);
	for (uint64_t t = 0; t <= 4200 * TICK; t += TICK / 2)
		advance(&r, t);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(o[i].fired, 1);
	check_wheel(&w);
}
END_TEST

START_TEST(test_init_far_from_zero)
{
	uint64_t t0 = 1700000000ull * SEC + 123456789;

	probe_one(t0, TICK, 1);
	probe_one(t0, TICK, 90 * SEC);
	probe_one(t0, TICK, 3 * DAY + 17);
}
END_TEST

START_TEST(test_wrap_into_current_slot)
{
	/* With now inside level L's slot s, a deadline almost 64 slots away
	 * lands in that same slot s: it is due a whole lap later, not at s's
	 * next boundary, and nothing else may move earlier because of it. */
	for (unsigned l = 1; l < TWHEEL_LEVELS; l++) {
		uint64_t unit = 1ull << (6 * l);           /* level-l slot, in ticks */
		uint64_t n0 = 5 * unit + 10;              /* not on a boundary */
		struct twheel w;
		struct run r;
		struct owner lap = { 0 }, near = { 0 }, next_slot = { 0 };

		twheel_init(&w, 0, TICK);
		run_init(&r, &w, 0);
		advance(&r, n0 * TICK);
		arm(&w, &lap, (n0 + 64 * unit - 5) * TICK + 1);
		arm(&w, &near, (n0 + 60) * TICK);
		arm(&w, &next_slot, (n0 + unit) * TICK);
		check_wheel(&w);
		ck_assert_uint_le(twheel_next(&w), near.deadline);
		ck_assert_uint_gt(twheel_next(&w), n0 * TICK);
		ck_assert_uint_eq(advance(&r, (n0 + 30) * TICK), 0);
		ck_assert_uint_eq(advance(&r, near.deadline), 1);
		ck_assert_uint_eq(advance(&r, next_slot.deadline - 1), 0);
		ck_assert_uint_eq(advance(&r, next_slot.deadline), 1);
		ck_assert_uint_eq(advance(&r, lap.deadline - 1), 0);
		ck_assert_uint_eq(advance(&r, lap.deadline), 1);
		check_wheel(&w);
	}
}
END_TEST

/* ---- order ---- */

START_TEST(test_order_across_levels)
{
	/* Deadlines on every level armed in scrambled order: one advance over
	 * all of them fires them in deadline order (distinct ticks). */
	struct twheel w;
	struct run r;
	struct owner o[12] = { 0 };
	struct owner *order[12];
	static const uint64_t d[12] = {
		3 * HOUR, 2 * TICK, 70 * TICK, 5 * SEC, 10 * DAY, 1 * TICK,
		4095 * TICK, 4097 * TICK, 300 * SEC, 65 * TICK, 2 * DAY, 40 * DAY,
	};

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	r.order = order;
	r.cap = 12;
	for (unsigned i = 0; i < 12; i++)
		arm(&w, &o[i], d[i]);
	ck_assert_uint_eq(w.count, 12);
	ck_assert_uint_eq(advance(&r, 41 * DAY), 12);
	ck_assert_uint_eq(r.norder, 12);
	for (unsigned i = 1; i < 12; i++)
		ck_assert_uint_lt(order[i - 1]->deadline, order[i]->deadline);
	ck_assert_uint_eq(w.count, 0);
	check_wheel(&w);
}
END_TEST

START_TEST(test_same_tick_fires_in_deadline_order)
{
	/* In the tick the wheel stops on, entries fire in deadline order, and
	 * only those due: 1,000 deadlines inside one tick, advanced in steps. */
	struct twheel w;
	struct run r;
	static struct owner o[1000];
	uint64_t seed = 99;

	memset(o, 0, sizeof(o));
	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	for (unsigned i = 0; i < 1000; i++)
		arm(&w, &o[i], 50 * TICK + rnd_below(&seed, TICK));
	uint64_t last = 0;
	for (uint64_t t = 50 * TICK; t < 51 * TICK; t += 10 * US) {
		advance(&r, t);
		/* Exact while inside the tick. */
		uint64_t mn = UINT64_MAX;
		for (unsigned i = 0; i < 1000; i++)
			if (!o[i].fired && o[i].deadline < mn)
				mn = o[i].deadline;
		ck_assert_uint_eq(twheel_next(&w), mn);
		ck_assert_uint_ge(t, last);
		last = t;
	}
	advance(&r, 51 * TICK);
	for (unsigned i = 0; i < 1000; i++)
		ck_assert_uint_eq(o[i].fired, 1);
	check_wheel(&w);
}
END_TEST

/* ---- re-arm and cancel ---- */

START_TEST(test_rearm_from_callback)
{
	/* A periodic timer re-armed by its callback fires once per period,
	 * also when one advance spans many periods. */
	struct twheel w;
	struct run r;
	struct owner o = { 0 };

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	o.rearm_every = 200 * TICK;
	o.rearm_left = 9;
	arm(&w, &o, 200 * TICK);
	ck_assert_uint_eq(advance(&r, 200 * TICK), 1);
	ck_assert(twheel_armed(&o.tw));
	/* 200 ticks ahead is level 1: next() is its slot's start. */
	ck_assert_uint_le(twheel_next(&w), 400 * TICK);
	ck_assert_uint_gt(twheel_next(&w), 200 * TICK);
	/* The rest in one call: each deadline falls inside the advance. */
	r.have_prev = false;
	ck_assert_uint_eq(advance(&r, 10 * SEC), 9);
	ck_assert_uint_eq(o.fired, 10);
	ck_assert(!twheel_armed(&o.tw));
	ck_assert_uint_eq(w.count, 0);
	check_wheel(&w);
}
END_TEST

static void
rearm_past(void *arg, struct twheel_entry *e)
{
	struct run *r = arg;

	r->fires++;
	/* Re-arm for a time already past: must not loop in this advance. */
	if (r->fires < 3)
		twheel_add(r->w, e, e->expires - 1);
}

START_TEST(test_rearm_in_past_from_callback)
{
	struct twheel w;
	struct run r;
	struct twheel_entry e = { 0 };

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	twheel_add(&w, &e, 10 * TICK);
	ck_assert_uint_eq(twheel_advance(&w, 10 * TICK, rearm_past, &r), 1);
	/* Re-armed for 10 ms - 1: due, reported as such, fires next advance. */
	ck_assert(twheel_armed(&e));
	ck_assert_uint_eq(twheel_next(&w), 10 * TICK - 1);
	ck_assert_uint_eq(twheel_advance(&w, 10 * TICK, rearm_past, &r), 1);
	ck_assert_uint_eq(twheel_next(&w), 10 * TICK - 2);
	ck_assert_uint_eq(twheel_advance(&w, 10 * TICK, rearm_past, &r), 1);
	ck_assert(!twheel_armed(&e));
	ck_assert_uint_eq(w.count, 0);

	/* In the middle of a long advance, a past re-arm fires again within
	 * the same call (ticks remain), once per tick, then stops. */
	r.fires = 0;
	twheel_add(&w, &e, 20 * TICK);
	ck_assert_uint_eq(twheel_advance(&w, 30 * TICK, rearm_past, &r), 3);
	ck_assert(!twheel_armed(&e));
	check_wheel(&w);
}
END_TEST

START_TEST(test_del_armed)
{
	struct twheel w;
	struct run r;
	struct owner o[3] = { 0 };

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	arm(&w, &o[0], 5 * TICK);        /* level 0 */
	arm(&w, &o[1], 5 * SEC);         /* level 2 */
	arm(&w, &o[2], 5 * SEC);         /* same slot as o[1] */
	twheel_del(&w, &o[1].tw);
	ck_assert(!twheel_armed(&o[1].tw));
	ck_assert_uint_eq(w.count, 2);
	check_wheel(&w);
	twheel_del(&w, &o[0].tw);
	twheel_del(&w, &o[2].tw);
	ck_assert_uint_eq(w.count, 0);
	ck_assert_uint_eq(twheel_next(&w), UINT64_MAX);
	check_wheel(&w);
	ck_assert_uint_eq(advance(&r, DAY), 0);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(o[i].fired, 0);
}
END_TEST

START_TEST(test_del_unarmed)
{
	struct twheel w;
	struct owner o = { 0 }, other = { 0 };

	twheel_init(&w, 0, TICK);
	arm(&w, &other, 3 * TICK);
	twheel_del(&w, &o.tw);           /* never armed */
	twheel_del(&w, &o.tw);
	ck_assert_uint_eq(w.count, 1);
	arm(&w, &o, 4 * TICK);
	twheel_del(&w, &o.tw);
	twheel_del(&w, &o.tw);           /* already cancelled */
	ck_assert_uint_eq(w.count, 1);
	ck_assert(twheel_armed(&other.tw));
	check_wheel(&w);
}
END_TEST

START_TEST(test_del_from_callback)
{
	/* The first of two entries due in one advance cancels the second,
	 * which then sits on the wheel's private list of due entries. */
	struct twheel w;
	struct run r;
	struct owner a = { 0 }, b = { 0 }, c = { 0 };

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	arm(&w, &a, 7 * TICK + 1);
	arm(&w, &b, 7 * TICK + 2);
	arm(&w, &c, 7 * TICK + 3);
	a.victim = &b;
	ck_assert_uint_eq(advance(&r, 8 * TICK), 2);
	ck_assert_uint_eq(a.fired, 1);
	ck_assert_uint_eq(b.fired, 0);
	ck_assert_uint_eq(c.fired, 1);
	ck_assert_uint_eq(w.count, 0);
	check_wheel(&w);
}
END_TEST

START_TEST(test_add_while_armed_moves)
{
	struct twheel w;
	struct run r;
	struct owner o = { 0 };

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	arm(&w, &o, 10 * TICK);
	arm(&w, &o, 2 * HOUR);           /* later: level 0 -> level 4 */
	ck_assert_uint_eq(w.count, 1);
	ck_assert_uint_eq(advance(&r, HOUR), 0);
	arm(&w, &o, HOUR + 3 * TICK);    /* earlier again */
	ck_assert_uint_eq(w.count, 1);
	ck_assert_uint_eq(twheel_next(&w), HOUR + 3 * TICK);
	check_wheel(&w);
	ck_assert_uint_eq(advance(&r, HOUR + 3 * TICK), 1);
	ck_assert_uint_eq(advance(&r, 3 * HOUR), 0);
	ck_assert_uint_eq(o.fired, 1);
	ck_assert_uint_eq(w.count, 0);
}
END_TEST

START_TEST(test_count_field)
{
	struct twheel w;
	struct run r;
	static struct owner o[500];
	uint64_t seed = 5;

	memset(o, 0, sizeof(o));
	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	for (unsigned i = 0; i < 500; i++) {
		arm(&w, &o[i], rnd_below(&seed, 10 * SEC));
		ck_assert_uint_eq(w.count, i + 1);
	}
	for (unsigned i = 0; i < 500; i += 2)
		arm(&w, &o[i], rnd_below(&seed, 10 * SEC));   /* re-arm: no change */
	ck_assert_uint_eq(w.count, 500);
	for (unsigned i = 0; i < 500; i += 5)
		twheel_del(&w, &o[i].tw);
	ck_assert_uint_eq(w.count, 400);
	r.have_prev = false;
	unsigned fired = advance(&r, 5 * SEC);
	ck_assert_uint_eq(w.count, 400 - fired);
	fired += advance(&r, 10 * SEC);
	ck_assert_uint_eq(fired, 400);
	ck_assert_uint_eq(w.count, 0);
	check_wheel(&w);
}
END_TEST

/* ---- past, now and huge deadlines ---- */

START_TEST(test_past_deadline_next_advance)
{
	struct twheel w;
	struct run r;
	struct owner a = { 0 }, b = { 0 }, c = { 0 };

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	advance(&r, SEC + 500 * US);
	r.have_prev = false;
	arm(&w, &a, SEC / 2);            /* long past */
	arm(&w, &b, SEC + 500 * US);     /* == now */
	arm(&w, &c, 0);
	ck_assert_uint_eq(w.count, 3);
	/* Reported as due, no later than the earliest of them. */
	ck_assert_uint_eq(twheel_next(&w), 0);
	/* The very next advance fires them, even at the same now. */
	ck_assert_uint_eq(advance(&r, SEC + 500 * US), 3);
	ck_assert_uint_eq(w.count, 0);
	ck_assert_uint_eq(twheel_next(&w), UINT64_MAX);

	/* At init time too. */
	twheel_init(&w, 5 * SEC, TICK);
	run_init(&r, &w, 5 * SEC);
	arm(&w, &a, SEC);
	ck_assert_uint_eq(advance(&r, 5 * SEC), 1);
	check_wheel(&w);
}
END_TEST

START_TEST(test_time_backwards_fires_nothing)
{
	struct twheel w;
	struct run r;
	struct owner o = { 0 };

	twheel_init(&w, 10 * SEC, TICK);
	run_init(&r, &w, 10 * SEC);
	arm(&w, &o, 10 * SEC + 2 * TICK);
	ck_assert_uint_eq(advance(&r, 9 * SEC), 0);
	ck_assert_uint_eq(advance(&r, 0), 0);
	ck_assert_uint_eq(advance(&r, 10 * SEC + 2 * TICK), 1);
}
END_TEST

START_TEST(test_huge_deadline_clamps)
{
	struct twheel w;
	struct run r;
	struct owner o = { 0 }, near = { 0 }, max = { 0 };
	const uint64_t huge = UINT64_MAX / 2;

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	arm(&w, &o, huge);
	arm(&w, &near, 3 * SEC);
	arm(&w, &max, UINT64_MAX);
	ck_assert_uint_eq(w.count, 3);
	ck_assert_uint_le(twheel_next(&w), 3 * SEC);
	check_wheel(&w);

	ck_assert_uint_eq(advance(&r, DAY), 1);
	ck_assert_uint_eq(near.fired, 1);
	ck_assert_uint_le(twheel_next(&w), huge);
	/* Centuries later, with the clamped entries re-parked on the way. */
	ck_assert_uint_eq(advance(&r, huge - 1), 0);
	ck_assert(twheel_armed(&o.tw));
	ck_assert_uint_le(twheel_next(&w), huge);
	check_wheel(&w);
	ck_assert_uint_eq(advance(&r, huge), 1);
	ck_assert_uint_eq(o.fired, 1);
	ck_assert_uint_le(twheel_next(&w), UINT64_MAX);
	ck_assert_uint_eq(advance(&r, UINT64_MAX - 1), 0);
	ck_assert_uint_eq(advance(&r, UINT64_MAX), 1);
	ck_assert_uint_eq(max.fired, 1);
	ck_assert_uint_eq(w.count, 0);
	ck_assert_uint_eq(twheel_next(&w), UINT64_MAX);
	check_wheel(&w);
}
END_TEST

START_TEST(test_huge_deadline_fine_tick)
{
	/* 1-ns ticks: the wheel spans only 2^36 ns (69 s), so a deadline a
	 * day or centuries out is clamped and re-parked, never fired early. */
	struct twheel w;
	struct run r;
	struct owner o = { 0 }, day = { 0 };

	twheel_init(&w, 0, 1);
	run_init(&r, &w, 0);
	arm(&w, &o, UINT64_MAX / 2);
	arm(&w, &day, DAY + 1);
	wheel_work = 0;
	ck_assert_uint_eq(advance(&r, DAY), 0);
	/* One re-park per 63 top-level slots (63 * 2^30 ns) per entry. */
	ck_assert_uint_lt(wheel_work, 2 * (DAY / (63ull << 30) + 2) * TWHEEL_LEVELS);
	ck_assert_uint_eq(advance(&r, DAY + 1), 1);
	ck_assert(twheel_armed(&o.tw));
	ck_assert_uint_le(twheel_next(&w), UINT64_MAX / 2);
	check_wheel(&w);
}
END_TEST

START_TEST(test_tick_zero_is_one_ns)
{
	probe_one(0, 0, 12345);
}
END_TEST

/* ---- cost ---- */

START_TEST(test_day_in_one_call_is_cheap)
{
	struct twheel w;
	struct run r;
	struct owner o[10] = { 0 };
	uint64_t seed = 42;

	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	for (unsigned i = 0; i < 10; i++)
		arm(&w, &o[i], 1 + rnd_below(&seed, DAY));
	wheel_work = 0;
	ck_assert_uint_eq(advance(&r, DAY), 10);
	/* 86.4 million ticks; per entry at most one step per level it passes
	 * through and one to fire it, plus one event per visit. */
	ck_assert_uint_le(wheel_work, 10 * 2 * (TWHEEL_LEVELS + 1));

	/* Same with a 1-us tick (86.4e9 ticks) and a 1-ns tick. */
	for (uint64_t tick = US; tick >= 1; tick /= 1000) {
		twheel_init(&w, 0, tick);
		run_init(&r, &w, 0);
		for (unsigned i = 0; i < 10; i++)
			arm(&w, &o[i], 1 + rnd_below(&seed, DAY));
		wheel_work = 0;
		ck_assert_uint_eq(advance(&r, DAY), 10);
		ck_assert_uint_le(wheel_work, 10 * 2 * (TWHEEL_LEVELS + 1) +
				  4 * DAY / (tick << 30));
	}
}
END_TEST

START_TEST(test_idle_far_entries_cost_nothing)
{
	/* 100,000 connections idle for an hour or more; polling every 100 us
	 * for a second does no work at all: no slot of theirs comes due. */
	struct twheel w;
	struct run r;
	struct owner *o = calloc(100000, sizeof(*o));
	uint64_t seed = 7;

	ck_assert_ptr_nonnull(o);
	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	for (unsigned i = 0; i < 100000; i++)
		arm(&w, &o[i], HOUR + rnd_below(&seed, HOUR));
	wheel_work = 0;
	for (uint64_t t = 0; t <= SEC; t += 100 * US)
		ck_assert_uint_eq(advance(&r, t), 0);
	ck_assert_uint_eq(wheel_work, 0);
	ck_assert_uint_eq(w.count, 100000);
	ck_assert_uint_ge(twheel_next(&w), SEC);
	ck_assert_uint_le(twheel_next(&w), HOUR);
	free(o);
}
END_TEST

/* ---- against an oracle ---- */

static int
cmp_deadline(const void *a, const void *b)
{
	const struct owner *x = *(struct owner *const *)a, *y = *(struct owner *const *)b;

	return x->deadline < y->deadline ? -1 : x->deadline > y->deadline;
}

/*
 * 100,000 deadlines uniform over [0, 2 h] (some in the same tick, some at
 * 0), advanced in random steps of up to @p max_step: each fires exactly
 * once, in the first advance that reaches it (on_fire checks both sides),
 * and after every advance twheel_next() is no later than the earliest
 * pending deadline of the sorted oracle.
 */
static void
oracle_run(uint64_t tick, uint64_t max_step, uint64_t seed)
{
	const unsigned n = 100000;
	struct owner *o = calloc(n, sizeof(*o));
	struct owner **sorted = calloc(n, sizeof(*sorted));
	struct twheel w;
	struct run r;

	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(sorted);
	twheel_init(&w, 0, tick);
	run_init(&r, &w, 0);
	for (unsigned i = 0; i < n; i++) {
		arm(&w, &o[i], rnd_below(&seed, 2 * HOUR + 1));
		sorted[i] = &o[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_deadline);
	check_wheel(&w);

	unsigned next_due = 0;          /* sorted[next_due..] are pending */
	uint64_t now = 0;
	unsigned steps = 0;
	r.have_prev = false;            /* deadlines at 0 are due at the start */
	while (next_due < n) {
		advance(&r, now);
		while (next_due < n && sorted[next_due]->deadline <= now) {
			HOT_UINT(sorted[next_due]->fired, ==, 1);
			next_due++;
		}
		HOT_UINT(w.count, ==, n - next_due);
		if (next_due < n) {
			HOT_UINT(sorted[next_due]->fired, ==, 0);
			HOT_UINT(twheel_next(&w), <=, sorted[next_due]->deadline);
		} else {
			HOT_UINT(twheel_next(&w), ==, UINT64_MAX);
		}
		if (++steps % 4096 == 0)
			check_wheel(&w);
		now += 1 + rnd_below(&seed, max_step);
	}
	for (unsigned i = 0; i < n; i++)
		HOT_UINT(o[i].fired, ==, 1);
	ck_assert_uint_eq(r.fires, n);
	check_wheel(&w);
	free(sorted);
	free(o);
}

START_TEST(test_oracle_100k_ms_tick)
{
	oracle_run(TICK, 100 * TICK, 1);
}
END_TEST

START_TEST(test_oracle_100k_big_steps)
{
	/* Steps up to 10 min: many ticks, cascades and levels per advance. */
	oracle_run(TICK, 600 * SEC, 2);
}
END_TEST

START_TEST(test_oracle_100k_us_tick)
{
	oracle_run(US, 300 * TICK, 3);
}
END_TEST

START_TEST(test_next_property_random_ops)
{
	/* Random arms, re-arms, cancels and advances; at every step next()
	 * <= the brute-force earliest deadline, exact when that deadline is
	 * in the wheel's current tick, UINT64_MAX when empty. */
	enum { N = 1000 };
	static struct owner o[N];
	struct twheel w;
	struct run r;
	uint64_t seed = 11, now = 5 * SEC + 3;

	memset(o, 0, sizeof(o));
	twheel_init(&w, now, TICK);
	run_init(&r, &w, now);
	for (unsigned step = 0; step < 100000; step++) {
		unsigned i = (unsigned)rnd_below(&seed, N);
		switch (rnd_below(&seed, 8)) {
		case 0: case 1: case 2: {
			/* Spread over every level; a few in the past. */
			uint64_t span = 1ull << rnd_below(&seed, 44);
			uint64_t d = now + rnd_below(&seed, span);
			if (rnd_below(&seed, 16) == 0)
				d = now - rnd_below(&seed, now);
			arm(&w, &o[i], d);
			/* Armed at or before the last advance's now: it fires
			 * in the next advance, after that now by design. */
			if (d <= now)
				r.have_prev = false;
			break;
		}
		case 3:
			twheel_del(&w, &o[i].tw);
			break;
		default:
			now += rnd_below(&seed, 1ull << rnd_below(&seed, 36));
			advance(&r, now);
			break;
		}
		uint64_t mn = UINT64_MAX;
		for (unsigned k = 0; k < N; k++)
			if (twheel_armed(&o[k].tw) && o[k].deadline < mn)
				mn = o[k].deadline;
		uint64_t nx = twheel_next(&w);
		HOT_UINT(nx, <=, mn);
		if (mn == UINT64_MAX)
			HOT_UINT(nx, ==, UINT64_MAX);
		if (mn != UINT64_MAX && mn / TICK <= w.now_tick)
			HOT_UINT(nx, ==, mn);
		/* Nothing due at the last advance is still armed. */
		if (r.have_prev && mn != UINT64_MAX)
			HOT_UINT(mn, >, r.prev_now);
		if (step % 8192 == 0)
			check_wheel(&w);
	}
	check_wheel(&w);
}
END_TEST

START_TEST(test_next_drives_virtual_clock)
{
	/* A loop that sleeps until twheel_next() and advances to it (as the
	 * stack's poll loop and the pcap harness do) never stalls, and fires
	 * every entry at exactly its deadline. */
	enum { N = 3000 };
	static struct owner o[N];
	struct twheel w;
	struct run r;
	uint64_t seed = 13;

	memset(o, 0, sizeof(o));
	twheel_init(&w, 0, TICK);
	run_init(&r, &w, 0);
	for (unsigned i = 0; i < N; i++)
		arm(&w, &o[i], 1 + rnd_below(&seed, 1ull << rnd_below(&seed, 44)));
	unsigned rounds = 0;
	while (w.count > 0) {
		uint64_t nx = twheel_next(&w);
		HOT_UINT(nx, !=, UINT64_MAX);
		HOT_UINT(nx, >=, r.prev_now);
		unsigned n = advance(&r, nx);
		/* Progress: something fired, or the deadline moved on. */
		HOT_UINT(n > 0 || twheel_next(&w) > nx, ==, true);
		HOT_UINT(++rounds, <, 20 * N);
	}
	for (unsigned i = 0; i < N; i++) {
		HOT_UINT(o[i].fired, ==, 1);
		HOT_UINT(o[i].fired_at, ==, o[i].deadline);
	}
	ck_assert_uint_eq(twheel_next(&w), UINT64_MAX);
}
END_TEST

/* ---- runner ---- */

static Suite *
twheel_suite(void)
{
	Suite *s = suite_create("twheel");
	TCase *tc;

	tc = tcase_create("basic");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_single_aligned);
	tcase_add_test(tc, test_single_unaligned);
	tcase_add_test(tc, test_single_every_level);
	tcase_add_test(tc, test_stepwise_each_tick);
	tcase_add_test(tc, test_init_far_from_zero);
	tcase_add_test(tc, test_wrap_into_current_slot);
	tcase_add_test(tc, test_tick_zero_is_one_ns);
	suite_add_tcase(s, tc);

	tc = tcase_create("order");
	tcase_add_test(tc, test_order_across_levels);
	tcase_add_test(tc, test_same_tick_fires_in_deadline_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("arm");
	tcase_add_test(tc, test_rearm_from_callback);
	tcase_add_test(tc, test_rearm_in_past_from_callback);
	tcase_add_test(tc, test_del_armed);
	tcase_add_test(tc, test_del_unarmed);
	tcase_add_test(tc, test_del_from_callback);
	tcase_add_test(tc, test_add_while_armed_moves);
	tcase_add_test(tc, test_count_field);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_past_deadline_next_advance);
	tcase_add_test(tc, test_time_backwards_fires_nothing);
	tcase_add_test(tc, test_huge_deadline_clamps);
	tcase_add_test(tc, test_huge_deadline_fine_tick);
	suite_add_tcase(s, tc);

	tc = tcase_create("cost");
	tcase_add_test(tc, test_day_in_one_call_is_cheap);
	tcase_add_test(tc, test_idle_far_entries_cost_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("oracle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_oracle_100k_ms_tick);
	tcase_add_test(tc, test_oracle_100k_big_steps);
	tcase_add_test(tc, test_oracle_100k_us_tick);
	tcase_add_test(tc, test_next_property_random_ops);
	tcase_add_test(tc, test_next_drives_virtual_clock);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(twheel_suite());
	int failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0 ? 1 : 0;
}

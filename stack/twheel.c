/*
 * Hierarchical timer wheel (contract in twheel.h). The TCP timer code arms
 * one entry per connection with twheel_add()/twheel_del(), the stack loop
 * calls twheel_advance() with its clock and reports twheel_next() as its
 * next deadline. Pure C: no DPDK, no clock, no state outside struct twheel.
 *
 * Layout. Time is counted in ticks, tick = floor(ns / tick_ns). now_tick is
 * the current tick: every tick before it has been processed, and so have
 * the cascades due at it. An entry for tick x (x = floor(expires / tick_ns))
 * lives at the level L whose range holds d = x - now_tick,
 * 64^L <= d < 64^(L+1), in slot (x >> 6L) & 63; level 0 takes d < 64, and an
 * entry already due (x <= now_tick) goes to the current level-0 slot. Level L
 * slot s is emptied ("cascaded") at the first tick c > now_tick that is a
 * multiple of 64^L with (c >> 6L) & 63 == s; each of its entries is placed
 * again from there, which always lands it at a lower level since x - c < 64^L.
 * Entries further than 64^6 ticks away are parked in the farthest slot of
 * the top level and placed again when it cascades ("clamped"), so a huge
 * deadline costs one cascade per 63 * 2^30 ticks and never overflows.
 *
 * Skipping. Knowing where each occupied slot is next visited, the earliest
 * tick at which anything happens (a level-0 slot to fire or a slot to
 * cascade) is a rotate and a count-trailing-zeros per level on the occupied
 * bitmaps. twheel_advance() jumps straight there, so a day of virtual time
 * with ten entries is a few dozen steps, and 100,000 idle entries cost
 * nothing until their slot's turn comes.
 *
 * Exactness. A level-0 slot holds one tick's entries, unsorted. The slot of
 * the current tick is the exception: it is sorted by expires (sorted once
 * when the wheel moves onto that tick, kept sorted by twheel_add), so
 * twheel_advance() fires exactly its entries with expires <= now and keeps
 * the rest, and twheel_next() reads the earliest one off its head. Hence:
 *
 * - An entry fires in the first twheel_advance() whose now >= expires, at
 *   whatever level it was armed: never early, and no later than that (the
 *   "one slot of its level" allowed by twheel.h is not used). The exception
 *   is an entry armed from inside fire() for a time at or before the tick
 *   being processed: it fires in the same call if ticks remain to process,
 *   otherwise in the next call, never in a loop within the callback's tick.
 * - twheel_next() <= the earliest armed expires, always, and:
 *   == it when that entry is in the current tick (including overdue ones);
 *   otherwise the start of the tick of the earliest occupied level-0 slot,
 *   or the start of the earliest slot due to cascade (level L: less than
 *   one level-L slot, 64^L ticks, early; a clamped entry's slot start is
 *   earlier still), whichever comes first. Calling twheel_advance() at the returned
 *   time always fires something or makes twheel_next() move forward, so a
 *   virtual clock driven by it never stalls.
 *
 * Cost: add and del are O(1), except that an entry armed into the current
 * tick is inserted in order (walked from the tail: new deadlines are
 * usually the latest). Advance costs one bitmap scan per event, one step per
 * entry fired or cascaded, and a sort of the last tick's slot when the wheel
 * moves onto it. twheel_next() is one bitmap scan per level.
 *
 * Not reentrant: fire() may add and delete entries, and free the fired
 * entry's owner (the wheel never touches an entry after firing it), but must
 * not advance the same wheel. Time must not go backwards: an advance to an earlier tick than
 * the wheel's does nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twheel.h"

#define SLOT_BITS 6
#define SLOT_MASK ((uint64_t)TWHEEL_SLOTS - 1)
/* The whole wheel covers 64^6 = 2^36 ticks ahead of now_tick. */
#define SPAN_BITS (SLOT_BITS * TWHEEL_LEVELS)

_Static_assert(TWHEEL_SLOTS == 1 << SLOT_BITS, "occupied bitmaps are one uint64_t per level");
_Static_assert(SPAN_BITS < 64, "the wheel's span must fit a tick count");

/* The unit test counts the wheel's steps through this to prove the skipping
 * (tests/unit/test_twheel.c includes this file); the stack compiles it away. */
#ifndef TWHEEL_COUNT_WORK
#define TWHEEL_COUNT_WORK() do { } while (0)
#endif

static inline unsigned
level_shift(unsigned lvl)
{
	return SLOT_BITS * lvl;
}

/* Bit i of the result is bit (i + r) mod 64 of @p v: slot order from slot r. */
static inline uint64_t
rotr64(uint64_t v, unsigned r)
{
	r &= 63;
	return r == 0 ? v : (v >> r) | (v << (64 - r));
}

/* ---- circular lists with a head node (the slot) ---- */

static inline void
list_init(struct twheel_entry *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool
list_empty(const struct twheel_entry *h)
{
	return h->next == h;
}

static inline void
list_insert_after(struct twheel_entry *pos, struct twheel_entry *e)
{
	e->prev = pos;
	e->next = pos->next;
	pos->next->prev = e;
	pos->next = e;
}

/* Move everything in @p from to the tail of @p to, leaving @p from empty. */
static void
list_splice_tail(struct twheel_entry *to, struct twheel_entry *from)
{
	struct twheel_entry *first = from->next, *last = from->prev;

	if (first == from)
		return;
	first->prev = to->prev;
	to->prev->next = first;
	last->next = to;
	to->prev = last;
	list_init(from);
}

/* Unlink without bookkeeping: for lists that are not wheel slots. */
static inline void
list_remove(struct twheel_entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = NULL;
	e->prev = NULL;
}

/* ---- slots and their bitmaps ---- */

static inline void
slot_mark(struct twheel *w, unsigned lvl, uint64_t slot)
{
	w->occupied[lvl] |= 1ull << slot;
}

/*
 * Take @p e out of whatever list holds it and keep the bitmaps exact. An
 * entry carries no slot number (twheel.h fixes its layout), but when it was
 * alone its neighbour is the list head; if that head is one of the wheel's
 * slots, the slot's position in w->slot says which bit to clear. The head may
 * also be a private list of twheel_advance() (entries being fired), which
 * has no bit. Addresses are compared as integers: the head need not be in
 * the array, and comparing unrelated pointers is undefined in C.
 */
static void
entry_unlink(struct twheel *w, struct twheel_entry *e)
{
	struct twheel_entry *n = e->next;

	list_remove(e);
	if (list_empty(n)) {
		uintptr_t base = (uintptr_t)&w->slot[0][0];
		uintptr_t p = (uintptr_t)n;

		if (p >= base && p < base + sizeof(w->slot)) {
			size_t i = (p - base) / sizeof(struct twheel_entry);

			w->occupied[i / TWHEEL_SLOTS] &= ~(1ull << (i % TWHEEL_SLOTS));
		}
	}
}

/*
 * Put an unlinked @p e where its tick belongs relative to now_tick. With
 * @p sorted, an entry for the current tick is inserted in expires order
 * (twheel_add); cascades append and leave the sort to the caller, which
 * sorts the slot once if the wheel stops on that tick.
 */
static void
entry_place(struct twheel *w, struct twheel_entry *e, bool sorted)
{
	uint64_t x = e->expires / w->tick_ns;
	uint64_t now = w->now_tick;

	if (x <= now) {
		/* Due now or overdue: the current tick's slot, in order. */
		struct twheel_entry *h = &w->slot[0][now & SLOT_MASK];
		struct twheel_entry *pos = h->prev;

		if (sorted)
			while (pos != h && pos->expires > e->expires)
				pos = pos->prev;
		list_insert_after(pos, e);
		slot_mark(w, 0, now & SLOT_MASK);
		return;
	}

	uint64_t d = x - now;
	if (d >> SPAN_BITS) {
		/* Beyond the top level: park it in the farthest slot the wheel
		 * can address; that slot's cascade places it again. */
		x = now + (1ull << SPAN_BITS) - 1;
		d = x - now;
	}
	/* Level L holds 64^L <= d < 64^(L+1): L = floor(log2 d) / 6. */
	unsigned lvl = (unsigned)(63 - __builtin_clzll(d)) / SLOT_BITS;
	uint64_t slot = (x >> level_shift(lvl)) & SLOT_MASK;

	list_insert_after(w->slot[lvl][slot].prev, e);
	slot_mark(w, lvl, slot);
}

/* ---- sorting the current tick's slot (stable merge sort) ---- */

static struct twheel_entry *
merge_runs(struct twheel_entry *a, struct twheel_entry *b)
{
	struct twheel_entry head, *t = &head;

	while (a != NULL && b != NULL) {
		/* Ties take from a: equal deadlines keep their arming order. */
		if (b->expires < a->expires) {
			t->next = b;
			b = b->next;
		} else {
			t->next = a;
			a = a->next;
		}
		t = t->next;
	}
	t->next = a != NULL ? a : b;
	return head.next;
}

/* Sort a NULL-terminated chain linked by next only; depth log2(n). */
static struct twheel_entry *
merge_sort(struct twheel_entry *l)
{
	if (l == NULL || l->next == NULL)
		return l;
	struct twheel_entry *slow = l, *fast = l->next;
	while (fast != NULL && fast->next != NULL) {
		slow = slow->next;
		fast = fast->next->next;
	}
	struct twheel_entry *r = slow->next;
	slow->next = NULL;
	return merge_runs(merge_sort(l), merge_sort(r));
}

static void
slot_sort(struct twheel_entry *h)
{
	struct twheel_entry *e, *prev;

	/* Usually one entry, or already in order: check before sorting. */
	for (e = h->next; e->next != h; e = e->next)
		if (e->next->expires < e->expires)
			break;
	if (e == h || e->next == h)
		return;

	h->prev->next = NULL;
	h->next = merge_sort(h->next);
	prev = h;
	for (e = h->next; e != NULL; e = e->next) {
		e->prev = prev;
		prev = e;
	}
	prev->next = h;
	h->prev = prev;
}

/* ---- advancing ---- */

/*
 * The first tick after now_tick at which something happens: a level-0 slot
 * comes due, or a higher slot cascades. UINT64_MAX if the wheel holds
 * nothing beyond the current tick. Level 0's slot for tick now_tick + 1 + k
 * is slot (now_tick + 1 + k) & 63; level L >= 1 visits its slots at the
 * multiples of 64^L after now_tick, first the one numbered
 * ((now_tick >> 6L) + 1) & 63. Every occupied slot is visited within 64
 * of its level's steps (entries are placed less than 64^(L+1) ticks ahead),
 * so the first set bit in that rotated order is the exact visit.
 */
static uint64_t
next_event_tick(const struct twheel *w)
{
	uint64_t now = w->now_tick;
	uint64_t best = UINT64_MAX;
	uint64_t occ = w->occupied[0] & ~(1ull << (now & SLOT_MASK));

	if (occ != 0)
		best = now + 1 + (uint64_t)__builtin_ctzll(rotr64(occ, (unsigned)((now + 1) & SLOT_MASK)));
	/* A higher level can still hold an earlier tick than level 0 does:
	 * it was placed before the level-0 entries were armed. */
	for (unsigned lvl = 1; lvl < TWHEEL_LEVELS; lvl++) {
		occ = w->occupied[lvl];
		if (occ == 0)
			continue;
		uint64_t base = (now >> level_shift(lvl)) + 1;
		uint64_t k = (uint64_t)__builtin_ctzll(rotr64(occ, (unsigned)(base & SLOT_MASK)));
		uint64_t t = (base + k) << level_shift(lvl);
		if (t < best)
			best = t;
	}
	return best;
}

/* Empty the slots that cascade at tick @p t (now_tick == t), top down. */
static void
cascade(struct twheel *w, uint64_t t)
{
	for (unsigned lvl = TWHEEL_LEVELS - 1; lvl >= 1; lvl--) {
		if (t & ((1ull << level_shift(lvl)) - 1))
			continue;
		uint64_t slot = (t >> level_shift(lvl)) & SLOT_MASK;
		if (!(w->occupied[lvl] & (1ull << slot)))
			continue;

		struct twheel_entry moving;
		list_init(&moving);
		list_splice_tail(&moving, &w->slot[lvl][slot]);
		w->occupied[lvl] &= ~(1ull << slot);
		while (!list_empty(&moving)) {
			struct twheel_entry *e = moving.next;

			list_remove(e);
			entry_place(w, e, false);
			TWHEEL_COUNT_WORK();
		}
	}
}

/*
 * Fire the entries of the current tick's slot whose expires <= @p now. The
 * slot is sorted, so they are a prefix; they move to a private list first,
 * so that an entry fire() re-arms for a past time lands back in the slot
 * and waits for a later step instead of being fired again here.
 */
static unsigned
fire_due(struct twheel *w, uint64_t now,
	 void (*fire)(void *arg, struct twheel_entry *e), void *arg)
{
	uint64_t slot = w->now_tick & SLOT_MASK;
	struct twheel_entry *h = &w->slot[0][slot];
	struct twheel_entry due;
	unsigned n = 0;

	if (list_empty(h) || h->next->expires > now)
		return 0;
	list_init(&due);
	while (!list_empty(h) && h->next->expires <= now) {
		struct twheel_entry *e = h->next;

		list_remove(e);
		list_insert_after(due.prev, e);
	}
	if (list_empty(h))
		w->occupied[0] &= ~(1ull << slot);

	while (!list_empty(&due)) {
		struct twheel_entry *e = due.next;

		/* Disarmed before the call, so fire() may re-arm it. */
		list_remove(e);
		w->count--;
		fire(arg, e);
		n++;
		TWHEEL_COUNT_WORK();
	}
	return n;
}

/* ---- public calls ---- */

void
twheel_init(struct twheel *w, uint64_t now, uint64_t tick_ns)
{
	w->tick_ns = tick_ns != 0 ? tick_ns : 1;
	w->now_tick = now / w->tick_ns;
	w->count = 0;
	w->next_stale = true;
	for (unsigned l = 0; l < TWHEEL_LEVELS; l++) {
		for (unsigned s = 0; s < TWHEEL_SLOTS; s++)
			list_init(&w->slot[l][s]);
		w->occupied[l] = 0;
	}
}

void
twheel_add(struct twheel *w, struct twheel_entry *e, uint64_t expires)
{
	if (twheel_armed(e))
		entry_unlink(w, e);
	else
		w->count++;
	e->expires = expires;
	entry_place(w, e, true);
	w->next_stale = true;
}

void
twheel_del(struct twheel *w, struct twheel_entry *e)
{
	if (!twheel_armed(e))
		return;
	entry_unlink(w, e);
	w->count--;
	w->next_stale = true;
}

unsigned
twheel_advance(struct twheel *w, uint64_t now,
	       void (*fire)(void *arg, struct twheel_entry *e), void *arg)
{
	uint64_t target = now / w->tick_ns;
	unsigned n;

	if (target < w->now_tick)
		return 0;   /* time went backwards: firing now could be early */
	w->next_stale = true;

	/* What is left of the current tick first (all of it if we move on). */
	n = fire_due(w, now, fire, arg);
	while (w->now_tick < target) {
		uint64_t cur = w->now_tick & SLOT_MASK;

		/* Anything still in the current slot was re-armed by fire() for
		 * a time already past; it is due, so it goes with the next tick. */
		if (w->occupied[0] & (1ull << cur)) {
			uint64_t nx = (cur + 1) & SLOT_MASK;

			list_splice_tail(&w->slot[0][nx], &w->slot[0][cur]);
			w->occupied[0] &= ~(1ull << cur);
			slot_mark(w, 0, nx);
		}

		uint64_t t = next_event_tick(w);
		if (t > target) {
			/* Nothing to fire or cascade up to target: jump. */
			w->now_tick = target;
			break;
		}
		TWHEEL_COUNT_WORK();
		w->now_tick = t;
		cascade(w, t);
		/* Before target every entry of the slot is due (expires <
		 * (t + 1) * tick_ns <= now); at target only some may be, and
		 * the slot must be in order from now on. */
		if (t == target)
			slot_sort(&w->slot[0][t & SLOT_MASK]);
		n += fire_due(w, now, fire, arg);
	}
	return n;
}

static uint64_t
next_compute(const struct twheel *w)
{
	const struct twheel_entry *cur = &w->slot[0][w->now_tick & SLOT_MASK];

	/* The current tick's slot is sorted and everything else is later. */
	if (cur->next != cur)
		return cur->next->expires;

	uint64_t t = next_event_tick(w);
	/* t <= some entry's tick floor(expires / tick_ns): no overflow. */
	return t == UINT64_MAX ? UINT64_MAX : t * w->tick_ns;
}

uint64_t
twheel_next(struct twheel *w)
{
	/* Only add, del and advance change the answer, and each marks it
	 * stale. */
	if (w->next_stale) {
		w->next_cached = next_compute(w);
		w->next_stale = false;
	}
	return w->next_cached;
}

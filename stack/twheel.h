/*
 * A hierarchical timer wheel driven by the time passed in (STYLE rule 5):
 * O(1) add and cancel, and advancing costs only the entries that expire or
 * cascade, so 100,000 idle connections with far deadlines cost nothing per
 * poll. TCP keeps one entry per connection, armed at the earliest of its
 * named deadlines (FreeBSD-style deadline array in the TCB).
 *
 * Entries are embedded in their owner (intrusive list nodes); the wheel
 * allocates nothing after init. Expiry may be late by up to one slot of the
 * level the entry sits in (1 tick at level 0), never early.
 */
#ifndef TERN_TWHEEL_H
#define TERN_TWHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define TWHEEL_LEVELS 6
#define TWHEEL_SLOTS 64      /* per level; level L slot = tick << (6 * L) */

struct twheel_entry {
	struct twheel_entry *next, *prev;  /* in a slot list; NULL when not armed */
	uint64_t expires;                   /* absolute ns */
};

struct twheel {
	uint64_t tick_ns;        /* level-0 granularity */
	uint64_t now_tick;       /* ticks processed so far */
	uint32_t count;          /* armed entries */
	struct twheel_entry slot[TWHEEL_LEVELS][TWHEEL_SLOTS];  /* list heads */
	uint64_t occupied[TWHEEL_LEVELS];  /* bitmap of non-empty slots */
	/* twheel_next()'s answer, kept until the wheel changes: the stack
	 * asks on every poll, the wheel changes far less often. */
	uint64_t next_cached;
	bool next_stale;
};

/** Start an empty wheel at time @p now with level-0 slots of @p tick_ns. */
void twheel_init(struct twheel *w, uint64_t now, uint64_t tick_ns);
/** Arm (or re-arm) @p e to fire at @p expires (ns; in the past = next advance). */
void twheel_add(struct twheel *w, struct twheel_entry *e, uint64_t expires);
/** Disarm @p e if armed. */
void twheel_del(struct twheel *w, struct twheel_entry *e);
static inline bool twheel_armed(const struct twheel_entry *e) { return e->next != NULL; }
/**
 * Advance to @p now and call @p fire(arg, e) for every entry whose time has
 * come, in no particular order within a tick. @p e is disarmed before the
 * call, so fire() may re-arm it. @return entries fired.
 */
unsigned twheel_advance(struct twheel *w, uint64_t now,
			void (*fire)(void *arg, struct twheel_entry *e), void *arg);
/** A time no later than the earliest armed deadline (UINT64_MAX if none):
 *  what the stack reports as its next deadline. */
uint64_t twheel_next(struct twheel *w);

#endif

/*
 * Names, descriptions and lookup of the stack counters, generated from the
 * X-macro list in stats.h so a new counter needs one line there. Called by
 * the apps to print counters and by tests to assert on drop reasons.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "stats.h"

#define STATS_NAME(name, desc) #name,
static const char *const stats_names[] = { TERN_STATS_LIST(STATS_NAME) };
#undef STATS_NAME

#define STATS_DESC(name, desc) desc,
static const char *const stats_descs[] = { TERN_STATS_LIST(STATS_DESC) };
#undef STATS_DESC

#define STATS_OFF(name, desc) offsetof(struct tern_stats, name),
static const size_t stats_offs[] = { TERN_STATS_LIST(STATS_OFF) };
#undef STATS_OFF

/* TERN_STATS_COUNT is derived from the struct size: it only equals the list
 * length if every field is a uint64_t and there is no padding. */
_Static_assert(sizeof(stats_names) / sizeof(stats_names[0]) == TERN_STATS_COUNT,
	       "struct tern_stats must hold exactly the listed uint64_t counters");

const char *tern_stats_name(unsigned i)
{
	return i < TERN_STATS_COUNT ? stats_names[i] : NULL;
}

const char *tern_stats_desc(unsigned i)
{
	return i < TERN_STATS_COUNT ? stats_descs[i] : NULL;
}

/* Out-of-range @p i reads as 0 rather than past the struct. */
uint64_t tern_stats_get(const struct tern_stats *s, unsigned i)
{
	uint64_t v;

	if (i >= TERN_STATS_COUNT)
		return 0;
	memcpy(&v, (const char *)s + stats_offs[i], sizeof(v));
	return v;
}

uint64_t tern_stats_by_name(const struct tern_stats *s, const char *name)
{
	unsigned i;

	for (i = 0; i < TERN_STATS_COUNT; i++)
		if (strcmp(stats_names[i], name) == 0)
			return tern_stats_get(s, i);
	return UINT64_MAX;
}

void tern_stats_print(FILE *f, const struct tern_stats *s)
{
	unsigned i;
	uint64_t v;

	for (i = 0; i < TERN_STATS_COUNT; i++) {
		v = tern_stats_get(s, i);
		if (v != 0)
			fprintf(f, "%-20s %" PRIu64 "\n", stats_names[i], v);
	}
}

/*
 * tern-bench's and tern-floor's statistics: a latency histogram with
 * HDR-style log-linear buckets (fixed relative precision, constant-time
 * record, mergeable, no allocation per sample) and a small JSON writer for
 * the result file.
 */
#ifndef TERN_BENCH_STATS_H
#define TERN_BENCH_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Buckets: values below 2^HIST_SUB_BITS ns are exact (one bucket each);
 * above, every power-of-two range [2^e, 2^(e+1)) is cut into 2^(SUB_BITS-1)
 * equal buckets, so a bucket is at most 1/128 of its values wide (0.78%)
 * and its midpoint is within 0.4% of any value in it. Values from 1 ns to
 * 2^HIST_MAX_EXP ns (68.7 s) are kept; larger ones land in the top bucket
 * (max still records them exactly).
 */
#define HIST_SUB_BITS 8
#define HIST_MAX_EXP 36
#define HIST_HALF (1u << (HIST_SUB_BITS - 1))
#define HIST_BUCKETS ((1u << HIST_SUB_BITS) + (HIST_MAX_EXP - HIST_SUB_BITS) * HIST_HALF)

struct hist {
	uint64_t count;
	uint64_t min, max;   /* exact, ns */
	double sum;          /* for the mean */
	uint64_t b[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_record(struct hist *h, uint64_t ns);
/** Add every sample of @p src to @p dst. */
void hist_merge(struct hist *dst, const struct hist *src);
/** The value at quantile @p q (0..1): the midpoint of the bucket that holds
 *  the ceil(q * count)-th smallest sample, clamped to [min, max]; q = 1
 *  gives max exactly. 0 for an empty histogram. */
uint64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);
/** Lowest value that maps to bucket @p i (tests, and the JSON dump). */
uint64_t hist_bucket_low(unsigned i);
unsigned hist_index(uint64_t ns);

/* ---- JSON (RFC 8259) writer: keys and values in order, commas handled ---- */

struct json {
	FILE *f;
	int depth;
	bool first[16];   /* per level: nothing written yet */
};

void json_begin(struct json *j, FILE *f);           /* opens the top object */
void json_end(struct json *j);                      /* closes it, newline */
void json_obj(struct json *j, const char *key);     /* "key": { */
void json_obj_end(struct json *j);
void json_str(struct json *j, const char *key, const char *v);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
/** A finite double; NaN and infinities (not JSON) are written as null. */
void json_num(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/** "key": {count, min, mean, p50, p90, p99, p99_9, max} of @p h in ns: the
 *  latency object of tern-bench's and tern-floor's JSON files. */
void json_hist(struct json *j, const char *key, const struct hist *h);

#endif

/* tern-bench's latency histogram and JSON writer (see bench_stats.h). */
#include "bench_stats.h"

#include <math.h>
#include <string.h>

void
hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned
hist_index(uint64_t ns)
{
	if (ns < (1u << HIST_SUB_BITS))
		return (unsigned)ns;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns);   /* ns in [2^e, 2^(e+1)) */
	if (e >= HIST_MAX_EXP)
		return HIST_BUCKETS - 1;
	unsigned shift = e - (HIST_SUB_BITS - 1);
	unsigned mant = (unsigned)(ns >> shift);           /* [HALF, 2 * HALF) */
	return (1u << HIST_SUB_BITS) + (e - HIST_SUB_BITS) * HIST_HALF + (mant - HIST_HALF);
}

uint64_t
hist_bucket_low(unsigned i)
{
	if (i < (1u << HIST_SUB_BITS))
		return i;
	unsigned k = i - (1u << HIST_SUB_BITS);
	unsigned e = HIST_SUB_BITS + k / HIST_HALF;
	uint64_t mant = HIST_HALF + k % HIST_HALF;
	return mant << (e - (HIST_SUB_BITS - 1));
}

/* The value a bucket stands for: its midpoint (exact below 2^SUB_BITS). */
static uint64_t
bucket_mid(unsigned i)
{
	if (i < (1u << HIST_SUB_BITS))
		return i;
	uint64_t lo = hist_bucket_low(i);
	uint64_t width = hist_bucket_low(i + 1) - lo;
	if (i + 1 >= HIST_BUCKETS)
		width = lo / HIST_HALF;
	return lo + width / 2;
}

void
hist_record(struct hist *h, uint64_t ns)
{
	h->b[hist_index(ns)]++;
	h->count++;
	h->sum += (double)ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q >= 1.0)
		return h->max;
	/* The rank-th smallest sample, rank = ceil(q * count), at least 1
	 * (the nearest-rank definition: p50 of {1, 2} is 1). */
	uint64_t rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = bucket_mid(i);
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

double
hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}

/* ---- JSON ---- */

static void
json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key != NULL)
		fprintf(j->f, "\"%s\": ", key);   /* our keys are plain ASCII */
}

void
json_begin(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->depth = 1;
	j->first[1] = true;
	fputc('{', f);
}

void
json_end(struct json *j)
{
	fputs("\n}\n", j->f);
}

void
json_obj(struct json *j, const char *key)
{
	json_key(j, key);
	fputc('{', j->f);
	if (j->depth + 1 < (int)(sizeof(j->first) / sizeof(j->first[0])))
		j->depth++;
	j->first[j->depth] = true;
}

void
json_obj_end(struct json *j)
{
	j->depth--;
	fprintf(j->f, "\n%*s}", 2 * j->depth, "");
}

void
json_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	if (v == NULL) {
		fputs("null", j->f);
		return;
	}
	/* RFC 8259 7: quote, backslash and control characters escaped. */
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

void
json_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void
json_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void
json_num(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);
}

void
json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

void
json_hist(struct json *j, const char *key, const struct hist *h)
{
	json_obj(j, key);
	json_u64(j, "count", h->count);
	json_u64(j, "min", h->count ? h->min : 0);
	json_num(j, "mean", hist_mean(h));
	json_u64(j, "p50", hist_quantile(h, 0.50));
	json_u64(j, "p90", hist_quantile(h, 0.90));
	json_u64(j, "p99", hist_quantile(h, 0.99));
	json_u64(j, "p99_9", hist_quantile(h, 0.999));
	json_u64(j, "max", hist_quantile(h, 1.0));
	json_obj_end(j);
}

/*
 * Impairment layer: a port that wraps another port and, per direction,
 * drops, duplicates, reorders, delays, corrupts or truncates frames (see
 * impair.h). The stack calls it like any port; it calls the inner port.
 *
 * Each direction runs one pipeline per frame, in this order:
 *   nth/every drop -> random loss -> corrupt -> truncate -> duplicate
 *   -> delay (frame and its copy together) or reorder (hold one frame
 *   back, release it right after the next frame that goes out)
 * and every random decision is drawn from that direction's own seeded
 * generator, so a given seed and frame sequence always give the same
 * actions. Frames ready to go wait in a per-direction queue: on rx until
 * the caller asks for them, on tx until the inner port takes them (frames
 * it refuses are retried on the next rx or tx call, never dropped).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "impair.h"

/* Queue sizes, powers of two. A direction stops taking frames (tx returns
 * fewer, rx leaves them in the inner port) while either is nearly full,
 * which is back-pressure rather than loss. 8192 delayed frames cover e.g.
 * 4 ms of delay at 2 Mpps. */
#define IMPAIR_READY_CAP 1024u
#define IMPAIR_DELAY_CAP 8192u
/* Worst case a frame occupies: itself, its duplicate, and the held frame it
 * releases. */
#define IMPAIR_READY_PER_FRAME 3u
#define IMPAIR_DELAY_PER_FRAME 2u
#define IMPAIR_BURST 64u
#define PPM_ONE 1000000u

/* A FIFO of mbufs, with a release time per slot for the delay queue. */
struct impair_fifo {
	struct rte_mbuf **m;
	uint64_t *t;            /* NULL for ready queues */
	uint32_t head, tail;    /* free-running; count = tail - head */
	uint32_t mask;
};

struct impair_dir {
	struct tern_impair_dir_conf conf;
	uint64_t rng;           /* splitmix64 state */
	uint64_t matches;       /* frames that matched the nth filter */
	struct rte_mbuf *held;  /* reorder slot */
	struct impair_fifo ready;
	struct impair_fifo delay;
	struct tern_impair_counters c;
};

struct impair_port {
	struct tern_port port;
	struct tern_port *inner;
	struct rte_mempool *pool;
	uint64_t now;           /* ns, set by tern_impair_set_now() */
	struct impair_dir dir[2];
};

static const struct tern_port_ops impair_ops;

/* --- generator ---------------------------------------------------------
 * splitmix64 (Steele, Lea, Flood 2014): one add and two multiply-xorshift
 * rounds per draw; full 2^64 period, passes BigCrush, and any seed,
 * including 0, is good. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, bound) by multiply-high (Lemire): no modulo bias worth
 * the name for bounds far below 2^64, and no division. */
static uint64_t
rng_below(uint64_t *s, uint64_t bound)
{
	return (uint64_t)(((unsigned __int128)rng_next(s) * bound) >> 64);
}

/* A feature that is off draws nothing, so it costs nothing per frame; the
 * guarantee is per configuration: same conf, seed and frames, same actions. */
static bool
rng_chance(uint64_t *s, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	return rng_below(s, PPM_ONE) < ppm;
}

/* --- fifo --------------------------------------------------------------- */
static int
fifo_init(struct impair_fifo *f, uint32_t cap, bool timed)
{
	f->m = calloc(cap, sizeof(*f->m));
	f->t = timed ? calloc(cap, sizeof(*f->t)) : NULL;
	f->head = f->tail = 0;
	f->mask = cap - 1;
	return f->m == NULL || (timed && f->t == NULL) ? -ENOMEM : 0;
}

static uint32_t
fifo_count(const struct impair_fifo *f)
{
	return f->tail - f->head;
}

static uint32_t
fifo_free(const struct impair_fifo *f)
{
	return f->mask + 1 - fifo_count(f);
}

static void
fifo_push(struct impair_fifo *f, struct rte_mbuf *m, uint64_t t)
{
	uint32_t i = f->tail & f->mask;
	f->m[i] = m;
	if (f->t != NULL)
		f->t[i] = t;
	f->tail++;
}

static struct rte_mbuf *
fifo_pop(struct impair_fifo *f)
{
	return f->m[f->head++ & f->mask];
}

static void
fifo_fini(struct impair_fifo *f)
{
	if (f->m != NULL)
		while (fifo_count(f) > 0)
			rte_pktmbuf_free(fifo_pop(f));
	free(f->m);
	free(f->t);
	f->m = NULL;
	f->t = NULL;
}

/* --- per-frame actions -------------------------------------------------- */

/* Does @p m match the nth filter? Reads only bytes the frame has. */
static bool
impair_matches(const struct tern_impair_dir_conf *c, const struct rte_mbuf *m)
{
	uint16_t want = c->drop_match_ethertype;
	if (want == 0 && c->drop_match_proto != 0)
		want = RTE_ETHER_TYPE_IPV4;   /* a protocol number implies IP */
	if (want == 0)
		return true;
	uint8_t eb[2];
	const uint8_t *e = rte_pktmbuf_read(m, 12, sizeof(eb), eb);
	if (e == NULL || (uint16_t)(e[0] << 8 | e[1]) != want)
		return false;
	if (c->drop_match_proto == 0)
		return true;
	uint8_t hb[40];
	if (want == RTE_ETHER_TYPE_IPV4) {
		const uint8_t *h = rte_pktmbuf_read(m, RTE_ETHER_HDR_LEN, 20, hb);
		/* RFC 791: version 4, IHL >= 5 words; protocol at byte 9 */
		return h != NULL && (h[0] >> 4) == 4 && (h[0] & 0x0f) >= 5 &&
		       h[9] == c->drop_match_proto;
	}
	if (want == RTE_ETHER_TYPE_IPV6) {
		const uint8_t *h = rte_pktmbuf_read(m, RTE_ETHER_HDR_LEN, 40, hb);
		/* RFC 8200 3: next header at byte 6 (extension headers not walked) */
		return h != NULL && (h[0] >> 4) == 6 && h[6] == c->drop_match_proto;
	}
	return false;
}

static bool
impair_nth_hit(struct impair_dir *d, const struct rte_mbuf *m)
{
	const struct tern_impair_dir_conf *c = &d->conf;
	if (c->drop_nth == 0 || !impair_matches(c, m))
		return false;
	uint64_t k = ++d->matches;
	if (k == c->drop_nth)
		return true;
	return c->drop_every != 0 && k > c->drop_nth &&
	       (k - c->drop_nth) % c->drop_every == 0;
}

/* Frames the stack keeps for retransmission are shared (refcnt > 1, or
 * indirect clones of its buffer): writing them would corrupt the stack's
 * own copy too, so such frames are copied before they are changed. */
static bool
impair_exclusive(const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)
			return false;
	return true;
}

/* Deep copy of the first @p len bytes, private area (socket metadata)
 * included, which rte_pktmbuf_copy leaves out. */
static struct rte_mbuf *
impair_copy(struct impair_port *ip, const struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, ip->pool, 0, len);
	if (c == NULL)
		return NULL;
	if (m->pool != NULL) {
		uint16_t ps = RTE_MIN(rte_pktmbuf_priv_size(m->pool),
				      rte_pktmbuf_priv_size(ip->pool));
		if (ps > 0)
			memcpy(rte_mbuf_to_priv(c),
			       rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)m), ps);
	}
	return c;
}

/* After the frame changed, a checksum the NIC verified on receive no longer
 * holds: mark it unknown so the stack checks in software. */
static void
impair_forget_rx_cksum(struct rte_mbuf *m)
{
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
}

static struct rte_mbuf *
impair_corrupt(struct impair_port *ip, struct impair_dir *d, struct rte_mbuf *m, bool rx)
{
	/* Past the Ethernet header only: a flipped MAC or ethertype is just a
	 * frame for someone else, which tests nothing the loss knob doesn't. */
	if (m->pkt_len <= RTE_ETHER_HDR_LEN)
		return m;
	if (!impair_exclusive(m)) {
		struct rte_mbuf *c = impair_copy(ip, m, UINT32_MAX);
		if (c == NULL)
			return m;   /* pool dry: leave the frame alone */
		rte_pktmbuf_free(m);
		m = c;
	}
	uint64_t bit = rng_below(&d->rng, (uint64_t)(m->pkt_len - RTE_ETHER_HDR_LEN) * 8);
	uint32_t off = RTE_ETHER_HDR_LEN + (uint32_t)(bit / 8);
	struct rte_mbuf *seg = m;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	if (seg == NULL)
		return m;   /* pkt_len disagrees with the chain: touch nothing */
	*rte_pktmbuf_mtod_offset(seg, uint8_t *, off) ^= (uint8_t)(1u << (bit % 8));
	if (rx)
		impair_forget_rx_cksum(m);
	d->c.corrupted++;
	return m;
}

static struct rte_mbuf *
impair_truncate(struct impair_port *ip, struct impair_dir *d, struct rte_mbuf *m, bool rx)
{
	if (m->pkt_len < 2)
		return m;   /* no shorter length >= 1 */
	uint32_t len = 1 + (uint32_t)rng_below(&d->rng, m->pkt_len - 1);
	if (m->nb_segs == 1 && impair_exclusive(m)) {
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - len));
	} else {
		/* Cutting a chain or a shared frame: copy the prefix. */
		struct rte_mbuf *c = impair_copy(ip, m, len);
		if (c == NULL)
			return m;
		rte_pktmbuf_free(m);
		m = c;
	}
	if (rx)
		impair_forget_rx_cksum(m);
	d->c.truncated++;
	return m;
}

/* Put @p m out, then the reorder-held frame after it. */
static void
impair_emit(struct impair_dir *d, struct rte_mbuf *m)
{
	fifo_push(&d->ready, m, 0);
	if (d->held != NULL) {
		fifo_push(&d->ready, d->held, 0);
		d->held = NULL;
	}
}

static bool
impair_has_room(const struct impair_dir *d)
{
	return fifo_free(&d->ready) >= IMPAIR_READY_PER_FRAME &&
	       fifo_free(&d->delay) >= IMPAIR_DELAY_PER_FRAME;
}

/* One frame through the pipeline; the caller checked impair_has_room(). */
static void
impair_frame(struct impair_port *ip, struct impair_dir *d, struct rte_mbuf *m, bool rx)
{
	const struct tern_impair_dir_conf *c = &d->conf;
	d->c.seen++;
	if (impair_nth_hit(d, m)) {
		rte_pktmbuf_free(m);
		d->c.nth_dropped++;
		return;
	}
	if (rng_chance(&d->rng, c->loss_ppm)) {
		rte_pktmbuf_free(m);
		d->c.lost++;
		return;
	}
	if (rng_chance(&d->rng, c->corrupt_ppm))
		m = impair_corrupt(ip, d, m, rx);
	if (rng_chance(&d->rng, c->truncate_ppm))
		m = impair_truncate(ip, d, m, rx);
	struct rte_mbuf *dup = NULL;
	if (rng_chance(&d->rng, c->dup_ppm)) {
		dup = impair_copy(ip, m, UINT32_MAX);
		if (dup != NULL)
			d->c.duplicated++;
	}
	if (c->delay_ns > 0 && (c->delay_ppm == 0 || rng_chance(&d->rng, c->delay_ppm))) {
		uint64_t t = ip->now + c->delay_ns;
		if (t < ip->now)
			t = UINT64_MAX;
		fifo_push(&d->delay, m, t);
		if (dup != NULL)
			fifo_push(&d->delay, dup, t);
		d->c.delayed++;
		return;
	}
	if (rng_chance(&d->rng, c->reorder_ppm) && d->held == NULL) {
		d->held = m;
		d->c.reordered++;
		if (dup != NULL)
			impair_emit(d, dup);
		return;
	}
	impair_emit(d, m);
	if (dup != NULL)
		impair_emit(d, dup);
}

/* Move delayed frames whose time has come to the ready queue. Release times
 * are in arrival order as long as the clock does not go back. */
static void
impair_release(struct impair_port *ip, struct impair_dir *d)
{
	while (fifo_count(&d->delay) > 0 && fifo_free(&d->ready) >= 2) {
		uint32_t i = d->delay.head & d->delay.mask;
		if (d->delay.t[i] > ip->now)
			break;
		impair_emit(d, fifo_pop(&d->delay));
	}
}

/* Hand ready tx frames to the inner port; what it refuses stays queued, in
 * order, for the next call. */
static void
impair_tx_flush(struct impair_port *ip)
{
	struct impair_dir *d = &ip->dir[TERN_IMPAIR_TX];
	impair_release(ip, d);
	while (fifo_count(&d->ready) > 0) {
		struct rte_mbuf *burst[IMPAIR_BURST];
		uint32_t n = RTE_MIN(fifo_count(&d->ready), IMPAIR_BURST);
		for (uint32_t i = 0; i < n; i++)
			burst[i] = d->ready.m[(d->ready.head + i) & d->ready.mask];
		uint16_t k = tern_port_tx(ip->inner, burst, (uint16_t)n);
		d->ready.head += k;
		d->c.passed += k;
		if (k < n)
			break;
	}
}

/* --- port ops ----------------------------------------------------------- */
static uint16_t
impair_rx_burst(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	struct impair_port *ip = p->priv;
	struct impair_dir *d = &ip->dir[TERN_IMPAIR_RX];
	/* The stack polls rx every loop even when it has nothing to send, so
	 * this is where delayed or refused tx frames get their next chance. */
	impair_tx_flush(ip);
	impair_release(ip, d);
	while (fifo_count(&d->ready) < n) {
		struct rte_mbuf *in[IMPAIR_BURST];
		uint32_t room = RTE_MIN(fifo_free(&d->ready) / IMPAIR_READY_PER_FRAME,
					fifo_free(&d->delay) / IMPAIR_DELAY_PER_FRAME);
		uint32_t want = RTE_MIN(n - fifo_count(&d->ready), IMPAIR_BURST);
		want = RTE_MIN(want, room);
		if (want == 0)
			break;
		uint16_t got = tern_port_rx(ip->inner, in, (uint16_t)want);
		for (uint16_t i = 0; i < got; i++)
			impair_frame(ip, d, in[i], true);
		if (got < want)
			break;
	}
	uint16_t out = (uint16_t)RTE_MIN(fifo_count(&d->ready), (uint32_t)n);
	for (uint16_t i = 0; i < out; i++)
		m[i] = fifo_pop(&d->ready);
	d->c.passed += out;
	return out;
}

static uint16_t
impair_tx_burst(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	struct impair_port *ip = p->priv;
	struct impair_dir *d = &ip->dir[TERN_IMPAIR_TX];
	/* Earlier frames first: a backlog the inner port refused, and delayed
	 * frames now due, go ahead of this burst. */
	impair_tx_flush(ip);
	uint16_t taken = 0;
	while (taken < n && impair_has_room(d)) {
		impair_frame(ip, d, m[taken], false);
		taken++;
	}
	impair_tx_flush(ip);
	return taken;
}

static bool
impair_link_up(struct tern_port *p)
{
	struct impair_port *ip = p->priv;
	return ip->inner->ops->link_up(ip->inner);
}

static int
impair_stats(struct tern_port *p, struct tern_port_stats *s)
{
	struct impair_port *ip = p->priv;
	return ip->inner->ops->stats(ip->inner, s);
}

static void
impair_close(struct tern_port *p)
{
	struct impair_port *ip = p->priv;
	for (int i = 0; i < 2; i++) {
		struct impair_dir *d = &ip->dir[i];
		fifo_fini(&d->ready);
		fifo_fini(&d->delay);
		rte_pktmbuf_free(d->held);   /* NULL-safe */
		d->held = NULL;
	}
	free(ip);
}

static const struct tern_port_ops impair_ops = {
	.rx_burst = impair_rx_burst,
	.tx_burst = impair_tx_burst,
	.link_up = impair_link_up,
	.stats = impair_stats,
	.close = impair_close,
};

static struct impair_port *
impair_of(struct tern_port *p)
{
	return p != NULL && p->ops == &impair_ops ? p->priv : NULL;
}

static bool
impair_conf_valid(const struct tern_impair_dir_conf *c)
{
	return c->loss_ppm <= PPM_ONE && c->dup_ppm <= PPM_ONE &&
	       c->reorder_ppm <= PPM_ONE && c->delay_ppm <= PPM_ONE &&
	       c->corrupt_ppm <= PPM_ONE && c->truncate_ppm <= PPM_ONE;
}

struct tern_port *
tern_impair_wrap(struct tern_port *inner, struct rte_mempool *pool,
		 const struct tern_impair_conf *conf)
{
	if (inner == NULL || pool == NULL || conf == NULL ||
	    !impair_conf_valid(&conf->dir[0]) || !impair_conf_valid(&conf->dir[1])) {
		errno = EINVAL;
		return NULL;
	}
	struct impair_port *ip = calloc(1, sizeof(*ip));
	if (ip == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ip->inner = inner;
	ip->pool = pool;
	for (int i = 0; i < 2; i++) {
		struct impair_dir *d = &ip->dir[i];
		d->conf = conf->dir[i];
		/* Different streams per direction from one seed: the rx and tx
		 * decisions must not mirror each other. */
		d->rng = conf->seed ^ (i == TERN_IMPAIR_TX ? 0x6a09e667f3bcc909ull : 0);
		if (fifo_init(&d->ready, IMPAIR_READY_CAP, false) != 0 ||
		    fifo_init(&d->delay, IMPAIR_DELAY_CAP, true) != 0) {
			for (int j = 0; j <= i; j++) {
				fifo_fini(&ip->dir[j].ready);
				fifo_fini(&ip->dir[j].delay);
			}
			free(ip);
			errno = ENOMEM;
			return NULL;
		}
	}
	ip->port.ops = &impair_ops;
	ip->port.priv = ip;
	memcpy(ip->port.mac, inner->mac, sizeof(ip->port.mac));
	ip->port.mtu = inner->mtu;
	/* A checksum the hardware computes after we flipped a bit (tx) or
	 * verified before we did (rx) would hide the corruption from the
	 * receiver: with corruption on, the stack must do those sums itself. */
	ip->port.offloads = inner->offloads;
	if (conf->dir[TERN_IMPAIR_RX].corrupt_ppm != 0)
		ip->port.offloads &= ~(TERN_PORT_RX_IPV4_CKSUM | TERN_PORT_RX_L4_CKSUM);
	if (conf->dir[TERN_IMPAIR_TX].corrupt_ppm != 0)
		ip->port.offloads &= ~(TERN_PORT_TX_IPV4_CKSUM | TERN_PORT_TX_UDP_CKSUM |
				       TERN_PORT_TX_TCP_CKSUM);
	snprintf(ip->port.name, sizeof(ip->port.name), "impair(%.23s)", inner->name);
	return &ip->port;
}

void
tern_impair_set_now(struct tern_port *p, uint64_t now_ns)
{
	struct impair_port *ip = impair_of(p);
	if (ip != NULL)
		ip->now = now_ns;
}

const struct tern_impair_counters *
tern_impair_counters(struct tern_port *p, enum tern_impair_dir d)
{
	struct impair_port *ip = impair_of(p);
	if (ip == NULL || (d != TERN_IMPAIR_RX && d != TERN_IMPAIR_TX))
		return NULL;
	return &ip->dir[d].c;
}

unsigned
tern_impair_pending(struct tern_port *p, enum tern_impair_dir d)
{
	struct impair_port *ip = impair_of(p);
	if (ip == NULL || (d != TERN_IMPAIR_RX && d != TERN_IMPAIR_TX))
		return 0;
	const struct impair_dir *dd = &ip->dir[d];
	return fifo_count(&dd->ready) + fifo_count(&dd->delay) + (dd->held != NULL);
}

void
tern_impair_print(FILE *f, struct tern_port *p)
{
	struct impair_port *ip = impair_of(p);
	if (ip == NULL || f == NULL)
		return;
	static const char *const dname[2] = { "rx", "tx" };
	for (int i = 0; i < 2; i++) {
		const struct tern_impair_counters *c = &ip->dir[i].c;
		fprintf(f, "impair %s: seen %" PRIu64 " passed %" PRIu64 " lost %" PRIu64
			" nth %" PRIu64 " dup %" PRIu64 " reorder %" PRIu64 " delay %" PRIu64
			" corrupt %" PRIu64 " truncate %" PRIu64 " pending %u\n",
			dname[i], c->seen, c->passed, c->lost, c->nth_dropped, c->duplicated,
			c->reordered, c->delayed, c->corrupted, c->truncated,
			tern_impair_pending(p, (enum tern_impair_dir)i));
	}
}

/* --- spec parser ---------------------------------------------------------
 * spec   := group (';' group)*
 * group  := [dir ':'] item (',' item)*        dir := rx | tx | both
 * item   := key '=' value
 * No whitespace; anything else is -EINVAL and leaves *conf untouched. */

struct span {
	const char *s;
	size_t n;
};

static bool
span_eq(struct span a, const char *lit)
{
	return a.n == strlen(lit) && memcmp(a.s, lit, a.n) == 0;
}

static bool
span_suffix(struct span *a, const char *suf)
{
	size_t k = strlen(suf);
	if (a->n <= k || memcmp(a->s + a->n - k, suf, k) != 0)
		return false;
	a->n -= k;
	return true;
}

/* Unsigned integer, decimal or 0x hex, no sign, no overflow. */
static int
parse_u64(struct span v, uint64_t *out)
{
	unsigned base = 10;
	if (v.n > 2 && v.s[0] == '0' && (v.s[1] == 'x' || v.s[1] == 'X')) {
		base = 16;
		v.s += 2;
		v.n -= 2;
	}
	if (v.n == 0)
		return -EINVAL;
	uint64_t x = 0;
	for (size_t i = 0; i < v.n; i++) {
		char ch = v.s[i];
		unsigned dg;
		if (ch >= '0' && ch <= '9')
			dg = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			dg = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			dg = (unsigned)(ch - 'A' + 10);
		else
			return -EINVAL;
		if (__builtin_mul_overflow(x, base, &x) || __builtin_add_overflow(x, dg, &x))
			return -EINVAL;
	}
	*out = x;
	return 0;
}

/* Decimal "12" or "12.345" as a fixed-point integer with @p frac digits
 * after the point ("0.5" with frac 4 -> 5000). Finer digits than @p frac
 * must be zeros: silently rounding a rate or a delay would surprise. */
static int
parse_fixed(struct span v, unsigned frac, uint64_t *out)
{
	uint64_t x = 0;
	size_t i = 0, digits = 0;
	for (; i < v.n && v.s[i] >= '0' && v.s[i] <= '9'; i++, digits++)
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, (uint64_t)(v.s[i] - '0'), &x))
			return -EINVAL;
	unsigned used = 0;
	if (i < v.n && v.s[i] == '.') {
		for (i++; i < v.n && v.s[i] >= '0' && v.s[i] <= '9'; i++, digits++) {
			unsigned dg = (unsigned)(v.s[i] - '0');
			if (used == frac) {
				if (dg != 0)
					return -EINVAL;
				continue;
			}
			if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, dg, &x))
				return -EINVAL;
			used++;
		}
	}
	if (i != v.n || digits == 0)
		return -EINVAL;
	for (; used < frac; used++)
		if (__builtin_mul_overflow(x, 10, &x))
			return -EINVAL;
	*out = x;
	return 0;
}

/* "1%", "0.25%" (up to 4 decimals) or "250ppm" -> ppm, at most 100%. */
static int
parse_rate(struct span v, uint32_t *ppm)
{
	uint64_t x;
	if (span_suffix(&v, "%")) {
		if (parse_fixed(v, 4, &x) != 0)   /* 1% = 10^4 ppm */
			return -EINVAL;
	} else if (span_suffix(&v, "ppm")) {
		if (parse_fixed(v, 0, &x) != 0)
			return -EINVAL;
	} else {
		return -EINVAL;   /* a bare number: percent or ppm? refuse to guess */
	}
	if (x > PPM_ONE)
		return -EINVAL;
	*ppm = (uint32_t)x;
	return 0;
}

/* "2ms", "1.5us", "100ns", "1s" -> ns; a unit is required. */
static int
parse_time(struct span v, uint64_t *ns)
{
	uint64_t unit;
	if (span_suffix(&v, "ns"))
		unit = 1;
	else if (span_suffix(&v, "us"))
		unit = 1000;
	else if (span_suffix(&v, "ms"))
		unit = 1000000;
	else if (span_suffix(&v, "s"))
		unit = 1000000000;
	else
		return -EINVAL;
	uint64_t x;   /* value * 10^9 */
	if (parse_fixed(v, 9, &x) != 0)
		return -EINVAL;
	unsigned __int128 t = (unsigned __int128)x * unit;
	if (t % 1000000000u != 0 || t / 1000000000u > UINT64_MAX)
		return -EINVAL;   /* below a nanosecond, or beyond 584 years */
	*ns = (uint64_t)(t / 1000000000u);
	return 0;
}

static int
parse_proto(struct span v, uint8_t *proto)
{
	uint64_t x;
	if (span_eq(v, "icmp"))
		x = 1;
	else if (span_eq(v, "tcp"))
		x = 6;
	else if (span_eq(v, "udp"))
		x = 17;
	else if (parse_u64(v, &x) != 0 || x > UINT8_MAX)
		return -EINVAL;
	*proto = (uint8_t)x;
	return 0;
}

static int
parse_ethertype(struct span v, uint16_t *et)
{
	uint64_t x;
	if (span_eq(v, "arp"))
		x = RTE_ETHER_TYPE_ARP;
	else if (span_eq(v, "ipv4") || span_eq(v, "ip"))
		x = RTE_ETHER_TYPE_IPV4;
	else if (span_eq(v, "ipv6"))
		x = RTE_ETHER_TYPE_IPV6;
	else if (parse_u64(v, &x) != 0 || x > UINT16_MAX)
		return -EINVAL;
	*et = (uint16_t)x;
	return 0;
}

/* Keys whose value is a rate, and where each lands. */
static const struct {
	const char *key;
	size_t off;
} rate_keys[] = {
	{ "loss", offsetof(struct tern_impair_dir_conf, loss_ppm) },
	{ "dup", offsetof(struct tern_impair_dir_conf, dup_ppm) },
	{ "reorder", offsetof(struct tern_impair_dir_conf, reorder_ppm) },
	{ "corrupt", offsetof(struct tern_impair_dir_conf, corrupt_ppm) },
	{ "truncate", offsetof(struct tern_impair_dir_conf, truncate_ppm) },
	{ "delay_rate", offsetof(struct tern_impair_dir_conf, delay_ppm) },
};

/* Apply one key=value to the directions in @p mask (bit per direction). */
static int
parse_item(struct span key, struct span val, unsigned mask, struct tern_impair_conf *conf,
	   bool *every_seen)
{
	if (val.n == 0)
		return -EINVAL;
	if (span_eq(key, "seed"))
		return parse_u64(val, &conf->seed);   /* one seed for both directions */

	for (size_t i = 0; i < RTE_DIM(rate_keys); i++) {
		if (!span_eq(key, rate_keys[i].key))
			continue;
		uint32_t ppm;
		if (parse_rate(val, &ppm) != 0)
			return -EINVAL;
		for (int d = 0; d < 2; d++)
			if (mask & (1u << d))
				memcpy((char *)&conf->dir[d] + rate_keys[i].off, &ppm, sizeof(ppm));
		return 0;
	}

	uint64_t x = 0;
	uint16_t et = 0;
	uint8_t proto = 0;
	int rc;
	if (span_eq(key, "delay"))
		rc = parse_time(val, &x);
	else if (span_eq(key, "nth") || span_eq(key, "every"))
		rc = parse_u64(val, &x);
	else if (span_eq(key, "proto"))
		rc = parse_proto(val, &proto);
	else if (span_eq(key, "ethertype"))
		rc = parse_ethertype(val, &et);
	else
		rc = -EINVAL;   /* unknown key */
	if (rc != 0)
		return -EINVAL;
	for (int d = 0; d < 2; d++) {
		if (!(mask & (1u << d)))
			continue;
		struct tern_impair_dir_conf *c = &conf->dir[d];
		if (span_eq(key, "delay")) {
			c->delay_ns = x;
		} else if (span_eq(key, "nth")) {
			c->drop_nth = x;
		} else if (span_eq(key, "every")) {
			c->drop_every = x;
			every_seen[d] = true;
		} else if (span_eq(key, "proto")) {
			c->drop_match_proto = proto;
		} else {
			c->drop_match_ethertype = et;
		}
	}
	return 0;
}

static int
parse_group(struct span g, struct tern_impair_conf *conf, bool *every_seen)
{
	unsigned mask = 3;
	const char *colon = memchr(g.s, ':', g.n);
	const char *eq = memchr(g.s, '=', g.n);
	if (colon != NULL && (eq == NULL || colon < eq)) {
		struct span dir = { g.s, (size_t)(colon - g.s) };
		if (span_eq(dir, "rx"))
			mask = 1u << TERN_IMPAIR_RX;
		else if (span_eq(dir, "tx"))
			mask = 1u << TERN_IMPAIR_TX;
		else if (!span_eq(dir, "both"))
			return -EINVAL;
		g.n -= (size_t)(colon + 1 - g.s);
		g.s = colon + 1;
	}
	if (g.n == 0)
		return -EINVAL;
	const char *end = g.s + g.n;
	for (const char *p = g.s; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma != NULL ? comma : end;
		const char *e = memchr(p, '=', (size_t)(stop - p));
		if (e == NULL || e == p)
			return -EINVAL;   /* empty item, no '=', or no key */
		struct span key = { p, (size_t)(e - p) };
		struct span val = { e + 1, (size_t)(stop - e - 1) };
		if (parse_item(key, val, mask, conf, every_seen) != 0)
			return -EINVAL;
		p = stop + 1;
	}
	return 0;
}

int
tern_impair_parse(const char *spec, struct tern_impair_conf *conf)
{
	if (spec == NULL || conf == NULL)
		return -EINVAL;
	struct tern_impair_conf tmp = *conf;
	bool every_seen[2] = { false, false };
	if (*spec == '\0')
		return 0;
	const char *end = spec + strlen(spec);
	for (const char *p = spec; p <= end;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi != NULL ? semi : end;
		struct span g = { p, (size_t)(stop - p) };
		if (parse_group(g, &tmp, every_seen) != 0)
			return -EINVAL;
		p = stop + 1;
	}
	/* "every=N" alone means drop every Nth match from the Nth on. */
	for (int d = 0; d < 2; d++)
		if (every_seen[d] && tmp.dir[d].drop_nth == 0)
			tmp.dir[d].drop_nth = tmp.dir[d].drop_every;
	*conf = tmp;
	return 0;
}

/*
 * IPv4 reassembly (RFC 791 3.2, RFC 815). ipv4_input() hands every fragment
 * to ipv4_reass_input(); a complete datagram comes back as one mbuf chain and
 * goes on up the stack. The stack loop calls ipv4_reass_expire() with its
 * clock and may sleep until ipv4_reass_next_deadline().
 *
 * Policies (each a choice; the reason is given because the RFCs leave it open):
 *
 * - Overlap (RFC 5722 4 applied to IPv4, RFC 1858 3.3): a fragment that
 *   overlaps data already held, and is not an exact duplicate of one held
 *   fragment (same offset, same length), discards the whole datagram and
 *   counts frag_overlap once. No legitimate sender produces such overlaps
 *   (a re-sent datagram re-fragmented along another path gets a new ID in
 *   practice), while accepting them lets an attacker rewrite a transport
 *   header a filter has already looked at (RFC 1858 3.3). Merging "first
 *   wins" would be safe for us but leaves the receiver and every middlebox
 *   disagreeing on the datagram; discarding is the only unambiguous answer.
 * - Exact duplicate (same offset and length): the new copy is dropped
 *   (frag_dup) and the datagram goes on; duplication happens on real paths.
 *   Its contents are not compared: the held copy is never rewritten.
 * - Tiny fragment (RFC 1858 3.2): a TCP fragment at offset 8 (FO=1) means a
 *   first fragment too short to carry the TCP flags; it discards the
 *   datagram (frag_overlap: it is the RFC 1858 attack). UDP and ICMP headers
 *   are 8 bytes, so they cannot be split that way.
 * - Ping of death: header length + offset + length beyond 65535 (RFC 791
 *   3.1 total length limit) discards the datagram (frag_bad). The header
 *   length used is that of the first fragment once it is known.
 * - Inconsistent length (RFC 791 3.2): a second last fragment with another
 *   end, a last fragment ending before data already held, or a fragment
 *   past the known end discards the datagram (frag_bad), as Linux does.
 * - Malformed alone (empty fragment, non-last payload not a multiple of 8,
 *   RFC 791 3.2 "fragment ... on 8 octet boundary"): only that fragment is
 *   dropped (frag_bad); an off-path forger of a bad packet should not also
 *   kill the datagram it aimed at.
 * - Limits: when the table is full, or the payload held would pass the
 *   memory cap, the OLDEST datagram is evicted (frag_mem, one per datagram)
 *   until the new fragment fits. Dropping the newcomer instead lets an
 *   attacker pin the table for a whole timeout with a handful of fragments
 *   that never complete; real datagrams complete within a round trip, so
 *   the oldest entry is the one least likely to ever complete. If the
 *   evictee is the fragment's own datagram, the fragment goes with it.
 *   A datagram with IPV4_REASS_MAX_FRAGS fragments is evicted too
 *   (frag_mem). mem_max is charged each fragment's buffer sizes (not its
 *   payload), so tiny fragments cannot hold more mbufs than the cap allows.
 *
 * Holes (RFC 815): held fragments are disjoint (overlaps are refused), so
 * the holes are exactly the gaps between neighbours of the sorted fragment
 * array, and the datagram is complete when its last fragment is known and
 * the payload held equals its end. That replaces RFC 815's explicit hole
 * descriptor list with two integers, with the same result.
 *
 * Age order: datagrams sit on a list in order of first arrival, which is
 * also deadline order as long as `now` never goes backwards; expiry and
 * eviction both take from its head.
 */
#include "ipv4_frag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_random.h>

/* RFC 791 3.1: total length is a 16-bit field. */
#define REASS_IP_MAX 65535u
/* First capacity of a datagram's fragment array; it doubles as needed. */
#define REASS_FRAGS_INIT 8u

/* One held fragment: payload bytes [off, off + len) of the datagram. */
struct reass_frag {
	struct rte_mbuf *m;   /* payload only; offset 0 keeps its IP header */
	uint16_t off;
	uint16_t len;
};

struct reass_dgram {
	struct reass_dgram *hnext;            /* hash chain, or free list */
	struct reass_dgram *older, *newer;    /* age list */
	uint32_t src, dst;                    /* key (RFC 791 3.2) */
	uint16_t id;
	uint8_t proto;
	uint8_t first_hlen;   /* header length of the offset-0 fragment; 0 = none yet */
	bool last_seen;       /* the MF=0 fragment arrived: total is known */
	uint16_t total;       /* payload length once last_seen */
	uint16_t end_max;     /* highest payload end held */
	uint32_t held;        /* payload bytes held */
	uint32_t charged;     /* buffer bytes held (what counts against mem_max) */
	uint64_t deadline;
	unsigned nfrags, cap; /* frags[] sorted by offset, disjoint */
	struct reass_frag *frags;
};

struct ipv4_reass {
	unsigned max, count;
	uint32_t mem_max, bytes;   /* cap on buffer bytes; payload bytes held */
	uint32_t charged;          /* buffer bytes held, against mem_max */
	ipv4_reass_expired_fn *expired_cb;
	void *expired_arg;
	uint64_t timeout;
	uint32_t seed;        /* random hash seed: bucket choice not predictable */
	uint32_t mask;        /* buckets - 1 */
	struct reass_dgram **buckets;
	struct reass_dgram *free_list;
	struct reass_dgram *oldest, *newest;
	struct reass_dgram slots[];
};

static uint32_t
reass_bucket(const struct ipv4_reass *r, uint32_t src, uint32_t dst,
	     uint16_t id, uint8_t proto)
{
	return rte_jhash_3words(src, dst, (uint32_t)id << 8 | proto, r->seed) & r->mask;
}

struct ipv4_reass *
ipv4_reass_create(unsigned max_datagrams, uint32_t mem_max, uint64_t timeout_ns)
{
	/* Bound the table so the bucket count below cannot overflow. */
	if (max_datagrams > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	uint32_t nb = 1;
	while (nb < 2 * max_datagrams)
		nb <<= 1;
	struct ipv4_reass *r = calloc(1, sizeof(*r) +
				      (size_t)max_datagrams * sizeof(r->slots[0]));
	if (r == NULL)
		return NULL;
	r->buckets = calloc(nb, sizeof(r->buckets[0]));
	if (r->buckets == NULL) {
		free(r);
		return NULL;
	}
	r->max = max_datagrams;
	r->mem_max = mem_max;
	r->timeout = timeout_ns;
	r->mask = nb - 1;
	r->seed = (uint32_t)rte_rand();
	for (unsigned i = max_datagrams; i-- > 0;) {
		r->slots[i].hnext = r->free_list;
		r->free_list = &r->slots[i];
	}
	return r;
}

static void
reass_free_frags(struct ipv4_reass *r, struct reass_dgram *d)
{
	for (unsigned i = 0; i < d->nfrags; i++)
		rte_pktmbuf_free(d->frags[i].m);
	d->nfrags = 0;
	r->bytes -= d->held;
	r->charged -= d->charged;
	d->held = 0;
	d->charged = 0;
}

/* Take @p d off its hash chain and the age list and return it to the free
 * list. Its fragments must be gone already (freed or handed on). */
static void
reass_release(struct ipv4_reass *r, struct reass_dgram *d)
{
	struct reass_dgram **pp = &r->buckets[reass_bucket(r, d->src, d->dst,
							   d->id, d->proto)];
	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	if (d->older != NULL)
		d->older->newer = d->newer;
	else
		r->oldest = d->newer;
	if (d->newer != NULL)
		d->newer->older = d->older;
	else
		r->newest = d->older;
	d->hnext = r->free_list;
	r->free_list = d;
	r->count--;
}

static void
reass_drop(struct ipv4_reass *r, struct reass_dgram *d)
{
	reass_free_frags(r, d);
	reass_release(r, d);
}

static struct reass_dgram *
reass_lookup(const struct ipv4_reass *r, const struct ipv4_repr *ip)
{
	struct reass_dgram *d = r->buckets[reass_bucket(r, ip->src, ip->dst,
							ip->id, ip->proto)];
	while (d != NULL && (d->src != ip->src || d->dst != ip->dst ||
			     d->id != ip->id || d->proto != ip->proto))
		d = d->hnext;
	return d;
}

/* A new, empty datagram for @p ip; evicts the oldest when the table is full. */
static struct reass_dgram *
reass_new(struct ipv4_reass *r, const struct ipv4_repr *ip, uint64_t now,
	  struct tern_stats *st)
{
	if (r->max == 0)
		return NULL;
	if (r->free_list == NULL) {
		/* Table full: evict the oldest (policy in the file header). */
		reass_drop(r, r->oldest);
		st->frag_mem++;
	}
	struct reass_dgram *d = r->free_list;
	if (d->frags == NULL) {
		d->frags = malloc(REASS_FRAGS_INIT * sizeof(d->frags[0]));
		if (d->frags == NULL)
			return NULL;
		d->cap = REASS_FRAGS_INIT;
	}
	r->free_list = d->hnext;
	d->src = ip->src;
	d->dst = ip->dst;
	d->id = ip->id;
	d->proto = ip->proto;
	d->first_hlen = 0;
	d->last_seen = false;
	d->total = 0;
	d->end_max = 0;
	d->held = 0;
	d->nfrags = 0;
	/* Saturate: a timeout of "forever" must not wrap to the past. */
	d->deadline = now > UINT64_MAX - r->timeout ? UINT64_MAX : now + r->timeout;
	uint32_t b = reass_bucket(r, ip->src, ip->dst, ip->id, ip->proto);
	d->hnext = r->buckets[b];
	r->buckets[b] = d;
	d->older = r->newest;
	d->newer = NULL;
	if (r->newest != NULL)
		r->newest->newer = d;
	else
		r->oldest = d;
	r->newest = d;
	r->count++;
	return d;
}

/* Copy the per-packet fields that matter above IP from @p from to @p to,
 * when the segment that carried them is about to go. */
static void
reass_copy_meta(struct rte_mbuf *to, const struct rte_mbuf *from)
{
	/* INDIRECT/EXTERNAL describe whose buffer a segment uses: they stay
	 * the destination's own, or freeing it would detach a direct mbuf. */
	const uint64_t own = RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
	to->port = from->port;
	to->ol_flags = (to->ol_flags & own) | (from->ol_flags & ~own);
	to->packet_type = from->packet_type;
	to->hash = from->hash;
	to->vlan_tci = from->vlan_tci;
	uint16_t a = rte_pktmbuf_priv_size(from->pool);
	uint16_t b = rte_pktmbuf_priv_size(to->pool);
	memcpy(rte_mbuf_to_priv(to), rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)from),
	       a < b ? a : b);
}

/*
 * Keep bytes [skip, skip + keep) of the chain @p m and free the rest:
 * leading header, trailing Ethernet padding, and any segment left empty, so
 * every segment of the result holds at least one byte (this is what bounds
 * nb_segs of a reassembled datagram by its length). @return the new head,
 * NULL if @p keep is 0. The segments' own mbuf structs are edited, so they
 * must not be shared (refcnt 1, the normal state of a received mbuf).
 */
static struct rte_mbuf *
chain_clip(struct rte_mbuf *m, uint32_t skip, uint32_t keep)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *old_head = NULL;
	uint32_t pos = 0, stop = skip + keep;
	uint16_t nseg = 0;

	for (struct rte_mbuf *seg = m, *next; seg != NULL; seg = next) {
		next = seg->next;
		seg->next = NULL;
		uint32_t s0 = pos, s1 = pos + seg->data_len;
		uint32_t lo = s0 > skip ? s0 : skip;
		uint32_t hi = s1 < stop ? s1 : stop;
		pos = s1;
		if (lo >= hi) {
			if (seg == m)
				old_head = seg;   /* freed once its metadata moved */
			else
				rte_pktmbuf_free_seg(seg);
			continue;
		}
		seg->data_off = (uint16_t)(seg->data_off + (lo - s0));
		seg->data_len = (uint16_t)(hi - lo);
		if (head == NULL)
			head = seg;
		else
			tail->next = seg;
		tail = seg;
		nseg++;
	}
	if (old_head != NULL) {
		if (head != NULL)
			reass_copy_meta(head, old_head);
		rte_pktmbuf_free_seg(old_head);
	}
	if (head != NULL) {
		head->nb_segs = nseg;
		head->pkt_len = keep;
	}
	return head;
}

/*
 * Make sure the first fragment's header lies whole in a writable head
 * segment, since it is rewritten on completion. A received mbuf almost
 * always qualifies; a clone, an external buffer or a header split across
 * segments gets a fresh head segment holding a copy. Consumes @p m.
 */
static struct rte_mbuf *
reass_own_header(struct rte_mbuf *m, unsigned hlen, struct tern_stats *st)
{
	if (m->data_len >= hlen && RTE_MBUF_DIRECT(m) &&
	    rte_mbuf_refcnt_read(m) == 1)
		return m;
	struct rte_mbuf *h = rte_pktmbuf_alloc(m->pool);
	if (h == NULL) {
		st->nombuf++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	uint8_t *dst = (uint8_t *)rte_pktmbuf_append(h, (uint16_t)hlen);
	if (dst == NULL) {   /* a pool whose buffers cannot hold 60 bytes */
		st->nombuf++;
		rte_pktmbuf_free(h);
		rte_pktmbuf_free(m);
		return NULL;
	}
	const void *src = rte_pktmbuf_read(m, 0, hlen, dst);
	if (src != dst)
		memcpy(dst, src, hlen);
	reass_copy_meta(h, m);
	uint32_t rest = m->pkt_len - hlen;
	struct rte_mbuf *payload = chain_clip(m, hlen, rest);
	h->next = payload;
	h->nb_segs = (uint16_t)(1 + payload->nb_segs);
	h->pkt_len = hlen + rest;
	return h;
}

/* Chain the fragments of a complete datagram behind the first one's header
 * and rewrite that header as the whole datagram's. */
static struct rte_mbuf *
reass_build(struct ipv4_reass *r, struct reass_dgram *d)
{
	struct rte_mbuf *head = d->frags[0].m;
	struct rte_mbuf *tail = rte_pktmbuf_lastseg(head);
	uint32_t nseg = head->nb_segs;
	unsigned hlen = d->first_hlen;

	for (unsigned i = 1; i < d->nfrags; i++) {
		struct rte_mbuf *m = d->frags[i].m;
		tail->next = m;
		nseg += m->nb_segs;
		tail = rte_pktmbuf_lastseg(m);
	}
	/* Every segment holds >= 1 byte (chain_clip), so nseg <= 65535. */
	head->nb_segs = (uint16_t)nseg;
	head->pkt_len = hlen + d->total;

	uint8_t *h = rte_pktmbuf_mtod(head, uint8_t *);  /* hlen bytes: reass_own_header */
	uint16_t total = (uint16_t)(hlen + d->total);
	h[2] = (uint8_t)(total >> 8);
	h[3] = (uint8_t)total;
	/* RFC 791 3.2: the reassembled datagram has MF and offset zero; DF is
	 * kept as the sender set it. */
	h[6] &= (uint8_t)(WIRE_IP_DF >> 8);
	h[7] = 0;
	h[10] = 0;
	h[11] = 0;
	uint16_t c = wire_csum_fold(wire_csum_add(0, h, hlen));
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	/* A NIC cannot check a transport checksum on a fragment; whatever it
	 * said about the first one says nothing of the whole datagram. */
	head->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;

	/* The mbufs now belong to the result. */
	d->nfrags = 0;
	r->bytes -= d->held;
	r->charged -= d->charged;
	d->held = 0;
	d->charged = 0;
	reass_release(r, d);
	return head;
}

/* Drop the fragment and, if any, its datagram; the caller counts once. */
static struct rte_mbuf *
reass_discard(struct ipv4_reass *r, struct reass_dgram *d, struct rte_mbuf *m,
	      uint64_t *counter)
{
	if (d != NULL)
		reass_drop(r, d);
	rte_pktmbuf_free(m);
	(*counter)++;
	return NULL;
}

struct rte_mbuf *
ipv4_reass_input(struct ipv4_reass *r, struct rte_mbuf *m,
		 const struct ipv4_repr *ip, uint64_t now, struct tern_stats *st)
{
	uint32_t plen = (uint32_t)ip->total_len - ip->hlen;
	uint32_t off = ip->frag_off;
	uint32_t end = off + plen;

	/* Not a fragment at all: hand it back without its padding. */
	if (!ip->mf && off == 0) {
		if (m->pkt_len < ip->total_len)
			return reass_discard(r, NULL, m, &st->frag_bad);
		return chain_clip(m, 0, ip->total_len);
	}
	st->frag_rx++;
	ipv4_reass_expire(r, now, st);

	/* The caller's parse checked total_len against its buffer; make sure
	 * that buffer was this mbuf. */
	if (m->pkt_len < ip->total_len)
		return reass_discard(r, NULL, m, &st->frag_bad);
	/* RFC 791 3.2: every fragment but the last carries a multiple of 8
	 * octets; an empty fragment carries nothing to place. */
	if (plen == 0 || (ip->mf && plen % 8 != 0))
		return reass_discard(r, NULL, m, &st->frag_bad);

	struct reass_dgram *d = reass_lookup(r, ip);

	/* RFC 791 3.1: the datagram may not exceed 65535 octets ("ping of
	 * death"); the header is the first fragment's once it is known. */
	unsigned hl = off == 0 ? ip->hlen :
		      (d != NULL && d->first_hlen != 0 ? d->first_hlen : ip->hlen);
	uint32_t far = d != NULL && d->end_max > end ? d->end_max : end;
	if (hl + far > REASS_IP_MAX)
		return reass_discard(r, d, m, &st->frag_bad);
	/* RFC 1858 3.2: TCP with FO=1 can only follow a first fragment too
	 * short for the TCP flags: the tiny-fragment attack. */
	if (ip->proto == WIRE_PROTO_TCP && off == 8)
		return reass_discard(r, d, m, &st->frag_overlap);

	if (d == NULL) {
		d = reass_new(r, ip, now, st);
		if (d == NULL)
			return reass_discard(r, NULL, m, &st->frag_mem);
	}
	/* RFC 791 3.2: the last fragment fixes the length; everything must agree. */
	if (!ip->mf) {
		if ((d->last_seen && end != d->total) || end < d->end_max)
			return reass_discard(r, d, m, &st->frag_bad);
	} else if (d->last_seen && end > d->total) {
		return reass_discard(r, d, m, &st->frag_bad);
	}

	/* Place it: first held fragment with offset >= off. */
	unsigned lo = 0, hi = d->nfrags;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (d->frags[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	unsigned i = lo;
	if (i < d->nfrags && d->frags[i].off == off && d->frags[i].len == plen) {
		rte_pktmbuf_free(m);
		st->frag_dup++;
		return NULL;
	}
	/* RFC 5722 4 / RFC 1858 3.3: any other overlap kills the datagram. */
	if ((i > 0 && (uint32_t)d->frags[i - 1].off + d->frags[i - 1].len > off) ||
	    (i < d->nfrags && d->frags[i].off < end))
		return reass_discard(r, d, m, &st->frag_overlap);
	if (d->nfrags >= IPV4_REASS_MAX_FRAGS)
		return reass_discard(r, d, m, &st->frag_mem);

	/* Memory cap: evict from the oldest end until the fragment fits. It is
	 * charged its buffers, not its payload: an 8-byte fragment still pins a
	 * whole mbuf, and the pool is what the cap protects. */
	uint32_t charge = 0;
	for (const struct rte_mbuf *seg = m; seg != NULL; seg = seg->next)
		charge += seg->buf_len;
	while (r->charged + charge > r->mem_max) {
		struct reass_dgram *victim = r->oldest;
		if (victim == d)
			return reass_discard(r, d, m, &st->frag_mem);
		reass_drop(r, victim);
		st->frag_mem++;
	}
	if (d->nfrags == d->cap) {
		unsigned ncap = d->cap * 2;
		struct reass_frag *nf = realloc(d->frags, ncap * sizeof(nf[0]));
		if (nf == NULL)
			return reass_discard(r, d, m, &st->frag_mem);
		d->frags = nf;
		d->cap = ncap;
	}

	/* Keep only what will be chained: the header stays on the first. */
	if (off == 0) {
		m = chain_clip(m, 0, ip->hlen + plen);
		m = reass_own_header(m, ip->hlen, st);
		if (m == NULL) {   /* counted in nombuf */
			reass_drop(r, d);
			return NULL;
		}
		d->first_hlen = ip->hlen;
	} else {
		m = chain_clip(m, ip->hlen, plen);
	}
	memmove(&d->frags[i + 1], &d->frags[i], (d->nfrags - i) * sizeof(d->frags[0]));
	d->frags[i] = (struct reass_frag){ .m = m, .off = (uint16_t)off, .len = (uint16_t)plen };
	d->nfrags++;
	d->held += plen;
	d->charged += charge;
	r->bytes += plen;
	r->charged += charge;
	if (end > d->end_max)
		d->end_max = (uint16_t)end;
	if (!ip->mf) {
		d->last_seen = true;
		d->total = (uint16_t)end;
	}
	/* Disjoint pieces inside [0, total) that add up to total leave no hole. */
	if (d->last_seen && d->held == d->total) {
		st->frag_reassembled++;
		return reass_build(r, d);
	}
	return NULL;
}

void
ipv4_reass_expire(struct ipv4_reass *r, uint64_t now, struct tern_stats *st)
{
	/* RFC 791 3.2 / RFC 1122 3.3.2: a datagram not complete in time is
	 * discarded; if its first fragment came, the caller sends Time Exceeded
	 * quoting it, so the callback sees that fragment before it is freed. */
	while (r->oldest != NULL && r->oldest->deadline <= now) {
		struct reass_dgram *d = r->oldest;
		if (r->expired_cb != NULL && d->nfrags > 0 && d->frags[0].off == 0)
			r->expired_cb(r->expired_arg, d->frags[0].m);
		reass_drop(r, d);
		st->frag_timeout++;
	}
}

void
ipv4_reass_on_expired(struct ipv4_reass *r, ipv4_reass_expired_fn *cb, void *arg)
{
	r->expired_cb = cb;
	r->expired_arg = arg;
}

uint64_t
ipv4_reass_next_deadline(const struct ipv4_reass *r)
{
	return r->oldest != NULL ? r->oldest->deadline : UINT64_MAX;
}

unsigned
ipv4_reass_count(const struct ipv4_reass *r)
{
	return r->count;
}

uint32_t
ipv4_reass_bytes(const struct ipv4_reass *r)
{
	return r->bytes;
}

void
ipv4_reass_destroy(struct ipv4_reass *r)
{
	if (r == NULL)
		return;
	while (r->oldest != NULL)
		reass_drop(r, r->oldest);
	for (unsigned i = 0; i < r->max; i++)
		free(r->slots[i].frags);
	free(r->buckets);
	free(r);
}

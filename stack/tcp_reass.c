/*
 * The receiver's out-of-order queue: tcp_in hands it segments that start
 * beyond RCV.NXT (tcp_ooo_insert), pulls what became in order after each
 * in-order arrival (tcp_ooo_pull), and asks it for the SACK blocks of the
 * next ACK (tcp_ooo_sack).
 *
 * Policies:
 *  - held bytes win: a new segment is cut down to the octets not held yet
 *    (one piece per gap it covers; an mbuf that must become two pieces is
 *    shared through an indirect clone), so data the application may already
 *    have been promised never changes under it;
 *  - segments are never merged physically (no copies); the SACK generator
 *    coalesces adjacent ones into one block;
 *  - memory is bounded by charged bytes (buf_len of every mbuf of every held
 *    chain, what the pool really gives up, so 1-byte segments cost what they
 *    occupy) and by TCP_OOO_MAX_SEGS; what would pass either bound is
 *    dropped whole and the sender retransmits it. Nothing held is reneged;
 *  - a FIN is only ever on the highest segment: data beyond a held FIN is
 *    cut, and a FIN that conflicts with held data or an earlier FIN is
 *    ignored (the first word wins, as for data).
 * Every comparison of sequence numbers goes through tcp_seq.h.
 */
#include "tcp_reass.h"

#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "tcp_seq.h"

static inline uint32_t
seg_end(const struct tcp_ooo_seg *g)
{
	return g->seq + g->len;
}

/* Buffer bytes an mbuf chain occupies. A clone shares its buffer and is
 * charged for it again: an overestimate, never an underestimate. */
static uint32_t
mbuf_charge(const struct rte_mbuf *m)
{
	uint32_t c = 0;
	for (; m != NULL; m = m->next)
		c += m->buf_len;
	return c;
}

/* Drop the first @p n payload bytes of a chain, freeing segments that
 * empty out. The head's private area (Tern's meta) moves to the new head.
 * @return the new head. */
struct rte_mbuf *
mbuf_cut_front(struct rte_mbuf *m, uint32_t n)
{
	while (n > 0 && n >= m->data_len && m->next != NULL) {
		struct rte_mbuf *next = m->next;
		next->pkt_len = m->pkt_len - m->data_len;
		next->nb_segs = (uint16_t)(m->nb_segs - 1);
		if (m->priv_size != 0 && m->priv_size == next->priv_size)
			memcpy(rte_mbuf_to_priv(next), rte_mbuf_to_priv(m), m->priv_size);
		n -= m->data_len;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	if (n > 0)
		rte_pktmbuf_adj(m, (uint16_t)n);   /* n <= data_len here */
	return m;
}

/* Keep only the first @p keep payload bytes of a chain. */
void
mbuf_keep_front(struct rte_mbuf *m, uint32_t keep)
{
	if (keep >= m->pkt_len)
		return;
	struct rte_mbuf *seg = m;
	uint32_t acc = 0;
	uint16_t nsegs = 1;
	while (acc + seg->data_len < keep) {
		acc += seg->data_len;
		seg = seg->next;
		nsegs++;
	}
	if (seg->next != NULL) {
		rte_pktmbuf_free(seg->next);
		seg->next = NULL;
	}
	seg->data_len = (uint16_t)(keep - acc);
	m->pkt_len = keep;
	m->nb_segs = nsegs;
}

void
tcp_ooo_init(struct tcp_ooo *q, uint32_t cap)
{
	q->n = 0;
	q->bytes = 0;
	q->charged = 0;
	q->cap = cap;
	q->last_seq = 0;
	q->nrecent = 0;
}

void
tcp_ooo_clear(struct tcp_ooo *q)
{
	for (unsigned k = 0; k < q->n; k++)
		rte_pktmbuf_free(q->seg[k].m);
	q->n = 0;
	q->bytes = 0;
	q->charged = 0;
}

/* Index of the first segment whose seq is >= @p seq (binary search; the
 * array is sorted and spans less than 2^31, so seq_lt orders it). */
static unsigned
ooo_lower_bound(const struct tcp_ooo *q, uint32_t seq)
{
	unsigned lo = 0, hi = q->n;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (seq_lt(q->seg[mid].seq, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The octets of [s, e) not held yet, as at most @p max pieces. */
struct ooo_piece {
	uint32_t seq, len;
	struct rte_mbuf *m;
};

static unsigned
ooo_gaps(const struct tcp_ooo *q, uint32_t s, uint32_t e, struct ooo_piece *p,
	 unsigned max, bool *too_many)
{
	unsigned np = 0;
	uint32_t cur = s;
	unsigned k = ooo_lower_bound(q, s);
	if (k > 0 && seq_gt(seg_end(&q->seg[k - 1]), s))
		k--;                               /* the one straddling s */
	*too_many = false;
	for (; k < q->n && seq_lt(q->seg[k].seq, e) && seq_lt(cur, e); k++) {
		const struct tcp_ooo_seg *g = &q->seg[k];
		if (g->len == 0)
			continue;
		if (seq_lt(cur, g->seq)) {
			if (np == max) {
				*too_many = true;
				return np;
			}
			p[np].seq = cur;
			p[np].len = g->seq - cur;
			np++;
		}
		cur = seq_max(cur, seg_end(g));
	}
	if (seq_lt(cur, e)) {
		if (np == max) {
			*too_many = true;
			return np;
		}
		p[np].seq = cur;
		p[np].len = e - cur;
		np++;
	}
	return np;
}

static void
ooo_place(struct tcp_ooo *q, uint32_t seq, uint32_t len, bool fin, struct rte_mbuf *m,
	  uint32_t charge)
{
	unsigned k = ooo_lower_bound(q, seq);
	memmove(&q->seg[k + 1], &q->seg[k], (q->n - k) * sizeof(q->seg[0]));
	q->seg[k].seq = seq;
	q->seg[k].len = len;
	q->seg[k].fin = fin;
	q->seg[k].m = m;
	q->n++;
	q->bytes += len;
	q->charged += charge;
}

int
tcp_ooo_insert(struct tcp_ooo *q, uint32_t seq, struct rte_mbuf *m, uint32_t len, bool fin)
{
	/* The mbuf is the payload: believe the shorter of the two lengths. */
	if (len > m->pkt_len)
		len = m->pkt_len;
	mbuf_keep_front(m, len);
	uint32_t e = seq + len;

	struct tcp_ooo_seg *top = q->n > 0 ? &q->seg[q->n - 1] : NULL;
	if (top != NULL && top->fin) {
		/* RFC 9293 3.10.7.4 (eighth step): nothing follows a FIN. A
		 * second FIN elsewhere is ignored; data past the FIN is cut. */
		uint32_t fin_at = seg_end(top);
		if (fin && e != fin_at)
			fin = false;
		if (seq_geq(seq, fin_at)) {
			rte_pktmbuf_free(m);
			return 1;
		}
		if (seq_gt(e, fin_at)) {
			mbuf_keep_front(m, fin_at - seq);
			len = fin_at - seq;
			e = fin_at;
		}
	}
	/* A FIN before held data contradicts it; held bytes win. */
	if (fin && top != NULL && seq_gt(seg_end(top), e))
		fin = false;
	struct ooo_piece p[TCP_OOO_MAX_SEGS];
	bool too_many;
	unsigned np = ooo_gaps(q, seq, e, p, TCP_OOO_MAX_SEGS - q->n, &too_many);
	if (too_many) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	if (np == 0 && fin) {
		/* No new data; the FIN sits at e: on the held segment ending
		 * there, or alone as a zero-length segment. */
		unsigned k = ooo_lower_bound(q, e);
		if (k > 0 && seg_end(&q->seg[k - 1]) == e) {
			bool was = q->seg[k - 1].fin;
			q->seg[k - 1].fin = true;
			rte_pktmbuf_free(m);
			q->last_seq = seq;
			return was ? 1 : 0;
		}
		if (q->n >= TCP_OOO_MAX_SEGS) {
			rte_pktmbuf_free(m);
			return -ENOBUFS;
		}
		mbuf_keep_front(m, 0);
		uint32_t c = mbuf_charge(m);
		if ((uint64_t)q->charged + c > q->cap) {
			rte_pktmbuf_free(m);
			return -ENOBUFS;
		}
		ooo_place(q, e, 0, true, m, c);
		q->last_seq = seq;
		return 0;
	}
	if (np == 0) {
		/* RFC 2883 4: a duplicate, reported by a D-SACK, and the block
		 * holding it is the one to follow the D-SACK: make it "latest". */
		rte_pktmbuf_free(m);
		q->last_seq = seq;
		return 1;
	}

	/* One mbuf per piece: the original for the first, clones for the
	 * others, each then cut to its own bytes. */
	struct rte_mempool *mp = m->pool;
	for (unsigned i = 1; i < np; i++) {
		p[i].m = rte_pktmbuf_clone(m, mp);
		if (p[i].m == NULL) {
			for (unsigned j = 1; j < i; j++)
				rte_pktmbuf_free(p[j].m);
			rte_pktmbuf_free(m);
			return -ENOBUFS;
		}
	}
	p[0].m = m;
	uint32_t charge = 0;
	for (unsigned i = 0; i < np; i++) {
		p[i].m = mbuf_cut_front(p[i].m, p[i].seq - seq);
		mbuf_keep_front(p[i].m, p[i].len);
		charge += mbuf_charge(p[i].m);
	}
	if ((uint64_t)q->charged + charge > q->cap) {
		for (unsigned i = 0; i < np; i++)
			rte_pktmbuf_free(p[i].m);
		return -ENOBUFS;
	}
	bool fin_placed = false;
	for (unsigned i = 0; i < np; i++) {
		bool f = fin && p[i].seq + p[i].len == e;
		fin_placed |= f;
		ooo_place(q, p[i].seq, p[i].len, f, p[i].m, mbuf_charge(p[i].m));
	}
	if (fin && !fin_placed) {
		/* The FIN's octet e follows held data: mark that segment. */
		unsigned k = ooo_lower_bound(q, e);
		if (k > 0 && seg_end(&q->seg[k - 1]) == e)
			q->seg[k - 1].fin = true;
	}
	/* RFC 2018 4: the block holding this segment goes first in the next
	 * ACK; all of [seq, e) is held now, so one block holds it. */
	q->last_seq = seq;
	return 0;
}

uint32_t
tcp_ooo_pull(struct tcp_ooo *q, uint32_t rcv_nxt,
	     void (*deliver)(void *arg, struct rte_mbuf *m, uint32_t len), void *arg,
	     bool *fin)
{
	bool got_fin = false;
	unsigned k = 0;
	for (; k < q->n && seq_leq(q->seg[k].seq, rcv_nxt); k++) {
		struct tcp_ooo_seg *g = &q->seg[k];
		uint32_t end = seg_end(g);
		q->bytes -= g->len;
		q->charged -= mbuf_charge(g->m);
		if (seq_gt(end, rcv_nxt)) {
			/* RFC 9293 3.10.7.4: deliver only octets from RCV.NXT on */
			struct rte_mbuf *m = mbuf_cut_front(g->m, rcv_nxt - g->seq);
			deliver(arg, m, end - rcv_nxt);
			rcv_nxt = end;
		} else {
			rte_pktmbuf_free(g->m);    /* already delivered */
		}
		if (g->fin && end == rcv_nxt) {
			/* RFC 9293 3.10.7.4 (eighth step): the FIN takes one octet,
			 * and comes only after every byte before it. */
			rcv_nxt++;
			got_fin = true;
			k++;
			break;
		}
	}
	memmove(&q->seg[0], &q->seg[k], (q->n - k) * sizeof(q->seg[0]));
	q->n = (uint16_t)(q->n - k);
	if (fin != NULL)
		*fin = got_fin;
	return rcv_nxt;
}

unsigned
tcp_ooo_sack(struct tcp_ooo *q, struct tcp_sack_block *out, unsigned max)
{
	if (max == 0)
		return 0;
	/* The held data as blocks: adjacent segments coalesce. */
	struct tcp_sack_block all[TCP_OOO_MAX_SEGS];
	unsigned na = 0;
	for (unsigned k = 0; k < q->n;) {
		if (q->seg[k].len == 0) {  /* a lone FIN is not data */
			k++;
			continue;
		}
		uint32_t s = q->seg[k].seq, e = seg_end(&q->seg[k]);
		k++;
		while (k < q->n && q->seg[k].len > 0 && q->seg[k].seq == e)
			e = seg_end(&q->seg[k++]);
		all[na++] = (struct tcp_sack_block){ s, e };
	}
	bool used[TCP_OOO_MAX_SEGS] = { false };
	unsigned nb = 0;
	/* RFC 2018 4: first the block holding the segment that triggered this
	 * ACK; then the blocks reported most recently, so each block is
	 * repeated in several ACKs; then the rest, lowest first (the holes
	 * next to RCV.NXT are what the sender must repair first). */
	for (unsigned pass = 0; pass < 2u + q->nrecent && nb < max; pass++) {
		for (unsigned i = 0; i < na && nb < max; i++) {
			if (used[i])
				continue;
			bool take;
			if (pass == 0)
				take = seq_leq(all[i].start, q->last_seq) && seq_lt(q->last_seq, all[i].end);
			else if (pass <= (unsigned)q->nrecent)
				take = seq_leq(all[i].start, q->recent[pass - 1]) &&
				       seq_lt(q->recent[pass - 1], all[i].end);
			else
				take = true;
			if (take) {
				used[i] = true;
				out[nb++] = all[i];
				if (pass < 1u + q->nrecent)
					break;
			}
		}
	}
	q->nrecent = (uint8_t)(nb < WIRE_TCP_MAX_SACK ? nb : WIRE_TCP_MAX_SACK);
	for (unsigned i = 0; i < q->nrecent; i++)
		q->recent[i] = out[i].start;
	return nb;
}

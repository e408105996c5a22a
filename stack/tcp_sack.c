/*
 * The sender's SACK scoreboard (RFC 6675, D-SACK detection of RFC 2883).
 * tcp_in calls tcp_sb_update()/tcp_sb_ack() on every ACK; tcp_out calls
 * tcp_sb_pipe() and tcp_sb_next_seg()/tcp_sb_sent() while in loss recovery.
 *
 * Everything works on ranges, never per octet: the ranges are kept sorted
 * by sequence number, disjoint and non-adjacent (adjacent ones are merged),
 * all inside [SND.UNA, SND.MAX). Every comparison goes through tcp_seq.h,
 * so the board is valid across the 2^32 wrap.
 *
 * HighRxt is kept as the sequence number just past the highest octet
 * retransmitted (exclusive end), and "not valid" means "nothing above
 * SND.UNA was retransmitted", i.e. HighRxt = SND.UNA. tcp_sb_ack() drops
 * HighRxt and RescueRxt once SND.UNA reaches them: both rules that use them
 * (RFC 6675 4 NextSeg (1)/(3) "> HighRxt", rule (4) "HighACK > RescueRxt")
 * then behave exactly as if they were undefined, and nothing stale is left
 * to be misread after the sequence space wraps. That is also why no
 * "enter recovery" call is needed: a recovery ends with SND.UNA at or past
 * RecoveryPoint, which is above every retransmission of that episode.
 */
#include "tcp_sack.h"

#include <string.h>

#include "tcp_seq.h"

static inline uint32_t
blk_len(const struct tcp_sack_block *b)
{
	return b->end - b->start;
}

void
tcp_sb_reset(struct tcp_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
}

/* Remove ranges [from, to) from the array (indices). */
static void
sb_remove(struct tcp_sb *sb, unsigned from, unsigned to)
{
	if (to <= from)
		return;
	memmove(&sb->blk[from], &sb->blk[to], (sb->n - to) * sizeof(sb->blk[0]));
	sb->n = (uint8_t)(sb->n - (to - from));
}

/*
 * Merge [s, e) into the board. @return octets that were not SACKed before
 * and are held after (0 if the range itself had to be forgotten).
 */
static uint32_t
sb_insert(struct tcp_sb *sb, uint32_t s, uint32_t e)
{
	unsigned i = 0;
	/* First range that ends at or after s: it touches or lies above [s, e). */
	while (i < sb->n && seq_lt(sb->blk[i].end, s))
		i++;
	unsigned j = i;
	uint32_t absorbed = 0;
	uint32_t ns = s, ne = e;
	/* Every range that overlaps or abuts [s, e) is folded in, so the board
	 * keeps its "non-adjacent" invariant and one hole is one gap. */
	while (j < sb->n && seq_leq(sb->blk[j].start, e)) {
		absorbed += blk_len(&sb->blk[j]);
		ns = seq_min(ns, sb->blk[j].start);
		ne = seq_max(ne, sb->blk[j].end);
		j++;
	}
	uint32_t added = (ne - ns) - absorbed;
	if (j > i) {
		sb->blk[i].start = ns;
		sb->blk[i].end = ne;
		sb_remove(sb, i + 1, j);
		sb->sacked_bytes += added;
		return added;
	}
	/* A range of its own. When the board is full the highest range is
	 * forgotten: loss detection and retransmission work from the bottom
	 * (the holes next to SND.UNA), the receiver repeats its recent blocks
	 * (RFC 2018 4), and forgetting a SACK is always safe -- those octets
	 * just count as outstanding again; the reverse would not be. */
	if (sb->n == TCP_SB_MAX) {
		if (i == sb->n)
			return 0;        /* the new range is the highest one */
		sb->sacked_bytes -= blk_len(&sb->blk[sb->n - 1]);
		sb->n--;
	}
	memmove(&sb->blk[i + 1], &sb->blk[i], (sb->n - i) * sizeof(sb->blk[0]));
	sb->blk[i].start = s;
	sb->blk[i].end = e;
	sb->n++;
	sb->sacked_bytes += added;
	return added;
}

/* RFC 2883 4: the first block reports a duplicate when it lies below the
 * cumulative ACK, or when it sits inside another block of the same option
 * (RFC 2883 compares with the second block; since RFC 2018 blocks are
 * disjoint, containment in any later block can only mean a duplicate). */
static bool
is_dsack(uint32_t una, const struct tcp_sack_block *b, unsigned n)
{
	if (n == 0)
		return false;
	if (seq_lt(b[0].start, una))
		return true;
	for (unsigned k = 1; k < n; k++)
		if (seq_geq(b[0].start, b[k].start) && seq_leq(b[0].end, b[k].end) &&
		    seq_lt(b[k].start, b[k].end))
			return true;
	return false;
}

uint32_t
tcp_sb_update(struct tcp_sb *sb, uint32_t una, uint32_t snd_max,
	      const struct tcp_sack_block *b, unsigned n, bool *dsack)
{
	bool dup = is_dsack(una, b, n);
	if (dsack != NULL)
		*dsack = dup;
	uint32_t newly = 0;
	for (unsigned k = dup ? 1 : 0; k < n; k++) {
		uint32_t s = b[k].start, e = b[k].end;
		/* RFC 2018 3: a block names received data the sender sent and
		 * has not had cumulatively acknowledged; anything else (empty,
		 * inverted, below SND.UNA, past SND.MAX) is bogus or stale. */
		if (!seq_lt(s, e) || seq_lt(s, una) || seq_gt(e, snd_max))
			continue;
		newly += sb_insert(sb, s, e);
	}
	return newly;
}

void
tcp_sb_ack(struct tcp_sb *sb, uint32_t una)
{
	unsigned k = 0;
	while (k < sb->n && seq_leq(sb->blk[k].end, una)) {
		sb->sacked_bytes -= blk_len(&sb->blk[k]);
		k++;
	}
	sb_remove(sb, 0, k);
	if (sb->n > 0 && seq_lt(sb->blk[0].start, una)) {
		sb->sacked_bytes -= una - sb->blk[0].start;
		sb->blk[0].start = una;
	}
	/* See the file header: at or below SND.UNA they mean "undefined". */
	if (sb->rxt_valid && seq_leq(sb->high_rxt, una))
		sb->rxt_valid = false;
	/* RFC 6675 4 NextSeg (4): a new rescue needs HighACK > RescueRxt. */
	if (sb->rescue_valid && seq_gt(una, sb->rescue_rxt))
		sb->rescue_valid = false;
}

bool
tcp_sb_is_sacked(const struct tcp_sb *sb, uint32_t seq, uint32_t len)
{
	if (len == 0)
		return true;
	for (unsigned k = 0; k < sb->n; k++)
		if (seq_leq(sb->blk[k].start, seq) && seq_leq(seq + len, sb->blk[k].end))
			return true;
	return false;
}

bool
tcp_sb_is_lost(const struct tcp_sb *sb, uint32_t seq, uint32_t smss)
{
	unsigned ranges = 0;
	uint64_t bytes = 0;
	/* Octets "above seq" are those numbered seq+1 and up. */
	uint32_t above = seq + 1;
	for (unsigned k = sb->n; k-- > 0;) {
		const struct tcp_sack_block *b = &sb->blk[k];
		if (!seq_gt(b->end, above))
			break;
		ranges++;
		bytes += seq_geq(b->start, above) ? blk_len(b) : b->end - above;
	}
	/* RFC 6675 4 IsLost: DupThresh discontiguous SACKed sequences above,
	 * or more than (DupThresh - 1) * SMSS SACKed bytes above. */
	return ranges >= TCP_DUPTHRESH || bytes > (uint64_t)(TCP_DUPTHRESH - 1) * smss;
}

uint32_t
tcp_sb_high_sacked(const struct tcp_sb *sb, uint32_t una)
{
	return sb->n > 0 ? sb->blk[sb->n - 1].end : una;
}

/* HighRxt as an exclusive end, never below SND.UNA. */
static uint32_t
sb_high_rxt(const struct tcp_sb *sb, uint32_t una)
{
	return sb->rxt_valid ? seq_max(sb->high_rxt, una) : una;
}

/*
 * Walking the holes: hole h (0 <= h <= n) is the gap below range h (or above
 * the last range for h == n), clipped to [una, snd_max). Within a hole every
 * octet has the same SACKed ranges above it, so IsLost() is one answer per
 * hole (sb_holes_lost()).
 */
static void
sb_hole(const struct tcp_sb *sb, unsigned h, uint32_t una, uint32_t snd_max,
	uint32_t *s, uint32_t *e)
{
	*s = h == 0 ? una : sb->blk[h - 1].end;
	*e = h == sb->n ? snd_max : sb->blk[h].start;
	if (seq_lt(*s, una))
		*s = una;
	if (seq_gt(*e, snd_max))
		*e = snd_max;
	if (seq_lt(*e, *s))
		*e = *s;
}

/* Lost status of every hole, from the top down in one pass: hole h has the
 * ranges h..n-1 above it. */
static void
sb_holes_lost(const struct tcp_sb *sb, uint32_t smss, bool lost[TCP_SB_MAX + 1])
{
	unsigned ranges = 0;
	uint64_t bytes = 0;
	lost[sb->n] = false;     /* nothing SACKed above the top hole */
	for (unsigned h = sb->n; h-- > 0;) {
		ranges++;
		bytes += blk_len(&sb->blk[h]);
		/* RFC 6675 4 IsLost, as in tcp_sb_is_lost() */
		lost[h] = ranges >= TCP_DUPTHRESH ||
			  bytes > (uint64_t)(TCP_DUPTHRESH - 1) * smss;
	}
}

uint32_t
tcp_sb_pipe(const struct tcp_sb *sb, uint32_t una, uint32_t snd_max, uint32_t smss)
{
	bool lost[TCP_SB_MAX + 1];
	sb_holes_lost(sb, smss, lost);
	uint32_t rxt = sb_high_rxt(sb, una);
	uint32_t pipe = 0;
	for (unsigned h = 0; h <= sb->n; h++) {
		uint32_t s, e;
		sb_hole(sb, h, una, snd_max, &s, &e);
		if (s == e)
			continue;
		/* RFC 6675 4 SetPipe (a): an unSACKed octet not lost is in flight */
		if (!lost[h])
			pipe += e - s;
		/* RFC 6675 4 SetPipe (b): below HighRxt it was also retransmitted,
		 * and that copy is in flight too */
		if (seq_lt(s, rxt))
			pipe += seq_min(e, rxt) - s;
	}
	return pipe;
}

bool
tcp_sb_next_seg(struct tcp_sb *sb, uint32_t una, uint32_t snd_max, uint32_t smss,
		bool can_send_new, uint32_t *seq, uint32_t *len)
{
	sb->rescue_next = false;
	if (smss == 0 || !seq_lt(una, snd_max))
		return false;
	bool lost[TCP_SB_MAX + 1];
	sb_holes_lost(sb, smss, lost);
	uint32_t rxt = sb_high_rxt(sb, una);

	/* RFC 6675 4 NextSeg (1): the lowest unSACKed octet above HighRxt that
	 * IsLost(). Only holes below a SACKed range can be lost (h < n). */
	for (unsigned h = 0; h < sb->n; h++) {
		uint32_t s, e;
		sb_hole(sb, h, una, snd_max, &s, &e);
		s = seq_max(s, rxt);
		if (!lost[h] || !seq_lt(s, e))
			continue;
		*seq = s;
		*len = seq_min(e, s + smss) - s;
		return true;
	}
	/* RFC 6675 4 NextSeg (2): new data if there is any and the receive
	 * window allows it -- the caller knows, and sends it itself. */
	if (can_send_new)
		return false;
	/* RFC 6675 4 NextSeg (3): the lowest unSACKed octet above HighRxt and
	 * below the highest SACKed octet, lost or not. The caller only asks
	 * while cwnd - pipe >= SMSS (RFC 6675 5 (C)), so cwnd allows it. */
	for (unsigned h = 0; h < sb->n; h++) {
		uint32_t s, e;
		sb_hole(sb, h, una, snd_max, &s, &e);
		s = seq_max(s, rxt);
		if (!seq_lt(s, e))
			continue;
		*seq = s;
		*len = seq_min(e, s + smss) - s;
		return true;
	}
	/* RFC 6675 4 NextSeg (4): one rescue retransmission per recovery, only
	 * while HighACK > RescueRxt (or RescueRxt undefined); it must carry the
	 * highest outstanding unSACKed octet. */
	if (sb->rescue_valid && !seq_gt(una, sb->rescue_rxt))
		return false;
	for (unsigned h = sb->n + 1; h-- > 0;) {
		uint32_t s, e;
		sb_hole(sb, h, una, snd_max, &s, &e);
		if (s == e)
			continue;
		*seq = e - s > smss ? e - smss : s;
		*len = e - *seq;
		sb->rescue_next = true;
		return true;
	}
	return false;
}

void
tcp_sb_sent(struct tcp_sb *sb, uint32_t seq, uint32_t len, bool rescue)
{
	uint32_t end = seq + len;
	if (rescue) {
		/* RFC 6675 4 NextSeg (4): RescueRxt = RecoveryPoint and HighRxt
		 * is not updated. The end of the rescue segment stands in for
		 * RecoveryPoint: the segment holds the highest unSACKed octet, so
		 * SND.UNA can only pass its end by passing RecoveryPoint too. */
		sb->rescue_rxt = end;
		sb->rescue_valid = true;
		return;
	}
	/* RFC 6675 4 NextSeg (1.c)/(3): HighRxt = highest octet retransmitted */
	if (!sb->rxt_valid || seq_gt(end, sb->high_rxt))
		sb->high_rxt = end;
	sb->rxt_valid = true;
}

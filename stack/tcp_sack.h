/*
 * The sender's SACK scoreboard (RFC 6675, with D-SACK detection of RFC
 * 2883): which bytes above SND.UNA the receiver holds, IsLost(), the pipe
 * estimate and NextSeg()'s retransmission choices. Pure sequence-space
 * bookkeeping: no mbufs, no clock.
 */
#ifndef TERN_TCP_SACK_H
#define TERN_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

#define TCP_SB_MAX 32            /* SACKed ranges kept; beyond, the highest are forgotten */
#define TCP_DUPTHRESH 3          /* RFC 6675 2 / RFC 5681 */

struct tcp_sb {
	uint8_t n;                               /* ranges held, sorted, disjoint, non-adjacent */
	struct tcp_sack_block blk[TCP_SB_MAX];
	uint32_t sacked_bytes;                   /* sum of the ranges */
	uint32_t high_rxt;                       /* RFC 6675 HighRxt (valid if rxt_valid) */
	uint32_t rescue_rxt;                     /* RFC 6675 RescueRxt (valid if rescue_valid) */
	bool rxt_valid, rescue_valid;
	bool rescue_next;                        /* tcp_sb_next_seg()'s last answer was rule (4):
						  * pass it as tcp_sb_sent()'s @p rescue */
};

/** Empty the scoreboard (connection start; RFC 6675 5.1 after an RTO). */
void tcp_sb_reset(struct tcp_sb *sb);
/**
 * Merge the SACK blocks of an arriving ACK. Blocks not inside
 * [una, snd_max) are ignored, except that the first block is a D-SACK
 * (RFC 2883 4) when it lies below @p una or inside another block of the
 * same ACK: then *dsack is set and it is not merged.
 * @return bytes newly SACKed by this ACK.
 */
uint32_t tcp_sb_update(struct tcp_sb *sb, uint32_t una, uint32_t snd_max,
		       const struct tcp_sack_block *b, unsigned n, bool *dsack);
/** SND.UNA advanced to @p una: forget what lies below it. */
void tcp_sb_ack(struct tcp_sb *sb, uint32_t una);
/** Is [seq, seq+len) entirely SACKed? */
bool tcp_sb_is_sacked(const struct tcp_sb *sb, uint32_t seq, uint32_t len);
/** RFC 6675 4 IsLost(seq): DupThresh discontiguous SACKed ranges above seq,
 *  or more than (DupThresh - 1) * smss bytes SACKed above it. */
bool tcp_sb_is_lost(const struct tcp_sb *sb, uint32_t seq, uint32_t smss);
/** Highest SACKed sequence number + 1 (HighACK of RFC 6675 is the caller's
 *  SND.UNA; this is the top of the scoreboard), or @p una if none. */
uint32_t tcp_sb_high_sacked(const struct tcp_sb *sb, uint32_t una);
/** RFC 6675 4 SetPipe(): bytes in [una, snd_max) considered in the network
 *  (not SACKed and not lost, plus retransmitted ones below HighRxt). */
uint32_t tcp_sb_pipe(const struct tcp_sb *sb, uint32_t una, uint32_t snd_max, uint32_t smss);
/**
 * RFC 6675 4 NextSeg(), the retransmission rules (1), (3) and (4); rule (2)
 * (new data) is the caller's, tried between (1) and (3) when
 * @p can_send_new. On true, [*seq, *seq + *len) is what to (re)send
 * (len <= smss); call tcp_sb_sent() once it is sent.
 */
bool tcp_sb_next_seg(struct tcp_sb *sb, uint32_t una, uint32_t snd_max, uint32_t smss,
		     bool can_send_new, uint32_t *seq, uint32_t *len);
/** Record a retransmission of [seq, seq+len): HighRxt (and RescueRxt) move. */
void tcp_sb_sent(struct tcp_sb *sb, uint32_t seq, uint32_t len, bool rescue);

#endif

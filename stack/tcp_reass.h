/*
 * The receiver's out-of-order queue: segments beyond RCV.NXT held until the
 * hole fills, bounded in buffer bytes and in segment count so an
 * out-of-order flood costs neither unbounded memory nor CPU; the SACK
 * blocks to advertise (RFC 2018 4: the block holding the latest segment
 * first); duplicate detection for D-SACK (RFC 2883).
 */
#ifndef TERN_TCP_REASS_H
#define TERN_TCP_REASS_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

struct rte_mbuf;

#define TCP_OOO_MAX_SEGS 512

struct tcp_ooo_seg {
	uint32_t seq;
	uint32_t len;            /* payload bytes (FIN not counted) */
	bool fin;
	struct rte_mbuf *m;      /* payload only (data starts at seq), possibly a chain */
};

struct tcp_ooo {
	uint16_t n;                          /* segments held, sorted by seq, disjoint */
	uint32_t bytes;                      /* payload bytes held */
	uint32_t charged;                    /* buffer bytes held (mbuf buf_len sum) */
	uint32_t cap;                        /* limit on charged */
	uint32_t last_seq;                   /* seq of the most recently inserted segment */
	uint8_t nrecent;                     /* blocks reported in the last SACK option */
	uint32_t recent[WIRE_TCP_MAX_SACK];  /* a sequence number inside each, in order */
	struct tcp_ooo_seg seg[TCP_OOO_MAX_SEGS];
};

/** Drop the first @p n bytes of an mbuf chain (segments that empty out are
 *  freed; the private area moves to the new head). @return the new head. */
struct rte_mbuf *mbuf_cut_front(struct rte_mbuf *m, uint32_t n);
/** Keep only the first @p keep bytes of an mbuf chain. */
void mbuf_keep_front(struct rte_mbuf *m, uint32_t keep);

void tcp_ooo_init(struct tcp_ooo *q, uint32_t cap);
/** Free everything held. */
void tcp_ooo_clear(struct tcp_ooo *q);
/**
 * Hold a segment that starts after RCV.NXT (the caller has trimmed it to the
 * receive window). Bytes already held are kept and the new copy's overlap is
 * trimmed away. Consumes @p m.
 * @return 0 held; 1 entirely duplicate (dropped; the caller sends a D-SACK
 * for [seq, seq+len)); -ENOBUFS over the cap or segment limit (dropped).
 */
int tcp_ooo_insert(struct tcp_ooo *q, uint32_t seq, struct rte_mbuf *m, uint32_t len, bool fin);
/**
 * Take what is now in order: every held segment starting at or before
 * @p rcv_nxt, trimmed of bytes below it, is handed to @p deliver in order
 * (which consumes it). @return the new RCV.NXT (past a FIN if one was
 * reached, with *fin set).
 */
uint32_t tcp_ooo_pull(struct tcp_ooo *q, uint32_t rcv_nxt,
		      void (*deliver)(void *arg, struct rte_mbuf *m, uint32_t len), void *arg,
		      bool *fin);
/** SACK blocks describing what is held, at most @p max, the one holding the
 *  latest insertion first (RFC 2018 4). @return blocks written. */
unsigned tcp_ooo_sack(struct tcp_ooo *q, struct tcp_sack_block *out, unsigned max);

#endif

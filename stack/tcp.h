/*
 * TCP inside the stack: the connection block (TCB) and the calls between
 * the TCP files. Nothing outside stack/ includes this.
 *   tcp_input.c  segment arrival (RFC 9293 3.10.7), per state
 *   tcp_output.c what to send now: data, FIN, ACKs, window updates, RST
 *   tcp_timer.c  the named timers of a connection on the stack's wheel
 *   tcp_usr.c    socket requests and application data (from sockreq.c)
 *   tcp_conn.c   TCB table (4-tuple hash), ports, creation and teardown
 * Call chain of a segment: ipv4_input -> tcp_input -> tcp_output ->
 * ipv4_output; of application data: sockreq_dispatch -> tcp_usr_send ->
 * tcp_output.
 */
#ifndef TERN_TCP_H
#define TERN_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_cc.h"
#include "tcp_isn.h"
#include "tcp_reass.h"
#include "tcp_rtt.h"
#include "tcp_sack.h"
#include "tcp_seq.h"
#include "twheel.h"
#include "wire.h"

struct tern_stack;
struct tern_chan;
struct tern_req;
struct rte_mbuf;

/* RFC 9293 3.3.2 states, ordered so that ranges mean something (FreeBSD). */
enum tcp_state {
	TCPS_CLOSED = 0,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_CLOSE_WAIT,
	TCPS_FIN_WAIT_1,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_FIN_WAIT_2,
	TCPS_TIME_WAIT,
};
#define TCPS_HAVE_ESTABLISHED(s) ((s) >= TCPS_ESTABLISHED)
/* We sent a FIN (or will, it is queued): no more data from the user. */
#define TCPS_SENT_FIN(s) ((s) >= TCPS_FIN_WAIT_1 || (s) == TCPS_LAST_ACK)
/* The peer's FIN is in: nothing more to receive. */
#define TCPS_HAVE_RCVD_FIN(s) ((s) == TCPS_CLOSE_WAIT || (s) == TCPS_CLOSING || \
			       (s) == TCPS_LAST_ACK || (s) == TCPS_TIME_WAIT)

/* Named timers (FreeBSD style): one deadline each, the wheel holds the earliest. */
enum tcp_timer {
	TCPT_REXMT = 0,   /* retransmission, also SYN and FIN retries (RFC 6298) */
	TCPT_DELACK,      /* delayed ACK (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3) */
	TCPT_PERSIST,     /* zero-window probe (RFC 9293 3.8.6.1) */
	TCPT_KEEP,        /* keepalive (RFC 1122 4.2.3.6), also connection-establishment limit */
	TCPT_2MSL,        /* TIME-WAIT and orphaned FIN-WAIT-2 */
	TCPT_COUNT
};

#define TCP_DEFAULT_MSS 536          /* RFC 9293 3.7.1: when the peer sends no MSS option */
#define TCP_MIN_MSS 88               /* clamp tiny MSS options (Linux: 88) */
#define TCP_MAX_USER_MSS 32767       /* TCP_MAXSEG ceiling (Linux: MAX_TCP_WINDOW) */
#define TCP_MAX_WSCALE 14            /* RFC 7323 2.3 */
#define TCP_SYN_RETRIES 6            /* Linux tcp_syn_retries */
#define TCP_SYNACK_RETRIES 5         /* Linux tcp_synack_retries */
#define TCP_R2_RETRIES 15            /* RFC 1122 4.2.3.5 R2 (Linux tcp_retries2) */
#define TCP_MSL_NS (30ull * 1000000000ull)       /* TIME-WAIT = 2*MSL = 60 s, as Linux */
#define TCP_FIN_WAIT2_NS (60ull * 1000000000ull) /* orphaned FIN-WAIT-2 (Linux tcp_fin_timeout) */
#define TCP_DELACK_NS (40ull * 1000000ull)       /* Linux's minimum delayed-ACK time */
#define TCP_MAX_QUICKACKS 16         /* quick ACKs at most per burst (Linux TCP_MAX_QUICKACKS) */
#define TCP_DEF_KEEPIDLE_NS (7200ull * 1000000000ull)
#define TCP_DEF_KEEPINTVL_NS (75ull * 1000000000ull)
#define TCP_DEF_KEEPCNT 9
#define TCP_DEFAULT_RCVBUF (128u * 1024)
#define TCP_DEFAULT_SNDBUF (128u * 1024)

/* Per-connection flags. */
#define TF_ACKNOW      0x0001  /* send an ACK at the next output */
#define TF_DELACK      0x0002  /* an ACK is owed, delayed */
#define TF_NODELAY     0x0004  /* TCP_NODELAY: Nagle off */
#define TF_SACK        0x0008  /* SACK permitted both ways (RFC 2018) */
#define TF_TS          0x0010  /* timestamps both ways (RFC 7323) */
#define TF_WS          0x0020  /* window scaling both ways (RFC 7323) */
#define TF_FIN_QUEUED  0x0040  /* the user closed/shut down writing: FIN after the data */
#define TF_FIN_SENT    0x0080  /* our FIN went out at least once (at fin_seq) */
#define TF_KEEPALIVE   0x0100
#define TF_RCVD_RST    0x0200
#define TF_INRECOVERY  0x0400  /* fast recovery (RFC 6582 / RFC 6675) */
#define TF_REUSEADDR   0x0800
#define TF_LINGER0     0x1000  /* SO_LINGER with 0 timeout: close sends RST */
#define TF_PINGPONG    0x2000  /* interactive: we answer data promptly, so ACKs wait to ride on replies */
#define TF_SYN_LOST    0x4000  /* the SYN was retransmitted (RFC 6298 5.7) */
#define TF_SHUT_RD     0x8000
#define TF_REUSEPORT   0x10000 /* SO_REUSEPORT: may share a port with other such sockets */
#define TF_ACKSCHED    0x20000 /* data or a FIN arrived since our last ACK: one is owed */

struct tcb {
	uint8_t state;             /* enum tcp_state; changed only by tcp_set_state() */
	uint8_t rxt_shift;         /* retransmissions in a row (backoff) */
	uint8_t snd_wscale, rcv_wscale;
	uint32_t flags;            /* TF_* */
	uint32_t slot;             /* socket slot, TCB_NO_SLOT when embryonic or orphaned */
	uint32_t gen;              /* chan gen at attach */
	/* What outlives a connection on its socket (Linux keeps a TCP socket
	 * in CLOSE, ready to bind, listen or connect again): what bind()
	 * fixed, whether t.lport is still bound, and why it died. */
	uint8_t userlocks;         /* TCP_LOCK_ADDR | TCP_LOCK_PORT (Linux SOCK_BIND*_LOCK) */
	bool port_released;        /* t.lport is only the name getsockname reports
				    * (Linux: inet_sport kept, inet_num 0) */
	int32_t err;               /* errno the connection died with (tcp_notify) */
	struct tern_chan *chan;    /* NULL unless attached to a socket */
	struct tcp_4tuple t;
	struct tcb *hnext;         /* 4-tuple hash chain */
	struct tcb *bnext;         /* chain of TCBs bound to the same local port */

	/* Send sequence space (RFC 9293 3.3.1). */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd;          /* peer's window, scaled */
	uint32_t snd_wl1, snd_wl2;
	uint32_t snd_recover;      /* RFC 6582 "recover" */
	uint32_t fin_seq;          /* our FIN's sequence number, once TF_FIN_SENT */
	uint32_t dupacks;
	/* Send queue: bytes [snd_una, snd_una + sndq_bytes), single-segment
	 * mbufs linked through m->next; plus the cursor at snd_nxt. */
	struct rte_mbuf *sndq_head, *sndq_tail;
	uint32_t sndq_bytes;
	/* Where the last segment built from the queue ended: an mbuf of the
	 * queue and the sequence number of its first byte (NULL: unknown).
	 * Finding a segment's start from sndq_head each time made bulk
	 * sending quadratic in the send buffer (tcp_output.c, sndq_append). */
	struct rte_mbuf *sndq_cur;
	uint32_t sndq_cur_seq;
	uint32_t sndbuf;

	/* Receive sequence space. */
	uint32_t irs, rcv_nxt;
	uint32_t rcv_adv;          /* right edge advertised (never moves left, RFC 9293 3.8.6.2.2) */
	uint32_t rcvbuf;
	uint32_t rcv_unacked;      /* data bytes received since the last ACK we sent */
	uint16_t rcv_mss;          /* largest segment the peer has sent (its MSS, estimated) */
	/* Delayed and quick ACKs (policy in tcp_input.c, ack_policy_data()). */
	uint8_t quickacks;         /* ACKs still to send at once rather than delay */
	bool rcvd_data;            /* in-order data has arrived at least once */
	uint64_t last_data_ns;     /* when in-order data last arrived */
	struct tcp_ooo *ooo;       /* allocated on the first out-of-order segment */
	/* Data received before accept() attached a socket (payload mbufs via m->next). */
	struct rte_mbuf *rcvq_head, *rcvq_tail;
	uint32_t rcvq_bytes;       /* payload held */
	uint32_t rcvq_charge;      /* buffer bytes held (buf_len), what the window pays */

	/* Options. */
	uint16_t mss;              /* what we send per segment (effective SMSS) */
	uint16_t mss_clamp;        /* TCP_MAXSEG, 0 = none */
	uint16_t peer_mss;
	uint32_t ts_recent;        /* RFC 7323 4.3 TS.Recent */
	uint64_t ts_recent_age;    /* when ts_recent was set (PAWS 24-day rule) */
	uint64_t ts_base;          /* our TSval = (now - ts_base) in ms + ts_offset */
	uint32_t ts_offset;

	struct tcp_rtt rtt;
	uint32_t rtt_seq;          /* timing this sequence number (no timestamps) */
	uint64_t rtt_start;        /* 0 = not timing */
	struct tcp_cc cc;
	struct tcp_sb *sb;         /* SACK scoreboard, allocated when SACK is on */

	struct twheel_entry tw;
	uint64_t deadline[TCPT_COUNT];   /* 0 = not armed */
	uint64_t idle_since;       /* last segment received (keepalive) */
	uint64_t keep_idle, keep_intvl;
	uint8_t keep_cnt, keep_probes;
	uint8_t persist_probes;    /* zero-window probes without an answer */
	uint8_t ttl, tos;

	/* Listener. */
	struct tcb *listener;      /* a child's listener, until accept() takes it */
	struct tcb *syn_head;      /* children in SYN-RECEIVED (via acc_next) */
	struct tcb *acc_head;      /* established children awaiting accept(), oldest first */
	struct tcb *acc_next;
	uint32_t backlog, acc_len, syn_len;
	uint64_t last_cookie_ns;   /* a listener's last SYN cookie (0 = never) */

	uint64_t last_challenge;   /* RFC 5961 7: challenge ACK rate limit */
	uint32_t dsack_start, dsack_end;  /* RFC 2883: duplicate to report, if dsack_start != dsack_end */
	uint32_t max_sndwnd;       /* largest window the peer offered (RFC 5961 MAX.SND.WND) */
	uint32_t last_ack_sent;    /* RCV.NXT in our last ACK (RFC 7323 Last.ACK.sent) */
	uint32_t snd_sml;          /* end of the last short segment sent (Minshall's Nagle) */

	/* TCP_INFO counters. */
	uint32_t total_retrans;
};

#define TCB_NO_SLOT UINT32_MAX
#define TCP_LOCK_ADDR 0x1   /* bind() chose the local address */
#define TCP_LOCK_PORT 0x2   /* bind() chose the local port: it stays bound when the connection ends */

/** Does the socket hold its local port (bound, not just named)? */
static inline bool
tcp_port_bound(const struct tcb *tp)
{
	return tp->t.lport != 0 && !tp->port_released;
}

/* Per-stack TCP state (embedded in struct tern_stack). */
struct tcp_stack {
	struct tcb **hash;         /* 4-tuple buckets */
	uint32_t hash_mask;
	struct tcb **bound;        /* 65536 chains by local port (bnext) */
	struct tcb **slot_tcb;     /* socket slot -> TCB */
	uint32_t count;            /* TCBs alive */
	struct twheel wheel;
	struct tcp_secret secret;
	uint16_t ephemeral_next;
};

/* tcp_conn.c */
int tcp_init(struct tern_stack *s, uint64_t seed);
void tcp_fini(struct tern_stack *s);
struct tcb *tcp_tcb_new(struct tern_stack *s);
/** Free a TCB and everything it holds; it must be out of every table. */
void tcp_tcb_free(struct tern_stack *s, struct tcb *tp);
/** Enter the state machine's final CLOSED: unhash, unbind, free. A socket
 *  that still owns the TCB gets a fresh CLOSED one in its place (its
 *  options, bound port and name kept) and learns of the death (DEAD and
 *  the error tcp_notify recorded); an established child not yet accepted
 *  stays in its listener's queue, CLOSED, for accept() to return (Linux). */
void tcp_close_tcb(struct tern_stack *s, struct tcb *tp);
/** Linux tcp_disconnect(): a socket's connection (or listen) is dropped, an
 *  RST sent where one is due, and the socket is CLOSE again, unconnected.
 *  @return 0 or -ENOMEM. */
int tcp_disconnect(struct tern_stack *s, struct tcb *tp);
/** Publish a connection's death on its channel: so_error (if @p err) and
 *  TERN_CHAN_DEAD as one event for readers (see TERN_CHAN_DYING), one wake. */
void tcp_chan_dead(struct tern_chan *c, int err);
/** The network says @p t cannot be reached (ARP gave up on the next hop):
 *  a connection still in SYN-SENT fails with @p err (Linux tcp_v4_err). */
void tcp_unreach(struct tern_stack *s, const struct tcp_4tuple *t, int err);
struct tcb *tcp_lookup(struct tern_stack *s, const struct tcp_4tuple *t);
/** The listener that takes a SYN (or a cookie's ACK) for @p t: a specific
 *  address beats the wildcard; within an SO_REUSEPORT group the 4-tuple's
 *  hash picks one, so every segment of a handshake finds the same one. */
struct tcb *tcp_lookup_listener(struct tern_stack *s, const struct tcp_4tuple *t);
void tcp_hash_insert(struct tern_stack *s, struct tcb *tp);
void tcp_hash_remove(struct tern_stack *s, struct tcb *tp);
int tcp_bind_port(struct tern_stack *s, struct tcb *tp, uint32_t laddr, uint16_t lport);
void tcp_unbind_port(struct tern_stack *s, struct tcb *tp);
/** Our FIN has been acknowledged. */
static inline bool
tcp_fin_acked(const struct tcb *tp)
{
	return (tp->flags & TF_FIN_SENT) && seq_gt(tp->snd_una, tp->fin_seq);
}
/** The one place a state changes (STYLE rule 8). */
void tcp_set_state(struct tern_stack *s, struct tcb *tp, enum tcp_state st);
/** Record why the connection is about to die; tcp_close_tcb() reports it
 *  to the socket (so_error) together with the death, or keeps it for
 *  accept() when no socket owns the connection yet. */
void tcp_notify(struct tern_stack *s, struct tcb *tp, int err);
/** Wake the attached socket (readable/writable changed). */
void tcp_wake(struct tcb *tp);
/** Move a child from the listener's SYN list to its accept queue. */
void tcp_child_established(struct tern_stack *s, struct tcb *tp);
/** Our receive window now (free buffer space), before scaling. */
uint32_t tcp_rcv_space(const struct tcb *tp);

/* tcp_input.c */
void tcp_input(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip);

/* tcp_output.c */
/** Send whatever the connection may send now. @return 0 or -errno. */
int tcp_output(struct tern_stack *s, struct tcb *tp);
/** A bare control segment for a connection (SYN, SYN-ACK, ACK, RST, probes). */
int tcp_send_ctl(struct tern_stack *s, struct tcb *tp, uint8_t flags, uint32_t seq);
/** (Re)send [seq, seq+len) of the sequence space, the FIN included if the
 *  range covers it; no window checks (the caller decided). @return bytes sent. */
uint32_t tcp_send_range(struct tern_stack *s, struct tcb *tp, uint32_t seq, uint32_t len);
/** Send at most one new segment if the peer's window allows. @return bytes. */
uint32_t tcp_send_one_new(struct tern_stack *s, struct tcb *tp);
/** Data bytes a segment may carry now (MSS less SACK option space). */
uint32_t tcp_seg_room(const struct tcb *tp);
/** RST in answer to a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_respond_rst(struct tern_stack *s, const struct ipv4_repr *ip, const struct tcp_repr *th,
		     uint32_t seg_len);
uint32_t tcp_ts_now(const struct tern_stack *s, const struct tcb *tp);

/* tcp_timer.c */
void tcp_timer_arm(struct tern_stack *s, struct tcb *tp, enum tcp_timer which, uint64_t delay);
void tcp_timer_stop(struct tern_stack *s, struct tcb *tp, enum tcp_timer which);
void tcp_timers_stop_all(struct tern_stack *s, struct tcb *tp);
void tcp_timers_run(struct tern_stack *s, uint64_t now);
uint64_t tcp_next_deadline(struct tern_stack *s);

/* tcp_usr.c */
int tcp_req(struct tern_stack *s, struct tern_req *r);
void tcp_usr_send(struct tern_stack *s, struct rte_mbuf *m);
void tcp_usr_rcvd(struct tern_stack *s, uint32_t slot);
/** Move the connection's data to its socket (on accept or as it arrives). */
void tcp_deliver(struct tern_stack *s, struct tcb *tp, struct rte_mbuf *m, uint32_t len);
/** An ACK freed @p bytes of the send buffer. */
void tcp_sndbuf_release(struct tcb *tp, uint32_t bytes);

#endif

/*
 * The channel between application threads (api/) and the stack core.
 * The stack includes no api/ header (STYLE rule 14): it consumes requests
 * and outbound datagrams from one MPSC ring, and produces inbound data into
 * a per-socket ring, waking sleepers through a futex word in the socket's
 * struct tern_chan. These few structures are the whole contract.
 *
 * Inbound ring per socket: single producer (stack), HTS multi-consumer so
 * that MSG_PEEK can look at the head (rte_ring peek API) while several
 * threads may recv on one socket.
 * Outbound: tern_stack_submit() takes either an mbuf (a datagram, with its
 * destination in the mbuf's private area) or a struct tern_req tagged with
 * the low bit, so that requests and data from one thread keep their order.
 */
#ifndef TERN_SOCKIF_H
#define TERN_SOCKIF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

struct tern_stack;
struct rte_ring;

/* Private area of every Tern mbuf (pool priv_size). */
struct tern_mbuf_meta {
	uint32_t addr;   /* peer address, host order: source on rx, destination on tx */
	uint16_t port;   /* peer port, host order */
	uint16_t flags;  /* TERN_META_* */
	uint32_t sock;   /* socket slot on tx */
	uint32_t gen;    /* socket generation on tx (stale datagrams of a reused slot are dropped) */
};
#define TERN_MBUF_PRIV_SIZE RTE_ALIGN(sizeof(struct tern_mbuf_meta), RTE_MBUF_PRIV_ALIGN)
#define TERN_META_TO_ADDR 0x1   /* tx: sendto with explicit address (else the connected peer) */
#define TERN_META_BCAST   0x2   /* rx: arrived as broadcast */
#define TERN_META_FROM_SOCK 0x4 /* stack-internal: an outbound datagram of socket `sock` */

static inline struct tern_mbuf_meta *
tern_mbuf_meta(struct rte_mbuf *m)
{
	return (struct tern_mbuf_meta *)rte_mbuf_to_priv(m);
}

/*
 * A readiness watcher (poll and epoll live in api/; the stack only calls
 * them). tern_chan_wake() runs every watcher of the channel after an event,
 * under the channel's wlock, on whichever thread produced the event. A
 * notify function must be short and must not block: it marks its owner
 * and wakes it.
 */
struct tern_watch {
	struct tern_watch *next;         /* guarded by the channel's wlock */
	struct tern_watch **pprev;
	void (*notify)(struct tern_watch *w);
	/** Called (under the lock) when the socket's close unlinks the
	 *  watcher; NULL = nothing to do. */
	void (*detached)(struct tern_watch *w);
};

/* Shared per-socket state. Written by both sides only through atomics. */
struct tern_chan {
	struct rte_ring *rxq;            /* stack -> app: mbufs whose data is the payload */
	_Atomic uint32_t rx_bytes;       /* payload bytes queued in rxq */
	_Atomic uint32_t rcvbuf;         /* limit on rx_bytes (SO_RCVBUF) */
	_Atomic uint32_t tx_bytes;       /* bytes submitted and not yet sent or dropped */
	_Atomic uint32_t sndbuf;         /* limit on tx_bytes (SO_SNDBUF) */
	_Atomic int32_t so_error;        /* pending asynchronous error (positive errno), 0 = none */
	_Atomic uint32_t wseq;           /* futex word: bumped on every event a waiter may want */
	_Atomic uint32_t waiters;        /* threads asleep (or about to sleep) on wseq */
	_Atomic uint32_t gen;            /* slot generation, bumped on close */
	_Atomic uint32_t flags;          /* TERN_CHAN_*, set by the stack (stream sockets) */
	_Atomic uint32_t nwatch;         /* watchers linked below: wakes must run them */
	rte_spinlock_t wlock;            /* guards the watch list */
	struct tern_watch *watch;        /* poll/epoll watchers (api/ links them) */
};

/* Stream socket state the application side reads (set by the stack with
 * release; read with acquire). A listener's rx_bytes counts connections
 * waiting in its accept queue. */
#define TERN_CHAN_CONNECTED 0x1u  /* handshake complete: writable */
#define TERN_CHAN_EOF       0x2u  /* peer's FIN: everything before it is in rxq */
#define TERN_CHAN_WUPDATE   0x4u  /* stack wants to hear of reads (window update) */
#define TERN_CHAN_DEAD      0x8u  /* connection gone (reset, timed out): so_error says why */
#define TERN_CHAN_WR_SHUT   0x10u /* no more sending (shutdown(SHUT_WR) or FIN sent) */
#define TERN_CHAN_NOSPACE   0x20u /* set by api/: someone found the send buffer full
				   * (Linux's SOCK_NOSPACE); freed space then wakes
				   * watchers, else only blocked senders */
#define TERN_CHAN_DYING     0x40u /* the stack is between storing so_error and setting
				   * DEAD: a reader that needs both as one event (poll:
				   * ERR with HUP) looks again */

/** Wake every thread sleeping on @p c (stack side, after producing an event).
 *  Cheap when nobody sleeps: one fence and one load. */
void tern_chan_wake(struct tern_chan *c);

/** Stream sockets, after ACKs freed send buffer: wake blocked senders,
 *  and watchers only if NOSPACE was set and the buffer is writable again
 *  (Linux's sk_stream_write_space), so an edge-triggered epoll entry
 *  does not report EPOLLOUT after every ACK. */
void tern_chan_wake_space(struct tern_chan *c);

/** Link / unlink a watcher (api side, any thread). Linking is a seq_cst
 *  step: a caller that links, then checks readiness, cannot miss an event
 *  published after its check (the waker's fence pairs with it). */
void tern_chan_watch_add(struct tern_chan *c, struct tern_watch *w);
void tern_chan_watch_del(struct tern_chan *c, struct tern_watch *w);
/** Socket close: run every watcher's notify (so waiters look again), then
 *  unlink it and call its detached(). A watcher must start zeroed. */
void tern_chan_watch_clear(struct tern_chan *c);

enum tern_req_op {
	TERN_REQ_OPEN = 1,   /* sock, type, chan */
	TERN_REQ_BIND,       /* sock, addr, port; result 0 or -EADDRINUSE/-EADDRNOTAVAIL/-EINVAL */
	TERN_REQ_CONNECT,    /* sock, addr, port; unspec: dissolve (datagram) or
				tcp_disconnect (stream) */
	TERN_REQ_CLOSE,      /* sock */
	TERN_REQ_SETOPT,     /* sock, level, name, ival */
	TERN_REQ_GETOPT,     /* sock, level, name; ival out */
	TERN_REQ_GETNAME,    /* sock; addr/port = local, raddr/rport = peer; ival = connected */
	TERN_REQ_LISTEN,     /* sock, ival = backlog */
	TERN_REQ_ACCEPT,     /* sock = listener, ival = new slot, chan = its channel;
				out: raddr/rport, addr/port; -EAGAIN when none waits */
	TERN_REQ_SHUTDOWN,   /* sock, ival = SHUT_RD/SHUT_WR/SHUT_RDWR; out: ival = TERN_SHUT_* */
};

/* What a stream socket's shutdown did besides its result (Linux's
 * inet_shutdown): recorded the direction (even with ENOTCONN), nothing (a
 * listener's SHUT_WR), or dropped a listener or a connect in progress
 * (tcp_disconnect: the socket is unconnected and CLOSE again). */
#define TERN_SHUT_KEPT         0x10   /* apart from SHUT_*: an unanswered */
#define TERN_SHUT_RECORDED     0x11   /* request keeps `how` */
#define TERN_SHUT_DISCONNECTED 0x12

struct tern_req {
	uint32_t op;
	uint32_t sock;        /* socket slot */
	int32_t type;         /* OPEN: SOCK_DGRAM (SOCK_STREAM joins with TCP) */
	int32_t level, name;  /* SETOPT/GETOPT */
	int64_t ival;         /* option value in/out */
	uint32_t addr;        /* host order */
	uint16_t port;
	uint16_t rport;
	uint32_t raddr;
	bool unspec;          /* CONNECT: AF_UNSPEC (disconnect) */
	char str[16];         /* SETOPT/GETOPT of a string (TCP_CONGESTION) */
	void *buf;            /* GETOPT of a structure (TCP_INFO): the caller's buffer */
	uint32_t buflen;      /* in: room in buf; out: bytes written */
	struct tern_chan *chan;
	int32_t result;       /* 0 or -errno, written by the stack before state */
	_Atomic uint32_t state; /* TERN_REQ_PENDING/_WAITING/_DONE; futex word */
};
#define TERN_REQ_PENDING 0u
#define TERN_REQ_WAITING 1u   /* the submitter sleeps on state */
#define TERN_REQ_DONE    2u

/**
 * Hand an outbound datagram (an mbuf, meta filled) or a request
 * ((void *)((uintptr_t)req | 1)) to the stack. Any thread; lock-free.
 * @return 0, or -ENOBUFS when the ring is full (the object stays the caller's).
 */
int tern_stack_submit(struct tern_stack *s, void *obj);

static inline void *
tern_req_tag(struct tern_req *r)
{
	return (void *)((uintptr_t)r | 1u);
}

/* The third kind of object on the ring: "the application read from stream
 * socket `slot`" (no memory behind it), so the stack can open its window.
 * mbufs and requests are at least 8-byte aligned, so the low bits are free. */
#define TERN_OBJ_RCVD 2u
static inline void *
tern_rcvd_tag(uint32_t slot)
{
	return (void *)(((uintptr_t)slot << 3) | TERN_OBJ_RCVD);
}

/** Stack side: publish a request's result and wake its submitter. */
void tern_req_complete(struct tern_req *r, int32_t result);

/**
 * Copy @p len bytes into a fresh mbuf chain from @p mp, each segment keeping
 * the pool's default headroom (the stack prepends its headers to the first)
 * and holding at most @p seg_max bytes (0 = as much as fits).
 * @return the chain, or NULL if the pool ran dry (nothing leaked). Any thread.
 */
struct rte_mbuf *tern_mbuf_from_buf(struct rte_mempool *mp, const void *buf, size_t len,
				    size_t seg_max);

/* futex helpers (Linux), shared by both sides. */
int tern_futex_wait(_Atomic uint32_t *word, uint32_t expect, int64_t timeout_ns);
void tern_futex_wake(_Atomic uint32_t *word);

#endif

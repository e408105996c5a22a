/*
 * Internal to stack/: the per-core context and the calls between layer
 * files. Nothing outside stack/ includes this. Call chain of a frame:
 *   tern_stack_poll -> eth_input -> arp_input | ipv4_input
 *   ipv4_input -> ipv4_reass_input? -> icmp_input | udp_input
 * and of an outbound datagram:
 *   sockreq_dispatch -> udp_output -> ipv4_output -> [ipv4_fragment] ->
 *   eth_output -> arp_resolve (may queue) -> stack_tx -> tern_port_tx
 */
#ifndef TERN_STACK_IMPL_H
#define TERN_STACK_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "stats.h"
#include "tcp.h"
#include "wire.h"

#ifndef TERN_MAX_BURST
#define TERN_MAX_BURST 32
#endif
#define TERN_TXBUF_SIZE (TERN_MAX_BURST * 4)
#define TERN_INQ_SIZE 4096u
#define TERN_LOOP_SIZE 256u   /* datagrams to ourselves waiting for the next poll */

/* Tracing (meson -Dtrace=true): one line per state change worth seeing
 * when debugging, on stderr. Compiled out otherwise. */
#ifdef TERN_TRACE
#include <stdio.h>
#define TRACE(...) fprintf(stderr, "tern: " __VA_ARGS__)
#else
#define TRACE(...) do { } while (0)
#endif
#define IP4_FMT "%u.%u.%u.%u"
#define IP4_ARGS(a) (unsigned)((a) >> 24), (unsigned)(((a) >> 16) & 0xff), \
	(unsigned)(((a) >> 8) & 0xff), (unsigned)((a) & 0xff)

/* ---- ARP (arp.c) ---- */
enum arp_state { ARP_FREE = 0, ARP_INCOMPLETE, ARP_REACHABLE };

struct arp_entry {
	uint32_t ip;
	uint8_t mac[6];
	uint8_t state;      /* enum arp_state */
	uint8_t tries;      /* requests sent while INCOMPLETE */
	uint64_t deadline;  /* INCOMPLETE: next retry; REACHABLE: expiry */
	uint64_t used;      /* last use, for eviction */
	uint16_t qlen;
	struct rte_mbuf **queue; /* arp_queue_max slots, frames waiting (data at IP header) */
};

struct arp_table {
	struct arp_entry *e;
	uint32_t size;
	uint32_t last_hit;  /* index of the last entry found: the common case is one peer */
	uint32_t qmax;
	uint32_t retries;
	uint64_t retry_ns;
	uint64_t reachable_ns;
	uint64_t next_deadline;
};

/* ---- UDP (udp.c) ---- */
#define UDP_PCB_FREE      0
#define UDP_PCB_OPEN      1
#define PCB_F_BOUND       0x01
#define PCB_F_CONNECTED   0x02
#define PCB_F_BROADCAST   0x04
#define PCB_F_REUSEADDR   0x08
#define PCB_F_REUSEPORT   0x40  /* (0x10, 0x20: udp.c's bind locks) */

struct udp_pcb {
	uint8_t state;
	uint8_t flags;
	uint8_t ttl;
	uint8_t tos;
	uint32_t laddr;      /* host order; 0 = INADDR_ANY */
	uint32_t raddr;
	uint16_t lport;
	uint16_t rport;
	uint32_t port_next;  /* next pcb slot + 1 on the same local port, 0 = end */
	uint32_t gen;        /* chan gen at OPEN: datagrams of older gens are stale */
	struct tern_chan *chan;
};

struct tern_stack {
	struct tern_port *port;
	struct rte_mempool *pool;
	uint8_t mac[6];
	uint16_t mtu;
	uint32_t offloads;
	uint32_t ip, netmask, bcast, gateway;
	uint64_t now;
	bool started;

	struct tern_stats st;
	uint64_t rng[4];              /* xoshiro256** state */

	struct rte_ring *inq;         /* app -> stack: requests and datagrams (MPSC) */
	uint16_t ntx;
	/* The last poll received a burst (more than one frame): the stack is
	 * under load, and a request carried out between polls leaves its
	 * frames for the poll's flush, in one burst (tern_stack_dispatch). */
	bool loaded;
	struct rte_mbuf *txbuf[TERN_TXBUF_SIZE];
	/* To our own address: delivered at the next poll, never from inside
	 * the sender (TCP must not re-enter itself mid-send). */
	uint16_t loop_head, loop_n;
	struct rte_mbuf *loop[TERN_LOOP_SIZE];

	struct arp_table arp;
	struct ipv4_reass *reass;
	uint64_t reass_deadline;

	/* ICMP error token bucket (RFC 1812 4.3.2.8 asks for rate limiting). */
	uint64_t icmp_tokens_at;      /* time the bucket was last filled */
	uint32_t icmp_tokens;
	uint32_t icmp_rate, icmp_burst;

	uint32_t max_sockets;
	uint8_t *slot_type;           /* per socket slot: 0 free, SOCK_DGRAM or SOCK_STREAM */
	struct udp_pcb *pcbs;         /* indexed by socket slot */
	uint32_t *port_head;          /* 65536 heads: slot + 1 of the first pcb on a port */
	uint16_t ephemeral_next;

	struct tcp_stack tcp;
};

/* stack.c */
uint64_t stack_random(struct tern_stack *s);
/** Queue a finished frame for the port; flushed at the end of the poll. */
void stack_tx(struct tern_stack *s, struct rte_mbuf *m);
void stack_tx_flush(struct tern_stack *s);
/** Is @p a one of our broadcast addresses (limited or subnet)? */
static inline bool
stack_is_bcast(const struct tern_stack *s, uint32_t a)
{
	return a == 0xffffffffu || a == s->bcast;
}

/* eth.c */
void eth_input(struct tern_stack *s, struct rte_mbuf *m);
/** Frame an IP datagram (data at the IP header) to @p l2dst and queue it. */
void eth_output_to(struct tern_stack *s, struct rte_mbuf *m, const uint8_t l2dst[6],
		   uint16_t ethertype);

/* arp.c */
int arp_init(struct tern_stack *s, const struct tern_stack_conf *c);
void arp_fini(struct tern_stack *s);
void arp_input(struct tern_stack *s, struct rte_mbuf *m);
/** Send IP datagram @p m (data at IP header) to next hop @p nh: framed now
 *  if known, else queued while ARP resolves. Consumes @p m. */
void arp_output(struct tern_stack *s, struct rte_mbuf *m, uint32_t nh);
void arp_timer(struct tern_stack *s, uint64_t now);
void arp_announce(struct tern_stack *s);

/* ipv4.c */
void ipv4_input(struct tern_stack *s, struct rte_mbuf *m, bool l2_bcast);
struct ipv4_out {
	uint32_t src, dst;
	uint8_t proto, ttl, tos;
	bool df;
	uint8_t l4_csum;   /* 0 = done already, else the L4 offload to ask for (TERN_PORT_TX_*_CKSUM) */
	bool from_sock;    /* a socket's datagram: errors (ARP failure) go back to it */
	uint32_t sock, gen;
};
/** Prepend an IPv4 header to @p m (data at the L4 header), route, fragment
 *  if needed, and send. Consumes @p m. @return 0 or -errno (dropped). */
int ipv4_output(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_out *o);
/** Read @p len bytes at @p off, contiguous (pointer into the mbuf or into @p buf). */
static inline const uint8_t *
mbuf_bytes(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *buf)
{
	return rte_pktmbuf_read(m, off, len, buf);
}
/** One's-complement sum of @p len bytes at @p off of a (chained) mbuf, unfolded. */
uint32_t mbuf_csum(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t sum);

/* icmp.c */
void icmp_input(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip);
/** Send an ICMP error quoting @p orig (data at its IP header); @p orig is not consumed. */
void icmp_send_error(struct tern_stack *s, const struct rte_mbuf *orig,
		     const struct ipv4_repr *ip, uint8_t type, uint8_t code, uint32_t rest);

/* udp.c */
int udp_init(struct tern_stack *s);
void udp_fini(struct tern_stack *s);
void udp_input(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip);
/** An outbound datagram from the api (data = payload, meta filled). Consumes @p m. */
void udp_send(struct tern_stack *s, struct rte_mbuf *m);
/** ICMP error about a datagram we sent: @p inner is the quoted header. */
void udp_icmp_error(struct tern_stack *s, const struct ipv4_repr *inner,
		    const uint8_t *l4, uint32_t l4len, int err);
/** Report an asynchronous error on socket slot @p sock of generation @p gen. */
void udp_set_error(struct tern_stack *s, uint32_t sock, uint32_t gen, int err);
int udp_req(struct tern_stack *s, struct tern_req *r);

/* sockreq.c */
void sockreq_dispatch(struct tern_stack *s, void *obj);

static inline void
stats_inc_n(uint64_t *c, uint64_t n)
{
	*c += n;
}
#define STAT(s, name) ((s)->st.name++)

#endif

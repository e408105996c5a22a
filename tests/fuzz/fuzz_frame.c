/*
 * libFuzzer target over the whole frame input path. Started once: EAL, an
 * mbuf pool and two stacks, each on its own in-memory port with four UDP
 * sockets (echo and a listener sharing 7, a service on 53, one connected
 * from 5000):
 *  - "api": a stack behind the api (INLINE mode, on our virtual clock),
 *    default tunables, MTU 1500; for every input it also gets TCP: a
 *    listener on port 80 (backlog 2, so SYN cookies start early) and two
 *    connections the harness opens itself through the gateway: one
 *    accepted from 198.18.0.1:40000, one connected to 198.18.0.2:80
 *    (both established, or by the input's choice no passive one and the
 *    active one left in SYN-SENT for the fuzzer to answer). An application
 *    loop reads (and accepts) after every frame, and frames can ask it to
 *    send, shut down or close;
 *  - "small": tern_stack_create() with tiny limits (ARP cache, ARP queue,
 *    reassembly memory and count, ICMP burst, socket buffers) and MTU 576,
 *    its sockets opened through the stack's channel contract (sockif.h),
 *    so that a handful of frames reaches every limit and eviction path.
 * Each input is a short sequence of frames with a virtual clock step before
 * each, so the fuzzer can build fragment trains, ARP exchanges, TCP
 * conversations and timer expiries. Invariants, checked on every input:
 *  - every frame a stack sends parses, with correct checksums, within MTU;
 *  - once the application has closed everything and the clock has passed
 *    every timeout, no timer is left, no TCP connection answers (every
 *    4-tuple the stack sent on gets the RST of "no connection"), and the
 *    pool is back to its starting count (nothing leaked or freed twice).
 *
 * Input format: one byte of setup, then up to FRAMES_MAX times:
 *   ctl (1 byte)   bits 0-5: clock step before the frame (see clock_step());
 *                  bit 6: split the frame over several mbuf segments;
 *                  bit 7: do not poll after this frame (batch it with the next)
 *   len (2 bytes)  big-endian: bits 0-10 the length (the last frame is cut
 *                  to what is left); bits 11-13 an application action after
 *                  the frame (enum app_action, api stack only); bit 14 fix
 *                  the IPv4 and TCP/UDP/ICMP checksums; bit 15 make the
 *                  frame a segment of a harness connection (see conn_rewrite())
 *   bytes          the Ethernet frame
 * Setup byte: bit 0 the stack (0 api, 1 small); for the api stack:
 *   bit 1 no passive connection, the active one left in SYN-SENT (its
 *   SYN-ACK is the input's to send: seq offset -1); bit 2 the application
 *   neither reads nor accepts (windows close, the backlog fills); bit 3 it
 *   echoes what it reads and shuts down writing at EOF; bits 4-5 the
 *   options of the peer's SYN and SYN-ACK (enum syn_profile); bit 6 small
 *   socket buffers (2304 / 4608 bytes); bit 7 keepalive (1 s, 1 s, 2
 *   probes) and TCP_NODELAY.
 * tests/fuzz/make_corpus.py writes seeds in this format.
 */
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/tcp.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAMES_MAX 16
#define FRAME_BUF 16384         /* the last frame may run past 2047 bytes */
#define POOL_MBUFS 4095
#define SETTLE_STEPS 12
#define SETTLE_STEP_NS (15 * TERN_NS_PER_SEC)   /* 12 x 15 s: past every UDP/IP timeout */
#define CTL_STEP_MASK 0x3f
#define CTL_SPLIT 0x40
#define CTL_NOPOLL 0x80
#define LEN_MASK 0x07ff
#define LEN_ACTION_SHIFT 11
#define LEN_CSUM 0x4000
#define LEN_CONN 0x8000
#define SMALL_RXQ 16            /* ring slots of a small-stack socket */

#define SETUP_SMALL 0x01
#define SETUP_NO_CONN 0x02
#define SETUP_NO_READ 0x04
#define SETUP_ECHO 0x08
#define SETUP_PROFILE_SHIFT 4
#define SETUP_SMALL_BUFS 0x40
#define SETUP_KEEPALIVE 0x80

/* The addresses make_corpus.py builds frames for. */
#define OUR_IP 0x0a000001u      /* 10.0.0.1/24 */
#define PEER_IP 0x0a000002u
#define GATEWAY_IP 0x0a0000feu  /* 10.0.0.254 */
static const uint8_t our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t gw_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };

/* TCP on the api stack: the harness's peers are off-link (benchmarking
 * range, RFC 2544), reached through the gateway. */
#define LISTEN_PORT 80
#define LISTEN_BACKLOG 2
#define PASSIVE_IP 0xc6120001u  /* 198.18.0.1: connects to our port 80 */
#define PASSIVE_PORT 40000
#define ACTIVE_IP 0xc6120002u   /* 198.18.0.2:80: we connect to it */
#define ACTIVE_PORT 80
#define PASSIVE_ISN 0x10000000u /* the peers' initial sequence numbers */
#define ACTIVE_ISN 0xfffff000u  /* near the wrap */
#define PEER_TSVAL 1000u        /* the peers' first timestamp */
#define ACCEPT_MAX 4            /* further connections the application takes */
#define TUPLE_MAX 16            /* 4-tuples remembered (and checked for leftovers) */
#define TEARDOWN_CAP_NS (7200 * TERN_NS_PER_SEC)
#define TEARDOWN_POLLS 4000
#define START_NS (1000 * TERN_NS_PER_SEC)

/* Two wildcard sockets share port 7 (SO_REUSEADDR) so that a broadcast is
 * delivered twice (the clone path); unicast goes to the last bound, the echo. */
enum { SOCK_LISTEN7, SOCK_ECHO, SOCK_DNS, SOCK_CONN, NSOCK };
static const struct { uint32_t ip; uint16_t port; uint32_t rcvbuf; bool reuse; } binds[NSOCK] = {
	{ 0, 7, 65536, true }, { 0, 7, 65536, true }, { OUR_IP, 53, 1000, false },
	{ 0, 5000, 65536, false },
};

enum { TARGET_API, TARGET_SMALL, NTARGET };

/* Options of the harness peers' SYN (passive) and SYN-ACK (active). */
enum syn_profile {
	PROF_LINUX,     /* MSS 1460, SACK, timestamps, window scale 7 */
	PROF_NONE,      /* no options at all */
	PROF_NO_TS,     /* MSS 536, SACK, window scale 0 */
	PROF_TINY,      /* MSS 88, timestamps, window scale 14 */
};

/* What the application does after a frame (len bits 11-13), to the
 * connection the frame belongs to (the passive one by default). */
enum app_action {
	ACT_NONE,
	ACT_SEND_10,
	ACT_SEND_1000,
	ACT_SEND_5000,
	ACT_SEND_FILL,  /* until the send buffer is full */
	ACT_SHUT_WR,
	ACT_CLOSE,
	ACT_ABORT,      /* SO_LINGER 0, close: RST */
};

/* A TCP connection of the application (api stack). */
struct conn {
	int fd;                 /* -1: none, or closed by the application */
	uint32_t raddr;
	uint16_t rport, lport;
	uint32_t iss, irs;      /* ours and the peer's; valid if rewritable */
	bool rewritable;        /* opened by the harness: frames can be made its segments */
	bool shut_wr;
};
enum { CONN_PASSIVE, CONN_ACTIVE, CONN_FIXED, NCONN = CONN_FIXED + ACCEPT_MAX };

/* A TCP segment the stack sent (the last ones, for the handshakes). */
struct sent_seg {
	uint32_t dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	bool has_ts;
	uint32_t ts_val;
};
#define SENT_LOG 16

/* A 4-tuple the stack sent on during this input, with what its segments
 * said: our initial sequence number (from a SYN), the peer's (from a
 * SYN-ACK's ACK) and our last timestamp, for conn_rewrite(). */
struct tuple {
	uint32_t raddr;
	uint16_t rport, lport;
	uint32_t iss, irs, ts_val;
	bool have_iss;
};

struct target {
	struct tern_port *port;
	struct tern_stack *stack;
	struct tern_rt *rt;              /* api target only */
	int fd[NSOCK];                   /* api target: socket descriptors */
	struct tern_chan chan[NSOCK];    /* small target: channels we own */
};

static struct {
	bool ready;
	struct rte_mempool *pool;
	struct target t[NTARGET];
	uint64_t now;           /* virtual clock, ns */
	unsigned avail0;        /* pool count with nothing in flight */
	uint8_t buf[65536];
	uint8_t frame[FRAME_BUF];
	/* TCP state of the current input (api stack). */
	uint8_t setup;
	int listen_fd;
	struct conn c[NCONN];
	struct sent_seg sent[SENT_LOG];
	unsigned nsent;
	struct tuple tup[TUPLE_MAX];
	unsigned ntup;
} fz;

#define FAIL(...)                                                           \
	do {                                                                \
		fprintf(stderr, "fuzz_frame: " __VA_ARGS__);                \
		fputc('\n', stderr);                                        \
		abort();                                                    \
	} while (0)

/* FUZZ_FRAME_STATS=1: print the stacks' counters at exit, to see which
 * paths a corpus reaches (see make_corpus.py). */
static void
print_stats(void)
{
	for (int i = 0; i < NTARGET; i++) {
		struct tern_stats st;
		tern_stack_stats_read(fz.t[i].stack, &st);
		fprintf(stderr, "---- %s stack\n", i == TARGET_API ? "api" : "small");
		tern_stats_print(stderr, &st);
	}
}

/* EAL leaves its runtime directory (named after our pid) behind even with
 * --no-shconf; remove it at exit so runs do not pile them up. */
static void
remove_runtime_dir(void)
{
	const char *dir = rte_eal_get_runtime_dir();
	DIR *d = dir != NULL ? opendir(dir) : NULL;
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	rmdir(dir);
}

static struct tern_port *
open_port(const char *name, uint16_t mtu)
{
	struct tern_port *p = tern_port_mem_open(name, 1024, mtu);
	if (p == NULL)
		FAIL("tern_port_mem_open: %s", strerror(errno));
	/* A fixed MAC, so the corpus does not depend on the port's name hash. */
	memcpy(p->mac, our_mac, 6);
	return p;
}

static void
setup_api(struct target *t)
{
	t->port = open_port("fuzz_api", 1500);
	struct tern_conf c = {
		.mode = TERN_MODE_INLINE,
		.port = t->port,
		.pool = fz.pool,
		.ip = OUR_IP,
		.prefix_len = 24,
		.gateway = GATEWAY_IP,
		.max_sockets = 16,
		.seed = 1,
		/* Only our virtual clock moves it, also inside blocking calls. */
		.external_clock = true,
	};
	t->rt = tern_start(&c);
	if (t->rt == NULL)
		FAIL("tern_start: %s", strerror(errno));
	t->stack = tern_rt_stack(t->rt);
	tern_drive_at(t->rt, fz.now);
	for (int i = 0; i < NSOCK; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(binds[i].port),
					 .sin_addr.s_addr = htonl(binds[i].ip) };
		int rcvbuf = (int)binds[i].rcvbuf;
		int reuse = binds[i].reuse;
		t->fd[i] = tern_socket_rt(t->rt, AF_INET, SOCK_DGRAM, 0);
		if (t->fd[i] < 0 ||
		    tern_setsockopt(t->fd[i], SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) != 0 ||
		    tern_bind(t->fd[i], (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    tern_setsockopt(t->fd[i], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0)
			FAIL("api socket %d: %s", i, strerror(errno));
	}
	int one = 1;
	if (tern_setsockopt(t->fd[SOCK_ECHO], SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0)
		FAIL("SO_BROADCAST: %s", strerror(errno));
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9),
				    .sin_addr.s_addr = htonl(PEER_IP) };
	if (tern_connect(t->fd[SOCK_CONN], (struct sockaddr *)&peer, sizeof(peer)) != 0)
		FAIL("connect: %s", strerror(errno));
}

/* A request to the small stack, answered by one poll (it is ours alone). */
static int32_t
small_req(struct target *t, struct tern_req *r)
{
	atomic_store_explicit(&r->state, TERN_REQ_PENDING, memory_order_relaxed);
	if (tern_stack_submit(t->stack, tern_req_tag(r)) != 0)
		FAIL("submit: ring full");
	tern_stack_poll(t->stack, fz.now);
	if (atomic_load_explicit(&r->state, memory_order_acquire) != TERN_REQ_DONE)
		FAIL("request %u not answered", r->op);
	return r->result;
}

static void
setup_small(struct target *t)
{
	t->port = open_port("fuzz_small", 576);
	struct tern_stack_conf c = {
		.port = t->port,
		.pool = fz.pool,
		.ip = OUR_IP,
		.prefix_len = 24,
		.gateway = GATEWAY_IP,
		.max_sockets = 8,
		.seed = 1,
		.arp_cache_size = 4,
		.arp_retries = 2,
		.arp_queue_max = 2,
		.reass_mem_max = 12000,   /* charged by buffer: about 5 fragments */
		.reass_max = 2,
		.icmp_rate = 10,
		.icmp_burst = 2,
		.no_gratuitous_arp = true,
	};
	t->stack = tern_stack_create(&c);
	if (t->stack == NULL)
		FAIL("tern_stack_create: %s", strerror(errno));
	for (uint32_t i = 0; i < NSOCK; i++) {
		struct tern_chan *ch = &t->chan[i];
		ssize_t sz = rte_ring_get_memsize(SMALL_RXQ);
		void *mem = NULL;
		if (sz < 0 || posix_memalign(&mem, RTE_CACHE_LINE_SIZE, (size_t)sz) != 0 ||
		    rte_ring_init(mem, "fuzz_rxq", SMALL_RXQ, RING_F_SP_ENQ | RING_F_MC_HTS_DEQ) != 0)
			FAIL("rxq");
		ch->rxq = mem;
		atomic_store(&ch->rcvbuf, binds[i].rcvbuf);
		atomic_store(&ch->sndbuf, 65536);
		struct tern_req r = { .op = TERN_REQ_OPEN, .sock = i, .type = SOCK_DGRAM, .chan = ch };
		if (small_req(t, &r) != 0)
			FAIL("open %u: %d", i, r.result);
		r = (struct tern_req){ .op = TERN_REQ_SETOPT, .sock = i, .level = SOL_SOCKET,
				       .name = SO_REUSEADDR, .ival = binds[i].reuse };
		if (small_req(t, &r) != 0)
			FAIL("SO_REUSEADDR %u: %d", i, r.result);
		r = (struct tern_req){ .op = TERN_REQ_BIND, .sock = i, .addr = binds[i].ip,
				       .port = binds[i].port };
		if (small_req(t, &r) != 0)
			FAIL("bind %u: %d", i, r.result);
	}
	struct tern_req r = { .op = TERN_REQ_SETOPT, .sock = SOCK_ECHO, .level = SOL_SOCKET,
			      .name = SO_BROADCAST, .ival = 1 };
	if (small_req(t, &r) != 0)
		FAIL("SO_BROADCAST: %d", r.result);
	r = (struct tern_req){ .op = TERN_REQ_CONNECT, .sock = SOCK_CONN, .addr = PEER_IP, .port = 9 };
	if (small_req(t, &r) != 0)
		FAIL("connect: %d", r.result);
}

static void
setup(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=tern-fuzz-%d", (int)getpid());
	char *argv[] = { "fuzz_frame", "--no-huge", "-m", "256", "--no-pci", prefix,
			 "--no-telemetry", "--no-shconf", "--log-level=lib.*:error",
			 "-l", "0", NULL };
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		FAIL("rte_eal_init: %s", rte_strerror(rte_errno));
	atexit(remove_runtime_dir);
	/* No per-lcore cache: the available count is then exact. */
	fz.pool = rte_pktmbuf_pool_create("fuzz_pool", POOL_MBUFS, 0, TERN_MBUF_PRIV_SIZE,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (fz.pool == NULL)
		FAIL("pool: %s", rte_strerror(rte_errno));
	/* Both stacks run on the virtual clock only, so a run is repeatable. */
	fz.now = START_NS;
	setup_api(&fz.t[TARGET_API]);
	setup_small(&fz.t[TARGET_SMALL]);
	fz.listen_fd = -1;
	for (int i = 0; i < NCONN; i++)
		fz.c[i].fd = -1;
	fz.ready = true;
	if (getenv("FUZZ_FRAME_STATS") != NULL)
		atexit(print_stats);
}

/* 0..31: that many 10 ms steps (ARP retries are 1 s apart); 32..63: that
 * many seconds minus 31 (1..32 s: reassembly gives up at 30 s). */
static uint64_t
clock_step(uint8_t code)
{
	code &= CTL_STEP_MASK;
	if (code < 32)
		return code * 10 * TERN_NS_PER_MS;
	return (uint64_t)(code - 31) * TERN_NS_PER_SEC;
}

/* An mbuf chain holding @p len bytes; with @p split the first segment takes
 * half and the rest goes in segments of at most a quarter, so headers end
 * up straddling segment boundaries. @return NULL if the pool is empty. */
static struct rte_mbuf *
frame_mbuf(const uint8_t *p, size_t len, bool split)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(fz.pool);
	if (head == NULL)
		return NULL;
	struct rte_mbuf *cur = head;
	size_t left = len;
	size_t cap = split ? (len / 2 ? len / 2 : 1) : SIZE_MAX;
	for (;;) {
		size_t room = rte_pktmbuf_tailroom(cur);
		size_t n = left < cap ? left : cap;
		if (n > room)
			n = room;
		memcpy(rte_pktmbuf_mtod(cur, uint8_t *), p, n);
		cur->data_len = (uint16_t)n;
		p += n;
		left -= n;
		if (left == 0)
			break;
		if (split)
			cap = len / 4 ? len / 4 : 1;
		struct rte_mbuf *next = rte_pktmbuf_alloc(fz.pool);
		if (next == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		cur->next = next;
		head->nb_segs++;
		cur = next;
	}
	head->pkt_len = (uint32_t)len;
	return head;
}

static void
inject(struct target *t, const uint8_t *p, size_t len, bool split)
{
	struct rte_mbuf *m = frame_mbuf(p, len, split);
	if (m == NULL)
		FAIL("pool empty (%u of %u mbufs free)", rte_mempool_avail_count(fz.pool),
		     fz.avail0);
	if (tern_port_mem_inject(t->port, &m, 1) != 1)
		FAIL("mem port rx ring full");
}

/* ---- building and fixing frames ---- */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Where an IPv4 packet's transport header lies in frame @p f, if its IPv4
 * header is sane (version 4, IHL and total length within the frame).
 * @return the IP header length, 0 if not such a frame; *@p l4len gets the
 * transport bytes. */
static size_t
ipv4_view(const uint8_t *f, size_t len, size_t *l4len)
{
	if (len < WIRE_ETH_HLEN + 20 || be16(f + 12) != WIRE_ETHERTYPE_IPV4)
		return 0;
	const uint8_t *ip = f + WIRE_ETH_HLEN;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	size_t tot = be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || tot > len - WIRE_ETH_HLEN)
		return 0;
	*l4len = tot - ihl;
	return ihl;
}

/* Recompute the IPv4 header checksum and, for an unfragmented TCP, UDP or
 * ICMP packet, the transport checksum, so that mutated frames get past
 * the checksum checks into the protocol code. */
static void
fix_checksums(uint8_t *f, size_t len)
{
	size_t l4len;
	size_t ihl = ipv4_view(f, len, &l4len);
	if (ihl == 0)
		return;
	uint8_t *ip = f + WIRE_ETH_HLEN;
	uint8_t *l4 = ip + ihl;
	put16(ip + 10, 0);
	put16(ip + 10, wire_csum_fold(wire_csum_add(0, ip, ihl)));
	if ((be16(ip + 6) & 0x3fff) != 0)
		return;   /* a fragment: its transport checksum covers other fragments */
	uint32_t src = be32(ip + 12), dst = be32(ip + 16);
	uint8_t proto = ip[9];
	if (proto == WIRE_PROTO_TCP && l4len >= WIRE_TCP_HLEN) {
		put16(l4 + 16, 0);
		put16(l4 + 16, wire_csum_fold(wire_csum_add(
			wire_csum_pseudo(src, dst, proto, (uint16_t)l4len), l4, l4len)));
	} else if (proto == WIRE_PROTO_UDP && l4len >= 8) {
		put16(l4 + 6, 0);
		uint16_t c = wire_csum_fold(wire_csum_add(
			wire_csum_pseudo(src, dst, proto, (uint16_t)l4len), l4, l4len));
		put16(l4 + 6, c != 0 ? c : 0xffff);
	} else if (proto == WIRE_PROTO_ICMP && l4len >= 8) {
		put16(l4 + 2, 0);
		put16(l4 + 2, wire_csum_fold(wire_csum_add(0, l4, l4len)));
	}
}

/* A TCP segment from @p src:@p sport (off-link, through the gateway) to
 * us, in @p f. @return the frame length. */
static size_t
build_tcp(uint8_t *f, uint32_t src, uint16_t sport, uint16_t dport, uint32_t seq,
	  uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opt, size_t optlen)
{
	size_t thl = WIRE_TCP_HLEN + optlen;
	size_t tot = 20 + thl;
	memcpy(f, our_mac, 6);
	memcpy(f + 6, gw_mac, 6);
	put16(f + 12, WIRE_ETHERTYPE_IPV4);
	uint8_t *ip = f + WIRE_ETH_HLEN;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 6, 0x4000);   /* DF */
	ip[8] = 64;
	ip[9] = WIRE_PROTO_TCP;
	put32(ip + 12, src);
	put32(ip + 16, OUR_IP);
	uint8_t *th = ip + 20;
	memset(th, 0, WIRE_TCP_HLEN);
	put16(th, sport);
	put16(th + 2, dport);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	put16(th + 14, win);
	if (optlen > 0)
		memcpy(th + WIRE_TCP_HLEN, opt, optlen);
	size_t len = WIRE_ETH_HLEN + tot;
	fix_checksums(f, len);
	return len;
}

/* The gateway's ARP reply, so that the stack can reach the harness peers. */
static size_t
build_gw_arp(uint8_t *f)
{
	memcpy(f, our_mac, 6);
	memcpy(f + 6, gw_mac, 6);
	put16(f + 12, WIRE_ETHERTYPE_ARP);
	uint8_t *a = f + WIRE_ETH_HLEN;
	put16(a, 1);
	put16(a + 2, WIRE_ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 2);
	memcpy(a + 8, gw_mac, 6);
	put32(a + 14, GATEWAY_IP);
	memcpy(a + 18, our_mac, 6);
	put32(a + 24, OUR_IP);
	return WIRE_ETH_HLEN + 28;
}

/* ---- what the stacks send ---- */

static struct tuple *
tuple_find(uint32_t raddr, uint16_t rport, uint16_t lport)
{
	for (unsigned i = 0; i < fz.ntup; i++)
		if (fz.tup[i].raddr == raddr && fz.tup[i].rport == rport &&
		    fz.tup[i].lport == lport)
			return &fz.tup[i];
	return NULL;
}

static void
log_tcp_sent(const struct ipv4_repr *ip, const struct tcp_repr *th)
{
	struct sent_seg *g = &fz.sent[fz.nsent++ % SENT_LOG];
	*g = (struct sent_seg){ .dst = ip->dst, .sport = th->sport, .dport = th->dport,
				.seq = th->seq, .ack = th->ack, .flags = th->flags,
				.has_ts = th->opt.has_ts, .ts_val = th->opt.ts_val };
	struct tuple *u = tuple_find(ip->dst, th->dport, th->sport);
	if (u == NULL) {
		if (fz.ntup == TUPLE_MAX)
			return;
		u = &fz.tup[fz.ntup++];
		*u = (struct tuple){ .raddr = ip->dst, .rport = th->dport, .lport = th->sport };
	}
	if (th->flags & WIRE_TCP_SYN) {
		u->iss = th->seq;
		u->have_iss = true;
		if (th->flags & WIRE_TCP_ACK)
			u->irs = th->ack - 1;
	}
	if (th->opt.has_ts)
		u->ts_val = th->opt.ts_val;
}

/* What a stack sends must be well formed: we generate it. The mem ports
 * have no offloads, so every checksum is in the frame. */
static void
check_sent(const struct target *t, const struct rte_mbuf *m)
{
	uint32_t len = m->pkt_len;
	if (len > (uint32_t)WIRE_ETH_HLEN + t->port->mtu)
		FAIL("sent a %u-byte frame over a %u MTU", len, t->port->mtu);
	if (rte_pktmbuf_read(m, 0, len, fz.buf) != fz.buf)
		memcpy(fz.buf, rte_pktmbuf_mtod(m, const uint8_t *), len);
	const uint8_t *f = fz.buf;
	struct eth_repr eth;
	if (wire_eth_parse(f, len, &eth) < 0)
		FAIL("sent a %u-byte runt", len);
	if (memcmp(eth.src, our_mac, 6) != 0)
		FAIL("sent a frame from another MAC");
	f += WIRE_ETH_HLEN;
	len -= WIRE_ETH_HLEN;
	if (eth.ethertype == WIRE_ETHERTYPE_ARP) {
		struct arp_repr a;
		if (wire_arp_parse(f, len, &a) < 0 || a.spa != OUR_IP)
			FAIL("sent a bad ARP packet");
		return;
	}
	if (eth.ethertype != WIRE_ETHERTYPE_IPV4)
		FAIL("sent ethertype 0x%04x", eth.ethertype);
	struct ipv4_repr ip;
	int rc = wire_ipv4_parse(f, len, true, &ip);
	if (rc < 0)
		FAIL("sent a bad IPv4 header (%d)", rc);
	if (ip.src != OUR_IP)
		FAIL("sent from 0x%08x", ip.src);
	if (ip.mf || ip.frag_off != 0)
		return;   /* a fragment: the transport header is checked whole only */
	const uint8_t *l4 = f + ip.hlen;
	size_t l4len = ip.total_len - ip.hlen;
	if (ip.proto == WIRE_PROTO_ICMP) {
		struct icmp_repr ic;
		if (wire_icmp_parse(l4, l4len, true, &ic) < 0)
			FAIL("sent a bad ICMP message");
	} else if (ip.proto == WIRE_PROTO_UDP) {
		struct udp_repr u;
		if (wire_udp_parse(l4, l4len, &u) < 0 || u.len != l4len ||
		    !wire_udp_verify(l4, &u, ip.src, ip.dst))
			FAIL("sent a bad UDP datagram");
	} else if (ip.proto == WIRE_PROTO_TCP) {
		struct tcp_repr th;
		if (wire_tcp_parse(l4, l4len, &th) < 0 || th.opt.malformed ||
		    !wire_tcp_verify(l4, l4len, ip.src, ip.dst))
			FAIL("sent a bad TCP segment");
		if (t->rt != NULL)
			log_tcp_sent(&ip, &th);
	} else {
		FAIL("sent IP protocol %u", ip.proto);
	}
}

static void
collect(const struct target *t)
{
	struct rte_mbuf *m[64];
	unsigned n;
	while ((n = tern_port_mem_collect(t->port, m, RTE_DIM(m))) > 0) {
		for (unsigned i = 0; i < n; i++) {
			check_sent(t, m[i]);
			rte_pktmbuf_free(m[i]);
		}
	}
}

/* The last segment sent to @p dst:@p dport with exactly @p flags. */
static const struct sent_seg *
find_sent(uint32_t dst, uint16_t dport, uint8_t flags)
{
	unsigned n = fz.nsent < SENT_LOG ? fz.nsent : SENT_LOG;
	for (unsigned i = 1; i <= n; i++) {
		const struct sent_seg *g = &fz.sent[(fz.nsent - i) % SENT_LOG];
		if (g->dst == dst && g->dport == dport && g->flags == flags)
			return g;
	}
	return NULL;
}

/* ---- the application (api stack) ---- */

static void drain_api(struct target *t, bool echo);

static void
poll_api(struct target *t)
{
	tern_drive_at(t->rt, fz.now);
	collect(t);
}

static bool
app_reads(void)
{
	return !(fz.setup & SETUP_NO_READ);
}

static void
conn_close(struct conn *c, bool abort_it)
{
	if (c->fd < 0)
		return;
	if (abort_it) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		/* May fail once the connection is gone; close() then just frees. */
		tern_setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (tern_close(c->fd) != 0)
		FAIL("close: %s", strerror(errno));
	c->fd = -1;
}

static void
conn_send(struct conn *c, size_t len)
{
	static uint8_t pattern[4096];
	if (pattern[1] == 0)
		for (size_t i = 0; i < sizeof(pattern); i++)
			pattern[i] = (uint8_t)(i * 7 + 1);
	while (len > 0 && c->fd >= 0) {
		size_t n = len < sizeof(pattern) ? len : sizeof(pattern);
		ssize_t k = tern_send(c->fd, pattern, n, MSG_DONTWAIT);
		if (k <= 0)
			return;   /* full (EAGAIN), or the connection is over */
		len -= (size_t)k;
	}
}

/* Read what each connection has; echo it if asked; react to EOF and
 * errors as a server would. Accept new connections first. */
static void
app_step(struct target *t)
{
	if (!app_reads())
		return;
	for (int i = CONN_FIXED; i < NCONN && fz.listen_fd >= 0; i++) {
		struct conn *c = &fz.c[i];
		if (c->fd >= 0)
			continue;
		struct sockaddr_in a;
		socklen_t alen = sizeof(a);
		int fd = tern_accept4(fz.listen_fd, (struct sockaddr *)&a, &alen, SOCK_NONBLOCK);
		if (fd < 0)
			break;
		*c = (struct conn){ .fd = fd, .raddr = ntohl(a.sin_addr.s_addr),
				    .rport = ntohs(a.sin_port), .lport = LISTEN_PORT };
	}
	for (int i = 0; i < NCONN; i++) {
		struct conn *c = &fz.c[i];
		for (int k = 0; k < 64 && c->fd >= 0; k++) {
			ssize_t n = tern_recv(c->fd, fz.buf, sizeof(fz.buf), MSG_DONTWAIT);
			if (n > 0) {
				if (fz.setup & SETUP_ECHO)
					tern_send(c->fd, fz.buf, (size_t)n, MSG_DONTWAIT);
				continue;
			}
			if (n == 0) {
				if ((fz.setup & SETUP_ECHO) && !c->shut_wr) {
					c->shut_wr = true;
					tern_shutdown(c->fd, SHUT_WR);
				}
			} else if (errno != EAGAIN) {
				conn_close(c, false);   /* reset or timed out: done with it */
			}
			break;
		}
	}
	poll_api(t);
}

static void
app_action(struct target *t, struct conn *c, enum app_action a)
{
	if (c->fd < 0)
		return;
	switch (a) {
	case ACT_NONE:
		return;
	case ACT_SEND_10:
		conn_send(c, 10);
		break;
	case ACT_SEND_1000:
		conn_send(c, 1000);
		break;
	case ACT_SEND_5000:
		conn_send(c, 5000);
		break;
	case ACT_SEND_FILL:
		conn_send(c, 256 * 1024);
		break;
	case ACT_SHUT_WR:
		c->shut_wr = true;
		tern_shutdown(c->fd, SHUT_WR);
		break;
	case ACT_CLOSE:
		conn_close(c, false);
		break;
	case ACT_ABORT:
		conn_close(c, true);
		break;
	}
	poll_api(t);
}

static void
set_int(int fd, int level, int name, int v)
{
	if (tern_setsockopt(fd, level, name, &v, sizeof(v)) != 0)
		FAIL("setsockopt %d/%d: %s", level, name, strerror(errno));
}

/* Socket options the setup byte asks for, before listen() or connect(). */
static void
sock_options(int fd)
{
	if (fz.setup & SETUP_SMALL_BUFS) {
		set_int(fd, SOL_SOCKET, SO_RCVBUF, 1);   /* the minimum: 2304 */
		set_int(fd, SOL_SOCKET, SO_SNDBUF, 1);   /* 4608 */
	}
	if (fz.setup & SETUP_KEEPALIVE) {
		set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
		set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 1);
		set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1);
		set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 2);
		set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	}
}

/* The peer's SYN or SYN-ACK options for @p prof; @p ecr echoes our TSval. */
static size_t
syn_opts(uint8_t *o, enum syn_profile prof, uint32_t ecr)
{
	static const uint8_t linux_opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0,
						0, 0, 0, 0, 1, 3, 3, 7 };
	static const uint8_t no_ts[12] = { 2, 4, 0x02, 0x18, 1, 1, 4, 2, 1, 3, 3, 0 };
	static const uint8_t tiny[20] = { 2, 4, 0x00, 0x58, 1, 1, 8, 10, 0, 0, 0, 0,
					  0, 0, 0, 0, 1, 3, 3, 14 };
	switch (prof) {
	case PROF_LINUX:
		memcpy(o, linux_opts, sizeof(linux_opts));
		break;
	case PROF_NONE:
		return 0;
	case PROF_NO_TS:
		memcpy(o, no_ts, sizeof(no_ts));
		return sizeof(no_ts);
	case PROF_TINY:
		memcpy(o, tiny, sizeof(tiny));
		break;
	}
	put32(o + 8, PEER_TSVAL);
	put32(o + 12, ecr);
	return 20;
}

static bool
profile_has_ts(enum syn_profile prof)
{
	return prof == PROF_LINUX || prof == PROF_TINY;
}

/* The options of the peer's other segments: the timestamp only. */
static size_t
ack_opts(uint8_t *o, enum syn_profile prof, uint32_t ecr)
{
	if (!profile_has_ts(prof))
		return 0;
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	put32(o + 4, PEER_TSVAL);
	put32(o + 8, ecr);
	return 12;
}

/* 198.18.0.1:40000 connects to our port 80: SYN, our SYN-ACK, ACK, accept. */
static void
open_passive(struct target *t, enum syn_profile prof)
{
	uint8_t o[40];
	size_t ol = syn_opts(o, prof, 0);
	size_t len = build_tcp(fz.frame, PASSIVE_IP, PASSIVE_PORT, LISTEN_PORT, PASSIVE_ISN, 0,
			       WIRE_TCP_SYN, 65535, o, ol);
	inject(t, fz.frame, len, false);
	poll_api(t);
	const struct sent_seg *g = find_sent(PASSIVE_IP, PASSIVE_PORT,
					     WIRE_TCP_SYN | WIRE_TCP_ACK);
	if (g == NULL || g->ack != PASSIVE_ISN + 1)
		FAIL("no SYN-ACK to the harness's SYN (a connection left from an earlier input?)");
	struct conn *c = &fz.c[CONN_PASSIVE];
	*c = (struct conn){ .fd = -1, .raddr = PASSIVE_IP, .rport = PASSIVE_PORT,
			    .lport = LISTEN_PORT, .iss = g->seq, .irs = PASSIVE_ISN,
			    .rewritable = true };
	ol = ack_opts(o, prof, g->ts_val);
	len = build_tcp(fz.frame, PASSIVE_IP, PASSIVE_PORT, LISTEN_PORT, c->irs + 1, c->iss + 1,
			WIRE_TCP_ACK, 65535, o, ol);
	inject(t, fz.frame, len, false);
	poll_api(t);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	c->fd = tern_accept4(fz.listen_fd, (struct sockaddr *)&a, &alen, SOCK_NONBLOCK);
	if (c->fd < 0)
		FAIL("accept of the harness connection: %s", strerror(errno));
}

/* We connect to 198.18.0.2:80: our SYN, its SYN-ACK (unless
 * @p leave_syn_sent), our ACK. */
static void
open_active(struct target *t, enum syn_profile prof, bool leave_syn_sent)
{
	struct conn *c = &fz.c[CONN_ACTIVE];
	int fd = tern_socket_rt(t->rt, AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		FAIL("stream socket: %s", strerror(errno));
	sock_options(fd);
	if (tern_setblocking(fd, false) != 0)
		FAIL("setblocking: %s", strerror(errno));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(ACTIVE_PORT),
				 .sin_addr.s_addr = htonl(ACTIVE_IP) };
	if (tern_connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EINPROGRESS)
		FAIL("connect: %s", strerror(errno));
	poll_api(t);
	const struct sent_seg *g = find_sent(ACTIVE_IP, ACTIVE_PORT, WIRE_TCP_SYN);
	if (g == NULL)
		FAIL("connect sent no SYN");
	*c = (struct conn){ .fd = fd, .raddr = ACTIVE_IP, .rport = ACTIVE_PORT,
			    .lport = g->sport, .iss = g->seq, .irs = ACTIVE_ISN,
			    .rewritable = true };
	if (leave_syn_sent)
		return;
	uint8_t o[40];
	size_t ol = syn_opts(o, prof, g->ts_val);
	size_t len = build_tcp(fz.frame, ACTIVE_IP, ACTIVE_PORT, c->lport, c->irs, c->iss + 1,
			       WIRE_TCP_SYN | WIRE_TCP_ACK, 65535, o, ol);
	inject(t, fz.frame, len, false);
	poll_api(t);
	/* Linux: the first connect() after the handshake reports it with 0. */
	if (tern_connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		FAIL("the harness's connect did not complete: %s", strerror(errno));
}

/* Per input: the gateway's MAC, the listener, the harness connections. */
static void
tcp_open(struct target *t)
{
	fz.nsent = 0;
	fz.ntup = 0;
	size_t len = build_gw_arp(fz.frame);
	inject(t, fz.frame, len, false);
	poll_api(t);
	fz.listen_fd = tern_socket_rt(t->rt, AF_INET, SOCK_STREAM, 0);
	if (fz.listen_fd < 0)
		FAIL("stream socket: %s", strerror(errno));
	sock_options(fz.listen_fd);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(LISTEN_PORT) };
	if (tern_bind(fz.listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    tern_listen(fz.listen_fd, LISTEN_BACKLOG) != 0 ||
	    tern_setblocking(fz.listen_fd, false) != 0)
		FAIL("listener: %s", strerror(errno));
	enum syn_profile prof = (enum syn_profile)((fz.setup >> SETUP_PROFILE_SHIFT) & 3);
	if (!(fz.setup & SETUP_NO_CONN))
		open_passive(t, prof);
	open_active(t, prof, (fz.setup & SETUP_NO_CONN) != 0);
}

/*
 * Make the frame in @p f a TCP segment to us from the peer its IPv4 source
 * names: 198.18.0.1 the passive harness connection, 198.18.0.2 the active
 * one (their ports are forced); another source whose SYN-ACK (or our SYN)
 * went out this input with the frame's ports, that conversation (so that a
 * child or a SYN cookie can be completed); anything else, the passive
 * connection if its address is odd, the active one if even. Ethernet and
 * IP addresses and the protocol are set; the sequence and acknowledgment
 * numbers, the edges of SACK blocks and the timestamp echo are read as
 * offsets: seq 0 is the peer's ISN + 1, ack 0 (and SACK 0) our ISN + 1,
 * TSecr 0 the last TSval we sent there. The IP header length and total
 * length stay the fuzzer's when they make sense. Checksums are fixed by
 * the caller. @return false if there was nothing to rewrite to.
 */
static bool
conn_rewrite(uint8_t *f, size_t len)
{
	if (len < WIRE_ETH_HLEN + 20 + WIRE_TCP_HLEN)
		return false;
	uint8_t *ip = f + WIRE_ETH_HLEN;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20 || WIRE_ETH_HLEN + ihl + WIRE_TCP_HLEN > len)
		ihl = 20;
	uint8_t *th = ip + ihl;
	uint32_t src = be32(ip + 12);
	uint16_t sport = be16(th);
	struct conn *c = NULL;
	const struct tuple *u = NULL;
	if (src == PASSIVE_IP || src == ACTIVE_IP) {
		c = &fz.c[src == PASSIVE_IP ? CONN_PASSIVE : CONN_ACTIVE];
	} else {
		for (unsigned i = 0; i < fz.ntup && u == NULL; i++)
			if (fz.tup[i].raddr == src && fz.tup[i].rport == sport &&
			    fz.tup[i].have_iss)
				u = &fz.tup[i];
		if (u == NULL)
			c = &fz.c[(src & 1) ? CONN_PASSIVE : CONN_ACTIVE];
	}
	uint32_t raddr, iss, irs;
	uint16_t rport, lport;
	if (c != NULL) {
		if (!c->rewritable)
			return false;
		raddr = c->raddr;
		rport = c->rport;
		lport = c->lport;
		iss = c->iss;
		irs = c->irs;
		u = tuple_find(raddr, rport, lport);
	} else {
		raddr = u->raddr;
		rport = u->rport;
		lport = u->lport;
		iss = u->iss;
		irs = u->irs;
	}
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	size_t room = len - WIRE_ETH_HLEN;
	size_t tot = be16(ip + 2);
	if (tot < ihl + WIRE_TCP_HLEN || tot > room)
		put16(ip + 2, (uint16_t)room);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, gw_mac, 6);
	put16(f + 12, WIRE_ETHERTYPE_IPV4);
	ip[9] = WIRE_PROTO_TCP;
	put32(ip + 12, raddr);
	put32(ip + 16, OUR_IP);
	put16(th, rport);
	put16(th + 2, lport);
	put32(th + 4, be32(th + 4) + irs + 1);
	put32(th + 8, be32(th + 8) + iss + 1);
	/* Options within the data offset, as far as the frame goes. */
	size_t thl = (size_t)(th[12] >> 4) * 4;
	size_t avail = len - WIRE_ETH_HLEN - ihl;
	if (thl > avail)
		thl = avail;
	for (size_t i = WIRE_TCP_HLEN; i < thl;) {
		uint8_t kind = th[i];
		if (kind == WIRE_TCPOPT_EOL)
			break;
		if (kind == WIRE_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= thl || th[i + 1] < 2 || i + th[i + 1] > thl)
			break;
		if (kind == WIRE_TCPOPT_SACK)
			for (size_t k = i + 2; k + 4 <= i + th[i + 1]; k += 4)
				put32(th + k, be32(th + k) + iss + 1);
		if (kind == WIRE_TCPOPT_TS && th[i + 1] == 10 && u != NULL)
			put32(th + i + 6, be32(th + i + 6) + u->ts_val);
		i += th[i + 1];
	}
	return true;
}

/* The application's connection a segment in @p f belongs to, if any. */
static struct conn *
conn_of_frame(const uint8_t *f, size_t len)
{
	size_t l4len;
	size_t ihl = ipv4_view(f, len, &l4len);
	if (ihl == 0 || f[WIRE_ETH_HLEN + 9] != WIRE_PROTO_TCP || l4len < 4)
		return NULL;
	const uint8_t *ip = f + WIRE_ETH_HLEN;
	uint32_t src = be32(ip + 12);
	uint16_t sport = be16(ip + ihl), dport = be16(ip + ihl + 2);
	for (int i = 0; i < NCONN; i++)
		if (fz.c[i].fd >= 0 && fz.c[i].raddr == src && fz.c[i].rport == sport &&
		    fz.c[i].lport == dport)
			return &fz.c[i];
	return NULL;
}

/* Jump from deadline to deadline until the stack has no timer left.
 * @p what names the phase for the failure message. */
static void
run_out_timers(struct target *t, const char *what)
{
	uint64_t start = fz.now;
	for (int i = 0; i < TEARDOWN_POLLS; i++) {
		uint64_t d = tern_stack_next_deadline(t->stack);
		if (d == UINT64_MAX)
			return;
		if (d - start > TEARDOWN_CAP_NS && d > start)
			FAIL("%s: a timer is still armed %llu s later (due at +%llu s)", what,
			     (unsigned long long)((fz.now - start) / TERN_NS_PER_SEC),
			     (unsigned long long)((d - start) / TERN_NS_PER_SEC));
		fz.now = d > fz.now ? d : fz.now + TERN_NS_PER_MS;
		poll_api(t);
	}
	FAIL("%s: timers still due after %d polls", what, TEARDOWN_POLLS);
}

/* The end of an api input: keep the connections open a while (timers run,
 * the application reads), close everything, run every timer out, then
 * ask each 4-tuple the stack sent on: no connection may be left. */
static void
tcp_teardown(struct target *t)
{
	for (int i = 0; i < SETTLE_STEPS; i++) {
		fz.now += SETTLE_STEP_NS;
		poll_api(t);
		drain_api(t, false);
		app_step(t);
	}
	for (int i = 0; i < NCONN; i++)
		conn_close(&fz.c[i], false);
	if (fz.listen_fd >= 0 && tern_close(fz.listen_fd) != 0)
		FAIL("close listener: %s", strerror(errno));
	fz.listen_fd = -1;
	for (int i = 0; i < NCONN; i++)
		fz.c[i] = (struct conn){ .fd = -1 };
	poll_api(t);
	run_out_timers(t, "all sockets closed");
	drain_api(t, false);

	struct tern_stats st0, st1;
	tern_stack_stats_read(t->stack, &st0);
	unsigned nprobe = fz.ntup;
	size_t len = build_gw_arp(fz.frame);
	inject(t, fz.frame, len, false);
	for (unsigned i = 0; i < nprobe; i++) {
		len = build_tcp(fz.frame, fz.tup[i].raddr, fz.tup[i].rport, fz.tup[i].lport,
				0x5eed, 0x5eed, WIRE_TCP_ACK, 1024, NULL, 0);
		inject(t, fz.frame, len, false);
		if (i % 8 == 7)
			poll_api(t);   /* the mem port's rx burst is small */
	}
	poll_api(t);
	tern_stack_stats_read(t->stack, &st1);
	if (st1.tcp_no_conn - st0.tcp_no_conn != nprobe) {
		for (unsigned i = 0; i < nprobe; i++)
			fprintf(stderr, "probed %u.%u.%u.%u:%u -> :%u\n", fz.tup[i].raddr >> 24,
				(fz.tup[i].raddr >> 16) & 0xff, (fz.tup[i].raddr >> 8) & 0xff,
				fz.tup[i].raddr & 0xff, fz.tup[i].rport, fz.tup[i].lport);
		FAIL("TCP connection left after every socket closed and every timer ran out: "
		     "%llu of %u probes found no connection",
		     (unsigned long long)(st1.tcp_no_conn - st0.tcp_no_conn), nprobe);
	}
	run_out_timers(t, "probes answered");
}

/* Api target: take every datagram; the echo socket sends each back. */
static void
drain_api(struct target *t, bool echo)
{
	for (int i = 0; i < NSOCK; i++) {
		for (int k = 0; k < 256; k++) {
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t n = tern_recvfrom(t->fd[i], fz.buf, sizeof(fz.buf), MSG_DONTWAIT,
						  (struct sockaddr *)&from, &flen);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				continue;   /* an asynchronous error (ICMP), taken */
			}
			if (echo && i == SOCK_ECHO && from.sin_port != 0)
				tern_sendto(t->fd[i], fz.buf, (size_t)n, MSG_DONTWAIT,
					    (struct sockaddr *)&from, flen);
		}
	}
}

/* Small target: the same through the channel contract. The echo reuses the
 * received mbuf: data is the payload and the meta holds the source. */
static void
drain_small(struct target *t, bool echo)
{
	for (uint32_t i = 0; i < NSOCK; i++) {
		struct tern_chan *c = &t->chan[i];
		void *obj;
		atomic_exchange(&c->so_error, 0);
		while (rte_ring_dequeue(c->rxq, &obj) == 0) {
			struct rte_mbuf *m = obj;
			atomic_fetch_sub(&c->rx_bytes, m->pkt_len);
			struct tern_mbuf_meta *md = tern_mbuf_meta(m);
			if (!echo || i != SOCK_ECHO || md->port == 0) {
				rte_pktmbuf_free(m);
				continue;
			}
			md->flags = TERN_META_TO_ADDR;
			md->sock = i;
			md->gen = atomic_load(&c->gen);
			atomic_fetch_add(&c->tx_bytes, m->pkt_len);
			if (tern_stack_submit(t->stack, m) != 0) {
				atomic_fetch_sub(&c->tx_bytes, m->pkt_len);
				rte_pktmbuf_free(m);
			}
		}
	}
}

static void
poll_once(struct target *t, bool echo)
{
	if (t->rt != NULL) {
		poll_api(t);
		drain_api(t, echo);
		app_step(t);
	} else {
		tern_stack_poll(t->stack, fz.now);
		collect(t);
		drain_small(t, echo);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz.ready) {
		setup();
		/* Let the gratuitous ARP and set-up traffic go before counting. */
		for (int i = 0; i < NTARGET; i++) {
			poll_once(&fz.t[i], false);
			poll_once(&fz.t[i], false);
		}
		fz.avail0 = rte_mempool_avail_count(fz.pool);
	}
	if (size < 1)
		return 0;
	struct target *t = &fz.t[data[0] & SETUP_SMALL];
	bool api = t->rt != NULL;
	fz.setup = data[0];
	data++;
	size--;
	if (api)
		tcp_open(t);

	for (int f = 0; f < FRAMES_MAX && size >= 3; f++) {
		uint8_t ctl = data[0];
		uint16_t lf = (uint16_t)(data[1] << 8 | data[2]);
		size_t len = lf & LEN_MASK;
		data += 3;
		size -= 3;
		if (len > size || f == FRAMES_MAX - 1)
			len = size;
		if (len > FRAME_BUF)
			len = FRAME_BUF;
		fz.now += clock_step(ctl);
		memcpy(fz.frame, data, len);
		data += len;
		size -= len;
		if (api && (lf & LEN_CONN))
			conn_rewrite(fz.frame, len);
		if (lf & (LEN_CONN | LEN_CSUM))
			fix_checksums(fz.frame, len);
		struct conn *c = api ? conn_of_frame(fz.frame, len) : NULL;
		inject(t, fz.frame, len, (ctl & CTL_SPLIT) != 0);
		if (!(ctl & CTL_NOPOLL) || size < 3 || f == FRAMES_MAX - 1)
			poll_once(t, true);
		if (api)
			app_action(t, c != NULL ? c : &fz.c[CONN_PASSIVE],
				   (enum app_action)((lf >> LEN_ACTION_SHIFT) & 7));
	}

	if (api) {
		tcp_teardown(t);
	} else {
		/* Run every timer out: ARP retries and expiry, reassembly timeout. */
		for (int i = 0; i < SETTLE_STEPS; i++) {
			fz.now += SETTLE_STEP_NS;
			poll_once(t, false);
		}
	}
	unsigned avail = rte_mempool_avail_count(fz.pool);
	if (avail != fz.avail0) {
		struct tern_stats st;
		tern_stack_stats_read(t->stack, &st);
		tern_stats_print(stderr, &st);
		FAIL("mbuf %s on the %s stack: %u available after settling, %u at start",
		     avail < fz.avail0 ? "leak" : "double free",
		     api ? "api" : "small", avail, fz.avail0);
	}
	return 0;
}

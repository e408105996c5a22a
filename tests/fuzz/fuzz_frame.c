/*
 * libFuzzer target over the whole frame input path. Started once: EAL, an
 * mbuf pool and two stacks, each on its own in-memory port with four UDP
 * sockets (echo and a listener sharing 7, a service on 53, one connected
 * from 5000):
 *  - "api": a stack behind the api (INLINE mode), default tunables, MTU 1500;
 *  - "small": tern_stack_create() with tiny limits (ARP cache, ARP queue,
 *    reassembly memory and count, ICMP burst, socket buffers) and MTU 576,
 *    its sockets opened through the stack's channel contract (sockif.h),
 *    so that a handful of frames reaches every limit and eviction path.
 * Each input is a short sequence of frames with a virtual clock step before
 * each, so the fuzzer can build fragment trains, ARP exchanges and timer
 * expiries. Invariants, checked on every input:
 *  - every frame a stack sends parses, with correct checksums, within MTU;
 *  - once the clock has passed every timeout the pool is back to its
 *    starting count (nothing leaked, nothing freed twice).
 *
 * Input format: one byte selecting the stack (bit 0: 0 api, 1 small), then
 * up to FRAMES_MAX times:
 *   ctl (1 byte)   bits 0-5: clock step before the frame (see clock_step());
 *                  bit 6: split the frame over several mbuf segments;
 *                  bit 7: do not poll after this frame (batch it with the next)
 *   len (2 bytes)  big-endian, low 11 bits; the last frame is cut to what is left
 *   bytes          the Ethernet frame
 * tests/fuzz/make_corpus.py writes seeds in this format.
 */
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#define FRAMES_MAX 8
#define POOL_MBUFS 4095
#define SETTLE_STEPS 12
#define SETTLE_STEP_NS (15 * TERN_NS_PER_SEC)   /* 12 x 15 s: past every timeout */
#define CTL_STEP_MASK 0x3f
#define CTL_SPLIT 0x40
#define CTL_NOPOLL 0x80
#define SMALL_RXQ 16            /* ring slots of a small-stack socket */

/* The addresses make_corpus.py builds frames for. */
#define OUR_IP 0x0a000001u      /* 10.0.0.1/24 */
#define PEER_IP 0x0a000002u
#define GATEWAY_IP 0x0a0000feu  /* 10.0.0.254 */
static const uint8_t our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

/* Two wildcard sockets share port 7 (SO_REUSEADDR) so that a broadcast is
 * delivered twice (the clone path); unicast goes to the last bound, the echo. */
enum { SOCK_LISTEN7, SOCK_ECHO, SOCK_DNS, SOCK_CONN, NSOCK };
static const struct { uint32_t ip; uint16_t port; uint32_t rcvbuf; bool reuse; } binds[NSOCK] = {
	{ 0, 7, 65536, true }, { 0, 7, 65536, true }, { OUR_IP, 53, 1000, false },
	{ 0, 5000, 65536, false },
};

enum { TARGET_API, TARGET_SMALL, NTARGET };

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
	};
	t->rt = tern_start(&c);
	if (t->rt == NULL)
		FAIL("tern_start: %s", strerror(errno));
	t->stack = tern_rt_stack(t->rt);
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
	/* The api drives its stack on the real clock while it sets up; from
	 * then on only we poll, on a virtual clock that starts after that. */
	setup_api(&fz.t[TARGET_API]);
	fz.now = tern_clock_ns() + TERN_NS_PER_SEC;
	setup_small(&fz.t[TARGET_SMALL]);
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
	tern_stack_poll(t->stack, fz.now);
	collect(t);
	if (t->rt != NULL)
		drain_api(t, echo);
	else
		drain_small(t, echo);
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
	struct target *t = &fz.t[data[0] & 1];
	data++;
	size--;

	for (int f = 0; f < FRAMES_MAX && size >= 3; f++) {
		uint8_t ctl = data[0];
		size_t len = (size_t)((data[1] << 8 | data[2]) & 0x7ff);
		data += 3;
		size -= 3;
		if (len > size || f == FRAMES_MAX - 1)
			len = size;
		fz.now += clock_step(ctl);
		struct rte_mbuf *m = frame_mbuf(data, len, (ctl & CTL_SPLIT) != 0);
		data += len;
		size -= len;
		if (m == NULL)
			FAIL("pool empty at frame %d (%u of %u mbufs free)", f,
			     rte_mempool_avail_count(fz.pool), fz.avail0);
		if (tern_port_mem_inject(t->port, &m, 1) != 1)
			FAIL("mem port rx ring full");
		if (!(ctl & CTL_NOPOLL) || size < 3 || f == FRAMES_MAX - 1)
			poll_once(t, true);
	}

	/* Run every timer out: ARP retries and expiry, reassembly timeout. */
	for (int i = 0; i < SETTLE_STEPS; i++) {
		fz.now += SETTLE_STEP_NS;
		poll_once(t, false);
	}
	unsigned avail = rte_mempool_avail_count(fz.pool);
	if (avail != fz.avail0) {
		struct tern_stats st;
		tern_stack_stats_read(t->stack, &st);
		tern_stats_print(stderr, &st);
		FAIL("mbuf %s on the %s stack: %u available after settling, %u at start",
		     avail < fz.avail0 ? "leak" : "double free",
		     t->rt != NULL ? "api" : "small", avail, fz.avail0);
	}
	return 0;
}

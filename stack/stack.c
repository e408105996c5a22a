/*
 * The stack context and its run-to-completion loop. tern_stack_poll() is
 * called by the stack's lcore (api/runtime.c) or by an inline application:
 * rx burst -> eth_input per frame -> drain application requests -> timers ->
 * tx flush. Nothing here reads a clock: `now` comes from the caller.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "ipv4_frag.h"
#include "stack_impl.h"

/* ThreadSanitizer cannot follow the submit ring in RTS mode (producers CAS
 * a 64-bit tail, the consumer loads its 32-bit half), so it is told what the
 * ring guarantees: a submitted object's writes happen before its dequeue.
 * No-ops otherwise. */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define INQ_TSAN_RELEASE(r) __tsan_release(r)
#define INQ_TSAN_ACQUIRE(r) __tsan_acquire(r)
#else
#define INQ_TSAN_RELEASE(r) ((void)(r))
#define INQ_TSAN_ACQUIRE(r) ((void)(r))
#endif

/* xoshiro256** (Blackman and Vigna, public domain algorithm): fast, and with
 * a secret seed its output is not guessable from outside, which is all IP
 * IDs and ephemeral ports need (RFC 6056 3.3.1 accepts a random choice). */
static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
stack_random(struct tern_stack *s)
{
	uint64_t *r = s->rng;
	uint64_t out = rotl(r[1] * 5, 7) * 9;
	uint64_t t = r[1] << 17;
	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return out;
}

static void
seed_rng(struct tern_stack *s, uint64_t seed)
{
	if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = tern_clock_ns() ^ (uint64_t)(uintptr_t)s;
	/* splitmix64 expands one word into the four of state, never all zero. */
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		s->rng[i] = z ^ (z >> 31);
	}
}

/* RFC 1122 3.3.2: reassembly gave up and fragment zero had come: tell the
 * source with Time Exceeded, code 1 (fragment reassembly time exceeded). */
static void
reass_expired(void *arg, const struct rte_mbuf *first)
{
	struct tern_stack *s = arg;
	uint8_t tmp[60];
	struct ipv4_repr ip;
	uint32_t want = first->pkt_len < sizeof(tmp) ? first->pkt_len : (uint32_t)sizeof(tmp);
	const uint8_t *h = want >= WIRE_IPV4_HLEN ? mbuf_bytes(first, 0, want, tmp) : NULL;
	/* The held fragment's header still has its own length and MF; parse it
	 * against that length (only header bytes are read). */
	if (h == NULL || wire_ipv4_parse(h, 0xffff, false, &ip) < 0)
		return;
	TRACE("reassembly of id %u from " IP4_FMT " timed out\n", ip.id, IP4_ARGS(ip.src));
	icmp_send_error(s, first, &ip, WIRE_ICMP_TIME_EXCEEDED, 1, 0);
}

struct tern_stack *
tern_stack_create(const struct tern_stack_conf *c)
{
	if (c == NULL || c->port == NULL || c->pool == NULL || c->ip == 0 ||
	    c->prefix_len > 32 || rte_pktmbuf_priv_size(c->pool) < TERN_MBUF_PRIV_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	struct tern_stack *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->port = c->port;
	s->pool = c->pool;
	memcpy(s->mac, c->port->mac, 6);
	s->mtu = c->port->mtu ? c->port->mtu : 1500;
	s->offloads = c->port->offloads;
	s->ip = c->ip;
	unsigned plen = c->prefix_len ? c->prefix_len : 24;
	s->netmask = plen == 0 ? 0 : (uint32_t)(0xffffffffull << (32 - plen));
	/* A /31 or /32 has no subnet broadcast (RFC 3021). */
	s->bcast = plen >= 31 ? 0xffffffffu : (s->ip | ~s->netmask);
	s->gateway = c->gateway;
	s->max_sockets = c->max_sockets ? c->max_sockets : 1024;
	s->icmp_rate = c->icmp_rate ? c->icmp_rate : 1000;
	s->icmp_burst = c->icmp_burst ? c->icmp_burst : 50;
	s->icmp_tokens = s->icmp_burst;
	s->started = c->no_gratuitous_arp;
	seed_rng(s, c->seed);

	ssize_t rsz = rte_ring_get_memsize(TERN_INQ_SIZE);
	if (rsz < 0 || posix_memalign((void **)&s->inq, RTE_CACHE_LINE_SIZE, (size_t)rsz) != 0) {
		s->inq = NULL;
		goto fail;
	}
	/* Multi-producer (any app thread), single consumer (this stack).
	 * Producers are application threads, which the kernel may preempt
	 * inside an enqueue: the classic MP ring makes every later producer
	 * spin until that one runs again (a convoy lasting time slices on a
	 * loaded machine); RTS mode lets them finish and go on (DPDK Ring
	 * Library guide, "MP/MC RTS mode" for overcommitted systems). */
	if (rte_ring_init(s->inq, "tern_inq", TERN_INQ_SIZE,
			  RING_F_MP_RTS_ENQ | RING_F_SC_DEQ) != 0)
		goto fail;
	if (arp_init(s, c) != 0)
		goto fail;
	s->reass = ipv4_reass_create(c->reass_max ? c->reass_max : 256,
				     c->reass_mem_max ? c->reass_mem_max : 4u << 20,
				     c->reass_timeout_ns ? c->reass_timeout_ns : 30 * TERN_NS_PER_SEC);
	if (s->reass == NULL)
		goto fail;
	ipv4_reass_on_expired(s->reass, reass_expired, s);
	s->reass_deadline = UINT64_MAX;
	if (udp_init(s) != 0)
		goto fail;
	s->slot_type = calloc(s->max_sockets, 1);
	if (s->slot_type == NULL || tcp_init(s, c->seed) != 0)
		goto fail;
	return s;
fail:
	tern_stack_destroy(s);
	errno = ENOMEM;
	return NULL;
}

void
tern_stack_destroy(struct tern_stack *s)
{
	if (s == NULL)
		return;
	if (s->inq != NULL) {
		void *obj;
		/* Requests still queued belong to threads that will never be
		 * answered; complete them so nobody sleeps forever. */
		while (rte_ring_dequeue(s->inq, &obj) == 0) {
			if ((uintptr_t)obj & 1u)
				tern_req_complete((struct tern_req *)((uintptr_t)obj & ~(uintptr_t)1), -ESHUTDOWN);
			else
				rte_pktmbuf_free(obj);
		}
		free(s->inq);
	}
	stack_tx_flush(s);
	for (uint16_t i = 0; i < s->ntx; i++)
		rte_pktmbuf_free(s->txbuf[i]);
	while (s->loop_n > 0) {
		rte_pktmbuf_free(s->loop[s->loop_head]);
		s->loop_head = (uint16_t)((s->loop_head + 1) % TERN_LOOP_SIZE);
		s->loop_n--;
	}
	tcp_fini(s);
	free(s->slot_type);
	udp_fini(s);
	arp_fini(s);
	ipv4_reass_destroy(s->reass);
	free(s);
}

void
stack_tx(struct tern_stack *s, struct rte_mbuf *m)
{
	if (unlikely(s->ntx == TERN_TXBUF_SIZE)) {
		stack_tx_flush(s);
		if (s->ntx == TERN_TXBUF_SIZE) {
			STAT(s, tx_port_full);
			rte_pktmbuf_free(m);
			return;
		}
	}
	s->txbuf[s->ntx++] = m;
}

void
stack_tx_flush(struct tern_stack *s)
{
	uint16_t done = 0;
	/* Lengths first: an mbuf the port took is no longer ours to read (the
	 * peer of a mem port may already be adjusting or freeing it; rule 6). */
	uint32_t len[TERN_TXBUF_SIZE];
	for (uint16_t i = 0; i < s->ntx; i++)
		len[i] = s->txbuf[i]->pkt_len;
	/* A few tries: a tap or memif ring may free slots between calls. What
	 * still does not fit is dropped, not held: we never delay a packet. */
	for (int tries = 0; done < s->ntx && tries < 4; tries++) {
		uint16_t n = tern_port_tx(s->port, s->txbuf + done, s->ntx - done);
		for (uint16_t i = done; i < done + n; i++)
			s->st.tx_bytes += len[i];
		done += n;
		s->st.tx_frames += n;
	}
	for (uint16_t i = done; i < s->ntx; i++) {
		STAT(s, tx_port_full);
		rte_pktmbuf_free(s->txbuf[i]);
	}
	s->ntx = 0;
}

void
tern_stack_input(struct tern_stack *s, struct rte_mbuf **m, uint16_t n, uint64_t now)
{
	s->now = now;
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
		s->st.rx_frames++;
		s->st.rx_bytes += m[i]->pkt_len;
		eth_input(s, m[i]);
	}
	s->reass_deadline = ipv4_reass_next_deadline(s->reass);
}

static void
run_timers(struct tern_stack *s, uint64_t now)
{
	if (now >= s->arp.next_deadline)
		arp_timer(s, now);
	if (now >= s->reass_deadline) {
		ipv4_reass_expire(s->reass, now, &s->st);
		s->reass_deadline = ipv4_reass_next_deadline(s->reass);
	}
	if (now >= tcp_next_deadline(s))
		tcp_timers_run(s, now);
}

/* Carry out queued application requests, one burst. @return how many. */
static unsigned
drain_requests(struct tern_stack *s)
{
	void *objs[TERN_MAX_BURST];
	unsigned k = rte_ring_sc_dequeue_burst(s->inq, objs, TERN_MAX_BURST, NULL);
	if (k > 0)
		INQ_TSAN_ACQUIRE(s->inq);
	for (unsigned i = 0; i < k; i++)
		sockreq_dispatch(s, objs[i]);
	return k;
}

void
tern_stack_dispatch(struct tern_stack *s, void *obj, uint64_t now)
{
	s->now = now;
	/* What this or another thread queued earlier comes first: a thread's
	 * own earlier requests are all in the ring by now (its enqueues
	 * completed), so its calls keep their order. */
	while (drain_requests(s) == TERN_MAX_BURST)
		;
	sockreq_dispatch(s, obj);
	/* A send() is on the wire when it returns, unless the stack is under
	 * load: then the frames go with the next poll's, which the caller's
	 * loop runs next (batching only under load; nothing waits on a timer). */
	if (s->ntx > 0 && !s->loaded)
		stack_tx_flush(s);
}

unsigned
tern_stack_poll(struct tern_stack *s, uint64_t now)
{
	struct rte_mbuf *rx[TERN_MAX_BURST];
	unsigned work = 0;

	s->now = now;
	if (unlikely(!s->started)) {
		s->started = true;
		arp_announce(s);   /* gratuitous ARP, RFC 5227 3 */
	}
	/* What we sent ourselves last time: only what was queued before this
	 * poll, so a conversation with ourselves cannot spin here. */
	for (uint16_t k = s->loop_n; k > 0; k--) {
		struct rte_mbuf *m = s->loop[s->loop_head];
		s->loop_head = (uint16_t)((s->loop_head + 1) % TERN_LOOP_SIZE);
		s->loop_n--;
		ipv4_input(s, m, false);
		work++;
	}
	uint16_t n = tern_port_rx(s->port, rx, TERN_MAX_BURST);
	s->loaded = n > 1;
	if (n > 0) {
		/* (also refreshes the reassembly deadline the burst may have set) */
		tern_stack_input(s, rx, n, now);
		work += n;
	}

	work += drain_requests(s);

	run_timers(s, now);
	if (s->ntx > 0)
		stack_tx_flush(s);
	return work;
}

uint64_t
tern_stack_next_deadline(struct tern_stack *s)
{
	uint64_t d = s->arp.next_deadline;
	uint64_t r = ipv4_reass_next_deadline(s->reass);
	uint64_t t = tcp_next_deadline(s);
	if (r < d)
		d = r;
	if (s->loop_n > 0)
		return s->now;   /* datagrams to ourselves are due now */
	return t < d ? t : d;
}

int
tern_stack_submit(struct tern_stack *s, void *obj)
{
	/* RTS enqueue (the ring's mode, see tern_stack_create()): a CAS on the
	 * producer head, the tail released when the last producer in flight
	 * finishes, so the stack's dequeue sees the object fully written. */
	INQ_TSAN_RELEASE(s->inq);   /* before: the dequeue may follow at once */
	return rte_ring_enqueue(s->inq, obj) == 0 ? 0 : -ENOBUFS;
}

void
tern_stack_stats_read(const struct tern_stack *s, struct tern_stats *out)
{
	/* Counters are plain 64-bit stores by the stack core; an aligned 64-bit
	 * load on x86-64 and arm64 is never torn, at worst a little stale. */
	const volatile uint64_t *src = (const volatile uint64_t *)&s->st;
	uint64_t *dst = (uint64_t *)out;
	for (size_t i = 0; i < TERN_STATS_COUNT; i++)
		dst[i] = src[i];
}

uint32_t tern_stack_ip(const struct tern_stack *s) { return s->ip; }
uint32_t tern_stack_netmask(const struct tern_stack *s) { return s->netmask; }
struct rte_mempool *tern_stack_pool(const struct tern_stack *s) { return s->pool; }
uint32_t tern_stack_max_sockets(const struct tern_stack *s) { return s->max_sockets; }

/*
 * In-memory ports: frames pass by pointer through rte_rings, never copied.
 * tern_port_mem_pair() joins two ports back to back (two stacks in one
 * process); tern_port_mem_open() gives one port whose far end is the test,
 * which feeds it with tern_port_mem_inject() and drains it with
 * tern_port_mem_collect(). Used by the unit tests and the pcap harness.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "port.h"

#define MEM_DEFAULT_DEPTH 1024
#define MEM_DEFAULT_MTU   1500

/*
 * The rings of one wire. A pair's two ports share it and may be closed from
 * different threads (one per stack), so the last close frees it.
 */
struct mem_wire {
	struct rte_ring *ring[2];
	atomic_uint refs;
};

struct mem_port {
	struct tern_port port;
	struct mem_wire *wire;
	struct rte_ring *rx;   /* frames arriving at this port */
	struct rte_ring *tx;   /* frames this port sent */
	struct tern_port_stats st;
};

static const struct tern_port_ops mem_ops;

/* FNV-1a over the name, then one splitmix64 round to spread the bits: a
 * stable, well mixed 64-bit value per (name, index). */
static uint64_t
mem_name_hash(const char *name, unsigned idx)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *c = name; *c != '\0'; c++) {
		h ^= (uint8_t)*c;
		h *= 0x100000001b3ull;
	}
	h += 0x9e3779b97f4a7c15ull * (idx + 1);
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* 02:xx:xx:xx:xx:xx: locally administered (bit 1) and unicast (bit 0 clear),
 * so it can never collide with a vendor address on a real segment. */
static void
mem_mac(const char *name, unsigned idx, uint8_t mac[6])
{
	uint64_t h = mem_name_hash(name, idx);
	mac[0] = 0x02;
	for (int i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * (i - 1)));
}

static uint16_t
mem_rx_burst(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	struct mem_port *mp = p->priv;
	unsigned got = rte_ring_dequeue_burst(mp->rx, (void **)m, n, NULL);
	mp->st.rx_packets += got;
	for (unsigned i = 0; i < got; i++)
		mp->st.rx_bytes += m[i]->pkt_len;
	return (uint16_t)got;
}

static uint16_t
mem_tx_burst(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	struct mem_port *mp = p->priv;
	unsigned sent = 0;
	while (sent < n) {
		/* Lengths are read before the enqueue: once a frame is on the
		 * ring the far end may already have freed it (STYLE rule 6). */
		uint32_t len[64];
		unsigned want = RTE_MIN(RTE_DIM(len), (unsigned)(n - sent));
		for (unsigned i = 0; i < want; i++)
			len[i] = m[sent + i]->pkt_len;
		unsigned k = rte_ring_enqueue_burst(mp->tx, (void **)&m[sent], want, NULL);
		for (unsigned i = 0; i < k; i++)
			mp->st.tx_bytes += len[i];
		sent += k;
		if (k < want)
			break;
	}
	mp->st.tx_packets += sent;
	return (uint16_t)sent;
}

static bool
mem_link_up(struct tern_port *p)
{
	RTE_SET_USED(p);
	return true;
}

static int
mem_stats(struct tern_port *p, struct tern_port_stats *s)
{
	struct mem_port *mp = p->priv;
	*s = mp->st;
	return 0;
}

static void
mem_drain(struct rte_ring *r)
{
	void *m;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

static void
mem_wire_put(struct mem_wire *w)
{
	/* acq_rel: the last closer must see every frame the other port's
	 * thread enqueued before its own close released the reference. */
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (int i = 0; i < 2; i++) {
		if (w->ring[i] == NULL)
			continue;
		mem_drain(w->ring[i]);
		free(w->ring[i]);
	}
	free(w);
}

static void
mem_close(struct tern_port *p)
{
	struct mem_port *mp = p->priv;
	mem_wire_put(mp->wire);
	free(mp);
}

static const struct tern_port_ops mem_ops = {
	.rx_burst = mem_rx_burst,
	.tx_burst = mem_tx_burst,
	.link_up = mem_link_up,
	.stats = mem_stats,
	.close = mem_close,
};

/* A ring in plain heap memory: no memzone, so no global name to collide on
 * and no limit from the EAL's memzone table. Multi-producer/consumer
 * because the test thread may inject or collect while a stack thread polls. */
static struct rte_ring *
mem_ring(const char *name, unsigned depth)
{
	ssize_t size = rte_ring_get_memsize(rte_align32pow2(depth + 1));
	if (size < 0)
		return NULL;
	struct rte_ring *r = NULL;
	if (posix_memalign((void **)&r, RTE_CACHE_LINE_SIZE, (size_t)size) != 0)
		return NULL;
	char rname[RTE_RING_NAMESIZE];
	snprintf(rname, sizeof(rname), "%s", name);
	if (rte_ring_init(r, rname, depth, RING_F_EXACT_SZ) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

static struct mem_wire *
mem_wire_new(const char *name, unsigned depth, unsigned refs)
{
	if (depth == 0)
		depth = MEM_DEFAULT_DEPTH;
	if (depth > RTE_RING_SZ_MASK)
		return NULL;
	struct mem_wire *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	for (int i = 0; i < 2; i++) {
		char rname[RTE_RING_NAMESIZE];
		snprintf(rname, sizeof(rname), "%.20s.%d", name, i);
		w->ring[i] = mem_ring(rname, depth);
		if (w->ring[i] == NULL) {
			free(w->ring[0]);
			free(w);
			return NULL;
		}
	}
	atomic_init(&w->refs, refs);
	return w;
}

static struct mem_port *
mem_port_new(struct mem_wire *w, struct rte_ring *rx, struct rte_ring *tx,
	     const char *name, const char *suffix, unsigned idx, uint16_t mtu)
{
	struct mem_port *mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		return NULL;
	mp->wire = w;
	mp->rx = rx;
	mp->tx = tx;
	mp->port.ops = &mem_ops;
	mp->port.priv = mp;
	mp->port.mtu = mtu != 0 ? mtu : MEM_DEFAULT_MTU;
	mp->port.offloads = 0;
	snprintf(mp->port.name, sizeof(mp->port.name), "%.29s%s", name, suffix);
	mem_mac(name, idx, mp->port.mac);
	return mp;
}

int
tern_port_mem_pair(const char *name, unsigned depth, uint16_t mtu,
		   struct tern_port **a, struct tern_port **b)
{
	if (name == NULL || a == NULL || b == NULL)
		return -EINVAL;
	struct mem_wire *w = mem_wire_new(name, depth, 2);
	if (w == NULL)
		return -ENOMEM;
	/* ring[0] carries a -> b, ring[1] carries b -> a. */
	struct mem_port *pa = mem_port_new(w, w->ring[1], w->ring[0], name, ".a", 1, mtu);
	struct mem_port *pb = mem_port_new(w, w->ring[0], w->ring[1], name, ".b", 2, mtu);
	if (pa == NULL || pb == NULL) {
		free(pa);
		free(pb);
		atomic_store_explicit(&w->refs, 1, memory_order_relaxed); /* not yet shared */
		mem_wire_put(w);
		return -ENOMEM;
	}
	/* Two hashes agreeing on 40 bits is unlikely but would make the pair
	 * unusable (each would take the other's frames as its own). */
	if (memcmp(pa->port.mac, pb->port.mac, 6) == 0)
		pb->port.mac[5] ^= 0x01;
	*a = &pa->port;
	*b = &pb->port;
	return 0;
}

struct tern_port *
tern_port_mem_open(const char *name, unsigned depth, uint16_t mtu)
{
	if (name == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct mem_wire *w = mem_wire_new(name, depth, 1);
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* ring[0]: test -> port (inject), ring[1]: port -> test (collect). */
	struct mem_port *mp = mem_port_new(w, w->ring[0], w->ring[1], name, "", 0, mtu);
	if (mp == NULL) {
		mem_wire_put(w);
		errno = ENOMEM;
		return NULL;
	}
	return &mp->port;
}

unsigned
tern_port_mem_inject(struct tern_port *p, struct rte_mbuf **m, unsigned n)
{
	if (p == NULL || p->ops != &mem_ops)
		return 0;
	struct mem_port *mp = p->priv;
	return rte_ring_enqueue_burst(mp->rx, (void **)m, n, NULL);
}

unsigned
tern_port_mem_collect(struct tern_port *p, struct rte_mbuf **m, unsigned n)
{
	if (p == NULL || p->ops != &mem_ops)
		return 0;
	struct mem_port *mp = p->priv;
	return rte_ring_dequeue_burst(mp->tx, (void **)m, n, NULL);
}

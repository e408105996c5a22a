/*
 * Port layer tests: the in-memory pair and single port (drivers/port_mem.c)
 * and the ethdev port (drivers/port_ethdev.c) over an in-process net_ring
 * device built with rte_eth_from_rings(), so no --vdev argument is needed.
 * Every test ends with the pool back at its starting count.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <check.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fixture.h"
#include "port.h"

static unsigned pool_start;

static void
setup(void)
{
	fixture_pool();
	pool_start = fixture_pool_avail();
}

static void
teardown(void)
{
	fixture_pool_check(pool_start);
}

/* A 64-byte IPv4-looking frame carrying @p seq at offset 34. */
static struct rte_mbuf *
mk_frame(uint32_t seq)
{
	uint8_t b[64];
	memset(b, 0, sizeof(b));
	memset(b, 0xff, 6);
	b[6] = 0x02;
	b[12] = 0x08;
	b[14] = 0x45;
	b[23] = 17;
	for (int i = 0; i < 4; i++)
		b[34 + i] = (uint8_t)(seq >> (24 - 8 * i));
	for (size_t i = 38; i < sizeof(b); i++)
		b[i] = (uint8_t)(seq + i);
	struct rte_mbuf *m = fixture_mbuf(b, sizeof(b));
	ck_assert_ptr_nonnull(m);
	return m;
}

static uint32_t
seq_of(const struct rte_mbuf *m)
{
	uint8_t b[4];
	const uint8_t *p = rte_pktmbuf_read(m, 34, 4, b);
	ck_assert_ptr_nonnull(p);
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
free_all(struct rte_mbuf **m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

/* Send @p n frames numbered from @p base from @p src and check @p dst gets
 * them all, in order. */
static void
pass_frames(struct tern_port *src, struct tern_port *dst, uint32_t base, unsigned n)
{
	struct rte_mbuf *m[32];
	ck_assert_uint_le(n, 32);
	for (unsigned i = 0; i < n; i++)
		m[i] = mk_frame(base + i);
	ck_assert_uint_eq(tern_port_tx(src, m, (uint16_t)n), n);
	struct rte_mbuf *r[32];
	uint16_t got = tern_port_rx(dst, r, 32);
	ck_assert_uint_eq(got, n);
	for (unsigned i = 0; i < got; i++)
		ck_assert_uint_eq(seq_of(r[i]), base + i);
	free_all(r, got);
	ck_assert_uint_eq(tern_port_rx(dst, r, 32), 0);
}

START_TEST(mem_pair_both_ways)
{
	struct tern_port *a = NULL, *b = NULL;
	ck_assert_int_eq(tern_port_mem_pair("pairA", 64, 0, &a, &b), 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a->ops->link_up(a));
	ck_assert_uint_eq(a->offloads, 0);
	ck_assert_uint_eq(b->offloads, 0);
	pass_frames(a, b, 100, 10);
	pass_frames(b, a, 200, 7);
	pass_frames(a, b, 300, 32);
	struct tern_port_stats sa, sb;
	ck_assert_int_eq(a->ops->stats(a, &sa), 0);
	ck_assert_int_eq(b->ops->stats(b, &sb), 0);
	ck_assert_uint_eq(sa.tx_packets, 42);
	ck_assert_uint_eq(sa.tx_bytes, 42 * 64);
	ck_assert_uint_eq(sa.rx_packets, 7);
	ck_assert_uint_eq(sb.rx_packets, 42);
	ck_assert_uint_eq(sb.rx_bytes, 42 * 64);
	ck_assert_uint_eq(sb.tx_packets, 7);
	/* Frames still in flight at close are freed by the last close. */
	struct rte_mbuf *m[5];
	for (unsigned i = 0; i < 5; i++)
		m[i] = mk_frame(i);
	ck_assert_uint_eq(tern_port_tx(a, m, 3), 3);
	ck_assert_uint_eq(tern_port_tx(b, m + 3, 2), 2);
	tern_port_close(a);
	tern_port_close(b);
}
END_TEST

START_TEST(mem_pair_full_ring)
{
	struct tern_port *a, *b;
	ck_assert_int_eq(tern_port_mem_pair("pairF", 4, 1500, &a, &b), 0);
	struct rte_mbuf *m[6];
	for (unsigned i = 0; i < 6; i++)
		m[i] = mk_frame(i);
	/* Depth is exact: four go in, the last two stay ours. */
	ck_assert_uint_eq(tern_port_tx(a, m, 6), 4);
	ck_assert_uint_eq(tern_port_tx(a, m + 4, 2), 0);
	struct rte_mbuf *r[8];
	ck_assert_uint_eq(tern_port_rx(b, r, 8), 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(seq_of(r[i]), i);
	free_all(r, 4);
	ck_assert_uint_eq(tern_port_tx(a, m + 4, 2), 2);
	ck_assert_uint_eq(tern_port_rx(b, r, 8), 2);
	ck_assert_uint_eq(seq_of(r[0]), 4);
	ck_assert_uint_eq(seq_of(r[1]), 5);
	free_all(r, 2);
	tern_port_close(b);
	tern_port_close(a);
}
END_TEST

START_TEST(mem_identity)
{
	struct tern_port *a, *b, *a2, *b2;
	ck_assert_int_eq(tern_port_mem_pair("ident", 8, 0, &a, &b), 0);
	ck_assert_int_eq(tern_port_mem_pair("ident", 8, 9000, &a2, &b2), 0);
	/* Locally administered unicast, deterministic per name, distinct. */
	ck_assert_uint_eq(a->mac[0], 0x02);
	ck_assert_uint_eq(b->mac[0], 0x02);
	ck_assert_mem_ne(a->mac, b->mac, 6);
	ck_assert_mem_eq(a->mac, a2->mac, 6);
	ck_assert_mem_eq(b->mac, b2->mac, 6);
	ck_assert_uint_eq(a->mtu, 1500);
	ck_assert_uint_eq(a2->mtu, 9000);
	ck_assert_str_ne(a->name, b->name);
	struct tern_port *o = tern_port_mem_open("other", 8, 0);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->mac[0], 0x02);
	ck_assert_mem_ne(o->mac, a->mac, 6);
	ck_assert_str_eq(o->name, "other");
	/* A name longer than the field is cut, not overrun. */
	struct tern_port *l = tern_port_mem_open("a-very-long-port-name-that-does-not-fit-32", 8, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_lt(strlen(l->name), sizeof(l->name));
	tern_port_close(l);
	tern_port_close(o);
	tern_port_close(a);
	tern_port_close(b);
	tern_port_close(a2);
	tern_port_close(b2);
	tern_port_close(NULL);
}
END_TEST

START_TEST(mem_inject_collect)
{
	struct tern_port *p = tern_port_mem_open("single", 16, 0);
	ck_assert_ptr_nonnull(p);
	struct rte_mbuf *m[20], *r[20];
	for (unsigned i = 0; i < 20; i++)
		m[i] = mk_frame(i);
	ck_assert_uint_eq(tern_port_mem_inject(p, m, 20), 16);
	free_all(m + 16, 4);
	ck_assert_uint_eq(tern_port_rx(p, r, 20), 16);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(seq_of(r[i]), i);
	/* What the port sends goes to collect, not back to its rx side. */
	ck_assert_uint_eq(tern_port_tx(p, r, 16), 16);
	ck_assert_uint_eq(tern_port_rx(p, m, 20), 0);
	ck_assert_uint_eq(tern_port_mem_collect(p, m, 10), 10);
	ck_assert_uint_eq(tern_port_mem_collect(p, m + 10, 10), 6);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(seq_of(m[i]), i);
	free_all(m, 16);
	ck_assert_uint_eq(tern_port_mem_collect(p, m, 10), 0);
	struct tern_port_stats s;
	ck_assert_int_eq(p->ops->stats(p, &s), 0);
	ck_assert_uint_eq(s.rx_packets, 16);
	ck_assert_uint_eq(s.tx_packets, 16);
	/* Left-overs on both sides are freed by close. */
	m[0] = mk_frame(1);
	m[1] = mk_frame(2);
	ck_assert_uint_eq(tern_port_mem_inject(p, m, 1), 1);
	ck_assert_uint_eq(tern_port_tx(p, m + 1, 1), 1);
	tern_port_close(p);
}
END_TEST

START_TEST(mem_inject_wrong_port)
{
	struct tern_port fake;
	memset(&fake, 0, sizeof(fake));
	struct rte_mbuf *m = NULL;
	ck_assert_uint_eq(tern_port_mem_inject(&fake, &m, 1), 0);
	ck_assert_uint_eq(tern_port_mem_collect(&fake, &m, 1), 0);
	ck_assert_uint_eq(tern_port_mem_inject(NULL, &m, 1), 0);
	ck_assert_ptr_null(tern_port_mem_open(NULL, 8, 0));
	struct tern_port *a, *b;
	ck_assert_int_eq(tern_port_mem_pair(NULL, 8, 0, &a, &b), -EINVAL);
}
END_TEST

/*
 * rte_eth_from_rings() lives in the net_ring PMD, which the EAL loads as a
 * plugin rather than the test linking it (libdpdk.pc lists no PMD for
 * shared builds). Find it in the already loaded plugin.
 */
typedef int (*from_rings_fn)(const char *, struct rte_ring *const[], const unsigned,
			     struct rte_ring *const[], const unsigned, const unsigned);

static from_rings_fn
find_from_rings(void)
{
	static const char *const names[] = {
		"librte_net_ring.so.23", "librte_net_ring.so.24", "librte_net_ring.so",
	};
	void *sym = dlsym(RTLD_DEFAULT, "rte_eth_from_rings");
	for (size_t i = 0; sym == NULL && i < sizeof(names) / sizeof(names[0]); i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_NOLOAD);
		if (h != NULL)
			sym = dlsym(h, "rte_eth_from_rings");
	}
	ck_assert_msg(sym != NULL, "net_ring PMD not loaded: %s", dlerror());
	from_rings_fn f;
	memcpy(&f, &sym, sizeof(f));   /* object to function pointer, without the cast warning */
	return f;
}

struct ring_dev {
	struct rte_ring *rx, *tx;
	uint16_t port_id;
};

static void
ring_dev_make(struct ring_dev *d, const char *name)
{
	char rn[RTE_RING_NAMESIZE];
	snprintf(rn, sizeof(rn), "%s_rx", name);
	d->rx = rte_ring_create(rn, 256, SOCKET_ID_ANY, 0);
	snprintf(rn, sizeof(rn), "%s_tx", name);
	d->tx = rte_ring_create(rn, 256, SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(d->rx);
	ck_assert_ptr_nonnull(d->tx);
	int id = find_from_rings()(name, &d->rx, 1, &d->tx, 1, (unsigned)rte_socket_id());
	ck_assert_int_ge(id, 0);
	d->port_id = (uint16_t)id;
}

static void
ring_dev_free(struct ring_dev *d)
{
	void *m;
	while (rte_ring_dequeue(d->rx, &m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(d->tx, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(d->rx);
	rte_ring_free(d->tx);
}

static void
ethdev_round_trip(const char *name, bool no_offload)
{
	struct ring_dev d;
	ring_dev_make(&d, name);
	struct tern_port *p = tern_port_ethdev_open(d.port_id, fixture_pool(), 1500, no_offload);
	ck_assert_ptr_nonnull(p);
	/* net_ring checks no sums; it does take chains (MULTI_SEGS), which
	 * no_offload turns off with the rest. */
	ck_assert_uint_eq(p->offloads & ~TERN_PORT_TX_MULTISEG, 0);
	if (no_offload)
		ck_assert_uint_eq(p->offloads, 0);
	ck_assert_uint_eq(p->mtu, 1500);
	ck_assert(p->ops->link_up(p));
	/* The ring reports a zero MAC; the port made up a usable one. */
	static const uint8_t zero[6];
	ck_assert_mem_ne(p->mac, zero, 6);
	ck_assert_uint_eq(p->mac[0] & 0x03, 0x02);   /* local, unicast */

	/* Frames the "wire" delivers come out of rx_burst, in order. */
	struct rte_mbuf *m[8], *r[16];
	for (unsigned i = 0; i < 8; i++)
		m[i] = mk_frame(50 + i);
	ck_assert_uint_eq(rte_ring_enqueue_burst(d.rx, (void **)m, 8, NULL), 8);
	ck_assert_uint_eq(tern_port_rx(p, r, 16), 8);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(seq_of(r[i]), 50 + i);
	/* And what the port sends lands on the wire. */
	ck_assert_uint_eq(tern_port_tx(p, r, 8), 8);
	ck_assert_uint_eq(rte_ring_dequeue_burst(d.tx, (void **)m, 8, NULL), 8);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(seq_of(m[i]), 50 + i);
	free_all(m, 8);

	struct tern_port_stats s;
	ck_assert_int_eq(p->ops->stats(p, &s), 0);
	ck_assert_uint_eq(s.rx_packets, 8);
	ck_assert_uint_eq(s.tx_packets, 8);
	tern_port_close(p);   /* (net_ring counts no bytes) */
	ck_assert(!rte_eth_dev_is_valid_port(d.port_id));
	ring_dev_free(&d);
}

START_TEST(ethdev_ring)
{
	ethdev_round_trip("net_ring_tp0", false);
}
END_TEST

START_TEST(ethdev_ring_no_offload)
{
	ethdev_round_trip("net_ring_tp1", true);
}
END_TEST

START_TEST(ethdev_bad_port)
{
	errno = 0;
	ck_assert_ptr_null(tern_port_ethdev_open(RTE_MAX_ETHPORTS - 1, fixture_pool(), 0, false));
	ck_assert_int_eq(errno, ENODEV);
}
END_TEST

static Suite *
port_suite(void)
{
	Suite *s = suite_create("port");
	TCase *tc = tcase_create("mem");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mem_pair_both_ways);
	tcase_add_test(tc, mem_pair_full_ring);
	tcase_add_test(tc, mem_identity);
	tcase_add_test(tc, mem_inject_collect);
	tcase_add_test(tc, mem_inject_wrong_port);
	suite_add_tcase(s, tc);
	tc = tcase_create("ethdev");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ethdev_ring);
	tcase_add_test(tc, ethdev_ring_no_offload);
	tcase_add_test(tc, ethdev_bad_port);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	fixture_pool();
	return fixture_run(port_suite()) == 0 ? 0 : 1;
}

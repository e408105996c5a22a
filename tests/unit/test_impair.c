/*
 * Impairment layer tests (drivers/impair.c): the spec parser, and each
 * impairment on a wrapper around an in-memory port, on a virtual clock.
 * The test plays the far end through tern_port_mem_inject()/collect().
 * Every test ends with the pool back at its starting count.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <rte_mbuf.h>

#include "fixture.h"
#include "impair.h"
#include "port.h"

#define ET_IPV4 0x0800
#define ET_ARP  0x0806
#define SEQ_OFF 34   /* after the Ethernet and a 20-byte IPv4 header */

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

/* Frame bytes: broadcast dst, 02:.. src, @p et; for IPv4 a version/IHL byte
 * and protocol @p proto; @p seq at SEQ_OFF when it fits; a pattern after. */
static size_t
frame_bytes(uint8_t *b, uint32_t seq, uint16_t et, uint8_t proto, size_t len)
{
	memset(b, 0, len);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seq * 31 + i * 7);
	if (len >= 14) {
		memset(b, 0xff, 6);
		b[6] = 0x02;
		b[12] = (uint8_t)(et >> 8);
		b[13] = (uint8_t)et;
	}
	if (et == ET_IPV4 && len >= 34) {
		b[14] = 0x45;
		b[23] = proto;
	}
	if (len >= SEQ_OFF + 4)
		for (int i = 0; i < 4; i++)
			b[SEQ_OFF + i] = (uint8_t)(seq >> (24 - 8 * i));
	return len;
}

static struct rte_mbuf *
mk(uint32_t seq, uint16_t et, uint8_t proto, size_t len)
{
	static uint8_t b[5000];
	ck_assert_uint_le(len, sizeof(b));
	frame_bytes(b, seq, et, proto, len);
	struct rte_mbuf *m = fixture_mbuf(b, len);
	ck_assert_ptr_nonnull(m);
	return m;
}

static struct rte_mbuf *
mk_udp(uint32_t seq)
{
	return mk(seq, ET_IPV4, 17, 80);
}

static uint32_t
seq_of(const struct rte_mbuf *m)
{
	uint8_t b[4];
	const uint8_t *p = rte_pktmbuf_read(m, SEQ_OFF, 4, b);
	ck_assert_ptr_nonnull(p);
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
free_all(struct rte_mbuf **m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

/* An inner in-memory port and the wrapper around it. */
struct rig {
	struct tern_port *inner;
	struct tern_port *imp;
};

static void
rig_open(struct rig *r, const struct tern_impair_conf *conf)
{
	r->inner = tern_port_mem_open("imp-inner", 1024, 0);
	ck_assert_ptr_nonnull(r->inner);
	r->imp = tern_impair_wrap(r->inner, fixture_pool(), conf);
	ck_assert_ptr_nonnull(r->imp);
}

static void
rig_close(struct rig *r)
{
	tern_port_close(r->imp);
	tern_port_close(r->inner);
}

static const struct tern_impair_counters *
ctr(struct rig *r, enum tern_impair_dir d)
{
	const struct tern_impair_counters *c = tern_impair_counters(r->imp, d);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* seen + duplicated == passed + lost + nth_dropped + pending (impair.h) */
static void
check_balance(struct rig *r, enum tern_impair_dir d)
{
	const struct tern_impair_counters *c = ctr(r, d);
	ck_assert_uint_eq(c->seen + c->duplicated,
			  c->passed + c->lost + c->nth_dropped + tern_impair_pending(r->imp, d));
}

/* Receive everything the wrapper hands out now into @p out (seq numbers),
 * freeing the frames. @return how many. */
static unsigned
rx_drain(struct rig *r, uint32_t *out, unsigned cap)
{
	unsigned n = 0;
	for (;;) {
		struct rte_mbuf *m[32];
		uint16_t k = tern_port_rx(r->imp, m, 32);
		for (uint16_t i = 0; i < k; i++) {
			ck_assert_uint_lt(n, cap);
			out[n++] = m[i]->pkt_len >= SEQ_OFF + 4 ? seq_of(m[i]) : UINT32_MAX;
		}
		free_all(m, k);
		if (k == 0)
			return n;
	}
}

/* Inject frames @p base.. through the rx side, @p batch at a time, and
 * collect the seq numbers that come out. @return frames out. */
static unsigned
rx_run(struct rig *r, uint32_t base, unsigned n, uint32_t *out, unsigned cap)
{
	unsigned got = 0;
	for (unsigned done = 0; done < n;) {
		struct rte_mbuf *m[256];
		unsigned k = n - done < 256 ? n - done : 256;
		for (unsigned i = 0; i < k; i++)
			m[i] = mk_udp(base + done + i);
		ck_assert_uint_eq(tern_port_mem_inject(r->inner, m, k), k);
		done += k;
		got += rx_drain(r, out + got, cap - got);
	}
	return got;
}

/* Collect what the wrapper sent into @p out (seq numbers), freeing frames. */
static unsigned
tx_collect(struct rig *r, uint32_t *out, unsigned cap)
{
	unsigned n = 0;
	for (;;) {
		struct rte_mbuf *m[32];
		unsigned k = tern_port_mem_collect(r->inner, m, 32);
		for (unsigned i = 0; i < k; i++) {
			ck_assert_uint_lt(n, cap);
			out[n++] = m[i]->pkt_len >= SEQ_OFF + 4 ? seq_of(m[i]) : UINT32_MAX;
		}
		free_all(m, k);
		if (k == 0)
			return n;
	}
}

static unsigned
tx_run(struct rig *r, uint32_t base, unsigned n, uint32_t *out, unsigned cap)
{
	unsigned got = 0;
	for (unsigned done = 0; done < n;) {
		struct rte_mbuf *m[256];
		unsigned k = n - done < 256 ? n - done : 256;
		for (unsigned i = 0; i < k; i++)
			m[i] = mk_udp(base + done + i);
		ck_assert_uint_eq(tern_port_tx(r->imp, m, (uint16_t)k), k);
		done += k;
		got += tx_collect(r, out + got, cap - got);
	}
	return got;
}

/* ---------------------------------------------------------------- parser */

START_TEST(parse_examples)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tern_impair_parse("rx:loss=1%,dup=0.5%;tx:nth=3,delay=2ms;seed=7", &c), 0);
	ck_assert_uint_eq(c.seed, 7);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].loss_ppm, 10000);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].dup_ppm, 5000);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_nth, 0);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].delay_ns, 0);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].loss_ppm, 0);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].drop_nth, 3);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].delay_ns, 2000000);

	/* The header's own example, seed inside a direction group. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tern_impair_parse("rx:loss=1%,dup=0.5%;tx:nth=3,delay=2ms,seed=7", &c), 0);
	ck_assert_uint_eq(c.seed, 7);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].drop_nth, 3);

	/* No prefix and "both:" set both directions. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tern_impair_parse("loss=250ppm;both:corrupt=0.0001%,truncate=100%", &c), 0);
	for (int d = 0; d < 2; d++) {
		ck_assert_uint_eq(c.dir[d].loss_ppm, 250);
		ck_assert_uint_eq(c.dir[d].corrupt_ppm, 1);
		ck_assert_uint_eq(c.dir[d].truncate_ppm, 1000000);
	}

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tern_impair_parse("tx:delay=1.5us,delay_rate=10%,reorder=.5%;"
					   "rx:delay=3s,every=4,proto=tcp,ethertype=ipv4;"
					   "seed=0xfF", &c), 0);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].delay_ns, 1500);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].delay_ppm, 100000);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].reorder_ppm, 5000);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].delay_ns, 3000000000ull);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_every, 4);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_nth, 4);   /* every alone: from the 4th */
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_match_proto, 6);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_match_ethertype, 0x0800);
	ck_assert_uint_eq(c.seed, 255);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tern_impair_parse("proto=icmp,ethertype=arp;rx:proto=udp,nth=2,every=5,"
					   "ethertype=0x86dd;tx:proto=132,ethertype=2054,delay=7ns", &c), 0);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_match_proto, 17);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_match_ethertype, 0x86dd);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_nth, 2);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].drop_every, 5);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].drop_match_proto, 132);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].drop_match_ethertype, 0x0806);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_TX].delay_ns, 7);

	/* Empty spec: nothing to change. Fields not named keep their value. */
	memset(&c, 0, sizeof(c));
	c.seed = 42;
	ck_assert_int_eq(tern_impair_parse("", &c), 0);
	ck_assert_uint_eq(c.seed, 42);
	ck_assert_int_eq(tern_impair_parse("rx:loss=100%", &c), 0);
	ck_assert_uint_eq(c.seed, 42);
	ck_assert_uint_eq(c.dir[TERN_IMPAIR_RX].loss_ppm, 1000000);
}
END_TEST

START_TEST(parse_malformed)
{
	static const char *const bad[] = {
		"loss", "loss=", "=1%", "loss=1", "loss=101%", "loss=-1%", "loss=+1%",
		"loss=1.00001%", "loss=abc%", "loss=1%%", "loss=1e3ppm", "loss=1000001ppm",
		"loss=0.5ppm", "loss=%", "loss=.%", "up:loss=1%", "rx:", "RX:loss=1%", "rx:loss=1%,",
		",loss=1%", "loss=1%;;dup=1%", "loss=1%;", ";loss=1%", "rx:tx:loss=1%",
		" loss=1%", "loss=1% ", "rx:loss=1%:", "delay=5", "delay=ms", "delay=0.5ns",
		"delay=1h", "delay=1.2.3ms", "delay=99999999999999999999s", "delay=18446744074s",
		"nth=x", "nth=-3", "nth=", "nth=0x", "every=1.5", "proto=sctpx", "proto=256",
		"proto=-1", "ethertype=0x10000", "ethertype=ipx", "ethertype=65536", "bogus=1",
		"seed=99999999999999999999999", "seed=0xfffffffffffffffff", "seed=7;tx:loss=x",
		"tx:dup=1%;rx:", "dup==1%", "loss=1%,dup", ":loss=1%",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tern_impair_conf c, before;
		memset(&c, 0x5a, sizeof(c));
		before = c;
		ck_assert_msg(tern_impair_parse(bad[i], &c) == -EINVAL, "accepted \"%s\"", bad[i]);
		/* A rejected spec leaves the configuration as it was. */
		ck_assert_msg(memcmp(&c, &before, sizeof(c)) == 0, "\"%s\" changed conf", bad[i]);
	}
	struct tern_impair_conf c;
	ck_assert_int_eq(tern_impair_parse(NULL, &c), -EINVAL);
	ck_assert_int_eq(tern_impair_parse("loss=1%", NULL), -EINVAL);
}
END_TEST

/* ----------------------------------------------------------- wrapper */

START_TEST(wrap_args)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	struct tern_port *inner = tern_port_mem_open("wrap-args", 8, 0);
	ck_assert_ptr_null(tern_impair_wrap(NULL, fixture_pool(), &c));
	ck_assert_ptr_null(tern_impair_wrap(inner, NULL, &c));
	ck_assert_ptr_null(tern_impair_wrap(inner, fixture_pool(), NULL));
	c.dir[1].dup_ppm = 1000001;
	ck_assert_ptr_null(tern_impair_wrap(inner, fixture_pool(), &c));
	/* Not an impairment port: accessors refuse quietly. */
	ck_assert_ptr_null(tern_impair_counters(inner, TERN_IMPAIR_RX));
	ck_assert_uint_eq(tern_impair_pending(inner, TERN_IMPAIR_RX), 0);
	tern_impair_set_now(inner, 5);
	tern_impair_print(stderr, inner);

	/* Identity and offloads: corruption turns off the checksum offloads
	 * that would hide it, and only in its direction. */
	inner->offloads = TERN_PORT_RX_IPV4_CKSUM | TERN_PORT_RX_L4_CKSUM |
			  TERN_PORT_TX_IPV4_CKSUM | TERN_PORT_TX_UDP_CKSUM |
			  TERN_PORT_TX_TCP_CKSUM | TERN_PORT_TX_MULTISEG;
	memset(&c, 0, sizeof(c));
	c.dir[TERN_IMPAIR_RX].corrupt_ppm = 1;
	struct tern_port *p = tern_impair_wrap(inner, fixture_pool(), &c);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p->mac, inner->mac, 6);
	ck_assert_uint_eq(p->mtu, inner->mtu);
	ck_assert_uint_eq(p->offloads, TERN_PORT_TX_IPV4_CKSUM | TERN_PORT_TX_UDP_CKSUM |
			  TERN_PORT_TX_TCP_CKSUM | TERN_PORT_TX_MULTISEG);
	ck_assert(p->ops->link_up(p));
	tern_port_close(p);
	c.dir[TERN_IMPAIR_RX].corrupt_ppm = 0;
	c.dir[TERN_IMPAIR_TX].corrupt_ppm = 1;
	p = tern_impair_wrap(inner, fixture_pool(), &c);
	ck_assert_uint_eq(p->offloads, TERN_PORT_RX_IPV4_CKSUM | TERN_PORT_RX_L4_CKSUM |
			  TERN_PORT_TX_MULTISEG);
	tern_port_close(p);
	tern_port_close(inner);
}
END_TEST

START_TEST(passthrough)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	struct rig r;
	rig_open(&r, &c);
	static uint32_t out[600];
	ck_assert_uint_eq(rx_run(&r, 0, 600, out, 600), 600);
	for (unsigned i = 0; i < 600; i++)
		ck_assert_uint_eq(out[i], i);
	ck_assert_uint_eq(tx_run(&r, 0, 600, out, 600), 600);
	for (unsigned i = 0; i < 600; i++)
		ck_assert_uint_eq(out[i], i);
	for (int d = 0; d < 2; d++) {
		ck_assert_uint_eq(ctr(&r, d)->seen, 600);
		ck_assert_uint_eq(ctr(&r, d)->passed, 600);
		check_balance(&r, d);
	}
	struct tern_port_stats s;
	ck_assert_int_eq(r.imp->ops->stats(r.imp, &s), 0);   /* the inner port's */
	ck_assert_uint_eq(s.rx_packets, 600);
	ck_assert_uint_eq(s.tx_packets, 600);
	rig_close(&r);
}
END_TEST

START_TEST(loss_all_and_none)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.dir[TERN_IMPAIR_RX].loss_ppm = 1000000;
	c.dir[TERN_IMPAIR_TX].loss_ppm = 1000000;
	struct rig r;
	rig_open(&r, &c);
	static uint32_t out[1000];
	ck_assert_uint_eq(rx_run(&r, 0, 1000, out, 1000), 0);
	ck_assert_uint_eq(tx_run(&r, 0, 1000, out, 1000), 0);
	for (int d = 0; d < 2; d++) {
		ck_assert_uint_eq(ctr(&r, d)->lost, 1000);
		ck_assert_uint_eq(ctr(&r, d)->passed, 0);
		check_balance(&r, d);
	}
	rig_close(&r);

	memset(&c, 0, sizeof(c));
	c.seed = 99;
	rig_open(&r, &c);
	ck_assert_uint_eq(rx_run(&r, 0, 1000, out, 1000), 1000);
	ck_assert_uint_eq(tx_run(&r, 0, 1000, out, 1000), 1000);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_RX)->lost, 0);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->lost, 0);
	rig_close(&r);
}
END_TEST

START_TEST(loss_rate)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.seed = 12345;
	c.dir[TERN_IMPAIR_RX].loss_ppm = 100000;   /* 10% */
	c.dir[TERN_IMPAIR_TX].loss_ppm = 20000;    /* 2% */
	struct rig r;
	rig_open(&r, &c);
	static uint32_t out[10000];
	unsigned got = rx_run(&r, 0, 10000, out, 10000);
	/* Expect 1000 lost, sd 30: +-200 is over six sigma, and with a fixed
	 * seed the count is the same on every run anyway. */
	ck_assert_uint_ge(ctr(&r, TERN_IMPAIR_RX)->lost, 800);
	ck_assert_uint_le(ctr(&r, TERN_IMPAIR_RX)->lost, 1200);
	ck_assert_uint_eq(got + ctr(&r, TERN_IMPAIR_RX)->lost, 10000);
	for (unsigned i = 1; i < got; i++)
		ck_assert_uint_lt(out[i - 1], out[i]);   /* survivors keep their order */
	got = tx_run(&r, 0, 10000, out, 10000);
	ck_assert_uint_ge(ctr(&r, TERN_IMPAIR_TX)->lost, 120);   /* expect 200, sd 14 */
	ck_assert_uint_le(ctr(&r, TERN_IMPAIR_TX)->lost, 280);
	ck_assert_uint_eq(got + ctr(&r, TERN_IMPAIR_TX)->lost, 10000);
	check_balance(&r, TERN_IMPAIR_RX);
	check_balance(&r, TERN_IMPAIR_TX);
	rig_close(&r);
}
END_TEST

/* A busy mix, recorded as the sequence of seq numbers coming out. */
static unsigned
mixed_run(uint64_t seed, enum tern_impair_dir d, uint32_t *out, unsigned cap,
	  struct tern_impair_counters *cnt)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.seed = seed;
	c.dir[d].loss_ppm = 200000;
	c.dir[d].dup_ppm = 100000;
	c.dir[d].reorder_ppm = 100000;
	c.dir[d].truncate_ppm = 50000;
	struct rig r;
	rig_open(&r, &c);
	unsigned n = d == TERN_IMPAIR_RX ? rx_run(&r, 0, 2000, out, cap)
					 : tx_run(&r, 0, 2000, out, cap);
	*cnt = *ctr(&r, d);
	rig_close(&r);
	return n;
}

START_TEST(same_seed_same_actions)
{
	static uint32_t a[5000], b[5000];
	for (int d = 0; d < 2; d++) {
		struct tern_impair_counters ca, cb;
		unsigned na = mixed_run(7, d, a, 5000, &ca);
		unsigned nb = mixed_run(7, d, b, 5000, &cb);
		ck_assert_uint_eq(na, nb);
		ck_assert_mem_eq(a, b, na * sizeof(a[0]));
		ck_assert_mem_eq(&ca, &cb, sizeof(ca));
		ck_assert_uint_gt(ca.lost, 0);
		ck_assert_uint_gt(ca.duplicated, 0);
		ck_assert_uint_gt(ca.reordered, 0);
		ck_assert_uint_gt(ca.truncated, 0);

		nb = mixed_run(8, d, b, 5000, &cb);
		ck_assert(na != nb || memcmp(a, b, na * sizeof(a[0])) != 0);
		ck_assert(memcmp(&ca, &cb, sizeof(ca)) != 0);
	}
}
END_TEST

START_TEST(seed_differs_per_direction)
{
	/* One seed, both directions on: rx and tx draw different streams. */
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.seed = 3;
	c.dir[0].loss_ppm = c.dir[1].loss_ppm = 500000;
	struct rig r;
	rig_open(&r, &c);
	static uint32_t a[400], b[400];
	unsigned na = rx_run(&r, 0, 400, a, 400);
	unsigned nb = tx_run(&r, 0, 400, b, 400);
	ck_assert(na != nb || memcmp(a, b, na * sizeof(a[0])) != 0);
	rig_close(&r);
}
END_TEST

START_TEST(nth_drop)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.dir[TERN_IMPAIR_RX].drop_nth = 3;
	c.dir[TERN_IMPAIR_RX].drop_match_proto = 17;   /* UDP */
	struct rig r;
	rig_open(&r, &c);
	/* seq: 0 tcp, 1 udp, 2 arp, 3 udp, 4 short "ipv4" frame (too short to
	 * have a protocol byte), 5 tcp, 6 udp (3rd UDP: dropped), 7 udp. */
	struct rte_mbuf *m[8] = {
		mk(0, ET_IPV4, 6, 80), mk(1, ET_IPV4, 17, 80), mk(2, ET_ARP, 17, 80),
		mk(3, ET_IPV4, 17, 80), mk(4, ET_IPV4, 17, 20), mk(5, ET_IPV4, 6, 80),
		mk(6, ET_IPV4, 17, 80), mk(7, ET_IPV4, 17, 80),
	};
	ck_assert_uint_eq(tern_port_mem_inject(r.inner, m, 8), 8);
	struct rte_mbuf *o[16];
	ck_assert_uint_eq(tern_port_rx(r.imp, o, 16), 7);
	static const uint32_t want[] = { 0, 1, 2, 3, UINT32_MAX, 5, 7 };
	for (unsigned i = 0; i < 7; i++) {
		uint32_t s = o[i]->pkt_len >= SEQ_OFF + 4 ? seq_of(o[i]) : UINT32_MAX;
		ck_assert_uint_eq(s, want[i]);
	}
	free_all(o, 7);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_RX)->nth_dropped, 1);
	/* Once only: no later UDP frame is dropped. */
	uint32_t out[50];
	ck_assert_uint_eq(rx_run(&r, 100, 50, out, 50), 50);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_RX)->nth_dropped, 1);
	check_balance(&r, TERN_IMPAIR_RX);
	rig_close(&r);
}
END_TEST

START_TEST(nth_every)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tern_impair_parse("tx:nth=2,every=3,ethertype=ipv4", &c), 0);
	struct rig r;
	rig_open(&r, &c);
	/* Matches 2, 5, 8, 11 go: frames 1, 4, 7, 10 (0-based), ARP ignored. */
	struct rte_mbuf *arp = mk(999, ET_ARP, 0, 60);
	ck_assert_uint_eq(tern_port_tx(r.imp, &arp, 1), 1);
	uint32_t out[32];
	ck_assert_uint_eq(tx_run(&r, 0, 12, out, 32), 9);
	static const uint32_t want[] = { 999, 0, 2, 3, 5, 6, 8, 9, 11 };
	for (unsigned i = 0; i < 9; i++)
		ck_assert_uint_eq(out[i], want[i]);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->nth_dropped, 4);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->seen, 13);
	check_balance(&r, TERN_IMPAIR_TX);
	rig_close(&r);
}
END_TEST

START_TEST(dup_identical)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.dir[TERN_IMPAIR_TX].dup_ppm = 1000000;
	c.dir[TERN_IMPAIR_RX].dup_ppm = 1000000;
	struct rig r;
	rig_open(&r, &c);
	/* tx: frames of several sizes, one chained (beyond one segment). */
	static const size_t len[] = { 60, 80, 1514, 3000 };
	for (unsigned i = 0; i < 4; i++) {
		struct rte_mbuf *m = mk(i, ET_IPV4, 6, len[i]);
		ck_assert_uint_eq(tern_port_tx(r.imp, &m, 1), 1);
	}
	struct rte_mbuf *o[16];
	ck_assert_uint_eq(tern_port_mem_collect(r.inner, o, 16), 8);
	static uint8_t want[3000], got[3000];
	for (unsigned i = 0; i < 4; i++) {
		frame_bytes(want, i, ET_IPV4, 6, len[i]);
		for (unsigned k = 0; k < 2; k++) {
			struct rte_mbuf *x = o[2 * i + k];
			ck_assert_uint_eq(x->pkt_len, len[i]);
			ck_assert_uint_eq(fixture_mbuf_read(x, got, sizeof(got)), len[i]);
			ck_assert_mem_eq(got, want, len[i]);
		}
		ck_assert_ptr_ne(o[2 * i], o[2 * i + 1]);
	}
	free_all(o, 8);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->duplicated, 4);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->passed, 8);
	check_balance(&r, TERN_IMPAIR_TX);

	uint32_t out[64];
	ck_assert_uint_eq(rx_run(&r, 0, 20, out, 64), 40);
	for (unsigned i = 0; i < 40; i++)
		ck_assert_uint_eq(out[i], i / 2);
	check_balance(&r, TERN_IMPAIR_RX);
	rig_close(&r);
}
END_TEST

START_TEST(reorder_swaps)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.dir[TERN_IMPAIR_RX].reorder_ppm = 1000000;
	c.dir[TERN_IMPAIR_TX].reorder_ppm = 1000000;
	struct rig r;
	rig_open(&r, &c);
	/* Every frame wants holding; the slot takes one at a time, so pairs swap. */
	uint32_t out[16];
	ck_assert_uint_eq(rx_run(&r, 0, 6, out, 16), 6);
	static const uint32_t want[] = { 1, 0, 3, 2, 5, 4 };
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_RX)->reordered, 3);
	ck_assert_uint_eq(tx_run(&r, 0, 6, out, 16), 6);
	ck_assert_mem_eq(out, want, sizeof(want));
	/* An odd frame out waits for a next one: held, then freed by close. */
	ck_assert_uint_eq(tx_run(&r, 6, 1, out, 16), 0);
	ck_assert_uint_eq(tern_impair_pending(r.imp, TERN_IMPAIR_TX), 1);
	check_balance(&r, TERN_IMPAIR_TX);
	check_balance(&r, TERN_IMPAIR_RX);
	rig_close(&r);
}
END_TEST

START_TEST(delay_virtual_clock)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tern_impair_parse("delay=2ms", &c), 0);
	struct rig r;
	rig_open(&r, &c);
	uint64_t t0 = 1000000000ull;
	tern_impair_set_now(r.imp, t0);

	/* tx: held until now >= sent + 2 ms, released by any later call. */
	uint32_t out[16];
	ck_assert_uint_eq(tx_run(&r, 0, 5, out, 16), 0);
	ck_assert_uint_eq(tern_impair_pending(r.imp, TERN_IMPAIR_TX), 5);
	tern_impair_set_now(r.imp, t0 + 1999999);
	ck_assert_uint_eq(tern_port_tx(r.imp, NULL, 0), 0);
	ck_assert_uint_eq(tx_collect(&r, out, 16), 0);
	tern_impair_set_now(r.imp, t0 + 1000000);
	ck_assert_uint_eq(tx_run(&r, 5, 3, out, 16), 0);   /* due at t0 + 3 ms */
	tern_impair_set_now(r.imp, t0 + 2000000);
	struct rte_mbuf *none[1];
	ck_assert_uint_eq(tern_port_rx(r.imp, none, 1), 0);   /* rx polls flush tx */
	ck_assert_uint_eq(tx_collect(&r, out, 16), 5);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(out[i], i);
	tern_impair_set_now(r.imp, t0 + 3000000);
	ck_assert_uint_eq(tern_port_tx(r.imp, NULL, 0), 0);
	ck_assert_uint_eq(tx_collect(&r, out, 16), 3);
	ck_assert_uint_eq(out[0], 5);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->delayed, 8);
	check_balance(&r, TERN_IMPAIR_TX);

	/* rx: same on the way in. */
	tern_impair_set_now(r.imp, t0 + 10000000);
	ck_assert_uint_eq(rx_run(&r, 20, 4, out, 16), 0);
	ck_assert_uint_eq(tern_impair_pending(r.imp, TERN_IMPAIR_RX), 4);
	tern_impair_set_now(r.imp, t0 + 11999999);
	ck_assert_uint_eq(rx_drain(&r, out, 16), 0);
	tern_impair_set_now(r.imp, t0 + 12000000);
	ck_assert_uint_eq(rx_drain(&r, out, 16), 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(out[i], 20 + i);
	check_balance(&r, TERN_IMPAIR_RX);

	/* Frames still delayed at close are freed. */
	ck_assert_uint_eq(rx_run(&r, 30, 3, out, 16), 0);
	ck_assert_uint_eq(tx_run(&r, 30, 3, out, 16), 0);
	rig_close(&r);
}
END_TEST

START_TEST(delay_rate_some)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.seed = 5;
	c.dir[TERN_IMPAIR_RX].delay_ns = 1000;
	c.dir[TERN_IMPAIR_RX].delay_ppm = 500000;
	struct rig r;
	rig_open(&r, &c);
	static uint32_t out[1000];
	unsigned now_out = rx_run(&r, 0, 1000, out, 1000);
	uint64_t delayed = ctr(&r, TERN_IMPAIR_RX)->delayed;
	ck_assert_uint_gt(delayed, 350);
	ck_assert_uint_lt(delayed, 650);
	ck_assert_uint_eq(now_out + delayed, 1000);
	tern_impair_set_now(r.imp, 1000);
	ck_assert_uint_eq(rx_drain(&r, out, 1000), delayed);
	check_balance(&r, TERN_IMPAIR_RX);
	ck_assert_uint_eq(tern_impair_pending(r.imp, TERN_IMPAIR_RX), 0);
	rig_close(&r);
}
END_TEST

static unsigned
bits_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
	unsigned d = 0;
	for (size_t i = 0; i < n; i++)
		d += (unsigned)__builtin_popcount((unsigned)(a[i] ^ b[i]));
	return d;
}

START_TEST(corrupt_one_bit)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.seed = 11;
	c.dir[TERN_IMPAIR_RX].corrupt_ppm = 1000000;
	c.dir[TERN_IMPAIR_TX].corrupt_ppm = 1000000;
	struct rig r;
	rig_open(&r, &c);
	static uint8_t want[3000], got[3000];
	/* rx, 200 frames, sizes 15..214: one bit each, never the first 14
	 * bytes, and the NIC's "checksum good" is forgotten. */
	for (unsigned i = 0; i < 200; i++) {
		size_t len = 15 + i;
		struct rte_mbuf *m = mk(i, ET_IPV4, 17, len);
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		ck_assert_uint_eq(tern_port_mem_inject(r.inner, &m, 1), 1);
		struct rte_mbuf *o;
		ck_assert_uint_eq(tern_port_rx(r.imp, &o, 1), 1);
		frame_bytes(want, i, ET_IPV4, 17, len);
		ck_assert_uint_eq(fixture_mbuf_read(o, got, sizeof(got)), len);
		ck_assert_uint_eq(bits_differ(got, want, len), 1);
		ck_assert_mem_eq(got, want, 14);
		ck_assert_uint_eq(o->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, 0);
		ck_assert_uint_eq(o->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, 0);
		rte_pktmbuf_free(o);
	}
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_RX)->corrupted, 200);

	/* A bare Ethernet header has nothing to corrupt. */
	struct rte_mbuf *m = mk(0, ET_IPV4, 17, 14);
	ck_assert_uint_eq(tern_port_tx(r.imp, &m, 1), 1);
	ck_assert_uint_eq(tern_port_mem_collect(r.inner, &m, 1), 1);
	frame_bytes(want, 0, ET_IPV4, 17, 14);
	ck_assert_uint_eq(fixture_mbuf_read(m, got, sizeof(got)), 14);
	ck_assert_mem_eq(got, want, 14);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->corrupted, 0);

	/* tx, a frame the sender still holds (refcnt 2, as TCP keeps a
	 * segment for retransmission) and a chained one: the sender's copy
	 * must stay intact. */
	static const size_t len[] = { 100, 3000 };
	for (unsigned i = 0; i < 2; i++) {
		m = mk(i, ET_IPV4, 6, len[i]);
		rte_mbuf_refcnt_update(m, 1);
		ck_assert_uint_eq(tern_port_tx(r.imp, &m, 1), 1);
		struct rte_mbuf *o;
		ck_assert_uint_eq(tern_port_mem_collect(r.inner, &o, 1), 1);
		frame_bytes(want, i, ET_IPV4, 6, len[i]);
		ck_assert_uint_eq(fixture_mbuf_read(m, got, sizeof(got)), len[i]);
		ck_assert_mem_eq(got, want, len[i]);   /* ours untouched */
		ck_assert_uint_eq(rte_mbuf_refcnt_read(m), 1);
		ck_assert_uint_eq(fixture_mbuf_read(o, got, sizeof(got)), len[i]);
		ck_assert_uint_eq(bits_differ(got, want, len[i]), 1);
		ck_assert_mem_eq(got, want, 14);
		rte_pktmbuf_free(o);
		rte_pktmbuf_free(m);
	}
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->corrupted, 2);
	check_balance(&r, TERN_IMPAIR_RX);
	check_balance(&r, TERN_IMPAIR_TX);
	rig_close(&r);
}
END_TEST

START_TEST(truncate_shortens)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	c.seed = 21;
	c.dir[TERN_IMPAIR_TX].truncate_ppm = 1000000;
	struct rig r;
	rig_open(&r, &c);
	static uint8_t want[3000], got[3000];
	static const size_t len[] = { 2, 60, 100, 1514, 3000, 2500 };
	for (unsigned i = 0; i < 6; i++) {
		struct rte_mbuf *m = mk(i, ET_IPV4, 6, len[i]);
		bool shared = i % 2 == 1;
		if (shared)
			rte_mbuf_refcnt_update(m, 1);
		ck_assert_uint_eq(tern_port_tx(r.imp, &m, 1), 1);
		struct rte_mbuf *o;
		ck_assert_uint_eq(tern_port_mem_collect(r.inner, &o, 1), 1);
		frame_bytes(want, i, ET_IPV4, 6, len[i]);
		ck_assert_uint_ge(o->pkt_len, 1);
		ck_assert_uint_lt(o->pkt_len, len[i]);
		size_t n = fixture_mbuf_read(o, got, sizeof(got));
		ck_assert_uint_eq(n, o->pkt_len);
		ck_assert_mem_eq(got, want, n);   /* a prefix of the original */
		if (shared) {
			ck_assert_uint_eq(m->pkt_len, len[i]);   /* the sender's is whole */
			rte_pktmbuf_free(m);
		}
		rte_pktmbuf_free(o);
	}
	/* One byte cannot get shorter. */
	struct rte_mbuf *m = mk(0, ET_IPV4, 6, 1);
	ck_assert_uint_eq(tern_port_tx(r.imp, &m, 1), 1);
	ck_assert_uint_eq(tern_port_mem_collect(r.inner, &m, 1), 1);
	ck_assert_uint_eq(m->pkt_len, 1);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(ctr(&r, TERN_IMPAIR_TX)->truncated, 6);
	check_balance(&r, TERN_IMPAIR_TX);
	rig_close(&r);
}
END_TEST

START_TEST(counters_add_up)
{
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(tern_impair_parse("loss=5%,nth=5,every=7,dup=10%,reorder=10%,"
					   "delay=1ms,delay_rate=10%,corrupt=5%,truncate=5%;"
					   "seed=2024", &c), 0);
	struct rig r;
	rig_open(&r, &c);
	static uint32_t out_rx[4000], out_tx[4000];
	uint64_t now = 0;
	unsigned got_rx = 0, got_tx = 0;
	for (unsigned step = 0; step < 30; step++) {
		tern_impair_set_now(r.imp, now);
		got_rx += rx_run(&r, step * 100, 100, out_rx + got_rx, 4000 - got_rx);
		got_tx += tx_run(&r, step * 100, 100, out_tx + got_tx, 4000 - got_tx);
		check_balance(&r, TERN_IMPAIR_RX);
		check_balance(&r, TERN_IMPAIR_TX);
		now += 300000;
	}
	/* Let every delayed frame out; one may stay held for reordering. */
	tern_impair_set_now(r.imp, now + 10000000);
	got_rx += rx_drain(&r, out_rx + got_rx, 4000 - got_rx);
	ck_assert_uint_eq(tern_port_tx(r.imp, NULL, 0), 0);
	got_tx += tx_collect(&r, out_tx + got_tx, 4000 - got_tx);
	for (int d = 0; d < 2; d++) {
		const struct tern_impair_counters *k = ctr(&r, d);
		check_balance(&r, d);
		ck_assert_uint_le(tern_impair_pending(r.imp, d), 1);
		ck_assert_uint_eq(k->seen, 3000);
		ck_assert_uint_eq(k->passed, d == TERN_IMPAIR_RX ? got_rx : got_tx);
		ck_assert_uint_gt(k->lost, 0);
		ck_assert_uint_gt(k->nth_dropped, 0);
		ck_assert_uint_gt(k->duplicated, 0);
		ck_assert_uint_gt(k->reordered, 0);
		ck_assert_uint_gt(k->delayed, 0);
		ck_assert_uint_gt(k->corrupted, 0);
		ck_assert_uint_gt(k->truncated, 0);
	}
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	ck_assert_ptr_nonnull(f);
	tern_impair_print(f, r.imp);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "impair rx: seen 3000"));
	ck_assert_ptr_nonnull(strstr(buf, "impair tx: seen 3000"));
	free(buf);
	rig_close(&r);
}
END_TEST

START_TEST(tx_backpressure)
{
	/* Inner port with room for 8: the wrapper takes what fits in its own
	 * queue, retries the refused frames later, in order, and never drops. */
	struct tern_impair_conf c;
	memset(&c, 0, sizeof(c));
	struct tern_port *inner = tern_port_mem_open("bp-inner", 8, 0);
	struct tern_port *p = tern_impair_wrap(inner, fixture_pool(), &c);
	ck_assert_ptr_nonnull(p);
	struct rte_mbuf *m[32], *o[32];
	for (unsigned i = 0; i < 20; i++)
		m[i] = mk_udp(i);
	ck_assert_uint_eq(tern_port_tx(p, m, 20), 20);
	ck_assert_uint_eq(tern_impair_pending(p, TERN_IMPAIR_TX), 12);
	uint32_t next = 0;
	for (int round = 0; round < 4; round++) {
		unsigned k = tern_port_mem_collect(inner, o, 32);
		for (unsigned i = 0; i < k; i++)
			ck_assert_uint_eq(seq_of(o[i]), next++);
		free_all(o, k);
		ck_assert_uint_eq(tern_port_tx(p, NULL, 0), 0);   /* retry */
	}
	ck_assert_uint_eq(next, 20);
	ck_assert_uint_eq(tern_impair_pending(p, TERN_IMPAIR_TX), 0);

	/* Flood: the wrapper stops taking when its queue is full; what it
	 * did not take is ours to free. Close frees what it holds. */
	unsigned taken = 0, offered = 0;
	for (int round = 0; round < 60; round++) {
		for (unsigned i = 0; i < 32; i++)
			m[i] = mk_udp(1000 + offered + i);
		uint16_t k = tern_port_tx(p, m, 32);
		taken += k;
		offered += 32;
		free_all(m + k, 32 - k);
	}
	ck_assert_uint_lt(taken, offered);
	ck_assert_uint_eq(taken, 8 + tern_impair_pending(p, TERN_IMPAIR_TX));
	const struct tern_impair_counters *k = tern_impair_counters(p, TERN_IMPAIR_TX);
	ck_assert_uint_eq(k->seen, 20 + taken);
	ck_assert_uint_eq(k->passed, 28);
	tern_port_close(p);
	tern_port_close(inner);
}
END_TEST

static Suite *
impair_suite(void)
{
	Suite *s = suite_create("impair");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, parse_examples);
	tcase_add_test(tc, parse_malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("wrap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wrap_args);
	tcase_add_test(tc, passthrough);
	tcase_add_test(tc, loss_all_and_none);
	tcase_add_test(tc, loss_rate);
	tcase_add_test(tc, same_seed_same_actions);
	tcase_add_test(tc, seed_differs_per_direction);
	tcase_add_test(tc, nth_drop);
	tcase_add_test(tc, nth_every);
	tcase_add_test(tc, dup_identical);
	tcase_add_test(tc, reorder_swaps);
	tcase_add_test(tc, delay_virtual_clock);
	tcase_add_test(tc, delay_rate_some);
	tcase_add_test(tc, corrupt_one_bit);
	tcase_add_test(tc, truncate_shortens);
	tcase_add_test(tc, counters_add_up);
	tcase_add_test(tc, tx_backpressure);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	fixture_pool();
	return fixture_run(impair_suite()) == 0 ? 0 : 1;
}

/*
 * Shared fixture of the DPDK-backed unit tests: EAL started once per test
 * program (no hugepages, no PCI, a file prefix of its own) and one mbuf pool
 * with Tern's private area. fixture_pool_check() is the leak gate every
 * teardown calls: the pool must be back to its starting count.
 */
#ifndef TERN_TEST_FIXTURE_H
#define TERN_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <netinet/in.h>

struct rte_mempool;
struct rte_mbuf;

/** Start EAL (idempotent) and return the shared pool (8191 mbufs). */
struct rte_mempool *fixture_pool(void);
/** Mbufs currently free in the shared pool. */
unsigned fixture_pool_avail(void);
/** ck_assert that the pool holds @p expect free mbufs. */
#define fixture_pool_check(expect) \
	ck_assert_uint_eq(fixture_pool_avail(), (expect))
/** An mbuf holding a copy of @p len bytes (chained if larger than a segment). */
struct rte_mbuf *fixture_mbuf(const void *data, size_t len);
/** Copy an mbuf chain out into @p buf; @return bytes copied. */
size_t fixture_mbuf_read(const struct rte_mbuf *m, void *buf, size_t cap);
/** An IPv4 socket address, host-order arguments. */
struct sockaddr_in fixture_sin(uint32_t ip, uint16_t port);
struct tern_port;
struct tern_rt;
/** Two INLINE runtimes back to back over an in-memory port pair, on the
 *  shared pool; nothing drives them but the test. */
struct fixture_inline {
	struct tern_port *port_a, *port_b;
	struct tern_rt *rt_a, *rt_b;
	unsigned pool_start;
};
/** A at @p ip_a (seed), B at @p ip_b (seed + 1), both /24. */
void fixture_inline_up(struct fixture_inline *p, const char *name, uint32_t ip_a,
		       uint32_t ip_b, uint64_t seed);
/** Stop both and close the ports; every mbuf must be back. */
void fixture_inline_down(struct fixture_inline *p);
/** Run a suite without forking (EAL state is per process). @return failures. */
int fixture_run(Suite *s);

#endif

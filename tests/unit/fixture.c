/* EAL + pool fixture for the DPDK-backed unit tests (see fixture.h). */
#include "fixture.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "port.h"
#include "sockif.h"
#include "tern.h"

static struct rte_mempool *pool;

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* EAL leaves /var/run/dpdk/<prefix> behind; every test program has a prefix
 * of its own, so remove it rather than let runs pile them up. */
static void
fixture_cleanup(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

struct rte_mempool *
fixture_pool(void)
{
	if (pool != NULL)
		return pool;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=tern-unit-%d", (int)getpid());
	char *argv[] = { "unit", "--no-huge", "-m", "512", "--no-pci", prefix,
			 "--log-level=lib.eal:error", "--no-telemetry", "-l", "0", NULL };
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		abort();
	}
	atexit(fixture_cleanup);
	pool = rte_pktmbuf_pool_create("unit_pool", 8191, 0, TERN_MBUF_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
		abort();
	}
	return pool;
}

unsigned
fixture_pool_avail(void)
{
	return rte_mempool_avail_count(fixture_pool());
}

struct rte_mbuf *
fixture_mbuf(const void *data, size_t len)
{
	return tern_mbuf_from_buf(fixture_pool(), data, len, 0);
}

size_t
fixture_mbuf_read(const struct rte_mbuf *m, void *buf, size_t cap)
{
	size_t n = m->pkt_len < cap ? m->pkt_len : cap;
	const void *p = rte_pktmbuf_read(m, 0, (uint32_t)n, buf);
	if (p != buf && p != NULL)
		memcpy(buf, p, n);
	return n;
}

int
fixture_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

struct sockaddr_in
fixture_sin(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(ip);
	a.sin_port = htons(port);
	return a;
}

void
fixture_inline_up(struct fixture_inline *p, const char *name, uint32_t ip_a, uint32_t ip_b,
		  uint64_t seed)
{
	p->pool_start = fixture_pool_avail();
	ck_assert_int_eq(tern_port_mem_pair(name, 1024, 1500, &p->port_a, &p->port_b), 0);
	struct tern_conf c = {
		.mode = TERN_MODE_INLINE, .port = p->port_a, .pool = fixture_pool(),
		.ip = ip_a, .prefix_len = 24, .seed = seed,
	};
	p->rt_a = tern_start(&c);
	ck_assert_ptr_nonnull(p->rt_a);
	c.port = p->port_b;
	c.ip = ip_b;
	c.seed = seed + 1;
	p->rt_b = tern_start(&c);
	ck_assert_ptr_nonnull(p->rt_b);
}

void
fixture_inline_down(struct fixture_inline *p)
{
	tern_stop(p->rt_a);
	tern_stop(p->rt_b);
	tern_port_close(p->port_a);
	tern_port_close(p->port_b);
	p->rt_a = p->rt_b = NULL;
	p->port_a = p->port_b = NULL;
	fixture_pool_check(p->pool_start);
}

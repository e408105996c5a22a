/* Two runtimes back to back, LCORE and driven INLINE (see fixture_pair.h). */
#include "fixture_pair.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "port.h"
#include "sockif.h"
#include "tern.h"

static struct rte_mempool *pair_pool;

int
fixture_pair_eal(const char *name)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "one CPU: skipped\n");
		return 77;
	}
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=tern-%s-%d", name, (int)getpid());
	char *argv[] = { "unit", "--no-huge", "-m", "512", "--no-pci", prefix,
			 "--log-level=lib.eal:error", "--no-telemetry", "-l", "0-1", NULL };
	if (tern_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "EAL: %s: skipped\n", strerror(errno));
		return 77;
	}
	char pname[64];
	snprintf(pname, sizeof(pname), "%s_pool", name);
	pair_pool = rte_pktmbuf_pool_create(pname, FIXTURE_PAIR_MBUFS, 0, TERN_MBUF_PRIV_SIZE,
					    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return pair_pool == NULL ? EXIT_FAILURE : 0;
}

struct rte_mempool *
fixture_pair_pool(void)
{
	return pair_pool;
}

static void *
driver(void *arg)
{
	struct fixture_pair *p = arg;
	/* relaxed: a stop flag; pthread_join orders the rest. */
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		tern_drive(p->rt_b);
		if (p->tick != NULL)
			p->tick();
	}
	return NULL;
}

void
fixture_pair_start(struct fixture_pair *p, const char *name, uint32_t ip_a, uint32_t ip_b,
		   uint64_t seed, void (*tick)(void))
{
	ck_assert_int_eq(tern_port_mem_pair(name, 1024, 1500, &p->port_a, &p->port_b), 0);
	struct tern_conf c = {
		.mode = TERN_MODE_LCORE, .port = p->port_a, .pool = pair_pool, .ip = ip_a,
		.seed = seed,
	};
	p->rt_a = tern_start(&c);
	ck_assert_ptr_nonnull(p->rt_a);
	c.mode = TERN_MODE_INLINE;
	c.port = p->port_b;
	c.ip = ip_b;
	c.seed = seed + 1;
	p->rt_b = tern_start(&c);
	ck_assert_ptr_nonnull(p->rt_b);
	p->tick = tick;
	atomic_store(&p->stop, false);
	ck_assert_int_eq(pthread_create(&p->drv, NULL, driver, p), 0);
}

void
fixture_pair_stop(struct fixture_pair *p)
{
	atomic_store(&p->stop, true);
	pthread_join(p->drv, NULL);
	tern_stop(p->rt_a);
	tern_stop(p->rt_b);
	tern_port_close(p->port_a);
	tern_port_close(p->port_b);
	ck_assert_uint_eq(rte_mempool_avail_count(pair_pool), FIXTURE_PAIR_MBUFS);
}

int
fixture_pair_run(Suite *s)
{
	int failed = fixture_run(s);
	rte_mempool_free(pair_pool);
	rte_eal_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* EAL + pool fixture for the DPDK-backed unit tests (see fixture.h). */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "sockif.h"

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
	struct rte_mbuf *head = rte_pktmbuf_alloc(fixture_pool());
	if (head == NULL)
		return NULL;
	struct rte_mbuf *cur = head;
	const uint8_t *p = data;
	size_t left = len;
	for (;;) {
		size_t room = rte_pktmbuf_tailroom(cur);
		size_t n = left < room ? left : room;
		if (n > 0) {
			memcpy(rte_pktmbuf_mtod(cur, uint8_t *), p, n);
			cur->data_len = (uint16_t)n;
			p += n;
			left -= n;
		}
		if (left == 0)
			break;
		struct rte_mbuf *next = rte_pktmbuf_alloc(fixture_pool());
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

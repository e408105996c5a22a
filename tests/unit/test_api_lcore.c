/*
 * Socket API in LCORE mode: runtime A's stack runs on worker lcore 1, so
 * calls on its sockets wait by spinning then sleeping on futexes (request
 * state, chan.wseq). Its peer B is an INLINE runtime driven by a plain
 * thread of the test (tests/unit/fixture_pair.c, which needs two lcores and
 * skips (77) on a single CPU).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <check.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#include "fixture_pair.h"

#define IP_A 0xc6120001u   /* 198.18.0.1, LCORE */
#define IP_B 0xc6120002u   /* 198.18.0.2, INLINE driven by driver() */

static struct fixture_pair fp;
/* A datagram the driver sends from B after a delay, to wake a sleeper on A. */
static _Atomic int drv_send_fd = -1;
static _Atomic uint64_t drv_send_at;

#define SA(p) ((const struct sockaddr *)(p))

/* The driver thread's turn (fixture_pair): the delayed send, when due.
 * relaxed: test-only handshake, values checked by the main thread. */
static void
tick(void)
{
	int fd = atomic_load_explicit(&drv_send_fd, memory_order_relaxed);
	if (fd >= 0 && tern_clock_ns() >= atomic_load_explicit(&drv_send_at,
							      memory_order_relaxed)) {
		struct sockaddr_in to = fixture_sin(IP_A, 9100);
		tern_sendto(fd, "late", 4, 0, SA(&to), sizeof(to));
		atomic_store_explicit(&drv_send_fd, -1, memory_order_relaxed);
	}
}

static void
setup(void)
{
	fixture_pair_start(&fp, "api_lcore", IP_A, IP_B, 3, tick);
}

static void
teardown(void)
{
	fixture_pair_stop(&fp);
}

static int
udp_bound(struct tern_rt *rt, uint32_t ip, uint16_t port)
{
	int fd = tern_socket_rt(rt, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, TERN_FD_BASE);
	struct sockaddr_in a = fixture_sin(ip, port);
	ck_assert_int_eq(tern_bind(fd, SA(&a), sizeof(a)), 0);
	struct timeval tv = { .tv_sec = 5 };
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

START_TEST(test_lcore_exchange)
{
	setup();
	int a = udp_bound(fp.rt_a, 0, 9000), b = udp_bound(fp.rt_b, 0, 9001);
	static uint8_t out[65507], in[65507];
	static const size_t sizes[] = { 0, 1, 1473, 8000, 65507 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		for (size_t k = 0; k < n; k++)
			out[k] = (uint8_t)(k * 7 + i);
		struct sockaddr_in to_b = fixture_sin(IP_B, 9001), to_a = fixture_sin(IP_A, 9000);
		ck_assert_int_eq(tern_sendto(a, out, n, 0, SA(&to_b), sizeof(to_b)), (ssize_t)n);
		ck_assert_int_eq(tern_recv(b, in, sizeof(in), 0), (ssize_t)n);
		ck_assert(memcmp(in, out, n) == 0);
		ck_assert_int_eq(tern_sendto(b, out, n, 0, SA(&to_a), sizeof(to_a)), (ssize_t)n);
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		/* A waits on its LCORE stack: spin, then futex on wseq. */
		ck_assert_int_eq(tern_recvfrom(a, in, sizeof(in), 0, (struct sockaddr *)&src, &sl),
				 (ssize_t)n);
		ck_assert(memcmp(in, out, n) == 0);
		ck_assert_uint_eq(ntohl(src.sin_addr.s_addr), IP_B);
		ck_assert_uint_eq(ntohs(src.sin_port), 9001);
	}
	ck_assert_int_eq(tern_close(a), 0);
	ck_assert_int_eq(tern_close(b), 0);
	teardown();
}
END_TEST

START_TEST(test_lcore_sleep_wake)
{
	setup();
	int a = udp_bound(fp.rt_a, 0, 9100), b = udp_bound(fp.rt_b, 0, 9101);
	/* Make B known to A first (ARP), so the late datagram goes straight. */
	struct sockaddr_in to_b = fixture_sin(IP_B, 9101);
	char buf[16];
	ck_assert_int_eq(tern_sendto(a, "hi", 2, 0, SA(&to_b), sizeof(to_b)), 2);
	ck_assert_int_eq(tern_recv(b, buf, sizeof(buf), 0), 2);

	/* The driver sends 150 ms from now; we are long asleep on the futex. */
	atomic_store(&drv_send_at, tern_clock_ns() + 150 * TERN_NS_PER_MS);
	atomic_store(&drv_send_fd, b);
	uint64_t t0 = tern_clock_ns();
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), 4);
	ck_assert_mem_eq(buf, "late", 4);
	ck_assert_uint_ge(tern_clock_ns() - t0, 100 * TERN_NS_PER_MS);

	/* A timed futex wait ends in EAGAIN. */
	struct timeval tv = { .tv_usec = 100000 };
	ck_assert_int_eq(tern_setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	t0 = tern_clock_ns();
	errno = 0;
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_ge(tern_clock_ns() - t0, 100 * TERN_NS_PER_MS);

	/* ICMP port unreachable reaches a connected LCORE socket. */
	struct sockaddr_in nobody = fixture_sin(IP_B, 9999);
	ck_assert_int_eq(tern_connect(a, SA(&nobody), sizeof(nobody)), 0);
	ck_assert_int_eq(tern_send(a, "x", 1, 0), 1);
	tv.tv_sec = 3;
	tv.tv_usec = 0;
	ck_assert_int_eq(tern_setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	errno = 0;
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);

	ck_assert_int_eq(tern_close(a), 0);
	ck_assert_int_eq(tern_close(b), 0);
	teardown();
}
END_TEST

START_TEST(test_lcore_sndbuf)
{
	/* A small SO_SNDBUF makes sends wait for the stack to drain them. */
	setup();
	int a = udp_bound(fp.rt_a, 0, 9200), b = udp_bound(fp.rt_b, 0, 9201);
	int v = 1;   /* becomes the 4608-byte minimum */
	ck_assert_int_eq(tern_setsockopt(a, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	v = 1 << 20;
	ck_assert_int_eq(tern_setsockopt(b, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	struct sockaddr_in to_b = fixture_sin(IP_B, 9201);
	static uint8_t out[3000], in[3000];
	const int count = 60;
	/* Resolve B first: datagrams waiting for ARP have left the send
	 * buffer already and only a few are held (arp_queue_max). */
	ck_assert_int_eq(tern_sendto(a, "arp", 3, 0, SA(&to_b), sizeof(to_b)), 3);
	ck_assert_int_eq(tern_recv(b, in, sizeof(in), 0), 3);
	for (int i = 0; i < count; i++) {
		memset(out, i, sizeof(out));
		ck_assert_int_eq(tern_sendto(a, out, sizeof(out), 0, SA(&to_b), sizeof(to_b)),
				 (ssize_t)sizeof(out));
		/* Read as we go so B's receive buffer never overflows. */
		if (i % 20 == 19)
			for (int k = 0; k < 20; k++) {
				ck_assert_int_eq(tern_recv(b, in, sizeof(in), 0), (ssize_t)sizeof(in));
				ck_assert_uint_eq(in[0], (uint8_t)(i - 19 + k));
			}
	}
	struct tern_stats st;
	tern_stats(fp.rt_a, &st);
	ck_assert_uint_eq(st.arp_queue_full, 0);
	ck_assert_uint_eq(st.tx_port_full, 0);
	ck_assert_int_eq(tern_close(a), 0);
	ck_assert_int_eq(tern_close(b), 0);
	teardown();
}
END_TEST

int
main(void)
{
	int rc = fixture_pair_eal("api_lcore");
	if (rc != 0)
		return rc;

	Suite *s = suite_create("api_lcore");
	TCase *tc = tcase_create("lcore");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lcore_exchange);
	tcase_add_test(tc, test_lcore_sleep_wake);
	tcase_add_test(tc, test_lcore_sndbuf);
	suite_add_tcase(s, tc);
	return fixture_pair_run(s);
}

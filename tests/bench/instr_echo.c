/*
 * A deterministic cost figure: two Tern stacks back to back in one process
 * (INLINE mode, an in-memory wire, one shared mbuf pool, a virtual clock),
 * one connection, N requests of SIZE bytes echoed. Client A sends, server B
 * (a plain non-blocking loop in the same thread) echoes, A reads it back;
 * every echo is checked byte for byte. Only the measured requests (after a
 * warm-up) run with callgrind collecting, so `valgrind --tool=callgrind
 * --instr-atstart=no --collect-atstart=no` counts the instructions of
 * exactly those N requests; tests/bench/instr.sh runs it and splits the
 * count by layer. Outside valgrind the client requests are no-ops and the
 * program is a plain correctness run.
 *
 * The schedule is fixed, so the instruction count is a function of the
 * code alone: per request, A sends and polls (its stack takes the request
 * and puts the segment on the wire), B polls (receives and delivers), B's
 * loop reads and echoes, B polls (sends), A polls (receives), A reads. Each
 * poll moves the virtual clock on by STEP_NS. A read that finds nothing
 * yet (it never should) polls both stacks again, bounded, and is counted:
 * the program prints polls per request so a change in schedule shows.
 *
 * Usage: instr_echo [--udp] [--requests N] [--warmup W] [--size BYTES]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <valgrind/callgrind.h>

#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#define IP_A 0xc6120001u            /* 198.18.0.1, client */
#define IP_B 0xc6120002u            /* 198.18.0.2, server */
#define ECHO_PORT 7                 /* RFC 862 */
#define STEP_NS 10000ull            /* each poll moves the clock 10 us */
#define T0_NS 1000000000ull         /* start at 1 s: 0 means "unset" in places */
#define POOL_MBUFS 4095u
#define WIRE_DEPTH 1024u
#define MAX_SIZE 1400u              /* one segment, one datagram */
#define MAX_RETRY 64                /* extra polls a read may wait for */

struct bench {
	struct tern_rt *a, *b;
	uint64_t now;
	uint64_t polls;
	bool udp;
	int cfd, sfd;                /* client (on A), server (on B) */
	struct sockaddr_in client_addr;
};

static void
die(const char *what)
{
	fprintf(stderr, "instr_echo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
poll_rt(struct bench *bn, struct tern_rt *rt)
{
	tern_drive_at(rt, bn->now);
	bn->now += STEP_NS;
	bn->polls++;
}

static void
poll_both(struct bench *bn)
{
	poll_rt(bn, bn->a);
	poll_rt(bn, bn->b);
}

/* Read exactly @p len bytes (a stream may split them; a datagram comes
 * whole) from @p fd, polling both stacks while nothing is there. */
static void
read_all(struct bench *bn, int fd, uint8_t *buf, size_t len, bool server)
{
	size_t got = 0;
	for (int tries = 0; got < len; tries++) {
		ssize_t n;
		if (bn->udp && server) {
			socklen_t al = sizeof(bn->client_addr);
			n = tern_recvfrom(fd, buf + got, len - got, MSG_DONTWAIT,
					  (struct sockaddr *)&bn->client_addr, &al);
		} else {
			n = tern_recv(fd, buf + got, len - got, MSG_DONTWAIT);
		}
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			fprintf(stderr, "instr_echo: unexpected EOF\n");
			exit(1);
		}
		if (errno != EAGAIN)
			die("recv");
		if (tries >= MAX_RETRY) {
			fprintf(stderr, "instr_echo: no data after %d polls\n", tries);
			exit(1);
		}
		poll_both(bn);
	}
}

static void
send_all(struct bench *bn, int fd, const uint8_t *buf, size_t len, bool server)
{
	ssize_t n;
	if (bn->udp && server)
		n = tern_sendto(fd, buf, len, MSG_DONTWAIT,
				(const struct sockaddr *)&bn->client_addr,
				sizeof(bn->client_addr));
	else
		n = tern_send(fd, buf, len, MSG_DONTWAIT);
	if (n < 0)
		die("send");
	if ((size_t)n != len) {
		fprintf(stderr, "instr_echo: short send %zd of %zu\n", n, len);
		exit(1);
	}
}

/* One request: the fixed schedule of the file comment. */
static void
echo_once(struct bench *bn, uint64_t i, size_t size)
{
	uint8_t req[MAX_SIZE], srv[MAX_SIZE], rsp[MAX_SIZE];
	for (size_t k = 0; k < size; k++)
		req[k] = (uint8_t)(i * 131 + k);
	send_all(bn, bn->cfd, req, size, false);
	poll_rt(bn, bn->a);
	poll_rt(bn, bn->b);
	read_all(bn, bn->sfd, srv, size, true);
	send_all(bn, bn->sfd, srv, size, true);
	poll_rt(bn, bn->b);
	poll_rt(bn, bn->a);
	read_all(bn, bn->cfd, rsp, size, false);
	/* A loop, not memcmp: libc's mem* functions in the profile are then
	 * all Tern's (instr.sh counts them as its memcpy row). */
	for (size_t k = 0; k < size; k++) {
		if (req[k] != rsp[k]) {
			fprintf(stderr, "instr_echo: request %" PRIu64 " came back different "
				"at byte %zu\n", i, k);
			exit(1);
		}
	}
}

/* Poll both until neither stack has anything to do (ARP, handshake). */
static void
settle(struct bench *bn)
{
	for (int k = 0; k < 1000; k++) {
		unsigned w = tern_drive_at(bn->a, bn->now) + tern_drive_at(bn->b, bn->now);
		bn->now += STEP_NS;
		if (w == 0)
			return;
	}
	fprintf(stderr, "instr_echo: stacks never settled\n");
	exit(1);
}

static struct sockaddr_in
addr_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(ip) };
	return a;
}

static void
open_sockets(struct bench *bn)
{
	int type = bn->udp ? SOCK_DGRAM : SOCK_STREAM;
	struct sockaddr_in any = addr_of(0, ECHO_PORT), srv = addr_of(IP_B, ECHO_PORT);
	int lfd = tern_socket_rt(bn->b, AF_INET, type, 0);
	if (lfd < 0 || tern_bind(lfd, (struct sockaddr *)&any, sizeof(any)) != 0)
		die("server socket");
	bn->cfd = tern_socket_rt(bn->a, AF_INET, type, 0);
	if (bn->cfd < 0 || tern_setblocking(bn->cfd, false) != 0)
		die("client socket");
	if (bn->udp) {
		bn->sfd = lfd;
		if (tern_connect(bn->cfd, (struct sockaddr *)&srv, sizeof(srv)) != 0)
			die("udp connect");
		settle(bn);
		return;
	}
	if (tern_listen(lfd, 4) != 0 || tern_setblocking(lfd, false) != 0)
		die("listen");
	if (tern_connect(bn->cfd, (struct sockaddr *)&srv, sizeof(srv)) != -1 ||
	    errno != EINPROGRESS)
		die("connect (expected EINPROGRESS)");
	bn->sfd = -1;
	for (int k = 0; k < 1000 && bn->sfd < 0; k++) {
		poll_both(bn);
		bn->sfd = tern_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (bn->sfd < 0 && errno != EAGAIN)
			die("accept");
	}
	if (bn->sfd < 0) {
		fprintf(stderr, "instr_echo: no connection\n");
		exit(1);
	}
	if (tern_close(lfd) != 0)
		die("close listener");
	settle(bn);
}

int
main(int argc, char **argv)
{
	uint64_t requests = 10000, warmup = 1000;
	size_t size = 64;
	bool udp = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--udp") == 0)
			udp = true;
		else if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc)
			requests = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
			warmup = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
			size = strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--udp] [--requests N] [--warmup W] [--size B]\n",
				argv[0]);
			return 2;
		}
	}
	if (size == 0 || size > MAX_SIZE || requests == 0) {
		fprintf(stderr, "instr_echo: size 1..%u, requests > 0\n", MAX_SIZE);
		return 2;
	}

	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=tern-instr-%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", prefix,
			"--log-level=lib.eal:error", "--no-telemetry", "-l", "0", NULL };
	if (tern_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		die("tern_eal_init");
	struct rte_mempool *pool = rte_pktmbuf_pool_create("instr_pool", POOL_MBUFS, 256,
							   TERN_MBUF_PRIV_SIZE,
							   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		die("pool");
	unsigned pool_start = rte_mempool_avail_count(pool);

	struct tern_port *pa, *pb;
	if (tern_port_mem_pair("instr", WIRE_DEPTH, 1500, &pa, &pb) != 0)
		die("mem pair");
	/* Fixed seeds: ISNs, ephemeral ports and hash salts are the same every run. */
	struct tern_conf c = { .mode = TERN_MODE_INLINE, .port = pa, .pool = pool,
			       .ip = IP_A, .prefix_len = 24, .seed = 1,
			       .external_clock = true };
	struct bench bn = { .now = T0_NS, .udp = udp };
	bn.a = tern_start(&c);
	c.port = pb;
	c.ip = IP_B;
	c.seed = 2;
	bn.b = tern_start(&c);
	if (bn.a == NULL || bn.b == NULL)
		die("tern_start");
	settle(&bn);                 /* the gratuitous ARPs */
	open_sockets(&bn);

	for (uint64_t i = 0; i < warmup; i++)
		echo_once(&bn, i, size);
	settle(&bn);

	struct tern_stats s0[2], s1[2];
	tern_stats(bn.a, &s0[0]);
	tern_stats(bn.b, &s0[1]);
	uint64_t polls0 = bn.polls;

	/* Everything between the two toggles is the measured work. */
	CALLGRIND_START_INSTRUMENTATION;
	CALLGRIND_TOGGLE_COLLECT;
	for (uint64_t i = 0; i < requests; i++)
		echo_once(&bn, warmup + i, size);
	CALLGRIND_TOGGLE_COLLECT;
	CALLGRIND_STOP_INSTRUMENTATION;

	tern_stats(bn.a, &s1[0]);
	tern_stats(bn.b, &s1[1]);
	uint64_t frames = (s1[0].tx_frames - s0[0].tx_frames) + (s1[1].tx_frames - s0[1].tx_frames);
	printf("instr_echo: %s, %" PRIu64 " requests of %zu B after %" PRIu64 " warm-up, all echoed intact\n",
	       udp ? "UDP" : "TCP", requests, size, warmup);
	printf("instr_echo: per request: %.3f frames on the wire (A %.3f, B %.3f), %.3f stack polls\n",
	       (double)frames / (double)requests,
	       (double)(s1[0].tx_frames - s0[0].tx_frames) / (double)requests,
	       (double)(s1[1].tx_frames - s0[1].tx_frames) / (double)requests,
	       (double)(bn.polls - polls0) / (double)requests);

	tern_close(bn.cfd);
	tern_close(bn.sfd);
	settle(&bn);
	tern_stop(bn.a);
	tern_stop(bn.b);
	tern_port_close(pa);
	tern_port_close(pb);
	unsigned pool_end = rte_mempool_avail_count(pool);
	if (pool_end != pool_start) {
		fprintf(stderr, "instr_echo: mbuf leak: pool had %u free, now %u\n",
			pool_start, pool_end);
		return 1;
	}
	return 0;
}

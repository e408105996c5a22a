/*
 * Readiness: tern_poll() and the epoll calls over two stacks back to back.
 * Runtime A (the sockets under test) runs its stack on lcore 1, so waits
 * really sleep and are woken by the stack's watches; runtime B, the peer,
 * is INLINE and driven by a thread of the test, which can also run one
 * delayed action (send, connect, write to a pipe) to wake a sleeper.
 *
 * Expected masks are Linux's, from tcp_poll()/datagram_poll() in the kernel
 * sources (net/ipv4/tcp.c, net/core/datagram.c), and checked against the
 * kernel itself by the differential test (tests/diff).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/tcp.h>

#include <check.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#include "fixture_pair.h"

#define IP_A 0xc6120001u   /* 198.18.0.1, LCORE: sockets under test */
#define IP_B 0xc6120002u   /* 198.18.0.2, INLINE peer */
#define SAFETY_MS 10000    /* a wait that should end by an event, not by this */
#define DELAY_NS (50 * TERN_NS_PER_MS)

static struct fixture_pair fp;

/* One delayed action for the driver thread. */
enum act { ACT_NONE, ACT_SENDTO, ACT_SEND, ACT_PIPE, ACT_CLOSE, ACT_SHUT_WR };
static _Atomic int act_kind;
static int act_fd;
static uint16_t act_port;
static _Atomic uint64_t act_at;

#define SA(p) ((const struct sockaddr *)(p))

static void
act_run(int kind)
{
	struct sockaddr_in to = fixture_sin(IP_A, act_port);
	switch (kind) {
	case ACT_SENDTO:
		ck_assert_int_eq(tern_sendto(act_fd, "wake", 4, 0, SA(&to), sizeof(to)), 4);
		break;
	case ACT_SEND:
		ck_assert_int_eq(tern_send(act_fd, "wake", 4, 0), 4);
		break;
	case ACT_PIPE:
		ck_assert_int_eq(write(act_fd, "p", 1), 1);
		break;
	case ACT_CLOSE:
		ck_assert_int_eq(tern_close(act_fd), 0);
		break;
	case ACT_SHUT_WR:
		ck_assert_int_eq(tern_shutdown(act_fd, SHUT_WR), 0);
		break;
	}
}

/* The driver thread's turn (fixture_pair): run the action when due.
 * relaxed, mostly: a test-only handshake; the action's effects reach the
 * main thread through the stacks' own synchronisation. */
static void
tick(void)
{
	int kind = atomic_load_explicit(&act_kind, memory_order_acquire);
	if (kind != ACT_NONE &&
	    tern_clock_ns() >= atomic_load_explicit(&act_at, memory_order_relaxed)) {
		act_run(kind);
		atomic_store_explicit(&act_kind, ACT_NONE, memory_order_release);
	}
}

/* Have the driver do @p kind on @p fd in DELAY_NS. */
static void
later(int kind, int fd, uint16_t port)
{
	act_fd = fd;
	act_port = port;
	atomic_store_explicit(&act_at, tern_clock_ns() + DELAY_NS, memory_order_relaxed);
	/* release: act_fd/act_port are seen with the kind. */
	atomic_store_explicit(&act_kind, kind, memory_order_release);
}

static void
later_done(void)
{
	while (atomic_load_explicit(&act_kind, memory_order_acquire) != ACT_NONE)
		usleep(1000);
}

static void
setup(void)
{
	atomic_store(&act_kind, ACT_NONE);
	fixture_pair_start(&fp, "poll", IP_A, IP_B, 5, tick);
}

static void
teardown(void)
{
	fixture_pair_stop(&fp);
}

static int
udp_on(struct tern_rt *rt, uint32_t ip, uint16_t port)
{
	int fd = tern_socket_rt(rt, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, TERN_FD_BASE);
	struct sockaddr_in a = fixture_sin(ip, port);
	ck_assert_int_eq(tern_bind(fd, SA(&a), sizeof(a)), 0);
	return fd;
}

static short
poll1(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = tern_poll(&p, 1, timeout_ms);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(n, p.revents != 0);
	return p.revents;
}

/* A connected TCP pair: *a on runtime A (accepted), *b on B (connected). */
static void
tcp_pair(uint16_t port, int *a, int *b, int *listener)
{
	int l = tern_socket_rt(fp.rt_a, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = fixture_sin(0, port);
	ck_assert_int_eq(tern_bind(l, SA(&la), sizeof(la)), 0);
	ck_assert_int_eq(tern_listen(l, 8), 0);
	/* Linux's inet_csk_listen_poll(): nothing to accept, no bits. */
	ck_assert_int_eq(poll1(l, POLLIN | POLLOUT, 0), 0);
	int c = tern_socket_rt(fp.rt_b, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = fixture_sin(IP_A, port);
	ck_assert_int_eq(tern_connect(c, SA(&to), sizeof(to)), 0);
	ck_assert_int_eq(poll1(l, POLLIN | POLLOUT, SAFETY_MS), POLLIN);
	int s = tern_accept(l, NULL, NULL);
	ck_assert_int_ge(s, TERN_FD_BASE);
	*a = s;
	*b = c;
	*listener = l;
}

/* ---- poll ---- */

START_TEST(test_poll_udp)
{
	setup();
	int a = udp_on(fp.rt_a, 0, 7000), b = udp_on(fp.rt_b, 0, 7001);
	/* Fresh datagram socket: writable, nothing to read. */
	ck_assert_int_eq(poll1(a, POLLIN | POLLOUT, 0), POLLOUT);
	ck_assert_int_eq(poll1(a, POLLIN, 0), 0);
	ck_assert_int_eq(poll1(a, POLLIN | POLLOUT | POLLWRNORM | POLLWRBAND | POLLRDNORM, 0),
			 POLLOUT | POLLWRNORM | POLLWRBAND);
	/* A blocking poll sleeps on the futex until the stack's watch runs. */
	later(ACT_SENDTO, b, 7000);
	ck_assert_int_eq(poll1(a, POLLIN, SAFETY_MS), POLLIN);
	later_done();
	ck_assert_int_eq(poll1(a, POLLIN | POLLOUT, 0), POLLIN | POLLOUT);
	char buf[16];
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(poll1(a, POLLIN, 0), 0);
	/* A poll that times out returns 0. */
	ck_assert_int_eq(poll1(a, POLLIN, 20), 0);
	/* shutdown(SHUT_RD) on an unconnected datagram socket: ENOTCONN,
	 * yet Linux records it: readable with RDHUP; RDWR adds HUP. */
	ck_assert_int_eq(tern_shutdown(a, SHUT_RD), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ck_assert_int_eq(poll1(a, POLLIN | POLLRDHUP, 0), POLLIN | POLLRDHUP);
	ck_assert_int_eq(tern_shutdown(a, SHUT_WR), -1);
	ck_assert_int_eq(poll1(a, POLLIN, 0), POLLIN | POLLHUP);
	tern_close(a);
	tern_close(b);
	teardown();
}
END_TEST

START_TEST(test_poll_nval_and_kernel_fds)
{
	setup();
	int a = udp_on(fp.rt_a, 0, 7010), b = udp_on(fp.rt_b, 0, 7011);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct pollfd p[4] = {
		{ .fd = a, .events = POLLIN },
		{ .fd = pfd[0], .events = POLLIN },
		{ .fd = -1, .events = POLLIN },            /* ignored */
		{ .fd = TERN_FD_BASE + 60000, .events = POLLIN }, /* not open */
	};
	/* A closed descriptor answers at once with POLLNVAL. */
	ck_assert_int_eq(tern_poll(p, 4, SAFETY_MS), 1);
	ck_assert_int_eq(p[3].revents, POLLNVAL);
	ck_assert_int_eq(p[0].revents | p[1].revents | p[2].revents, 0);
	/* Kernel descriptor wakes a poll that also watches a Tern socket. */
	later(ACT_PIPE, pfd[1], 0);
	ck_assert_int_eq(tern_poll(p, 3, SAFETY_MS), 1);
	ck_assert_int_eq(p[1].revents, POLLIN);
	ck_assert_int_eq(p[0].revents, 0);
	later_done();
	char c;
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	/* And a Tern datagram wakes a poll sleeping in the kernel (eventfd). */
	later(ACT_SENDTO, b, 7010);
	ck_assert_int_eq(tern_poll(p, 3, SAFETY_MS), 1);
	ck_assert_int_eq(p[0].revents, POLLIN);
	ck_assert_int_eq(p[1].revents, 0);
	later_done();
	/* Errors. */
	ck_assert_int_eq(tern_poll(NULL, 1, 0), -1);
	ck_assert_int_eq(errno, EFAULT);
	ck_assert_int_eq(tern_poll(NULL, 0, 0), 0);
	close(pfd[0]);
	close(pfd[1]);
	tern_close(a);
	tern_close(b);
	teardown();
}
END_TEST

START_TEST(test_poll_tcp_states)
{
	setup();
	/* Fresh TCP socket: TCP_CLOSE gives POLLHUP, and it counts as
	 * writable (tcp_poll's well-known answer). */
	int f = tern_socket_rt(fp.rt_a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(poll1(f, POLLIN | POLLOUT, 0), POLLOUT | POLLHUP);
	tern_close(f);

	int a, b, l;
	tcp_pair(7020, &a, &b, &l);
	ck_assert_int_eq(poll1(a, POLLIN | POLLOUT, 0), POLLOUT);
	/* Data from the peer wakes a sleeping poll. */
	later(ACT_SEND, b, 0);
	ck_assert_int_eq(poll1(a, POLLIN, SAFETY_MS), POLLIN);
	later_done();
	char buf[16];
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(poll1(a, POLLIN, 0), 0);
	/* SO_RCVLOWAT: readable only with that many bytes. */
	int lowat = 8;
	ck_assert_int_eq(tern_setsockopt(a, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)), 0);
	later(ACT_SEND, b, 0);
	later_done();
	ck_assert_int_eq(poll1(a, POLLIN, 100), 0);
	later(ACT_SEND, b, 0);
	ck_assert_int_eq(poll1(a, POLLIN, SAFETY_MS), POLLIN);
	later_done();
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), 8);
	/* Peer's FIN: readable (EOF) with RDHUP, still writable. */
	later(ACT_SHUT_WR, b, 0);
	ck_assert_int_eq(poll1(a, POLLRDHUP, SAFETY_MS), POLLRDHUP);
	later_done();
	ck_assert_int_eq(poll1(a, POLLIN | POLLOUT | POLLRDHUP, 0),
			 POLLIN | POLLOUT | POLLRDHUP);
	/* Our shutdown(SHUT_WR) too: both directions shut = POLLHUP. */
	ck_assert_int_eq(tern_shutdown(a, SHUT_WR), 0);
	ck_assert_int_eq(poll1(a, POLLIN | POLLOUT | POLLRDHUP, 0),
			 POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	tern_close(a);
	tern_close(b);

	/* A reset: error, hung up, readable and writable at once; the
	 * error bit goes once SO_ERROR is read. */
	tcp_pair(7021, &a, &b, &l);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	ck_assert_int_eq(tern_setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	later(ACT_CLOSE, b, 0);
	ck_assert_int_eq(poll1(a, POLLIN, SAFETY_MS) & POLLERR, POLLERR);
	later_done();
	ck_assert_int_eq(poll1(a, POLLIN | POLLOUT | POLLRDHUP, 0),
			 POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP);
	int err = 0;
	socklen_t el = sizeof(err);
	ck_assert_int_eq(tern_getsockopt(a, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	ck_assert_int_eq(err, ECONNRESET);
	ck_assert_int_eq(poll1(a, POLLIN | POLLOUT | POLLRDHUP, 0),
			 POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	tern_close(a);
	tern_close(l);

	/* A refused non-blocking connect: writable (and in error). */
	int c = tern_socket_rt(fp.rt_a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(c, TERN_FD_BASE);
	struct sockaddr_in to = fixture_sin(IP_B, 7999);
	ck_assert_int_eq(tern_connect(c, SA(&to), sizeof(to)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	ck_assert_int_eq(poll1(c, POLLOUT, SAFETY_MS) & POLLOUT, POLLOUT);
	ck_assert_int_eq(poll1(c, POLLIN | POLLOUT, 0) & (POLLERR | POLLHUP | POLLOUT),
			 POLLERR | POLLHUP | POLLOUT);
	ck_assert_int_eq(tern_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	ck_assert_int_eq(err, ECONNREFUSED);
	tern_close(c);
	teardown();
}
END_TEST

/* ---- epoll ---- */

static int
ep_wait(int ep, struct epoll_event *ev, int max, int timeout_ms)
{
	int n = tern_epoll_wait(ep, ev, max, timeout_ms);
	ck_assert_int_ge(n, 0);
	return n;
}

static void
ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), 0);
}

START_TEST(test_epoll_errors)
{
	setup();
	int ep = tern_epoll_create1(0);
	ck_assert_int_ge(ep, TERN_FD_BASE);
	int a = udp_on(fp.rt_a, 0, 7030);
	struct epoll_event e = { .events = EPOLLIN }, out[4];
	ck_assert_int_eq(tern_epoll_create(0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_epoll_create1(42), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_ADD, a, NULL), -1);
	ck_assert_int_eq(errno, EFAULT);
	ck_assert_int_eq(tern_epoll_ctl(TERN_FD_BASE + 60000, EPOLL_CTL_ADD, a, &e), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tern_epoll_ctl(a, EPOLL_CTL_ADD, ep, &e), -1);
	ck_assert_int_eq(errno, EINVAL);     /* epfd is not an epoll set */
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e), -1);
	ck_assert_int_eq(errno, EINVAL);     /* itself */
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_ADD, TERN_FD_BASE + 60001, &e), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_MOD, a, &e), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tern_epoll_ctl(ep, 99, a, &e), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_ADD, a, &e), 0);
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_ADD, a, &e), -1);
	ck_assert_int_eq(errno, EEXIST);
	e.events = EPOLLIN | EPOLLEXCLUSIVE;
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_MOD, a, &e), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_epoll_wait(ep, out, 0, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_epoll_wait(a, out, 4, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_epoll_wait(TERN_FD_BASE + 60000, out, 4, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	/* A socket call on an epoll descriptor: not a socket. */
	ck_assert_int_eq(tern_send(ep, "x", 1, 0), -1);
	ck_assert_int_eq(errno, ENOTSOCK);
	ck_assert_int_eq(tern_close(ep), 0);
	ck_assert_int_eq(tern_close(ep), -1);
	ck_assert_int_eq(errno, EBADF);
	tern_close(a);
	teardown();
}
END_TEST

START_TEST(test_epoll_level_edge_oneshot)
{
	setup();
	int ep = tern_epoll_create1(EPOLL_CLOEXEC);
	int lt = udp_on(fp.rt_a, 0, 7040), et = udp_on(fp.rt_a, 0, 7041), os = udp_on(fp.rt_a, 0, 7042);
	int b = udp_on(fp.rt_b, 0, 7043);
	ep_add(ep, lt, EPOLLIN, 1);
	ep_add(ep, et, EPOLLIN | EPOLLET, 2);
	ep_add(ep, os, EPOLLIN | EPOLLONESHOT, 3);
	struct epoll_event out[8];
	ck_assert_int_eq(ep_wait(ep, out, 8, 0), 0);
	for (uint16_t p = 7040; p <= 7042; p++) {
		struct sockaddr_in to = fixture_sin(IP_A, p);
		ck_assert_int_eq(tern_sendto(b, "x", 1, 0, SA(&to), sizeof(to)), 1);
	}
	/* Collect until all three reported (they arrive one by one). */
	uint64_t seen = 0;
	for (int tries = 0; tries < 100 && seen != 0xe; tries++) {
		int n = ep_wait(ep, out, 8, SAFETY_MS);
		for (int i = 0; i < n; i++) {
			ck_assert_uint_eq(out[i].events, EPOLLIN);
			seen |= 1u << out[i].data.u64;
		}
	}
	ck_assert_uint_eq(seen, 0xe);
	/* Level-triggered reports again; edge and one-shot do not. */
	int n = ep_wait(ep, out, 8, 0);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(out[0].data.u64, 1);
	ck_assert_int_eq(ep_wait(ep, out, 8, 20), 1);
	/* Read it: a level-triggered entry stops when the level drops. */
	char buf[4];
	ck_assert_int_eq(tern_recv(lt, buf, sizeof(buf), 0), 1);
	ck_assert_int_eq(ep_wait(ep, out, 8, 0), 0);
	/* A new datagram is a new edge; one-shot stays disarmed. */
	struct sockaddr_in to = fixture_sin(IP_A, 7041);
	ck_assert_int_eq(tern_sendto(b, "y", 1, 0, SA(&to), sizeof(to)), 1);
	to = fixture_sin(IP_A, 7042);
	ck_assert_int_eq(tern_sendto(b, "y", 1, 0, SA(&to), sizeof(to)), 1);
	seen = 0;
	for (int tries = 0; tries < 100 && !(seen & 4); tries++) {
		n = ep_wait(ep, out, 8, SAFETY_MS);
		for (int i = 0; i < n; i++)
			seen |= 1u << out[i].data.u64;
	}
	ck_assert_uint_eq(seen & 0xc, 4);
	/* MOD re-arms the one-shot entry: it is ready, so reported now. */
	struct epoll_event e = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_MOD, os, &e), 0);
	seen = 0;
	n = ep_wait(ep, out, 8, 0);
	for (int i = 0; i < n; i++)
		seen |= 1u << out[i].data.u64;
	ck_assert_uint_eq(seen, 0x8);   /* os (lt was read) */
	/* maxevents smaller than what is ready: the rest comes next time. */
	to = fixture_sin(IP_A, 7040);
	ck_assert_int_eq(tern_sendto(b, "z", 1, 0, SA(&to), sizeof(to)), 1);
	ck_assert_int_eq(poll1(lt, POLLIN, SAFETY_MS), POLLIN);
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_MOD, os, &e), 0);
	ck_assert_int_eq(ep_wait(ep, out, 1, 0), 1);
	seen = 1u << out[0].data.u64;
	ck_assert_int_eq(ep_wait(ep, out, 1, 0), 1);
	seen |= 1u << out[0].data.u64;
	ck_assert_uint_eq(seen, 0xa);
	/* DEL: no more reports from it. */
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_DEL, lt, NULL), 0);
	ck_assert_int_eq(ep_wait(ep, out, 8, 0), 0);
	tern_close(ep);
	tern_close(lt);
	tern_close(et);
	tern_close(os);
	tern_close(b);
	teardown();
}
END_TEST

START_TEST(test_epoll_wakeups_and_close)
{
	setup();
	int ep = tern_epoll_create(1);
	int a = udp_on(fp.rt_a, 0, 7050), b = udp_on(fp.rt_b, 0, 7051);
	ep_add(ep, a, EPOLLIN | EPOLLOUT | EPOLLET, 7);
	struct epoll_event out[4];
	/* ADD of a ready socket reports at once (writable). */
	ck_assert_int_eq(ep_wait(ep, out, 4, 0), 1);
	ck_assert_uint_eq(out[0].events, EPOLLOUT);
	ck_assert_int_eq(ep_wait(ep, out, 4, 0), 0);
	/* A sleeping wait is woken by the stack. */
	later(ACT_SENDTO, b, 7050);
	ck_assert_int_eq(ep_wait(ep, out, 4, SAFETY_MS), 1);
	ck_assert_uint_eq(out[0].events, EPOLLIN | EPOLLOUT);
	ck_assert_uint_eq(out[0].data.u64, 7);
	later_done();
	/* A kernel pipe in the same set. */
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct epoll_event pe = { .events = EPOLLIN, .data.u64 = 99 };
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &pe), 0);
	ck_assert_int_eq(tern_epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &pe), -1);
	ck_assert_int_eq(errno, EEXIST);
	later(ACT_PIPE, pfd[1], 0);
	ck_assert_int_eq(ep_wait(ep, out, 4, SAFETY_MS), 1);
	ck_assert_uint_eq(out[0].data.u64, 99);
	later_done();
	char c;
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	/* Tern data wakes a wait sleeping in the kernel. */
	later(ACT_SENDTO, b, 7050);
	ck_assert_int_eq(ep_wait(ep, out, 4, SAFETY_MS), 1);
	ck_assert_uint_eq(out[0].data.u64, 7);
	later_done();
	/* The exported kernel descriptor: readable when Tern has events. */
	int kfd = tern_epoll_kernel_fd(ep);
	ck_assert_int_ge(kfd, 0);
	ck_assert_int_eq(tern_epoll_kernel_fd(ep), kfd);
	struct pollfd kp = { .fd = kfd, .events = POLLIN };
	ck_assert_int_eq(poll(&kp, 1, 0), 0);
	later(ACT_SENDTO, b, 7050);
	ck_assert_int_eq(poll(&kp, 1, SAFETY_MS), 1);
	later_done();
	ck_assert_int_eq(ep_wait(ep, out, 4, 0), 1);
	ck_assert_uint_eq(out[0].data.u64, 7);
	/* Closing a socket drops it from the set; its descriptor number,
	 * reused by a new socket, can be added again. */
	ck_assert_int_eq(tern_close(a), 0);
	int a2 = udp_on(fp.rt_a, 0, 7052);
	ck_assert_int_eq(a2, a);
	ep_add(ep, a2, EPOLLIN, 8);
	ck_assert_int_eq(ep_wait(ep, out, 4, 0), 0);
	close(pfd[0]);   /* a closed kernel fd leaves the inner kernel set by itself */
	close(pfd[1]);
	ck_assert_int_eq(tern_close(ep), 0);
	tern_close(a2);
	tern_close(b);
	teardown();
}
END_TEST

/* A wait in another thread, ended by closing the set. */
static int closer_ep;
static void *
closer(void *arg)
{
	(void)arg;
	usleep(50000);
	ck_assert_int_eq(tern_close(closer_ep), 0);
	return NULL;
}

START_TEST(test_epoll_close_wakes_waiter)
{
	setup();
	closer_ep = tern_epoll_create1(0);
	int a = udp_on(fp.rt_a, 0, 7060);
	ep_add(closer_ep, a, EPOLLIN, 1);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, closer, NULL), 0);
	struct epoll_event out[2];
	ck_assert_int_eq(tern_epoll_wait(closer_ep, out, 2, SAFETY_MS), -1);
	ck_assert_int_eq(errno, EBADF);
	pthread_join(t, NULL);
	tern_close(a);
	teardown();
}
END_TEST

/* ET on a TCP connection with many sockets: each send is one report. */
START_TEST(test_epoll_tcp_many)
{
	setup();
	enum { N = 16 };
	int ep = tern_epoll_create1(0);
	int a[N], b[N], l[N];
	for (int i = 0; i < N; i++) {
		tcp_pair((uint16_t)(7100 + i), &a[i], &b[i], &l[i]);
		ep_add(ep, a[i], EPOLLIN | EPOLLRDHUP, (uint64_t)i);
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++)
			ck_assert_int_eq(tern_send(b[i], "abcd", 4, 0), 4);
		int got = 0;
		uint32_t mask = 0;
		while (got < N) {
			struct epoll_event out[N];
			int n = ep_wait(ep, out, N, SAFETY_MS);
			ck_assert_int_gt(n, 0);
			for (int k = 0; k < n; k++) {
				int i = (int)out[k].data.u64;
				ck_assert_uint_eq(out[k].events, EPOLLIN);
				char buf[8];
				ck_assert_int_eq(tern_recv(a[i], buf, sizeof(buf), 0), 4);
				ck_assert(!(mask & (1u << i)));
				mask |= 1u << i;
				got++;
			}
		}
	}
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(tern_shutdown(b[i], SHUT_WR), 0);
	uint32_t hup = 0;
	for (int tries = 0; tries < 1000 && hup != (1u << N) - 1; tries++) {
		struct epoll_event out[N];
		int n = ep_wait(ep, out, N, SAFETY_MS);
		for (int k = 0; k < n; k++) {
			ck_assert_uint_eq(out[k].events & (EPOLLIN | EPOLLRDHUP),
					  EPOLLIN | EPOLLRDHUP);
			hup |= 1u << out[k].data.u64;
		}
	}
	ck_assert_uint_eq(hup, (1u << N) - 1);
	tern_close(ep);
	for (int i = 0; i < N; i++) {
		tern_close(a[i]);
		tern_close(b[i]);
		tern_close(l[i]);
	}
	teardown();
}
END_TEST

/* EPOLLOUT edge-triggered: one report at ADD, none for ACKs of data that
 * never filled the buffer, one more once a full buffer drains (Linux's
 * SOCK_NOSPACE rule in sk_stream_write_space). */
START_TEST(test_epoll_et_out)
{
	setup();
	int a, b, l;
	tcp_pair(7080, &a, &b, &l);
	int sz = 4608;
	ck_assert_int_eq(tern_setsockopt(a, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	int ep = tern_epoll_create1(0);
	ep_add(ep, a, EPOLLOUT | EPOLLET, 1);
	struct epoll_event out[2];
	ck_assert_int_eq(ep_wait(ep, out, 2, 0), 1);
	ck_assert_uint_eq(out[0].events, EPOLLOUT);
	/* A small send and its ACK: no new edge. */
	ck_assert_int_eq(tern_send(a, "x", 1, 0), 1);
	char buf[4096];
	ck_assert_int_eq(tern_recv(b, buf, sizeof(buf), 0), 1);
	ck_assert_int_eq(ep_wait(ep, out, 2, 100), 0);
	/* Fill until EAGAIN (the peer does not read yet). */
	ck_assert_int_eq(tern_setblocking(a, false), 0);
	size_t queued = 0;
	for (int i = 0; i < 100000; i++) {
		ssize_t n = tern_send(a, buf, sizeof(buf), 0);
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		queued += (size_t)n;
	}
	ck_assert_uint_gt(queued, 0);
	ck_assert_int_eq(ep_wait(ep, out, 2, 0), 0);
	/* The peer reads everything: the ACKs free the buffer, one edge. */
	size_t got = 0;
	while (got < queued) {
		ssize_t n = tern_recv(b, buf, sizeof(buf), 0);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_int_eq(ep_wait(ep, out, 2, SAFETY_MS), 1);
	ck_assert_uint_eq(out[0].events, EPOLLOUT);
	tern_close(ep);
	tern_close(a);
	tern_close(b);
	tern_close(l);
	teardown();
}
END_TEST

/* Sockets of an INLINE runtime: a wait drives the stack itself. */
START_TEST(test_epoll_inline)
{
	setup();
	int ep = tern_epoll_create1(0);
	int a = udp_on(fp.rt_a, 0, 7070), b = udp_on(fp.rt_b, 0, 7071);
	ep_add(ep, b, EPOLLIN, 5);
	struct epoll_event out[2];
	ck_assert_int_eq(ep_wait(ep, out, 2, 0), 0);
	struct sockaddr_in to = fixture_sin(IP_B, 7071);
	ck_assert_int_eq(tern_sendto(a, "in", 2, 0, SA(&to), sizeof(to)), 2);
	ck_assert_int_eq(ep_wait(ep, out, 2, SAFETY_MS), 1);
	ck_assert_uint_eq(out[0].data.u64, 5);
	struct pollfd p = { .fd = b, .events = POLLIN };
	ck_assert_int_eq(tern_poll(&p, 1, SAFETY_MS), 1);
	tern_close(ep);
	tern_close(a);
	tern_close(b);
	teardown();
}
END_TEST

int
main(void)
{
	int rc = fixture_pair_eal("poll");
	if (rc != 0)
		return rc;

	Suite *s = suite_create("poll");
	TCase *tc = tcase_create("poll");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_poll_udp);
	tcase_add_test(tc, test_poll_nval_and_kernel_fds);
	tcase_add_test(tc, test_poll_tcp_states);
	tcase_add_test(tc, test_epoll_errors);
	tcase_add_test(tc, test_epoll_level_edge_oneshot);
	tcase_add_test(tc, test_epoll_wakeups_and_close);
	tcase_add_test(tc, test_epoll_close_wakes_waiter);
	tcase_add_test(tc, test_epoll_tcp_many);
	tcase_add_test(tc, test_epoll_inline);
	tcase_add_test(tc, test_epoll_et_out);
	suite_add_tcase(s, tc);
	return fixture_pair_run(s);
}

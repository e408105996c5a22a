/*
 * Socket API tests: the pure address helpers, every bad-argument errno, and
 * end to end two INLINE runtimes in one process joined by an in-memory port
 * pair (198.18.0.1 and 198.18.0.2 /24): datagrams both ways through ARP,
 * fragmentation and reassembly, peek, truncation, timeouts, ICMP errors,
 * names and port sharing. Every test that touches mbufs ends with the
 * fixture's pool check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <check.h>

#include <rte_mbuf.h>

#include "fixture.h"
#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#define IP_A 0xc6120001u   /* 198.18.0.1 */
#define IP_B 0xc6120002u   /* 198.18.0.2 */
#define POOL_SIZE 8191u

/* ---- helpers ---- */

#define SA(p) ((const struct sockaddr *)(p))

static void
fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31u + seed + (i >> 8));
}

static void
set_rcvtimeo(int fd, long usec)
{
	struct timeval tv = { .tv_sec = usec / 1000000, .tv_usec = usec % 1000000 };
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static int
udp_socket(struct tern_rt *rt)
{
	int fd = tern_socket_rt(rt, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, TERN_FD_BASE);
	return fd;
}

static void
bind_to(int fd, uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = fixture_sin(ip, port);
	ck_assert_int_eq(tern_bind(fd, SA(&a), sizeof(a)), 0);
}

/* One INLINE runtime on a single in-memory port (nobody at the far end). */
static struct tern_port *solo_port;
static struct tern_rt *solo_rt;

static struct tern_rt *
solo_up(unsigned max_sockets)
{
	fixture_pool();
	solo_port = tern_port_mem_open("api_solo", 1024, 1500);
	ck_assert_ptr_nonnull(solo_port);
	struct tern_conf c = {
		.mode = TERN_MODE_INLINE, .port = solo_port, .pool = fixture_pool(),
		.ip = IP_A, .prefix_len = 24, .max_sockets = max_sockets, .seed = 1,
	};
	solo_rt = tern_start(&c);
	ck_assert_ptr_nonnull(solo_rt);
	return solo_rt;
}

static void
solo_down(void)
{
	tern_stop(solo_rt);
	struct rte_mbuf *m[64];
	unsigned n;
	while ((n = tern_port_mem_collect(solo_port, m, 64)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	tern_port_close(solo_port);
	solo_rt = NULL;
	solo_port = NULL;
	fixture_pool_check(POOL_SIZE);
}

/* Two INLINE runtimes back to back. */
static struct fixture_inline fx;
static struct tern_rt *rt_a, *rt_b;

static void
pair_up(void)
{
	fixture_inline_up(&fx, "api_pair", IP_A, IP_B, 7);
	rt_a = fx.rt_a;
	rt_b = fx.rt_b;
}

static void
pair_down(void)
{
	fixture_inline_down(&fx);
	rt_a = rt_b = NULL;
	fixture_pool_check(POOL_SIZE);
}

/* ---- address helpers (pure) ---- */

START_TEST(test_addr_helpers)
{
	struct sockaddr_in a;
	ck_assert_int_eq(tern_addr("", 80, &a), 0);
	ck_assert_int_eq(a.sin_family, AF_INET);
	ck_assert_uint_eq(a.sin_addr.s_addr, htonl(INADDR_ANY));
	ck_assert_uint_eq(ntohs(a.sin_port), 80);
	ck_assert_int_eq(tern_addr("<broadcast>", 9, &a), 0);
	ck_assert_uint_eq(a.sin_addr.s_addr, htonl(INADDR_BROADCAST));
	ck_assert_int_eq(tern_addr("198.18.0.2", 5000, &a), 0);
	ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), IP_B);
	ck_assert_uint_eq(tern_ntohs(a.sin_port), 5000);
	ck_assert_int_eq(tern_addr("0.0.0.0", 0, &a), 0);
	ck_assert_int_eq(tern_addr("255.255.255.255", 0, &a), 0);
	ck_assert_uint_eq(a.sin_addr.s_addr, 0xffffffffu);

	static const char *bad[] = {
		"1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "a.b.c.d", " 1.2.3.4",
		"1.2.3.4 ", "1..3.4", ".1.2.3", "1.2.3.", "01.2.3.4", "1.2.3.0004",
		"-1.2.3.4", "+1.2.3.4", "0x1.2.3.4", "localhost", "1.2.3.4/24",
		"<BROADCAST>", "1234.1.1.1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(tern_addr(bad[i], 1, &a) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		struct in_addr x;
		ck_assert_int_eq(tern_inet_aton(bad[i], &x), 0);
	}
	errno = 0;
	ck_assert_int_eq(tern_addr(NULL, 1, &a), -1);
	ck_assert_int_eq(errno, EINVAL);

	struct in_addr x;
	char buf[16];
	ck_assert_int_eq(tern_inet_aton("10.0.200.7", &x), 1);
	ck_assert_uint_eq(ntohl(x.s_addr), 0x0a00c807u);
	ck_assert_str_eq(tern_inet_ntoa(x, buf), "10.0.200.7");
	x.s_addr = htonl(0xffffffffu);
	ck_assert_str_eq(tern_inet_ntoa(x, buf), "255.255.255.255");
	x.s_addr = 0;
	ck_assert_str_eq(tern_inet_ntoa(x, buf), "0.0.0.0");
	ck_assert_uint_eq(tern_htonl(1), htonl(1));
	ck_assert_uint_eq(tern_ntohl(tern_htonl(0x01020304u)), 0x01020304u);
	ck_assert_uint_eq(tern_htons(0x1234), htons(0x1234));
}
END_TEST

/* ---- bad arguments ---- */

START_TEST(test_ebadf)
{
	char b[4] = { 0 };
	struct sockaddr_in a = fixture_sin(IP_B, 9);
	socklen_t l = sizeof(a);
	int iv = 1;
	socklen_t il = sizeof(iv);
	const int fds[] = { -1, 0, 3, TERN_FD_BASE - 1, TERN_FD_BASE, TERN_FD_BASE + 65535,
			    TERN_FD_BASE + 65536, 0x7fffffff };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		int fd = fds[i];
		errno = 0;
		ck_assert_int_eq(tern_close(fd), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_bind(fd, SA(&a), sizeof(a)), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_connect(fd, SA(&a), sizeof(a)), -1);
		ck_assert_int_eq(errno, EBADF);
		ck_assert_int_eq(tern_connect_ex(fd, SA(&a), sizeof(a)), EBADF);
		errno = 0;
		ck_assert_int_eq(tern_send(fd, b, 1, 0), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_sendto(fd, b, 1, 0, SA(&a), sizeof(a)), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_recv(fd, b, 1, MSG_DONTWAIT), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_recvfrom(fd, b, 1, 0, (struct sockaddr *)&a, &l), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_getsockname(fd, (struct sockaddr *)&a, &l), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_getpeername(fd, (struct sockaddr *)&a, &l), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &iv, il), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, SO_BROADCAST, &iv, &il), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_setblocking(fd, false), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(tern_settimeout(fd, 1.0), -1);
		ck_assert_int_eq(errno, EBADF);
	}
}
END_TEST

START_TEST(test_socket_args)
{
	struct tern_rt *rt = solo_up(0);
	errno = 0;
	ck_assert_int_eq(tern_socket_rt(rt, AF_INET6, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(tern_socket_rt(rt, AF_UNIX, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(tern_socket_rt(rt, AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
	ck_assert_int_eq(errno, EPROTONOSUPPORT);
	int tfd = tern_socket_rt(rt, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	ck_assert_int_ge(tfd, TERN_FD_BASE);
	ck_assert_int_eq(tern_close(tfd), 0);
	errno = 0;
	ck_assert_int_eq(tern_socket_rt(rt, AF_INET, SOCK_SEQPACKET, 0), -1);
	ck_assert_int_eq(errno, ESOCKTNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(tern_socket_rt(rt, AF_INET, SOCK_DGRAM, IPPROTO_TCP), -1);
	ck_assert_int_eq(errno, EPROTONOSUPPORT);
	errno = 0;
	ck_assert_int_eq(tern_socket_rt(rt, AF_INET, SOCK_DGRAM | 0x100000, 0), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* The first runtime started is the default one. */
	int fd = tern_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	ck_assert_int_ge(fd, TERN_FD_BASE);
	int t = 0;
	socklen_t l = sizeof(t);
	ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l), 0);
	ck_assert_int_eq(t, SOCK_DGRAM);
	ck_assert_double_eq(tern_gettimeout(fd), -1.0);
	/* SOCK_NONBLOCK as Linux: timeout 0, recv fails at once. */
	int nb = tern_socket_rt(rt, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(nb, TERN_FD_BASE);
	ck_assert_int_ne(nb, fd);
	ck_assert_double_eq(tern_gettimeout(nb), 0.0);
	char b[8];
	errno = 0;
	ck_assert_int_eq(tern_recv(nb, b, sizeof(b), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);

	/* close, then every use is EBADF; closing twice too. */
	ck_assert_int_eq(tern_close(fd), 0);
	errno = 0;
	ck_assert_int_eq(tern_close(fd), -1);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(tern_recv(fd, b, sizeof(b), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EBADF);
	struct sockaddr_in a = fixture_sin(IP_B, 9);
	errno = 0;
	ck_assert_int_eq(tern_sendto(fd, b, 1, 0, SA(&a), sizeof(a)), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(tern_close(nb), 0);
	solo_down();

	/* No runtime left. */
	errno = 0;
	ck_assert_int_eq(tern_socket(AF_INET, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(errno, ENETDOWN);
}
END_TEST

START_TEST(test_emfile)
{
	struct tern_rt *rt = solo_up(4);
	int fds[4];
	for (int i = 0; i < 4; i++)
		fds[i] = udp_socket(rt);
	errno = 0;
	ck_assert_int_eq(tern_socket_rt(rt, AF_INET, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(errno, EMFILE);
	/* A freed slot is usable again, and the lowest descriptor comes back. */
	ck_assert_int_eq(tern_close(fds[1]), 0);
	int again = udp_socket(rt);
	ck_assert_int_eq(again, fds[1]);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(tern_close(fds[i]), 0);
	solo_down();
}
END_TEST

START_TEST(test_addr_errors)
{
	struct tern_rt *rt = solo_up(0);
	int fd = udp_socket(rt);
	struct sockaddr_in a = fixture_sin(IP_B, 9);
	char b[16] = { 0 };

	/* bind */
	errno = 0;
	ck_assert_int_eq(tern_bind(fd, SA(&a), sizeof(a) - 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	struct sockaddr_in bad = a;
	bad.sin_family = AF_INET6;
	errno = 0;
	ck_assert_int_eq(tern_bind(fd, SA(&bad), sizeof(bad)), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	struct sockaddr_in other = fixture_sin(0x0a000001u, 5000);   /* 10.0.0.1: not ours */
	errno = 0;
	ck_assert_int_eq(tern_bind(fd, SA(&other), sizeof(other)), -1);
	ck_assert_int_eq(errno, EADDRNOTAVAIL);

	/* connect */
	errno = 0;
	ck_assert_int_eq(tern_connect(fd, SA(&a), sizeof(a) - 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tern_connect(fd, SA(&bad), sizeof(bad)), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	ck_assert_int_eq(tern_connect_ex(fd, SA(&bad), sizeof(bad)), EAFNOSUPPORT);

	/* send */
	errno = 0;
	ck_assert_int_eq(tern_send(fd, b, 1, 0), -1);
	ck_assert_int_eq(errno, EDESTADDRREQ);
	static uint8_t big[65508];
	errno = 0;
	ck_assert_int_eq(tern_sendto(fd, big, sizeof(big), 0, SA(&a), sizeof(a)), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	errno = 0;
	ck_assert_int_eq(tern_sendto(fd, b, 1, 0, SA(&a), sizeof(a) - 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tern_sendto(fd, b, 1, 0, SA(&bad), sizeof(bad)), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	struct sockaddr_in port0 = fixture_sin(IP_B, 0);
	errno = 0;
	ck_assert_int_eq(tern_sendto(fd, b, 1, 0, SA(&port0), sizeof(port0)), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* broadcast without SO_BROADCAST: EACCES (limited and subnet) */
	struct sockaddr_in lim = fixture_sin(0xffffffffu, 9), sub = fixture_sin(0xc61200ffu, 9);
	errno = 0;
	ck_assert_int_eq(tern_sendto(fd, b, 1, 0, SA(&lim), sizeof(lim)), -1);
	ck_assert_int_eq(errno, EACCES);
	errno = 0;
	ck_assert_int_eq(tern_sendto(fd, b, 1, 0, SA(&sub), sizeof(sub)), -1);
	ck_assert_int_eq(errno, EACCES);
	errno = 0;
	ck_assert_int_eq(tern_connect(fd, SA(&lim), sizeof(lim)), -1);
	ck_assert_int_eq(errno, EACCES);
	int one = 1;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
	ck_assert_int_eq(tern_sendto(fd, b, 1, 0, SA(&lim), sizeof(lim)), 1);
	ck_assert_int_eq(tern_sendto(fd, b, 3, 0, SA(&sub), sizeof(sub)), 3);
	ck_assert_int_eq(tern_connect(fd, SA(&sub), sizeof(sub)), 0);
	tern_drive(rt);

	/* names */
	int fd2 = udp_socket(rt);
	struct sockaddr_in n;
	socklen_t nl = sizeof(n);
	errno = 0;
	ck_assert_int_eq(tern_getpeername(fd2, (struct sockaddr *)&n, &nl), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	nl = sizeof(n);
	ck_assert_int_eq(tern_getsockname(fd2, (struct sockaddr *)&n, &nl), 0);
	ck_assert_uint_eq(nl, sizeof(n));
	ck_assert_uint_eq(n.sin_addr.s_addr, 0);
	ck_assert_uint_eq(n.sin_port, 0);
	bind_to(fd2, IP_A, 4242);
	/* A short buffer gets a truncated copy and the full length back. */
	memset(&n, 0xee, sizeof(n));
	nl = 4;
	ck_assert_int_eq(tern_getsockname(fd2, (struct sockaddr *)&n, &nl), 0);
	ck_assert_uint_eq(nl, sizeof(n));
	ck_assert_uint_eq(n.sin_port, htons(4242));
	ck_assert_uint_eq(n.sin_addr.s_addr, 0xeeeeeeeeu);
	/* Bound twice: EINVAL as Linux. */
	struct sockaddr_in again = fixture_sin(0, 4243);
	errno = 0;
	ck_assert_int_eq(tern_bind(fd2, SA(&again), sizeof(again)), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* connect to a unicast peer, then AF_UNSPEC dissolves it. */
	ck_assert_int_eq(tern_connect(fd2, SA(&a), sizeof(a)), 0);
	nl = sizeof(n);
	ck_assert_int_eq(tern_getpeername(fd2, (struct sockaddr *)&n, &nl), 0);
	ck_assert_uint_eq(ntohl(n.sin_addr.s_addr), IP_B);
	ck_assert_uint_eq(ntohs(n.sin_port), 9);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	ck_assert_int_eq(tern_connect(fd2, &unspec, sizeof(unspec)), 0);
	nl = sizeof(n);
	errno = 0;
	ck_assert_int_eq(tern_getpeername(fd2, (struct sockaddr *)&n, &nl), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	errno = 0;
	ck_assert_int_eq(tern_send(fd2, b, 1, 0), -1);
	ck_assert_int_eq(errno, EDESTADDRREQ);

	ck_assert_int_eq(tern_close(fd), 0);
	ck_assert_int_eq(tern_close(fd2), 0);
	solo_down();
}
END_TEST

START_TEST(test_sockopts)
{
	struct tern_rt *rt = solo_up(0);
	int fd = udp_socket(rt);
	int v = 0;
	socklen_t l = sizeof(v);

	/* unknown option, unknown level, short optlen */
	errno = 0;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, 9999, &v, sizeof(v)), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	errno = 0;
	ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, 9999, &v, &l), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	errno = 0;
	ck_assert_int_eq(tern_setsockopt(fd, IPPROTO_IP, 9999, &v, sizeof(v)), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	errno = 0;
	ck_assert_int_eq(tern_setsockopt(fd, IPPROTO_TCP, 1, &v, sizeof(v)), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	errno = 0;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &v, 2), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_ERROR, &v, sizeof(v)), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);

	/* buffers: Linux doubles, clamps and floors */
	ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
	ck_assert_int_eq(v, 212992);
	ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &l), 0);
	ck_assert_int_eq(v, 212992);
	const int set[][3] = {   /* option, requested, read back */
		{ SO_RCVBUF, 1000, 2304 }, { SO_RCVBUF, 100000, 200000 },
		{ SO_RCVBUF, 1 << 30, 425984 }, { SO_RCVBUF, -1, 425984 },
		{ SO_SNDBUF, 1, 4608 }, { SO_SNDBUF, 65536, 131072 },
	};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		v = set[i][1];
		ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, set[i][0], &v, sizeof(v)), 0);
		l = sizeof(v);
		ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, set[i][0], &v, &l), 0);
		ck_assert_int_eq(v, set[i][2]);
		ck_assert_uint_eq(l, sizeof(int));
	}

	/* flags */
	ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, SO_BROADCAST, &v, &l), 0);
	ck_assert_int_eq(v, 0);
	v = 5;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), 0);
	ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &l), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	ck_assert_int_eq(v, 0);

	/* IP_TTL */
	ck_assert_int_eq(tern_getsockopt(fd, IPPROTO_IP, IP_TTL, &v, &l), 0);
	ck_assert_int_eq(v, 64);
	const int badttl[] = { 0, 256, -2, 1000 };
	for (size_t i = 0; i < 4; i++) {
		errno = 0;
		ck_assert_int_eq(tern_setsockopt(fd, IPPROTO_IP, IP_TTL, &badttl[i], sizeof(int)), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	v = 7;
	ck_assert_int_eq(tern_setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v)), 0);
	ck_assert_int_eq(tern_getsockopt(fd, IPPROTO_IP, IP_TTL, &v, &l), 0);
	ck_assert_int_eq(v, 7);
	v = -1;
	ck_assert_int_eq(tern_setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v)), 0);
	ck_assert_int_eq(tern_getsockopt(fd, IPPROTO_IP, IP_TTL, &v, &l), 0);
	ck_assert_int_eq(v, 64);

	/* timeouts */
	struct timeval tv = { .tv_sec = 1, .tv_usec = 1000000 };
	errno = 0;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), -1);
	ck_assert_int_eq(errno, EDOM);
	tv.tv_usec = -1;
	errno = 0;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), -1);
	ck_assert_int_eq(errno, EDOM);
	errno = 0;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv) - 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	tv.tv_sec = 2;
	tv.tv_usec = 500000;
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	memset(&tv, 0, sizeof(tv));
	l = sizeof(tv);
	ck_assert_int_eq(tern_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &l), 0);
	ck_assert_int_eq(tv.tv_sec, 2);
	ck_assert_int_eq(tv.tv_usec, 500000);

	/* socket module timeouts */
	ck_assert_double_eq(tern_gettimeout(fd), -1.0);
	ck_assert_int_eq(tern_settimeout(fd, 0.25), 0);
	ck_assert_double_eq_tol(tern_gettimeout(fd), 0.25, 1e-9);
	ck_assert_int_eq(tern_setblocking(fd, false), 0);
	ck_assert_double_eq(tern_gettimeout(fd), 0.0);
	ck_assert_int_eq(tern_setblocking(fd, true), 0);
	ck_assert_double_eq(tern_gettimeout(fd), -1.0);
	ck_assert_int_eq(tern_settimeout(fd, -3.0), 0);
	ck_assert_double_eq(tern_gettimeout(fd), -1.0);

	ck_assert_int_eq(tern_close(fd), 0);
	solo_down();
}
END_TEST

START_TEST(test_lcore_without_worker)
{
	fixture_pool();
	struct tern_port *p = tern_port_mem_open("api_lcore", 64, 1500);
	ck_assert_ptr_nonnull(p);
	struct tern_conf c = {
		.mode = TERN_MODE_LCORE, .port = p, .pool = fixture_pool(), .ip = IP_A,
	};
	errno = 0;
	ck_assert_ptr_null(tern_start(&c));
	ck_assert_int_eq(errno, ENODEV);
	c.stack_lcore = 5;   /* not enabled: EAL runs on lcore 0 only */
	errno = 0;
	ck_assert_ptr_null(tern_start(&c));
	ck_assert_int_eq(errno, EINVAL);
	c.mode = TERN_MODE_INLINE;
	c.ip = 0;
	errno = 0;
	ck_assert_ptr_null(tern_start(&c));
	ck_assert_int_eq(errno, EINVAL);
	tern_port_close(p);
	fixture_pool_check(POOL_SIZE);
}
END_TEST

/* ---- end to end over a port pair ---- */

static void
exchange(int from_fd, int to_fd, uint32_t from_ip, uint16_t from_port, uint16_t to_port,
	 uint32_t to_ip, size_t len, unsigned seed)
{
	static uint8_t out[65507], in[65507 + 16];
	fill(out, len, seed);
	struct sockaddr_in dst = fixture_sin(to_ip, to_port);
	ck_assert_int_eq(tern_sendto(from_fd, out, len, 0, SA(&dst), sizeof(dst)), (ssize_t)len);
	struct sockaddr_in src;
	socklen_t sl = sizeof(src);
	memset(in, 0xa5, sizeof(in));
	ssize_t n = tern_recvfrom(to_fd, in, sizeof(in), 0, (struct sockaddr *)&src, &sl);
	ck_assert_msg(n == (ssize_t)len, "size %zu: got %zd errno %d", len, n, errno);
	ck_assert_msg(memcmp(in, out, len) == 0, "size %zu: bytes differ", len);
	ck_assert_uint_eq(sl, sizeof(src));
	ck_assert_int_eq(src.sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(src.sin_addr.s_addr), from_ip);
	ck_assert_uint_eq(ntohs(src.sin_port), from_port);
}

START_TEST(test_pair_sizes)
{
	pair_up();
	int a = udp_socket(rt_a), b = udp_socket(rt_b);
	bind_to(a, 0, 5000);
	bind_to(b, IP_B, 6000);
	set_rcvtimeo(a, 5000000);
	set_rcvtimeo(b, 5000000);
	static const size_t sizes[] = { 0, 1, 1472, 1473, 8000, 65507 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		exchange(a, b, IP_A, 5000, 6000, IP_B, sizes[i], (unsigned)i);
		exchange(b, a, IP_B, 6000, 5000, IP_A, sizes[i], (unsigned)i + 100);
	}
	struct tern_stats st;
	tern_stats(rt_b, &st);
	ck_assert_uint_ge(st.frag_reassembled, 3);
	ck_assert_uint_ge(st.udp_rx, 6);
	tern_stats(rt_a, &st);
	ck_assert_uint_ge(st.frag_tx, 3);
	ck_assert_uint_ge(st.arp_request_tx + st.arp_reply_tx, 1);
	ck_assert_int_eq(tern_close(a), 0);
	ck_assert_int_eq(tern_close(b), 0);
	pair_down();
}
END_TEST

START_TEST(test_pair_connected)
{
	pair_up();
	int a = udp_socket(rt_a), b = udp_socket(rt_b);
	bind_to(b, 0, 7000);
	set_rcvtimeo(a, 5000000);
	set_rcvtimeo(b, 5000000);
	struct sockaddr_in to_b = fixture_sin(IP_B, 7000);
	ck_assert_int_eq(tern_connect(a, SA(&to_b), sizeof(to_b)), 0);
	/* connect bound the socket: our address and an ephemeral port. */
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	ck_assert_int_eq(tern_getsockname(a, (struct sockaddr *)&me, &ml), 0);
	ck_assert_uint_eq(ntohl(me.sin_addr.s_addr), IP_A);
	uint16_t aport = ntohs(me.sin_port);
	ck_assert_uint_ge(aport, 32768);
	ck_assert_uint_le(aport, 60999);

	ck_assert_int_eq(tern_send(a, "hello", 5, 0), 5);
	char buf[64];
	struct sockaddr_in src;
	socklen_t sl = sizeof(src);
	ck_assert_int_eq(tern_recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_uint_eq(ntohs(src.sin_port), aport);
	/* reply to the sender; sendto with an address on a connected socket is fine too */
	ck_assert_int_eq(tern_sendto(b, "world", 5, 0, SA(&src), sl), 5);
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "world", 5);
	ck_assert_int_eq(tern_sendto(a, "again", 5, 0, SA(&to_b), sizeof(to_b)), 5);
	ck_assert_int_eq(tern_recv(b, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "again", 5);

	ck_assert_int_eq(tern_close(a), 0);
	ck_assert_int_eq(tern_close(b), 0);
	pair_down();
}
END_TEST

START_TEST(test_pair_peek_trunc)
{
	pair_up();
	int a = udp_socket(rt_a), b = udp_socket(rt_b);
	bind_to(b, 0, 7001);
	set_rcvtimeo(b, 5000000);
	struct sockaddr_in to_b = fixture_sin(IP_B, 7001);
	uint8_t out[3000], in[3000], peek[3000];
	fill(out, sizeof(out), 3);
	ck_assert_int_eq(tern_sendto(a, out, 100, 0, SA(&to_b), sizeof(to_b)), 100);
	ck_assert_int_eq(tern_sendto(a, out + 1, 2000, 0, SA(&to_b), sizeof(to_b)), 2000);
	ck_assert_int_eq(tern_sendto(a, out + 2, 50, 0, SA(&to_b), sizeof(to_b)), 50);

	/* PEEK twice, then recv: the same bytes, and the datagram only then leaves. */
	struct sockaddr_in src;
	socklen_t sl = sizeof(src);
	ck_assert_int_eq(tern_recvfrom(b, peek, sizeof(peek), MSG_PEEK, (struct sockaddr *)&src, &sl), 100);
	ck_assert_uint_eq(ntohl(src.sin_addr.s_addr), IP_A);
	ck_assert_int_eq(tern_recv(b, peek, 10, MSG_PEEK), 10);
	ck_assert_int_eq(tern_recv(b, in, sizeof(in), 0), 100);
	ck_assert_mem_eq(in, peek, 10);
	ck_assert_mem_eq(in, out, 100);

	/* Truncation: the rest of the datagram is lost; MSG_TRUNC gives the real length. */
	memset(in, 0, sizeof(in));
	ck_assert_int_eq(tern_recv(b, in, 10, MSG_PEEK | MSG_TRUNC), 2000);
	ck_assert_int_eq(tern_recv(b, in, 10, 0), 10);
	ck_assert_mem_eq(in, out + 1, 10);
	ck_assert_int_eq(tern_recv(b, in, 7, MSG_TRUNC), 50);
	ck_assert_mem_eq(in, out + 2, 7);
	/* A zero-length read takes a datagram too. */
	ck_assert_int_eq(tern_sendto(a, out, 9, 0, SA(&to_b), sizeof(to_b)), 9);
	ck_assert_int_eq(tern_recv(b, NULL, 0, 0), 0);
	errno = 0;
	ck_assert_int_eq(tern_recv(b, in, sizeof(in), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);

	ck_assert_int_eq(tern_close(a), 0);
	ck_assert_int_eq(tern_close(b), 0);
	pair_down();
}
END_TEST

START_TEST(test_pair_timeouts)
{
	pair_up();
	int b = udp_socket(rt_b);
	bind_to(b, 0, 7002);
	char buf[16];

	/* SO_RCVTIMEO: EAGAIN after the time, not before. */
	set_rcvtimeo(b, 100000);
	uint64_t t0 = tern_clock_ns();
	errno = 0;
	ck_assert_int_eq(tern_recv(b, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	uint64_t dt = tern_clock_ns() - t0;
	ck_assert_uint_ge(dt, 100 * TERN_NS_PER_MS);
	ck_assert_uint_lt(dt, 2000 * TERN_NS_PER_MS);

	/* settimeout is the socket module's timeout, same EAGAIN. */
	set_rcvtimeo(b, 0);
	ck_assert_int_eq(tern_settimeout(b, 0.05), 0);
	t0 = tern_clock_ns();
	errno = 0;
	ck_assert_int_eq(tern_recv(b, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_ge(tern_clock_ns() - t0, 50 * TERN_NS_PER_MS);

	/* non-blocking: at once */
	ck_assert_int_eq(tern_setblocking(b, false), 0);
	t0 = tern_clock_ns();
	errno = 0;
	ck_assert_int_eq(tern_recvfrom(b, buf, sizeof(buf), 0, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(tern_setblocking(b, true), 0);
	errno = 0;
	ck_assert_int_eq(tern_recv(b, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_lt(tern_clock_ns() - t0, 50 * TERN_NS_PER_MS);

	ck_assert_int_eq(tern_close(b), 0);
	pair_down();
}
END_TEST

START_TEST(test_pair_refused)
{
	pair_up();
	int a = udp_socket(rt_a);
	set_rcvtimeo(a, 3000000);
	struct sockaddr_in nobody = fixture_sin(IP_B, 7777);
	ck_assert_int_eq(tern_connect(a, SA(&nobody), sizeof(nobody)), 0);
	ck_assert_int_eq(tern_send(a, "knock", 5, 0), 5);
	char buf[16];
	errno = 0;
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	/* reported once */
	int v = -1;
	socklen_t l = sizeof(v);
	ck_assert_int_eq(tern_getsockopt(a, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	ck_assert_int_eq(v, 0);

	/* Again, this time the pending error is read with SO_ERROR, then the
	 * next one fails the send that follows. */
	ck_assert_int_eq(tern_send(a, "knock", 5, 0), 5);
	errno = 0;
	ck_assert_int_eq(tern_recv(a, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(tern_send(a, "knock", 5, 0), 5);
	/* drive the stacks until the ICMP error is back */
	for (int i = 0; i < 100000; i++) {
		tern_drive(rt_a);
		tern_drive(rt_b);
		struct tern_stats st;
		tern_stats(rt_a, &st);
		if (st.icmp_error_rx >= 3)
			break;
	}
	errno = 0;
	ck_assert_int_eq(tern_send(a, "knock", 5, 0), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);

	struct tern_stats st;
	tern_stats(rt_b, &st);
	ck_assert_uint_ge(st.udp_no_port, 3);
	ck_assert_uint_ge(st.icmp_unreach_tx, 3);
	ck_assert_int_eq(tern_close(a), 0);
	pair_down();
}
END_TEST

START_TEST(test_pair_ephemeral_and_reuse)
{
	pair_up();
	int a = udp_socket(rt_a), b = udp_socket(rt_b);
	bind_to(b, 0, 7003);
	set_rcvtimeo(b, 5000000);
	struct sockaddr_in to_b = fixture_sin(IP_B, 7003);
	ck_assert_int_eq(tern_sendto(a, "x", 1, 0, SA(&to_b), sizeof(to_b)), 1);
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	ck_assert_int_eq(tern_getsockname(a, (struct sockaddr *)&me, &ml), 0);
	ck_assert_uint_eq(me.sin_addr.s_addr, htonl(INADDR_ANY));
	uint16_t port = ntohs(me.sin_port);
	ck_assert_uint_ge(port, 32768);
	ck_assert_uint_le(port, 60999);
	struct sockaddr_in src;
	socklen_t sl = sizeof(src);
	char c;
	ck_assert_int_eq(tern_recvfrom(b, &c, 1, 0, (struct sockaddr *)&src, &sl), 1);
	ck_assert_uint_eq(ntohs(src.sin_port), port);

	/* Same port twice: EADDRINUSE; with SO_REUSEADDR on both: fine. */
	int x = udp_socket(rt_a), y = udp_socket(rt_a);
	bind_to(x, 0, 8000);
	struct sockaddr_in p8000 = fixture_sin(0, 8000);
	errno = 0;
	ck_assert_int_eq(tern_bind(y, SA(&p8000), sizeof(p8000)), -1);
	ck_assert_int_eq(errno, EADDRINUSE);
	int r1 = udp_socket(rt_a), r2 = udp_socket(rt_a);
	int one = 1;
	ck_assert_int_eq(tern_setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	ck_assert_int_eq(tern_setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	bind_to(r1, 0, 8001);
	bind_to(r2, 0, 8001);
	/* Closing frees the port. */
	ck_assert_int_eq(tern_close(x), 0);
	bind_to(y, 0, 8000);

	ck_assert_int_eq(tern_close(a), 0);
	ck_assert_int_eq(tern_close(b), 0);
	ck_assert_int_eq(tern_close(y), 0);
	ck_assert_int_eq(tern_close(r1), 0);
	ck_assert_int_eq(tern_close(r2), 0);
	pair_down();
}
END_TEST

START_TEST(test_pair_close_drops_queue)
{
	/* Datagrams still queued at close go back to the pool; a reused slot
	 * starts empty. */
	pair_up();
	int a = udp_socket(rt_a), b = udp_socket(rt_b);
	bind_to(b, 0, 7004);
	struct sockaddr_in to_b = fixture_sin(IP_B, 7004);
	char buf[2000] = { 0 };
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(tern_sendto(a, buf, sizeof(buf), 0, SA(&to_b), sizeof(to_b)),
				 (ssize_t)sizeof(buf));
	set_rcvtimeo(b, 5000000);
	ck_assert_int_eq(tern_recv(b, buf, sizeof(buf), MSG_PEEK), (ssize_t)sizeof(buf));
	for (int i = 0; i < 1000; i++) {
		tern_drive(rt_a);
		tern_drive(rt_b);
	}
	ck_assert_int_eq(tern_close(b), 0);
	int b2 = udp_socket(rt_b);
	errno = 0;
	ck_assert_int_eq(tern_recv(b2, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(tern_close(b2), 0);
	/* Sockets left open are closed by tern_stop. */
	(void)a;
	pair_down();
	errno = 0;
	ck_assert_int_eq(tern_close(a), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

static Suite *
api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *pure = tcase_create("addr");
	tcase_add_test(pure, test_addr_helpers);
	tcase_add_test(pure, test_ebadf);
	suite_add_tcase(s, pure);
	TCase *args = tcase_create("args");
	tcase_add_test(args, test_socket_args);
	tcase_add_test(args, test_emfile);
	tcase_add_test(args, test_addr_errors);
	tcase_add_test(args, test_sockopts);
	tcase_add_test(args, test_lcore_without_worker);
	suite_add_tcase(s, args);
	TCase *pair = tcase_create("pair");
	tcase_set_timeout(pair, 60);
	tcase_add_test(pair, test_pair_sizes);
	tcase_add_test(pair, test_pair_connected);
	tcase_add_test(pair, test_pair_peek_trunc);
	tcase_add_test(pair, test_pair_timeouts);
	tcase_add_test(pair, test_pair_refused);
	tcase_add_test(pair, test_pair_ephemeral_and_reuse);
	tcase_add_test(pair, test_pair_close_drops_queue);
	suite_add_tcase(s, pair);
	return s;
}

int
main(void)
{
	return fixture_run(api_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * TCP between two Tern stacks back to back in one process (INLINE mode over
 * an in-memory wire): handshake, byte streams both ways checked byte for
 * byte, half-close, EOF exactly once, close and the errno of calls on a
 * closed connection. The pool leak gate runs after each test.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>

#include <check.h>
#include <rte_mempool.h>

#include "fixture.h"
#include "port.h"
#include "stack.h"
#include "tern.h"

#define IP_A 0xc6120001u   /* 198.18.0.1 */
#define IP_B 0xc6120002u   /* 198.18.0.2 */

static struct tern_port *port_a, *port_b;
static struct tern_rt *rt_a, *rt_b;
static unsigned pool_start;

static void
setup(void)
{
	pool_start = fixture_pool_avail();
	ck_assert_int_eq(tern_port_mem_pair("tcp_pair", 1024, 1500, &port_a, &port_b), 0);
	struct tern_conf c = { .mode = TERN_MODE_INLINE, .port = port_a, .pool = fixture_pool(),
			       .ip = IP_A, .prefix_len = 24, .seed = 11 };
	rt_a = tern_start(&c);
	ck_assert_ptr_nonnull(rt_a);
	c.port = port_b;
	c.ip = IP_B;
	c.seed = 12;
	rt_b = tern_start(&c);
	ck_assert_ptr_nonnull(rt_b);
}

static void
teardown(void)
{
	tern_stop(rt_a);
	tern_stop(rt_b);
	tern_port_close(port_a);
	tern_port_close(port_b);
	fixture_pool_check(pool_start);
}

static struct sockaddr_in
addr_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(ip) };
	return a;
}

static void
poll_both(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		tern_drive(rt_a);
		tern_drive(rt_b);
	}
}

/* A listener on B:port and a connected pair; *srv is B's accepted socket. */
static int
connect_pair(uint16_t port, int *srv, int *lst)
{
	int l = tern_socket_rt(rt_b, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(l, 0);
	struct sockaddr_in sa = addr_of(0, port);
	ck_assert_int_eq(tern_bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(tern_listen(l, 8), 0);
	int c = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(c, 0);
	struct sockaddr_in to = addr_of(IP_B, port);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	int a = tern_accept(l, (struct sockaddr *)&peer, &pl);
	ck_assert_int_ge(a, 0);
	ck_assert_uint_eq(ntohl(peer.sin_addr.s_addr), IP_A);
	*srv = a;
	*lst = l;
	return c;
}

START_TEST(test_handshake_and_names)
{
	int a, l;
	int c = connect_pair(7000, &a, &l);
	struct sockaddr_in n;
	socklen_t nl = sizeof(n);
	ck_assert_int_eq(tern_getpeername(c, (struct sockaddr *)&n, &nl), 0);
	ck_assert_uint_eq(ntohl(n.sin_addr.s_addr), IP_B);
	ck_assert_uint_eq(ntohs(n.sin_port), 7000);
	nl = sizeof(n);
	ck_assert_int_eq(tern_getsockname(c, (struct sockaddr *)&n, &nl), 0);
	ck_assert_uint_eq(ntohl(n.sin_addr.s_addr), IP_A);
	ck_assert_uint_ge(ntohs(n.sin_port), 32768);
	/* connect again: EISCONN, as Linux */
	struct sockaddr_in to = addr_of(IP_B, 7000);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EISCONN);
	int acc = 0;
	socklen_t al = sizeof(acc);
	ck_assert_int_eq(tern_getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al), 0);
	ck_assert_int_eq(acc, 1);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	ck_assert_int_eq(tern_getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	ck_assert_uint_eq(ti.tcpi_state, 1);   /* TCP_ESTABLISHED */
	ck_assert_uint_eq(ti.tcpi_snd_mss, 1448);   /* 1460 less 12 bytes of timestamps, as Linux */
	ck_assert(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	ck_assert(ti.tcpi_options & TCPI_OPT_SACK);
	ck_assert(ti.tcpi_options & TCPI_OPT_WSCALE);
	tern_close(c);
	tern_close(a);
	tern_close(l);
	poll_both(10);
}
END_TEST

static uint8_t bufs[2][1 << 20];
static uint8_t got[2][1 << 20];

static void
pattern(uint8_t *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* Move n bytes each way at once, non-blocking, polling both stacks. */
static void
exchange(int c, int a, size_t n)
{
	pattern(bufs[0], n, 1);
	pattern(bufs[1], n, 2);
	size_t sent[2] = { 0, 0 }, rcvd[2] = { 0, 0 };
	int fd[2] = { c, a };
	for (unsigned iter = 0; iter < 2000000 && (rcvd[0] < n || rcvd[1] < n); iter++) {
		for (int k = 0; k < 2; k++) {
			if (sent[k] < n) {
				ssize_t w = tern_send(fd[k], bufs[k] + sent[k], n - sent[k], MSG_DONTWAIT);
				if (w > 0)
					sent[k] += (size_t)w;
				else
					ck_assert_int_eq(errno, EAGAIN);
			}
			/* fd[k] receives what the other side sent */
			if (rcvd[1 - k] < n) {
				ssize_t r = tern_recv(fd[k], got[1 - k] + rcvd[1 - k], n - rcvd[1 - k],
						      MSG_DONTWAIT);
				if (r > 0)
					rcvd[1 - k] += (size_t)r;
				else
					ck_assert_int_eq(errno, EAGAIN);
			}
		}
		poll_both(1);
	}
	ck_assert_uint_eq(rcvd[0], n);
	ck_assert_uint_eq(rcvd[1], n);
	ck_assert(memcmp(got[0], bufs[0], n) == 0);
	ck_assert(memcmp(got[1], bufs[1], n) == 0);
}

START_TEST(test_stream_both_ways)
{
	int a, l;
	int c = connect_pair(7001, &a, &l);
	exchange(c, a, 1 << 20);
	tern_close(c);
	tern_close(a);
	tern_close(l);
	poll_both(10);
}
END_TEST

START_TEST(test_half_close_eof_once)
{
	int a, l;
	int c = connect_pair(7002, &a, &l);
	ck_assert_int_eq(tern_send(c, "hello", 5, 0), 5);
	ck_assert_int_eq(tern_shutdown(c, SHUT_WR), 0);
	char b[16];
	ck_assert_int_eq(tern_recv(a, b, sizeof(b), MSG_WAITALL), 5);
	ck_assert(memcmp(b, "hello", 5) == 0);
	ck_assert_int_eq(tern_recv(a, b, sizeof(b), 0), 0);   /* EOF */
	ck_assert_int_eq(tern_recv(a, b, sizeof(b), 0), 0);   /* and again 0, as Linux */
	/* the other direction still works after our half-close */
	ck_assert_int_eq(tern_send(a, "world", 5, 0), 5);
	ck_assert_int_eq(tern_recv(c, b, 5, MSG_WAITALL), 5);
	ck_assert(memcmp(b, "world", 5) == 0);
	/* sending after shutdown(SHUT_WR): EPIPE */
	ck_assert_int_eq(tern_send(c, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	tern_close(a);
	ck_assert_int_eq(tern_recv(c, b, sizeof(b), 0), 0);
	tern_close(c);
	tern_close(l);
	poll_both(10);
}
END_TEST

START_TEST(test_peek_and_partial)
{
	int a, l;
	int c = connect_pair(7003, &a, &l);
	ck_assert_int_eq(tern_send(c, "abcdefgh", 8, 0), 8);
	char b[8];
	ck_assert_int_eq(tern_recv(a, b, 3, MSG_PEEK), 3);
	ck_assert(memcmp(b, "abc", 3) == 0);
	ck_assert_int_eq(tern_recv(a, b, 3, 0), 3);
	ck_assert(memcmp(b, "abc", 3) == 0);
	ck_assert_int_eq(tern_recv(a, b, 8, 0), 5);
	ck_assert(memcmp(b, "defgh", 5) == 0);
	ck_assert_int_eq(tern_recv(a, b, 8, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	tern_close(c);
	tern_close(a);
	tern_close(l);
	poll_both(10);
}
END_TEST

START_TEST(test_refused_and_errors)
{
	int c = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = addr_of(IP_B, 7999);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	tern_close(c);
	/* never connected: send EPIPE, recv ENOTCONN (Linux) */
	c = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
	char b[4];
	ck_assert_int_eq(tern_send(c, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(tern_recv(c, b, 4, 0), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	/* non-blocking connect: EINPROGRESS, then connected */
	int a, l;
	int c2 = connect_pair(7004, &a, &l);
	tern_close(c2);
	tern_close(a);
	ck_assert_int_eq(tern_setblocking(c, false), 0);
	to = addr_of(IP_B, 7004);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	poll_both(20);
	int err = -1;
	socklen_t el = sizeof(err);
	ck_assert_int_eq(tern_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	ck_assert_int_eq(err, 0);
	/* Linux: the first connect() after the handshake completed reports
	 * it (0, SS_CONNECTING -> SS_CONNECTED); the next one EISCONN. */
	ck_assert_int_eq(tern_connect_ex(c, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(tern_connect_ex(c, (struct sockaddr *)&to, sizeof(to)), EISCONN);
	tern_close(c);
	tern_close(l);
	poll_both(10);
}
END_TEST

START_TEST(test_reset_on_unread_close)
{
	int a, l;
	int c = connect_pair(7005, &a, &l);
	ck_assert_int_eq(tern_send(c, "data", 4, 0), 4);
	poll_both(10);
	/* a closes with "data" unread: RST (RFC 2525 2.17); c sees ECONNRESET */
	tern_close(a);
	poll_both(10);
	char b[4];
	ck_assert_int_eq(tern_recv(c, b, 4, 0), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_int_eq(tern_recv(c, b, 4, 0), 0);
	tern_close(c);
	tern_close(l);
	poll_both(10);
}
END_TEST


/* The local name of @p fd. */
static struct sockaddr_in
name_of(int fd)
{
	struct sockaddr_in n;
	memset(&n, 0, sizeof(n));
	socklen_t nl = sizeof(n);
	ck_assert_int_eq(tern_getsockname(fd, (struct sockaddr *)&n, &nl), 0);
	return n;
}

/* Close @p fd with an RST (SO_LINGER 0). */
static void
close_rst(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ck_assert_int_eq(tern_close(fd), 0);
}

/* Linux keeps a TCP socket when its connection ends (CLOSE): refused, it
 * is unconnected and may connect again; reset, it keeps its name and may
 * bind (its automatic port was given back) but not listen; a connection
 * reset before accept() is accepted all the same; connect(AF_UNSPEC)
 * resets a connection and leaves the socket free to connect anew. */
START_TEST(test_socket_outlives_connection)
{
	char b[8];
	int c = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = addr_of(IP_B, 7998);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(tern_recv(c, b, sizeof(b), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	struct sockaddr_in n = name_of(c);
	ck_assert_uint_eq(ntohl(n.sin_addr.s_addr), 0);
	ck_assert_uint_ge(ntohs(n.sin_port), 32768);
	/* the same socket connects again */
	int l = tern_socket_rt(rt_b, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = addr_of(0, 7010);
	ck_assert_int_eq(tern_bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(tern_listen(l, 8), 0);
	to = addr_of(IP_B, 7010);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	int a = tern_accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(tern_send(c, "x", 1, 0), 1);
	ck_assert_int_eq(tern_recv(a, b, sizeof(b), 0), 1);
	uint16_t port = ntohs(name_of(c).sin_port);
	/* reset by the peer */
	close_rst(a);
	poll_both(10);
	ck_assert_int_eq(tern_recv(c, b, sizeof(b), 0), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_int_eq(tern_recv(c, b, sizeof(b), 0), 0);
	n = name_of(c);
	ck_assert_uint_eq(ntohl(n.sin_addr.s_addr), IP_A);
	ck_assert_uint_eq(ntohs(n.sin_port), port);
	ck_assert_int_eq(tern_listen(c, 4), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EISCONN);
	sa = addr_of(0, 7011);
	ck_assert_int_eq(tern_bind(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_uint_eq(ntohs(name_of(c).sin_port), 7011);
	tern_close(c);
	/* data, then an RST, before accept(): accepted, data, error, EOF */
	c = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(tern_send(c, "hi", 2, 0), 2);
	poll_both(10);
	close_rst(c);
	poll_both(10);
	a = tern_accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(tern_recv(a, b, sizeof(b), 0), 2);
	ck_assert(memcmp(b, "hi", 2) == 0);
	ck_assert_int_eq(tern_recv(a, b, sizeof(b), 0), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_int_eq(tern_recv(a, b, sizeof(b), 0), 0);
	tern_close(a);
	/* connect(AF_UNSPEC): the peer is reset, the socket connects anew */
	c = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	a = tern_accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	struct sockaddr_in u = { .sin_family = AF_UNSPEC };
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&u, sizeof(u)), 0);
	poll_both(10);
	ck_assert_int_eq(tern_recv(a, b, sizeof(b), 0), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	socklen_t nl = sizeof(n);
	ck_assert_int_eq(tern_getpeername(c, (struct sockaddr *)&n, &nl), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	/* the ECONNRESET left by the disconnect does not end the new attempt */
	ck_assert_int_eq(tern_connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	tern_close(a);
	a = tern_accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(tern_send(c, "again", 5, 0), 5);
	ck_assert_int_eq(tern_recv(a, b, 5, MSG_WAITALL), 5);
	ck_assert(memcmp(b, "again", 5) == 0);
	tern_close(c);
	tern_close(a);
	tern_close(l);
	poll_both(10);
}
END_TEST


static Suite *
suite(void)
{
	Suite *s = suite_create("tcp_sim");
	TCase *tc = tcase_create("tcp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_handshake_and_names);
	tcase_add_test(tc, test_stream_both_ways);
	tcase_add_test(tc, test_half_close_eof_once);
	tcase_add_test(tc, test_peek_and_partial);
	tcase_add_test(tc, test_refused_and_errors);
	tcase_add_test(tc, test_reset_on_unread_close);
	tcase_add_test(tc, test_socket_outlives_connection);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(suite()) == 0 ? 0 : 1;
}

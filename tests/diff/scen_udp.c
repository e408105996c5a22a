/*
 * Scenarios: UDP. Datagram boundaries, truncation (with and without
 * MSG_TRUNC), MSG_PEEK, empty datagrams, connect / AF_UNSPEC disconnect,
 * sendto on a connected socket, ICMP port unreachable as ECONNREFUSED,
 * broadcast with and without SO_BROADCAST, timeouts and non-blocking calls,
 * names, large (fragmented) datagrams, bad destinations, shutdown.
 *
 * Waiting: a datagram from the peer is waited for with sut_wait (bounded
 * poll) before a non-blocking receive; a datagram from the SUT with the
 * peer's blocking receive (bounded by its SO_RCVTIMEO).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "diff.h"

/* A SUT socket bound to PORT(0) and a peer on PORT(1). */
static int
udp_pair(struct diff_ctx *c, int *peer)
{
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	*peer = peer_udp(c, PORT(c, 1));
	return fd;
}

static void
u_basic(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	peer_sendto(c, "peer.sendto", p, "hello", 5, SUT_IP, PORT(c, 0));
	sut_recvfrom(c, "recvfrom", fd, 64, 0);
	sut_sendto(c, "sendto", fd, "world!", 6, 0, PEER_IP, PORT(c, 1));
	peer_recvfrom(c, "peer.recvfrom", p, 64);
	sut_sockname(c, "getsockname", fd);
	sut_peername(c, "getpeername", fd);
}

static void
u_boundaries(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	peer_sendto(c, "peer.send1", p, "12345", 5, SUT_IP, PORT(c, 0));
	peer_sendto(c, "peer.send2", p, "abcdefghij", 10, SUT_IP, PORT(c, 0));
	peer_sendto(c, "peer.send3", p, "Z", 1, SUT_IP, PORT(c, 0));
	sut_recv(c, "recv1", fd, 100, 0);
	sut_recv(c, "recv2", fd, 100, 0);
	sut_recv(c, "recv3", fd, 100, 0);
	sut_recv(c, "recv4", fd, 100, MSG_DONTWAIT);
	/* The other way: three datagrams stay three. */
	sut_sendto(c, "send1", fd, "ab", 2, 0, PEER_IP, PORT(c, 1));
	sut_sendto(c, "send2", fd, "cdef", 4, 0, PEER_IP, PORT(c, 1));
	sut_sendto(c, "send3", fd, "g", 1, 0, PEER_IP, PORT(c, 1));
	peer_recv(c, "peer.recv1", p, 100, 0);
	peer_recv(c, "peer.recv2", p, 100, 0);
	peer_recv(c, "peer.recv3", p, 100, 0);
}

/* A short buffer: the rest of the datagram is gone (or, with MSG_TRUNC,
 * the real length is returned). */
static void
u_trunc(struct diff_ctx *c, intptr_t arg)
{
	int flags = (int)arg;
	int p, fd = udp_pair(c, &p);
	peer_sendto(c, "peer.send1", p, "0123456789abcdefghij", 20, SUT_IP, PORT(c, 0));
	peer_sendto(c, "peer.send2", p, "second", 6, SUT_IP, PORT(c, 0));
	sut_recv(c, "recv_short", fd, 8, flags);
	sut_recvfrom(c, "recvfrom_next", fd, 64, flags);
	sut_recv(c, "recv_empty", fd, 64, MSG_DONTWAIT | flags);
}

static void
u_peek(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	peer_sendto(c, "peer.send1", p, "first datagram", 14, SUT_IP, PORT(c, 0));
	peer_sendto(c, "peer.send2", p, "second", 6, SUT_IP, PORT(c, 0));
	sut_wait(c, "wait", fd, POLLIN);
	sut_recv(c, "peek_short", fd, 5, MSG_PEEK);
	sut_recv(c, "peek_trunc", fd, 5, MSG_PEEK | MSG_TRUNC);
	sut_recvfrom(c, "peek_full", fd, 64, MSG_PEEK);
	sut_recv(c, "recv", fd, 64, 0);
	sut_recv(c, "peek_second", fd, 64, MSG_PEEK | MSG_DONTWAIT);
	sut_recv(c, "recv_second", fd, 64, 0);
	sut_recv(c, "peek_empty", fd, 64, MSG_PEEK | MSG_DONTWAIT);
}

static void
u_zero(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	peer_sendto(c, "peer.send_empty", p, "", 0, SUT_IP, PORT(c, 0));
	sut_recvfrom(c, "recvfrom_empty", fd, 64, 0);
	sut_sendto(c, "sendto_empty", fd, "", 0, 0, PEER_IP, PORT(c, 1));
	peer_recvfrom(c, "peer.recv_empty", p, 64);
	/* A zero-length buffer takes (and drops) a whole datagram. */
	peer_sendto(c, "peer.send5", p, "12345", 5, SUT_IP, PORT(c, 0));
	peer_sendto(c, "peer.send3", p, "abc", 3, SUT_IP, PORT(c, 0));
	sut_wait(c, "wait", fd, POLLIN);
	sut_recv(c, "recv_len0_trunc", fd, 0, MSG_TRUNC | MSG_PEEK);
	sut_recv(c, "recv_len0", fd, 0, 0);
	sut_recv(c, "recv_next", fd, 64, 0);
}

static void
u_connect(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	int other = peer_udp(c, PORT(c, 2));
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_peername(c, "getpeername", fd);
	sut_sockname(c, "getsockname", fd);
	sut_send(c, "send", fd, "to peer", 7, 0);
	peer_recvfrom(c, "peer.recvfrom", p, 64);
	/* A connected socket takes datagrams from its peer only: the one from
	 * the other port is dropped, the next from the peer arrives. */
	peer_sendto(c, "other.send", other, "not me", 6, SUT_IP, PORT(c, 0));
	peer_sendto(c, "peer.send", p, "me", 2, SUT_IP, PORT(c, 0));
	sut_recvfrom(c, "recvfrom", fd, 64, 0);
	sut_recv(c, "recv_none", fd, 64, MSG_DONTWAIT);
	/* sendto elsewhere is allowed while connected (Linux). */
	sut_sendto(c, "sendto_other", fd, "side", 4, 0, PEER_IP, PORT(c, 2));
	peer_recvfrom(c, "other.recvfrom", other, 64);
	/* Connecting again moves the association. */
	sut_connect_to(c, "reconnect", fd, PEER_IP, PORT(c, 2));
	sut_peername(c, "getpeername2", fd);
	sut_send(c, "send2", fd, "moved", 5, 0);
	peer_recvfrom(c, "other.recvfrom2", other, 64);
}

static void
u_disconnect(struct diff_ctx *c, intptr_t arg)
{
	bool bound = arg != 0;
	int fd = sut_udp(c, "socket");
	if (bound)
		sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	int p = peer_udp(c, PORT(c, 1));
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_sockname(c, "getsockname1", fd);
	struct sockaddr_in u;
	memset(&u, 0, sizeof(u));
	u.sin_family = AF_UNSPEC;
	sut_connect(c, "connect_unspec", fd, (struct sockaddr *)&u, sizeof(u));
	sut_peername(c, "getpeername", fd);
	/* Linux udp_disconnect: an address or port bound only implicitly is
	 * dropped with the association. */
	sut_sockname(c, "getsockname2", fd);
	sut_send(c, "send", fd, "x", 1, 0);
	sut_sendto(c, "sendto", fd, "y", 1, 0, PEER_IP, PORT(c, 1));
	peer_recv(c, "peer.recv", p, 8, 0);
	/* AF_UNSPEC needs only the family: a 2-byte address will do. */
	sut_connect_to(c, "connect2", fd, PEER_IP, PORT(c, 1));
	sut_connect(c, "unspec_len2", fd, (struct sockaddr *)&u, sizeof(sa_family_t));
	sut_peername(c, "getpeername2", fd);
	sut_connect(c, "unspec_len1", fd, (struct sockaddr *)&u, 1);
	/* Disconnecting a socket never connected is fine too. */
	int q = sut_udp(c, "socket2");
	sut_connect(c, "unspec_fresh", q, (struct sockaddr *)&u, sizeof(u));
}

/* Sends with no destination fail; Linux has bound an ephemeral port by
 * then (inet_send_prepare runs first), Tern binds only for a datagram that
 * leaves (README, "Where Tern differs"). */
static void
u_send_unconnected(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_send(c, "send", fd, "x", 1, 0);
	sut_sendto(c, "sendto_null", fd, "x", 1, 0, 0, 0);
	sut_peername(c, "getpeername", fd);
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_send(c, "send_bound", fd, "x", 1, 0);
}

/* connect() to a port with no socket: the datagram is answered with ICMP
 * port unreachable, which a connected socket sees as ECONNREFUSED
 * (RFC 1122 4.1.3.3; Linux reports it to connected sockets only). */
static void
u_refused(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_send(c, "send", fd, "anyone?", 7, 0);
	sut_settimeout(c, "settimeout", fd, 1.5);
	sut_recv(c, "recv", fd, 64, 0);
	/* Reported once. */
	sut_recv(c, "recv_again", fd, 64, MSG_DONTWAIT);
	sut_send(c, "send2", fd, "again", 5, 0);
	sut_wait(c, "wait_err", fd, 0);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	sut_getint(c, "SO_ERROR_again", fd, SOL_SOCKET, SO_ERROR);
	sut_send(c, "send3", fd, "third", 5, 0);
	sut_wait(c, "wait_err2", fd, 0);
	/* The pending error fails the next send too. */
	sut_send(c, "send4", fd, "fourth", 6, 0);
	sut_send(c, "send5", fd, "fifth", 5, 0);
}

/* The same ICMP to an unconnected socket: Linux drops it (no IP_RECVERR). */
static void
u_refused_unconnected(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	int p = peer_udp(c, PORT(c, 2));
	sut_sendto(c, "sendto_closed", fd, "anyone?", 7, 0, PEER_IP, PORT(c, 1));
	/* The ICMP error leaves the peer before this answer does. */
	sut_sendto(c, "sendto_open", fd, "ping", 4, 0, PEER_IP, PORT(c, 2));
	peer_recv(c, "peer.recv", p, 16, 0);
	peer_sendto(c, "peer.reply", p, "pong", 4, SUT_IP, PORT(c, 0));
	sut_recv(c, "recv_reply", fd, 16, 0);
	sut_recv(c, "recv_none", fd, 16, MSG_DONTWAIT);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
}

/* A datagram queued before the error arrives: Linux's recv reports the
 * error first, Tern the data first (README, "Where Tern differs"). */
static void
u_refused_queued(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	int p = peer_udp(c, PORT(c, 1));
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	peer_sendto(c, "peer.send", p, "queued", 6, SUT_IP, PORT(c, 0));
	sut_wait(c, "wait_data", fd, POLLIN);
	peer_close(c, p);
	sut_send(c, "send", fd, "x", 1, 0);
	sut_wait(c, "wait_err", fd, 0);
	sut_recv(c, "recv1", fd, 64, MSG_DONTWAIT);
	sut_recv(c, "recv2", fd, 64, MSG_DONTWAIT);
	sut_recv(c, "recv3", fd, 64, MSG_DONTWAIT);
}

/* The peer's connected socket to a SUT port with no socket: the SUT's
 * ICMP port unreachable reaches the peer as ECONNREFUSED. */
static void
u_peer_refused(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p = peer_udp(c, PORT(c, 1));
	struct sockaddr_in a = sin_of(SUT_IP, PORT(c, 0));
	int rc = connect(p, (struct sockaddr *)&a, sizeof(a));
	rec_ret(c, "peer.connect", rc, errno);
	peer_send(c, "peer.send", p, "knock", 5);
	peer_recv(c, "peer.recv", p, 16, 0);
	/* Now with a socket there. */
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, SUT_IP, PORT(c, 0));
	peer_send(c, "peer.send2", p, "knock", 5);
	sut_recvfrom(c, "recvfrom", fd, 16, 0);
}

static void
u_broadcast(struct diff_ctx *c, intptr_t arg)
{
	bool opt = arg != 0;
	int fd = sut_udp(c, "socket");
	sut_getint(c, "SO_BROADCAST0", fd, SOL_SOCKET, SO_BROADCAST);
	if (opt) {
		sut_setint(c, "set_SO_BROADCAST", fd, SOL_SOCKET, SO_BROADCAST, 1);
		sut_getint(c, "SO_BROADCAST1", fd, SOL_SOCKET, SO_BROADCAST);
	}
	int p = peer_udp_any(c, PORT(c, 1));
	sut_sendto(c, "sendto_subnet", fd, "subnet", 6, 0, BCAST_IP, PORT(c, 1));
	if (opt)
		peer_recvfrom(c, "peer.recv_subnet", p, 64);
	sut_sendto(c, "sendto_limited", fd, "limited", 7, 0, INADDR_BROADCAST, PORT(c, 1));
	if (opt)
		peer_recvfrom(c, "peer.recv_limited", p, 64);
	sut_connect_to(c, "connect_bcast", fd, BCAST_IP, PORT(c, 1));
	sut_send(c, "send_connected", fd, "conn", 4, 0);
	if (opt)
		peer_recvfrom(c, "peer.recv_conn", p, 64);
	if (opt) {
		/* Clearing the option again closes the door. */
		sut_setint(c, "clear_SO_BROADCAST", fd, SOL_SOCKET, SO_BROADCAST, 0);
		sut_sendto(c, "sendto_after_clear", fd, "x", 1, 0, BCAST_IP, PORT(c, 1));
	}
}

/* The peer broadcasts; a SUT socket bound to the wildcard receives it. */
static void
u_broadcast_in(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	int p = peer_udp(c, PORT(c, 1));
	int one = 1;
	setsockopt(p, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	peer_sendto(c, "peer.send_bcast", p, "to all", 6, BCAST_IP, PORT(c, 0));
	sut_recvfrom(c, "recvfrom", fd, 64, 0);
	peer_sendto(c, "peer.send_unicast", p, "to one", 6, SUT_IP, PORT(c, 0));
	sut_recvfrom(c, "recvfrom2", fd, 64, 0);
}

static void
u_timeouts(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_gettimeout(c, "gettimeout0", fd);
	sut_settimeout(c, "settimeout", fd, 0.2);
	sut_gettimeout(c, "gettimeout1", fd);
	sut_recv(c, "recv", fd, 16, 0);
	sut_recvfrom(c, "recvfrom", fd, 16, 0);
	/* A datagram within the timeout is returned (a generous one: the
	 * wait is a safety net here, not the subject). */
	sut_settimeout(c, "settimeout_long", fd, 2.0);
	int p = peer_udp(c, PORT(c, 1));
	peer_sendto(c, "peer.send", p, "in time", 7, SUT_IP, PORT(c, 0));
	sut_recv(c, "recv_data", fd, 16, 0);
	sut_settimeout(c, "settimeout_none", fd, -1.0);
	sut_gettimeout(c, "gettimeout2", fd);
	sut_settimeout(c, "settimeout_zero", fd, 0.0);
	sut_gettimeout(c, "gettimeout3", fd);
	sut_recv(c, "recv_nonblock", fd, 16, 0);
}

static void
u_rcvtimeo(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_gettv(c, "get0", fd, SO_RCVTIMEO);
	sut_settv(c, "set", fd, SO_RCVTIMEO, 0, 200000);
	sut_gettv(c, "get1", fd, SO_RCVTIMEO);
	sut_gettimeout(c, "gettimeout", fd);
	sut_recv(c, "recv", fd, 16, 0);
	sut_recv(c, "recv_dontwait", fd, 16, MSG_DONTWAIT);
	sut_settv(c, "set_zero", fd, SO_RCVTIMEO, 0, 0);
	sut_gettv(c, "get2", fd, SO_RCVTIMEO);
}

static void
u_nonblock(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_recv(c, "recv_dontwait", fd, 16, MSG_DONTWAIT);
	sut_recv(c, "peek_dontwait", fd, 16, MSG_DONTWAIT | MSG_PEEK);
	sut_setblocking(c, "setblocking0", fd, false);
	sut_gettimeout(c, "gettimeout", fd);
	sut_recv(c, "recv", fd, 16, 0);
	sut_recvfrom(c, "recvfrom", fd, 16, 0);
	int p = peer_udp(c, PORT(c, 1));
	peer_sendto(c, "peer.send", p, "now", 3, SUT_IP, PORT(c, 0));
	sut_wait(c, "wait", fd, POLLIN);
	sut_recv(c, "recv_data", fd, 16, 0);
	sut_sendto(c, "sendto", fd, "out", 3, 0, PEER_IP, PORT(c, 1));
	peer_recv(c, "peer.recv", p, 16, 0);
	sut_setblocking(c, "setblocking1", fd, true);
	sut_gettimeout(c, "gettimeout2", fd);
}

static void
u_names(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_sockname(c, "sockname_fresh", fd);
	int p = peer_udp(c, PORT(c, 1));
	/* sendto binds an ephemeral port. */
	sut_sendto(c, "sendto", fd, "who", 3, 0, PEER_IP, PORT(c, 1));
	sut_sockname(c, "sockname_auto", fd);
	peer_recvfrom(c, "peer.recvfrom", p, 16);
	sut_peername(c, "peername", fd);
	/* connect fixes the local address too. */
	int q = sut_udp(c, "socket2");
	sut_connect_to(c, "connect", q, PEER_IP, PORT(c, 1));
	sut_sockname(c, "sockname_conn", q);
	sut_peername(c, "peername_conn", q);
	/* Short buffers: truncated copy, the full length reported. */
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t len = 4;
	int rc = c->b->getsockname(q, (struct sockaddr *)&a, &len);
	rec(c, "sockname_len4", "%d len=%u family=%d port_set=%d", rc, (unsigned)len,
	    a.sin_family, a.sin_port != 0);
	memset(&a, 0, sizeof(a));
	len = 0;
	rc = c->b->getpeername(q, (struct sockaddr *)&a, &len);
	rec(c, "peername_len0", "%d len=%u family=%d", rc, (unsigned)len, a.sin_family);
}

static void
u_recvfrom_addrlen(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	peer_sendto(c, "peer.send1", p, "one", 3, SUT_IP, PORT(c, 0));
	peer_sendto(c, "peer.send2", p, "two", 3, SUT_IP, PORT(c, 0));
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t len = 6;
	char buf[16];
	ssize_t rc = c->b->recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&a, &len);
	rec(c, "recvfrom_len6", "%zd len=%u family=%d port=%u addr_zero=%d", rc,
	    (unsigned)len, a.sin_family, ntohs(a.sin_port), a.sin_addr.s_addr == 0);
	/* No address buffer at all. */
	rc = c->b->recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL);
	rec(c, "recvfrom_null", "%zd", rc);
}

static void
u_large(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	int big = 1 << 20;
	setsockopt(p, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	static uint8_t buf[65536];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern_byte(i);
	/* 65507 = 65535 - 20 (IPv4 header) - 8 (UDP header): sent in fragments. */
	sut_sendto(c, "sendto_65507", fd, buf, 65507, 0, PEER_IP, PORT(c, 1));
	peer_recv(c, "peer.recv_65507", p, 65536, 0);
	sut_sendto(c, "sendto_65508", fd, buf, 65508, 0, PEER_IP, PORT(c, 1));
	sut_sendto(c, "sendto_3000", fd, buf, 3000, 0, PEER_IP, PORT(c, 1));
	peer_recv(c, "peer.recv_3000", p, 65536, 0);
	/* And in: the SUT reassembles. */
	peer_sendto(c, "peer.send_30000", p, buf, 30000, SUT_IP, PORT(c, 0));
	sut_recv(c, "recv_30000", fd, 65536, 0);
	peer_sendto(c, "peer.send_65507", p, buf, 65507, SUT_IP, PORT(c, 0));
	sut_recv(c, "recv_65507", fd, 65536, 0);
}

static void
u_sendto_bad(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	struct sockaddr_in a = sin_of(PEER_IP, PORT(c, 1));
	int p = peer_udp(c, PORT(c, 1));
	ssize_t rc = c->b->sendto(fd, "x", 1, 0, (struct sockaddr *)&a, 8);
	rec_ret(c, "tolen_8", rc, errno);
	rc = c->b->sendto(fd, "x", 1, 0, (struct sockaddr *)&a, 0);
	rec_ret(c, "tolen_0", rc, errno);
	a.sin_family = AF_INET6;
	rc = c->b->sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
	rec_ret(c, "family_inet6", rc, errno);
	a.sin_family = AF_UNSPEC;
	rc = c->b->sendto(fd, "unspec", 6, 0, (struct sockaddr *)&a, sizeof(a));
	rec_ret(c, "family_unspec", rc, errno);
	peer_recvfrom(c, "peer.recv_unspec", p, 16);
	sut_sendto(c, "port_0", fd, "x", 1, 0, PEER_IP, 0);
	sut_send(c, "msg_oob", fd, "x", 1, MSG_OOB);
	rc = c->b->sendto(fd, NULL, 1, 0, (struct sockaddr *)&a, sizeof(a));
	rec_ret(c, "null_buf", rc, errno);
}

/* shutdown on datagram sockets: ENOTCONN unless connected; then Linux
 * marks the directions shut (a receive after SHUT_RD returns 0). */
static void
u_shutdown(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_shutdown(c, "shut_unconnected", fd, SHUT_RDWR);
	sut_shutdown(c, "shut_bad_how", fd, 7);
	int q = sut_udp(c, "socket2");
	sut_bind_to(c, "bind", q, INADDR_ANY, PORT(c, 0));
	int p = peer_udp(c, PORT(c, 1));
	sut_connect_to(c, "connect", q, PEER_IP, PORT(c, 1));
	sut_shutdown(c, "shut_wr", q, SHUT_WR);
	sut_send(c, "send_after_wr", q, "x", 1, 0);
	peer_sendto(c, "peer.send", p, "still in", 8, SUT_IP, PORT(c, 0));
	sut_recv(c, "recv_after_wr", q, 16, 0);
	sut_shutdown(c, "shut_rd", q, SHUT_RD);
	sut_settimeout(c, "settimeout", q, 0.3);
	sut_recv(c, "recv_after_rd", q, 16, 0);
	/* A blocking receive (bounded by SO_RCVTIMEO, not the socket
	 * module's timeout): Linux ends its wait at once with 0. */
	sut_settimeout(c, "settimeout_none", q, -1.0);
	sut_settv(c, "rcvtimeo", q, SO_RCVTIMEO, 0, 300000);
	sut_recv(c, "recv_after_rd_blocking", q, 16, 0);
}

/* No ARP answer for the destination: the datagram is dropped. Tern then
 * reports EHOSTUNREACH on the socket's next call; Linux says nothing
 * without IP_RECVERR (README, "Where Tern differs"). */
static void
u_nohost(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_sendto(c, "sendto", fd, "lost", 4, 0, NOHOST_IP, PORT(c, 1));
	/* Longer than Linux's three ARP probes a second apart. */
	sut_settimeout(c, "settimeout", fd, 4.0);
	sut_recv(c, "recv", fd, 16, 0);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
}

/* Two senders to one socket: recvfrom tells them apart. */
static void
u_two_senders(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	int q = peer_udp(c, PORT(c, 2));
	peer_sendto(c, "peer1.send", p, "from 1", 6, SUT_IP, PORT(c, 0));
	sut_recvfrom(c, "recvfrom1", fd, 16, 0);
	peer_sendto(c, "peer2.send", q, "from 2", 6, SUT_IP, PORT(c, 0));
	sut_recvfrom(c, "recvfrom2", fd, 16, 0);
	/* A socket bound to our address only still gets unicast. */
	int s2 = sut_udp(c, "socket2");
	sut_bind_to(c, "bind_specific", s2, SUT_IP, PORT(c, 3));
	peer_sendto(c, "peer1.send2", p, "direct", 6, SUT_IP, PORT(c, 3));
	sut_recvfrom(c, "recvfrom3", s2, 16, 0);
}

/* close() with datagrams still queued, then the port is free again. */
static void
u_close_queued(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = udp_pair(c, &p);
	peer_sendto(c, "peer.send", p, "left", 4, SUT_IP, PORT(c, 0));
	sut_wait(c, "wait", fd, POLLIN);
	sut_close(c, "close", fd);
	int q = sut_udp(c, "socket2");
	sut_bind_to(c, "bind_again", q, INADDR_ANY, PORT(c, 0));
	sut_recv(c, "recv_new", q, 16, MSG_DONTWAIT);
	peer_sendto(c, "peer.send2", p, "fresh", 5, SUT_IP, PORT(c, 0));
	sut_recv(c, "recv_fresh", q, 16, 0);
}

void
scen_udp_register(void)
{
	scen_add("udp.basic", u_basic, 0, NULL, NULL);
	scen_add("udp.boundaries", u_boundaries, 0, NULL, NULL);
	scen_add("udp.trunc", u_trunc, 0, NULL, NULL);
	scen_add("udp.trunc_flag", u_trunc, MSG_TRUNC, NULL, NULL);
	scen_add("udp.peek", u_peek, 0, NULL, NULL);
	scen_add("udp.zero_length", u_zero, 0, NULL, NULL);
	scen_add("udp.connect", u_connect, 0, NULL, NULL);
	scen_add("udp.disconnect_autobound", u_disconnect, 0, NULL, NULL);
	scen_add("udp.disconnect_bound", u_disconnect, 1, NULL, NULL);
	scen_add("udp.send_unconnected", u_send_unconnected, 0,
		 "a send that fails for want of a destination leaves the socket unbound "
		 "(Linux binds an ephemeral port first, so bind() then says EINVAL; README)",
		 "bind");
	scen_add("udp.refused", u_refused, 0, NULL, NULL);
	scen_add("udp.refused_unconnected", u_refused_unconnected, 0, NULL, NULL);
	scen_add("udp.refused_queued_data", u_refused_queued, 0,
		 "recv returns data queued before a pending asynchronous error "
		 "(Linux reports the error first; README)", "recv1,recv2");
	scen_add("udp.peer_refused", u_peer_refused, 0, NULL, NULL);
	scen_add("udp.broadcast_no_opt", u_broadcast, 0, NULL, NULL);
	scen_add("udp.broadcast_opt", u_broadcast, 1, NULL, NULL);
	scen_add("udp.broadcast_in", u_broadcast_in, 0, NULL, NULL);
	scen_add("udp.timeouts", u_timeouts, 0, NULL, NULL);
	scen_add("udp.rcvtimeo", u_rcvtimeo, 0, NULL, NULL);
	scen_add("udp.nonblock", u_nonblock, 0, NULL, NULL);
	scen_add("udp.names", u_names, 0, NULL, NULL);
	scen_add("udp.recvfrom_addrlen", u_recvfrom_addrlen, 0, NULL, NULL);
	scen_add("udp.large", u_large, 0, NULL, NULL);
	scen_add("udp.sendto_bad", u_sendto_bad, 0, NULL, NULL);
	scen_add("udp.shutdown", u_shutdown, 0, NULL, NULL);
	scen_add("udp.nohost", u_nohost, 0,
		 "a datagram dropped because ARP failed makes the next call fail with "
		 "EHOSTUNREACH (Linux: only with IP_RECVERR; README)", "recv");
	scen_add("udp.two_senders", u_two_senders, 0, NULL, NULL);
	scen_add("udp.close_queued", u_close_queued, 0, NULL, NULL);
}

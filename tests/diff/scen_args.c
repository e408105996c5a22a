/*
 * Scenarios: socket() arguments, bad descriptors and bind(): families,
 * types, protocols, address lengths, addresses that are not ours, ports in
 * use with and without SO_REUSEADDR / SO_REUSEPORT.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"

/* ---- socket() ---- */

static void
s_types(struct diff_ctx *c, intptr_t arg)
{
	int type = (int)arg;
	int fd = sut_socket(c, "socket", AF_INET, type, 0);
	sut_getint(c, "SO_TYPE", fd, SOL_SOCKET, SO_TYPE);
	sut_getint(c, "SO_PROTOCOL", fd, SOL_SOCKET, SO_PROTOCOL);
	sut_getint(c, "SO_DOMAIN", fd, SOL_SOCKET, SO_DOMAIN);
	sut_getint(c, "SO_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	sut_gettimeout(c, "gettimeout", fd);
	sut_sockname(c, "getsockname", fd);
	sut_peername(c, "getpeername", fd);
	sut_close(c, "close", fd);
}

static void
s_protocols(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_socket(c, "dgram_udp", AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	sut_close(c, "close1", fd);
	fd = sut_socket(c, "stream_tcp", AF_INET, SOCK_STREAM, IPPROTO_TCP);
	sut_close(c, "close2", fd);
	sut_socket(c, "dgram_tcp", AF_INET, SOCK_DGRAM, IPPROTO_TCP);
	sut_socket(c, "stream_udp", AF_INET, SOCK_STREAM, IPPROTO_UDP);
	sut_socket(c, "stream_99", AF_INET, SOCK_STREAM, 99);
	sut_socket(c, "dgram_99", AF_INET, SOCK_DGRAM, 99);
}

static void
s_families(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	sut_socket(c, "af_max", AF_MAX + 5, SOCK_STREAM, 0);
	sut_socket(c, "negative", -1, SOCK_DGRAM, 0);
}

static void
s_bad_types(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	sut_socket(c, "seqpacket", AF_INET, SOCK_SEQPACKET, 0);
	sut_socket(c, "type_12", AF_INET, 12, 0);
	sut_socket(c, "type_0", AF_INET, 0, 0);
	sut_socket(c, "bad_flag", AF_INET, SOCK_STREAM | 0x100, 0);
	sut_socket(c, "rdm", AF_INET, SOCK_RDM, 0);
}

/* IPv6 and raw sockets exist on Linux; Tern is an IPv4 UDP/TCP stack. */
static void
s_unsupported(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	sut_socket(c, "inet6", AF_INET6, SOCK_STREAM, 0);
	sut_socket(c, "raw", AF_INET, SOCK_RAW, IPPROTO_ICMP);
}

static void
s_flags(struct diff_ctx *c, intptr_t arg)
{
	int type = (int)arg;
	int fd = sut_socket(c, "socket", AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sut_getint(c, "SO_TYPE", fd, SOL_SOCKET, SO_TYPE);
	sut_gettimeout(c, "gettimeout", fd);
	sut_recv(c, "recv", fd, 16, 0);
	sut_close(c, "close", fd);
}

static void
s_bad_fd(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = c->b->bad_fd;
	struct sockaddr_in a = sin_of(INADDR_ANY, PORT(c, 0));
	char buf[8] = "x";
	sut_bind(c, "bind", fd, (struct sockaddr *)&a, sizeof(a));
	sut_listen(c, "listen", fd, 1);
	sut_accept(c, "accept", fd, 0);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_send(c, "send", fd, buf, 1, 0);
	sut_sendto(c, "sendto", fd, buf, 1, 0, PEER_IP, PORT(c, 1));
	sut_recv(c, "recv", fd, 8, 0);
	sut_recvfrom(c, "recvfrom", fd, 8, 0);
	sut_shutdown(c, "shutdown", fd, SHUT_RDWR);
	sut_setint(c, "setsockopt", fd, SOL_SOCKET, SO_REUSEADDR, 1);
	sut_getint(c, "getsockopt", fd, SOL_SOCKET, SO_TYPE);
	sut_sockname(c, "getsockname", fd);
	sut_peername(c, "getpeername", fd);
	sut_settimeout(c, "settimeout", fd, 1.0);
	sut_gettimeout(c, "gettimeout", fd);
	sut_close(c, "close", fd);
}

/* Every call on a descriptor after close(): EBADF, as for one never open. */
static void
s_closed_fd(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_close(c, "close", fd);
	char buf[8] = "x";
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_send(c, "send", fd, buf, 1, 0);
	sut_recv(c, "recv", fd, 8, MSG_DONTWAIT);
	sut_getint(c, "getsockopt", fd, SOL_SOCKET, SO_TYPE);
	sut_close(c, "close_again", fd);
}

/* ---- bind ---- */

static void
b_any(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_sockname(c, "getsockname", fd);
	sut_peername(c, "getpeername", fd);
}

static void
b_own(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_bind_to(c, "bind", fd, SUT_IP, PORT(c, 0));
	sut_sockname(c, "getsockname", fd);
}

static void
b_port0(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_bind_to(c, "bind", fd, SUT_IP, 0);
	sut_sockname(c, "getsockname", fd);
}

static void
b_foreign(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_bind_to(c, "bind_peer_ip", fd, PEER_IP, PORT(c, 0));
	sut_bind_to(c, "bind_other_net", fd, OTHER_IP, PORT(c, 0));
	sut_bind_to(c, "bind_nohost", fd, NOHOST_IP, PORT(c, 0));
	sut_sockname(c, "getsockname", fd);
	/* Still unbound: a good bind works. */
	sut_bind_to(c, "bind_ok", fd, SUT_IP, PORT(c, 0));
}

static void
b_twice(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_bind_to(c, "bind1", fd, INADDR_ANY, PORT(c, 0));
	sut_bind_to(c, "bind_same", fd, INADDR_ANY, PORT(c, 0));
	sut_bind_to(c, "bind_other", fd, INADDR_ANY, PORT(c, 1));
	sut_sockname(c, "getsockname", fd);
}

static void
b_bad_args(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	struct sockaddr_in a = sin_of(INADDR_ANY, PORT(c, 0));
	sut_bind(c, "len_0", fd, (struct sockaddr *)&a, 0);
	sut_bind(c, "len_8", fd, (struct sockaddr *)&a, 8);
	sut_bind(c, "len_15", fd, (struct sockaddr *)&a, 15);
	a.sin_family = AF_INET6;
	sut_bind(c, "family_inet6", fd, (struct sockaddr *)&a, sizeof(a));
	a.sin_family = AF_UNIX;
	sut_bind(c, "family_unix", fd, (struct sockaddr *)&a, sizeof(a));
	/* Linux inet_bind tolerates AF_UNSPEC for INADDR_ANY only. */
	struct sockaddr_in u = sin_of(SUT_IP, PORT(c, 0));
	u.sin_family = AF_UNSPEC;
	sut_bind(c, "unspec_own_ip", fd, (struct sockaddr *)&u, sizeof(u));
	sut_sockname(c, "getsockname1", fd);
	u = sin_of(INADDR_ANY, PORT(c, 0));
	u.sin_family = AF_UNSPEC;
	sut_bind(c, "unspec_any", fd, (struct sockaddr *)&u, sizeof(u));
	sut_sockname(c, "getsockname2", fd);
	/* A longer address is fine (the rest is ignored). */
	int fd2 = sut_socket(c, "socket2", AF_INET, (int)arg, 0);
	struct { struct sockaddr_in s; char pad[16]; } big;
	memset(&big, 0, sizeof(big));
	big.s = sin_of(INADDR_ANY, PORT(c, 1));
	sut_bind(c, "len_32", fd2, (struct sockaddr *)&big, sizeof(big));
	sut_sockname(c, "getsockname3", fd2);
}

/* Linux: NULL with length 0 fails the length check (EINVAL); NULL with a
 * full length faults on the copy (EFAULT). */
static void
b_null(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_bind(c, "null_0", fd, NULL, 0);
	sut_bind(c, "null_16", fd, NULL, sizeof(struct sockaddr_in));
}

static void
b_broadcast(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind_bcast", fd, BCAST_IP, PORT(c, 0));
	sut_sockname(c, "getsockname", fd);
	int t = sut_tcp(c, "socket_tcp");
	sut_bind_to(c, "bind_bcast_tcp", t, BCAST_IP, PORT(c, 1));
}

/* Two sockets on one port: @p arg bit 0 = TCP, bit 1 = SO_REUSEADDR on the
 * first, bit 2 = on the second, bit 3 = the first listens. */
static void
b_inuse(struct diff_ctx *c, intptr_t arg)
{
	int type = (arg & 1) ? SOCK_STREAM : SOCK_DGRAM;
	int a = sut_socket(c, "socket1", AF_INET, type, 0);
	if (arg & 2)
		sut_setint(c, "reuse1", a, SOL_SOCKET, SO_REUSEADDR, 1);
	sut_bind_to(c, "bind1", a, INADDR_ANY, PORT(c, 0));
	if (arg & 8)
		sut_listen(c, "listen1", a, 4);
	int b = sut_socket(c, "socket2", AF_INET, type, 0);
	if (arg & 4)
		sut_setint(c, "reuse2", b, SOL_SOCKET, SO_REUSEADDR, 1);
	sut_bind_to(c, "bind2_same", b, INADDR_ANY, PORT(c, 0));
	sut_bind_to(c, "bind2_specific", b, SUT_IP, PORT(c, 0));
	sut_sockname(c, "getsockname2", b);
	if (type == SOCK_STREAM && !(arg & 8))
		/* Both bound (with SO_REUSEADDR): only one may listen. */
		sut_listen(c, "listen1_late", a, 4);
	sut_listen(c, "listen2", b, 4);
	/* After the first goes, the port is free. */
	sut_close(c, "close1", a);
	int d = sut_socket(c, "socket3", AF_INET, type, 0);
	sut_bind_to(c, "bind3", d, INADDR_ANY, PORT(c, 0));
}

/* A specific address then the wildcard on the same port, and back. */
static void
b_specific_any(struct diff_ctx *c, intptr_t arg)
{
	int type = (int)arg;
	int a = sut_socket(c, "socket1", AF_INET, type, 0);
	sut_bind_to(c, "bind_specific", a, SUT_IP, PORT(c, 0));
	int b = sut_socket(c, "socket2", AF_INET, type, 0);
	sut_bind_to(c, "bind_any", b, INADDR_ANY, PORT(c, 0));
	int d = sut_socket(c, "socket3", AF_INET, type, 0);
	sut_bind_to(c, "bind_any_other", d, INADDR_ANY, PORT(c, 1));
	int e = sut_socket(c, "socket4", AF_INET, type, 0);
	sut_bind_to(c, "bind_specific_other", e, SUT_IP, PORT(c, 1));
}

/* SO_REUSEPORT on both: Linux lets both bind (and both listen). */
static void
b_reuseport(struct diff_ctx *c, intptr_t arg)
{
	int type = (int)arg;
	int a = sut_socket(c, "socket1", AF_INET, type, 0);
	sut_setint(c, "reuseport1", a, SOL_SOCKET, SO_REUSEPORT, 1);
	sut_getint(c, "get_reuseport1", a, SOL_SOCKET, SO_REUSEPORT);
	sut_bind_to(c, "bind1", a, INADDR_ANY, PORT(c, 0));
	int b = sut_socket(c, "socket2", AF_INET, type, 0);
	sut_setint(c, "reuseport2", b, SOL_SOCKET, SO_REUSEPORT, 1);
	sut_bind_to(c, "bind2", b, INADDR_ANY, PORT(c, 0));
	if (type == SOCK_STREAM) {
		sut_listen(c, "listen1", a, 4);
		sut_listen(c, "listen2", b, 4);
	}
}

/* Binding a socket that already has a port some other way. */
static void
b_after_autobind(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int u = sut_udp(c, "udp");
	sut_connect_to(c, "udp_connect", u, PEER_IP, PORT(c, 1));
	sut_bind_to(c, "udp_bind", u, INADDR_ANY, PORT(c, 0));
	int s = sut_udp(c, "udp2");
	char x = 'x';
	sut_sendto(c, "udp2_sendto", s, &x, 1, 0, PEER_IP, PORT(c, 1));
	sut_bind_to(c, "udp2_bind", s, INADDR_ANY, PORT(c, 0));
	int l = sut_tcp(c, "tcp");
	sut_listen(c, "tcp_listen", l, 4);
	sut_sockname(c, "tcp_sockname", l);
	sut_bind_to(c, "tcp_bind", l, INADDR_ANY, PORT(c, 0));
}

/* A port held in TIME-WAIT by our own earlier connection (we closed first). */
static void
b_timewait(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int lfd = peer_listen(c, PORT(c, 1), 4);
	int s = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", s, SUT_IP, PORT(c, 0));
	sut_connect_to(c, "connect", s, PEER_IP, PORT(c, 1));
	int p = peer_accept(c, "peer.accept", lfd);
	/* Our FIN first, then the peer's, seen arriving before we close: the
	 * connection is in TIME-WAIT (RFC 9293 3.6) when the new bind comes. */
	sut_shutdown(c, "shut_wr", s, SHUT_WR);
	peer_recv(c, "peer.recv_fin", p, 8, 0);
	peer_close(c, p);
	sut_wait(c, "wait_fin", s, POLLIN);
	sut_recv(c, "recv_eof", s, 8, 0);
	sut_close(c, "close", s);
	int s2 = sut_tcp(c, "socket2");
	sut_bind_to(c, "bind_again", s2, SUT_IP, PORT(c, 0));
	sut_setint(c, "reuse", s2, SOL_SOCKET, SO_REUSEADDR, 1);
	sut_bind_to(c, "bind_reuse", s2, SUT_IP, PORT(c, 0));
	sut_sockname(c, "getsockname", s2);
}

/* ---- a few options (the unit tests cover them in depth) ---- */

static void
o_common(struct diff_ctx *c, intptr_t arg)
{
	int type = (int)arg;
	int fd = sut_socket(c, "socket", AF_INET, type, 0);
	sut_getint(c, "rcvbuf_default", fd, SOL_SOCKET, SO_RCVBUF);
	sut_getint(c, "sndbuf_default", fd, SOL_SOCKET, SO_SNDBUF);
	/* Linux doubles what it is given (room for bookkeeping), within
	 * net.core.[rw]mem_max and above a minimum. */
	sut_setint(c, "set_rcvbuf", fd, SOL_SOCKET, SO_RCVBUF, 10000);
	sut_getint(c, "rcvbuf", fd, SOL_SOCKET, SO_RCVBUF);
	sut_setint(c, "set_rcvbuf_1", fd, SOL_SOCKET, SO_RCVBUF, 1);
	sut_getint(c, "rcvbuf_min", fd, SOL_SOCKET, SO_RCVBUF);
	sut_setint(c, "set_sndbuf_1", fd, SOL_SOCKET, SO_SNDBUF, 1);
	sut_getint(c, "sndbuf_min", fd, SOL_SOCKET, SO_SNDBUF);
	/* (Not above net.core.wmem_max: that is the host's own setting.) */
	sut_setint(c, "set_sndbuf", fd, SOL_SOCKET, SO_SNDBUF, 100000);
	sut_getint(c, "sndbuf", fd, SOL_SOCKET, SO_SNDBUF);
	sut_getint(c, "ttl_default", fd, IPPROTO_IP, IP_TTL);
	sut_setint(c, "set_ttl", fd, IPPROTO_IP, IP_TTL, 10);
	sut_getint(c, "ttl", fd, IPPROTO_IP, IP_TTL);
	sut_setint(c, "set_ttl_-1", fd, IPPROTO_IP, IP_TTL, -1);
	sut_getint(c, "ttl_reset", fd, IPPROTO_IP, IP_TTL);
	sut_setint(c, "set_ttl_0", fd, IPPROTO_IP, IP_TTL, 0);
	sut_setint(c, "set_ttl_256", fd, IPPROTO_IP, IP_TTL, 256);
	sut_getint(c, "reuseaddr", fd, SOL_SOCKET, SO_REUSEADDR);
	sut_setint(c, "set_reuseaddr", fd, SOL_SOCKET, SO_REUSEADDR, 5);
	sut_getint(c, "reuseaddr_set", fd, SOL_SOCKET, SO_REUSEADDR);
	sut_getint(c, "keepalive", fd, SOL_SOCKET, SO_KEEPALIVE);
	sut_setint(c, "set_unknown", fd, SOL_SOCKET, 999, 1);
	sut_getint(c, "get_unknown", fd, SOL_SOCKET, 999);
	sut_setint(c, "set_type", fd, SOL_SOCKET, SO_TYPE, 1);
	sut_setint(c, "set_bad_level", fd, 999, 1, 1);
	short sv = 1;
	int rc = c->b->setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &sv, sizeof(sv));
	rec_ret(c, "set_short_len", rc, errno);
	int v = 0;
	socklen_t len = 2;
	rc = c->b->getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len);
	rec(c, "get_short_len", "%d len=%u", rc, (unsigned)len);
}

static void
o_tcp(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_tcp(c, "socket");
	sut_getint(c, "nodelay", fd, IPPROTO_TCP, TCP_NODELAY);
	sut_setint(c, "set_nodelay", fd, IPPROTO_TCP, TCP_NODELAY, 1);
	sut_getint(c, "nodelay_set", fd, IPPROTO_TCP, TCP_NODELAY);
	sut_getint(c, "keepidle", fd, IPPROTO_TCP, TCP_KEEPIDLE);
	sut_setint(c, "set_keepalive", fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	sut_getint(c, "keepalive", fd, SOL_SOCKET, SO_KEEPALIVE);
	sut_setint(c, "set_keepidle_0", fd, IPPROTO_TCP, TCP_KEEPIDLE, 0);
	sut_getint(c, "tos", fd, IPPROTO_IP, IP_TOS);
	sut_setint(c, "set_unknown", fd, IPPROTO_TCP, 999, 1);
	struct linger lg = { -1, -1 };
	socklen_t len = sizeof(lg);
	int rc = c->b->getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len);
	rec(c, "linger", "%d onoff=%d linger=%d len=%u", rc, lg.l_onoff, lg.l_linger,
	    (unsigned)len);
	/* Options of the other protocol. */
	int u = sut_udp(c, "udp");
	sut_setint(c, "udp_nodelay", u, IPPROTO_TCP, TCP_NODELAY, 1);
	sut_getint(c, "udp_get_nodelay", u, IPPROTO_TCP, TCP_NODELAY);
}

void
scen_args_register(void)
{
	scen_add("socket.udp", s_types, SOCK_DGRAM, NULL, NULL);
	scen_add("socket.tcp", s_types, SOCK_STREAM, NULL, NULL);
	scen_add("socket.protocols", s_protocols, 0, NULL, NULL);
	scen_add("socket.families", s_families, 0, NULL, NULL);
	scen_add("socket.bad_types", s_bad_types, 0, NULL, NULL);
	scen_add("socket.unsupported", s_unsupported, 0,
		 "Tern is an IPv4 stack of UDP and TCP sockets: no AF_INET6, no SOCK_RAW",
		 "inet6,raw");
	scen_add("socket.flags_udp", s_flags, SOCK_DGRAM, NULL, NULL);
	scen_add("socket.flags_tcp", s_flags, SOCK_STREAM, NULL, NULL);
	scen_add("socket.bad_fd", s_bad_fd, 0, NULL, NULL);
	scen_add("socket.closed_fd_udp", s_closed_fd, SOCK_DGRAM, NULL, NULL);
	scen_add("socket.closed_fd_tcp", s_closed_fd, SOCK_STREAM, NULL, NULL);

	scen_add("bind.any_udp", b_any, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.any_tcp", b_any, SOCK_STREAM, NULL, NULL);
	scen_add("bind.own_udp", b_own, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.own_tcp", b_own, SOCK_STREAM, NULL, NULL);
	scen_add("bind.port0_udp", b_port0, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.port0_tcp", b_port0, SOCK_STREAM, NULL, NULL);
	scen_add("bind.foreign_udp", b_foreign, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.foreign_tcp", b_foreign, SOCK_STREAM, NULL, NULL);
	scen_add("bind.twice_udp", b_twice, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.twice_tcp", b_twice, SOCK_STREAM, NULL, NULL);
	scen_add("bind.bad_args_udp", b_bad_args, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.bad_args_tcp", b_bad_args, SOCK_STREAM, NULL, NULL);
	scen_add("bind.null_udp", b_null, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.null_tcp", b_null, SOCK_STREAM, NULL, NULL);
	scen_add("bind.broadcast", b_broadcast, 0, NULL, NULL);
	scen_add("bind.inuse_udp", b_inuse, 0, NULL, NULL);
	scen_add("bind.inuse_udp_reuse_both", b_inuse, 2 | 4, NULL, NULL);
	scen_add("bind.inuse_udp_reuse_second", b_inuse, 4, NULL, NULL);
	scen_add("bind.inuse_tcp", b_inuse, 1, NULL, NULL);
	scen_add("bind.inuse_tcp_reuse_both", b_inuse, 1 | 2 | 4, NULL, NULL);
	scen_add("bind.inuse_tcp_reuse_second", b_inuse, 1 | 4, NULL, NULL);
	scen_add("bind.inuse_tcp_listening_reuse", b_inuse, 1 | 2 | 4 | 8, NULL, NULL);
	scen_add("bind.specific_any_udp", b_specific_any, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.specific_any_tcp", b_specific_any, SOCK_STREAM, NULL, NULL);
	scen_add("bind.reuseport_udp", b_reuseport, SOCK_DGRAM, NULL, NULL);
	scen_add("bind.reuseport_tcp", b_reuseport, SOCK_STREAM, NULL, NULL);
	scen_add("bind.after_autobind", b_after_autobind, 0, NULL, NULL);
	scen_add("bind.timewait", b_timewait, 0, NULL, NULL);

	scen_add("opts.udp", o_common, SOCK_DGRAM, NULL, NULL);
	scen_add("opts.tcp_common", o_common, SOCK_STREAM, NULL, NULL);
	scen_add("opts.tcp", o_tcp, 0, NULL, NULL);
}

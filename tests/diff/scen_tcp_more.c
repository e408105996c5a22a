/*
 * Scenarios: TCP beyond the state table: byte streams both ways, accept
 * details (addresses, flags, what a new socket inherits), connect outcomes
 * (refused, pending then completed, no ARP answer, bad arguments,
 * AF_UNSPEC), how a connection ends (peer close, RST on unread data,
 * SO_LINGER 0, RST with data queued, a listener closed with connections
 * queued), half-close exchanges and a full send buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"

/* Bytes both ways in chunks, alternating sides so one thread never waits
 * on itself; one record per direction (total and hash). */
static void
t_stream(struct diff_ctx *c, intptr_t arg)
{
	size_t total = (size_t)arg, chunk = 16384;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	uint8_t *buf = malloc(chunk), *in = malloc(total);
	size_t sent = 0, got = 0;
	ssize_t rc = 0;
	/* SUT -> peer */
	while (sent < total) {
		size_t n = total - sent < chunk ? total - sent : chunk;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern_byte(sent + i);
		rc = c->b->send(fd, buf, n, 0);
		if (rc <= 0)
			break;
		sent += (size_t)rc;
		while (got < sent) {
			ssize_t r = recv(p, in + got, sent - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (got < sent)
			break;
	}
	char b[128];
	rec(c, "sut_to_peer", "sent %zu got %s", sent, bytes_str(in, got, b, sizeof(b)));
	/* peer -> SUT */
	sent = got = 0;
	while (sent < total) {
		size_t n = total - sent < chunk ? total - sent : chunk;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern_byte(sent + i);
		rc = send(p, buf, n, MSG_NOSIGNAL);
		if (rc <= 0)
			break;
		sent += (size_t)rc;
		while (got < sent) {
			ssize_t r = c->b->recv(fd, in + got, sent - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (got < sent)
			break;
	}
	rec(c, "peer_to_sut", "sent %zu got %s", sent, bytes_str(in, got, b, sizeof(b)));
	free(buf);
	free(in);
	sut_close(c, "close", fd);
	peer_recv(c, "peer.recv_eof", p, 16, 0);
}

static void
t_accept_names(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l, fd, p;
	if (tcp_pair_passive(c, 0, &l, &fd, &p) != 0)
		return;
	sut_sockname(c, "listener_sockname", l);
	sut_peername(c, "listener_peername", l);
	sut_sockname(c, "accepted_sockname", fd);
	sut_peername(c, "accepted_peername", fd);
	sut_getint(c, "accepted_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN);
	sut_getint(c, "listener_ACCEPTCONN", l, SOL_SOCKET, SO_ACCEPTCONN);
	sut_send(c, "send", fd, "hi", 2, 0);
	peer_recv(c, "peer.recv", p, 16, 0);
	/* The accepted socket lives on when the listener closes. */
	sut_close(c, "close_listener", l);
	peer_send(c, "peer.send", p, "still", 5);
	sut_recv(c, "recv", fd, 16, 0);
}

/* What the accepted socket inherits: SOCK_NONBLOCK from accept4's flags
 * only; never the listener's blocking mode or timeout (Linux, Python). */
static void
t_accept_inherit(struct diff_ctx *c, intptr_t arg)
{
	int mode = (int)arg;   /* 0: accept4 SOCK_NONBLOCK, 1: non-blocking listener, 2: timeout */
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	if (mode == 1)
		sut_setblocking(c, "setblocking", l, false);
	if (mode == 2)
		sut_settimeout(c, "settimeout", l, 1.5);
	int p = peer_connect(c, "peer.connect", PORT(c, 0));
	sut_wait(c, "wait", l, POLLIN);
	int fd = sut_accept(c, "accept", l, mode == 0 ? SOCK_NONBLOCK : 0);
	sut_gettimeout(c, "gettimeout", fd);
	if (mode == 0)
		sut_recv(c, "recv", fd, 16, 0);
	else
		sut_recv(c, "recv_dontwait", fd, 16, MSG_DONTWAIT);
	peer_send(c, "peer.send", p, "x", 1);
	sut_wait(c, "wait_data", fd, POLLIN);
	sut_recv(c, "recv_data", fd, 16, 0);
}

static void
t_accept_args(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	sut_accept(c, "accept4_bad_flags", l, 0x1);
	int p1 = peer_connect(c, "peer.connect1", PORT(c, 0));
	int p2 = peer_connect(c, "peer.connect2", PORT(c, 0));
	(void)p1;
	(void)p2;
	sut_wait(c, "wait", l, POLLIN);
	int fd = c->b->accept4(l, NULL, NULL, 0);
	rec_fd(c, "accept_null_addr", fd, errno);
	if (fd >= 0)
		c->b->close(fd);
	/* A short address buffer: truncated, the full length reported. */
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t len = 4;
	fd = c->b->accept4(l, (struct sockaddr *)&a, &len, 0);
	rec(c, "accept_len4", "%s len=%u family=%d port_set=%d", fd >= 0 ? "fd" : err_name(errno),
	    (unsigned)len, a.sin_family, a.sin_port != 0);
	if (fd >= 0)
		c->b->close(fd);
	int u = sut_udp(c, "udp");
	sut_listen(c, "udp_listen", u, 4);
	sut_accept(c, "udp_accept", u, 0);
	/* listen() again changes only the backlog. */
	sut_listen(c, "listen_again", l, 16);
	sut_listen(c, "listen_negative", l, -1);
}

/* Several connections wait in the accept queue; they come out in order. */
static void
t_accept_queue(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 8);
	int p[3];
	for (int i = 0; i < 3; i++)
		p[i] = peer_connect(c, "peer.connect", PORT(c, 0));
	for (int i = 0; i < 3; i++) {
		char msg[2] = { (char)('a' + i), 0 };
		peer_send(c, "peer.send", p[i], msg, 1);
	}
	for (int i = 0; i < 3; i++) {
		sut_wait(c, "wait", l, POLLIN);
		int fd = sut_accept(c, "accept", l, 0);
		sut_recv(c, "recv", fd, 16, 0);
	}
	sut_setblocking(c, "setblocking", l, false);
	sut_accept(c, "accept_empty", l, 0);
}

/* A listener closed with a connection still queued: the peer is reset. */
static void
t_listener_close_queued(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	int p = peer_connect(c, "peer.connect", PORT(c, 0));
	sut_wait(c, "wait", l, POLLIN);
	sut_close(c, "close", l);
	peer_recv(c, "peer.recv", p, 16, 0);
	/* The port is free at once (a listener leaves no TIME-WAIT). */
	int l2 = sut_tcp(c, "socket2");
	sut_bind_to(c, "bind_again", l2, INADDR_ANY, PORT(c, 0));
}

/* The peer resets a connection before the SUT accepts it. */
static void
t_accept_reset(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	int p = peer_connect(c, "peer.connect", PORT(c, 0));
	sut_wait(c, "wait", l, POLLIN);
	peer_reset(c, p);
	/* A second handshake after the RST: when it completes, the SUT has
	 * taken the RST in (one link, in order). */
	int p2 = peer_connect(c, "peer.connect2", PORT(c, 0));
	peer_send(c, "peer.send2", p2, "two", 3);
	int fd = sut_accept(c, "accept1", l, SOCK_NONBLOCK);
	if (fd >= 0) {
		sut_recv(c, "recv1", fd, 16, 0);
		sut_recv(c, "recv1_again", fd, 16, 0);
	}
	sut_setblocking(c, "setblocking", l, false);
	int fd2 = sut_accept(c, "accept2", l, 0);
	if (fd2 >= 0) {
		sut_wait(c, "wait2", fd2, POLLIN);
		sut_recv(c, "recv2", fd2, 16, 0);
	}
}

static void
t_peer_refused(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	/* No socket at all on the port, then one bound but not listening. */
	peer_connect(c, "peer.connect_none", PORT(c, 0));
	int fd = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	peer_connect(c, "peer.connect_bound", PORT(c, 0));
	sut_listen(c, "listen", fd, 4);
	peer_connect(c, "peer.connect_listening", PORT(c, 0));
}

static void
t_refused(struct diff_ctx *c, intptr_t arg)
{
	bool nonblock = arg != 0;
	int fd = sut_tcp(c, "socket");
	int l = peer_listen(c, PORT(c, 2), 4);
	if (nonblock) {
		sut_setblocking(c, "setblocking", fd, false);
		sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 3));
		sut_wait(c, "wait", fd, POLLOUT);
		sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
		sut_getint(c, "SO_ERROR_again", fd, SOL_SOCKET, SO_ERROR);
	} else {
		sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 3));
		sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	}
	sut_peername(c, "getpeername", fd);
	sut_send(c, "send", fd, "x", 1, MSG_DONTWAIT);
	/* The same socket may try again, and succeed. */
	int rc = sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 2));
	if (nonblock && rc != 0) {
		sut_wait(c, "wait_again", fd, POLLOUT);
		sut_getint(c, "SO_ERROR2", fd, SOL_SOCKET, SO_ERROR);
	}
	int p = peer_accept(c, "peer.accept", l);
	sut_peername(c, "getpeername2", fd);
	sut_send(c, "send2", fd, "second try", 10, 0);
	if (p >= 0)
		peer_recv(c, "peer.recv", p, 16, 0);
}

/* A non-blocking connect to a listening peer: EINPROGRESS, then writable. */
static void
t_connect_nonblock(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = peer_listen(c, PORT(c, 1), 4);
	int fd = sut_tcp(c, "socket");
	sut_setblocking(c, "setblocking", fd, false);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_wait(c, "wait", fd, POLLOUT);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 1));
	sut_connect_to(c, "connect_third", fd, PEER_IP, PORT(c, 1));
	sut_peername(c, "getpeername", fd);
	sut_sockname(c, "getsockname", fd);
	int p = peer_accept(c, "peer.accept", l);
	sut_send(c, "send", fd, "nb", 2, 0);
	peer_recv(c, "peer.recv", p, 16, 0);
}

/* A connect the peer does not answer (full accept queue), until it does. */
static void
t_connect_pending(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int filler, l = peer_listen_full(c, 1, &filler);
	if (l < 0)
		return;
	int fd = sut_tcp(c, "socket");
	sut_setblocking(c, "setblocking", fd, false);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_poll1(c, "poll_pending", fd, POLLIN | POLLOUT | POLLRDHUP, 0);
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 1));
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	sut_peername(c, "getpeername", fd);
	sut_sockname(c, "getsockname", fd);
	/* Make room: the SYN retransmitted next is answered. */
	int q = peer_accept(c, "peer.accept_filler", l);
	(void)q;
	sut_poll1(c, "wait_connected", fd, POLLOUT, 5000);
	sut_getint(c, "SO_ERROR2", fd, SOL_SOCKET, SO_ERROR);
	sut_peername(c, "getpeername2", fd);
	int p = peer_accept(c, "peer.accept", l);
	sut_send(c, "send", fd, "late", 4, 0);
	if (p >= 0)
		peer_recv(c, "peer.recv", p, 16, 0);
}

/* A pending connect closed: nothing to tell anyone; the port is free. */
static void
t_connect_pending_close(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int filler, l = peer_listen_full(c, 1, &filler);
	if (l < 0)
		return;
	int fd = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_setblocking(c, "setblocking", fd, false);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_shutdown(c, "shutdown_wr", fd, SHUT_WR);
	sut_poll1(c, "poll", fd, POLLIN | POLLOUT | POLLRDHUP, 0);
	sut_close(c, "close", fd);
	int fd2 = sut_tcp(c, "socket2");
	sut_bind_to(c, "bind_again", fd2, INADDR_ANY, PORT(c, 0));
}

/* No ARP answer for the destination: Linux gives up after its neighbour
 * probes (EHOSTUNREACH, RFC 1122 2.3.2.2 lets the link layer report it). */
static void
t_connect_nohost(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_tcp(c, "socket");
	sut_setblocking(c, "setblocking", fd, false);
	sut_connect_to(c, "connect", fd, NOHOST_IP, PORT(c, 1));
	sut_poll1(c, "wait", fd, POLLOUT, 8000);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
}

static void
t_connect_bad(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_tcp(c, "socket");
	struct sockaddr_in a = sin_of(PEER_IP, PORT(c, 1));
	sut_connect(c, "len_8", fd, (struct sockaddr *)&a, 8);
	sut_connect(c, "len_0", fd, (struct sockaddr *)&a, 0);
	sut_connect(c, "null", fd, NULL, 0);
	a.sin_family = AF_INET6;
	sut_connect(c, "family_inet6", fd, (struct sockaddr *)&a, sizeof(a));
	sut_connect_to(c, "broadcast", fd, BCAST_IP, PORT(c, 1));
	sut_connect_to(c, "limited_broadcast", fd, INADDR_BROADCAST, PORT(c, 1));
	sut_connect_to(c, "multicast", fd, 0xe0000001u, PORT(c, 1));
	/* After all that the socket is still fresh and can connect. */
	int l = peer_listen(c, PORT(c, 1), 4);
	(void)l;
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
}

/* connect(AF_UNSPEC) on a stream socket: Linux disconnects (an RST if it
 * was connected) and the socket can connect anew. */
static void
t_connect_unspec(struct diff_ctx *c, intptr_t arg)
{
	bool connected = arg != 0;
	struct sockaddr_in u;
	memset(&u, 0, sizeof(u));
	u.sin_family = AF_UNSPEC;
	int fd, p = -1;
	if (connected) {
		if (tcp_pair_active(c, 1, &fd, &p) != 0)
			return;
	} else {
		fd = sut_tcp(c, "socket");
	}
	sut_connect(c, "connect_unspec", fd, (struct sockaddr *)&u, sizeof(u));
	if (p >= 0)
		peer_recv(c, "peer.recv", p, 16, 0);
	sut_peername(c, "getpeername", fd);
	sut_send(c, "send", fd, "x", 1, MSG_DONTWAIT);
	int l = peer_listen(c, PORT(c, 2), 4);
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 2));
	peer_accept(c, "peer.accept", l);
}

static void
t_peer_close_recv(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	peer_send(c, "peer.send", p, "last words", 10);
	peer_close(c, p);
	sut_wait(c, "wait_fin", fd, POLLRDHUP);
	sut_recv(c, "recv", fd, 64, 0);
	sut_recv(c, "recv_eof", fd, 64, 0);
	sut_recv(c, "recv_eof2", fd, 64, MSG_DONTWAIT);
	sut_peername(c, "getpeername", fd);
}

/* Sending to a peer that closed: the data draws an RST, after which the
 * connection is gone (EPIPE) while reads still see EOF. */
static void
t_peer_close_send(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	peer_close(c, p);
	sut_wait(c, "wait_fin", fd, POLLRDHUP);
	sut_send(c, "send", fd, "anyone?", 7, 0);
	sut_wait(c, "wait_rst", fd, 0);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	sut_send(c, "send2", fd, "x", 1, 0);
	sut_recv(c, "recv", fd, 64, 0);
	sut_peername(c, "getpeername", fd);
	sut_shutdown(c, "shutdown", fd, SHUT_RDWR);
}

/* close() with unread data sends an RST, not a FIN (RFC 2525 2.17). */
static void
t_close_unread(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	peer_send(c, "peer.send", p, "unread", 6);
	sut_wait(c, "wait", fd, POLLIN);
	sut_close(c, "close", fd);
	peer_recv(c, "peer.recv", p, 16, 0);
	peer_send(c, "peer.send2", p, "x", 1);
}

static void
t_linger0(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int rc = c->b->setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	rec_ret(c, "set_linger", rc, errno);
	struct linger got = { -1, -1 };
	socklen_t len = sizeof(got);
	rc = c->b->getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &len);
	rec(c, "get_linger", "%d onoff=%d linger=%d len=%u", rc, got.l_onoff, got.l_linger,
	    (unsigned)len);
	sut_send(c, "send", fd, "bye", 3, 0);
	peer_recv(c, "peer.recv", p, 16, 0);
	sut_close(c, "close", fd);
	peer_recv(c, "peer.recv_rst", p, 16, 0);
}

/* The peer's data followed by its RST, both arrived before we read. */
static void
t_peer_rst_data(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	peer_send(c, "peer.send", p, "data", 4);
	sut_wait(c, "wait_data", fd, POLLIN);
	peer_reset(c, p);
	sut_wait(c, "wait_rst", fd, 0);
	sut_recv(c, "recv", fd, 64, 0);
	sut_recv(c, "recv2", fd, 64, 0);
	sut_recv(c, "recv3", fd, 64, 0);
	sut_send(c, "send", fd, "x", 1, 0);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
}

/* Half-closed both ways round: the open direction still carries data. */
static void
t_half_close(struct diff_ctx *c, intptr_t arg)
{
	bool ours = arg != 0;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	if (ours) {
		sut_shutdown(c, "shut_wr", fd, SHUT_WR);
		peer_recv(c, "peer.recv_eof", p, 16, 0);
		peer_send_pattern(c, "peer.send", p, 50000, 0);
		sut_recv_exact(c, "recv", fd, 50000);
		peer_close(c, p);
		sut_recv(c, "recv_eof", fd, 16, 0);
		sut_send(c, "send", fd, "x", 1, 0);
	} else {
		peer_shutdown(c, "peer.shut_wr", p, SHUT_WR);
		sut_recv(c, "recv_eof", fd, 16, 0);
		sut_send_pattern(c, "send", fd, 50000, 0);
		peer_recv_exact(c, "peer.recv", p, 50000);
		sut_close(c, "close", fd);
		peer_recv(c, "peer.recv_eof", p, 16, 0);
	}
}

static void
t_zero_len(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	/* Linux blocks on a zero-length read of an empty stream (its target
	 * is at least one byte): only the non-blocking form is asked. */
	sut_recv(c, "recv0_empty", fd, 0, MSG_DONTWAIT);
	sut_send(c, "send0", fd, "", 0, 0);
	peer_send(c, "peer.send", p, "abc", 3);
	sut_wait(c, "wait", fd, POLLIN);
	sut_recv(c, "recv0_data", fd, 0, 0);
	sut_recv(c, "recv", fd, 16, 0);
}

static void
t_shutdown_args(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	sut_shutdown(c, "how_3", fd, 3);
	sut_shutdown(c, "how_neg", fd, -1);
	sut_shutdown(c, "shut_rd", fd, SHUT_RD);
	sut_shutdown(c, "shut_rd_again", fd, SHUT_RD);
	sut_shutdown(c, "shut_wr", fd, SHUT_WR);
	peer_recv(c, "peer.recv_eof", p, 16, 0);
	sut_shutdown(c, "shut_wr_again", fd, SHUT_WR);
	sut_shutdown(c, "shut_rdwr", fd, SHUT_RDWR);
	sut_poll1(c, "poll", fd, POLLIN | POLLOUT | POLLRDHUP, 0);
}

/* Fill the send buffer of a non-blocking socket while the peer reads
 * nothing; then the peer drains it all. Sizes differ between stacks, so
 * only the outcome is recorded: EAGAIN reached, every byte delivered. */
static void
t_sndbuf_full(struct diff_ctx *c, intptr_t arg)
{
	int mode = (int)arg;   /* 0 non-blocking, 1 settimeout(0.2), 2 SO_SNDTIMEO */
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	if (mode == 0)
		sut_setblocking(c, "setblocking", fd, false);
	else if (mode == 1)
		sut_settimeout(c, "settimeout", fd, 0.2);
	else
		sut_settv(c, "sndtimeo", fd, SO_SNDTIMEO, 0, 200000);
	static uint8_t buf[65536];
	size_t sent = 0;
	ssize_t rc = 0;
	int e = 0;
	for (int i = 0; i < 2000; i++) {
		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = pattern_byte(sent + j);
		rc = c->b->send(fd, buf, sizeof(buf), 0);
		e = errno;
		if (rc < 0)
			break;
		sent += (size_t)rc;
	}
	rec(c, "fill", "%s", rc < 0 ? err_name(e) : "never full");
	/* ACKs still in flight free space after the first EAGAIN: top up
	 * until the socket stays unwritable for a while (the peer's window is
	 * then closed and nothing more can leave). */
	bool settled = false;
	for (int i = 0; i < 50 && !settled; i++) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		if (c->b->poll(&pf, 1, 300) == 0) {
			settled = true;
			break;
		}
		for (int j = 0; j < 2000; j++) {
			for (size_t k = 0; k < sizeof(buf); k++)
				buf[k] = pattern_byte(sent + k);
			rc = c->b->send(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (rc < 0)
				break;
			sent += (size_t)rc;
		}
	}
	rec(c, "settled", "%s", settled ? "yes" : "no");
	sut_poll1(c, "poll_full", fd, POLLOUT, 0);
	/* Drain and check. */
	uint8_t *in = malloc(sent + 1);
	size_t got = 0;
	while (got < sent) {
		ssize_t r = recv(p, in + got, sent - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	bool same = got == sent;
	for (size_t i = 0; same && i < got; i++)
		same = in[i] == pattern_byte(i);
	free(in);
	rec(c, "peer.drain", "%s", same ? "all bytes, in order" : "missing or wrong bytes");
	sut_wait(c, "wait_writable", fd, POLLOUT);
	sut_send(c, "send_after", fd, "more", 4, 0);
	peer_recv(c, "peer.recv", p, 16, 0);
}

/* close() from one thread while another is blocked in recv on the same
 * socket: Tern wakes the waiter with EBADF; Linux keeps it blocked until
 * something arrives (the file lives on while the call holds it). */
struct blocked_recv {
	const struct backend *b;
	int fd;
	ssize_t rc;
	int err;
};

static void *
blocked_recv_thread(void *arg)
{
	struct blocked_recv *br = arg;
	char buf[16];
	br->rc = br->b->recv(br->fd, buf, sizeof(buf), 0);
	br->err = errno;
	return NULL;
}

static void
t_close_blocked(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	struct blocked_recv br = { .b = c->b, .fd = fd };
	pthread_t th;
	pthread_create(&th, NULL, blocked_recv_thread, &br);
	/* Give the thread time to block (scheduling, not a measurement: if it
	 * has not blocked yet it sees EBADF on both, and the mark notes it). */
	struct timespec ts = { 0, 200 * 1000000 };
	nanosleep(&ts, NULL);
	sut_close(c, "close", fd);
	/* Unblocks Linux's reader; Tern's has already returned. */
	peer_send(c, "peer.send", p, "wake", 4);
	pthread_join(th, NULL);
	rec_ret(c, "thread.recv", br.rc, br.err);
}

/* ---- a socket after its connection ended (Linux keeps it, CLOSE) ---- */

static struct sockaddr_in
unspec_addr(void)
{
	struct sockaddr_in u;
	memset(&u, 0, sizeof(u));
	u.sin_family = AF_UNSPEC;
	return u;
}

/* A refused non-blocking connect, shut down before any connect() asked for
 * the outcome (Linux: SS_DISCONNECTING): connect and listen say EINVAL
 * until connect(AF_UNSPEC) makes it unconnected again. */
static void
t_refused_shutdown(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = peer_listen(c, PORT(c, 2), 4);
	int fd = sut_tcp(c, "socket");
	sut_setblocking(c, "setblocking", fd, false);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 3));
	sut_wait(c, "wait", fd, POLLOUT);
	sut_shutdown(c, "shutdown", fd, SHUT_RDWR);
	sut_poll1(c, "poll", fd, POLLIN | POLLOUT | POLLRDHUP, 0);
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 2));
	sut_listen(c, "listen", fd, 4);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	struct sockaddr_in u = unspec_addr();
	sut_connect(c, "connect_unspec", fd, (struct sockaddr *)&u, sizeof(u));
	sut_poll1(c, "poll_unspec", fd, POLLIN | POLLOUT | POLLRDHUP, 0);
	sut_setblocking(c, "setblocking_on", fd, true);
	sut_connect_to(c, "connect_third", fd, PEER_IP, PORT(c, 2));
	peer_accept(c, "peer.accept", l);
}

/* A non-blocking connect that completed, shut down before connect() was
 * asked again: it counts as connected (Linux: SS_CONNECTED). */
static void
t_connected_shutdown(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = peer_listen(c, PORT(c, 1), 4);
	int fd = sut_tcp(c, "socket");
	sut_setblocking(c, "setblocking", fd, false);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_wait(c, "wait", fd, POLLOUT);
	int p = peer_accept(c, "peer.accept", l);
	sut_shutdown(c, "shut_wr", fd, SHUT_WR);
	if (p >= 0)
		peer_recv(c, "peer.recv_eof", p, 16, 0);
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 1));
	sut_listen(c, "listen", fd, 4);
}

/* A port bind() chose stays bound when the connection is reset (Linux
 * SOCK_BINDPORT_LOCK; an automatic one is given back: tcp.reset.bind). */
static void
t_reset_bound_port(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = peer_listen(c, PORT(c, 1), 4);
	int fd = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	int p = peer_accept(c, "peer.accept", l);
	if (p < 0)
		return;
	peer_reset(c, p);
	sut_wait(c, "wait_rst", fd, 0);
	sut_sockname(c, "getsockname", fd);
	sut_bind_to(c, "bind_again", fd, INADDR_ANY, PORT(c, 2));
	int fd2 = sut_tcp(c, "socket2");
	sut_bind_to(c, "bind_same_port", fd2, INADDR_ANY, PORT(c, 0));
	sut_close(c, "close", fd);
	sut_bind_to(c, "bind_after_close", fd2, INADDR_ANY, PORT(c, 0));
}

/* A refused connect under a socket-module timeout: Python reads the error
 * from SO_ERROR and leaves the socket as the kernel has it (still
 * connecting as far as connect() knows: the next one says ECONNABORTED). */
static void
t_refused_settimeout(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = peer_listen(c, PORT(c, 2), 4);
	int fd = sut_tcp(c, "socket");
	sut_settimeout(c, "settimeout", fd, 1.5);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 3));
	sut_poll1(c, "poll", fd, POLLIN | POLLOUT | POLLRDHUP, 0);
	sut_recv(c, "recv", fd, 16, MSG_DONTWAIT);
	sut_listen(c, "listen", fd, 4);
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 2));
	sut_connect_to(c, "connect_third", fd, PEER_IP, PORT(c, 2));
	sut_connect_to(c, "connect_fourth", fd, PEER_IP, PORT(c, 2));
	peer_accept(c, "peer.accept", l);
}

/* A listener with a connection queued, disconnected by connect(AF_UNSPEC):
 * the queued peer is reset; the socket (its port still bound) may listen
 * again. */
static void
t_listener_unspec(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	int p = peer_connect(c, "peer.connect", PORT(c, 0));
	sut_wait(c, "wait", l, POLLIN);
	struct sockaddr_in u = unspec_addr();
	sut_connect(c, "connect_unspec", l, (struct sockaddr *)&u, sizeof(u));
	if (p >= 0)
		peer_recv(c, "peer.recv", p, 16, 0);
	sut_poll1(c, "poll", l, POLLIN | POLLOUT | POLLRDHUP, 0);
	sut_getint(c, "ACCEPTCONN", l, SOL_SOCKET, SO_ACCEPTCONN);
	sut_setblocking(c, "setblocking", l, false);
	sut_accept(c, "accept", l, 0);
	sut_sockname(c, "getsockname", l);
	sut_listen(c, "listen_again", l, 4);
	peer_connect(c, "peer.connect2", PORT(c, 0));
	sut_wait(c, "wait2", l, POLLIN);
	sut_accept(c, "accept2", l, 0);
}

/* Data and then an RST, both before accept(): the connection is accepted
 * all the same, its data read first, then the error, then EOF. */
static void
t_accept_reset_data(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	int p = peer_connect(c, "peer.connect", PORT(c, 0));
	if (p < 0)
		return;
	peer_send(c, "peer.send", p, "early", 5);
	peer_wait_acked(c, "peer.acked", p);
	peer_reset(c, p);
	/* A second handshake: when it completes, the RST is in (in order). */
	peer_connect(c, "peer.connect2", PORT(c, 0));
	int fd = sut_accept(c, "accept", l, SOCK_NONBLOCK);
	if (fd < 0)
		return;
	sut_poll1(c, "poll", fd, POLLIN | POLLOUT | POLLRDHUP, 0);
	sut_recv(c, "recv", fd, 16, 0);
	sut_recv(c, "recv2", fd, 16, 0);
	sut_recv(c, "recv3", fd, 16, 0);
	sut_sockname(c, "getsockname", fd);
	sut_peername(c, "getpeername", fd);
	sut_listen(c, "listen", fd, 4);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
}

/* connect(AF_UNSPEC) on a connected socket gives its automatic port back:
 * it may bind, and connect from there. */
static void
t_unspec_bind(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	struct sockaddr_in u = unspec_addr();
	sut_connect(c, "connect_unspec", fd, (struct sockaddr *)&u, sizeof(u));
	peer_recv(c, "peer.recv", p, 16, 0);
	sut_sockname(c, "getsockname", fd);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	sut_sockname(c, "getsockname2", fd);
	int l = peer_listen(c, PORT(c, 2), 4);
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 2));
	sut_sockname(c, "getsockname3", fd);
	peer_accept(c, "peer.accept", l);
}

/* connect(AF_UNSPEC) leaves ECONNRESET pending; a new connect() at once
 * is not ended by it (Linux tcp_connect_init clears it). */
static void
t_unspec_reconnect(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	int l = peer_listen(c, PORT(c, 2), 4);
	struct sockaddr_in u = unspec_addr();
	sut_connect(c, "connect_unspec", fd, (struct sockaddr *)&u, sizeof(u));
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 2));
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	int q = peer_accept(c, "peer.accept", l);
	sut_send(c, "send", fd, "new", 3, 0);
	if (q >= 0)
		peer_recv(c, "peer.recv", q, 16, 0);
}

void
scen_tcp_more_register(void)
{
	scen_add("tcp.stream_64k", t_stream, 65536, NULL, NULL);
	scen_add("tcp.stream_1m", t_stream, 1 << 20, NULL, NULL);
	scen_add("tcp.accept_names", t_accept_names, 0, NULL, NULL);
	scen_add("tcp.accept_inherit_flag", t_accept_inherit, 0, NULL, NULL);
	scen_add("tcp.accept_inherit_nonblock", t_accept_inherit, 1, NULL, NULL);
	scen_add("tcp.accept_inherit_timeout", t_accept_inherit, 2, NULL, NULL);
	scen_add("tcp.accept_args", t_accept_args, 0, NULL, NULL);
	scen_add("tcp.accept_queue", t_accept_queue, 0, NULL, NULL);
	scen_add("tcp.listener_close_queued", t_listener_close_queued, 0, NULL, NULL);
	scen_add("tcp.accept_reset", t_accept_reset, 0, NULL, NULL);
	scen_add("tcp.peer_refused", t_peer_refused, 0, NULL, NULL);
	scen_add("tcp.refused_blocking", t_refused, 0, NULL, NULL);
	scen_add("tcp.refused_nonblock", t_refused, 1, NULL, NULL);
	scen_add("tcp.connect_nonblock", t_connect_nonblock, 0, NULL, NULL);
	scen_add("tcp.connect_pending", t_connect_pending, 0, NULL, NULL);
	scen_add("tcp.connect_pending_close", t_connect_pending_close, 0, NULL, NULL);
	scen_add("tcp.connect_nohost", t_connect_nohost, 0, NULL, NULL);
	scen_add("tcp.connect_bad", t_connect_bad, 0, NULL, NULL);
	scen_add("tcp.connect_unspec_fresh", t_connect_unspec, 0, NULL, NULL);
	scen_add("tcp.connect_unspec_connected", t_connect_unspec, 1, NULL, NULL);
	scen_add("tcp.peer_close_recv", t_peer_close_recv, 0, NULL, NULL);
	scen_add("tcp.peer_close_send", t_peer_close_send, 0, NULL, NULL);
	scen_add("tcp.close_unread", t_close_unread, 0, NULL, NULL);
	scen_add("tcp.linger0", t_linger0, 0, NULL, NULL);
	scen_add("tcp.peer_rst_data", t_peer_rst_data, 0, NULL, NULL);
	scen_add("tcp.half_close_ours", t_half_close, 1, NULL, NULL);
	scen_add("tcp.half_close_peer", t_half_close, 0, NULL, NULL);
	scen_add("tcp.zero_len", t_zero_len, 0, NULL, NULL);
	scen_add("tcp.shutdown_args", t_shutdown_args, 0, NULL, NULL);
	scen_add("tcp.sndbuf_full_nonblock", t_sndbuf_full, 0, NULL, NULL);
	scen_add("tcp.sndbuf_full_settimeout", t_sndbuf_full, 1, NULL, NULL);
	scen_add("tcp.sndbuf_full_sndtimeo", t_sndbuf_full, 2, NULL, NULL);
	scen_add("tcp.refused_shutdown", t_refused_shutdown, 0, NULL, NULL);
	scen_add("tcp.connected_shutdown", t_connected_shutdown, 0, NULL, NULL);
	scen_add("tcp.reset_bound_port", t_reset_bound_port, 0, NULL, NULL);
	scen_add("tcp.refused_settimeout", t_refused_settimeout, 0, NULL, NULL);
	scen_add("tcp.listener_unspec", t_listener_unspec, 0, NULL, NULL);
	scen_add("tcp.accept_reset_data", t_accept_reset_data, 0, NULL, NULL);
	scen_add("tcp.unspec_bind", t_unspec_bind, 0, NULL, NULL);
	scen_add("tcp.unspec_reconnect", t_unspec_reconnect, 0, NULL, NULL);
	scen_add("tcp.close_blocked_reader", t_close_blocked, 0,
		 "tern_close wakes a thread blocked on the socket with EBADF; Linux leaves "
		 "it blocked until data arrives", "thread.recv");
}

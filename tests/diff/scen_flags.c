/*
 * Scenarios: receive flags on streams (MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT,
 * MSG_TRUNC, MSG_OOB) and timeouts (the socket module's settimeout and
 * SO_RCVTIMEO / SO_SNDTIMEO) on recv, accept and connect.
 */
#include <errno.h>
#include <string.h>

#include "diff.h"

/* A connected pair with @p msg sent by the peer and seen arriving. */
static int
pair_with_data(struct diff_ctx *c, int *p, const char *msg)
{
	int fd;
	if (tcp_pair_active(c, 1, &fd, p) != 0)
		return -1;
	if (msg != NULL) {
		peer_send(c, "peer.send", *p, msg, strlen(msg));
		sut_wait(c, "wait", fd, POLLIN);
	}
	return fd;
}

static void
f_peek(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = pair_with_data(c, &p, "hello world");
	if (fd < 0)
		return;
	sut_recv(c, "peek5", fd, 5, MSG_PEEK);
	sut_recv(c, "peek_all", fd, 64, MSG_PEEK);
	sut_recv(c, "peek_dontwait", fd, 64, MSG_PEEK | MSG_DONTWAIT);
	sut_recv(c, "recv3", fd, 3, 0);
	sut_recv(c, "peek_rest", fd, 64, MSG_PEEK);
	sut_recv(c, "recv_rest", fd, 64, 0);
	sut_recv(c, "peek_empty", fd, 64, MSG_PEEK | MSG_DONTWAIT);
	/* A peek on EOF returns 0 and leaves it. */
	peer_shutdown(c, "peer.shut_wr", p, SHUT_WR);
	sut_wait(c, "wait_fin", fd, POLLRDHUP);
	sut_recv(c, "peek_eof", fd, 64, MSG_PEEK);
	sut_recv(c, "recv_eof", fd, 64, 0);
}

/* Several segments in the queue: a peek sees across them. */
static void
f_peek_segments(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = pair_with_data(c, &p, NULL);
	if (fd < 0)
		return;
	int one = 1;
	setsockopt(p, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
	peer_send(c, "peer.send1", p, "one.", 4);
	peer_send(c, "peer.send2", p, "two.", 4);
	peer_send(c, "peer.send3", p, "three", 5);
	peer_send(c, "peer.marker", p, "!", 1);
	peer_wait_acked(c, "peer.acked", p);
	sut_recv(c, "peek_all", fd, 64, MSG_PEEK);
	sut_recv_exact(c, "recv_all", fd, 14);
}

static void
f_waitall(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = pair_with_data(c, &p, NULL);
	if (fd < 0)
		return;
	peer_send_pattern(c, "peer.send", p, 30000, 0);
	/* One call returns everything, however it was segmented. */
	sut_recv(c, "recv_waitall", fd, 30000, MSG_WAITALL);
	peer_send_pattern(c, "peer.send2", p, 100, 30000);
	peer_close(c, p);
	/* EOF ends a MSG_WAITALL read early. */
	sut_recv(c, "recv_waitall_eof", fd, 1000, MSG_WAITALL);
	sut_recv(c, "recv_eof", fd, 1000, MSG_WAITALL);
}

/* MSG_WAITALL with a timeout returns what it has when the time is up. */
static void
f_waitall_timeout(struct diff_ctx *c, intptr_t arg)
{
	int p, fd = pair_with_data(c, &p, "partial");
	if (fd < 0)
		return;
	if (arg == 0)
		sut_settimeout(c, "settimeout", fd, 0.2);
	else
		sut_settv(c, "rcvtimeo", fd, SO_RCVTIMEO, 0, 200000);
	sut_recv(c, "recv_waitall", fd, 100, MSG_WAITALL);
	sut_recv(c, "recv_waitall_empty", fd, 100, MSG_WAITALL);
}

static void
f_dontwait(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = pair_with_data(c, &p, NULL);
	if (fd < 0)
		return;
	sut_recv(c, "recv_dontwait", fd, 64, MSG_DONTWAIT);
	sut_recv(c, "recv_dontwait_waitall", fd, 64, MSG_DONTWAIT | MSG_WAITALL);
	sut_send(c, "send_dontwait", fd, "abc", 3, MSG_DONTWAIT);
	peer_recv(c, "peer.recv", p, 16, 0);
	sut_gettimeout(c, "gettimeout", fd);
	peer_send(c, "peer.send", p, "xyz", 3);
	sut_wait(c, "wait", fd, POLLIN);
	sut_recv(c, "recv_dontwait_data", fd, 64, MSG_DONTWAIT);
}

/* MSG_TRUNC on a stream: Linux discards the bytes instead of copying. */
static void
f_trunc(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = pair_with_data(c, &p, "discard me, keep me");
	if (fd < 0)
		return;
	sut_recv(c, "recv_trunc", fd, 11, MSG_TRUNC);
	sut_recv(c, "recv_rest", fd, 64, 0);
}

/* Urgent data: Tern has none (RFC 6093 4 advises new applications not to
 * use it); a receive for it finds none either way. */
static void
f_oob(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int p, fd = pair_with_data(c, &p, "normal");
	if (fd < 0)
		return;
	sut_recv(c, "recv_oob", fd, 16, MSG_OOB);
	sut_recv(c, "recv", fd, 16, 0);
	sut_send(c, "send_oob", fd, "!", 1, MSG_OOB);
}

/* Timeouts on blocking calls that find nothing: EAGAIN (socket.timeout). */
static void
to_recv(struct diff_ctx *c, intptr_t arg)
{
	int p, fd = pair_with_data(c, &p, NULL);
	if (fd < 0)
		return;
	if (arg == 0) {
		sut_settimeout(c, "settimeout", fd, 0.2);
		sut_gettimeout(c, "gettimeout", fd);
	} else {
		sut_settv(c, "rcvtimeo", fd, SO_RCVTIMEO, 0, 200000);
		sut_gettv(c, "get_rcvtimeo", fd, SO_RCVTIMEO);
	}
	sut_recv(c, "recv", fd, 16, 0);
	sut_recv(c, "recv_peek", fd, 16, MSG_PEEK);
	/* Data within the time is returned; the connection is unharmed (a
	 * generous time: the wait is a safety net here, not the subject). */
	if (arg == 0)
		sut_settimeout(c, "settimeout_long", fd, 2.0);
	else
		sut_settv(c, "rcvtimeo_long", fd, SO_RCVTIMEO, 2, 0);
	peer_send(c, "peer.send", p, "made it", 7);
	sut_recv(c, "recv_data", fd, 16, 0);
	sut_send(c, "send", fd, "ok", 2, 0);
	peer_recv(c, "peer.recv", p, 16, 0);
}

static void
to_accept(struct diff_ctx *c, intptr_t arg)
{
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	if (arg == 0)
		sut_settimeout(c, "settimeout", l, 0.2);
	else
		sut_settv(c, "rcvtimeo", l, SO_RCVTIMEO, 0, 200000);
	sut_accept(c, "accept", l, 0);
	if (arg == 0)
		sut_settimeout(c, "settimeout_long", l, 2.0);
	else
		sut_settv(c, "rcvtimeo_long", l, SO_RCVTIMEO, 2, 0);
	peer_connect(c, "peer.connect", PORT(c, 0));
	sut_accept(c, "accept_conn", l, 0);
}

/* A connect the peer never answers, bounded by a timeout. Python's
 * settimeout gives socket.timeout (EAGAIN here); SO_SNDTIMEO gives
 * EINPROGRESS on Linux, and a second blocking connect EALREADY after
 * waiting again. */
static void
to_connect(struct diff_ctx *c, intptr_t arg)
{
	int filler, l = peer_listen_full(c, 1, &filler);
	if (l < 0)
		return;
	int fd = sut_tcp(c, "socket");
	if (arg == 0)
		sut_settimeout(c, "settimeout", fd, 0.3);
	else
		sut_settv(c, "sndtimeo", fd, SO_SNDTIMEO, 0, 300000);
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_connect_to(c, "connect_again", fd, PEER_IP, PORT(c, 1));
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	sut_poll1(c, "poll", fd, POLLIN | POLLOUT, 0);
}

static void
to_values(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_gettv(c, "rcv_default", fd, SO_RCVTIMEO);
	sut_gettv(c, "snd_default", fd, SO_SNDTIMEO);
	sut_settv(c, "rcv_1.5", fd, SO_RCVTIMEO, 1, 500000);
	sut_gettv(c, "rcv_get", fd, SO_RCVTIMEO);
	sut_settv(c, "snd_2", fd, SO_SNDTIMEO, 2, 0);
	sut_gettv(c, "snd_get", fd, SO_SNDTIMEO);
	sut_settv(c, "rcv_usec_1e6", fd, SO_RCVTIMEO, 0, 1000000);
	sut_settv(c, "rcv_usec_neg", fd, SO_RCVTIMEO, 0, -1);
	sut_settv(c, "rcv_sec_neg", fd, SO_RCVTIMEO, -1, 0);
	sut_gettv(c, "rcv_get_neg", fd, SO_RCVTIMEO);
	sut_settv(c, "rcv_zero", fd, SO_RCVTIMEO, 0, 0);
	sut_gettv(c, "rcv_get_zero", fd, SO_RCVTIMEO);
	int v = 1;
	int rc = c->b->setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &v, sizeof(v));
	rec_ret(c, "rcv_short_len", rc, errno);
	struct timeval tv;
	socklen_t len = 4;
	rc = c->b->getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
	rec(c, "rcv_get_len4", "%d len=%u", rc, (unsigned)len);
	/* The socket module's timeout is a separate setting. */
	sut_settimeout(c, "settimeout", fd, 2.5);
	sut_gettimeout(c, "gettimeout", fd);
	sut_gettv(c, "rcv_after_settimeout", fd, SO_RCVTIMEO);
	sut_settimeout(c, "settimeout_nan", fd, 0.0 / 0.0);
	sut_gettimeout(c, "gettimeout_after_nan", fd);
}

void
scen_flags_register(void)
{
	scen_add("flags.peek", f_peek, 0, NULL, NULL);
	scen_add("flags.peek_segments", f_peek_segments, 0, NULL, NULL);
	scen_add("flags.waitall", f_waitall, 0, NULL, NULL);
	scen_add("flags.waitall_settimeout", f_waitall_timeout, 0, NULL, NULL);
	scen_add("flags.waitall_rcvtimeo", f_waitall_timeout, 1, NULL, NULL);
	scen_add("flags.dontwait", f_dontwait, 0, NULL, NULL);
	scen_add("flags.trunc_stream", f_trunc, 0, NULL, NULL);
	scen_add("flags.oob", f_oob, 0,
		 "no TCP urgent data: send(MSG_OOB) fails with EOPNOTSUPP (RFC 6093 4: "
		 "new applications should not use it)", "send_oob");

	scen_add("timeout.recv_settimeout", to_recv, 0, NULL, NULL);
	scen_add("timeout.recv_rcvtimeo", to_recv, 1, NULL, NULL);
	scen_add("timeout.accept_settimeout", to_accept, 0, NULL, NULL);
	scen_add("timeout.accept_rcvtimeo", to_accept, 1, NULL, NULL);
	scen_add("timeout.connect_settimeout", to_connect, 0, NULL, NULL);
	scen_add("timeout.connect_sndtimeo", to_connect, 1, NULL, NULL);
	scen_add("timeout.values_udp", to_values, SOCK_DGRAM, NULL, NULL);
	scen_add("timeout.values_tcp", to_values, SOCK_STREAM, NULL, NULL);
}

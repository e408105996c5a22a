/*
 * Scenarios: readiness and descriptor flags. poll() masks of UDP and TCP
 * sockets in the states the TCP table does not build (data queued, errors,
 * several descriptors, bad ones), epoll level / edge / one-shot triggering
 * with ADD, MOD and DEL and their errors, and fcntl's flags.
 * (The TCP table polls every state too: tcp.<state>.poll.)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"

#define ALL_EV (POLLIN | POLLOUT | POLLRDHUP | POLLPRI)

/* ---- poll ---- */

static void
p_udp(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_poll1(c, "poll_fresh", fd, ALL_EV, 0);
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	int p = peer_udp(c, PORT(c, 1));
	peer_sendto(c, "peer.send", p, "d", 1, SUT_IP, PORT(c, 0));
	sut_wait(c, "wait_data", fd, POLLIN);
	sut_poll1(c, "poll_data", fd, ALL_EV, 0);
	sut_poll1(c, "poll_in_only", fd, POLLIN, 0);
	sut_poll1(c, "poll_out_only", fd, POLLOUT, 0);
	sut_poll1(c, "poll_none", fd, 0, 0);
	sut_recv(c, "recv", fd, 16, 0);
	sut_poll1(c, "poll_drained", fd, ALL_EV, 0);
}

static void
p_udp_error(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 1));
	sut_send(c, "send", fd, "x", 1, 0);
	sut_wait(c, "wait_err", fd, 0);
	sut_poll1(c, "poll_err", fd, ALL_EV, 0);
	sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	sut_poll1(c, "poll_cleared", fd, ALL_EV, 0);
}

static void
p_tcp_data(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	sut_poll1(c, "poll_idle", fd, ALL_EV, 0);
	peer_send(c, "peer.send", p, "data", 4);
	sut_wait(c, "wait", fd, POLLIN);
	sut_poll1(c, "poll_data", fd, ALL_EV, 0);
	peer_shutdown(c, "peer.shut_wr", p, SHUT_WR);
	sut_wait(c, "wait_fin", fd, POLLRDHUP);
	sut_poll1(c, "poll_data_fin", fd, ALL_EV, 0);
	sut_recv(c, "recv", fd, 16, 0);
	sut_poll1(c, "poll_fin", fd, ALL_EV, 0);
	sut_shutdown(c, "shut_wr", fd, SHUT_WR);
	sut_poll1(c, "poll_both_shut", fd, ALL_EV, 0);
}

static void
p_listener(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	sut_poll1(c, "poll_empty", l, ALL_EV, 0);
	sut_poll1(c, "poll_timeout", l, POLLIN, 100);
	peer_connect(c, "peer.connect", PORT(c, 0));
	sut_wait(c, "wait", l, POLLIN);
	sut_poll1(c, "poll_pending", l, ALL_EV, 0);
	sut_accept(c, "accept", l, 0);
	sut_poll1(c, "poll_after_accept", l, ALL_EV, 0);
	sut_shutdown(c, "shutdown", l, SHUT_RDWR);
	sut_poll1(c, "poll_shut", l, ALL_EV, 0);
}

/* Bad entries: a closed or never-open descriptor is POLLNVAL, a negative
 * one is skipped; the count covers the entries with revents. */
static void
p_bad(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int fd = sut_udp(c, "socket");
	int gone = sut_udp(c, "socket2");
	sut_close(c, "close2", gone);
	struct pollfd p[4] = {
		{ .fd = fd, .events = POLLIN | POLLOUT },
		{ .fd = -1, .events = POLLIN },
		{ .fd = c->b->bad_fd, .events = POLLIN },
		{ .fd = gone, .events = 0 },
	};
	int rc = c->b->poll(p, 4, 0);
	char b[4][64];
	rec(c, "poll4", "%d %s / %s / %s / %s", rc, poll_str((unsigned short)p[0].revents, b[0], 64),
	    poll_str((unsigned short)p[1].revents, b[1], 64),
	    poll_str((unsigned short)p[2].revents, b[2], 64),
	    poll_str((unsigned short)p[3].revents, b[3], 64));
	rc = c->b->poll(NULL, 0, 0);
	rec_ret(c, "poll_none", rc, errno);
	struct pollfd one = { .fd = -5, .events = POLLIN, .revents = POLLOUT };
	rc = c->b->poll(&one, 1, 50);
	rec(c, "poll_negative_only", "%d revents=%d", rc, one.revents);
}

/* One call over two SUT sockets and a kernel pipe (Tern's poll hands
 * kernel descriptors to the kernel). */
static void
p_mixed(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int a = sut_udp(c, "socket_a");
	sut_bind_to(c, "bind_a", a, INADDR_ANY, PORT(c, 0));
	int b = sut_udp(c, "socket_b");
	sut_bind_to(c, "bind_b", b, INADDR_ANY, PORT(c, 2));
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return;
	int p = peer_udp(c, PORT(c, 1));
	peer_sendto(c, "peer.send", p, "b", 1, SUT_IP, PORT(c, 2));
	sut_wait(c, "wait_b", b, POLLIN);
	struct pollfd fds[3] = {
		{ .fd = a, .events = POLLIN },
		{ .fd = b, .events = POLLIN },
		{ .fd = pipefd[0], .events = POLLIN },
	};
	char bb[3][64];
	int rc = c->b->poll(fds, 3, 0);
	rec(c, "poll3", "%d %s / %s / %s", rc, poll_str((unsigned short)fds[0].revents, bb[0], 64),
	    poll_str((unsigned short)fds[1].revents, bb[1], 64),
	    poll_str((unsigned short)fds[2].revents, bb[2], 64));
	if (write(pipefd[1], "p", 1) != 1)
		rec(c, "pipe_write", "failed");
	rc = c->b->poll(fds, 3, WAIT_MS);
	rec(c, "poll3_pipe", "%d %s / %s / %s", rc, poll_str((unsigned short)fds[0].revents, bb[0], 64),
	    poll_str((unsigned short)fds[1].revents, bb[1], 64),
	    poll_str((unsigned short)fds[2].revents, bb[2], 64));
	/* A blocking poll woken by a datagram on the first socket. */
	sut_recv(c, "recv_b", b, 16, 0);
	char x;
	if (read(pipefd[0], &x, 1) != 1)
		rec(c, "pipe_read", "failed");
	peer_sendto(c, "peer.send_a", p, "a", 1, SUT_IP, PORT(c, 0));
	rc = c->b->poll(fds, 3, WAIT_MS);
	rec(c, "poll3_a", "%d %s / %s / %s", rc, poll_str((unsigned short)fds[0].revents, bb[0], 64),
	    poll_str((unsigned short)fds[1].revents, bb[1], 64),
	    poll_str((unsigned short)fds[2].revents, bb[2], 64));
	close(pipefd[0]);
	close(pipefd[1]);
}

/* ---- epoll ---- */

static int
ep_create(struct diff_ctx *c, const char *l)
{
	int ep = c->b->epoll_create1(0);
	rec_fd(c, l, ep, errno);
	if (ep >= 0 && c->n_sut < CTX_MAX_FDS)
		c->sut_fds[c->n_sut++] = ep;
	return ep;
}

static int
ep_ctl(struct diff_ctx *c, const char *l, int ep, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	int rc = c->b->epoll_ctl(ep, op, fd, op == EPOLL_CTL_DEL ? NULL : &ev);
	rec_ret(c, l, rc, errno);
	return rc;
}

/* epoll_wait; records the count and each event's mask and tag. */
static int
ep_wait(struct diff_ctx *c, const char *l, int ep, int max, int ms)
{
	struct epoll_event ev[8];
	memset(ev, 0, sizeof(ev));
	int rc = c->b->epoll_wait(ep, ev, max, ms);
	if (rc < 0) {
		rec(c, l, "-1 %s", err_name(errno));
		return rc;
	}
	char out[512], b[96];
	size_t o = (size_t)snprintf(out, sizeof(out), "%d", rc);
	for (int i = 0; i < rc && i < 8; i++)
		o += (size_t)snprintf(out + o, o < sizeof(out) ? sizeof(out) - o : 0, " [%s tag=%llx]",
				      poll_str(ev[i].events, b, sizeof(b)),
				      (unsigned long long)ev[i].data.u64);
	rec(c, l, "%s", out);
	return rc;
}

static void
e_errors(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int rc = c->b->epoll_create1(0x1234);
	rec_fd(c, "create1_bad_flags", rc, errno);
	int ep = ep_create(c, "create1");
	int ep2 = c->b->epoll_create1(EPOLL_CLOEXEC);
	rec_fd(c, "create1_cloexec", ep2, errno);
	if (ep2 >= 0)
		c->b->close(ep2);
	int fd = sut_udp(c, "socket");
	ep_ctl(c, "add", ep, EPOLL_CTL_ADD, fd, EPOLLIN, 1);
	ep_ctl(c, "add_again", ep, EPOLL_CTL_ADD, fd, EPOLLIN, 1);
	int other = sut_udp(c, "socket2");
	ep_ctl(c, "mod_missing", ep, EPOLL_CTL_MOD, other, EPOLLIN, 2);
	ep_ctl(c, "del_missing", ep, EPOLL_CTL_DEL, other, 0, 0);
	ep_ctl(c, "bad_fd", ep, EPOLL_CTL_ADD, c->b->bad_fd, EPOLLIN, 3);
	ep_ctl(c, "bad_epfd", c->b->bad_fd, EPOLL_CTL_ADD, fd, EPOLLIN, 3);
	ep_ctl(c, "self", ep, EPOLL_CTL_ADD, ep, EPOLLIN, 4);
	ep_ctl(c, "not_epoll", fd, EPOLL_CTL_ADD, other, EPOLLIN, 5);
	ep_ctl(c, "bad_op", ep, 99, other, EPOLLIN, 6);
	rc = c->b->epoll_ctl(ep, EPOLL_CTL_ADD, other, NULL);
	rec_ret(c, "add_null_event", rc, errno);
	ep_wait(c, "wait_max0", ep, 0, 0);
	ep_wait(c, "wait_bad_epfd", c->b->bad_fd, 4, 0);
	ep_wait(c, "wait_not_epoll", fd, 4, 0);
	ep_ctl(c, "del", ep, EPOLL_CTL_DEL, fd, 0, 0);
	ep_ctl(c, "del_again", ep, EPOLL_CTL_DEL, fd, 0, 0);
	ep_ctl(c, "exclusive_mod", ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLEXCLUSIVE, 7);
	ep_ctl(c, "mod_exclusive", ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLEXCLUSIVE, 7);
}

/* Level-triggered: reported on every wait while data is queued. */
static void
e_level(struct diff_ctx *c, intptr_t arg)
{
	int type = (int)arg;
	int ep = ep_create(c, "create");
	int fd, p;
	if (type == SOCK_DGRAM) {
		fd = sut_udp(c, "socket");
		sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
		p = peer_udp(c, PORT(c, 1));
	} else if (tcp_pair_active(c, 1, &fd, &p) != 0) {
		return;
	}
	ep_ctl(c, "add", ep, EPOLL_CTL_ADD, fd, EPOLLIN, 0xa1);
	ep_wait(c, "wait_empty", ep, 8, 0);
	if (type == SOCK_DGRAM)
		peer_sendto(c, "peer.send", p, "lvl", 3, SUT_IP, PORT(c, 0));
	else
		peer_send(c, "peer.send", p, "lvl", 3);
	ep_wait(c, "wait1", ep, 8, WAIT_MS);
	ep_wait(c, "wait2", ep, 8, 0);
	sut_recv(c, "recv", fd, 16, 0);
	ep_wait(c, "wait_drained", ep, 8, 0);
	ep_ctl(c, "mod_out", ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLOUT, 0xa2);
	ep_wait(c, "wait_out", ep, 8, 0);
	ep_ctl(c, "del", ep, EPOLL_CTL_DEL, fd, 0, 0);
	ep_wait(c, "wait_deleted", ep, 8, 0);
}

/* Edge-triggered: one report per arrival, none while nothing new comes. */
static void
e_edge(struct diff_ctx *c, intptr_t arg)
{
	int type = (int)arg;
	int ep = ep_create(c, "create");
	int fd, p;
	if (type == SOCK_DGRAM) {
		fd = sut_udp(c, "socket");
		sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
		p = peer_udp(c, PORT(c, 1));
	} else if (tcp_pair_active(c, 1, &fd, &p) != 0) {
		return;
	}
	ep_ctl(c, "add", ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET, 0xb1);
	if (type == SOCK_DGRAM)
		peer_sendto(c, "peer.send", p, "edge1", 5, SUT_IP, PORT(c, 0));
	else
		peer_send(c, "peer.send", p, "edge1", 5);
	ep_wait(c, "wait1", ep, 8, WAIT_MS);
	ep_wait(c, "wait_again", ep, 8, 0);
	/* New data is a new edge, even with the old still unread. */
	if (type == SOCK_DGRAM)
		peer_sendto(c, "peer.send2", p, "edge2", 5, SUT_IP, PORT(c, 0));
	else
		peer_send(c, "peer.send2", p, "edge2", 5);
	ep_wait(c, "wait2", ep, 8, WAIT_MS);
	ep_wait(c, "wait2_again", ep, 8, 0);
	/* MOD re-arms: the queued data is reported once more. */
	ep_ctl(c, "mod", ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLET, 0xb2);
	ep_wait(c, "wait_mod", ep, 8, 0);
	ep_wait(c, "wait_mod_again", ep, 8, 0);
}

/* EPOLLOUT edge-triggered on a fresh connection: reported once. */
static void
e_edge_out(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int ep = ep_create(c, "create");
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	ep_ctl(c, "add", ep, EPOLL_CTL_ADD, fd, EPOLLOUT | EPOLLET, 0xc1);
	ep_wait(c, "wait1", ep, 8, WAIT_MS);
	ep_wait(c, "wait2", ep, 8, 0);
	ep_ctl(c, "mod_level", ep, EPOLL_CTL_MOD, fd, EPOLLOUT, 0xc2);
	ep_wait(c, "wait_level1", ep, 8, 0);
	ep_wait(c, "wait_level2", ep, 8, 0);
}

static void
e_oneshot(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int ep = ep_create(c, "create");
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	int p = peer_udp(c, PORT(c, 1));
	ep_ctl(c, "add", ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLONESHOT, 0xd1);
	peer_sendto(c, "peer.send", p, "one", 3, SUT_IP, PORT(c, 0));
	ep_wait(c, "wait1", ep, 8, WAIT_MS);
	ep_wait(c, "wait_disarmed", ep, 8, 0);
	peer_sendto(c, "peer.send2", p, "two", 3, SUT_IP, PORT(c, 0));
	sut_wait(c, "wait_second", fd, POLLIN);
	ep_wait(c, "wait_still_disarmed", ep, 8, 0);
	/* ADD of a disarmed member: it is still a member. */
	ep_ctl(c, "add_again", ep, EPOLL_CTL_ADD, fd, EPOLLIN, 0xd2);
	ep_ctl(c, "mod_rearm", ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLONESHOT, 0xd3);
	ep_wait(c, "wait_rearmed", ep, 8, 0);
	ep_wait(c, "wait_disarmed2", ep, 8, 0);
}

/* Several members; maxevents smaller than the ready count. */
static void
e_many(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int ep = ep_create(c, "create");
	int fd[3];
	for (int i = 0; i < 3; i++) {
		fd[i] = sut_udp(c, "socket");
		ep_ctl(c, "add", ep, EPOLL_CTL_ADD, fd[i], EPOLLOUT, 0xe0 + (uint64_t)i);
	}
	/* Order of ready members is not specified: count only. */
	struct epoll_event ev[8];
	int rc = c->b->epoll_wait(ep, ev, 8, 0);
	rec(c, "wait_all", "%d", rc);
	rc = c->b->epoll_wait(ep, ev, 2, 0);
	rec(c, "wait_max2", "%d", rc);
	sut_close(c, "close1", fd[1]);
	rc = c->b->epoll_wait(ep, ev, 8, 0);
	rec(c, "wait_after_close", "%d", rc);
	int rc2 = 0;
	for (int i = 0; i < rc && i < 8; i++)
		rc2 += ev[i].data.u64 == 0xe1;
	rec(c, "closed_reported", "%d", rc2);
	ep_wait(c, "wait_timeout", ep, 8, 0);
}

/* Hang-up and error without asking: EPOLLERR and EPOLLHUP always. */
static void
e_hup(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int ep = ep_create(c, "create");
	int fd, p;
	if (tcp_pair_active(c, 1, &fd, &p) != 0)
		return;
	ep_ctl(c, "add", ep, EPOLL_CTL_ADD, fd, EPOLLRDHUP, 0xf1);
	ep_wait(c, "wait_idle", ep, 8, 0);
	peer_shutdown(c, "peer.shut_wr", p, SHUT_WR);
	ep_wait(c, "wait_rdhup", ep, 8, WAIT_MS);
	ep_ctl(c, "mod_none", ep, EPOLL_CTL_MOD, fd, 0, 0xf2);
	ep_wait(c, "wait_none", ep, 8, 0);
	peer_reset(c, p);
	ep_wait(c, "wait_rst", ep, 8, WAIT_MS);
}

/* A listener in an epoll set: readable while a connection waits. */
static void
e_listener(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int ep = ep_create(c, "create");
	int l = sut_tcp(c, "socket");
	sut_bind_to(c, "bind", l, INADDR_ANY, PORT(c, 0));
	sut_listen(c, "listen", l, 4);
	ep_ctl(c, "add", ep, EPOLL_CTL_ADD, l, EPOLLIN, 0x11);
	ep_wait(c, "wait_empty", ep, 8, 0);
	peer_connect(c, "peer.connect", PORT(c, 0));
	ep_wait(c, "wait_conn", ep, 8, WAIT_MS);
	sut_accept(c, "accept", l, 0);
	ep_wait(c, "wait_after", ep, 8, 0);
	/* Closing a member removes it from the set. */
	sut_close(c, "close", l);
	ep_wait(c, "wait_closed", ep, 8, 0);
}

/* A kernel pipe and a SUT socket in one set. */
static void
e_mixed(struct diff_ctx *c, intptr_t arg)
{
	(void)arg;
	int ep = ep_create(c, "create");
	int fd = sut_udp(c, "socket");
	sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 0));
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return;
	ep_ctl(c, "add_sock", ep, EPOLL_CTL_ADD, fd, EPOLLIN, 0x21);
	ep_ctl(c, "add_pipe", ep, EPOLL_CTL_ADD, pipefd[0], EPOLLIN, 0x22);
	ep_ctl(c, "add_pipe_again", ep, EPOLL_CTL_ADD, pipefd[0], EPOLLIN, 0x22);
	if (write(pipefd[1], "p", 1) != 1)
		rec(c, "pipe_write", "failed");
	ep_wait(c, "wait_pipe", ep, 8, WAIT_MS);
	ep_ctl(c, "del_pipe", ep, EPOLL_CTL_DEL, pipefd[0], 0, 0);
	ep_wait(c, "wait_after_del", ep, 8, 0);
	int p = peer_udp(c, PORT(c, 1));
	peer_sendto(c, "peer.send", p, "s", 1, SUT_IP, PORT(c, 0));
	ep_wait(c, "wait_sock", ep, 8, WAIT_MS);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* ---- fcntl ---- */

static void
fc_flags(struct diff_ctx *c, intptr_t arg)
{
	int fd = sut_socket(c, "socket", AF_INET, (int)arg, 0);
	sut_fcntl(c, "getfl", fd, F_GETFL, 0);
	sut_fcntl(c, "getfd", fd, F_GETFD, 0);
	sut_fcntl(c, "setfl_nonblock", fd, F_SETFL, O_RDWR | O_NONBLOCK);
	sut_fcntl(c, "getfl2", fd, F_GETFL, 0);
	sut_gettimeout(c, "gettimeout", fd);
	sut_recv(c, "recv", fd, 16, 0);
	sut_fcntl(c, "setfl_block", fd, F_SETFL, O_RDWR);
	sut_fcntl(c, "getfl3", fd, F_GETFL, 0);
	sut_gettimeout(c, "gettimeout2", fd);
	sut_setblocking(c, "setblocking0", fd, false);
	sut_fcntl(c, "getfl4", fd, F_GETFL, 0);
	sut_fcntl(c, "setfd_cloexec", fd, F_SETFD, FD_CLOEXEC);
	sut_fcntl(c, "getfd2", fd, F_GETFD, 0);
	sut_fcntl(c, "bad_cmd", fd, 9999, 0);
	sut_fcntl(c, "bad_fd", c->b->bad_fd, F_GETFL, 0);
	int fd2 = sut_socket(c, "socket_cloexec", AF_INET, (int)arg | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	sut_fcntl(c, "getfd_cloexec", fd2, F_GETFD, 0);
	sut_fcntl(c, "getfl_nonblock", fd2, F_GETFL, 0);
}

void
scen_poll_register(void)
{
	scen_add("poll.udp", p_udp, 0, NULL, NULL);
	scen_add("poll.udp_error", p_udp_error, 0, NULL, NULL);
	scen_add("poll.tcp_data", p_tcp_data, 0, NULL, NULL);
	scen_add("poll.listener", p_listener, 0, NULL, NULL);
	scen_add("poll.bad_entries", p_bad, 0, NULL, NULL);
	scen_add("poll.mixed", p_mixed, 0, NULL, NULL);

	scen_add("epoll.errors", e_errors, 0, NULL, NULL);
	scen_add("epoll.level_udp", e_level, SOCK_DGRAM, NULL, NULL);
	scen_add("epoll.level_tcp", e_level, SOCK_STREAM, NULL, NULL);
	scen_add("epoll.edge_udp", e_edge, SOCK_DGRAM, NULL, NULL);
	scen_add("epoll.edge_tcp", e_edge, SOCK_STREAM, NULL, NULL);
	scen_add("epoll.edge_out", e_edge_out, 0, NULL, NULL);
	scen_add("epoll.oneshot", e_oneshot, 0, NULL, NULL);
	scen_add("epoll.many", e_many, 0, NULL, NULL);
	scen_add("epoll.hup", e_hup, 0, NULL, NULL);
	scen_add("epoll.listener", e_listener, 0, NULL, NULL);
	scen_add("epoll.mixed", e_mixed, 0, NULL, NULL);

	scen_add("fcntl.udp", fc_flags, SOCK_DGRAM, NULL, NULL);
	scen_add("fcntl.tcp", fc_flags, SOCK_STREAM, NULL, NULL);
}

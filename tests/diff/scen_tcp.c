/*
 * Scenarios: every TCP call in every socket state, as a table: one
 * scenario per (state, call). A state is built from scratch (its steps are
 * recorded too), then the call is made and what follows from it observed:
 * the peer's view of data, FIN or RST, a new connection to a listener.
 *
 * States: fresh, bound, listening, connecting (SYN dropped by a peer whose
 * accept queue is full), connected, peer_fin (the peer's FIN received:
 * CLOSE-WAIT), shut_wr (our FIN sent and acknowledged: FIN-WAIT-2), reset
 * (the peer's RST received), refused (connect answered by RST), closed.
 * Calls that could wait forever are made non-blocking (MSG_DONTWAIT, or a
 * non-blocking listener for accept).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "diff.h"

enum tcp_state {
	ST_FRESH, ST_BOUND, ST_LISTENING, ST_CONNECTING, ST_CONNECTED,
	ST_PEER_FIN, ST_SHUT_WR, ST_RESET, ST_REFUSED, ST_CLOSED, ST_COUNT
};
static const char *const state_names[ST_COUNT] = {
	"fresh", "bound", "listening", "connecting", "connected",
	"peer_fin", "shut_wr", "reset", "refused", "closed",
};

enum tcp_call {
	C_BIND, C_LISTEN, C_ACCEPT, C_CONNECT, C_SEND, C_RECV, C_SHUT_RD, C_SHUT_WR,
	C_SHUT_RDWR, C_SOCKNAME, C_PEERNAME, C_SO_ERROR, C_POLL, C_CLOSE, C_SENDTO,
	C_RECVFROM, C_COUNT
};
static const char *const call_names[C_COUNT] = {
	"bind", "listen", "accept", "connect", "send", "recv", "shut_rd", "shut_wr",
	"shut_rdwr", "getsockname", "getpeername", "so_error", "poll", "close", "sendto",
	"recvfrom",
};

/* Ports: PORT(0) the SUT's own, PORT(1) the peer listener the state's
 * connection uses, PORT(2) the listener connect() is aimed at, PORT(3)
 * nobody (refused), PORT(4) what bind() asks for. */

struct tcp_st {
	int fd;     /* the SUT socket */
	int peer;   /* the peer's end of the connection, or -1 */
};

static int
build_state(struct diff_ctx *c, enum tcp_state st, struct tcp_st *s)
{
	int filler;
	s->fd = s->peer = -1;
	switch (st) {
	case ST_FRESH:
		s->fd = sut_tcp(c, "st.socket");
		break;
	case ST_BOUND:
	case ST_LISTENING:
		s->fd = sut_tcp(c, "st.socket");
		sut_bind_to(c, "st.bind", s->fd, INADDR_ANY, PORT(c, 0));
		if (st == ST_LISTENING)
			sut_listen(c, "st.listen", s->fd, 4);
		break;
	case ST_CONNECTING:
		if (peer_listen_full(c, 1, &filler) < 0)
			return -1;
		s->fd = sut_tcp(c, "st.socket");
		sut_setblocking(c, "st.setblocking", s->fd, false);
		sut_connect_to(c, "st.connect", s->fd, PEER_IP, PORT(c, 1));
		break;
	case ST_CONNECTED:
	case ST_PEER_FIN:
	case ST_SHUT_WR:
	case ST_RESET:
		if (tcp_pair_active(c, 1, &s->fd, &s->peer) != 0)
			return -1;
		if (st == ST_PEER_FIN) {
			peer_shutdown(c, "st.peer_shut_wr", s->peer, SHUT_WR);
			sut_wait(c, "st.wait_fin", s->fd, POLLRDHUP);
		} else if (st == ST_SHUT_WR) {
			sut_shutdown(c, "st.shut_wr", s->fd, SHUT_WR);
			peer_recv(c, "st.peer_recv_fin", s->peer, 16, 0);
			/* The peer's data carries the ACK of our FIN: once it is
			 * read, the state is FIN-WAIT-2 whatever the timing. */
			peer_send(c, "st.peer_send", s->peer, "ack", 3);
			sut_wait(c, "st.wait_data", s->fd, POLLIN);
			sut_recv(c, "st.recv_data", s->fd, 16, 0);
		} else if (st == ST_RESET) {
			peer_reset(c, s->peer);
			s->peer = -1;
			sut_wait(c, "st.wait_rst", s->fd, 0);
		}
		break;
	case ST_REFUSED:
		s->fd = sut_tcp(c, "st.socket");
		sut_connect_to(c, "st.connect", s->fd, PEER_IP, PORT(c, 3));
		break;
	case ST_CLOSED:
		s->fd = sut_tcp(c, "st.socket");
		sut_close(c, "st.close", s->fd);
		break;
	default:
		return -1;
	}
	return s->fd < 0 ? -1 : 0;
}

static uint16_t
local_port(struct diff_ctx *c, int fd)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t len = sizeof(a);
	if (c->b->getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return 0;
	return ntohs(a.sin_port);
}

static void
matrix(struct diff_ctx *c, intptr_t arg)
{
	enum tcp_state st = (enum tcp_state)(arg / C_COUNT);
	enum tcp_call call = (enum tcp_call)(arg % C_COUNT);
	int target = -1;
	if (call == C_CONNECT)
		target = peer_listen(c, PORT(c, 2), 4);
	struct tcp_st s;
	if (build_state(c, st, &s) != 0)
		return;
	int fd = s.fd, rc;
	switch (call) {
	case C_BIND:
		if (sut_bind_to(c, "bind", fd, INADDR_ANY, PORT(c, 4)) == 0)
			sut_sockname(c, "getsockname", fd);
		break;
	case C_LISTEN:
		if (sut_listen(c, "listen", fd, 4) != 0)
			break;
		sut_sockname(c, "getsockname", fd);
		/* It listens: a peer can connect and be accepted. */
		int p = peer_connect(c, "peer.connect", local_port(c, fd));
		if (p >= 0 && (sut_wait(c, "wait_conn", fd, POLLIN) & POLLIN))
			sut_accept(c, "accept", fd, 0);
		break;
	case C_ACCEPT:
		sut_setblocking(c, "setblocking", fd, false);
		sut_accept(c, "accept", fd, 0);
		break;
	case C_CONNECT:
		if (sut_connect_to(c, "connect", fd, PEER_IP, PORT(c, 2)) == 0) {
			sut_peername(c, "getpeername", fd);
			peer_accept(c, "peer.accept", target);
		}
		break;
	case C_SEND:
		rc = (int)sut_send(c, "send", fd, "hello", 5, MSG_DONTWAIT);
		if (rc > 0 && s.peer >= 0)
			peer_recv(c, "peer.recv", s.peer, 16, 0);
		sut_send(c, "send_again", fd, "again", 5, MSG_DONTWAIT);
		break;
	case C_RECV:
		sut_recv(c, "recv", fd, 64, MSG_DONTWAIT);
		sut_recv(c, "recv_again", fd, 64, MSG_DONTWAIT);
		break;
	case C_SHUT_RD:
		if (sut_shutdown(c, "shutdown", fd, SHUT_RD) == 0)
			sut_recv(c, "recv", fd, 64, MSG_DONTWAIT);
		break;
	case C_SHUT_WR:
	case C_SHUT_RDWR:
		rc = sut_shutdown(c, "shutdown", fd, call == C_SHUT_WR ? SHUT_WR : SHUT_RDWR);
		if (rc == 0 && s.peer >= 0)
			peer_recv(c, "peer.recv", s.peer, 16, 0);
		if (rc == 0) {
			sut_send(c, "send", fd, "x", 1, MSG_DONTWAIT);
			sut_recv(c, "recv", fd, 64, MSG_DONTWAIT);
		}
		break;
	case C_SOCKNAME:
		sut_sockname(c, "getsockname", fd);
		break;
	case C_PEERNAME:
		sut_peername(c, "getpeername", fd);
		break;
	case C_SO_ERROR:
		sut_getint(c, "SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
		sut_getint(c, "SO_ERROR_again", fd, SOL_SOCKET, SO_ERROR);
		break;
	case C_POLL:
		sut_poll1(c, "poll", fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0);
		break;
	case C_CLOSE:
		if (sut_close(c, "close", fd) == 0 && s.peer >= 0)
			peer_recv(c, "peer.recv", s.peer, 16, 0);
		break;
	case C_SENDTO:
		/* A stream ignores the destination (Linux tcp_sendmsg). */
		rc = (int)sut_sendto(c, "sendto", fd, "to", 2, MSG_DONTWAIT, PEER_IP, PORT(c, 3));
		if (rc > 0 && s.peer >= 0)
			peer_recv(c, "peer.recv", s.peer, 16, 0);
		break;
	case C_RECVFROM:
		if (s.peer >= 0 && st != ST_SHUT_WR && st != ST_PEER_FIN) {
			peer_send(c, "peer.send", s.peer, "from", 4);
			sut_wait(c, "wait", fd, POLLIN);
		}
		/* No address for a stream: the length comes back 0. */
		sut_recvfrom(c, "recvfrom", fd, 64, MSG_DONTWAIT);
		break;
	default:
		break;
	}
}

void
scen_tcp_register(void)
{
	char name[96];
	for (int st = 0; st < ST_COUNT; st++)
		for (int call = 0; call < C_COUNT; call++) {
			snprintf(name, sizeof(name), "tcp.%s.%s", state_names[st], call_names[call]);
			scen_add(name, matrix, st * C_COUNT + call, NULL, NULL);
		}
}

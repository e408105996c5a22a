/*
 * tern-echo: a UDP and TCP echo server on Tern (or on kernel sockets with
 * --kernel, for comparison). Every datagram goes back to its sender; every
 * byte of a TCP connection goes back down the same connection. One thread
 * serves every socket with non-blocking calls, which is what inline mode
 * needs (the loop drives the stack when there is nothing to do).
 *   tern-echo [EAL args] -- [--udp-port P] [--tcp-port P] [--duration S]
 *             [--count N] [runtime options]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "common.h"

#define MAX_CONNS 65536
#define CONN_BUF (64 * 1024)

struct echo_opts {
	uint16_t udp_port;   /* 0 = no UDP */
	uint16_t tcp_port;   /* 0 = no TCP */
	double duration;     /* seconds, 0 = until a signal */
	uint64_t count;      /* stop after this many UDP echoes, 0 = never */
};

/* A TCP connection and what it still owes its peer. */
struct conn {
	int fd;
	uint32_t off, len;
	uint8_t *buf;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: tern-echo [EAL args] -- [options]\n"
		"  --udp-port P        UDP port to serve (default 5005; 0 = none)\n"
		"  --tcp-port P        TCP port to serve (default 5005; 0 = none)\n"
		"  --duration S        stop after S seconds (default: until SIGINT/SIGTERM)\n"
		"  --count N           stop after N UDP echoes\n%s", app_rt_usage);
}

static int
parse_port(const char *v, uint16_t *out)
{
	long p = atol(v);
	if (p < 0 || p > 65535) {
		fprintf(stderr, "bad port %s\n", v);
		return -1;
	}
	*out = (uint16_t)p;
	return 0;
}

static int
parse(struct app_rt_opts *rt, int argc, char **argv, void *arg)
{
	struct echo_opts *o = arg;
	for (int i = 0; i < argc; i++) {
		int r = app_rt_option(rt, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			usage();
			return -1;
		}
		if (strcmp(argv[i], "--udp-port") == 0) {
			if (parse_port(v, &o->udp_port) != 0)
				return -1;
		} else if (strcmp(argv[i], "--tcp-port") == 0) {
			if (parse_port(v, &o->tcp_port) != 0)
				return -1;
		} else if (strcmp(argv[i], "--duration") == 0) {
			o->duration = atof(v);
		} else if (strcmp(argv[i], "--count") == 0) {
			o->count = strtoull(v, NULL, 10);
		} else {
			usage();
			return -1;
		}
		i++;
	}
	return 0;
}

static int
open_server(const struct backend *b, int type, uint16_t port)
{
	int fd = b->socket(AF_INET, type | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	int one = 1;
	b->setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in addr;
	tern_addr("", port, &addr);   /* '' = INADDR_ANY, as in the socket module */
	if (b->bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    (type == SOCK_STREAM && b->listen(fd, 4096) != 0)) {
		perror(type == SOCK_STREAM ? "bind/listen (tcp)" : "bind (udp)");
		b->close(fd);
		return -1;
	}
	return fd;
}

/* Move what a connection has to say back; @return -1 if it is finished. */
static int
serve_conn(const struct backend *b, struct conn *c, uint64_t *bytes)
{
	int work = 0;
	for (int round = 0; round < 4; round++) {
		if (c->off < c->len) {
			ssize_t w = b->send(c->fd, c->buf + c->off, c->len - c->off, MSG_DONTWAIT);
			if (w < 0)
				return (errno == EAGAIN || errno == EWOULDBLOCK) ? work : -1;
			c->off += (uint32_t)w;
			*bytes += (uint64_t)w;
			work = 1;
			if (c->off < c->len)
				return work;   /* the peer's window is full: come back later */
		}
		ssize_t n = b->recv(c->fd, c->buf, CONN_BUF, MSG_DONTWAIT);
		if (n == 0)
			return -1;             /* EOF: the peer is done */
		if (n < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? work : -1;
		c->off = 0;
		c->len = (uint32_t)n;
		work = 1;
	}
	return work;
}

int
main(int argc, char **argv)
{
	struct app_rt_opts rt = { 0 };
	struct echo_opts o = { .udp_port = 5005, .tcp_port = 5005 };
	int first;
	const struct backend *b = app_start(argc, argv, &first, &rt, parse, &o);
	if (b == NULL)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);   /* kernel backend: a peer reset is an error, not a signal */

	int ufd = o.udp_port ? open_server(b, SOCK_DGRAM, o.udp_port) : -1;
	int lfd = o.tcp_port ? open_server(b, SOCK_STREAM, o.tcp_port) : -1;
	if ((o.udp_port && ufd < 0) || (o.tcp_port && lfd < 0)) {
		app_stop(&rt);
		return 1;
	}
	printf("tern-echo: %s UDP echo on port %u, TCP echo on port %u\n", b->name,
	       o.udp_port, o.tcp_port);
	fflush(stdout);

	static uint8_t dgram[65536];
	struct conn *conns = calloc(MAX_CONNS, sizeof(*conns));
	unsigned nconns = 0, max_conns = 0;
	uint64_t echoed = 0, bytes = 0, errors = 0, accepted = 0, tcp_bytes = 0;
	uint64_t start = app_now_ns();
	uint64_t end = o.duration > 0 ? start + (uint64_t)(o.duration * 1e9) : UINT64_MAX;
	unsigned idle = 0;
	while (!stop && (o.count == 0 || echoed < o.count)) {
		if ((++idle & 1023) == 0 && app_now_ns() >= end)
			break;
		int work = 0;
		for (int k = 0; ufd >= 0 && k < 32; k++) {
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t n = b->recvfrom(ufd, dgram, sizeof(dgram), MSG_DONTWAIT,
						(struct sockaddr *)&from, &flen);
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
					errors++;
				break;
			}
			work = 1;
			if (b->sendto(ufd, dgram, (size_t)n, 0, (struct sockaddr *)&from, flen) != n) {
				errors++;
				continue;
			}
			echoed++;
			bytes += (uint64_t)n;
		}
		while (lfd >= 0 && nconns < MAX_CONNS) {
			int fd = b->accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
			if (fd < 0)
				break;
			int one = 1;
			b->setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			conns[nconns] = (struct conn){ .fd = fd, .buf = malloc(CONN_BUF) };
			nconns++;
			accepted++;
			if (nconns > max_conns)
				max_conns = nconns;
			work = 1;
		}
		for (unsigned i = 0; i < nconns;) {
			int r = serve_conn(b, &conns[i], &tcp_bytes);
			if (r < 0) {
				b->close(conns[i].fd);
				free(conns[i].buf);
				conns[i] = conns[--nconns];
				work = 1;
				continue;
			}
			work |= r;
			i++;
		}
		if (work)
			idle = 0;
		else
			app_idle(&rt);
	}
	double secs = (double)(app_now_ns() - start) / 1e9;
	printf("tern-echo: echoed %llu datagrams (%llu bytes) in %.1f s, %llu errors; "
	       "%llu TCP connections (%u at once), %llu TCP bytes\n",
	       (unsigned long long)echoed, (unsigned long long)bytes, secs,
	       (unsigned long long)errors, (unsigned long long)accepted, max_conns,
	       (unsigned long long)tcp_bytes);
	for (unsigned i = 0; i < nconns; i++) {
		b->close(conns[i].fd);
		free(conns[i].buf);
	}
	free(conns);
	if (ufd >= 0)
		b->close(ufd);
	if (lfd >= 0)
		b->close(lfd);
	app_stop(&rt);
	return 0;
}

/*
 * tern-echo: a UDP and TCP echo server on Tern (or on kernel sockets with
 * --kernel, for comparison), and the far end of tern-bench. Every datagram
 * goes back to its sender; every byte of a TCP connection goes back down the
 * same connection (RFC 862). Optionally, on other ports, a sink that
 * discards (RFC 863) and a source that streams a checkable pattern (as
 * chargen, RFC 864), for tern-bench's stream tests; see bench_proto.h.
 *
 * One thread serves every socket from one epoll set (Tern's or the
 * kernel's: the same loop), so the cost of an iteration is the number of
 * sockets with events, not the number of connections. It busy-polls with
 * epoll_wait(0) (and, with Tern inline, runs the stack each iteration) unless
 * --block lets it sleep in epoll_wait.
 *   tern-echo [EAL args] -- [--udp-port P] [--tcp-port P] [--sink-port P]
 *             [--source-port P] [--duration S] [--count N] [--block]
 *             [runtime options]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "bench_proto.h"
#include "common.h"

#define CONN_BUF (64 * 1024)
#define MAX_EVENTS 512
#define PEERS 4096            /* UDP sink/source peers tracked (power of two) */
#define SOURCE_BURST 32       /* datagrams per peer per loop */

enum svc { SVC_ECHO, SVC_SINK, SVC_SOURCE, SVC_N };
static const char *const svc_names[SVC_N] = { "echo", "sink", "source" };
enum kind { K_UDP, K_LISTEN, K_CONN };

struct echo_opts {
	uint16_t udp_port;   /* 0 = no UDP */
	uint16_t tcp_port;   /* 0 = no TCP */
	uint16_t sink_port;  /* 0 = none: TCP and UDP discard */
	uint16_t source_port;/* 0 = none: TCP and UDP pattern source */
	double duration;     /* seconds, 0 = until a signal */
	uint64_t count;      /* stop after this many UDP echoes, 0 = never */
	bool block;          /* sleep in epoll_wait instead of polling */
};

/* What an epoll entry points at. */
struct ent {
	uint8_t kind;        /* enum kind */
	uint8_t svc;         /* enum svc */
	int fd;
};

/* A TCP connection and what it still owes its peer. */
struct conn {
	struct ent e;
	uint32_t events;     /* current epoll interest */
	uint32_t off, len;   /* echo: bytes of buf still to send */
	unsigned idx;        /* in the live array */
	uint64_t src_off;    /* source: stream offset */
	uint8_t *buf;        /* echo only */
};

/* A UDP peer of the sink (counts) or the source (what to stream). */
struct peer {
	uint32_t addr;       /* network order */
	uint16_t port;       /* network order; 0 = free slot */
	bool active;         /* source: streaming to it */
	uint32_t size;       /* source: datagram size */
	uint64_t pkts, bytes;/* sink: received; source: sent */
	uint64_t seq;        /* source: next sequence number */
	uint64_t heard_ns;   /* source: last START */
};

struct server {
	const struct backend *b;
	const struct echo_opts *o;
	int ep;
	struct conn **live;
	unsigned nlive, max_live, cap;
	struct peer *sink_peers, *src_peers;
	unsigned *src_active;   /* indices into src_peers */
	unsigned nsrc_active;
	uint8_t *pattern;
	/* counters */
	uint64_t echoed, bytes, errors, accepted, tcp_bytes;
	uint64_t sink_tcp_bytes, sink_pkts, sink_bytes, src_tcp_bytes, src_pkts;
};

static volatile sig_atomic_t stop;
static uint8_t dgram[65536];
static uint8_t src_dgram[65536];   /* the pattern; the sequence number goes first */

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
		"  --udp-port P        UDP echo port (default 5005; 0 = none)\n"
		"  --tcp-port P        TCP echo port (default 5005; 0 = none)\n"
		"  --sink-port P       also discard everything on TCP and UDP port P (tern-bench\n"
		"                      stream --direction send; UDP answers count queries)\n"
		"  --source-port P     also stream a pattern on TCP and UDP port P: to every TCP\n"
		"                      connection on accept, to UDP peers that ask (tern-bench\n"
		"                      stream --direction recv)\n"
		"  --duration S        stop after S seconds (default: until SIGINT/SIGTERM)\n"
		"  --count N           stop after N UDP echoes\n"
		"  --block             sleep in epoll_wait when idle (default: busy-poll)\n%s",
		app_rt_usage);
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
		if (strcmp(argv[i], "--block") == 0) {
			o->block = true;
			continue;
		}
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			usage();
			return -1;
		}
		int bad = 0;
		if (strcmp(argv[i], "--udp-port") == 0)
			bad = parse_port(v, &o->udp_port);
		else if (strcmp(argv[i], "--tcp-port") == 0)
			bad = parse_port(v, &o->tcp_port);
		else if (strcmp(argv[i], "--sink-port") == 0)
			bad = parse_port(v, &o->sink_port);
		else if (strcmp(argv[i], "--source-port") == 0)
			bad = parse_port(v, &o->source_port);
		else if (strcmp(argv[i], "--duration") == 0)
			o->duration = atof(v);
		else if (strcmp(argv[i], "--count") == 0)
			o->count = strtoull(v, NULL, 10);
		else {
			usage();
			return -1;
		}
		if (bad)
			return -1;
		i++;
	}
	return 0;
}

static bool
would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static int
ep_add(struct server *sv, struct ent *e, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = e };
	if (sv->b->epoll_ctl(sv->ep, EPOLL_CTL_ADD, e->fd, &ev) != 0) {
		perror("epoll_ctl ADD");
		return -1;
	}
	return 0;
}

static struct ent *
open_server(struct server *sv, int type, uint16_t port, enum svc svc)
{
	const struct backend *b = sv->b;
	int fd = b->socket(AF_INET, type | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("socket");
		return NULL;
	}
	int one = 1;
	b->setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		/* Room for bursts: the kernel's default 208 KiB drops a fast
		 * sender's datagrams long before the server is busy. */
		int big = 4 << 20;
		b->setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	struct sockaddr_in addr;
	tern_addr("", port, &addr);   /* '' = INADDR_ANY, as in the socket module */
	if (b->bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    (type == SOCK_STREAM && b->listen(fd, 4096) != 0)) {
		fprintf(stderr, "bind/listen %s %s port %u: %s\n", svc_names[svc],
			type == SOCK_STREAM ? "tcp" : "udp", port, strerror(errno));
		b->close(fd);
		return NULL;
	}
	struct ent *e = calloc(1, sizeof(*e));
	*e = (struct ent){ .kind = type == SOCK_STREAM ? K_LISTEN : K_UDP, .svc = (uint8_t)svc,
			   .fd = fd };
	if (ep_add(sv, e, EPOLLIN) != 0) {
		b->close(fd);
		free(e);
		return NULL;
	}
	return e;
}

/* ---- TCP connections ---- */

static void
conn_interest(struct server *sv, struct conn *c, uint32_t events)
{
	if (c->events == events)
		return;
	struct epoll_event ev = { .events = events, .data.ptr = &c->e };
	if (sv->b->epoll_ctl(sv->ep, EPOLL_CTL_MOD, c->e.fd, &ev) == 0)
		c->events = events;
	else
		sv->errors++;
}

static void
conn_close(struct server *sv, struct conn *c)
{
	sv->b->close(c->e.fd);   /* also leaves the epoll set */
	struct conn *last = sv->live[--sv->nlive];
	sv->live[c->idx] = last;
	last->idx = c->idx;
	free(c->buf);
	free(c);
}

static void
accept_all(struct server *sv, struct ent *l)
{
	const struct backend *b = sv->b;
	/* Empty the accept queue each time: a client that opens many
	 * connections before it sends expects them all served at once. */
	for (int k = 0; k < 4096; k++) {
		int fd = b->accept4(l->fd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0) {
			if (!would_block() && errno != ECONNABORTED)
				sv->errors++;
			return;
		}
		int one = 1;
		b->setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = calloc(1, sizeof(*c));
		if (c != NULL && l->svc == SVC_ECHO)
			c->buf = malloc(CONN_BUF);
		if (sv->nlive == sv->cap) {
			unsigned ncap = sv->cap ? 2 * sv->cap : 1024;
			struct conn **nl = realloc(sv->live, ncap * sizeof(*nl));
			if (nl != NULL) {
				sv->live = nl;
				sv->cap = ncap;
			}
		}
		if (c == NULL || (l->svc == SVC_ECHO && c->buf == NULL) || sv->nlive == sv->cap) {
			if (c != NULL)
				free(c->buf);
			free(c);
			b->close(fd);
			sv->errors++;
			continue;
		}
		c->e = (struct ent){ .kind = K_CONN, .svc = l->svc, .fd = fd };
		/* A source writes from the start; the others wait for data. */
		c->events = l->svc == SVC_SOURCE ? EPOLLIN | EPOLLOUT : EPOLLIN;
		if (ep_add(sv, &c->e, c->events) != 0) {
			free(c->buf);
			free(c);
			b->close(fd);
			sv->errors++;
			continue;
		}
		c->idx = sv->nlive;
		sv->live[sv->nlive++] = c;
		sv->accepted++;
		if (sv->nlive > sv->max_live)
			sv->max_live = sv->nlive;
	}
}

/* Echo what arrived; while the peer's window is full, stop reading (epoll
 * interest EPOLLOUT only) so the data waits in the peer's send buffer, not
 * ours. @return -1 when the connection is finished. */
static int
serve_echo(struct server *sv, struct conn *c)
{
	const struct backend *b = sv->b;
	for (int round = 0; round < 8; round++) {
		if (c->off < c->len) {
			ssize_t w = b->send(c->e.fd, c->buf + c->off, c->len - c->off,
					    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w < 0) {
				if (!would_block())
					return -1;
				conn_interest(sv, c, EPOLLOUT);
				return 0;
			}
			c->off += (uint32_t)w;
			sv->tcp_bytes += (uint64_t)w;
			if (c->off < c->len) {
				conn_interest(sv, c, EPOLLOUT);
				return 0;
			}
		}
		ssize_t n = b->recv(c->e.fd, c->buf, CONN_BUF, MSG_DONTWAIT);
		if (n == 0)
			return -1;             /* EOF: the peer is done (and has it all) */
		if (n < 0) {
			if (!would_block())
				return -1;
			conn_interest(sv, c, EPOLLIN);
			return 0;
		}
		c->off = 0;
		c->len = (uint32_t)n;
	}
	/* Fairness: come back next loop; level-triggered epoll reports again. */
	conn_interest(sv, c, c->off < c->len ? EPOLLOUT : EPOLLIN);
	return 0;
}

static int
serve_sink(struct server *sv, struct conn *c)
{
	for (int round = 0; round < 8; round++) {
		ssize_t n = sv->b->recv(c->e.fd, dgram, sizeof(dgram), MSG_DONTWAIT);
		if (n == 0)
			return -1;
		if (n < 0)
			return would_block() ? 0 : -1;
		sv->sink_tcp_bytes += (uint64_t)n;
	}
	return 0;
}

static int
serve_source(struct server *sv, struct conn *c, uint32_t events)
{
	const struct backend *b = sv->b;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = b->recv(c->e.fd, dgram, sizeof(dgram), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && !would_block()))
			return -1;   /* the reader is gone */
	}
	for (int round = 0; round < 8; round++) {
		ssize_t w = b->send(c->e.fd, bench_pattern(sv->pattern, c->src_off),
				    BENCH_PATTERN_SPAN, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0)
			return would_block() ? 0 : -1;
		c->src_off += (uint64_t)w;
		sv->src_tcp_bytes += (uint64_t)w;
		if ((size_t)w < BENCH_PATTERN_SPAN)
			return 0;
	}
	return 0;
}

/* ---- UDP ---- */

static struct peer *
peer_find(struct peer *tab, const struct sockaddr_in *a, bool add)
{
	uint32_t h = (a->sin_addr.s_addr * 2654435761u) ^ ((uint32_t)a->sin_port * 40503u);
	for (unsigned i = 0; i < PEERS; i++) {
		struct peer *p = &tab[(h + i) & (PEERS - 1)];
		if (p->port == a->sin_port && p->addr == a->sin_addr.s_addr)
			return p;
		if (p->port == 0) {
			if (!add)
				return NULL;
			*p = (struct peer){ .addr = a->sin_addr.s_addr, .port = a->sin_port };
			return p;
		}
	}
	return NULL;   /* full: PEERS distinct senders, not forgotten */
}

static void
serve_udp(struct server *sv, struct ent *e)
{
	const struct backend *b = sv->b;
	for (int k = 0; k < 64; k++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = b->recvfrom(e->fd, dgram, sizeof(dgram), MSG_DONTWAIT,
					(struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (!would_block())
				sv->errors++;
			return;
		}
		if (e->svc == SVC_ECHO) {
			if (b->sendto(e->fd, dgram, (size_t)n, 0, (struct sockaddr *)&from, flen) != n) {
				sv->errors++;
				continue;
			}
			sv->echoed++;
			sv->bytes += (uint64_t)n;
		} else if (e->svc == SVC_SINK) {
			struct peer *p = peer_find(sv->sink_peers, &from, true);
			if (bench_is_magic(dgram, (size_t)n, BENCH_MAGIC_QUERY)) {
				uint8_t rep[BENCH_MAGIC_LEN + 16];
				uint64_t v[2] = { p ? p->pkts : 0, p ? p->bytes : 0 };
				memcpy(rep, BENCH_MAGIC_COUNT, BENCH_MAGIC_LEN);
				memcpy(rep + BENCH_MAGIC_LEN, v, sizeof(v));
				if (b->sendto(e->fd, rep, sizeof(rep), 0, (struct sockaddr *)&from,
					      flen) != (ssize_t)sizeof(rep))
					sv->errors++;
				continue;
			}
			sv->sink_pkts++;
			sv->sink_bytes += (uint64_t)n;
			if (p != NULL) {
				p->pkts++;
				p->bytes += (uint64_t)n;
			}
		} else {
			struct peer *p = peer_find(sv->src_peers, &from, true);
			if (p == NULL)
				continue;
			if (bench_is_magic(dgram, (size_t)n, BENCH_MAGIC_START) &&
			    (size_t)n >= BENCH_MAGIC_LEN + sizeof(uint32_t)) {
				uint32_t size;
				memcpy(&size, dgram + BENCH_MAGIC_LEN, sizeof(size));
				if (size < 8 || size > 65507)
					continue;
				p->size = size;
				p->heard_ns = app_now_ns();
				if (!p->active) {
					p->active = true;
					sv->src_active[sv->nsrc_active++] = (unsigned)(p - sv->src_peers);
				}
			} else if (bench_is_magic(dgram, (size_t)n, BENCH_MAGIC_STOP)) {
				p->heard_ns = 0;   /* the next pump drops it */
			}
		}
	}
}

/* Stream to every UDP source peer: a burst each per loop. @return work. */
static int
pump_sources(struct server *sv, int src_fd, uint64_t now)
{
	const struct backend *b = sv->b;
	int work = 0;
	for (unsigned i = 0; i < sv->nsrc_active;) {
		struct peer *p = &sv->src_peers[sv->src_active[i]];
		if (now - p->heard_ns > BENCH_SOURCE_TIMEOUT_NS) {
			p->active = false;
			sv->src_active[i] = sv->src_active[--sv->nsrc_active];
			continue;
		}
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = p->port,
					  .sin_addr.s_addr = p->addr };
		for (int k = 0; k < SOURCE_BURST; k++) {
			/* u64 sequence number, then the pattern from offset 8 */
			memcpy(src_dgram, &p->seq, sizeof(p->seq));
			ssize_t w = b->sendto(src_fd, src_dgram, p->size, MSG_DONTWAIT,
					      (struct sockaddr *)&to, sizeof(to));
			if (w < 0) {
				if (!would_block())
					sv->errors++;
				break;
			}
			p->seq++;
			sv->src_pkts++;
			work = 1;
		}
		i++;
	}
	return work;
}

static void
raise_nofile(void)
{
	/* Kernel sockets: thousands of connections need more than the default
	 * 1024 descriptors. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
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
	if (rt.kernel)
		raise_nofile();

	struct server sv = { .b = b, .o = &o };
	sv.ep = b->epoll_create1(0);
	sv.sink_peers = calloc(PEERS, sizeof(struct peer));
	sv.src_peers = calloc(PEERS, sizeof(struct peer));
	sv.src_active = calloc(PEERS, sizeof(unsigned));
	sv.pattern = malloc(BENCH_PATTERN_SPAN + BENCH_PATTERN_MOD);
	if (sv.ep < 0 || !sv.sink_peers || !sv.src_peers || !sv.src_active || !sv.pattern) {
		perror("epoll_create1/alloc");
		app_stop(&rt);
		return 1;
	}
	bench_pattern_init(sv.pattern);
	memcpy(src_dgram, sv.pattern, sizeof(src_dgram));

	struct { uint16_t port; enum svc svc; } ports[SVC_N] = {
		{ o.tcp_port, SVC_ECHO }, { o.sink_port, SVC_SINK }, { o.source_port, SVC_SOURCE },
	};
	struct ent *servers[2 * SVC_N] = { 0 };
	int nservers = 0, src_udp_fd = -1;
	bool ok = true;
	for (int i = 0; i < SVC_N && ok; i++) {
		uint16_t uport = i == SVC_ECHO ? o.udp_port : ports[i].port;
		if (ports[i].port != 0)
			ok = (servers[nservers++] = open_server(&sv, SOCK_STREAM, ports[i].port,
								 ports[i].svc)) != NULL;
		if (ok && uport != 0) {
			struct ent *e = open_server(&sv, SOCK_DGRAM, uport, ports[i].svc);
			ok = (servers[nservers++] = e) != NULL;
			if (e != NULL && i == SVC_SOURCE)
				src_udp_fd = e->fd;
		}
	}
	if (!ok) {
		app_stop(&rt);
		return 1;
	}
	printf("tern-echo: %s UDP echo on port %u, TCP echo on port %u", b->name, o.udp_port,
	       o.tcp_port);
	if (o.sink_port)
		printf(", sink on port %u", o.sink_port);
	if (o.source_port)
		printf(", source on port %u", o.source_port);
	printf("\n");
	fflush(stdout);

	static struct epoll_event evs[MAX_EVENTS];
	uint64_t start = app_now_ns();
	uint64_t end = o.duration > 0 ? start + (uint64_t)(o.duration * 1e9) : UINT64_MAX;
	unsigned spin = 0;
	while (!stop && (o.count == 0 || sv.echoed < o.count)) {
		unsigned work = app_drive(&rt);
		/* Busy-poll (timeout 0) by default: inline Tern must never sleep
		 * outside the stack, and polling kernel sockets the same way
		 * keeps the comparison fair. --block sleeps up to 10 ms (the
		 * stop flag and the duration are checked in between). */
		int timeout = o.block && sv.nsrc_active == 0 ? 10 : 0;
		int n = b->epoll_wait(sv.ep, evs, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			sv.errors++;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct ent *e = evs[i].data.ptr;
			uint32_t ev = evs[i].events;
			if (e->kind == K_UDP) {
				serve_udp(&sv, e);
			} else if (e->kind == K_LISTEN) {
				accept_all(&sv, e);
			} else {
				struct conn *c = (struct conn *)e;
				int r = e->svc == SVC_ECHO ? serve_echo(&sv, c) :
					e->svc == SVC_SINK ? serve_sink(&sv, c) :
					serve_source(&sv, c, ev);
				if (r < 0)
					conn_close(&sv, c);
			}
		}
		uint64_t now = 0;
		if (sv.nsrc_active > 0) {
			now = app_now_ns();
			n += pump_sources(&sv, src_udp_fd, now);
		}
		if (n > 0 || work > 0)
			continue;
		if ((++spin & 255) == 0 && app_now_ns() >= end)
			break;
		if (!o.block)
			app_idle(&rt);
	}
	double secs = (double)(app_now_ns() - start) / 1e9;
	printf("tern-echo: echoed %llu datagrams (%llu bytes) in %.1f s, %llu errors; "
	       "%llu TCP connections (%u at once), %llu TCP bytes\n",
	       (unsigned long long)sv.echoed, (unsigned long long)sv.bytes, secs,
	       (unsigned long long)sv.errors, (unsigned long long)sv.accepted, sv.max_live,
	       (unsigned long long)sv.tcp_bytes);
	if (o.sink_port || o.source_port)
		printf("tern-echo: sink %llu TCP bytes, %llu datagrams (%llu bytes); "
		       "source %llu TCP bytes, %llu datagrams\n",
		       (unsigned long long)sv.sink_tcp_bytes, (unsigned long long)sv.sink_pkts,
		       (unsigned long long)sv.sink_bytes, (unsigned long long)sv.src_tcp_bytes,
		       (unsigned long long)sv.src_pkts);
	while (sv.nlive > 0)
		conn_close(&sv, sv.live[sv.nlive - 1]);
	free(sv.live);
	for (int i = 0; i < nservers; i++) {
		b->close(servers[i]->fd);
		free(servers[i]);
	}
	b->close(sv.ep);
	free(sv.sink_peers);
	free(sv.src_peers);
	free(sv.src_active);
	free(sv.pattern);
	app_stop(&rt);
	return 0;
}

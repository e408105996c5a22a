/*
 * tern-bench: a load generator for Tern and for the Linux kernel's sockets,
 * the same code over either (struct backend), so a comparison measures the
 * stacks and nothing else. Tests (netperf's names):
 *   rr      request/response over --conns connections (TCP) or sockets (UDP),
 *           closed loop (each completion sends the next request at once), or
 *           open loop (--rate R): Poisson arrivals at R requests/s in total,
 *           each request's latency counted from its scheduled time, so a
 *           stalled server shows as latency rather than as fewer requests
 *           (no coordinated omission).
 *   crr     connect, one request/response, close; --conns in flight at once.
 *   stream  bulk one way, client -> server (--direction send, into a sink) or
 *           server -> client (--direction recv, from a source).
 * One thread, non-blocking sockets in one epoll set, busy-polling: the loop
 * never sleeps (with Tern inline it runs the stack every iteration).
 * Servers: tern-echo (echo port for rr/crr; --sink-port / --source-port for
 * stream), on Tern or kernel sockets.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <rte_cycles.h>

#include "bench.h"
#include "bench_proto.h"

const char *const test_names[] = { "rr", "crr", "stream" };

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
	fprintf(stderr, "usage: tern-bench [EAL args] -- --server A.B.C.D:PORT [options]\n"
		"  --test rr|crr|stream  request/response (default), connect+request/response+close,\n"
		"                      or bulk one way\n"
		"  --proto tcp|udp     (default tcp; crr is TCP only)\n"
		"  --conns N           connections (UDP: sockets) at once (default 1)\n"
		"  --size BYTES        request = response size for rr/crr (default 64; UDP >= 8),\n"
		"                      send()/datagram size for stream (default 65536 TCP, 1472 UDP)\n"
		"  --duration S        measured seconds (default 10 unless --count)\n"
		"  --count N           stop after N measured requests (rr, crr)\n"
		"  --warmup S          unmeasured seconds first (default 1 with --duration, else 0)\n"
		"  --rate R            open loop: Poisson arrivals at R requests/s in total, latency\n"
		"                      from each request's scheduled time; absent = closed loop\n"
		"  --direction send|recv  stream: to a sink (default) or from a source\n"
		"  --timeout-ms T      UDP rr: a request unanswered this long counts as lost and is\n"
		"                      sent again (default 200)\n"
		"  --linger0           crr: close with SO_LINGER 0 (RST), so no TIME-WAIT holds ports.\n"
		"                      Without it each closed connection keeps its port for 60 s\n"
		"                      (2 MSL): about 28,000 connections a minute to one server\n"
		"                      (Linux the same, except over loopback, where tcp_tw_reuse=2\n"
		"                      reuses them)\n"
		"  --verify / --no-verify  check every byte that comes back (default on for rr and\n"
		"                      crr, off for stream)\n"
		"  --json FILE         write configuration and results as one JSON object\n"
		"  --progress          one line per second on stderr\n"
		"  --max-time S        give up after S seconds in all (default 600)\n"
		"  --arrival-seed N    seed of the Poisson arrivals (default 1)\n"
		"Server: tern-echo; for stream, --server names its --sink-port (send) or\n"
		"--source-port (recv). Cycles per request are the client thread's wall TSC cycles\n"
		"over the measured interval (it busy-polls its core), divided by requests.\n%s",
		app_rt_usage);
}

static int
parse(struct app_rt_opts *rt, int argc, char **argv, void *arg)
{
	struct bench_opts *o = arg;
	for (int i = 0; i < argc; i++) {
		int r = app_rt_option(rt, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		const char *a = argv[i];
		if (strcmp(a, "--progress") == 0) {
			o->progress = true;
			continue;
		}
		if (strcmp(a, "--linger0") == 0) {
			o->linger0 = true;
			continue;
		}
		if (strcmp(a, "--verify") == 0 || strcmp(a, "--no-verify") == 0) {
			o->verify = strcmp(a, "--verify") == 0;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage();
			return -1;
		}
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "%s: needs a value\n", a);
			usage();
			return -1;
		}
		i++;
		uint64_t n = 0;
		int bad = 0;
		if (strcmp(a, "--test") == 0) {
			if (strcmp(v, "rr") == 0)
				o->test = T_RR;
			else if (strcmp(v, "crr") == 0)
				o->test = T_CRR;
			else if (strcmp(v, "stream") == 0)
				o->test = T_STREAM;
			else
				bad = 1;
		} else if (strcmp(a, "--proto") == 0) {
			bad = strcmp(v, "tcp") != 0 && strcmp(v, "udp") != 0;
			o->udp = strcmp(v, "udp") == 0;
		} else if (strcmp(a, "--conns") == 0) {
			bad = app_parse_size(v, &n) || n < 1 || n > 60000;
			o->conns = (unsigned)n;
		} else if (strcmp(a, "--size") == 0) {
			bad = app_parse_size(v, &n) || n < 1 || n > (1u << 30);
			o->size = (uint32_t)n;
		} else if (strcmp(a, "--duration") == 0) {
			o->duration = atof(v);
			bad = !(o->duration > 0);
		} else if (strcmp(a, "--count") == 0) {
			bad = app_parse_size(v, &o->count) || o->count == 0;
		} else if (strcmp(a, "--warmup") == 0) {
			o->warmup = atof(v);
			bad = !(o->warmup >= 0);
		} else if (strcmp(a, "--rate") == 0) {
			o->rate = atof(v);
			bad = !(o->rate > 0);
		} else if (strcmp(a, "--direction") == 0) {
			bad = strcmp(v, "send") != 0 && strcmp(v, "recv") != 0;
			o->recv_dir = strcmp(v, "recv") == 0;
		} else if (strcmp(a, "--timeout-ms") == 0) {
			bad = app_parse_size(v, &n) || n < 1 || n > 60000;
			o->timeout_ms = (unsigned)n;
		} else if (strcmp(a, "--json") == 0) {
			o->json = v;
		} else if (strcmp(a, "--server") == 0) {
			bad = app_parse_ipport(v, &o->server);
			o->have_server = !bad;
		} else if (strcmp(a, "--max-time") == 0) {
			o->max_time = atof(v);
			bad = !(o->max_time > 0);
		} else if (strcmp(a, "--arrival-seed") == 0) {
			bad = app_parse_size(v, &o->arrival_seed);
		} else {
			fprintf(stderr, "unknown option %s\n", a);
			usage();
			return -1;
		}
		if (bad) {
			fprintf(stderr, "bad value for %s: %s\n", a, v);
			return -1;
		}
	}
	if (!o->have_server) {
		fprintf(stderr, "--server A.B.C.D:PORT is required\n");
		return -1;
	}
	if (o->test == T_CRR && o->udp) {
		fprintf(stderr, "crr is a TCP test\n");
		return -1;
	}
	if (o->rate > 0 && o->test == T_STREAM) {
		fprintf(stderr, "--rate applies to rr and crr\n");
		return -1;
	}
	if (o->size == 0)
		o->size = o->test != T_STREAM ? 64 : o->udp ? 1472 : 65536;
	if (o->udp && (o->size < 8 || o->size > 65507)) {
		fprintf(stderr, "UDP sizes are 8..65507 (a sequence number comes first)\n");
		return -1;
	}
	if (o->test == T_STREAM && o->size > SCRATCH) {
		fprintf(stderr, "stream --size is at most %u\n", SCRATCH);
		return -1;
	}
	if (o->duration == 0 && o->count == 0)
		o->duration = 10;
	if (o->warmup < 0)
		o->warmup = o->duration > 0 ? 1 : 0;
	/* Tern: every connection is a descriptor; leave room above --conns. */
	if (rt->conf.max_sockets == 0 && o->conns + 64 > 1024)
		rt->conf.max_sockets = o->conns + 64;
	return 0;
}

/* ---- helpers ---- */

static bool
would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* xorshift64* (Vigna): the arrival process, reproducible per seed. */
static double
rng_uniform(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	uint64_t r = *x * 2685821657736338717ull;
	return ((double)(r >> 11) + 1.0) * 0x1.0p-53;   /* (0, 1] */
}

/* Poisson process: exponential gaps of mean 1/rate. */
static double
next_gap(struct bench *bn)
{
	return -log(rng_uniform(&bn->rng)) * bn->mean_gap_ns;
}

static void
want(struct bench *bn, struct slot *s, uint32_t events)
{
	if (s->events == events)
		return;
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)(s - bn->s) };
	if (bn->b->epoll_ctl(bn->ep, EPOLL_CTL_MOD, s->fd, &ev) == 0)
		s->events = events;
	else
		bn->errors++;
}

static uint32_t
tcp_total_retrans(struct bench *bn, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (bn->b->getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return 0;
	return ti.tcpi_total_retrans;
}

static void
slot_close(struct bench *bn, struct slot *s)
{
	if (s->fd >= 0)
		bn->b->close(s->fd);   /* also leaves the epoll set */
	s->fd = -1;
	s->events = 0;
}

static void
note_error(struct bench *bn, const char *what, int err)
{
	if (bn->errors++ < 10)
		fprintf(stderr, "tern-bench: %s: %s\n", what, strerror(err));
}

/* A connection broke (rr/stream): it stays dead; all dead ends the run. */
static void
slot_fail(struct bench *bn, struct slot *s, const char *what, int err)
{
	note_error(bn, what, err);
	slot_close(bn, s);
	s->st = S_DEAD;
	if (++bn->ndead == bn->o->conns) {
		bn->aborted = true;
		bn->abort_msg = "every connection failed";
	}
}

/* A request finished at @p t. */
static void
complete(struct bench *bn, struct slot *s, uint64_t t)
{
	uint64_t lat = t > s->start ? t - s->start : 0;
	bn->total_requests++;
	if (bn->phase == PH_MEASURE) {
		hist_record(&bn->lat, lat);
		bn->requests++;
		if (bn->o->progress) {
			hist_record(&bn->iv, lat);
			bn->iv_req++;
		}
	}
}

static void issue(struct bench *bn, struct slot *s, uint64_t start);

/* A slot is free for the next request: closed loop sends it now, open loop
 * takes the oldest queued arrival or waits on the idle list. */
static void
next_request(struct bench *bn, struct slot *s, uint64_t t)
{
	s->st = bn->o->test == T_CRR ? S_FREE : S_IDLE;
	if (bn->phase == PH_DONE || bn->phase == PH_SETUP || stop)
		return;
	if (!bn->open_loop) {
		issue(bn, s, t);
		return;
	}
	if (bn->bl_len > 0) {
		uint64_t sched = bn->backlog[bn->bl_head];
		bn->bl_head = (bn->bl_head + 1) % bn->bl_cap;
		bn->bl_len--;
		issue(bn, s, sched);
		return;
	}
	bn->idle[bn->nidle++] = (unsigned)(s - bn->s);
}

/* Open loop: a request is due at @p sched. */
static void
arrival(struct bench *bn, uint64_t sched)
{
	while (bn->nidle > 0) {
		struct slot *s = &bn->s[bn->idle[--bn->nidle]];
		if (s->st == S_DEAD)
			continue;   /* broke while idle */
		issue(bn, s, sched);
		return;
	}
	if (bn->bl_len == bn->bl_cap) {
		size_t ncap = bn->bl_cap ? 2 * bn->bl_cap : 4096;
		uint64_t *nb = ncap <= BACKLOG_MAX ? malloc(ncap * sizeof(*nb)) : NULL;
		if (nb == NULL) {
			bn->aborted = true;
			bn->abort_msg = "open loop: the offered rate is far beyond what is served "
					"(arrival queue full)";
			return;
		}
		for (size_t i = 0; i < bn->bl_len; i++)
			nb[i] = bn->backlog[(bn->bl_head + i) % bn->bl_cap];
		free(bn->backlog);
		bn->backlog = nb;
		bn->bl_head = 0;
		bn->bl_cap = ncap;
	}
	bn->backlog[(bn->bl_head + bn->bl_len) % bn->bl_cap] = sched;
	bn->bl_len++;
	if (bn->bl_len > bn->bl_max)
		bn->bl_max = bn->bl_len;
}

/* ---- TCP request/response (rr and crr) ---- */

static int
tcp_send_more(struct bench *bn, struct slot *s)
{
	uint32_t size = bn->o->size;
	while (s->sent < size) {
		uint32_t n = size - s->sent;
		if (n > BENCH_PATTERN_SPAN)
			n = BENCH_PATTERN_SPAN;
		ssize_t w = bn->b->send(s->fd, bench_pattern(bn->pattern, s->id + s->sent), n,
					MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (!would_block())
				return -errno;
			break;
		}
		s->sent += (uint32_t)w;
		if (bn->phase == PH_MEASURE)
			bn->tx_bytes += (uint64_t)w;
	}
	want(bn, s, EPOLLIN | (s->sent < size ? EPOLLOUT : 0));
	return 0;
}

static void crr_finish(struct bench *bn, struct slot *s, uint64_t t);

static void
tcp_send_req(struct bench *bn, struct slot *s)
{
	int rc = tcp_send_more(bn, s);
	if (rc == 0)
		return;
	if (bn->o->test == T_CRR) {
		note_error(bn, "send", -rc);
		crr_finish(bn, s, 0);
	} else {
		slot_fail(bn, s, "send", -rc);
	}
}

/* Read the response; @return -errno on a broken connection. */
static int
tcp_recv_resp(struct bench *bn, struct slot *s)
{
	uint32_t size = bn->o->size;
	for (;;) {
		uint32_t want_n = s->st == S_BUSY ? size - s->got : SCRATCH;
		if (want_n > SCRATCH)
			want_n = SCRATCH;
		ssize_t n = bn->b->recv(s->fd, bn->scratch, want_n, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;   /* the server closed: not expected mid-test */
		if (n < 0)
			return would_block() ? 0 : -errno;
		if (s->st != S_BUSY) {
			bn->verify_err++;     /* bytes nobody asked for */
			continue;
		}
		if (bn->verify &&
		    memcmp(bn->scratch, bench_pattern(bn->pattern, s->id + s->got), (size_t)n) != 0)
			bn->verify_err++;
		s->got += (uint32_t)n;
		if (bn->phase == PH_MEASURE)
			bn->rx_bytes += (uint64_t)n;
		if (s->got == size) {
			uint64_t t = app_now_ns();
			complete(bn, s, t);
			if (bn->o->test == T_CRR)
				crr_finish(bn, s, t);
			else
				next_request(bn, s, t);
			return 0;
		}
	}
}

static void
crr_start(struct bench *bn, struct slot *s, uint64_t start)
{
	const struct backend *b = bn->b;
	s->start = start;
	s->t_conn = app_now_ns();
	s->id = bn->next_id++;
	s->sent = s->got = 0;
	s->fd = b->socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		note_error(bn, "socket", errno);
		bn->aborted = true;
		bn->abort_msg = "no socket for a new connection";
		return;
	}
	int one = 1;
	b->setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bn->o->linger0) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		b->setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	int rc = b->connect(s->fd, (const struct sockaddr *)&bn->o->server, sizeof(bn->o->server));
	if (rc != 0 && errno != EINPROGRESS) {
		int err = errno;
		note_error(bn, "connect", err);
		slot_close(bn, s);
		if (err == EADDRNOTAVAIL) {
			bn->aborted = true;
			bn->abort_msg = "connect: no ephemeral port left (the closed connections' "
					"TIME-WAIT holds them for 60 s: --linger0, --count, or a "
					"shorter run)";
		}
		/* Closed loop retries from the idle list; a failure loop is
		 * bounded by the error check in the main loop. */
		s->st = S_FREE;
		bn->idle[bn->nidle++] = (unsigned)(s - bn->s);
		return;
	}
	s->st = rc == 0 ? S_BUSY : S_CONNECTING;
	s->events = rc == 0 ? EPOLLIN : EPOLLOUT;
	struct epoll_event ev = { .events = s->events, .data.u64 = (uint64_t)(s - bn->s) };
	if (b->epoll_ctl(bn->ep, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
		note_error(bn, "epoll_ctl", errno);
		bn->aborted = true;
		bn->abort_msg = "epoll_ctl ADD failed";
		return;
	}
	if (rc == 0) {
		if (bn->phase == PH_MEASURE) {
			bn->connects++;
			hist_record(&bn->conn_lat, 0);
		}
		tcp_send_req(bn, s);
	}
}

/* The connection's work is done (t != 0) or it failed (t == 0): close it
 * and start the next one. */
static void
crr_finish(struct bench *bn, struct slot *s, uint64_t t)
{
	if (t != 0 && bn->phase == PH_MEASURE)
		bn->retrans += tcp_total_retrans(bn, s->fd);
	slot_close(bn, s);
	if (t == 0) {
		s->st = S_FREE;
		/* Not at once: a failing server would spin us; the main loop
		 * restarts idle slots in closed loop. */
		bn->idle[bn->nidle++] = (unsigned)(s - bn->s);
		return;
	}
	next_request(bn, s, t);
}

/* The non-blocking connect() finished. */
static void
tcp_connected(struct bench *bn, struct slot *s)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (bn->b->getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		if (bn->o->test == T_CRR) {
			note_error(bn, "connect", err);
			crr_finish(bn, s, 0);
		} else {
			slot_fail(bn, s, "connect", err);
		}
		return;
	}
	if (bn->o->test == T_CRR) {
		s->st = S_BUSY;
		if (bn->phase == PH_MEASURE) {
			bn->connects++;
			hist_record(&bn->conn_lat, app_now_ns() - s->t_conn);
		}
		tcp_send_req(bn, s);
		return;
	}
	s->st = S_IDLE;
	bn->nconnected++;
	/* Streams: a sender waits for room, a receiver for data. */
	want(bn, s, bn->o->test == T_STREAM && !bn->o->recv_dir ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* ---- UDP request/response ---- */

static void
udp_send_req(struct bench *bn, struct slot *s, uint64_t now)
{
	memcpy(bn->txbuf, &s->id, sizeof(s->id));
	ssize_t w = bn->b->send(s->fd, bn->txbuf, bn->o->size, MSG_DONTWAIT);
	if (w < 0 && !would_block())
		note_error(bn, "send (udp)", errno);   /* e.g. ECONNREFUSED: the timeout resends */
	else if (w > 0 && bn->phase == PH_MEASURE)
		bn->tx_bytes += (uint64_t)w;
	s->deadline = now + (uint64_t)bn->o->timeout_ms * 1000000ull;
}

static void
udp_recv_resp(struct bench *bn, struct slot *s)
{
	for (int k = 0; k < 64; k++) {
		ssize_t n = bn->b->recv(s->fd, bn->scratch, SCRATCH, MSG_DONTWAIT);
		if (n < 0) {
			if (!would_block())
				note_error(bn, "recv (udp)", errno);
			return;
		}
		uint64_t id;
		if (n < 8) {
			bn->verify_err++;
			continue;
		}
		memcpy(&id, bn->scratch, sizeof(id));
		if (s->st != S_BUSY || id != s->id) {
			bn->stale++;   /* the echo of a request we already gave up on */
			continue;
		}
		if ((uint32_t)n != bn->o->size ||
		    (bn->verify && memcmp(bn->scratch + 8, bn->txbuf + 8, (size_t)n - 8) != 0))
			bn->verify_err++;
		if (bn->phase == PH_MEASURE)
			bn->rx_bytes += (uint64_t)n;
		uint64_t t = app_now_ns();
		complete(bn, s, t);
		next_request(bn, s, t);
	}
}

/* Requests unanswered for --timeout-ms are lost: count, send again (same
 * request, latency still from its start). */
static void
udp_timeouts(struct bench *bn, uint64_t now)
{
	for (unsigned i = 0; i < bn->o->conns; i++) {
		struct slot *s = &bn->s[i];
		if (s->st != S_BUSY || s->deadline > now)
			continue;
		bn->total_lost++;
		if (bn->phase == PH_MEASURE)
			bn->lost++;
		udp_send_req(bn, s, now);
	}
}

static void
issue(struct bench *bn, struct slot *s, uint64_t start)
{
	if (bn->o->test == T_CRR) {
		crr_start(bn, s, start);
		return;
	}
	s->id = bn->next_id++;
	s->start = start;
	s->sent = s->got = 0;
	s->st = S_BUSY;
	if (bn->o->udp)
		udp_send_req(bn, s, app_now_ns());
	else
		tcp_send_req(bn, s);
}

/* ---- streams ---- */

static void
stream_event(struct bench *bn, struct slot *s, uint32_t ev)
{
	const struct backend *b = bn->b;
	uint32_t size = bn->o->size;
	bool meas = bn->phase == PH_MEASURE;
	if (!bn->o->recv_dir) {
		if (!bn->o->udp && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
			ssize_t n = b->recv(s->fd, bn->scratch, SCRATCH, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && !would_block())) {
				slot_fail(bn, s, "stream (server closed)", n == 0 ? ECONNRESET : errno);
				return;
			}
		}
		if (bn->o->udp && (ev & EPOLLIN))   /* nothing should come; drain */
			while (b->recv(s->fd, bn->scratch, SCRATCH, MSG_DONTWAIT) > 0)
				bn->stale++;
		if (!(ev & EPOLLOUT) || bn->phase == PH_DONE)
			return;
		for (int k = 0; k < (bn->o->udp ? 32 : 16); k++) {
			const void *p = bench_pattern(bn->pattern, s->off);
			if (bn->o->udp) {
				memcpy(bn->txbuf, &s->pkts, sizeof(s->pkts));
				p = bn->txbuf;
			}
			ssize_t w = b->send(s->fd, p, size, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w < 0) {
				if (would_block())
					return;
				if (bn->o->udp) {
					note_error(bn, "send (udp)", errno);
					return;
				}
				slot_fail(bn, s, "send", errno);
				return;
			}
			s->off += (uint64_t)w;
			if (bn->o->udp) {
				s->pkts++;
				bn->udp_tx_pkts++;
			}
			if (meas) {
				bn->tx_bytes += (uint64_t)w;
				bn->iv_bytes += (uint64_t)w;
				if (bn->o->udp)
					bn->requests++;
			}
			if ((uint32_t)w < size)
				return;
		}
		return;
	}
	for (int k = 0; k < 16; k++) {
		ssize_t n = b->recv(s->fd, bn->scratch, bn->o->udp ? SCRATCH : size, MSG_DONTWAIT);
		if (n == 0 && !bn->o->udp) {
			slot_fail(bn, s, "stream (server closed)", ECONNRESET);
			return;
		}
		if (n < 0) {
			if (!would_block()) {
				if (bn->o->udp)
					note_error(bn, "recv (udp)", errno);
				else
					slot_fail(bn, s, "recv", errno);
			}
			return;
		}
		if (bn->o->udp) {
			uint64_t seq;
			if (n < 8 || bench_is_magic(bn->scratch, (size_t)n, BENCH_MAGIC_COUNT)) {
				bn->stale++;
				continue;
			}
			memcpy(&seq, bn->scratch, sizeof(seq));
			s->pkts++;
			if (seq + 1 > s->max_seq)
				s->max_seq = seq + 1;
			if ((uint32_t)n != size ||
			    (bn->verify && memcmp(bn->scratch + 8, bn->pattern + 8, (size_t)n - 8) != 0))
				bn->verify_err++;
			if (meas)
				bn->requests++;
		} else {
			if (bn->verify &&
			    memcmp(bn->scratch, bench_pattern(bn->pattern, s->off), (size_t)n) != 0)
				bn->verify_err++;
			s->off += (uint64_t)n;
		}
		if (meas) {
			bn->rx_bytes += (uint64_t)n;
			bn->iv_bytes += (uint64_t)n;
		}
	}
}

/* UDP source: (re)ask for the stream; UDP sink: ask what arrived. */
static void
udp_control(struct bench *bn, const char *magic)
{
	uint8_t msg[BENCH_MAGIC_LEN + sizeof(uint32_t)];
	memcpy(msg, magic, BENCH_MAGIC_LEN);
	memcpy(msg + BENCH_MAGIC_LEN, &bn->o->size, sizeof(uint32_t));
	for (unsigned i = 0; i < bn->o->conns; i++)
		if (bn->s[i].fd >= 0)
			bn->b->send(bn->s[i].fd, msg, sizeof(msg), MSG_DONTWAIT);
}

/* ---- the loop ---- */

static void
dispatch(struct bench *bn, struct slot *s, uint32_t ev)
{
	if (s->st == S_DEAD || s->fd < 0)
		return;
	if (s->st == S_CONNECTING) {
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			tcp_connected(bn, s);
		return;
	}
	if (bn->o->test == T_STREAM) {
		if (bn->phase != PH_SETUP)
			stream_event(bn, s, ev);
		return;
	}
	if (bn->o->udp) {
		udp_recv_resp(bn, s);
		return;
	}
	if ((ev & EPOLLOUT) && s->st == S_BUSY && s->sent < bn->o->size) {
		tcp_send_req(bn, s);
		if (s->fd < 0 || s->st == S_DEAD)
			return;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		int rc = tcp_recv_resp(bn, s);
		if (rc != 0) {
			if (bn->o->test == T_CRR) {
				note_error(bn, "recv", -rc);
				crr_finish(bn, s, 0);
			} else {
				slot_fail(bn, s, "recv", -rc);
			}
		}
	}
}

static int
open_slots(struct bench *bn)
{
	const struct backend *b = bn->b;
	const struct bench_opts *o = bn->o;
	int type = o->udp ? SOCK_DGRAM : SOCK_STREAM;
	for (unsigned i = 0; i < o->conns; i++) {
		struct slot *s = &bn->s[i];
		s->fd = b->socket(AF_INET, type | SOCK_NONBLOCK, 0);
		if (s->fd < 0) {
			fprintf(stderr, "socket %u: %s\n", i, strerror(errno));
			return -1;
		}
		int one = 1;
		if (!o->udp)
			b->setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		else if (o->test == T_STREAM) {
			int big = 4 << 20;
			b->setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		}
		int rc = b->connect(s->fd, (const struct sockaddr *)&o->server, sizeof(o->server));
		if (rc != 0 && errno != EINPROGRESS) {
			fprintf(stderr, "connect %u: %s\n", i, strerror(errno));
			return -1;
		}
		bool pending = rc != 0;
		s->st = pending ? S_CONNECTING : S_IDLE;
		s->events = pending ? EPOLLOUT :
			o->test == T_STREAM && !o->recv_dir ? EPOLLIN | EPOLLOUT : EPOLLIN;
		struct epoll_event ev = { .events = s->events, .data.u64 = i };
		if (b->epoll_ctl(bn->ep, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
			perror("epoll_ctl");
			return -1;
		}
		if (!pending)
			bn->nconnected++;
	}
	return 0;
}

static void
start_load(struct bench *bn, uint64_t t)
{
	const struct bench_opts *o = bn->o;
	bn->t0 = t;
	bn->t_warm = t + (uint64_t)(o->warmup * 1e9);
	bn->t_end = UINT64_MAX;   /* begin_measure() sets it */
	bn->phase = PH_WARMUP;
	bn->next_arrival = (double)t;
	if (o->test == T_STREAM) {
		if (o->udp && o->recv_dir)
			udp_control(bn, BENCH_MAGIC_START);
		return;
	}
	for (unsigned i = 0; i < o->conns; i++) {
		if (bn->s[i].st == S_DEAD)
			continue;
		if (bn->open_loop)
			bn->idle[bn->nidle++] = i;
		else
			issue(bn, &bn->s[i], app_now_ns());
	}
	if (bn->open_loop)
		bn->next_arrival += next_gap(bn);
}

static void
begin_measure(struct bench *bn, uint64_t t)
{
	bn->phase = PH_MEASURE;
	bn->t_meas0 = t;
	if (bn->o->duration > 0)
		bn->t_end = t + (uint64_t)(bn->o->duration * 1e9);
	bn->iv_t = t;
	bn->tsc0 = rte_rdtsc();
	getrusage(RUSAGE_SELF, &bn->ru0);
	if (!bn->o->udp && bn->o->test != T_CRR)
		for (unsigned i = 0; i < bn->o->conns; i++)
			if (bn->s[i].fd >= 0)
				bn->s[i].retrans0 = tcp_total_retrans(bn, bn->s[i].fd);
}

static void
end_measure(struct bench *bn, uint64_t t)
{
	bn->tsc1 = rte_rdtsc();
	getrusage(RUSAGE_SELF, &bn->ru1);
	bn->t_meas1 = t;
	bn->phase = PH_DONE;
}

/* crr has no warm-up (each connection would hold a port in TIME-WAIT), so
 * nothing would have resolved the server's MAC before the clock starts: the
 * first SYN would wait for ARP, and a lost first reply (memif cannot carry a
 * frame before the peer's first receive) for ARP's 1 s retry. One untimed
 * connection, closed with a reset, does it first; blocking, up to 5 s. */
static void
preflight(struct bench *bn)
{
	const struct backend *b = bn->b;
	int fd = b->socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 5 };
	b->setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	b->setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (b->connect(fd, (const struct sockaddr *)&bn->o->server, sizeof(bn->o->server)) != 0)
		fprintf(stderr, "tern-bench: pre-flight connect: %s (going on)\n", strerror(errno));
	b->close(fd);
}

static void
run(struct bench *bn)
{
	const struct bench_opts *o = bn->o;
	static struct epoll_event evs[MAX_EVENTS];
	uint64_t t = app_now_ns();
	bn->t_hard = t + (uint64_t)(o->max_time * 1e9);
	uint64_t setup_end = t + SETUP_TIMEOUT_NS, next_tick = t, next_keepalive = t;
	if (o->test == T_CRR && !o->udp) {
		preflight(bn);
		t = app_now_ns();
	}
	if (bn->nconnected == o->conns || o->test == T_CRR)
		start_load(bn, t);
	for (;;) {
		app_drive(bn->rt);
		int n = bn->b->epoll_wait(bn->ep, evs, MAX_EVENTS, 0);
		if (n < 0 && errno != EINTR) {
			note_error(bn, "epoll_wait", errno);
			bn->aborted = true;
			bn->abort_msg = "epoll_wait failed";
		}
		for (int i = 0; i < n; i++)
			dispatch(bn, &bn->s[evs[i].data.u64], evs[i].events);
		t = app_now_ns();
		if (bn->phase == PH_SETUP) {
			if (bn->nconnected + bn->ndead == o->conns && !bn->aborted)
				start_load(bn, t);
			else if (t >= setup_end) {
				bn->aborted = true;
				bn->abort_msg = "connections not established within 10 s";
			}
		}
		if (bn->phase == PH_WARMUP && t >= bn->t_warm)
			begin_measure(bn, t);
		if (bn->phase == PH_MEASURE &&
		    (t >= bn->t_end || (o->count && bn->requests >= o->count)))
			break;
		if (t >= bn->t_hard) {
			bn->timed_out = true;
			break;
		}
		if (stop && !bn->aborted) {
			bn->aborted = true;
			bn->abort_msg = "interrupted (SIGINT/SIGTERM)";
		}
		if (bn->aborted)
			break;
		/* Open loop: every arrival due by now, at its own time. */
		while (bn->open_loop && bn->phase != PH_SETUP && bn->next_arrival <= (double)t &&
		       !bn->aborted) {
			arrival(bn, (uint64_t)bn->next_arrival);
			bn->next_arrival += next_gap(bn);
		}
		if (t < next_tick)
			continue;
		/* Once a millisecond: timeouts, restarts, keepalives, progress. */
		next_tick = t + 1000000ull;
		if (o->udp && o->test == T_RR)
			udp_timeouts(bn, t);
		/* Closed-loop crr: restart slots whose connection failed (a
		 * failure may put the slot straight back: bounded). */
		for (unsigned k = bn->nidle; o->test == T_CRR && !bn->open_loop && k > 0 &&
		     bn->nidle > 0 && !bn->aborted && bn->phase != PH_SETUP; k--)
			issue(bn, &bn->s[bn->idle[--bn->nidle]], t);
		if (o->test == T_CRR && bn->errors > 1000 && bn->errors > 10 * bn->total_requests) {
			bn->aborted = true;
			bn->abort_msg = "connections keep failing";
		}
		if (o->udp && o->test == T_STREAM && o->recv_dir && t >= next_keepalive) {
			udp_control(bn, BENCH_MAGIC_START);
			next_keepalive = t + KEEPALIVE_NS;
		}
		if (o->progress && bn->phase == PH_MEASURE && t - bn->iv_t >= 1000000000ull)
			print_progress(bn, t);
	}
	if (bn->phase == PH_MEASURE)
		end_measure(bn, t);
	else
		bn->phase = PH_DONE;
}

/* Let the stack run for @p ns (inline Tern: FINs, the sink's answers). */
static void
settle(struct bench *bn, uint64_t ns)
{
	uint64_t end = app_now_ns() + ns;
	while (app_now_ns() < end) {
		if (app_drive(bn->rt) == 0)
			sched_yield();
	}
}

/* UDP stream to a sink: how many of our datagrams arrived (whole run). */
static void
udp_sink_query(struct bench *bn)
{
	settle(bn, 100000000ull);   /* let the last datagrams land */
	uint64_t delivered = 0;
	unsigned answered = 0;
	bool *got = calloc(bn->o->conns, sizeof(bool));
	uint64_t end = app_now_ns() + 2000000000ull, resend = 0;
	while (got != NULL && answered < bn->o->conns && app_now_ns() < end) {
		if (app_now_ns() >= resend) {
			udp_control(bn, BENCH_MAGIC_QUERY);   /* again: a query may be lost too */
			resend = app_now_ns() + 200000000ull;
			delivered = 0;
			answered = 0;
			memset(got, 0, bn->o->conns * sizeof(bool));
		}
		app_drive(bn->rt);
		for (unsigned i = 0; i < bn->o->conns; i++) {
			struct slot *s = &bn->s[i];
			ssize_t n;
			while (s->fd >= 0 &&
			       (n = bn->b->recv(s->fd, bn->scratch, SCRATCH, MSG_DONTWAIT)) > 0) {
				if (!got[i] && n == BENCH_MAGIC_LEN + 16 &&
				    bench_is_magic(bn->scratch, (size_t)n, BENCH_MAGIC_COUNT)) {
					uint64_t v;
					memcpy(&v, bn->scratch + BENCH_MAGIC_LEN, sizeof(v));
					delivered += v;
					got[i] = true;
					answered++;
				}
			}
		}
	}
	if (answered == bn->o->conns) {
		bn->udp_delivered = delivered;
		bn->udp_delivered_known = true;
	} else {
		fprintf(stderr, "tern-bench: the sink answered %u of %u count queries\n", answered,
			bn->o->conns);
	}
	free(got);
}

int
main(int argc, char **argv)
{
	struct app_rt_opts rt = { 0 };
	struct bench_opts o = { .conns = 1, .timeout_ms = 200, .verify = -1, .max_time = 600,
				.warmup = -1, .arrival_seed = 1 };
	int first;
	const struct backend *b = app_start(argc, argv, &first, &rt, parse, &o);
	if (b == NULL)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (rt.kernel) {
		struct rlimit rl;   /* thousands of kernel sockets */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}

	/* Frames sent before the link is up are lost (memif: until the server
	 * end has accepted us), and the first ARP request with them. */
	if (!app_wait_link(&rt, 10000))
		fprintf(stderr, "tern-bench: warning: the port's link is not up after 10 s\n");

	static struct bench bench;
	struct bench *bn = &bench;
	bn->b = b;
	bn->o = &o;
	bn->rt = &rt;
	bn->verify = o.verify >= 0 ? o.verify : o.test != T_STREAM;
	bn->open_loop = o.rate > 0;
	bn->mean_gap_ns = bn->open_loop ? 1e9 / o.rate : 0;
	bn->rng = o.arrival_seed * 0x9E3779B97F4A7C15ull + 1;
	bn->s = calloc(o.conns, sizeof(*bn->s));
	bn->idle = calloc(o.conns, sizeof(*bn->idle));
	bn->pattern = malloc(BENCH_PATTERN_SPAN + BENCH_PATTERN_MOD);
	bn->ep = b->epoll_create1(0);
	if (bn->s == NULL || bn->idle == NULL || bn->pattern == NULL || bn->ep < 0) {
		perror("tern-bench: setup");
		app_stop(&rt);
		return 2;
	}
	bench_pattern_init(bn->pattern);
	memcpy(bn->txbuf, bn->pattern, sizeof(bn->txbuf));
	hist_reset(&bn->lat);
	hist_reset(&bn->conn_lat);
	hist_reset(&bn->iv);
	for (unsigned i = 0; i < o.conns; i++)
		bn->s[i].fd = -1;

	int rc = 0;
	if (o.test == T_CRR) {
		for (unsigned i = 0; i < o.conns; i++)
			bn->s[i].st = S_FREE;
	} else if (open_slots(bn) != 0) {
		rc = 1;
	}
	if (rc == 0) {
		run(bn);
		if (!o.udp && o.test != T_CRR)
			for (unsigned i = 0; i < o.conns; i++)
				if (bn->s[i].fd >= 0)
					bn->retrans += tcp_total_retrans(bn, bn->s[i].fd) -
						       bn->s[i].retrans0;
		if (o.udp && o.test == T_STREAM) {
			if (o.recv_dir) {
				udp_control(bn, BENCH_MAGIC_STOP);
				for (unsigned i = 0; i < o.conns; i++)
					bn->udp_rx_lost += bn->s[i].max_seq - bn->s[i].pkts;
			} else {
				udp_sink_query(bn);
			}
		}
	}
	for (unsigned i = 0; i < o.conns; i++)
		slot_close(bn, &bn->s[i]);
	b->close(bn->ep);
	settle(bn, rt.kernel ? 0 : 100000000ull);   /* FINs out before the stack stops */

	struct summary m = summarize(bn);
	uint64_t done = o.test == T_STREAM ? m.bytes : bn->requests;
	bool ok = rc == 0 && !bn->aborted && !bn->timed_out && done > 0 && bn->errors == 0 &&
		  bn->verify_err == 0;
	if (rc == 0) {
		print_summary(bn, &m);
		if (o.json != NULL && write_json(bn, &m, ok) != 0)
			ok = false;
	}
	free(bn->s);
	free(bn->idle);
	free(bn->pattern);
	free(bn->backlog);
	app_stop(&rt);
	return ok ? 0 : 1;
}

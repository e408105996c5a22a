/*
 * tern-client: an echo client. UDP (the default) sends N datagrams one at a
 * time, checks every echo byte for byte and reports loss and round-trip
 * percentiles. TCP (--tcp) opens --conns connections, streams --bytes on
 * each and checks the echo against the pattern it sent, or (--rr SIZE) runs
 * --count round trips of SIZE bytes on each and reports their percentiles.
 * Runs on Tern or (with --kernel) on kernel sockets against the same server.
 *   tern-client [EAL args] -- --server A.B.C.D:P [--count N] [--size S |
 *               --sizes MIN-MAX] [--timeout-ms T] [runtime options]
 *   tern-client [EAL args] -- --server A.B.C.D:P --tcp [--conns N]
 *               [--bytes M | --rr SIZE --count K] [--half-close] [...]
 * Exit status: 0 when every datagram / byte came back intact, 1 otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "common.h"

struct client_opts {
	struct sockaddr_in server;
	bool have_server;
	uint64_t count;
	uint32_t size_min, size_max;
	unsigned timeout_ms;
	uint64_t warmup;
	uint64_t seed;
	bool allow_loss;
	/* TCP mode */
	bool tcp;
	unsigned conns;
	uint64_t bytes;        /* per connection (bulk mode) */
	uint32_t rr_size;      /* > 0: request/response mode */
	bool half_close;       /* shutdown(SHUT_WR) after the last byte, expect EOF */
	bool close_unread;     /* wait for the server's data, close without reading */
	bool all_open;         /* no data until every connection is established */
	uint32_t chunk;        /* bytes per send() */
	double max_time;       /* seconds, 0 = unbounded */
	unsigned stall_ms;     /* no progress this long = failure */
	bool have_count;
};

static void
usage(void)
{
	fprintf(stderr, "usage: tern-client [EAL args] -- --server A.B.C.D:PORT [options]\n"
		"  --count N           datagrams to send (default 1000)\n"
		"  --size S            payload bytes (default 64; 8..65507)\n"
		"  --sizes MIN-MAX     mixed sizes, uniformly drawn (deterministic per --size-seed)\n"
		"  --timeout-ms T      wait this long for each echo (default 1000)\n"
		"  --warmup N          untimed datagrams first (default 10)\n"
		"  --size-seed N       seed of the --sizes draw (default 1)\n"
		"  --allow-loss        exit 0 even if echoes were lost\n"
		"TCP mode:\n"
		"  --tcp               TCP echo instead of UDP\n"
		"  --conns N           concurrent connections (default 1)\n"
		"  --bytes M           bytes streamed and verified per connection (default 1 MiB;\n"
		"                      suffixes k/m/g = KiB/MiB/GiB)\n"
		"  --rr SIZE           request/response: --count round trips of SIZE bytes each\n"
		"  --half-close        shutdown(SHUT_WR) after the last byte; the echo must end in EOF\n"
		"  --close-unread      wait for the server's first bytes, close without reading them\n"
		"  --all-open          send nothing until every connection is established\n"
		"  --chunk B           bytes per send() (default 65536)\n"
		"  --max-time S        fail after S seconds (default 300)\n"
		"  --stall-ms T        fail when no byte moves for T ms (default 15000)\n%s",
		app_rt_usage);
}

#define CHUNK_MAX 65536u

static int
parse(struct app_rt_opts *rt, int argc, char **argv, void *arg)
{
	struct client_opts *o = arg;
	for (int i = 0; i < argc; i++) {
		int r = app_rt_option(rt, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--allow-loss") == 0) {
			o->allow_loss = true;
			continue;
		}
		if (strcmp(a, "--tcp") == 0) {
			o->tcp = true;
			continue;
		}
		if (strcmp(a, "--half-close") == 0) {
			o->half_close = true;
			continue;
		}
		if (strcmp(a, "--close-unread") == 0) {
			o->close_unread = true;
			continue;
		}
		if (strcmp(a, "--all-open") == 0) {
			o->all_open = true;
			continue;
		}
		if (v == NULL) {
			usage();
			return -1;
		}
		i++;
		if (strcmp(a, "--server") == 0) {
			if (app_parse_ipport(v, &o->server) != 0) {
				fprintf(stderr, "bad --server %s\n", v);
				return -1;
			}
			o->have_server = true;
		} else if (strcmp(a, "--count") == 0) {
			o->count = strtoull(v, NULL, 10);
			o->have_count = true;
		} else if (strcmp(a, "--conns") == 0) {
			o->conns = (unsigned)atol(v);
		} else if (strcmp(a, "--bytes") == 0) {
			if (app_parse_size(v, &o->bytes) != 0) {
				fprintf(stderr, "bad --bytes %s\n", v);
				return -1;
			}
		} else if (strcmp(a, "--rr") == 0) {
			uint64_t sz;
			if (app_parse_size(v, &sz) != 0 || sz == 0 || sz > (64u << 20)) {
				fprintf(stderr, "bad --rr %s\n", v);
				return -1;
			}
			o->rr_size = (uint32_t)sz;
		} else if (strcmp(a, "--chunk") == 0) {
			o->chunk = (uint32_t)atol(v);
		} else if (strcmp(a, "--max-time") == 0) {
			o->max_time = atof(v);
		} else if (strcmp(a, "--stall-ms") == 0) {
			o->stall_ms = (unsigned)atol(v);
		} else if (strcmp(a, "--size") == 0) {
			o->size_min = o->size_max = (uint32_t)atol(v);
		} else if (strcmp(a, "--sizes") == 0) {
			if (sscanf(v, "%u-%u", &o->size_min, &o->size_max) != 2 ||
			    o->size_min > o->size_max) {
				fprintf(stderr, "bad --sizes %s\n", v);
				return -1;
			}
		} else if (strcmp(a, "--timeout-ms") == 0) {
			o->timeout_ms = (unsigned)atoi(v);
		} else if (strcmp(a, "--warmup") == 0) {
			o->warmup = strtoull(v, NULL, 10);
		} else if (strcmp(a, "--size-seed") == 0) {
			o->seed = strtoull(v, NULL, 0);
		} else {
			usage();
			return -1;
		}
	}
	if (!o->have_server) {
		usage();
		return -1;
	}
	if (o->tcp) {
		if (o->conns == 0 || o->conns > 60000 || o->chunk == 0 || o->chunk > CHUNK_MAX) {
			fprintf(stderr, "--conns must be 1..60000, --chunk 1..%u\n", CHUNK_MAX);
			return -1;
		}
		return 0;
	}
	if (o->size_min < 8 || o->size_max > 65507) {
		usage();
		return -1;
	}
	return 0;
}

static uint64_t
next_rand(uint64_t *s)
{
	/* splitmix64: deterministic sizes for a given seed. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Payload: the sequence number, then a pattern that depends on it, so a
 * misplaced, stale or corrupted byte is caught. */
static void
fill(uint8_t *p, size_t len, uint64_t seq)
{
	memcpy(p, &seq, 8);
	for (size_t i = 8; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7 + (i >> 8));
}

static int
udp_run(const struct backend *b, const struct client_opts *o_)
{
	struct client_opts o = *o_;
	int fd = b->socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	struct timeval tv = { .tv_sec = o.timeout_ms / 1000, .tv_usec = (o.timeout_ms % 1000) * 1000 };
	b->setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int big = 4 << 20;
	b->setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));

	static uint8_t tx[65536], rx[65536];
	uint64_t *rtt = calloc(o.count ? o.count : 1, sizeof(uint64_t));
	uint64_t nrtt = 0, lost = 0, corrupt = 0, late = 0, bytes = 0;
	uint64_t rng = o.seed;
	uint64_t t_start = app_now_ns();
	for (uint64_t seq = 0; seq < o.warmup + o.count; seq++) {
		size_t len = o.size_min + (o.size_max > o.size_min ?
			     next_rand(&rng) % (o.size_max - o.size_min + 1) : 0);
		fill(tx, len, seq);
		uint64_t t0 = app_now_ns();
		if (b->sendto(fd, tx, len, 0, (struct sockaddr *)&o.server, sizeof(o.server)) !=
		    (ssize_t)len) {
			fprintf(stderr, "sendto: %s\n", strerror(errno));
			lost++;
			continue;
		}
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = b->recvfrom(fd, rx, sizeof(rx), 0, (struct sockaddr *)&from, &fl);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (seq >= o.warmup)
					lost++;
				break;
			}
			uint64_t got;
			if (n < 8 || (memcpy(&got, rx, 8), got != seq)) {
				late++;   /* an echo we already gave up on */
				continue;
			}
			uint64_t t1 = app_now_ns();
			if ((size_t)n != len || memcmp(rx, tx, len) != 0 ||
			    from.sin_addr.s_addr != o.server.sin_addr.s_addr ||
			    from.sin_port != o.server.sin_port) {
				corrupt++;
			} else if (seq >= o.warmup) {
				rtt[nrtt++] = t1 - t0;
				bytes += len;
			}
			break;
		}
	}
	double secs = (double)(app_now_ns() - t_start) / 1e9;
	printf("tern-client: backend=%s sent=%llu echoed=%llu lost=%llu corrupt=%llu late=%llu "
	       "bytes=%llu time=%.2fs\n", b->name, (unsigned long long)o.count,
	       (unsigned long long)nrtt, (unsigned long long)lost, (unsigned long long)corrupt,
	       (unsigned long long)late, (unsigned long long)bytes, secs);
	app_print_latency("round trip", rtt, nrtt);
	free(rtt);
	b->close(fd);
	bool ok = corrupt == 0 && (o.allow_loss || lost == 0);
	return ok ? 0 : 1;
}

/* ---- TCP ---- */

/* What every connection sends: random bytes with a prime period, entered at
 * a different phase per connection, so a byte that comes back misplaced,
 * duplicated, from another connection or corrupted does not match. */
#define PAT_PERIOD 65521u
#define CONNECTS_IN_FLIGHT 128u

static uint8_t pattern[PAT_PERIOD + CHUNK_MAX];

static void
pattern_init(uint64_t seed)
{
	uint64_t r = seed;
	for (size_t i = 0; i < PAT_PERIOD; i++)
		pattern[i] = (uint8_t)next_rand(&r);
	for (size_t i = PAT_PERIOD; i < sizeof(pattern); i++)
		pattern[i] = pattern[i - PAT_PERIOD];
}

/* The @p len <= CHUNK_MAX bytes a connection of phase @p phase has at
 * stream offset @p off, contiguous. */
static const uint8_t *
pattern_at(uint32_t phase, uint64_t off)
{
	return &pattern[(phase + off) % PAT_PERIOD];
}

enum tc_state { TC_IDLE, TC_CONNECTING, TC_OPEN, TC_DONE, TC_FAILED };

struct tconn {
	int fd;
	enum tc_state state;
	bool wr_shut;
	uint32_t phase;
	uint32_t round;         /* request/response: the round in flight */
	uint64_t sent, rcvd;
	uint64_t t0;            /* connect start, then the round's start */
	char why[120];
};

/* What a run of tcp_run shares with its connections. */
struct tcp_run_ctx {
	uint64_t first_open;   /* when the first connection was established (0 = none) */
	const struct backend *b;
	const struct client_opts *o;
	uint64_t target;        /* bytes each connection sends */
	uint64_t *connect_ns, nconnect;
	uint64_t *rtt, nrtt;
	unsigned pending, done, failed;
};

static void
tconn_fail(struct tcp_run_ctx *x, struct tconn *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
tconn_fail(struct tcp_run_ctx *x, struct tconn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	if (c->state == TC_CONNECTING)
		x->pending--;
	if (c->fd >= 0)
		x->b->close(c->fd);
	c->fd = -1;
	c->state = TC_FAILED;
	x->failed++;
}

static void
tconn_done(struct tcp_run_ctx *x, struct tconn *c)
{
	x->b->close(c->fd);
	c->fd = -1;
	c->state = TC_DONE;
	x->done++;
}

static void
tconn_open(struct tcp_run_ctx *x, struct tconn *c, uint64_t now)
{
	const struct backend *b = x->b;
	c->fd = b->socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0) {
		tconn_fail(x, c, "socket: %s", strerror(errno));
		return;
	}
	if (b->set_nonblock(c->fd) != 0) {
		tconn_fail(x, c, "non-blocking: %s", strerror(errno));
		return;
	}
	if (x->o->rr_size > 0) {
		int one = 1;
		b->setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	c->t0 = now;
	c->state = TC_CONNECTING;
	x->pending++;
	int r = b->connect(c->fd, (const struct sockaddr *)&x->o->server, sizeof(x->o->server));
	if (r != 0 && errno != EINPROGRESS)
		tconn_fail(x, c, "connect: %s", strerror(errno));
}

/* A non-blocking connect is complete when connect() again says so (Linux
 * and Tern answer 0 once, then EISCONN). @return 1 on a change. */
static int
tconn_connecting(struct tcp_run_ctx *x, struct tconn *c, uint64_t now)
{
	int r = x->b->connect(c->fd, (const struct sockaddr *)&x->o->server,
			      sizeof(x->o->server));
	if (r != 0 && (errno == EALREADY || errno == EINPROGRESS || errno == EINTR))
		return 0;
	if (r != 0 && errno != EISCONN) {
		tconn_fail(x, c, "connect: %s", strerror(errno));
		return 1;
	}
	x->connect_ns[x->nconnect++] = now - c->t0;
	if (x->first_open == 0)
		x->first_open = now;
	x->pending--;
	c->state = TC_OPEN;
	c->t0 = now;
	return 1;
}

static bool
retry_later(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ENOBUFS;
}

/* Send what the connection may send now. @return 1 if bytes moved, 0 if
 * not, -1 if it failed. */
static int
tconn_send(struct tcp_run_ctx *x, struct tconn *c, uint64_t now)
{
	const struct client_opts *o = x->o;
	uint64_t limit = x->target;
	if (o->rr_size > 0 && limit > (uint64_t)(c->round + 1) * o->rr_size)
		limit = (uint64_t)(c->round + 1) * o->rr_size;
	if (c->sent >= limit) {
		if (o->half_close && !c->wr_shut && c->sent == x->target) {
			if (x->b->shutdown(c->fd, SHUT_WR) != 0) {
				tconn_fail(x, c, "shutdown(SHUT_WR): %s", strerror(errno));
				return -1;
			}
			c->wr_shut = true;
			return 1;
		}
		return 0;
	}
	uint64_t len = limit - c->sent;
	if (len > o->chunk)
		len = o->chunk;
	if (o->rr_size > 0 && c->sent == (uint64_t)c->round * o->rr_size)
		c->t0 = now;   /* the round starts with its first byte */
	ssize_t w = x->b->send(c->fd, pattern_at(c->phase, c->sent), (size_t)len,
			       MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0) {
		if (retry_later(errno))
			return 0;
		tconn_fail(x, c, "send at offset %llu: %s", (unsigned long long)c->sent,
			   strerror(errno));
		return -1;
	}
	c->sent += (uint64_t)w;
	return w > 0;
}

/* Take and verify what came back. @return as tconn_send. */
static int
tconn_recv(struct tcp_run_ctx *x, struct tconn *c, uint64_t now)
{
	static uint8_t rx[CHUNK_MAX];
	const struct client_opts *o = x->o;
	if (o->close_unread) {
		/* Wait until the server's bytes are here, then close on them. */
		ssize_t n = x->b->recv(c->fd, rx, 1, MSG_DONTWAIT | MSG_PEEK);
		if (n > 0) {
			tconn_done(x, c);
			return 1;
		}
		if (n == 0 || !retry_later(errno)) {
			tconn_fail(x, c, "waiting for data: %s", n == 0 ? "EOF" : strerror(errno));
			return -1;
		}
		return 0;
	}
	ssize_t n = x->b->recv(c->fd, rx, o->chunk, MSG_DONTWAIT);
	if (n < 0) {
		if (retry_later(errno))
			return 0;
		tconn_fail(x, c, "recv at offset %llu (sent %llu): %s",
			   (unsigned long long)c->rcvd, (unsigned long long)c->sent,
			   strerror(errno));
		return -1;
	}
	if (n == 0) {
		if (c->wr_shut && c->rcvd == x->target) {
			tconn_done(x, c);   /* the whole echo, then EOF: as it should be */
			return 1;
		}
		tconn_fail(x, c, "EOF after %llu of %llu bytes (sent %llu)",
			   (unsigned long long)c->rcvd, (unsigned long long)x->target,
			   (unsigned long long)c->sent);
		return -1;
	}
	if (c->rcvd + (uint64_t)n > c->sent) {
		tconn_fail(x, c, "echo of %llu bytes beyond the %llu sent",
			   (unsigned long long)(c->rcvd + (uint64_t)n - c->sent),
			   (unsigned long long)c->sent);
		return -1;
	}
	const uint8_t *want = pattern_at(c->phase, c->rcvd);
	if (memcmp(rx, want, (size_t)n) != 0) {
		size_t k = 0;
		while (rx[k] == want[k])
			k++;
		tconn_fail(x, c, "corrupt echo at offset %llu: got 0x%02x, sent 0x%02x",
			   (unsigned long long)(c->rcvd + k), rx[k], want[k]);
		return -1;
	}
	c->rcvd += (uint64_t)n;
	if (o->rr_size > 0 && c->rcvd == (uint64_t)(c->round + 1) * o->rr_size) {
		if (c->round >= o->warmup)
			x->rtt[x->nrtt++] = now - c->t0;
		c->round++;
	}
	if (c->rcvd == x->target && !o->half_close)
		tconn_done(x, c);
	return 1;
}

static int
tconn_step(struct tcp_run_ctx *x, struct tconn *c, uint64_t now)
{
	if (c->state == TC_CONNECTING)
		return tconn_connecting(x, c, now);
	int work = 0;
	if (x->o->all_open && x->nconnect + x->failed < x->o->conns)
		return 0;   /* all together: wait for the last handshake */
	for (int k = 0; k < 4 && c->state == TC_OPEN; k++) {
		int s = tconn_send(x, c, now);
		if (s < 0)
			return 1;
		int r = tconn_recv(x, c, now);
		if (r < 0)
			return 1;
		if (s == 0 && r == 0)
			break;
		work = 1;
	}
	return work;
}

static int
tcp_run(const struct backend *b, const struct client_opts *o, const struct app_rt_opts *rt)
{
	unsigned n = o->conns;
	uint64_t rounds = o->rr_size > 0 ? o->warmup + o->count : 0;
	struct tcp_run_ctx x = { .b = b, .o = o,
				 .target = o->rr_size > 0 ? rounds * o->rr_size : o->bytes };
	if (o->close_unread)
		x.target = 0;
	struct tconn *conns = calloc(n, sizeof(*conns));
	x.connect_ns = calloc(n, sizeof(uint64_t));
	x.rtt = calloc(o->rr_size > 0 ? (size_t)n * o->count + 1 : 1, sizeof(uint64_t));
	if (conns == NULL || x.connect_ns == NULL || x.rtt == NULL) {
		fprintf(stderr, "out of memory\n");
		return 2;
	}
	pattern_init(o->seed);
	for (unsigned i = 0; i < n; i++)
		conns[i] = (struct tconn){ .fd = -1, .phase = (uint32_t)((i * 7919u) % PAT_PERIOD) };

	uint64_t start = app_now_ns(), last_progress = start;
	uint64_t deadline = o->max_time > 0 ? start + (uint64_t)(o->max_time * 1e9) : UINT64_MAX;
	const char *why_stop = NULL;
	unsigned opened = 0;
	while (x.done + x.failed < n) {
		uint64_t now = app_now_ns();
		int work = 0;
		/* Connections open a batch at a time, so a SYN queue never overflows. */
		while (opened < n && x.pending < CONNECTS_IN_FLIGHT) {
			tconn_open(&x, &conns[opened++], now);
			work = 1;
		}
		for (unsigned i = 0; i < opened; i++) {
			struct tconn *c = &conns[i];
			/* A clock read per connection: round trips and connect
			 * times do not include the rest of the pass. */
			if (c->state == TC_CONNECTING || c->state == TC_OPEN)
				work |= tconn_step(&x, c, app_now_ns());
		}
		if (work) {
			last_progress = now;
			continue;
		}
		if (now >= deadline) {
			why_stop = "time limit";
			break;
		}
		if (now - last_progress > (uint64_t)o->stall_ms * 1000000ull) {
			why_stop = "no progress";
			break;
		}
		app_idle(rt);
	}
	uint64_t end = app_now_ns();
	unsigned stuck = 0;
	for (unsigned i = 0; i < n; i++) {
		struct tconn *c = &conns[i];
		if (c->state == TC_DONE || c->state == TC_FAILED)
			continue;
		if (c->state != TC_IDLE || why_stop == NULL)
			tconn_fail(&x, c, "%s: %s, sent %llu, echoed %llu", why_stop,
				   c->state == TC_CONNECTING ? "connecting" : "open",
				   (unsigned long long)c->sent, (unsigned long long)c->rcvd);
		else
			tconn_fail(&x, c, "%s: never opened", why_stop);
		stuck++;
	}
	/* Let the FINs and last ACKs leave before the stack stops. */
	for (uint64_t t = app_now_ns(); app_now_ns() - t < 200000000ull;)
		app_idle(rt);

	uint64_t sent = 0, rcvd = 0;
	for (unsigned i = 0; i < n; i++) {
		sent += conns[i].sent;
		rcvd += conns[i].rcvd;
	}
	double secs = (double)(end - start) / 1e9;
	/* Throughput counts from the first established connection: the time a
	 * link or ARP takes to come up is not the stack's transfer rate. */
	double xfer = x.first_open != 0 ? (double)(end - x.first_open) / 1e9 : secs;
	printf("tern-client: tcp backend=%s conns=%u connected=%llu done=%u failed=%u "
	       "sent=%llu echoed-verified=%llu time=%.2fs%s%s\n", b->name, n,
	       (unsigned long long)x.nconnect, x.done, x.failed, (unsigned long long)sent,
	       (unsigned long long)rcvd, secs, why_stop ? " stopped: " : "",
	       why_stop ? why_stop : "");
	if (xfer > 0 && !o->close_unread)
		printf("throughput: %.1f MB/s each way (%.0f Mbit/s), %llu bytes per connection\n",
		       (double)rcvd / xfer / 1e6, (double)rcvd * 8 / xfer / 1e6,
		       (unsigned long long)x.target);
	app_print_latency("connect", x.connect_ns, x.nconnect);
	if (o->rr_size > 0) {
		printf("request/response: %u bytes, %llu rounds per connection (%llu warm-up), "
		       "%.0f round trips/s\n", o->rr_size, (unsigned long long)rounds,
		       (unsigned long long)o->warmup, xfer > 0 ? (double)x.nrtt / xfer : 0.0);
		app_print_latency("round trip", x.rtt, x.nrtt);
	}
	unsigned shown = 0;
	for (unsigned i = 0; i < n && shown < 10; i++) {
		if (conns[i].state == TC_FAILED) {
			printf("connection %u: %s\n", i, conns[i].why);
			shown++;
		}
	}
	(void)stuck;
	free(conns);
	free(x.connect_ns);
	free(x.rtt);
	return x.failed == 0 && x.done == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct app_rt_opts rt = { 0 };
	struct client_opts o = { .count = 1000, .size_min = 64, .size_max = 64,
				 .timeout_ms = 1000, .warmup = 10, .seed = 1,
				 .conns = 1, .bytes = 1u << 20, .chunk = CHUNK_MAX,
				 .max_time = 300, .stall_ms = 15000 };
	int first;
	const struct backend *b = app_start(argc, argv, &first, &rt, parse, &o);
	if (b == NULL)
		return 2;
	signal(SIGPIPE, SIG_IGN);   /* kernel backend: a reset peer is an error */
	int rc = o.tcp ? tcp_run(b, &o, &rt) : udp_run(b, &o);
	app_stop(&rt);
	return rc;
}

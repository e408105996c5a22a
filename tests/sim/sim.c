/*
 * The 'sim' suite: two Tern stacks back to back in one process, each over
 * its own end of an in-memory wire wrapped in the seeded impairment layer,
 * both driven by tern_drive_at() on a virtual clock. One case moves N MiB
 * each way at once, checks every byte where it lands, closes cleanly (FIN
 * both ways, TIME-WAIT on the active closer, no RST, no timeout), lets
 * TIME-WAIT run out, stops both stacks and checks the mbuf pool is whole.
 * With --repeat it runs the case twice and requires identical counters: the
 * whole simulation is a function of the seed.
 *
 * The clock: each loop iteration polls A then B at the same virtual time
 * and advances it by STEP_NS (a one-way trip is one iteration); when an
 * iteration moved nothing (no frame, request, application byte or frame
 * sent) the clock jumps to the earliest timer of either stack, so RTOs,
 * delayed ACKs and TIME-WAIT cost no real time.
 *
 * Socket calls that wait for the stack (socket, bind, connect, accept,
 * shutdown, close, getsockopt) drive the stacks themselves at the virtual
 * time of their last poll; the harness makes them only after a quiet
 * iteration, so they do the same thing in every run (see CTL).
 *
 * Usage: sim --name N [--impair SPEC] [--seed S] [--mib M] [--repeat]
 *            [--rx-rate BYTES_PER_MS] [--max-virtual SECONDS]
 * SPEC is tern_impair_parse()'s grammar; the meson cases give "tx:..." so
 * each direction of the wire is impaired once (by its sender's wrapper).
 * --rx-rate makes both readers slow (zero windows, persist, window updates).
 * Debugging: SIM_VERBOSE=1 logs the connection's events on the virtual
 * clock; SIM_TRACE=file writes one line per TCP segment put on the wire.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "impair.h"
#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#define IP_A 0xc6120001u            /* 198.18.0.1 */
#define IP_B 0xc6120002u            /* 198.18.0.2 */
#define SIM_PORT 5001
#define STEP_NS 20000ull            /* 20 us per iteration: one-way latency */
#define T0_NS 1000000000ull         /* start at 1 s: 0 means "unset" in places */
#define IO_CHUNK (64u * 1024)
#define POOL_MBUFS 16383u
#define WIRE_DEPTH 4096u
#define TIME_WAIT_NS (61ull * 1000000000ull)   /* 2*MSL (60 s) and a margin */
#define LINUX_TCP_TIME_WAIT 6       /* tcpi_state numbering (Linux) */

struct opts {
	const char *name;
	const char *impair;
	uint64_t seed;
	uint64_t bytes;
	bool repeat;
	uint64_t rx_rate;            /* bytes per virtual ms each reader takes; 0 = all */
	uint64_t max_virtual_ns;
};

struct side {
	const char *name;
	struct tern_rt *rt;
	struct tern_port *wire;      /* our end of the in-memory pair */
	struct tern_port *traced;    /* wire, or a tracing wrapper of it */
	struct tern_port *imp;       /* the impairment wrapper the stack drives */
	int fd;
	unsigned dir;                /* the stream this side sends */
	uint64_t sent, rcvd;
	bool eof, shut;
	uint64_t rx_budget;
	uint8_t *scratch;            /* [scratch_off, scratch_off + scratch_len) of our stream */
	uint64_t scratch_off;
	size_t scratch_len;
	uint8_t *inbuf, *expect;
};

struct result {
	struct tern_stats st[2];
	struct tern_impair_counters imp_tx[2];
	uint64_t t_connected, t_data, t_closed, t_end;
	uint64_t iterations;
	double real_s;
};

struct sim {
	const struct opts *o;
	struct side s[2];
	uint64_t now;
	uint64_t iterations;
	uint64_t delay_ns;           /* the spec's delay: pending frames release within it */
};

static struct rte_mempool *pool;
static bool failed;
static bool verbose;         /* SIM_VERBOSE set: log the connection's events */

#define EVENT(sm, ...) do { \
	if (verbose) { \
		printf("  [%.6f] ", (double)((sm)->now - T0_NS) / 1e9); \
		printf(__VA_ARGS__); \
		putchar('\n'); \
	} \
} while (0)

#define FAIL(...) do { \
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	failed = true; \
} while (0)

/* ---- the byte streams: byte i of stream d is a function of (seed, d, i) ---- */

static uint64_t stream_salt;

static inline uint64_t
mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
gen(unsigned dir, uint64_t off, uint8_t *p, size_t n)
{
	while (n > 0) {
		uint64_t w = mix64((off >> 3) * 2 + dir + stream_salt);
		unsigned k = (unsigned)(off & 7);
		size_t take = 8 - k < n ? 8 - k : n;
		memcpy(p, (const uint8_t *)&w + k, take);
		p += take;
		off += take;
		n -= take;
	}
}

/* ---- EAL and the pool ---- */

static void
eal_start(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=tern-sim-%d", (int)getpid());
	char *argv[] = { "sim", "--no-huge", "-m", "1024", "--no-pci", prefix,
			 "--log-level=lib.eal:error", "--no-telemetry", "-l", "0", NULL };
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	if (tern_eal_init(argc, argv) < 0) {
		perror("tern_eal_init");
		exit(2);
	}
	pool = rte_pktmbuf_pool_create("sim_pool", POOL_MBUFS, 256, TERN_MBUF_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "pool create failed\n");
		exit(2);
	}
}

/* ---- socket calls ---- */

/* A socket call that waits for its stack (socket, bind, connect, accept,
 * shutdown, close, getsockopt) drives every inline runtime itself, each at
 * the time of its owner's last tern_drive_at(), once per round in runtime
 * order until the answer comes. Made right after a quiet step (nothing on
 * either wire, every timer due at this time already run), the round only
 * serves the request and passes on what it sends, the same way every run:
 * the calls are part of the simulation, not a source of noise. */
#define CTL(sm, rt, call) ((void)(sm), (void)(rt), (call))

/* ---- SIM_TRACE=file: every TCP segment that reaches the wire ---- */

static FILE *trace_f;
static const uint64_t *trace_now;

struct trace_port {
	struct tern_port port;
	struct tern_port *inner;
	const char *who;
};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
trace_frame(const char *who, const struct rte_mbuf *m)
{
	uint8_t b[128];
	uint32_t n = m->pkt_len < sizeof(b) ? m->pkt_len : (uint32_t)sizeof(b);
	const uint8_t *p = rte_pktmbuf_read(m, 0, n, b);
	if (p == NULL || n < 14 + 20 + 20 || p[12] != 0x08 || p[13] != 0 || p[23] != 6)
		return;
	const uint8_t *ip = p + 14;
	uint32_t ihl = (uint32_t)(ip[0] & 15) * 4;
	uint32_t tot = (uint32_t)ip[2] << 8 | ip[3];
	const uint8_t *th = ip + ihl;
	uint32_t doff = (uint32_t)(th[12] >> 4) * 4;
	uint8_t fl = th[13];
	fprintf(trace_f, "%.6f %s seq %u ack %u len %u win %u %s%s%s%s%s", 
		(double)(*trace_now - T0_NS) / 1e9, who, be32(th + 4), be32(th + 8),
		tot - ihl - doff, (unsigned)th[14] << 8 | th[15], fl & 2 ? "S" : "",
		fl & 1 ? "F" : "", fl & 4 ? "R" : "", fl & 8 ? "P" : "", fl & 16 ? "." : "");
	/* SACK blocks */
	for (uint32_t o = 20; o + 1 < doff && 14 + ihl + o + 1 < n;) {
		uint8_t k = th[o];
		if (k == 0)
			break;
		if (k == 1) {
			o++;
			continue;
		}
		uint8_t l = th[o + 1];
		if (l < 2)
			break;
		if (k == 5 && 14 + ihl + o + l <= n)
			for (uint32_t j = 2; j + 8 <= l; j += 8)
				fprintf(trace_f, " sack %u-%u", be32(th + o + j), be32(th + o + j + 4));
		o += l;
	}
	fputc('\n', trace_f);
}

static uint16_t
trace_rx(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	struct trace_port *t = p->priv;
	return tern_port_rx(t->inner, m, n);
}

static uint16_t
trace_tx(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	struct trace_port *t = p->priv;
	uint16_t k = tern_port_tx(t->inner, m, n);
	for (uint16_t i = 0; i < k; i++)
		trace_frame(t->who, m[i]);
	return k;
}

static bool
trace_link_up(struct tern_port *p)
{
	struct trace_port *t = p->priv;
	return t->inner->ops->link_up(t->inner);
}

static int
trace_stats(struct tern_port *p, struct tern_port_stats *st)
{
	struct trace_port *t = p->priv;
	return t->inner->ops->stats(t->inner, st);
}

static void
trace_close(struct tern_port *p)
{
	free(p->priv);
}

static const struct tern_port_ops trace_ops = {
	.rx_burst = trace_rx, .tx_burst = trace_tx, .link_up = trace_link_up,
	.stats = trace_stats, .close = trace_close,
};

/* A port that logs what @p inner is given to send (after the impairment
 * layer above it: what the wire really carries). Not owned: inner. */
static struct tern_port *
trace_wrap(struct tern_port *inner, const char *who)
{
	struct trace_port *t = calloc(1, sizeof(*t));
	if (t == NULL)
		abort();
	t->port = *inner;
	t->port.ops = &trace_ops;
	t->port.priv = t;
	t->inner = inner;
	t->who = who;
	return &t->port;
}

/* ---- the virtual clock loop ---- */

static uint64_t
tx_frames(struct tern_rt *rt)
{
	struct tern_stats st;
	tern_stats(rt, &st);
	return st.tx_frames;
}

/* Hand our stream to the socket as far as it takes it. @return bytes taken. */
static uint64_t
app_send(struct sim *sm, struct side *sd)
{
	uint64_t total = sm->o->bytes;
	uint64_t moved = 0;
	while (sd->sent < total) {
		if (sd->sent < sd->scratch_off || sd->sent >= sd->scratch_off + sd->scratch_len) {
			sd->scratch_off = sd->sent;
			sd->scratch_len = total - sd->sent < IO_CHUNK ? (size_t)(total - sd->sent) :
									 IO_CHUNK;
			gen(sd->dir, sd->scratch_off, sd->scratch, sd->scratch_len);
		}
		size_t off = (size_t)(sd->sent - sd->scratch_off);
		ssize_t w = tern_send(sd->fd, sd->scratch + off, sd->scratch_len - off, MSG_DONTWAIT);
		if (w > 0) {
			sd->sent += (uint64_t)w;
			moved += (uint64_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == ENOBUFS))
			break;
		FAIL("%s: send at %" PRIu64 ": %s", sd->name, sd->sent,
		     w == 0 ? "returned 0" : strerror(errno));
		break;
	}
	return moved;
}

/* Read what arrived and check it against the peer's stream. @return bytes. */
static uint64_t
app_recv(struct sim *sm, struct side *sd, unsigned peer_dir)
{
	uint64_t moved = 0;
	if (sm->o->rx_rate != 0) {
		sd->rx_budget += sm->o->rx_rate * STEP_NS / 1000000;
		if (sd->rx_budget > IO_CHUNK)
			sd->rx_budget = IO_CHUNK;
	}
	while (!sd->eof) {
		size_t want = IO_CHUNK;
		if (sm->o->rx_rate != 0) {
			if (sd->rx_budget == 0)
				break;
			want = sd->rx_budget < want ? (size_t)sd->rx_budget : want;
		}
		ssize_t r = tern_recv(sd->fd, sd->inbuf, want, MSG_DONTWAIT);
		if (r > 0) {
			if (sd->rcvd + (uint64_t)r > sm->o->bytes) {
				FAIL("%s: %zd bytes beyond the %" PRIu64 " sent", sd->name, r,
				     sm->o->bytes);
				sd->eof = true;
				break;
			}
			gen(peer_dir, sd->rcvd, sd->expect, (size_t)r);
			if (memcmp(sd->inbuf, sd->expect, (size_t)r) != 0) {
				size_t i = 0;
				while (sd->inbuf[i] == sd->expect[i])
					i++;
				FAIL("%s: stream differs at byte %" PRIu64, sd->name, sd->rcvd + i);
				sd->eof = true;
				break;
			}
			sd->rcvd += (uint64_t)r;
			moved += (uint64_t)r;
			if (sm->o->rx_rate != 0)
				sd->rx_budget -= (uint64_t)r;
			continue;
		}
		if (r == 0) {
			if (sd->rcvd != sm->o->bytes)
				FAIL("%s: EOF after %" PRIu64 " of %" PRIu64 " bytes", sd->name,
				     sd->rcvd, sm->o->bytes);
			sd->eof = true;
			EVENT(sm, "%s: EOF", sd->name);
			moved++;   /* progress */
			break;
		}
		if (errno != EAGAIN)
			FAIL("%s: recv at %" PRIu64 ": %s", sd->name, sd->rcvd, strerror(errno));
		break;
	}
	return moved;
}

static uint64_t
min_deadline(struct sim *sm)
{
	uint64_t a = tern_stack_next_deadline(tern_rt_stack(sm->s[0].rt));
	uint64_t b = tern_stack_next_deadline(tern_rt_stack(sm->s[1].rt));
	return a < b ? a : b;
}

static unsigned
pending(struct sim *sm)
{
	unsigned n = 0;
	for (int k = 0; k < 2; k++)
		n += tern_impair_pending(sm->s[k].imp, TERN_IMPAIR_TX) +
		     tern_impair_pending(sm->s[k].imp, TERN_IMPAIR_RX);
	return n;
}

/* One iteration at the current time. @return true if it was quiet: no
 * application byte, frame or request moved and no frame was sent, so
 * nothing waits on either wire for a poll (a frame held back by the
 * impairment layer waits for time or for the next frame, which no poll at
 * this time brings). A busy iteration advances the clock by STEP_NS; after a
 * quiet one the caller may make socket calls, then calls jump(). */
static bool
step(struct sim *sm, bool app)
{
	uint64_t moved = 0;
	if (app) {
		for (int k = 0; k < 2; k++) {
			struct side *sd = &sm->s[k];
			if (sd->fd < 0)
				continue;
			moved += app_send(sm, sd);
			moved += app_recv(sm, sd, sm->s[1 - k].dir);
		}
	}
	uint64_t tx0 = tx_frames(sm->s[0].rt) + tx_frames(sm->s[1].rt);
	unsigned work = 0;
	for (int k = 0; k < 2; k++) {
		/* The wrapper's delays run on our clock (conf.impair would get it
		 * from tern_drive_at; we wrap ports ourselves to read the counters). */
		tern_impair_set_now(sm->s[k].imp, sm->now);
		work += tern_drive_at(sm->s[k].rt, sm->now);
	}
	uint64_t tx1 = tx_frames(sm->s[0].rt) + tx_frames(sm->s[1].rt);
	sm->iterations++;
	if (moved > 0 || work > 0 || tx1 != tx0) {
		sm->now += STEP_NS;
		return false;
	}
	return true;
}

/* After a quiet iteration: on to the earliest timer of either stack (or
 * the release of a delayed frame), at least one step. */
static void
jump(struct sim *sm)
{
	uint64_t next = min_deadline(sm);
	if (pending(sm) > 0 && sm->delay_ns > 0 && sm->now + sm->delay_ns < next)
		next = sm->now + sm->delay_ns;
	sm->now = next > sm->now + STEP_NS && next != UINT64_MAX ? next : sm->now + STEP_NS;
}

/* Step until an iteration is quiet (the clock stays there: call jump()). */
static bool
run_until_quiet(struct sim *sm, uint64_t limit)
{
	while (sm->now < limit && !failed) {
		if (step(sm, true))
			return true;
	}
	return false;
}

static void
dump(struct sim *sm, const char *why)
{
	fprintf(stderr, "--- %s at virtual %.6f s, iteration %" PRIu64 "\n", why,
		(double)(sm->now - T0_NS) / 1e9, sm->iterations);
	for (int k = 0; k < 2; k++) {
		struct side *sd = &sm->s[k];
		fprintf(stderr, "%s: sent %" PRIu64 " rcvd %" PRIu64 " eof %d shut %d next deadline %"
			PRIu64 "\n", sd->name, sd->sent, sd->rcvd, sd->eof, sd->shut,
			tern_stack_next_deadline(tern_rt_stack(sd->rt)));
		if (sd->fd >= 0) {
			struct tcp_info ti;
			memset(&ti, 0, sizeof(ti));
			socklen_t tl = sizeof(ti);
			if (CTL(sm, sd->rt, tern_getsockopt(sd->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl)) == 0)
				fprintf(stderr, "  tcp_info: state %u ca %u retransmits %u rto %u us "
					"rtt %u us cwnd %u ssthresh %u unacked %u total_retrans %u\n",
					ti.tcpi_state, ti.tcpi_ca_state, ti.tcpi_retransmits,
					ti.tcpi_rto, ti.tcpi_rtt, ti.tcpi_snd_cwnd,
					ti.tcpi_snd_ssthresh, ti.tcpi_unacked, ti.tcpi_total_retrans);
		}
		struct tern_stats st;
		tern_stats(sd->rt, &st);
		tern_stats_print(stderr, &st);
		tern_impair_print(stderr, sd->imp);
	}
}

static struct sockaddr_in
addr_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(ip) };
	return a;
}

static uint64_t
drops_of_corruption(const struct tern_stats *st)
{
	/* Every place a flipped bit in an IPv4 packet can end it. (ARP frames
	 * are left out: a gratuitous ARP counts as arp_not_for_us anyway, and a
	 * flipped bit in an ARP body may pass unseen; see check_counters.) */
	return st->eth_runt + st->ip_bad_csum + st->ip_bad_version + st->ip_bad_ihl + st->ip_bad_len +
	       st->ip_truncated + st->ip_not_for_us + st->ip_martian_src +
	       st->ip_unknown_proto + st->tcp_bad_csum + st->tcp_truncated + st->tcp_bad_off;
}

static int
run_once(const struct opts *o, unsigned run, struct result *res)
{
	struct timespec r0, r1;
	clock_gettime(CLOCK_MONOTONIC, &r0);
	memset(res, 0, sizeof(*res));
	failed = false;
	unsigned pool_start = rte_mempool_avail_count(pool);
	stream_salt = mix64(o->seed);

	struct tern_impair_conf ic;
	memset(&ic, 0, sizeof(ic));
	if (o->impair != NULL && o->impair[0] != '\0' && tern_impair_parse(o->impair, &ic) != 0) {
		fprintf(stderr, "bad impairment spec '%s'\n", o->impair);
		return 2;
	}

	struct sim sm_storage;
	struct sim *sm = &sm_storage;
	memset(sm, 0, sizeof(*sm));
	sm->o = o;
	sm->now = T0_NS;
	trace_now = &sm->now;
	sm->delay_ns = ic.dir[TERN_IMPAIR_TX].delay_ns > ic.dir[TERN_IMPAIR_RX].delay_ns ?
		       ic.dir[TERN_IMPAIR_TX].delay_ns : ic.dir[TERN_IMPAIR_RX].delay_ns;

	char wname[32];
	snprintf(wname, sizeof(wname), "sim%u", run);
	struct tern_port *pa, *pb;
	if (tern_port_mem_pair(wname, WIRE_DEPTH, 1500, &pa, &pb) != 0) {
		fprintf(stderr, "mem pair failed\n");
		return 2;
	}
	const char *names[2] = { "A", "B" };
	struct tern_port *wires[2] = { pa, pb };
	uint32_t ips[2] = { IP_A, IP_B };
	for (int k = 0; k < 2; k++) {
		struct side *sd = &sm->s[k];
		sd->name = names[k];
		sd->wire = wires[k];
		sd->fd = -1;
		sd->dir = (unsigned)k;
		sd->scratch = malloc(IO_CHUNK);
		sd->inbuf = malloc(IO_CHUNK);
		sd->expect = malloc(IO_CHUNK);
		if (sd->scratch == NULL || sd->inbuf == NULL || sd->expect == NULL)
			abort();
		struct tern_impair_conf c = ic;
		c.seed = o->seed * 1000003u + (uint64_t)k + 1;
		sd->traced = trace_f != NULL ? trace_wrap(sd->wire, k == 0 ? "A>" : "B>") : sd->wire;
		sd->imp = tern_impair_wrap(sd->traced, pool, &c);
		if (sd->imp == NULL) {
			fprintf(stderr, "impair wrap failed\n");
			return 2;
		}
		struct tern_conf tc = { .mode = TERN_MODE_INLINE, .port = sd->imp, .pool = pool,
					.ip = ips[k], .prefix_len = 24,
					.seed = o->seed * 7919u + (uint64_t)k + 1,
					.external_clock = true };
		sd->rt = tern_start(&tc);
		if (sd->rt == NULL) {
			perror("tern_start");
			return 2;
		}
	}
	struct side *A = &sm->s[0], *B = &sm->s[1];
	uint64_t limit = T0_NS + o->max_virtual_ns;

	/* ---- set up: B listens, A connects (non-blocking), B accepts ---- */
	run_until_quiet(sm, limit);   /* the gratuitous ARPs */
	int lfd = CTL(sm, B->rt, tern_socket_rt(B->rt, AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in sa = addr_of(0, SIM_PORT);
	if (lfd < 0 || CTL(sm, B->rt, tern_bind(lfd, (struct sockaddr *)&sa, sizeof(sa))) != 0 ||
	    CTL(sm, B->rt, tern_listen(lfd, 8)) != 0 || tern_setblocking(lfd, false) != 0) {
		FAIL("listener: %s", strerror(errno));
		return 1;
	}
	A->fd = CTL(sm, A->rt, tern_socket_rt(A->rt, AF_INET, SOCK_STREAM, 0));
	if (A->fd < 0 || tern_setblocking(A->fd, false) != 0) {
		FAIL("socket: %s", strerror(errno));
		return 1;
	}
	struct sockaddr_in to = addr_of(IP_B, SIM_PORT);
	if (CTL(sm, A->rt, tern_connect(A->fd, (struct sockaddr *)&to, sizeof(to))) != -1 ||
	    errno != EINPROGRESS) {
		FAIL("connect: expected EINPROGRESS, got %s", strerror(errno));
		return 1;
	}
	int afd = -1;
	while (afd < 0 && !failed && sm->now < limit) {
		if (!step(sm, false))
			continue;
		afd = CTL(sm, B->rt, tern_accept4(lfd, NULL, NULL, SOCK_NONBLOCK));
		if (afd < 0 && errno != EAGAIN)
			FAIL("accept: %s", strerror(errno));
		if (afd < 0)
			jump(sm);
	}
	if (afd < 0) {
		FAIL("no connection by virtual %.3f s", (double)(sm->now - T0_NS) / 1e9);
		dump(sm, "setup stuck");
		return 1;
	}
	B->fd = afd;
	/* The listener goes now: a stray segment after B's connection ends
	 * (a duplicated final ACK) then meets no connection and is answered
	 * and counted as such (tcp_no_conn), not by a listener. */
	if (CTL(sm, B->rt, tern_close(lfd)) != 0)
		FAIL("close listener: %s", strerror(errno));
	res->t_connected = sm->now;
	EVENT(sm, "B: accepted");

	/* ---- both streams at once; A closes first once it has everything ---- */
	while (!failed && sm->now < limit && !(A->eof && B->eof)) {
		if (!step(sm, true))
			continue;
		if (res->t_data == 0 && A->rcvd == o->bytes && B->rcvd == o->bytes)
			res->t_data = sm->now;
		/* RFC 9293 3.6: A is the active closer (FIN first), B answers its
		 * EOF with its own FIN once all its data is queued. */
		bool called = false;
		if (!A->shut && A->sent == o->bytes && A->rcvd == o->bytes) {
			if (CTL(sm, A->rt, tern_shutdown(A->fd, SHUT_WR)) != 0)
				FAIL("A shutdown: %s", strerror(errno));
			A->shut = called = true;
			EVENT(sm, "A: shutdown(SHUT_WR)");
		}
		if (!B->shut && B->eof && B->sent == o->bytes) {
			if (CTL(sm, B->rt, tern_shutdown(B->fd, SHUT_WR)) != 0)
				FAIL("B shutdown: %s", strerror(errno));
			B->shut = called = true;
			EVENT(sm, "B: shutdown(SHUT_WR)");

		}
		/* A call that sent a FIN put a frame on the wire: no jump. */
		if (called)
			sm->now += STEP_NS;
		else
			jump(sm);
	}
	if (!(A->eof && B->eof)) {
		FAIL("transfer incomplete by virtual %.3f s",
		     (double)(sm->now - T0_NS) / 1e9);
		dump(sm, "transfer stuck");
		return 1;
	}
	if (res->t_data == 0)
		res->t_data = sm->now;
	EVENT(sm, "both EOF");

	/* ---- the close: B's LAST-ACK ends (its TCB goes), A sits in TIME-WAIT ---- */
	bool b_gone = false;
	while (!failed && sm->now < limit && !b_gone) {
		if (!run_until_quiet(sm, limit))
			break;
		struct sockaddr_in pn;
		socklen_t pl = sizeof(pn);
		if (CTL(sm, B->rt, tern_getpeername(B->fd, (struct sockaddr *)&pn, &pl)) != 0) {
			if (errno != ENOTCONN)
				FAIL("B getpeername: %s", strerror(errno));
			b_gone = true;
			break;
		}
		jump(sm);
	}
	if (!b_gone) {
		FAIL("B never left LAST-ACK");
		dump(sm, "close stuck");
		return 1;
	}
	res->t_closed = sm->now;
	EVENT(sm, "B: connection gone");
	struct tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	socklen_t tl = sizeof(ti);
	if (CTL(sm, A->rt, tern_getsockopt(A->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl)) != 0)
		FAIL("A TCP_INFO: %s", strerror(errno));
	else if (ti.tcpi_state != LINUX_TCP_TIME_WAIT)
		FAIL("A (active closer) in tcpi_state %u, not TIME-WAIT", ti.tcpi_state);

	/* Close the descriptors; A's TCB lives on in TIME-WAIT for 2*MSL. */
	if (CTL(sm, A->rt, tern_close(A->fd)) != 0 || CTL(sm, B->rt, tern_close(B->fd)) != 0)
		FAIL("close: %s", strerror(errno));
	A->fd = B->fd = -1;
	uint64_t tw_end = sm->now + TIME_WAIT_NS;
	while (!failed && sm->now < tw_end)
		if (step(sm, false))
			jump(sm);
	run_until_quiet(sm, UINT64_MAX);
	res->t_end = sm->now;
	res->iterations = sm->iterations;

	for (int k = 0; k < 2; k++) {
		tern_stats(sm->s[k].rt, &res->st[k]);
		res->imp_tx[k] = *tern_impair_counters(sm->s[k].imp, TERN_IMPAIR_TX);
	}
	if (failed)
		dump(sm, "failure");
	for (int k = 0; k < 2; k++) {
		tern_stop(sm->s[k].rt);
		tern_port_close(sm->s[k].imp);
		if (sm->s[k].traced != sm->s[k].wire)
			tern_port_close(sm->s[k].traced);
		tern_port_close(sm->s[k].wire);
		free(sm->s[k].scratch);
		free(sm->s[k].inbuf);
		free(sm->s[k].expect);
	}
	unsigned pool_end = rte_mempool_avail_count(pool);
	if (pool_end != pool_start)
		FAIL("mbuf leak: pool had %u free, now %u", pool_start, pool_end);
	clock_gettime(CLOCK_MONOTONIC, &r1);
	res->real_s = (double)(r1.tv_sec - r0.tv_sec) + (double)(r1.tv_nsec - r0.tv_nsec) / 1e9;
	return failed ? 1 : 0;
}

/* What must hold of a finished run beyond the bytes and the states. */
static void
check_counters(const struct opts *o, const struct result *r, const struct tern_impair_conf *ic)
{
	for (int k = 0; k < 2; k++) {
		const struct tern_stats *st = &r->st[k];
		const char *n = k == 0 ? "A" : "B";
		/* A clean close: nobody reset, nobody gave up. The one RST
		 * allowed is RFC 9293 3.10.7.1's answer to a segment for no
		 * connection: a duplicated or late final ACK reaching B after
		 * LAST-ACK ended (A, in TIME-WAIT, ignores it: RFC 1337). */
		uint64_t strays = st->tcp_no_conn;
		if (st->tcp_rst_rx != 0 || st->tcp_rst_tx != strays)
			FAIL("%s: %" PRIu64 " RSTs sent (%" PRIu64 " to segments for no connection), %"
			     PRIu64 " accepted", n, st->tcp_rst_tx, strays, st->tcp_rst_rx);
		if (st->tcp_timeout_drop != 0)
			FAIL("%s: %" PRIu64 " connections dropped by timeout", n, st->tcp_timeout_drop);
		if (st->tx_port_full != 0)
			FAIL("%s: %" PRIu64 " frames refused by the wire", n, st->tx_port_full);
		/* Corruption: each corrupted frame B got from A's wrapper (and
		 * vice versa) was dropped by a check, never delivered. With
		 * duplication a corrupted frame may be copied (dropped twice). */
		const struct tern_impair_counters *peer = &r->imp_tx[1 - k];
		uint64_t drops = drops_of_corruption(st);
		uint64_t arp_in = st->arp_request_rx + st->arp_reply_rx + st->arp_truncated +
				  st->arp_bad_format + st->arp_not_for_us + st->arp_bad_sender;
		bool dup = ic->dir[TERN_IMPAIR_TX].dup_ppm != 0;
		/* A truncated frame fails the same checks (lengths, checksums). */
		uint64_t hit = peer->corrupted + peer->truncated;
		/* hit = IPv4 frames dropped + ARP frames hit (at most arp_in). */
		if (drops > hit * (dup ? 2 : 1) || (!dup && hit - drops > arp_in) ||
		    (dup && drops + arp_in < hit))
			FAIL("%s: %" PRIu64 " frames corrupted or truncated on the way in, %"
			     PRIu64 " dropped by checks", n, hit, drops);
	}
	(void)o;
}

static void
print_result(const struct opts *o, const struct result *r, unsigned run)
{
	double vdata = (double)(r->t_data - r->t_connected) / 1e9;
	double gbps = vdata > 0 ? (double)o->bytes * 8 / vdata / 1e9 : 0;
	printf("%s seed %" PRIu64 " run %u: %" PRIu64 " MiB each way, virtual transfer %.6f s "
	       "(%.3f Gbit/s each way), close %.6f s, end %.3f s; real %.2f s, %" PRIu64
	       " iterations\n", o->name, o->seed, run, o->bytes >> 20, vdata, gbps,
	       (double)(r->t_closed - r->t_data) / 1e9, (double)(r->t_end - T0_NS) / 1e9,
	       r->real_s, r->iterations);
	for (int k = 0; k < 2; k++) {
		const struct tern_stats *st = &r->st[k];
		const struct tern_impair_counters *ic = &r->imp_tx[k];
		printf("  %s: tcp_tx %" PRIu64 " tcp_rx %" PRIu64 " rexmt %" PRIu64 " rto %" PRIu64
		       " fast_rexmt %" PRIu64 " ooo %" PRIu64 " ooo_drop %" PRIu64
		       " out_of_window %" PRIu64 " paws %" PRIu64 " bad_csum tcp %" PRIu64
		       " ip %" PRIu64 " persist %" PRIu64 " nombuf %" PRIu64 "\n",
		       k == 0 ? "A" : "B", st->tcp_tx, st->tcp_rx, st->tcp_rexmt, st->tcp_rto,
		       st->tcp_fast_rexmt, st->tcp_ooo, st->tcp_ooo_drop, st->tcp_out_of_window,
		       st->tcp_paws_drop, st->tcp_bad_csum, st->ip_bad_csum,
		       st->tcp_persist_probe, st->nombuf);
		printf("     wire out: seen %" PRIu64 " lost %" PRIu64 " dup %" PRIu64
		       " reordered %" PRIu64 " corrupted %" PRIu64 "\n", ic->seen, ic->lost,
		       ic->duplicated, ic->reordered, ic->corrupted);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: sim --name N [--impair SPEC] [--seed S] [--mib M] [--repeat]\n"
			"           [--rx-rate BYTES_PER_MS] [--max-virtual SECONDS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct opts o = { .name = "sim", .impair = "", .seed = 1, .bytes = 64ull << 20,
			  .max_virtual_ns = 3600ull * 1000000000ull };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--repeat") == 0) {
			o.repeat = true;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--name") == 0)
			o.name = v;
		else if (strcmp(a, "--impair") == 0)
			o.impair = v;
		else if (strcmp(a, "--seed") == 0)
			o.seed = strtoull(v, NULL, 0);
		else if (strcmp(a, "--mib") == 0)
			o.bytes = strtoull(v, NULL, 0) << 20;
		else if (strcmp(a, "--kib") == 0)
			o.bytes = strtoull(v, NULL, 0) << 10;
		else if (strcmp(a, "--rx-rate") == 0)
			o.rx_rate = strtoull(v, NULL, 0);
		else if (strcmp(a, "--max-virtual") == 0)
			o.max_virtual_ns = strtoull(v, NULL, 0) * 1000000000ull;
		else
			usage();
	}
	struct tern_impair_conf ic;
	memset(&ic, 0, sizeof(ic));
	if (o.impair[0] != '\0' && tern_impair_parse(o.impair, &ic) != 0) {
		fprintf(stderr, "bad impairment spec '%s'\n", o.impair);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	verbose = getenv("SIM_VERBOSE") != NULL;
	if (getenv("SIM_TRACE") != NULL && (trace_f = fopen(getenv("SIM_TRACE"), "w")) == NULL) {
		perror(getenv("SIM_TRACE"));
		return 2;
	}
	printf("%s: impair '%s' seed %" PRIu64 "\n", o.name, o.impair, o.seed);
	eal_start();

	static struct result res[2];
	unsigned runs = o.repeat ? 2 : 1;
	int rc = 0;
	for (unsigned r = 0; r < runs && rc == 0; r++) {
		rc = run_once(&o, r, &res[r]);
		if (rc == 0) {
			check_counters(&o, &res[r], &ic);
			print_result(&o, &res[r], r);
			if (failed)
				rc = 1;
		}
	}
	if (rc == 0 && runs == 2) {
		/* Same seed, same everything: every counter of both stacks and
		 * both wrappers, and the virtual times. */
		bool same = memcmp(res[0].st, res[1].st, sizeof(res[0].st)) == 0 &&
			    memcmp(res[0].imp_tx, res[1].imp_tx, sizeof(res[0].imp_tx)) == 0 &&
			    res[0].t_data == res[1].t_data && res[0].t_end == res[1].t_end &&
			    res[0].iterations == res[1].iterations;
		if (!same) {
			for (int k = 0; k < 2; k++)
				for (unsigned i = 0; i < TERN_STATS_COUNT; i++)
					if (tern_stats_get(&res[0].st[k], i) !=
					    tern_stats_get(&res[1].st[k], i))
						fprintf(stderr, "  %c %s: %" PRIu64 " vs %" PRIu64 "\n",
							'A' + k, tern_stats_name(i),
							tern_stats_get(&res[0].st[k], i),
							tern_stats_get(&res[1].st[k], i));
			FAIL("the same seed gave different runs");
			rc = 1;
		} else {
			printf("deterministic: both runs gave identical counters and virtual times\n");
		}
	}
	printf("%s: %s\n", o.name, rc == 0 ? "PASS" : "FAIL");
	return rc;
}

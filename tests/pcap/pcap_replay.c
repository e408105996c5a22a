/*
 * pcap-replay harness: feeds the frames of a capture into one Tern stack on
 * an in-memory port, each at its capture time on a virtual clock, records
 * every frame the stack sends, and compares them with an expected capture
 * after normalisation (pcap_compare.c). Also asserts named counters and that
 * the mbuf pool is whole again at the end. Run by run_case.sh, one case
 * directory at a time (meson suite 'pcap').
 *
 * Clock: the stack is driven with tern_stack_poll(tern_rt_stack(rt), vnow)
 * because tern_drive() reads the real clock. The socket calls made while
 * setting up (socket/bind) do drive the stack on the real clock, so the
 * virtual clock starts just after that and only moves forward:
 *   vnow = base + (capture time - first capture time).
 * Between two input frames the clock also stops at every stack deadline
 * (tern_stack_next_deadline), so timer output carries its own time.
 *
 * Gratuitous ARP: struct tern_conf cannot switch it off, so the harness
 * polls once before the replay, checks that exactly one well-formed
 * gratuitous ARP came out (RFC 5227 3: request, sender = target = our IP),
 * and leaves it out of the comparison.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <pcap/pcap.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "pcap_compare.h"
#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"
#include "test_eal.h"

#define MAX_SOCKS 16
#define MAX_COUNTERS 64
#define POOL_MBUFS 4095u
#define POLL_ROUNDS_MIN 3     /* polls after each input frame, at least */
#define POLL_ROUNDS_MAX 64    /* and at most, should work keep appearing */
#define OUR_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 }

struct counter_want {
	char name[64];
	uint64_t value;
};

struct opts {
	const char *in, *expect, *out;
	uint32_t ip;          /* host order */
	uint8_t prefix;
	uint32_t gw;
	uint16_t echo_port[MAX_SOCKS];
	unsigned n_echo;
	uint16_t bind_port[MAX_SOCKS];
	unsigned n_bind;
	struct counter_want counter[MAX_COUNTERS];
	unsigned n_counter;
	uint64_t seed;
	uint64_t tail_ns;     /* keep the clock running this long after the last frame */
};

struct frames {
	struct frame *f;
	size_t n, cap;
};

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "pcap_replay: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static void
frames_push(struct frames *fs, const uint8_t *data, size_t len, uint64_t ts_ns)
{
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 64;
		struct frame *nf = realloc(fs->f, cap * sizeof(*nf));
		if (nf == NULL)
			die("%s", "out of memory");
		fs->f = nf;
		fs->cap = cap;
	}
	struct frame *f = &fs->f[fs->n++];
	f->data = malloc(len ? len : 1);
	if (f->data == NULL)
		die("%s", "out of memory");
	memcpy(f->data, data, len);
	f->len = len;
	f->ts_ns = ts_ns;
}

static void
frames_free(struct frames *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->f[i].data);
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}

static void
pcap_load(const char *path, struct frames *fs)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (p == NULL)
		die("%s", eb);
	if (pcap_datalink(p) != DLT_EN10MB)
		die("%s: not an Ethernet capture", path);
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		if (h->caplen != h->len)
			die("%s: a frame was captured truncated (snaplen too small)", path);
		frames_push(fs, d, h->caplen,
			    (uint64_t)h->ts.tv_sec * TERN_NS_PER_SEC + (uint64_t)h->ts.tv_usec);
	}
	if (rc == -1)
		die("%s", pcap_geterr(p));
	pcap_close(p);
}

static void
pcap_store(const char *path, const struct frames *fs)
{
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144,
							    PCAP_TSTAMP_PRECISION_NANO);
	if (dead == NULL)
		die("%s", "pcap_open_dead failed");
	pcap_dumper_t *w = pcap_dump_open(dead, path);
	if (w == NULL)
		die("%s", pcap_geterr(dead));
	for (size_t i = 0; i < fs->n; i++) {
		struct pcap_pkthdr h = {
			.caplen = (bpf_u_int32)fs->f[i].len, .len = (bpf_u_int32)fs->f[i].len,
		};
		h.ts.tv_sec = (time_t)(fs->f[i].ts_ns / TERN_NS_PER_SEC);
		h.ts.tv_usec = (suseconds_t)(fs->f[i].ts_ns % TERN_NS_PER_SEC);  /* ns precision */
		pcap_dump((u_char *)w, &h, fs->f[i].data);
	}
	pcap_dump_close(w);
	pcap_close(dead);
}

static uint16_t
parse_port(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v == 0 || v > 65535)
		die("bad port '%s'", s);
	return (uint16_t)v;
}

static uint32_t
parse_ip(const char *s, uint8_t *prefix)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (prefix == NULL || *end != '\0' || p == 0 || p > 32)
			die("bad prefix in '%s'", s);
		*prefix = (uint8_t)p;
	}
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1)
		die("bad address '%s'", s);
	return ntohl(a.s_addr);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "in", required_argument, NULL, 'i' },
		{ "expect", required_argument, NULL, 'e' },
		{ "out", required_argument, NULL, 'o' },
		{ "ip", required_argument, NULL, 'a' },
		{ "gw", required_argument, NULL, 'g' },
		{ "udp-echo", required_argument, NULL, 'E' },
		{ "udp-bind", required_argument, NULL, 'B' },
		{ "counter", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "tail-ms", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof(*o));
	o->ip = parse_ip("198.18.0.2", NULL);
	o->prefix = 24;
	o->seed = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->in = optarg; break;
		case 'e': o->expect = optarg; break;
		case 'o': o->out = optarg; break;
		case 'a': o->ip = parse_ip(optarg, &o->prefix); break;
		case 'g': o->gw = parse_ip(optarg, NULL); break;
		case 'E':
			if (o->n_echo == MAX_SOCKS)
				die("%s", "too many --udp-echo");
			o->echo_port[o->n_echo++] = parse_port(optarg);
			break;
		case 'B':
			if (o->n_bind == MAX_SOCKS)
				die("%s", "too many --udp-bind");
			o->bind_port[o->n_bind++] = parse_port(optarg);
			break;
		case 'c': {
			if (o->n_counter == MAX_COUNTERS)
				die("%s", "too many --counter");
			struct counter_want *w = &o->counter[o->n_counter++];
			const char *eq = strchr(optarg, '=');
			char *end;
			if (eq == NULL || eq == optarg || (size_t)(eq - optarg) >= sizeof(w->name))
				die("bad --counter '%s' (want name=value)", optarg);
			memcpy(w->name, optarg, (size_t)(eq - optarg));
			w->name[eq - optarg] = '\0';
			w->value = strtoull(eq + 1, &end, 0);
			if (eq[1] == '\0' || *end != '\0')
				die("bad --counter value in '%s'", optarg);
			break;
		}
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 't': o->tail_ns = strtoull(optarg, NULL, 0) * TERN_NS_PER_MS; break;
		default:
			fprintf(stderr, "usage: %s --in in.pcap --expect expected.pcap [--out actual.pcap]\n"
				"  [--ip A.B.C.D/N] [--gw A.B.C.D] [--udp-echo PORT]... [--udp-bind PORT]...\n"
				"  [--counter name=value]... [--seed N] [--tail-ms MS]\n", argv[0]);
			exit(2);
		}
	}
	if (o->in == NULL || o->expect == NULL)
		die("%s", "--in and --expect are required");
	if (o->seed == 0)
		die("%s", "--seed 0 means random in the stack: give a fixed one");
}

/* EAL on one core we may run on, no hugepages, a file prefix of our own. */
static void
eal_start(const char *prog)
{
	if (test_eal_start(prog, "tern-pcap") != 0)
		die("EAL init failed: %s", rte_strerror(rte_errno));
}

struct harness {
	struct opts o;
	struct rte_mempool *pool;
	struct tern_port *port;
	struct tern_rt *rt;
	struct tern_stack *st;
	int echo_fd[MAX_SOCKS];
	uint64_t base, ts0;    /* virtual clock origin: stack time, capture time */
	struct frames out;     /* what the stack sent, stamped with capture time */
	unsigned echo_fail;
};

static struct rte_mbuf *
mbuf_from_frame(struct rte_mempool *mp, const struct frame *f)
{
	return tern_mbuf_from_buf(mp, f->data, f->len, 0);
}

/* Take every frame the stack sent into h->out, stamped with @p vnow. */
static void
collect(struct harness *h, uint64_t vnow)
{
	struct rte_mbuf *m[32];
	unsigned n;
	static uint8_t buf[65536 + 64];
	while ((n = tern_port_mem_collect(h->port, m, 32)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			uint32_t len = m[i]->pkt_len < sizeof(buf) ? m[i]->pkt_len : sizeof(buf);
			const uint8_t *p = rte_pktmbuf_read(m[i], 0, len, buf);
			frames_push(&h->out, p, len, h->ts0 + (vnow - h->base));
			rte_pktmbuf_free(m[i]);
		}
	}
}

/* Echo sockets: send back whatever arrived, to whoever sent it. */
static unsigned
service_echo(struct harness *h)
{
	static uint8_t buf[65536];
	unsigned work = 0;
	for (unsigned i = 0; i < h->o.n_echo; i++) {
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = tern_recvfrom(h->echo_fd[i], buf, sizeof(buf), MSG_DONTWAIT,
						  (struct sockaddr *)&from, &fl);
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK) {
					fprintf(stderr, "echo recvfrom: %s\n", strerror(errno));
					h->echo_fail++;
				}
				break;
			}
			work++;
			if (tern_sendto(h->echo_fd[i], buf, (size_t)n, MSG_DONTWAIT,
					(struct sockaddr *)&from, fl) != n) {
				fprintf(stderr, "echo sendto: %s\n", strerror(errno));
				h->echo_fail++;
			}
		}
	}
	return work;
}

/* Run the stack at @p vnow until it and the echo sockets are idle. */
static void
settle(struct harness *h, uint64_t vnow)
{
	for (unsigned round = 0; round < POLL_ROUNDS_MAX; round++) {
		unsigned work = tern_stack_poll(h->st, vnow);
		work += service_echo(h);
		if (work == 0 && round + 1 >= POLL_ROUNDS_MIN)
			break;
	}
	collect(h, vnow);
}

/* Let timers due up to @p until fire, each at its own time. */
static void
run_timers_until(struct harness *h, uint64_t *vnow, uint64_t until)
{
	for (;;) {
		uint64_t d = tern_stack_next_deadline(h->st);
		if (d > until || d == UINT64_MAX)
			break;
		if (d > *vnow)
			*vnow = d;
		settle(h, *vnow);
		/* A deadline that does not move after firing would spin. */
		if (tern_stack_next_deadline(h->st) == d)
			break;
	}
}

static bool
is_our_garp(const struct frame *f, uint32_t ip)
{
	static const uint8_t mac[6] = OUR_MAC;
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	const uint8_t *d = f->data;
	if (f->len != 42 || memcmp(d, bcast, 6) != 0 || memcmp(d + 6, mac, 6) != 0 ||
	    d[12] != 0x08 || d[13] != 0x06)
		return false;
	const uint8_t *a = d + 14;
	uint32_t spa = (uint32_t)a[14] << 24 | (uint32_t)a[15] << 16 | (uint32_t)a[16] << 8 | a[17];
	uint32_t tpa = (uint32_t)a[24] << 24 | (uint32_t)a[25] << 16 | (uint32_t)a[26] << 8 | a[27];
	/* RFC 826 Ethernet/IPv4 request; RFC 5227 3: SPA = TPA = ours. */
	return a[0] == 0 && a[1] == 1 && a[2] == 0x08 && a[3] == 0 && a[4] == 6 &&
	       a[5] == 4 && a[6] == 0 && a[7] == 1 && memcmp(a + 8, mac, 6) == 0 &&
	       spa == ip && tpa == ip && memcmp(a + 18, zero, 6) == 0;
}

static int
compare(const struct frames *exp, struct frames *act)
{
	int bad = 0;
	char s[256];
	size_t n = exp->n < act->n ? exp->n : act->n;
	for (size_t i = 0; i < exp->n; i++)
		frame_normalise(&exp->f[i]);
	for (size_t i = 0; i < act->n; i++)
		frame_normalise(&act->f[i]);
	for (size_t i = 0; i < n && !bad; i++) {
		size_t d = frame_first_diff(&exp->f[i], &act->f[i]);
		if (d == SIZE_MAX)
			continue;
		fprintf(stderr, "MISMATCH at output frame %zu (first difference at byte %zu, 0x%zx)\n",
			i, d, d);
		frame_summary(&exp->f[i], s, sizeof(s));
		fprintf(stderr, "  expected: %s\n", s);
		frame_summary(&act->f[i], s, sizeof(s));
		fprintf(stderr, "  actual:   %s\n", s);
		frame_hexdump(stderr, "expected (normalised)", &exp->f[i], d);
		frame_hexdump(stderr, "actual (normalised)", &act->f[i], d);
		bad = 1;
	}
	if (!bad && exp->n != act->n) {
		fprintf(stderr, "MISMATCH: expected %zu output frames, the stack sent %zu\n",
			exp->n, act->n);
		const struct frames *more = exp->n > act->n ? exp : act;
		for (size_t i = n; i < more->n; i++) {
			frame_summary(&more->f[i], s, sizeof(s));
			fprintf(stderr, "  %s %zu: %s\n", more == exp ? "missing" : "extra", i, s);
			frame_hexdump(stderr, more == exp ? "expected" : "actual", &more->f[i],
				      SIZE_MAX);
		}
		bad = 1;
	}
	return bad;
}

int
main(int argc, char **argv)
{
	struct harness h;
	memset(&h, 0, sizeof(h));
	parse_args(argc, argv, &h.o);
	int fails = 0;

	struct frames in = { 0 }, exp = { 0 };
	pcap_load(h.o.in, &in);
	pcap_load(h.o.expect, &exp);

	eal_start(argv[0]);
	h.pool = rte_pktmbuf_pool_create("tern_pcap", POOL_MBUFS, 0, TERN_MBUF_PRIV_SIZE,
					 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (h.pool == NULL)
		die("pool: %s", rte_strerror(rte_errno));
	unsigned pool_start = rte_mempool_avail_count(h.pool);

	h.port = tern_port_mem_open("pcap", 1024, 1500);
	if (h.port == NULL)
		die("mem port: %s", strerror(errno));
	/* A fixed MAC, so that captures are stable from run to run. */
	static const uint8_t mac[6] = OUR_MAC;
	memcpy(h.port->mac, mac, 6);

	struct tern_conf conf = {
		.mode = TERN_MODE_INLINE, .port = h.port, .pool = h.pool,
		.ip = h.o.ip, .prefix_len = h.o.prefix, .gateway = h.o.gw, .seed = h.o.seed,
	};
	h.rt = tern_start(&conf);
	if (h.rt == NULL)
		die("tern_start: %s", strerror(errno));
	h.st = tern_rt_stack(h.rt);

	unsigned nsock = h.o.n_echo + h.o.n_bind;
	for (unsigned i = 0; i < nsock; i++) {
		uint16_t port = i < h.o.n_echo ? h.o.echo_port[i] : h.o.bind_port[i - h.o.n_echo];
		int fd = tern_socket_rt(h.rt, AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
		if (fd < 0 || tern_bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			die("UDP socket/bind: %s", strerror(errno));
		if (i < h.o.n_echo)
			h.echo_fd[i] = fd;
	}

	/* The virtual clock starts after every real-clock poll made above. */
	h.base = tern_clock_ns() + TERN_NS_PER_MS;
	h.ts0 = in.n > 0 ? in.f[0].ts_ns : 0;
	uint64_t vnow = h.base;
	settle(&h, vnow);
	if (h.out.n != 1 || !is_our_garp(&h.out.f[0], h.o.ip)) {
		fprintf(stderr, "FAIL: expected exactly one gratuitous ARP at start, got %zu frames\n",
			h.out.n);
		fails++;
	}
	frames_free(&h.out);

	for (size_t i = 0; i < in.n; i++) {
		if (in.f[i].ts_ns < h.ts0)
			die("%s: capture times go backwards", h.o.in);
		uint64_t t = h.base + (in.f[i].ts_ns - h.ts0);
		if (t < vnow)
			die("%s: capture times go backwards", h.o.in);
		run_timers_until(&h, &vnow, t);
		vnow = t;
		struct rte_mbuf *m = mbuf_from_frame(h.pool, &in.f[i]);
		if (m == NULL)
			die("%s", "mbuf alloc failed");
		if (tern_port_mem_inject(h.port, &m, 1) != 1)
			die("%s", "mem port inject failed");
		settle(&h, vnow);
	}
	run_timers_until(&h, &vnow, vnow + h.o.tail_ns);
	settle(&h, vnow);

	struct tern_stats stats;
	tern_stack_stats_read(h.st, &stats);
	printf("pcap_replay: %zu frames in, %zu frames out; counters:\n", in.n, h.out.n);
	tern_stats_print(stdout, &stats);
	for (unsigned i = 0; i < h.o.n_counter; i++) {
		const struct counter_want *w = &h.o.counter[i];
		uint64_t v = tern_stats_by_name(&stats, w->name);
		if (v == UINT64_MAX) {
			fprintf(stderr, "FAIL: no counter named '%s'\n", w->name);
			fails++;
		} else if (v != w->value) {
			fprintf(stderr, "FAIL: counter %s = %" PRIu64 ", want %" PRIu64 "\n",
				w->name, v, w->value);
			fails++;
		}
	}
	if (h.echo_fail != 0) {
		fprintf(stderr, "FAIL: %u echo socket errors\n", h.echo_fail);
		fails++;
	}

	tern_stop(h.rt);
	collect(&h, vnow);      /* nothing should come out, but it must be freed */
	tern_port_close(h.port);
	unsigned pool_end = rte_mempool_avail_count(h.pool);
	if (pool_end != pool_start) {
		fprintf(stderr, "FAIL: mbuf leak: pool had %u free at start, %u at the end\n",
			pool_start, pool_end);
		fails++;
	}

	if (h.o.out != NULL)
		pcap_store(h.o.out, &h.out);
	unsigned csum_bad = frames_verify_csums(h.out.f, h.out.n, stderr);
	if (csum_bad != 0) {
		fprintf(stderr, "FAIL: %u checksum problems in the frames the stack sent\n", csum_bad);
		fails++;
	}
	if (compare(&exp, &h.out) != 0)
		fails++;

	frames_free(&in);
	frames_free(&exp);
	frames_free(&h.out);
	if (pool_end == pool_start)
		rte_mempool_free(h.pool);
	rte_eal_cleanup();
	if (fails == 0)
		printf("pcap_replay: PASS\n");
	return fails == 0 ? 0 : 1;
}

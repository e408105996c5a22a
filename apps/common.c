/* Shared pieces of the Tern apps: backends, runtime options, statistics. */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "stack.h"

static int
kernel_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
tern_set_nonblock(int fd)
{
	return tern_setblocking(fd, false);
}

const struct backend backend_kernel = {
	.name = "kernel", .socket = socket, .bind = bind, .connect = connect,
	.sendto = sendto, .recvfrom = recvfrom, .setsockopt = setsockopt, .close = close,
	.listen = listen, .accept4 = accept4, .send = send, .recv = recv, .shutdown = shutdown,
	.set_nonblock = kernel_set_nonblock, .getsockopt = getsockopt, .poll = poll,
	.epoll_create1 = epoll_create1, .epoll_ctl = epoll_ctl, .epoll_wait = epoll_wait,
};

const struct backend backend_tern = {
	.name = "tern", .socket = tern_socket, .bind = tern_bind, .connect = tern_connect,
	.sendto = tern_sendto, .recvfrom = tern_recvfrom, .setsockopt = tern_setsockopt,
	.close = tern_close, .listen = tern_listen, .accept4 = tern_accept4, .send = tern_send,
	.recv = tern_recv, .shutdown = tern_shutdown, .set_nonblock = tern_set_nonblock,
	.getsockopt = tern_getsockopt, .poll = tern_poll, .epoll_create1 = tern_epoll_create1,
	.epoll_ctl = tern_epoll_ctl, .epoll_wait = tern_epoll_wait,
};

static struct tern_rt *the_rt;

const char app_rt_usage[] =
	"  --kernel            use Linux kernel sockets instead of Tern (no EAL arguments)\n"
	"  --ip A.B.C.D[/LEN]  Tern's address and prefix (default 198.18.0.2/24)\n"
	"  --gw A.B.C.D        default gateway\n"
	"  --mtu N             IP MTU (default 1500)\n"
	"  --mode lcore|inline stack on its own lcore, or driven by this thread (default lcore)\n"
	"  --port-id N         DPDK port (default 0)\n"
	"  --no-offload        software checksums even if the port offers offloads\n"
	"  --impair SPEC       impairment, e.g. 'rx:loss=1%,dup=0.5%;tx:nth=3;seed=7'\n"
	"  --seed N            stack PRNG seed (default random)\n"
	"  --max-sockets N     Tern descriptors (default 1024; raise for thousands of connections)\n"
	"  --mbufs N           mbufs in Tern's pool (default 8191)\n"
	"  --stats             print the stack's counters on exit\n";

int
app_parse_ip(const char *s, uint32_t *ip, uint8_t *plen)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		char *end;
		long l = strtol(slash + 1, &end, 10);
		if (*end != '\0' || l < 1 || l > 32 || plen == NULL)
			return -1;
		*plen = (uint8_t)l;
	}
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*ip = ntohl(a.s_addr);
	return 0;
}

int
app_parse_ipport(const char *s, struct sockaddr_in *out)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	char *colon = strrchr(buf, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, buf, &out->sin_addr) == 1 ? 0 : -1;
}

int
app_rt_option(struct app_rt_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (strcmp(a, "--kernel") == 0) {
		o->kernel = true;
		return 1;
	}
	if (strcmp(a, "--stats") == 0) {
		o->stats = true;
		return 1;
	}
	if (strcmp(a, "--no-offload") == 0) {
		o->conf.no_offload = true;
		return 1;
	}
	bool takes = strcmp(a, "--ip") == 0 || strcmp(a, "--gw") == 0 || strcmp(a, "--mtu") == 0 ||
		     strcmp(a, "--mode") == 0 || strcmp(a, "--port-id") == 0 ||
		     strcmp(a, "--impair") == 0 || strcmp(a, "--seed") == 0 ||
		     strcmp(a, "--max-sockets") == 0 || strcmp(a, "--mbufs") == 0;
	if (!takes)
		return 0;
	if (v == NULL) {
		fprintf(stderr, "%s needs a value\n", a);
		return -1;
	}
	(*i)++;
	int bad = 0;
	if (strcmp(a, "--ip") == 0) {
		bad = app_parse_ip(v, &o->conf.ip, &o->conf.prefix_len);
	} else if (strcmp(a, "--gw") == 0) {
		bad = app_parse_ip(v, &o->conf.gateway, NULL);
	} else if (strcmp(a, "--mtu") == 0) {
		long m = atol(v);
		bad = m < 576 || m > 9000;
		o->conf.mtu = (uint16_t)m;
	} else if (strcmp(a, "--mode") == 0) {
		if (strcmp(v, "lcore") == 0)
			o->conf.mode = TERN_MODE_LCORE;
		else if (strcmp(v, "inline") == 0)
			o->conf.mode = TERN_MODE_INLINE;
		else
			bad = 1;
	} else if (strcmp(a, "--port-id") == 0) {
		o->conf.port_id = (uint16_t)atoi(v);
	} else if (strcmp(a, "--impair") == 0) {
		memset(&o->impair, 0, sizeof(o->impair));
		bad = tern_impair_parse(v, &o->impair) != 0;
		o->have_impair = !bad;
	} else if (strcmp(a, "--seed") == 0) {
		o->conf.seed = strtoull(v, NULL, 0);
	} else if (strcmp(a, "--max-sockets") == 0) {
		long m = atol(v);
		bad = m < 1 || m > 65536;
		o->conf.max_sockets = (unsigned)m;
	} else if (strcmp(a, "--mbufs") == 0) {
		long m = atol(v);
		bad = m < 1024 || m > (1l << 24);
		o->conf.nb_mbufs = (unsigned)m;
	}
	if (bad) {
		fprintf(stderr, "bad value for %s: %s\n", a, v);
		return -1;
	}
	return 1;
}

const struct backend *
app_start(int argc, char **argv, int *first, struct app_rt_opts *o,
	  int (*parse)(struct app_rt_opts *, int, char **, void *), void *arg)
{
	/* --kernel anywhere means no EAL: then everything is ours. */
	bool kernel = false;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--kernel") == 0)
			kernel = true;
	int start = 1;
	if (!kernel) {
		int n = tern_eal_init(argc, argv);
		if (n < 0) {
			fprintf(stderr, "EAL init failed: %s\n", strerror(errno));
			return NULL;
		}
		start = n + 1;
		if (start < argc && strcmp(argv[start], "--") == 0)
			start++;
	} else {
		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "--") == 0)
				start = i + 1;
		/* The same clock as a Tern run (tern_eal_init() does this). */
		tern_clock_calibrate();
	}
	*first = start;
	o->kernel = kernel;
	if (o->conf.ip == 0)
		o->conf.ip = (198u << 24) | (18u << 16) | 2u;
	if (parse(o, argc - start, argv + start, arg) != 0)
		return NULL;
	if (o->kernel)
		return &backend_kernel;
	if (o->have_impair)
		o->conf.impair = &o->impair;
	the_rt = tern_start(&o->conf);
	if (the_rt == NULL) {
		fprintf(stderr, "tern_start failed: %s\n", strerror(errno));
		return NULL;
	}
	return &backend_tern;
}

void
app_stop(const struct app_rt_opts *o)
{
	if (o->kernel || the_rt == NULL)
		return;
	if (o->stats) {
		struct tern_stats st;
		tern_stats(the_rt, &st);
		printf("--- stack counters (non-zero) ---\n");
		tern_stats_print(stdout, &st);
	}
	tern_stop(the_rt);
	the_rt = NULL;
}

bool
app_wait_link(const struct app_rt_opts *o, unsigned timeout_ms)
{
	if (o->kernel || the_rt == NULL || o->conf.port != NULL)
		return true;
	uint64_t end = app_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		struct rte_eth_link link;
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(o->conf.port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return true;
		if (app_now_ns() >= end)
			return false;
		/* The PMD's control thread brings the link up; keep the stack
		 * running meanwhile (inline: nobody else does). */
		if (app_drive(o) == 0) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
}

void
app_idle(const struct app_rt_opts *o)
{
	if (!o->kernel && the_rt != NULL && o->conf.mode == TERN_MODE_INLINE) {
		tern_drive(the_rt);
		return;
	}
	/* Kernel sockets or the stack on its own lcore: give the core away
	 * briefly rather than spin (until a readiness API lets us sleep). */
	sched_yield();
}

unsigned
app_drive(const struct app_rt_opts *o)
{
	if (o->kernel || the_rt == NULL || o->conf.mode != TERN_MODE_INLINE)
		return 0;
	return tern_drive(the_rt);
}

const char *
app_stack_mode(const struct app_rt_opts *o)
{
	if (o->kernel)
		return "kernel";
	return o->conf.mode == TERN_MODE_INLINE ? "inline" : "lcore";
}

int
app_parse_size(const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (end == v || errno != 0 || v[0] == '-')
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end != '\0' || (shift != 0 && n > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)n << shift;
	return 0;
}

uint64_t
app_now_ns(void)
{
	/* Tern's poll-loop clock (stack/clock.c): the TSC scaled to
	 * CLOCK_MONOTONIC where the kernel keeps time with it, for both
	 * backends alike, so timing a request costs a few ns rather than a
	 * vDSO call on either. */
	return tern_clock_ns();
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[k] / 1000.0;
}

void
app_print_latency(const char *what, uint64_t *v, size_t n)
{
	if (n == 0) {
		printf("%s: no samples\n", what);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%s (us): n=%zu min=%.1f p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f\n",
	       what, n, (double)v[0] / 1000.0, pct(v, n, 0.5), pct(v, n, 0.9), pct(v, n, 0.99),
	       pct(v, n, 0.999), (double)v[n - 1] / 1000.0);
}

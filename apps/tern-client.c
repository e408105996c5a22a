/*
 * tern-client: sends N datagrams to a UDP echo server, one at a time, checks
 * every echo byte for byte and reports loss and round-trip percentiles.
 * Runs on Tern or (with --kernel) on kernel sockets against the same server.
 *   tern-client [EAL args] -- --server A.B.C.D:P [--count N] [--size S |
 *               --sizes MIN-MAX] [--timeout-ms T] [runtime options]
 * Exit status: 0 when every datagram came back intact, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

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
		"  --allow-loss        exit 0 even if echoes were lost\n%s", app_rt_usage);
}

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
	if (!o->have_server || o->size_min < 8 || o->size_max > 65507) {
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

int
main(int argc, char **argv)
{
	struct app_rt_opts rt = { 0 };
	struct client_opts o = { .count = 1000, .size_min = 64, .size_max = 64,
				 .timeout_ms = 1000, .warmup = 10, .seed = 1 };
	int first;
	const struct backend *b = app_start(argc, argv, &first, &rt, parse, &o);
	if (b == NULL)
		return 2;
	int fd = b->socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		app_stop(&rt);
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
	app_stop(&rt);
	bool ok = corrupt == 0 && (o.allow_loss || lost == 0);
	return ok ? 0 : 1;
}

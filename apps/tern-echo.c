/*
 * tern-echo: a UDP echo server on Tern (or on kernel sockets with --kernel,
 * for comparison). Every datagram is sent back to its sender unchanged.
 *   tern-echo [EAL args] -- [--udp-port P] [--duration S] [--count N] [runtime options]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common.h"

struct echo_opts {
	uint16_t port;
	double duration;   /* seconds, 0 = until a signal */
	uint64_t count;    /* stop after this many echoes, 0 = never */
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
		"  --udp-port P        port to serve (default 5005)\n"
		"  --duration S        stop after S seconds (default: run until SIGINT/SIGTERM)\n"
		"  --count N           stop after N echoes\n%s", app_rt_usage);
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
		if (strcmp(argv[i], "--udp-port") == 0 && v != NULL) {
			long p = atol(v);
			if (p < 1 || p > 65535) {
				fprintf(stderr, "bad port %s\n", v);
				return -1;
			}
			o->port = (uint16_t)p;
			i++;
		} else if (strcmp(argv[i], "--duration") == 0 && v != NULL) {
			o->duration = atof(v);
			i++;
		} else if (strcmp(argv[i], "--count") == 0 && v != NULL) {
			o->count = strtoull(v, NULL, 10);
			i++;
		} else {
			usage();
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct app_rt_opts rt = { 0 };
	struct echo_opts o = { .port = 5005 };
	int first;
	const struct backend *b = app_start(argc, argv, &first, &rt, parse, &o);
	if (b == NULL)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	int fd = b->socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		app_stop(&rt);
		return 1;
	}
	int one = 1;
	b->setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A short receive timeout lets the loop notice signals and deadlines. */
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	b->setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in addr;
	tern_addr("", o.port, &addr);   /* '' = INADDR_ANY, as in the socket module */
	if (b->bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("bind");
		b->close(fd);
		app_stop(&rt);
		return 1;
	}
	printf("tern-echo: %s UDP echo on port %u\n", b->name, o.port);
	fflush(stdout);

	static uint8_t buf[65536];
	uint64_t echoed = 0, bytes = 0, errors = 0;
	uint64_t start = app_now_ns();
	uint64_t end = o.duration > 0 ? start + (uint64_t)(o.duration * 1e9) : UINT64_MAX;
	while (!stop && app_now_ns() < end && (o.count == 0 || echoed < o.count)) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = b->recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				errors++;
			continue;
		}
		if (b->sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) != n) {
			errors++;
			continue;
		}
		echoed++;
		bytes += (uint64_t)n;
	}
	double secs = (double)(app_now_ns() - start) / 1e9;
	printf("tern-echo: echoed %llu datagrams (%llu bytes) in %.1f s, %llu errors\n",
	       (unsigned long long)echoed, (unsigned long long)bytes, secs,
	       (unsigned long long)errors);
	b->close(fd);
	app_stop(&rt);
	return 0;
}

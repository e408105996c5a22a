/*
 * What tern-echo and tern-client share: the socket backend (Tern or the
 * Linux kernel, same calls, so a comparison measures only the stack), the
 * command-line options that start a Tern runtime, and latency statistics.
 */
#ifndef TERN_APPS_COMMON_H
#define TERN_APPS_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "impair.h"
#include "tern.h"

struct backend {
	const char *name;
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*close)(int);
	int (*listen)(int, int);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	int (*shutdown)(int, int);
	/** Make @p fd non-blocking (fcntl O_NONBLOCK / tern_setblocking). */
	int (*set_nonblock)(int fd);
};
extern const struct backend backend_kernel;
extern const struct backend backend_tern;

/* Options that configure the Tern runtime (ignored with --kernel). */
struct app_rt_opts {
	struct tern_conf conf;
	struct tern_impair_conf impair;
	bool have_impair;
	bool kernel;         /* use kernel sockets, no DPDK at all */
	bool stats;          /* print stack counters on exit */
};

/** Handle one runtime option at argv[*i]; @return 1 if taken, 0 if not
 *  ours, -1 on a bad value (message printed). */
int app_rt_option(struct app_rt_opts *o, int argc, char **argv, int *i);
/** Usage lines for the runtime options. */
extern const char app_rt_usage[];
/**
 * Start what the options ask: EAL + Tern runtime, or nothing for --kernel.
 * @p argc/@p argv are the whole command line; with Tern, EAL arguments come
 * first and the application's after "--". On return *@p first is the index
 * of the first application argument. @return the backend, or NULL on error.
 */
const struct backend *app_start(int argc, char **argv, int *first, struct app_rt_opts *o,
				int (*parse)(struct app_rt_opts *, int, char **, void *), void *arg);
void app_stop(const struct app_rt_opts *o);
/** Nothing to do this loop: drive the stack (inline mode) or pause briefly. */
void app_idle(const struct app_rt_opts *o);

/** Parse "a.b.c.d[/len]" (host order out). @return 0 or -1. */
int app_parse_ip(const char *s, uint32_t *ip, uint8_t *plen);
/** Parse "a.b.c.d:port". */
int app_parse_ipport(const char *s, struct sockaddr_in *out);
uint64_t app_now_ns(void);
/** Sort @p v and print count, min, median, p90, p99, p99.9, max in microseconds. */
void app_print_latency(const char *what, uint64_t *v, size_t n);

#endif

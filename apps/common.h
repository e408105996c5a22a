/*
 * What tern-echo, tern-client and tern-bench share: the socket backend (Tern
 * or the Linux kernel, same calls, so a comparison measures only the stack),
 * the command-line options that start a Tern runtime, and latency statistics.
 */
#ifndef TERN_APPS_COMMON_H
#define TERN_APPS_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <poll.h>
#include <sys/epoll.h>
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
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	/* Readiness, Linux semantics on both (tern_poll / tern_epoll_*): one
	 * event loop serves either backend. With Tern in inline mode a wait
	 * with timeout 0 does not run the stack: call app_drive() each loop. */
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*epoll_create1)(int);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
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
/**
 * Tern on a DPDK port: wait up to @p timeout_ms for its link (a memif
 * link comes up only once both ends have connected; until then frames,
 * the first ARP request among them, are dropped and cost a 1 s retry).
 * Clients call it before they send; servers must not (their link waits for
 * the client). @return true when up (always for kernel sockets).
 */
bool app_wait_link(const struct app_rt_opts *o, unsigned timeout_ms);
/** Nothing to do this loop: drive the stack (inline mode) or pause briefly. */
void app_idle(const struct app_rt_opts *o);
/** Inline mode: run one stack iteration (receive, timers, transmit flush)
 *  and @return the work done; 0 and nothing for kernel sockets or a stack
 *  on its own lcore. Event loops call it once per iteration. */
unsigned app_drive(const struct app_rt_opts *o);
/** "kernel", "inline" or "lcore": what runs the protocol code. */
const char *app_stack_mode(const struct app_rt_opts *o);

/** Parse "a.b.c.d[/len]" (host order out). @return 0 or -1. */
int app_parse_ip(const char *s, uint32_t *ip, uint8_t *plen);
/** Parse "a.b.c.d:port". */
int app_parse_ipport(const char *s, struct sockaddr_in *out);
/** "123", "64k", "1m", "1g" (binary multiples) into @p out. @return 0 or -1. */
int app_parse_size(const char *v, uint64_t *out);
uint64_t app_now_ns(void);
/** Sort @p v and print count, min, median, p90, p99, p99.9, max in microseconds. */
void app_print_latency(const char *what, uint64_t *v, size_t n);

#endif

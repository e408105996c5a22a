/*
 * tern-bench's state, shared by its two files: tern-bench.c (options, the
 * event loop, the tests) and bench_report.c (progress lines, the summary on
 * stdout, the JSON file).
 */
#ifndef TERN_BENCH_H
#define TERN_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <netinet/in.h>

#include "bench_stats.h"
#include "common.h"

#define MAX_EVENTS 512
#define SCRATCH (64 * 1024)
#define SETUP_TIMEOUT_NS (10 * 1000000000ull)
#define BACKLOG_MAX (1u << 24)       /* open loop: queued arrivals before giving up */
#define KEEPALIVE_NS (200 * 1000000ull)

enum test { T_RR, T_CRR, T_STREAM };
extern const char *const test_names[];

struct bench_opts {
	enum test test;
	bool udp;
	unsigned conns;
	uint32_t size;         /* 0: the test's default */
	double duration;       /* s, 0 = none */
	uint64_t count;        /* measured requests, 0 = none */
	double rate;           /* requests/s in total, 0 = closed loop */
	bool recv_dir;         /* stream: server -> client */
	double warmup;
	const char *json;
	bool progress;
	struct sockaddr_in server;
	bool have_server;
	unsigned timeout_ms;   /* UDP rr: resend after */
	bool linger0;          /* crr: close with RST (no TIME-WAIT) */
	int verify;            /* -1: the test's default */
	double max_time;
	uint64_t arrival_seed;
};

enum slot_state { S_FREE, S_CONNECTING, S_IDLE, S_BUSY, S_DEAD };

/* A connection (TCP) or socket (UDP) and its request in progress. */
struct slot {
	int fd;
	uint8_t st;            /* enum slot_state */
	uint32_t events;       /* epoll interest */
	uint32_t sent, got;    /* bytes of the current request */
	uint64_t id;           /* current request: pattern base / UDP header */
	uint64_t start;        /* ns: scheduled (open loop) or issued time */
	uint64_t t_conn;       /* crr: connect() called */
	uint64_t deadline;     /* UDP rr: resend at */
	uint64_t off;          /* stream: bytes so far */
	uint64_t pkts, max_seq;/* UDP stream: datagrams sent/received, top seq + 1 */
	uint32_t retrans0;     /* TCP_INFO total retransmits at measure start */
};

enum phase { PH_SETUP, PH_WARMUP, PH_MEASURE, PH_DONE };

struct bench {
	const struct backend *b;
	const struct bench_opts *o;
	const struct app_rt_opts *rt;
	int ep;
	struct slot *s;
	unsigned nconnected, ndead;
	enum phase phase;
	bool verify, open_loop, aborted, timed_out;
	uint64_t next_id;
	uint8_t *pattern;
	uint8_t scratch[SCRATCH], txbuf[65536];
	/* time */
	uint64_t t0, t_warm, t_end, t_hard, t_meas0, t_meas1;
	uint64_t tsc0, tsc1;
	struct rusage ru0, ru1;
	/* open loop */
	double next_arrival, mean_gap_ns;
	uint64_t rng;
	uint64_t *backlog;
	size_t bl_head, bl_len, bl_cap, bl_max;
	unsigned *idle;
	unsigned nidle;
	/* measured (PH_MEASURE only) */
	uint64_t requests, tx_bytes, rx_bytes, lost, connects;
	struct hist lat, conn_lat;
	/* whole run */
	uint64_t total_requests, total_lost, stale, verify_err, errors, retrans;
	uint64_t udp_tx_pkts, udp_delivered, udp_rx_lost;
	bool udp_delivered_known;
	/* progress */
	uint64_t iv_req, iv_bytes, iv_t;
	struct hist iv;
	const char *abort_msg;
};

/* What the measured interval comes to (bench_report.c). */
struct summary {
	double secs, req_s, tx_mbs, rx_mbs, cycles_per_req, cycles_per_byte, tsc_hz;
	double user_ns_per_req, sys_ns_per_req;
	uint64_t bytes;
};

/** One --progress line for the second just past; resets its counters. */
void print_progress(struct bench *bn, uint64_t t);
struct summary summarize(const struct bench *bn);
void print_summary(const struct bench *bn, const struct summary *m);
/** Configuration and results as one JSON object into --json. @return 0 or -1. */
int write_json(const struct bench *bn, const struct summary *m, bool ok);

#endif

/* tern-bench's output: progress lines, the summary, the JSON file. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_lcore.h>
#include <rte_version.h>

#include "bench.h"

void
print_progress(struct bench *bn, uint64_t t)
{
	double dt = (double)(t - bn->iv_t) / 1e9;
	fprintf(stderr, "[%6.1fs] %s: ", (double)(t - bn->t_meas0) / 1e9, test_names[bn->o->test]);
	if (bn->o->test == T_STREAM)
		fprintf(stderr, "%.1f MB/s", (double)bn->iv_bytes / dt / 1e6);
	else
		fprintf(stderr, "%.0f req/s, p50 %.1f us, p99 %.1f us, max %.1f us",
			(double)bn->iv_req / dt, (double)hist_quantile(&bn->iv, 0.5) / 1e3,
			(double)hist_quantile(&bn->iv, 0.99) / 1e3,
			(double)hist_quantile(&bn->iv, 1.0) / 1e3);
	if (bn->o->udp && bn->o->test == T_RR)
		fprintf(stderr, ", lost %llu", (unsigned long long)bn->lost);
	if (bn->open_loop)
		fprintf(stderr, ", queued %zu", bn->bl_len);
	fprintf(stderr, ", errors %llu\n", (unsigned long long)bn->errors);
	bn->iv_req = bn->iv_bytes = 0;
	hist_reset(&bn->iv);
	bn->iv_t = t;
}

/* ---- report ---- */

static void
affinity_string(char *buf, size_t len)
{
	cpu_set_t set;
	buf[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	size_t used = 0;
	for (int c = 0; c < CPU_SETSIZE && used + 16 < len; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		int e = c;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &set))
			e++;
		used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? "," : "", c);
		if (e > c)
			used += (size_t)snprintf(buf + used, len - used, "-%d", e);
		c = e;
	}
}

static double
tv_ns(const struct timeval *a, const struct timeval *b)
{
	return ((double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_usec - a->tv_usec) * 1e3);
}

struct summary
summarize(const struct bench *bn)
{
	struct summary m = { 0 };
	m.secs = (double)(bn->t_meas1 - bn->t_meas0) / 1e9;
	if (m.secs <= 0)
		return m;
	double dtsc = (double)(bn->tsc1 - bn->tsc0);
	m.tsc_hz = dtsc / m.secs;
	m.req_s = (double)bn->requests / m.secs;
	m.tx_mbs = (double)bn->tx_bytes / m.secs / 1e6;
	m.rx_mbs = (double)bn->rx_bytes / m.secs / 1e6;
	m.bytes = bn->tx_bytes + bn->rx_bytes;
	if (bn->requests > 0) {
		m.cycles_per_req = dtsc / (double)bn->requests;
		m.user_ns_per_req = tv_ns(&bn->ru0.ru_utime, &bn->ru1.ru_utime) / (double)bn->requests;
		m.sys_ns_per_req = tv_ns(&bn->ru0.ru_stime, &bn->ru1.ru_stime) / (double)bn->requests;
	}
	if (m.bytes > 0)
		m.cycles_per_byte = dtsc / (double)m.bytes;
	return m;
}

int
write_json(const struct bench *bn, const struct summary *m, bool ok)
{
	const struct bench_opts *o = bn->o;
	FILE *f = strcmp(o->json, "-") == 0 ? stdout : fopen(o->json, "w");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", o->json, strerror(errno));
		return -1;
	}
	char aff[256], srv[32];
	affinity_string(aff, sizeof(aff));
	snprintf(srv, sizeof(srv), "%s:%u", inet_ntoa(o->server.sin_addr), ntohs(o->server.sin_port));
	struct json j;
	json_begin(&j, f);
	json_str(&j, "tool", "tern-bench");
	json_obj(&j, "config");
	json_str(&j, "test", test_names[o->test]);
	json_str(&j, "proto", o->udp ? "udp" : "tcp");
	json_u64(&j, "conns", o->conns);
	json_u64(&j, "size", o->size);
	json_str(&j, "loop", bn->open_loop ? "open" : "closed");
	if (bn->open_loop)
		json_num(&j, "rate", o->rate);
	else
		json_null(&j, "rate");
	if (o->test == T_STREAM)
		json_str(&j, "direction", o->recv_dir ? "recv" : "send");
	json_num(&j, "duration_s", o->duration);
	json_u64(&j, "count", o->count);
	json_num(&j, "warmup_s", o->warmup);
	json_bool(&j, "verify", bn->verify);
	json_str(&j, "server", srv);
	json_str(&j, "backend", bn->b->name);
	json_str(&j, "stack_mode", app_stack_mode(bn->rt));
	if (bn->rt->kernel)
		json_null(&j, "mtu");   /* the kernel's interface decides */
	else
		json_u64(&j, "mtu", bn->rt->conf.mtu ? bn->rt->conf.mtu : 1500);
	json_str(&j, "dpdk_version", rte_version());
	json_obj(&j, "cores");
	json_str(&j, "affinity", aff);
	json_i64(&j, "client_cpu", sched_getcpu());
	json_i64(&j, "online", sysconf(_SC_NPROCESSORS_ONLN));
	if (!bn->rt->kernel) {
		json_u64(&j, "eal_lcores", rte_lcore_count());
		json_u64(&j, "main_lcore", rte_get_main_lcore());
	}
	json_obj_end(&j);
	json_obj_end(&j);

	json_obj(&j, "results");
	json_bool(&j, "ok", ok);
	json_num(&j, "elapsed_s", m->secs);
	json_u64(&j, "requests", bn->requests);
	json_num(&j, "requests_per_s", m->req_s);
	if (o->test == T_CRR) {
		json_u64(&j, "connections", bn->connects);
		json_num(&j, "connections_per_s", (double)bn->connects / (m->secs > 0 ? m->secs : 1));
		json_hist(&j, "connect_latency_ns", &bn->conn_lat);
	}
	json_u64(&j, "tx_bytes", bn->tx_bytes);
	json_u64(&j, "rx_bytes", bn->rx_bytes);
	json_num(&j, "tx_mb_per_s", m->tx_mbs);
	json_num(&j, "rx_mb_per_s", m->rx_mbs);
	if (o->test != T_STREAM)
		json_hist(&j, "latency_ns", &bn->lat);
	json_num(&j, "tsc_hz", m->tsc_hz);
	json_num(&j, "cycles_per_request", m->cycles_per_req);
	json_num(&j, "cycles_per_byte", m->cycles_per_byte);
	json_str(&j, "cycles_note", "client thread wall TSC cycles over the measured interval "
		 "(busy-polling its core) / requests");
	json_num(&j, "cpu_user_ns_per_request", m->user_ns_per_req);
	json_num(&j, "cpu_sys_ns_per_request", m->sys_ns_per_req);
	json_str(&j, "cpu_note", "getrusage(RUSAGE_SELF) over the measured interval: the whole "
		 "process (with --mode lcore, the stack's lcore thread too)");
	json_u64(&j, "involuntary_context_switches",
		 (uint64_t)(bn->ru1.ru_nivcsw - bn->ru0.ru_nivcsw));
	json_str(&j, "involuntary_note", "times the kernel took the CPU from this process during "
		 "the measured interval (ru_nivcsw): each costs a busy-polling stack up to a "
		 "scheduler time slice, milliseconds, and shows in the latency tail");
	if (!o->udp)
		json_u64(&j, "retransmits", bn->retrans);
	if (o->udp && o->test == T_RR) {
		json_u64(&j, "lost", bn->lost);
		json_u64(&j, "lost_total", bn->total_lost);
	}
	if (o->udp && o->test == T_STREAM) {
		if (!o->recv_dir) {
			json_u64(&j, "datagrams_sent", bn->udp_tx_pkts);
			if (bn->udp_delivered_known)
				json_u64(&j, "datagrams_delivered", bn->udp_delivered);
			else
				json_null(&j, "datagrams_delivered");
		} else {
			json_u64(&j, "datagrams_lost", bn->udp_rx_lost);
		}
	}
	json_u64(&j, "stale", bn->stale);
	json_u64(&j, "max_queued", bn->bl_max);
	json_u64(&j, "errors", bn->errors);
	json_u64(&j, "verify_errors", bn->verify_err);
	json_str(&j, "abort", bn->aborted ? bn->abort_msg : bn->timed_out ? "max-time" : NULL);
	json_obj_end(&j);
	json_end(&j);
	if (f != stdout && fclose(f) != 0) {
		perror(o->json);
		return -1;
	}
	return 0;
}

void
print_summary(const struct bench *bn, const struct summary *m)
{
	const struct bench_opts *o = bn->o;
	printf("tern-bench: %s %s on %s/%s, %u conns, %u bytes, %s loop",
	       test_names[o->test], o->udp ? "udp" : "tcp", bn->b->name, app_stack_mode(bn->rt),
	       o->conns, o->size, bn->open_loop ? "open" : "closed");
	if (bn->open_loop)
		printf(" at %.0f req/s", o->rate);
	if (o->test == T_STREAM)
		printf(", %s", o->recv_dir ? "recv" : "send");
	printf("\n");
	if (o->test == T_STREAM)
		printf("throughput: %.2f s, %.1f MB/s (%llu bytes)%s\n", m->secs,
		       (o->recv_dir ? m->rx_mbs : m->tx_mbs),
		       (unsigned long long)(o->recv_dir ? bn->rx_bytes : bn->tx_bytes),
		       !o->recv_dir && !o->udp ? " handed to send()" : "");
	else
		printf("throughput: %.2f s, %llu requests, %.1f req/s, %.2f MB/s each way\n",
		       m->secs, (unsigned long long)bn->requests, m->req_s, m->tx_mbs);
	if (o->test == T_CRR)
		printf("connections: %llu, %.1f/s; connect p50 %.1f us p99 %.1f us\n",
		       (unsigned long long)bn->connects,
		       m->secs > 0 ? (double)bn->connects / m->secs : 0.0,
		       (double)hist_quantile(&bn->conn_lat, 0.5) / 1e3,
		       (double)hist_quantile(&bn->conn_lat, 0.99) / 1e3);
	if (o->test != T_STREAM)
		printf("latency (us): p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f mean=%.1f\n",
		       (double)hist_quantile(&bn->lat, 0.5) / 1e3,
		       (double)hist_quantile(&bn->lat, 0.9) / 1e3,
		       (double)hist_quantile(&bn->lat, 0.99) / 1e3,
		       (double)hist_quantile(&bn->lat, 0.999) / 1e3,
		       (double)hist_quantile(&bn->lat, 1.0) / 1e3, hist_mean(&bn->lat) / 1e3);
	if (o->test == T_STREAM)
		printf("cpu: %.2f cycles/byte (client thread wall cycles, TSC %.2f GHz)\n",
		       m->cycles_per_byte, m->tsc_hz / 1e9);
	else
		printf("cpu: %.0f cycles/request (client thread wall cycles, busy-polling, TSC %.2f "
		       "GHz); process CPU %.0f ns user + %.0f ns sys per request\n",
		       m->cycles_per_req, m->tsc_hz / 1e9, m->user_ns_per_req, m->sys_ns_per_req);
	printf("preempted: %ld times (involuntary context switches while measuring)\n",
	       bn->ru1.ru_nivcsw - bn->ru0.ru_nivcsw);
	if (!o->udp)
		printf("tcp: retransmits %llu", (unsigned long long)bn->retrans);
	else if (o->test == T_RR)
		printf("udp: lost %llu (measured), %llu (whole run), stale %llu",
		       (unsigned long long)bn->lost, (unsigned long long)bn->total_lost,
		       (unsigned long long)bn->stale);
	else if (!o->recv_dir && bn->udp_delivered_known)
		printf("udp: sent %llu datagrams, %llu delivered (%.2f%% lost, whole run)",
		       (unsigned long long)bn->udp_tx_pkts, (unsigned long long)bn->udp_delivered,
		       bn->udp_tx_pkts ? 100.0 * (double)(bn->udp_tx_pkts - bn->udp_delivered) /
		       (double)bn->udp_tx_pkts : 0.0);
	else
		printf("udp: %llu datagrams lost (sequence gaps, whole run)",
		       (unsigned long long)bn->udp_rx_lost);
	if (bn->open_loop)
		printf("; max queued arrivals %zu", bn->bl_max);
	printf("; errors %llu; verify errors %llu%s\n", (unsigned long long)bn->errors,
	       (unsigned long long)bn->verify_err, bn->verify ? "" : " (not verified)");
	if (bn->aborted)
		printf("aborted: %s\n", bn->abort_msg);
	if (bn->timed_out)
		printf("aborted: --max-time reached before the end of the test\n");
}

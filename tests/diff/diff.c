/*
 * tern-diff: runs the scenario table on one backend and writes the records,
 * or compares two record files (kernel, Tern) scenario by scenario and step
 * by step. run.sh drives it: kernel run, Tern run, compare.
 *
 *   tern-diff --backend kernel --sut-netns PATH --out FILE [--only S] [--after NAME]
 *   tern-diff [EAL args] -- --backend tern --out FILE [--only S] [--after NAME]
 *   tern-diff --compare KERNEL TERN [--only S]
 *   tern-diff --list
 *
 * Record file lines: scenario TAB step TAB label TAB value. A scenario that
 * runs longer than SCEN_MAX_S is declared hung: a HANG line is written and
 * the process exits 3, so run.sh can go on --after it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"
#include "tern.h"

/* ---- the table ---- */

static struct scenario *table;
static size_t n_table, cap_table;

void
scen_add(const char *name, scen_fn fn, intptr_t arg, const char *differs,
	 const char *differs_steps)
{
	if (n_table == cap_table) {
		cap_table = cap_table ? cap_table * 2 : 256;
		table = realloc(table, cap_table * sizeof(*table));
		if (table == NULL)
			abort();
	}
	for (size_t i = 0; i < n_table; i++)
		if (strcmp(table[i].name, name) == 0) {
			fprintf(stderr, "duplicate scenario %s\n", name);
			abort();
		}
	table[n_table++] = (struct scenario){
		.name = strdup(name), .fn = fn, .arg = arg, .differs = differs,
		.differs_steps = differs_steps,
	};
}

static void
register_all(void)
{
	scen_args_register();
	scen_udp_register();
	scen_tcp_register();
	scen_tcp_more_register();
	scen_flags_register();
	scen_poll_register();
	if (PORT_BASE + PORT_SPAN * n_table > EPH_LO) {
		fprintf(stderr, "too many scenarios for the port plan\n");
		abort();
	}
}

static bool
selected(const struct scenario *s, const char *only)
{
	return only == NULL || strstr(s->name, only) != NULL;
}

/* ---- running ---- */

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The watchdog's view of the running scenario. seq_cst throughout: a
 * once-a-second check, where plain ordering is the least surprising. */
static _Atomic uint64_t scen_started;   /* 0 = none running */
static const char *_Atomic scen_name;
static FILE *rec_out;

static void *
watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		sleep(1);
		uint64_t t0 = atomic_load(&scen_started);
		if (t0 == 0 || mono_ns() - t0 < (uint64_t)SCEN_MAX_S * 1000000000ull)
			continue;
		const char *name = atomic_load(&scen_name);
		fprintf(stderr, "HANG: scenario %s did not finish in %d s\n", name, SCEN_MAX_S);
		fprintf(rec_out, "%s\t-1\tHANG\tdid not finish in %d s\n", name, SCEN_MAX_S);
		fflush(rec_out);
		fflush(stdout);
		_exit(3);
	}
	return NULL;
}

static int
run_all(const struct backend *b, const char *out_path, const char *only, const char *after)
{
	FILE *out = fopen(out_path, after ? "a" : "w");
	if (out == NULL) {
		perror(out_path);
		return 2;
	}
	rec_out = out;
	pthread_t wd;
	pthread_create(&wd, NULL, watchdog, NULL);
	pthread_detach(wd);
	bool skipping = after != NULL;
	unsigned ran = 0;
	uint64_t t_all = mono_ns();
	for (size_t i = 0; i < n_table; i++) {
		const struct scenario *s = &table[i];
		if (skipping) {
			if (strcmp(s->name, after) == 0)
				skipping = false;
			continue;
		}
		if (!selected(s, only))
			continue;
		struct diff_ctx c = {
			.b = b, .sc = s, .out = out,
			.port0 = (uint16_t)(PORT_BASE + PORT_SPAN * i),
		};
		atomic_store(&scen_name, s->name);
		atomic_store(&scen_started, mono_ns());
		uint64_t t0 = mono_ns();
		s->fn(&c, s->arg);
		/* What the scenario left open, in reverse order of creation. */
		while (c.n_sut > 0)
			b->close(c.sut_fds[--c.n_sut]);
		while (c.n_peer > 0)
			close(c.peer_fds[--c.n_peer]);
		atomic_store(&scen_started, 0);
		/* A scenario that recorded nothing still shows up in the file. */
		if (c.step == 0)
			rec(&c, "end", "no steps");
		printf("%-44s %3d steps %6.0f ms\n", s->name, c.step, (mono_ns() - t0) / 1e6);
		ran++;
	}
	printf("%s run: %u scenarios in %.1f s\n", b->name, ran, (mono_ns() - t_all) / 1e9);
	fclose(out);
	return 0;
}

/* ---- comparing ---- */

struct rec_line {
	char *scen, *label, *value;
	int step;
};

struct rec_file {
	struct rec_line *l;
	size_t n;
};

static int
load(const char *path, struct rec_file *f)
{
	FILE *in = fopen(path, "r");
	if (in == NULL) {
		perror(path);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t n;
	f->l = NULL;
	f->n = 0;
	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		char *save, *sc = strtok_r(line, "\t", &save);
		char *st = strtok_r(NULL, "\t", &save);
		char *lb = strtok_r(NULL, "\t", &save);
		char *vl = strtok_r(NULL, "", &save);
		if (sc == NULL || st == NULL || lb == NULL)
			continue;
		if (f->n == lcap) {
			lcap = lcap ? lcap * 2 : 4096;
			f->l = realloc(f->l, lcap * sizeof(*f->l));
		}
		f->l[f->n++] = (struct rec_line){ strdup(sc), strdup(lb), strdup(vl ? vl : ""),
						  atoi(st) };
	}
	free(line);
	fclose(in);
	return 0;
}

/* The lines of scenario @p name (contiguous in a file; a resumed run
 * appends, so the last block wins). */
static struct rec_line *
lines_of(const struct rec_file *f, const char *name, size_t *count)
{
	struct rec_line *first = NULL;
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->l[i].scen, name) != 0)
			continue;
		if (f->l[i].step <= 0 && (i == 0 || strcmp(f->l[i - 1].scen, name) != 0)) {
			first = &f->l[i];
			n = 0;
		}
		n++;
	}
	*count = n;
	return first;
}

static bool
step_marked(const struct scenario *s, const char *label)
{
	if (s->differs == NULL || s->differs_steps == NULL)
		return false;
	if (strcmp(s->differs_steps, "*") == 0)
		return true;
	size_t ll = strlen(label);
	for (const char *p = s->differs_steps; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == ll && strncmp(p, label, n) == 0)
			return true;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

static void
unload(struct rec_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->l[i].scen);
		free(f->l[i].label);
		free(f->l[i].value);
	}
	free(f->l);
	f->l = NULL;
	f->n = 0;
}

static int
compare(const char *kpath, const char *tpath, const char *only)
{
	struct rec_file k, t;
	if (load(kpath, &k) != 0)
		return 2;
	if (load(tpath, &t) != 0) {
		unload(&k);
		return 2;
	}
	unsigned pass = 0, fail = 0, known = 0, total = 0;
	for (size_t i = 0; i < n_table; i++) {
		const struct scenario *s = &table[i];
		if (!selected(s, only))
			continue;
		total++;
		size_t nk, nt;
		struct rec_line *kl = lines_of(&k, s->name, &nk);
		struct rec_line *tl = lines_of(&t, s->name, &nt);
		unsigned bad = 0, marked = 0;
		char msg[8192];
		size_t mo = 0;
#define SAY(...) (mo += (size_t)snprintf(msg + mo, mo < sizeof(msg) ? sizeof(msg) - mo : 0, __VA_ARGS__))
		if (kl == NULL || tl == NULL) {
			SAY("    no records from %s\n", kl == NULL ? "the kernel run" : "the Tern run");
			bad++;
		} else {
			size_t n = nk > nt ? nk : nt;
			for (size_t j = 0; j < n; j++) {
				if (j >= nk || j >= nt) {
					const struct rec_line *x = j >= nk ? &tl[j] : &kl[j];
					SAY("    step %zu only in %s: %s = %s\n", j,
					    j >= nk ? "tern" : "kernel", x->label, x->value);
					bad++;
					break;
				}
				if (strcmp(kl[j].label, tl[j].label) != 0) {
					SAY("    step %zu diverges: kernel %s = %s | tern %s = %s\n", j,
					    kl[j].label, kl[j].value, tl[j].label, tl[j].value);
					bad++;
					break;
				}
				if (strcmp(kl[j].value, tl[j].value) == 0)
					continue;
				bool m = step_marked(s, kl[j].label);
				SAY("    %s step %zu %s: kernel \"%s\" | tern \"%s\"\n",
				    m ? "known" : "DIFF", j, kl[j].label, kl[j].value, tl[j].value);
				if (m)
					marked++;
				else
					bad++;
			}
		}
		if (bad > 0) {
			printf("FAIL  %s\n%s", s->name, msg);
			fail++;
		} else if (marked > 0) {
			printf("KNOWN %s (%s)\n%s", s->name, s->differs, msg);
			known++;
			pass++;
		} else {
			if (s->differs != NULL)
				printf("note: %s is marked as differing (%s) but matched\n",
				       s->name, s->differs);
			pass++;
		}
	}
	printf("\n%u scenarios: %u match the kernel (%u of them only by a documented "
	       "difference), %u do not\n", total, pass, known, fail);
	printf("diff: %u passed, %u failed\n", pass, fail);
	unload(&k);
	unload(&t);
	return fail == 0 ? 0 : 1;
}

/* ---- main ---- */

static void
usage(void)
{
	fprintf(stderr,
		"usage: tern-diff --backend kernel --sut-netns PATH --out FILE [--only S] [--after NAME]\n"
		"       tern-diff [EAL args] -- --backend tern --out FILE [--only S] [--after NAME]\n"
		"       tern-diff --compare KERNEL_FILE TERN_FILE [--only S]\n"
		"       tern-diff --list\n");
}

static struct tern_rt *
tern_up(void)
{
	struct tern_conf conf = {
		.mode = TERN_MODE_LCORE,
		.port_id = 0,
		.ip = SUT_IP,
		.prefix_len = 24,
		.gateway = PEER_IP,   /* as the kernel SUT's default route */
	};
	return tern_start(&conf);
}

int
main(int argc, char **argv)
{
	/* Both backends report EPIPE; the kernel's would also raise SIGPIPE
	 * (the backend passes MSG_NOSIGNAL, this covers the peer's close races). */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	register_all();

	int first = 1;
	bool eal = false;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			eal = true;
	if (eal) {
		int n = tern_eal_init(argc, argv);
		if (n < 0) {
			fprintf(stderr, "EAL init failed: %s\n", strerror(errno));
			return 2;
		}
		first = n + 1;
		if (first < argc && strcmp(argv[first], "--") == 0)
			first++;
	}
	const char *backend = NULL, *netns = NULL, *out = NULL, *only = NULL, *after = NULL;
	const char *cmp_k = NULL, *cmp_t = NULL;
	bool list = false;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--list") == 0) {
			list = true;
			continue;
		}
		if (strcmp(a, "--compare") == 0 && v != NULL && i + 2 < argc) {
			cmp_k = v;
			cmp_t = argv[i + 2];
			i += 2;
			continue;
		}
		if (v == NULL) {
			usage();
			return 2;
		}
		if (strcmp(a, "--backend") == 0)
			backend = v;
		else if (strcmp(a, "--sut-netns") == 0)
			netns = v;
		else if (strcmp(a, "--out") == 0)
			out = v;
		else if (strcmp(a, "--only") == 0)
			only = v;
		else if (strcmp(a, "--after") == 0)
			after = v;
		else {
			usage();
			return 2;
		}
		i++;
	}
	if (list) {
		for (size_t i = 0; i < n_table; i++)
			if (selected(&table[i], only))
				printf("%s%s%s\n", table[i].name, table[i].differs ? "  # differs: " : "",
				       table[i].differs ? table[i].differs : "");
		return 0;
	}
	if (cmp_k != NULL)
		return compare(cmp_k, cmp_t, only);
	if (backend == NULL || out == NULL) {
		usage();
		return 2;
	}
	if (strcmp(backend, "kernel") == 0) {
		if (netns == NULL || kernel_backend_init(netns) != 0) {
			fprintf(stderr, "kernel backend: cannot open namespace %s\n",
				netns ? netns : "(none)");
			return 2;
		}
		return run_all(&backend_kernel, out, only, after);
	}
	if (strcmp(backend, "tern") == 0) {
		if (!eal) {
			fprintf(stderr, "the Tern backend needs EAL arguments before --\n");
			return 2;
		}
		struct tern_rt *rt = tern_up();
		if (rt == NULL) {
			fprintf(stderr, "tern_start failed: %s\n", strerror(errno));
			return 2;
		}
		/* DPDK's net_tap raises a real-time signal at every frame the
		 * kernel writes to the TAP (its Rx trigger). Landing on this
		 * thread it would interrupt the peer's blocking kernel calls
		 * (EINTR); the EAL and stack threads, started above with the
		 * signals open, take it instead. */
		sigset_t rt_sigs;
		sigemptyset(&rt_sigs);
		for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
			sigaddset(&rt_sigs, sig);
		pthread_sigmask(SIG_BLOCK, &rt_sigs, NULL);
		int rc = run_all(&backend_tern, out, only, after);
		struct tern_stats st;
		tern_stats(rt, &st);
		printf("--- stack counters (non-zero) ---\n");
		tern_stats_print(stdout, &st);
		tern_stop(rt);
		return rc;
	}
	usage();
	return 2;
}

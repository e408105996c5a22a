/*
 * The 'mt' suite: Tern sockets used from many threads at once, as Linux's
 * are. Two Tern runtimes back to back in one process over an in-memory wire
 * (one shared mbuf pool), both in LCORE mode: EAL gets three lcores mapped
 * onto the machine's CPUs (--lcores), the two stack loops each pinned to a
 * CPU, the application threads free to run anywhere.
 *
 * Cases (one meson test each, picked with CK_RUN_CASE):
 *  own       8 threads, each with 4 connections of its own, 1-2 MiB each
 *            way at once, every byte checked, EOF exactly at the end.
 *  accept    4 threads accept on one listener: 64 connections, each
 *            accepted exactly once; closing the listener wakes all four.
 *  sharesend 4 threads send fixed-size messages (thread id + sequence) on
 *            one socket; the single reader gets each whole and in order.
 *  sharerecv 4 threads recv fixed-size messages with MSG_WAITALL on one
 *            socket while one writer sends: each message whole, once.
 *  udp       4 threads sendto() on one socket, 4 recvfrom() on another:
 *            every datagram whole, once, in order per sender and reader,
 *            or counted as dropped for a full buffer; close() wakes the
 *            blocked readers.
 *  all       the five above at the same time.
 *  wake_*    a blocked recv, accept, connect and send, each woken by data
 *            (or room, or the handshake), a peer reset, close() from
 *            another thread (EBADF) and a timeout; plus the call locks:
 *            a second blocked caller and a non-blocking one.
 *  closerace close() while threads hammer the socket, many times.
 *
 * No timed assertions: every blocking call has a safety timeout (SO_RCVTIMEO
 * / SO_SNDTIMEO) that fails the test, and every thread is joined with a
 * deadline that ends the program with a failure (a deadlock or lost
 * wake-up shows as that). "The thread is blocked" is checked white-box: the
 * socket's futex waiter count (or its call lock's contended state) says a
 * thread sleeps in it before the test sends the event that must wake it.
 * MT_SCALE (percent, default 100) scales the byte counts (for slow tools).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <check.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "port.h"
#include "sock_impl.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#define IP_A 0xc6120001u            /* 198.18.0.1 */
#define IP_B 0xc6120002u            /* 198.18.0.2 */
#define NB_MBUFS 65535u
/* Frames each way on the wire: more than 32 connections' send buffers, so
 * the wire itself never drops (a full tx ring is counted as a drop, and
 * then RTO backoff, up to 120 s, would stretch this test out of shape). */
#define WIRE_DEPTH 32768u
#define SAFE_S 30                   /* safety timeout of every blocking call */
#define JOIN_S 300                  /* a thread not done by then: deadlock */
#define SEEN_MAX 8192u

#define SA(p) ((struct sockaddr *)(p))

static struct rte_mempool *pool;
static struct tern_port *port_a, *port_b;
static struct tern_rt *rt_a, *rt_b;
static unsigned scale = 100;

/* ---- failures from any thread ---- */

static _Atomic unsigned fails;
static char fail_msg[512];

static void
tfail(const char *file, int line, const char *fmt, ...)
{
	/* relaxed: the first failure writes the message; join orders it. */
	if (atomic_fetch_add_explicit(&fails, 1, memory_order_relaxed) != 0)
		return;
	int n = snprintf(fail_msg, sizeof(fail_msg), "%s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fail_msg + n, sizeof(fail_msg) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "FAIL %s\n", fail_msg);
}

/* In threads (ck_assert must stay on the main thread): record and bail. */
#define TCHECK(cond, ...) do { \
	if (!(cond)) { \
		tfail(__FILE__, __LINE__, __VA_ARGS__); \
		goto out; \
	} \
} while (0)

static bool
failed(void)
{
	return atomic_load_explicit(&fails, memory_order_relaxed) != 0;
}

static void
assert_no_fail(void)
{
	ck_assert_msg(!failed(), "%s", fail_msg);
}

static void
spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	ck_assert_int_eq(pthread_create(t, NULL, fn, arg), 0);
}

/* Join or end the program: a thread stuck this long is a deadlock or a
 * lost wake-up, and the runtimes cannot be torn down under it. */
static void
join(pthread_t t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += JOIN_S;
	int rc = pthread_timedjoin_np(t, NULL, &ts);
	if (rc != 0) {
		fprintf(stderr, "FAIL: a thread did not finish within %d s (%s): "
			"deadlock or lost wake-up\n", JOIN_S, strerror(rc));
		fflush(NULL);
		_exit(EXIT_FAILURE);
	}
}

/* ---- set-up ---- */

static void
setup(void)
{
	atomic_store(&fails, 0);
	ck_assert_int_eq(tern_port_mem_pair("mt", WIRE_DEPTH, 1500, &port_a, &port_b), 0);
	struct tern_conf c = { .mode = TERN_MODE_LCORE, .port = port_a, .pool = pool,
			       .ip = IP_A, .prefix_len = 24, .seed = 21, .max_sockets = 1024 };
	rt_a = tern_start(&c);
	ck_assert_ptr_nonnull(rt_a);
	c.port = port_b;
	c.ip = IP_B;
	c.seed = 22;
	rt_b = tern_start(&c);
	ck_assert_ptr_nonnull(rt_b);
}

static void
teardown(void)
{
	if (getenv("MT_STATS") != NULL) {
		struct tern_stats st;
		tern_stats(rt_a, &st);
		printf("-- A\n");
		tern_stats_print(stdout, &st);
		tern_stats(rt_b, &st);
		printf("-- B\n");
		tern_stats_print(stdout, &st);
	}
	tern_stop(rt_a);
	tern_stop(rt_b);
	tern_port_close(port_a);
	tern_port_close(port_b);
	/* Every mbuf back: nothing leaked, nothing still in a ring. */
	ck_assert_uint_eq(rte_mempool_avail_count(pool), NB_MBUFS);
}

static struct sockaddr_in
sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(ip);
	a.sin_port = htons(port);
	return a;
}

static int
set_timeo(int fd, int name, long usec)
{
	struct timeval tv = { .tv_sec = usec / 1000000, .tv_usec = usec % 1000000 };
	return tern_setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv));
}

/* The safety net on both directions of @p fd. */
static int
safe_timeouts(int fd)
{
	if (set_timeo(fd, SO_RCVTIMEO, SAFE_S * 1000000L) != 0)
		return -1;
	return set_timeo(fd, SO_SNDTIMEO, SAFE_S * 1000000L);
}

static int
stream_socket(struct tern_rt *rt)
{
	int fd = tern_socket_rt(rt, AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && safe_timeouts(fd) != 0) {
		tern_close(fd);
		return -1;
	}
	return fd;
}

static int
listener(struct tern_rt *rt, uint16_t port, int backlog)
{
	int l = stream_socket(rt);
	if (l < 0)
		return -1;
	struct sockaddr_in a = sin_of(0, port);
	if (tern_bind(l, SA(&a), sizeof(a)) != 0 || tern_listen(l, backlog) != 0) {
		tern_close(l);
		return -1;
	}
	return l;
}

static int
connect_to(struct tern_rt *rt, uint32_t ip, uint16_t port)
{
	int c = stream_socket(rt);
	if (c < 0)
		return -1;
	struct sockaddr_in a = sin_of(ip, port);
	if (tern_connect(c, SA(&a), sizeof(a)) != 0) {
		int e = errno;
		tern_close(c);
		errno = e;
		return -1;
	}
	return c;
}

/* A connection from A (*c) to B (*s) through a listener on B:port. */
static bool
pair_ab(uint16_t port, int *c, int *s)
{
	int l = listener(rt_b, port, 4);
	if (l < 0)
		return false;
	*c = connect_to(rt_a, IP_B, port);
	*s = *c >= 0 ? tern_accept(l, NULL, NULL) : -1;
	tern_close(l);
	if (*c >= 0 && *s >= 0 && safe_timeouts(*s) == 0)
		return true;
	if (*c >= 0)
		tern_close(*c);
	if (*s >= 0)
		tern_close(*s);
	return false;
}

static uint64_t
scaled(uint64_t n)
{
	uint64_t v = n * scale / 100;
	return v == 0 ? 1 : v;
}

/* ---- white-box: is a thread asleep in a call on fd? ---- */

/* Until a thread sleeps on the socket's wait word (sock_wait's futex), or,
 * with @p lock, waits for that call lock (word 2 = contended). False if
 * @p done (the call's own flag, may be NULL) says the call returned. */
static bool
wait_asleep(int fd, struct sock_lock *(*lock)(struct tern_sock *), const _Atomic bool *done)
{
	struct tern_sock *s = sock_get(fd);
	if (s == NULL)
		return false;
	uint64_t until = tern_clock_ns() + (uint64_t)SAFE_S * TERN_NS_PER_SEC;
	for (;;) {
		bool asleep = lock != NULL ?
			atomic_load(&lock(s)->word) == 2 :
			atomic_load(&s->chan.waiters) > 0;
		if (asleep)
			return true;
		if (tern_clock_ns() > until || (done != NULL && atomic_load(done)))
			return false;
		usleep(200);
	}
}

static struct sock_lock *
recv_lock_of(struct tern_sock *s)
{
	return &s->recv_lock;
}

static struct sock_lock *
send_lock_of(struct tern_sock *s)
{
	return &s->send_lock;
}

/* ---- byte patterns ---- */

/* Byte @p off of stream @p sid: changes within 256 bytes and across 64 KiB,
 * so a lost, repeated or misplaced chunk is seen. */
static inline uint8_t
pat(uint32_t sid, uint64_t off)
{
	return (uint8_t)(off ^ (off >> 8) ^ (off >> 16) ^ (off >> 24) ^ (sid * 0x9du));
}

static void
pat_fill(uint8_t *p, uint32_t sid, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pat(sid, off + i);
}

/* @return the index of the first wrong byte, or n. */
static size_t
pat_check(const uint8_t *p, uint32_t sid, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pat(sid, off + i))
			return i;
	return n;
}

/* A message: header, then body bytes derived from the header. */
struct msg_hdr {
	uint32_t magic;
	uint32_t tid;
	uint32_t seq;
	uint32_t size;
};
#define MSG_MAGIC 0x7e42e7a1u

static void
msg_fill(uint8_t *p, size_t size, uint32_t tid, uint32_t seq)
{
	struct msg_hdr h = { .magic = MSG_MAGIC, .tid = tid, .seq = seq,
			     .size = (uint32_t)size };
	memcpy(p, &h, sizeof(h));
	pat_fill(p + sizeof(h), tid * 65599u + seq, 0, size - sizeof(h));
}

/* @return true if @p p is one whole message of @p size; *h its header. */
static bool
msg_check(const uint8_t *p, size_t size, struct msg_hdr *h)
{
	memcpy(h, p, sizeof(*h));
	if (h->magic != MSG_MAGIC || h->size != size)
		return false;
	return pat_check(p + sizeof(*h), h->tid * 65599u + h->seq, 0,
			 size - sizeof(*h)) == size - sizeof(*h);
}

/* ================= own: 8 threads, 4 connections each ================= */

#define OWN_THREADS 8
#define OWN_CONNS 4
#define OWN_PORT 6000
#define IO_CHUNK (64u * 1024)

struct own_dir {
	int tx, rx;              /* sender's and receiver's descriptors */
	uint32_t sid;
	uint64_t total, sent, rcvd;
};

struct own_arg {
	unsigned id;
};

static uint64_t
own_chunks(const struct own_dir *d)
{
	return (d->total + IO_CHUNK - 1) / IO_CHUNK;
}

/* Send chunk @p j of @p d (blocking), then SHUT_WR after the last.
 * @return false on failure (recorded). */
static bool
own_send(struct own_dir *d, uint64_t j, uint8_t *buf)
{
	uint64_t off = j * IO_CHUNK;
	size_t n = d->total - off < IO_CHUNK ? (size_t)(d->total - off) : IO_CHUNK;
	pat_fill(buf, d->sid, off, n);
	ssize_t r = tern_send(d->tx, buf, n, 0);
	if (r != (ssize_t)n) {
		tfail(__FILE__, __LINE__, "send sid %u chunk %lu: %zd %s", d->sid,
		      (unsigned long)j, r, strerror(errno));
		return false;
	}
	d->sent += n;
	if (d->sent == d->total && tern_shutdown(d->tx, SHUT_WR) != 0) {
		tfail(__FILE__, __LINE__, "shutdown: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Receive chunk @p j of @p d whole and check it. */
static bool
own_recv(struct own_dir *d, uint64_t j, uint8_t *buf)
{
	uint64_t off = j * IO_CHUNK;
	size_t n = d->total - off < IO_CHUNK ? (size_t)(d->total - off) : IO_CHUNK;
	ssize_t r = tern_recv(d->rx, buf, n, MSG_WAITALL);
	if (r != (ssize_t)n) {
		tfail(__FILE__, __LINE__, "recv sid %u chunk %lu: %zd %s", d->sid,
		      (unsigned long)j, r, strerror(errno));
		return false;
	}
	size_t bad = pat_check(buf, d->sid, off, n);
	if (bad != n) {
		tfail(__FILE__, __LINE__, "sid %u: wrong byte at offset %lu", d->sid,
		      (unsigned long)(off + bad));
		return false;
	}
	d->rcvd += n;
	return true;
}

/* One thread's own 4 connections: both directions of all of them move at
 * once, pipelined two chunks deep with blocking calls. A direction never
 * has more than two chunks (128 KiB) unread, well inside SO_SNDBUF, so a
 * send always completes without its reader: no deadlock by construction. */
static void *
own_thread(void *p)
{
	struct own_arg *a = p;
	uint16_t port = (uint16_t)(OWN_PORT + a->id);
	int l = -1, c[OWN_CONNS], s[OWN_CONNS];
	struct own_dir d[2 * OWN_CONNS];
	uint8_t *buf = malloc(IO_CHUNK);
	for (unsigned k = 0; k < OWN_CONNS; k++)
		c[k] = s[k] = -1;
	TCHECK(buf != NULL, "malloc");
	l = listener(rt_b, port, OWN_CONNS);
	TCHECK(l >= 0, "listen %u: %s", port, strerror(errno));
	for (unsigned k = 0; k < OWN_CONNS; k++) {
		c[k] = connect_to(rt_a, IP_B, port);
		TCHECK(c[k] >= 0, "connect %u: %s", port, strerror(errno));
	}
	/* Match accepted sockets to clients by the client's port. */
	for (unsigned k = 0; k < OWN_CONNS; k++) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		int fd = tern_accept(l, SA(&peer), &pl);
		TCHECK(fd >= 0, "accept %u: %s", port, strerror(errno));
		TCHECK(safe_timeouts(fd) == 0, "timeouts");
		bool matched = false;
		for (unsigned j = 0; j < OWN_CONNS && !matched; j++) {
			struct sockaddr_in me;
			socklen_t ml = sizeof(me);
			TCHECK(tern_getsockname(c[j], SA(&me), &ml) == 0, "getsockname");
			if (me.sin_port == peer.sin_port && s[j] < 0) {
				s[j] = fd;
				matched = true;
			}
		}
		TCHECK(matched, "accepted a connection from an unknown port %u",
		       ntohs(peer.sin_port));
	}
	uint64_t rounds = 0;
	for (unsigned k = 0; k < OWN_CONNS; k++) {
		uint32_t id = a->id * OWN_CONNS + k;
		/* 1 MiB and an odd tail; the way back a little longer. */
		uint64_t total = scaled((1u << 20) + id * 1021u + 1);
		d[2 * k] = (struct own_dir){ .tx = c[k], .rx = s[k], .sid = 2 * id,
					     .total = total };
		d[2 * k + 1] = (struct own_dir){ .tx = s[k], .rx = c[k], .sid = 2 * id + 1,
						 .total = total + 4099 };
		for (unsigned w = 0; w < 2; w++)
			if (own_chunks(&d[2 * k + w]) > rounds)
				rounds = own_chunks(&d[2 * k + w]);
	}
	for (uint64_t j = 0; j <= rounds && !failed(); j++) {
		for (unsigned k = 0; k < 2 * OWN_CONNS; k++)
			if (j < own_chunks(&d[k]) && !own_send(&d[k], j, buf))
				goto out;
		for (unsigned k = 0; k < 2 * OWN_CONNS; k++)
			if (j >= 1 && j - 1 < own_chunks(&d[k]) && !own_recv(&d[k], j - 1, buf))
				goto out;
	}
	/* Everything arrived; then EOF, exactly at the end. */
	for (unsigned k = 0; k < 2 * OWN_CONNS && !failed(); k++) {
		TCHECK(d[k].rcvd == d[k].total, "sid %u: %lu of %lu", d[k].sid,
		       (unsigned long)d[k].rcvd, (unsigned long)d[k].total);
		ssize_t r = tern_recv(d[k].rx, buf, IO_CHUNK, 0);
		TCHECK(r == 0, "sid %u: %zd after the end, not EOF (%s)", d[k].sid, r,
		       strerror(errno));
	}
out:
	for (unsigned k = 0; k < OWN_CONNS; k++) {
		if (c[k] >= 0)
			tern_close(c[k]);
		if (s[k] >= 0)
			tern_close(s[k]);
	}
	if (l >= 0)
		tern_close(l);
	free(buf);
	return NULL;
}

static void *
scen_own(void *unused)
{
	(void)unused;
	pthread_t t[OWN_THREADS];
	struct own_arg a[OWN_THREADS];
	for (unsigned i = 0; i < OWN_THREADS; i++) {
		a[i].id = i;
		if (pthread_create(&t[i], NULL, own_thread, &a[i]) != 0) {
			tfail(__FILE__, __LINE__, "pthread_create");
			for (unsigned j = 0; j < i; j++)
				join(t[j]);
			return NULL;
		}
	}
	for (unsigned i = 0; i < OWN_THREADS; i++)
		join(t[i]);
	return NULL;
}

START_TEST(test_own)
{
	setup();
	scen_own(NULL);
	assert_no_fail();
	teardown();
}
END_TEST

/* ================= accept: 4 threads, one listener ================= */

#define ACC_THREADS 4
#define ACC_CONNS 64u
#define ACC_PORT 7000

struct acc_state {
	int l;
	_Atomic unsigned accepted;
	_Atomic unsigned seen[ACC_CONNS];
	_Atomic unsigned ebadf;          /* acceptors woken by close() */
};

static void *
acc_thread(void *p)
{
	struct acc_state *st = p;
	for (;;) {
		int fd = tern_accept(st->l, NULL, NULL);
		if (fd < 0) {
			/* The end: the listener was closed under us. */
			TCHECK(errno == EBADF, "accept: %s", strerror(errno));
			atomic_fetch_add(&st->ebadf, 1);
			break;
		}
		uint32_t id;
		int ok = safe_timeouts(fd);
		ssize_t n = tern_recv(fd, &id, sizeof(id), MSG_WAITALL);
		tern_close(fd);
		TCHECK(ok == 0 && n == (ssize_t)sizeof(id), "recv id: %zd %s", n, strerror(errno));
		TCHECK(id < ACC_CONNS, "id %u", id);
		atomic_fetch_add(&st->seen[id], 1);
		atomic_fetch_add(&st->accepted, 1);
	}
out:
	return NULL;
}

static void *
scen_accept(void *unused)
{
	(void)unused;
	struct acc_state *st = calloc(1, sizeof(*st));
	pthread_t t[ACC_THREADS];
	int c[ACC_CONNS];
	unsigned nt = 0, nc = 0;
	TCHECK(st != NULL, "calloc");
	st->l = listener(rt_a, ACC_PORT, (int)ACC_CONNS);
	TCHECK(st->l >= 0, "listen: %s", strerror(errno));
	for (; nt < ACC_THREADS; nt++)
		TCHECK(pthread_create(&t[nt], NULL, acc_thread, st) == 0, "pthread_create");
	for (; nc < ACC_CONNS; nc++) {
		c[nc] = connect_to(rt_b, IP_A, ACC_PORT);
		TCHECK(c[nc] >= 0, "connect %u: %s", nc, strerror(errno));
		uint32_t id = nc;
		TCHECK(tern_send(c[nc], &id, sizeof(id), 0) == (ssize_t)sizeof(id),
		       "send id: %s", strerror(errno));
	}
	uint64_t until = tern_clock_ns() + (uint64_t)SAFE_S * TERN_NS_PER_SEC;
	while (atomic_load(&st->accepted) < ACC_CONNS && !failed()) {
		TCHECK(tern_clock_ns() < until, "only %u of %u accepted",
		       atomic_load(&st->accepted), ACC_CONNS);
		usleep(1000);
	}
	/* Every acceptor is now blocked (or about to be): close wakes them. */
out:
	if (st != NULL && st->l >= 0)
		tern_close(st->l);
	for (unsigned i = 0; i < nt; i++)
		join(t[i]);
	for (unsigned i = 0; i < nc; i++)
		tern_close(c[i]);
	if (st != NULL && !failed()) {
		for (unsigned i = 0; i < ACC_CONNS; i++)
			if (atomic_load(&st->seen[i]) != 1)
				tfail(__FILE__, __LINE__, "connection %u accepted %u times",
				      i, atomic_load(&st->seen[i]));
		if (atomic_load(&st->accepted) != ACC_CONNS)
			tfail(__FILE__, __LINE__, "%u accepted", atomic_load(&st->accepted));
		if (atomic_load(&st->ebadf) != ACC_THREADS)
			tfail(__FILE__, __LINE__, "%u acceptors woken by close",
			      atomic_load(&st->ebadf));
	}
	free(st);
	return NULL;
}

START_TEST(test_accept)
{
	setup();
	scen_accept(NULL);
	assert_no_fail();
	teardown();
}
END_TEST

/* ================= sharesend: 4 senders, one socket ================= */

#define SH_THREADS 4
#define SHS_PORT 7100
#define SHR_PORT 7200

struct shs_state {
	int fd;
	size_t size;
	uint32_t count;
	unsigned tid;
};

static void *
shs_sender(void *p)
{
	struct shs_state *st = p;
	uint8_t *m = malloc(st->size);
	TCHECK(m != NULL, "malloc");
	for (uint32_t seq = 0; seq < st->count && !failed(); seq++) {
		msg_fill(m, st->size, st->tid, seq);
		ssize_t n = tern_send(st->fd, m, st->size, 0);
		TCHECK(n == (ssize_t)st->size, "thread %u send %u: %zd %s", st->tid, seq, n,
		       strerror(errno));
	}
out:
	free(m);
	return NULL;
}

/* @p size-byte messages, @p count per thread, 4 threads on A, one reader on B. */
static void
shs_round(uint16_t port, size_t size, uint32_t count)
{
	int c = -1, s = -1;
	uint8_t *m = malloc(size);
	pthread_t t[SH_THREADS];
	struct shs_state st[SH_THREADS];
	unsigned nt = 0;
	uint32_t next[SH_THREADS] = { 0 };
	TCHECK(m != NULL, "malloc");
	TCHECK(pair_ab(port, &c, &s), "pair: %s", strerror(errno));
	for (; nt < SH_THREADS; nt++) {
		st[nt] = (struct shs_state){ .fd = c, .size = size, .count = count, .tid = nt };
		TCHECK(pthread_create(&t[nt], NULL, shs_sender, &st[nt]) == 0, "pthread_create");
	}
	/* The single reader: every message whole, each thread's in order. */
	for (uint64_t got = 0; got < (uint64_t)count * SH_THREADS; got++) {
		ssize_t n = tern_recv(s, m, size, MSG_WAITALL);
		TCHECK(n == (ssize_t)size, "recv message %lu: %zd %s", (unsigned long)got, n,
		       strerror(errno));
		struct msg_hdr h;
		TCHECK(msg_check(m, size, &h), "message %lu (size %zu) not whole: magic %#x "
		       "tid %u seq %u", (unsigned long)got, size, h.magic, h.tid, h.seq);
		TCHECK(h.tid < SH_THREADS && h.seq == next[h.tid], "thread %u: seq %u, expected %u",
		       h.tid, h.seq, h.tid < SH_THREADS ? next[h.tid] : 0);
		next[h.tid]++;
	}
	for (unsigned i = 0; i < nt; i++)
		join(t[i]);
	nt = 0;
	TCHECK(tern_shutdown(c, SHUT_WR) == 0, "shutdown");
	TCHECK(tern_recv(s, m, size, 0) == 0, "no EOF after the last message");
out:
	for (unsigned i = 0; i < nt; i++)
		join(t[i]);
	if (c >= 0)
		tern_close(c);
	if (s >= 0)
		tern_close(s);
	free(m);
}

static void *
scen_sharesend(void *unused)
{
	(void)unused;
	/* Small messages, many calls; then messages over two send chunks
	 * (64 KiB) that wait for buffer space mid-call. */
	shs_round(SHS_PORT, 100, (uint32_t)scaled(3000));
	if (!failed())
		shs_round(SHS_PORT + 1, 100003, (uint32_t)scaled(24));
	return NULL;
}

START_TEST(test_sharesend)
{
	setup();
	scen_sharesend(NULL);
	assert_no_fail();
	teardown();
}
END_TEST

/* ================= sharerecv: 4 readers, one socket ================= */

struct shr_state {
	int fd;
	size_t size;
	_Atomic unsigned *seen;
	_Atomic uint64_t total;
};

static void *
shr_reader(void *p)
{
	struct shr_state *st = p;
	uint8_t *m = malloc(st->size);
	int64_t last = -1;
	TCHECK(m != NULL, "malloc");
	for (;;) {
		ssize_t n = tern_recv(st->fd, m, st->size, MSG_WAITALL);
		if (n == 0)
			break;   /* EOF: the writer is done */
		TCHECK(n == (ssize_t)st->size, "recv: %zd %s (a message cut short)", n,
		       strerror(errno));
		struct msg_hdr h;
		TCHECK(msg_check(m, st->size, &h), "message not whole: magic %#x seq %u",
		       h.magic, h.seq);
		TCHECK(h.seq < SEEN_MAX, "seq %u", h.seq);
		/* One reader's messages come in stream order. */
		TCHECK((int64_t)h.seq > last, "seq %u after %ld", h.seq, (long)last);
		last = h.seq;
		atomic_fetch_add(&st->seen[h.seq], 1);
		atomic_fetch_add(&st->total, 1);
	}
out:
	free(m);
	return NULL;
}

static void
shr_round(uint16_t port, size_t size, uint32_t count)
{
	int c = -1, s = -1;
	uint8_t *m = malloc(size);
	pthread_t t[SH_THREADS];
	unsigned nt = 0;
	struct shr_state st = { .size = size };
	st.seen = calloc(SEEN_MAX, sizeof(*st.seen));
	TCHECK(m != NULL && st.seen != NULL && count <= SEEN_MAX, "malloc");
	TCHECK(pair_ab(port, &c, &s), "pair: %s", strerror(errno));
	st.fd = c;   /* readers on A, the writer on B */
	for (; nt < SH_THREADS; nt++)
		TCHECK(pthread_create(&t[nt], NULL, shr_reader, &st) == 0, "pthread_create");
	for (uint32_t seq = 0; seq < count && !failed(); seq++) {
		msg_fill(m, size, 9, seq);
		ssize_t n = tern_send(s, m, size, 0);
		TCHECK(n == (ssize_t)size, "send %u: %zd %s", seq, n, strerror(errno));
	}
	TCHECK(tern_shutdown(s, SHUT_WR) == 0, "shutdown");
out:
	if (nt < SH_THREADS && s >= 0)
		tern_shutdown(s, SHUT_WR);
	for (unsigned i = 0; i < nt; i++)
		join(t[i]);
	if (!failed() && st.seen != NULL) {
		for (uint32_t i = 0; i < count; i++)
			if (atomic_load(&st.seen[i]) != 1)
				tfail(__FILE__, __LINE__, "message %u received %u times", i,
				      atomic_load(&st.seen[i]));
		if (atomic_load(&st.total) != count)
			tfail(__FILE__, __LINE__, "%lu messages of %u",
			      (unsigned long)atomic_load(&st.total), count);
	}
	if (c >= 0)
		tern_close(c);
	if (s >= 0)
		tern_close(s);
	free(st.seen);
	free(m);
}

static void *
scen_sharerecv(void *unused)
{
	(void)unused;
	shr_round(SHR_PORT, 777, (uint32_t)scaled(5000));
	if (!failed())
		shr_round(SHR_PORT + 1, 70001, (uint32_t)scaled(150));
	return NULL;
}

START_TEST(test_sharerecv)
{
	setup();
	scen_sharerecv(NULL);
	assert_no_fail();
	teardown();
}
END_TEST

/* ================= udp: 4 senders, 4 receivers, one socket each side ===== */

#define UDP_THREADS 4
#define UDP_PORT_A 7900
#define UDP_PORT_B 7901
#define UDP_MAX 1472u            /* one frame: no fragments to account for */

struct udp_state {
	int a, b;
	uint32_t count;              /* datagrams per sender */
	_Atomic uint64_t received;
	_Atomic uint64_t ebadf;
	_Atomic uint8_t *seen;       /* [sender][seq] */
};

struct udp_arg {
	struct udp_state *st;
	unsigned tid;
};

static size_t
udp_size(unsigned tid, uint32_t seq)
{
	return sizeof(struct msg_hdr) + (tid * 7919u + seq * 104729u) % (UDP_MAX - 15);
}

static void *
udp_sender(void *p)
{
	struct udp_arg *a = p;
	struct udp_state *st = a->st;
	uint8_t m[UDP_MAX];
	struct sockaddr_in to = sin_of(IP_B, UDP_PORT_B);
	for (uint32_t seq = 0; seq < st->count && !failed(); seq++) {
		size_t n = udp_size(a->tid, seq);
		msg_fill(m, n, a->tid, seq);
		ssize_t r = tern_sendto(st->a, m, n, 0, SA(&to), sizeof(to));
		TCHECK(r == (ssize_t)n, "sendto %u/%u: %zd %s", a->tid, seq, r, strerror(errno));
	}
out:
	return NULL;
}

static void *
udp_receiver(void *p)
{
	struct udp_arg *a = p;
	struct udp_state *st = a->st;
	uint8_t m[UDP_MAX + 100];
	int64_t last[UDP_THREADS];
	for (unsigned i = 0; i < UDP_THREADS; i++)
		last[i] = -1;
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = tern_recvfrom(st->b, m, sizeof(m), 0, SA(&from), &fl);
		if (n < 0 && errno == EBADF) {
			atomic_fetch_add(&st->ebadf, 1);
			break;   /* closed under us: the end */
		}
		TCHECK(n >= (ssize_t)sizeof(struct msg_hdr), "recvfrom: %zd %s", n, strerror(errno));
		struct msg_hdr h;
		TCHECK(msg_check(m, (size_t)n, &h), "datagram not whole (%zd bytes)", n);
		TCHECK(h.tid < UDP_THREADS && h.seq < st->count, "tid %u seq %u", h.tid, h.seq);
		TCHECK((size_t)n == udp_size(h.tid, h.seq), "size %zd", n);
		TCHECK(ntohl(from.sin_addr.s_addr) == IP_A && ntohs(from.sin_port) == UDP_PORT_A,
		       "from %#x:%u", ntohl(from.sin_addr.s_addr), ntohs(from.sin_port));
		/* One receiver takes a sender's datagrams in the order sent. */
		TCHECK((int64_t)h.seq > last[h.tid], "sender %u: seq %u after %ld", h.tid, h.seq,
		       (long)last[h.tid]);
		last[h.tid] = h.seq;
		TCHECK(atomic_fetch_add(&st->seen[h.tid * st->count + h.seq], 1) == 0,
		       "datagram %u/%u received twice", h.tid, h.seq);
		atomic_fetch_add(&st->received, 1);
	}
out:
	return NULL;
}

static uint64_t
udp_drops_b(void)
{
	struct tern_stats st;
	tern_stats(rt_b, &st);
	return st.udp_rcvbuf_full;
}

static void *
scen_udp(void *unused)
{
	(void)unused;
	struct udp_state st = { .a = -1, .b = -1, .count = (uint32_t)scaled(3000) };
	pthread_t ts[UDP_THREADS], tr[UDP_THREADS];
	struct udp_arg args[UDP_THREADS];
	unsigned ns = 0, nr = 0;
	uint64_t drops0 = udp_drops_b();
	st.seen = calloc((size_t)UDP_THREADS * st.count, 1);
	TCHECK(st.seen != NULL, "calloc");
	st.a = tern_socket_rt(rt_a, AF_INET, SOCK_DGRAM, 0);
	st.b = tern_socket_rt(rt_b, AF_INET, SOCK_DGRAM, 0);
	TCHECK(st.a >= 0 && st.b >= 0, "socket: %s", strerror(errno));
	struct sockaddr_in la = sin_of(0, UDP_PORT_A), lb = sin_of(0, UDP_PORT_B);
	TCHECK(tern_bind(st.a, SA(&la), sizeof(la)) == 0 && tern_bind(st.b, SA(&lb), sizeof(lb)) == 0,
	       "bind: %s", strerror(errno));
	TCHECK(safe_timeouts(st.a) == 0 && safe_timeouts(st.b) == 0, "timeouts");
	int big = 1 << 20;
	TCHECK(tern_setsockopt(st.b, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) == 0, "SO_RCVBUF");
	/* Resolve B's address first, so no datagram waits for ARP. */
	struct sockaddr_in to = sin_of(IP_B, UDP_PORT_B);
	char c;
	TCHECK(tern_sendto(st.a, "x", 1, 0, SA(&to), sizeof(to)) == 1, "sendto");
	TCHECK(tern_recv(st.b, &c, 1, 0) == 1, "recv: %s", strerror(errno));
	for (; nr < UDP_THREADS; nr++) {
		args[nr] = (struct udp_arg){ .st = &st, .tid = nr };
		TCHECK(pthread_create(&tr[nr], NULL, udp_receiver, &args[nr]) == 0, "pthread");
	}
	for (; ns < UDP_THREADS; ns++)
		TCHECK(pthread_create(&ts[ns], NULL, udp_sender, &args[ns]) == 0, "pthread");
	for (unsigned i = 0; i < ns; i++)
		join(ts[i]);
	ns = 0;
	/* Every datagram is accounted for: received once, or dropped by B for
	 * a full receive buffer (Linux's udp_rcvbuf_full, UDP's right). */
	uint64_t total = (uint64_t)UDP_THREADS * st.count;
	uint64_t until = tern_clock_ns() + (uint64_t)SAFE_S * TERN_NS_PER_SEC;
	while (atomic_load(&st.received) + udp_drops_b() - drops0 < total && !failed()) {
		TCHECK(tern_clock_ns() < until, "%lu received, %lu dropped, of %lu",
		       (unsigned long)atomic_load(&st.received),
		       (unsigned long)(udp_drops_b() - drops0), (unsigned long)total);
		usleep(1000);
	}
	TCHECK(atomic_load(&st.received) + udp_drops_b() - drops0 == total,
	       "%lu received + %lu dropped != %lu", (unsigned long)atomic_load(&st.received),
	       (unsigned long)(udp_drops_b() - drops0), (unsigned long)total);
	TCHECK(atomic_load(&st.received) > 0, "nothing received");
out:
	/* The receivers are blocked in recvfrom(): close() wakes them all. */
	if (st.b >= 0)
		tern_close(st.b);
	for (unsigned i = 0; i < ns; i++)
		join(ts[i]);
	for (unsigned i = 0; i < nr; i++)
		join(tr[i]);
	if (!failed() && atomic_load(&st.ebadf) != nr)
		tfail(__FILE__, __LINE__, "%lu of %u receivers woken by close",
		      (unsigned long)atomic_load(&st.ebadf), nr);
	if (st.a >= 0)
		tern_close(st.a);
	free(st.seen);
	return NULL;
}

START_TEST(test_udp)
{
	setup();
	scen_udp(NULL);
	assert_no_fail();
	teardown();
}
END_TEST

START_TEST(test_all)
{
	setup();
	pthread_t t[5];
	spawn(&t[0], scen_own, NULL);
	spawn(&t[1], scen_accept, NULL);
	spawn(&t[2], scen_sharesend, NULL);
	spawn(&t[3], scen_sharerecv, NULL);
	spawn(&t[4], scen_udp, NULL);
	for (unsigned i = 0; i < 5; i++)
		join(t[i]);
	assert_no_fail();
	teardown();
}
END_TEST

/* ================= wake-ups ================= */

/* One blocking call run on a thread; the test waits for it to sleep, does
 * the thing that must wake it, and joins. */
enum bcall { B_RECV, B_ACCEPT, B_CONNECT, B_SEND };

struct blocked {
	enum bcall call;
	int fd;
	int flags;
	struct sockaddr_in to;      /* B_CONNECT */
	size_t len;                 /* B_RECV, B_SEND */
	uint8_t *buf;
	ssize_t rc;
	int err;
	_Atomic bool done;
};

static void *
blocked_thread(void *p)
{
	struct blocked *b = p;
	errno = 0;
	switch (b->call) {
	case B_RECV:
		b->rc = tern_recv(b->fd, b->buf, b->len, b->flags);
		break;
	case B_ACCEPT:
		b->rc = tern_accept(b->fd, NULL, NULL);
		break;
	case B_CONNECT:
		b->rc = tern_connect(b->fd, SA(&b->to), sizeof(b->to));
		break;
	case B_SEND:
		b->rc = tern_send(b->fd, b->buf, b->len, b->flags);
		break;
	}
	b->err = errno;
	atomic_store(&b->done, true);
	return NULL;
}

static void
start_blocked(pthread_t *t, struct blocked *b, enum bcall call, int fd, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->call = call;
	b->fd = fd;
	b->len = len;
	if (len > 0) {
		b->buf = malloc(len);
		ck_assert_ptr_nonnull(b->buf);
		memset(b->buf, 0x5a, len);
	}
	spawn(t, blocked_thread, b);
}

static void
end_blocked(pthread_t t, struct blocked *b)
{
	join(t);
	free(b->buf);
	b->buf = NULL;
}

/* The thread must be asleep in its call (not returned, waiting on the
 * socket's word). */
static void
assert_asleep(struct blocked *b, int fd)
{
	bool asleep = wait_asleep(fd, NULL, &b->done);
	ck_assert_msg(!atomic_load(&b->done), "the call returned early: %zd %s", b->rc,
		      strerror(b->err));
	ck_assert_msg(asleep, "the call never went to sleep");
}

static void
linger0_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	ck_assert_int_eq(tern_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ck_assert_int_eq(tern_close(fd), 0);
}

START_TEST(test_wake_recv)
{
	setup();
	pthread_t t, t2;
	struct blocked b, b2;
	int c, s;

	/* By data. */
	ck_assert(pair_ab(7300, &c, &s));
	start_blocked(&t, &b, B_RECV, c, 16);
	assert_asleep(&b, c);
	ck_assert_int_eq(tern_send(s, "wake", 4, 0), 4);
	end_blocked(t, &b);
	ck_assert_int_eq(b.rc, 4);

	/* By a timeout: SO_RCVTIMEO, then the socket module's timeout. */
	char buf[16];
	ck_assert_int_eq(set_timeo(c, SO_RCVTIMEO, 100000), 0);
	ck_assert_int_eq(tern_recv(c, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(set_timeo(c, SO_RCVTIMEO, SAFE_S * 1000000L), 0);
	ck_assert_int_eq(tern_settimeout(c, 0.1), 0);
	ck_assert_int_eq(tern_recv(c, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(tern_settimeout(c, -1), 0);

	/* The recv lock: a second blocking reader waits for the first (asleep
	 * on the lock), a non-blocking one answers EAGAIN at once. */
	start_blocked(&t, &b, B_RECV, c, 16);
	assert_asleep(&b, c);
	start_blocked(&t2, &b2, B_RECV, c, 16);
	ck_assert_msg(wait_asleep(c, recv_lock_of, &b2.done), "the second reader never waited");
	ck_assert_int_eq(tern_recv(c, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* A timed one gives up at its deadline while the lock is held. */
	ck_assert_int_eq(tern_settimeout(c, 0.05), 0);
	ck_assert_int_eq(tern_recv(c, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(tern_settimeout(c, -1), 0);
	/* By close() from another thread: both readers, EBADF (Linux would
	 * leave them blocked). */
	ck_assert_int_eq(tern_close(c), 0);
	end_blocked(t, &b);
	end_blocked(t2, &b2);
	ck_assert_int_eq(b.rc, -1);
	ck_assert_int_eq(b.err, EBADF);
	ck_assert_int_eq(b2.rc, -1);
	ck_assert_int_eq(b2.err, EBADF);
	ck_assert_int_eq(tern_close(s), 0);

	/* By a peer reset. */
	ck_assert(pair_ab(7301, &c, &s));
	start_blocked(&t, &b, B_RECV, c, 16);
	assert_asleep(&b, c);
	linger0_close(s);
	end_blocked(t, &b);
	ck_assert_int_eq(b.rc, -1);
	ck_assert_int_eq(b.err, ECONNRESET);
	ck_assert_int_eq(tern_close(c), 0);
	teardown();
}
END_TEST

START_TEST(test_wake_accept)
{
	setup();
	pthread_t t;
	struct blocked b;
	int l = listener(rt_a, 7400, 8);
	ck_assert_int_ge(l, 0);

	/* By a connection. */
	start_blocked(&t, &b, B_ACCEPT, l, 0);
	assert_asleep(&b, l);
	int c = connect_to(rt_b, IP_A, 7400);
	ck_assert_int_ge(c, 0);
	end_blocked(t, &b);
	ck_assert_int_ge(b.rc, TERN_FD_BASE);
	ck_assert_int_eq(tern_close((int)b.rc), 0);
	ck_assert_int_eq(tern_close(c), 0);

	/* By a timeout: SO_RCVTIMEO, then settimeout. */
	ck_assert_int_eq(set_timeo(l, SO_RCVTIMEO, 100000), 0);
	ck_assert_int_eq(tern_accept(l, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(set_timeo(l, SO_RCVTIMEO, SAFE_S * 1000000L), 0);
	ck_assert_int_eq(tern_settimeout(l, 0.1), 0);
	ck_assert_int_eq(tern_accept(l, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(tern_settimeout(l, -1), 0);

	/* By a peer reset: a connection reset as soon as it is made, then a
	 * good one. The woken accept either returns the reset connection
	 * (whose recv says ECONNRESET, as Linux) or, if the stack dropped it
	 * from the queue first, waits on; either way it must end with the
	 * good one and never report an error of its own. */
	start_blocked(&t, &b, B_ACCEPT, l, 0);
	assert_asleep(&b, l);
	c = connect_to(rt_b, IP_A, 7400);
	ck_assert_int_ge(c, 0);
	linger0_close(c);
	int good = connect_to(rt_b, IP_A, 7400);
	ck_assert_int_ge(good, 0);
	ck_assert_int_eq(tern_send(good, "GOOD", 4, 0), 4);
	end_blocked(t, &b);
	ck_assert_int_ge(b.rc, TERN_FD_BASE);
	int fd = (int)b.rc;
	for (int round = 0;; round++) {
		ck_assert_int_lt(round, 2);
		char buf[8];
		ck_assert_int_eq(safe_timeouts(fd), 0);
		ssize_t n = tern_recv(fd, buf, 4, MSG_WAITALL);
		int e = errno;
		if (n == 4) {
			ck_assert_mem_eq(buf, "GOOD", 4);
			ck_assert_int_eq(tern_close(fd), 0);
			break;
		}
		/* The reset one. */
		ck_assert_msg(n == -1 && e == ECONNRESET, "recv %zd %s", n, strerror(e));
		ck_assert_int_eq(tern_close(fd), 0);
		fd = tern_accept(l, NULL, NULL);
		ck_assert_int_ge(fd, TERN_FD_BASE);
	}
	ck_assert_int_eq(tern_close(good), 0);

	/* By close() from another thread: EBADF. */
	start_blocked(&t, &b, B_ACCEPT, l, 0);
	assert_asleep(&b, l);
	ck_assert_int_eq(tern_close(l), 0);
	end_blocked(t, &b);
	ck_assert_int_eq(b.rc, -1);
	ck_assert_int_eq(b.err, EBADF);
	teardown();
}
END_TEST

/* A listener on B whose accept queue is full (backlog 1, one connection
 * queued): the next SYN is dropped, so a connect to it blocks. */
static int
full_listener(uint16_t port, int *queued)
{
	int l = listener(rt_b, port, 1);
	ck_assert_int_ge(l, 0);
	*queued = connect_to(rt_a, IP_B, port);
	ck_assert_int_ge(*queued, 0);
	return l;
}

static uint64_t
overflows_b(void)
{
	struct tern_stats st;
	tern_stats(rt_b, &st);
	return st.tcp_listen_overflow;
}

/* A connect of a fresh socket on A to B:port, on a thread. */
static int
spawn_connect(pthread_t *t, struct blocked *b, uint16_t port)
{
	int c = stream_socket(rt_a);
	ck_assert_int_ge(c, 0);
	memset(b, 0, sizeof(*b));
	b->call = B_CONNECT;
	b->fd = c;
	b->to = sin_of(IP_B, port);
	spawn(t, blocked_thread, b);
	return c;
}

/* Until B's listener has dropped a SYN beyond @p before. */
static void
wait_syn_dropped(uint64_t before)
{
	uint64_t until = tern_clock_ns() + (uint64_t)SAFE_S * TERN_NS_PER_SEC;
	while (overflows_b() == before) {
		ck_assert_msg(tern_clock_ns() < until, "B never dropped the SYN");
		usleep(200);
	}
}

START_TEST(test_wake_connect)
{
	setup();
	pthread_t t;
	struct blocked b;
	int queued;
	int l = full_listener(7500, &queued);

	/* By the handshake: the listener takes its queued connection, so the
	 * retransmitted SYN (RFC 6298 2.1: after 1 s) finds room. */
	uint64_t drops = overflows_b();
	int c = spawn_connect(&t, &b, 7500);
	assert_asleep(&b, c);
	wait_syn_dropped(drops);
	int a1 = tern_accept(l, NULL, NULL);
	ck_assert_int_ge(a1, 0);
	join(t);
	ck_assert_int_eq(b.rc, 0);
	/* c's connection now fills the queue in its turn. */
	ck_assert_int_eq(tern_close(a1), 0);
	ck_assert_int_eq(tern_close(queued), 0);
	queued = c;

	/* By a timeout: SO_SNDTIMEO; Linux says EINPROGRESS. */
	c = stream_socket(rt_a);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(set_timeo(c, SO_SNDTIMEO, 150000), 0);
	struct sockaddr_in to = sin_of(IP_B, 7500);
	ck_assert_int_eq(tern_connect(c, SA(&to), sizeof(to)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	ck_assert_int_eq(tern_close(c), 0);

	/* By close() from another thread: EBADF. */
	c = spawn_connect(&t, &b, 7500);
	assert_asleep(&b, c);
	ck_assert_int_eq(tern_close(c), 0);
	join(t);
	ck_assert_int_eq(b.rc, -1);
	ck_assert_int_eq(b.err, EBADF);

	/* By a reset: the listener goes away; the retransmitted SYN meets a
	 * closed port, whose RST (RFC 9293 3.10.7.1) refuses the connect. */
	drops = overflows_b();
	c = spawn_connect(&t, &b, 7500);
	assert_asleep(&b, c);
	wait_syn_dropped(drops);
	ck_assert_int_eq(tern_close(l), 0);
	join(t);
	ck_assert_int_eq(b.rc, -1);
	ck_assert_int_eq(b.err, ECONNREFUSED);
	ck_assert_int_eq(tern_close(c), 0);
	ck_assert_int_eq(tern_close(queued), 0);
	teardown();
}
END_TEST

/* Fill c's send buffer while its peer @p s does not read: non-blocking
 * sends until EAGAIN, and then until the peer's receive buffer is full (its
 * window below one segment) and nothing moves any more (white box: c's
 * unsent bytes and s's unread bytes unchanged over five looks 50 ms apart),
 * so the window is shut rather than the stack just behind (slow under the
 * sanitizers). */
static void
fill_sndbuf(int c, int s)
{
	static uint8_t chunk[IO_CHUNK];
	struct tern_sock *sc = sock_get(c), *ss = sock_get(s);
	ck_assert(sc != NULL && ss != NULL);
	uint64_t until = tern_clock_ns() + (uint64_t)SAFE_S * TERN_NS_PER_SEC;
	unsigned still = 0;
	uint32_t tx = 0, rx = 0;
	while (still < 5) {
		ck_assert_msg(tern_clock_ns() < until, "the send buffer never filled");
		ssize_t n = tern_send(c, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n >= 0) {
			still = 0;
			continue;
		}
		ck_assert_int_eq(errno, EAGAIN);
		uint32_t tx2 = atomic_load(&sc->chan.tx_bytes), rx2 = atomic_load(&ss->chan.rx_bytes);
		bool full = rx2 + 1460 >= atomic_load(&ss->chan.rcvbuf);
		still = full && tx2 == tx && rx2 == rx ? still + 1 : 0;
		tx = tx2;
		rx = rx2;
		usleep(50000);
	}
}

/* A send blocked on a full buffer may take the little room a shut window
 * still lets through before the event that ends it; then it returns that
 * partial count (the rule for partial writes) and the next call reports
 * the error. @return the errno the blocked call ended with. */
static int
send_end_errno(const struct blocked *b, int fd)
{
	if (b->rc == -1)
		return b->err;
	ck_assert_msg(b->rc > 0 && (size_t)b->rc < b->len, "send returned %zd of %zu", b->rc,
		      b->len);
	uint8_t one = 1;
	ck_assert_int_eq(tern_send(fd, &one, 1, MSG_DONTWAIT), -1);
	return errno;
}

START_TEST(test_wake_send)
{
	setup();
	pthread_t t, t2;
	struct blocked b, b2;
	int c, s;

	/* By room: the peer reads. */
	ck_assert(pair_ab(7600, &c, &s));
	fill_sndbuf(c, s);
	start_blocked(&t, &b, B_SEND, c, 100000);
	assert_asleep(&b, c);
	static uint8_t sink[1 << 20];
	uint64_t until = tern_clock_ns() + (uint64_t)SAFE_S * TERN_NS_PER_SEC;
	while (!atomic_load(&b.done)) {
		ck_assert_msg(tern_clock_ns() < until, "the sender never finished");
		ssize_t n = tern_recv(s, sink, sizeof(sink), MSG_DONTWAIT);
		ck_assert_msg(n > 0 || (n < 0 && errno == EAGAIN), "recv %zd %s", n,
			      strerror(errno));
		usleep(1000);
	}
	end_blocked(t, &b);
	ck_assert_int_eq(b.rc, 100000);

	/* By a timeout. */
	fill_sndbuf(c, s);
	ck_assert_int_eq(set_timeo(c, SO_SNDTIMEO, 100000), 0);
	uint8_t one[4096];
	memset(one, 1, sizeof(one));
	ck_assert_int_eq(tern_send(c, one, sizeof(one), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(set_timeo(c, SO_SNDTIMEO, SAFE_S * 1000000L), 0);

	/* The send lock: a second blocking sender waits for the first, a
	 * non-blocking one answers EAGAIN; close() wakes both with EBADF. */
	start_blocked(&t, &b, B_SEND, c, 5000);
	assert_asleep(&b, c);
	start_blocked(&t2, &b2, B_SEND, c, 5000);
	ck_assert_msg(wait_asleep(c, send_lock_of, &b2.done), "the second sender never waited");
	ck_assert_int_eq(tern_send(c, one, 1, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(tern_close(c), 0);
	join(t);
	join(t2);
	ck_assert_int_eq(send_end_errno(&b, c), EBADF);
	/* The second never had the turn: no partial write possible. */
	ck_assert_int_eq(b2.rc, -1);
	ck_assert_int_eq(b2.err, EBADF);
	free(b.buf);
	free(b2.buf);
	ck_assert_int_eq(tern_close(s), 0);

	/* By a peer reset. */
	ck_assert(pair_ab(7601, &c, &s));
	fill_sndbuf(c, s);
	start_blocked(&t, &b, B_SEND, c, 5000);
	assert_asleep(&b, c);
	linger0_close(s);
	join(t);
	/* Linux: ECONNRESET once, EPIPE after (after a partial write the next
	 * call may be the second). */
	int e = send_end_errno(&b, c);
	ck_assert_msg(e == ECONNRESET || (b.rc > 0 && e == EPIPE), "%s", strerror(e));
	free(b.buf);
	ck_assert_int_eq(tern_close(c), 0);
	teardown();
}
END_TEST

/* ================= close while threads hammer the socket ================= */

#define RACE_ROUNDS 100

struct race_state {
	int fd;
	unsigned kind;
	_Atomic bool go;
};

static void *
race_thread(void *p)
{
	struct race_state *st = p;
	uint8_t buf[2048];
	memset(buf, 7, sizeof(buf));
	while (!atomic_load(&st->go))
		;
	for (unsigned i = 0;; i++) {
		ssize_t r;
		switch ((st->kind + i) % 4) {
		case 0:
			r = tern_recv(st->fd, buf, sizeof(buf), 0);
			break;
		case 1:
			r = tern_send(st->fd, buf, sizeof(buf), 0);
			break;
		case 2: {
			struct sockaddr_in a;
			socklen_t al = sizeof(a);
			r = tern_getsockname(st->fd, SA(&a), &al);
			break;
		}
		default:
			r = tern_recv(st->fd, buf, sizeof(buf), MSG_DONTWAIT);
			break;
		}
		if (r < 0 && errno == EBADF)
			break;   /* closed: the only way out */
		TCHECK(r >= 0 || errno == EAGAIN, "call %u: %s", (st->kind + i) % 4,
		       strerror(errno));
		TCHECK(i < 10000000u, "never saw the close");
	}
out:
	return NULL;
}

START_TEST(test_closerace)
{
	setup();
	for (unsigned round = 0; round < RACE_ROUNDS && !failed(); round++) {
		int c, s;
		ck_assert(pair_ab((uint16_t)(7700 + round), &c, &s));
		struct race_state st[3];
		pthread_t t[3];
		for (unsigned i = 0; i < 3; i++) {
			st[i] = (struct race_state){ .fd = c, .kind = i };
			spawn(&t[i], race_thread, &st[i]);
		}
		for (unsigned i = 0; i < 3; i++)
			atomic_store(&st[i].go, true);
		/* The peer sends a little, then close() at a varying moment. */
		uint8_t buf[1000];
		memset(buf, 3, sizeof(buf));
		for (unsigned k = 0; k < round % 7; k++)
			ck_assert_int_eq(tern_send(s, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
		for (volatile unsigned spin = 0; spin < round * 1000u; spin++)
			;
		ck_assert_int_eq(tern_close(c), 0);
		for (unsigned i = 0; i < 3; i++)
			join(t[i]);
		ck_assert_int_eq(tern_close(s), 0);
	}
	assert_no_fail();
	teardown();
}
END_TEST

int
main(void)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "one CPU: skipped\n");
		return 77;
	}
	const char *sc = getenv("MT_SCALE");
	if (sc != NULL && atoi(sc) > 0)
		scale = (unsigned)atoi(sc);
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=tern-mt-%d", (int)getpid());
	/* Three lcores on two CPUs: main floats, each stack loop has a CPU. */
	char *argv[] = { "mt", "--no-huge", "-m", "1024", "--no-pci", prefix,
			 "--log-level=lib.eal:error", "--no-telemetry",
			 "--lcores=0@(0-1),1@1,2@0", NULL };
	if (tern_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "EAL: %s: skipped\n", strerror(errno));
		return 77;
	}
	if (rte_lcore_count() < 3) {
		fprintf(stderr, "fewer than 3 lcores: skipped\n");
		return 77;
	}
	/* Application threads are not EAL lcores: they have no mempool cache
	 * and may be preempted inside the pool's ring. RTS mode (relaxed tail
	 * sync) keeps one preempted thread from stalling every other one
	 * (DPDK's guide, "Ring Library": MT RTS/HTS modes for overcommitted
	 * systems), which the classic ring does on a loaded 2-CPU machine. */
	pool = rte_pktmbuf_pool_create_by_ops("mt_pool", NB_MBUFS, 256, TERN_MBUF_PRIV_SIZE,
					      RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY,
					      "ring_mt_rts");
	if (pool == NULL)
		return EXIT_FAILURE;

	Suite *s = suite_create("mt");
	struct { const char *name; const TTest *fn; } cases[] = {
		{ "own", test_own }, { "accept", test_accept },
		{ "sharesend", test_sharesend }, { "sharerecv", test_sharerecv },
		{ "udp", test_udp }, { "all", test_all }, { "wake_recv", test_wake_recv },
		{ "wake_accept", test_wake_accept }, { "wake_connect", test_wake_connect },
		{ "wake_send", test_wake_send }, { "closerace", test_closerace },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_set_timeout(tc, 600);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (nfailed != 0) {
		/* A failed case skipped its teardown: the stack lcores still run,
		 * and EAL's clean-up at exit would wait for them forever. */
		fflush(NULL);
		_exit(EXIT_FAILURE);
	}
	return EXIT_SUCCESS;
}

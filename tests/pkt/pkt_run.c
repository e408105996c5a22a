/*
 * pkt_run: runs one packetdrill-format script (.pkt) against one Tern stack
 * on an in-memory port, on a virtual clock. Inbound packets are built from
 * the script and injected; what Tern sends is matched against the outbound
 * lines; system calls go through Tern's socket API (api/tern.h). Exit 0 when
 * every event happened as written, 1 on the first mismatch (the line, the
 * expected and the actual packet are printed), 2 on a usage/setup error.
 * Parsing: pkt_parse.c; packets: pkt_wire.c; the supported syntax and the
 * address mapping: README.md. Registered per script in meson suite 'pkt'.
 * A TCP line longer than the segment Tern sent is matched by the run of
 * contiguous segments that covers it (packetdrill's GSO view, README).
 *
 * Clock: the runtime is started with conf.external_clock, so socket calls
 * never drive the stack; this thread alone polls it, with tern_drive_at(rt,
 * vnow), vnow = VBASE + script time. Between events the clock stops at
 * every stack deadline.
 *
 * System calls (the blocking-call model): like packetdrill, calls run on a
 * separate system-call thread; this thread keeps polling the stack at the
 * call's virtual time until the call returns (socket/bind/close... are
 * requests the stack must serve). A call that may block on a blocking socket
 * (recv, recvfrom, read, send, sendto, write) is issued with MSG_DONTWAIT;
 * if that says EAGAIN the call is "blocked": the script goes on, and after
 * every later step of the stack the call is issued again (MSG_DONTWAIT),
 * until it succeeds; the virtual time of that step is when it returned.
 * So a blocking call returns exactly when the stack first lets it, with no
 * real-time races. A blocked call must be written START...END (packetdrill),
 * and it must return within the tolerance of END.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include "pkt_script.h"
#include "pkt_wire.h"
#include "port.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"
#include "test_eal.h"
#include "wire.h"

#define OUR_MAC    { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 }
#define REMOTE_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }
#define VBASE (1000 * TERN_NS_PER_SEC)   /* virtual time of script time 0 */
#define NS_PER_US 1000ull
/* The remote port of datagrams sent to a socket that is bound but not
 * connected (packetdrill picks an ephemeral port of its own). */
#define REMOTE_EPHEMERAL_PORT 40000
#define MAX_FDS 256
#define MAX_FLOWS 16
#define POOL_MBUFS 4095u
#define SETTLE_ROUNDS_MIN 3
#define SETTLE_ROUNDS_MAX 64
#define ANY_TIME_LIMIT_NS (120 * TERN_NS_PER_SEC)  /* '*' waits at most this long */
#define WATCHDOG_NS (20 * TERN_NS_PER_SEC)         /* real time a call may take */

enum call_op {
	OP_SOCKET = 1, OP_BIND, OP_CONNECT, OP_SEND, OP_SENDTO, OP_RECV, OP_RECVFROM,
	OP_CLOSE, OP_GETSOCKOPT, OP_SETSOCKOPT, OP_FCNTL, OP_GETSOCKNAME, OP_GETPEERNAME,
	OP_LISTEN, OP_ACCEPT, OP_SHUTDOWN,
};

/* A system call ready to run: arguments resolved to Tern's terms. */
struct call {
	enum call_op op;
	int fd;                   /* Tern descriptor */
	int domain, type, proto;
	struct sockaddr_in sa;    /* bind/connect/sendto address */
	socklen_t salen;
	bool to_null;             /* sendto without an address */
	size_t len;
	int flags;
	int level, name;
	int64_t optval;
	socklen_t optlen;
	bool linger;              /* optval is {onoff=, linger=} */
	int l_onoff, l_linger;
	int how;                  /* shutdown */
	int64_t fcntl_cmd, fcntl_arg;
	bool may_block;           /* try with MSG_DONTWAIT; EAGAIN = blocked */
	bool stream;              /* the descriptor is a SOCK_STREAM socket */
	bool started;             /* blocking connect: the SYN is out, waiting */
	size_t done;              /* blocking stream send: bytes taken so far */
	/* results */
	int64_t ret;
	int err;
	int64_t optval_out;
	socklen_t optlen_out;
	uint16_t local_port;      /* getsockname after bind/connect/send */
	uint16_t peer_port;       /* accept: the new connection's remote port */
};

enum job_state { JOB_IDLE = 0, JOB_RUN, JOB_DONE, JOB_BLOCKED, JOB_QUIT };

struct outframe {
	uint8_t *data;            /* IPv4 packet */
	size_t len;
	uint64_t t;               /* virtual time it was collected */
};

struct harness {
	const char *path;
	struct pkt_script s;
	struct rte_mempool *pool;
	struct tern_port *port;
	struct tern_rt *rt;
	struct tern_stack *st;
	uint64_t vnow;
	struct pkt_flow flow;     /* the connection under test (packetdrill's) */
	/* Other TCP connections of the script, by remote port (explicit
	 * SPORT>DPORT lines, or several children of one listener). */
	struct pkt_flow flows[MAX_FLOWS];
	unsigned nflows;
	int fdmap[MAX_FDS];       /* script fd -> Tern fd, -1 none */
	bool fdstream[MAX_FDS];   /* script fd is a SOCK_STREAM socket */
	/* outbound IPv4 packets not matched yet */
	struct outframe *q;
	size_t qn, qcap;
	unsigned garp, arp_replies;
	/* system-call thread */
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	_Atomic int state;
	struct call call;
	/* the blocked call, if any */
	bool pending;
	const struct pkt_event *pending_ev;
	uint64_t pending_end, pending_tol;
	bool verbose;
	bool psh_any;             /* --psh-any: PSH is not compared (README) */
};

static struct harness *H;     /* for fail() */

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(const struct pkt_event *ev, const char *fmt, ...)
{
	va_list ap;
	if (ev != NULL)
		fprintf(stderr, "%s:%u: error: ", H->path, ev->line);
	else
		fprintf(stderr, "%s: error: ", H->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ev != NULL)
		fprintf(stderr, "  %s: %s\n", ev->type == PKT_EV_PACKET ? "expected (script line)" :
			"script line", ev->text);
	fprintf(stderr, "FAIL %s\n", H->path);
	exit(1);
}

static void __attribute__((noreturn))
die(const char *what, const char *detail)
{
	fprintf(stderr, "pkt_run: %s: %s\n", what, detail);
	exit(2);
}

static double
vsec(uint64_t v)
{
	return (double)(int64_t)(v - VBASE) / 1e9;
}

/* ---- the system-call thread ---- */

static int
ret_err(struct call *c, int64_t rc)
{
	c->ret = rc;
	c->err = rc < 0 ? errno : 0;
	return 0;
}

static void
note_local_port(struct call *c)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof(sa);
	if (tern_getsockname(c->fd, (struct sockaddr *)&sa, &l) == 0)
		c->local_port = ntohs(sa.sin_port);
}

/* Run the call once. @return true when it returned, false when blocked. */
static bool
call_exec(struct harness *h, struct call *c)
{
	static uint8_t buf[65536];
	int fl = c->flags | (c->may_block ? MSG_DONTWAIT : 0);
	switch (c->op) {
	case OP_SOCKET:
		ret_err(c, tern_socket_rt(h->rt, c->domain, c->type, c->proto));
		break;
	case OP_BIND:
		ret_err(c, tern_bind(c->fd, (struct sockaddr *)&c->sa, c->salen));
		if (c->ret == 0)
			note_local_port(c);
		break;
	case OP_CONNECT:
		if (!c->may_block) {
			ret_err(c, tern_connect(c->fd, (struct sockaddr *)&c->sa, c->salen));
		} else {
			/* A blocking TCP connect, tried without blocking: the first
			 * try sends the SYN (EINPROGRESS), later ones say EALREADY
			 * until the handshake ends; then the outcome (0 or the
			 * error; EISCONN, should a try come later, means 0). */
			double t = tern_gettimeout(c->fd);
			tern_settimeout(c->fd, 0);
			ret_err(c, tern_connect(c->fd, (struct sockaddr *)&c->sa, c->salen));
			tern_settimeout(c->fd, t);
			if (c->ret < 0 && ((!c->started && c->err == EINPROGRESS) ||
					   (c->started && c->err == EALREADY))) {
				c->started = true;
				note_local_port(c);
				return false;
			}
			if (c->started && c->ret < 0 && c->err == EISCONN)
				ret_err(c, 0);
		}
		if (c->ret == 0 || c->err == EINPROGRESS)
			note_local_port(c);
		break;
	case OP_LISTEN:
		ret_err(c, tern_listen(c->fd, (int)c->optval));
		if (c->ret == 0)
			note_local_port(c);
		break;
	case OP_ACCEPT: {
		struct sockaddr_in sa;
		socklen_t l = sizeof(sa);
		memset(&sa, 0, sizeof(sa));
		/* A blocking accept, tried without blocking (EAGAIN = blocked). */
		double t = tern_gettimeout(c->fd);
		if (c->may_block)
			tern_settimeout(c->fd, 0);
		ret_err(c, tern_accept(c->fd, (struct sockaddr *)&sa, &l));
		if (c->may_block)
			tern_settimeout(c->fd, t);
		c->peer_port = ntohs(sa.sin_port);
		break;
	}
	case OP_SHUTDOWN:
		ret_err(c, tern_shutdown(c->fd, c->how));
		break;
	case OP_SEND:
		ret_err(c, tern_send(c->fd, buf, c->len - c->done, fl));
		if (c->may_block && c->stream && c->ret > 0 && c->done + (size_t)c->ret < c->len) {
			/* A blocking stream send returns when all of it is taken. */
			c->done += (size_t)c->ret;
			return false;
		}
		if (c->ret >= 0)
			c->ret += (int64_t)c->done;
		break;
	case OP_SENDTO:
		ret_err(c, tern_sendto(c->fd, buf, c->len, fl,
				       c->to_null ? NULL : (struct sockaddr *)&c->sa, c->salen));
		break;
	case OP_RECV:
		ret_err(c, tern_recv(c->fd, buf, c->len < sizeof(buf) ? c->len : sizeof(buf), fl));
		break;
	case OP_RECVFROM: {
		struct sockaddr_in from;
		socklen_t fl2 = sizeof(from);
		ret_err(c, tern_recvfrom(c->fd, buf, c->len < sizeof(buf) ? c->len : sizeof(buf), fl,
					 (struct sockaddr *)&from, &fl2));
		break;
	}
	case OP_CLOSE:
		ret_err(c, tern_close(c->fd));
		break;
	case OP_SETSOCKOPT: {
		int v = (int)c->optval;
		struct linger lg = { .l_onoff = c->l_onoff, .l_linger = c->l_linger };
		if (c->linger)
			ret_err(c, tern_setsockopt(c->fd, c->level, c->name, &lg, c->optlen));
		else
			ret_err(c, tern_setsockopt(c->fd, c->level, c->name, &v, c->optlen));
		break;
	}
	case OP_GETSOCKOPT: {
		int v[8] = { 0 };
		socklen_t l = c->optlen <= sizeof(v) ? c->optlen : sizeof(v);
		ret_err(c, tern_getsockopt(c->fd, c->level, c->name, v, &l));
		c->optval_out = v[0];
		c->optlen_out = l;
		break;
	}
	case OP_FCNTL:
		/* O_NONBLOCK is Tern's non-blocking mode (timeout 0). */
		if (c->fcntl_cmd == F_GETFL) {
			double t = tern_gettimeout(c->fd);
			if (t == -1 && errno == EBADF)
				ret_err(c, -1);
			else
				ret_err(c, O_RDWR | (t == 0 ? O_NONBLOCK : 0));
		} else if (c->fcntl_cmd == F_SETFL) {
			ret_err(c, tern_setblocking(c->fd, !(c->fcntl_arg & O_NONBLOCK)));
		} else {
			errno = EINVAL;
			ret_err(c, -1);
		}
		break;
	case OP_GETSOCKNAME:
	case OP_GETPEERNAME: {
		struct sockaddr_in sa;
		socklen_t l = sizeof(sa);
		ret_err(c, c->op == OP_GETSOCKNAME ?
			tern_getsockname(c->fd, (struct sockaddr *)&sa, &l) :
			tern_getpeername(c->fd, (struct sockaddr *)&sa, &l));
		break;
	}
	}
	if ((c->op == OP_SEND || c->op == OP_SENDTO) && c->ret >= 0)
		note_local_port(c);
	if (c->may_block && c->ret < 0 && (c->err == EAGAIN || c->err == EWOULDBLOCK))
		return false;
	return true;
}

static void *
syscall_thread(void *arg)
{
	struct harness *h = arg;
	for (;;) {
		pthread_mutex_lock(&h->mu);
		int st;
		/* acquire: pairs with the release store in job_kick(); the call
		 * arguments written before it are visible. */
		while ((st = atomic_load_explicit(&h->state, memory_order_acquire)) != JOB_RUN &&
		       st != JOB_QUIT)
			pthread_cond_wait(&h->cv, &h->mu);
		pthread_mutex_unlock(&h->mu);
		if (st == JOB_QUIT)
			return NULL;
		bool done = call_exec(h, &h->call);
		/* release: the results in h->call are published with the state. */
		atomic_store_explicit(&h->state, done ? JOB_DONE : JOB_BLOCKED, memory_order_release);
	}
}

/* ---- the wire side: ARP, collecting, settling ---- */

static void
queue_push(struct harness *h, const uint8_t *ip, size_t len)
{
	if (h->qn == h->qcap) {
		size_t cap = h->qcap ? h->qcap * 2 : 16;
		struct outframe *n = realloc(h->q, cap * sizeof(*n));
		if (n == NULL)
			die("queue", "out of memory");
		h->q = n;
		h->qcap = cap;
	}
	struct outframe *f = &h->q[h->qn++];
	f->data = malloc(len ? len : 1);
	if (f->data == NULL)
		die("queue", "out of memory");
	memcpy(f->data, ip, len);
	f->len = len;
	f->t = h->vnow;
}

static void
inject_frame(struct harness *h, const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = tern_mbuf_from_buf(h->pool, frame, len, 0);
	if (m == NULL)
		die("inject", "mbuf pool empty");
	if (tern_port_mem_inject(h->port, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		die("inject", "in-memory port full");
	}
}

/* RFC 826: answer Tern's requests as the remote host; RFC 5227 3: Tern's
 * gratuitous ARP (sender = target = its address) is dropped. */
static unsigned
handle_arp(struct harness *h, const uint8_t *a, size_t len)
{
	static const uint8_t ours[6] = OUR_MAC, theirs[6] = REMOTE_MAC;
	struct arp_repr r;
	if (wire_arp_parse(a, len, &r) < 0)
		fail(NULL, "Tern sent a malformed ARP packet");
	if (r.op != WIRE_ARP_REQUEST)
		fail(NULL, "Tern sent an unexpected ARP reply");
	if (r.spa == r.tpa) {
		h->garp++;
		return 0;
	}
	if (r.tpa == h->s.cfg.local_ip || memcmp(r.sha, ours, 6) != 0)
		fail(NULL, "Tern sent an unexpected ARP request");
	uint8_t f[WIRE_ETH_HLEN + WIRE_ARP_LEN];
	struct eth_repr e = { .ethertype = WIRE_ETHERTYPE_ARP };
	memcpy(e.dst, ours, 6);
	memcpy(e.src, theirs, 6);
	struct arp_repr rep = { .op = WIRE_ARP_REPLY, .spa = r.tpa, .tpa = r.spa };
	memcpy(rep.sha, theirs, 6);
	memcpy(rep.tha, ours, 6);
	wire_eth_emit(f, sizeof(f), &e);
	wire_arp_emit(f + WIRE_ETH_HLEN, sizeof(f) - WIRE_ETH_HLEN, &rep);
	inject_frame(h, f, sizeof(f));
	h->arp_replies++;
	return 1;
}

/* Take every frame Tern sent. @return frames we injected in answer. */
static unsigned
collect(struct harness *h)
{
	static const uint8_t theirs[6] = REMOTE_MAC;
	static uint8_t buf[65536 + 64];
	struct rte_mbuf *m[32];
	unsigned n, injected = 0;
	while ((n = tern_port_mem_collect(h->port, m, 32)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			uint32_t len = m[i]->pkt_len < sizeof(buf) ? m[i]->pkt_len : sizeof(buf);
			const uint8_t *p = rte_pktmbuf_read(m[i], 0, len, buf);
			struct eth_repr e;
			if (p == NULL || wire_eth_parse(p, len, &e) < 0)
				fail(NULL, "Tern sent a runt frame (%u bytes)", len);
			if (e.ethertype == WIRE_ETHERTYPE_ARP) {
				injected += handle_arp(h, p + WIRE_ETH_HLEN, len - WIRE_ETH_HLEN);
			} else if (e.ethertype == WIRE_ETHERTYPE_IPV4) {
				if (memcmp(e.dst, theirs, 6) != 0 && !wire_mac_is_broadcast(e.dst))
					fail(NULL, "Tern sent an IPv4 frame to a MAC that is not the remote's");
				queue_push(h, p + WIRE_ETH_HLEN, len - WIRE_ETH_HLEN);
			} else {
				fail(NULL, "Tern sent a frame of ethertype 0x%04x", e.ethertype);
			}
			rte_pktmbuf_free(m[i]);
		}
	}
	return injected;
}

static void call_completed(struct harness *h, const struct pkt_event *ev, uint64_t start);
static void flow_select(struct harness *h, const struct pkt_event *ev, uint16_t rport);

/* Hand h->call to the system-call thread and poll the stack at vnow until
 * the call returns or blocks. @return true if it returned. */
static bool
job_run(struct harness *h)
{
	pthread_mutex_lock(&h->mu);
	/* release: the call's arguments are published with the state. */
	atomic_store_explicit(&h->state, JOB_RUN, memory_order_release);
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	uint64_t t0 = tern_clock_ns();
	int st;
	/* acquire: pairs with the thread's release; its results are visible. */
	while ((st = atomic_load_explicit(&h->state, memory_order_acquire)) == JOB_RUN) {
		tern_drive_at(h->rt, h->vnow);
		collect(h);
		if (tern_clock_ns() - t0 > WATCHDOG_NS)
			fail(h->pending_ev, "system call did not return for %llu s of real time",
			     (unsigned long long)(WATCHDOG_NS / TERN_NS_PER_SEC));
	}
	return st == JOB_DONE;
}

/* Run the stack at vnow until idle, then retry a blocked call. */
static void
settle(struct harness *h)
{
	for (unsigned round = 0; round < SETTLE_ROUNDS_MAX; round++) {
		unsigned work = tern_drive_at(h->rt, h->vnow);
		work += collect(h);
		if (work == 0 && round + 1 >= SETTLE_ROUNDS_MIN)
			break;
	}
	if (h->pending && job_run(h)) {
		h->pending = false;
		call_completed(h, h->pending_ev, 0);
	}
}

static uint64_t
next_stop(struct harness *h, uint64_t limit)
{
	uint64_t next = limit;
	uint64_t d = tern_stack_next_deadline(h->st);
	if (d > h->vnow && d < next)
		next = d;
	if (h->pending && h->pending_end + h->pending_tol + 1 > h->vnow &&
	    h->pending_end + h->pending_tol + 1 < next)
		next = h->pending_end + h->pending_tol + 1;
	return next;
}

static void
check_pending_overdue(struct harness *h)
{
	if (h->pending && h->vnow > h->pending_end + h->pending_tol)
		fail(h->pending_ev, "blocking call did not return by %.6f s (+ tolerance %.6f s)",
		     vsec(h->pending_end), (double)h->pending_tol / 1e9);
}

/* Move the clock to @p t, stopping at every stack deadline on the way. */
static void
advance_to(struct harness *h, uint64_t t)
{
	while (h->vnow < t) {
		h->vnow = next_stop(h, t);
		settle(h);
		check_pending_overdue(h);
	}
}

/* ---- events ---- */

static uint64_t
tolerance_ns(const struct harness *h, int64_t t_us, int64_t prev_us)
{
	double tol = (double)h->s.cfg.tolerance_us;
	double dyn = h->s.cfg.tolerance_pct / 100.0 * (double)(t_us - prev_us);
	if (prev_us >= 0 && dyn > tol)
		tol = dyn;
	return (uint64_t)tol * NS_PER_US;
}

/* Make the connection to remote port @p rport the one under test: the
 * current one is kept in h->flows, a new one starts with the current local
 * address and port and nothing learned. */
static void
flow_select(struct harness *h, const struct pkt_event *ev, uint16_t rport)
{
	if (rport == 0 || h->flow.remote_port == rport)
		return;
	if (h->flow.remote_port == 0) {
		h->flow.remote_port = rport;
		return;
	}
	struct pkt_flow next = h->flow;
	next.remote_port = rport;
	next.local_isn_known = next.ts_known = next.remote_isn_known = false;
	unsigned i;
	for (i = 0; i < h->nflows; i++)
		if (h->flows[i].remote_port == rport)
			break;
	if (i < h->nflows) {
		next = h->flows[i];
		h->flows[i] = h->flow;
	} else {
		if (h->nflows == MAX_FLOWS)
			fail(ev, "more than %d TCP connections", MAX_FLOWS);
		h->flows[h->nflows++] = h->flow;
	}
	h->flow = next;
}

static void
run_inbound(struct harness *h, const struct pkt_event *ev)
{
	static uint8_t frame[WIRE_ETH_HLEN + 65536];
	static const uint8_t ours[6] = OUR_MAC, theirs[6] = REMOTE_MAC;
	char err[200];
	if (ev->pkt.proto == WIRE_PROTO_TCP && ev->pkt.has_ports)
		flow_select(h, ev, ev->pkt.sport);
	struct pkt_flow f = h->flow;
	if (f.remote_port == 0 && !ev->pkt.has_ports && ev->pkt.proto != WIRE_PROTO_ICMP)
		h->flow.remote_port = f.remote_port = REMOTE_EPHEMERAL_PORT;
	size_t n = pkt_build_inbound(&ev->pkt, &f, frame + WIRE_ETH_HLEN,
				     sizeof(frame) - WIRE_ETH_HLEN, err, sizeof(err));
	if (n == 0)
		fail(ev, "cannot build the inbound packet: %s", err);
	struct eth_repr e = { .ethertype = WIRE_ETHERTYPE_IPV4 };
	memcpy(e.dst, ours, 6);
	memcpy(e.src, theirs, 6);
	wire_eth_emit(frame, WIRE_ETH_HLEN, &e);
	if (h->verbose) {
		char d[300];
		pkt_describe(frame + WIRE_ETH_HLEN, n, &h->flow, d, sizeof(d));
		printf("%9.6f < %s\n", vsec(h->vnow), d);
	}
	pkt_flow_inbound_sent(&h->flow, &ev->pkt);
	inject_frame(h, frame, WIRE_ETH_HLEN + n);
	settle(h);
}

/* Wait (on the virtual clock) until Tern has sent a packet or @p limit. With
 * @p any, give up early when nothing can make Tern send any more. @return
 * whether a packet is queued. */
static bool
wait_outbound(struct harness *h, uint64_t limit, bool any)
{
	while (h->qn == 0 && h->vnow < limit) {
		uint64_t next = next_stop(h, limit);
		if (any && next == limit && tern_stack_next_deadline(h->st) == UINT64_MAX &&
		    !h->pending)
			break;   /* nothing can make Tern send any more */
		h->vnow = next;
		settle(h);
		check_pending_overdue(h);
	}
	return h->qn > 0;
}

static struct outframe
pop_outbound(struct harness *h)
{
	struct outframe fr = h->q[0];
	memmove(h->q, h->q + 1, (h->qn - 1) * sizeof(*h->q));
	h->qn--;
	return fr;
}

/* packetdrill's Linux runs (tun with TSO/GSO) see one large segment where
 * Tern sends several of at most an MSS: a first segment that starts the
 * expected data range but is shorter than it begins a run of segments. */
static bool
starts_coalesced_run(const struct harness *h, const struct pkt_event *ev,
		     const struct outframe *fr)
{
	const struct pkt_packet *pk = &ev->pkt;
	uint32_t seq, plen;
	uint8_t fl;
	if (pk->proto != WIRE_PROTO_TCP || pk->payload_len == 0 || !h->flow.local_isn_known ||
	    (pk->flags & WIRE_TCP_SYN))
		return false;
	if (!pkt_tcp_segment(fr->data, fr->len, &h->flow, &seq, &plen, &fl))
		return false;
	return seq == pk->seq && plen > 0 && plen < pk->payload_len;
}

/* Match the run that starts with @p fr: contiguous segments, each within the
 * line's time and matching its part of the line (pkt_tcp_part), that together
 * cover the line's sequence range exactly. */
static void
match_coalesced(struct harness *h, const struct pkt_event *ev, struct outframe fr,
		uint64_t lo, uint64_t hi, bool any, uint64_t limit)
{
	const struct pkt_packet *pk = &ev->pkt;
	uint32_t off = 0, first_len = 0;
	for (unsigned k = 1;; k++) {
		char d[300], why[200];
		uint32_t seq, plen;
		uint8_t fl;
		pkt_describe(fr.data, fr.len, &h->flow, d, sizeof(d));
		if (!pkt_tcp_segment(fr.data, fr.len, &h->flow, &seq, &plen, &fl) ||
		    seq != pk->seq + off || plen == 0 || off + plen > pk->payload_len) {
			fprintf(stderr, "  actual packet: %s\n", d);
			fail(ev, "outbound packet does not match: segment %u of a coalesced run "
			     "must carry data from relative seq %u, at most %u bytes", k,
			     pk->seq + off, pk->payload_len - off);
		}
		if (!any && (fr.t < lo || fr.t > hi)) {
			fprintf(stderr, "  actual packet: %s\n", d);
			fail(ev, "timing error: segment %u of a coalesced run at %.6f s, expected "
			     "in %.6f~%.6f s", k, vsec(fr.t), vsec(lo), vsec(hi));
		}
		/* GSO cuts at one segment size: every part but the last has the
		 * first one's length, the last is no longer. */
		if (k == 1)
			first_len = plen;
		else if (plen > first_len || (k > 2 && off - first_len * (k - 1) != 0)) {
			fprintf(stderr, "  actual packet: %s\n", d);
			fail(ev, "outbound packet does not match: segment %u of a coalesced run has "
			     "%u bytes, the first had %u (GSO cuts equal segments, the last no "
			     "longer)", k, plen, first_len);
		}
		struct pkt_packet part;
		pkt_tcp_part(pk, off, plen, fl, &part);
		if (h->psh_any)
			part.flags = (uint8_t)((part.flags & ~WIRE_TCP_PSH) | (fl & WIRE_TCP_PSH));
		if (!pkt_match_outbound(&part, &h->flow, fr.data, fr.len, why, sizeof(why))) {
			fprintf(stderr, "  actual packet: %s\n", d);
			fail(ev, "outbound packet does not match: segment %u of a coalesced run "
			     "(bytes %u:%u): %s", k, pk->seq + off, pk->seq + off + plen, why);
		}
		if (h->verbose)
			printf("%9.6f > %s (part %u of the line)\n", vsec(fr.t), d, k);
		free(fr.data);
		off += plen;
		if (off == pk->payload_len)
			return;
		if (!wait_outbound(h, limit, any))
			fail(ev, "missing outbound packet: a coalesced run of %u segments covered "
			     "%u of %u bytes by %.6f s", k, off, pk->payload_len, vsec(h->vnow));
		fr = pop_outbound(h);
	}
}

static void
run_outbound(struct harness *h, const struct pkt_event *ev, uint64_t lo, uint64_t hi, bool any)
{
	uint64_t limit = any ? h->vnow + ANY_TIME_LIMIT_NS : hi;
	if (!wait_outbound(h, limit, any))
		fail(ev, "missing outbound packet: nothing sent by %.6f s", vsec(h->vnow));
	struct outframe fr = pop_outbound(h);
	char d[300], why[200];
	if (ev->pkt.proto == WIRE_PROTO_TCP && ev->pkt.has_ports)
		flow_select(h, ev, ev->pkt.dport);
	if (starts_coalesced_run(h, ev, &fr)) {
		match_coalesced(h, ev, fr, lo, hi, any, limit);
		return;
	}
	pkt_describe(fr.data, fr.len, &h->flow, d, sizeof(d));
	if (!any && (fr.t < lo || fr.t > hi)) {
		fprintf(stderr, "  actual packet: %s\n", d);
		fail(ev, "timing error: outbound packet at %.6f s, expected in %.6f~%.6f s",
		     vsec(fr.t), vsec(lo), vsec(hi));
	}
	struct pkt_packet want = ev->pkt;
	uint32_t seq, plen;
	uint8_t fl;
	if (h->psh_any && want.proto == WIRE_PROTO_TCP &&
	    pkt_tcp_segment(fr.data, fr.len, &h->flow, &seq, &plen, &fl))
		want.flags = (uint8_t)((want.flags & ~WIRE_TCP_PSH) | (fl & WIRE_TCP_PSH));
	if (!pkt_match_outbound(&want, &h->flow, fr.data, fr.len, why, sizeof(why))) {
		fprintf(stderr, "  actual packet: %s\n", d);
		fail(ev, "outbound packet does not match: %s", why);
	}
	if (h->verbose)
		printf("%9.6f > %s\n", vsec(fr.t), d);
	free(fr.data);
}

static int
script_fd(const struct pkt_event *ev, const struct pkt_expr *e)
{
	if (e->type != PKT_EXPR_INT)
		fail(ev, "a descriptor must be an integer");
	return (int)e->num;
}

/* Script descriptor -> Tern descriptor. One the script never opened (or
 * closed) maps to a Tern descriptor that is never open, so calls on it fail
 * with EBADF as on Linux. */
static int
tern_fd(struct harness *h, int sfd)
{
	if (sfd >= 0 && sfd < MAX_FDS && h->fdmap[sfd] >= 0)
		return h->fdmap[sfd];
	return sfd < 0 ? sfd : TERN_FD_BASE + 65000 + (sfd % 500);
}

static int64_t
arg_int(const struct pkt_event *ev, unsigned i, int64_t dflt)
{
	const struct pkt_expr *e = &ev->sc.arg[i];
	if (i >= ev->sc.nargs)
		fail(ev, "%s needs at least %u arguments", ev->sc.name, i + 1);
	if (e->type == PKT_EXPR_ELLIPSIS)
		return dflt;
	if (e->type == PKT_EXPR_LIST && e->n == 1)
		return e->list[0];
	if (e->type != PKT_EXPR_INT)
		fail(ev, "argument %u of %s must be an integer", i + 1, ev->sc.name);
	return e->num;
}

static void
arg_addr(struct harness *h, const struct pkt_event *ev, unsigned i, uint32_t ip, uint16_t port,
	 struct call *c)
{
	if (i >= ev->sc.nargs)
		fail(ev, "%s needs at least %u arguments", ev->sc.name, i + 1);
	const struct pkt_expr *e = &ev->sc.arg[i];
	memset(&c->sa, 0, sizeof(c->sa));
	c->sa.sin_family = AF_INET;
	if (e->type == PKT_EXPR_SOCKADDR) {
		ip = e->addr;
		port = e->port;
	} else if (e->type != PKT_EXPR_ELLIPSIS) {
		fail(ev, "argument %u of %s must be ... or a sockaddr", i + 1, ev->sc.name);
	}
	c->sa.sin_addr.s_addr = htonl(ip);
	c->sa.sin_port = htons(port);
	c->salen = sizeof(c->sa);
	(void)h;
}

static bool
is_call(const struct pkt_event *ev, const char *name)
{
	return strcmp(ev->sc.name, name) == 0;
}

static void
prepare_call(struct harness *h, const struct pkt_event *ev, struct call *c)
{
	const struct pkt_config *cfg = &h->s.cfg;
	memset(c, 0, sizeof(*c));
	if (is_call(ev, "socket")) {
		c->op = OP_SOCKET;
		c->domain = (int)arg_int(ev, 0, AF_INET);
		c->type = (int)arg_int(ev, 1, SOCK_DGRAM);
		c->proto = (int)arg_int(ev, 2, 0);
		return;
	}
	if (ev->sc.nargs == 0)
		fail(ev, "%s needs a descriptor", ev->sc.name);
	int sfd = script_fd(ev, &ev->sc.arg[0]);
	c->fd = tern_fd(h, sfd);
	c->stream = sfd >= 0 && sfd < MAX_FDS && h->fdmap[sfd] >= 0 && h->fdstream[sfd];
	if (is_call(ev, "bind")) {
		c->op = OP_BIND;
		arg_addr(h, ev, 1, cfg->local_ip, cfg->bind_port, c);
	} else if (is_call(ev, "connect")) {
		c->op = OP_CONNECT;
		arg_addr(h, ev, 1, cfg->remote_ip, cfg->connect_port, c);
		c->may_block = c->stream;
	} else if (is_call(ev, "listen")) {
		c->op = OP_LISTEN;
		c->optval = arg_int(ev, 1, 128);
	} else if (is_call(ev, "accept")) {
		c->op = OP_ACCEPT;
		c->may_block = true;
	} else if (is_call(ev, "shutdown")) {
		c->op = OP_SHUTDOWN;
		c->how = (int)arg_int(ev, 1, SHUT_RDWR);
	} else if (is_call(ev, "write") || is_call(ev, "send")) {
		c->op = OP_SEND;
		c->len = (size_t)arg_int(ev, 2, 0);
		c->flags = is_call(ev, "send") ? (int)arg_int(ev, 3, 0) : 0;
		c->may_block = true;
	} else if (is_call(ev, "sendto")) {
		c->op = OP_SENDTO;
		c->len = (size_t)arg_int(ev, 2, 0);
		c->flags = (int)arg_int(ev, 3, 0);
		arg_addr(h, ev, 4, cfg->remote_ip, cfg->connect_port, c);
		c->may_block = true;
	} else if (is_call(ev, "read") || is_call(ev, "recv")) {
		c->op = OP_RECV;
		c->len = (size_t)arg_int(ev, 2, 0);
		c->flags = is_call(ev, "recv") ? (int)arg_int(ev, 3, 0) : 0;
		c->may_block = true;
	} else if (is_call(ev, "recvfrom")) {
		c->op = OP_RECVFROM;
		c->len = (size_t)arg_int(ev, 2, 0);
		c->flags = (int)arg_int(ev, 3, 0);
		c->may_block = true;
	} else if (is_call(ev, "close")) {
		c->op = OP_CLOSE;
	} else if (is_call(ev, "setsockopt") || is_call(ev, "getsockopt")) {
		c->op = is_call(ev, "setsockopt") ? OP_SETSOCKOPT : OP_GETSOCKOPT;
		c->level = (int)arg_int(ev, 1, 0);
		c->name = (int)arg_int(ev, 2, 0);
		if (c->op == OP_SETSOCKOPT && ev->sc.nargs > 3 &&
		    ev->sc.arg[3].type == PKT_EXPR_LINGER) {
			c->linger = true;
			c->l_onoff = (int)ev->sc.arg[3].list[0];
			c->l_linger = (int)ev->sc.arg[3].list[1];
		} else {
			c->optval = arg_int(ev, 3, 0);
		}
		c->optlen = (socklen_t)arg_int(ev, 4, c->linger ? sizeof(struct linger) : sizeof(int));
	} else if (is_call(ev, "fcntl")) {
		c->op = OP_FCNTL;
		c->fcntl_cmd = arg_int(ev, 1, 0);
		c->fcntl_arg = ev->sc.nargs > 2 ? arg_int(ev, 2, 0) : 0;
	} else if (is_call(ev, "getsockname") || is_call(ev, "getpeername")) {
		c->op = is_call(ev, "getsockname") ? OP_GETSOCKNAME : OP_GETPEERNAME;
	} else {
		fail(ev, "system call %s is not supported by Tern's socket API yet", ev->sc.name);
	}
	/* A blocking attempt only on a blocking socket without MSG_DONTWAIT. */
	if (c->may_block && ((c->flags & MSG_DONTWAIT) || tern_gettimeout(c->fd) == 0))
		c->may_block = false;
}

/* Check a returned call against its line and apply what it changed. */
static void
call_completed(struct harness *h, const struct pkt_event *ev, uint64_t start)
{
	const struct pkt_syscall *sc = &ev->sc;
	struct call *c = &h->call;
	if (h->verbose)
		printf("%9.6f %s = %" PRId64 "%s%s\n", vsec(h->vnow), sc->name, c->ret,
		       c->ret < 0 ? " " : "", c->ret < 0 ? pkt_errno_name(c->err) : "");
	(void)start;
	int64_t ret = c->ret;
	/* A new descriptor is Tern's number: the script's is mapped to it, as
	 * long as the script's number is not open already. */
	if ((c->op == OP_SOCKET || c->op == OP_ACCEPT) && ret >= 0 && sc->result >= 0 &&
	    sc->result < MAX_FDS && h->fdmap[sc->result] < 0)
		ret = sc->result;
	if (!sc->result_any && (ret != sc->result || (sc->result == -1 && c->err != sc->err))) {
		if (c->ret < 0)
			fail(ev, "%s returned -1 %s (%s), expected %" PRId64 "%s%s", sc->name,
			     pkt_errno_name(c->err), strerror(c->err), sc->result,
			     sc->err ? " " : "", sc->err ? sc->errname : "");
		fail(ev, "%s returned %" PRId64 ", expected %" PRId64 "%s%s", sc->name, c->ret,
		     sc->result, sc->err ? " " : "", sc->err ? sc->errname : "");
	}
	if (sc->blocking) {
		uint64_t tol = h->pending_tol;
		if (h->vnow + tol < h->pending_end || h->vnow > h->pending_end + tol)
			fail(ev, "timing error: %s returned at %.6f s, expected at %.6f s "
			     "(tolerance %.6f s)", sc->name, vsec(h->vnow), vsec(h->pending_end),
			     (double)tol / 1e9);
	}
	if (c->op == OP_GETSOCKOPT && c->ret == 0) {
		const struct pkt_expr *v = &sc->arg[3], *l = &sc->arg[4];
		if (v->type == PKT_EXPR_LIST && v->n == 1 && c->optval_out != v->list[0])
			fail(ev, "getsockopt value %" PRId64 ", expected %" PRId64, c->optval_out,
			     v->list[0]);
		if (l->type == PKT_EXPR_LIST && l->n == 1 && (int64_t)c->optlen_out != l->list[0])
			fail(ev, "getsockopt length %u, expected %" PRId64, c->optlen_out, l->list[0]);
	}
	if (c->op == OP_SOCKET && c->ret >= 0) {
		int sfd = (int)sc->result;
		if (sc->result_any || sfd < 0 || sfd >= MAX_FDS)
			fail(ev, "socket() must name the descriptor it returns (0..%d)", MAX_FDS - 1);
		h->fdmap[sfd] = (int)c->ret;
		h->fdstream[sfd] = (c->type & 0xf) == SOCK_STREAM;
		/* packetdrill: the newest socket is the one under test. */
		h->flow.local_port = h->flow.remote_port = 0;
		h->flow.local_isn_known = h->flow.ts_known = h->flow.remote_isn_known = false;
		h->nflows = 0;
	}
	if (c->op == OP_ACCEPT && c->ret >= 0) {
		int sfd = (int)sc->result;
		if (sc->result_any || sfd < 0 || sfd >= MAX_FDS)
			fail(ev, "accept() must name the descriptor it returns (0..%d)", MAX_FDS - 1);
		h->fdmap[sfd] = (int)c->ret;
		h->fdstream[sfd] = true;
		/* The accepted connection is the one under test from now on. */
		flow_select(h, ev, c->peer_port);
	}
	if (c->op == OP_CLOSE && c->ret == 0)
		for (int i = 0; i < MAX_FDS; i++)
			if (h->fdmap[i] == c->fd)
				h->fdmap[i] = -1;
	if (c->op == OP_CONNECT && (c->ret == 0 || c->err == EINPROGRESS))
		h->flow.remote_port = ntohs(c->sa.sin_port);
	if (c->op == OP_SENDTO && c->ret >= 0 && !c->to_null && h->flow.remote_port == 0)
		h->flow.remote_port = ntohs(c->sa.sin_port);
	if (c->local_port != 0 && (c->op == OP_BIND || c->op == OP_CONNECT ||
				   c->op == OP_SEND || c->op == OP_SENDTO || c->op == OP_LISTEN))
		h->flow.local_port = c->local_port;
}

static void
run_syscall(struct harness *h, const struct pkt_event *ev, uint64_t end, uint64_t tol)
{
	prepare_call(h, ev, &h->call);
	h->pending_ev = ev;
	h->pending_end = end;
	h->pending_tol = tol;
	if (job_run(h)) {
		call_completed(h, ev, h->vnow);
		settle(h);
		return;
	}
	if (!ev->sc.blocking)
		fail(ev, "%s blocked, but the line has no START...END time: it was expected "
		     "to return at once", ev->sc.name);
	h->pending = true;
	settle(h);
}

/* Wait (on the virtual clock) for a blocked call to return. */
static void
await_pending(struct harness *h)
{
	while (h->pending) {
		h->vnow = next_stop(h, h->pending_end + h->pending_tol + 1);
		settle(h);
		check_pending_overdue(h);
	}
}

static void
run_script(struct harness *h)
{
	int64_t prev_us = -1, prev_sched_us = 0;
	bool prev_inbound = false;
	for (size_t i = 0; i < h->s.n; i++) {
		const struct pkt_event *ev = &h->s.ev[i];
		bool inbound = ev->type == PKT_EV_PACKET && ev->pkt.inbound;
		bool outbound = ev->type == PKT_EV_PACKET && !ev->pkt.inbound;
		if (ev->type == PKT_EV_SYSCALL)
			await_pending(h);     /* one system-call thread, as packetdrill */
		int64_t now_us = (int64_t)(h->vnow - VBASE) / (int64_t)NS_PER_US;
		/* packetdrill: relative to now, except that consecutive inbound
		 * packets are anchored to the previous one's scheduled time. */
		int64_t base = prev_inbound && inbound ? prev_sched_us : now_us;
		int64_t t_us = ev->t_us, t_end_us = ev->t_end_us;
		switch (ev->time_type) {
		case PKT_TIME_REL:
		case PKT_TIME_REL_RANGE:
			t_us += base;
			t_end_us += base;
			break;
		case PKT_TIME_ANY:
			t_us = now_us;
			break;
		default:
			break;
		}
		bool range = ev->time_type == PKT_TIME_ABS_RANGE || ev->time_type == PKT_TIME_REL_RANGE;
		uint64_t tol = tolerance_ns(h, t_us, prev_us);
		uint64_t t = VBASE + (uint64_t)t_us * NS_PER_US;
		if (!outbound && h->vnow > t + tol)
			fail(ev, "timing error: this event was due at %.6f s but the script "
			     "only got here at %.6f s", vsec(t), vsec(h->vnow));
		if (h->verbose)
			printf("%9.6f line %u: %s\n", vsec(t), ev->line, ev->text);
		switch (ev->type) {
		case PKT_EV_PACKET:
			if (inbound) {
				advance_to(h, t);
				run_inbound(h, ev);
			} else {
				uint64_t hi = VBASE + (uint64_t)(range ? t_end_us : t_us) * NS_PER_US + tol;
				run_outbound(h, ev, t > tol ? t - tol : 0, hi,
					     ev->time_type == PKT_TIME_ANY);
			}
			break;
		case PKT_EV_SYSCALL: {
			advance_to(h, t);
			int64_t end_us = ev->sc.end_us;
			if (ev->time_type == PKT_TIME_REL)
				end_us += base;
			run_syscall(h, ev, ev->sc.blocking ? VBASE + (uint64_t)end_us * NS_PER_US : t,
				    tol);
			break;
		}
		case PKT_EV_COMMAND:
			advance_to(h, t);
			printf("%s:%u: skipping command (not run against Tern)\n", h->path, ev->line);
			break;
		}
		prev_us = t_us;
		prev_sched_us = t_us;
		prev_inbound = inbound;
	}
	await_pending(h);
	settle(h);
	if (h->qn > 0) {
		char d[300];
		for (size_t i = 0; i < h->qn && i < 8; i++) {
			pkt_describe(h->q[i].data, h->q[i].len, &h->flow, d, sizeof(d));
			fprintf(stderr, "  actual packet: %.6f %s\n", vsec(h->q[i].t), d);
		}
		fail(NULL, "unexpected outbound packet (%zu not matched by the script)", h->qn);
	}
}

/* ---- setup ---- */

static void
eal_start(const char *prog)
{
	if (test_eal_start(prog, "tern-pkt") != 0)
		die("EAL init failed", rte_strerror(rte_errno));
}

static void
close_all(struct harness *h)
{
	for (int i = 0; i < MAX_FDS; i++) {
		if (h->fdmap[i] < 0)
			continue;
		memset(&h->call, 0, sizeof(h->call));
		h->call.op = OP_CLOSE;
		h->call.fd = h->fdmap[i];
		h->pending_ev = NULL;
		job_run(h);
		h->fdmap[i] = -1;
	}
	settle(h);
}

int
main(int argc, char **argv)
{
	static struct harness hs;
	struct harness *h = &hs;
	H = h;
	int ai = 1;
	for (; ai < argc && argv[ai][0] == '-'; ai++) {
		if (strcmp(argv[ai], "-v") == 0)
			h->verbose = true;
		else if (strcmp(argv[ai], "--psh-any") == 0)
			h->psh_any = true;
		else
			break;
	}
	if (ai + 1 != argc) {
		fprintf(stderr, "usage: %s [-v] [--psh-any] script.pkt\n", argv[0]);
		return 2;
	}
	h->path = argv[ai];
	char err[300];
	if (pkt_script_load(h->path, &h->s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: parse error: %s\n", h->path, err);
		return 2;
	}
	for (int i = 0; i < MAX_FDS; i++)
		h->fdmap[i] = -1;

	eal_start(argv[0]);
	h->pool = rte_pktmbuf_pool_create("tern_pkt", POOL_MBUFS, 0, TERN_MBUF_PRIV_SIZE,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (h->pool == NULL)
		die("pool", rte_strerror(rte_errno));
	unsigned pool_start = rte_mempool_avail_count(h->pool);
	h->port = tern_port_mem_open("pkt", 1024, 1500);
	if (h->port == NULL)
		die("mem port", strerror(errno));
	static const uint8_t mac[6] = OUR_MAC;
	memcpy(h->port->mac, mac, 6);
	struct tern_conf conf = {
		.mode = TERN_MODE_INLINE, .port = h->port, .pool = h->pool,
		.ip = h->s.cfg.local_ip, .prefix_len = 15, .seed = 1, .external_clock = true,
	};
	h->rt = tern_start(&conf);
	if (h->rt == NULL)
		die("tern_start", strerror(errno));
	h->st = tern_rt_stack(h->rt);
	h->flow.local_ip = h->s.cfg.local_ip;
	h->flow.remote_ip = h->s.cfg.remote_ip;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (pthread_create(&h->thr, NULL, syscall_thread, h) != 0)
		die("pthread_create", strerror(errno));

	h->vnow = VBASE;
	settle(h);
	if (h->garp != 1 || h->qn != 0)
		fail(NULL, "expected exactly one gratuitous ARP at start (got %u, and %zu IP packets)",
		     h->garp, h->qn);

	run_script(h);

	close_all(h);
	pthread_mutex_lock(&h->mu);
	atomic_store_explicit(&h->state, JOB_QUIT, memory_order_release);
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thr, NULL);
	for (size_t i = 0; i < h->qn; i++)
		free(h->q[i].data);
	free(h->q);
	tern_stop(h->rt);
	collect(h);
	tern_port_close(h->port);
	unsigned pool_end = rte_mempool_avail_count(h->pool);
	if (pool_end != pool_start) {
		fprintf(stderr, "%s: error: mbuf leak: %u free at start, %u at the end\n",
			h->path, pool_start, pool_end);
		return 1;
	}
	rte_mempool_free(h->pool);
	printf("PASS %s: %zu events, %u ARP replies, %u commands skipped\n", h->path, h->s.n,
	       h->arp_replies, h->s.commands);
	pkt_script_free(&h->s);
	return 0;
}

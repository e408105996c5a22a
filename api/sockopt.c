/*
 * Socket options and fcntl(2) of Tern descriptors, answering as Linux does:
 * the length rules, ranges, rounding and errno values of sk_setsockopt /
 * sk_getsockopt (SOL_SOCKET), do_ip_setsockopt / do_ip_getsockopt
 * (IPPROTO_IP) and do_tcp_setsockopt / do_tcp_getsockopt (IPPROTO_TCP),
 * per socket type. tests/unit/test_sockopt.c runs every case against the
 * host's kernel as well. Called by applications on any thread; what the
 * stack needs is forwarded as TERN_REQ_SETOPT, the rest lives in struct
 * tern_sock (relaxed atomics: settings, read by the next call that uses them).
 *
 * Where Linux reads a sysctl, Tern uses the stock default (the value in the
 * comment), whatever the host is tuned to.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <netinet/tcp.h>

#include "runtime.h"
#include "sock_impl.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#define LINUX_HZ 250                  /* CONFIG_HZ of Debian's kernels: Linux keeps
					 SO_RCVTIMEO/SO_SNDTIMEO/SO_LINGER in jiffies */
#define NS_PER_JIFFY ((int64_t)(TERN_NS_PER_SEC / LINUX_HZ))
#define RMEM_MAX 212992               /* net.core.rmem_max */
#define WMEM_MAX 212992               /* net.core.wmem_max */
#define UDP_RCVBUF_DEFAULT 212992     /* net.core.rmem_default */
#define UDP_SNDBUF_DEFAULT 212992     /* net.core.wmem_default */
#define TCP_RCVBUF_DEFAULT 131072     /* net.ipv4.tcp_rmem[1] */
#define TCP_SNDBUF_DEFAULT 16384      /* net.ipv4.tcp_wmem[1] */
#define TCP_RMEM_MAX 6291456          /* net.ipv4.tcp_rmem[2] */
#define SOCK_MIN_RCVBUF 2304          /* 2 KiB + struct sk_buff, x86-64 */
#define SOCK_MIN_SNDBUF (2 * SOCK_MIN_RCVBUF)
#define TTL_DEFAULT 64                /* net.ipv4.ip_default_ttl */
#define TCP_CA_NAME_MAX 16
#define TCP_MIN_MSS 88
#define TCP_MAX_USER_MSS 32767        /* MAX_TCP_WINDOW */
#define TCP_MAX_KEEPTIME 32767        /* MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL */
#define TCP_MAX_KEEPCNT 127
#define INET_ECN_MASK 3

/* struct tern_sock.opts: flags that have no field of their own. */
#define SOCK_OPT_KEEPALIVE   0x01u
#define SOCK_OPT_REUSEPORT   0x02u
#define SOCK_OPT_LINGER      0x04u   /* SO_LINGER's l_onoff */
#define SOCK_OPT_RCVBUF_LOCK 0x08u   /* the application set SO_RCVBUF (SOCK_RCVBUF_LOCK) */
#define SOCK_OPT_SNDBUF_LOCK 0x10u

/* File status flags F_SETFL keeps (Linux SETFL_MASK less O_DIRECT, which a
 * socket refuses, and O_NONBLOCK, which is the socket's timeout). */
#define FL_KEPT (O_APPEND | O_ASYNC | O_NOATIME)

/* Per descriptor index (sockets and epoll sets share the index space):
 * FD_CLOEXEC, the FL_KEPT bits, and O_NONBLOCK for descriptors that are not
 * sockets. Relaxed: each call reads or changes the word on its own. */
static _Atomic uint32_t fd_flags[TERN_FD_MAX];

/* ---- state ---- */

void
sock_opts_init(struct tern_sock *s)
{
	/* relaxed, all: the socket is not published yet. */
	atomic_store_explicit(&s->opts, 0, memory_order_relaxed);
	atomic_store_explicit(&s->linger, 0, memory_order_relaxed);
	atomic_store_explicit(&s->tos, 0, memory_order_relaxed);
	atomic_store_explicit(&s->so_rcvbuf, 0, memory_order_relaxed);
	atomic_store_explicit(&s->so_sndbuf, 0, memory_order_relaxed);
	atomic_store_explicit(&s->rcvlowat, 1, memory_order_relaxed);
}

void
sock_opts_inherit(struct tern_sock *ns, const struct tern_sock *ls)
{
	/* Linux's accept()ed socket is a clone of the listener's struct sock
	 * (sk_clone_lock): every option comes along; O_NONBLOCK, a file flag,
	 * does not. relaxed, all: ns is not published yet; ls's settings are
	 * read as they are now. */
	struct tern_sock *l = (struct tern_sock *)ls;
#define COPY(f) atomic_store_explicit(&ns->f, atomic_load_explicit(&l->f, memory_order_relaxed), \
				      memory_order_relaxed)
	COPY(opts);
	COPY(linger);
	COPY(tos);
	COPY(ttl);
	COPY(so_rcvbuf);
	COPY(so_sndbuf);
	COPY(rcvlowat);
	COPY(rcvtimeo_ns);
	COPY(sndtimeo_ns);
	COPY(broadcast);
	COPY(reuseaddr);
	/* The stack reads these when the ACCEPT request attaches the socket. */
	COPY(chan.rcvbuf);
	COPY(chan.sndbuf);
#undef COPY
}

void
sock_fd_flags_set(uint32_t idx, uint32_t flags)
{
	if (idx < TERN_FD_MAX)
		/* relaxed: the descriptor is not handed out yet, or is the
		 * caller's (see fd_flags). */
		atomic_store_explicit(&fd_flags[idx], flags, memory_order_relaxed);
}

static uint32_t
opts_of(const struct tern_sock *s)
{
	/* relaxed: settings (file comment). */
	return atomic_load_explicit(&((struct tern_sock *)s)->opts, memory_order_relaxed);
}

/* Set the @p mask bits of @p w to @p bits, in one step. relaxed: a
 * setting; concurrent changes of other bits are not lost. */
static void
bits_set(_Atomic uint32_t *w, uint32_t mask, uint32_t bits)
{
	uint32_t old = atomic_load_explicit(w, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(w, &old, (old & ~mask) | (bits & mask),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

static void
opts_change(struct tern_sock *s, uint32_t bit, bool on)
{
	bits_set(&s->opts, bit, on ? bit : 0);
}

/* What SO_RCVBUF / SO_SNDBUF read: Linux's sk_rcvbuf / sk_sndbuf. Until the
 * application sets one, the type's default: Linux then grows a TCP
 * socket's buffers as the connection runs (autotuning) and reports the
 * grown size; Tern keeps fixed ones (212992 bytes) and reports the start. */
static int
rcvbuf_of(const struct tern_sock *s)
{
	/* relaxed: a setting. */
	int v = atomic_load_explicit(&((struct tern_sock *)s)->so_rcvbuf, memory_order_relaxed);
	return v != 0 ? v : s->type == SOCK_STREAM ? TCP_RCVBUF_DEFAULT : UDP_RCVBUF_DEFAULT;
}

static int
sndbuf_of(const struct tern_sock *s)
{
	/* relaxed: a setting. */
	int v = atomic_load_explicit(&((struct tern_sock *)s)->so_sndbuf, memory_order_relaxed);
	return v != 0 ? v : s->type == SOCK_STREAM ? TCP_SNDBUF_DEFAULT : UDP_SNDBUF_DEFAULT;
}

/* ---- conversions ---- */

/* Linux sock_set_timeout: tv_sec < 0 = do not wait (0), {0, 0} = forever
 * (-1), else whole jiffies rounded up. Beyond what int64 nanoseconds hold
 * (292 years) Tern waits forever, where Linux would still count. */
static int64_t
timeout_ns(const struct timeval *tv)
{
	if (tv->tv_sec < 0)
		return 0;
	if (tv->tv_sec == 0 && tv->tv_usec == 0)
		return -1;
	if (tv->tv_sec >= INT64_MAX / NS_PER_JIFFY / LINUX_HZ - 1)
		return -1;
	int64_t j = (int64_t)tv->tv_sec * LINUX_HZ +
		    (tv->tv_usec + 1000000 / LINUX_HZ - 1) / (1000000 / LINUX_HZ);
	return j * NS_PER_JIFFY;
}

/* Linux sock_get_timeout: forever and "do not wait" both read {0, 0}. */
static struct timeval
timeout_tv(int64_t ns)
{
	struct timeval tv = { 0, 0 };
	if (ns > 0) {
		int64_t j = ns / NS_PER_JIFFY;
		tv.tv_sec = j / LINUX_HZ;
		tv.tv_usec = (j % LINUX_HZ) * 1000000 / LINUX_HZ;
	}
	return tv;
}

/* SO_LINGER's l_linger as Linux reads it back: seconds are kept in jiffies
 * as an unsigned long; a negative l_linger (huge once sign-extended) means
 * MAX_SCHEDULE_TIMEOUT, which reads back as (int)(LONG_MAX / HZ). */
static int
linger_readback(int secs)
{
	if (secs >= 0)
		return secs;
	return (int)(uint32_t)((uint64_t)(INT64_MAX / LINUX_HZ) & 0xffffffffu);
}

/* Linux's SO_RCVBUF/SO_SNDBUF: clamp to the sysctl maximum (as unsigned:
 * a negative value is huge), double it (room for bookkeeping), at least
 * the minimum. */
static int
buf_size(int val, uint32_t max, int min)
{
	uint32_t v = (uint32_t)val;
	if (v > max)
		v = max;
	int d = (int)(v * 2);
	return d < min ? min : d;
}

static int
forward(struct tern_sock *s, int level, int name, int64_t val)
{
	struct tern_req req = {
		.op = TERN_REQ_SETOPT, .sock = s->slot, .level = level, .name = name,
		.ival = val,
	};
	return tern_api_request(s->rt, &req);
}

/* ---- setsockopt ---- */

static int
set_socket(struct tern_sock *s, int name, const void *val, socklen_t len)
{
	/* sk_setsockopt: every option (but SO_BINDTODEVICE) starts by reading
	 * an int, so a short one is EINVAL even for names it does not know. */
	if (len < sizeof(int))
		return -EINVAL;
	if (val == NULL)
		return -EFAULT;
	int v;
	memcpy(&v, val, sizeof(v));
	bool on = v != 0;
	bool tcp = s->type == SOCK_STREAM;
	int rc = 0;

	switch (name) {
	case SO_BROADCAST:
		if (!tcp)   /* UDP's sendto checks it in the stack too */
			rc = forward(s, SOL_SOCKET, name, on);
		if (rc == 0)   /* relaxed: a setting (sendto and connect read it) */
			atomic_store_explicit(&s->broadcast, on, memory_order_relaxed);
		return rc;
	case SO_REUSEADDR:
		rc = forward(s, SOL_SOCKET, name, on);
		if (rc == 0)   /* relaxed: a cached setting (the stack has its own) */
			atomic_store_explicit(&s->reuseaddr, on, memory_order_relaxed);
		return rc;
	case SO_REUSEPORT:
		rc = forward(s, SOL_SOCKET, name, on);
		if (rc == 0)
			opts_change(s, SOCK_OPT_REUSEPORT, on);
		return rc;
	case SO_KEEPALIVE:
		/* Linux keeps the flag on any socket; only TCP acts on it. */
		if (tcp)
			rc = forward(s, SOL_SOCKET, name, on);
		if (rc == 0)
			opts_change(s, SOCK_OPT_KEEPALIVE, on);
		return rc;
	case SO_LINGER: {
		struct linger lg;
		if (len < sizeof(lg))
			return -EINVAL;
		memcpy(&lg, val, sizeof(lg));
		/* Only l_linger == 0 changes what Tern's close() does (RST); a
		 * close() never waits for unsent data here. */
		if (tcp)
			rc = forward(s, SOL_SOCKET, name,
				     !lg.l_onoff ? -1 : lg.l_linger < 0 ? INT32_MAX : lg.l_linger);
		if (rc != 0)
			return rc;
		/* Linux: l_onoff == 0 clears the flag and keeps the old time.
		 * relaxed: a setting, read by getsockopt only. */
		if (lg.l_onoff)
			atomic_store_explicit(&s->linger, linger_readback(lg.l_linger),
					      memory_order_relaxed);
		opts_change(s, SOCK_OPT_LINGER, lg.l_onoff != 0);
		return 0;
	}
	case SO_RCVBUF: {
		int b = buf_size(v, RMEM_MAX, SOCK_MIN_RCVBUF);
		if (tcp)   /* TCP sizes its window from it */
			rc = forward(s, SOL_SOCKET, name, b);
		if (rc != 0)
			return rc;
		/* relaxed: a limit the stack reads per datagram. */
		atomic_store_explicit(&s->chan.rcvbuf, (uint32_t)b, memory_order_relaxed);
		atomic_store_explicit(&s->so_rcvbuf, b, memory_order_relaxed);   /* relaxed: as above */
		opts_change(s, SOCK_OPT_RCVBUF_LOCK, true);
		return 0;
	}
	case SO_SNDBUF: {
		int b = buf_size(v, WMEM_MAX, SOCK_MIN_SNDBUF);
		if (tcp)
			rc = forward(s, SOL_SOCKET, name, b);
		if (rc != 0)
			return rc;
		/* relaxed: a limit each send reads. */
		atomic_store_explicit(&s->chan.sndbuf, (uint32_t)b, memory_order_relaxed);
		atomic_store_explicit(&s->so_sndbuf, b, memory_order_relaxed);   /* relaxed: as above */
		opts_change(s, SOCK_OPT_SNDBUF_LOCK, true);
		return 0;
	}
	case SO_RCVLOWAT: {
		if (v < 0)
			v = INT_MAX;
		if (tcp) {
			/* tcp_set_rcvlowat: at most half the buffer (the largest
			 * it may grow to unless locked); an unlocked buffer grows
			 * to hold the low-water mark (tcp_space_from_win at
			 * Linux's default 50% payload ratio). */
			bool locked = opts_of(s) & SOCK_OPT_RCVBUF_LOCK;
			int cap = (locked ? rcvbuf_of(s) : TCP_RMEM_MAX) >> 1;
			if (v > cap)
				v = cap;
			int64_t space = 2 * (int64_t)v;
			/* relaxed, here: limits; the stack's window follows the
			 * SO_RCVBUF request, not these stores. */
			if (!locked && space > rcvbuf_of(s)) {
				if ((uint32_t)space > atomic_load_explicit(&s->chan.rcvbuf,
									   memory_order_relaxed)) {
					rc = forward(s, SOL_SOCKET, SO_RCVBUF, space);
					if (rc != 0)
						return rc;
					atomic_store_explicit(&s->chan.rcvbuf, (uint32_t)space,
							      memory_order_relaxed);
				}
				atomic_store_explicit(&s->so_rcvbuf, (int)space, memory_order_relaxed);
			}
		}
		/* relaxed: a setting; the wake below makes pollers read it. */
		atomic_store_explicit(&s->rcvlowat, v != 0 ? v : 1, memory_order_relaxed);
		/* Readiness may have changed (Linux's tcp_data_ready): pollers look again. */
		tern_chan_wake(&s->chan);
		return 0;
	}
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		struct timeval tv;
		if (len < sizeof(tv))
			return -EINVAL;
		memcpy(&tv, val, sizeof(tv));
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EDOM;
		/* relaxed: a setting, read by the next blocking call. */
		atomic_store_explicit(name == SO_RCVTIMEO ? &s->rcvtimeo_ns : &s->sndtimeo_ns,
				      timeout_ns(&tv), memory_order_relaxed);
		return 0;
	}
	default:
		/* Unknown, and the read-only SO_TYPE, SO_ERROR, SO_ACCEPTCONN,
		 * SO_PROTOCOL, SO_DOMAIN. */
		return -ENOPROTOOPT;
	}
}

static int
set_ip(struct tern_sock *s, int name, const void *val, socklen_t len)
{
	if (name != IP_TTL && name != IP_TOS)
		return -ENOPROTOOPT;
	/* do_ip_setsockopt: an int, or one byte when optlen is 1..3, or 0
	 * when optlen is 0. */
	int v = 0;
	if (len >= sizeof(int)) {
		if (val == NULL)
			return -EFAULT;
		memcpy(&v, val, sizeof(v));
	} else if (len >= 1) {
		if (val == NULL)
			return -EFAULT;
		v = *(const uint8_t *)val;
	}
	int rc;
	if (name == IP_TTL) {
		if (len < 1 || (v != -1 && (v < 1 || v > 255)))
			return -EINVAL;
		if (v == -1)   /* the default again */
			v = TTL_DEFAULT;
		rc = forward(s, IPPROTO_IP, name, v);
		if (rc == 0)   /* relaxed: a cached setting (the stack has its own) */
			atomic_store_explicit(&s->ttl, v, memory_order_relaxed);
		return rc;
	}
	/* __ip_sock_set_tos: TCP keeps the ECN field for itself. relaxed, both
	 * accesses of tos: a cached setting (the stack has its own). */
	if (s->type == SOCK_STREAM)
		v = (v & ~INET_ECN_MASK) |
		    (atomic_load_explicit(&s->tos, memory_order_relaxed) & INET_ECN_MASK);
	v &= 0xff;
	rc = forward(s, IPPROTO_IP, name, v);
	if (rc == 0)
		atomic_store_explicit(&s->tos, v, memory_order_relaxed);
	return rc;
}

static int
set_tcp(struct tern_sock *s, int name, const void *val, socklen_t len)
{
	if (name == TCP_CONGESTION) {
		/* A string of at most 15 bytes, cut at the first NUL. */
		if (len < 1)
			return -EINVAL;
		if (val == NULL)
			return -EFAULT;
		struct tern_req req = { .op = TERN_REQ_SETOPT, .sock = s->slot,
					.level = IPPROTO_TCP, .name = name };
		size_t n = len < TCP_CA_NAME_MAX - 1 ? len : TCP_CA_NAME_MAX - 1;
		memcpy(req.str, val, n);   /* req.str is zeroed and longer than n */
		return tern_api_request(s->rt, &req);
	}
	if (len < sizeof(int))
		return -EINVAL;
	if (val == NULL)
		return -EFAULT;
	int v;
	memcpy(&v, val, sizeof(v));
	/* Ranges are checked here too: the stack takes any value silently
	 * once the connection is gone, Linux still checks. */
	switch (name) {
	case TCP_NODELAY:
		v = v != 0;
		break;
	case TCP_MAXSEG:
		if (v != 0 && (v < TCP_MIN_MSS || v > TCP_MAX_USER_MSS))
			return -EINVAL;
		break;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > TCP_MAX_KEEPTIME)
			return -EINVAL;
		break;
	case TCP_KEEPCNT:
		if (v < 1 || v > TCP_MAX_KEEPCNT)
			return -EINVAL;
		break;
	default:
		return -ENOPROTOOPT;   /* TCP_INFO is read-only */
	}
	return forward(s, IPPROTO_TCP, name, v);
}

int
tern_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	int rc;
	if ((int)len < 0)   /* optlen is an int to Linux */
		rc = -EINVAL;
	else if (level == SOL_SOCKET)
		rc = set_socket(s, name, val, len);
	else if (level == IPPROTO_IP)
		rc = set_ip(s, name, val, len);
	else if (level == IPPROTO_TCP && s->type == SOCK_STREAM)
		rc = set_tcp(s, name, val, len);
	else if (level == IPPROTO_UDP && s->type == SOCK_DGRAM)
		/* udp_lib_setsockopt reads an int first; Tern has no UDP-level
		 * options (Linux: UDP_CORK, UDP_SEGMENT, ...). */
		rc = len < sizeof(int) ? -EINVAL : val == NULL ? -EFAULT : -ENOPROTOOPT;
	else
		/* Any other level goes to ip_setsockopt, which knows only SOL_IP. */
		rc = -ENOPROTOOPT;
	sock_leave(s);
	return rc == 0 ? 0 : sock_fail(-rc);
}

/* ---- getsockopt ---- */

/* Copy min(*len, have) bytes out, as Linux; *len is not negative. */
static int
put(void *val, socklen_t *len, const void *src, size_t have)
{
	size_t n = *len < have ? *len : have;
	if (n > 0 && val == NULL)
		return -EFAULT;
	if (n > 0)
		memcpy(val, src, n);
	*len = (socklen_t)n;
	return 0;
}

static int
get_socket(struct tern_sock *s, int name, void *val, socklen_t *len)
{
	int v;
	/* relaxed, all loads: settings and cached values. */
	switch (name) {
	case SO_BROADCAST:
		v = atomic_load_explicit(&s->broadcast, memory_order_relaxed);
		break;
	case SO_REUSEADDR:
		v = atomic_load_explicit(&s->reuseaddr, memory_order_relaxed);
		break;
	case SO_REUSEPORT:
		v = (opts_of(s) & SOCK_OPT_REUSEPORT) != 0;
		break;
	case SO_KEEPALIVE:
		v = (opts_of(s) & SOCK_OPT_KEEPALIVE) != 0;
		break;
	case SO_LINGER: {
		struct linger lg = {
			.l_onoff = (opts_of(s) & SOCK_OPT_LINGER) != 0,
			.l_linger = atomic_load_explicit(&s->linger, memory_order_relaxed),
		};
		return put(val, len, &lg, sizeof(lg));
	}
	case SO_RCVBUF:
		v = rcvbuf_of(s);
		break;
	case SO_SNDBUF:
		v = sndbuf_of(s);
		break;
	case SO_RCVLOWAT:
		v = atomic_load_explicit(&s->rcvlowat, memory_order_relaxed);
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		struct timeval tv = timeout_tv(atomic_load_explicit(
			name == SO_RCVTIMEO ? &s->rcvtimeo_ns : &s->sndtimeo_ns,
			memory_order_relaxed));
		return put(val, len, &tv, sizeof(tv));
	}
	case SO_ERROR:
		/* Read and clear, even when nothing is copied out (Linux).
		 * acquire: pairs with the stack's release of the error. */
		v = atomic_exchange_explicit(&s->chan.so_error, 0, memory_order_acquire);
		break;
	case SO_TYPE:
		v = s->type;
		break;
	case SO_PROTOCOL:
		v = s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
		break;
	case SO_DOMAIN:
		v = AF_INET;
		break;
	case SO_ACCEPTCONN:
		v = atomic_load_explicit(&s->listening, memory_order_relaxed);
		break;
	default:
		return -ENOPROTOOPT;
	}
	return put(val, len, &v, sizeof(v));
}

static int
get_ip(struct tern_sock *s, int name, void *val, socklen_t *len)
{
	int v;
	/* relaxed: cached settings. */
	if (name == IP_TTL)
		v = atomic_load_explicit(&s->ttl, memory_order_relaxed);
	else if (name == IP_TOS)
		v = atomic_load_explicit(&s->tos, memory_order_relaxed);
	else
		return -ENOPROTOOPT;
	/* do_ip_getsockopt: a buffer of 1..3 bytes gets the value as one byte. */
	if (*len > 0 && *len < sizeof(int) && v >= 0 && v <= 255) {
		uint8_t b = (uint8_t)v;
		*len = 1;
		return put(val, len, &b, 1);
	}
	return put(val, len, &v, sizeof(v));
}

static int
get_tcp(struct tern_sock *s, int name, void *val, socklen_t *len)
{
	switch (name) {
	case TCP_NODELAY:
	case TCP_MAXSEG:
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_CONGESTION:
	case TCP_INFO:
		break;
	default:
		return -ENOPROTOOPT;
	}
	struct tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	struct tern_req req = { .op = TERN_REQ_GETOPT, .sock = s->slot,
				.level = IPPROTO_TCP, .name = name };
	if (name == TCP_INFO) {
		req.buf = &ti;
		req.buflen = sizeof(ti);
	}
	int rc = tern_api_request(s->rt, &req);
	if (rc != 0)
		return rc;
	if (name == TCP_INFO)
		/* The struct of the headers Tern was built with (glibc's); a
		 * newer kernel's is longer and fills more of a longer buffer. */
		return put(val, len, &ti, sizeof(ti));
	if (name == TCP_CONGESTION) {
		/* The module's name field: TCP_CA_NAME_MAX bytes, NUL padded. */
		char name_buf[TCP_CA_NAME_MAX];
		memset(name_buf, 0, sizeof(name_buf));
		memcpy(name_buf, req.str, strnlen(req.str, sizeof(req.str) - 1));
		return put(val, len, name_buf, sizeof(name_buf));
	}
	int v = (int)req.ival;
	return put(val, len, &v, sizeof(v));
}

int
tern_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct tern_sock *s = sock_enter(fd);
	if (s == NULL)
		return -1;
	int rc;
	bool tcp = s->type == SOCK_STREAM;
	/* Which code answers decides the errno: SOL_SOCKET is sk_getsockopt,
	 * IPPROTO_TCP on TCP and IPPROTO_UDP on UDP their protocol's own, and
	 * everything else ip_getsockopt, which refuses any level but SOL_IP
	 * with EOPNOTSUPP before it looks at the length. */
	if (!(level == SOL_SOCKET || level == IPPROTO_IP ||
	      (level == IPPROTO_TCP && tcp) || (level == IPPROTO_UDP && !tcp)))
		rc = -EOPNOTSUPP;
	else if (len == NULL)
		rc = -EFAULT;
	else if ((int)*len < 0)
		rc = -EINVAL;
	else if (level == SOL_SOCKET)
		rc = get_socket(s, name, val, len);
	else if (level == IPPROTO_IP)
		rc = get_ip(s, name, val, len);
	else if (level == IPPROTO_TCP)
		rc = get_tcp(s, name, val, len);
	else
		rc = -ENOPROTOOPT;   /* no UDP-level options (see setsockopt) */
	sock_leave(s);
	return rc == 0 ? 0 : sock_fail(-rc);
}

/* ---- fcntl ---- */

/*
 * Tern has no kernel file behind a socket, so the socket module's timeout
 * is its blocking state: F_GETFL shows O_NONBLOCK exactly when the timeout
 * is 0 (setblocking(False), settimeout(0.0), SOCK_NONBLOCK, or F_SETFL).
 * Python's settimeout(x > 0) also makes its kernel descriptor O_NONBLOCK
 * (it then waits in poll() itself); Tern waits inside the call, so such a
 * socket reads as blocking. F_SETFL with O_NONBLOCK is settimeout(0.0);
 * without it, a non-blocking socket becomes blocking (settimeout(None))
 * and a socket with a timeout keeps it.
 */
int
tern_fcntl(int fd, int cmd, ...)
{
	int arg = 0;
	if (cmd == F_SETFL || cmd == F_SETFD) {
		va_list ap;
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	if (fd < TERN_FD_BASE || (unsigned)(fd - TERN_FD_BASE) >= TERN_FD_MAX)
		return sock_fail(EBADF);
	uint32_t idx = (uint32_t)(fd - TERN_FD_BASE);
	struct tern_sock *s = NULL;
	if (!epoll_is(fd)) {
		s = sock_enter(fd);
		if (s == NULL)
			return -1;   /* EBADF */
	}
	_Atomic uint32_t *fl = &fd_flags[idx];
	int rc;
	/* relaxed, every access below: descriptor flags and the timeout are
	 * settings, each read or changed in one step. */
	switch (cmd) {
	case F_GETFD:
		rc = (int)(atomic_load_explicit(fl, memory_order_relaxed) & FD_CLOEXEC);
		break;
	case F_SETFD:
		bits_set(fl, FD_CLOEXEC, (uint32_t)arg);
		rc = 0;
		break;
	case F_GETFL: {
		uint32_t f = atomic_load_explicit(fl, memory_order_relaxed);
		bool nb = s != NULL ? atomic_load_explicit(&s->timeout_ns, memory_order_relaxed) == 0 :
				      (f & O_NONBLOCK) != 0;
		rc = O_RDWR | (int)(f & FL_KEPT) | (nb ? O_NONBLOCK : 0);
		break;
	}
	case F_SETFL:
		/* setfl(): a socket cannot do O_DIRECT; access mode and
		 * creation flags are ignored. */
		if (arg & O_DIRECT) {
			rc = -EINVAL;
			break;
		}
		bits_set(fl, FL_KEPT | (s == NULL ? O_NONBLOCK : 0), (uint32_t)arg);
		if (s == NULL) {
			/* an epoll set: the flag is only remembered (epoll_wait
			 * ignores it, as Linux's) */
		} else if (arg & O_NONBLOCK) {
			atomic_store_explicit(&s->timeout_ns, 0, memory_order_relaxed);
		} else {
			int64_t zero = 0;
			/* relaxed: only a non-blocking socket becomes blocking. */
			atomic_compare_exchange_strong_explicit(&s->timeout_ns, &zero, -1,
								memory_order_relaxed,
								memory_order_relaxed);
		}
		rc = 0;
		break;
	default:
		rc = -EINVAL;   /* F_DUPFD, F_GETOWN, locks, leases: not for Tern descriptors */
		break;
	}
	if (s != NULL)
		sock_leave(s);
	return rc >= 0 ? rc : sock_fail(-rc);
}

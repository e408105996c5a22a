/*
 * Recording and the helpers scenarios are written with: every sut_*() call
 * goes through the backend under test, every peer_*() call is a plain
 * kernel call in this process's namespace (the peer side, 198.18.0.1).
 * Each helper records its label and normalised result (diff.h says how).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "diff.h"

/* ---- formatting ---- */

const char *
err_name(int e)
{
	const char *n = strerrorname_np(e);
	return n != NULL ? n : "E?";
}

void
rec(struct diff_ctx *c, const char *label, const char *fmt, ...)
{
	char val[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	/* One line per step; tabs and newlines would break the format. */
	for (char *p = val; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	fprintf(c->out, "%s\t%d\t%s\t%s\n", c->sc->name, c->step++, label, val);
	fflush(c->out);
}

void
rec_ret(struct diff_ctx *c, const char *label, long rc, int err)
{
	if (rc < 0)
		rec(c, label, "-1 %s", err_name(err));
	else
		rec(c, label, "%ld", rc);
}

void
rec_fd(struct diff_ctx *c, const char *label, int rc, int err)
{
	if (rc < 0)
		rec(c, label, "-1 %s", err_name(err));
	else
		rec(c, label, "fd");
}

const char *
port_str(uint16_t port, char *buf, size_t len)
{
	if (port >= EPH_LO && port <= EPH_HI)
		snprintf(buf, len, "eph");
	else
		snprintf(buf, len, "%u", port);
	return buf;
}

const char *
addr_str(const struct sockaddr *sa, socklen_t len, char *buf, size_t blen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	if (len < sizeof(sa_family_t)) {
		snprintf(buf, blen, "len=%u", (unsigned)len);
		return buf;
	}
	if (sin->sin_family != AF_INET || len < sizeof(*sin)) {
		snprintf(buf, blen, "family=%d/%u", sin->sin_family, (unsigned)len);
		return buf;
	}
	char ip[INET_ADDRSTRLEN], p[16];
	inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
	snprintf(buf, blen, "%s:%s/%u", ip, port_str(ntohs(sin->sin_port), p, sizeof(p)),
		 (unsigned)len);
	return buf;
}

const char *
poll_str(unsigned m, char *buf, size_t len)
{
	static const struct { unsigned bit; const char *name; } bits[] = {
		{ POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" },
		{ POLLERR, "ERR" }, { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" },
		{ POLLRDNORM, "RDNORM" }, { POLLRDBAND, "RDBAND" },
		{ POLLWRNORM, "WRNORM" }, { POLLWRBAND, "WRBAND" },
		{ POLLRDHUP, "RDHUP" },
	};
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(m & bits[i].bit))
			continue;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      n ? "|" : "", bits[i].name);
		m &= ~bits[i].bit;
	}
	if (m != 0)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s0x%x", n ? "|" : "", m);
	if (n == 0)
		snprintf(buf, len, "0");
	return buf;
}

static uint32_t
fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

const char *
bytes_str(const void *p, size_t n, char *buf, size_t len)
{
	const uint8_t *b = p;
	size_t o = (size_t)snprintf(buf, len, "%zu '", n);
	for (size_t i = 0; i < n && i < 12 && o + 5 < len; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\'' && b[i] != '\\')
			buf[o++] = (char)b[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", b[i]);
	}
	snprintf(buf + o, len - o, "%s' #%08x", n > 12 ? "..." : "", fnv1a(b, n));
	return buf;
}

struct sockaddr_in
sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in s;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_addr.s_addr = htonl(ip);
	s.sin_port = htons(port);
	return s;
}

uint8_t
pattern_byte(size_t off)
{
	/* Not periodic in any short span, so a lost or repeated chunk shows. */
	return (uint8_t)((off * 7 + (off >> 8) * 13 + (off >> 16)) & 0xff);
}

/* ---- descriptor tracking (what a scenario leaves open is closed after it) ---- */

static void
track(int *fds, int *n, int fd)
{
	if (fd >= 0 && *n < CTX_MAX_FDS)
		fds[(*n)++] = fd;
}

static void
untrack(int *fds, int *n, int fd)
{
	for (int i = 0; i < *n; i++)
		if (fds[i] == fd) {
			fds[i] = fds[--*n];
			return;
		}
}

/* ---- the socket under test ---- */

int
sut_socket(struct diff_ctx *c, const char *l, int domain, int type, int proto)
{
	int fd = c->b->socket(domain, type, proto);
	rec_fd(c, l, fd, errno);
	track(c->sut_fds, &c->n_sut, fd);
	return fd;
}

int
sut_tcp(struct diff_ctx *c, const char *l)
{
	return sut_socket(c, l, AF_INET, SOCK_STREAM, 0);
}

int
sut_udp(struct diff_ctx *c, const char *l)
{
	return sut_socket(c, l, AF_INET, SOCK_DGRAM, 0);
}

int
sut_bind(struct diff_ctx *c, const char *l, int fd, const struct sockaddr *a, socklen_t len)
{
	int rc = c->b->bind(fd, a, len);
	rec_ret(c, l, rc, errno);
	return rc;
}

int
sut_bind_to(struct diff_ctx *c, const char *l, int fd, uint32_t ip, uint16_t port)
{
	struct sockaddr_in s = sin_of(ip, port);
	return sut_bind(c, l, fd, (struct sockaddr *)&s, sizeof(s));
}

int
sut_listen(struct diff_ctx *c, const char *l, int fd, int backlog)
{
	int rc = c->b->listen(fd, backlog);
	rec_ret(c, l, rc, errno);
	return rc;
}

int
sut_accept(struct diff_ctx *c, const char *l, int fd, int flags)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t len = sizeof(a);
	int rc = c->b->accept4(fd, (struct sockaddr *)&a, &len, flags);
	int e = errno;
	if (rc < 0) {
		rec_fd(c, l, rc, e);
		return rc;
	}
	char buf[64];
	rec(c, l, "fd %s", addr_str((struct sockaddr *)&a, len, buf, sizeof(buf)));
	track(c->sut_fds, &c->n_sut, rc);
	return rc;
}

int
sut_connect(struct diff_ctx *c, const char *l, int fd, const struct sockaddr *a, socklen_t len)
{
	int rc = c->b->connect(fd, a, len);
	rec_ret(c, l, rc, errno);
	return rc;
}

int
sut_connect_to(struct diff_ctx *c, const char *l, int fd, uint32_t ip, uint16_t port)
{
	struct sockaddr_in s = sin_of(ip, port);
	return sut_connect(c, l, fd, (struct sockaddr *)&s, sizeof(s));
}

ssize_t
sut_send(struct diff_ctx *c, const char *l, int fd, const void *buf, size_t len, int flags)
{
	ssize_t rc = c->b->send(fd, buf, len, flags);
	rec_ret(c, l, rc, errno);
	return rc;
}

ssize_t
sut_sendto(struct diff_ctx *c, const char *l, int fd, const void *buf, size_t len,
	   int flags, uint32_t ip, uint16_t port)
{
	struct sockaddr_in s = sin_of(ip, port);
	ssize_t rc = c->b->sendto(fd, buf, len, flags, (struct sockaddr *)&s, sizeof(s));
	rec_ret(c, l, rc, errno);
	return rc;
}

/* Record a receive: its result and the bytes (as many as the buffer got). */
static void
rec_recv(struct diff_ctx *c, const char *l, ssize_t rc, int err, const uint8_t *buf,
	 size_t len, const char *extra)
{
	char b[128];
	if (rc < 0) {
		rec(c, l, "-1 %s", err_name(err));
		return;
	}
	size_t got = (size_t)rc < len ? (size_t)rc : len;
	if ((size_t)rc != got)   /* MSG_TRUNC: the real length is larger */
		rec(c, l, "%zd got %s%s", rc, bytes_str(buf, got, b, sizeof(b)), extra);
	else
		rec(c, l, "%s%s", bytes_str(buf, got, b, sizeof(b)), extra);
}

ssize_t
sut_recv(struct diff_ctx *c, const char *l, int fd, size_t len, int flags)
{
	uint8_t *buf = calloc(1, len + 1);
	ssize_t rc = c->b->recv(fd, len ? buf : NULL, len, flags);
	rec_recv(c, l, rc, errno, buf, len, "");
	free(buf);
	return rc;
}

ssize_t
sut_recvfrom(struct diff_ctx *c, const char *l, int fd, size_t len, int flags)
{
	uint8_t *buf = calloc(1, len + 1);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t alen = sizeof(a);
	ssize_t rc = c->b->recvfrom(fd, len ? buf : NULL, len, flags, (struct sockaddr *)&a, &alen);
	int e = errno;
	char ab[80], ex[96];
	snprintf(ex, sizeof(ex), " from %s", addr_str((struct sockaddr *)&a, alen, ab, sizeof(ab)));
	rec_recv(c, l, rc, e, buf, len, rc >= 0 ? ex : "");
	free(buf);
	return rc;
}

ssize_t
sut_recv_exact(struct diff_ctx *c, const char *l, int fd, size_t want)
{
	uint8_t *buf = calloc(1, want + 1);
	size_t got = 0;
	ssize_t rc = 0;
	int e = 0;
	/* Bounded: every call either makes progress or ends the loop; the
	 * socket's own blocking is the wait. */
	while (got < want) {
		rc = c->b->recv(fd, buf + got, want - got, 0);
		e = errno;
		if (rc <= 0)
			break;
		got += (size_t)rc;
	}
	char b[128];
	if (got < want)
		rec(c, l, "%s then %s", bytes_str(buf, got, b, sizeof(b)),
		    rc == 0 ? "EOF" : err_name(e));
	else
		rec(c, l, "%s", bytes_str(buf, got, b, sizeof(b)));
	free(buf);
	return (ssize_t)got;
}

ssize_t
sut_send_pattern(struct diff_ctx *c, const char *l, int fd, size_t len, size_t off)
{
	uint8_t *buf = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(off + i);
	size_t sent = 0;
	ssize_t rc = 0;
	int e = 0;
	while (sent < len) {
		rc = c->b->send(fd, buf + sent, len - sent, 0);
		e = errno;
		if (rc <= 0)
			break;
		sent += (size_t)rc;
	}
	free(buf);
	if (sent < len)
		rec(c, l, "%zu then %s", sent, rc == 0 ? "0" : err_name(e));
	else
		rec(c, l, "%zu", sent);
	return (ssize_t)sent;
}

int
sut_shutdown(struct diff_ctx *c, const char *l, int fd, int how)
{
	int rc = c->b->shutdown(fd, how);
	rec_ret(c, l, rc, errno);
	return rc;
}

int
sut_close(struct diff_ctx *c, const char *l, int fd)
{
	int rc = c->b->close(fd);
	rec_ret(c, l, rc, errno);
	untrack(c->sut_fds, &c->n_sut, fd);
	return rc;
}

int
sut_setint(struct diff_ctx *c, const char *l, int fd, int level, int name, int v)
{
	int rc = c->b->setsockopt(fd, level, name, &v, sizeof(v));
	rec_ret(c, l, rc, errno);
	return rc;
}

int
sut_getint(struct diff_ctx *c, const char *l, int fd, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	int rc = c->b->getsockopt(fd, level, name, &v, &len);
	if (rc < 0)
		rec(c, l, "-1 %s", err_name(errno));
	else if (level == SOL_SOCKET && name == SO_ERROR)
		rec(c, l, "0 %s len=%u", v ? err_name(v) : "0", (unsigned)len);
	else
		rec(c, l, "0 %d len=%u", v, (unsigned)len);
	return rc < 0 ? rc : v;
}

int
sut_settv(struct diff_ctx *c, const char *l, int fd, int name, long sec, long usec)
{
	struct timeval tv = { .tv_sec = sec, .tv_usec = usec };
	int rc = c->b->setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv));
	rec_ret(c, l, rc, errno);
	return rc;
}

int
sut_gettv(struct diff_ctx *c, const char *l, int fd, int name)
{
	struct timeval tv = { -1, -1 };
	socklen_t len = sizeof(tv);
	int rc = c->b->getsockopt(fd, SOL_SOCKET, name, &tv, &len);
	if (rc < 0)
		rec(c, l, "-1 %s", err_name(errno));
	else
		rec(c, l, "0 %ld.%06ld len=%u", (long)tv.tv_sec, (long)tv.tv_usec, (unsigned)len);
	return rc;
}

static int
sut_name(struct diff_ctx *c, const char *l, int fd, bool peer)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t len = sizeof(a);
	int rc = peer ? c->b->getpeername(fd, (struct sockaddr *)&a, &len) :
			c->b->getsockname(fd, (struct sockaddr *)&a, &len);
	char buf[64];
	if (rc < 0)
		rec(c, l, "-1 %s", err_name(errno));
	else
		rec(c, l, "0 %s", addr_str((struct sockaddr *)&a, len, buf, sizeof(buf)));
	return rc;
}

int
sut_sockname(struct diff_ctx *c, const char *l, int fd)
{
	return sut_name(c, l, fd, false);
}

int
sut_peername(struct diff_ctx *c, const char *l, int fd)
{
	return sut_name(c, l, fd, true);
}

int
sut_settimeout(struct diff_ctx *c, const char *l, int fd, double s)
{
	int rc = c->b->settimeout(fd, s);
	rec_ret(c, l, rc, errno);
	return rc;
}

int
sut_setblocking(struct diff_ctx *c, const char *l, int fd, bool blocking)
{
	int rc = c->b->setblocking(fd, blocking);
	rec_ret(c, l, rc, errno);
	return rc;
}

void
sut_gettimeout(struct diff_ctx *c, const char *l, int fd)
{
	errno = 0;
	double t = c->b->gettimeout(fd);
	int e = errno;
	if (t < 0 && e != 0)
		rec(c, l, "%.3f %s", t, err_name(e));
	else
		rec(c, l, "%.3f", t);
}

int
sut_poll1(struct diff_ctx *c, const char *l, int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
	int rc = c->b->poll(&p, 1, ms);
	char buf[128];
	if (rc < 0)
		rec(c, l, "-1 %s", err_name(errno));
	else
		rec(c, l, "%d %s", rc, poll_str((unsigned short)p.revents, buf, sizeof(buf)));
	return rc < 0 ? rc : p.revents;
}

int
sut_wait(struct diff_ctx *c, const char *l, int fd, short events)
{
	return sut_poll1(c, l, fd, events, WAIT_MS);
}

int
sut_fcntl(struct diff_ctx *c, const char *l, int fd, int cmd, int arg)
{
	int rc = c->b->fcntl(fd, cmd, arg);
	int e = errno;
	if (rc < 0)
		rec(c, l, "-1 %s", err_name(e));
	else if (cmd == F_GETFL)
		/* Only the bits a socket's status can differ in. */
		rec(c, l, "%s%s", (rc & O_ACCMODE) == O_RDWR ? "O_RDWR" : "O_ACC?",
		    (rc & O_NONBLOCK) ? "|O_NONBLOCK" : "");
	else
		rec(c, l, "%d", rc);
	return rc;
}

/* ---- the peer ---- */

static int
peer_socket(struct diff_ctx *c, int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Every blocking peer call is bounded. */
	struct timeval tv = { .tv_sec = PEER_TIMEO_MS / 1000,
			      .tv_usec = (PEER_TIMEO_MS % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	track(c->peer_fds, &c->n_peer, fd);
	return fd;
}

static int
peer_udp_on(struct diff_ctx *c, uint32_t ip, uint16_t port, const char *l)
{
	int fd = peer_socket(c, SOCK_DGRAM);
	struct sockaddr_in a = sin_of(ip, port);
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&a, sizeof(a));
	rec_ret(c, l, rc, errno);
	return rc < 0 ? -1 : fd;
}

int
peer_udp(struct diff_ctx *c, uint16_t port)
{
	return peer_udp_on(c, PEER_IP, port, "peer.udp");
}

int
peer_udp_any(struct diff_ctx *c, uint16_t port)
{
	return peer_udp_on(c, INADDR_ANY, port, "peer.udp_any");
}

int
peer_listen(struct diff_ctx *c, uint16_t port, int backlog)
{
	int fd = peer_socket(c, SOCK_STREAM);
	struct sockaddr_in a = sin_of(PEER_IP, port);
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&a, sizeof(a));
	if (rc == 0)
		rc = listen(fd, backlog);
	rec_ret(c, "peer.listen", rc, errno);
	return rc < 0 ? -1 : fd;
}

int
peer_accept(struct diff_ctx *c, const char *l, int lfd)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t len = sizeof(a);
	int fd = accept4(lfd, (struct sockaddr *)&a, &len, SOCK_CLOEXEC);
	if (fd < 0) {
		rec_fd(c, l, fd, errno);
		return -1;
	}
	struct timeval tv = { .tv_sec = PEER_TIMEO_MS / 1000,
			      .tv_usec = (PEER_TIMEO_MS % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	track(c->peer_fds, &c->n_peer, fd);
	char buf[64];
	rec(c, l, "fd %s", addr_str((struct sockaddr *)&a, len, buf, sizeof(buf)));
	return fd;
}

int
peer_connect(struct diff_ctx *c, const char *l, uint16_t port)
{
	int fd = peer_socket(c, SOCK_STREAM);
	struct sockaddr_in a = sin_of(SUT_IP, port);
	int rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&a, sizeof(a));
	rec_ret(c, l, rc, errno);
	return rc < 0 ? -1 : fd;
}

ssize_t
peer_send(struct diff_ctx *c, const char *l, int fd, const void *buf, size_t len)
{
	ssize_t rc = send(fd, buf, len, MSG_NOSIGNAL);
	rec_ret(c, l, rc, errno);
	return rc;
}

ssize_t
peer_sendto(struct diff_ctx *c, const char *l, int fd, const void *buf, size_t len,
	    uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = sin_of(ip, port);
	ssize_t rc = sendto(fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&a, sizeof(a));
	rec_ret(c, l, rc, errno);
	return rc;
}

ssize_t
peer_send_pattern(struct diff_ctx *c, const char *l, int fd, size_t len, size_t off)
{
	uint8_t *buf = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(off + i);
	size_t sent = 0;
	ssize_t rc = 0;
	int e = 0;
	while (sent < len) {
		rc = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
		e = errno;
		if (rc <= 0)
			break;
		sent += (size_t)rc;
	}
	free(buf);
	if (sent < len)
		rec(c, l, "%zu then %s", sent, rc == 0 ? "0" : err_name(e));
	else
		rec(c, l, "%zu", sent);
	return (ssize_t)sent;
}

ssize_t
peer_recv(struct diff_ctx *c, const char *l, int fd, size_t len, int flags)
{
	uint8_t *buf = calloc(1, len + 1);
	ssize_t rc = recv(fd, buf, len, flags);
	rec_recv(c, l, rc, errno, buf, len, "");
	free(buf);
	return rc;
}

ssize_t
peer_recvfrom(struct diff_ctx *c, const char *l, int fd, size_t len)
{
	uint8_t *buf = calloc(1, len + 1);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	socklen_t alen = sizeof(a);
	ssize_t rc = recvfrom(fd, buf, len, 0, (struct sockaddr *)&a, &alen);
	int e = errno;
	char ab[80], ex[96];
	snprintf(ex, sizeof(ex), " from %s", addr_str((struct sockaddr *)&a, alen, ab, sizeof(ab)));
	rec_recv(c, l, rc, e, buf, len, rc >= 0 ? ex : "");
	free(buf);
	return rc;
}

ssize_t
peer_recv_exact(struct diff_ctx *c, const char *l, int fd, size_t want)
{
	uint8_t *buf = calloc(1, want + 1);
	size_t got = 0;
	ssize_t rc = 0;
	int e = 0;
	while (got < want) {
		rc = recv(fd, buf + got, want - got, 0);
		e = errno;
		if (rc <= 0)
			break;
		got += (size_t)rc;
	}
	char b[128];
	if (got < want)
		rec(c, l, "%s then %s", bytes_str(buf, got, b, sizeof(b)),
		    rc == 0 ? "EOF" : err_name(e));
	else
		rec(c, l, "%s", bytes_str(buf, got, b, sizeof(b)));
	free(buf);
	return (ssize_t)got;
}

int
peer_shutdown(struct diff_ctx *c, const char *l, int fd, int how)
{
	int rc = shutdown(fd, how);
	rec_ret(c, l, rc, errno);
	return rc;
}

int
peer_wait_acked(struct diff_ctx *c, const char *l, int fd)
{
	/* SIOCOUTQ: bytes not yet acknowledged by the other end. */
	int left = -1;
	for (int i = 0; i < WAIT_MS; i++) {
		if (ioctl(fd, SIOCOUTQ, &left) != 0 || left == 0)
			break;
		usleep(1000);
	}
	rec(c, l, "%s", left == 0 ? "all acknowledged" : "not acknowledged");
	return left == 0 ? 0 : -1;
}

void
peer_close(struct diff_ctx *c, int fd)
{
	if (fd < 0)
		return;
	close(fd);
	untrack(c->peer_fds, &c->n_peer, fd);
}

void
peer_reset(struct diff_ctx *c, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	peer_close(c, fd);
}

/* ---- common set-ups ---- */

int
tcp_pair_active(struct diff_ctx *c, int k, int *sut, int *peer)
{
	*sut = *peer = -1;
	int lfd = peer_listen(c, PORT(c, k), 8);
	if (lfd < 0)
		return -1;
	int fd = sut_tcp(c, "pair.socket");
	if (fd < 0 || sut_connect_to(c, "pair.connect", fd, PEER_IP, PORT(c, k)) != 0)
		return -1;
	int pfd = peer_accept(c, "pair.peer_accept", lfd);
	peer_close(c, lfd);
	if (pfd < 0)
		return -1;
	*sut = fd;
	*peer = pfd;
	return 0;
}

int
tcp_pair_passive(struct diff_ctx *c, int k, int *lfd, int *sut, int *peer)
{
	*lfd = *sut = *peer = -1;
	int l = sut_tcp(c, "pair.socket");
	if (l < 0 || sut_bind_to(c, "pair.bind", l, INADDR_ANY, PORT(c, k)) != 0 ||
	    sut_listen(c, "pair.listen", l, 8) != 0)
		return -1;
	*lfd = l;
	int pfd = peer_connect(c, "pair.peer_connect", PORT(c, k));
	if (pfd < 0)
		return -1;
	int fd = sut_accept(c, "pair.accept", l, 0);
	if (fd < 0)
		return -1;
	*sut = fd;
	*peer = pfd;
	return 0;
}

int
peer_listen_full(struct diff_ctx *c, int k, int *filler)
{
	*filler = -1;
	/* Linux drops a SYN while the accept queue is full
	 * (sk_acceptq_is_full: more queued than the backlog, here 0), so the
	 * SUT's connect stays in SYN-SENT, retransmitting. */
	int lfd = peer_listen(c, PORT(c, k), 0);
	if (lfd < 0)
		return -1;
	int f = peer_socket(c, SOCK_STREAM);
	struct sockaddr_in a = sin_of(PEER_IP, PORT(c, k));
	int rc = connect(f, (struct sockaddr *)&a, sizeof(a));
	rec_ret(c, "peer.filler", rc, errno);
	if (rc != 0)
		return -1;
	/* The filler's handshake may still be finishing: wait until the
	 * listener shows it queued. */
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	rc = poll(&p, 1, WAIT_MS);
	rec(c, "peer.queue_full", "%d", rc);
	*filler = f;
	return lfd;
}

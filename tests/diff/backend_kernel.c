/*
 * The reference backend: Linux's own sockets, created in the SUT namespace
 * (setns(2) around socket(2): a socket stays in the namespace it was made
 * in, so the rest of the process may live in the peer's).
 *
 * Descriptors are moved to SUT_FD_MIN and up, away from the peer's, so a
 * closed SUT descriptor is never reused by a peer socket (Tern's have a
 * range of their own too).
 *
 * Timeouts follow Python's socket module (Modules/socketmodule.c), which
 * Tern's tern_settimeout documents: the timeout lives beside the
 * descriptor; a socket with a timeout is O_NONBLOCK underneath and each
 * call that would block waits with poll(2) for at most the timeout, then
 * fails with EAGAIN (socket.timeout; connect_ex reports EWOULDBLOCK).
 * settimeout(0) is plain O_NONBLOCK, settimeout(None) plain blocking.
 * MSG_DONTWAIT never waits (Python would wait out the timeout on it, an
 * artefact of its loop, not an API promise).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"

#define SUT_FD_MIN 512
#define KFD_MAX 4096

static int ns_sut = -1;   /* the SUT namespace */
static int ns_self = -1;  /* the process's own (the peer's) */

/* Python's sock_timeout per descriptor, in seconds: < 0 None, 0 non-blocking. */
static double ktimeo[KFD_MAX];

int
kernel_backend_init(const char *sut_netns)
{
	ns_sut = open(sut_netns, O_RDONLY | O_CLOEXEC);
	ns_self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return ns_sut < 0 || ns_self < 0 ? -1 : 0;
}

/* Move a new descriptor into the SUT range, keeping FD_CLOEXEC as asked. */
static int
to_sut_range(int fd, bool cloexec, bool nonblock)
{
	if (fd < 0)
		return fd;
	int nfd = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, SUT_FD_MIN);
	int e = errno;
	close(fd);
	if (nfd < 0 || nfd >= KFD_MAX) {
		if (nfd >= 0)
			close(nfd);
		errno = nfd < 0 ? e : EMFILE;
		return -1;
	}
	ktimeo[nfd] = nonblock ? 0.0 : -1.0;
	return nfd;
}

static double
timeo(int fd)
{
	return fd >= 0 && fd < KFD_MAX ? ktimeo[fd] : -1.0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Python's sock_call_ex: after EAGAIN, wait for @p events until the
 * deadline. @return 0 to retry, -1 (errno EAGAIN) at the deadline. */
static int
wait_for(int fd, short events, uint64_t deadline)
{
	uint64_t now = now_ns();
	if (now >= deadline) {
		errno = EAGAIN;
		return -1;
	}
	struct pollfd p = { .fd = fd, .events = events };
	int ms = (int)((deadline - now + 999999) / 1000000);
	int rc = poll(&p, 1, ms);
	if (rc == 0) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

static uint64_t
deadline_of(int fd)
{
	return now_ns() + (uint64_t)(timeo(fd) * 1e9);
}

static bool
would_block(ssize_t rc)
{
	return rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static int
k_socket(int domain, int type, int protocol)
{
	if (setns(ns_sut, CLONE_NEWNET) != 0)
		return -1;
	int fd = socket(domain, type, protocol);
	int e = errno;
	if (setns(ns_self, CLONE_NEWNET) != 0)
		abort();   /* the peer's sockets would land in the wrong place */
	errno = e;
	return to_sut_range(fd, type & SOCK_CLOEXEC, type & SOCK_NONBLOCK);
}

static int
k_accept4(int fd, struct sockaddr *a, socklen_t *len, int flags)
{
	int rc;
	if (timeo(fd) > 0) {
		uint64_t dl = deadline_of(fd);
		while (would_block(rc = accept4(fd, a, len, flags)))
			if (wait_for(fd, POLLIN, dl) != 0)
				return -1;
	} else {
		rc = accept4(fd, a, len, flags);
	}
	/* Python: the new socket is blocking (no default timeout). */
	return to_sut_range(rc, flags & SOCK_CLOEXEC, flags & SOCK_NONBLOCK);
}

static int
k_connect(int fd, const struct sockaddr *a, socklen_t len)
{
	int rc = connect(fd, a, len);
	if (rc == 0 || timeo(fd) <= 0 || errno != EINPROGRESS)
		return rc;
	/* Python's internal_connect: wait for writable, then SO_ERROR. */
	if (wait_for(fd, POLLOUT, deadline_of(fd)) != 0)
		return -1;
	int err = 0;
	socklen_t elen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		return -1;
	if (err != 0 && err != EISCONN) {
		errno = err;
		return -1;
	}
	return 0;
}

static ssize_t
k_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	 socklen_t tolen)
{
	flags |= MSG_NOSIGNAL;   /* as Tern: EPIPE, never SIGPIPE */
	ssize_t rc;
	if (timeo(fd) > 0 && !(flags & MSG_DONTWAIT)) {
		uint64_t dl = deadline_of(fd);
		while (would_block(rc = sendto(fd, buf, len, flags, to, tolen)))
			if (wait_for(fd, POLLOUT, dl) != 0)
				return -1;
		return rc;
	}
	return sendto(fd, buf, len, flags, to, tolen);
}

static ssize_t
k_send(int fd, const void *buf, size_t len, int flags)
{
	return k_sendto(fd, buf, len, flags, NULL, 0);
}

static ssize_t
k_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
	ssize_t rc;
	if (timeo(fd) > 0 && !(flags & MSG_DONTWAIT)) {
		uint64_t dl = deadline_of(fd);
		while (would_block(rc = recvfrom(fd, buf, len, flags, from, fromlen)))
			if (wait_for(fd, POLLIN, dl) != 0)
				return -1;
		return rc;
	}
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

static ssize_t
k_recv(int fd, void *buf, size_t len, int flags)
{
	return k_recvfrom(fd, buf, len, flags, NULL, NULL);
}

static int
k_close(int fd)
{
	int rc = close(fd);
	if (rc == 0 && fd >= 0 && fd < KFD_MAX)
		ktimeo[fd] = -1.0;
	return rc;
}

static int
k_fcntl(int fd, int cmd, int arg)
{
	int rc = fcntl(fd, cmd, arg);
	/* The descriptor's O_NONBLOCK is what the socket module's timeout
	 * reads back after a raw fcntl (0 or None). */
	if (rc == 0 && cmd == F_SETFL && fd >= 0 && fd < KFD_MAX)
		ktimeo[fd] = (arg & O_NONBLOCK) ? 0.0 : -1.0;
	return rc;
}

static int
k_epoll_create1(int flags)
{
	return to_sut_range(epoll_create1(flags), flags & EPOLL_CLOEXEC, false);
}

static int
k_settimeout(int fd, double s)
{
	if (isnan(s)) {
		errno = EINVAL;
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	fl = s < 0 ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK);
	if (fcntl(fd, F_SETFL, fl) != 0)
		return -1;
	if (fd < KFD_MAX)
		ktimeo[fd] = s < 0 ? -1.0 : s;
	return 0;
}

static int
k_setblocking(int fd, bool blocking)
{
	return k_settimeout(fd, blocking ? -1.0 : 0.0);
}

static double
k_gettimeout(int fd)
{
	if (fcntl(fd, F_GETFD) < 0)
		return -1.0;   /* errno EBADF */
	errno = 0;
	return timeo(fd);
}

/* glibc declares these with transparent unions (__SOCKADDR_ARG): plain
 * prototypes for the vtable. */
static int
k_bind(int fd, const struct sockaddr *a, socklen_t len)
{
	return bind(fd, a, len);
}

static int
k_getsockname(int fd, struct sockaddr *a, socklen_t *len)
{
	return getsockname(fd, a, len);
}

static int
k_getpeername(int fd, struct sockaddr *a, socklen_t *len)
{
	return getpeername(fd, a, len);
}

const struct backend backend_kernel = {
	.name = "kernel",
	.socket = k_socket,
	.bind = k_bind,
	.listen = listen,
	.accept4 = k_accept4,
	.connect = k_connect,
	.send = k_send,
	.sendto = k_sendto,
	.recv = k_recv,
	.recvfrom = k_recvfrom,
	.shutdown = shutdown,
	.close = k_close,
	.setsockopt = setsockopt,
	.getsockopt = getsockopt,
	.getsockname = k_getsockname,
	.getpeername = k_getpeername,
	.fcntl = k_fcntl,
	.poll = poll,
	.epoll_create1 = k_epoll_create1,
	.epoll_ctl = epoll_ctl,
	.epoll_wait = epoll_wait,
	.settimeout = k_settimeout,
	.setblocking = k_setblocking,
	.gettimeout = k_gettimeout,
	.bad_fd = KFD_MAX - 1,
};

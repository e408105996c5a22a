/*
 * The backend under test: Tern's socket API (api/tern.h) on the default
 * runtime that diff.c starts on the net_tap port. Thin adapters only where
 * a signature differs from the vtable's.
 */
#include "diff.h"
#include "tern.h"

static int
t_fcntl(int fd, int cmd, int arg)
{
	return tern_fcntl(fd, cmd, arg);
}

const struct backend backend_tern = {
	.name = "tern",
	.socket = tern_socket,
	.bind = tern_bind,
	.listen = tern_listen,
	.accept4 = tern_accept4,
	.connect = tern_connect,
	.send = tern_send,
	.sendto = tern_sendto,
	.recv = tern_recv,
	.recvfrom = tern_recvfrom,
	.shutdown = tern_shutdown,
	.close = tern_close,
	.setsockopt = tern_setsockopt,
	.getsockopt = tern_getsockopt,
	.getsockname = tern_getsockname,
	.getpeername = tern_getpeername,
	.fcntl = t_fcntl,
	.poll = tern_poll,
	.epoll_create1 = tern_epoll_create1,
	.epoll_ctl = tern_epoll_ctl,
	.epoll_wait = tern_epoll_wait,
	.settimeout = tern_settimeout,
	.setblocking = tern_setblocking,
	.gettimeout = tern_gettimeout,
	/* Inside Tern's descriptor table, never handed out in this run. */
	.bad_fd = TERN_FD_BASE + 60000,
};

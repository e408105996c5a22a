/*
 * Socket options and fcntl with the host's kernel as the oracle. Every row of
 * the table runs on a fresh Tern socket and on a fresh kernel socket of the
 * same kind (UDP, TCP, TCP listener; the kernel's bound to 127.0.0.1 only,
 * no traffic): the return values, errno, the returned length and the bytes
 * read back must be identical. A row where Tern differs on purpose says why
 * and states Tern's own answer. Where the kernel reads a sysctl that this
 * host has tuned away from Linux's stock default (Tern always uses the stock
 * value), the row is checked against the stock value instead, and the run
 * says so.
 *
 * Then, Tern and kernel side by side: SO_REUSEPORT/SO_REUSEADDR bind and
 * listen rules with two sockets, options an accepted socket inherits,
 * SO_RCVLOWAT on a TCP connection (loopback for the kernel, two INLINE
 * runtimes for Tern), fcntl. And Tern only: connections and datagrams spread
 * over an SO_REUSEPORT group.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <check.h>

#include "fixture.h"
#include "port.h"
#include "tern.h"

#define IP_A 0xc6120001u   /* 198.18.0.1 */
#define IP_B 0xc6120002u   /* 198.18.0.2 */
#define LOOPBACK 0x7f000001u

/* ---- runtimes ---- */

static struct fixture_inline fx;
static struct tern_rt *rt_a, *rt_b;

static void
pair_up(void)
{
	fixture_inline_up(&fx, "sockopt", IP_A, IP_B, 21);
	rt_a = fx.rt_a;
	rt_b = fx.rt_b;
}

static void
pair_down(void)
{
	fixture_inline_down(&fx);
	rt_a = rt_b = NULL;
}

static void
drive(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		tern_drive(rt_a);
		tern_drive(rt_b);
	}
}

#define SA(p) ((struct sockaddr *)(p))

static const char *
errname(int e)
{
	return e == -1 ? "-" : e == 0 ? "ok" : strerrorname_np(e);
}

/* ---- Tern and the kernel behind one interface ---- */

enum kind { K_UDP = 1, K_TCP = 2, K_LST = 4 };
#define K_STREAM (K_TCP | K_LST)
#define K_ALL (K_UDP | K_TCP | K_LST)
static const char *const kind_name[] = { [K_UDP] = "UDP", [K_TCP] = "TCP", [K_LST] = "listener" };

struct side {
	const char *name;
	uint32_t ip;                  /* the address sockets bind to */
	int (*socket)(int type);
	int (*bind)(int fd, const struct sockaddr *a, socklen_t l);
	int (*listen)(int fd, int backlog);
	int (*setsockopt)(int fd, int level, int name, const void *v, socklen_t l);
	int (*getsockopt)(int fd, int level, int name, void *v, socklen_t *l);
	int (*getsockname)(int fd, struct sockaddr *a, socklen_t *l);
	int (*close)(int fd);
};

static int tern_sock_a(int type) { return tern_socket_rt(rt_a, AF_INET, type, 0); }
static int kern_sock(int type) { return socket(AF_INET, type, 0); }

static const struct side TERN = {
	"Tern", IP_A, tern_sock_a, tern_bind, tern_listen, tern_setsockopt, tern_getsockopt,
	tern_getsockname, tern_close,
};
static const struct side KERN = {
	"kernel", LOOPBACK, kern_sock, bind, listen, setsockopt, getsockopt, getsockname, close,
};

/* A fresh socket of @p k: a listener is bound to an ephemeral port first. */
static int
open_kind(const struct side *sd, enum kind k)
{
	int fd = sd->socket(k == K_UDP ? SOCK_DGRAM : SOCK_STREAM);
	ck_assert_msg(fd >= 0, "%s socket: %s", sd->name, strerror(errno));
	if (k == K_LST) {
		struct sockaddr_in a = fixture_sin(sd->ip, 0);
		ck_assert_int_eq(sd->bind(fd, SA(&a), sizeof(a)), 0);
		ck_assert_int_eq(sd->listen(fd, 8), 0);
	}
	return fd;
}

/* ---- host settings that decide some of the kernel's answers ---- */

enum tunable {
	TUN_RMEM_MAX = 1 << 0,    /* net.core.rmem_max, stock 212992 */
	TUN_WMEM_MAX = 1 << 1,    /* net.core.wmem_max, stock 212992 */
	TUN_RMEM_DEF = 1 << 2,    /* net.core.rmem_default, stock 212992 */
	TUN_WMEM_DEF = 1 << 3,    /* net.core.wmem_default, stock 212992 */
	TUN_TCP_RMEM = 1 << 4,    /* net.ipv4.tcp_rmem, stock 4096 131072 6291456 */
	TUN_TCP_WMEM = 1 << 5,    /* net.ipv4.tcp_wmem[1], stock 16384 */
	TUN_CC = 1 << 6,          /* net.ipv4.tcp_congestion_control, stock cubic */
	TUN_CUBIC = 1 << 7,       /* cubic may be chosen (allowed list, or root) */
	TUN_HZ = 1 << 8,          /* CONFIG_HZ 250 (Debian's): jiffy rounding */
	TUN_DEFAULTS = 1 << 9,    /* ip_default_ttl 64, keepalive 7200/75/9 */
	TUN_MINBUF = 1 << 10,     /* SOCK_MIN_RCVBUF 2304 (follows struct sk_buff's size) */
	TUN_COUNT = 11
};
static const char *const tun_name[TUN_COUNT] = {
	"net.core.rmem_max", "net.core.wmem_max", "net.core.rmem_default",
	"net.core.wmem_default", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
	"net.ipv4.tcp_congestion_control", "cubic allowed", "CONFIG_HZ",
	"ttl/keepalive defaults", "SOCK_MIN_RCVBUF",
};
static unsigned tun_differs;   /* TUN_* bits where this host is not stock */

static bool
sysctl_is(const char *path, const char *want)
{
	char buf[128] = { 0 };
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* compare field by field: the kernel separates with tabs */
	char a[128], b[128];
	size_t j = 0;
	for (size_t i = 0; buf[i] && j < sizeof(a) - 1; i++)
		if (buf[i] != '\n')
			a[j++] = (buf[i] == '\t') ? ' ' : buf[i];
	a[j] = 0;
	snprintf(b, sizeof(b), "%s", want);
	return strcmp(a, b) == 0;
}

static bool
sysctl_has(const char *path, const char *word)
{
	char buf[256] = { 0 };
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (char *t = strtok(buf, " \t\n"); t != NULL; t = strtok(NULL, " \t\n"))
		if (strcmp(t, word) == 0)
			return true;
	return false;
}

static void
tunables_probe(void)
{
	tun_differs = 0;
	if (!sysctl_is("/proc/sys/net/core/rmem_max", "212992"))
		tun_differs |= TUN_RMEM_MAX;
	if (!sysctl_is("/proc/sys/net/core/wmem_max", "212992"))
		tun_differs |= TUN_WMEM_MAX;
	if (!sysctl_is("/proc/sys/net/core/rmem_default", "212992"))
		tun_differs |= TUN_RMEM_DEF;
	if (!sysctl_is("/proc/sys/net/core/wmem_default", "212992"))
		tun_differs |= TUN_WMEM_DEF;
	if (!sysctl_is("/proc/sys/net/ipv4/tcp_rmem", "4096 131072 6291456"))
		tun_differs |= TUN_TCP_RMEM;
	if (!sysctl_is("/proc/sys/net/ipv4/tcp_wmem", "4096 16384 4194304"))
		tun_differs |= TUN_TCP_WMEM;
	if (!sysctl_is("/proc/sys/net/ipv4/tcp_congestion_control", "cubic"))
		tun_differs |= TUN_CC;
	if (geteuid() != 0 &&
	    !sysctl_has("/proc/sys/net/ipv4/tcp_allowed_congestion_control", "cubic"))
		tun_differs |= TUN_CUBIC;
	if (!sysctl_is("/proc/sys/net/ipv4/ip_default_ttl", "64") ||
	    !sysctl_is("/proc/sys/net/ipv4/tcp_keepalive_time", "7200") ||
	    !sysctl_is("/proc/sys/net/ipv4/tcp_keepalive_intvl", "75") ||
	    !sysctl_is("/proc/sys/net/ipv4/tcp_keepalive_probes", "9"))
		tun_differs |= TUN_DEFAULTS;
	/* HZ: the kernel rounds a 1 us timeout up to one jiffy. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { 0, 1 };
	socklen_t l = sizeof(tv);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &l), 0);
	close(fd);
	if (tv.tv_sec != 0 || tv.tv_usec != 1000000 / 250)
		tun_differs |= TUN_HZ;
	/* the buffer floors: SO_RCVBUF 0 reads SOCK_MIN_RCVBUF */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	int v = 0;
	l = sizeof(v);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
	close(fd);
	if (v != 2304)
		tun_differs |= TUN_MINBUF;
	for (unsigned i = 0; i < TUN_COUNT; i++)
		if (tun_differs & (1u << i))
			printf("sockopt: this host's %s is not Linux's stock value: rows that "
			       "depend on it are checked against the stock answer\n", tun_name[i]);
}

/* ---- the table ---- */

enum op { OP_SET, OP_GET };
#define F_NULLVAL 0x1u   /* getsockopt with optval NULL */
#define F_NULLLEN 0x2u   /* getsockopt with optlen NULL */

struct row {
	const char *what;
	unsigned kinds;
	enum op op;
	int level, name;
	const void *val;       /* OP_SET: the bytes and optlen handed over */
	int len;
	int getlen;            /* OP_GET: *optlen going in (OP_SET reads back in full) */
	unsigned flags;
	unsigned cmp;          /* bytes of the value compared; 0 = all returned */
	/* first, on both sides: one setsockopt */
	int plevel, pname;
	const void *pval;
	int plen;
	/* the answer depends on these host settings (TUN_*) ... */
	unsigned tun;
	/* ... and with the stock values the read back is these bytes (NULL:
	 * only the return values and length are compared then) */
	const void *stock;
	int stock_len;
	/* Tern differs on purpose: why, and Tern's own answer (for OP_SET
	 * the setsockopt's, then the value read back) */
	const char *differs;
	int t_rc, t_errno, t_len;
	const void *t_val;
};

#define I(x) ((const int[]){ (x) })
#define LG(on, secs) (&(const struct linger){ (on), (secs) })
#define TV(s, us) (&(const struct timeval){ (s), (us) })
#define B(...) ((const unsigned char[]){ __VA_ARGS__ })

#define SET(k, lv, nm, v, l, ...) \
	{ .what = #lv "/" #nm, .kinds = (k), .op = OP_SET, .level = (lv), .name = (nm), \
	  .val = (v), .len = (l), __VA_ARGS__ }
#define SETI(k, lv, nm, x, ...) SET(k, lv, nm, I(x), (int)sizeof(int), __VA_ARGS__)
#define GET(k, lv, nm, gl, ...) \
	{ .what = #lv "/" #nm, .kinds = (k), .op = OP_GET, .level = (lv), .name = (nm), \
	  .getlen = (gl), __VA_ARGS__ }
#define PRE(lv, nm, v, l) .plevel = (lv), .pname = (nm), .pval = (v), .plen = (l)
#define PREI(lv, nm, x) PRE(lv, nm, I(x), (int)sizeof(int))
#define STOCK_I(x) .stock = I(x), .stock_len = (int)sizeof(int)

#define SS SOL_SOCKET
#define IP IPPROTO_IP
#define TCP IPPROTO_TCP

static const char WHY_TCP_INFO_LEN[] =
	"TCP_INFO fills struct tcp_info of Tern's headers (glibc's, 104 bytes); "
	"a newer kernel's struct is longer";
static const char WHY_BBR[] = "Tern has no BBR (cubic and reno only)";
static const char WHY_UDP_OPTS[] = "Tern has no UDP-level options (UDP_CORK, UDP_SEGMENT, ...)";
static const char WHY_TIMEO_HUGE[] =
	"a timeout beyond 2^63 ns (292 years) is kept as forever, which reads {0, 0}";

/* Boolean SOL_SOCKET options: the same eight rows each. */
#define BOOL_ROWS(nm) \
	GET(K_ALL, SS, nm, 4), GET(K_ALL, SS, nm, 2), GET(K_ALL, SS, nm, 0), \
	GET(K_ALL, SS, nm, -1), SETI(K_ALL, SS, nm, 1), SETI(K_ALL, SS, nm, -7), \
	SETI(K_ALL, SS, nm, 0, PREI(SS, nm, 1)), SET(K_ALL, SS, nm, I(1), 3), \
	SET(K_ALL, SS, nm, NULL, 4)

/* Read-only SOL_SOCKET options. */
#define RO_ROWS(nm) \
	GET(K_ALL, SS, nm, 4), GET(K_ALL, SS, nm, 1), GET(K_ALL, SS, nm, 8), \
	SETI(K_ALL, SS, nm, 1), SET(K_ALL, SS, nm, I(1), 2)

/* TCP keepalive times (1..32767 s). */
#define KEEPTIME_ROWS(nm) \
	GET(K_ALL, TCP, nm, 4, .tun = TUN_DEFAULTS), GET(K_ALL, TCP, nm, 1, .tun = TUN_DEFAULTS), \
	SETI(K_ALL, TCP, nm, 1), SETI(K_ALL, TCP, nm, 32767), \
	SETI(K_ALL, TCP, nm, 0, .tun = TUN_DEFAULTS), SETI(K_ALL, TCP, nm, 32768, .tun = TUN_DEFAULTS), \
	SETI(K_ALL, TCP, nm, -1, .tun = TUN_DEFAULTS), SET(K_ALL, TCP, nm, I(5), 3, .tun = TUN_DEFAULTS), \
	SET(K_ALL, TCP, nm, NULL, 4, .tun = TUN_DEFAULTS)

#define TIMEO_ROWS(nm) \
	GET(K_ALL, SS, nm, 16), GET(K_ALL, SS, nm, 8), GET(K_ALL, SS, nm, 4), \
	GET(K_ALL, SS, nm, -1), \
	SET(K_ALL, SS, nm, TV(2, 500000), 16, .tun = TUN_HZ, .stock = TV(2, 500000), .stock_len = 16), \
	SET(K_ALL, SS, nm, TV(0, 0), 16, PRE(SS, nm, TV(1, 0), 16)), \
	SET(K_ALL, SS, nm, TV(-1, 0), 16), SET(K_ALL, SS, nm, TV(-1, 500000), 16), \
	SET(K_ALL, SS, nm, TV(0, -1), 16), SET(K_ALL, SS, nm, TV(0, 1000000), 16), \
	SET(K_ALL, SS, nm, TV(-5, 1000000), 16), \
	SET(K_ALL, SS, nm, TV(0, 1), 16, .tun = TUN_HZ, .stock = TV(0, 4000), .stock_len = 16), \
	SET(K_ALL, SS, nm, TV(0, 4001), 16, .tun = TUN_HZ, .stock = TV(0, 8000), .stock_len = 16), \
	SET(K_ALL, SS, nm, TV(3, 999999), 16, .tun = TUN_HZ, .stock = TV(4, 0), .stock_len = 16), \
	SET(K_ALL, SS, nm, TV(1, 0), 8), SET(K_ALL, SS, nm, TV(1, 0), 15), \
	SET(K_ALL, SS, nm, (&(const struct timeval[2]){ { 1, 0 }, { 9, 9 } }), 24, .tun = TUN_HZ), \
	SET(K_ALL, SS, nm, TV(LONG_MAX, 0), 16), SET(K_ALL, SS, nm, NULL, 16), \
	SET(K_ALL, SS, nm, TV(9223372035L, 0), 16, .differs = WHY_TIMEO_HUGE, \
	    .t_rc = 0, .t_len = 16, .t_val = TV(0, 0))

static const struct row rows[] = {
	/* ---- SOL_SOCKET flags ---- */
	BOOL_ROWS(SO_BROADCAST),
	BOOL_ROWS(SO_REUSEADDR),
	BOOL_ROWS(SO_REUSEPORT),
	BOOL_ROWS(SO_KEEPALIVE),

	/* ---- SO_LINGER ---- */
	GET(K_ALL, SS, SO_LINGER, 8), GET(K_ALL, SS, SO_LINGER, 4), GET(K_ALL, SS, SO_LINGER, 0),
	GET(K_ALL, SS, SO_LINGER, 16),
	SET(K_ALL, SS, SO_LINGER, LG(1, 5), 8), SET(K_ALL, SS, SO_LINGER, LG(1, 0), 8),
	SET(K_ALL, SS, SO_LINGER, LG(0, 7), 8), SET(K_ALL, SS, SO_LINGER, LG(7, 3), 8),
	SET(K_ALL, SS, SO_LINGER, LG(1, INT_MAX), 8),
	SET(K_ALL, SS, SO_LINGER, LG(0, 9), 8, PRE(SS, SO_LINGER, LG(1, 5), 8)),
	SET(K_ALL, SS, SO_LINGER, LG(1, -1), 8, .tun = TUN_HZ,
	    .stock = LG(1, -1752346657), .stock_len = 8),   /* (int)(LONG_MAX / 250) */
	SET(K_ALL, SS, SO_LINGER, LG(1, 5), 4), SET(K_ALL, SS, SO_LINGER, LG(1, 5), 3),
	SET(K_ALL, SS, SO_LINGER, NULL, 8), SET(K_ALL, SS, SO_LINGER, LG(1, 5), 12),

	/* ---- SO_RCVBUF / SO_SNDBUF: doubled, clamped, floored ---- */
	GET(K_UDP, SS, SO_RCVBUF, 4, .tun = TUN_RMEM_DEF, STOCK_I(212992)),
	GET(K_STREAM, SS, SO_RCVBUF, 4, .tun = TUN_TCP_RMEM, STOCK_I(131072)),
	GET(K_ALL, SS, SO_RCVBUF, 3, .tun = TUN_RMEM_DEF | TUN_TCP_RMEM),
	SETI(K_ALL, SS, SO_RCVBUF, 1000, .tun = TUN_MINBUF, STOCK_I(2304)),
	SETI(K_ALL, SS, SO_RCVBUF, 0, .tun = TUN_MINBUF, STOCK_I(2304)),
	SETI(K_ALL, SS, SO_RCVBUF, 1151, .tun = TUN_MINBUF, STOCK_I(2304)),
	SETI(K_ALL, SS, SO_RCVBUF, 1152, .tun = TUN_MINBUF, STOCK_I(2304)),
	SETI(K_ALL, SS, SO_RCVBUF, 2303), SETI(K_ALL, SS, SO_RCVBUF, 100000),
	SETI(K_ALL, SS, SO_RCVBUF, 106497),
	SETI(K_ALL, SS, SO_RCVBUF, 212993, .tun = TUN_RMEM_MAX, STOCK_I(425984)),
	SETI(K_ALL, SS, SO_RCVBUF, -1, .tun = TUN_RMEM_MAX, STOCK_I(425984)),
	SETI(K_ALL, SS, SO_RCVBUF, 1 << 30, .tun = TUN_RMEM_MAX, STOCK_I(425984)),
	SETI(K_ALL, SS, SO_RCVBUF, INT_MIN, .tun = TUN_RMEM_MAX, STOCK_I(425984)),
	SET(K_ALL, SS, SO_RCVBUF, I(5000), 3, .tun = TUN_RMEM_DEF | TUN_TCP_RMEM),
	GET(K_UDP, SS, SO_SNDBUF, 4, .tun = TUN_WMEM_DEF, STOCK_I(212992)),
	GET(K_STREAM, SS, SO_SNDBUF, 4, .tun = TUN_TCP_WMEM, STOCK_I(16384)),
	GET(K_ALL, SS, SO_SNDBUF, 2, .tun = TUN_WMEM_DEF | TUN_TCP_WMEM),
	SETI(K_ALL, SS, SO_SNDBUF, 1, .tun = TUN_MINBUF, STOCK_I(4608)),
	SETI(K_ALL, SS, SO_SNDBUF, 2304, .tun = TUN_MINBUF, STOCK_I(4608)),
	SETI(K_ALL, SS, SO_SNDBUF, 2305), SETI(K_ALL, SS, SO_SNDBUF, 65535),
	SETI(K_ALL, SS, SO_SNDBUF, -1, .tun = TUN_WMEM_MAX, STOCK_I(425984)),
	SETI(K_ALL, SS, SO_SNDBUF, 1 << 20, .tun = TUN_WMEM_MAX, STOCK_I(425984)),
	SET(K_ALL, SS, SO_SNDBUF, I(5000), 1, .tun = TUN_WMEM_DEF | TUN_TCP_WMEM),

	/* ---- SO_RCVLOWAT: 0 is 1, negative is INT_MAX, TCP caps at half the buffer ---- */
	GET(K_ALL, SS, SO_RCVLOWAT, 4), GET(K_ALL, SS, SO_RCVLOWAT, 1),
	SETI(K_ALL, SS, SO_RCVLOWAT, 0), SETI(K_ALL, SS, SO_RCVLOWAT, 100),
	SETI(K_ALL, SS, SO_RCVLOWAT, 100000),
	SETI(K_UDP, SS, SO_RCVLOWAT, -1), SETI(K_UDP, SS, SO_RCVLOWAT, INT_MIN),
	SETI(K_STREAM, SS, SO_RCVLOWAT, -1, .tun = TUN_TCP_RMEM, STOCK_I(3145728)),
	SETI(K_STREAM, SS, SO_RCVLOWAT, INT_MAX, .tun = TUN_TCP_RMEM, STOCK_I(3145728)),
	SETI(K_ALL, SS, SO_RCVLOWAT, -1, PREI(SS, SO_RCVBUF, 10000)),
	SETI(K_ALL, SS, SO_RCVLOWAT, 50000, PREI(SS, SO_RCVBUF, 10000)),
	GET(K_ALL, SS, SO_RCVBUF, 4, PREI(SS, SO_RCVLOWAT, 100000),
	    .tun = TUN_RMEM_DEF | TUN_TCP_RMEM),
	GET(K_ALL, SS, SO_RCVBUF, 4, PREI(SS, SO_RCVLOWAT, 60000),
	    .tun = TUN_RMEM_DEF | TUN_TCP_RMEM),
	GET(K_STREAM, SS, SO_RCVBUF, 4, PREI(SS, SO_RCVLOWAT, -1), .tun = TUN_TCP_RMEM,
	    STOCK_I(6291456)),
	SET(K_ALL, SS, SO_RCVLOWAT, I(9), 3), SET(K_ALL, SS, SO_RCVLOWAT, NULL, 4),

	/* ---- SO_RCVTIMEO / SO_SNDTIMEO: jiffies; negative = do not wait ---- */
	TIMEO_ROWS(SO_RCVTIMEO),
	TIMEO_ROWS(SO_SNDTIMEO),

	/* ---- read-only ---- */
	RO_ROWS(SO_ERROR), GET(K_ALL, SS, SO_ERROR, 0),
	RO_ROWS(SO_TYPE),
	RO_ROWS(SO_PROTOCOL),
	RO_ROWS(SO_DOMAIN),
	RO_ROWS(SO_ACCEPTCONN),

	/* ---- SOL_SOCKET: unknown name, lengths, NULL pointers ---- */
	GET(K_ALL, SS, 9999, 4), GET(K_ALL, SS, 9999, -1), GET(K_ALL, SS, 9999, 0),
	SETI(K_ALL, SS, 9999, 1), SET(K_ALL, SS, 9999, I(1), 3), SET(K_ALL, SS, 9999, NULL, 0),
	SET(K_ALL, SS, SO_BROADCAST, I(1), -1),
	GET(K_ALL, SS, SO_TYPE, 4, .flags = F_NULLVAL), GET(K_ALL, SS, SO_TYPE, 0, .flags = F_NULLVAL),
	GET(K_ALL, SS, SO_TYPE, 4, .flags = F_NULLLEN),

	/* ---- IP_TTL: 1..255, -1 = default; a 1..3 byte optlen is one byte ---- */
	GET(K_ALL, IP, IP_TTL, 4, .tun = TUN_DEFAULTS), GET(K_ALL, IP, IP_TTL, 1, .tun = TUN_DEFAULTS),
	GET(K_ALL, IP, IP_TTL, 2, .tun = TUN_DEFAULTS), GET(K_ALL, IP, IP_TTL, 3, .tun = TUN_DEFAULTS),
	GET(K_ALL, IP, IP_TTL, 0), GET(K_ALL, IP, IP_TTL, 8, .tun = TUN_DEFAULTS),
	GET(K_ALL, IP, IP_TTL, -1),
	SETI(K_ALL, IP, IP_TTL, 7), SETI(K_ALL, IP, IP_TTL, 255), SETI(K_ALL, IP, IP_TTL, 1),
	SETI(K_ALL, IP, IP_TTL, 0, .tun = TUN_DEFAULTS), SETI(K_ALL, IP, IP_TTL, 256, .tun = TUN_DEFAULTS),
	SETI(K_ALL, IP, IP_TTL, -2, .tun = TUN_DEFAULTS),
	SETI(K_ALL, IP, IP_TTL, -1, PREI(IP, IP_TTL, 7), .tun = TUN_DEFAULTS),
	SET(K_ALL, IP, IP_TTL, B(0x2c, 0x01, 0, 0), 1), SET(K_ALL, IP, IP_TTL, B(0x2c, 0x01, 0, 0), 2),
	SET(K_ALL, IP, IP_TTL, B(0x2c, 0x01, 0, 0), 3), SET(K_ALL, IP, IP_TTL, B(0xff, 0xff, 0xff, 0xff), 1),
	SET(K_ALL, IP, IP_TTL, B(0, 0, 0, 0), 1, .tun = TUN_DEFAULTS),
	SET(K_ALL, IP, IP_TTL, I(9), 0, .tun = TUN_DEFAULTS),
	SET(K_ALL, IP, IP_TTL, NULL, 4, .tun = TUN_DEFAULTS),
	SET(K_ALL, IP, IP_TTL, NULL, 0, .tun = TUN_DEFAULTS),
	SET(K_ALL, IP, IP_TTL, I(9), -1, .tun = TUN_DEFAULTS),

	/* ---- IP_TOS: a byte; TCP keeps the ECN bits for itself ---- */
	GET(K_ALL, IP, IP_TOS, 4), GET(K_ALL, IP, IP_TOS, 1), GET(K_ALL, IP, IP_TOS, 0),
	SETI(K_ALL, IP, IP_TOS, 1), SETI(K_ALL, IP, IP_TOS, 5), SETI(K_ALL, IP, IP_TOS, 0x28),
	SETI(K_ALL, IP, IP_TOS, 0xff), SETI(K_ALL, IP, IP_TOS, -1), SETI(K_ALL, IP, IP_TOS, 0x1ff),
	SETI(K_ALL, IP, IP_TOS, 1000), SETI(K_ALL, IP, IP_TOS, 32768), SETI(K_ALL, IP, IP_TOS, 87),
	SET(K_ALL, IP, IP_TOS, B(0x2d, 0x2d, 0, 0), 1), SET(K_ALL, IP, IP_TOS, B(0x2d, 0x2d, 0, 0), 3),
	SET(K_ALL, IP, IP_TOS, B(0x2d, 0x2d, 0, 0), 0, PREI(IP, IP_TOS, 0x20)),
	SET(K_ALL, IP, IP_TOS, NULL, 0, PREI(IP, IP_TOS, 0x20)),
	SET(K_ALL, IP, IP_TOS, NULL, 1), SET(K_ALL, IP, IP_TOS, NULL, 4),

	/* ---- IPPROTO_IP: unknown ---- */
	GET(K_ALL, IP, 9999, 4), GET(K_ALL, IP, 9999, -1), SETI(K_ALL, IP, 9999, 1),
	SET(K_ALL, IP, 9999, I(1), 1), SET(K_ALL, IP, 9999, NULL, 4),
	GET(K_ALL, IP, IP_TTL, 4, .flags = F_NULLLEN),

	/* ---- TCP_NODELAY (UDP: ENOPROTOOPT to set, EOPNOTSUPP to get) ---- */
	GET(K_ALL, TCP, TCP_NODELAY, 4), GET(K_ALL, TCP, TCP_NODELAY, 2), GET(K_ALL, TCP, TCP_NODELAY, -1),
	SETI(K_ALL, TCP, TCP_NODELAY, 1), SETI(K_ALL, TCP, TCP_NODELAY, 5),
	SETI(K_ALL, TCP, TCP_NODELAY, 0, PREI(TCP, TCP_NODELAY, 1)),
	SET(K_ALL, TCP, TCP_NODELAY, I(1), 3), SET(K_ALL, TCP, TCP_NODELAY, NULL, 4),
	SET(K_ALL, TCP, TCP_NODELAY, I(1), 0),
	GET(K_ALL, TCP, TCP_NODELAY, 4, .flags = F_NULLLEN),

	/* ---- TCP_MAXSEG: 0 or 88..32767 ---- */
	GET(K_ALL, TCP, TCP_MAXSEG, 4), GET(K_ALL, TCP, TCP_MAXSEG, 2), GET(K_ALL, TCP, TCP_MAXSEG, 0),
	SETI(K_ALL, TCP, TCP_MAXSEG, 1000), SETI(K_ALL, TCP, TCP_MAXSEG, 88),
	SETI(K_ALL, TCP, TCP_MAXSEG, 32767), SETI(K_ALL, TCP, TCP_MAXSEG, 87),
	SETI(K_ALL, TCP, TCP_MAXSEG, 32768), SETI(K_ALL, TCP, TCP_MAXSEG, -1),
	SETI(K_ALL, TCP, TCP_MAXSEG, 0, PREI(TCP, TCP_MAXSEG, 1000)),
	SET(K_ALL, TCP, TCP_MAXSEG, I(1000), 3),

	/* ---- keepalive ---- */
	KEEPTIME_ROWS(TCP_KEEPIDLE),
	KEEPTIME_ROWS(TCP_KEEPINTVL),
	GET(K_ALL, TCP, TCP_KEEPCNT, 4, .tun = TUN_DEFAULTS),
	SETI(K_ALL, TCP, TCP_KEEPCNT, 1), SETI(K_ALL, TCP, TCP_KEEPCNT, 127),
	SETI(K_ALL, TCP, TCP_KEEPCNT, 0, .tun = TUN_DEFAULTS),
	SETI(K_ALL, TCP, TCP_KEEPCNT, 128, .tun = TUN_DEFAULTS),
	SET(K_ALL, TCP, TCP_KEEPCNT, I(3), 2, .tun = TUN_DEFAULTS),

	/* ---- TCP_CONGESTION: a name of at most 15 bytes, read as 16 ---- */
	GET(K_ALL, TCP, TCP_CONGESTION, 16, .tun = TUN_CC, .stock = "cubic\0\0\0\0\0\0\0\0\0\0",
	    .stock_len = 16),
	GET(K_ALL, TCP, TCP_CONGESTION, 4, .tun = TUN_CC, .stock = "cubi", .stock_len = 4),
	GET(K_ALL, TCP, TCP_CONGESTION, 64, .tun = TUN_CC, .stock = "cubic\0\0\0\0\0\0\0\0\0\0",
	    .stock_len = 16),
	GET(K_ALL, TCP, TCP_CONGESTION, 0), GET(K_ALL, TCP, TCP_CONGESTION, -1),
	SET(K_ALL, TCP, TCP_CONGESTION, "reno", 5), SET(K_ALL, TCP, TCP_CONGESTION, "reno", 4),
	SET(K_ALL, TCP, TCP_CONGESTION, "reno\0xx", 7),
	SET(K_ALL, TCP, TCP_CONGESTION, "cubic", 5, PRE(TCP, TCP_CONGESTION, "reno", 4),
	    .tun = TUN_CUBIC, .stock = "cubic\0\0\0\0\0\0\0\0\0\0", .stock_len = 16),
	SET(K_ALL, TCP, TCP_CONGESTION, "cubicX", 6, .tun = TUN_CC),
	SET(K_ALL, TCP, TCP_CONGESTION, "newreno", 8, .tun = TUN_CC),
	SET(K_ALL, TCP, TCP_CONGESTION, "", 1, .tun = TUN_CC),
	SET(K_ALL, TCP, TCP_CONGESTION, "cubic", 3, .tun = TUN_CC),
	SET(K_ALL, TCP, TCP_CONGESTION, "RENO", 5, .tun = TUN_CC),
	SET(K_ALL, TCP, TCP_CONGESTION, "renoXXXXXXXXXXXXXXXXX", 20, .tun = TUN_CC),
	SET(K_ALL, TCP, TCP_CONGESTION, "reno", 0, .tun = TUN_CC),
	SET(K_ALL, TCP, TCP_CONGESTION, NULL, 4, .tun = TUN_CC),
	SET(K_STREAM, TCP, TCP_CONGESTION, "bbr", 4, PRE(TCP, TCP_CONGESTION, "reno", 5),
	    .differs = WHY_BBR, .t_rc = -1, .t_errno = ENOENT, .t_len = 16,
	    .t_val = "reno\0\0\0\0\0\0\0\0\0\0\0"),

	/* ---- TCP_INFO: read-only; its counters are live, tcpi_state is compared ---- */
	GET(K_ALL, TCP, TCP_INFO, (int)sizeof(struct tcp_info), .cmp = 1),
	GET(K_ALL, TCP, TCP_INFO, 1), GET(K_ALL, TCP, TCP_INFO, 8, .cmp = 1),
	GET(K_ALL, TCP, TCP_INFO, 0), GET(K_ALL, TCP, TCP_INFO, -1),
	GET(K_STREAM, TCP, TCP_INFO, 400, .cmp = 1, .differs = WHY_TCP_INFO_LEN, .t_rc = 0,
	    .t_len = (int)sizeof(struct tcp_info)),
	SETI(K_ALL, TCP, TCP_INFO, 1, .cmp = 1), SET(K_ALL, TCP, TCP_INFO, I(1), 3, .cmp = 1),

	/* ---- IPPROTO_TCP, IPPROTO_UDP and other levels: unknown names ---- */
	GET(K_ALL, TCP, 9999, 4), GET(K_ALL, TCP, 9999, -1), SETI(K_ALL, TCP, 9999, 1),
	SET(K_ALL, TCP, 9999, I(1), 3),
	GET(K_ALL, IPPROTO_UDP, 9999, 4), GET(K_ALL, IPPROTO_UDP, 9999, -1),
	SETI(K_ALL, IPPROTO_UDP, 9999, 1), SET(K_ALL, IPPROTO_UDP, 9999, I(1), 3),
	SET(K_ALL, IPPROTO_UDP, 9999, NULL, 4),
	SETI(K_UDP, IPPROTO_UDP, 1 /* UDP_CORK */, 0, .differs = WHY_UDP_OPTS, .t_rc = -1,
	     .t_errno = ENOPROTOOPT, .t_len = 4),
	GET(K_ALL, 9999, 1, 4), GET(K_ALL, 9999, 1, -1), GET(K_ALL, 9999, 1, 4, .flags = F_NULLLEN),
	SETI(K_ALL, 9999, 1, 1), SET(K_ALL, 9999, 1, I(1), 1), SET(K_ALL, 9999, 1, I(1), -1),
};

/* ---- running a row ---- */

struct res {
	int pre_rc;
	int set_rc, set_errno;
	int rc, err;            /* the getsockopt */
	int len;
	unsigned char buf[512];
};

static int
full_len(int level, int name)
{
	if (level == SOL_SOCKET && name == SO_LINGER)
		return (int)sizeof(struct linger);
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO))
		return (int)sizeof(struct timeval);
	if (level == IPPROTO_TCP && name == TCP_CONGESTION)
		return 16;
	if (level == IPPROTO_TCP && name == TCP_INFO)
		return (int)sizeof(struct tcp_info);
	return (int)sizeof(int);
}

static void
run_row(const struct side *sd, int fd, const struct row *r, struct res *out)
{
	memset(out, 0, sizeof(*out));
	if (r->pval != NULL)
		out->pre_rc = sd->setsockopt(fd, r->plevel, r->pname, r->pval, (socklen_t)r->plen);
	int getlen = r->getlen;
	if (r->op == OP_SET) {
		errno = 0;
		out->set_rc = sd->setsockopt(fd, r->level, r->name, r->val, (socklen_t)r->len);
		out->set_errno = out->set_rc != 0 ? errno : 0;
		getlen = full_len(r->level, r->name);
	}
	memset(out->buf, 0xee, sizeof(out->buf));
	socklen_t l = (socklen_t)getlen;
	errno = 0;
	out->rc = sd->getsockopt(fd, r->level, r->name, (r->flags & F_NULLVAL) ? NULL : out->buf,
				 (r->flags & F_NULLLEN) ? NULL : &l);
	out->err = out->rc != 0 ? errno : 0;
	out->len = (int)l;
}

static void
hex(char *dst, size_t cap, const unsigned char *b, int n)
{
	size_t o = 0;
	dst[0] = 0;
	for (int i = 0; i < n && i < 24 && o + 3 < cap; i++)
		o += (size_t)snprintf(dst + o, cap - o, "%02x", b[i]);
}

static void
describe(char *dst, size_t cap, const struct res *x)
{
	char h[64];
	hex(h, sizeof(h), x->buf, x->rc == 0 ? x->len : 0);
	snprintf(dst, cap, "set %d/%s get %d/%s len %d [%s]", x->set_rc, errname(x->set_errno),
		 x->rc, errname(x->err), x->len, h);
}

static unsigned cases_kernel, cases_stock, cases_differ;

/* Compare the get's bytes: the first min(len, cmp) of them. */
static bool
same_bytes(const struct row *r, const unsigned char *a, const unsigned char *b, int len)
{
	int n = len;
	if (r->cmp != 0 && (int)r->cmp < n)
		n = (int)r->cmp;
	return n <= 0 || memcmp(a, b, (size_t)n) == 0;
}

static void
check_row(size_t i, const struct row *r, enum kind k, const struct res *t, const struct res *kr)
{
	char dt[160], dk[160];
	describe(dt, sizeof(dt), t);
	describe(dk, sizeof(dk), kr);
	char kn[64];
	snprintf(kn, sizeof(kn), "%s, level %d name %d", kind_name[k], r->level, r->name);
	ck_assert_msg(t->pre_rc == kr->pre_rc, "row %zu %s (%s): first setsockopt Tern %d, kernel %d",
		      i, r->what, kn, t->pre_rc, kr->pre_rc);
	if (r->differs != NULL) {
		/* Tern's own answer; the kernel's is shown for the record. */
		int rc = r->op == OP_SET ? t->set_rc : t->rc;
		int err = r->op == OP_SET ? t->set_errno : t->err;
		ck_assert_msg(rc == r->t_rc && err == r->t_errno && t->len == r->t_len &&
			      (r->t_val == NULL || same_bytes(r, t->buf, r->t_val, t->len)),
			      "row %zu %s (%s), differs on purpose (%s): Tern %s", i, r->what, kn,
			      r->differs, dt);
		cases_differ++;
		return;
	}
	ck_assert_msg(t->set_rc == kr->set_rc && t->set_errno == kr->set_errno &&
		      t->rc == kr->rc && t->err == kr->err && t->len == kr->len,
		      "row %zu %s (%s): Tern %s, kernel %s", i, r->what, kn, dt, dk);
	if (r->tun & tun_differs) {
		/* The kernel's bytes follow this host's tuning; Tern's the stock value. */
		if (r->stock != NULL && t->rc == 0)
			ck_assert_msg(t->len == r->stock_len && same_bytes(r, t->buf, r->stock, t->len),
				      "row %zu %s (%s): Tern %s, stock Linux reads back other bytes",
				      i, r->what, kn, dt);
		cases_stock++;
		return;
	}
	ck_assert_msg(t->rc != 0 || same_bytes(r, t->buf, kr->buf, t->len),
		      "row %zu %s (%s): Tern %s, kernel %s", i, r->what, kn, dt, dk);
	/* With the stock tuning the stock value must be what the kernel says,
	 * so the table's stock values are checked here as well. */
	if (r->stock != NULL && kr->rc == 0)
		ck_assert_msg(kr->len == r->stock_len && same_bytes(r, kr->buf, r->stock, kr->len),
			      "row %zu %s (%s): the table's stock value is wrong (kernel %s)",
			      i, r->what, kn, dk);
	cases_kernel++;
}

START_TEST(test_option_table)
{
	pair_up();
	tunables_probe();
	cases_kernel = cases_stock = cases_differ = 0;
	size_t nrows = sizeof(rows) / sizeof(rows[0]);
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		ck_assert_msg(r->kinds != 0, "row %zu has no socket kind", i);
		for (unsigned k = K_UDP; k <= K_LST; k <<= 1) {
			if (!(r->kinds & k))
				continue;
			struct res t, kr;
			int tfd = open_kind(&TERN, (enum kind)k);
			int kfd = open_kind(&KERN, (enum kind)k);
			run_row(&TERN, tfd, r, &t);
			run_row(&KERN, kfd, r, &kr);
			ck_assert_int_eq(tern_close(tfd), 0);
			ck_assert_int_eq(close(kfd), 0);
			check_row(i, r, (enum kind)k, &t, &kr);
		}
	}
	printf("sockopt: %zu rows, %u cases equal to the kernel's, %u checked against stock "
	       "Linux (host tuned), %u deliberate differences\n", nrows, cases_kernel, cases_stock,
	       cases_differ);
	ck_assert_uint_ge(nrows, 80);
	pair_down();
}
END_TEST

/* ---- SO_REUSEPORT / SO_REUSEADDR: binding and listening beside another socket ---- */

#define RA 1u      /* SO_REUSEADDR */
#define RP 2u      /* SO_REUSEPORT */
#define LATE 4u    /* set after bind() (the first socket only) */
#define LISTEN 8u  /* listen() after bind */

struct bind_case {
	int type;
	unsigned a, b;   /* flags of the first and the second socket */
};

struct bind_res {
	int bind_b, listen_b, listen_a_after;   /* errno, 0 = ok, -1 = not tried */
};

static void
set_reuse(const struct side *sd, int fd, unsigned f)
{
	if (f & RA)
		ck_assert_int_eq(sd->setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, I(1), sizeof(int)), 0);
	if (f & RP)
		ck_assert_int_eq(sd->setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, I(1), sizeof(int)), 0);
}

static int
err_of(int rc)
{
	return rc == 0 ? 0 : errno;
}

static struct bind_res
run_bind(const struct side *sd, const struct bind_case *c)
{
	struct bind_res r = { -1, -1, -1 };
	int a = sd->socket(c->type), b = sd->socket(c->type);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	if (!(c->a & LATE))
		set_reuse(sd, a, c->a);
	struct sockaddr_in sa = fixture_sin(sd->ip, 0);
	ck_assert_int_eq(sd->bind(a, SA(&sa), sizeof(sa)), 0);
	socklen_t l = sizeof(sa);
	ck_assert_int_eq(sd->getsockname(a, SA(&sa), &l), 0);
	if (c->a & LATE)
		set_reuse(sd, a, c->a);
	if (c->a & LISTEN)
		ck_assert_int_eq(sd->listen(a, 8), 0);
	set_reuse(sd, b, c->b);
	r.bind_b = err_of(sd->bind(b, SA(&sa), sizeof(sa)));
	if (r.bind_b == 0 && (c->b & LISTEN)) {
		r.listen_b = err_of(sd->listen(b, 8));
		if (!(c->a & LISTEN))
			r.listen_a_after = err_of(sd->listen(a, 8));
	}
	ck_assert_int_eq(sd->close(a), 0);
	ck_assert_int_eq(sd->close(b), 0);
	return r;
}

START_TEST(test_reuse_bind_rules)
{
	pair_up();
	static const unsigned fl[] = { 0, RA, RP, RA | RP, RP | LATE };
	unsigned n = 0;
	for (int t = 0; t < 2; t++) {
		int type = t == 0 ? SOCK_DGRAM : SOCK_STREAM;
		for (size_t i = 0; i < 5; i++) {
			for (size_t j = 0; j < 4; j++) {   /* LATE is for the first socket */
				unsigned lmodes = type == SOCK_DGRAM ? 1 : 3;
				for (unsigned m = 0; m < lmodes; m++) {
					/* TCP: neither listens, both do, or only the second
					 * (then the first tries to, after it) */
					struct bind_case c = {
						.type = type,
						.a = fl[i] | (m == 1 ? LISTEN : 0),
						.b = fl[j] | (m >= 1 ? LISTEN : 0),
					};
					struct bind_res rt = run_bind(&TERN, &c);
					struct bind_res rk = run_bind(&KERN, &c);
					ck_assert_msg(memcmp(&rt, &rk, sizeof(rt)) == 0,
						      "%s a=%#x b=%#x: Tern bind %s listen %s listen-first %s; "
						      "kernel bind %s listen %s listen-first %s",
						      t == 0 ? "UDP" : "TCP", c.a, c.b,
						      errname(rt.bind_b), errname(rt.listen_b),
						      errname(rt.listen_a_after), errname(rk.bind_b),
						      errname(rk.listen_b),
						      errname(rk.listen_a_after));
					n++;
				}
			}
		}
	}
	printf("sockopt: %u SO_REUSEADDR/SO_REUSEPORT bind cases equal to the kernel's\n", n);
	pair_down();
}
END_TEST

/* Tern only (the kernel side would need a wildcard bind): a wildcard socket
 * and a specific one share a port only when both allow it. */
START_TEST(test_reuse_wildcard)
{
	pair_up();
	for (int t = 0; t < 2; t++) {
		int type = t == 0 ? SOCK_DGRAM : SOCK_STREAM;
		int a = tern_socket_rt(rt_a, AF_INET, type, 0), b = tern_socket_rt(rt_a, AF_INET, type, 0);
		int c = tern_socket_rt(rt_a, AF_INET, type, 0);
		set_reuse(&TERN, a, RP);
		set_reuse(&TERN, b, RP);
		struct sockaddr_in any = fixture_sin(0, 4321), own = fixture_sin(IP_A, 4321);
		ck_assert_int_eq(tern_bind(a, SA(&any), sizeof(any)), 0);
		ck_assert_int_eq(tern_bind(b, SA(&own), sizeof(own)), 0);
		errno = 0;
		ck_assert_int_eq(tern_bind(c, SA(&own), sizeof(own)), -1);
		ck_assert_int_eq(errno, EADDRINUSE);
		if (type == SOCK_STREAM) {
			ck_assert_int_eq(tern_listen(a, 4), 0);
			ck_assert_int_eq(tern_listen(b, 4), 0);
		}
		tern_close(a);
		tern_close(b);
		tern_close(c);
	}
	pair_down();
}
END_TEST

/* Tern only: an SO_REUSEPORT group shares connections and datagrams by a
 * hash of the 4-tuple (deterministic: the runtimes' seeds are fixed). */
START_TEST(test_reuseport_spread)
{
	pair_up();
	enum { N = 16 };
	int l[2];
	for (int i = 0; i < 2; i++) {
		l[i] = tern_socket_rt(rt_b, AF_INET, SOCK_STREAM, 0);
		set_reuse(&TERN, l[i], RP);
		struct sockaddr_in a = fixture_sin(IP_B, 5555);
		ck_assert_int_eq(tern_bind(l[i], SA(&a), sizeof(a)), 0);
		ck_assert_int_eq(tern_listen(l[i], 32), 0);
		ck_assert_int_eq(tern_setblocking(l[i], false), 0);
	}
	int got[2] = { 0, 0 };
	for (int n = 0; n < N; n++) {
		int c = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in to = fixture_sin(IP_B, 5555);
		ck_assert_int_eq(tern_connect(c, SA(&to), sizeof(to)), 0);
		int hits = 0;
		for (int tries = 0; hits == 0 && tries < 1000; tries++) {
			for (int i = 0; i < 2; i++) {
				int s = tern_accept(l[i], NULL, NULL);
				if (s >= 0) {
					got[i]++;
					hits++;
					ck_assert_int_eq(tern_close(s), 0);
				} else {
					ck_assert_int_eq(errno, EAGAIN);
				}
			}
			drive(1);
		}
		ck_assert_int_eq(hits, 1);
		ck_assert_int_eq(tern_close(c), 0);
		drive(20);
	}
	ck_assert_int_eq(got[0] + got[1], N);
	ck_assert_int_gt(got[0], 0);
	ck_assert_int_gt(got[1], 0);
	printf("sockopt: %d TCP connections spread %d/%d over two SO_REUSEPORT listeners\n",
	       N, got[0], got[1]);
	tern_close(l[0]);
	tern_close(l[1]);

	int u[2];
	for (int i = 0; i < 2; i++) {
		u[i] = tern_socket_rt(rt_b, AF_INET, SOCK_DGRAM, 0);
		set_reuse(&TERN, u[i], RP);
		struct sockaddr_in a = fixture_sin(IP_B, 6666);
		ck_assert_int_eq(tern_bind(u[i], SA(&a), sizeof(a)), 0);
	}
	int snd[N];
	for (int n = 0; n < N; n++) {
		snd[n] = tern_socket_rt(rt_a, AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in to = fixture_sin(IP_B, 6666);
		ck_assert_int_eq(tern_sendto(snd[n], "x", 1, 0, SA(&to), sizeof(to)), 1);
	}
	drive(200);
	int dg[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		char b[8];
		while (tern_recv(u[i], b, sizeof(b), MSG_DONTWAIT) == 1)
			dg[i]++;
	}
	ck_assert_int_eq(dg[0] + dg[1], N);
	ck_assert_int_gt(dg[0], 0);
	ck_assert_int_gt(dg[1], 0);
	printf("sockopt: %d datagrams spread %d/%d over two SO_REUSEPORT sockets\n", N, dg[0], dg[1]);
	for (int n = 0; n < N; n++)
		tern_close(snd[n]);
	tern_close(u[0]);
	tern_close(u[1]);
	pair_down();
}
END_TEST

/* ---- a TCP connection on each side: accepted sockets, SO_RCVLOWAT ---- */

struct conn {
	const struct side *sd;
	int l, c, s;           /* listener, client, accepted */
	bool tern;
};

static void
conn_listen(struct conn *x, bool tern)
{
	x->tern = tern;
	if (tern) {
		x->l = tern_socket_rt(rt_b, AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = fixture_sin(IP_B, 7777);
		ck_assert_int_eq(tern_bind(x->l, SA(&a), sizeof(a)), 0);
		ck_assert_int_eq(tern_listen(x->l, 8), 0);
	} else {
		x->l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = fixture_sin(LOOPBACK, 0);
		ck_assert_int_eq(bind(x->l, SA(&a), sizeof(a)), 0);
		ck_assert_int_eq(listen(x->l, 8), 0);
	}
}

/* Connect a client; accept (the listener may be non-blocking: bounded
 * retries, a safety net). TCP_NODELAY on the client: no Nagle delays. */
static void
conn_connect(struct conn *x)
{
	if (x->tern) {
		x->c = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in to = fixture_sin(IP_B, 7777);
		ck_assert_int_eq(tern_connect(x->c, SA(&to), sizeof(to)), 0);
		ck_assert_int_eq(tern_setsockopt(x->c, IPPROTO_TCP, TCP_NODELAY, I(1), 4), 0);
	} else {
		struct sockaddr_in to;
		socklen_t tl = sizeof(to);
		ck_assert_int_eq(getsockname(x->l, SA(&to), &tl), 0);
		x->c = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(x->c, SA(&to), sizeof(to)), 0);
		ck_assert_int_eq(setsockopt(x->c, IPPROTO_TCP, TCP_NODELAY, I(1), 4), 0);
	}
	for (int i = 0; i < 5000; i++) {
		x->s = x->tern ? tern_accept(x->l, NULL, NULL) : accept(x->l, NULL, NULL);
		if (x->s >= 0)
			return;
		ck_assert_int_eq(errno, EAGAIN);
		if (x->tern) {
			drive(1);
		} else {
			struct pollfd p = { .fd = x->l, .events = POLLIN };
			poll(&p, 1, 1);
		}
	}
	ck_abort_msg("no connection to accept");
}

static void
conn_close(struct conn *x)
{
	if (x->tern) {
		tern_close(x->c);
		tern_close(x->s);
		tern_close(x->l);
		drive(50);
	} else {
		close(x->c);
		close(x->s);
		close(x->l);
	}
}

/* Wait (bounded; a safety net, not a measurement) until @p n bytes are
 * queued for x->s. */
static void
conn_arrive(struct conn *x, int n)
{
	if (x->tern) {
		drive(100);   /* the in-memory wire delivers within a few iterations */
		return;
	}
	for (int i = 0; i < 5000; i++) {
		int q = 0;
		ck_assert_int_eq(ioctl(x->s, FIONREAD, &q), 0);
		if (q >= n)
			return;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("kernel loopback: %d bytes did not arrive", n);
}

static ssize_t
conn_send(struct conn *x, const char *p, size_t n)
{
	return x->tern ? tern_send(x->c, p, n, 0) : send(x->c, p, n, 0);
}

static ssize_t
conn_recv(struct conn *x, char *p, size_t n, int flags)
{
	return x->tern ? tern_recv(x->s, p, n, flags) : recv(x->s, p, n, flags);
}

static int
conn_setopt(struct conn *x, int fd, int level, int name, const void *v, socklen_t l)
{
	return x->tern ? tern_setsockopt(fd, level, name, v, l) : setsockopt(fd, level, name, v, l);
}

static int
conn_fcntl(struct conn *x, int fd, int cmd)
{
	return x->tern ? tern_fcntl(fd, cmd) : fcntl(fd, cmd);
}

/* The options an accepted socket takes from its listener. */
START_TEST(test_accept_inherits)
{
	pair_up();
	const struct { int level, name; const void *v; int len; } set[] = {
		{ SOL_SOCKET, SO_KEEPALIVE, I(1), 4 }, { SOL_SOCKET, SO_LINGER, LG(1, 0), 8 },
		{ SOL_SOCKET, SO_RCVBUF, I(10000), 4 }, { SOL_SOCKET, SO_SNDBUF, I(10000), 4 },
		{ SOL_SOCKET, SO_RCVLOWAT, I(7), 4 }, { IPPROTO_IP, IP_TOS, I(0x20), 4 },
		{ IPPROTO_IP, IP_TTL, I(33), 4 }, { IPPROTO_TCP, TCP_NODELAY, I(1), 4 },
		{ IPPROTO_TCP, TCP_KEEPIDLE, I(100), 4 }, { IPPROTO_TCP, TCP_KEEPINTVL, I(10), 4 },
		{ IPPROTO_TCP, TCP_KEEPCNT, I(3), 4 }, { SOL_SOCKET, SO_RCVTIMEO, TV(3, 0), 16 },
		{ SOL_SOCKET, SO_SNDTIMEO, TV(1, 500000), 16 }, { SOL_SOCKET, SO_REUSEADDR, I(1), 4 },
		{ SOL_SOCKET, SO_REUSEPORT, I(1), 4 }, { SOL_SOCKET, SO_BROADCAST, I(1), 4 },
		{ IPPROTO_TCP, TCP_CONGESTION, "reno", 4 },
	};
	static const struct { int level, name; } read[] = {
		{ SOL_SOCKET, SO_KEEPALIVE }, { SOL_SOCKET, SO_LINGER }, { SOL_SOCKET, SO_RCVBUF },
		{ SOL_SOCKET, SO_SNDBUF }, { SOL_SOCKET, SO_RCVLOWAT }, { IPPROTO_IP, IP_TOS },
		{ IPPROTO_IP, IP_TTL }, { IPPROTO_TCP, TCP_NODELAY }, { IPPROTO_TCP, TCP_KEEPIDLE },
		{ IPPROTO_TCP, TCP_KEEPINTVL }, { IPPROTO_TCP, TCP_KEEPCNT }, { SOL_SOCKET, SO_RCVTIMEO },
		{ SOL_SOCKET, SO_SNDTIMEO }, { SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_REUSEPORT },
		{ SOL_SOCKET, SO_BROADCAST }, { SOL_SOCKET, SO_ACCEPTCONN }, { IPPROTO_TCP, TCP_CONGESTION },
	};
	unsigned char got[2][sizeof(read) / sizeof(read[0])][32];
	int gotlen[2][sizeof(read) / sizeof(read[0])];
	int fl[2], fd_flags[2];
	for (int side = 0; side < 2; side++) {
		struct conn x;
		conn_listen(&x, side == 0);
		for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			ck_assert_msg(conn_setopt(&x, x.l, set[i].level, set[i].name, set[i].v,
						  (socklen_t)set[i].len) == 0,
				      "%s listener option %zu", side == 0 ? "Tern" : "kernel", i);
		/* O_NONBLOCK is the file's, not the socket's: not inherited */
		ck_assert_int_eq(x.tern ? tern_fcntl(x.l, F_SETFL, O_NONBLOCK) :
				 fcntl(x.l, F_SETFL, O_NONBLOCK), 0);
		conn_connect(&x);
		for (size_t i = 0; i < sizeof(read) / sizeof(read[0]); i++) {
			socklen_t l = sizeof(got[side][i]);
			memset(got[side][i], 0, sizeof(got[side][i]));
			int rc = x.tern ? tern_getsockopt(x.s, read[i].level, read[i].name, got[side][i], &l) :
				 getsockopt(x.s, read[i].level, read[i].name, got[side][i], &l);
			ck_assert_int_eq(rc, 0);
			gotlen[side][i] = (int)l;
		}
		fl[side] = conn_fcntl(&x, x.s, F_GETFL);
		fd_flags[side] = conn_fcntl(&x, x.s, F_GETFD);
		conn_close(&x);
	}
	for (size_t i = 0; i < sizeof(read) / sizeof(read[0]); i++)
		ck_assert_msg(gotlen[0][i] == gotlen[1][i] &&
			      memcmp(got[0][i], got[1][i], (size_t)gotlen[0][i]) == 0,
			      "accepted socket, option %zu (%d/%d): Tern %d bytes %02x%02x%02x%02x, "
			      "kernel %d bytes %02x%02x%02x%02x", i, read[i].level, read[i].name,
			      gotlen[0][i], got[0][i][0], got[0][i][1], got[0][i][2], got[0][i][3],
			      gotlen[1][i], got[1][i][0], got[1][i][1], got[1][i][2], got[1][i][3]);
	ck_assert_int_eq(fl[0], fl[1]);
	ck_assert_int_eq(fd_flags[0], fd_flags[1]);
	pair_down();
}
END_TEST

/* SO_RCVLOWAT on a TCP stream, the same steps on Tern and on the kernel. */
START_TEST(test_rcvlowat)
{
	pair_up();
	ssize_t out[2][12];
	for (int side = 0; side < 2; side++) {
		struct conn x;
		conn_listen(&x, side == 0);
		conn_connect(&x);
		char b[256];
		int k = 0;
		ck_assert_int_eq(conn_setopt(&x, x.s, SOL_SOCKET, SO_RCVLOWAT, I(10), 4), 0);
		/* non-blocking: what is there, even below the mark */
		ck_assert_int_eq(conn_send(&x, "abcd", 4), 4);
		conn_arrive(&x, 4);
		out[side][k++] = conn_recv(&x, b, sizeof(b), MSG_DONTWAIT);
		/* a timeout returns what came (Linux: copied, not EAGAIN) */
		ck_assert_int_eq(conn_setopt(&x, x.s, SOL_SOCKET, SO_RCVTIMEO, TV(0, 50000), 16), 0);
		ck_assert_int_eq(conn_send(&x, "efgh", 4), 4);
		conn_arrive(&x, 4);
		out[side][k++] = conn_recv(&x, b, sizeof(b), 0);
		/* nothing at all: EAGAIN at the timeout */
		out[side][k++] = conn_recv(&x, b, sizeof(b), 0) < 0 ? -errno : 99;
		/* enough queued: at once */
		ck_assert_int_eq(conn_send(&x, "0123456789ab", 12), 12);
		conn_arrive(&x, 12);
		out[side][k++] = conn_recv(&x, b, sizeof(b), 0);
		/* a peek below the mark: the timeout, then what is there */
		ck_assert_int_eq(conn_send(&x, "xyz", 3), 3);
		conn_arrive(&x, 3);
		out[side][k++] = conn_recv(&x, b, sizeof(b), MSG_PEEK);
		/* more arrives: the mark is reached */
		ck_assert_int_eq(conn_send(&x, "ABCDEFGH", 8), 8);
		conn_arrive(&x, 11);
		out[side][k++] = conn_recv(&x, b, sizeof(b), MSG_PEEK);
		out[side][k++] = conn_recv(&x, b, sizeof(b), 0);
		/* the mark counts up to len only */
		ck_assert_int_eq(conn_send(&x, "12345", 5), 5);
		conn_arrive(&x, 5);
		out[side][k++] = conn_recv(&x, b, 3, 0);
		out[side][k++] = conn_recv(&x, b, sizeof(b), MSG_DONTWAIT);
		/* Tern: both pieces are in flight when recv starts waiting (no
		 * timeout now: the mark alone ends the wait) */
		ck_assert_int_eq(conn_setopt(&x, x.s, SOL_SOCKET, SO_RCVTIMEO, TV(0, 0), 16), 0);
		ck_assert_int_eq(conn_send(&x, "123", 3), 3);
		ck_assert_int_eq(conn_send(&x, "45678901", 8), 8);
		if (!x.tern)
			conn_arrive(&x, 11);
		out[side][k++] = conn_recv(&x, b, sizeof(b), 0);
		/* EOF ends the wait */
		ck_assert_int_eq(conn_send(&x, "zz", 2), 2);
		ck_assert_int_eq(x.tern ? tern_shutdown(x.c, SHUT_WR) : shutdown(x.c, SHUT_WR), 0);
		conn_arrive(&x, 2);
		out[side][k++] = conn_recv(&x, b, sizeof(b), 0);
		out[side][k++] = conn_recv(&x, b, sizeof(b), 0);
		conn_close(&x);
	}
	static const ssize_t want[12] = { 4, 4, -EAGAIN, 12, 3, 11, 11, 3, 2, 11, 2, 0 };
	for (int i = 0; i < 12; i++) {
		ck_assert_msg(out[0][i] == out[1][i], "SO_RCVLOWAT step %d: Tern %zd, kernel %zd",
			      i, out[0][i], out[1][i]);
		ck_assert_msg(out[0][i] == want[i], "SO_RCVLOWAT step %d: %zd, want %zd", i,
			      out[0][i], want[i]);
	}
	pair_down();
}
END_TEST

/* ---- fcntl ---- */

struct fcntl_step {
	int cmd, arg;
	bool has_arg;
	int then;        /* 0, or a query after it (F_GETFL / F_GETFD) */
};

START_TEST(test_fcntl)
{
	pair_up();
	static const struct fcntl_step steps[] = {
		{ F_GETFL, 0, false, 0 }, { F_GETFD, 0, false, 0 },
		{ F_SETFL, O_NONBLOCK, true, F_GETFL },
		{ F_SETFL, O_APPEND | O_NONBLOCK | O_ASYNC | O_NOATIME | O_CREAT | O_WRONLY, true, F_GETFL },
		{ F_SETFL, 0, true, F_GETFL }, { F_SETFL, O_DIRECT, true, F_GETFL },
		{ F_SETFL, O_DIRECT | O_NONBLOCK, true, F_GETFL }, { F_SETFL, -1, true, F_GETFL },
		{ F_SETFL, O_APPEND, true, F_GETFL }, { F_SETFL, O_RDONLY, true, F_GETFL },
		{ F_SETFD, FD_CLOEXEC, true, F_GETFD }, { F_SETFD, 0xff, true, F_GETFD },
		{ F_SETFD, 2, true, F_GETFD }, { F_SETFD, 0, true, F_GETFD },
		{ 9999, 0, false, 0 }, { F_SETFL, O_NONBLOCK, true, F_GETFD },
	};
	unsigned n = 0;
	for (unsigned k = K_UDP; k <= K_LST; k <<= 1) {
		int tfd = open_kind(&TERN, (enum kind)k), kfd = open_kind(&KERN, (enum kind)k);
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			const struct fcntl_step *st = &steps[i];
			int r[2][2], e[2];
			for (int side = 0; side < 2; side++) {
				int fd = side == 0 ? tfd : kfd;
				errno = 0;
				if (st->has_arg)
					r[side][0] = side == 0 ? tern_fcntl(fd, st->cmd, st->arg) :
						     fcntl(fd, st->cmd, st->arg);
				else
					r[side][0] = side == 0 ? tern_fcntl(fd, st->cmd) : fcntl(fd, st->cmd);
				e[side] = r[side][0] < 0 ? errno : 0;
				r[side][1] = st->then == 0 ? 0 : side == 0 ? tern_fcntl(fd, st->then) :
					     fcntl(fd, st->then);
			}
			ck_assert_msg(r[0][0] == r[1][0] && e[0] == e[1] && r[0][1] == r[1][1],
				      "%s fcntl step %zu: Tern %d/%s then %#x, kernel %d/%s then %#x",
				      kind_name[k], i, r[0][0], errname(e[0]), r[0][1], r[1][0],
				      errname(e[1]), r[1][1]);
			n++;
		}
		tern_close(tfd);
		close(kfd);
	}
	/* SOCK_NONBLOCK | SOCK_CLOEXEC at creation */
	for (int t = 0; t < 2; t++) {
		int type = (t == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
		int tfd = tern_socket_rt(rt_a, AF_INET, type, 0), kfd = socket(AF_INET, type, 0);
		ck_assert_int_eq(tern_fcntl(tfd, F_GETFL), fcntl(kfd, F_GETFL));
		ck_assert_int_eq(tern_fcntl(tfd, F_GETFD), fcntl(kfd, F_GETFD));
		tern_close(tfd);
		close(kfd);
		n += 2;
	}
	/* bad descriptors */
	int kfd = socket(AF_INET, SOCK_DGRAM, 0);
	close(kfd);
	errno = 0;
	ck_assert_int_eq(fcntl(kfd, F_GETFL), -1);
	int kerr = errno;
	static const int bad[] = { TERN_FD_BASE - 1, TERN_FD_BASE + 65535, -1 };
	for (size_t i = 0; i < 3; i++) {
		errno = 0;
		ck_assert_int_eq(tern_fcntl(bad[i], F_GETFL), -1);
		ck_assert_int_eq(errno, kerr);
		n++;
	}
	int tfd = tern_socket_rt(rt_a, AF_INET, SOCK_DGRAM, 0);
	tern_close(tfd);
	errno = 0;
	ck_assert_int_eq(tern_fcntl(tfd, F_SETFD, FD_CLOEXEC), -1);
	ck_assert_int_eq(errno, EBADF);
	/* a reused descriptor starts without FD_CLOEXEC */
	tfd = tern_socket_rt(rt_a, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tern_close(tfd);
	int again = tern_socket_rt(rt_a, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(again, tfd);
	ck_assert_int_eq(tern_fcntl(again, F_GETFD), 0);
	tern_close(again);

	/* an epoll descriptor: O_RDWR, O_NONBLOCK and FD_CLOEXEC remembered */
	int tep = tern_epoll_create1(0), kep = epoll_create1(0);
	ck_assert_int_ge(tep, TERN_FD_BASE);
	ck_assert_int_eq(tern_fcntl(tep, F_GETFL), fcntl(kep, F_GETFL));
	ck_assert_int_eq(tern_fcntl(tep, F_SETFL, O_NONBLOCK), fcntl(kep, F_SETFL, O_NONBLOCK));
	ck_assert_int_eq(tern_fcntl(tep, F_GETFL), fcntl(kep, F_GETFL));
	ck_assert_int_eq(tern_fcntl(tep, F_SETFD, FD_CLOEXEC), fcntl(kep, F_SETFD, FD_CLOEXEC));
	ck_assert_int_eq(tern_fcntl(tep, F_GETFD), fcntl(kep, F_GETFD));
	tern_close(tep);
	close(kep);
	tep = tern_epoll_create1(EPOLL_CLOEXEC);
	kep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_eq(tern_fcntl(tep, F_GETFD), fcntl(kep, F_GETFD));
	tern_close(tep);
	close(kep);
	n += 6;
	printf("sockopt: %u fcntl cases equal to the kernel's\n", n);

	/*
	 * Tern's model: the socket module's timeout is the blocking state.
	 * Differs from a Python socket's kernel descriptor on purpose: there
	 * settimeout(2.5) sets O_NONBLOCK (Python waits in poll itself); Tern
	 * waits inside the call, so the socket reads as blocking.
	 */
	tfd = tern_socket_rt(rt_a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(tern_settimeout(tfd, 2.5), 0);
	ck_assert_int_eq(tern_fcntl(tfd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(tern_fcntl(tfd, F_SETFL, 0), 0);
	ck_assert_double_eq_tol(tern_gettimeout(tfd), 2.5, 1e-9);   /* a timeout stays */
	ck_assert_int_eq(tern_fcntl(tfd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_double_eq(tern_gettimeout(tfd), 0.0);
	ck_assert_int_eq(tern_fcntl(tfd, F_SETFL, 0), 0);
	ck_assert_double_eq(tern_gettimeout(tfd), -1.0);   /* None */
	ck_assert_int_eq(tern_setblocking(tfd, false), 0);
	ck_assert_int_eq(tern_fcntl(tfd, F_GETFL), O_RDWR | O_NONBLOCK);
	/* commands Tern does not take (Linux's F_GETOWN would answer 0) */
	errno = 0;
	ck_assert_int_eq(tern_fcntl(tfd, F_GETOWN), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tern_fcntl(tfd, F_DUPFD, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	tern_close(tfd);
	pair_down();
}
END_TEST

static Suite *
sockopt_suite(void)
{
	Suite *s = suite_create("sockopt");
	TCase *tc = tcase_create("kernel");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_option_table);
	tcase_add_test(tc, test_reuse_bind_rules);
	tcase_add_test(tc, test_reuse_wildcard);
	tcase_add_test(tc, test_reuseport_spread);
	tcase_add_test(tc, test_accept_inherits);
	tcase_add_test(tc, test_rcvlowat);
	tcase_add_test(tc, test_fcntl);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(sockopt_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

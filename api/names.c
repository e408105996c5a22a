/*
 * Name functions of the socket module without DNS: gethostbyname(_ex) and
 * gethostbyaddr from a hosts file (hosts(5)), getservbyname/getservbyport
 * from a services file (services(5)), gethostname, inet_pton/inet_ntop for
 * AF_INET. Called from application threads, never by the stack: every call
 * opens and reads the file itself into a buffer of its own, so calls are
 * reentrant, results go only to the caller's memory, and the only shared
 * state is the two configured paths (under names_lock).
 *
 * Line parsing is modelled on glibc's "files" NSS backend (what Python's
 * socket module gets on Linux), checked against it in tests/unit/test_names.c;
 * the deliberate differences are listed in tern.h.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "tern.h"

#define HOSTS_DEFAULT "/etc/hosts"
#define SERVICES_DEFAULT "/etc/services"

/* The configured files: process-wide like /etc/hosts itself. Readers copy
 * the path under the lock and open the copy, so a concurrent
 * tern_set_hosts_file() gives each lookup either the old or the new file. */
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static char hosts_path[PATH_MAX] = HOSTS_DEFAULT;
static char services_path[PATH_MAX] = SERVICES_DEFAULT;

/* h_errno of the last host call, per thread as <netdb.h>'s h_errno is. */
static _Thread_local int names_h_errno;

/* ---- configuration ---- */

static int
set_path(char *dst, const char *path, const char *deflt)
{
	if (path == NULL)
		path = deflt;
	if (path[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	size_t n = strlen(path);
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	pthread_mutex_lock(&names_lock);
	memcpy(dst, path, n + 1);
	pthread_mutex_unlock(&names_lock);
	return 0;
}

int
tern_set_hosts_file(const char *path)
{
	return set_path(hosts_path, path, HOSTS_DEFAULT);
}

int
tern_set_services_file(const char *path)
{
	return set_path(services_path, path, SERVICES_DEFAULT);
}

int
tern_h_errno(void)
{
	return names_h_errno;
}

/* ---- reading a table file line by line ---- */

/*
 * One open table file. getline() grows the buffer, so a line of any length
 * is read whole (a long comment or alias list never splits into a bogus
 * second line). Each line is cut at '#' and its blanks turned into NULs, so
 * fields are the non-empty runs between NULs up to @c end.
 */
struct table {
	FILE *f;
	char *buf;
	size_t cap;
	char *p, *end;  /* field cursor within the current line */
	int err;        /* errno of a failed read, 0 at a clean end */
};

static int
table_open(struct table *t, const char *configured)
{
	char path[PATH_MAX];

	pthread_mutex_lock(&names_lock);
	strcpy(path, configured);
	pthread_mutex_unlock(&names_lock);
	memset(t, 0, sizeof(*t));
	t->f = fopen(path, "re");
	return t->f == NULL ? -1 : 0;
}

/* Errors while reading count as a failed read of the whole file: a lookup
 * must not report "not found" from half a file. @return 0, or an errno. */
static int
table_close(struct table *t)
{
	int err = t->err;

	if (err == 0 && ferror(t->f))
		err = EIO;
	fclose(t->f);
	free(t->buf);
	return err;
}

/* Next line, split into fields. @return false at end of file. */
static bool
table_next_line(struct table *t)
{
	errno = 0;
	ssize_t n = getline(&t->buf, &t->cap, t->f);

	if (n < 0) {
		/* A directory opens but reads EISDIR; ENOMEM for a huge line. */
		if (ferror(t->f) || errno == ENOMEM)
			t->err = errno != 0 ? errno : EIO;
		return false;
	}
	char *line = t->buf;
	ssize_t len = n;
	for (ssize_t i = 0; i < n; i++) {
		/* hosts(5), services(5): '#' to the end of the line is a
		 * comment, even inside a field ("a#b" is "a"). */
		if (line[i] == '#') {
			len = i;
			break;
		}
		/* Blanks separate fields; CR and other C-locale space too, so
		 * a CRLF file reads like an LF one (as glibc). */
		if (isspace((unsigned char)line[i]))
			line[i] = '\0';
	}
	t->p = line;
	t->end = line + len;
	return true;
}

/* Next field of the current line, or NULL. */
static char *
table_field(struct table *t)
{
	while (t->p < t->end && *t->p == '\0')
		t->p++;
	if (t->p >= t->end)
		return NULL;
	char *f = t->p;
	/* A NUL byte in the file also ends a field; never walk past end. */
	while (t->p < t->end && *t->p != '\0')
		t->p++;
	/* The last field may run up to end without a NUL when the line was
	 * cut at '#': terminate it there (end points into the buffer, at
	 * the '#' or the line's own NUL). */
	*t->p = '\0';
	return f;
}

/* ---- hosts ---- */

/* One hosts-file line: "address canonical_name [aliases...]". The alias
 * fields are read from the table cursor after hosts_line() returns. */
struct hosts_line {
	struct in_addr addr;
	const char *name;
};

static bool
name_usable(const char *s)
{
	return strlen(s) < TERN_HOST_NAME_MAX;
}

/* @return true for a line with an IPv4 address and a usable name. */
static bool
hosts_line(struct table *t, struct hosts_line *hl)
{
	const char *a = table_field(t);
	const char *n = a ? table_field(t) : NULL;

	/* glibc reads the address with inet_pton: strict dotted quad, so
	 * "127.1 x" and "010.0.0.1 x" lines are ignored, as are IPv6 lines
	 * (which Tern, IPv4 only, skips entirely; see tern.h). */
	if (n == NULL || tern_inet_pton(AF_INET, a, &hl->addr) != 1)
		return false;
	if (!name_usable(n))
		return false;
	hl->name = n;
	return true;
}

/* Does @p name appear as the line's canonical name or an alias? Host names
 * compare case-insensitively (RFC 4343; glibc uses strcasecmp). Leaves the
 * cursor where it was so that the aliases can be read again. */
static bool
hosts_line_names(struct table *t, const struct hosts_line *hl, const char *name)
{
	if (strcasecmp(hl->name, name) == 0)
		return true;
	char *save = t->p;
	bool hit = false;
	for (const char *al; !hit && (al = table_field(t)) != NULL;)
		hit = strcasecmp(al, name) == 0;
	t->p = save;
	return hit;
}

static void
hostent_add_alias(struct tern_hostent *h, const char *al)
{
	if (!name_usable(al) || h->n_aliases == TERN_HOST_ALIASES_MAX) {
		h->truncated = true;
		return;
	}
	strcpy(h->aliases[h->n_aliases++], al);
}

static void
hostent_add_addr(struct tern_hostent *h, struct in_addr a)
{
	if (h->n_addrs == TERN_HOST_ADDRS_MAX) {
		h->truncated = true;
		return;
	}
	h->addrs[h->n_addrs++] = a;
}

static void
hostent_init(struct tern_hostent *h, const char *name)
{
	h->name[0] = '\0';
	strncat(h->name, name, TERN_HOST_NAME_MAX - 1);
	h->n_aliases = 0;
	h->n_addrs = 0;
	h->truncated = false;
}

static void
hostent_add_line_aliases(struct table *t, struct tern_hostent *h)
{
	for (const char *al; (al = table_field(t)) != NULL;)
		hostent_add_alias(h, al);
}

static int
host_fail(int herr, int err)
{
	names_h_errno = herr;
	errno = err;
	return -1;
}

/* Only digits and dots, not ending in a dot: glibc takes such a name as a
 * numeric address or nothing, never as a host name to look up. */
static bool
looks_numeric(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || !isdigit((unsigned char)s[0]) || s[n - 1] == '.')
		return false;
	return strspn(s, "0123456789.") == n;
}

/* RFC 6761 6.3: "localhost." and names under it are the loopback address,
 * whatever the hosts file says (answered here only when the file does not
 * name them, like systemd's nss-myhostname after "files"). */
static bool
is_localhost(const char *s)
{
	static const char lh[] = "localhost";
	size_t n = strlen(s), l = sizeof(lh) - 1;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == l)
		return strncasecmp(s, lh, l) == 0;
	return n > l && s[n - l - 1] == '.' && strncasecmp(s + n - l, lh, l) == 0;
}

/* The checks every host call begins with. @return 0 or -1 (errno set). */
static int
host_check_name(const char *name)
{
	if (name == NULL)
		return host_fail(NETDB_INTERNAL, EINVAL);
	/* RFC 1035 2.3.4: at most 255 octets (Python refuses longer ones
	 * before it asks the resolver). */
	if (!name_usable(name))
		return host_fail(NETDB_INTERNAL, EINVAL);
	return 0;
}

int
tern_gethostbyname_ex(const char *name, struct tern_hostent *out)
{
	if (out == NULL)
		return host_fail(NETDB_INTERNAL, EINVAL);
	if (host_check_name(name) < 0)
		return -1;
	struct in_addr a;
	if (tern_inet_aton(name, &a)) {
		/* glibc and Python: a numeric name answers itself. */
		hostent_init(out, name);
		hostent_add_addr(out, a);
		names_h_errno = 0;
		return 0;
	}
	if (looks_numeric(name) || name[0] == '\0')
		return host_fail(HOST_NOT_FOUND, ENOENT);

	struct table t;
	bool found = false;
	int err = 0;
	if (table_open(&t, hosts_path) < 0) {
		err = errno;
	} else {
		struct hosts_line hl;
		while (table_next_line(&t)) {
			if (!hosts_line(&t, &hl) || !hosts_line_names(&t, &hl, name))
				continue;
			if (!found) {
				hostent_init(out, hl.name);
				hostent_add_line_aliases(&t, out);
				found = true;
			} else {
				/* glibc "multi on" merge order: aliases of the
				 * later line, then its canonical name unless it
				 * is the first line's (case-sensitive). */
				hostent_add_line_aliases(&t, out);
				if (strcmp(hl.name, out->name) != 0)
					hostent_add_alias(out, hl.name);
			}
			hostent_add_addr(out, hl.addr);
		}
		err = table_close(&t);
	}
	if (found && err == 0) {
		names_h_errno = 0;
		return 0;
	}
	if (is_localhost(name)) {
		hostent_init(out, name);
		hostent_add_addr(out, (struct in_addr){ htonl(INADDR_LOOPBACK) });
		names_h_errno = 0;
		return 0;
	}
	if (err != 0)
		return host_fail(NETDB_INTERNAL, err);
	return host_fail(HOST_NOT_FOUND, ENOENT);
}

int
tern_gethostbyname(const char *name, struct in_addr *out)
{
	if (out == NULL)
		return host_fail(NETDB_INTERNAL, EINVAL);
	if (host_check_name(name) < 0)
		return -1;
	/* The socket module's two special host strings (they are addresses,
	 * not names, so only this call and tern_addr() know them). */
	if (name[0] == '\0') {
		out->s_addr = htonl(INADDR_ANY);
		names_h_errno = 0;
		return 0;
	}
	if (strcmp(name, "<broadcast>") == 0) {
		out->s_addr = htonl(INADDR_BROADCAST);
		names_h_errno = 0;
		return 0;
	}
	/* The first line's first address is the answer; merging later lines
	 * only appends. 4 KiB of stack, no allocation. */
	struct tern_hostent h;
	if (tern_gethostbyname_ex(name, &h) < 0)
		return -1;
	*out = h.addrs[0];
	return 0;
}

int
tern_gethostbyaddr(struct in_addr addr, struct tern_hostent *out)
{
	if (out == NULL)
		return host_fail(NETDB_INTERNAL, EINVAL);
	struct table t;
	if (table_open(&t, hosts_path) < 0)
		return host_fail(NETDB_INTERNAL, errno);
	bool found = false;
	struct hosts_line hl;
	/* No merging here: glibc's reverse lookup in files returns the
	 * first line with the address and that line's aliases only. */
	while (!found && table_next_line(&t)) {
		if (!hosts_line(&t, &hl) || hl.addr.s_addr != addr.s_addr)
			continue;
		hostent_init(out, hl.name);
		hostent_add_line_aliases(&t, out);
		hostent_add_addr(out, addr);
		found = true;
	}
	int err = table_close(&t);
	if (err != 0)
		return host_fail(NETDB_INTERNAL, err);
	if (!found)
		return host_fail(HOST_NOT_FOUND, ENOENT);
	names_h_errno = 0;
	return 0;
}

int
tern_gethostname(char *buf, size_t len)
{
	struct utsname u;

	if (buf == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (uname(&u) < 0)
		return -1;
	size_t n = strlen(u.nodename);
	/* glibc on Linux: ENAMETOOLONG rather than POSIX's silent
	 * truncation, so a caller never mistakes a prefix for the name. */
	if (n + 1 > len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, u.nodename, n + 1);
	return 0;
}

/* ---- services ---- */

/* One services-file line: "name port/protocol [aliases...]". */
struct serv_line {
	const char *name;
	const char *proto;
	uint16_t port;
};

/* services(5) "port/protocol": decimal without a leading zero (glibc
 * refuses "080/tcp" too), at most 65535, a non-empty protocol. */
static bool
serv_port_proto(const char *s, uint16_t *port, const char **proto)
{
	unsigned v = 0;
	size_t digits = strspn(s, "0123456789");

	if (digits == 0 || digits > 5 || (digits > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > 65535 || s[digits] != '/' || s[digits + 1] == '\0')
		return false;
	*port = (uint16_t)v;
	*proto = s + digits + 1;
	return true;
}

static bool
serv_line(struct table *t, struct serv_line *sl)
{
	const char *n = table_field(t);
	const char *pp = n ? table_field(t) : NULL;

	if (pp == NULL || !serv_port_proto(pp, &sl->port, &sl->proto))
		return false;
	sl->name = n;
	return true;
}

static bool
proto_ok(const char *want, const char *have)
{
	return want == NULL || strcmp(want, have) == 0;
}

int
tern_getservbyname(const char *name, const char *proto, uint16_t *port)
{
	if (name == NULL || port == NULL) {
		errno = EINVAL;
		return -1;
	}
	struct table t;
	if (table_open(&t, services_path) < 0)
		return -1;
	bool found = false;
	struct serv_line sl;
	while (!found && table_next_line(&t)) {
		if (!serv_line(&t, &sl) || !proto_ok(proto, sl.proto))
			continue;
		/* Service names are case-sensitive (strcmp in glibc). */
		found = strcmp(sl.name, name) == 0;
		for (const char *al; !found && (al = table_field(&t)) != NULL;)
			found = strcmp(al, name) == 0;
		if (found)
			*port = sl.port;
	}
	int err = table_close(&t);
	if (err != 0 || !found) {
		errno = err != 0 ? err : ENOENT;
		return -1;
	}
	return 0;
}

int
tern_getservbyport(uint16_t port, const char *proto, char *buf, size_t len)
{
	if (buf == NULL) {
		errno = EINVAL;
		return -1;
	}
	struct table t;
	if (table_open(&t, services_path) < 0)
		return -1;
	int rc = -1, err = ENOENT;
	struct serv_line sl;
	while (table_next_line(&t)) {
		if (!serv_line(&t, &sl) || sl.port != port || !proto_ok(proto, sl.proto))
			continue;
		size_t n = strlen(sl.name);
		if (n + 1 > len) {
			err = ERANGE;
		} else {
			memcpy(buf, sl.name, n + 1);
			rc = 0;
		}
		break;
	}
	int rerr = table_close(&t);
	if (rerr != 0) {
		errno = rerr;
		return -1;
	}
	if (rc < 0)
		errno = err;
	return rc;
}

/* ---- inet_pton / inet_ntop (AF_INET) ---- */

int
tern_inet_pton(int af, const char *src, void *dst)
{
	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (src == NULL || dst == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* tern_inet_aton is already the strict form POSIX gives inet_pton
	 * for AF_INET ("ddd.ddd.ddd.ddd"), leading zeros refused as glibc.
	 * dst need not be aligned: copy through a local. */
	struct in_addr a;
	if (!tern_inet_aton(src, &a))
		return 0;
	memcpy(dst, &a, sizeof(a));
	return 1;
}

const char *
tern_inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	if (af != AF_INET) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	if (src == NULL || dst == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct in_addr a;
	char tmp[INET_ADDRSTRLEN];
	memcpy(&a, src, sizeof(a));
	tern_inet_ntoa(a, tmp);
	size_t n = strlen(tmp);
	/* POSIX inet_ntop: ENOSPC when the text does not fit; the text's
	 * real length counts, not INET_ADDRSTRLEN. */
	if (n + 1 > size) {
		errno = ENOSPC;
		return NULL;
	}
	memcpy(dst, tmp, n + 1);
	return dst;
}

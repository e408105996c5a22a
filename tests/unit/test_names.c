/*
 * Unit tests of the socket module's name functions (api/names.c) and the
 * address helpers they build on (api/addr.c): inet_pton/ntop/aton/ntoa
 * against glibc's own functions, hosts and services parsing on fixture files
 * (hand-checked answers, and glibc's answers for the same fixtures when the
 * test may isolate itself in private mount and network namespaces), the real
 * /etc/services against glibc, gethostname, per-thread h_errno, and the
 * socket constants against Linux's numeric values. No DPDK, no network: the
 * glibc oracle for host names runs in a child whose network namespace has no
 * interface up, so even a lookup that fell through to DNS could send nothing.
 * Run by `meson test --suite unit names`.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tern.h"

/* ---- fixtures ---- */

/*
 * The hosts fixture, kept in the source rather than in a data file so that
 * its tabs, trailing blanks, CRLF and missing final newline are visible as
 * escapes and survive editors. Every line is there for a case below; the
 * answers glibc gives for it were checked by hand (and by the oracle test).
 */
#define LONG_NAME_300 \
	"n123456789n123456789n123456789n123456789n123456789" \
	"n123456789n123456789n123456789n123456789n123456789" \
	"n123456789n123456789n123456789n123456789n123456789" \
	"n123456789n123456789n123456789n123456789n123456789" \
	"n123456789n123456789n123456789n123456789n123456789" \
	"n123456789n123456789n123456789n123456789n1234.test"

static const char hosts_fixture_head[] =
	"# Tern test hosts file (hosts(5))\n"
	"127.0.0.1\tlocalhost\n"
	"127.0.1.1\ttern-host.example.test\ttern-host\n"
	"198.18.0.1   alpha.test alpha a1   # trailing comment\n"
	"198.18.0.2\tbeta.test\t\tbeta   \t \n"
	"::1     localhost ip6-localhost ip6-loopback\n"
	"fe80::1 ipv6only.test\n"
	"::ffff:198.18.1.2 mapped.test\n"
	"198.18.0.3 alpha.test alpha-dup\n"
	"198.18.0.4 ALPHA.test\n"
	"#198.18.0.9 commented.test\n"
	"   198.18.0.5 indented.test\n"
	"198.18.0.6\n"
	"198.18.0.7 hash#inside\n"
	"127.1 short.test\n"
	"010.0.0.1 octal.test\n"
	"198.18.0.015 lz.test\n"
	"198.18.0.8 many.test al0 al1 al2 al3 al4 al5 al6 al7 al8 al9 al10 al11"
	" al12 al13 al14 al15 al16 al17 al18 al19\n"
	"198.18.0.10 " LONG_NAME_300 " also-long-line.test\n"
	"198.18.0.13 dup.test dupa\n"
	"198.18.0.14 dup.test dupa dupb\n"
	"198.18.0.14 DUP.test\n"
	"198.18.0.15 other.test dup.test\n"
	"198.18.0.16 dupa\n";
/* Then (built at run time): a ~6 KB line of 100 aliases, a 5000-byte
 * comment line, and this tail. */
static const char hosts_fixture_tail[] =
	"198.18.0.1 alpha-again.test\n"
	"198.18.0.11 crlf.test\r\n"
	"198.18.0.12 eof.test";   /* no final newline */

/* A second hosts file: the same name with another address, and no
 * "localhost" line. */
static const char hosts_alt[] =
	"198.18.9.1 alpha\n"
	"198.18.9.2 alt-only.test\n";

static const char services_fixture_head[] =
	"# Tern test services file (services(5))\n"
	"echo\t\t7/tcp\n"
	"echo\t\t7/udp\n"
	"discard\t9/tcp\t\tsink null\n"
	"www 80/tcp http # comment\n"
	"www-alt\t080/tcp\n"
	"big 70000/tcp\n"
	"neg -1/udp\n"
	"space 81 /tcp\n"
	"sctponly 9999/sctp\n"
	"http 8080/udp\n"
	"UPPER 82/tcp\n"
	"  lead 83/tcp   \t\n"
	"crlf 84/tcp\r\n"
	"hash#x 85/tcp\n"
	"noproto 86\n"
	"slash 87/\n"
	"#commented 90/tcp\n";
/* Then a ~3 KB alias line for port 88 ending in "tail-alias", and: */
static const char services_fixture_tail[] =
	"last 89/udp";   /* no final newline */

static char dir[64];
static char hosts_path[128], alt_path[128], services_path[128],
	hostconf_path[128], missing_path[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* The 100 aliases of longline.test: "la<i>-" padded with 'x' to 60 chars. */
static void long_alias(char *out, int i)
{
	int n = snprintf(out, 61, "la%d-", i);

	memset(out + n, 'x', (size_t)(60 - n));
	out[60] = '\0';
}

static char *build_hosts(void)
{
	size_t cap = sizeof(hosts_fixture_head) + sizeof(hosts_fixture_tail) + 20000;
	char *s = malloc(cap);
	char al[61];

	ck_assert_ptr_nonnull(s);
	strcpy(s, hosts_fixture_head);
	strcat(s, "198.18.0.17 longline.test");
	for (int i = 0; i < 100; i++) {
		long_alias(al, i);
		strcat(s, " ");
		strcat(s, al);
	}
	strcat(s, "\n# ");
	size_t n = strlen(s);
	memset(s + n, 'c', 5000);
	strcpy(s + n + 5000, " 198.18.0.99 in-comment.test\n");
	strcat(s, hosts_fixture_tail);
	return s;
}

static char *build_services(void)
{
	size_t cap = sizeof(services_fixture_head) + 8000;
	char *s = malloc(cap);

	ck_assert_ptr_nonnull(s);
	strcpy(s, services_fixture_head);
	strcat(s, "longalias 88/tcp");
	for (int i = 0; i < 50; i++) {
		char al[61];
		long_alias(al, i);
		strcat(s, " ");
		strcat(s, al);
	}
	strcat(s, " tail-alias\n");
	strcat(s, services_fixture_tail);
	return s;
}

static void setup(void)
{
	strcpy(dir, "/tmp/tern_names_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(hosts_path, sizeof(hosts_path), "%s/hosts", dir);
	snprintf(alt_path, sizeof(alt_path), "%s/hosts_alt", dir);
	snprintf(services_path, sizeof(services_path), "%s/services", dir);
	snprintf(hostconf_path, sizeof(hostconf_path), "%s/host.conf", dir);
	snprintf(missing_path, sizeof(missing_path), "%s/no-such-file", dir);
	char *h = build_hosts(), *s = build_services();
	write_file(hosts_path, h);
	write_file(services_path, s);
	free(h);
	free(s);
	write_file(alt_path, hosts_alt);
	write_file(hostconf_path, "multi on\n");
	ck_assert_int_eq(tern_set_hosts_file(hosts_path), 0);
	ck_assert_int_eq(tern_set_services_file(services_path), 0);
}

static void teardown(void)
{
	unlink(hosts_path);
	unlink(alt_path);
	unlink(services_path);
	unlink(hostconf_path);
	rmdir(dir);
	tern_set_hosts_file(NULL);
	tern_set_services_file(NULL);
}

/* ---- helpers ---- */

static uint32_t ip(const char *s)
{
	struct in_addr a;

	ck_assert_msg(inet_pton(AF_INET, s, &a) == 1, "bad test address %s", s);
	return a.s_addr;
}

static void expect_host(const char *name, const char *addr)
{
	struct in_addr a = { 0 };

	errno = 0;
	ck_assert_msg(tern_gethostbyname(name, &a) == 0, "%s: errno %d h_errno %d",
		      name, errno, tern_h_errno());
	ck_assert_int_eq(tern_h_errno(), 0);
	char got[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, got, sizeof(got));
	ck_assert_msg(a.s_addr == ip(addr), "%s: got %s, want %s", name, got, addr);
}

static void expect_no_host(const char *name)
{
	struct in_addr a = { 0 };

	errno = 0;
	ck_assert_msg(tern_gethostbyname(name, &a) == -1, "%s resolved", name);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tern_h_errno(), HOST_NOT_FOUND);
}

/* Compare a tern_hostent with an expected triple; aliases and addrs are
 * NULL-terminated lists. */
static void expect_hostent(const struct tern_hostent *h, const char *name,
			   const char *const *aliases, const char *const *addrs)
{
	unsigned n;

	ck_assert_str_eq(h->name, name);
	for (n = 0; aliases[n] != NULL; n++) {
		ck_assert_uint_lt(n, h->n_aliases);
		ck_assert_str_eq(h->aliases[n], aliases[n]);
	}
	ck_assert_uint_eq(h->n_aliases, n);
	for (n = 0; addrs[n] != NULL; n++) {
		ck_assert_uint_lt(n, h->n_addrs);
		ck_assert_uint_eq(h->addrs[n].s_addr, ip(addrs[n]));
	}
	ck_assert_uint_eq(h->n_addrs, n);
	ck_assert(!h->truncated);
}

static void expect_port(const char *name, const char *proto, int port)
{
	uint16_t p = 0;

	errno = 0;
	int rc = tern_getservbyname(name, proto, &p);
	if (port < 0) {
		ck_assert_msg(rc == -1 && errno == ENOENT, "%s/%s: rc %d port %u",
			      name, proto ? proto : "*", rc, p);
		return;
	}
	ck_assert_msg(rc == 0, "%s/%s: errno %d", name, proto ? proto : "*", errno);
	ck_assert_uint_eq(p, (unsigned)port);
}

static void expect_serv(int port, const char *proto, const char *name)
{
	char buf[64];

	errno = 0;
	int rc = tern_getservbyport((uint16_t)port, proto, buf, sizeof(buf));
	if (name == NULL) {
		ck_assert_msg(rc == -1 && errno == ENOENT, "%d/%s found %s",
			      port, proto ? proto : "*", rc == 0 ? buf : "?");
		return;
	}
	ck_assert_msg(rc == 0, "%d/%s: errno %d", port, proto ? proto : "*", errno);
	ck_assert_str_eq(buf, name);
}

/* Deterministic generator (xorshift64*) for the random string tests. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

/* Random strings biased towards almost-addresses. */
static void random_addr_string(char *s, size_t cap)
{
	static const char alpha[] = "0123456789..........x ";
	size_t len = rnd() % (cap - 1);

	if (rnd() % 2) {
		/* a valid-ish quad with a random edit */
		snprintf(s, cap, "%u.%u.%u.%u", rnd() % 300, rnd() % 300,
			 rnd() % 300, rnd() % 300);
		size_t n = strlen(s);
		switch (rnd() % 5) {
		case 0: s[rnd() % n] = alpha[rnd() % (sizeof(alpha) - 1)]; break;
		case 1: if (n + 1 < cap) { s[n] = '0'; s[n + 1] = '\0'; } break;
		case 2: memmove(s + 1, s, n + 1 < cap - 1 ? n + 1 : cap - 2); s[0] = '0'; s[cap - 1] = '\0'; break;
		default: break;
		}
		return;
	}
	for (size_t i = 0; i < len; i++)
		s[i] = alpha[rnd() % (sizeof(alpha) - 1)];
	s[len] = '\0';
}

/* ---- inet_pton / inet_ntop / inet_aton / inet_ntoa / byte order ---- */

static const char *const addr_strings[] = {
	"0.0.0.0", "255.255.255.255", "127.0.0.1", "198.18.0.1", "1.2.3.4",
	"10.0.0.255", "0.0.0.1", "192.168.100.200",
	"256.0.0.0", "1.2.3.256", "999.1.1.1", "1.2.3", "1.2", "1", "",
	"1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04",
	"00.0.0.0", "0.0.0.00", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4\n", "1.2.3.4x",
	"0x7f.0.0.1", "0x1.2.3.4", "127.1", "1234.1.1.1", "1.2.3.0004",
	"4294967295", "-1.2.3.4", "+1.2.3.4", "1.2.3.-4", "1.2.3.4/24",
	"a.b.c.d", "1,2,3,4", "12.34.56.78", "199.199.199.199", "100.50.200.5",
	"1.2.3.4junk", "1.2.3.4 junk", "001.002.003.004", "0000.0.0.0",
};

START_TEST(test_pton_table_vs_glibc)
{
	for (size_t i = 0; i < sizeof(addr_strings) / sizeof(addr_strings[0]); i++) {
		const char *s = addr_strings[i];
		struct in_addr t = { 0xdeadbeef }, g = { 0xdeadbeef };
		int rt = tern_inet_pton(AF_INET, s, &t);
		int rg = inet_pton(AF_INET, s, &g);
		ck_assert_msg(rt == rg, "\"%s\": tern %d glibc %d", s, rt, rg);
		if (rg == 1)
			ck_assert_msg(t.s_addr == g.s_addr, "\"%s\": value", s);
		else
			ck_assert_msg(t.s_addr == 0xdeadbeef, "\"%s\": dst written on failure", s);
	}
}
END_TEST

START_TEST(test_pton_random_vs_glibc)
{
	char s[20];
	unsigned accepted = 0;

	for (int i = 0; i < 200000; i++) {
		random_addr_string(s, sizeof(s));
		struct in_addr t = { 0 }, g = { 0 };
		int rt = tern_inet_pton(AF_INET, s, &t);
		int rg = inet_pton(AF_INET, s, &g);
		ck_assert_msg(rt == rg, "\"%s\": tern %d glibc %d", s, rt, rg);
		ck_assert_msg(rg != 1 || t.s_addr == g.s_addr, "\"%s\"", s);
		accepted += rg == 1;
	}
	/* The generator must exercise both outcomes to mean anything. */
	ck_assert_uint_gt(accepted, 10000);
	ck_assert_uint_lt(accepted, 190000);
}
END_TEST

START_TEST(test_pton_errors)
{
	unsigned char buf[16 + 1];
	struct in_addr a;

	errno = 0;
	ck_assert_int_eq(tern_inet_pton(AF_INET6, "::1", buf), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(tern_inet_pton(AF_UNIX, "1.2.3.4", buf), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	/* glibc agrees that an unknown family is EAFNOSUPPORT. */
	errno = 0;
	ck_assert_int_eq(inet_pton(AF_UNIX, "1.2.3.4", buf), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(tern_inet_pton(AF_INET, NULL, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_inet_pton(AF_INET, "1.2.3.4", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* An unaligned destination is written byte-wise. */
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(tern_inet_pton(AF_INET, "198.18.0.1", buf + 1), 1);
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_uint_eq(buf[1], 198);
	ck_assert_uint_eq(buf[2], 18);
	ck_assert_uint_eq(buf[3], 0);
	ck_assert_uint_eq(buf[4], 1);
	ck_assert_uint_eq(buf[5], 0);
}
END_TEST

START_TEST(test_ntop_vs_glibc)
{
	static const uint32_t fixed[] = { 0, 0xffffffff, 0x7f000001, 0x01020304,
					  0xc6120001, 0x0a00000a, 0x64000000 };

	for (int i = 0; i < 20000; i++) {
		uint32_t h = i < 7 ? fixed[i] : rnd();
		struct in_addr a = { htonl(h) };
		for (socklen_t size = 0; size <= INET_ADDRSTRLEN + 1; size++) {
			char t[32], g[32];
			memset(t, 'T', sizeof(t));
			memset(g, 'T', sizeof(g));
			errno = 0;
			const char *rt = tern_inet_ntop(AF_INET, &a, t, size);
			int et = errno;
			errno = 0;
			const char *rg = inet_ntop(AF_INET, &a, g, size);
			int eg = errno;
			ck_assert_msg((rt == NULL) == (rg == NULL), "%08x size %u", h, size);
			if (rg == NULL) {
				ck_assert_int_eq(et, ENOSPC);
				ck_assert_int_eq(eg, ENOSPC);
				/* nothing written past the caller's size */
				ck_assert_msg(size == 0 || t[size] == 'T', "%08x size %u", h, size);
			} else {
				ck_assert_ptr_eq(rt, t);
				ck_assert_str_eq(t, g);
			}
		}
	}
}
END_TEST

START_TEST(test_ntop_errors)
{
	struct in_addr a = { htonl(0x01020304) };
	char buf[INET6_ADDRSTRLEN];

	errno = 0;
	ck_assert_ptr_null(tern_inet_ntop(AF_INET6, &a, buf, sizeof(buf)));
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_ptr_null(tern_inet_ntop(12345, &a, buf, sizeof(buf)));
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_ptr_null(tern_inet_ntop(AF_INET, NULL, buf, sizeof(buf)));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tern_inet_ntop(AF_INET, &a, NULL, 16));
	ck_assert_int_eq(errno, EINVAL);
	/* exact fit: "1.2.3.4" and its NUL in 8 bytes, 7 is ENOSPC */
	ck_assert_ptr_nonnull(tern_inet_ntop(AF_INET, &a, buf, 8));
	ck_assert_str_eq(buf, "1.2.3.4");
	errno = 0;
	ck_assert_ptr_null(tern_inet_ntop(AF_INET, &a, buf, 7));
	ck_assert_int_eq(errno, ENOSPC);
}
END_TEST

/* Whatever Tern's inet_aton accepts, glibc's accepts with the same value,
 * and Tern's accepts exactly what inet_pton does. */
START_TEST(test_aton_subset_of_glibc)
{
	char s[20];
	unsigned accepted = 0;

	for (int i = 0; i < 200000; i++) {
		random_addr_string(s, sizeof(s));
		struct in_addr t = { 0 }, g = { 0 }, p = { 0 };
		int rt = tern_inet_aton(s, &t);
		int rp = inet_pton(AF_INET, s, &p);
		ck_assert_msg(rt == rp, "\"%s\": tern_inet_aton %d inet_pton %d", s, rt, rp);
		if (rt) {
			ck_assert_msg(inet_aton(s, &g) == 1, "\"%s\"", s);
			ck_assert_msg(t.s_addr == g.s_addr, "\"%s\"", s);
			accepted++;
		}
	}
	ck_assert_uint_gt(accepted, 10000);
	ck_assert_int_eq(tern_inet_aton(NULL, NULL), 0);
}
END_TEST

/* The forms glibc's inet_aton takes and Tern documents it refuses
 * (tern.h, tern_inet_aton): the oracle proves each is a real difference. */
START_TEST(test_aton_documented_differences)
{
	static const struct { const char *s; const char *glibc; } d[] = {
		{ "127.1", "127.0.0.1" },          /* a.b */
		{ "10.1.2", "10.1.0.2" },          /* a.b.c */
		{ "3232235777", "192.168.1.1" },   /* a */
		{ "0x7f.0.0.1", "127.0.0.1" },     /* hex part */
		{ "010.0.0.1", "8.0.0.1" },        /* octal part */
		{ "1.2.3.4 junk", "1.2.3.4" },     /* text after a blank */
	};

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		struct in_addr g, t;
		ck_assert_msg(inet_aton(d[i].s, &g) == 1, "glibc refuses %s", d[i].s);
		ck_assert_uint_eq(g.s_addr, ip(d[i].glibc));
		ck_assert_msg(tern_inet_aton(d[i].s, &t) == 0, "tern accepts %s", d[i].s);
	}
}
END_TEST

START_TEST(test_ntoa_vs_glibc)
{
	char buf[16];

	for (int i = 0; i < 20000; i++) {
		struct in_addr a = { i == 0 ? 0 : i == 1 ? 0xffffffff : rnd() };
		/* glibc's inet_ntoa uses a static buffer: copy before the next. */
		char g[16];
		strcpy(g, inet_ntoa(a));
		ck_assert_ptr_eq(tern_inet_ntoa(a, buf), buf);
		ck_assert_str_eq(buf, g);
	}
}
END_TEST

START_TEST(test_byte_order)
{
	uint16_t s = tern_htons(0x1234);
	uint32_t l = tern_htonl(0x01020304);
	const unsigned char *sb = (const unsigned char *)&s;
	const unsigned char *lb = (const unsigned char *)&l;

	/* Network order is big-endian in memory whatever the host is. */
	ck_assert_uint_eq(sb[0], 0x12);
	ck_assert_uint_eq(sb[1], 0x34);
	ck_assert_uint_eq(lb[0], 1);
	ck_assert_uint_eq(lb[3], 4);
	for (int i = 0; i < 1000; i++) {
		uint32_t v = rnd();
		ck_assert_uint_eq(tern_ntohl(tern_htonl(v)), v);
		ck_assert_uint_eq(tern_htonl(v), htonl(v));
		ck_assert_uint_eq(tern_ntohs(tern_htons((uint16_t)v)), (uint16_t)v);
		ck_assert_uint_eq(tern_ntohs((uint16_t)v), ntohs((uint16_t)v));
	}
}
END_TEST

/* ---- gethostbyname and friends on the fixture ---- */

START_TEST(test_host_special_forms)
{
	expect_host("", "0.0.0.0");
	expect_host("<broadcast>", "255.255.255.255");
	/* a dotted quad is its own answer, the file is not consulted */
	expect_host("198.18.200.7", "198.18.200.7");
	expect_host("0.0.0.0", "0.0.0.0");
	expect_host("255.255.255.255", "255.255.255.255");
	/* "<broadcast>" is exact: no case folding, no blanks */
	expect_no_host("<BROADCAST>");
	expect_no_host(" <broadcast>");
}
END_TEST

START_TEST(test_host_numeric_not_quad)
{
	/* Digits and dots that are no dotted quad for Tern: not found, and
	 * never looked up as names (as glibc for "256.1.1.1"; glibc would
	 * answer "127.1" as 127.0.0.1, documented in tern.h). */
	expect_no_host("256.1.1.1");
	expect_no_host("1.2.3.4.5");
	expect_no_host("127.1");
	expect_no_host("010.0.0.1");
	/* the fixture's "127.1 short.test" line is not a valid line */
	expect_no_host("short.test");
	expect_no_host("octal.test");
	expect_no_host("lz.test");
}
END_TEST

START_TEST(test_host_canonical_and_aliases)
{
	expect_host("alpha.test", "198.18.0.1");
	expect_host("alpha", "198.18.0.1");
	expect_host("a1", "198.18.0.1");
	expect_host("tern-host", "127.0.1.1");
	expect_host("tern-host.example.test", "127.0.1.1");
	/* host names are case-insensitive (RFC 4343) */
	expect_host("ALPHA.TEST", "198.18.0.1");
	expect_host("Tern-Host", "127.0.1.1");
	/* no partial matches */
	expect_no_host("alph");
	expect_no_host("alpha.tes");
	expect_no_host("alpha.test.");
	expect_no_host("nosuch.test");
}
END_TEST

START_TEST(test_host_comments)
{
	expect_no_host("commented.test");
	expect_no_host("comment");          /* words of a trailing comment */
	expect_no_host("#");
	/* '#' inside a field ends the field: "hash#inside" is "hash" */
	expect_host("hash", "198.18.0.7");
	expect_no_host("hash#inside");
	expect_no_host("inside");
	/* a name in a 5000-byte comment line is no entry */
	expect_no_host("in-comment.test");
}
END_TEST

START_TEST(test_host_blanks)
{
	expect_host("beta.test", "198.18.0.2");
	expect_host("beta", "198.18.0.2");   /* after two tabs, before trailing blanks */
	expect_host("indented.test", "198.18.0.5");
	expect_host("crlf.test", "198.18.0.11");
	expect_host("eof.test", "198.18.0.12");  /* last line, no newline */

	struct tern_hostent h;
	ck_assert_int_eq(tern_gethostbyname_ex("beta", &h), 0);
	expect_hostent(&h, "beta.test", (const char *const[]){ "beta", NULL },
		       (const char *const[]){ "198.18.0.2", NULL });
	ck_assert_int_eq(tern_gethostbyname_ex("crlf.test", &h), 0);
	expect_hostent(&h, "crlf.test", (const char *const[]){ NULL },
		       (const char *const[]){ "198.18.0.11", NULL });
}
END_TEST

START_TEST(test_host_ipv6_lines_skipped)
{
	/* IPv6 lines give nothing to an IPv4 lookup (Tern differs from glibc
	 * for "::1" and "::ffff:a.b.c.d" lines: see tern.h). */
	expect_no_host("ipv6only.test");
	expect_no_host("ip6-localhost");
	expect_no_host("ip6-loopback");
	expect_no_host("mapped.test");
	/* and the IPv6 "localhost" line adds nothing to the IPv4 one */
	struct tern_hostent h;
	ck_assert_int_eq(tern_gethostbyname_ex("localhost", &h), 0);
	expect_hostent(&h, "localhost", (const char *const[]){ NULL },
		       (const char *const[]){ "127.0.0.1", NULL });
}
END_TEST

START_TEST(test_host_address_only_line)
{
	struct tern_hostent h;

	/* "198.18.0.6" alone names nothing; its address has no name */
	ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ ip("198.18.0.6") }, &h), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tern_h_errno(), HOST_NOT_FOUND);
	expect_no_host("198.18.0.6.test");
}
END_TEST

START_TEST(test_host_duplicates_first_wins)
{
	/* alpha.test is on three lines: the first gives the address */
	expect_host("alpha.test", "198.18.0.1");
	/* dupb is only on the second dup.test line */
	expect_host("dupb", "198.18.0.14");
	/* dupa: first on .13, again on .14 and .16 */
	expect_host("dupa", "198.18.0.13");
	/* a later line with the same address does not rename it */
	expect_host("alpha-again.test", "198.18.0.1");
	struct tern_hostent h;
	ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ ip("198.18.0.1") }, &h), 0);
	expect_hostent(&h, "alpha.test", (const char *const[]){ "alpha", "a1", NULL },
		       (const char *const[]){ "198.18.0.1", NULL });
}
END_TEST

/* gethostbyname_ex merges every line naming the host like glibc with
 * "multi on"; these answers are what glibc 2.36 gives on this fixture. */
START_TEST(test_host_ex_merge)
{
	struct tern_hostent h;

	ck_assert_int_eq(tern_gethostbyname_ex("alpha.test", &h), 0);
	expect_hostent(&h, "alpha.test",
		       (const char *const[]){ "alpha", "a1", "alpha-dup", "ALPHA.test", NULL },
		       (const char *const[]){ "198.18.0.1", "198.18.0.3", "198.18.0.4", NULL });
	/* case-insensitive query, case-sensitive canonical comparison */
	ck_assert_int_eq(tern_gethostbyname_ex("ALPHA.TEST", &h), 0);
	ck_assert_str_eq(h.name, "alpha.test");
	ck_assert_uint_eq(h.n_aliases, 4);
	/* an alias only matches the lines that carry it */
	ck_assert_int_eq(tern_gethostbyname_ex("alpha", &h), 0);
	expect_hostent(&h, "alpha.test", (const char *const[]){ "alpha", "a1", NULL },
		       (const char *const[]){ "198.18.0.1", NULL });

	ck_assert_int_eq(tern_gethostbyname_ex("dup.test", &h), 0);
	expect_hostent(&h, "dup.test",
		       (const char *const[]){ "dupa", "dupa", "dupb", "DUP.test",
					      "dup.test", "other.test", NULL },
		       (const char *const[]){ "198.18.0.13", "198.18.0.14",
					      "198.18.0.14", "198.18.0.15", NULL });
	ck_assert_int_eq(tern_gethostbyname_ex("dupa", &h), 0);
	expect_hostent(&h, "dup.test",
		       (const char *const[]){ "dupa", "dupa", "dupb", "dupa", NULL },
		       (const char *const[]){ "198.18.0.13", "198.18.0.14", "198.18.0.16", NULL });
	ck_assert_int_eq(tern_gethostbyname_ex("dupb", &h), 0);
	expect_hostent(&h, "dup.test", (const char *const[]){ "dupa", "dupb", NULL },
		       (const char *const[]){ "198.18.0.14", NULL });
}
END_TEST

START_TEST(test_host_ex_numeric)
{
	struct tern_hostent h;

	memset(&h, 0x55, sizeof(h));
	ck_assert_int_eq(tern_gethostbyname_ex("198.18.0.1", &h), 0);
	/* a dotted quad answers itself, even when the file names it */
	expect_hostent(&h, "198.18.0.1", (const char *const[]){ NULL },
		       (const char *const[]){ "198.18.0.1", NULL });
	ck_assert_int_eq(tern_h_errno(), 0);
	/* the module's special forms are addresses, not names */
	ck_assert_int_eq(tern_gethostbyname_ex("", &h), -1);
	ck_assert_int_eq(tern_h_errno(), HOST_NOT_FOUND);
	ck_assert_int_eq(tern_gethostbyname_ex("<broadcast>", &h), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tern_h_errno(), HOST_NOT_FOUND);
}
END_TEST

START_TEST(test_host_many_aliases_truncated)
{
	struct tern_hostent h;

	ck_assert_int_eq(tern_gethostbyname_ex("many.test", &h), 0);
	ck_assert_uint_eq(h.n_aliases, TERN_HOST_ALIASES_MAX);
	ck_assert(h.truncated);
	for (unsigned i = 0; i < h.n_aliases; i++) {
		char want[16];
		snprintf(want, sizeof(want), "al%u", i);
		ck_assert_str_eq(h.aliases[i], want);
	}
	ck_assert_uint_eq(h.n_addrs, 1);
	/* an alias beyond the kept ones still finds the host */
	expect_host("al19", "198.18.0.8");
}
END_TEST

START_TEST(test_host_long_lines)
{
	struct tern_hostent h;
	char al[61];

	/* a ~6 KB line of 100 60-byte aliases is read whole */
	long_alias(al, 99);
	expect_host(al, "198.18.0.17");
	long_alias(al, 0);
	ck_assert_int_eq(tern_gethostbyname_ex(al, &h), 0);
	ck_assert_str_eq(h.name, "longline.test");
	ck_assert(h.truncated);
	ck_assert_str_eq(h.aliases[0], al);
	/* the lines after the long ones still parse */
	expect_host("alpha-again.test", "198.18.0.1");
	expect_host("eof.test", "198.18.0.12");
	/* a canonical name over 255 bytes makes the line unusable, so its
	 * alias is not found either (glibc would answer: tern.h) */
	expect_no_host("also-long-line.test");
	/* and such a name cannot even be asked */
	struct in_addr a;
	errno = 0;
	ck_assert_int_eq(tern_gethostbyname(LONG_NAME_300, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_h_errno(), NETDB_INTERNAL);
	/* 255 is the longest name asked; not in the file, so not found */
	char n255[256];
	memset(n255, 'a', 255);
	n255[255] = '\0';
	expect_no_host(n255);
}
END_TEST

START_TEST(test_host_by_addr)
{
	struct tern_hostent h;

	ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ ip("198.18.0.4") }, &h), 0);
	expect_hostent(&h, "ALPHA.test", (const char *const[]){ NULL },
		       (const char *const[]){ "198.18.0.4", NULL });
	ck_assert_int_eq(tern_h_errno(), 0);
	ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ ip("127.0.1.1") }, &h), 0);
	expect_hostent(&h, "tern-host.example.test", (const char *const[]){ "tern-host", NULL },
		       (const char *const[]){ "127.0.1.1", NULL });
	ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ ip("198.18.0.14") }, &h), 0);
	expect_hostent(&h, "dup.test", (const char *const[]){ "dupa", "dupb", NULL },
		       (const char *const[]){ "198.18.0.14", NULL });
	/* not in the file; the skipped lines' addresses neither */
	static const char *const absent[] = { "198.18.0.200", "198.18.0.9", "198.18.1.2",
					      "0.0.0.0", "198.18.0.10" };
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		errno = 0;
		ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ ip(absent[i]) }, &h), -1);
		ck_assert_int_eq(errno, ENOENT);
		ck_assert_int_eq(tern_h_errno(), HOST_NOT_FOUND);
	}
	errno = 0;
	ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ ip("198.18.0.1") }, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_h_errno(), NETDB_INTERNAL);
}
END_TEST

START_TEST(test_host_localhost_fallback)
{
	ck_assert_int_eq(tern_set_hosts_file(alt_path), 0);
	/* RFC 6761 6.3 names, answered without a file line */
	expect_host("localhost", "127.0.0.1");
	expect_host("LocalHost", "127.0.0.1");
	expect_host("localhost.", "127.0.0.1");
	expect_host("foo.localhost", "127.0.0.1");
	expect_host("a.b.LOCALHOST.", "127.0.0.1");
	expect_no_host("localhostx");
	expect_no_host("xlocalhost");
	expect_no_host(".localhost.x");
	expect_no_host("localhost..");
	struct tern_hostent h;
	ck_assert_int_eq(tern_gethostbyname_ex("foo.localhost", &h), 0);
	expect_hostent(&h, "foo.localhost", (const char *const[]){ NULL },
		       (const char *const[]){ "127.0.0.1", NULL });
	/* not for the reverse direction */
	ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ htonl(INADDR_LOOPBACK) }, &h), -1);
	ck_assert_int_eq(tern_h_errno(), HOST_NOT_FOUND);
	/* a file line wins over the built-in answer */
	write_file(alt_path, "198.18.9.9 localhost\n");
	expect_host("localhost", "198.18.9.9");
}
END_TEST

START_TEST(test_host_missing_file)
{
	ck_assert_int_eq(tern_set_hosts_file(missing_path), 0);
	struct in_addr a;
	errno = 0;
	ck_assert_int_eq(tern_gethostbyname("alpha", &a), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tern_h_errno(), NETDB_INTERNAL);  /* not HOST_NOT_FOUND */
	struct tern_hostent h;
	ck_assert_int_eq(tern_gethostbyaddr((struct in_addr){ ip("198.18.0.1") }, &h), -1);
	ck_assert_int_eq(tern_h_errno(), NETDB_INTERNAL);
	/* the built-in forms need no file, and reset h_errno */
	expect_host("localhost", "127.0.0.1");
	expect_host("", "0.0.0.0");
	expect_host("198.18.0.1", "198.18.0.1");
	/* a directory is no file either (read fails: EISDIR) */
	ck_assert_int_eq(tern_set_hosts_file(dir), 0);
	errno = 0;
	ck_assert_int_eq(tern_gethostbyname("alpha", &a), -1);
	ck_assert_int_eq(tern_h_errno(), NETDB_INTERNAL);
	ck_assert_int_ne(errno, 0);
	ck_assert_int_ne(errno, ENOENT);
}
END_TEST

START_TEST(test_host_bad_args)
{
	struct in_addr a;
	struct tern_hostent h;

	errno = 0;
	ck_assert_int_eq(tern_gethostbyname(NULL, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_h_errno(), NETDB_INTERNAL);
	errno = 0;
	ck_assert_int_eq(tern_gethostbyname("alpha", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tern_gethostbyname_ex(NULL, &h), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tern_gethostbyname_ex("alpha", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* h_errno goes back to 0 after a success */
	expect_host("alpha", "198.18.0.1");
	ck_assert_int_eq(tern_h_errno(), 0);
}
END_TEST

START_TEST(test_set_file_errors)
{
	char longp[PATH_MAX + 10];

	errno = 0;
	ck_assert_int_eq(tern_set_hosts_file(""), -1);
	ck_assert_int_eq(errno, EINVAL);
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	errno = 0;
	ck_assert_int_eq(tern_set_hosts_file(longp), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(tern_set_services_file(longp), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(tern_set_services_file(""), -1);
	/* failures left the fixture in place */
	expect_host("alpha", "198.18.0.1");
	expect_port("echo", "tcp", 7);
	/* NULL goes back to /etc/hosts, which has no name of our fixture
	 * ("-tern-fixture" names are ours alone) */
	write_file(alt_path, "198.18.9.3 x.tern-fixture.test\n");
	ck_assert_int_eq(tern_set_hosts_file(alt_path), 0);
	expect_host("x.tern-fixture.test", "198.18.9.3");
	ck_assert_int_eq(tern_set_hosts_file(NULL), 0);
	struct in_addr a;
	ck_assert_int_eq(tern_gethostbyname("x.tern-fixture.test", &a), -1);
}
END_TEST

/* The file is read on every call: an edit shows at once. */
START_TEST(test_host_file_reread)
{
	ck_assert_int_eq(tern_set_hosts_file(alt_path), 0);
	expect_host("alpha", "198.18.9.1");
	expect_no_host("beta");
	write_file(alt_path, "198.18.9.5 beta\n");
	expect_host("beta", "198.18.9.5");
	expect_no_host("alpha");
	write_file(alt_path, "");
	expect_no_host("beta");
}
END_TEST

/* ---- threads: per-thread h_errno, lookups while the file changes ---- */

struct worker {
	pthread_t tid;
	int id;
	unsigned bad;       /* wrong answers seen; read after join */
	unsigned seen_alt;  /* answers from the alternative file */
};

static void *lookup_worker(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 1500; i++) {
		struct in_addr a = { 0 };
		if (w->id % 2) {
			/* a failing lookup: this thread's h_errno must say so
			 * whatever the others' calls did meanwhile */
			errno = 0;
			int rc = tern_gethostbyname("nosuch.test", &a);
			w->bad += rc != -1 || errno != ENOENT || tern_h_errno() != HOST_NOT_FOUND;
		} else {
			int rc = tern_gethostbyname("alpha", &a);
			bool main_ans = a.s_addr == ip("198.18.0.1");
			bool alt_ans = a.s_addr == ip("198.18.9.1");
			w->bad += rc != 0 || tern_h_errno() != 0 || !(main_ans || alt_ans);
			w->seen_alt += alt_ans;
		}
		sched_yield();
	}
	return NULL;
}

static void *switch_worker(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 3000; i++) {
		w->bad += tern_set_hosts_file(i % 2 ? alt_path : hosts_path) != 0;
		sched_yield();
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct worker w[5];

	/* this thread's h_errno starts at 0 (also with CK_FORK=no) */
	expect_host("alpha", "198.18.0.1");
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 5; i++) {
		w[i].id = i;
		ck_assert_int_eq(pthread_create(&w[i].tid, NULL,
						i == 4 ? switch_worker : lookup_worker, &w[i]), 0);
	}
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(pthread_join(w[i].tid, NULL), 0);
		ck_assert_msg(w[i].bad == 0, "thread %d: %u bad answers", i, w[i].bad);
	}
	/* this thread's h_errno was never touched by the workers */
	ck_assert_int_eq(tern_h_errno(), 0);
	struct in_addr a;
	ck_assert_int_eq(tern_gethostbyname("nosuch.test", &a), -1);
	ck_assert_int_eq(tern_h_errno(), HOST_NOT_FOUND);
}
END_TEST

/* ---- gethostname ---- */

START_TEST(test_gethostname_vs_glibc)
{
	char g[HOST_NAME_MAX + 1], t[HOST_NAME_MAX + 1];

	ck_assert_int_eq(gethostname(g, sizeof(g)), 0);
	ck_assert_int_eq(tern_gethostname(t, sizeof(t)), 0);
	ck_assert_str_eq(t, g);
	size_t n = strlen(g);
	ck_assert_uint_gt(n, 0);
	/* exact fit, then one byte short: ENAMETOOLONG, as glibc */
	memset(t, 'Z', sizeof(t));
	ck_assert_int_eq(tern_gethostname(t, n + 1), 0);
	ck_assert_str_eq(t, g);
	errno = 0;
	ck_assert_int_eq(tern_gethostname(t, n), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(gethostname(g, n), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(tern_gethostname(t, 0), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(tern_gethostname(NULL, 10), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- services ---- */

START_TEST(test_serv_by_name)
{
	expect_port("echo", "tcp", 7);
	expect_port("echo", "udp", 7);
	expect_port("echo", NULL, 7);
	expect_port("echo", "sctp", -1);
	/* aliases */
	expect_port("sink", "tcp", 9);
	expect_port("null", NULL, 9);
	expect_port("sink", "udp", -1);   /* discard is tcp only here */
	/* case-sensitive names and protocols (strcmp, as glibc) */
	expect_port("UPPER", "tcp", 82);
	expect_port("upper", NULL, -1);
	expect_port("echo", "TCP", -1);
	expect_port("ECHO", "tcp", -1);
	/* other protocols filter too */
	expect_port("sctponly", "sctp", 9999);
	expect_port("sctponly", NULL, 9999);
	expect_port("sctponly", "tcp", -1);
	expect_port("nosuch", NULL, -1);
	expect_port("", NULL, -1);
}
END_TEST

START_TEST(test_serv_proto_any_first_line)
{
	/* "http" is an alias of www 80/tcp and the name of 8080/udp: proto
	 * NULL takes the first line, whichever protocol it has */
	expect_port("http", NULL, 80);
	expect_port("http", "tcp", 80);
	expect_port("http", "udp", 8080);
	expect_serv(8080, "udp", "http");
	expect_serv(8080, NULL, "http");
	expect_serv(8080, "tcp", NULL);
}
END_TEST

START_TEST(test_serv_malformed_lines)
{
	expect_port("www-alt", NULL, -1);   /* 080: leading zero (glibc refuses too) */
	expect_port("neg", NULL, -1);       /* -1 */
	expect_port("space", NULL, -1);     /* "81 /tcp" */
	expect_port("hash", NULL, -1);      /* "hash#x 85/tcp" is "hash" alone */
	expect_port("commented", NULL, -1);
	/* Tern refuses, glibc accepts oddly (tern.h): */
	expect_port("big", NULL, -1);       /* 70000 (glibc: 4464) */
	expect_port("noproto", NULL, -1);   /* no "/proto" */
	expect_port("slash", NULL, -1);     /* empty proto */
	expect_serv(4464, NULL, NULL);
	expect_serv(86, NULL, NULL);
	expect_serv(85, NULL, NULL);
	/* and the good lines around them still parse */
	expect_port("sctponly", NULL, 9999);
}
END_TEST

START_TEST(test_serv_blanks_and_long_lines)
{
	expect_port("lead", "tcp", 83);     /* leading and trailing blanks */
	expect_port("crlf", "tcp", 84);     /* CRLF: the protocol is "tcp" */
	expect_serv(84, "tcp", "crlf");
	expect_port("last", "udp", 89);     /* last line, no newline */
	expect_port("tail-alias", "tcp", 88);  /* after a ~3 KB alias list */
	char al[61];
	long_alias(al, 49);
	expect_port(al, NULL, 88);
	expect_port("comment", NULL, -1);   /* word of a trailing comment */
}
END_TEST

START_TEST(test_serv_by_port)
{
	expect_serv(7, NULL, "echo");
	expect_serv(7, "udp", "echo");
	expect_serv(9, "tcp", "discard");
	expect_serv(9, "udp", NULL);
	expect_serv(80, NULL, "www");
	expect_serv(83, "tcp", "lead");
	expect_serv(89, NULL, "last");
	expect_serv(0, NULL, NULL);
	expect_serv(65535, NULL, NULL);

	char buf[8];
	/* exact fit: "discard" and its NUL in 8 bytes; 7 is ERANGE */
	ck_assert_int_eq(tern_getservbyport(9, NULL, buf, 8), 0);
	ck_assert_str_eq(buf, "discard");
	errno = 0;
	ck_assert_int_eq(tern_getservbyport(9, NULL, buf, 7), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(tern_getservbyport(9, NULL, NULL, 8), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_serv_errors)
{
	uint16_t p;

	errno = 0;
	ck_assert_int_eq(tern_getservbyname(NULL, "tcp", &p), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tern_getservbyname("echo", "tcp", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tern_set_services_file(missing_path), 0);
	errno = 0;
	ck_assert_int_eq(tern_getservbyname("echo", "tcp", &p), -1);
	ck_assert_int_eq(errno, ENOENT);
	char buf[32];
	errno = 0;
	ck_assert_int_eq(tern_getservbyport(7, NULL, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* a directory: the read fails, and that is no "not found" */
	ck_assert_int_eq(tern_set_services_file(dir), 0);
	errno = 0;
	ck_assert_int_eq(tern_getservbyname("echo", "tcp", &p), -1);
	ck_assert_int_ne(errno, ENOENT);
	ck_assert_int_ne(errno, 0);
}
END_TEST

/* Tern on the real /etc/services against glibc's getservbyname_r and
 * getservbyport_r, for every entry glibc enumerates. Skipped without the
 * file (Debian's netbase package provides it). */
START_TEST(test_serv_real_file_vs_glibc)
{
	if (access("/etc/services", R_OK) != 0) {
		fprintf(stderr, "test_serv_real_file_vs_glibc: no /etc/services, skipped\n");
		return;
	}
	ck_assert_int_eq(tern_set_services_file("/etc/services"), 0);
	static const char *const protos[] = { "tcp", "udp", NULL };
	unsigned checked = 0;
	struct servent *e;

	setservent(0);
	while ((e = getservent()) != NULL) {
		/* getservent's static entry is overwritten by the _r calls'
		 * neighbours only through their own buffers: copy anyway */
		char name[64];
		int port = ntohs((uint16_t)e->s_port);
		snprintf(name, sizeof(name), "%s", e->s_name);
		const char *names[8] = { name };
		char aliases[7][64];
		int nn = 1;
		for (char **al = e->s_aliases; *al != NULL && nn < 8; al++, nn++) {
			snprintf(aliases[nn - 1], sizeof(aliases[0]), "%s", *al);
			names[nn] = aliases[nn - 1];
		}
		for (int i = 0; i < nn; i++) {
			for (size_t k = 0; k < 3; k++) {
				struct servent sr, *res = NULL;
				char buf[1024];
				getservbyname_r(names[i], protos[k], &sr, buf, sizeof(buf), &res);
				uint16_t tp = 0;
				int rc = tern_getservbyname(names[i], protos[k], &tp);
				ck_assert_msg((rc == 0) == (res != NULL), "%s/%s", names[i],
					      protos[k] ? protos[k] : "*");
				if (res)
					ck_assert_msg(tp == ntohs((uint16_t)res->s_port), "%s/%s",
						      names[i], protos[k] ? protos[k] : "*");
				checked++;
			}
		}
		for (size_t k = 0; k < 3; k++) {
			struct servent sr, *res = NULL;
			char buf[1024], tn[64];
			getservbyport_r(htons((uint16_t)port), protos[k], &sr, buf, sizeof(buf), &res);
			int rc = tern_getservbyport((uint16_t)port, protos[k], tn, sizeof(tn));
			ck_assert_msg((rc == 0) == (res != NULL), "%d/%s", port,
				      protos[k] ? protos[k] : "*");
			if (res)
				ck_assert_str_eq(tn, res->s_name);
		}
	}
	endservent();
	/* a few the socket module's users ask for, by hand */
	expect_port("ssh", "tcp", 22);
	expect_port("domain", "udp", 53);
	expect_port("http", "tcp", 80);
	expect_serv(22, "tcp", "ssh");
	ck_assert_uint_gt(checked, 300);
}
END_TEST

/* ---- glibc as the oracle on the fixtures, in isolation ---- */

/*
 * Run @p fn in a child with private mount and network namespaces, the
 * fixtures bound over /etc/hosts, /etc/host.conf and /etc/services. The
 * mounts never reach the host: propagation is made private before the first
 * bind. The network namespace has only a down loopback, so glibc's "dns"
 * backend (after "files") cannot send anything. @return mismatches, or -1
 * when the namespaces are not allowed (not root): the caller skips.
 */
static int run_isolated(unsigned (*fn)(void))
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0)
			_exit(77);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			_exit(77);
		if (mount(hosts_path, "/etc/hosts", NULL, MS_BIND, NULL) != 0 ||
		    mount(hostconf_path, "/etc/host.conf", NULL, MS_BIND, NULL) != 0 ||
		    mount(services_path, "/etc/services", NULL, MS_BIND, NULL) != 0)
			_exit(77);
		unsigned bad = fn();
		_exit(bad > 60 ? 60 : (int)bad);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		return -1;
	return WEXITSTATUS(st);
}

/* The names the oracle asks for: every name of an IPv4 line of the
 * fixture that both sides read alike (not "localhost", which glibc merges
 * with the "::1" line, nor the lines with over-long names). */
static const char *const oracle_names[] = {
	"tern-host.example.test", "tern-host", "alpha.test", "ALPHA.TEST",
	"alpha", "a1", "beta.test", "beta", "alpha-dup", "indented.test",
	"hash", "many.test", "al0", "al15", "al19", "dup.test", "dupa", "dupb",
	"DUP.test", "other.test", "alpha-again.test", "crlf.test", "eof.test",
	"la0-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"la99-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	/* numeric: digits and dots glibc handles before any backend */
	"198.18.0.1", "0.0.0.0", "255.255.255.255", "256.1.1.1",
	"1.2.3.4.5",
};

static unsigned cmp_hostent(const char *what, const struct hostent *g,
			    const struct tern_hostent *t)
{
	unsigned bad = 0, ng = 0, na = 0;

	if (strcmp(g->h_name, t->name) != 0) {
		fprintf(stderr, "%s: name glibc %s tern %s\n", what, g->h_name, t->name);
		bad++;
	}
	for (; g->h_aliases[ng] != NULL; ng++)
		if (ng < t->n_aliases && strcmp(g->h_aliases[ng], t->aliases[ng]) != 0) {
			fprintf(stderr, "%s: alias %u glibc %s tern %s\n", what, ng,
				g->h_aliases[ng], t->aliases[ng]);
			bad++;
		}
	for (; g->h_addr_list[na] != NULL; na++)
		if (na < t->n_addrs && memcmp(g->h_addr_list[na], &t->addrs[na], 4) != 0) {
			fprintf(stderr, "%s: address %u differs\n", what, na);
			bad++;
		}
	unsigned want_al = ng < TERN_HOST_ALIASES_MAX ? ng : TERN_HOST_ALIASES_MAX;
	unsigned want_ad = na < TERN_HOST_ADDRS_MAX ? na : TERN_HOST_ADDRS_MAX;
	bool want_trunc = ng > TERN_HOST_ALIASES_MAX || na > TERN_HOST_ADDRS_MAX;
	if (t->n_aliases != want_al || t->n_addrs != want_ad || t->truncated != want_trunc) {
		fprintf(stderr, "%s: counts glibc %u/%u tern %u/%u truncated %d\n", what,
			ng, na, t->n_aliases, t->n_addrs, t->truncated);
		bad++;
	}
	return bad;
}

static unsigned hosts_oracle(void)
{
	unsigned bad = 0;

	tern_set_hosts_file("/etc/hosts");   /* the bound fixture: same bytes */
	for (size_t i = 0; i < sizeof(oracle_names) / sizeof(oracle_names[0]); i++) {
		const char *n = oracle_names[i];
		struct hostent hb, *g = NULL;
		char buf[16384];
		int gerr = 0;
		gethostbyname_r(n, &hb, buf, sizeof(buf), &g, &gerr);
		struct tern_hostent t;
		int rc = tern_gethostbyname_ex(n, &t);
		if ((g != NULL) != (rc == 0)) {
			fprintf(stderr, "%s: glibc %s (h_errno %d), tern rc %d h_errno %d\n",
				n, g ? "found" : "not found", gerr, rc, tern_h_errno());
			bad++;
			continue;
		}
		if (g == NULL) {
			bad += gerr != tern_h_errno();
			continue;
		}
		bad += cmp_hostent(n, g, &t);
		struct in_addr a;
		bad += tern_gethostbyname(n, &a) != 0 || memcmp(&a, g->h_addr_list[0], 4) != 0;
	}
	/* reverse lookups of every address of a valid line */
	static const char *const addrs[] = { "127.0.0.1", "127.0.1.1", "198.18.0.1",
		"198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5", "198.18.0.7",
		"198.18.0.8", "198.18.0.11", "198.18.0.12", "198.18.0.13",
		"198.18.0.14", "198.18.0.15", "198.18.0.16", "198.18.0.17" };
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct in_addr a;
		inet_pton(AF_INET, addrs[i], &a);
		struct hostent hb, *g = NULL;
		char buf[16384];
		int gerr = 0;
		gethostbyaddr_r(&a, 4, AF_INET, &hb, buf, sizeof(buf), &g, &gerr);
		struct tern_hostent t;
		int rc = tern_gethostbyaddr(a, &t);
		if (g == NULL || rc != 0) {
			fprintf(stderr, "%s: glibc %p tern %d\n", addrs[i], (void *)g, rc);
			bad++;
			continue;
		}
		bad += cmp_hostent(addrs[i], g, &t);
	}
	return bad;
}

START_TEST(test_hosts_oracle_glibc)
{
	int bad = run_isolated(hosts_oracle);

	if (bad < 0) {
		fprintf(stderr, "test_hosts_oracle_glibc: namespaces not allowed, skipped\n");
		return;
	}
	ck_assert_msg(bad == 0, "%d differences from glibc (see stderr)", bad);
}
END_TEST

static unsigned services_oracle(void)
{
	static const char *const names[] = { "echo", "discard", "sink", "null", "www",
		"http", "www-alt", "neg", "space", "sctponly", "UPPER", "upper", "lead",
		"crlf", "hash", "hash#x", "commented", "tail-alias", "last", "longalias",
		"nosuch" };
	static const char *const protos[] = { "tcp", "udp", "sctp", NULL };
	static const int ports[] = { 0, 7, 9, 80, 81, 82, 83, 84, 85, 88, 89, 90,
				     8080, 9999, 65535 };
	unsigned bad = 0;

	tern_set_services_file("/etc/services");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t k = 0; k < 4; k++) {
			struct servent sr, *g = NULL;
			char buf[8192];
			getservbyname_r(names[i], protos[k], &sr, buf, sizeof(buf), &g);
			uint16_t p = 0;
			int rc = tern_getservbyname(names[i], protos[k], &p);
			if ((g != NULL) != (rc == 0) || (g && ntohs((uint16_t)g->s_port) != p)) {
				fprintf(stderr, "%s/%s: glibc %d tern %d\n", names[i],
					protos[k] ? protos[k] : "*",
					g ? ntohs((uint16_t)g->s_port) : -1, rc == 0 ? p : -1);
				bad++;
			}
		}
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		for (size_t k = 0; k < 4; k++) {
			struct servent sr, *g = NULL;
			char buf[8192], tn[64];
			getservbyport_r(htons((uint16_t)ports[i]), protos[k], &sr, buf,
					sizeof(buf), &g);
			int rc = tern_getservbyport((uint16_t)ports[i], protos[k], tn, sizeof(tn));
			if ((g != NULL) != (rc == 0) || (g && strcmp(g->s_name, tn) != 0)) {
				fprintf(stderr, "port %d/%s: glibc %s tern %s\n", ports[i],
					protos[k] ? protos[k] : "*", g ? g->s_name : "-",
					rc == 0 ? tn : "-");
				bad++;
			}
		}
	return bad;
}

START_TEST(test_services_oracle_glibc)
{
	int bad = run_isolated(services_oracle);

	if (bad < 0) {
		fprintf(stderr, "test_services_oracle_glibc: namespaces not allowed, skipped\n");
		return;
	}
	ck_assert_msg(bad == 0, "%d differences from glibc (see stderr)", bad);
}
END_TEST

/* ---- constants ---- */

/* The socket module's constants are the system headers'; Tern's code and
 * its users rely on Linux's numbers (generic architectures, x86_64 and
 * arm64), so a port to other headers must show up here. */
START_TEST(test_constants_linux_values)
{
	static const struct { const char *name; long have, linux_value; } c[] = {
#define K(name, v) { #name, (long)(name), (v) }
		K(AF_INET, 2), K(AF_INET6, 10), K(AF_UNIX, 1), K(AF_UNSPEC, 0),
		K(SOCK_STREAM, 1), K(SOCK_DGRAM, 2), K(SOCK_RAW, 3),
		K(SOCK_NONBLOCK, 04000), K(SOCK_CLOEXEC, 02000000),
		K(SOL_SOCKET, 1), K(SOL_IP, 0), K(SOL_TCP, 6), K(SOL_UDP, 17),
		K(SO_DEBUG, 1), K(SO_REUSEADDR, 2), K(SO_TYPE, 3), K(SO_ERROR, 4),
		K(SO_DONTROUTE, 5), K(SO_BROADCAST, 6), K(SO_SNDBUF, 7),
		K(SO_RCVBUF, 8), K(SO_KEEPALIVE, 9), K(SO_OOBINLINE, 10),
		K(SO_LINGER, 13), K(SO_REUSEPORT, 15), K(SO_RCVLOWAT, 18),
		K(SO_SNDLOWAT, 19), K(SO_RCVTIMEO, 20), K(SO_SNDTIMEO, 21),
		K(SO_ACCEPTCONN, 30), K(SO_PROTOCOL, 38), K(SO_DOMAIN, 39),
		K(MSG_OOB, 1), K(MSG_PEEK, 2), K(MSG_DONTROUTE, 4), K(MSG_CTRUNC, 8),
		K(MSG_TRUNC, 0x20), K(MSG_DONTWAIT, 0x40), K(MSG_EOR, 0x80),
		K(MSG_WAITALL, 0x100), K(MSG_NOSIGNAL, 0x4000),
		K(IPPROTO_IP, 0), K(IPPROTO_ICMP, 1), K(IPPROTO_TCP, 6),
		K(IPPROTO_UDP, 17), K(IPPROTO_IPV6, 41), K(IPPROTO_RAW, 255),
		K(IPPORT_RESERVED, 1024),
		K(INADDR_ANY, 0), K(INADDR_BROADCAST, 0xffffffffL),
		K(INADDR_LOOPBACK, 0x7f000001L), K(INADDR_NONE, 0xffffffffL),
		K(IP_TOS, 1), K(IP_TTL, 2), K(IP_HDRINCL, 3), K(IP_OPTIONS, 4),
		K(IP_RECVERR, 11), K(IP_MULTICAST_IF, 32), K(IP_MULTICAST_TTL, 33),
		K(IP_MULTICAST_LOOP, 34), K(IP_ADD_MEMBERSHIP, 35),
		K(IP_DROP_MEMBERSHIP, 36),
		K(TCP_NODELAY, 1), K(TCP_MAXSEG, 2), K(TCP_KEEPIDLE, 4),
		K(TCP_KEEPINTVL, 5), K(TCP_KEEPCNT, 6),
		K(SHUT_RD, 0), K(SHUT_WR, 1), K(SHUT_RDWR, 2),
		K(SOMAXCONN, 4096), K(TERN_SOMAXCONN, 4096),
		K(HOST_NOT_FOUND, 1), K(TRY_AGAIN, 2), K(NO_RECOVERY, 3),
		K(NO_DATA, 4), K(NETDB_INTERNAL, -1),
		K(INET_ADDRSTRLEN, 16),
#undef K
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ck_assert_msg(c[i].have == c[i].linux_value, "%s = %ld, Linux has %ld",
			      c[i].name, c[i].have, c[i].linux_value);
	/* Python's socket.SOMAXCONN is the C library's; Tern's equals it */
	ck_assert_int_eq(TERN_SOMAXCONN, SOMAXCONN);
}
END_TEST

/* ---- runner ---- */

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc;

	tc = tcase_create("inet");
	tcase_add_test(tc, test_pton_table_vs_glibc);
	tcase_add_test(tc, test_pton_random_vs_glibc);
	tcase_add_test(tc, test_pton_errors);
	tcase_add_test(tc, test_ntop_vs_glibc);
	tcase_add_test(tc, test_ntop_errors);
	tcase_add_test(tc, test_aton_subset_of_glibc);
	tcase_add_test(tc, test_aton_documented_differences);
	tcase_add_test(tc, test_ntoa_vs_glibc);
	tcase_add_test(tc, test_byte_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("hosts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_host_special_forms);
	tcase_add_test(tc, test_host_numeric_not_quad);
	tcase_add_test(tc, test_host_canonical_and_aliases);
	tcase_add_test(tc, test_host_comments);
	tcase_add_test(tc, test_host_blanks);
	tcase_add_test(tc, test_host_ipv6_lines_skipped);
	tcase_add_test(tc, test_host_address_only_line);
	tcase_add_test(tc, test_host_duplicates_first_wins);
	tcase_add_test(tc, test_host_ex_merge);
	tcase_add_test(tc, test_host_ex_numeric);
	tcase_add_test(tc, test_host_many_aliases_truncated);
	tcase_add_test(tc, test_host_long_lines);
	tcase_add_test(tc, test_host_by_addr);
	tcase_add_test(tc, test_host_localhost_fallback);
	tcase_add_test(tc, test_host_missing_file);
	tcase_add_test(tc, test_host_bad_args);
	tcase_add_test(tc, test_set_file_errors);
	tcase_add_test(tc, test_host_file_reread);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_gethostname_vs_glibc);
	tcase_add_test(tc, test_hosts_oracle_glibc);
	suite_add_tcase(s, tc);

	tc = tcase_create("services");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_serv_by_name);
	tcase_add_test(tc, test_serv_proto_any_first_line);
	tcase_add_test(tc, test_serv_malformed_lines);
	tcase_add_test(tc, test_serv_blanks_and_long_lines);
	tcase_add_test(tc, test_serv_by_port);
	tcase_add_test(tc, test_serv_errors);
	tcase_add_test(tc, test_serv_real_file_vs_glibc);
	tcase_add_test(tc, test_services_oracle_glibc);
	suite_add_tcase(s, tc);

	tc = tcase_create("constants");
	tcase_add_test(tc, test_constants_linux_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(names_suite());
	int failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * Parser of packetdrill-format packet scripts into struct pkt_script
 * (pkt_script.h). Written from packetdrill's documented grammar: each event
 * is a time followed by a system call, an inbound/outbound packet or a
 * backquoted command; options (--name=value) come first. Pure C: called by
 * pkt_run.c and by the unit tests in test_pkt_parse.c.
 *
 * The script is cut into logical lines (a backquoted command or a %{ }%
 * block may span lines; comments are // and C-style), each line is cut
 * into tokens, and a small recursive-descent parser reads the tokens.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "pkt_script.h"
#include "wire.h"

#define MAX_TOKENS 128

/* ---- symbol tables ---- */

struct sym {
	const char *name;
	int64_t value;
};

#define SYM(x) { #x, x }
static const struct sym int_syms[] = {
	SYM(AF_INET), SYM(PF_INET), SYM(AF_UNSPEC), SYM(AF_INET6), SYM(PF_INET6),
	SYM(SOCK_STREAM), SYM(SOCK_DGRAM), SYM(SOCK_RAW), SYM(SOCK_NONBLOCK), SYM(SOCK_CLOEXEC),
	SYM(IPPROTO_IP), SYM(IPPROTO_TCP), SYM(IPPROTO_UDP), SYM(IPPROTO_ICMP), SYM(SOL_TCP),
	SYM(SOL_SOCKET), SYM(SO_REUSEADDR), SYM(SO_REUSEPORT), SYM(SO_BROADCAST),
	SYM(SO_RCVBUF), SYM(SO_SNDBUF), SYM(SO_ERROR), SYM(SO_TYPE), SYM(SO_PROTOCOL),
	SYM(SO_DOMAIN), SYM(SO_KEEPALIVE), SYM(SO_LINGER), SYM(SO_RCVTIMEO), SYM(SO_SNDTIMEO),
	SYM(SO_RCVLOWAT), SYM(SO_SNDLOWAT), SYM(SO_OOBINLINE), SYM(SO_PRIORITY),
	SYM(IP_TTL), SYM(IP_TOS), SYM(IP_MTU_DISCOVER), SYM(IP_RECVERR),
	SYM(TCP_NODELAY), SYM(TCP_MAXSEG), SYM(TCP_CORK), SYM(TCP_KEEPIDLE), SYM(TCP_KEEPINTVL),
	SYM(TCP_KEEPCNT), SYM(TCP_INFO), SYM(TCP_CONGESTION), SYM(TCP_QUICKACK),
	SYM(F_GETFL), SYM(F_SETFL), SYM(O_RDWR), SYM(O_RDONLY), SYM(O_WRONLY), SYM(O_NONBLOCK),
	SYM(MSG_DONTWAIT), SYM(MSG_PEEK), SYM(MSG_TRUNC), SYM(MSG_WAITALL), SYM(MSG_NOSIGNAL),
	SYM(MSG_OOB), SYM(MSG_MORE), SYM(MSG_ERRQUEUE), SYM(POLLIN), SYM(POLLOUT),
	SYM(POLLERR), SYM(POLLHUP), SYM(POLLRDHUP), SYM(POLLPRI),
	SYM(SHUT_RD), SYM(SHUT_WR), SYM(SHUT_RDWR),
	{ "INADDR_ANY", 0 },
	{ NULL, 0 },
};

static const struct sym errno_syms[] = {
	SYM(EPERM), SYM(ENOENT), SYM(EINTR), SYM(EIO), SYM(EBADF), SYM(EAGAIN),
	SYM(EWOULDBLOCK), SYM(ENOMEM), SYM(EACCES), SYM(EFAULT), SYM(EBUSY), SYM(EEXIST),
	SYM(EINVAL), SYM(ENFILE), SYM(EMFILE), SYM(ENOSPC), SYM(EPIPE), SYM(EDOM),
	SYM(ERANGE), SYM(ENOSYS), SYM(ENOTSOCK), SYM(EDESTADDRREQ), SYM(EMSGSIZE),
	SYM(EPROTOTYPE), SYM(ENOPROTOOPT), SYM(EPROTONOSUPPORT), SYM(ESOCKTNOSUPPORT),
	SYM(EOPNOTSUPP), SYM(EPFNOSUPPORT), SYM(EAFNOSUPPORT), SYM(EADDRINUSE),
	SYM(EADDRNOTAVAIL), SYM(ENETDOWN), SYM(ENETUNREACH), SYM(ECONNABORTED),
	SYM(ECONNRESET), SYM(ENOBUFS), SYM(EISCONN), SYM(ENOTCONN), SYM(ETIMEDOUT),
	SYM(ECONNREFUSED), SYM(EHOSTDOWN), SYM(EHOSTUNREACH), SYM(EALREADY),
	SYM(EINPROGRESS),
	{ NULL, 0 },
};

static const struct sym icmp_types[] = {
	{ "echo_reply", 0 }, { "unreachable", 3 }, { "source_quench", 4 }, { "redirect", 5 },
	{ "echo_request", 8 }, { "time_exceeded", 11 }, { "parameter_problem", 12 },
	{ "timestamp_request", 13 }, { "timestamp_reply", 14 },
	{ NULL, 0 },
};

/* RFC 792 / RFC 1812 5.2.7.1 destination unreachable codes. */
static const struct sym icmp_unreach_codes[] = {
	{ "net_unreachable", 0 }, { "host_unreachable", 1 }, { "protocol_unreachable", 2 },
	{ "port_unreachable", 3 }, { "frag_needed", 4 }, { "source_route_failed", 5 },
	{ "net_unknown", 6 }, { "host_unknown", 7 }, { "source_host_isolated", 8 },
	{ "net_prohibited", 9 }, { "host_prohibited", 10 }, { "net_unreachable_for_tos", 11 },
	{ "host_unreachable_for_tos", 12 }, { "packet_filtered", 13 },
	{ "precedence_violation", 14 }, { "precedence_cutoff", 15 },
	{ NULL, 0 },
};

static bool
sym_find(const struct sym *t, const char *name, int64_t *out)
{
	for (; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0) {
			*out = t->value;
			return true;
		}
	return false;
}

int
pkt_errno_value(const char *name)
{
	int64_t v;
	return sym_find(errno_syms, name, &v) ? (int)v : 0;
}

const char *
pkt_errno_name(int err)
{
	for (const struct sym *t = errno_syms; t->name != NULL; t++)
		if (t->value == err)
			return t->name;
	return "E?";
}

/* ---- tokens ---- */

enum tok_type { T_END = 0, T_NUM, T_WORD, T_STR, T_ELLIPSIS, T_PUNCT, T_BACKQ, T_CODE };

struct tok {
	enum tok_type type;
	char text[PKT_TEXT_LEN];
	char punct;
	bool is_float;
	int64_t ival;        /* integer value (not for floats) */
	int64_t us;          /* as a time: microseconds */
};

struct parser {
	struct tok t[MAX_TOKENS];
	unsigned n, i;
	unsigned line;
	char *err;
	size_t errlen;
};

static int
perr(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "line %u: %s", p->line, msg);
	return -1;
}

/* Seconds as written -> microseconds, exactly (packetdrill truncates). */
static int64_t
secs_to_us(const char *s)
{
	int64_t whole = 0, frac = 0;
	int digits = 0;
	while (isdigit((unsigned char)*s))
		whole = whole * 10 + (*s++ - '0');
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			if (digits < 6) {
				frac = frac * 10 + (*s - '0');
				digits++;
			}
			s++;
		}
	}
	while (digits++ < 6)
		frac *= 10;
	return whole * 1000000 + frac;
}

static int
lex(struct parser *p, const char *s)
{
	p->n = p->i = 0;
	while (*s != '\0') {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (p->n + 1 >= MAX_TOKENS)
			return perr(p, "line too long (more than %d tokens)", MAX_TOKENS - 1);
		struct tok *t = &p->t[p->n];
		memset(t, 0, sizeof(*t));
		const char *start = s;
		if (s[0] == '.' && s[1] == '.' && s[2] == '.') {
			t->type = T_ELLIPSIS;
			s += 3;
		} else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
			   isxdigit((unsigned char)s[2])) {
			char *end;
			t->type = T_NUM;
			t->ival = (int64_t)strtoull(s, &end, 16);
			s = end;
		} else if (isdigit((unsigned char)*s) ||
			   (*s == '.' && isdigit((unsigned char)s[1]))) {
			t->type = T_NUM;
			while (isdigit((unsigned char)*s))
				s++;
			if (*s == '.' && isdigit((unsigned char)s[1])) {
				t->is_float = true;
				s++;
				while (isdigit((unsigned char)*s))
					s++;
			}
		} else if (isalpha((unsigned char)*s) || *s == '_') {
			t->type = T_WORD;
			while (isalnum((unsigned char)*s) || *s == '_')
				s++;
		} else if (*s == '"') {
			t->type = T_STR;
			s++;
			while (*s != '\0' && *s != '"') {
				if (*s == '\\' && s[1] != '\0')
					s++;
				s++;
			}
			if (*s != '"')
				return perr(p, "unterminated string");
			s++;
		} else if (*s == '`') {
			t->type = T_BACKQ;
			s++;
			while (*s != '\0' && *s != '`')
				s++;
			if (*s != '`')
				return perr(p, "unterminated backquoted command");
			s++;
		} else if (s[0] == '%' && s[1] == '{') {
			t->type = T_CODE;
			const char *e = strstr(s, "}%");
			if (e == NULL)
				return perr(p, "unterminated %%{ code }%%");
			s = e + 2;
		} else {
			t->type = T_PUNCT;
			t->punct = *s++;
		}
		size_t len = (size_t)(s - start);
		if (len >= sizeof(t->text))
			len = sizeof(t->text) - 1;
		memcpy(t->text, start, len);
		t->text[len] = '\0';
		if (t->type == T_STR) {
			/* keep the contents only */
			size_t cl = len >= 2 ? len - 2 : 0;
			memmove(t->text, t->text + 1, cl);
			t->text[cl] = '\0';
		}
		if (t->type == T_NUM && !(t->text[0] == '0' && (t->text[1] == 'x' || t->text[1] == 'X'))) {
			t->us = secs_to_us(t->text);
			if (!t->is_float) {
				errno = 0;
				t->ival = strtoll(t->text, NULL, 10);
				if (errno != 0)
					return perr(p, "number out of range: %s", t->text);
			}
		}
		p->n++;
	}
	p->t[p->n].type = T_END;
	return 0;
}

static const struct tok *
peek(const struct parser *p)
{
	return &p->t[p->i];
}

static const struct tok *
peek2(const struct parser *p)
{
	return &p->t[p->i < p->n ? p->i + 1 : p->n];
}

static bool
is_punct(const struct tok *t, char c)
{
	return t->type == T_PUNCT && t->punct == c;
}

static bool
is_word(const struct tok *t, const char *w)
{
	return t->type == T_WORD && strcmp(t->text, w) == 0;
}

static bool
accept_punct(struct parser *p, char c)
{
	if (!is_punct(peek(p), c))
		return false;
	p->i++;
	return true;
}

static int
expect_punct(struct parser *p, char c, const char *what)
{
	if (accept_punct(p, c))
		return 0;
	const struct tok *t = peek(p);
	return perr(p, "expected '%c' %s, found '%s'", c, what,
		    t->type == T_END ? "end of line" : t->text);
}

static int
expect_word(struct parser *p, const char *w)
{
	if (is_word(peek(p), w)) {
		p->i++;
		return 0;
	}
	return perr(p, "expected '%s', found '%s'", w,
		    peek(p)->type == T_END ? "end of line" : peek(p)->text);
}

/* An unsigned integer token within [0, max]. */
static int
expect_uint(struct parser *p, uint64_t max, const char *what, uint64_t *out)
{
	const struct tok *t = peek(p);
	if (t->type != T_NUM || t->is_float)
		return perr(p, "expected %s (an integer), found '%s'", what,
			    t->type == T_END ? "end of line" : t->text);
	if (t->ival < 0 || (uint64_t)t->ival > max)
		return perr(p, "%s out of range: %s", what, t->text);
	*out = (uint64_t)t->ival;
	p->i++;
	return 0;
}

/* ---- times ---- */

static int
parse_time_value(struct parser *p, int64_t *us)
{
	const struct tok *t = peek(p);
	if (t->type != T_NUM)
		return perr(p, "expected a time, found '%s'",
			    t->type == T_END ? "end of line" : t->text);
	if (t->text[0] == '0' && (t->text[1] == 'x' || t->text[1] == 'X'))
		return perr(p, "a time cannot be hexadecimal");
	*us = t->us;
	p->i++;
	return 0;
}

static int
parse_event_time(struct parser *p, struct pkt_event *ev)
{
	if (accept_punct(p, '*')) {
		ev->time_type = PKT_TIME_ANY;
		return 0;
	}
	if (accept_punct(p, '+')) {
		if (parse_time_value(p, &ev->t_us) != 0)
			return -1;
		ev->time_type = PKT_TIME_REL;
		if (accept_punct(p, '~')) {
			if (expect_punct(p, '+', "in a relative time range (+A~+B)") != 0 ||
			    parse_time_value(p, &ev->t_end_us) != 0)
				return -1;
			ev->time_type = PKT_TIME_REL_RANGE;
		}
		return 0;
	}
	if (parse_time_value(p, &ev->t_us) != 0)
		return -1;
	ev->time_type = PKT_TIME_ABS;
	if (accept_punct(p, '~')) {
		if (parse_time_value(p, &ev->t_end_us) != 0)
			return -1;
		ev->time_type = PKT_TIME_ABS_RANGE;
	}
	return 0;
}

/* ---- system calls ---- */

static int
parse_int_expr(struct parser *p, int64_t *out)
{
	int64_t v = 0;
	for (;;) {
		const struct tok *t = peek(p);
		int64_t term;
		bool neg = false;
		if (is_punct(t, '-')) {
			neg = true;
			p->i++;
			t = peek(p);
		}
		if (t->type == T_NUM && !t->is_float) {
			term = t->ival;
		} else if (t->type == T_WORD) {
			if (!sym_find(int_syms, t->text, &term))
				return perr(p, "unknown symbol '%s'", t->text);
		} else {
			return perr(p, "expected a number or a symbol, found '%s'",
				    t->type == T_END ? "end of line" : t->text);
		}
		p->i++;
		v |= neg ? -term : term;
		if (!accept_punct(p, '|'))
			break;
	}
	*out = v;
	return 0;
}

static int
parse_sockaddr(struct parser *p, struct pkt_expr *e)
{
	uint64_t port;
	int64_t fam;
	if (expect_punct(p, '{', "") || expect_word(p, "sa_family") || expect_punct(p, '=', ""))
		return -1;
	if (peek(p)->type != T_WORD || !sym_find(int_syms, peek(p)->text, &fam) || fam != AF_INET)
		return perr(p, "only sa_family=AF_INET is supported");
	p->i++;
	if (expect_punct(p, ',', "") || expect_word(p, "sin_port") || expect_punct(p, '=', "") ||
	    expect_word(p, "htons") || expect_punct(p, '(', "") ||
	    expect_uint(p, 65535, "port", &port) || expect_punct(p, ')', "") ||
	    expect_punct(p, ',', "") || expect_word(p, "sin_addr") || expect_punct(p, '=', "") ||
	    expect_word(p, "inet_addr") || expect_punct(p, '(', ""))
		return -1;
	struct in_addr a;
	if (peek(p)->type != T_STR || inet_pton(AF_INET, peek(p)->text, &a) != 1)
		return perr(p, "inet_addr wants a dotted quad in quotes");
	p->i++;
	if (expect_punct(p, ')', "") || expect_punct(p, '}', "after sockaddr"))
		return -1;
	e->type = PKT_EXPR_SOCKADDR;
	e->port = (uint16_t)port;
	e->addr = ntohl(a.s_addr);
	return 0;
}

/* packetdrill's struct linger: {onoff=1, linger=0} (list[0], list[1]). */
static int
parse_linger(struct parser *p, struct pkt_expr *e)
{
	if (expect_punct(p, '{', "") || expect_word(p, "onoff") || expect_punct(p, '=', "") ||
	    parse_int_expr(p, &e->list[0]) || expect_punct(p, ',', "") ||
	    expect_word(p, "linger") || expect_punct(p, '=', "") ||
	    parse_int_expr(p, &e->list[1]) || expect_punct(p, '}', "after struct linger"))
		return -1;
	e->type = PKT_EXPR_LINGER;
	e->n = 2;
	return 0;
}

static int
parse_expr(struct parser *p, struct pkt_expr *e)
{
	const struct tok *t = peek(p);
	memset(e, 0, sizeof(*e));
	if (t->type == T_ELLIPSIS) {
		e->type = PKT_EXPR_ELLIPSIS;
		p->i++;
		return 0;
	}
	if (t->type == T_STR) {
		e->type = PKT_EXPR_STRING;
		snprintf(e->str, sizeof(e->str), "%s", t->text);
		p->i++;
		if (peek(p)->type == T_ELLIPSIS)  /* "abc"... */
			p->i++;
		return 0;
	}
	if (is_punct(t, '[')) {
		p->i++;
		e->type = PKT_EXPR_LIST;
		if (accept_punct(p, ']'))
			return 0;
		do {
			if (e->n == PKT_MAX_LIST)
				return perr(p, "list longer than %d", PKT_MAX_LIST);
			if (parse_int_expr(p, &e->list[e->n]) != 0)
				return -1;
			e->n++;
		} while (accept_punct(p, ','));
		return expect_punct(p, ']', "to close the list");
	}
	if (is_punct(t, '{') && p->i + 1 < p->n && p->t[p->i + 1].type == T_WORD &&
	    strcmp(p->t[p->i + 1].text, "onoff") == 0)
		return parse_linger(p, e);
	if (is_punct(t, '{'))
		return parse_sockaddr(p, e);
	e->type = PKT_EXPR_INT;
	return parse_int_expr(p, &e->num);
}

static int
parse_syscall(struct parser *p, struct pkt_event *ev)
{
	struct pkt_syscall *sc = &ev->sc;
	const struct tok *t = peek(p);
	if (t->type != T_WORD)
		return perr(p, "expected a system call, a packet or a command, found '%s'",
			    t->type == T_END ? "end of line" : t->text);
	snprintf(sc->name, sizeof(sc->name), "%s", t->text);
	p->i++;
	if (expect_punct(p, '(', "after the system call name") != 0)
		return -1;
	if (!accept_punct(p, ')')) {
		do {
			if (sc->nargs == PKT_MAX_ARGS)
				return perr(p, "more than %d arguments", PKT_MAX_ARGS);
			if (parse_expr(p, &sc->arg[sc->nargs]) != 0)
				return -1;
			sc->nargs++;
		} while (accept_punct(p, ','));
		if (expect_punct(p, ')', "after the arguments") != 0)
			return -1;
	}
	if (expect_punct(p, '=', "before the expected result") != 0)
		return -1;
	if (peek(p)->type == T_ELLIPSIS) {
		sc->result_any = true;
		p->i++;
	} else if (parse_int_expr(p, &sc->result) != 0) {
		return -1;
	}
	t = peek(p);
	if (t->type == T_WORD) {
		sc->err = pkt_errno_value(t->text);
		if (sc->err == 0)
			return perr(p, "unknown errno '%s'", t->text);
		if (sc->result != -1)
			return perr(p, "an errno goes with a result of -1");
		snprintf(sc->errname, sizeof(sc->errname), "%s", t->text);
		p->i++;
	}
	if (accept_punct(p, '(')) {           /* (strerror text) or a note */
		while (peek(p)->type != T_END && !is_punct(peek(p), ')'))
			p->i++;
		if (expect_punct(p, ')', "to close the note") != 0)
			return -1;
	}
	if (peek(p)->type != T_END)
		return perr(p, "unexpected '%s' after the system call", peek(p)->text);
	if (sc->result == -1 && sc->err == 0 && !sc->result_any)
		return perr(p, "a result of -1 needs an errno (e.g. -1 EAGAIN)");
	return 0;
}

/* ---- packets ---- */

static int
parse_opt_ports(struct parser *p, struct pkt_packet *pk)
{
	if (peek(p)->type == T_NUM && is_punct(peek2(p), '>')) {
		uint64_t a, b;
		if (expect_uint(p, 65535, "source port", &a) != 0)
			return -1;
		p->i++;  /* '>' */
		if (expect_uint(p, 65535, "destination port", &b) != 0)
			return -1;
		pk->has_ports = true;
		pk->sport = (uint16_t)a;
		pk->dport = (uint16_t)b;
	}
	return 0;
}

static int
parse_udp(struct parser *p, struct pkt_packet *pk)
{
	uint64_t len;
	pk->proto = WIRE_PROTO_UDP;
	if (parse_opt_ports(p, pk) || expect_punct(p, '(', "before the UDP payload length") ||
	    expect_uint(p, 65507, "UDP payload length", &len) ||
	    expect_punct(p, ')', "after the UDP payload length"))
		return -1;
	pk->payload_len = (uint32_t)len;
	return 0;
}

/* seq:end(len), end = seq + len (mod 2^32). */
static int
parse_seq(struct parser *p, uint32_t *seq, uint32_t *len)
{
	uint64_t a, b, l;
	if (expect_uint(p, UINT32_MAX, "start sequence number", &a) ||
	    expect_punct(p, ':', "in seq:end(len)") ||
	    expect_uint(p, UINT32_MAX, "end sequence number", &b) ||
	    expect_punct(p, '(', "in seq:end(len)") ||
	    expect_uint(p, 65535, "payload length", &l) ||
	    expect_punct(p, ')', "in seq:end(len)"))
		return -1;
	if ((uint32_t)(a + l) != (uint32_t)b)
		return perr(p, "inconsistent sequence numbers: %llu + %llu != %llu",
			    (unsigned long long)a, (unsigned long long)l, (unsigned long long)b);
	*seq = (uint32_t)a;
	*len = (uint32_t)l;
	return 0;
}

static int
parse_icmp(struct parser *p, struct pkt_packet *pk)
{
	int64_t v;
	pk->proto = WIRE_PROTO_ICMP;
	pk->icmp_mtu = -1;
	const struct tok *t = peek(p);
	if (t->type != T_WORD)
		return perr(p, "expected an ICMP type after 'icmp'");
	int n;
	if (sym_find(icmp_types, t->text, &v))
		pk->icmp_type = (uint8_t)v;
	else if (sscanf(t->text, "type_%d", &n) == 1 && n >= 0 && n <= 255)
		pk->icmp_type = (uint8_t)n;
	else
		return perr(p, "unknown ICMP type '%s'", t->text);
	p->i++;
	t = peek(p);
	if (t->type == T_WORD && !is_word(t, "mtu") && !is_word(t, "id")) {
		if (pk->icmp_type == WIRE_ICMP_UNREACH && sym_find(icmp_unreach_codes, t->text, &v))
			pk->icmp_code = (uint8_t)v;
		else if (sscanf(t->text, "code_%d", &n) == 1 && n >= 0 && n <= 255)
			pk->icmp_code = (uint8_t)n;
		else
			return perr(p, "unknown ICMP code '%s'", t->text);
		p->i++;
	}
	uint64_t u;
	if (is_word(peek(p), "mtu")) {
		p->i++;
		if (expect_uint(p, 65535, "mtu", &u) != 0)
			return -1;
		if (pk->icmp_type != WIRE_ICMP_UNREACH || pk->icmp_code != WIRE_ICMP_UNREACH_NEEDFRAG)
			return perr(p, "mtu is only valid for unreachable frag_needed");
		pk->icmp_mtu = (int32_t)u;
	}
	if (is_word(peek(p), "id")) {
		p->i++;
		if (expect_uint(p, 65535, "echo id", &u) != 0)
			return -1;
	}
	if (accept_punct(p, '[')) {
		if (is_word(peek(p), "udp")) {
			p->i++;
			if (expect_punct(p, '(', "in [udp (N)]") ||
			    expect_uint(p, 65507, "echoed UDP payload length", &u) ||
			    expect_punct(p, ')', "in [udp (N)]"))
				return -1;
			pk->echoed_proto = WIRE_PROTO_UDP;
			pk->echoed_len = (uint32_t)u;
		} else {
			if (parse_seq(p, &pk->echoed_seq, &pk->echoed_len) != 0)
				return -1;
			pk->echoed_proto = WIRE_PROTO_TCP;
		}
		if (expect_punct(p, ']', "to close the echoed header") != 0)
			return -1;
	}
	return 0;
}

static int
opt_room(struct parser *p, struct pkt_packet *pk, unsigned n)
{
	if (pk->opts_len + n > PKT_TCPOPT_MAX)
		return perr(p, "TCP options longer than %d bytes", PKT_TCPOPT_MAX);
	return 0;
}

static void
put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* Options are encoded exactly in script order (inbound packets are sent so). */
static int
parse_tcp_options(struct parser *p, struct pkt_packet *pk)
{
	uint8_t *o = pk->opts;
	uint64_t a, b;
	do {
		const struct tok *t = peek(p);
		if (is_word(t, "nop") || is_word(t, "eol")) {
			if (opt_room(p, pk, 1))
				return -1;
			o[pk->opts_len++] = is_word(t, "nop") ? WIRE_TCPOPT_NOP : WIRE_TCPOPT_EOL;
			p->i++;
		} else if (is_word(t, "mss")) {
			p->i++;
			if (expect_uint(p, 65535, "mss", &a) || opt_room(p, pk, 4))
				return -1;
			uint8_t *q = o + pk->opts_len;
			q[0] = WIRE_TCPOPT_MSS; q[1] = 4; q[2] = (uint8_t)(a >> 8); q[3] = (uint8_t)a;
			pk->opts_len += 4;
		} else if (is_word(t, "wscale")) {
			p->i++;
			if (expect_uint(p, 255, "wscale", &a) || opt_room(p, pk, 3))
				return -1;
			uint8_t *q = o + pk->opts_len;
			q[0] = WIRE_TCPOPT_WSCALE; q[1] = 3; q[2] = (uint8_t)a;
			pk->opts_len += 3;
		} else if (is_word(t, "sackOK")) {
			p->i++;
			if (opt_room(p, pk, 2))
				return -1;
			o[pk->opts_len++] = WIRE_TCPOPT_SACK_PERM;
			o[pk->opts_len++] = 2;
		} else if (is_word(t, "TS")) {
			p->i++;
			if (expect_word(p, "val") || expect_uint(p, UINT32_MAX, "TS val", &a) ||
			    expect_word(p, "ecr") || expect_uint(p, UINT32_MAX, "TS ecr", &b) ||
			    opt_room(p, pk, 10))
				return -1;
			uint8_t *q = o + pk->opts_len;
			q[0] = WIRE_TCPOPT_TS; q[1] = 10;
			put32(q + 2, (uint32_t)a);
			put32(q + 6, (uint32_t)b);
			pk->ts_off = (int8_t)pk->opts_len;
			pk->opts_len += 10;
		} else if (is_word(t, "sack")) {
			p->i++;
			unsigned at = pk->opts_len, nb = 0;
			if (opt_room(p, pk, 2))
				return -1;
			pk->opts_len += 2;
			while (peek(p)->type == T_NUM) {
				if (expect_uint(p, UINT32_MAX, "SACK left edge", &a) ||
				    expect_punct(p, ':', "in a SACK block") ||
				    expect_uint(p, UINT32_MAX, "SACK right edge", &b) || opt_room(p, pk, 8))
					return -1;
				pk->sack_off[pk->nsack_off++] = pk->opts_len;
				put32(o + pk->opts_len, (uint32_t)a);
				put32(o + pk->opts_len + 4, (uint32_t)b);
				pk->opts_len += 8;
				nb++;
			}
			if (nb == 0)
				return perr(p, "sack needs at least one block");
			o[at] = WIRE_TCPOPT_SACK;
			o[at + 1] = (uint8_t)(2 + 8 * nb);
		} else {
			return perr(p, "unknown TCP option '%s'",
				    t->type == T_END ? "end of line" : t->text);
		}
	} while (accept_punct(p, ','));
	if (pk->opts_len % 4 != 0)
		return perr(p, "TCP options are not padded to a multiple of 4 bytes (%u)",
			    pk->opts_len);
	return expect_punct(p, '>', "to close the TCP options");
}

static int
parse_tcp(struct parser *p, struct pkt_packet *pk)
{
	pk->proto = WIRE_PROTO_TCP;
	pk->win = -1;
	pk->ts_off = -1;
	if (parse_opt_ports(p, pk) != 0)
		return -1;
	const struct tok *t = peek(p);
	if (is_punct(t, '.')) {
		pk->flags = WIRE_TCP_ACK;
		p->i++;
	} else if (is_punct(t, '-')) {
		p->i++;
	} else if (t->type == T_WORD) {
		for (const char *c = t->text; *c != '\0'; c++) {
			switch (*c) {
			case 'S': pk->flags |= WIRE_TCP_SYN; break;
			case 'F': pk->flags |= WIRE_TCP_FIN; break;
			case 'R': pk->flags |= WIRE_TCP_RST; break;
			case 'P': pk->flags |= WIRE_TCP_PSH; break;
			case 'U': pk->flags |= WIRE_TCP_URG; break;
			case 'E': pk->flags |= WIRE_TCP_ECE; break;
			case 'W': pk->flags |= WIRE_TCP_CWR; break;
			default:
				return perr(p, "unknown TCP flag '%c' in '%s'", *c, t->text);
			}
		}
		p->i++;
		if (accept_punct(p, '.'))
			pk->flags |= WIRE_TCP_ACK;
	} else {
		return perr(p, "expected udp, icmp or TCP flags, found '%s'",
			    t->type == T_END ? "end of line" : t->text);
	}
	if (parse_seq(p, &pk->seq, &pk->payload_len) != 0)
		return -1;
	uint64_t v;
	if (is_word(peek(p), "ack")) {
		p->i++;
		if (expect_uint(p, UINT32_MAX, "ack", &v) != 0)
			return -1;
		pk->has_ack = true;
		pk->ack = (uint32_t)v;
	}
	if (is_word(peek(p), "win")) {
		p->i++;
		if (expect_uint(p, 65535, "window", &v) != 0)
			return -1;
		pk->win = (int32_t)v;
	}
	if (is_word(peek(p), "urg")) {
		p->i++;
		if (expect_uint(p, 65535, "urgent pointer", &v) != 0)
			return -1;
		pk->urg = (uint16_t)v;
	}
	if (accept_punct(p, '<')) {
		if (peek(p)->type == T_ELLIPSIS) {
			p->i++;
			if (pk->inbound)
				return perr(p, "<...> for TCP options can only be used with outbound packets");
			pk->opts_any = true;
			return expect_punct(p, '>', "after <...");
		}
		return parse_tcp_options(p, pk);
	}
	return 0;
}

static int
parse_packet(struct parser *p, struct pkt_event *ev)
{
	struct pkt_packet *pk = &ev->pkt;
	pk->inbound = is_punct(peek(p), '<');
	p->i++;
	const struct tok *t = peek(p);
	if (is_punct(t, '(') || is_punct(t, '[') || is_word(t, "ipv4") || is_word(t, "ipv6") ||
	    is_word(t, "gre") || is_word(t, "mpls"))
		return perr(p, "IP info, encapsulation and IPv6 are not supported");
	int rc;
	if (is_word(t, "udp")) {
		p->i++;
		rc = parse_udp(p, pk);
	} else if (is_word(t, "icmp")) {
		p->i++;
		rc = parse_icmp(p, pk);
	} else {
		rc = parse_tcp(p, pk);
	}
	if (rc != 0)
		return -1;
	if (peek(p)->type != T_END)
		return perr(p, "unexpected '%s' after the packet", peek(p)->text);
	return 0;
}

/* ---- options and events ---- */

static int
parse_option(struct parser *p, struct pkt_config *cfg, const char *word)
{
	char name[64], val[128] = "";
	const char *eq = strchr(word, '=');
	size_t nl = eq != NULL ? (size_t)(eq - word) : strlen(word);
	if (nl - 2 >= sizeof(name))
		return perr(p, "option name too long");
	memcpy(name, word + 2, nl - 2);
	name[nl - 2] = '\0';
	if (eq != NULL)
		snprintf(val, sizeof(val), "%s", eq + 1);
	char *end;
	if (strcmp(name, "tolerance_usecs") == 0) {
		long v = strtol(val, &end, 10);
		if (val[0] == '\0' || *end != '\0' || v < 0)
			return perr(p, "bad --tolerance_usecs '%s'", val);
		cfg->tolerance_us = v;
	} else if (strcmp(name, "tolerance_percent") == 0) {
		double v = strtod(val, &end);
		if (val[0] == '\0' || *end != '\0' || v < 0)
			return perr(p, "bad --tolerance_percent '%s'", val);
		cfg->tolerance_pct = v;
	} else if (strcmp(name, "local_ip") == 0 || strcmp(name, "remote_ip") == 0) {
		char ip[64];
		snprintf(ip, sizeof(ip), "%s", val);
		char *slash = strchr(ip, '/');
		if (slash != NULL)
			*slash = '\0';
		struct in_addr a;
		if (inet_pton(AF_INET, ip, &a) != 1)
			return perr(p, "bad --%s '%s'", name, val);
		uint32_t h = ntohl(a.s_addr);
		/* RFC 2544 benchmarking range: the only one this project uses. */
		if ((h & 0xfffe0000u) != 0xc6120000u)
			return perr(p, "--%s must be in 198.18.0.0/15", name);
		if (name[0] == 'l')
			cfg->local_ip = h;
		else
			cfg->remote_ip = h;
	} else if (strcmp(name, "bind_port") == 0 || strcmp(name, "connect_port") == 0) {
		long v = strtol(val, &end, 10);
		if (val[0] == '\0' || *end != '\0' || v <= 0 || v > 65535)
			return perr(p, "bad --%s '%s'", name, val);
		if (name[0] == 'b')
			cfg->bind_port = (uint16_t)v;
		else
			cfg->connect_port = (uint16_t)v;
	} else if (strcmp(name, "ip_version") == 0) {
		if (strcmp(val, "ipv4") != 0)
			return perr(p, "only --ip_version=ipv4 is supported");
	} else {
		cfg->skipped_options++;   /* mss, mtu, speed, define...: no effect here */
	}
	return 0;
}

static int
script_push(struct pkt_script *s, const struct pkt_event *ev)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct pkt_event *n = realloc(s->ev, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		s->ev = n;
		s->cap = cap;
	}
	s->ev[s->n++] = *ev;
	return 0;
}

static void
trim_copy(char *dst, size_t cap, const char *src)
{
	while (isspace((unsigned char)*src))
		src++;
	snprintf(dst, cap, "%s", src);
	size_t l = strlen(dst);
	while (l > 0 && isspace((unsigned char)dst[l - 1]))
		dst[--l] = '\0';
	for (char *c = dst; *c != '\0'; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
}

/* One logical line (comments removed). @return 0 or -1. */
static int
parse_logical_line(struct parser *p, struct pkt_script *s, const char *line)
{
	if (lex(p, line) != 0)
		return -1;
	if (p->n == 0)
		return 0;
	const struct tok *t = peek(p);
	/* --option=value: only before the first event, as packetdrill's grammar. */
	if (is_punct(t, '-') && is_punct(peek2(p), '-')) {
		if (s->n > 0)
			return perr(p, "options must come before the first event");
		const char *c = line;
		while (*c != '\0') {
			while (isspace((unsigned char)*c))
				c++;
			if (*c == '\0')
				break;
			char word[200];
			size_t l = strcspn(c, " \t\r\n");
			if (l >= sizeof(word) || c[0] != '-' || c[1] != '-' || l < 3)
				return perr(p, "bad option '%.*s'", (int)(l < 60 ? l : 60), c);
			memcpy(word, c, l);
			word[l] = '\0';
			if (parse_option(p, &s->cfg, word) != 0)
				return -1;
			c += l;
		}
		return 0;
	}
	/* An init command before the events (no time): skipped. */
	if (t->type == T_BACKQ || t->type == T_CODE) {
		if (p->n != 1)
			return perr(p, "unexpected text after the command");
		s->commands++;
		return 0;
	}
	struct pkt_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.line = p->line;
	trim_copy(ev.text, sizeof(ev.text), line);
	if (parse_event_time(p, &ev) != 0)
		return -1;
	t = peek(p);
	if (t->type == T_ELLIPSIS) {           /* START...END system call */
		p->i++;
		ev.sc.blocking = true;
		if (parse_time_value(p, &ev.sc.end_us) != 0)
			return -1;
		t = peek(p);
		if (t->type != T_WORD)
			return perr(p, "START...END is only for system calls");
	}
	if (is_punct(t, '<') || is_punct(t, '>')) {
		ev.type = PKT_EV_PACKET;
		if (parse_packet(p, &ev) != 0)
			return -1;
	} else if (t->type == T_BACKQ || t->type == T_CODE) {
		ev.type = PKT_EV_COMMAND;
		p->i++;
		if (peek(p)->type != T_END)
			return perr(p, "unexpected text after the command");
		s->commands++;
	} else {
		ev.type = PKT_EV_SYSCALL;
		if (parse_syscall(p, &ev) != 0)
			return -1;
	}
	bool outbound = ev.type == PKT_EV_PACKET && !ev.pkt.inbound;
	if (ev.time_type == PKT_TIME_ANY && !outbound)
		return perr(p, "event time * can only be used with outbound packets");
	if ((ev.time_type == PKT_TIME_ABS_RANGE || ev.time_type == PKT_TIME_REL_RANGE) &&
	    !outbound)
		return perr(p, "a time range can only be used with outbound packets");
	if ((ev.time_type == PKT_TIME_ABS_RANGE || ev.time_type == PKT_TIME_REL_RANGE) &&
	    ev.t_end_us < ev.t_us)
		return perr(p, "time range is backwards");
	if (ev.sc.blocking && ev.time_type == PKT_TIME_ABS && ev.sc.end_us < ev.t_us)
		return perr(p, "a blocking call cannot end before it starts");
	if (s->n == 0 && (ev.time_type != PKT_TIME_ABS || ev.t_us != 0) &&
	    !(ev.time_type == PKT_TIME_REL && ev.t_us == 0))
		return perr(p, "the first event should be at time 0");
	if (ev.time_type == PKT_TIME_ABS) {
		for (size_t i = s->n; i-- > 0;) {
			if (s->ev[i].time_type == PKT_TIME_ABS) {
				if (ev.t_us < s->ev[i].t_us)
					return perr(p, "time goes backward in script");
				break;
			}
		}
	}
	if (script_push(s, &ev) != 0)
		return perr(p, "out of memory");
	return 0;
}

static void
config_defaults(struct pkt_config *c)
{
	memset(c, 0, sizeof(*c));
	c->local_ip = PKT_DEFAULT_LOCAL_IP;
	c->remote_ip = PKT_DEFAULT_REMOTE_IP;
	c->bind_port = PKT_DEFAULT_BIND_PORT;
	c->connect_port = PKT_DEFAULT_CONNECT_PORT;
	c->tolerance_us = PKT_DEFAULT_TOLERANCE_US;
	c->tolerance_pct = PKT_DEFAULT_TOLERANCE_PCT;
}

void
pkt_script_free(struct pkt_script *s)
{
	free(s->ev);
	s->ev = NULL;
	s->n = s->cap = 0;
}

int
pkt_script_parse(const char *text, struct pkt_script *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	config_defaults(&out->cfg);
	struct parser *p = calloc(1, sizeof(*p));
	size_t cap = strlen(text) + 1;
	char *line = malloc(cap);
	if (p == NULL || line == NULL) {
		free(p);
		free(line);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->err = err;
	p->errlen = errlen;
	unsigned lineno = 1, start_line = 1;
	size_t len = 0;
	bool in_bq = false, in_code = false, in_str = false;
	int rc = 0;
	for (const char *c = text;; c++) {
		if (!in_bq && !in_code && !in_str) {
			if (c[0] == '/' && c[1] == '/') {
				while (*c != '\0' && *c != '\n')
					c++;
			} else if (c[0] == '/' && c[1] == '*') {
				const char *e = strstr(c + 2, "*/");
				if (e == NULL) {
					p->line = lineno;
					rc = perr(p, "unterminated comment");
					break;
				}
				for (const char *q = c; q < e; q++)
					lineno += *q == '\n';
				c = e + 1;
				line[len++] = ' ';
				continue;
			}
		}
		char ch = *c;
		if (ch == '\0' || (ch == '\n' && !in_bq && !in_code)) {
			line[len] = '\0';
			p->line = start_line;
			if (in_str) {
				rc = perr(p, "unterminated string");
				break;
			}
			if (parse_logical_line(p, out, line) != 0) {
				rc = -1;
				break;
			}
			len = 0;
			if (ch == '\0')
				break;
			lineno++;
			start_line = lineno;
			continue;
		}
		if (ch == '\n')
			lineno++;
		if (ch == '`' && !in_code && !in_str)
			in_bq = !in_bq;
		else if (ch == '"' && !in_code && !in_bq)
			in_str = !in_str;
		else if (ch == '%' && c[1] == '{' && !in_bq && !in_str)
			in_code = true;
		else if (ch == '}' && c[1] == '%' && in_code)
			in_code = false;
		line[len++] = ch;
	}
	if (rc == 0 && (in_bq || in_code)) {
		p->line = start_line;
		rc = perr(p, in_bq ? "unterminated backquoted command" : "unterminated %%{ code }%%");
	}
	if (rc == 0 && out->n == 0) {
		p->line = lineno;
		rc = perr(p, "no events in the script");
	}
	free(line);
	free(p);
	if (rc != 0)
		pkt_script_free(out);
	return rc;
}

int
pkt_script_load(const char *path, struct pkt_script *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf != NULL && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	buf[n] = '\0';
	int rc = pkt_script_parse(buf, out, err, errlen);
	free(buf);
	return rc;
}

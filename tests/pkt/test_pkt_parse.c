/*
 * Unit tests of the packet-script parser (pkt_parse.c) and of building and
 * matching script packets on byte arrays (pkt_wire.c): every line kind
 * parsed into the right structure, bad lines rejected with their line
 * number, TCP lines built and matched with relative sequence numbers,
 * wildcards, win/ack/TS. No DPDK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <check.h>

#include "pkt_script.h"
#include "pkt_wire.h"
#include "wire.h"

static struct pkt_script S;
static char E[300];

/* Parse @p text, which must succeed. */
static void
ok(const char *text)
{
	int rc = pkt_script_parse(text, &S, E, sizeof(E));
	ck_assert_msg(rc == 0, "parse failed: %s", E);
}

/* Parse @p text, which must fail with an error naming line @p line. */
static void
bad(const char *text, unsigned line, const char *what)
{
	ck_assert_msg(pkt_script_parse(text, &S, E, sizeof(E)) == -1, "accepted: %s", text);
	char want[32];
	snprintf(want, sizeof(want), "line %u:", line);
	ck_assert_msg(strncmp(E, want, strlen(want)) == 0, "error '%s' lacks '%s'", E, want);
	ck_assert_msg(strstr(E, what) != NULL, "error '%s' lacks '%s'", E, what);
}

static void
teardown(void)
{
	pkt_script_free(&S);
}

START_TEST(times)
{
	ok("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"
	   "0.100 close(3) = 0\n"
	   "+0.25 close(3) = -1 EBADF\n"
	   "+.1 close(3) = -1 EBADF\n"
	   "* > udp (10)\n"
	   "1.0~1.5 > udp (10)\n"
	   "+0.1~+0.2 > udp (10)\n"
	   "2...2.5 recv(3, ..., 10, 0) = 10\n"
	   "+0...0.300 recv(3, ..., 10, 0) = 10\n");
	ck_assert_uint_eq(S.n, 9);
	ck_assert_int_eq(S.ev[0].time_type, PKT_TIME_ABS);
	ck_assert_int_eq(S.ev[0].t_us, 0);
	ck_assert_int_eq(S.ev[1].t_us, 100000);
	ck_assert_int_eq(S.ev[2].time_type, PKT_TIME_REL);
	ck_assert_int_eq(S.ev[2].t_us, 250000);
	ck_assert_int_eq(S.ev[3].t_us, 100000);
	ck_assert_int_eq(S.ev[4].time_type, PKT_TIME_ANY);
	ck_assert_int_eq(S.ev[5].time_type, PKT_TIME_ABS_RANGE);
	ck_assert_int_eq(S.ev[5].t_us, 1000000);
	ck_assert_int_eq(S.ev[5].t_end_us, 1500000);
	ck_assert_int_eq(S.ev[6].time_type, PKT_TIME_REL_RANGE);
	ck_assert_int_eq(S.ev[6].t_end_us, 200000);
	ck_assert(S.ev[7].sc.blocking);
	ck_assert_int_eq(S.ev[7].t_us, 2000000);
	ck_assert_int_eq(S.ev[7].sc.end_us, 2500000);
	ck_assert_int_eq(S.ev[8].time_type, PKT_TIME_REL);
	ck_assert_int_eq(S.ev[8].sc.end_us, 300000);
	ck_assert_uint_eq(S.ev[8].line, 9);
}
END_TEST

START_TEST(syscalls)
{
	ok("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	   "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	   "+0 bind(3, ..., ...) = 0\n"
	   "+0 listen(3, 1) = 0\n"
	   "+0 accept(3, ..., ...) = 4\n"
	   "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
	   "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
	   "+0 write(4, ..., 1000) = 1000\n"
	   "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n"
	   "+0 sendto(3, ..., 10, 0, {sa_family=AF_INET, sin_port=htons(53), "
	   "sin_addr=inet_addr(\"198.18.0.1\")}, 16) = 10\n"
	   "+0 shutdown(4, SHUT_WR) = 0\n"
	   "+0 close(4) = 0\n"
	   "+0 read(4, ..., 10) = ...\n");
	ck_assert_uint_eq(S.n, 13);
	const struct pkt_syscall *sc = &S.ev[0].sc;
	ck_assert_int_eq(S.ev[0].type, PKT_EV_SYSCALL);
	ck_assert_str_eq(sc->name, "socket");
	ck_assert_uint_eq(sc->nargs, 3);
	ck_assert_int_eq(sc->arg[0].type, PKT_EXPR_ELLIPSIS);
	ck_assert_int_eq(sc->arg[1].num, SOCK_STREAM);
	ck_assert_int_eq(sc->arg[2].num, IPPROTO_TCP);
	ck_assert_int_eq(sc->result, 3);
	sc = &S.ev[1].sc;
	ck_assert_int_eq(sc->arg[3].type, PKT_EXPR_LIST);
	ck_assert_uint_eq(sc->arg[3].n, 1);
	ck_assert_int_eq(sc->arg[3].list[0], 1);
	ck_assert_int_eq(sc->arg[4].num, 4);
	ck_assert_int_eq(S.ev[5].sc.arg[2].num, O_RDWR | O_NONBLOCK);
	sc = &S.ev[6].sc;
	ck_assert_int_eq(sc->result, -1);
	ck_assert_int_eq(sc->err, EINPROGRESS);
	ck_assert_str_eq(sc->errname, "EINPROGRESS");
	sc = &S.ev[9].sc;
	ck_assert_int_eq(sc->arg[4].type, PKT_EXPR_SOCKADDR);
	ck_assert_uint_eq(sc->arg[4].port, 53);
	ck_assert_uint_eq(sc->arg[4].addr, 0xc6120001u);
	ck_assert(S.ev[12].sc.result_any);
}
END_TEST

START_TEST(packets_udp_icmp)
{
	ok("0 < udp (100)\n"
	   "+0 > udp 1234>8080 (0)\n"
	   "+0 < icmp unreachable port_unreachable [udp (30)]\n"
	   "+0 > icmp unreachable frag_needed mtu 1400 [1:1001(1000)]\n"
	   "+0 > icmp echo_reply\n");
	const struct pkt_packet *p = &S.ev[0].pkt;
	ck_assert_int_eq(S.ev[0].type, PKT_EV_PACKET);
	ck_assert(p->inbound);
	ck_assert_uint_eq(p->proto, WIRE_PROTO_UDP);
	ck_assert_uint_eq(p->payload_len, 100);
	ck_assert(!p->has_ports);
	p = &S.ev[1].pkt;
	ck_assert(!p->inbound);
	ck_assert(p->has_ports);
	ck_assert_uint_eq(p->sport, 1234);
	ck_assert_uint_eq(p->dport, 8080);
	p = &S.ev[2].pkt;
	ck_assert_uint_eq(p->proto, WIRE_PROTO_ICMP);
	ck_assert_uint_eq(p->icmp_type, 3);
	ck_assert_uint_eq(p->icmp_code, 3);
	ck_assert_uint_eq(p->echoed_proto, WIRE_PROTO_UDP);
	ck_assert_uint_eq(p->echoed_len, 30);
	p = &S.ev[3].pkt;
	ck_assert_uint_eq(p->icmp_code, 4);
	ck_assert_int_eq(p->icmp_mtu, 1400);
	ck_assert_uint_eq(p->echoed_proto, WIRE_PROTO_TCP);
	ck_assert_uint_eq(p->echoed_seq, 1);
	ck_assert_uint_eq(S.ev[4].pkt.icmp_type, 0);
}
END_TEST

START_TEST(packets_tcp)
{
	ok("0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n"
	   "+0 > S. 0:0(0) ack 1 <...>\n"
	   "+0 < . 1:1(0) ack 1 win 257\n"
	   "+0 > P. 1:1001(1000) ack 1\n"
	   "+0 < F. 1:1(0) ack 1001 win 257 <nop,nop,TS val 100 ecr 200>\n"
	   "+0 < . 1:1(0) ack 1001 win 257 <nop,nop,sack 2001:3001 4001:5001>\n"
	   "+0 > R 1001:1001(0)\n");
	const struct pkt_packet *p = &S.ev[0].pkt;
	ck_assert_uint_eq(p->proto, WIRE_PROTO_TCP);
	ck_assert_uint_eq(p->flags, WIRE_TCP_SYN);
	ck_assert_int_eq(p->win, 32792);
	static const uint8_t syn_opts[] = { 2, 4, 0x03, 0xe8, 4, 2, 1, 1, 1, 3, 3, 7 };
	ck_assert_uint_eq(p->opts_len, sizeof(syn_opts));
	ck_assert_mem_eq(p->opts, syn_opts, sizeof(syn_opts));
	p = &S.ev[1].pkt;
	ck_assert_uint_eq(p->flags, WIRE_TCP_SYN | WIRE_TCP_ACK);
	ck_assert(p->has_ack);
	ck_assert_uint_eq(p->ack, 1);
	ck_assert(p->opts_any);
	ck_assert_int_eq(p->win, -1);
	p = &S.ev[3].pkt;
	ck_assert_uint_eq(p->flags, WIRE_TCP_PSH | WIRE_TCP_ACK);
	ck_assert_uint_eq(p->seq, 1);
	ck_assert_uint_eq(p->payload_len, 1000);
	ck_assert(!p->opts_any);
	ck_assert_uint_eq(p->opts_len, 0);
	p = &S.ev[4].pkt;
	ck_assert_uint_eq(p->flags, WIRE_TCP_FIN | WIRE_TCP_ACK);
	ck_assert_int_eq(p->ts_off, 2);
	p = &S.ev[5].pkt;
	ck_assert_uint_eq(p->opts_len, 20);
	ck_assert_uint_eq(p->nsack_off, 2);
	ck_assert_uint_eq(p->opts[3], 18);     /* sack option length: 2 + 2 * 8 */
	ck_assert_uint_eq(S.ev[6].pkt.flags, WIRE_TCP_RST);
}
END_TEST

START_TEST(commands_options_comments)
{
	ok("// a comment line\n"
	   "--tolerance_usecs=10000\n"
	   "--local_ip=198.18.0.2 --remote_ip=198.18.0.1 --mss=1000\n"
	   "`sysctl -q net.ipv4.tcp_timestamps=0\n"
	   "  true`\n"
	   "/* a C\n   comment */\n"
	   "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3 // trailing\n"
	   "+0 `echo hello`\n"
	   "+0 close(3) = 0\n");
	ck_assert_int_eq(S.cfg.tolerance_us, 10000);
	ck_assert_uint_eq(S.cfg.skipped_options, 1);
	ck_assert_uint_eq(S.n, 3);
	ck_assert_uint_eq(S.commands, 2);
	ck_assert_uint_eq(S.ev[0].line, 8);
	ck_assert_int_eq(S.ev[1].type, PKT_EV_COMMAND);
	ck_assert_uint_eq(S.ev[2].line, 10);
	ck_assert_uint_eq(S.cfg.bind_port, 8080);
	ck_assert_uint_eq(S.cfg.connect_port, 8080);
}
END_TEST

START_TEST(bad_lines)
{
	bad("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 frob(3\n", 2, "expected ')'");
	bad("0 close(3) = 0\n\n+0 < udp (70000)\n", 3, "out of range");
	bad("0 close(3) = 0\n+0 < S 0:10(5) win 1\n", 2, "inconsistent");
	bad("0 close(3) = 0\n+0 < S 0:0(0) <...>\n", 2, "outbound");
	bad("0 close(3) = 0\n+0 < S 0:0(0) win 1 <mss 1000,nop>\n", 2, "multiple of 4");
	bad("0 close(3) = 0\n* close(3) = 0\n", 2, "outbound packets");
	bad("0 close(3) = 0\n1~2 < udp (1)\n", 2, "time range");
	bad("0 close(3) = 0\n+0 close(3) = -1\n", 2, "errno");
	bad("0 close(3) = 0\n+0 close(3) = -1 EWHATEVER\n", 2, "unknown errno");
	bad("0 close(3) = 0\n+0 setsockopt(3, SOL_SOCKET, SO_NOPE, [1], 4) = 0\n", 2,
	    "unknown symbol");
	bad("0.5 close(3) = 0\n", 1, "time 0");
	bad("0 close(3) = 0\n1 close(3) = 0\n0.5 close(3) = 0\n", 3, "backward");
	bad("0 close(3) = 0\n--mss=1000\n", 2, "options");
	bad("--local_ip=192.168.0.1\n0 close(3) = 0\n", 1, "198.18.0.0/15");
	bad("0 close(3) = 0\n+0 > Z 0:0(0)\n", 2, "TCP flag");
	bad("0 close(3) = 0\n+0 > icmp bogus\n", 2, "ICMP type");
	bad("0 close(3) = 0\n+0 > udp (1) extra\n", 2, "unexpected");
	bad("0 close(3) = 0\n+0 `unterminated\n", 2, "unterminated");
	bad("// nothing\n", 2, "no events");
}
END_TEST

/* ---- building and matching ---- */

static struct pkt_flow
flow(void)
{
	struct pkt_flow f;
	memset(&f, 0, sizeof(f));
	f.local_ip = PKT_DEFAULT_LOCAL_IP;
	f.remote_ip = PKT_DEFAULT_REMOTE_IP;
	f.local_port = 8080;
	f.remote_port = 40000;
	return f;
}

START_TEST(build_inbound_tcp_syn)
{
	ok("0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n");
	struct pkt_flow f = flow();
	uint8_t b[200];
	size_t n = pkt_build_inbound(&S.ev[0].pkt, &f, b, sizeof(b), E, sizeof(E));
	ck_assert_uint_eq(n, 20 + 20 + 12);
	struct ipv4_repr ip;
	ck_assert_int_eq(wire_ipv4_parse(b, n, true, &ip), 20);
	ck_assert_uint_eq(ip.src, PKT_DEFAULT_REMOTE_IP);
	ck_assert_uint_eq(ip.dst, PKT_DEFAULT_LOCAL_IP);
	ck_assert_uint_eq(ip.proto, WIRE_PROTO_TCP);
	struct tcp_repr t;
	ck_assert_int_eq(wire_tcp_parse(b + 20, n - 20, &t), 32);
	ck_assert(wire_tcp_verify(b + 20, n - 20, ip.src, ip.dst));
	ck_assert_uint_eq(t.sport, 40000);
	ck_assert_uint_eq(t.dport, 8080);
	ck_assert_uint_eq(t.seq, 0);
	ck_assert_uint_eq(t.flags, WIRE_TCP_SYN);
	ck_assert_uint_eq(t.win, 32792);
	ck_assert(t.opt.has_mss && t.opt.mss == 1000);
	ck_assert(t.opt.sack_perm);
	ck_assert(t.opt.has_wscale && t.opt.wscale == 7);
	/* script order on the wire: mss, sackOK, nop, nop, nop, wscale */
	static const uint8_t o[] = { 2, 4, 0x03, 0xe8, 4, 2, 1, 1, 1, 3, 3, 7 };
	ck_assert_mem_eq(b + 40, o, sizeof(o));
}
END_TEST

/* Tern's SYN-ACK as bytes, with ISN 0x12345678 and Linux's option layout. */
static size_t
synack(uint8_t *b, uint32_t isn, uint32_t ack, uint16_t win)
{
	struct tcp_repr r;
	memset(&r, 0, sizeof(r));
	r.sport = 8080;
	r.dport = 40000;
	r.seq = isn;
	r.ack = ack;
	r.flags = WIRE_TCP_SYN | WIRE_TCP_ACK;
	r.win = win;
	r.opt.has_mss = true;
	r.opt.mss = 1460;
	r.opt.sack_perm = true;
	r.opt.has_wscale = true;
	r.opt.wscale = 7;
	size_t h = wire_tcp_emit(b + 20, 60, &r);
	struct ipv4_repr ip = { .hlen = 20, .total_len = (uint16_t)(20 + h), .ttl = 64,
				.proto = WIRE_PROTO_TCP, .src = PKT_DEFAULT_LOCAL_IP,
				.dst = PKT_DEFAULT_REMOTE_IP };
	wire_ipv4_emit(b, 20, &ip, true);
	uint32_t sum = wire_csum_pseudo(ip.src, ip.dst, WIRE_PROTO_TCP, (uint16_t)h);
	uint16_t c = wire_csum_fold(wire_csum_add(sum, b + 20, h));
	b[20 + 16] = (uint8_t)(c >> 8);
	b[20 + 17] = (uint8_t)c;
	return 20 + h;
}

START_TEST(match_outbound_tcp)
{
	ok("0 > S. 0:0(0) ack 1 <...>\n"
	   "+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n"
	   "+0 > S. 0:0(0) ack 2 <...>\n"
	   "+0 > S. 0:0(0) ack 1 win 100 <...>\n"
	   "+0 > S. 0:0(0) ack 1\n"
	   "+0 < . 1:1(0) ack 1 win 257\n"
	   "+0 > P. 1:1001(1000) ack 1\n");
	uint8_t b[100];
	size_t n = synack(b, 0x12345678, 1, 65535);
	char why[200];
	struct pkt_flow f = flow();
	ck_assert_msg(pkt_match_outbound(&S.ev[0].pkt, &f, b, n, why, sizeof(why)), "%s", why);
	ck_assert(f.local_isn_known);
	ck_assert_uint_eq(f.live_local_isn, 0x12345678);
	ck_assert_msg(pkt_match_outbound(&S.ev[1].pkt, &f, b, n, why, sizeof(why)), "%s", why);
	ck_assert(!pkt_match_outbound(&S.ev[2].pkt, &f, b, n, why, sizeof(why)));
	ck_assert_msg(strstr(why, "ack 1 (relative 1), expected relative 2") != NULL, "%s", why);
	ck_assert(!pkt_match_outbound(&S.ev[3].pkt, &f, b, n, why, sizeof(why)));
	ck_assert_msg(strstr(why, "win") != NULL, "%s", why);
	ck_assert(!pkt_match_outbound(&S.ev[4].pkt, &f, b, n, why, sizeof(why)));
	ck_assert_msg(strstr(why, "options") != NULL, "%s", why);
	/* Inbound ack 1 is relative to Tern's ISN. */
	uint8_t in[100];
	size_t m = pkt_build_inbound(&S.ev[5].pkt, &f, in, sizeof(in), E, sizeof(E));
	struct tcp_repr t;
	ck_assert_int_eq(wire_tcp_parse(in + 20, m - 20, &t), 20);
	ck_assert_uint_eq(t.ack, 0x12345679);
	ck_assert_uint_eq(t.seq, 1);
	ck_assert_uint_eq(t.win, 257);
	/* A wrong checksum never matches. */
	b[n - 1] ^= 0xff;
	ck_assert(!pkt_match_outbound(&S.ev[0].pkt, &f, b, n, why, sizeof(why)));
}
END_TEST

/* packetdrill numbers the remote side from its ISN: after a SYN with ISN
 * 2^32 - 1, inbound seq 1 is 0 on the wire and an outbound ack of live 1000
 * (and a SACK block) is written relative, 1001; SYN segments stay absolute. */
START_TEST(remote_isn_relative)
{
	ok("0 < S 4294967295:4294967295(0) win 1000\n"
	   "+0 > S. 0:0(0) ack 0 <...>\n"
	   "+0 < . 1:1(0) ack 1 win 257\n"
	   "+0 > . 1:1(0) ack 1001 <nop,nop,sack 2001:3001>\n");
	struct pkt_flow f = flow();
	uint8_t b[200];
	size_t n = pkt_build_inbound(&S.ev[0].pkt, &f, b, sizeof(b), E, sizeof(E));
	struct tcp_repr t;
	ck_assert_int_eq(wire_tcp_parse(b + 20, n - 20, &t), 20);
	ck_assert_uint_eq(t.seq, 4294967295u);
	pkt_flow_inbound_sent(&f, &S.ev[0].pkt);
	ck_assert(f.remote_isn_known);
	ck_assert_uint_eq(f.remote_isn, 4294967295u);
	char why[200];
	n = synack(b, 0x12345678, 0, 65535);
	ck_assert_msg(pkt_match_outbound(&S.ev[1].pkt, &f, b, n, why, sizeof(why)), "%s", why);
	n = pkt_build_inbound(&S.ev[2].pkt, &f, b, sizeof(b), E, sizeof(E));
	ck_assert_int_eq(wire_tcp_parse(b + 20, n - 20, &t), 20);
	ck_assert_uint_eq(t.seq, 0);
	ck_assert_uint_eq(t.ack, 0x12345679);
	/* A later SYN (in a synchronized state) does not move the base. */
	pkt_flow_inbound_sent(&f, &S.ev[0].pkt);
	ck_assert_uint_eq(f.remote_isn, 4294967295u);
	/* Tern's ACK: live ack 1000 and SACK 2000:3000 are relative 1001, 2001:3001. */
	struct tcp_repr r;
	memset(&r, 0, sizeof(r));
	r.sport = 8080;
	r.dport = 40000;
	r.seq = 0x12345679;
	r.ack = 1000;
	r.flags = WIRE_TCP_ACK;
	r.win = 502;
	r.opt.nsack = 1;
	r.opt.sack[0].start = 2000;
	r.opt.sack[0].end = 3000;
	size_t h = wire_tcp_emit(b + 20, 60, &r);
	struct ipv4_repr ip = { .hlen = 20, .total_len = (uint16_t)(20 + h), .ttl = 64,
				.proto = WIRE_PROTO_TCP, .src = PKT_DEFAULT_LOCAL_IP,
				.dst = PKT_DEFAULT_REMOTE_IP };
	wire_ipv4_emit(b, 20, &ip, true);
	uint32_t sum = wire_csum_pseudo(ip.src, ip.dst, WIRE_PROTO_TCP, (uint16_t)h);
	uint16_t c = wire_csum_fold(wire_csum_add(sum, b + 20, h));
	b[20 + 16] = (uint8_t)(c >> 8);
	b[20 + 17] = (uint8_t)c;
	ck_assert_msg(pkt_match_outbound(&S.ev[3].pkt, &f, b, 20 + h, why, sizeof(why)), "%s", why);
	r.opt.sack[0].start = 2001;
	r.opt.sack[0].end = 3001;
	h = wire_tcp_emit(b + 20, 60, &r);
	sum = wire_csum_pseudo(ip.src, ip.dst, WIRE_PROTO_TCP, (uint16_t)h);
	b[20 + 16] = b[20 + 17] = 0;
	c = wire_csum_fold(wire_csum_add(sum, b + 20, h));
	b[20 + 16] = (uint8_t)(c >> 8);
	b[20 + 17] = (uint8_t)c;
	ck_assert(!pkt_match_outbound(&S.ev[3].pkt, &f, b, 20 + h, why, sizeof(why)));
	ck_assert_msg(strstr(why, "options differ") != NULL, "%s", why);
}
END_TEST

START_TEST(build_match_udp_icmp)
{
	ok("0 < udp (10)\n"
	   "+0 > udp (10)\n"
	   "+0 < icmp unreachable port_unreachable [udp (10)]\n"
	   "+0 > udp (11)\n");
	struct pkt_flow f = flow();
	uint8_t b[200];
	size_t n = pkt_build_inbound(&S.ev[0].pkt, &f, b, sizeof(b), E, sizeof(E));
	ck_assert_uint_eq(n, 38);
	struct ipv4_repr ip;
	ck_assert_int_eq(wire_ipv4_parse(b, n, true, &ip), 20);
	struct udp_repr u;
	ck_assert_int_eq(wire_udp_parse(b + 20, n - 20, &u), 8);
	ck_assert(wire_udp_verify(b + 20, &u, ip.src, ip.dst));
	ck_assert_uint_eq(u.sport, 40000);
	ck_assert_uint_eq(u.dport, 8080);
	/* The same datagram reversed is what "> udp (10)" matches. */
	struct pkt_flow g = flow();
	g.local_ip = PKT_DEFAULT_REMOTE_IP;
	g.remote_ip = PKT_DEFAULT_LOCAL_IP;
	g.local_port = 40000;
	g.remote_port = 8080;
	char why[200];
	ck_assert_msg(pkt_match_outbound(&S.ev[1].pkt, &g, b, n, why, sizeof(why)), "%s", why);
	ck_assert(!pkt_match_outbound(&S.ev[3].pkt, &g, b, n, why, sizeof(why)));
	ck_assert_msg(strstr(why, "payload 10 bytes, expected 11") != NULL, "%s", why);
	/* ICMP quoting our datagram: IP + UDP header + 10 bytes. */
	n = pkt_build_inbound(&S.ev[2].pkt, &f, b, sizeof(b), E, sizeof(E));
	ck_assert_uint_eq(n, 20 + 8 + 20 + 8 + 10);
	struct icmp_repr ic;
	ck_assert_int_eq(wire_icmp_parse(b + 20, n - 20, true, &ic), 8);
	ck_assert_uint_eq(ic.type, 3);
	ck_assert_uint_eq(ic.code, 3);
	struct ipv4_repr q;
	ck_assert_int_eq(wire_ipv4_parse(b + 28, n - 28, true, &q), 20);
	ck_assert_uint_eq(q.src, PKT_DEFAULT_LOCAL_IP);
	ck_assert_uint_eq(q.proto, WIRE_PROTO_UDP);
	ck_assert_uint_eq(b[48] << 8 | b[49], 8080);
	ck_assert_uint_eq(b[50] << 8 | b[51], 40000);
	char d[200];
	pkt_describe(b, n, &f, d, sizeof(d));
	ck_assert_msg(strstr(d, "icmp unreachable(3) code 3 [udp (10)]") != NULL, "%s", d);
}
END_TEST

/* A coalesced line cut into GSO parts (pkt_tcp_part): FIN and PSH only on
 * the last part; the others take PSH from the live segment. */
START_TEST(tcp_part_gso)
{
	ok("0 > FP. 1:3001(3000) ack 1 win 257 <nop,nop,TS val 5 ecr 6>\n");
	const struct pkt_packet *w = &S.ev[0].pkt;
	struct pkt_packet p;
	pkt_tcp_part(w, 0, 1000, WIRE_TCP_ACK, &p);
	ck_assert_uint_eq(p.seq, 1);
	ck_assert_uint_eq(p.payload_len, 1000);
	ck_assert_uint_eq(p.flags, WIRE_TCP_ACK);
	ck_assert_uint_eq(p.ack, 1);
	ck_assert_int_eq(p.win, 257);
	ck_assert_uint_eq(p.opts_len, w->opts_len);
	pkt_tcp_part(w, 1000, 1000, WIRE_TCP_ACK | WIRE_TCP_PSH, &p);
	ck_assert_uint_eq(p.seq, 1001);
	ck_assert_uint_eq(p.flags, WIRE_TCP_ACK | WIRE_TCP_PSH);
	pkt_tcp_part(w, 2000, 1000, WIRE_TCP_ACK, &p);
	ck_assert_uint_eq(p.seq, 2001);
	ck_assert_uint_eq(p.flags, w->flags);   /* the last part: as written */
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pkt_parse");
	TCase *tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, times);
	tcase_add_test(tc, syscalls);
	tcase_add_test(tc, packets_udp_icmp);
	tcase_add_test(tc, packets_tcp);
	tcase_add_test(tc, commands_options_comments);
	tcase_add_test(tc, bad_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("wire");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, build_inbound_tcp_syn);
	tcase_add_test(tc, match_outbound_tcp);
	tcase_add_test(tc, remote_isn_relative);
	tcase_add_test(tc, build_match_udp_icmp);
	tcase_add_test(tc, tcp_part_gso);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

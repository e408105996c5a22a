/*
 * Build inbound and match outbound script packets as IPv4 bytes, and
 * describe packets for failure messages (pkt_wire.h). Uses the stack's pure
 * wire code (wire.h, wire_tcp.c for TCP) for every header it parses or
 * emits, except TCP options of inbound packets, which go out byte for byte
 * in script order as packetdrill sends them. Called by pkt_run.c and the
 * unit tests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pkt_wire.h"
#include "wire.h"

#define ICMP_QUOTE_L4 8   /* bytes of the transport header an ICMP error quotes (RFC 792) */

static void
msg(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

static uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void
put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Live minus script ISN of Tern's side (0 until Tern's SYN is seen). */
static uint32_t
local_offset(const struct pkt_flow *f)
{
	return f->local_isn_known ? f->live_local_isn - f->script_local_isn : 0;
}

/* What packetdrill adds to the remote side's numbers of a segment with
 * @p flags: the remote ISN, except in SYN segments and before it is known
 * (then they are absolute). */
static uint32_t
remote_offset(const struct pkt_flow *f, uint8_t flags)
{
	return f->remote_isn_known && !(flags & WIRE_TCP_SYN) ? f->remote_isn : 0;
}

void
pkt_flow_inbound_sent(struct pkt_flow *f, const struct pkt_packet *pk)
{
	if (pk->proto == WIRE_PROTO_TCP && (pk->flags & WIRE_TCP_SYN) && !f->remote_isn_known) {
		f->remote_isn_known = true;
		f->remote_isn = pk->seq;
	}
}

static size_t
emit_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, size_t total)
{
	struct ipv4_repr ip = {
		.hlen = WIRE_IPV4_HLEN, .total_len = (uint16_t)total, .ttl = 64,
		.proto = proto, .src = src, .dst = dst,
	};
	return wire_ipv4_emit(buf, WIRE_IPV4_HLEN, &ip, true);
}

static int
ports_for(const struct pkt_packet *pk, const struct pkt_flow *f, uint16_t *sport,
	  uint16_t *dport, char *err, size_t errlen)
{
	*sport = pk->has_ports ? pk->sport : f->remote_port;
	*dport = pk->has_ports ? pk->dport : f->local_port;
	if (*sport == 0 || *dport == 0) {
		msg(err, errlen, "no socket port to send to yet (bind or connect first, "
		    "or give ports as SPORT>DPORT)");
		return -1;
	}
	return 0;
}

static size_t
build_tcp(const struct pkt_packet *pk, const struct pkt_flow *f, uint8_t *l4,
	  uint16_t sport, uint16_t dport)
{
	struct tcp_repr r;
	memset(&r, 0, sizeof(r));
	r.sport = sport;
	r.dport = dport;
	r.seq = pk->seq + remote_offset(f, pk->flags);
	r.ack = pk->has_ack ? pk->ack + local_offset(f) : 0;
	r.flags = pk->flags;
	r.win = pk->win >= 0 ? (uint16_t)pk->win : 65535;
	r.urg = pk->urg;
	size_t h = wire_tcp_emit(l4, WIRE_TCP_HLEN, &r);   /* no options: 20 bytes */
	uint8_t *o = l4 + h;
	memcpy(o, pk->opts, pk->opts_len);
	for (unsigned i = 0; i < pk->nsack_off; i++) {      /* SACK is in Tern's sequence space */
		uint8_t *b = o + pk->sack_off[i];
		put32(b, get32(b) + local_offset(f));
		put32(b + 4, get32(b + 4) + local_offset(f));
	}
	/* An ecr echoes Tern's TS val: shift it by live - script val of the last
	 * outbound TS seen (0 stays 0: "no echo", RFC 7323 3.2). */
	if (pk->ts_off >= 0 && f->ts_known && get32(o + pk->ts_off + 6) != 0)
		put32(o + pk->ts_off + 6,
		      get32(o + pk->ts_off + 6) + (f->ts_live_val - f->ts_script_val));
	h += pk->opts_len;
	l4[12] = (uint8_t)((h / 4) << 4);
	return h;
}

size_t
pkt_build_inbound(const struct pkt_packet *pk, const struct pkt_flow *f,
		  uint8_t *buf, size_t cap, char *err, size_t errlen)
{
	uint16_t sport = 0, dport = 0;
	size_t l4len;
	if (pk->proto != WIRE_PROTO_ICMP && ports_for(pk, f, &sport, &dport, err, errlen) != 0)
		return 0;
	if (pk->proto == WIRE_PROTO_UDP)
		l4len = WIRE_UDP_HLEN + pk->payload_len;
	else if (pk->proto == WIRE_PROTO_TCP)
		l4len = WIRE_TCP_HLEN + pk->opts_len + pk->payload_len;
	else
		l4len = WIRE_ICMP_HLEN + (pk->echoed_proto != 0 ?
			WIRE_IPV4_HLEN + ICMP_QUOTE_L4 + pk->echoed_len : 0);
	size_t total = WIRE_IPV4_HLEN + l4len;
	if (total > cap || total > 65535) {
		msg(err, errlen, "packet of %zu bytes does not fit", total);
		return 0;
	}
	memset(buf, 0, total);
	uint8_t *l4 = buf + emit_ip(buf, f->remote_ip, f->local_ip, pk->proto, total);
	if (pk->proto == WIRE_PROTO_UDP) {
		struct udp_repr u = { .sport = sport, .dport = dport, .len = (uint16_t)l4len };
		wire_udp_emit(l4, WIRE_UDP_HLEN, &u);
		uint32_t sum = wire_csum_pseudo(f->remote_ip, f->local_ip, WIRE_PROTO_UDP,
						(uint16_t)l4len);
		uint16_t c = wire_csum_fold(wire_csum_add(sum, l4, l4len));
		put16(l4 + 6, c == 0 ? 0xffff : c);  /* RFC 768: 0 is sent as all ones */
	} else if (pk->proto == WIRE_PROTO_TCP) {
		build_tcp(pk, f, l4, sport, dport);
		uint32_t sum = wire_csum_pseudo(f->remote_ip, f->local_ip, WIRE_PROTO_TCP,
						(uint16_t)l4len);
		put16(l4 + 16, wire_csum_fold(wire_csum_add(sum, l4, l4len)));
	} else {
		struct icmp_repr ic = { .type = pk->icmp_type, .code = pk->icmp_code };
		if (pk->icmp_mtu >= 0)
			ic.rest = (uint32_t)pk->icmp_mtu;   /* RFC 1191: next-hop MTU, low 16 bits */
		wire_icmp_emit(l4, WIRE_ICMP_HLEN, &ic);
		if (pk->echoed_proto != 0) {
			/* The quote is of a packet Tern sent: local -> remote. */
			if (f->local_port == 0 || f->remote_port == 0) {
				msg(err, errlen, "ICMP quotes the socket's datagram, whose ports are not known yet");
				return 0;
			}
			uint8_t *q = l4 + WIRE_ICMP_HLEN;
			size_t qlen = WIRE_IPV4_HLEN + ICMP_QUOTE_L4 + pk->echoed_len;
			if (pk->echoed_proto == WIRE_PROTO_TCP)
				qlen = WIRE_IPV4_HLEN + WIRE_TCP_HLEN + pk->echoed_len;
			emit_ip(q, f->local_ip, f->remote_ip, pk->echoed_proto, qlen);
			uint8_t *ql4 = q + WIRE_IPV4_HLEN;
			put16(ql4, f->local_port);
			put16(ql4 + 2, f->remote_port);
			if (pk->echoed_proto == WIRE_PROTO_UDP)
				put16(ql4 + 4, (uint16_t)(WIRE_UDP_HLEN + pk->echoed_len));
			else
				put32(ql4 + 4, pk->echoed_seq + local_offset(f));
		}
		wire_icmp_set_csum(l4, wire_csum_fold(wire_csum_add(0, l4, l4len)));
	}
	return total;
}

static bool
match_ports(const struct pkt_packet *pk, struct pkt_flow *f, uint16_t sport, uint16_t dport,
	    char *why, size_t cap)
{
	uint16_t want_s = pk->has_ports ? pk->sport : f->local_port;
	uint16_t want_d = pk->has_ports ? pk->dport : f->remote_port;
	if (want_s != 0 && sport != want_s) {
		msg(why, cap, "source port %u, expected %u", sport, want_s);
		return false;
	}
	if (want_d != 0 && dport != want_d) {
		msg(why, cap, "destination port %u, expected %u", dport, want_d);
		return false;
	}
	return true;
}

static bool
match_tcp(const struct pkt_packet *pk, struct pkt_flow *f, const struct ipv4_repr *ip,
	  const uint8_t *l4, size_t l4len, char *why, size_t cap)
{
	struct tcp_repr r;
	int h = wire_tcp_parse(l4, l4len, &r);
	if (h < 0) {
		msg(why, cap, "TCP header does not parse (%d)", h);
		return false;
	}
	if (!wire_tcp_verify(l4, l4len, ip->src, ip->dst)) {
		msg(why, cap, "bad TCP checksum");
		return false;
	}
	if (r.flags != pk->flags) {
		msg(why, cap, "TCP flags 0x%02x, expected 0x%02x", r.flags, pk->flags);
		return false;
	}
	if (!match_ports(pk, f, r.sport, r.dport, why, cap))
		return false;
	if (l4len - (size_t)h != pk->payload_len) {
		msg(why, cap, "payload %zu bytes, expected %u", l4len - (size_t)h, pk->payload_len);
		return false;
	}
	/* Before Tern's SYN or SYN-ACK is seen (a RST from a closed port or a
	 * listener) its numbers are absolute, as packetdrill's. */
	bool learn_isn = !f->local_isn_known && (pk->flags & WIRE_TCP_SYN);
	uint32_t want_seq = learn_isn ? r.seq : pk->seq + local_offset(f);
	if (r.seq != want_seq) {
		msg(why, cap, "seq %u (relative %u), expected relative %u", r.seq,
		    r.seq - local_offset(f), pk->seq);
		return false;
	}
	uint32_t roff = remote_offset(f, pk->flags);
	if ((pk->flags & WIRE_TCP_ACK) && r.ack != pk->ack + roff) {
		msg(why, cap, "ack %u (relative %u), expected relative %u", r.ack, r.ack - roff,
		    pk->ack);
		return false;
	}
	if (pk->win >= 0 && r.win != (uint16_t)pk->win) {
		msg(why, cap, "win %u, expected %d", r.win, pk->win);
		return false;
	}
	if (!pk->opts_any) {
		const uint8_t *o = l4 + WIRE_TCP_HLEN;
		size_t olen = (size_t)h - WIRE_TCP_HLEN;
		if (olen != pk->opts_len) {
			msg(why, cap, "%zu bytes of TCP options, expected %u", olen, pk->opts_len);
			return false;
		}
		/* Our SACK blocks are in the remote side's sequence space. */
		uint8_t want[sizeof(pk->opts)];
		memcpy(want, pk->opts, pk->opts_len);
		for (unsigned i = 0; i < pk->nsack_off; i++) {
			uint8_t *b = want + pk->sack_off[i];
			put32(b, get32(b) + roff);
			put32(b + 4, get32(b + 4) + roff);
		}
		for (size_t i = 0; i < olen; i++) {
			bool ts_val = pk->ts_off >= 0 && i >= (size_t)pk->ts_off + 2 &&
				      i < (size_t)pk->ts_off + 6;
			if (!ts_val && o[i] != want[i]) {   /* TS val: not checked (packetdrill default) */
				msg(why, cap, "TCP options differ at option byte %zu: 0x%02x, expected 0x%02x",
				    i, o[i], want[i]);
				return false;
			}
		}
		if (pk->ts_off >= 0) {
			f->ts_known = true;
			f->ts_script_val = get32(pk->opts + pk->ts_off + 2);
			f->ts_live_val = get32(o + pk->ts_off + 2);
		}
	}
	if (learn_isn) {
		f->local_isn_known = true;
		f->script_local_isn = pk->seq;
		f->live_local_isn = r.seq;
	}
	if (f->local_port == 0)
		f->local_port = r.sport;
	if (f->remote_port == 0)
		f->remote_port = r.dport;
	return true;
}

static bool
match_icmp(const struct pkt_packet *pk, const struct pkt_flow *f, const uint8_t *l4,
	   size_t l4len, char *why, size_t cap)
{
	struct icmp_repr ic;
	int h = wire_icmp_parse(l4, l4len, true, &ic);
	if (h < 0) {
		msg(why, cap, "ICMP header does not parse or bad checksum (%d)", h);
		return false;
	}
	if (ic.type != pk->icmp_type || ic.code != pk->icmp_code) {
		msg(why, cap, "ICMP type %u code %u, expected type %u code %u",
		    ic.type, ic.code, pk->icmp_type, pk->icmp_code);
		return false;
	}
	if (pk->icmp_mtu >= 0 && (ic.rest & 0xffff) != (uint32_t)pk->icmp_mtu) {
		msg(why, cap, "ICMP mtu %u, expected %d", ic.rest & 0xffff, pk->icmp_mtu);
		return false;
	}
	if (pk->echoed_proto == 0)
		return true;
	const uint8_t *q = l4 + WIRE_ICMP_HLEN;
	size_t qlen = l4len - WIRE_ICMP_HLEN;
	size_t l4q = pk->echoed_proto == WIRE_PROTO_UDP ? WIRE_UDP_HLEN : WIRE_TCP_HLEN;
	size_t want = WIRE_IPV4_HLEN + ICMP_QUOTE_L4 + pk->echoed_len;
	if (qlen != want) {
		msg(why, cap, "ICMP quotes %zu bytes, expected %zu (IP header + 8 + %u)",
		    qlen, want, pk->echoed_len);
		return false;
	}
	/* The quoted header is the packet's as it arrived: not all of it may be quoted. */
	struct ipv4_repr qip;
	if (qlen < WIRE_IPV4_HLEN || (q[0] >> 4) != 4 || (q[0] & 0xf) != 5) {
		msg(why, cap, "quoted packet is not an IPv4 header without options");
		return false;
	}
	memset(&qip, 0, sizeof(qip));
	qip.total_len = (uint16_t)(q[2] << 8 | q[3]);
	qip.proto = q[9];
	qip.src = get32(q + 12);
	qip.dst = get32(q + 16);
	if (qip.proto != pk->echoed_proto) {
		msg(why, cap, "quoted protocol %u, expected %u", qip.proto, pk->echoed_proto);
		return false;
	}
	if (qip.total_len != WIRE_IPV4_HLEN + l4q + pk->echoed_len) {
		msg(why, cap, "quoted IP total length %u, expected %zu", qip.total_len,
		    WIRE_IPV4_HLEN + l4q + pk->echoed_len);
		return false;
	}
	/* An error Tern sends is about a packet the remote sent it. */
	if (qip.src != f->remote_ip || qip.dst != f->local_ip) {
		msg(why, cap, "quoted packet is not remote -> local");
		return false;
	}
	const uint8_t *ql4 = q + WIRE_IPV4_HLEN;
	if (pk->echoed_proto == WIRE_PROTO_UDP &&
	    (uint16_t)(ql4[4] << 8 | ql4[5]) != WIRE_UDP_HLEN + pk->echoed_len) {
		msg(why, cap, "quoted UDP length %u, expected %u", ql4[4] << 8 | ql4[5],
		    WIRE_UDP_HLEN + pk->echoed_len);
		return false;
	}
	return true;
}

bool
pkt_match_outbound(const struct pkt_packet *pk, struct pkt_flow *f,
		   const uint8_t *buf, size_t len, char *why, size_t cap)
{
	struct ipv4_repr ip;
	int h = wire_ipv4_parse(buf, len, true, &ip);
	if (h < 0) {
		msg(why, cap, "not a valid IPv4 packet (%d)", h);
		return false;
	}
	if (ip.src != f->local_ip || ip.dst != f->remote_ip) {
		msg(why, cap, "addresses are not local -> remote");
		return false;
	}
	if (ip.mf || ip.frag_off != 0) {
		msg(why, cap, "a fragment");
		return false;
	}
	if (ip.proto != pk->proto) {
		msg(why, cap, "IP protocol %u, expected %u", ip.proto, pk->proto);
		return false;
	}
	const uint8_t *l4 = buf + h;
	size_t l4len = ip.total_len - (size_t)h;
	if (pk->proto == WIRE_PROTO_TCP)
		return match_tcp(pk, f, &ip, l4, l4len, why, cap);
	if (pk->proto == WIRE_PROTO_ICMP)
		return match_icmp(pk, f, l4, l4len, why, cap);
	struct udp_repr u;
	int uh = wire_udp_parse(l4, l4len, &u);
	if (uh < 0) {
		msg(why, cap, "UDP header does not parse (%d)", uh);
		return false;
	}
	if (!wire_udp_verify(l4, &u, ip.src, ip.dst)) {
		msg(why, cap, "bad UDP checksum");
		return false;
	}
	if (u.len != l4len) {
		msg(why, cap, "UDP length %u but IP carries %zu bytes", u.len, l4len);
		return false;
	}
	if (u.len != WIRE_UDP_HLEN + pk->payload_len) {
		msg(why, cap, "UDP payload %u bytes, expected %u", u.len - WIRE_UDP_HLEN,
		    pk->payload_len);
		return false;
	}
	if (!match_ports(pk, f, u.sport, u.dport, why, cap))
		return false;
	if (f->local_port == 0)
		f->local_port = u.sport;
	if (f->remote_port == 0)
		f->remote_port = u.dport;
	return true;
}

bool
pkt_tcp_segment(const uint8_t *buf, size_t len, const struct pkt_flow *f,
		uint32_t *seq, uint32_t *plen, uint8_t *flags)
{
	struct ipv4_repr ip;
	int h = wire_ipv4_parse(buf, len, false, &ip);
	if (h < 0 || ip.proto != WIRE_PROTO_TCP)
		return false;
	const uint8_t *l4 = buf + h;
	size_t l4len = ip.total_len - (size_t)h;
	struct tcp_repr r;
	int th = wire_tcp_parse(l4, l4len, &r);
	if (th < 0)
		return false;
	*seq = r.seq - local_offset(f);
	*plen = (uint32_t)(l4len - (size_t)th);
	*flags = r.flags;
	return true;
}

void
pkt_tcp_part(const struct pkt_packet *whole, uint32_t off, uint32_t len, uint8_t live_flags,
	     struct pkt_packet *part)
{
	*part = *whole;
	part->seq = whole->seq + off;
	part->payload_len = len;
	/* Linux tcp_gso_segment(): FIN and PSH only on the last segment. */
	if (off + len < whole->payload_len)
		part->flags = (uint8_t)((whole->flags & ~(WIRE_TCP_FIN | WIRE_TCP_PSH)) |
					(live_flags & WIRE_TCP_PSH));
}

static void
describe_tcp_opts(const uint8_t *o, size_t n, char *out, size_t cap)
{
	size_t at = 0;
	int w = snprintf(out, cap, " <");
	for (size_t i = 0; i < n && w > 0 && (size_t)w < cap;) {
		const char *sep = at++ ? "," : "";
		uint8_t k = o[i];
		uint8_t l = (k <= 1 || i + 1 >= n) ? 1 : o[i + 1];
		if (l < 1 || i + l > n) {
			w += snprintf(out + w, cap - (size_t)w, "%sbad", sep);
			break;
		}
		if (k == WIRE_TCPOPT_NOP)
			w += snprintf(out + w, cap - (size_t)w, "%snop", sep);
		else if (k == WIRE_TCPOPT_EOL)
			w += snprintf(out + w, cap - (size_t)w, "%seol", sep);
		else if (k == WIRE_TCPOPT_MSS && l == 4)
			w += snprintf(out + w, cap - (size_t)w, "%smss %u", sep, o[i + 2] << 8 | o[i + 3]);
		else if (k == WIRE_TCPOPT_WSCALE && l == 3)
			w += snprintf(out + w, cap - (size_t)w, "%swscale %u", sep, o[i + 2]);
		else if (k == WIRE_TCPOPT_SACK_PERM && l == 2)
			w += snprintf(out + w, cap - (size_t)w, "%ssackOK", sep);
		else if (k == WIRE_TCPOPT_TS && l == 10)
			w += snprintf(out + w, cap - (size_t)w, "%sTS val %u ecr %u", sep,
				      get32(o + i + 2), get32(o + i + 6));
		else if (k == WIRE_TCPOPT_SACK && l >= 10) {
			w += snprintf(out + w, cap - (size_t)w, "%ssack", sep);
			for (size_t b = i + 2; b + 8 <= i + l && w > 0 && (size_t)w < cap; b += 8)
				w += snprintf(out + w, cap - (size_t)w, " %u:%u", get32(o + b),
					      get32(o + b + 4));
		} else
			w += snprintf(out + w, cap - (size_t)w, "%skind %u len %u", sep, k, l);
		i += l;
	}
	if (w > 0 && (size_t)w < cap)
		snprintf(out + w, cap - (size_t)w, ">");
}

void
pkt_describe(const uint8_t *buf, size_t len, const struct pkt_flow *f, char *out, size_t cap)
{
	struct ipv4_repr ip;
	int h = wire_ipv4_parse(buf, len, false, &ip);
	if (h < 0) {
		msg(out, cap, "(%zu bytes, not IPv4: %d)", len, h);
		return;
	}
	char s[16], d[16];
	snprintf(s, sizeof(s), "%u.%u.%u.%u", ip.src >> 24, ip.src >> 16 & 255, ip.src >> 8 & 255, ip.src & 255);
	snprintf(d, sizeof(d), "%u.%u.%u.%u", ip.dst >> 24, ip.dst >> 16 & 255, ip.dst >> 8 & 255, ip.dst & 255);
	const uint8_t *l4 = buf + h;
	size_t l4len = ip.total_len - (size_t)h;
	if (ip.proto == WIRE_PROTO_UDP) {
		struct udp_repr u;
		if (wire_udp_parse(l4, l4len, &u) < 0)
			msg(out, cap, "%s > %s udp (truncated)", s, d);
		else
			msg(out, cap, "%s:%u > %s:%u udp (%u)", s, u.sport, d, u.dport,
			    u.len - WIRE_UDP_HLEN);
	} else if (ip.proto == WIRE_PROTO_ICMP) {
		struct icmp_repr ic;
		if (wire_icmp_parse(l4, l4len, false, &ic) < 0) {
			msg(out, cap, "%s > %s icmp (truncated)", s, d);
			return;
		}
		char q[64] = "";
		if ((ic.type == WIRE_ICMP_UNREACH || ic.type == WIRE_ICMP_TIME_EXCEEDED) &&
		    l4len >= WIRE_ICMP_HLEN + WIRE_IPV4_HLEN + ICMP_QUOTE_L4) {
			const uint8_t *qp = l4 + WIRE_ICMP_HLEN;
			unsigned qh = (qp[0] & 0xf) * 4u, qt = (unsigned)(qp[2] << 8 | qp[3]);
			if (qp[9] == WIRE_PROTO_UDP && qt >= qh + WIRE_UDP_HLEN)
				snprintf(q, sizeof(q), " [udp (%u)] quoting %zu bytes",
					 qt - qh - WIRE_UDP_HLEN, l4len - WIRE_ICMP_HLEN);
			else
				snprintf(q, sizeof(q), " [proto %u] quoting %zu bytes", qp[9],
					 l4len - WIRE_ICMP_HLEN);
		}
		const char *name = ic.type == WIRE_ICMP_UNREACH ? "unreachable" :
				   ic.type == WIRE_ICMP_ECHO ? "echo_request" :
				   ic.type == WIRE_ICMP_ECHO_REPLY ? "echo_reply" :
				   ic.type == WIRE_ICMP_TIME_EXCEEDED ? "time_exceeded" : "type";
		msg(out, cap, "%s > %s icmp %s(%u) code %u%s", s, d, name, ic.type, ic.code, q);
	} else if (ip.proto == WIRE_PROTO_TCP) {
		struct tcp_repr r;
		int th = wire_tcp_parse(l4, l4len, &r);
		if (th < 0) {
			msg(out, cap, "%s > %s tcp (truncated)", s, d);
			return;
		}
		char fl[12];
		size_t k = 0;
		static const struct { uint8_t bit; char c; } names[] = {
			{ WIRE_TCP_SYN, 'S' }, { WIRE_TCP_FIN, 'F' }, { WIRE_TCP_RST, 'R' },
			{ WIRE_TCP_PSH, 'P' }, { WIRE_TCP_URG, 'U' }, { WIRE_TCP_ECE, 'E' },
			{ WIRE_TCP_CWR, 'W' }, { WIRE_TCP_ACK, '.' },
		};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (r.flags & names[i].bit)
				fl[k++] = names[i].c;
		if (k == 0)
			fl[k++] = '-';
		fl[k] = '\0';
		bool from_local = f != NULL && ip.src == f->local_ip;
		uint32_t off = f != NULL ? local_offset(f) : 0;
		uint32_t roff = f != NULL ? remote_offset(f, r.flags) : 0;
		uint32_t seq = from_local ? r.seq - off : r.seq - roff;
		uint32_t ack = f == NULL ? r.ack : from_local ? r.ack - roff : r.ack - off;
		uint32_t plen = (uint32_t)(l4len - (size_t)th);
		char opts[160] = "";
		if (th > WIRE_TCP_HLEN)
			describe_tcp_opts(l4 + WIRE_TCP_HLEN, (size_t)th - WIRE_TCP_HLEN, opts, sizeof(opts));
		msg(out, cap, "%s:%u > %s:%u %s %u:%u(%u) ack %u win %u%s", s, r.sport, d, r.dport,
		    fl, seq, seq + plen, plen, ack, r.win, opts);
	} else {
		msg(out, cap, "%s > %s proto %u (%u bytes)", s, d, ip.proto, ip.total_len);
	}
}

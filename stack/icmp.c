/*
 * ICMP (RFC 792, RFC 1122 3.2.2): echo replies of any size the IP layer can
 * reassemble, rate-limited destination-unreachable errors, and delivery of
 * received errors to the socket they concern. Called by ipv4_input
 * (icmp_input) and by ipv4/udp when they refuse a datagram (icmp_send_error).
 */
#include <errno.h>
#include <string.h>

#include "stack_impl.h"

/* RFC 1812 4.3.2.3: quote as much of the offending datagram as fits in a
 * 576-byte error (hosts may do the same; Linux does). */
#define ICMP_ERR_MAX 576

static bool
icmp_rate_ok(struct tern_stack *s)
{
	/* Token bucket, refilled from the time passed in (RFC 1812 4.3.2.8). */
	uint64_t per_token = TERN_NS_PER_SEC / s->icmp_rate;
	if (per_token == 0)
		per_token = 1;
	if (s->now > s->icmp_tokens_at) {
		uint64_t add = (s->now - s->icmp_tokens_at) / per_token;
		if (add > 0) {
			uint64_t t = s->icmp_tokens + add;
			s->icmp_tokens = t > s->icmp_burst ? s->icmp_burst : (uint32_t)t;
			s->icmp_tokens_at += add * per_token;
			if (s->icmp_tokens == s->icmp_burst)
				s->icmp_tokens_at = s->now;
		}
	} else if (s->now < s->icmp_tokens_at) {
		s->icmp_tokens_at = s->now;
	}
	if (s->icmp_tokens == 0)
		return false;
	s->icmp_tokens--;
	return true;
}

static bool
is_icmp_error_type(uint8_t type)
{
	return type == WIRE_ICMP_UNREACH || type == WIRE_ICMP_TIME_EXCEEDED ||
	       type == WIRE_ICMP_PARAM_PROBLEM || type == 4 /* source quench */ ||
	       type == 5 /* redirect */;
}

void
icmp_send_error(struct tern_stack *s, const struct rte_mbuf *orig,
		const struct ipv4_repr *ip, uint8_t type, uint8_t code, uint32_t rest)
{
	/* RFC 1122 3.2.2: never about an ICMP error, a broadcast or multicast
	 * datagram, a non-initial fragment, or a source that names no host. */
	if (stack_is_bcast(s, ip->dst) || wire_ipv4_is_multicast(ip->dst) ||
	    ip->frag_off != 0 || ip->src == 0 || stack_is_bcast(s, ip->src) ||
	    wire_ipv4_is_martian_src(ip->src))
		return;
	if (ip->proto == WIRE_PROTO_ICMP) {
		uint8_t t;
		const uint8_t *tp = orig->pkt_len > ip->hlen ?
			mbuf_bytes(orig, ip->hlen, 1, &t) : NULL;
		if (tp == NULL || is_icmp_error_type(*tp))
			return;
	}
	if (!icmp_rate_ok(s)) {
		STAT(s, icmp_ratelimited);
		return;
	}
	uint32_t quote = orig->pkt_len;
	if (quote > ICMP_ERR_MAX - WIRE_IPV4_HLEN - WIRE_ICMP_HLEN)
		quote = ICMP_ERR_MAX - WIRE_IPV4_HLEN - WIRE_ICMP_HLEN;
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->pool);
	if (m == NULL) {
		STAT(s, nombuf);
		return;
	}
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(WIRE_ICMP_HLEN + quote));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		STAT(s, nombuf);
		return;
	}
	struct icmp_repr r = { .type = type, .code = code, .rest = rest };
	wire_icmp_emit(p, WIRE_ICMP_HLEN, &r);
	const void *q = rte_pktmbuf_read(orig, 0, quote, p + WIRE_ICMP_HLEN);
	if (q != p + WIRE_ICMP_HLEN)
		memcpy(p + WIRE_ICMP_HLEN, q, quote);
	wire_icmp_set_csum(p, wire_csum_fold(wire_csum_add(0, p, WIRE_ICMP_HLEN + quote)));
	struct ipv4_out o = { .src = s->ip, .dst = ip->src, .proto = WIRE_PROTO_ICMP, .ttl = 64 };
	if (type == WIRE_ICMP_UNREACH)
		STAT(s, icmp_unreach_tx);
	else
		STAT(s, icmp_timxceed_tx);
	ipv4_output(s, m, &o);
}

/* Turn the echo request m (data at its IP header) into the reply, in place. */
static void
icmp_echo(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip)
{
	STAT(s, icmp_echo_rx);
	/* RFC 1122 3.2.2.6 lets hosts ignore echo to broadcast; Linux does by
	 * default (icmp_echo_ignore_broadcasts), and so do we: smurf defence. */
	if (stack_is_bcast(s, ip->dst)) {
		STAT(s, icmp_bcast_ignored);
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_adj(m, ip->hlen);   /* options are not echoed back */
	if (rte_pktmbuf_data_len(m) < WIRE_ICMP_HLEN || RTE_MBUF_CLONED(m) ||
	    rte_mbuf_refcnt_read(m) != 1) {
		/* Header split across segments or shared data: cannot edit in place. */
		struct rte_mbuf *c = rte_pktmbuf_copy(m, s->pool, 0, UINT32_MAX);
		rte_pktmbuf_free(m);
		if (c == NULL) {
			STAT(s, nombuf);
			return;
		}
		m = c;
		if (rte_pktmbuf_data_len(m) < WIRE_ICMP_HLEN ||
		    rte_pktmbuf_headroom(m) < WIRE_IPV4_HLEN + WIRE_ETH_HLEN) {
			STAT(s, nombuf);
			rte_pktmbuf_free(m);
			return;
		}
	}
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);
	h[0] = WIRE_ICMP_ECHO_REPLY;
	h[1] = 0;
	wire_icmp_set_csum(h, 0);
	wire_icmp_set_csum(h, wire_csum_fold(mbuf_csum(m, 0, m->pkt_len, 0)));
	/* Clear rx offload flags but keep what says who owns the buffer. */
	m->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
	struct ipv4_out o = { .src = s->ip, .dst = ip->src, .proto = WIRE_PROTO_ICMP,
			      .ttl = 64, .tos = ip->tos };
	STAT(s, icmp_echo_tx);
	ipv4_output(s, m, &o);
}

/* An error about something we sent: find the socket it concerns. */
static void
icmp_error_input(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip,
		 const struct icmp_repr *r)
{
	STAT(s, icmp_error_rx);
	if (r->type != WIRE_ICMP_UNREACH) {
		STAT(s, icmp_ignored);
		return;
	}
	uint32_t off = ip->hlen + WIRE_ICMP_HLEN;
	uint32_t left = m->pkt_len - off;
	uint8_t tmp[60 + 8];
	uint32_t want = left < sizeof(tmp) ? left : (uint32_t)sizeof(tmp);
	if (want < WIRE_IPV4_HLEN) {
		STAT(s, icmp_truncated);
		return;
	}
	const uint8_t *q = mbuf_bytes(m, off, want, tmp);
	struct ipv4_repr inner;
	/* The quote is cut short by design: parse its header without the
	 * total-length check against what we hold (a copy with a fake length). */
	uint8_t hdr[60];
	memcpy(hdr, q, want < 60 ? want : 60);
	int hl = wire_ipv4_parse(hdr, 0xffff, false, &inner);
	if (hl < 0 || inner.src != s->ip || (uint32_t)hl + 8 > want) {
		STAT(s, icmp_ignored);
		return;
	}
	/* RFC 1122 3.2.2.1: port/protocol unreachable are hard errors for the
	 * socket (ECONNREFUSED); the others are soft (EHOSTUNREACH etc.). */
	int err;
	switch (r->code) {
	case WIRE_ICMP_UNREACH_PORT:
	case WIRE_ICMP_UNREACH_PROTO:
		err = ECONNREFUSED;
		break;
	case 0: /* net */
	case 6: /* net unknown */
		err = ENETUNREACH;
		break;
	case WIRE_ICMP_UNREACH_NEEDFRAG:
		err = EMSGSIZE;
		break;
	default:
		err = EHOSTUNREACH;
		break;
	}
	if (inner.proto == WIRE_PROTO_UDP)
		udp_icmp_error(s, &inner, q + hl, 8, err);
	else
		STAT(s, icmp_ignored);
}

/* Consumes m (data at the IP header). */
void
icmp_input(struct tern_stack *s, struct rte_mbuf *m, const struct ipv4_repr *ip)
{
	uint32_t len = m->pkt_len - ip->hlen;
	uint8_t tmp[WIRE_ICMP_HLEN];
	struct icmp_repr r;
	if (len < WIRE_ICMP_HLEN) {
		STAT(s, icmp_truncated);
		goto drop;
	}
	const uint8_t *h = mbuf_bytes(m, ip->hlen, WIRE_ICMP_HLEN, tmp);
	/* The checksum covers the whole message, which may be a chain after
	 * reassembly: sum it here, then parse the header alone. */
	if (wire_csum_fold(mbuf_csum(m, ip->hlen, len, 0)) != 0) {
		STAT(s, icmp_bad_csum);
		goto drop;
	}
	wire_icmp_parse(h, WIRE_ICMP_HLEN, false, &r);
	switch (r.type) {
	case WIRE_ICMP_ECHO:
		icmp_echo(s, m, ip);
		return;
	case WIRE_ICMP_UNREACH:
	case WIRE_ICMP_TIME_EXCEEDED:
	case WIRE_ICMP_PARAM_PROBLEM:
		icmp_error_input(s, m, ip, &r);
		break;
	default:
		STAT(s, icmp_ignored);
		break;
	}
drop:
	rte_pktmbuf_free(m);
}

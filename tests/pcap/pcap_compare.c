/*
 * Frame normalisation, checksum verification and mismatch reporting for the
 * pcap-replay harness (see pcap_compare.h). Written against RFC 791 / 792 /
 * 768 / 1071 directly, not with the stack's own wire code, so that a bug in
 * the stack's checksum or header code cannot hide itself here.
 */
#include "pcap_compare.h"

#include <stdlib.h>
#include <string.h>

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define PROTO_ICMP 1
#define PROTO_UDP 17
#define IP_MF 0x2000
#define IP_DF 0x4000
#define IP_OFFMASK 0x1fff

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071: 16-bit one's complement sum of big-endian words, odd byte
 * padded with zero on the right. Not folded. */
static uint64_t
sum16(const uint8_t *p, size_t len, uint64_t acc)
{
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		acc += be16(p + i);
	if (i < len)
		acc += (uint64_t)p[i] << 8;
	return acc;
}

static uint16_t
fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* A frame's IPv4 header, validated against the frame; NULL if the frame is
 * not a well-formed IPv4 frame. */
struct ip_view {
	const uint8_t *h;
	unsigned hlen, total;
	uint16_t id, frag;      /* frag: flags and offset word */
	uint8_t proto;
	uint32_t src, dst;
};

static bool
ip_view(const uint8_t *d, size_t len, struct ip_view *v)
{
	if (len < ETH_HLEN + 20 || be16(d + 12) != ETHERTYPE_IPV4)
		return false;
	const uint8_t *h = d + ETH_HLEN;
	unsigned hlen = (h[0] & 0x0f) * 4u;
	unsigned total = be16(h + 2);
	if ((h[0] >> 4) != 4 || hlen < 20 || total < hlen || ETH_HLEN + (size_t)total > len)
		return false;
	v->h = h;
	v->hlen = hlen;
	v->total = total;
	v->id = be16(h + 4);
	v->frag = be16(h + 6);
	v->proto = h[9];
	v->src = be32(h + 12);
	v->dst = be32(h + 16);
	return true;
}

static bool
is_ipv4_ethertype(const struct frame *f)
{
	return f->len >= ETH_HLEN && be16(f->data + 12) == ETHERTYPE_IPV4;
}

/* Checksum of a whole ICMP message or UDP datagram (l4 = its bytes).
 * @return NULL if correct, else a reason. */
static const char *
l4_check(uint8_t proto, uint32_t src, uint32_t dst, const uint8_t *l4, size_t len)
{
	if (proto == PROTO_ICMP) {
		if (len < 8)
			return "ICMP message shorter than its header";
		/* RFC 792: the sum over the whole message, checksum included, is all ones. */
		return fold(sum16(l4, len, 0)) == 0xffff ? NULL : "ICMP checksum wrong";
	}
	if (proto == PROTO_UDP) {
		if (len < 8)
			return "UDP datagram shorter than its header";
		unsigned ulen = be16(l4 + 4);
		if (ulen < 8 || ulen != len)
			return "UDP length field disagrees with the IP payload length";
		if (be16(l4 + 6) == 0)
			return NULL;   /* RFC 768: zero = no checksum computed */
		/* RFC 768: pseudo header (src, dst, zero, proto, UDP length). */
		uint64_t acc = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
			       PROTO_UDP + ulen;
		return fold(sum16(l4, ulen, acc)) == 0xffff ? NULL : "UDP checksum wrong";
	}
	return NULL;   /* no transport checksum we know of */
}

/* Fragments of one datagram the stack sent, put back together here. */
struct frag_group {
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	bool last_seen, overlap;
	unsigned total;      /* payload length, once the last fragment is seen */
	size_t first_frame;  /* for messages */
	uint8_t data[65536];
	uint8_t have[65536]; /* 1 = byte received */
};

unsigned
frames_verify_csums(const struct frame *f, size_t n, FILE *err)
{
	unsigned problems = 0;
	struct frag_group *g = NULL;
	size_t ng = 0;

	for (size_t i = 0; i < n; i++) {
		struct ip_view v;
		if (!is_ipv4_ethertype(&f[i]))
			continue;
		if (!ip_view(f[i].data, f[i].len, &v)) {
			fprintf(err, "sent frame %zu: malformed IPv4 header\n", i);
			problems++;
			continue;
		}
		/* RFC 791 3.1: the header sums to all ones, checksum included. */
		if (fold(sum16(v.h, v.hlen, 0)) != 0xffff) {
			fprintf(err, "sent frame %zu: IPv4 header checksum wrong (0x%04x)\n",
				i, be16(v.h + 10));
			problems++;
		}
		const uint8_t *pl = v.h + v.hlen;
		unsigned plen = v.total - v.hlen;
		unsigned off = (v.frag & IP_OFFMASK) * 8u;
		bool mf = (v.frag & IP_MF) != 0;
		if (!mf && off == 0) {
			const char *why = l4_check(v.proto, v.src, v.dst, pl, plen);
			if (why != NULL) {
				fprintf(err, "sent frame %zu: %s\n", i, why);
				problems++;
			}
			continue;
		}
		struct frag_group *grp = NULL;
		for (size_t k = 0; k < ng; k++)
			if (g[k].src == v.src && g[k].dst == v.dst && g[k].id == v.id &&
			    g[k].proto == v.proto)
				grp = &g[k];
		if (grp == NULL) {
			struct frag_group *ng_arr = realloc(g, (ng + 1) * sizeof(*g));
			if (ng_arr == NULL) {
				fprintf(err, "out of memory verifying fragments\n");
				free(g);
				return problems + 1;
			}
			g = ng_arr;
			grp = &g[ng++];
			memset(grp, 0, sizeof(*grp));
			grp->src = v.src;
			grp->dst = v.dst;
			grp->id = v.id;
			grp->proto = v.proto;
			grp->first_frame = i;
		}
		if (off + plen > 65535) {
			fprintf(err, "sent frame %zu: fragment ends beyond 65535\n", i);
			problems++;
			continue;
		}
		if (mf && plen % 8 != 0) {
			fprintf(err, "sent frame %zu: non-last fragment of %u bytes "
				"(not a multiple of 8, RFC 791 3.2)\n", i, plen);
			problems++;
		}
		for (unsigned b = 0; b < plen; b++) {
			if (grp->have[off + b])
				grp->overlap = true;
			grp->have[off + b] = 1;
			grp->data[off + b] = pl[b];
		}
		if (!mf) {
			if (grp->last_seen && grp->total != off + plen)
				grp->overlap = true;
			grp->last_seen = true;
			grp->total = off + plen;
		}
	}

	for (size_t k = 0; k < ng; k++) {
		struct frag_group *grp = &g[k];
		bool complete = grp->last_seen;
		for (unsigned b = 0; complete && b < grp->total; b++)
			complete = grp->have[b] != 0;
		if (!complete || grp->overlap) {
			fprintf(err, "sent fragments from frame %zu (id 0x%04x): %s\n",
				grp->first_frame, grp->id,
				grp->overlap ? "overlapping or inconsistent" : "incomplete");
			problems++;
			continue;
		}
		const char *why = l4_check(grp->proto, grp->src, grp->dst, grp->data, grp->total);
		if (why != NULL) {
			fprintf(err, "sent fragments from frame %zu (id 0x%04x), reassembled: %s\n",
				grp->first_frame, grp->id, why);
			problems++;
		}
	}
	free(g);
	return problems;
}

void
frame_normalise(struct frame *f)
{
	struct ip_view v;
	if (!ip_view(f->data, f->len, &v))
		return;
	uint8_t *h = f->data + ETH_HLEN;
	/* RFC 6864: the ID is random by design in the stack under test. */
	h[4] = h[5] = 0;
	h[10] = h[11] = 0;
	uint16_t c = (uint16_t)~fold(sum16(h, v.hlen, 0));
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	/* Transport checksums were verified on the stack's frames; zeroing
	 * them here keeps a fragment's checksum from depending on how the
	 * expectation was built. Only the first fragment carries them. */
	if ((v.frag & IP_OFFMASK) != 0)
		return;
	uint8_t *l4 = h + v.hlen;
	unsigned plen = v.total - v.hlen;
	if (v.proto == PROTO_ICMP && plen >= 4)
		l4[2] = l4[3] = 0;
	else if (v.proto == PROTO_UDP && plen >= 8)
		l4[6] = l4[7] = 0;
}

static const char *
ip_str(uint32_t a, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

static const char *
mac_str(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static void
icmp_summary(const uint8_t *l4, unsigned len, char *buf, size_t cap)
{
	if (len < 4) {
		snprintf(buf, cap, "ICMP (%u bytes)", len);
		return;
	}
	uint8_t type = l4[0], code = l4[1];
	if ((type == 0 || type == 8) && len >= 8)
		snprintf(buf, cap, "ICMP echo-%s id %u seq %u, %u bytes",
			 type == 8 ? "request" : "reply", be16(l4 + 4), be16(l4 + 6), len);
	else if (type == 3)
		snprintf(buf, cap, "ICMP unreachable code %u, %u bytes", code, len);
	else
		snprintf(buf, cap, "ICMP type %u code %u, %u bytes", type, code, len);
}

void
frame_summary(const struct frame *f, char *buf, size_t cap)
{
	char a[18], b[18], s1[16], s2[16], l4s[96] = "";
	const uint8_t *d = f->data;
	if (f->len < ETH_HLEN) {
		snprintf(buf, cap, "runt frame, %zu bytes", f->len);
		return;
	}
	uint16_t et = be16(d + 12);
	int n = snprintf(buf, cap, "%zu B %s > %s ", f->len, mac_str(d + 6, a), mac_str(d, b));
	if (n < 0 || (size_t)n >= cap)
		return;
	buf += n;
	cap -= (size_t)n;
	if (et == ETHERTYPE_ARP) {
		if (f->len < ETH_HLEN + 28) {
			snprintf(buf, cap, "ARP (truncated)");
			return;
		}
		const uint8_t *p = d + ETH_HLEN;
		uint16_t op = be16(p + 6);
		if (op == 1)
			snprintf(buf, cap, "ARP who-has %s tell %s (sha %s)",
				 ip_str(be32(p + 24), s1), ip_str(be32(p + 14), s2),
				 mac_str(p + 8, a));
		else if (op == 2)
			snprintf(buf, cap, "ARP reply %s is-at %s to %s",
				 ip_str(be32(p + 14), s1), mac_str(p + 8, a),
				 ip_str(be32(p + 24), s2));
		else
			snprintf(buf, cap, "ARP op %u", op);
		return;
	}
	if (et != ETHERTYPE_IPV4) {
		snprintf(buf, cap, "ethertype 0x%04x", et);
		return;
	}
	struct ip_view v;
	if (!ip_view(d, f->len, &v)) {
		snprintf(buf, cap, "IPv4 (malformed header)");
		return;
	}
	unsigned off = (v.frag & IP_OFFMASK) * 8u;
	const uint8_t *l4 = v.h + v.hlen;
	unsigned plen = v.total - v.hlen;
	if (off == 0 && v.proto == PROTO_ICMP)
		icmp_summary(l4, plen, l4s, sizeof(l4s));
	else if (off == 0 && v.proto == PROTO_UDP && plen >= 8)
		snprintf(l4s, sizeof(l4s), "UDP %u > %u len %u", be16(l4), be16(l4 + 2), be16(l4 + 4));
	else
		snprintf(l4s, sizeof(l4s), "proto %u", v.proto);
	snprintf(buf, cap, "IPv4 %s > %s tos 0x%02x ttl %u id 0x%04x len %u%s%s off %u: %s",
		 ip_str(v.src, s1), ip_str(v.dst, s2), v.h[1], v.h[8], v.id, v.total,
		 (v.frag & IP_DF) ? " DF" : "", (v.frag & IP_MF) ? " MF" : "", off, l4s);
}

void
frame_hexdump(FILE *out, const char *label, const struct frame *f, size_t mark)
{
	fprintf(out, "  %s (%zu bytes):\n", label, f->len);
	for (size_t row = 0; row < f->len; row += 16) {
		bool here = mark != SIZE_MAX && mark >= row && mark < row + 16;
		fprintf(out, "  %s%04zx ", here ? ">>" : "  ", row);
		for (size_t i = row; i < row + 16 && i < f->len; i++)
			fprintf(out, i == mark ? "[%02x]" : " %02x ", f->data[i]);
		fputc('\n', out);
	}
	if (mark != SIZE_MAX && mark >= f->len)
		fprintf(out, "  >>%04zx (frame ends here)\n", mark);
}

size_t
frame_first_diff(const struct frame *a, const struct frame *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	for (size_t i = 0; i < n; i++)
		if (a->data[i] != b->data[i])
			return i;
	return a->len == b->len ? SIZE_MAX : n;
}

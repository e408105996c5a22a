/*
 * IPv4 fragmentation on output (RFC 791 2.3, 3.2 "Fragmentation"). ipv4.c
 * calls ipv4_fragment() for a datagram larger than the route's MTU and sends
 * each fragment; the data is copied into fresh mbufs, so the input (possibly
 * a chain, possibly shared) is only read and then freed.
 */
#include "ipv4_frag.h"

#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#define FRAG_HDR_MAX 60   /* RFC 791 3.1: IHL is at most 15 words */

/* RFC 791 3.1: option type octet = copied flag (1 bit), class, number. */
#define IPOPT_COPIED 0x80
#define IPOPT_EOL 0
#define IPOPT_NOP 1

/*
 * Read and validate the header of @p m into @p hdr. wire_ipv4_parse() wants
 * the whole datagram behind the buffer it checks, and ours may be a chain:
 * so it parses a copy of the header whose length field is cut to the header
 * alone, and the real total length is checked against pkt_len here.
 */
static int
frag_read_header(const struct rte_mbuf *m, uint8_t *hdr, struct ipv4_repr *ip)
{
	uint32_t n = m->pkt_len < FRAG_HDR_MAX ? m->pkt_len : FRAG_HDR_MAX;
	if (n < WIRE_IPV4_HLEN)
		return -EINVAL;
	const uint8_t *p = rte_pktmbuf_read(m, 0, n, hdr);
	if (p != hdr)
		memcpy(hdr, p, n);
	uint8_t scratch[FRAG_HDR_MAX];
	memcpy(scratch, hdr, n);
	unsigned hlen = (scratch[0] & 0x0f) * 4u;
	uint16_t total = (uint16_t)(hdr[2] << 8 | hdr[3]);
	scratch[2] = (uint8_t)(hlen >> 8);
	scratch[3] = (uint8_t)hlen;
	if (wire_ipv4_parse(scratch, n, false, ip) < 0)
		return -EINVAL;
	if (total < ip->hlen || total > m->pkt_len)
		return -EINVAL;
	ip->total_len = total;
	return 0;
}

/*
 * Header of the second and later fragments (RFC 791 3.1 "Options"): the
 * fixed part plus only the options whose copied flag is set; the rest go.
 * NOPs (copied flag 0) go too: they only aligned what follows. Padded with
 * EOL to a whole word. @return its length, or -EINVAL on a malformed option.
 */
static int
frag_later_header(const uint8_t *hdr, unsigned hlen, uint8_t *later)
{
	unsigned o = WIRE_IPV4_HLEN;

	memcpy(later, hdr, WIRE_IPV4_HLEN);
	for (unsigned i = WIRE_IPV4_HLEN; i < hlen;) {
		uint8_t type = hdr[i];
		if (type == IPOPT_EOL)
			break;
		if (type == IPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || hdr[i + 1] < 2 || i + hdr[i + 1] > hlen)
			return -EINVAL;
		unsigned olen = hdr[i + 1];
		if (type & IPOPT_COPIED) {
			memcpy(later + o, hdr + i, olen);
			o += olen;
		}
		i += olen;
	}
	while (o % 4 != 0)
		later[o++] = IPOPT_EOL;
	return (int)o;
}

/* Fill in the fields that differ per fragment and the checksum. */
static void
frag_set_header(uint8_t *h, unsigned hlen, const struct ipv4_repr *ip,
		uint16_t total, uint16_t off, bool mf)
{
	struct ipv4_repr f = *ip;
	f.total_len = total;
	f.frag_off = off;
	f.mf = mf;
	f.df = false;
	/* wire_ipv4_emit writes the fixed 20 bytes with IHL 5; the options
	 * already sit behind them in h, so IHL is set after. */
	wire_ipv4_emit(h, WIRE_IPV4_HLEN, &f, false);
	h[0] = (uint8_t)(0x40 | hlen / 4);
	uint16_t c = wire_csum_fold(wire_csum_add(0, h, hlen));
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
}

/*
 * One fragment: a fresh mbuf with @p headroom in front, the header @p h of
 * @p hlen bytes, then @p len bytes of @p src from @p src_off. Chained when
 * the pool's buffers are smaller than the MTU. @return NULL if the pool ran dry.
 */
static struct rte_mbuf *
frag_build(struct rte_mempool *pool, uint16_t headroom, const uint8_t *h,
	   unsigned hlen, const struct rte_mbuf *src, uint32_t src_off, uint32_t len)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(pool);
	if (head == NULL)
		return NULL;
	head->data_off = headroom;
	memcpy(rte_pktmbuf_mtod(head, uint8_t *), h, hlen);
	head->data_len = (uint16_t)hlen;
	head->pkt_len = hlen + len;

	struct rte_mbuf *seg = head;
	while (len > 0) {
		uint32_t room = rte_pktmbuf_tailroom(seg);
		if (room == 0) {
			struct rte_mbuf *next = rte_pktmbuf_alloc(pool);
			if (next == NULL) {
				rte_pktmbuf_free(head);
				return NULL;
			}
			next->data_off = 0;   /* only the head needs headroom */
			seg->next = next;
			head->nb_segs++;
			seg = next;
			continue;
		}
		uint32_t n = len < room ? len : room;
		uint8_t *dst = rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len);
		const void *p = rte_pktmbuf_read(src, src_off, n, dst);
		if (p != dst)
			memcpy(dst, p, n);
		seg->data_len = (uint16_t)(seg->data_len + n);
		src_off += n;
		len -= n;
	}
	/* The private area carries the next hop for ipv4/arp output. */
	uint16_t a = rte_pktmbuf_priv_size(src->pool);
	uint16_t b = rte_pktmbuf_priv_size(pool);
	memcpy(rte_mbuf_to_priv(head), rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)src),
	       a < b ? a : b);
	return head;
}

int
ipv4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool,
	      uint16_t headroom, struct rte_mbuf **out, unsigned max_out)
{
	uint8_t hdr[FRAG_HDR_MAX], later[FRAG_HDR_MAX];
	struct ipv4_repr ip;
	int rc;

	if (m == NULL)
		return -EINVAL;
	if (out == NULL || max_out == 0 || pool == NULL ||
	    frag_read_header(m, hdr, &ip) < 0) {
		rc = -EINVAL;
		goto fail;
	}
	if (ip.total_len <= mtu) {
		out[0] = m;
		return 1;
	}
	/* RFC 791 2.3: "don't fragment" means drop it (the caller sends
	 * ICMP "fragmentation needed", RFC 1191). */
	if (ip.df) {
		rc = -EMSGSIZE;
		goto fail;
	}
	rc = frag_later_header(hdr, ip.hlen, later);
	if (rc < 0)
		goto fail;
	unsigned later_hlen = (unsigned)rc;
	/* RFC 791 3.2: every fragment but the last carries a multiple of 8
	 * octets. RFC 791 3.1 guarantees 68 octets through every module, the
	 * largest header (60) plus 8: below that nothing fits. */
	if (mtu < ip.hlen + 8 ||
	    headroom + FRAG_HDR_MAX > rte_pktmbuf_data_room_size(pool)) {
		rc = -EINVAL;
		goto fail;
	}
	uint32_t first_pl = (mtu - ip.hlen) & ~7u;
	uint32_t later_pl = (mtu - later_hlen) & ~7u;
	uint32_t payload = (uint32_t)ip.total_len - ip.hlen;
	/* total_len > mtu, so payload > first_pl: at least two fragments. */
	unsigned count = 1 + (payload - first_pl + later_pl - 1) / later_pl;
	if (count > max_out) {
		rc = -EINVAL;
		goto fail;
	}

	/* RFC 791 3.2: offsets count from the input's own offset, and only the
	 * last piece inherits its MF, so an input fragment can be refragmented. */
	uint32_t pos = 0;
	for (unsigned k = 0; k < count; k++) {
		bool first = k == 0;
		uint32_t pl = first ? first_pl : later_pl;
		bool last = payload - pos <= pl;
		if (last)
			pl = payload - pos;
		uint8_t *h = first ? hdr : later;
		unsigned hl = first ? ip.hlen : later_hlen;
		frag_set_header(h, hl, &ip, (uint16_t)(hl + pl),
				(uint16_t)(ip.frag_off + pos), last ? ip.mf : true);
		out[k] = frag_build(pool, headroom, h, hl, m, ip.hlen + pos, pl);
		if (out[k] == NULL) {
			for (unsigned j = 0; j < k; j++)
				rte_pktmbuf_free(out[j]);
			rc = -ENOBUFS;
			goto fail;
		}
		pos += pl;
	}
	rte_pktmbuf_free(m);
	return (int)count;

fail:
	rte_pktmbuf_free(m);
	return rc;
}

/*
 * IPv4 fragment reassembly (RFC 791 3.2, RFC 815 hole bookkeeping, RFC 1858
 * overlap rules) and fragmentation on output. Both work on mbufs but hold no
 * global state: a struct ipv4_reass lives in the stack context.
 */
#ifndef TERN_IPV4_FRAG_H
#define TERN_IPV4_FRAG_H

#include <stdint.h>

#include "stats.h"
#include "wire.h"

struct rte_mbuf;
struct rte_mempool;
struct ipv4_reass;

/** Create a reassembly table: at most @p max_datagrams in progress and
 *  @p mem_max bytes of fragment buffers held (mbuf buf_len, not payload); each expires @p timeout_ns
 *  after its first fragment. @return NULL on ENOMEM. */
struct ipv4_reass *ipv4_reass_create(unsigned max_datagrams, uint32_t mem_max,
				     uint64_t timeout_ns);
/** Free the table and every fragment it holds. */
void ipv4_reass_destroy(struct ipv4_reass *r);

/**
 * Take one fragment. @p m holds the IPv4 datagram starting at its header,
 * already validated by wire_ipv4_parse() into @p ip (pkt_len may exceed
 * total_len only by Ethernet padding, which is ignored). Consumes @p m.
 * @return the whole datagram once complete, else NULL. The result starts at
 * the IPv4 header of the first fragment, rewritten with the full total
 * length, MF and offset cleared and a fresh checksum; pkt_len equals the
 * total length; the payload may be a chain of segments.
 * Drops are counted in @p st (frag_overlap, frag_dup, frag_bad, frag_mem).
 */
struct rte_mbuf *ipv4_reass_input(struct ipv4_reass *r, struct rte_mbuf *m,
				  const struct ipv4_repr *ip, uint64_t now,
				  struct tern_stats *st);

/** Called for an expired datagram whose first fragment was held, with that
 *  fragment (data at its IP header); it is freed after the call returns. */
typedef void ipv4_reass_expired_fn(void *arg, const struct rte_mbuf *first);
/** Have @p cb hear of every expired datagram whose first fragment was held
 *  (RFC 1122 3.3.2: the caller answers with ICMP Time Exceeded). */
void ipv4_reass_on_expired(struct ipv4_reass *r, ipv4_reass_expired_fn *cb, void *arg);
/** Drop datagrams whose time is up (counted in frag_timeout). Expiry also
 *  happens inside ipv4_reass_input, so the callback may run from there. */
void ipv4_reass_expire(struct ipv4_reass *r, uint64_t now, struct tern_stats *st);
/** Earliest expiry, or UINT64_MAX when nothing is held. */
uint64_t ipv4_reass_next_deadline(const struct ipv4_reass *r);
/** Datagrams and payload bytes currently held (for tests and stats). */
unsigned ipv4_reass_count(const struct ipv4_reass *r);
uint32_t ipv4_reass_bytes(const struct ipv4_reass *r);

/**
 * Split the datagram @p m (starting at a complete 20..60-byte IPv4 header
 * with total length set, possibly chained) into fragments whose IP length
 * is at most @p mtu. Each fragment is a fresh mbuf from @p pool with
 * @p headroom bytes free in front (room for the Ethernet header), its own
 * copy of the header (options copied only into the first fragment unless
 * their copy bit is set, RFC 791 3.1) with offset/MF set, and a checksum
 * filled in. Consumes @p m whether or not it succeeds.
 * @return number of fragments written to @p out (at most @p max_out),
 * or -EMSGSIZE (DF set), -ENOBUFS (pool empty) or -EINVAL.
 */
int ipv4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool,
		  uint16_t headroom, struct rte_mbuf **out, unsigned max_out);

/** Most fragments one datagram may hold in reassembly: a 65535-byte
 *  datagram over any MTU of at least 296 (RFC 1191 7 plateau table). More
 *  evicts the datagram (frag_mem): a bound on work per datagram, beside
 *  the buffer-charged mem_max that bounds the pool's use. */
#define IPV4_REASS_MAX_FRAGS 256u

#endif

/*
 * What tern-bench and tern-echo agree on besides plain echo: the byte
 * pattern of a source stream, and the few control datagrams of the UDP sink
 * and source services. TCP needs no control: the sink discards (RFC 863),
 * the source starts sending on accept (as chargen, RFC 864, but endless and
 * checkable) until the peer goes away.
 */
#ifndef TERN_BENCH_PROTO_H
#define TERN_BENCH_PROTO_H

#include <stdint.h>
#include <string.h>

/* Source streams: the byte at stream offset k is k % 251 (a prime, so the
 * pattern never lines up with a power-of-two chunk and a lost, repeated or
 * reordered chunk shows). */
#define BENCH_PATTERN_MOD 251u
/** Longest piece bench_pattern() hands out. */
#define BENCH_PATTERN_SPAN 65536u

/** @p buf must hold BENCH_PATTERN_SPAN + BENCH_PATTERN_MOD bytes. */
static inline void
bench_pattern_init(uint8_t *buf)
{
	for (uint32_t i = 0; i < BENCH_PATTERN_SPAN + BENCH_PATTERN_MOD; i++)
		buf[i] = (uint8_t)(i % BENCH_PATTERN_MOD);
}

/** The pattern from stream offset @p off on (BENCH_PATTERN_SPAN bytes). */
static inline const uint8_t *
bench_pattern(const uint8_t *buf, uint64_t off)
{
	return buf + off % BENCH_PATTERN_MOD;
}

/*
 * UDP control datagrams, 8-byte magic first (a data datagram of tern-bench
 * starts with a little-endian sequence number, which never spells these):
 *  - to the sink:   QUERY          -> reply COUNT + u64 datagrams + u64 bytes
 *                   received from this sender (address and port)
 *  - to the source: START + u32 size (host order: same machine) -> the server
 *                   streams datagrams of that size to the sender, each with a
 *                   u64 sequence number first and the pattern after, while
 *                   START keeps arriving at least once a second;
 *                   STOP ends it at once.
 */
#define BENCH_MAGIC_LEN 8
#define BENCH_MAGIC_QUERY "TERNQRY1"
#define BENCH_MAGIC_COUNT "TERNCNT1"
#define BENCH_MAGIC_START "TERNSRC1"
#define BENCH_MAGIC_STOP "TERNSTP1"
/** The source forgets a peer not heard from for this long. */
#define BENCH_SOURCE_TIMEOUT_NS 1000000000ull

static inline int
bench_is_magic(const void *p, size_t len, const char *magic)
{
	return len >= BENCH_MAGIC_LEN && memcmp(p, magic, BENCH_MAGIC_LEN) == 0;
}

#endif

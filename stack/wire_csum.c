/*
 * Internet checksum (RFC 1071) over plain byte arrays, and the IPv4 pseudo
 * header sum (RFC 768, RFC 9293 3.1). Called by the other wire_*.c parsers
 * and emitters and by the stack's ICMP/UDP output paths.
 */
#include "wire.h"

/* Read 16/32-bit big-endian words byte by byte: the buffer may be unaligned,
 * and this is independent of host byte order. */
static inline uint32_t csum_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint64_t csum_be32(const uint8_t *p)
{
	return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 |
	       (uint64_t)p[2] << 8 | p[3];
}

/* Fold a wide one's-complement sum to 16 bits with end-around carry. A
 * non-zero sum never folds to 0, so 0 means "no bytes were non-zero". */
static inline uint32_t csum_fold16(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	/* RFC 1071 2(B): the sum is independent of word size as long as
	 * carries are added back in, and 2^16 == 1 (mod 0xffff), so we add
	 * 32-bit big-endian words into a 64-bit accumulator and fold once. A
	 * 64-bit accumulator cannot overflow before 2^32 words (16 GiB). */
	while (len >= 4) {
		acc += csum_be32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += csum_be16(p);
		p += 2;
		len -= 2;
	}
	/* RFC 1071 4.1: an odd trailing byte is the high byte of a word
	 * padded with zero. */
	if (len)
		acc += (uint32_t)p[0] << 8;
	return csum_fold16(acc);
}

uint16_t wire_csum_fold(uint32_t sum)
{
	return (uint16_t)~csum_fold16(sum);
}

uint32_t wire_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
			  uint16_t len)
{
	/* RFC 768: src, dst, zero, protocol, UDP/TCP length, as 16-bit words.
	 * At most six 16-bit terms, so no overflow of the 32-bit result. */
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       proto + len;
}

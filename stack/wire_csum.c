/*
 * Internet checksum (RFC 1071) over plain byte arrays, and the IPv4 pseudo
 * header sum (RFC 768, RFC 9293 3.1). Called by the other wire_*.c parsers
 * and emitters and by the stack's ICMP/UDP output paths.
 */
#include "wire.h"

#include <string.h>

/* Fold a wide one's-complement sum to 16 bits with end-around carry. A
 * non-zero sum never folds to 0, so 0 means "no bytes were non-zero". */
static inline uint32_t csum_fold16(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);   /* <= 2^33 */
	s = (s & 0xffff) + (s >> 16);       /* <= 2^17 + 2^16 */
	s = (s & 0xffff) + (s >> 16);       /* <= 2^16 + 2 */
	s = (s & 0xffff) + (s >> 16);       /* < 2^16 */
	return (uint32_t)s;
}

/* Native-order loads through memcpy: the buffer may be unaligned, and the
 * compiler turns these into single moves. */
static inline uint64_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t load16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0, carries = 0, b = 0;

	/* RFC 1071 2(A) and 2(B): the one's-complement sum is independent of
	 * byte order (summing byte-swapped words gives the byte-swapped sum)
	 * and of word size (2^16 == 1 mod 0xffff, so wider words with their
	 * carries added back give the same result). So we add the data as
	 * native 64-bit words, counting the carries out of the top bit (an
	 * add and an add-with-carry per word), fold once, and swap the 16-bit
	 * result into network order at the end. This was a byte-at-a-time
	 * loop and the largest item in the instruction count of a 64 B echo
	 * (tests/bench/instr.sh), and a tenth of a bulk sender's cycles. */
#define CSUM_WORD(off)                          \
	do {                                    \
		uint64_t w_ = load64(p + (off)); \
		acc += w_;                      \
		carries += acc < w_;            \
	} while (0)
	while (len >= 32) {
		CSUM_WORD(0);
		CSUM_WORD(8);
		CSUM_WORD(16);
		CSUM_WORD(24);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		CSUM_WORD(0);
		p += 8;
		len -= 8;
	}
#undef CSUM_WORD
	if (len >= 4) {
		b += load32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		b += load16(p);
		p += 2;
		len -= 2;
	}
	/* RFC 1071 4.1: an odd trailing byte is the high byte of a word padded
	 * with zero; in memory order that word is the byte, then 0. */
	if (len) {
		uint8_t last[2] = { p[0], 0 };
		b += load16(last);
	}
	/* 2^64 == 1 (mod 0xffff): each carry out of bit 63 is worth 1.
	 * carries < 2^61 for any real length and b < 2^34, so the terms fold
	 * without loss in two steps. */
	uint64_t t = acc + carries;
	t += t < carries;                  /* end-around carry */
	t = (t & 0xffffffff) + (t >> 32);  /* < 2^33 */
	uint32_t folded = csum_fold16(t + b);
	/* A 16-bit value read from memory in host order: to network order. */
	uint16_t net;
	uint8_t bytes[2];
	memcpy(bytes, &(uint16_t){ (uint16_t)folded }, 2);
	net = (uint16_t)(bytes[0] << 8 | bytes[1]);
	return csum_fold16((uint64_t)sum + net);
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

/*
 * Unpredictable initial sequence numbers (RFC 6528) and SYN cookies (RFC
 * 4987 3.6), both from SipHash-2-4 under per-stack secret keys. Time is
 * passed in: the ISN clock M ticks every 4 microseconds of @p now, and a
 * cookie carries a 64-second counter so it expires.
 */
#ifndef TERN_TCP_ISN_H
#define TERN_TCP_ISN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_secret {
	uint8_t isn_key[16];
	uint8_t cookie_key[16];
	/* Multilinear hash keys for the connection table (tcp_conn.c): the
	 * per-packet lookup cannot afford SipHash, and needs only that a
	 * peer who does not know the keys cannot predict collisions. */
	uint64_t lookup_key[4];
};

struct tcp_4tuple {
	uint32_t laddr, raddr;   /* host order */
	uint16_t lport, rport;
};

/** SipHash-2-4 of @p len bytes under a 128-bit key. */
uint64_t tern_siphash24(const uint8_t key[16], const void *data, size_t len);
/** Fill the keys from @p seed (tests) or, if 0, from getrandom(). */
void tcp_secret_init(struct tcp_secret *k, uint64_t seed);
/** RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey). */
uint32_t tcp_isn(const struct tcp_secret *k, const struct tcp_4tuple *t, uint64_t now);

/** MSS values a cookie can carry (3 bits), largest <= the peer's is used. */
extern const uint16_t tcp_cookie_mss_table[8];
/**
 * Our ISN for a SYN answered statelessly: encodes the MSS choice and a
 * 64-s counter, authenticated by a hash over the 4-tuple, the peer's ISN
 * and the counter. @p peer_mss is what the SYN offered (536 if none).
 */
uint32_t tcp_cookie_make(const struct tcp_secret *k, const struct tcp_4tuple *t,
			 uint32_t peer_isn, uint16_t peer_mss, uint64_t now);
/**
 * Check the ACK completing a cookie handshake: @p peer_isn = SEG.SEQ - 1,
 * @p cookie = SEG.ACK - 1. Valid for two counter periods (up to 128 s).
 * @return true and *mss on success.
 */
bool tcp_cookie_check(const struct tcp_secret *k, const struct tcp_4tuple *t,
		      uint32_t peer_isn, uint32_t cookie, uint64_t now, uint16_t *mss);
/**
 * With timestamps, the SYN-ACK's TSval also carries what the SYN offered
 * (window scale, SACK-permitted) in its low 6 bits, so a cookie connection
 * keeps them (as Linux does). The ACK echoes it in TSecr.
 */
uint32_t tcp_cookie_ts_encode(uint32_t ts_now, uint8_t wscale, bool has_wscale, bool sack_perm);
void tcp_cookie_ts_decode(uint32_t ts_ecr, uint8_t *wscale, bool *has_wscale, bool *sack_perm);

#endif

/*
 * Pure wire code: parse ("view") and emit the headers Tern speaks, over plain
 * byte arrays. No EAL calls, no mbufs, no state, so each function is unit
 * tested on byte arrays and fuzzed on its own (STYLE rules 2 and 3).
 * Every parser checks the buffer length and every length field before it
 * reads a field, and returns a host-order "repr" or a negative WIRE_E_* code.
 * Emitters write network order into a buffer of at least the stated size.
 */
#ifndef TERN_WIRE_H
#define TERN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse errors. Negative so parsers can return a length on success. */
enum wire_err {
	WIRE_E_TRUNCATED = -1,   /* buffer shorter than the fixed header */
	WIRE_E_VERSION = -2,     /* IP version field is not 4 */
	WIRE_E_IHL = -3,         /* IHL < 5, or header longer than the buffer */
	WIRE_E_LENGTH = -4,      /* a length field is impossible for the buffer */
	WIRE_E_CSUM = -5,        /* checksum does not verify */
	WIRE_E_FORMAT = -6,      /* a field has a value we do not accept */
};

/* ---- Internet checksum (RFC 1071) ---- */

/** Add @p len bytes at @p data to a running 32-bit one's-complement sum.
 *  An odd trailing byte is padded with zero, so only the last block of a
 *  sum may have odd length. */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len);
/** Fold a running sum to 16 bits and complement it (the value to store). */
uint16_t wire_csum_fold(uint32_t sum);
/** Sum of the IPv4 pseudo header (RFC 768 / RFC 9293 3.1); addresses host order. */
uint32_t wire_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* ---- Ethernet II ---- */
#define WIRE_ETH_HLEN 14
#define WIRE_ETHERTYPE_IPV4 0x0800
#define WIRE_ETHERTYPE_ARP  0x0806

struct eth_repr {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t ethertype;
};

/** Parse an Ethernet II header. @return WIRE_ETH_HLEN or WIRE_E_TRUNCATED.
 *  802.1Q tags and 802.3 length fields are returned as the ethertype value
 *  as found; the caller decides what it serves. */
int wire_eth_parse(const uint8_t *buf, size_t len, struct eth_repr *out);
/** Emit 14 bytes. @return WIRE_ETH_HLEN, or 0 if @p cap is too small. */
size_t wire_eth_emit(uint8_t *buf, size_t cap, const struct eth_repr *r);
bool wire_mac_is_broadcast(const uint8_t mac[6]);
bool wire_mac_is_multicast(const uint8_t mac[6]);  /* includes broadcast */

/* ---- ARP for Ethernet/IPv4 (RFC 826) ---- */
#define WIRE_ARP_LEN 28
#define WIRE_ARP_REQUEST 1
#define WIRE_ARP_REPLY   2

struct arp_repr {
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;   /* host order */
	uint8_t tha[6];
	uint32_t tpa;   /* host order */
};

/** Parse an ARP packet. Accepts only htype 1, ptype 0x0800, hlen 6, plen 4
 *  and op 1 or 2. @return WIRE_ARP_LEN, WIRE_E_TRUNCATED or WIRE_E_FORMAT. */
int wire_arp_parse(const uint8_t *buf, size_t len, struct arp_repr *out);
size_t wire_arp_emit(uint8_t *buf, size_t cap, const struct arp_repr *r);

/* ---- IPv4 (RFC 791) ---- */
#define WIRE_IPV4_HLEN 20
#define WIRE_IP_DF 0x4000
#define WIRE_IP_MF 0x2000
#define WIRE_IP_OFFMASK 0x1fff
#define WIRE_PROTO_ICMP 1
#define WIRE_PROTO_TCP  6
#define WIRE_PROTO_UDP  17

struct ipv4_repr {
	uint8_t hlen;        /* header length in bytes (IHL * 4), 20..60 */
	uint8_t tos;
	uint16_t total_len;  /* header + payload, bytes */
	uint16_t id;
	bool df, mf;
	uint16_t frag_off;   /* fragment offset in bytes (field * 8) */
	uint8_t ttl;
	uint8_t proto;
	uint32_t src;        /* host order */
	uint32_t dst;        /* host order */
};

/** Parse and validate an IPv4 header: version 4, 5 <= IHL, IHL*4 <= len,
 *  IHL*4 <= total length <= len, and (if @p verify_csum) the header checksum.
 *  Bytes beyond total length (Ethernet padding) are allowed and ignored.
 *  @return header length in bytes or a WIRE_E_* code. */
int wire_ipv4_parse(const uint8_t *buf, size_t len, bool verify_csum,
		    struct ipv4_repr *out);
/** Emit a 20-byte header (no options); the checksum is filled in if
 *  @p fill_csum, else left 0 for offload. @return 20, or 0 if cap < 20. */
size_t wire_ipv4_emit(uint8_t *buf, size_t cap, const struct ipv4_repr *r,
		      bool fill_csum);

/* Address classes, host order. */
bool wire_ipv4_is_martian_src(uint32_t a); /* 0/8 (but not 0.0.0.0 itself), 127/8, 224/4 and above */
bool wire_ipv4_is_multicast(uint32_t a);   /* 224/4 */

/* ---- ICMP (RFC 792) ---- */
#define WIRE_ICMP_HLEN 8
#define WIRE_ICMP_ECHO_REPLY 0
#define WIRE_ICMP_UNREACH 3
#define WIRE_ICMP_ECHO 8
#define WIRE_ICMP_TIME_EXCEEDED 11
#define WIRE_ICMP_PARAM_PROBLEM 12
#define WIRE_ICMP_UNREACH_PROTO 2
#define WIRE_ICMP_UNREACH_PORT 3
#define WIRE_ICMP_UNREACH_NEEDFRAG 4

struct icmp_repr {
	uint8_t type;
	uint8_t code;
	uint32_t rest;   /* bytes 4..7 host order: id<<16|seq for echo, mtu for needfrag */
};

/** Parse the 8-byte ICMP header; with @p verify_csum, check the checksum
 *  over all @p len bytes. @return WIRE_ICMP_HLEN or a WIRE_E_* code. */
int wire_icmp_parse(const uint8_t *buf, size_t len, bool verify_csum,
		    struct icmp_repr *out);
/** Emit the 8-byte header with checksum 0; the caller sums the message
 *  (header + payload) and stores it with wire_icmp_set_csum(). */
size_t wire_icmp_emit(uint8_t *buf, size_t cap, const struct icmp_repr *r);
void wire_icmp_set_csum(uint8_t *hdr, uint16_t csum);

/* ---- UDP (RFC 768) ---- */
#define WIRE_UDP_HLEN 8

struct udp_repr {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;    /* header + payload */
	uint16_t csum;   /* as on the wire (network order value); 0 = none */
};

/** Parse the UDP header: 8 <= length field <= @p len (the IP payload length).
 *  Checksum verification needs the pseudo header and is left to the caller
 *  (wire_udp_verify). @return WIRE_UDP_HLEN or a WIRE_E_* code. */
int wire_udp_parse(const uint8_t *buf, size_t len, struct udp_repr *out);
/** Verify the checksum of a contiguous datagram (header + payload of
 *  r->len bytes). A zero checksum field means "none" and passes (RFC 768). */
bool wire_udp_verify(const uint8_t *udp, const struct udp_repr *r,
		     uint32_t src, uint32_t dst);
/** Emit an 8-byte header with checksum field @p csum (network order value). */
size_t wire_udp_emit(uint8_t *buf, size_t cap, const struct udp_repr *r);

/* ---- TCP (RFC 9293 3.1, options RFC 7323, RFC 2018) ---- */
#define WIRE_TCP_HLEN 20
#define WIRE_TCP_MAX_HLEN 60
#define WIRE_TCP_FIN 0x01
#define WIRE_TCP_SYN 0x02
#define WIRE_TCP_RST 0x04
#define WIRE_TCP_PSH 0x08
#define WIRE_TCP_ACK 0x10
#define WIRE_TCP_URG 0x20
#define WIRE_TCP_ECE 0x40
#define WIRE_TCP_CWR 0x80
#define WIRE_TCP_MAX_SACK 4

#define WIRE_TCPOPT_EOL 0
#define WIRE_TCPOPT_NOP 1
#define WIRE_TCPOPT_MSS 2
#define WIRE_TCPOPT_WSCALE 3
#define WIRE_TCPOPT_SACK_PERM 4
#define WIRE_TCPOPT_SACK 5
#define WIRE_TCPOPT_TS 8

struct tcp_sack_block {
	uint32_t start;   /* first sequence number of the block */
	uint32_t end;     /* sequence number just past the block */
};

struct tcp_opts {
	bool has_mss, has_wscale, sack_perm, has_ts;
	uint16_t mss;
	uint8_t wscale;          /* as received; the caller clamps to 14 (RFC 7323 2.3) */
	uint32_t ts_val, ts_ecr;
	uint8_t nsack;           /* SACK blocks present (0..4) */
	struct tcp_sack_block sack[WIRE_TCP_MAX_SACK];
	bool malformed;          /* an option length was 0, 1 or ran past the header:
				  * parsing stopped there, options before it are kept */
};

struct tcp_repr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hlen;            /* header length in bytes (data offset * 4), 20..60 */
	uint8_t flags;           /* WIRE_TCP_* */
	uint16_t win;            /* raw window field (unscaled) */
	uint16_t csum;           /* as on the wire (field value) */
	uint16_t urg;
	struct tcp_opts opt;
};

/**
 * Parse a TCP header and its options. Checks len >= 20 and
 * 20 <= data offset * 4 <= len. Options: EOL ends the list, NOP is
 * skipped, MSS/WSCALE/SACK_PERM/TS/SACK with a wrong length are ignored
 * (not taken), unknown kinds with a sane length are skipped (RFC 9293
 * 3.1), and a length of 0 or 1 or one running past the header stops
 * option parsing with opt.malformed set (the segment itself is kept, as
 * Linux does). Never reads past the header.
 * @return header length in bytes or a WIRE_E_* code. The checksum is
 * not verified here (it needs the pseudo header: wire_tcp_verify).
 */
int wire_tcp_parse(const uint8_t *buf, size_t len, struct tcp_repr *out);
/** Verify the checksum of a contiguous segment of @p len bytes. */
bool wire_tcp_verify(const uint8_t *tcp, size_t len, uint32_t src, uint32_t dst);
/** Bytes of options wire_tcp_emit() will write for @p r (a multiple of 4, <= 40). */
size_t wire_tcp_opts_len(const struct tcp_repr *r);
/**
 * Emit the header and the options present in r->opt, laid out as Linux
 * does so packetdrill scripts match byte for byte:
 *   SYN:  mss, sackOK, TS val ecr, nop, wscale   (sackOK+TS share 12 bytes)
 *         without TS: mss, nop, nop, sackOK, nop, wscale
 *   else: nop, nop, TS val ecr; then nop, nop, sack blocks (as many as fit)
 * The data offset comes from the options; the checksum field is written
 * as r->csum (0 to fill in later). @return header length, 0 if cap is short.
 */
size_t wire_tcp_emit(uint8_t *buf, size_t cap, const struct tcp_repr *r);

#endif

/*
 * Packets of a script on the wire: build the IPv4 packet of an inbound
 * script line, match a packet Tern sent against an outbound script line,
 * and print a packet the way scripts write it. Pure (wire.h underneath, no
 * DPDK): pkt_run.c calls it with frames from the in-memory port, the unit
 * tests with byte arrays.
 *
 * Sequence numbers follow packetdrill: the remote side's ISN is the one the
 * script's SYN (or SYN-ACK) carries, sent as written, and from then on the
 * remote side's numbers in segments without SYN (inbound seq, outbound ack
 * and SACK blocks) are relative to it, so with ISN 0 they read as absolute;
 * Tern's ISN is learned from its first SYN or SYN-ACK, and the local side's
 * numbers (outbound seq, inbound ack and SACK blocks) are shifted by live
 * ISN - script ISN.
 */
#ifndef TERN_PKT_WIRE_H
#define TERN_PKT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt_script.h"

/* The flow under test: addresses and ports as they are live, host order. */
struct pkt_flow {
	uint32_t local_ip, remote_ip;
	uint16_t local_port, remote_port;      /* 0 = not known yet */
	bool local_isn_known;
	uint32_t script_local_isn, live_local_isn;
	bool remote_isn_known;                  /* the script's first inbound SYN */
	uint32_t remote_isn;
	bool ts_known;                          /* last outbound TS val seen */
	uint32_t ts_script_val, ts_live_val;
};

/** Build the IPv4 packet (no Ethernet header) of inbound script packet @p pk
 *  into @p buf. Payload bytes are zero. @return its length, or 0 with
 *  @p err set (unknown port, no room). */
size_t pkt_build_inbound(const struct pkt_packet *pk, const struct pkt_flow *f,
			 uint8_t *buf, size_t cap, char *err, size_t errlen);

/** Inbound script packet @p pk was sent on flow @p f: the first SYN (or
 *  SYN-ACK) gives the remote ISN that later numbers are relative to. */
void pkt_flow_inbound_sent(struct pkt_flow *f, const struct pkt_packet *pk);

/** Match IPv4 packet @p ip (as Tern sent it) against outbound script packet
 *  @p pk. On a match the flow learns what it did not know (local port,
 *  Tern's ISN, TS val). @return true, or false with the reason in @p why. */
bool pkt_match_outbound(const struct pkt_packet *pk, struct pkt_flow *f,
			const uint8_t *ip, size_t len, char *why, size_t whylen);

/** Sequence number (relative to @p f's local ISN), payload length and flags
 *  of IPv4 packet @p ip. @return false if it is not a TCP segment that parses. */
bool pkt_tcp_segment(const uint8_t *ip, size_t len, const struct pkt_flow *f,
		     uint32_t *seq, uint32_t *plen, uint8_t *flags);

/** The bytes [@p off, @p off + @p len) of outbound script packet @p whole as a
 *  packet of their own, the way a GSO/TSO segment of Linux is cut on the wire:
 *  same ack, window and options; FIN only on the last part; PSH as written on
 *  the last part and taken from @p live_flags on the others. */
void pkt_tcp_part(const struct pkt_packet *whole, uint32_t off, uint32_t len,
		  uint8_t live_flags, struct pkt_packet *part);

/** One-line description of IPv4 packet @p ip, in script notation with live
 *  addresses and (for TCP) sequence numbers relative to @p f when known. */
void pkt_describe(const uint8_t *ip, size_t len, const struct pkt_flow *f,
		  char *out, size_t cap);

#endif

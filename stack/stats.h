/*
 * Named counters of the stack: one X-macro list, so every drop reason has a
 * name the apps can print and the tests can assert on (STYLE rule 7).
 * Only the stack core writes them; readers on other threads take a snapshot
 * with tern_stack_stats_read() and may see a torn 64-bit value on 32-bit
 * targets only (we build for 64-bit).
 */
#ifndef TERN_STATS_H
#define TERN_STATS_H

#include <stdint.h>
#include <stdio.h>

/* X(name, description). Names starting with a protocol prefix belong to it. */
#define TERN_STATS_LIST(X) \
	X(rx_frames,            "frames received from the port") \
	X(rx_bytes,             "bytes received from the port") \
	X(tx_frames,            "frames handed to the port") \
	X(tx_bytes,             "bytes handed to the port") \
	X(tx_port_full,         "drop: port refused a frame (tx ring full)") \
	X(nombuf,               "drop: mbuf pool empty") \
	X(eth_runt,             "drop: frame shorter than an Ethernet header") \
	X(eth_bad_ethertype,    "drop: EtherType neither IPv4 nor ARP") \
	X(eth_not_for_us,       "drop: destination MAC neither ours nor broadcast") \
	X(eth_bad_src,          "drop: source MAC multicast/broadcast") \
	X(arp_truncated,        "drop: ARP packet too short") \
	X(arp_bad_format,       "drop: ARP not Ethernet/IPv4 or unknown opcode") \
	X(arp_not_for_us,       "drop: ARP target is not our address") \
	X(arp_bad_sender,       "drop: ARP sender address is martian") \
	X(arp_request_rx,       "ARP requests received for us") \
	X(arp_reply_rx,         "ARP replies received") \
	X(arp_request_tx,       "ARP requests sent") \
	X(arp_reply_tx,         "ARP replies sent") \
	X(arp_gratuitous_tx,    "gratuitous ARPs sent") \
	X(arp_cache_full,       "ARP cache full: an entry was evicted") \
	X(arp_queue_full,       "drop: too many packets waiting for ARP") \
	X(arp_unresolved,       "drop: ARP resolution gave up (EHOSTUNREACH)") \
	X(ip_truncated,         "drop: IPv4 header truncated") \
	X(ip_bad_version,       "drop: IP version is not 4") \
	X(ip_bad_ihl,           "drop: IHL below 5 or beyond the packet") \
	X(ip_bad_len,           "drop: total length below IHL or beyond the frame") \
	X(ip_bad_csum,          "drop: IPv4 header checksum wrong") \
	X(ip_martian_src,       "drop: source address is martian") \
	X(ip_not_for_us,        "drop: destination is not ours") \
	X(ip_unknown_proto,     "drop: protocol not served (ICMP protocol unreachable sent)") \
	X(ip_no_route,          "drop: no route to destination") \
	X(ip_loop_full,         "drop: too many datagrams to ourselves in one poll") \
	X(ip_rx,                "IPv4 datagrams delivered locally") \
	X(ip_tx,                "IPv4 datagrams sent (before fragmentation)") \
	X(frag_rx,              "IPv4 fragments received") \
	X(frag_reassembled,     "datagrams reassembled") \
	X(frag_timeout,         "drop: reassembly timed out") \
	X(frag_overlap,         "drop: fragment overlapped (RFC 1858 / RFC 5722 style)") \
	X(frag_dup,             "drop: fragment duplicated data already held") \
	X(frag_bad,             "drop: impossible fragment (length, offset beyond 65535)") \
	X(frag_mem,             "drop: reassembly memory cap reached") \
	X(frag_tx,              "fragments sent") \
	X(frag_df_drop,         "drop: datagram above MTU with DF set") \
	X(icmp_truncated,       "drop: ICMP message too short") \
	X(icmp_bad_csum,        "drop: ICMP checksum wrong") \
	X(icmp_echo_rx,         "ICMP echo requests received") \
	X(icmp_echo_tx,         "ICMP echo replies sent") \
	X(icmp_unreach_tx,      "ICMP destination unreachable sent") \
	X(icmp_timxceed_tx,     "ICMP time exceeded sent (reassembly timeout)") \
	X(icmp_ratelimited,     "ICMP error not sent: rate limit") \
	X(icmp_error_rx,        "ICMP errors received") \
	X(icmp_ignored,         "ICMP messages of types we do not act on") \
	X(icmp_bcast_ignored,   "drop: ICMP echo to a broadcast address") \
	X(udp_truncated,        "drop: UDP header truncated") \
	X(udp_bad_len,          "drop: UDP length field impossible") \
	X(udp_bad_csum,         "drop: UDP checksum wrong") \
	X(udp_no_port,          "drop: no socket on the port (ICMP port unreachable)") \
	X(udp_rcvbuf_full,      "drop: socket receive buffer full") \
	X(udp_bcast_refused,    "drop: broadcast datagram that no socket takes (no ICMP for broadcasts)") \
	X(udp_rx,               "UDP datagrams delivered to sockets") \
	X(udp_tx,               "UDP datagrams sent") \
	X(udp_tx_dropped,       "drop: outbound datagram of a closed or bad socket") \
	X(tcp_rx,               "TCP segments received") \
	X(tcp_tx,               "TCP segments sent") \
	X(tcp_truncated,        "drop: TCP header truncated") \
	X(tcp_bad_off,          "drop: TCP data offset impossible") \
	X(tcp_bad_csum,         "drop: TCP checksum wrong") \
	X(tcp_bcast,            "drop: TCP to a broadcast/multicast address") \
	X(tcp_no_conn,          "segments for no connection (answered with RST)") \
	X(tcp_rst_tx,           "TCP RSTs sent") \
	X(tcp_rst_rx,           "TCP RSTs accepted") \
	X(tcp_listen_overflow,  "drop: SYN beyond the listen backlog") \
	X(tcp_challenge_ack,    "RFC 5961 challenge ACKs sent") \
	X(tcp_challenge_limited,"RFC 5961 challenge ACKs suppressed by the rate limit") \
	X(tcp_paws_drop,        "drop: PAWS (old timestamp)") \
	X(tcp_out_of_window,    "drop: segment outside the receive window (old duplicates too), answered with an ACK") \
	X(tcp_ooo,              "segments held out of order") \
	X(tcp_ooo_drop,         "drop: out-of-order queue full") \
	X(tcp_rexmt,            "TCP segments retransmitted") \
	X(tcp_fast_rexmt,       "fast retransmits / recoveries entered (dupACKs or SACK loss)") \
	X(tcp_dsack_rx,         "D-SACK blocks received (RFC 2883)") \
	X(tcp_dsack_tx,         "D-SACK blocks sent (RFC 2883)") \
	X(tcp_syncookie_tx,     "SYN-ACKs answered with a SYN cookie (SYN queue full)") \
	X(tcp_syncookie_ok,     "connections completed from a valid SYN cookie") \
	X(tcp_syncookie_bad,    "ACKs to a listener with an invalid cookie (RST)") \
	X(tcp_rto,              "retransmission timeouts") \
	X(tcp_timeout_drop,     "connections dropped by a timeout") \
	X(tcp_persist_probe,    "zero-window probes sent") \
	X(tcp_keepalive_probe,  "keepalive probes sent") \
	X(tcp_tx_dropped,       "drop: data for a closed or reset connection") \
	X(tcp_abort_on_data,    "connections reset: data arrived after close()") \
	X(req_rx,               "socket requests served") \
	X(req_bad,              "drop: malformed socket request")

struct tern_stats {
#define TERN_STATS_FIELD(name, desc) uint64_t name;
	TERN_STATS_LIST(TERN_STATS_FIELD)
#undef TERN_STATS_FIELD
};

/** Number of counters in struct tern_stats. */
#define TERN_STATS_COUNT (sizeof(struct tern_stats) / sizeof(uint64_t))

/** Name of counter @p i (0 <= i < TERN_STATS_COUNT). */
const char *tern_stats_name(unsigned i);
/** Human description of counter @p i. */
const char *tern_stats_desc(unsigned i);
/** Value of counter @p i in @p s. */
uint64_t tern_stats_get(const struct tern_stats *s, unsigned i);
/** Look a counter up by name; returns UINT64_MAX if there is no such name. */
uint64_t tern_stats_by_name(const struct tern_stats *s, const char *name);
/** Print the non-zero counters, one "name value" per line. */
void tern_stats_print(FILE *f, const struct tern_stats *s);

#endif

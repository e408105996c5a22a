#!/bin/bash
# Live TCP test (f): TCP options as the kernel negotiates them. In four
# configurations of the namespace's kernel (everything on; then
# net.ipv4.tcp_sack=0, tcp_timestamps=0, tcp_window_scaling=0 one at a time):
#   - kernel client -> tern-echo: MB_EACH MB each way, SHA-256 verified;
#   - tern-client -> kernel echo server: MB_EACH MB each way, verified;
# and in both the kernel's TCP_INFO (tcpi_options) must show the option off
# (on when enabled). Headers of the first packets are captured, and tshark
# checks Tern's side of the bargain: its SYN-ACK offers only what the
# kernel's SYN did (RFC 2018, RFC 7323), and its segments carry no
# timestamps / SACK blocks that were not negotiated.
#   tcp_options.sh [MB_EACH]
source "$(dirname "$0")/tcp_lib.sh"
MB=${1:-50}
live_init tcp-options
live_ns_create
command -v tcpdump >/dev/null && command -v tshark >/dev/null && HAVE_SHARK=1 || {
	HAVE_SHARK=0
	live_log "no tcpdump/tshark: TCP_INFO checks only"
}

# config name, then sack ts wscale (1 = on)
CONFIGS="all-on:1:1:1 sack-off:0:1:1 timestamps-off:1:0:1 wscale-off:1:1:0"

set_kernel() {
	live_nsexec sysctl -qw net.ipv4.tcp_sack="$1" net.ipv4.tcp_timestamps="$2" \
		net.ipv4.tcp_window_scaling="$3" || live_fail "sysctl in $LIVE_NS"
}

cap_start() {
	# A Tern process that exits takes the TAP down; libpcap wants it up.
	ip -n "$LIVE_NS" link set "$LIVE_TAP" up
	live_bg 120 "$LIVE_TMP/cap-$1.log" tcpdump -n -i "$LIVE_TAP" -s 128 -c 3000 \
		-w "$LIVE_TMP/$1.pcap" tcp
	CAP_PID=$LIVE_BG_PID
	live_wait_for "$LIVE_TMP/cap-$1.log" "listening on" 10 "$CAP_PID" ||
		live_fail "tcpdump did not start"
}

cap_stop() {
	kill -INT "$CAP_PID" 2>/dev/null
	live_reap "$CAP_PID"
}

# shark_count PCAP FILTER: packets matching a display filter.
shark_count() {
	tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l
}

# shark_expect PCAP FILTER WANT(0|pos) WHAT
shark_expect() {
	local n
	n=$(shark_count "$1" "$2")
	if { [ "$3" = 0 ] && [ "$n" -eq 0 ]; } || { [ "$3" = pos ] && [ "$n" -gt 0 ]; }; then
		live_log "  tshark: $4: $n packet(s), as expected"
	else
		live_fail "tshark: $4: $n packet(s), expected ${3/pos/> 0} ($2)"
	fi
}

onoff() { [ "$1" = 1 ] && echo pos || echo 0; }

TERN="ip.src == $LIVE_TERN_IP"
ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 0 --tcp-port 5005 --duration 200
for cfg in $CONFIGS; do
	IFS=: read -r name sack ts ws <<<"$cfg"
	set_kernel "$sack" "$ts" "$ws"
	live_log "[$name] kernel client -> tern-echo, $MB MB each way (sack=$sack ts=$ts wscale=$ws)"
	[ "$HAVE_SHARK" = 1 ] && cap_start "k2t-$name"
	live_run 100 "$LIVE_PY" "$LIVE_KTCP" stream --server "$LIVE_TERN_IP:5005" \
		--bytes $((MB * 1000000)) --max-time 90 \
		--expect-opts "sack=$sack,ts=$ts,wscale=$ws" || live_fail "[$name] kernel -> tern-echo"
	if [ "$HAVE_SHARK" = 1 ]; then
		cap_stop
		P=$LIVE_TMP/k2t-$name.pcap
		SA="$TERN && tcp.flags.syn == 1 && tcp.flags.ack == 1"
		shark_expect "$P" "$SA" pos "Tern's SYN-ACK"
		shark_expect "$P" "$SA && tcp.option_kind == 4" "$(onoff "$sack")" "SYN-ACK with SACK-permitted"
		shark_expect "$P" "$SA && tcp.option_kind == 8" "$(onoff "$ts")" "SYN-ACK with timestamps"
		shark_expect "$P" "$SA && tcp.option_kind == 3" "$(onoff "$ws")" "SYN-ACK with window scale"
		shark_expect "$P" "$TERN && tcp.flags.syn == 0 && tcp.option_kind == 8" "$(onoff "$ts")" \
			"Tern's segments with timestamps"
		[ "$sack" = 0 ] && shark_expect "$P" "$TERN && tcp.option_kind == 5" 0 "Tern's SACK blocks"
	fi
done
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
live_tcp_counters_summary "$ECHO_LOG"
live_tcp_check_counters "$ECHO_LOG"

for cfg in $CONFIGS; do
	IFS=: read -r name sack ts ws <<<"$cfg"
	set_kernel "$sack" "$ts" "$ws"
	live_log "[$name] tern-client -> kernel echo server, $MB MB each way (sack=$sack ts=$ts wscale=$ws)"
	live_bg 100 "$LIVE_TMP/kecho-$name.log" "$LIVE_PY" "$LIVE_KTCP" echo-server \
		--bind "$LIVE_KERNEL_IP:6006" --conns 1 --duration 90 \
		--expect-opts "sack=$sack,ts=$ts,wscale=$ws"
	KECHO=$LIVE_BG_PID
	live_wait_for "$LIVE_TMP/kecho-$name.log" ready 10 "$KECHO" || live_fail "kernel echo server did not start"
	[ "$HAVE_SHARK" = 1 ] && cap_start "t2k-$name"
	CLIENT_LOG=$LIVE_TMP/tern-client-$name.log
	live_tern_start "$CLIENT_LOG" lcore "$LIVE_CLIENT" --server "$LIVE_KERNEL_IP:6006" --tcp \
		--bytes $((MB * 1000000)) --max-time 90
	live_tern_wait
	grep -E '^(tern-client|throughput|connection)' "$CLIENT_LOG"
	[ "$LIVE_TERN_RC" -eq 0 ] || { cat "$CLIENT_LOG"; live_fail "[$name] tern-client: status $LIVE_TERN_RC"; }
	live_reap "$KECHO"
	cat "$LIVE_TMP/kecho-$name.log"
	[ "$LIVE_RC" -eq 0 ] || live_fail "[$name] kernel echo server (TCP_INFO options): status $LIVE_RC"
	if [ "$HAVE_SHARK" = 1 ]; then
		cap_stop
		P=$LIVE_TMP/t2k-$name.pcap
		shark_expect "$P" "$TERN && tcp.flags.syn == 0 && tcp.option_kind == 8" "$(onoff "$ts")" \
			"Tern's segments with timestamps"
		[ "$sack" = 0 ] && shark_expect "$P" "$TERN && tcp.option_kind == 5" 0 "Tern's SACK blocks"
	fi
	live_tcp_counters_summary "$CLIENT_LOG"
	live_tcp_check_counters "$CLIENT_LOG"
done
set_kernel 1 1 1
live_kernel_tcp_stats
live_log "done in $(live_elapsed) s"
live_finish

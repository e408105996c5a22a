#!/bin/bash
# Live test (a): the kernel pings Tern at sizes from 56 bytes to the largest
# an IPv4 datagram holds (fragmented both ways), ARP is answered by Tern (the
# kernel's neighbour entry holds Tern's MAC), and Tern resolves the kernel
# when it sends first (tern-client against a kernel UDP echo server).
source "$(dirname "$0")/lib.sh"
live_init ping
live_ns_create

# Phase 1: the kernel sends first; Tern answers ARP and echo requests.
ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 5005 --duration 120
live_kernel_mac
TERN_MAC=$(sed -n 's/^tern: port [0-9]* ([^)]*) \([0-9a-f:]\{17\}\) .*/\1/p' "$ECHO_LOG")
live_log "Tern's MAC $TERN_MAC, kernel's $LIVE_KERNEL_MAC"
# 65507 is the largest ICMP payload in a 65535-byte IPv4 datagram.
for size in 56 1472 1473 8000 65507; do
	if live_run 60 ping -n -q -c 5 -i 0.2 -W 2 -w 30 -s "$size" "$LIVE_TERN_IP"; then
		live_log "ping -s $size: 5/5 answered"
	else
		live_fail "ping -s $size: not every request answered"
	fi
done
NEIGH=$(ip -n "$LIVE_NS" neigh show "$LIVE_TERN_IP" dev "$LIVE_TAP")
live_log "kernel neighbour entry: $NEIGH"
if [ -z "$TERN_MAC" ]; then
	live_fail "Tern's MAC not found in the tern-echo output"
elif ! echo "$NEIGH" | grep -qi "lladdr $TERN_MAC .*\(REACHABLE\|STALE\|DELAY\|PROBE\)"; then
	live_fail "the kernel did not learn Tern's MAC $TERN_MAC for $LIVE_TERN_IP"
fi
live_tern_stop
live_check_counters "$ECHO_LOG"
live_expect_positive "$ECHO_LOG" arp_request_rx
live_expect_positive "$ECHO_LOG" arp_reply_tx
live_expect_positive "$ECHO_LOG" frag_reassembled
live_expect_positive "$ECHO_LOG" frag_tx
ECHOES=$(live_counter "$ECHO_LOG" icmp_echo_tx)
[ "$ECHOES" -ge 25 ] || live_fail "icmp_echo_tx = $ECHOES, expected >= 25"

# Phase 2: Tern sends first, so it has to ARP for the kernel.
ip -n "$LIVE_NS" neigh flush dev "$LIVE_TAP"
live_bg 60 "$LIVE_TMP/kecho.log" "$LIVE_PY" "$LIVE_KUDP" echo-server \
	--bind "$LIVE_KERNEL_IP:6006" --duration 50
KECHO=$LIVE_BG_PID
live_wait_for "$LIVE_TMP/kecho.log" ready 10 "$KECHO" || live_fail "kernel echo server did not start"
CLIENT_LOG=$LIVE_TMP/tern-client.log
live_tern_start "$CLIENT_LOG" lcore "$LIVE_CLIENT" --server "$LIVE_KERNEL_IP:6006" \
	--count 200 --size 64
live_tern_wait
grep '^tern-client\|^round trip' "$CLIENT_LOG"
[ "$LIVE_TERN_RC" -eq 0 ] || live_fail "tern-client exit status $LIVE_TERN_RC"
live_check_counters "$CLIENT_LOG"
live_expect_positive "$CLIENT_LOG" arp_request_tx
live_expect_positive "$CLIENT_LOG" arp_reply_rx
live_finish

#!/bin/bash
# Live TCP test (b): Tern -> kernel. tern-client --tcp streams BYTES (default
# 1 GiB) to a kernel echo server (Python, selectors) in the namespace and
# checks every echoed byte against the pattern it sent (fails after 240 s);
# then 64-byte request/response round trips on one and on 8 connections.
# Throughput and round trips are printed, never asserted.
#   tcp_bulk_t2k.sh [lcore|inline] [BYTES]
source "$(dirname "$0")/tcp_lib.sh"
MODE=${1:-lcore}
BYTES=${2:-1g}
live_init "tcp-t2k-$MODE"
live_ns_create

live_bg 330 "$LIVE_TMP/kecho.log" "$LIVE_PY" "$LIVE_KTCP" echo-server \
	--bind "$LIVE_KERNEL_IP:6006" --conns 10 --duration 320 --verbose
KECHO=$LIVE_BG_PID
live_wait_for "$LIVE_TMP/kecho.log" ready 10 "$KECHO" || live_fail "kernel echo server did not start"

# $1 name, rest: tern-client's TCP options.
run_client() {
	local name=$1 log=$LIVE_TMP/tern-client-$1.log
	shift
	live_tern_start "$log" "$MODE" "$LIVE_CLIENT" --server "$LIVE_KERNEL_IP:6006" --tcp "$@"
	live_tern_wait
	grep -E '^(tern-client|throughput|request|round trip|connect|connection)' "$log"
	[ "$LIVE_TERN_RC" -eq 0 ] || { cat "$log"; live_fail "tern-client $name: exit status $LIVE_TERN_RC"; }
	live_tcp_counters_summary "$log"
	live_tcp_check_counters "$log"
}
live_log "tern-client ($MODE): $BYTES bytes streamed and verified"
run_client bulk --bytes "$BYTES" --max-time 240
live_log "tern-client ($MODE): 64-byte round trips, one connection"
run_client rr1 --rr 64 --count 5000 --max-time 60
live_log "tern-client ($MODE): 64-byte round trips, 8 connections"
run_client rr8 --rr 64 --count 2000 --conns 8 --max-time 60
live_reap "$KECHO"
cat "$LIVE_TMP/kecho.log"
[ "$LIVE_RC" -eq 0 ] || live_fail "kernel echo server: status $LIVE_RC"
live_kernel_tcp_stats
live_log "done in $(live_elapsed) s"
live_finish

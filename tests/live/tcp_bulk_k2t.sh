#!/bin/bash
# Live TCP test (a): kernel -> Tern. A Python client streams BYTES (default
# 1 GiB) to tern-echo over one connection while reading the echo back, and
# compares the SHA-256 of what it sent with that of what came back. Fails
# after 240 s; throughput is printed, never asserted.
#   tcp_bulk_k2t.sh [lcore|inline] [BYTES]
source "$(dirname "$0")/tcp_lib.sh"
MODE=${1:-lcore}
BYTES=${2:-1073741824}
live_init "tcp-k2t-$MODE"
live_ns_create

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" "$MODE" --udp-port 0 --tcp-port 5005 --duration 300
live_log "kernel client: $BYTES bytes through tern-echo ($MODE), SHA-256 both ways"
live_run 270 "$LIVE_PY" "$LIVE_KTCP" stream --server "$LIVE_TERN_IP:5005" \
	--bytes "$BYTES" --max-time 240 --expect-opts sack=1,ts=1,wscale=1 ||
	live_fail "stream through tern-echo ($MODE)"
live_kernel_tcp_stats
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
live_tcp_counters_summary "$ECHO_LOG"
live_tcp_check_counters "$ECHO_LOG"
live_log "done in $(live_elapsed) s"
live_finish

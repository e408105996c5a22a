#!/bin/bash
# Live test (c): tern-client on Tern sends 10,000 datagrams of 8..8000 bytes
# to a kernel UDP echo server in the namespace and checks every echo.
source "$(dirname "$0")/lib.sh"
live_init client
live_ns_create

live_bg 200 "$LIVE_TMP/kecho.log" "$LIVE_PY" "$LIVE_KUDP" echo-server \
	--bind "$LIVE_KERNEL_IP:6006" --duration 190
KECHO=$LIVE_BG_PID
live_wait_for "$LIVE_TMP/kecho.log" ready 10 "$KECHO" || live_fail "kernel echo server did not start"
CLIENT_LOG=$LIVE_TMP/tern-client.log
live_tern_start "$CLIENT_LOG" lcore "$LIVE_CLIENT" --server "$LIVE_KERNEL_IP:6006" \
	--count 10000 --sizes 8-8000
live_tern_wait
grep '^tern-client\|^round trip' "$CLIENT_LOG"
[ "$LIVE_TERN_RC" -eq 0 ] || { cat "$CLIENT_LOG"; live_fail "tern-client exit status $LIVE_TERN_RC"; }
live_check_counters "$CLIENT_LOG"
live_finish

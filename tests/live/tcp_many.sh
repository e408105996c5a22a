#!/bin/bash
# Live TCP test (c): 1,000 concurrent connections from a kernel client
# (tern-client --kernel --tcp, non-blocking sockets in one loop) to tern-echo:
# every connection is established before any sends, then each streams 8 KiB
# and checks its echo byte for byte; tern-echo must have held all 1,000 at
# once. Then the other way: Tern opens 256 connections at once to a kernel
# echo server and does the same with 16 KiB each.
source "$(dirname "$0")/tcp_lib.sh"
CONNS=1000
live_init tcp-many
live_ns_create

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 0 --tcp-port 5005 --duration 200
live_log "kernel client: $CONNS connections to tern-echo, all open, then 8 KiB each"
live_run 120 "$LIVE_CLIENT" --kernel --tcp --server "$LIVE_TERN_IP:5005" --conns "$CONNS" \
	--bytes 8k --all-open --max-time 90 || live_fail "$CONNS kernel connections to tern-echo"
live_kernel_tcp_stats
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
grep -q "^tern-echo: .* $CONNS TCP connections ($CONNS at once), $((CONNS * 8192)) TCP bytes" \
	"$ECHO_LOG" || live_fail "tern-echo did not serve $CONNS connections at once"
live_tcp_counters_summary "$ECHO_LOG"
live_tcp_check_counters "$ECHO_LOG"

live_log "tern-client: 256 connections to a kernel echo server, all open, then 16 KiB each"
live_bg 130 "$LIVE_TMP/kecho.log" "$LIVE_PY" "$LIVE_KTCP" echo-server \
	--bind "$LIVE_KERNEL_IP:6006" --conns 256 --duration 120
KECHO=$LIVE_BG_PID
live_wait_for "$LIVE_TMP/kecho.log" ready 10 "$KECHO" || live_fail "kernel echo server did not start"
CLIENT_LOG=$LIVE_TMP/tern-client.log
live_tern_start "$CLIENT_LOG" lcore "$LIVE_CLIENT" --server "$LIVE_KERNEL_IP:6006" --tcp \
	--conns 256 --bytes 16k --all-open --max-time 90
live_tern_wait
grep -E '^(tern-client|throughput|connect|connection)' "$CLIENT_LOG"
[ "$LIVE_TERN_RC" -eq 0 ] || { cat "$CLIENT_LOG"; live_fail "tern-client: exit status $LIVE_TERN_RC"; }
live_reap "$KECHO"
cat "$LIVE_TMP/kecho.log"
[ "$LIVE_RC" -eq 0 ] || live_fail "kernel echo server: status $LIVE_RC"
live_tcp_counters_summary "$CLIENT_LOG"
live_tcp_check_counters "$CLIENT_LOG"
live_log "done in $(live_elapsed) s"
live_finish

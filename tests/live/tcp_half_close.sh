#!/bin/bash
# Live TCP test (d): half-close both ways. A kernel client sends 1, 65,536
# and 200,000 bytes to tern-echo, shutdown(SHUT_WR), and must then read the
# whole echo and EOF (Tern keeps sending after our FIN, then closes). These
# sizes fit the buffers, as this client reads only after its FIN; 20 MB go
# through the streaming client (reads while it sends, SHUT_WR at the end).
# Then Tern's client does the same against a kernel echo server:
# 4 connections send 1 MiB each, shutdown(SHUT_WR), verify the echo, EOF.
source "$(dirname "$0")/tcp_lib.sh"
live_init tcp-half-close
live_ns_create

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 0 --tcp-port 5005 --duration 100
for bytes in 1 65536 200000; do
	live_log "kernel client: $bytes bytes, SHUT_WR, whole echo, EOF"
	live_run 30 "$LIVE_PY" "$LIVE_KTCP" half-close --server "$LIVE_TERN_IP:5005" \
		--bytes "$bytes" || live_fail "kernel half-close against tern-echo ($bytes bytes)"
done
live_log "kernel client: stream 20 MB, SHUT_WR after the last byte, SHA-256, EOF"
live_run 60 "$LIVE_PY" "$LIVE_KTCP" stream --server "$LIVE_TERN_IP:5005" --bytes 20000000 \
	--shutdown --max-time 50 || live_fail "stream with SHUT_WR against tern-echo"
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
live_tcp_counters_summary "$ECHO_LOG"
live_tcp_check_counters "$ECHO_LOG"

live_log "tern-client: 4 connections, 1 MiB each, SHUT_WR, verified echo, EOF"
live_bg 70 "$LIVE_TMP/kecho.log" "$LIVE_PY" "$LIVE_KTCP" echo-server \
	--bind "$LIVE_KERNEL_IP:6006" --conns 4 --duration 60
KECHO=$LIVE_BG_PID
live_wait_for "$LIVE_TMP/kecho.log" ready 10 "$KECHO" || live_fail "kernel echo server did not start"
CLIENT_LOG=$LIVE_TMP/tern-client.log
live_tern_start "$CLIENT_LOG" lcore "$LIVE_CLIENT" --server "$LIVE_KERNEL_IP:6006" --tcp \
	--conns 4 --bytes 1m --half-close --max-time 50
live_tern_wait
grep -E '^(tern-client|throughput|connection)' "$CLIENT_LOG"
[ "$LIVE_TERN_RC" -eq 0 ] || { cat "$CLIENT_LOG"; live_fail "tern-client --half-close: exit status $LIVE_TERN_RC"; }
live_reap "$KECHO"
cat "$LIVE_TMP/kecho.log"
[ "$LIVE_RC" -eq 0 ] || live_fail "kernel echo server: status $LIVE_RC"
live_tcp_counters_summary "$CLIENT_LOG"
live_tcp_check_counters "$CLIENT_LOG"
live_log "done in $(live_elapsed) s"
live_finish

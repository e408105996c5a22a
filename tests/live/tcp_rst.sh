#!/bin/bash
# Live TCP test (e): resets. (1) A kernel client closes echo connections with
# SO_LINGER 0 (RST), once idle and once with the echo in flight: tern-echo
# survives (a stream through it still verifies) and counts tcp_rst_rx.
# (2) connect() to a port where Tern has no listener: ConnectionRefusedError
# (Tern answers the SYN with RST). (3) Tern's close() with unread data resets
# the peer: a kernel server sends 4 KiB, tern-client --close-unread closes on
# it, the kernel's recv() raises ConnectionResetError.
source "$(dirname "$0")/tcp_lib.sh"
live_init tcp-rst
live_ns_create

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 0 --tcp-port 5005 --duration 100
live_log "kernel client: two echo connections closed with SO_LINGER 0"
live_run 30 "$LIVE_PY" "$LIVE_KTCP" linger-rst --server "$LIVE_TERN_IP:5005" ||
	live_fail "linger-rst"
live_log "kernel client: connect to port 5006 (no listener)"
live_run 30 "$LIVE_PY" "$LIVE_KTCP" refused --server "$LIVE_TERN_IP:5006" ||
	live_fail "connect to a closed Tern port was not refused"
live_log "tern-echo still serves: 10 MB stream"
live_run 60 "$LIVE_PY" "$LIVE_KTCP" stream --server "$LIVE_TERN_IP:5005" --bytes 10000000 \
	--max-time 50 || live_fail "tern-echo did not survive the resets"
live_kernel_tcp_stats
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
live_tcp_counters_summary "$ECHO_LOG"
# The RST with the echo in flight leaves tern-echo's queued bytes without a
# connection: tcp_tx_dropped may count them here, and only here.
LIVE_TCP_BAD_COUNTERS="tcp_bad_csum" live_tcp_check_counters "$ECHO_LOG"
live_log "tcp_tx_dropped = $(live_counter "$ECHO_LOG" tcp_tx_dropped) (bytes/segments of reset connections)"
v=$(live_counter "$ECHO_LOG" tcp_rst_rx)
[ "$v" -ge 2 ] 2>/dev/null && live_log "tcp_rst_rx = $v (>= 2, as expected)" ||
	live_fail "tcp_rst_rx = $v, expected >= 2 (two SO_LINGER 0 closes)"
v=$(live_counter "$ECHO_LOG" tcp_no_conn)
[ "$v" -ge 1 ] 2>/dev/null && live_log "tcp_no_conn = $v (the refused SYN)" ||
	live_fail "tcp_no_conn = $v, expected >= 1 (the SYN to port 5006)"

live_log "Tern closes with unread data: the kernel peer must see ConnectionResetError"
live_bg 40 "$LIVE_TMP/kserver.log" "$LIVE_PY" "$LIVE_KTCP" reset-server \
	--bind "$LIVE_KERNEL_IP:6007" --bytes 4096 --wait 20
KSERVER=$LIVE_BG_PID
live_wait_for "$LIVE_TMP/kserver.log" ready 10 "$KSERVER" || live_fail "kernel server did not start"
CLIENT_LOG=$LIVE_TMP/tern-client.log
live_tern_start "$CLIENT_LOG" lcore "$LIVE_CLIENT" --server "$LIVE_KERNEL_IP:6007" --tcp \
	--close-unread --max-time 20
live_tern_wait
grep -E '^(tern-client|connection)' "$CLIENT_LOG"
[ "$LIVE_TERN_RC" -eq 0 ] || { cat "$CLIENT_LOG"; live_fail "tern-client --close-unread: status $LIVE_TERN_RC"; }
live_reap "$KSERVER"
cat "$LIVE_TMP/kserver.log"
[ "$LIVE_RC" -eq 0 ] || live_fail "the kernel peer was not reset by Tern's close with unread data"
live_tcp_counters_summary "$CLIENT_LOG"
live_tcp_check_counters "$CLIENT_LOG"
live_expect_positive "$CLIENT_LOG" tcp_rst_tx
live_log "done in $(live_elapsed) s"
live_finish

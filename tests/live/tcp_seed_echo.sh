#!/bin/bash
# Live TCP test (g): the socket module's TCP echo client example
# (../shared/seeds/: socket, connect, send, recv(256), print 'Received')
# against tern-echo.
source "$(dirname "$0")/tcp_lib.sh"
live_init tcp-seed
live_ns_create

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 0 --tcp-port 5005 --duration 60
OUT=$(live_nsexec timeout 20 "$LIVE_PY" "$LIVE_KTCP" seed-echo --server "$LIVE_TERN_IP:5005")
RC=$?
echo "$OUT"
[ "$RC" -eq 0 ] && echo "$OUT" | grep -q "^Received b'Hello, world'" ||
	live_fail "the echo example did not print the echoed data"
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
live_tcp_check_counters "$ECHO_LOG"
live_log "done in $(live_elapsed) s"
live_finish

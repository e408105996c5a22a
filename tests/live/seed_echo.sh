#!/bin/bash
# Live test (f): the socket module's echo example (../shared/seeds/), adapted
# to UDP: a Python client does sendto/recvfrom against tern-echo.
source "$(dirname "$0")/lib.sh"
live_init seed
live_ns_create

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 5005 --duration 60
OUT=$(live_nsexec timeout 20 "$LIVE_PY" "$LIVE_KUDP" seed-echo --server "$LIVE_TERN_IP:5005")
RC=$?
echo "$OUT"
[ "$RC" -eq 0 ] && echo "$OUT" | grep -q "^Received b'Hello, world'" ||
	live_fail "the echo example did not print the echoed data"
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
live_check_counters "$ECHO_LOG"
live_finish

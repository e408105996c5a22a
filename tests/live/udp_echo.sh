#!/bin/bash
# Live test (b): a kernel client (Python's socket module) sends COUNT
# datagrams of mixed sizes 1..8000 bytes to tern-echo, up to 32 in flight,
# and checks every echo byte for byte: no loss, no corruption; then 2,000
# datagrams of 64 bytes one at a time. Throughput and round trips are
# printed, never asserted.
#   udp_echo.sh [lcore|inline] [COUNT] [tern-echo options, e.g. --no-offload]
source "$(dirname "$0")/lib.sh"
MODE=${1:-lcore}
COUNT=${2:-100000}
shift $(($# < 2 ? $# : 2))
live_init "echo-$MODE${1:+-x}"
live_ns_create

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" "$MODE" --udp-port 5005 --duration 360 "$@"
live_log "kernel client: $COUNT datagrams, sizes 1..8000, window 32 / 64 KiB"
if ! live_run 330 "$LIVE_PY" "$LIVE_KUDP" echo-client \
	--server "$LIVE_TERN_IP:5005" --count "$COUNT" --min 1 --max 8000 \
	--window 32 --window-bytes 65536 --max-time 300; then
	live_fail "echo client (tern-echo --mode $MODE $*)"
fi
live_log "kernel client: 2000 datagrams of 64 bytes, one in flight (round trips)"
live_run 120 "$LIVE_PY" "$LIVE_KUDP" echo-client --server "$LIVE_TERN_IP:5005" \
	--count 2000 --min 64 --max 64 --window 1 --seed 2 ||
	live_fail "ping-pong echo client (tern-echo --mode $MODE $*)"
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
live_check_counters "$ECHO_LOG"
for c in udp_rcvbuf_full udp_tx_dropped frag_timeout frag_mem; do
	v=$(live_counter "$ECHO_LOG" "$c")
	[ "$v" = 0 ] || live_fail "counter $c = $v on a lossless run"
done
live_finish

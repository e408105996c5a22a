#!/bin/bash
# Live test (d): broadcast both ways. Tern -> kernel: without SO_BROADCAST
# sendto('<broadcast>') and the subnet broadcast fail with EACCES and nothing
# leaves; with it both reach the kernel (which acks by unicast). Kernel ->
# Tern: a socket bound to ('', port) receives the subnet and the limited
# broadcast, with and without SO_BROADCAST (Linux needs it only to send).
source "$(dirname "$0")/lib.sh"
live_init bcast
live_ns_create

# Tern sends; $1 = expected datagrams at the kernel, rest: udptool options.
tern_sends() {
	local expect=$1 tag=$2
	shift 2
	live_bg 40 "$LIVE_TMP/krecv-$tag.log" "$LIVE_PY" "$LIVE_KUDP" bcast-recv \
		--port 7007 --expect "$expect" --wait $((expect ? 30 : 6))
	local recv=$LIVE_BG_PID
	live_wait_for "$LIVE_TMP/krecv-$tag.log" ready 10 "$recv" || live_fail "kernel receiver did not start"
	live_tern_start "$LIVE_TMP/udptool-$tag.log" lcore "$LIVE_UDPTOOL" --send-broadcast 7007 "$@"
	live_tern_wait
	grep -v '^EAL\|qdisc\|eth_dev_tap\|TELEMETRY' "$LIVE_TMP/udptool-$tag.log" | sed '/^--- stack/,$d'
	[ "$LIVE_TERN_RC" -eq 0 ] || live_fail "tern-udptool --send-broadcast $* (status $LIVE_TERN_RC)"
	live_reap "$recv"
	cat "$LIVE_TMP/krecv-$tag.log"
	[ "$LIVE_RC" -eq 0 ] || live_fail "kernel receiver ($tag)"
	live_check_counters "$LIVE_TMP/udptool-$tag.log"
}

# The kernel sends; rest: udptool options.
kernel_sends() {
	local tag=$1
	shift
	local log=$LIVE_TMP/udptool-$tag.log
	live_tern_start "$log" lcore "$LIVE_UDPTOOL" --recv-broadcast 7008 --timeout 20 "$@"
	local tool=$LIVE_TERN_PID
	if live_wait_for "$log" '^ready' 30 "$tool"; then
		live_run 20 "$LIVE_PY" "$LIVE_KUDP" bcast-send --port 7008 ||
			live_fail "kernel sender ($tag)"
	else
		live_fail "tern-udptool --recv-broadcast did not get ready"
	fi
	live_tern_wait
	grep -v '^EAL\|qdisc\|eth_dev_tap\|TELEMETRY' "$log" | sed '/^--- stack/,$d'
	[ "$LIVE_TERN_RC" -eq 0 ] || live_fail "tern-udptool --recv-broadcast $* (status $LIVE_TERN_RC)"
	live_check_counters "$log"
}

live_log "Tern -> kernel, no SO_BROADCAST: EACCES, nothing on the wire"
tern_sends 0 send-nobcast
[ "$(live_counter "$LIVE_TMP/udptool-send-nobcast.log" udp_tx)" = 0 ] ||
	live_fail "Tern sent UDP without SO_BROADCAST"
live_log "Tern -> kernel, SO_BROADCAST: both broadcasts received"
tern_sends 2 send-bcast --so-broadcast
live_log "kernel -> Tern, socket without SO_BROADCAST"
kernel_sends recv-nobcast
live_log "kernel -> Tern, socket with SO_BROADCAST"
kernel_sends recv-bcast --so-broadcast
live_finish

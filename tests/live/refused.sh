#!/bin/bash
# Live test (e): ICMP port unreachable both ways. The kernel's connected UDP
# socket to a closed Tern port gets ConnectionRefusedError from Tern's ICMP
# error; Tern's connected socket to a closed kernel port gets ECONNREFUSED.
source "$(dirname "$0")/lib.sh"
live_init refused
live_ns_create

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 5005 --duration 60
live_run 20 "$LIVE_PY" "$LIVE_KUDP" refused --server "$LIVE_TERN_IP:5999" ||
	live_fail "kernel client did not see ConnectionRefusedError"
live_tern_stop
live_check_counters "$ECHO_LOG"
live_expect_positive "$ECHO_LOG" udp_no_port
live_expect_positive "$ECHO_LOG" icmp_unreach_tx

TOOL_LOG=$LIVE_TMP/udptool.log
live_tern_start "$TOOL_LOG" lcore "$LIVE_UDPTOOL" --connected-refused "$LIVE_KERNEL_IP:5998" --timeout 3
live_tern_wait
grep -v '^EAL\|qdisc\|eth_dev_tap\|TELEMETRY' "$TOOL_LOG" | sed '/^--- stack/,$d'
[ "$LIVE_TERN_RC" -eq 0 ] || live_fail "tern-udptool --connected-refused (status $LIVE_TERN_RC)"
live_check_counters "$TOOL_LOG"
live_expect_positive "$TOOL_LOG" icmp_error_rx
live_finish

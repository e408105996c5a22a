#!/bin/bash
# Live TCP test (h): what Tern puts on the wire, seen by tcpdump and tshark.
# tcpdump -w on the namespace's TAP captures whole frames while a kernel
# client streams MB MB through tern-echo and tern-client streams MB MB
# through a kernel echo server. tshark, with checksum validation on, must
# find no bad TCP or IPv4 checksum (0xffff for a computed 0x0000 is the same
# value, -0, and only counted); its tcp.analysis.flags are listed by
# message and sender, and those that mean loss or misbehaviour on a lossless
# link (retransmission, out-of-order, lost segment, ACKed unseen) fail when
# they come from Tern, unless the kernel's TAP counters show that it dropped
# frames. The kernel's nstat must show no TcpInErrs / TcpInCsumErrors.
#   tcp_capture.sh [MB]
source "$(dirname "$0")/tcp_lib.sh"
MB=${1:-20}
live_init tcp-capture
command -v tcpdump >/dev/null && command -v tshark >/dev/null ||
	{ echo "SKIP: tcpdump and tshark are needed"; exit 77; }
live_ns_create

PCAP=$LIVE_TMP/tcp.pcap
ip -n "$LIVE_NS" link set "$LIVE_TAP" up
live_bg 200 "$LIVE_TMP/tcpdump.log" tcpdump -n -i "$LIVE_TAP" -s 0 -B 65536 -w "$PCAP" tcp
CAP_PID=$LIVE_BG_PID
live_wait_for "$LIVE_TMP/tcpdump.log" "listening on" 10 "$CAP_PID" || live_fail "tcpdump did not start"

ECHO_LOG=$LIVE_TMP/tern-echo.log
live_echo_start "$ECHO_LOG" lcore --udp-port 0 --tcp-port 5005 --duration 100
live_log "kernel client -> tern-echo: $MB MB each way"
live_run 100 "$LIVE_PY" "$LIVE_KTCP" stream --server "$LIVE_TERN_IP:5005" \
	--bytes $((MB * 1000000)) --shutdown --max-time 90 || live_fail "kernel -> tern-echo"
live_tern_stop
grep '^tern-echo:' "$ECHO_LOG"
live_tcp_counters_summary "$ECHO_LOG"
live_tcp_check_counters "$ECHO_LOG"

live_bg 100 "$LIVE_TMP/kecho.log" "$LIVE_PY" "$LIVE_KTCP" echo-server \
	--bind "$LIVE_KERNEL_IP:6006" --conns 2 --duration 90
KECHO=$LIVE_BG_PID
live_wait_for "$LIVE_TMP/kecho.log" ready 10 "$KECHO" || live_fail "kernel echo server did not start"
live_log "tern-client -> kernel echo server: 2 connections, $MB MB each way in all"
CLIENT_LOG=$LIVE_TMP/tern-client.log
live_tern_start "$CLIENT_LOG" lcore "$LIVE_CLIENT" --server "$LIVE_KERNEL_IP:6006" --tcp \
	--conns 2 --bytes $((MB * 500000)) --half-close --max-time 90
live_tern_wait
grep -E '^(tern-client|throughput|connection)' "$CLIENT_LOG"
[ "$LIVE_TERN_RC" -eq 0 ] || { cat "$CLIENT_LOG"; live_fail "tern-client: status $LIVE_TERN_RC"; }
live_reap "$KECHO"
[ "$LIVE_RC" -eq 0 ] || { cat "$LIVE_TMP/kecho.log"; live_fail "kernel echo server: status $LIVE_RC"; }
live_tcp_counters_summary "$CLIENT_LOG"
live_tcp_check_counters "$CLIENT_LOG"
sleep 0.5
kill -INT "$CAP_PID" 2>/dev/null
live_reap "$CAP_PID"
grep -E "captured|dropped" "$LIVE_TMP/tcpdump.log"
live_kernel_tcp_stats
TAP_DROPS=$(ip -n "$LIVE_NS" -s -j link show "$LIVE_TAP" | "$LIVE_PY" -c \
	'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print(s["tx"]["dropped"] + s["rx"]["dropped"])')

for c in TcpInErrs TcpInCsumErrors; do
	v=$(live_nstat "$c")
	[ "$v" = 0 ] || live_fail "kernel nstat $c = $v"
done

SHARK=(tshark -n -r "$PCAP" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE)
live_log "tshark: $("${SHARK[@]}" 2>/dev/null | wc -l) TCP frames captured"
for who in "$LIVE_TERN_IP:Tern" "$LIVE_KERNEL_IP:kernel"; do
	ip=${who%%:*}
	name=${who#*:}
	# 0xffff where 0x0000 is computed is the same number in one's complement
	# (-0): receivers accept it (RFC 1624 3), Wireshark flags it. DPDK's
	# net_tap writes it when it completes an offloaded checksum of 0, and the
	# kernel sends it too; about one frame in 65,536 either way.
	neg0=$("${SHARK[@]}" -Y "ip.src == $ip && tcp.checksum == 0xffff && tcp.checksum_calculated == 0x0000" \
		2>/dev/null | wc -l)
	bad_tcp=$("${SHARK[@]}" -Y "ip.src == $ip && tcp.checksum.status == \"Bad\" &&
		!(tcp.checksum == 0xffff && tcp.checksum_calculated == 0x0000)" 2>/dev/null | wc -l)
	bad_ip=$("${SHARK[@]}" -Y "ip.src == $ip && ip.checksum.status == \"Bad\"" 2>/dev/null | wc -l)
	unv=$("${SHARK[@]}" -Y "ip.src == $ip && tcp.checksum.status == \"Unverified\"" 2>/dev/null | wc -l)
	live_log "tshark: from $name: bad TCP checksums $bad_tcp, bad IPv4 checksums $bad_ip," \
		"unverified $unv; 0xffff for 0x0000 (valid -0, flagged by Wireshark) $neg0"
	if [ "$bad_tcp" != 0 ] || [ "$bad_ip" != 0 ]; then
		live_fail "bad checksums in frames from $name"
		# The evidence: each bad frame's fields and bytes.
		"${SHARK[@]}" -Y "ip.src == $ip && (tcp.checksum.status == \"Bad\" ||
			ip.checksum.status == \"Bad\")" -T fields -E header=y -e frame.number \
			-e frame.time_relative -e frame.len -e ip.len -e ip.id -e tcp.srcport \
			-e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e tcp.flags.str \
			-e tcp.window_size_value -e tcp.checksum -e tcp.checksum_calculated 2>/dev/null | head -20
		"${SHARK[@]}" -Y "ip.src == $ip && tcp.checksum.status == \"Bad\"" -x 2>/dev/null |
			head -30
		if [ -n "${LIVE_KEEP_PCAP:-}" ]; then
			cp "$PCAP" "$LIVE_KEEP_PCAP" && live_log "capture kept as $LIVE_KEEP_PCAP"
		fi
	fi
done
live_log "tshark: tcp.analysis.flags (count, sender, message):"
"${SHARK[@]}" -Y tcp.analysis.flags -T fields -e ip.src -e _ws.expert.message 2>/dev/null |
	sed 's/,Connection.*//' | sort | uniq -c | sort -rn | tee "$LIVE_TMP/flags.txt"
# Loss and misbehaviour by Tern on a lossless link are failures; flow-control
# notes (window full / update / zero window and its probes) are not.
BAD=$(grep -E "$LIVE_TERN_IP[[:space:]].*(retransmission|Out-Of-Order|Previous segment|ACKed segment that wasn't captured|Spurious|suspected)" \
	"$LIVE_TMP/flags.txt" | awk '{ s += $1 } END { print s + 0 }')
if [ "$BAD" -gt 0 ]; then
	if [ "$TAP_DROPS" -gt 0 ]; then
		live_log "$BAD loss-related flag(s) on Tern's frames, with $TAP_DROPS frames dropped at the TAP"
	else
		live_fail "$BAD loss-related flag(s) on Tern's frames on a link that dropped nothing"
	fi
fi
live_log "done in $(live_elapsed) s"
live_finish

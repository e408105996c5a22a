# TCP additions to lib.sh for the live TCP tests (tcp_*.sh): the kernel-side
# Python peers, and the counters that must stay zero on a clean TCP run.
#   live_tcp_check_counters LOG   live_check_counters plus the TCP drops
#   live_tcp_counters_summary LOG one line of the TCP counters worth seeing
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIVE_KTCP="$LIVE_DIR/kernel_tcp.py"
LIVE_TCP_BAD_COUNTERS="tcp_bad_csum tcp_tx_dropped"

live_tcp_check_counters() {
	local log=$1 c v
	live_check_counters "$log"
	for c in $LIVE_TCP_BAD_COUNTERS; do
		v=$(live_counter "$log" "$c")
		[ "$v" = 0 ] || live_fail "counter $c = $v in $(basename "$log")"
	done
}

live_tcp_counters_summary() {
	local log=$1 c out=""
	for c in tcp_rx tcp_tx tcp_rexmt tcp_fast_rexmt tcp_rto tcp_ooo tcp_out_of_window \
		tcp_rst_rx tcp_rst_tx tcp_no_conn tcp_persist_probe; do
		out="$out $c=$(live_counter "$log" "$c")"
	done
	live_log "TCP counters:$out"
}

# Seconds since the test began, for the report.
live_elapsed() {
	echo "$SECONDS"
}

# The kernel's view (namespace-wide): retransmissions, drops and errors from
# nstat, and the TAP's queue drops (kernel -> Tern packets that Tern did not
# take in time). Printed, not asserted: a TAP queue overflow is the host's.
live_kernel_tcp_stats() {
	local pat='TcpInErrs|TcpInCsumErrors|TcpRetransSegs|TcpOutRsts|TcpEstabResets'
	pat="$pat|TcpExtTCPAbortOn|TcpExtTCPTimeouts|TcpExtTCPLossProbes|TcpExtTCPFastRetrans"
	pat="$pat|TcpExtTCPSpuriousRTOs|TcpExtTCPDSACK|TcpExtTCPOFOQueue|TcpExtTCPRcvQDrop"
	pat="$pat|TcpExtTCPZeroWindowDrop|TcpExtListenDrops|TcpExtListenOverflows|TcpExtPAWS"
	pat="$pat|TcpExtTCPACKSkipped|TcpExtTCPWinProbe|TcpExtTCPToZeroWindowAdv"
	live_log "kernel nstat (non-zero):" \
		"$(live_nsexec env NSTAT_HISTORY="$LIVE_TMP/nstat.hist" nstat -a 2>/dev/null |
		   grep -E "^($pat)" | awk '{printf " %s=%s", $1, $2}')"
	live_log "kernel $LIVE_TAP:" "$(ip -n "$LIVE_NS" -s -j link show "$LIVE_TAP" |
		"$LIVE_PY" -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]
print("to Tern %d packets, %d dropped; from Tern %d packets, %d dropped" % (
    s["tx"]["packets"], s["tx"]["dropped"], s["rx"]["packets"], s["rx"]["dropped"]))')"
	# Frames from Tern the kernel had no room for (its per-CPU backlog;
	# host-wide, so other traffic counts too).
	local drops=0 _a b _rest
	while read -r _a b _rest; do
		drops=$((drops + 0x$b))
	done </proc/net/softnet_stat
	live_log "host softnet backlog drops so far: $drops"
}

# The value of nstat counter $1 in the namespace (absolute).
live_nstat() {
	live_nsexec env NSTAT_HISTORY="$LIVE_TMP/nstat.hist" nstat -az "$1" 2>/dev/null |
		awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }'
}

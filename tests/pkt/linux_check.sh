#!/bin/bash
# Run the packet scripts under packetdrill against the Linux kernel, to check
# that each encodes real behaviour: the same text that pkt_run runs against
# Tern (suite 'pkt') must pass here too, except for the scripts listed in
# linux_expected_fail.txt with their reason. See README.md "Linux check".
#
#   PACKETDRILL=/path/to/packetdrill tests/pkt/linux_check.sh [options] [script.pkt ...]
#
# Options:
#   -j N          scripts in parallel (default 1; timing is packetdrill's own,
#                 so on a busy machine keep it low)
#   -t USECS      base of packetdrill's --tolerance_usecs (default 20000, see
#                 timer_tolerance below)
#   -r N          attempts per script before it counts as failed (default 2;
#                 1 for a script listed in linux_expected_fail.txt)
#   -k SECS       time limit per attempt (default 150)
#   -l DIR        keep packetdrill's output per script in DIR
#   -x FILE       the expected failures (default linux_expected_fail.txt)
#   -v            print packetdrill's first error lines for every failure
# No scripts named: every scripts/tcp/*/*.pkt and scripts/udp/*.pkt.
#
# Each attempt runs in a network namespace of its own, created and deleted
# here: packetdrill's tun device carries 198.18.0.2 (the kernel under test)
# and 198.18.0.1 (the script's peer), nothing leaves the namespace.
# Exit: 0 every result as expected, 1 an unexpected failure or an unexpected
# pass, 2 usage, 77 skipped (no packetdrill, not root, no 'ip netns').
#
# Not part of the meson suites: packetdrill is not packaged for Debian 12 and
# nothing in the build may depend on it.
set -u

here=$(cd "$(dirname "$0")" && pwd)
scripts_root=$here/scripts
expected_file=$here/linux_expected_fail.txt

jobs=1
# Tolerance: the scripts are written with packetdrill's default 4 ms, which
# pkt_run keeps on its virtual clock. On a real kernel packetdrill's own
# scheduling adds latency (it sleeps, then injects or sniffs through tun);
# on a loaded 2-core machine that reached 10-30 ms in our runs. 20 ms stays
# below every interval a script distinguishes (the 40 ms delayed ACK against
# an immediate one, 100 ms RTTs), so a wrong behaviour still fails. -t
# lowers it on a quiet machine. Scripts with long timers get more, see
# timer_tolerance().
tolerance=20000
attempts=2
limit=150
logdir=
verbose=0
while getopts "j:t:r:k:l:x:vh" o; do
	case $o in
	j) jobs=$OPTARG ;;
	t) tolerance=$OPTARG ;;
	r) attempts=$OPTARG ;;
	k) limit=$OPTARG ;;
	l) logdir=$OPTARG ;;
	x) expected_file=$OPTARG ;;
	v) verbose=1 ;;
	*) sed -n '2,/^[^#]/p' "$0" | sed -n 's/^# \{0,1\}//p'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
for n in "$jobs" "$tolerance" "$attempts" "$limit"; do
	case $n in ''|*[!0-9]*|0) echo "linux_check: bad number '$n'" >&2; exit 2 ;; esac
done

if [ -z "${PACKETDRILL:-}" ] || [ ! -x "$PACKETDRILL" ]; then
	echo "linux_check: skipped: set PACKETDRILL to a packetdrill binary" >&2
	exit 77
fi
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "linux_check: skipped: needs root and 'ip netns'" >&2
	exit 77
fi
PACKETDRILL=$(cd "$(dirname "$PACKETDRILL")" && pwd)/$(basename "$PACKETDRILL")

if [ $# -eq 0 ]; then
	set -- "$scripts_root"/tcp/*/*.pkt "$scripts_root"/udp/*.pkt
fi

# Expected failures: "<path relative to scripts/> <reason>" per line.
declare -A expected=()
if [ -f "$expected_file" ]; then
	while read -r path reason; do
		case $path in ''|'#'*) continue ;; esac
		expected[$path]=${reason:-"(no reason given)"}
	done < "$expected_file"
fi

work=$(mktemp -d /tmp/tern-linux-check.XXXXXX)
if [ -n "$logdir" ]; then mkdir -p "$logdir" || exit 2; fi
cleanup() {
	# If interrupted: our own namespaces only (named after this process),
	# and the packetdrill processes still running in them.
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^ternpd$$-"); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM

# Linux's timer wheel fires a timer up to 1/8 of its timeout late (coarser
# wheel levels for longer timeouts, kernel/time/timer.c), so a retransmission
# 600 ms after the previous one may come 75 ms late, a 2 s keepalive probe
# 250 ms late. pkt_run allows for this with --tolerance_percent (12.5 % of
# the gap since the previous event), which this packetdrill lacks; instead a
# script gets the base tolerance plus 1/8 of its longest gap before an
# outbound packet (a timer-driven one; inbound gaps need no slack). Scripts
# whose outbound packets all follow within 100 ms keep the base.
# $1 script. Prints microseconds.
timer_tolerance() {
	awk -v base="$tolerance" '
	function num(x) { return x == "" ? 0 : x + 0 }
	/^[ \t]*(\/\/|$|`|--)/ { next }
	{
		tok = $1; t = now
		if (tok == "*") next
		sub(/~.*/, "", tok); sub(/\.\.\..*/, "", tok)
		if (tok ~ /^\+/) t = now + num(substr(tok, 2))
		else if (tok ~ /^[0-9.]+$/) t = num(tok)
		else next
		if ($2 == ">" && t - now > gap) gap = t - now
		now = t
	}
	END {
		extra = gap > 0.1 ? gap * 1000000 / 8 : 0
		printf "%d\n", base + extra
	}' "$1"
}

# One attempt of one script in a fresh namespace. $1 script, $2 ns name,
# $3 log file. Returns packetdrill's exit status (124 = time limit).
run_once() {
	local script=$1 ns=$2 log=$3 rc tol
	tol=$(timer_tolerance "$script")
	ip netns add "$ns" || return 125
	# Linux's defaults made equal to Tern's documented ones (README.md
	# "TCP", stack/tcp.h), so a portable script sees the same numbers:
	#  - tcp_rmem default 128 KiB (TCP_DEFAULT_RCVBUF) and a maximum that
	#    makes Linux offer window scale 7, the shift Tern always offers;
	#  - tcp_wmem default 128 KiB (TCP_DEFAULT_SNDBUF): a write fits whole;
	#  - no Tail Loss Probe / RACK (tcp_early_retrans=0, tcp_recovery=0):
	#    Tern has neither; a lost tail waits for the RTO (RFC 6298), and
	#    loss is found by DupThresh (RFC 5681 / RFC 6675) as in the scripts;
	#  - no F-RTO (tcp_frto=0): after an RTO Tern goes back N (RFC 5681
	#    3.1, RFC 6298 5), it does not probe with new data (RFC 5682);
	#  - SYN retransmissions back off from the first (RFC 6298 5.5):
	#    tcp_syn_linear_timeouts=0 (Linux 6.x resends the first SYNs at a
	#    fixed 1 s by default);
	#  - no auto-corking: Tern sends as soon as Nagle and the window allow.
	ip netns exec "$ns" sh -c '
		ip link set lo up &&
		sysctl -q -w net.ipv4.tcp_rmem="4096 131072 6291456" &&
		sysctl -q -w net.ipv4.tcp_wmem="4096 131072 4194304" &&
		sysctl -q -w net.ipv4.tcp_early_retrans=0 &&
		sysctl -q -w net.ipv4.tcp_recovery=0 &&
		sysctl -q -w net.ipv4.tcp_frto=0 &&
		{ [ ! -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ] ||
		  sysctl -q -w net.ipv4.tcp_syn_linear_timeouts=0; } &&
		sysctl -q -w net.ipv4.tcp_autocorking=0' >"$log" 2>&1 || {
		ip netns del "$ns"; return 125; }
	# packetdrill runs backquoted lines with the script's directory as cwd.
	(cd "$(dirname "$script")" &&
	 timeout -k 5 "$limit" ip netns exec "$ns" "$PACKETDRILL" \
		--tolerance_usecs="$tol" --is_anyip \
		--local_ip=198.18.0.2 --remote_ip=198.18.0.1 \
		--gateway_ip=198.18.0.254 --netmask_ip=255.255.255.0 \
		"$(basename "$script")") >>"$log" 2>&1
	rc=$?
	ip netns del "$ns" 2>/dev/null
	return $rc
}

# All attempts of one script (one if it is expected to fail: some of those
# hang until the time limit); writes "<status> <tries> <tol> <rel>" to
# $work/<n>.res.
run_script() {
	local n=$1 script=$2 rel=$3 try rc status log max=$attempts
	log=$work/$n.log
	[ -n "${expected[$rel]+x}" ] && max=1
	for ((try = 1; try <= max; try++)); do
		run_once "$script" "ternpd$$-$n" "$log"
		rc=$?
		[ $rc = 0 ] && break
	done
	case $rc in
	0) status=PASS ;;
	124|137) status=TIMEOUT; try=$max ;;
	125) status=ERROR; try=$max ;;
	*) status=FAIL; try=$max ;;
	esac
	echo "$status $try $(timer_tolerance "$script") $rel" > "$work/$n.res"
	if [ -n "$logdir" ]; then cp "$log" "$logdir/$(echo "$rel" | tr / _).log"; fi
}

n=0
declare -a rels=()
for script in "$@"; do
	if [ ! -f "$script" ]; then echo "linux_check: no such script: $script" >&2; exit 2; fi
	abs=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
	rel=${abs#"$scripts_root"/}
	rels[$n]=$rel
	run_script "$n" "$abs" "$rel" &
	n=$((n + 1))
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait

printf '%-58s %-8s %6s  %s\n' "script" "Linux" "tol ms" "note"
pass=0 fail=0 xfail=0 xpass=0 unexpected=0
for ((i = 0; i < n; i++)); do
	read -r status tries tol rel < "$work/$i.res"
	note=
	[ "$status" = PASS ] && [ "$tries" -gt 1 ] && note="(attempt $tries)"
	if [ -n "${expected[$rel]+x}" ]; then
		if [ "$status" = PASS ]; then
			xpass=$((xpass + 1)); unexpected=$((unexpected + 1))
			note="UNEXPECTED PASS: listed in linux_expected_fail.txt $note"
		else
			xfail=$((xfail + 1)); note="expected: ${expected[$rel]}"
		fi
	elif [ "$status" = PASS ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); unexpected=$((unexpected + 1))
		note="UNEXPECTED: $(grep -v '^[[:space:]]*$' "$work/$i.log" | head -1 | cut -c1-160)"
	fi
	printf '%-58s %-8s %6s  %s\n' "$rel" "$status" "$((tol / 1000))" "$note"
	if [ $verbose = 1 ] && [ "$status" != PASS ]; then
		grep -v '^[[:space:]]*$' "$work/$i.log" | head -4 | sed 's/^/    /'
	fi
done
echo
echo "linux_check: $n scripts: $pass pass, $xfail expected failures," \
     "$fail unexpected failures, $xpass unexpected passes" \
     "(tolerance ${tolerance} us + 1/8 of the longest timer gap, $attempts attempts)"
[ $unexpected = 0 ]

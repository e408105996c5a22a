#!/bin/bash
# Echo round-trip benchmark (not a test): a kernel UDP client (tern-client
# --kernel) against tern-echo on Tern over net_tap, then the same client
# against the same server on kernel sockets (tern-echo --kernel) across a
# veth pair between two namespaces. RUNS runs of COUNT 64-byte datagrams
# each; prints each run's median and p99, the median of the medians, and
# the ratio Tern / kernel. Everything stays in namespaces of its own.
# Tern runs in each of MODES: lcore (stack on lcore 1, application on lcore
# 0) and inline (one thread on lcore 0). On a 2-core machine lcore mode
# shares the CPUs three ways (spinning stack, application, kernel client):
# expect its tail to show scheduler delays.
#   echo_bench.sh [TERN_ECHO] [TERN_CLIENT]   (env: COUNT, RUNS, SIZE, MODES)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${TERN_BUILD:=$HERE/../../build}"
ECHO=${1:-${TERN_ECHO:-$TERN_BUILD/apps/tern-echo}}
CLIENT=${2:-${TERN_CLIENT:-$TERN_BUILD/apps/tern-client}}
COUNT=${COUNT:-20000}
RUNS=${RUNS:-5}
SIZE=${SIZE:-64}
MODES=${MODES:-lcore inline}
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	echo "echo_bench: needs root and /dev/net/tun" >&2
	exit 77
fi
for b in "$ECHO" "$CLIENT"; do
	[ -x "$b" ] || { echo "echo_bench: $b not built" >&2; exit 1; }
done

NS_T=tern-bench-$$-tap    # Tern on net_tap + kernel client
NS_A=tern-bench-$$-ka     # kernel client  } veth pair
NS_B=tern-bench-$$-kb     # kernel server  }
PIDS=""
TMP=$(mktemp -d /tmp/tern-bench-$$.XXXXXX)
cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
	for ns in $NS_T $NS_A $NS_B; do
		ip netns list | grep -qw "$ns" && ip netns del "$ns"
	done
	for pid in $PIDS; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "/var/run/dpdk/$NS_T" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_line() {   # FILE PATTERN: up to 30 s
	for _ in $(seq 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "echo_bench: timed out waiting for '$2' in $1" >&2
	cat "$1" >&2
	return 1
}

# RUNS runs of the kernel client in namespace $1 against $2; prints one line
# per run and leaves the medians in MEDIANS.
bench() {
	local ns=$1 server=$2 label=$3 i line p50 p99
	MEDIANS=""
	for i in $(seq "$RUNS"); do
		line=$(ip netns exec "$ns" timeout --foreground -k 5 120 "$CLIENT" --kernel --server "$server" \
			--count "$COUNT" --size "$SIZE" --warmup 100 | grep '^round trip')
		p50=$(echo "$line" | sed -n 's/.* p50=\([0-9.]*\).*/\1/p')
		p99=$(echo "$line" | sed -n 's/.* p99=\([0-9.]*\).*/\1/p')
		if [ -z "$p50" ]; then
			echo "echo_bench: $label run $i failed" >&2
			return 1
		fi
		printf '%-28s run %d: median %7.1f us  p99 %7.1f us\n' "$label" "$i" "$p50" "$p99"
		MEDIANS="$MEDIANS $p50"
	done
}

median() { echo "$@" | tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# 1. kernel client -> Tern over the TAP, in each stack mode.
ip netns add "$NS_T"
ip netns exec "$NS_T" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS_T" link set lo up
ip -n "$NS_T" tuntap add dev ttap0 mode tap multi_queue
ip -n "$NS_T" addr add 198.18.0.1/24 dev ttap0
ip -n "$NS_T" link set ttap0 up
TERN_RESULTS=""
for mode in $MODES; do
	case "$mode" in inline) LC=0 ;; *) LC=0-1 ;; esac
	ip netns exec "$NS_T" timeout --foreground -k 5 600 "$ECHO" --no-huge -m 512 --no-pci \
		--file-prefix "$NS_T" --vdev=net_tap0,iface=ttap0 -l "$LC" -- --ip 198.18.0.2/24 \
		--udp-port 5005 --mode "$mode" --stats >"$TMP/tern-echo-$mode.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	wait_line "$TMP/tern-echo-$mode.log" "UDP echo on port" || exit 1
	echo "== kernel client -> Tern (--mode $mode) over net_tap: $RUNS x $COUNT datagrams of $SIZE bytes"
	bench "$NS_T" 198.18.0.2:5005 "kernel -> tern-echo $mode" || exit 1
	TERN_RESULTS="$TERN_RESULTS $mode:$(median $MEDIANS)"
	kill -TERM "$pid"
	wait "$pid"
	PIDS=$(echo "$PIDS" | sed "s/\b$pid\b//")
done

# 2. kernel client -> kernel server over a veth pair.
ip netns add "$NS_A"
ip netns add "$NS_B"
for ns in $NS_A $NS_B; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$NS_A" link add vb0 type veth peer name vb1 netns "$NS_B"
ip -n "$NS_A" addr add 198.18.1.1/24 dev vb0
ip -n "$NS_B" addr add 198.18.1.2/24 dev vb1
ip -n "$NS_A" link set vb0 up
ip -n "$NS_B" link set vb1 up
ip netns exec "$NS_B" timeout --foreground -k 5 600 "$ECHO" --kernel --udp-port 5005 >"$TMP/kernel-echo.log" 2>&1 &
PIDS="$PIDS $!"
wait_line "$TMP/kernel-echo.log" "UDP echo on port" || exit 1
echo "== kernel client -> kernel server (tern-echo --kernel) over veth"
bench "$NS_A" 198.18.1.2:5005 "kernel -> kernel (veth)" || exit 1
KERN_MED=$(median $MEDIANS)

for r in $TERN_RESULTS; do
	mode=${r%%:*}
	med=${r#*:}
	echo "== median of medians: Tern ($mode) $med us, kernel $KERN_MED us," \
		"ratio Tern/kernel $(awk -v a="$med" -v b="$KERN_MED" 'BEGIN { printf "%.2f", a / b }')"
done

#!/bin/bash
# The differential test (meson test --suite diff): the scenario table of
# tern-diff run on Linux kernel sockets, then on Tern, then compared.
#
#   run.sh TERN_DIFF_BINARY [RECORD_DIR]
#
# Kernel run: namespace A holds the sockets under test (198.18.0.2), B the
# peers (198.18.0.1), joined by a veth pair. Tern run: a fresh B with a TAP
# (198.18.0.1) that Tern's net_tap port attaches to; Tern is 198.18.0.2.
# The process lives in B both times (peer sockets are plain sockets; the
# kernel backend makes its SUT sockets in A with setns). Both namespaces
# are deleted on exit. Records go to RECORD_DIR (kernel.rec, tern.rec).
#
# DIFF_SELFCHECK=1 replaces the Tern run by a second kernel run: the
# scenarios must then match themselves (they are deterministic).
# DIFF_ONLY=substring runs only the scenarios whose name contains it.
set -u
BIN=${1:?usage: run.sh TERN_DIFF_BINARY [RECORD_DIR]}
OUT_DIR=${2:-}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the differential test needs root (network namespaces, TAP)"
	exit 77
fi
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: /dev/net/tun is missing"
	exit 77
fi
for tool in ip timeout; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done

NS_A="tern-diff-a-$$"
NS_B="tern-diff-b-$$"
PREFIX="tern-diff-$$"
TAP=tdiff0
TMP=$(mktemp -d "/tmp/tern-diff.XXXXXX")
CHILD=""

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$CHILD" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	for ns in "$NS_A" "$NS_B"; do
		ip netns list | grep -qw "$ns" && ip netns del "$ns"
	done
	rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A namespace with loopback up, no IPv6 chatter, and no ICMP rate limit
# (every scenario that expects a port unreachable must get one).
ns_new() {
	ip netns add "$1" || { echo "ERROR: ip netns add $1"; exit 1; }
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	ip netns exec "$1" sysctl -qw net.ipv4.icmp_ratemask=0 >/dev/null ||
		{ echo "ERROR: cannot lift the ICMP rate limit in $1"; exit 1; }
}

# Run one side, in the background so a signal reaches the trap; a hung
# scenario (exit 3, a HANG record) is skipped and the run resumed after it.
# $1 = record file, $2 = log, rest = command.
run_side() {
	local rec=$1 log=$2 tries=0 rc last
	shift 2
	local after=()
	: >"$log"
	while :; do
		ip netns exec "$NS_B" timeout --foreground -k 5 240 "$@" --out "$rec" \
			${DIFF_ONLY:+--only "$DIFF_ONLY"} "${after[@]}" >>"$log" 2>&1 &
		CHILD=$!
		wait "$CHILD"
		rc=$?
		CHILD=""
		[ "$rc" -eq 3 ] || break
		tries=$((tries + 1))
		last=$(awk -F'\t' '$3 == "HANG" { n = $1 } END { print n }' "$rec")
		echo "  (hung in $last; resuming after it)"
		[ "$tries" -lt 10 ] && [ -n "$last" ] || break
		after=(--after "$last")
		# The Tern process died with its port: let the TAP settle.
		sleep 1
	done
	return "$rc"
}

kernel_side() {
	ns_new "$NS_A"
	ns_new "$NS_B"
	ip link add tdiffa netns "$NS_A" type veth peer name tdiffb netns "$NS_B" &&
	ip -n "$NS_A" addr add 198.18.0.2/24 dev tdiffa &&
	ip -n "$NS_B" addr add 198.18.0.1/24 dev tdiffb &&
	ip -n "$NS_A" link set tdiffa up &&
	ip -n "$NS_B" link set tdiffb up &&
	ip -n "$NS_A" route add default via 198.18.0.1 ||
		{ echo "ERROR: veth set-up"; exit 1; }
	run_side "$1" "$2" "$BIN" --backend kernel --sut-netns "/run/netns/$NS_A"
	local rc=$?
	ip netns del "$NS_A"
	ip netns del "$NS_B"
	return $rc
}

tern_side() {
	ns_new "$NS_B"
	# A persistent TAP that net_tap attaches to, ready before Tern starts.
	ip -n "$NS_B" tuntap add dev "$TAP" mode tap multi_queue &&
	ip -n "$NS_B" addr add 198.18.0.1/24 dev "$TAP" &&
	ip -n "$NS_B" link set "$TAP" up ||
		{ echo "ERROR: TAP set-up"; exit 1; }
	run_side "$1" "$2" "$BIN" --no-huge -m 512 --no-pci --file-prefix "$PREFIX" \
		--vdev="net_tap0,iface=$TAP" -l 0-1 --no-telemetry --log-level=lib.eal:error \
		-- --backend tern
	local rc=$?
	ip netns del "$NS_B"
	return $rc
}

start=$SECONDS
echo "== kernel run"
kernel_side "$TMP/kernel.rec" "$TMP/kernel.log"
echo "   status $?: $(tail -n 1 "$TMP/kernel.log")"
if [ "${DIFF_SELFCHECK:-0}" = 1 ]; then
	echo "== second kernel run (self-check)"
	kernel_side "$TMP/tern.rec" "$TMP/tern.log"
else
	echo "== Tern run"
	tern_side "$TMP/tern.rec" "$TMP/tern.log"
fi
rc=$?
echo "   status $rc: $(grep -m1 ' run: ' "$TMP/tern.log")"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
	echo "--- last lines of the log"
	tail -n 30 "$TMP/tern.log"
fi
sed -n '/^--- stack counters/,$p' "$TMP/tern.log"
if [ -n "$OUT_DIR" ]; then
	mkdir -p "$OUT_DIR"
	cp "$TMP/kernel.rec" "$TMP/tern.rec" "$TMP/kernel.log" "$TMP/tern.log" "$OUT_DIR/"
fi
echo "== compare (after $((SECONDS - start)) s)"
"$BIN" --compare "$TMP/kernel.rec" "$TMP/tern.rec" ${DIFF_ONLY:+--only "$DIFF_ONLY"}

# Shared helpers of the live tests: Tern on DPDK's net_tap inside a network
# namespace of the test's own, the Linux kernel on the other end of the TAP.
# Sourced by tests/live/*.sh; nothing here leaves the namespace, and every
# address is in 198.18.0.0/15 (RFC 2544 benchmarking range).
#
#   live_init NAME          skip (77) unless root with /dev/net/tun; set the
#                           names, the cleanup trap and a scratch directory
#   live_ns_create          namespace + persistent TAP ttap0 (198.18.0.1/24,
#                           up) that Tern's net_tap attaches to
#   live_tern_start LOG MODE BIN ARGS...
#                           run a Tern app (MODE lcore|inline) in the
#                           background, bounded by LIVE_TERN_MAX seconds
#   live_tern_stop / live_tern_wait
#                           SIGTERM and reap it / reap it when it ends itself
#   live_check_counters LOG assert the stack counters were printed and the
#                           drops that mean a bug are all zero
#
# Variables: LIVE_NS (namespace), LIVE_PREFIX (EAL --file-prefix), LIVE_TMP,
# LIVE_TERN_PID, LIVE_TERN_RC. Addresses: LIVE_KERNEL_IP, LIVE_TERN_IP.

LIVE_KERNEL_IP=198.18.0.1
LIVE_TERN_IP=198.18.0.2
LIVE_TAP=ttap0
# A distinct, locally administered MAC for the kernel side (net_tap gives the
# kernel interface the port's own MAC; live_kernel_mac undoes that).
LIVE_KERNEL_MAC=02:00:c6:12:00:01
: "${LIVE_TERN_MAX:=400}"       # hard cap on any one Tern process (seconds)
: "${LIVE_PY:=python3}"          # plain Python for the kernel-side helpers
LIVE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The binaries under test: meson passes them; by hand, TERN_BUILD=builddir.
: "${TERN_BUILD:=$LIVE_DIR/../../build}"
LIVE_ECHO=${TERN_ECHO:-$TERN_BUILD/apps/tern-echo}
LIVE_CLIENT=${TERN_CLIENT:-$TERN_BUILD/apps/tern-client}
LIVE_UDPTOOL=${TERN_UDPTOOL:-$TERN_BUILD/tests/live/tern-udptool}
LIVE_KUDP="$LIVE_DIR/kernel_udp.py"
LIVE_PIDS=""
LIVE_FAILED=0

live_log() { printf '[%s] %s\n' "$LIVE_NAME" "$*"; }

live_fail() {
	printf '[%s] FAIL: %s\n' "$LIVE_NAME" "$*" >&2
	LIVE_FAILED=1
}

# Finish the test: 0 if nothing failed, 1 otherwise (cleanup runs in the trap).
live_finish() {
	if [ "$LIVE_FAILED" -ne 0 ]; then
		live_log "FAILED"
		exit 1
	fi
	live_log "PASSED"
	exit 0
}

# Quick first (meson sends SIGTERM to the test's process group and SIGKILL
# half a second later): signal what we started, drop the namespace (its TAP
# goes when the last process in it exits), then reap.
live_cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in $LIVE_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	if [ -n "$LIVE_NS" ] && ip netns list | grep -qw "$LIVE_NS"; then
		ip netns del "$LIVE_NS"
	fi
	for pid in $LIVE_PIDS; do
		# Up to ~5 s for a clean exit, then SIGKILL, only the ones we started.
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$LIVE_PREFIX" ]; then
		rm -rf "/var/run/dpdk/$LIVE_PREFIX"
	fi
	if [ -n "$LIVE_TMP" ]; then
		rm -rf "$LIVE_TMP"
	fi
	exit "$rc"
}

live_init() {
	LIVE_NAME=$1
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: live tests need root (network namespaces, TAP)"
		exit 77
	fi
	if [ ! -c /dev/net/tun ]; then
		echo "SKIP: /dev/net/tun is missing"
		exit 77
	fi
	for tool in ip timeout "$LIVE_PY"; do
		if ! command -v "$tool" >/dev/null; then
			echo "SKIP: $tool not found"
			exit 77
		fi
	done
	for bin in "$LIVE_ECHO" "$LIVE_CLIENT" "$LIVE_UDPTOOL"; do
		if [ ! -x "$bin" ]; then
			echo "ERROR: $bin is not built (set TERN_BUILD or TERN_ECHO/...)" >&2
			exit 1
		fi
	done
	LIVE_NS="tern-live-$LIVE_NAME-$$"
	LIVE_PREFIX="$LIVE_NS"
	trap live_cleanup EXIT
	trap 'exit 130' INT TERM
	LIVE_TMP=$(mktemp -d "/tmp/$LIVE_NS.XXXXXX")
}

# The namespace with the kernel side of the TAP ready before Tern starts, so
# that Tern may send first: a persistent multi-queue TAP that net_tap attaches
# to (its address and route survive the Tern process going away).
live_ns_create() {
	ip netns add "$LIVE_NS" || { live_fail "ip netns add $LIVE_NS"; exit 1; }
	ip -n "$LIVE_NS" link set lo up
	# No IPv6 chatter (router solicitations, MLD) on the TAP.
	ip netns exec "$LIVE_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	ip -n "$LIVE_NS" tuntap add dev "$LIVE_TAP" mode tap multi_queue &&
	ip -n "$LIVE_NS" addr add "$LIVE_KERNEL_IP/24" dev "$LIVE_TAP" &&
	ip -n "$LIVE_NS" link set "$LIVE_TAP" up ||
		{ live_fail "cannot set up $LIVE_TAP in $LIVE_NS"; exit 1; }
	live_log "namespace $LIVE_NS: $LIVE_TAP $LIVE_KERNEL_IP/24"
}

# Run a command in the namespace (kernel side).
live_nsexec() {
	ip netns exec "$LIVE_NS" "$@"
}

# Run a kernel-side command in the namespace, bounded by $1 seconds, and
# return its status. It runs in the background and is waited for, so that a
# signal to the test reaches the cleanup trap at once.
live_run() {
	local secs=$1
	shift
	ip netns exec "$LIVE_NS" timeout --foreground -k 5 "$secs" "$@" &
	local pid=$!
	LIVE_PIDS="$LIVE_PIDS $pid"
	live_reap "$pid"
	return "$LIVE_RC"
}

# Start a kernel-side helper in the background, bounded by $1 seconds.
# Sets LIVE_BG_PID.
live_bg() {
	local secs=$1 log=$2
	shift 2
	ip netns exec "$LIVE_NS" timeout --foreground -k 5 "$secs" "$@" >"$log" 2>&1 &
	LIVE_BG_PID=$!
	LIVE_PIDS="$LIVE_PIDS $LIVE_BG_PID"
}

# Reap background process $1 (started by live_bg or live_tern_start);
# LIVE_RC = its exit status.
live_reap() {
	wait "$1"
	LIVE_RC=$?
	LIVE_PIDS=$(echo "$LIVE_PIDS" | sed "s/\b$1\b//")
}

# live_wait_for FILE PATTERN SECONDS [PID]: wait until FILE has a line
# matching PATTERN; fails early if PID (when given) has exited.
live_wait_for() {
	local file=$1 pat=$2 secs=$3 pid=${4:-} i
	for i in $(seq $((secs * 10))); do
		grep -q -- "$pat" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -q -- "$pat" "$file" 2>/dev/null && return 0
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# live_tern_start LOG MODE BIN ARGS...: Tern on net_tap (attached to the
# namespace's ttap0), in the background. MODE lcore runs the stack on lcore 1,
# inline on the application's lcore 0. ARGS are the application's.
live_tern_start() {
	local log=$1 mode=$2 bin=$3 lcores
	shift 3
	case "$mode" in
	lcore) lcores=0-1 ;;
	inline) lcores=0 ;;
	*) live_fail "bad mode $mode"; exit 1 ;;
	esac
	ip netns exec "$LIVE_NS" timeout --foreground -k 5 "$LIVE_TERN_MAX" "$bin" \
		--no-huge -m 512 --no-pci --file-prefix "$LIVE_PREFIX" \
		--vdev="net_tap0,iface=$LIVE_TAP" -l "$lcores" \
		-- --mode "$mode" --stats "$@" >"$log" 2>&1 &
	LIVE_TERN_PID=$!
	LIVE_PIDS="$LIVE_PIDS $LIVE_TERN_PID"
	live_log "started $(basename "$bin") ($mode) pid $LIVE_TERN_PID: $*"
}

# Start tern-echo and wait until it serves. $1 log, $2 mode, rest: app args.
live_echo_start() {
	local log=$1 mode=$2
	shift 2
	live_tern_start "$log" "$mode" "$LIVE_ECHO" "$@"
	if ! live_wait_for "$log" "UDP echo on port" 30 "$LIVE_TERN_PID"; then
		cat "$log"
		live_fail "tern-echo did not start"
		exit 1
	fi
}

# Give the kernel side its own MAC again (net_tap copied the port's onto it)
# so that the neighbour entries prove which side answered ARP.
live_kernel_mac() {
	ip -n "$LIVE_NS" link set "$LIVE_TAP" address "$LIVE_KERNEL_MAC" ||
		live_fail "cannot set the kernel MAC"
	ip -n "$LIVE_NS" neigh flush dev "$LIVE_TAP" 2>/dev/null
}

# Reap the Tern process (it ends by itself); LIVE_TERN_RC = its status.
live_tern_wait() {
	live_reap "$LIVE_TERN_PID"
	LIVE_TERN_RC=$LIVE_RC
}

# SIGTERM the Tern app (through timeout, which forwards it) and reap it.
live_tern_stop() {
	kill -TERM "$LIVE_TERN_PID" 2>/dev/null
	live_tern_wait
}

# The value of counter NAME in the "--- stack counters" block of LOG (0 if
# not printed: only non-zero counters are).
live_counter() {
	awk -v n="$2" 'f && $1 == n { print $2; found = 1 }
		/^--- stack counters/ { f = 1 }
		END { if (!found) print 0 }' "$1"
}

# Drops that never happen on a clean run over a TAP: each one is a bug.
LIVE_BAD_COUNTERS="ip_bad_csum udp_bad_csum icmp_bad_csum frag_overlap nombuf tx_port_full"

live_check_counters() {
	local log=$1 c v
	if ! grep -q '^--- stack counters' "$log"; then
		live_fail "no stack counters in $(basename "$log") (did Tern exit cleanly?)"
		return
	fi
	echo "--- $(basename "$log"): stack counters at exit"
	sed -n '/^--- stack counters/,$p' "$log" | sed 1d
	for c in $LIVE_BAD_COUNTERS; do
		v=$(live_counter "$log" "$c")
		[ "$v" = 0 ] || live_fail "counter $c = $v in $(basename "$log")"
	done
}

# Expect counter NAME in LOG to be > 0.
live_expect_positive() {
	local v
	v=$(live_counter "$1" "$2")
	if [ "$v" -gt 0 ] 2>/dev/null; then
		live_log "counter $2 = $v (> 0, as expected)"
	else
		live_fail "counter $2 is $v, expected > 0"
	fi
}

#!/bin/bash
# The single comparison command: the same workloads, side by side, on
#   floor  raw DPDK over net_memif between two processes (apps/tern-floor,
#          no stack: the ceiling for anything over this port)
#   tern   Tern over net_memif, tern-echo <- tern-bench, each --mode inline
#   lo     Linux kernel sockets over loopback (127.0.0.1, in a namespace of
#          our own so its lo MTU can be set without touching the host's)
#   veth   Linux kernel sockets over a veth pair between two namespaces
#          (198.18.2.1/24 <-> 198.18.2.2/24)
# client on core 0 and server on core 1 in every case (DPDK -l 0 / -l 1,
# taskset -c 0 / -c 1). Workloads: rr 64 B x1 connection, rr 64 B x256,
# crr 64 B, stream one way at MTU 1500 and 9000. RUNS runs of DURATION s
# each; medians and spread (min..max), ratios Tern/lo and Tern/floor; all
# JSON, a CSV summary and a latency-vs-load PNG under OUT_DIR.
#
#   tests/bench/compare.sh [BUILD_DIR]      (with no BUILD_DIR: installs what is
#       missing, builds build-rel as release + LTO, and uses it; a named
#       BUILD_DIR is used as it is)
#   env: RUNS (5), DURATION (2), OUT_DIR (fresh mktemp -d), HUGE=1 (use
#        hugepages, reserving 2 MB pages as root if needed; default
#        --no-huge as the tests), PLOT=0 (skip the latency-vs-load sweep),
#        WORKLOADS (a subset of: rr64-c1 rr64-c256 crr64 stream-mtu1500
#        stream-mtu9000; default all)
# Needs root (namespaces). All traffic stays in memory or in namespaces the
# script creates and deletes. The figures are only meaningful on a quiet
# machine: nothing here asserts a timing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	# No build named: install what is missing and make the benchmark build,
	# release with link-time optimisation (debug info kept for profiles).
	ROOT=$(cd "$HERE/../.." && pwd)
	(. "$ROOT/tests/setup.sh") || exit 1
	BUILD=$ROOT/build-rel
	if [ -f "$BUILD/build.ninja" ]; then
		meson configure "$BUILD" -Dbuildtype=release -Db_lto=true -Ddebug=true >/dev/null || exit 1
	else
		meson setup "$BUILD" "$ROOT" -Dbuildtype=release -Db_lto=true -Ddebug=true >/dev/null ||
			exit 1
	fi
	ninja -C "$BUILD" >/dev/null || { echo "compare: build failed (ninja -C $BUILD)" >&2; exit 1; }
else
	BUILD=$1
fi
case $BUILD in /*) ;; *) [ -d "$BUILD" ] || BUILD=$HERE/../../$BUILD ;; esac
RUNS=${RUNS:-5}
DURATION=${DURATION:-2}
HUGE=${HUGE:-0}
PLOT=${PLOT:-1}
FLOOR=$BUILD/apps/tern-floor
BENCH=$BUILD/apps/tern-bench
ECHO=$BUILD/apps/tern-echo
PY=${PY:-python3}
for b in "$FLOOR" "$BENCH" "$ECHO"; do
	[ -x "$b" ] || { echo "compare: $b is not built (ninja -C $BUILD)" >&2; exit 1; }
done
for tool in timeout taskset ip "$PY"; do
	command -v "$tool" >/dev/null || { echo "compare: $tool not found" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "compare: needs root (network namespaces)" >&2; exit 1; }

OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/tern-compare.XXXXXX)}
mkdir -p "$OUT_DIR/json" || exit 1
TAG=tern-cmp-$$
TMP=$(mktemp -d "/tmp/$TAG.XXXXXX")
NS_LO=$TAG-lo NS_A=$TAG-a NS_B=$TAG-b
VA=tcva$$ VB=tcvb$$
PIDS=""
WARM=0.5

if [ "$HUGE" = 1 ]; then
	# 512 MB per process, two processes at a time: 512 pages of 2 MB.
	hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	[ "$(cat $hp 2>/dev/null || echo 0)" -ge 512 ] || echo 512 >$hp 2>/dev/null
	MEM="-m 512"
	HUGE_DESC="yes ($(cat $hp 2>/dev/null) x 2 MB pages)"
else
	MEM="--no-huge -m 512"
	HUGE_DESC="no (--no-huge)"
fi
# --no-telemetry, --no-shconf: no telemetry or multi-process threads; on two
# busy-polled cores every other runnable thread preempts a poller for up to
# a scheduler slice, which is what the latency tail is made of (tern-bench
# prints how often it was preempted).
EAL="$MEM --no-pci --no-telemetry --no-shconf --log-level=pmd.net.memif:error --log-level=lib.eal:error"

cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
	for pid in $PIDS; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	ip netns del "$NS_LO" 2>/dev/null
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$TMP" /var/run/dpdk/"$TAG"-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
note() { printf '  note: %s\n' "$*" >&2; }

wait_line() {   # FILE PATTERN PID: up to 30 s while PID lives
	for _ in $(seq 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# ---- configuration header -------------------------------------------------
MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
say "== Tern comparison: $(date -u '+%F %T UTC') =="
say "cores:      $(nproc) online ($MODEL); client on core 0, server on core 1"
say "kernel:     $(uname -r)"
say "DPDK:       $(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)"
say "hugepages:  $HUGE_DESC"
say "MTU:        1500 (memif, veth, namespace lo) unless a workload says 9000"
say "runs:       $RUNS x ${DURATION} s (warm-up ${WARM} s); build $BUILD"
say "output:     $OUT_DIR"
say "loaded?:    loadavg $(cut -d' ' -f1-3 /proc/loadavg) (figures mean little unless ~0)"
say ""
{
	echo "date=$(date -u '+%F %T UTC')"; echo "nproc=$(nproc)"; echo "model=$MODEL"
	echo "kernel=$(uname -r)"; echo "dpdk=$(pkg-config --modversion libdpdk 2>/dev/null)"
	echo "hugepages=$HUGE_DESC"; echo "runs=$RUNS"; echo "duration=$DURATION"
	echo "loadavg=$(cat /proc/loadavg)"
} >"$OUT_DIR/config.txt"

# ---- namespaces: lo alone, and a veth pair --------------------------------
ip netns add "$NS_LO" && ip -n "$NS_LO" link set lo up mtu 1500 || exit 1
ip netns add "$NS_A" && ip netns add "$NS_B" || exit 1
ip link add "$VA" netns "$NS_A" type veth peer name "$VB" netns "$NS_B" || exit 1
ip -n "$NS_A" addr add 198.18.2.1/24 dev "$VA"
ip -n "$NS_B" addr add 198.18.2.2/24 dev "$VB"
for n in "$NS_A" "$NS_B"; do ip -n "$n" link set lo up; done
ip -n "$NS_A" link set "$VA" up mtu 1500
ip -n "$NS_B" link set "$VB" up mtu 1500

set_kmtu() {    # MTU: namespace lo and both veth ends
	ip -n "$NS_LO" link set lo mtu "$1" &&
		ip -n "$NS_A" link set "$VA" mtu "$1" &&
		ip -n "$NS_B" link set "$VB" mtu "$1"
}

# Kernel servers: one per namespace for the whole script (kernel sockets do
# not have the memif problem), busy-polling on core 1.
kserver() {     # NS NAME
	ip netns exec "$1" taskset -c 1 timeout 3600 "$ECHO" --kernel -- \
		--udp-port 0 --tcp-port 5005 --sink-port 5006 >"$TMP/$2.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_line "$TMP/$2.log" "echo on port" $! ||
		{ cat "$TMP/$2.log" >&2; echo "compare: kernel tern-echo ($2) did not start" >&2; exit 1; }
}
kserver "$NS_LO" klo
kserver "$NS_B" kveth

N=0
# ---- one run of each configuration; JSON to $1 ------------------------------
run_floor() {   # JSON SERVER_ROLE CLIENT_ARGS...
	local json=$1 srole=$2 srv rc
	shift 2
	N=$((N + 1))
	local sock=$TMP/f$N.sock
	timeout 120 "$FLOOR" $EAL --file-prefix "$TAG-s$N" -l 1 \
		--vdev=net_memif0,role=server,socket="$sock" -- \
		--role "$srole" --duration 100 >"$TMP/f$N-s.log" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_line "$TMP/f$N-s.log" '^tern-floor: DPDK' "$srv" || { note "floor server did not start"; return 1; }
	timeout 100 "$FLOOR" $EAL --file-prefix "$TAG-c$N" -l 0 \
		--vdev=net_memif0,role=client,socket="$sock" -- "$@" --json "$json" \
		>"$TMP/f$N-c.log" 2>&1
	rc=$?
	wait "$srv" 2>/dev/null
	rm -rf /var/run/dpdk/"$TAG"-[sc]$N "$sock"
	[ $rc -eq 0 ] || { note "tern-floor $* exited $rc: $(tail -1 "$TMP/f$N-c.log")"; rm -f "$json"; }
	return $rc
}

run_tern() {    # JSON PORT BENCH_ARGS...: a fresh tern-echo and memif socket each time
	local json=$1 port=$2 srv rc
	shift 2
	N=$((N + 1))
	local sock=$TMP/t$N.sock
	timeout 300 "$ECHO" $EAL --file-prefix "$TAG-s$N" -l 1 \
		--vdev=net_memif0,role=server,socket="$sock" -- \
		--ip 198.18.1.2/24 --mode inline --udp-port 0 --tcp-port 5005 --sink-port 5006 \
		--duration 280 >"$TMP/t$N-s.log" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	wait_line "$TMP/t$N-s.log" "echo on port" "$srv" || { note "tern-echo did not start"; return 1; }
	timeout 120 "$BENCH" $EAL --file-prefix "$TAG-c$N" -l 0 \
		--vdev=net_memif0,role=client,socket="$sock" -- \
		--ip 198.18.1.1/24 --mode inline --server 198.18.1.2:"$port" --json "$json" "$@" \
		>"$TMP/t$N-c.log" 2>&1
	rc=$?
	kill -INT "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	rm -rf /var/run/dpdk/"$TAG"-[sc]$N "$sock"
	[ $rc -eq 0 ] || { note "tern-bench $* exited $rc: $(tail -1 "$TMP/t$N-c.log")"; rm -f "$json"; }
	return $rc
}

run_kernel() {  # JSON NS ADDR:PORT BENCH_ARGS...
	local json=$1 ns=$2 srv=$3 rc
	shift 3
	N=$((N + 1))
	ip netns exec "$ns" taskset -c 0 timeout 120 "$BENCH" --kernel -- \
		--server "$srv" --json "$json" "$@" >"$TMP/k$N.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { note "kernel tern-bench $* exited $rc: $(tail -1 "$TMP/k$N.log")"; rm -f "$json"; }
	return $rc
}

# ---- workloads ---------------------------------------------------------------
# The JSON of run I of configuration C in workload W: json/W.C.I.json; a
# configuration that does not apply writes json/W.C.na with the reason.
na() { echo "$3" >"$OUT_DIR/json/$1.$2.na"; }
J() { echo "$OUT_DIR/json/$1.$2.$3.json"; }

# crr: each closed connection holds its port in TIME-WAIT for 60 s (not over
# loopback, where tcp_tw_reuse=2 reuses it). --count bounds every run, and
# RUNS x count stays under the ~28,000 ports of the veth namespace's range;
# no warm-up (--warmup 0), as unmeasured connections would also take ports.
CRR_COUNT=$((24000 / RUNS))
[ $CRR_COUNT -gt 4000 ] && CRR_COUNT=4000
# Tern's client is a fresh process (a fresh stack, no TIME-WAIT) every run,
# so it may use most of its range each time: 20,000 connections take Tern
# about as long as 4,000 take Linux, and a preemption of a few ms (the
# machine's noise) no longer weighs ten times more on Tern's figure.
CRR_COUNT_TERN=20000
RR="--duration $DURATION --warmup $WARM"

workload() {    # NAME: all runs of all configurations
	local w=$1 i
	say "-- running $w ($RUNS runs per configuration)"
	for i in $(seq "$RUNS"); do
		case $w in
		rr64-c1)
			run_floor "$(J $w floor $i)" reflect --role rr --size 130 $RR
			run_tern "$(J $w tern $i)" 5005 --test rr --size 64 --conns 1 $RR
			run_kernel "$(J $w lo $i)" "$NS_LO" 127.0.0.1:5005 --test rr --size 64 --conns 1 $RR
			run_kernel "$(J $w veth $i)" "$NS_A" 198.18.2.2:5005 --test rr --size 64 --conns 1 $RR ;;
		rr64-c256)
			run_floor "$(J $w floor $i)" reflect --role rr --size 130 --outstanding 256 $RR
			run_tern "$(J $w tern $i)" 5005 --test rr --size 64 --conns 256 $RR
			run_kernel "$(J $w lo $i)" "$NS_LO" 127.0.0.1:5005 --test rr --size 64 --conns 256 $RR
			run_kernel "$(J $w veth $i)" "$NS_A" 198.18.2.2:5005 --test rr --size 64 --conns 256 $RR ;;
		crr64)
			[ $i -eq 1 ] && na $w floor "no connections in a raw DPDK floor"
			local C="--test crr --size 64 --conns 4 --warmup 0"
			run_tern "$(J $w tern $i)" 5005 $C --count $CRR_COUNT_TERN
			run_kernel "$(J $w lo $i)" "$NS_LO" 127.0.0.1:5005 $C --count $CRR_COUNT
			run_kernel "$(J $w veth $i)" "$NS_A" 198.18.2.2:5005 $C --count $CRR_COUNT ;;
		stream-mtu1500)
			[ $i -eq 1 ] && set_kmtu 1500
			run_floor "$(J $w floor $i)" sink --role stream --size 1514 --duration "$DURATION"
			run_tern "$(J $w tern $i)" 5006 --test stream --mtu 1500 $RR
			run_kernel "$(J $w lo $i)" "$NS_LO" 127.0.0.1:5006 --test stream $RR
			run_kernel "$(J $w veth $i)" "$NS_A" 198.18.2.2:5006 --test stream $RR ;;
		stream-mtu9000)
			if [ $i -eq 1 ]; then
				set_kmtu 9000 || note "could not set MTU 9000"
				na $w floor "net_memif (DPDK 22.11) refuses an MTU above its 2 KB buffers"
				na $w tern "net_memif (DPDK 22.11) refuses an MTU above its 2 KB buffers"
			fi
			run_kernel "$(J $w lo $i)" "$NS_LO" 127.0.0.1:5006 --test stream $RR
			run_kernel "$(J $w veth $i)" "$NS_A" 198.18.2.2:5006 --test stream $RR ;;
		esac
	done
}

WORKLOADS=${WORKLOADS:-"rr64-c1 rr64-c256 crr64 stream-mtu1500 stream-mtu9000"}
for w in $WORKLOADS; do workload "$w"; done
set_kmtu 1500

# ---- tables and CSV -------------------------------------------------------------
say ""
"$PY" - "$OUT_DIR" $WORKLOADS <<'EOF'
import csv, glob, json, os, statistics, sys
out, workloads = sys.argv[1], sys.argv[2:]
cfgs = [("floor", "raw DPDK floor (memif)"), ("tern", "Tern (memif, inline)"),
        ("lo", "Linux loopback"), ("veth", "Linux veth")]
rows = []
runs = {}   # (workload, config) -> {run index: results}
def load(w, c):
    byrun = {}
    for p in glob.glob(f"{out}/json/{w}.{c}.*.json"):
        try:
            with open(p) as f:
                byrun[int(p.rsplit(".", 2)[1])] = json.load(f)["results"]
        except (OSError, ValueError, KeyError):
            pass
    runs[(w, c)] = byrun
    return [byrun[i] for i in sorted(byrun)]
def paired(w, base, stream):
    """Tern/base per run index: the runs of one index ran back to back, so
    their ratio cancels most of a noisy machine's slow swings."""
    t, b = runs.get((w, "tern"), {}), runs.get((w, base), {})
    key = (lambda r: r["tx_mb_per_s"]) if stream else (lambda r: r["requests_per_s"])
    v = [key(t[i]) / key(b[i]) for i in sorted(t) if i in b and key(b[i]) > 0]
    if not stream:
        l = [t[i]["latency_ns"]["p50"] / b[i]["latency_ns"]["p50"] for i in sorted(t)
             if i in b and b[i]["latency_ns"]["p50"] > 0]
        return v, l
    return v, []
def spread(v, fmt):
    if not v: return "n/a"
    return f"{fmt(statistics.median(v))} ({fmt(min(v))}..{fmt(max(v))})"
for w in workloads:
    stream = w.startswith("stream")
    print(f"=== {w} ===")
    hdr = (f"{'configuration':24} {'MB/s median (min..max)':>30} {'n':>3}" if stream else
           f"{'configuration':24} {'req/s median (min..max)':>34} {'p50 us median (min..max)':>28} {'p99 us':>8} {'n':>3}")
    print(hdr)
    med = {}
    for c, label in cfgs:
        nap = f"{out}/json/{w}.{c}.na"
        if os.path.exists(nap):
            reason = open(nap).read().strip()
            print(f"{label:24} n/a: {reason}")
            rows.append(dict(workload=w, config=c, runs=0, note=reason))
            continue
        d = load(w, c)
        if not d:
            print(f"{label:24} n/a: no successful run (see the notes above)")
            rows.append(dict(workload=w, config=c, runs=0, note="no successful run"))
            continue
        if stream:
            mb = [r["tx_mb_per_s"] for r in d]
            med[c] = statistics.median(mb)
            print(f"{label:24} {spread(mb, lambda x: f'{x:,.0f}'):>30} {len(d):>3}")
            rows.append(dict(workload=w, config=c, runs=len(d), mb_per_s_median=round(med[c], 1),
                             mb_per_s_min=round(min(mb), 1), mb_per_s_max=round(max(mb), 1)))
        else:
            rq = [r["requests_per_s"] for r in d]
            p50 = [r["latency_ns"]["p50"] / 1000 for r in d]
            p99 = [r["latency_ns"]["p99"] / 1000 for r in d]
            med[c] = (statistics.median(rq), statistics.median(p50))
            print(f"{label:24} {spread(rq, lambda x: f'{x:,.0f}'):>34} "
                  f"{spread(p50, lambda x: f'{x:.1f}'):>28} {statistics.median(p99):>8.1f} {len(d):>3}")
            rows.append(dict(workload=w, config=c, runs=len(d),
                             req_per_s_median=round(med[c][0], 1), req_per_s_min=round(min(rq), 1),
                             req_per_s_max=round(max(rq), 1), p50_us_median=round(med[c][1], 2),
                             p50_us_min=round(min(p50), 2), p50_us_max=round(max(p50), 2),
                             p99_us_median=round(statistics.median(p99), 2)))
    for base, name in (("lo", "Linux loopback"), ("floor", "floor")):
        if "tern" in med and base in med:
            v, l = paired(w, base, stream)
            pr = lambda x: f"{statistics.median(x):.2f} ({min(x):.2f}..{max(x):.2f})" if x else "n/a"
            if stream:
                print(f"  Tern / {name}: throughput {med['tern'] / med[base]:.2f}; "
                      f"paired by run: {pr(v)}")
            else:
                print(f"  Tern / {name}: req/s {med['tern'][0] / med[base][0]:.2f}, "
                      f"p50 latency {med['tern'][1] / med[base][1]:.2f}; paired by run: "
                      f"req/s {pr(v)}, p50 {pr(l)}")
            rows.append(dict(workload=w, config=f"tern/{base}", runs=len(v),
                             note=f"paired ratio medians: {'MB/s' if stream else 'req/s'} "
                                  f"{pr(v)}" + ("" if stream else f", p50 {pr(l)}")))
        else:
            print(f"  Tern / {name}: n/a")
    print()
keys = ["workload", "config", "runs", "req_per_s_median", "req_per_s_min", "req_per_s_max",
        "p50_us_median", "p50_us_min", "p50_us_max", "p99_us_median",
        "mb_per_s_median", "mb_per_s_min", "mb_per_s_max", "note"]
with open(f"{out}/summary.csv", "w", newline="") as f:
    wr = csv.DictWriter(f, fieldnames=keys)
    wr.writeheader()
    wr.writerows(rows)
EOF

# ---- latency against offered load -------------------------------------------------
# rr 64 B, 16 connections: the closed-loop rate first, then open loop
# (Poisson arrivals, latency from each request's scheduled time) at 10, 30,
# 50, 70 and 90 % of it, for Tern and Linux loopback.
if [ "$PLOT" = 1 ]; then
	say "-- latency vs offered load (rr 64 B, 16 connections, open loop)"
	DAT=$OUT_DIR/latency_load.dat
	echo "#stack offered_req_per_s achieved_req_per_s p50_us p99_us" >"$DAT"
	LD="--test rr --size 64 --conns 16 $RR"
	for st in tern lo; do
		j=$(J load $st closed)
		if [ $st = tern ]; then run_tern "$j" 5005 $LD; else run_kernel "$j" "$NS_LO" 127.0.0.1:5005 $LD; fi
		[ -f "$j" ] || { note "$st: no closed-loop rate, no sweep"; continue; }
		R=$("$PY" -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["results"]["requests_per_s"]))' "$j")
		say "   $st: closed loop $R req/s"
		for pct in 10 30 50 70 90; do
			rate=$((R * pct / 100))
			[ $rate -ge 1 ] || rate=1
			j=$(J load $st "open$pct")
			if [ $st = tern ]; then run_tern "$j" 5005 $LD --rate $rate
			else run_kernel "$j" "$NS_LO" 127.0.0.1:5005 $LD --rate $rate; fi
			[ -f "$j" ] && "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(sys.argv[2], sys.argv[3], round(r["requests_per_s"]), r["latency_ns"]["p50"] / 1e3, r["latency_ns"]["p99"] / 1e3)
' "$j" "$st" "$rate" >>"$DAT"
		done
	done
	column -t "$DAT" | sed 's/^/   /'
	if ! command -v gnuplot >/dev/null; then
		say "   note: gnuplot missing: installing gnuplot-nox with apt-get"
		apt-get install -y gnuplot-nox >"$TMP/apt.log" 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && apt-get install -y gnuplot-nox >"$TMP/apt.log" 2>&1; }
	fi
	if command -v gnuplot >/dev/null; then
		gnuplot <<EOF 2>"$TMP/gnuplot.err" || { say "   note: gnuplot failed: $(head -2 "$TMP/gnuplot.err")"; }
set terminal pngcairo size 900,560 noenhanced
set output "$OUT_DIR/latency_load.png"
set title "rr 64 B, 16 connections, open loop (Poisson): latency vs offered load"
set xlabel "offered load (requests/s)"
set ylabel "latency (us)"
set logscale y
set key top left
set grid
plot "< grep '^tern ' $DAT" using 2:4 with linespoints title "Tern memif p50", \
     "< grep '^tern ' $DAT" using 2:5 with linespoints title "Tern memif p99", \
     "< grep '^lo ' $DAT" using 2:4 with linespoints title "Linux loopback p50", \
     "< grep '^lo ' $DAT" using 2:5 with linespoints title "Linux loopback p99"
EOF
		[ -s "$OUT_DIR/latency_load.png" ] && say "   plot: $OUT_DIR/latency_load.png"
	else
		say "   note: no gnuplot (apt-get install gnuplot-nox failed): data only in $DAT"
	fi
fi

say ""
say "output in $OUT_DIR: config.txt, summary.csv, json/ ($(ls "$OUT_DIR/json" | wc -l) files)$([ -s "$OUT_DIR/latency_load.png" ] && echo ', latency_load.dat, latency_load.png')"
exit 0

#!/usr/bin/env bash
# TCP benchmark (not a test): two Tern processes over net_memif (each stack
# inline on its own core) next to the Linux kernel over loopback, in the same
# run, same client and server code (tern-client / tern-echo, --kernel for
# Linux). RUNS runs of: 64-byte request/response on one connection, and a
# bulk echo (BYTES streamed and echoed back, verified). Prints each run and
# the medians, and the ratios Tern/Linux. Loopback only, no namespaces needed.
#   tcp_bench.sh [BUILD_DIR]   (env: RUNS, RR_COUNT, BYTES)
set -u
build=${1:-build}
RUNS=${RUNS:-5}
RR_COUNT=${RR_COUNT:-20000}
BYTES=${BYTES:-256m}
echo_bin=$build/apps/tern-echo
client=$build/apps/tern-client
eal="--no-huge -m 512 --no-pci --log-level=pmd.net.memif:error --log-level=lib.eal:error"
tmp=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null; rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run_tern() { # mode(rr|bulk) run
	local sock=$tmp/m$2.sock tag=tern-tb-$$-$1-$2
	"$echo_bin" $eal --file-prefix "$tag-s" -l 1 --vdev=net_memif0,role=server,socket="$sock" -- \
		--ip 198.18.1.2/24 --mode inline --udp-port 0 --tcp-port 5005 --duration 60 \
		>"$tmp/srv.log" 2>&1 &
	local srv=$!
	for _ in $(seq 100); do grep -q "echo on port" "$tmp/srv.log" && break; sleep 0.05; done
	local args="--tcp --rr 64 --count $RR_COUNT"
	[ "$1" = bulk ] && args="--tcp --bytes $BYTES"
	"$client" $eal --file-prefix "$tag-c" -l 0 --vdev=net_memif0,role=client,socket="$sock" -- \
		--ip 198.18.1.1/24 --mode inline --server 198.18.1.2:5005 $args 2>&1
	kill -INT $srv 2>/dev/null; wait $srv 2>/dev/null
}

run_linux() { # mode run
	taskset -c 1 "$echo_bin" --kernel -- --udp-port 0 --tcp-port 5006 --duration 60 \
		>"$tmp/ksrv.log" 2>&1 &
	local srv=$!
	for _ in $(seq 100); do grep -q "echo on port" "$tmp/ksrv.log" && break; sleep 0.05; done
	local args="--tcp --rr 64 --count $RR_COUNT"
	[ "$1" = bulk ] && args="--tcp --bytes $BYTES"
	taskset -c 0 "$client" --kernel -- --server 127.0.0.1:5006 $args 2>&1
	kill -INT $srv 2>/dev/null; wait $srv 2>/dev/null
}

for stack in tern linux; do
	for r in $(seq "$RUNS"); do
		out=$(run_$stack rr "$r")
		rt=$(echo "$out" | grep "^round trip")
		p50=$(echo "$rt" | sed -n 's/.* p50=\([0-9.]*\).*/\1/p')
		p99=$(echo "$rt" | sed -n 's/.* p99=\([0-9.]*\).*/\1/p')
		echo "$stack rr64 run $r: p50 ${p50:-?} us p99 ${p99:-?} us"
		echo "$p50" >>"$tmp/$stack.rr"
		out=$(run_$stack bulk "$r")
		mbs=$(echo "$out" | sed -n 's/^throughput: \([0-9.]*\) MB\/s.*/\1/p')
		echo "$stack bulk run $r: ${mbs:-?} MB/s each way ($BYTES echoed, verified)"
		echo "$mbs" >>"$tmp/$stack.bulk"
	done
done
trr=$(median <"$tmp/tern.rr"); lrr=$(median <"$tmp/linux.rr")
tbk=$(median <"$tmp/tern.bulk"); lbk=$(median <"$tmp/linux.bulk")
echo "== medians of $RUNS runs"
echo "rr 64 B, 1 connection: Tern/memif p50 $trr us, Linux/loopback p50 $lrr us, ratio Tern/Linux $(awk -v a="$trr" -v b="$lrr" 'BEGIN{printf "%.2f", a/b}')"
echo "bulk echo: Tern/memif $tbk MB/s, Linux/loopback $lbk MB/s, ratio Tern/Linux $(awk -v a="$tbk" -v b="$lbk" 'BEGIN{printf "%.2f", a/b}')"

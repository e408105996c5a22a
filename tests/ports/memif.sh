#!/usr/bin/env bash
# Two Tern processes over net_memif (shared memory, no kernel): tern-echo
# serves, tern-client sends datagrams of mixed sizes (fragmented above 1472)
# and checks every echo byte for byte. Each process drives its stack inline
# on its own core, as a benchmark pair would.
#   memif.sh BUILD_DIR [COUNT]
set -euo pipefail
build=$1; count=${2:-20000}
tag=tern-memif-$$
sock=/tmp/$tag.sock
log=$(mktemp)
cleanup() { [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -f "$sock" "$log"; }
trap cleanup EXIT
eal="--no-huge -m 256 --no-pci --log-level=pmd.net.memif:error --log-level=lib.eal:error"
timeout 120 "$build/apps/tern-echo" $eal --file-prefix "$tag-s" -l 1 \
	--vdev=net_memif0,role=server,socket="$sock" -- \
	--ip 198.18.1.2/24 --mode inline --duration 100 --count "$((count + 10))" --stats >"$log" 2>&1 &
srv=$!
for _ in $(seq 100); do grep -q "UDP echo on port" "$log" && break; sleep 0.1; done
timeout 100 "$build/apps/tern-client" $eal --file-prefix "$tag-c" -l 0 \
	--vdev=net_memif0,role=client,socket="$sock" -- \
	--ip 198.18.1.1/24 --mode inline --server 198.18.1.2:5005 \
	--count "$count" --sizes 8-8000 --timeout-ms 2000 --stats
wait "$srv"; srv=
echo "--- server"; grep -v "^EAL" "$log"
# The echo server must have served every datagram and dropped nothing for a bad reason.
grep -q "echoed $((count + 10)) datagrams" "$log"
! grep -E "^(ip_bad_csum|udp_bad_csum|icmp_bad_csum|frag_overlap|frag_bad|nombuf) " "$log"

#!/usr/bin/env bash
# The README's test command: install what is missing, build Tern three ways
# (release-ish, ASan+UBSan, clang+libFuzzer) and run every suite.
#   unit  Check unit tests          pcap  replay of captures vs expected output
#   pkt   packetdrill-format scripts on a virtual clock
#   sim   two TCP stacks back to back through the impairment layer
#   mt    sockets shared by many threads (two LCORE stacks in one process);
#         also under ASan and under ThreadSanitizer (tests/mt/tsan.sh)
#   live  Linux kernel as the peer over net_tap in private namespaces (root)
#   diff  the same socket scenarios on Linux kernel sockets and on Tern, compared
#   fuzz  libFuzzer targets, bounded (clang build) + corpus replay (gcc build)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
jobs=$(nproc)

build() { # dir, meson args...
	local dir=$1; shift
	if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
	else meson setup "$dir" "$@" >/dev/null; fi
	ninja -C "$dir" -j "$jobs"
}

echo "== build (gcc, debugoptimized)"
build build
echo "== unit, pcap, pkt, sim, mt, live, diff, fuzz-replay, instr suites"
meson test -C build --print-errorlogs --num-processes 1 \
	--suite unit --suite pcap --suite pkt --suite sim --suite mt --suite live --suite diff --suite fuzz \
	--suite instr

echo "== build (ASan + UBSan, tracing compiled in) and run unit + pcap + pkt + sim + mt under it"
build build-san -Dsanitizers=true -Dtrace=true
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C build-san --print-errorlogs --num-processes 1 --suite unit --suite pcap --suite pkt --suite sim --suite mt

echo "== build (ThreadSanitizer) and run the mt suite under it"
bash tests/mt/tsan.sh build-tsan

echo "== build (clang, libFuzzer) and fuzz for a bounded time"
CC=clang build build-fuzz -Dfuzz=true -Dtests=true
meson test -C build-fuzz --print-errorlogs --num-processes 1 --suite fuzz
echo "== all suites passed"

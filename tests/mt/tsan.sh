#!/usr/bin/env bash
# The 'mt' suite under ThreadSanitizer: api/ (and the stack and drivers it
# runs on) built with -fsanitize=thread against Debian's uninstrumented
# DPDK. DPDK's inline ring code is compiled with RTE_USE_C11_MEM_MODEL so
# that its synchronisation is made of C11 atomics TSan understands; what
# TSan still cannot see (EAL's lcore join is annotated in api/runtime.c;
# the mempool's ring in a shared library; a few DPDK helpers and Tern's
# statistics by design) is listed, with reasons, in tests/mt/tsan.supp.
# Any other report fails the run (TSan exits 66).
#   tests/mt/tsan.sh [build-dir]      (default build-tsan)
# MT_SCALE (percent of the byte counts, default 25 here) keeps it short.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-tsan}
args=(-Db_sanitize=thread -Db_lundef=false "-Dc_args=['-DRTE_USE_C11_MEM_MODEL']")
if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "${args[@]}" >/dev/null
else meson setup "$dir" "${args[@]}" >/dev/null; fi
ninja -C "$dir" tests/mt/mt
supp=$(pwd)/tests/mt/tsan.supp
MT_SCALE=${MT_SCALE:-25} \
TSAN_OPTIONS="suppressions=$supp halt_on_error=0 exitcode=66 history_size=7 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
	meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 1 --suite mt

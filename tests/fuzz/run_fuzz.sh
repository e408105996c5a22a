#!/bin/sh
# Run one libFuzzer target for a bounded time on a scratch copy of its
# committed corpus (new inputs go there, never into the repository), with
# the saved regressions as a second, read-only corpus. Crash files land in
# the scratch directory and their path is printed by libFuzzer.
# Usage: run_fuzz.sh FUZZER CORPUS_DIR REGRESS_DIR SECONDS KEEP_DIR
# (a failing input is also copied to KEEP_DIR, the build directory).
set -eu
fuzzer=$1 corpus=$2 regress=$3 secs=$4 keep=$5
work=$(mktemp -d "${TMPDIR:-/tmp}/tern-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"
dirs="$work/corpus"
if ls "$regress"/* >/dev/null 2>&1; then
	dirs="$dirs $regress"
fi
set +e
# shellcheck disable=SC2086 # $dirs is a list
"$fuzzer" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" $dirs
rc=$?
set -e
if [ $rc -ne 0 ]; then
	# Keep what failed where CI can find it before the scratch dir goes.
	for f in "$work"/artifacts/*; do
		[ -e "$f" ] || continue
		echo "failing input ($(basename "$f")), base64:"
		base64 "$f"
		cp "$f" "$keep/" && echo "saved as $keep/$(basename "$f")"
	done
fi
exit $rc

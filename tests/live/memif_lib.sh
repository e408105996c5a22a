# Shared set-up of the live tests that join two DPDK processes by net_memif
# (in memory only: no namespace, no TAP): bench_smoke.sh and floor_smoke.sh.
# Sourced after the script has set its own binaries.
#
#   memif_init NAME TAGWORD  the scratch directory, the cleanup trap (every
#                            process in PIDS is stopped, every EAL runtime
#                            directory of TAG removed) and these helpers:
#   log MSG / fail MSG       print as [NAME]; fail also marks the run failed
#   wait_line FILE PAT PID   up to 30 s for PAT in FILE while PID lives
#   memif_finish             print the verdict and exit 0 or 1
#
# Variables: TAG (EAL --file-prefix stem), TMP, PIDS, FAILED, RUNS, EAL.

memif_init() {
	MEMIF_NAME=$1
	TAG=tern-$2-$$
	TMP=$(mktemp -d "/tmp/$TAG.XXXXXX")
	PIDS=""
	FAILED=0
	RUNS=0
	EAL="--no-huge -m 512 --no-pci --log-level=pmd.net.memif:error --log-level=lib.eal:error"
	trap memif_cleanup EXIT
	trap 'exit 130' INT TERM
}

memif_cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
	for pid in $PIDS; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TMP" /var/run/dpdk/"$TAG"-*
}

log() { printf '[%s] %s\n' "$MEMIF_NAME" "$*"; }
fail() { printf '[%s] FAIL: %s\n' "$MEMIF_NAME" "$*" >&2; FAILED=1; }

wait_line() {
	for _ in $(seq 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	cat "$1" >&2
	return 1
}

memif_finish() {
	if [ "$FAILED" -ne 0 ]; then
		log "FAILED ($RUNS runs)"
		exit 1
	fi
	log "PASSED ($RUNS runs)"
	exit 0
}

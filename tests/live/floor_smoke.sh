#!/bin/bash
# Live test: tern-floor, functionally (no timing is asserted). Two
# tern-floor processes joined by net_memif (in memory only; lcores 1 and 0):
#   rr          reflect <- rr, 20000 round trips, one in flight
#   rr-k16      reflect <- rr, 50000 round trips, 16 in flight
#   stream      sink <- stream, 1 s of 1514-byte frames
#   mismatch    sink <- rr: the client must refuse a peer of the wrong role
# For each: both exit 0, both JSON files parse, counts > 0, no errors, and
# nothing lost: rr frames sent = received = reflected by the peer, stream
# frames sent = delivered with no sequence gaps.
#   floor_smoke.sh   (env: TERN_FLOOR, or TERN_BUILD=builddir)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${TERN_BUILD:=$HERE/../../build}"
FLOOR=${TERN_FLOOR:-$TERN_BUILD/apps/tern-floor}
PY=${LIVE_PY:-python3}
[ -x "$FLOOR" ] || { echo "floor_smoke: $FLOOR is not built" >&2; exit 1; }
for tool in timeout "$PY"; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done

. "$HERE/memif_lib.sh"
memif_init floor-smoke fsmoke

# check NAME KIND(rr|stream) CLIENT_JSON SERVER_JSON
check_json() {
	"$PY" - "$@" <<'EOF'
import json, sys
name, kind, cpath, spath = sys.argv[1:5]
docs = []
for p in (cpath, spath):
    try:
        with open(p) as f:
            docs.append(json.load(f))
    except (OSError, ValueError) as e:
        sys.exit(f"{name}: {p}: JSON does not parse: {e}")
c, s = docs
cr, sr = c["results"], s["results"]
bad = []
if c["tool"] != "tern-floor": bad.append(f"tool {c['tool']}")
if c["config"]["test"] != kind: bad.append(f"test {c['config']['test']}")
if not c["config"]["dpdk_version"].startswith("DPDK"): bad.append("no DPDK version")
for side, r in (("client", cr), ("server", sr)):
    if not r["ok"]: bad.append(f"{side}: ok is false")
    if r["errors"] != 0: bad.append(f"{side}: errors = {r['errors']}")
    if r["abort"] is not None: bad.append(f"{side}: abort = {r['abort']}")
if sr["sessions"] != 1: bad.append(f"server sessions = {sr['sessions']}")
if not cr["frames_sent"] > 0: bad.append("no frames sent")
if kind == "rr":
    want = c["config"]["count"]
    if cr["requests"] != want: bad.append(f"requests {cr['requests']} != {want}")
    if cr["latency_ns"]["count"] != want: bad.append("latency samples != requests")
    if not 0 < cr["latency_ns"]["p50"] <= cr["latency_ns"]["max"]: bad.append("latency")
    if not cr["requests_per_s"] > 0: bad.append("requests_per_s")
    if cr["lost"] != 0: bad.append(f"lost = {cr['lost']}")
    if cr["verify_errors"] != 0: bad.append(f"verify_errors = {cr['verify_errors']}")
    if cr["frames_received"] != cr["frames_sent"]: bad.append("received != sent")
    if cr["peer_frames"] != cr["frames_sent"]: bad.append("reflected != sent")
    if sr["frames_reflected"] != cr["frames_sent"]: bad.append("server reflected != sent")
else:
    sink = cr["sink"]
    if sink is None: bad.append("no sink report")
    else:
        if sink["frames"] != cr["frames_sent"]: bad.append("delivered != sent")
        if sink["bytes"] != cr["tx_bytes"]: bad.append("bytes delivered != sent")
        if sink["sequence_gaps"] != 0: bad.append(f"gaps = {sink['sequence_gaps']}")
    if cr["frames_lost"] != 0: bad.append(f"frames_lost = {cr['frames_lost']}")
    if sr["frames"] != cr["frames_sent"]: bad.append("server frames != sent")
    if not cr["tx_mb_per_s"] > 0: bad.append("tx_mb_per_s")
if bad:
    sys.exit(f"{name}: " + ", ".join(bad))
EOF
}

# pair NAME SERVER_ROLE EXPECT(ok|refused) CLIENT_ARGS...: one server and one
# client over a fresh memif socket.
pair() {
	local name=$1 srole=$2 expect=$3
	shift 3
	local sock=$TMP/$name.sock cjson=$TMP/$name-c.json sjson=$TMP/$name-s.json
	local slog=$TMP/$name-s.log clog=$TMP/$name-c.log srv rc src kind=rr
	case " $* " in *" stream "*) kind=stream ;; esac
	RUNS=$((RUNS + 1))
	timeout 120 "$FLOOR" $EAL --file-prefix "$TAG-s$RUNS" -l 1 \
		--vdev=net_memif0,role=server,socket="$sock" -- \
		--role "$srole" --duration 100 --json "$sjson" >"$slog" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	for _ in $(seq 300); do
		grep -q '^tern-floor: DPDK' "$slog" 2>/dev/null && break
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	timeout 100 "$FLOOR" $EAL --file-prefix "$TAG-c$RUNS" -l 0 \
		--vdev=net_memif0,role=client,socket="$sock" -- "$@" --json "$cjson" >"$clog" 2>&1
	rc=$?
	if [ "$expect" = refused ]; then
		# The client closes the session anyway, so the server ends.
		wait "$srv"
		src=$?
		if [ "$rc" -eq 2 ] && [ "$src" -eq 0 ] && grep -q "needs a" "$clog"; then
			log "$name: refused as it should: $(grep 'needs a' "$clog")"
		else
			cat "$clog" >&2
			fail "$name: exit status client $rc (expected 2, a role error), server $src"
		fi
		return
	fi
	wait "$srv"
	src=$?
	grep -E '^(throughput|latency|sink|l2)' "$clog" | sed "s/^/  $name: /"
	grep -E '^tern-floor: (reflect|sink):' "$slog" | sed "s/^/  $name: /"
	if [ "$rc" -ne 0 ] || [ "$src" -ne 0 ]; then
		cat "$clog" "$slog" >&2
		fail "$name: exit status client $rc, server $src"
		return
	fi
	check_json "$name" "$kind" "$cjson" "$sjson" || fail "$name: JSON check"
}

log "tern-floor pairs over net_memif (server lcore 1, client lcore 0)"
pair rr       reflect ok --role rr --count 20000
pair rr-k16   reflect ok --role rr --count 50000 --outstanding 16
pair stream   sink    ok --role stream --duration 1
pair mismatch sink    refused --role rr --count 10

memif_finish

#!/bin/bash
# Instructions per echoed request, counted by callgrind: a cost figure that
# does not move with machine noise (issue 5). Builds nothing: run
# `ninja -C BUILD_DIR` first. For TCP and UDP it runs instr_echo twice under
# `valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no` (the
# program switches collection on around its measured loop only), requires
# the two runs to agree within 0.1%, and prints per request:
#  - the whole of Tern: the inclusive cost of every call the harness makes
#    into it (tern_send/sendto/recv/recvfrom + tern_drive_at), both stacks
#    together, and per side (= half: the echo is symmetric, each side sends
#    one and receives one 64 B payload per request);
#  - a by-layer split of that figure by SELF cost, so the rows are disjoint
#    and sum exactly to it (the classification rules are below, in LAYERS);
#  - the inclusive cost of each layer's entry points (these nest, so they do
#    not sum);
#  - the top 15 functions by self cost.
#
# Usage: tests/bench/instr.sh [BUILD_DIR] (default: build)
# Env:   REQUESTS (10000), WARMUP (1000), SIZE (64), PROTOS ("tcp udp"),
#        OUT_DIR (where callgrind.out files are kept; default a temp dir),
#        JSON=file (also write the figures as JSON).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
exe=$build/tests/bench/instr_echo
requests=${REQUESTS:-10000}
warmup=${WARMUP:-1000}
size=${SIZE:-64}
protos=${PROTOS:-tcp udp}

if [ ! -x "$exe" ]; then
	echo "instr.sh: $exe not found: build it first (ninja -C $build)" >&2
	exit 2
fi
for t in valgrind callgrind_annotate python3; do
	command -v $t >/dev/null || { echo "instr.sh: $t not found (apt-get install valgrind)" >&2; exit 2; }
done
out=${OUT_DIR:-$(mktemp -d /tmp/tern-instr.XXXXXX)}
mkdir -p "$out"

for proto in $protos; do
	flag=; [ "$proto" = udp ] && flag=--udp
	for run in 1 2; do
		f=$out/callgrind.$proto.$run.out
		# --instr-atstart=no: EAL start-up, set-up and warm-up run
		# uninstrumented; the program's CALLGRIND_* requests bracket the
		# measured loop. The program's own output (frames and polls per
		# request) goes to $out/$proto.$run.log.
		valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
			--callgrind-out-file="$f" "$exe" $flag --requests "$requests" \
			--warmup "$warmup" --size "$size" >"$out/$proto.$run.log" 2>&1 || {
			echo "instr.sh: $proto run $run failed:" >&2
			tail -20 "$out/$proto.$run.log" >&2
			exit 1
		}
		callgrind_annotate --inclusive=no --threshold=100 --auto=no "$f" >"$f.self"
		callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$f" >"$f.incl"
	done
done

rc=0
OUT="$out" PROTOS="$protos" REQUESTS="$requests" SIZE="$size" JSON_OUT="${JSON:-}" \
python3 - <<'PY' || rc=$?
import json, os, re, sys

out = os.environ["OUT"]
protos = os.environ["PROTOS"].split()
N = int(os.environ["REQUESTS"])
size = int(os.environ["SIZE"])

# ---- what counts as which layer -------------------------------------------
# Every callgrind_annotate entry is "file:function": the function callgrind
# saw (inlining included) and the source file the instructions came from, so
# a DPDK inline such as rte_pktmbuf_free expanded inside tcp_input shows up
# as rte_mbuf.h:tcp_input. Rules, first match wins:
#  1. the file is one of ours: the layer of that file (FILES), except the
#     wire_tcp.c functions, split into input (parse) and output (emit);
#  2. libc's mem{cpy,move,set} and DPDK's rte_memcpy.h: "memcpy";
#  3. DPDK's mbuf and mempool headers and libraries (rte_mbuf*.h,
#     rte_mempool*.h, rte_lcore.h for the per-lcore cache, librte_mempool*,
#     librte_mbuf): "mbuf alloc/free";
#  4. any other header inlined into one of our functions (DPDK's rings,
#     atomics, rte_pause; libc's byteswap.h; our own stack_impl.h, tcp.h,
#     twheel.h): the layer of the function it is inlined into,
#     e.g. rte_ring_*.h:mem_rx_burst is the driver, rte_ring_*.h:ring_copy
#     (the socket's receive ring) and :tern_stack_submit (the request ring)
#     are the socket API;
#  5. anything else is "other" and listed by name.
LAYERS = [
    ("driver", "driver/port: drivers/*.c, port.h (mem port rx/tx burst)"),
    ("loop",   "stack loop: stack.c (poll, tx flush), runtime.c tern_drive_at"),
    ("eth",    "Ethernet+ARP: eth.c arp.c wire_eth.c wire_arp.c"),
    ("ipv4",   "IPv4: ipv4*.c icmp.c wire_ipv4.c wire_icmp.c"),
    ("csum",   "checksums: wire_csum.c (IPv4, TCP, UDP share it)"),
    ("tcpin",  "TCP input: tcp_input.c conn lookup (tcp_conn.c, keyed multilinear hash) rtt cc sack reass, wire_tcp parse"),
    ("tcpout", "TCP output/timers: tcp_output.c tcp_timer.c twheel.c, wire_tcp emit"),
    ("udp",    "UDP: udp.c wire_udp.c"),
    ("sock",   "socket API: api/*.c, request ring (sockreq.c chan.c), tcp_usr.c, socket rings"),
    ("mbuf",   "mbuf alloc/free: rte_pktmbuf_*, rte_mempool_* (inlined or not)"),
    ("memcpy", "memcpy: libc mem{cpy,move,set}, rte_memcpy.h"),
    ("other",  "other: not matched by any rule (listed below)"),
]
FILES = {
    "drivers/port_mem.c": "driver", "drivers/port_ethdev.c": "driver",
    "drivers/impair.c": "driver", "drivers/port.h": "driver",
    "stack/stack.c": "loop", "stack/stack.h": "loop", "api/runtime.c": "loop",
    "stack/eth.c": "eth", "stack/arp.c": "eth", "stack/wire_eth.c": "eth",
    "stack/wire_arp.c": "eth",
    "stack/ipv4.c": "ipv4", "stack/ipv4_reass.c": "ipv4", "stack/ipv4_frag.c": "ipv4",
    "stack/icmp.c": "ipv4", "stack/wire_ipv4.c": "ipv4", "stack/wire_icmp.c": "ipv4",
    "stack/wire_csum.c": "csum",
    "stack/tcp_input.c": "tcpin", "stack/tcp_conn.c": "tcpin", "stack/tcp_isn.c": "tcpin",
    "stack/tcp_rtt.c": "tcpin", "stack/tcp_cc.c": "tcpin", "stack/tcp_cc_cubic.c": "tcpin",
    "stack/tcp_cc_newreno.c": "tcpin", "stack/tcp_sack.c": "tcpin",
    "stack/tcp_reass.c": "tcpin", "stack/tcp_seq.h": "tcpin",
    "stack/tcp_output.c": "tcpout", "stack/tcp_timer.c": "tcpout", "stack/twheel.c": "tcpout",
    "stack/udp.c": "udp", "stack/wire_udp.c": "udp",
    "stack/sockreq.c": "sock", "stack/chan.c": "sock", "stack/tcp_usr.c": "sock",
    "stack/sockif.h": "sock",
}
# wire_tcp.c: the emit side belongs to output, the rest (parse, options) to input.
WIRE_TCP_OUT = re.compile(r"emit|build|write|layout")
HARNESS = "tests/bench/instr_echo.c"
# What the harness calls into Tern: the sum of their inclusive costs is
# "the whole stack" (both runtimes, API and stack).
ENTRY = ["tern_send", "tern_sendto", "tern_recv", "tern_recvfrom", "tern_drive_at"]
# Entry points shown with their inclusive cost (they nest).
INCL_SHOW = [
    ("tern_send", "sock"), ("tern_sendto", "sock"), ("tern_recv", "sock"),
    ("tern_recvfrom", "sock"), ("tern_drive_at", "loop"), ("tern_stack_poll", "loop"),
    ("mem_rx_burst", "driver"), ("stack_tx_flush", "driver"), ("mem_tx_burst", "driver"),
    ("eth_input", "eth"), ("ipv4_input", "ipv4"), ("ipv4_output", "ipv4"),
    ("tcp_input", "tcpin"), ("tcp_output", "tcpout"), ("send_segment", "tcpout"),
    ("udp_input", "udp"), ("udp_output", "udp"), ("sockreq_dispatch", "sock"),
]

LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)(?:\s+\[(.*)\])?\s*$")

def parse(path):
    total, rows = None, []
    with open(path) as f:
        for ln in f:
            m = LINE.match(ln)
            if not m:
                continue
            n = int(m.group(1).replace(",", ""))
            what = m.group(2)
            if what == "PROGRAM TOTALS":
                total = n
                continue
            # file:function (the file may be ./string/../x.S or a path)
            k = what.rfind(":")
            fil, fn = (what[:k], what[k + 1:]) if k > 0 else ("???", what)
            rows.append((n, fil, fn, m.group(3) or ""))
    if total is None:
        sys.exit("instr.sh: no PROGRAM TOTALS in " + path)
    return total, rows

def ours(fil):
    """'stack/tcp_input.c' for one of our files, else None."""
    fil = os.path.normpath(fil)
    for top in ("stack/", "api/", "drivers/", "tests/"):
        i = fil.find("/" + top)
        if i >= 0:
            return fil[i + 1:]
        if fil.startswith(top):
            return fil
    return None

def layer_of_file(rel, fn):
    if rel == "stack/wire_tcp.c":
        return "tcpout" if WIRE_TCP_OUT.search(fn) else "tcpin"
    if rel in FILES:
        return FILES[rel]
    if rel.startswith("api/"):
        return "sock"
    return None

def classify(rows):
    # fn -> layer of the file it is defined in (for rule 4)
    home = {}
    for n, fil, fn, obj in rows:
        rel = ours(fil)
        if rel and rel != HARNESS and (rel.endswith(".c")):
            home.setdefault(fn, layer_of_file(rel, fn))
    def one(fil, fn, obj):
        rel = ours(fil)
        base = os.path.basename(fil)
        if rel == HARNESS:
            return "harness"
        if rel:
            # Our own headers (stack_impl.h, tcp.h, twheel.h...): the
            # function they are inlined into decides, as in rule 4.
            return layer_of_file(rel, fn) or home.get(fn) or "other"
        if re.match(r"_*mem(cpy|move|set)", fn) or base == "rte_memcpy.h":
            return "memcpy"
        if (re.match(r"rte_(mbuf|mempool)", base) or base == "rte_lcore.h" or
                re.search(r"librte_(mempool|mbuf)", obj) or
                re.match(r"(rte_pktmbuf_|rte_mempool_|rte_mbuf_|common_ring_)", fn)):
            return "mbuf"
        if home.get(fn):
            return home[fn]
        return "other"
    return [(n, fil, fn, obj, one(fil, fn, obj)) for n, fil, fn, obj in rows]

def analyse(proto, run):
    f = os.path.join(out, "callgrind.%s.%d.out" % (proto, run))
    total, self_rows = parse(f + ".self")
    _, incl_rows = parse(f + ".incl")
    cls = classify(self_rows)
    by = {}
    for n, fil, fn, obj, l in cls:
        by[l] = by.get(l, 0) + n
    # Inclusive per function name. With --inclusive=yes callgrind_annotate
    # lists a function once in full (inlined headers included) and again
    # per source file it ran code from; the full figure is the largest.
    incl = {}
    for n, fil, fn, obj in incl_rows:
        incl[fn] = max(incl.get(fn, 0), n)
    tern = sum(incl.get(e, 0) for e in ENTRY)
    return dict(total=total, by=by, cls=cls, incl=incl, tern=tern)

report = {"requests": N, "size": size, "protocols": {}}
for proto in protos:
    r1, r2 = analyse(proto, 1), analyse(proto, 2)
    log = open(os.path.join(out, "%s.1.log" % proto)).read()
    sched = [l for l in log.splitlines() if l.startswith("instr_echo: per request")]
    d = abs(r1["total"] - r2["total"]) / r1["total"]
    det = "identical" if r1["total"] == r2["total"] else "differ by %.4f%%" % (100 * d)
    harness = r1["by"].get("harness", 0)
    tern = r1["tern"]
    print("== %s echo, %d B, %d requests (callgrind Ir; all figures per request)" %
          (proto.upper(), size, N))
    print("program total, runs 1 and 2: %d and %d instructions: %s%s" %
          (r1["total"], r2["total"], det, "" if d <= 0.001 else "  ** NOT DETERMINISTIC **"))
    if sched:
        print(sched[0].replace("instr_echo: per request: ", "schedule: "))
    print("harness (instr_echo.c itself: payload fill and check): %8.1f" % (harness / N))
    print("Tern, both stacks (inclusive cost of %s): %8.1f" % ("/".join(ENTRY), tern / N))
    print("Tern per side (half: the echo is symmetric):            %8.1f" % (tern / N / 2))
    if r1["total"] - harness != tern:
        print("  (check: total - harness = %.1f, differs from the entry-point sum by %d Ir)" %
              ((r1["total"] - harness) / N, r1["total"] - harness - tern))
    print("\nby layer (self cost, disjoint; sums to the Tern figure):")
    print("  %-10s %9s %9s %6s  %s" % ("layer", "both", "per side", "share", "what"))
    rows = []
    s = 0
    for key, desc in LAYERS:
        v = r1["by"].get(key, 0)
        s += v
        rows.append({"layer": key, "both": v / N, "per_side": v / N / 2})
        print("  %-10s %9.1f %9.1f %5.1f%%  %s" % (key, v / N, v / N / 2,
              100.0 * v / tern if tern else 0, desc))
    print("  %-10s %9.1f %9.1f %5.1f%%" % ("sum", s / N, s / N / 2, 100.0 * s / tern))
    oth = sorted([c for c in r1["cls"] if c[4] == "other"], reverse=True)
    if oth:
        print("  other is: " + ", ".join("%s:%s %.1f" % (os.path.basename(c[1]), c[2], c[0] / N)
                                        for c in oth[:8]))
    print("\nentry points, inclusive (nested: these do not sum):")
    for fn, l in INCL_SHOW:
        if fn in r1["incl"]:
            print("  %-18s %-7s %9.1f" % (fn, l, r1["incl"][fn] / N))
    print("\ntop 15 Tern functions by self cost (file:function after inlining; harness left out):")
    top = {}
    for n, fil, fn, obj, l in r1["cls"]:
        if l == "harness":
            continue
        k = "%s:%s" % (ours(fil) or os.path.basename(fil), fn)
        top[k] = (top.get(k, (0, l))[0] + n, l)
    for k, (n, l) in sorted(top.items(), key=lambda x: -x[1][0])[:15]:
        print("  %9.1f  %-7s %s" % (n / N, l, k))
    print()
    report["protocols"][proto] = {
        "program_total": [r1["total"], r2["total"]], "deterministic": d <= 0.001,
        "tern_per_request_both": tern / N, "tern_per_request_per_side": tern / N / 2,
        "harness_per_request": harness / N, "layers": rows,
    }
    if d > 0.001:
        report["failed"] = True

if os.environ.get("JSON_OUT"):
    with open(os.environ["JSON_OUT"], "w") as f:
        json.dump(report, f, indent=1)
sys.exit(1 if report.get("failed") else 0)
PY
echo "(callgrind files in $out)"
exit $rc

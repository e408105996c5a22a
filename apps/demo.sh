#!/usr/bin/env bash
# The README's run command: install what is missing, build, and show Tern's
# UDP echo server on a net_tap vdev inside a private network namespace being
# used by real kernel clients (ping, Python's socket module), then a short
# benchmark. Everything stays inside namespaces this script creates, with
# addresses from 198.18.0.0/15, and is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build

NS=tern-demo-$$
TAP=tdemo0
LOG=$(mktemp)
cleanup() {
	[ -n "${ECHO_PID:-}" ] && kill "$ECHO_PID" 2>/dev/null && wait "$ECHO_PID" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -f "$LOG"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up

echo "== starting tern-echo on net_tap in namespace $NS (Tern = 198.18.0.2, kernel = 198.18.0.1)"
ip netns exec "$NS" build/apps/tern-echo --no-huge -m 512 --no-pci --file-prefix "$NS" \
	--vdev=net_tap0,iface=$TAP -l 0-1 --log-level=pmd.net.tap:error -- \
	--ip 198.18.0.2/24 --udp-port 5005 --duration 120 --stats >"$LOG" 2>&1 &
ECHO_PID=$!
for _ in $(seq 100); do
	grep -q "UDP echo on port" "$LOG" && ip -n "$NS" link show "$TAP" >/dev/null 2>&1 && break
	sleep 0.1
done
ip -n "$NS" link set "$TAP" up
ip -n "$NS" addr add 198.18.0.1/24 dev "$TAP"

echo "== kernel ping (56 and 8000 bytes: the large one is fragmented both ways)"
ip netns exec "$NS" ping -c 3 -i 0.2 198.18.0.2
ip netns exec "$NS" ping -c 3 -i 0.2 -s 8000 198.18.0.2

echo "== Python socket-module client (the seeds' echo example, over UDP)"
ip netns exec "$NS" python3 - <<'PY'
import socket
HOST, PORT = '198.18.0.2', 5005
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
for val in (b'hello, tern', b'x' * 1472, b'y' * 6000):
    s.sendto(val, (HOST, PORT))
    data, addr = s.recvfrom(65535)
    assert data == val, 'echo differs'
    print('Received', len(data), 'bytes from', addr, repr(data[:16]))
s.close()
PY

echo "== the seeds' TCP echo client (Python socket module) against Tern's TCP echo"
ip netns exec "$NS" python3 - <<'PY'
import socket
HOST, PORT = '198.18.0.2', 5005
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(5.0)
s.connect((HOST, PORT))
print('Connected', s.getsockname(), '->', s.getpeername())
s.send(b'Hello, world')
data = s.recv(256)
print('Received', repr(data))
big = bytes(range(256)) * 4096          # 1 MiB, checked byte for byte
s.sendall(big)
got = bytearray()
while len(got) < len(big):
    got += s.recv(65536)
print('Echoed 1 MiB intact:', bytes(got) == big)
s.close()
PY

echo "== kernel UDP client -> Tern echo: 20000 datagrams of 64 bytes"
ip netns exec "$NS" build/apps/tern-client --kernel -- --server 198.18.0.2:5005 \
	--count 20000 --size 64 --timeout-ms 500

kill -INT "$ECHO_PID"; wait "$ECHO_PID" || true; ECHO_PID=
echo "== tern-echo output"
grep -v -e "multiq" -e "Disabling rte flow" -e "qdisc" "$LOG" | tail -40

if [ -x tests/live/echo_bench.sh ]; then
	echo "== short benchmark: Tern vs the Linux kernel (median of 5 runs)"
	bash tests/live/echo_bench.sh build/apps/tern-echo build/apps/tern-client
fi

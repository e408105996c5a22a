#!/usr/bin/env python3
"""Kernel-side peers of the live tests, on Python's socket module.

Run inside the test's namespace (ip netns exec NS python3 kernel_udp.py ...):
  echo-client  windowed UDP echo client: every echo checked byte for byte
  echo-server  UDP echo server (Tern is the client)
  bcast-recv   receive Tern's broadcasts and ack each by unicast
  bcast-send   send the broadcasts Tern must receive (SO_BROADCAST rules)
  refused      connected UDP socket to a closed Tern port: ConnectionRefusedError
  seed-echo    the socket module's echo example, adapted to UDP
Every wait is bounded. Exit 0 on the expected outcome, 1 otherwise.
"""
import argparse
import random
import socket
import struct
import sys
import time


def ipport(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def grow_rcvbuf(s, size=4 << 20):
    """As large a receive buffer as root may force, so the kernel never drops."""
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, size)  # SO_RCVBUFFORCE
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def percentile(sorted_v, p):
    if not sorted_v:
        return float("nan")
    return sorted_v[min(len(sorted_v) - 1, int(p * (len(sorted_v) - 1) + 0.5))]


def echo_client(a):
    """Up to --window datagrams (and --window-bytes) in flight, matched by the
    sequence number in their first 8 bytes. Datagrams under 8 bytes cannot
    carry one: they go alone, with nothing else in flight."""
    server = ipport(a.server)
    rng = random.Random(a.seed)
    sizes = [rng.randint(a.min, a.max) for _ in range(a.count)]
    pool = rng.randbytes(4096 + a.max)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    grow_rcvbuf(s)
    s.connect(server)  # the kernel then filters on the server's address
    s.settimeout(a.reply_timeout)

    def payload(seq, size):
        off = (seq * 131) % 4096
        if size < 8:
            return pool[off:off + size]
        return struct.pack("<Q", seq) + pool[off:off + size - 8]

    inflight = {}  # seq -> (payload, t0)
    inflight_bytes = 0
    small_seq = None
    rtt = []
    nxt = 0
    corrupt = unexpected = 0
    nbytes = 0
    t_start = time.monotonic()
    deadline = t_start + a.max_time
    failure = None
    while len(rtt) + corrupt < a.count:
        while nxt < a.count and len(inflight) < a.window and small_seq is None:
            size = sizes[nxt]
            if inflight and (size < 8 or inflight_bytes + size > a.window_bytes):
                break
            p = payload(nxt, size)
            inflight[nxt] = (p, time.perf_counter_ns())
            s.send(p)
            inflight_bytes += size
            if size < 8:
                small_seq = nxt
            nxt += 1
        if time.monotonic() > deadline:
            failure = "time limit of %d s exceeded" % a.max_time
            break
        try:
            data = s.recv(65536)
        except socket.timeout:
            failure = "%d datagram(s) not echoed within %.1f s (first seq %d)" % (
                len(inflight), a.reply_timeout, min(inflight))
            break
        t1 = time.perf_counter_ns()
        if small_seq is not None:
            seq = small_seq
        elif len(data) >= 8:
            seq = struct.unpack_from("<Q", data)[0]
        else:
            seq = None
        if seq not in inflight:
            unexpected += 1
            if unexpected <= 5:
                print("unexpected echo of %d bytes: %r" % (len(data), data[:16]))
            continue
        p, t0 = inflight.pop(seq)
        inflight_bytes -= len(p)
        if seq == small_seq:
            small_seq = None
        if data != p:
            corrupt += 1
            if corrupt <= 5:
                print("corrupt echo of seq %d: sent %d bytes, got %d" % (seq, len(p), len(data)))
        else:
            rtt.append(t1 - t0)
            nbytes += len(p)
    secs = time.monotonic() - t_start
    lost = nxt - len(rtt) - corrupt  # sent, never echoed (intact or not)
    rtt.sort()
    print("echo-client: sent %d of %d, echoed-intact %d corrupt %d lost %d unexpected %d "
          "window %d/%d B in %.2f s" % (nxt, a.count, len(rtt), corrupt, lost, unexpected,
                                       a.window, a.window_bytes, secs))
    if secs > 0:
        print("throughput: %.0f datagrams/s, %.1f Mbit/s of payload each way"
              % (len(rtt) / secs, nbytes * 8 / secs / 1e6))
    if rtt:
        print("round trip (us, %s): median %.1f p99 %.1f max %.1f"
              % ("one in flight" if a.window == 1 else "up to %d in flight" % a.window,
                 percentile(rtt, 0.5) / 1e3, percentile(rtt, 0.99) / 1e3, rtt[-1] / 1e3))
    if failure:
        print("FAIL: " + failure)
        return 1
    if corrupt or lost or unexpected or nxt != a.count:
        print("FAIL: corrupt %d lost %d unexpected %d" % (corrupt, lost, unexpected))
        return 1
    print("PASS: %d datagrams echoed intact" % len(rtt))
    return 0


def echo_server(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    grow_rcvbuf(s)
    s.bind(ipport(a.bind))
    s.settimeout(0.2)
    print("ready: kernel UDP echo on %s" % a.bind, flush=True)
    n = 0
    end = time.monotonic() + a.duration
    while time.monotonic() < end and (a.count == 0 or n < a.count):
        try:
            data, peer = s.recvfrom(65536)
        except socket.timeout:
            continue
        s.sendto(data, peer)
        n += 1
    print("echo-server: echoed %d datagrams" % n, flush=True)
    return 0


def bcast_recv(a):
    """Bound to ('', port): the kernel takes broadcasts without SO_BROADCAST."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", a.port))
    print("ready: kernel receiver on port %d, expecting %d" % (a.port, a.expect), flush=True)
    got = 0
    end = time.monotonic() + a.wait
    while time.monotonic() < end and (a.expect == 0 or got < a.expect):
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        got += 1
        print("kernel received %r from %s:%d" % (data, peer[0], peer[1]), flush=True)
        s.sendto(b"ack " + data, peer)
    if got != a.expect:
        print("FAIL: kernel received %d broadcast(s), expected %d" % (got, a.expect))
        return 1
    print("PASS: kernel received %d broadcast(s), as expected" % got)
    return 0


def bcast_send(a):
    """The kernel's own rule first (EACCES without SO_BROADCAST), then one
    datagram to the subnet broadcast and one to the limited broadcast."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Bound to our address: the limited broadcast then leaves by the TAP
    # (the namespace has no default route).
    s.bind((a.src, 0))
    try:
        s.sendto(b"must not leave", (a.subnet_bcast, a.port))
        print("FAIL: the kernel sent a broadcast without SO_BROADCAST")
        return 1
    except PermissionError as e:
        print("kernel without SO_BROADCAST: %s (as expected)" % e)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    for dst in (a.subnet_bcast, "255.255.255.255"):
        msg = ("to %s" % dst).encode()
        s.sendto(msg, (dst, a.port))
        print("kernel sent %r to %s:%d" % (msg, dst, a.port))
    return 0


def refused(a):
    """A connected UDP socket learns of the ICMP port unreachable on recv."""
    server = ipport(a.server)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(server)
    s.settimeout(2.0)
    for attempt in range(1, 4):
        try:
            s.send(b"anyone there?")
            data = s.recv(2048)
            print("FAIL: got an answer %r from a closed port" % data)
            return 1
        except ConnectionRefusedError as e:
            print("PASS: ConnectionRefusedError from %s:%d (%s)" % (server + (e,)))
            return 0
        except socket.timeout:
            print("attempt %d: no ICMP error within 2 s" % attempt)
    print("FAIL: no ConnectionRefusedError")
    return 1


def seed_echo(a):
    # Echo client program (the socket module's example, over UDP)
    HOST, PORT = ipport(a.server)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5.0)
    s.sendto(b"Hello, world", (HOST, PORT))
    data, addr = s.recvfrom(1024)
    s.close()
    print("Received", repr(data), "from", addr)
    return 0 if data == b"Hello, world" and addr == (HOST, PORT) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("echo-client")
    p.add_argument("--server", required=True)
    p.add_argument("--count", type=int, default=100000)
    p.add_argument("--min", type=int, default=1)
    p.add_argument("--max", type=int, default=8000)
    p.add_argument("--window", type=int, default=32)
    p.add_argument("--window-bytes", type=int, default=65536)
    p.add_argument("--reply-timeout", type=float, default=2.0)
    p.add_argument("--max-time", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(fn=echo_client)
    p = sub.add_parser("echo-server")
    p.add_argument("--bind", required=True)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--count", type=int, default=0)
    p.set_defaults(fn=echo_server)
    p = sub.add_parser("bcast-recv")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--wait", type=float, default=10)
    p.set_defaults(fn=bcast_recv)
    p = sub.add_parser("bcast-send")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--src", default="198.18.0.1")
    p.add_argument("--subnet-bcast", default="198.18.0.255")
    p.set_defaults(fn=bcast_send)
    p = sub.add_parser("refused")
    p.add_argument("--server", required=True)
    p.set_defaults(fn=refused)
    p = sub.add_parser("seed-echo")
    p.add_argument("--server", required=True)
    p.set_defaults(fn=seed_echo)
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())

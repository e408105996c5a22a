#!/usr/bin/env python3
"""Kernel-side TCP peers of the live tests, on Python's socket module.

Run inside the test's namespace (ip netns exec NS python3 kernel_tcp.py ...):
  stream        stream BYTES to an echo server while reading the echo back;
                SHA-256 of what was sent against SHA-256 of what came back
  echo-server   echo every connection (selectors); Tern is the client
  half-close    send, shutdown(SHUT_WR), read the whole echo, then EOF
  linger-rst    SO_LINGER 0 close (RST) of an echo connection
  refused       connect to a closed port: ConnectionRefusedError
  reset-server  accept, send, and expect the peer's close to reset us
  seed-echo     the socket module's TCP echo client example
Both ends may check TCP_INFO's negotiated options (--expect-opts
sack=0,ts=1,wscale=1). Every wait is bounded. Exit 0 on the expected
outcome, 1 otherwise.
"""
import argparse
import hashlib
import random
import selectors
import socket
import struct
import sys
import time

TCPI_OPT_TIMESTAMPS = 1
TCPI_OPT_SACK = 2
TCPI_OPT_WSCALE = 4
OPT_BITS = {"ts": TCPI_OPT_TIMESTAMPS, "sack": TCPI_OPT_SACK, "wscale": TCPI_OPT_WSCALE}


def ipport(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def tcp_info(s):
    """The fields of struct tcp_info the tests look at."""
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    opts, wscale = b[5], b[6]
    (snd_mss, rcv_mss) = struct.unpack_from("<II", b, 16)
    (rtt, rttvar) = struct.unpack_from("<II", b, 68)
    (total_retrans,) = struct.unpack_from("<I", b, 100) if len(b) >= 104 else (0,)
    return {
        "ts": bool(opts & TCPI_OPT_TIMESTAMPS),
        "sack": bool(opts & TCPI_OPT_SACK),
        "wscale": bool(opts & TCPI_OPT_WSCALE),
        "snd_wscale": wscale & 0xf, "rcv_wscale": wscale >> 4,
        "snd_mss": snd_mss, "rcv_mss": rcv_mss, "rtt_us": rtt, "rttvar_us": rttvar,
        "total_retrans": total_retrans,
    }


def fmt_info(i):
    return ("options: sack=%d ts=%d wscale=%d (snd_wscale %d rcv_wscale %d) snd_mss %d "
            "rcv_mss %d rtt %d us total_retrans %d" % (
                i["sack"], i["ts"], i["wscale"], i["snd_wscale"], i["rcv_wscale"],
                i["snd_mss"], i["rcv_mss"], i["rtt_us"], i["total_retrans"]))


def parse_expect(spec):
    want = {}
    for kv in filter(None, (spec or "").split(",")):
        k, v = kv.split("=")
        if k not in OPT_BITS:
            raise SystemExit("unknown option %s" % k)
        want[k] = bool(int(v))
    return want


def check_opts(s, want, who):
    """Print TCP_INFO and compare the negotiated options; @return ok."""
    info = tcp_info(s)
    print("%s TCP_INFO %s" % (who, fmt_info(info)))
    ok = True
    for k, v in want.items():
        if info[k] != v:
            print("FAIL: %s option %s is %s, expected %s" % (who, k, info[k], v))
            ok = False
    return ok


class Pattern:
    """Random bytes with a prime period: slices of up to CHUNK are contiguous."""
    PERIOD = 1048573

    def __init__(self, seed, chunk):
        block = random.Random(seed).randbytes(self.PERIOD)
        self.buf = memoryview(block + block[:chunk])

    def at(self, off, n):
        p = off % self.PERIOD
        return self.buf[p:p + n]


def stream(a):
    """Send --bytes while reading the echo; both sides hashed as they go."""
    pat = Pattern(a.seed, a.chunk)
    s = socket.create_connection(ipport(a.server), timeout=5)
    if a.sndbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, a.sndbuf)
    ok = check_opts(s, parse_expect(a.expect_opts), "kernel client")
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    tx_hash, rx_hash = hashlib.sha256(), hashlib.sha256()
    rxbuf = bytearray(a.chunk)
    rxview = memoryview(rxbuf)
    sent = rcvd = 0
    eof = shut = False
    t0 = time.monotonic()
    deadline = t0 + a.max_time
    last = t0
    failure = None
    next_report = t0 + 10
    while not eof:
        now = time.monotonic()
        if now > deadline:
            failure = "time limit of %d s exceeded" % a.max_time
            break
        if now - last > a.stall:
            failure = "no progress for %d s" % a.stall
            break
        if now > next_report:
            print("  ... %.0f s: sent %d received %d" % (now - t0, sent, rcvd))
            next_report = now + 10
        for key, ev in sel.select(timeout=0.5):
            if ev & selectors.EVENT_WRITE and sent < a.bytes:
                chunk = pat.at(sent, min(a.chunk, a.bytes - sent))
                try:
                    n = s.send(chunk)
                except BlockingIOError:
                    n = 0
                tx_hash.update(chunk[:n])
                sent += n
                last = now
                if sent == a.bytes:
                    sel.modify(s, selectors.EVENT_READ)
                    if a.shutdown:
                        s.shutdown(socket.SHUT_WR)
                        shut = True
            if ev & selectors.EVENT_READ:
                try:
                    n = s.recv_into(rxview)
                except BlockingIOError:
                    continue
                if n == 0:
                    eof = True
                    break
                rx_hash.update(rxview[:n])
                rcvd += n
                last = now
                if rcvd > sent:
                    failure = "received %d bytes, more than the %d sent" % (rcvd, sent)
                    eof = True
                    break
                if rcvd == a.bytes and not shut:
                    eof = True   # all echoed: we end it
                    break
    secs = time.monotonic() - t0
    ok = check_opts(s, parse_expect(a.expect_opts), "kernel client (end)") and ok
    s.close()
    tx_d, rx_d = tx_hash.hexdigest(), rx_hash.hexdigest()
    print("stream: sent %d received %d bytes in %.2f s: %.1f MB/s each way" %
          (sent, rcvd, secs, rcvd / secs / 1e6 if secs > 0 else 0))
    print("sha256 sent     %s\nsha256 received %s" % (tx_d, rx_d))
    if failure:
        print("FAIL: " + failure)
        return 1
    if sent != a.bytes or rcvd != a.bytes or tx_d != rx_d:
        print("FAIL: the echo differs from what was sent")
        return 1
    if not ok:
        return 1
    print("PASS: %d bytes echoed intact%s" % (rcvd, ", then EOF" if shut else ""))
    return 0


def echo_server(a):
    """Echo every accepted connection; close each after its peer's EOF once
    the echo is out. Exits after --conns connections or --duration."""
    want = parse_expect(a.expect_opts)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(ipport(a.bind))
    ls.listen(1024)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    print("ready: kernel TCP echo on %s" % a.bind, flush=True)
    served = errors = 0
    total = 0
    ok = True
    end = time.monotonic() + a.duration
    buf = bytearray(262144)
    view = memoryview(buf)
    while time.monotonic() < end and (a.conns == 0 or served < a.conns):
        for key, ev in sel.select(timeout=0.2):
            if key.data is None:
                try:
                    c, peer = ls.accept()
                except BlockingIOError:
                    continue
                if want or a.verbose:
                    ok = check_opts(c, want, "kernel server") and ok
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, {"out": b"", "eof": False, "n": 0})
                continue
            c, st = key.fileobj, key.data
            try:
                if ev & selectors.EVENT_READ and not st["out"]:
                    n = c.recv_into(view)
                    if n == 0:
                        st["eof"] = True
                    else:
                        st["out"] = bytes(view[:n])
                        st["n"] += n
                if st["out"]:
                    n = c.send(st["out"])
                    st["out"] = st["out"][n:]
            except BlockingIOError:
                pass
            except OSError as e:
                print("connection error: %s" % e)
                errors += 1
                st["eof"] = True
                st["out"] = b""
            if st["eof"] and not st["out"]:
                sel.unregister(c)
                c.close()
                served += 1
                total += st["n"]
            else:
                sel.modify(c, selectors.EVENT_WRITE if st["out"] else selectors.EVENT_READ, st)
    print("echo-server: %d connection(s) served, %d bytes echoed, %d error(s)" %
          (served, total, errors), flush=True)
    if a.conns and served < a.conns:
        print("FAIL: served %d of %d connections" % (served, a.conns))
        return 1
    return 0 if ok and errors == 0 else 1


def half_close(a):
    """Send, shutdown(SHUT_WR), then read: the whole echo, then EOF."""
    data = random.Random(a.seed).randbytes(a.bytes)
    s = socket.create_connection(ipport(a.server), timeout=10)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    print("sent %d bytes, then shutdown(SHUT_WR)" % len(data))
    got = bytearray()
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            print("FAIL: no EOF within 10 s (got %d bytes)" % len(got))
            return 1
        if not chunk:
            break
        got += chunk
    s.close()
    print("read %d bytes, then EOF" % len(got))
    if bytes(got) != data:
        print("FAIL: the echo differs from what was sent")
        return 1
    print("PASS: whole echo after our FIN, then the peer's FIN")
    return 0


def linger_rst(a):
    """An echo connection that ends in a RST (SO_LINGER 0), with and
    without data in flight."""
    for with_data in (False, True):
        s = socket.create_connection(ipport(a.server), timeout=5)
        s.sendall(b"x" * 1000)
        got = b""
        while len(got) < 1000:
            got += s.recv(1000 - len(got))
        if with_data:
            s.sendall(b"y" * 100000)   # the echo is still coming back
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        print("closed with SO_LINGER 0 (RST)%s" % (", data in flight" if with_data else ""))
    return 0


def refused(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(ipport(a.server))
    except ConnectionRefusedError as e:
        print("PASS: ConnectionRefusedError (%s)" % e)
        return 0
    except OSError as e:
        print("FAIL: %r" % e)
        return 1
    print("FAIL: connected to a closed port")
    return 1


def reset_server(a):
    """Accept one connection, send to it, and expect a RST when the peer
    closes without reading."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(ipport(a.bind))
    ls.listen(1)
    ls.settimeout(a.wait)
    print("ready: reset-server on %s" % a.bind, flush=True)
    c, peer = ls.accept()
    c.settimeout(a.wait)
    c.sendall(b"z" * a.bytes)
    print("sent %d bytes to %s:%d" % (a.bytes, peer[0], peer[1]), flush=True)
    try:
        data = c.recv(1024)
        print("FAIL: recv returned %r, expected ConnectionResetError" % data[:16])
        return 1
    except ConnectionResetError as e:
        print("PASS: ConnectionResetError (%s)" % e)
        return 0
    except socket.timeout:
        print("FAIL: nothing within %d s" % a.wait)
        return 1


def seed_echo(a):
    # Echo client program (the socket module's example)
    HOST, PORT = ipport(a.server)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5.0)   # not in the example: a test never waits forever
    s.connect((HOST, PORT))
    s.send(b"Hello, world")
    data = s.recv(256)
    print("Received", repr(data))
    s.close()
    return 0 if data == b"Hello, world" else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("stream")
    p.add_argument("--server", required=True)
    p.add_argument("--bytes", type=int, default=1 << 30)
    p.add_argument("--chunk", type=int, default=262144)
    p.add_argument("--sndbuf", type=int, default=0)
    p.add_argument("--shutdown", action="store_true", help="SHUT_WR after the last byte")
    p.add_argument("--expect-opts", default="")
    p.add_argument("--max-time", type=int, default=240)
    p.add_argument("--stall", type=int, default=15)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(fn=stream)
    p = sub.add_parser("echo-server")
    p.add_argument("--bind", required=True)
    p.add_argument("--conns", type=int, default=0, help="exit after this many")
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--expect-opts", default="")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(fn=echo_server)
    p = sub.add_parser("half-close")
    p.add_argument("--server", required=True)
    p.add_argument("--bytes", type=int, default=200000)
    p.add_argument("--seed", type=int, default=3)
    p.set_defaults(fn=half_close)
    p = sub.add_parser("linger-rst")
    p.add_argument("--server", required=True)
    p.set_defaults(fn=linger_rst)
    p = sub.add_parser("refused")
    p.add_argument("--server", required=True)
    p.set_defaults(fn=refused)
    p = sub.add_parser("reset-server")
    p.add_argument("--bind", required=True)
    p.add_argument("--bytes", type=int, default=4096)
    p.add_argument("--wait", type=int, default=20)
    p.set_defaults(fn=reset_server)
    p = sub.add_parser("seed-echo")
    p.add_argument("--server", required=True)
    p.set_defaults(fn=seed_echo)
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Generate the pcap-replay cases of Tern's 'pcap' test suite.

Run with the system Python (it has scapy):   /usr/bin/python3 gen_cases.py
Each case becomes tests/pcap/cases/<name>/ holding
  input.pcap     frames fed to the stack, at their capture times
  expected.pcap  frames the stack must send, in order
  args           harness arguments (sockets to open, counters to assert)
The generated files are committed, so the test suite needs no scapy.

The expected frames are written here from the RFCs, with scapy building the
headers, never captured from Tern. Where the RFCs leave a choice, the choice
Tern documents is encoded and named in the case's doc string:
  - TTL 64 on everything the stack originates (RFC 1700 / RFC 1122 3.2.1.7).
  - DF clear on what it originates (no PMTU discovery for ICMP and UDP).
  - IPv4 ID: anything (the harness zeroes it on both sides, RFC 6864).
  - Fragmentation at MTU 1500: 1480 payload bytes per fragment, in order.
  - ICMP errors quote as much of the offending datagram as fits in 576
    bytes (RFC 1812 4.3.2.3; RFC 792's minimum is the header + 8 bytes).
  - The peer's MAC is learnt from ARP only (RFC 826), so every case that
    expects an IP reply starts with the peer's ARP request for us, or shows
    the stack's own ARP request in the output and answers it in the input.

  /usr/bin/python3 gen_cases.py              regenerate every scapy case
  /usr/bin/python3 gen_cases.py --list       print the case names
  /usr/bin/python3 gen_cases.py --kernel CAP NAME [args...]
        turn a capture made by record_kernel.sh into cases/NAME (see
        kernel_case() for the normalisation applied to the kernel's replies)
"""
import os
import struct
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPOption_NOP, Raw  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")

OUR_MAC = "02:00:00:00:00:02"      # pcap_replay sets this on its port
PEER_MAC = "02:00:00:00:00:01"
OTHER_MAC = "02:00:00:00:00:99"
BCAST_MAC = "ff:ff:ff:ff:ff:ff"
OUR_IP = "198.18.0.2"              # pcap_replay's default --ip 198.18.0.2/24
PEER_IP = "198.18.0.1"
OTHER_IP = "198.18.0.3"
SUBNET_BCAST = "198.18.0.255"

T0 = 1700000000.0                  # capture time of every case's first frame
STEP = 0.001                       # between input frames
MTU = 1500
FRAG_PAYLOAD = (MTU - 20) // 8 * 8  # RFC 791 3.2: fragment data in 8-octet units

# ---------------------------------------------------------------- pcap files


def write_pcap(path, frames):
    """frames: list of (time in seconds, bytes). Classic pcap, microseconds."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for t, data in frames:
            usec_total = int(round(t * 1e6))
            f.write(struct.pack("<IIII", usec_total // 1000000, usec_total % 1000000,
                                len(data), len(data)))
            f.write(data)


def read_pcap(path):
    """Classic pcap (micro- or nanosecond), Ethernet only: [(time, bytes)]."""
    with open(path, "rb") as f:
        blob = f.read()
    magic = struct.unpack("<I", blob[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    else:
        endian = ">"
        magic = struct.unpack(">I", blob[:4])[0]
    scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
    linktype = struct.unpack(endian + "I", blob[20:24])[0]
    if linktype != 1:
        raise SystemExit("%s: link type %d, want Ethernet" % (path, linktype))
    out, pos = [], 24
    while pos + 16 <= len(blob):
        sec, frac, caplen, wirelen = struct.unpack(endian + "IIII", blob[pos:pos + 16])
        pos += 16
        if caplen != wirelen:
            raise SystemExit("%s: truncated frame in capture" % path)
        out.append((sec + frac * scale, blob[pos:pos + caplen]))
        pos += caplen
    return out

# ------------------------------------------------------------ frame builders


def arp_request_from_peer(tpa=OUR_IP, spa=PEER_IP, sha=PEER_MAC, hwdst="00:00:00:00:00:00"):
    return bytes(Ether(dst=BCAST_MAC, src=sha) /
                 ARP(op=1, hwsrc=sha, psrc=spa, hwdst=hwdst, pdst=tpa))


def arp_reply_to_peer():
    # RFC 826 "Packet reception": swap sender and target, put our addresses in
    # the sender fields, opcode reply, sent straight back to the requester.
    return bytes(Ether(dst=PEER_MAC, src=OUR_MAC) /
                 ARP(op=2, hwsrc=OUR_MAC, psrc=OUR_IP, hwdst=PEER_MAC, pdst=PEER_IP))


def arp_request_from_us(tpa=PEER_IP):
    # What we send when resolving: broadcast, target hardware address unknown (0).
    return bytes(Ether(dst=BCAST_MAC, src=OUR_MAC) /
                 ARP(op=1, hwsrc=OUR_MAC, psrc=OUR_IP, hwdst="00:00:00:00:00:00", pdst=tpa))


def arp_reply_from_peer():
    return bytes(Ether(dst=OUR_MAC, src=PEER_MAC) /
                 ARP(op=2, hwsrc=PEER_MAC, psrc=PEER_IP, hwdst=OUR_MAC, pdst=OUR_IP))


def pattern(n, seed=0):
    return bytes((seed + i) & 0xFF for i in range(n))


def to_us(ip_pkt, dst_mac=OUR_MAC, src_mac=PEER_MAC):
    """An IPv4 datagram (scapy packet or bytes, taken as they are) in a frame to us."""
    return bytes(Ether(dst=dst_mac, src=src_mac, type=0x0800)) + bytes(ip_pkt)


def from_us(ip_pkt):
    return bytes(Ether(dst=PEER_MAC, src=OUR_MAC, type=0x0800)) + bytes(ip_pkt)


def echo_request(payload, icmp_id=0x4242, seq=1, ip_id=0x1234, **ipkw):
    return IP(src=PEER_IP, dst=OUR_IP, id=ip_id, ttl=64, **ipkw) / \
        ICMP(type=8, id=icmp_id, seq=seq) / Raw(payload)


def echo_reply(payload, icmp_id=0x4242, seq=1, tos=0):
    # RFC 792 Echo: addresses swapped, type 0, identifier, sequence and data
    # returned unchanged; a new header of our own (no options echoed).
    return IP(src=OUR_IP, dst=PEER_IP, id=0, ttl=64, tos=tos) / \
        ICMP(type=0, id=icmp_id, seq=seq) / Raw(payload)


def icmp_error(code, offending_ip_bytes, type_=3):
    # RFC 792 Destination Unreachable: unused word zero, then the offending
    # datagram's header and data; we quote up to a 576-byte error (RFC 1812
    # 4.3.2.3), so 576 - 20 - 8 = 548 bytes at most.
    quote = offending_ip_bytes[:576 - 20 - 8]
    return IP(src=OUR_IP, dst=PEER_IP, id=0, ttl=64, proto=1) / \
        ICMP(type=type_, code=code) / Raw(quote)


def fragment(ip_bytes, frag_payload=FRAG_PAYLOAD):
    """RFC 791 3.2 fragmentation of a whole IPv4 datagram (options not
    copied: none are used here). Returns IP-level byte strings in order."""
    hlen = (ip_bytes[0] & 0x0F) * 4
    total = struct.unpack("!H", ip_bytes[2:4])[0]
    hdr, data = bytearray(ip_bytes[:hlen]), ip_bytes[hlen:total]
    flags_df = struct.unpack("!H", ip_bytes[6:8])[0] & 0x4000
    out = []
    for off in range(0, len(data), frag_payload):
        chunk = data[off:off + frag_payload]
        more = off + len(chunk) < len(data)
        h = bytearray(hdr)
        h[2:4] = struct.pack("!H", hlen + len(chunk))
        h[6:8] = struct.pack("!H", flags_df | (0x2000 if more else 0) | (off // 8))
        h[10:12] = b"\x00\x00"
        h[10:12] = struct.pack("!H", inet_csum(bytes(h)))
        out.append(bytes(h) + chunk)
    return out


def raw_fragment(src, dst, ip_id, proto, off, mf, chunk, ttl=64):
    """One fragment built by hand (offset in bytes, a multiple of 8)."""
    return bytes(IP(src=src, dst=dst, id=ip_id, proto=proto, ttl=ttl,
                    flags="MF" if mf else 0, frag=off // 8) / Raw(chunk))


def inet_csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fix_ip_csum(ip_bytes):
    b = bytearray(ip_bytes)
    hlen = (b[0] & 0x0F) * 4
    b[10:12] = b"\x00\x00"
    b[10:12] = struct.pack("!H", inet_csum(bytes(b[:hlen])))
    return bytes(b)


def pad60(frame):
    """Ethernet minimum frame (without FCS): 60 bytes, padded with junk that
    must never be taken for data."""
    return frame + bytes([0xA5]) * max(0, 60 - len(frame))

# ---------------------------------------------------------------- the cases

CASES = {}


def case(name):
    def reg(fn):
        CASES[name] = fn
        return fn
    return reg


def timed(frames, start=T0, step=STEP):
    return [(start + i * step, f) for i, f in enumerate(frames)]


GOOD_PING = b"tern pcap-replay ping payload..."   # 32 bytes


def with_arp_and_ping(bad_frames, counters, extra_args=""):
    """A malformed-input case: the peer resolves us, sends the bad frame(s),
    then a good ping. Expected: our ARP reply and the echo reply only, i.e.
    nothing at all for the bad frames, which the stack is still alive after."""
    inp = [arp_request_from_peer()] + bad_frames + \
        [to_us(echo_request(GOOD_PING, seq=99, ip_id=0x7777))]
    exp = [arp_reply_to_peer(), from_us(echo_reply(GOOD_PING, seq=99))]
    args = extra_args + "".join(" --counter %s=%d" % kv for kv in counters.items()) + \
        " --counter icmp_echo_tx=1"
    return timed(inp), exp, args


# ---- ARP (RFC 826, RFC 5227)

@case("arp_request")
def _():
    """ARP request for our address -> reply (RFC 826)."""
    return timed([arp_request_from_peer()]), [arp_reply_to_peer()], \
        "--counter arp_request_rx=1 --counter arp_reply_tx=1"


@case("arp_request_padded")
def _():
    """Same request in a 60-byte Ethernet frame: padding is ignored, the reply is 42 bytes."""
    return timed([pad60(arp_request_from_peer())]), [arp_reply_to_peer()], \
        "--counter arp_request_rx=1 --counter arp_reply_tx=1"


@case("arp_not_for_us")
def _():
    """ARP request for another address -> nothing (RFC 826: only the target answers)."""
    return timed([arp_request_from_peer(tpa=OTHER_IP)]), [], \
        "--counter arp_not_for_us=1 --counter arp_reply_tx=0 --counter tx_frames=1"


@case("arp_learn_from_reply")
def _():
    """An ARP reply addressed to us teaches the peer's MAC (RFC 826 merge/add
    when we are the target): a later ping is answered without an ARP request."""
    inp = [arp_reply_from_peer(), to_us(echo_request(GOOD_PING))]
    return timed(inp), [from_us(echo_reply(GOOD_PING))], \
        "--counter arp_reply_rx=1 --counter arp_request_tx=0 --counter icmp_echo_tx=1"


@case("arp_resolve_then_reply")
def _():
    """Ping from a peer we never heard an ARP from: we ask who-has the peer
    (broadcast request), the peer answers, and the held reply goes out."""
    inp = [to_us(echo_request(GOOD_PING)), arp_reply_from_peer()]
    exp = [arp_request_from_us(), from_us(echo_reply(GOOD_PING))]
    return timed(inp), exp, \
        "--counter arp_request_tx=1 --counter arp_reply_rx=1 --counter icmp_echo_tx=1"


@case("arp_unanswered_retries")
def _():
    """Ping from a peer that never answers our ARP: the request is repeated
    each second, three in all, then the held reply is dropped (arp_unresolved)."""
    inp = [to_us(echo_request(GOOD_PING))]
    exp = [arp_request_from_us()] * 3
    return timed(inp), exp, \
        "--tail-ms 3500 --counter arp_request_tx=3 --counter arp_unresolved=1 " \
        "--counter icmp_echo_rx=1"

# ---- ICMP echo (RFC 792, RFC 1122 3.2.2.6)


@case("icmp_echo_small")
def _():
    """ARP exchange, then a 56-byte ping -> echo reply."""
    payload = pattern(56)
    inp = [arp_request_from_peer(), to_us(echo_request(payload))]
    exp = [arp_reply_to_peer(), from_us(echo_reply(payload))]
    return timed(inp), exp, "--counter icmp_echo_rx=1 --counter icmp_echo_tx=1"


@case("icmp_echo_eth_padding")
def _():
    """Ping with no data (28-byte datagram) in a padded 60-byte frame: the
    reply carries the datagram only, never the Ethernet padding (RFC 1122
    3.2.1.2: total length is the truth)."""
    inp = [arp_request_from_peer(), pad60(to_us(echo_request(b"")))]
    exp = [arp_reply_to_peer(), from_us(echo_reply(b""))]
    return timed(inp), exp, "--counter icmp_echo_tx=1"


@case("icmp_echo_ip_options")
def _():
    """Ping whose header carries options (IHL 6, four NOPs): parsed past them,
    answered with a plain 20-byte header (no option needs echoing)."""
    payload = pattern(24, 7)
    req = echo_request(payload, options=[IPOption_NOP()] * 4)
    inp = [arp_request_from_peer(), to_us(req)]
    exp = [arp_reply_to_peer(), from_us(echo_reply(payload))]
    return timed(inp), exp, "--counter icmp_echo_tx=1"


@case("icmp_echo_tos")
def _():
    """Ping with TOS 0x10: the reply carries the same TOS (RFC 1349 5.1, a
    SHOULD that Linux follows too)."""
    payload = pattern(32, 11)
    inp = [arp_request_from_peer(), to_us(echo_request(payload, tos=0x10))]
    exp = [arp_reply_to_peer(), from_us(echo_reply(payload, tos=0x10))]
    return timed(inp), exp, "--counter icmp_echo_tx=1"


def ping_frag_case(order, dup=None, payload_len=3000):
    payload = pattern(payload_len, 3)
    frags = fragment(bytes(echo_request(payload, ip_id=0xBEEF)))
    sent = [frags[i] for i in order]
    if dup is not None:
        sent.insert(dup[1], frags[dup[0]])
    inp = [arp_request_from_peer()] + [to_us(f) for f in sent]
    reply = bytes(echo_reply(payload))
    exp = [arp_reply_to_peer()] + [from_us(f) for f in fragment(reply)]
    return inp, exp, len(sent)


@case("icmp_echo_3000_frag")
def _():
    """3000-byte ping in three fragments (1480+1480+48) -> reassembled, and
    the 3008-byte reply fragmented the same way (MTU 1500)."""
    inp, exp, n = ping_frag_case([0, 1, 2])
    return timed(inp), exp, "--counter frag_rx=%d --counter frag_reassembled=1 " \
        "--counter frag_tx=3 --counter icmp_echo_tx=1" % n


@case("icmp_echo_frag_reverse")
def _():
    """The same fragments, last first (RFC 791 3.2: any order)."""
    inp, exp, n = ping_frag_case([2, 1, 0])
    return timed(inp), exp, "--counter frag_rx=%d --counter frag_reassembled=1 " \
        "--counter icmp_echo_tx=1" % n


@case("icmp_echo_frag_shuffled_dup")
def _():
    """Fragments out of order with the middle one duplicated: the duplicate is
    dropped (frag_dup) and the datagram still reassembles, answered once."""
    inp, exp, n = ping_frag_case([1, 2, 0], dup=(1, 2))
    return timed(inp), exp, "--counter frag_rx=%d --counter frag_dup=1 " \
        "--counter frag_reassembled=1 --counter icmp_echo_tx=1" % n


@case("icmp_echo_frag_overlap")
def _():
    """Ping in fragments where the second overlaps the first by 8 bytes with
    different data: RFC 1858 3.3 / RFC 5722 policy, the datagram is
    discarded (frag_overlap) and no reply is sent."""
    payload = pattern(3000, 3)
    whole = bytes(echo_request(payload, ip_id=0xBEE5))
    icmp = whole[20:]
    f0 = raw_fragment(PEER_IP, OUR_IP, 0xBEE5, 1, 0, True, icmp[:1480])
    f1 = raw_fragment(PEER_IP, OUR_IP, 0xBEE5, 1, 1472, True, b"\xEE" * 8 + icmp[1480:2960])
    f2 = raw_fragment(PEER_IP, OUR_IP, 0xBEE5, 1, 2960, False, icmp[2960:])
    inp = [arp_request_from_peer(), to_us(f0), to_us(f1), to_us(f2)]
    return timed(inp), [arp_reply_to_peer()], \
        "--counter frag_overlap=1 --counter frag_reassembled=0 --counter icmp_echo_rx=0"


@case("icmp_echo_broadcast_ignored")
def _():
    """Ping to the subnet broadcast (L2 broadcast): ignored (RFC 1122 3.2.2.6
    MAY, smurf defence; Linux's default too) -> nothing."""
    req = to_us(IP(src=PEER_IP, dst=SUBNET_BCAST, id=9, ttl=64) / ICMP(type=8, id=1, seq=1) /
                Raw(GOOD_PING), dst_mac=BCAST_MAC)
    return timed([arp_request_from_peer(), req]), [arp_reply_to_peer()], \
        "--counter icmp_bcast_ignored=1 --counter icmp_echo_tx=0"

# ---- UDP (RFC 768, RFC 1122 4.1.3)


@case("udp_closed_port")
def _():
    """UDP to a port nobody listens on -> ICMP port unreachable (RFC 1122
    4.1.3.1) quoting the whole (short) datagram."""
    dgram = bytes(IP(src=PEER_IP, dst=OUR_IP, id=0x2222, ttl=64) /
                  UDP(sport=40000, dport=9) / Raw(b"is anybody there?"))
    inp = [arp_request_from_peer(), to_us(dgram)]
    exp = [arp_reply_to_peer(), from_us(icmp_error(3, dgram))]
    return timed(inp), exp, "--counter udp_no_port=1 --counter icmp_unreach_tx=1"


@case("udp_closed_port_long_quote")
def _():
    """UDP of 1000 bytes to a closed port: the error quotes the first 548
    bytes, so that it is 576 bytes in all (RFC 1812 4.3.2.3)."""
    dgram = bytes(IP(src=PEER_IP, dst=OUR_IP, id=0x2223, ttl=64) /
                  UDP(sport=40000, dport=9) / Raw(pattern(1000, 9)))
    inp = [arp_request_from_peer(), to_us(dgram)]
    exp = [arp_reply_to_peer(), from_us(icmp_error(3, dgram))]
    return timed(inp), exp, "--counter udp_no_port=1 --counter icmp_unreach_tx=1"


@case("udp_broadcast_closed_port")
def _():
    """UDP to the subnet broadcast, no socket: no ICMP error about a broadcast
    (RFC 1122 3.2.2) -> nothing."""
    d = to_us(IP(src=PEER_IP, dst=SUBNET_BCAST, id=3, ttl=64) / UDP(sport=40000, dport=9) /
              Raw(b"hello all"), dst_mac=BCAST_MAC)
    return timed([arp_request_from_peer(), d]), [arp_reply_to_peer()], \
        "--counter udp_bcast_refused=1 --counter icmp_unreach_tx=0"


@case("ip_unknown_protocol")
def _():
    """A datagram of a protocol we do not serve (253, RFC 3692 experimental) ->
    ICMP protocol unreachable (RFC 1122 3.2.2.1 SHOULD), quoting it."""
    dgram = bytes(IP(src=PEER_IP, dst=OUR_IP, id=0x2224, ttl=64, proto=253) /
                  Raw(b"experimental payload"))
    inp = [arp_request_from_peer(), to_us(dgram)]
    exp = [arp_reply_to_peer(), from_us(icmp_error(2, dgram))]
    return timed(inp), exp, "--counter ip_unknown_proto=1 --counter icmp_unreach_tx=1"


def udp_echo_case(payload, frag, csum=None):
    req = IP(src=PEER_IP, dst=OUR_IP, id=0x3333, ttl=64) / UDP(sport=40000, dport=7)
    if csum is not None:
        req[UDP].chksum = csum
    req = bytes(req / Raw(payload))
    reply = bytes(IP(src=OUR_IP, dst=PEER_IP, id=0, ttl=64) / UDP(sport=7, dport=40000) /
                  Raw(payload))
    if frag:
        inp = [to_us(f) for f in fragment(req)]
        exp = [from_us(f) for f in fragment(reply)]
    else:
        inp, exp = [to_us(req)], [from_us(reply)]
    return timed([arp_request_from_peer()] + inp), [arp_reply_to_peer()] + exp


@case("udp_echo_small")
def _():
    """UDP to an echo socket on port 7 -> the same data back from port 7."""
    inp, exp = udp_echo_case(b"hello, tern", False)
    return inp, exp, "--udp-echo 7 --counter udp_rx=1 --counter udp_tx=1"


@case("udp_echo_4000_frag")
def _():
    """4000-byte UDP datagram in three fragments to the echo socket -> the
    4008-byte reply fragmented at 1480 bytes (1480+1480+1048)."""
    inp, exp = udp_echo_case(pattern(4000, 5), True)
    return inp, exp, "--udp-echo 7 --counter udp_rx=1 --counter udp_tx=1 " \
        "--counter frag_rx=3 --counter frag_reassembled=1 --counter frag_tx=3"


@case("udp_echo_no_checksum")
def _():
    """UDP with checksum 0 ("none", RFC 768) is accepted; our reply carries a
    computed checksum (verified by the harness)."""
    inp, exp = udp_echo_case(b"no checksum here", False, csum=0)
    return inp, exp, "--udp-echo 7 --counter udp_rx=1 --counter udp_bad_csum=0"


@case("udp_echo_trailing_bytes")
def _():
    """IP payload longer than the UDP length: the bytes past the UDP length
    are not data (RFC 768) and are not echoed."""
    data = b"only this"
    u = UDP(sport=40000, dport=7, len=8 + len(data))
    ip = IP(src=PEER_IP, dst=OUR_IP, id=0x3334, ttl=64) / u / Raw(data)
    # Compute the checksum over the real UDP datagram, then append junk.
    good = bytes(ip)
    junk = b"JUNKJUNK"
    b = bytearray(good + junk)
    b[2:4] = struct.pack("!H", len(b))
    req = fix_ip_csum(bytes(b))
    reply = bytes(IP(src=OUR_IP, dst=PEER_IP, id=0, ttl=64) / UDP(sport=7, dport=40000) /
                  Raw(data))
    inp = [arp_request_from_peer(), to_us(req)]
    return timed(inp), [arp_reply_to_peer(), from_us(reply)], \
        "--udp-echo 7 --counter udp_rx=1"


@case("udp_bound_socket_receives")
def _():
    """UDP to a bound socket that does not answer: delivered (udp_rx), no ICMP."""
    d = to_us(IP(src=PEER_IP, dst=OUR_IP, id=4, ttl=64) / UDP(sport=40000, dport=5000) /
              Raw(b"for the socket"))
    return timed([arp_request_from_peer(), d]), [arp_reply_to_peer()], \
        "--udp-bind 5000 --counter udp_rx=1 --counter icmp_unreach_tx=0"

# ---- reassembly timeout


@case("frag_timeout")
def _():
    """A lone non-first fragment: after 30 s the datagram is given up
    (frag_timeout). Fragment zero never came, so no Time Exceeded is due
    (RFC 1122 3.3.2 sends it only when fragment zero is held)."""
    chunk = pattern(1480, 1)
    f = raw_fragment(PEER_IP, OUR_IP, 0x5151, 1, 1480, True, chunk)
    return timed([arp_request_from_peer(), to_us(f)]), [arp_reply_to_peer()], \
        "--tail-ms 31000 --counter frag_timeout=1"

@case("frag_timeout_time_exceeded")
def _():
    """Fragment zero of a UDP datagram, and nothing more: after 30 s the
    datagram is given up and, because fragment zero was held, the source
    gets ICMP Time Exceeded, code 1 "fragment reassembly time exceeded",
    quoting that fragment (RFC 1122 3.3.2, RFC 792)."""
    chunk = pattern(1480, 2)
    f = raw_fragment(PEER_IP, OUR_IP, 0x5152, 17, 0, True, chunk)
    exp = [arp_reply_to_peer(), from_us(icmp_error(1, f, type_=11))]
    return timed([arp_request_from_peer(), to_us(f)]), exp, \
        "--tail-ms 31000 --counter frag_timeout=1 --counter icmp_timxceed_tx=1"

# ---- malformed input: dropped, counted, no output (STYLE: every drop counted)


def raw_ip(ip_pkt):
    return bytearray(bytes(ip_pkt))


@case("bad_eth_runt")
def _():
    """10-byte frame: shorter than an Ethernet header."""
    return with_arp_and_ping([bytes.fromhex("020000000002020000000001")[:10]],
                             {"eth_runt": 1})


@case("bad_eth_ethertype")
def _():
    """EtherType 0x88b5 (IEEE local experimental): neither IPv4 nor ARP."""
    f = bytes(Ether(dst=OUR_MAC, src=PEER_MAC, type=0x88B5) / Raw(pattern(46)))
    return with_arp_and_ping([f], {"eth_bad_ethertype": 1})


@case("bad_eth_not_for_us")
def _():
    """A ping in a frame to another unicast MAC."""
    f = to_us(echo_request(GOOD_PING, seq=7), dst_mac=OTHER_MAC)
    return with_arp_and_ping([f], {"eth_not_for_us": 1})


@case("bad_eth_multicast_src")
def _():
    """Source MAC with the group bit set (IEEE 802: never a valid source)."""
    f = to_us(echo_request(GOOD_PING, seq=7), src_mac="01:00:5e:00:00:01")
    return with_arp_and_ping([f], {"eth_bad_src": 1})


@case("bad_arp_truncated")
def _():
    """ARP packet of 20 bytes (28 needed), frame not padded."""
    return with_arp_and_ping([arp_request_from_peer()[:14 + 20]], {"arp_truncated": 1})


@case("bad_arp_hlen")
def _():
    """ARP request with hardware length 8 (Ethernet is 6)."""
    b = bytearray(arp_request_from_peer())
    b[14 + 4] = 8
    return with_arp_and_ping([bytes(b)], {"arp_bad_format": 1})


@case("bad_arp_opcode")
def _():
    """ARP with opcode 3 (RARP request, RFC 903): not ARP's."""
    b = bytearray(arp_request_from_peer())
    b[14 + 7] = 3
    return with_arp_and_ping([bytes(b)], {"arp_bad_format": 1})


@case("bad_arp_martian_sender")
def _():
    """ARP request for us from sender 127.0.0.1: not learnt, not answered."""
    return with_arp_and_ping([arp_request_from_peer(spa="127.0.0.1")], {"arp_bad_sender": 1})


@case("bad_ip_truncated")
def _():
    """EtherType IPv4 with 10 bytes of header."""
    f = bytes(Ether(dst=OUR_MAC, src=PEER_MAC, type=0x0800)) + bytes(echo_request(b""))[:10]
    return with_arp_and_ping([f], {"ip_truncated": 1})


@case("bad_ip_version6")
def _():
    """Version 6 in a frame of EtherType IPv4."""
    b = raw_ip(echo_request(GOOD_PING, seq=7))
    b[0] = 0x65
    return with_arp_and_ping([to_us(fix_ip_csum(bytes(b)))], {"ip_bad_version": 1})


@case("bad_ip_ihl4")
def _():
    """IHL 4 (16 bytes): below RFC 791's minimum of 5."""
    b = raw_ip(echo_request(GOOD_PING, seq=7))
    b[0] = 0x44
    return with_arp_and_ping([to_us(bytes(b))], {"ip_bad_ihl": 1})


@case("bad_ip_ihl_beyond")
def _():
    """IHL 15 (60 bytes) in a 28-byte datagram, frame not padded."""
    b = raw_ip(echo_request(b"", seq=7))
    b[0] = 0x4F
    return with_arp_and_ping([to_us(bytes(b))], {"ip_bad_ihl": 1})


@case("bad_ip_len_beyond_frame")
def _():
    """Total length 1000 in a frame that holds 60 bytes of datagram."""
    b = raw_ip(echo_request(GOOD_PING, seq=7))
    b[2:4] = struct.pack("!H", 1000)
    return with_arp_and_ping([to_us(fix_ip_csum(bytes(b)))], {"ip_bad_len": 1})


@case("bad_ip_len_below_header")
def _():
    """Total length 16, below the 20-byte header."""
    b = raw_ip(echo_request(GOOD_PING, seq=7))
    b[2:4] = struct.pack("!H", 16)
    return with_arp_and_ping([to_us(fix_ip_csum(bytes(b)))], {"ip_bad_len": 1})


@case("bad_ip_checksum")
def _():
    """Header checksum off by one (RFC 1122 3.2.1.2: silently discard)."""
    b = raw_ip(echo_request(GOOD_PING, seq=7))
    b[11] ^= 0x01
    return with_arp_and_ping([to_us(bytes(b))], {"ip_bad_csum": 1})


@case("bad_ip_martian_src")
def _():
    """Ping from 127.0.0.1 (RFC 1122 3.2.1.3: loopback never on the wire)."""
    p = IP(src="127.0.0.1", dst=OUR_IP, id=5, ttl=64) / ICMP(type=8, id=1, seq=7) / Raw(GOOD_PING)
    return with_arp_and_ping([to_us(p)], {"ip_martian_src": 1})


@case("bad_ip_not_for_us")
def _():
    """Ping to another address of the subnet, in a frame to our MAC (we do not forward)."""
    p = IP(src=PEER_IP, dst=OTHER_IP, id=5, ttl=64) / ICMP(type=8, id=1, seq=7) / Raw(GOOD_PING)
    return with_arp_and_ping([to_us(p)], {"ip_not_for_us": 1})


@case("bad_ip_unicast_in_l2_broadcast")
def _():
    """Ping to our address in an Ethernet broadcast frame (RFC 1122 3.3.6: discard)."""
    return with_arp_and_ping([to_us(echo_request(GOOD_PING, seq=7), dst_mac=BCAST_MAC)],
                             {"ip_not_for_us": 1})


@case("bad_udp_len_short")
def _():
    """UDP length field 4 (< 8), checksum 0 so that only the length is wrong."""
    p = IP(src=PEER_IP, dst=OUR_IP, id=6, ttl=64) / UDP(sport=40000, dport=7, len=4, chksum=0) / \
        Raw(b"data")
    return with_arp_and_ping([to_us(p)], {"udp_bad_len": 1, "udp_rx": 0}, "--udp-echo 7")


@case("bad_udp_len_beyond")
def _():
    """UDP length 200 in a 20-byte IP payload, checksum 0."""
    p = IP(src=PEER_IP, dst=OUR_IP, id=6, ttl=64) / \
        UDP(sport=40000, dport=7, len=200, chksum=0) / Raw(b"twelve bytes")
    return with_arp_and_ping([to_us(p)], {"udp_bad_len": 1, "udp_rx": 0}, "--udp-echo 7")


@case("bad_udp_truncated")
def _():
    """Protocol UDP with a 4-byte payload: no room for the header."""
    p = IP(src=PEER_IP, dst=OUR_IP, id=6, ttl=64, proto=17) / Raw(b"\x9c\x40\x00\x07")
    return with_arp_and_ping([to_us(p)], {"udp_truncated": 1}, "--udp-echo 7")


@case("bad_udp_checksum")
def _():
    """UDP to a CLOSED port with a wrong checksum: dropped before the port
    lookup, so no port unreachable either."""
    p = IP(src=PEER_IP, dst=OUR_IP, id=6, ttl=64) / UDP(sport=40000, dport=9) / Raw(b"corrupt")
    b = raw_ip(p)
    b[20 + 6] ^= 0x10
    return with_arp_and_ping([to_us(bytes(b))],
                             {"udp_bad_csum": 1, "udp_no_port": 0, "icmp_unreach_tx": 0})


@case("bad_icmp_checksum")
def _():
    """Echo request with a wrong ICMP checksum."""
    b = raw_ip(echo_request(GOOD_PING, seq=7))
    b[20 + 2] ^= 0x01
    return with_arp_and_ping([to_us(bytes(b))], {"icmp_bad_csum": 1, "icmp_echo_rx": 1})


@case("bad_icmp_truncated")
def _():
    """ICMP message of 4 bytes (the header is 8)."""
    p = IP(src=PEER_IP, dst=OUR_IP, id=6, ttl=64, proto=1) / Raw(b"\x08\x00\xf7\xff")
    return with_arp_and_ping([to_us(p)], {"icmp_truncated": 1})


@case("bad_frag_ping_of_death")
def _():
    """Ping of death: 45 fragments of an echo request whose last fragment ends
    at 65628 > 65535 (RFC 791 3.1 limit) -> discarded (frag_bad), no reply."""
    icmp = bytes(ICMP(type=8, id=0x6666, seq=1) / Raw(pattern(65600, 2)))
    frames = []
    for off in range(0, len(icmp), 1480):
        chunk = icmp[off:off + 1480]
        frames.append(to_us(raw_fragment(PEER_IP, OUR_IP, 0xDEAD, 1, off,
                                         off + len(chunk) < len(icmp), chunk)))
    assert len(frames) == 45
    return with_arp_and_ping(frames, {"frag_bad": 1, "frag_rx": 45, "frag_reassembled": 0})


@case("bad_frag_tiny_tcp")
def _():
    """RFC 1858 3.2 tiny-fragment attack on TCP: a first fragment with only 8
    bytes of TCP header, the flags in a fragment at offset 8 -> discarded
    (frag_overlap); reassembled it would have earned a protocol unreachable."""
    tcp = bytes(TCP(sport=40000, dport=80, flags="S", seq=1))
    f0 = raw_fragment(PEER_IP, OUR_IP, 0x7171, 6, 0, True, tcp[:8])
    f1 = raw_fragment(PEER_IP, OUR_IP, 0x7171, 6, 8, False, tcp[8:])
    return with_arp_and_ping([to_us(f0), to_us(f1)],
                             {"frag_overlap": 1, "ip_unknown_proto": 0})


@case("bad_frag_overlap_udp")
def _():
    """RFC 1858 3.3 overlapping-fragment attack on UDP to the echo port: the
    second fragment rewrites the first one's last 8 bytes -> discarded."""
    data = pattern(40, 4)
    whole = bytes(IP(src=PEER_IP, dst=OUR_IP, id=0x7272, ttl=64) / UDP(sport=40000, dport=7) /
                  Raw(data))
    udp = whole[20:]   # 48 bytes
    f0 = raw_fragment(PEER_IP, OUR_IP, 0x7272, 17, 0, True, udp[:24])
    f1 = raw_fragment(PEER_IP, OUR_IP, 0x7272, 17, 16, False, b"\xEE" * 8 + udp[24:])
    return with_arp_and_ping([to_us(f0), to_us(f1)],
                             {"frag_overlap": 1, "udp_rx": 0}, "--udp-echo 7")

# ---------------------------------------------------------------- kernel cases


def kernel_case(cap_path, name, args):
    """Split a record_kernel.sh capture (made on the veth of the namespace
    playing Tern's part, MACs already set to OUR_MAC / PEER_MAC) into input
    (frames from the peer) and expected (the kernel's own replies), and
    normalise the kernel's replies where Linux makes a choice that Tern makes
    differently, each allowed by the RFCs:
      - ICMP errors: Linux sends them with TOS 0xc0 (precedence "internetwork
        control", RFC 1812 4.3.2.5, a rule for routers that Linux applies to
        itself); Tern sends TOS 0 (RFC 1122 3.2.2 asks nothing). The
        precedence bits are cleared.
      - DF on unfragmented ICMP replies: some Linux versions set it (PMTU
        discovery on their ICMP socket); Tern never sets DF on what it
        originates. It is cleared (a no-op where the kernel did not set it).
      - The IPv4 ID and all checksums are left to the harness, which zeroes
        the ID and verifies Tern's checksums itself.
    Not normalised: addresses, TTL (both 64), TOS of echo replies (both copy
    the request's), the echoed data, the fragment sizes and order, and the
    ICMP quote (both quote the offending datagram up to a 576-byte error).
    Each change made is listed in the case's args file."""
    frames = read_pcap(cap_path)
    peer = bytes.fromhex(PEER_MAC.replace(":", ""))
    ours = bytes.fromhex(OUR_MAC.replace(":", ""))
    inp, exp, notes = [], [], []
    for t, f in frames:
        if f[6:12] == peer:
            inp.append((t, f))
        elif f[6:12] == ours:
            g, what = normalise_kernel_reply(f)
            if what:
                notes.append("expected frame %d: %s" % (len(exp), ", ".join(what)))
            exp.append(g)
        else:
            raise SystemExit("%s: frame from unknown MAC %s" % (cap_path, f[6:12].hex()))
    doc = ["Linux's own replies to these inputs, recorded by record_kernel.sh",
           "(uname -r: %s). recorded.pcap is the raw capture; expected.pcap holds" %
           os.uname().release,
           "the kernel's frames after gen_cases.py kernel_case() normalisation:"]
    doc += notes or ["(nothing needed changing)"]
    write_case(name, inp, exp, args, "\n".join(doc))
    write_pcap(os.path.join(CASES_DIR, name, "recorded.pcap"), frames)


def normalise_kernel_reply(f):
    """@return (frame, list of changes made)."""
    if len(f) < 34 or f[12:14] != b"\x08\x00":
        return f, []
    b = bytearray(f)
    ip = 14
    what = []
    l4 = ip + (b[ip] & 0x0F) * 4
    frag = struct.unpack("!H", b[ip + 6:ip + 8])[0]
    if b[ip + 9] == 1 and (frag & 0x3FFF) == 0 and len(b) > l4:
        if b[l4] in (3, 4, 5, 11, 12) and b[ip + 1] & 0xE0:
            what.append("ICMP error TOS 0x%02x -> 0x%02x" % (b[ip + 1], b[ip + 1] & 0x1F))
            b[ip + 1] &= 0x1F             # precedence: the top 3 TOS bits (RFC 791)
        if frag & 0x4000:
            what.append("DF cleared")
            b[ip + 6] &= 0xBF
    if what:
        b[ip:l4] = fix_ip_csum(bytes(b[ip:l4]))
    return bytes(b), what

# ---------------------------------------------------------------- output


def write_case(name, inp, exp, args, doc):
    d = os.path.join(CASES_DIR, name)
    os.makedirs(d, exist_ok=True)
    write_pcap(os.path.join(d, "input.pcap"), inp)
    base = inp[-1][0] if inp else T0
    write_pcap(os.path.join(d, "expected.pcap"),
               [(base + i * STEP, f) for i, f in enumerate(exp)])
    with open(os.path.join(d, "args"), "w") as f:
        for line in (doc or "").strip().splitlines():
            f.write("# " + line.strip() + "\n")
        f.write(" ".join(args.split()) + "\n")


def main(argv):
    if len(argv) > 1 and argv[1] == "--list":
        print("\n".join(sorted(CASES)))
        return 0
    if len(argv) > 3 and argv[1] == "--kernel":
        kernel_case(argv[2], argv[3], " ".join(argv[4:]))
        return 0
    if len(argv) > 1:
        print(__doc__)
        return 2
    for name, fn in sorted(CASES.items()):
        inp, exp, args = fn()
        inp = [(t, bytes(f)) for t, f in inp]
        exp = [bytes(f) for f in exp]
        write_case(name, inp, exp, args, fn.__doc__)
    print("wrote %d cases into %s" % (len(CASES), CASES_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

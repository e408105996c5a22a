#!/usr/bin/python3
"""Write the seed corpora of the fuzz targets (needs scapy):

  corpus/wire/   raw frames, and raw ARP/IPv4 bodies, for fuzz_wire
  corpus/frame/  frame sequences for fuzz_frame, in its input format: a
                 setup byte (bit 0: 0 the api stack, 1 the one with tiny
                 limits: each IP/ARP/UDP sequence is written for both; the
                 TCP ones are for the api stack, other bits choosing its
                 TCP set-up, see fuzz_frame.c), then per frame ctl (1 byte:
                 clock step code, 0x40 split into segments, 0x80 no poll
                 after it), length (2 bytes, big endian: 11 bits of length,
                 then an application action, 0x4000 fix checksums, 0x8000
                 a segment of a harness connection), then the Ethernet frame

The addresses match fuzz_frame.c: the stack is 10.0.0.1/24 on MAC
02:00:00:00:00:01 with gateway 10.0.0.254; sockets on UDP 7 (echo, any
address), 53 (10.0.0.1) and 5000 (connected to 10.0.0.2:9); on the api
stack a TCP listener on 80 and two connections through the gateway, from
198.18.0.1:40000 and to 198.18.0.2:80, whose segments the TCP seeds write
with sequence numbers relative to each side's first data byte.
Run from anywhere: python3 tests/fuzz/make_corpus.py. Output is deterministic.
"""
import os
import struct

from scapy.all import (ARP, ICMP, IP, UDP, TCP, Dot1Q, Ether, IPOption_NOP,
                       IPOption_RR, Raw, fragment)

HERE = os.path.dirname(os.path.abspath(__file__))
OUR_MAC = '02:00:00:00:00:01'
OUR_IP = '10.0.0.1'
PEER_MAC = '02:00:00:00:00:02'
PEER_IP = '10.0.0.2'
GW_MAC = '02:00:00:00:00:fe'
GW_IP = '10.0.0.254'
BCAST_MAC = 'ff:ff:ff:ff:ff:ff'


def eth(dst=OUR_MAC, src=PEER_MAC):
    return Ether(dst=dst, src=src)


def ip(src=PEER_IP, dst=OUR_IP, **kw):
    kw.setdefault('id', 0x1234)
    return IP(src=src, dst=dst, **kw)


def payload(n, seed=0):
    return Raw(bytes((seed + i * 7) & 0xff for i in range(n)))


def arp_reply(src_ip=PEER_IP, src_mac=PEER_MAC):
    return (eth(src=src_mac) /
            ARP(op=2, hwsrc=src_mac, psrc=src_ip, hwdst=OUR_MAC, pdst=OUR_IP))


def frags(pkt, size):
    """IPv4 fragments of pkt (an IP packet) with fragsize bytes of data each."""
    return [eth() / f for f in fragment(pkt, fragsize=size)]


def udp_dgram(dport, n, sport=40000, src=PEER_IP, dst=OUR_IP, **kw):
    return ip(src=src, dst=dst, **kw) / UDP(sport=sport, dport=dport) / payload(n, dport)


# name -> list of (ctl, frame). ctl: clock step code | flags.
STEP_NONE, STEP_100MS, STEP_1S, STEP_2S, STEP_31S = 0, 10, 32, 33, 62
SPLIT, NOPOLL = 0x40, 0x80


def build_sequences():
    s = {}
    # ---- ARP ----
    s['arp_request'] = [(0, eth(dst=BCAST_MAC) /
                         ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=OUR_IP))]
    s['arp_request_other'] = [(0, eth(dst=BCAST_MAC) /
                               ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst='10.0.0.77'))]
    s['arp_reply'] = [(0, arp_reply())]
    s['arp_gratuitous'] = [(0, eth(dst=BCAST_MAC) /
                            ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=PEER_IP))]
    s['arp_conflict'] = [(0, eth(dst=BCAST_MAC) /
                          ARP(op=2, hwsrc=PEER_MAC, psrc=OUR_IP, pdst=OUR_IP))]
    s['arp_padded'] = [(0, eth(dst=BCAST_MAC) /
                        ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=OUR_IP) /
                        Raw(b'\0' * 18))]
    s['arp_rarp_op'] = [(0, eth(dst=BCAST_MAC) /
                         ARP(op=3, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=OUR_IP))]
    # ---- ICMP ----
    s['icmp_echo'] = [(0, eth() / ip() / ICMP(type=8, id=1, seq=1) / payload(56))]
    s['icmp_echo_then_arp'] = [
        (0, eth() / ip() / ICMP(type=8, id=1, seq=2) / payload(32)),
        (STEP_100MS, arp_reply())]
    s['icmp_echo_large'] = [(0, eth() / ip() / ICMP(type=8, id=2, seq=1) / payload(1472))]
    s['icmp_echo_bcast'] = [(0, eth(dst=BCAST_MAC) / ip(dst='10.0.0.255') /
                             ICMP(type=8, id=3, seq=1) / payload(8))]
    s['icmp_echo_options'] = [(0, eth() / ip(options=[IPOption_RR(routers=['0.0.0.0'] * 3),
                                                       IPOption_NOP()]) /
                               ICMP(type=8, id=4, seq=1) / payload(16))]
    s['icmp_echo_bad_csum'] = [(0, eth() / ip() / ICMP(type=8, id=5, seq=1, chksum=0xdead) /
                                payload(16))]
    s['icmp_echo_offlink'] = [(0, eth(src=GW_MAC) / ip(src='192.0.2.9') /
                               ICMP(type=8, id=6, seq=1) / payload(16)),
                              (STEP_100MS, arp_reply(GW_IP, GW_MAC))]
    quoted = ip(src=OUR_IP, dst=PEER_IP) / UDP(sport=5000, dport=9) / payload(8)
    s['icmp_port_unreach'] = [(0, eth() / ip() / ICMP(type=3, code=3) / bytes(quoted))]
    s['icmp_needfrag'] = [(0, eth() / ip() / ICMP(type=3, code=4, nexthopmtu=576) /
                           bytes(quoted))]
    s['icmp_time_exceeded'] = [(0, eth() / ip() / ICMP(type=11, code=0) / bytes(quoted)[:28])]
    s['icmp_echo_reply'] = [(0, eth() / ip() / ICMP(type=0, id=1, seq=1))]
    s['icmp_fragmented_echo'] = [(0, f) for f in
                                 frags(ip() / ICMP(type=8, id=7, seq=1) / payload(2000), 1480)]
    # ---- UDP ----
    s['udp_echo'] = [(0, eth() / udp_dgram(7, 32))]
    s['udp_echo_then_arp'] = [(0, eth() / udp_dgram(7, 64)), (STEP_100MS, arp_reply())]
    s['udp_echo_arp_timeout'] = [(0, eth() / udp_dgram(7, 64)), (STEP_1S, eth() / udp_dgram(7, 8)),
                                 (STEP_2S, eth() / udp_dgram(7, 9))]
    s['udp_dns'] = [(0, eth() / udp_dgram(53, 40))]
    s['udp_nocsum'] = [(0, eth() / ip() / UDP(sport=1, dport=53, chksum=0) / payload(12))]
    s['udp_bad_csum'] = [(0, eth() / ip() / UDP(sport=1, dport=53, chksum=0x1234) / payload(12))]
    s['udp_closed_port'] = [(0, eth() / udp_dgram(9999, 16))]
    s['udp_bcast'] = [(0, eth(dst=BCAST_MAC) / udp_dgram(7, 16, dst='255.255.255.255'))]
    s['udp_subnet_bcast'] = [(0, eth(dst=BCAST_MAC) / udp_dgram(7, 16, dst='10.0.0.255'))]
    s['udp_bcast_closed'] = [(0, eth(dst=BCAST_MAC) / udp_dgram(4444, 16, dst='10.0.0.255'))]
    s['udp_connected_peer'] = [(0, eth() / udp_dgram(5000, 16, sport=9))]
    s['udp_connected_stranger'] = [(0, eth() / udp_dgram(5000, 16, sport=10))]
    s['udp_padded'] = [(0, eth() / udp_dgram(53, 1) / Raw(b'\0' * 17))]
    s['udp_short_len'] = [(0, eth() / ip() / UDP(sport=1, dport=53, len=10) / payload(20))]
    s['udp_offlink'] = [(0, eth(src=GW_MAC) / udp_dgram(7, 20, src='198.51.100.7')),
                        (STEP_100MS, arp_reply(GW_IP, GW_MAC))]
    # ---- fragments ----
    big = udp_dgram(7, 3000, id=0x4242)
    f3 = frags(big, 1480)
    s['frag_in_order'] = [(0, f) for f in f3] + [(STEP_100MS, arp_reply())]
    s['frag_reverse'] = [(0, f) for f in reversed(f3)]
    s['frag_batched'] = [(NOPOLL, f) for f in f3[:-1]] + [(0, f3[-1])]
    s['frag_split_segs'] = [(SPLIT, f) for f in frags(udp_dgram(53, 600, id=0x77), 256)]
    s['frag_missing_last'] = [(0, f) for f in f3[:-1]] + [(STEP_31S, eth() / udp_dgram(53, 4))]
    s['frag_duplicate'] = [(0, f3[0]), (0, f3[0]), (0, f3[1]), (0, f3[2])]
    small = frags(udp_dgram(53, 64, id=0x99), 24)
    s['frag_small_pieces'] = [(0, f) for f in small[:8]]
    ov = ip(id=0x55, flags='MF', frag=0, proto=17) / Raw(bytes(UDP(sport=1, dport=53, len=48)) +
                                                       payload(24).load)
    ov2 = ip(id=0x55, flags=0, frag=2, proto=17) / payload(24)
    s['frag_overlap'] = [(0, eth() / ov), (0, eth() / ov2)]
    last_only = ip(id=0x66, frag=8191, proto=17) / payload(8)
    s['frag_offset_max'] = [(0, eth() / last_only)]
    s['frag_timeout_icmp'] = [(0, f3[0]), (STEP_31S, arp_reply())]
    # ---- limits (the small stack: ARP cache 4, ARP queue 2, ICMP burst 2,
    # rcvbuf 1000 on port 53, reassembly of about 5 fragments) ----
    s['arp_cache_churn'] = [(0, arp_reply('10.0.0.%d' % i, '02:00:00:00:01:%02x' % i))
                            for i in range(2, 9)]
    s['arp_evict_incomplete'] = [(0, eth(src='02:00:00:00:01:%02x' % i) /
                                  udp_dgram(7, 8, src='10.0.0.%d' % i)) for i in range(11, 18)]
    s['arp_queue_overflow'] = [(NOPOLL, eth() / udp_dgram(7, 8 + i)) for i in range(5)]
    s['icmp_ratelimit'] = [(NOPOLL, eth() / udp_dgram(9999, 8 + i)) for i in range(5)]
    s['udp_rcvbuf_full'] = [(NOPOLL, eth() / udp_dgram(53, 600 + i)) for i in range(4)]
    s['frag_two_datagrams'] = [(0, f) for f in frags(udp_dgram(53, 100, id=1), 48)[:2]] + \
        [(0, f) for f in frags(udp_dgram(53, 100, id=2), 48)[:2]] + \
        [(0, f) for f in frags(udp_dgram(53, 100, id=3), 48)]
    # ---- other ----
    s['ip_unknown_proto'] = [(0, eth() / ip(proto=99) / payload(20))]
    s['tcp_syn'] = [(0, eth() / ip() / TCP(sport=40000, dport=80, flags='S', seq=1))]
    s['ip_bad_csum'] = [(0, eth() / ip(chksum=0xbeef) / ICMP(type=8) / payload(8))]
    s['ip_bad_ihl'] = [(0, bytes(eth() / ip() / ICMP(type=8))[:14] + b'\x44' +
                        bytes(ip() / ICMP(type=8))[1:])]
    s['ip_martian_src'] = [(0, eth() / ip(src='127.0.0.1') / ICMP(type=8) / payload(8))]
    s['ip_not_for_us'] = [(0, eth() / ip(dst='10.0.0.9') / ICMP(type=8) / payload(8))]
    s['vlan_tagged'] = [(0, eth() / Dot1Q(vlan=5) / ip() / ICMP(type=8) / payload(8))]
    s['eth_not_for_us'] = [(0, eth(dst='02:00:00:00:00:99') / ip() / ICMP(type=8))]
    s['runt'] = [(0, b'\x02\x00\x00\x00\x00\x01\x02\x00\x00')]
    s['mixed_burst'] = [(NOPOLL, arp_reply()), (NOPOLL, eth() / udp_dgram(7, 10)),
                        (NOPOLL, eth() / ip() / ICMP(type=8, id=9, seq=9)),
                        (STEP_1S, eth() / udp_dgram(53, 10))]
    return s


def tcp_wire_seeds():
    """TCP segments for fuzz_wire only: Linux's option layouts and the
    malformed option lists of tests/unit/test_wire_tcp.c. Option bytes are
    given raw (scapy would fix malformed ones) and covered by the data
    offset; scapy fills in the IP and TCP checksums unless told otherwise."""
    def seg(opts, flags='A', payload=b'', dataofs=None, **kw):
        assert len(opts) % 4 == 0
        return (eth() / ip() /
                TCP(sport=40000, dport=80, flags=flags, seq=1000, ack=2000,
                    window=65535, dataofs=dataofs or 5 + len(opts) // 4, **kw) /
                Raw(opts + payload))
    ts = bytes([8, 10]) + struct.pack('>II', 100, 0)
    sack3 = bytes([5, 26]) + struct.pack('>6I', 1, 2, 3, 4, 5, 6)
    return {
        'tcp_syn_linux': seg(bytes([2, 4, 5, 0xb4, 4, 2]) + ts + bytes([1, 3, 3, 7]),
                             flags='S'),
        'tcp_synack_nots': seg(bytes([2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]),
                               flags='SA'),
        'tcp_ack_ts_sack': seg(bytes([1, 1]) + ts + bytes([1, 1]) + sack3,
                               payload=b'0123456789'),
        'tcp_opt_len0': seg(bytes([2, 4, 5, 0xb4, 30, 0, 1, 1])),
        'tcp_opt_overrun': seg(bytes([1, 1, 1]) + ts[:9]),
        'tcp_opt_odd': seg(bytes([2, 3, 5, 99, 4, 0, 0, 1, 3, 3, 15, 0, 0xff, 0, 0])
                           + bytes(1)),
        'tcp_doff_past_end': seg(b'', dataofs=15, payload=b'abcd'),
        'tcp_bad_csum': seg(bytes([1, 1]) + ts, payload=b'x', chksum=0x1234),
    }


def write_tcp_wire_seeds(wire_dir):
    """Each TCP seed as a frame, an IP packet (_l3) and a bare segment (_l4)."""
    n = 0
    for name, pkt in sorted(tcp_wire_seeds().items()):
        raw = bytes(pkt)
        ihl = (raw[14] & 0x0f) * 4
        for suffix, data in (('', raw), ('_l3', raw[14:]), ('_l4', raw[14 + ihl:])):
            with open(os.path.join(wire_dir, name + suffix), 'wb') as f:
                f.write(data)
            n += 1
    return n


def encode(seq):
    out = b''
    for item in seq:
        ctl, frame = item[0], item[1]
        lflags = item[2] if len(item) > 2 else 0
        raw = bytes(frame)
        assert len(raw) < 0x800, len(raw)
        out += struct.pack('>BH', ctl, len(raw) | lflags) + raw
    return out


# ---- TCP on the api stack (fuzz_frame.c: setup byte, length flags) ----
SETUP_NO_CONN, SETUP_NO_READ, SETUP_ECHO = 0x02, 0x04, 0x08
PROF_NONE, PROF_NO_TS, PROF_TINY = 0x10, 0x20, 0x30
SETUP_SMALL_BUFS, SETUP_KEEPALIVE = 0x40, 0x80
CSUM, CONN = 0x4000, 0x8000
(ACT_SEND_10, ACT_SEND_1000, ACT_SEND_5000, ACT_SEND_FILL, ACT_SHUT_WR,
 ACT_CLOSE, ACT_ABORT) = [n << 11 for n in range(1, 8)]
PASSIVE, ACTIVE = '198.18.0.1', '198.18.0.2'
STEP_10MS, STEP_4S, STEP_8S, STEP_32S = 1, 35, 39, 63
PEER_TSVAL = 1000
MSS = 1448                      # 1460 less the timestamp option


def ts_opt(val=PEER_TSVAL + 1, ecr=0):
    """NOP NOP TS; TSecr 0 is rewritten to the last TSval we sent."""
    return bytes([1, 1, 8, 10]) + struct.pack('>II', val, ecr)


def sack_opt(*blocks):
    """NOP NOP SACK with (left, right) edges relative to our first byte."""
    out = bytes([1, 1, 5, 2 + 8 * len(blocks)])
    for left, right in blocks:
        out += struct.pack('>II', left & 0xffffffff, right & 0xffffffff)
    return out


def seg(src=PASSIVE, sport=None, dport=80, seq=0, ack=0, flags='A', win=65535,
        opts=None, data=b'', urg=0):
    """A segment from a peer through the gateway; opts are raw bytes (a
    timestamp by default) padded to a multiple of 4."""
    if sport is None:
        sport = 80 if src == ACTIVE else 40000
    if opts is None:
        opts = ts_opt()
    opts += b'\0' * (-len(opts) % 4)
    return (eth(src=GW_MAC) / IP(src=src, dst=OUR_IP, id=1) /
            TCP(sport=sport, dport=dport, seq=seq & 0xffffffff, ack=ack & 0xffffffff,
                flags=flags, window=win, urgptr=urg, dataofs=5 + len(opts) // 4) /
            Raw(opts + data))


def data(n, seed=0):
    return bytes((seed + i * 13) & 0xff for i in range(n))


def syn_linux(val=PEER_TSVAL):
    return bytes([2, 4, 5, 0xb4, 4, 2, 8, 10]) + struct.pack('>II', val, 0) + bytes([1, 3, 3, 7])


def build_tcp_sequences():
    """name -> (setup byte, [(ctl, frame, length flags)])."""
    s = {}
    A = CONN
    # ---- data in ----
    s['tcp_data_in'] = (0, [(0, seg(flags='PA', data=data(100)), A),
                            (STEP_100MS, seg(seq=100, flags='PA', data=data(1000)), A)])
    s['tcp_data_in_ooo'] = (0, [(0, seg(seq=1000, data=data(500)), A),
                                (0, seg(seq=2000, data=data(100)), A),
                                (0, seg(seq=0, data=data(1000)), A),
                                (0, seg(seq=1500, data=data(500)), A),
                                (0, seg(seq=0, data=data(100)), A),
                                (STEP_100MS, seg(seq=2100, flags='FA'), A)])
    s['tcp_data_in_split'] = (0, [(SPLIT, seg(data=data(1200)), A),
                                  (SPLIT | NOPOLL, seg(seq=1200, data=data(300)), A),
                                  (SPLIT, seg(seq=1500, data=data(10)), A)])
    s['tcp_data_beyond_window'] = (0, [(0, seg(seq=10000000, data=data(100)), A),
                                       (0, seg(seq=-5000, data=data(100)), A),
                                       (0, seg(seq=-50, data=data(100)), A)])
    s['tcp_data_no_ts'] = (0, [(0, seg(opts=b'', data=data(100)), A)])
    s['tcp_paws'] = (0, [(0, seg(opts=ts_opt(5), data=data(100)), A),
                         (0, seg(opts=ts_opt(PEER_TSVAL + 5), data=data(100)), A)])
    s['tcp_urg'] = (0, [(0, seg(flags='PAU', urg=10, data=data(50)), A)])
    s['tcp_zero_window_probe_in'] = (SETUP_SMALL_BUFS | SETUP_NO_READ,
                                     [(0, seg(seq=i * 1000, data=data(1000)), A)
                                      for i in range(3)] +
                                     [(STEP_1S, seg(seq=2303, data=data(1)), A),
                                      (STEP_4S, seg(seq=2303, data=data(1)), A)])
    # ---- data out ----
    s['tcp_data_out_acked'] = (0, [(0, seg(), A | ACT_SEND_5000),
                                   (STEP_10MS, seg(ack=MSS), A),
                                   (STEP_10MS, seg(ack=3 * MSS), A),
                                   (STEP_10MS, seg(ack=5000), A)])
    s['tcp_data_out_sack'] = (0, [(0, seg(), A | ACT_SEND_5000)] +
                              [(STEP_10MS, seg(opts=ts_opt() + sack_opt((MSS, MSS * k))), A)
                               for k in (2, 3, 4)] +
                              [(STEP_10MS, seg(ack=5000), A)])
    s['tcp_data_out_sack_bogus'] = (0, [(0, seg(), A | ACT_SEND_5000),
                                        (0, seg(opts=sack_opt((2 * MSS, MSS))), A),
                                        (0, seg(opts=sack_opt((10000, 20000))), A),
                                        (0, seg(opts=sack_opt((-100, 0))), A),
                                        (0, seg(opts=sack_opt((100, 200), (300, 400),
                                                              (500, 600), (700, 800))), A),
                                        (0, seg(ack=MSS, opts=ts_opt() +
                                                sack_opt((0, MSS))), A)])
    s['tcp_data_out_dupacks'] = (PROF_NONE, [(0, seg(opts=b''), A | ACT_SEND_5000)] +
                                 [(STEP_10MS, seg(opts=b''), A) for _ in range(4)] +
                                 [(STEP_10MS, seg(ack=536, opts=b''), A),
                                  (STEP_10MS, seg(ack=5000, opts=b''), A)])
    s['tcp_data_out_rto'] = (0, [(0, seg(), A | ACT_SEND_5000),
                                 (STEP_1S, seg(seq=0, ack=0, win=65535), 0),
                                 (STEP_2S, seg(), 0), (STEP_4S, seg(), 0),
                                 (STEP_8S, seg(ack=MSS), A), (STEP_4S, seg(ack=5000), A)])
    s['tcp_data_out_fill'] = (SETUP_SMALL_BUFS, [(0, seg(), A | ACT_SEND_FILL),
                                                 (STEP_10MS, seg(ack=MSS), A | ACT_SEND_FILL),
                                                 (STEP_10MS, seg(ack=4608), A | ACT_SEND_FILL)])
    s['tcp_zero_window_persist'] = (0, [(0, seg(win=0), A | ACT_SEND_5000),
                                        (STEP_1S, seg(win=0), A), (STEP_4S, seg(win=0), A),
                                        (STEP_8S, seg(win=100), A),
                                        (STEP_100MS, seg(ack=100, win=65535), A)])
    s['tcp_window_shrinks'] = (0, [(0, seg(), A | ACT_SEND_5000),
                                   (STEP_10MS, seg(ack=MSS, win=0), A),
                                   (STEP_1S, seg(ack=MSS, win=0), A),
                                   (STEP_2S, seg(ack=MSS, win=20), A)])
    s['tcp_ack_future_and_old'] = (0, [(0, seg(ack=100000), A), (0, seg(ack=-100000), A),
                                       (0, seg(), A | ACT_SEND_1000),
                                       (0, seg(ack=2000), A)])
    s['tcp_echo'] = (SETUP_ECHO, [(0, seg(flags='PA', data=data(300)), A),
                                  (STEP_100MS, seg(seq=300, ack=300, flags='PA',
                                                   data=data(200)), A),
                                  (STEP_100MS, seg(seq=500, ack=500, flags='FA'), A),
                                  (STEP_100MS, seg(seq=501, ack=501), A)])
    # ---- closing ----
    s['tcp_peer_fin_then_close'] = (0, [(0, seg(flags='FA'), A | ACT_CLOSE),
                                        (STEP_10MS, seg(seq=1, ack=1), A)])
    s['tcp_peer_fin_with_data'] = (0, [(0, seg(flags='FPA', data=data(100)), A),
                                       (STEP_10MS, seg(seq=101), A | ACT_SEND_10),
                                       (STEP_10MS, seg(seq=101, ack=10), A | ACT_CLOSE),
                                       (STEP_1S, seg(seq=101, ack=11), A)])
    s['tcp_active_close_time_wait'] = (0, [(0, seg(), A | ACT_CLOSE),
                                           (STEP_10MS, seg(ack=1), A),
                                           (STEP_10MS, seg(ack=1, flags='FA'), A),
                                           (STEP_1S, seg(seq=1, ack=1, flags='FA'), A),
                                           (STEP_1S, seg(seq=100000, flags='S', opts=syn_linux()),
                                            A),
                                           (STEP_1S, seg(seq=1, ack=1, data=data(10)), A)])
    s['tcp_simultaneous_close'] = (0, [(0, seg(), A | ACT_SHUT_WR),
                                       (0, seg(flags='FA'), A),
                                       (STEP_10MS, seg(seq=1, ack=1), A)])
    s['tcp_fin_wait_2_data'] = (0, [(0, seg(), A | ACT_SHUT_WR),
                                    (STEP_10MS, seg(ack=1), A),
                                    (STEP_10MS, seg(ack=1, data=data(100)), A),
                                    (STEP_10MS, seg(seq=100, ack=1, flags='FA'), A)])
    s['tcp_close_unread_rst'] = (SETUP_NO_READ, [(0, seg(data=data(100)), A | ACT_CLOSE)])
    s['tcp_abort'] = (0, [(0, seg(), A | ACT_SEND_1000), (0, seg(), A | ACT_ABORT),
                          (STEP_10MS, seg(ack=1000, data=data(5)), A)])
    s['tcp_data_after_close'] = (0, [(0, seg(), A | ACT_CLOSE),
                                     (STEP_10MS, seg(data=data(100)), A)])
    # ---- RST and SYN on a connection ----
    s['tcp_rst_exact'] = (0, [(0, seg(flags='R', opts=b''), A)])
    s['tcp_rst_in_window'] = (0, [(0, seg(seq=500, flags='R', opts=b''), A),
                                  (0, seg(seq=0x40000000, flags='R', opts=b''), A),
                                  (0, seg(seq=0, flags='RA', opts=b''), A)])
    s['tcp_syn_on_established'] = (0, [(0, seg(flags='S', opts=syn_linux()), A),
                                       (0, seg(seq=-1, flags='S', opts=syn_linux()), A),
                                       (0, seg(seq=-1, ack=0, flags='SA', opts=syn_linux()), A)])
    # ---- the active connection ----
    s['tcp_active_data'] = (0, [(0, seg(src=ACTIVE, flags='PA', data=data(100)), A),
                                (0, seg(src=ACTIVE), A | ACT_SEND_1000),
                                (STEP_10MS, seg(src=ACTIVE, seq=100, ack=1000, flags='FA'), A)])
    s['tcp_active_wrap'] = (0, [(0, seg(src=ACTIVE, seq=i * 1400, data=data(1400)), A)
                                for i in range(4)])
    s['tcp_active_rst'] = (0, [(0, seg(src=ACTIVE, flags='R', opts=b''), A)])
    s['tcp_syn_sent_synack'] = (SETUP_NO_CONN, [
        (0, seg(src=ACTIVE, seq=-1, ack=0, flags='SA', opts=syn_linux()), A)])
    s['tcp_syn_sent_rst'] = (SETUP_NO_CONN, [(0, seg(src=ACTIVE, seq=0, ack=0, flags='RA',
                                                     opts=b''), A)])
    s['tcp_syn_sent_bad_ack'] = (SETUP_NO_CONN, [(0, seg(src=ACTIVE, seq=-1, ack=100,
                                                         flags='SA', opts=syn_linux()), A)])
    s['tcp_syn_sent_simultaneous'] = (SETUP_NO_CONN, [
        (0, seg(src=ACTIVE, seq=-1, flags='S', opts=syn_linux()), A),
        (STEP_10MS, seg(src=ACTIVE, seq=-1, ack=0, flags='SA', opts=syn_linux()), A)])
    s['tcp_syn_sent_timeout'] = (SETUP_NO_CONN, [(STEP_32S, seg(src=ACTIVE, flags='R'), 0)] * 3)
    # ---- the listener: children, cookies, odd SYNs ----
    flood = [(0, seg(src='198.18.1.%d' % i, sport=1000 + i, flags='S', opts=syn_linux()), CSUM)
             for i in range(1, 5)]
    s['tcp_syn_flood_cookie'] = (SETUP_NO_CONN, flood + [
        (0, seg(src='198.18.1.3', sport=1003, flags='A'), A),
        (0, seg(src='198.18.1.1', sport=1001, flags='A'), A),
        (0, seg(src='198.18.1.3', sport=1003, flags='PA', data=data(100)), A),
        (0, seg(src='198.18.1.4', sport=1004, flags='A', data=data(10)), A)])
    s['tcp_syn_flood_no_ts'] = (SETUP_NO_CONN, [
        (0, seg(src='198.18.1.%d' % i, sport=1000 + i, flags='S', opts=bytes([2, 4, 2, 0x18])),
         CSUM) for i in range(1, 5)] + [
        (0, seg(src='198.18.1.4', sport=1004, flags='A', opts=b''), A),
        (0, seg(src='198.18.1.4', sport=1004, seq=0, ack=5, flags='A', opts=b''), A)])
    s['tcp_accept_and_talk'] = (0, [
        (0, seg(src='198.18.0.5', sport=2000, flags='S', opts=syn_linux()), CSUM),
        (0, seg(src='198.18.0.5', sport=2000), A),
        (0, seg(src='198.18.0.5', sport=2000, flags='PA', data=data(200)), A | ACT_SEND_1000),
        (STEP_10MS, seg(src='198.18.0.5', sport=2000, seq=200, ack=1000, flags='FA'), A)])
    s['tcp_synack_retries'] = (SETUP_NO_CONN, [
        (0, seg(src='198.18.1.9', sport=999, flags='S', opts=syn_linux()), CSUM),
        (STEP_1S, seg(src='198.18.1.9', sport=999, flags='S', opts=syn_linux()), CSUM),
        (STEP_4S, seg(src='198.18.1.9', sport=999, flags='R', seq=1, opts=b''), A),
        (STEP_8S, seg(src='198.18.1.9', sport=999, flags='R', opts=b''), A)])
    odd = [bytes([2, 4, 0, 0]),                       # MSS 0
           bytes([2, 4, 0xff, 0xff, 3, 3, 15, 1]),    # MSS 65535, window scale 15
           bytes([4, 3, 0, 1, 8, 9]) + bytes(7),      # SACK-permitted and TS, wrong lengths
           bytes([30, 0, 1, 1]),                      # length 0
           bytes([1] * 40),                           # 40 bytes of NOP
           bytes([30, 4, 0, 0, 2, 4, 2, 0, 3, 3, 14, 0]),
           bytes([8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 4, 2]),
           bytes([2, 4, 0, 1, 0, 9, 9, 9])]           # MSS 1, EOL then junk
    s['tcp_syn_odd_options'] = (SETUP_NO_CONN, [
        (0, seg(src='198.18.2.%d' % i, sport=3000 + i, flags='S', opts=o), CSUM)
        for i, o in enumerate(odd)] + [
        (0, seg(src='198.18.2.%d' % i, sport=3000 + i, opts=b''), A) for i in (0, 7)])
    s['tcp_listener_odd_flags'] = (0, [
        (0, seg(src='198.18.3.1', sport=1, flags='SF', opts=b''), CSUM),
        (0, seg(src='198.18.3.2', sport=2, flags='SR', opts=b''), CSUM),
        (0, seg(src='198.18.3.3', sport=3, flags='SA', opts=b''), CSUM),
        (0, seg(src='198.18.3.4', sport=4, flags='A', opts=b''), CSUM),
        (0, seg(src='198.18.3.5', sport=5, flags='F', opts=b''), CSUM),
        (0, seg(src='198.18.3.6', sport=6, flags='S', data=data(100), opts=b''), CSUM),
        (0, seg(src='198.18.3.7', sport=7, dport=81, flags='S', opts=b''), CSUM),
        (0, seg(src='198.18.3.8', sport=8, flags='', opts=b''), CSUM)])
    # ---- set-ups: options profiles, buffers, keepalive ----
    s['tcp_profile_none'] = (PROF_NONE, [(0, seg(opts=b'', data=data(600)), A | ACT_SEND_5000),
                                         (STEP_10MS, seg(seq=600, ack=1072, opts=b''), A)])
    s['tcp_profile_no_ts'] = (PROF_NO_TS, [
        (0, seg(opts=b'', data=data(600)), A | ACT_SEND_5000),
        (STEP_10MS, seg(seq=600, opts=sack_opt((536, 1072))), A),
        (STEP_10MS, seg(seq=600, ack=5000, opts=b''), A)])
    s['tcp_profile_tiny_mss'] = (PROF_TINY, [
        (0, seg(), A | ACT_SEND_1000),
        (STEP_10MS, seg(ack=76 * 3), A),
        (STEP_10MS, seg(data=data(88)), A),
        (STEP_1S, seg(ack=1000, seq=88), A)])
    s['tcp_keepalive'] = (SETUP_KEEPALIVE, [(STEP_2S, seg(), 0), (STEP_2S, seg(), 0),
                                            (STEP_1S, seg(seq=-1), A),
                                            (STEP_4S, seg(), 0)])
    s['tcp_keepalive_answered'] = (SETUP_KEEPALIVE, [(STEP_2S, seg(seq=-1), A),
                                                     (STEP_1S, seg(), A),
                                                     (STEP_1S, seg(), A)])
    s['tcp_ooo_queue_full'] = (SETUP_SMALL_BUFS, [(0, seg(seq=100 * i, data=data(1)), A)
                                                  for i in range(1, 6)] +
                               [(0, seg(seq=0, data=data(100)), A)])
    s['tcp_small_bufs_no_read'] = (SETUP_SMALL_BUFS | SETUP_NO_READ, [
        (0, seg(data=data(1400)), A), (0, seg(seq=1400, data=data(1400)), A),
        (STEP_1S, seg(seq=1400, data=data(1400)), A)])
    return s


def main():
    seqs = build_sequences()
    wire_dir = os.path.join(HERE, 'corpus', 'wire')
    frame_dir = os.path.join(HERE, 'corpus', 'frame')
    for d in (wire_dir, frame_dir):
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
    nwire = 0
    for name, seq in sorted(seqs.items()):
        for target, suffix in ((0, ''), (1, '.small')):
            with open(os.path.join(frame_dir, name + suffix), 'wb') as f:
                f.write(bytes([target]) + encode(seq))
        # fuzz_wire: each distinct frame, and the body without Ethernet so
        # the parsers see IPv4/ARP at offset 0 too.
        for i, (_, frame) in enumerate(seq[:3]):
            raw = bytes(frame)
            suffix = '' if len(seq) == 1 else '_%d' % i
            with open(os.path.join(wire_dir, name + suffix), 'wb') as f:
                f.write(raw)
            nwire += 1
            if i == 0 and len(raw) > 14:
                with open(os.path.join(wire_dir, name + '_l3'), 'wb') as f:
                    f.write(raw[14:])
                nwire += 1
    nwire += write_tcp_wire_seeds(wire_dir)
    tcp = build_tcp_sequences()
    for name, (setup, seq) in sorted(tcp.items()):
        assert name not in seqs and not setup & 1, name
        with open(os.path.join(frame_dir, name), 'wb') as f:
            f.write(bytes([setup]) + encode(seq))
    print('wrote %d frame sequences to %s, %d wire inputs to %s'
          % (2 * len(seqs) + len(tcp), frame_dir, nwire, wire_dir))


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""Write the seed corpora of the fuzz targets (needs scapy):

  corpus/wire/   raw frames, and raw ARP/IPv4 bodies, for fuzz_wire
  corpus/frame/  frame sequences for fuzz_frame, in its input format: a
                 byte choosing the stack (0 the api one, 1 the one with
                 tiny limits: each sequence is written for both), then
                 per frame ctl (1 byte: clock step code, 0x40 split into
                 segments, 0x80 no poll after it), length (2 bytes, big
                 endian), then the Ethernet frame

The addresses match fuzz_frame.c: the stack is 10.0.0.1/24 on MAC
02:00:00:00:00:01 with gateway 10.0.0.254; sockets on UDP 7 (echo, any
address), 53 (10.0.0.1) and 5000 (connected to 10.0.0.2:9).
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
    for ctl, frame in seq:
        raw = bytes(frame)
        assert len(raw) < 0x800, len(raw)
        out += struct.pack('>BH', ctl, len(raw)) + raw
    return out


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
    print('wrote %d frame sequences to %s, %d wire inputs to %s'
          % (2 * len(seqs), frame_dir, nwire, wire_dir))


if __name__ == '__main__':
    main()

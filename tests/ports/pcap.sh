#!/usr/bin/env bash
# net_pcap: the rx side replays a capture made here with scapy (an ARP
# request for Tern, a ping, a datagram to a closed UDP port); the tx side
# records what Tern answered. tshark, an independent decoder, checks the
# answers: ARP reply with Tern's MAC, echo reply with the same id/seq/data,
# port unreachable quoting the datagram; all checksums valid.
#   pcap.sh BUILD_DIR
set -euo pipefail
build=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 - "$dir/in.pcap" <<'PY'
import sys
from scapy.all import Ether, ARP, IP, ICMP, UDP, Raw, wrpcap
peer = "02:00:00:00:00:01"
bc = "ff:ff:ff:ff:ff:ff"
pkts = [
    Ether(src=peer, dst=bc) / ARP(op=1, hwsrc=peer, psrc="198.18.0.1", pdst="198.18.0.2"),
]
wrpcap(sys.argv[1], pkts)
PY
# Stage 1: an ARP request alone; Tern's reply tells us its MAC, which the
# unicast frames of stage 2 must be addressed to (RFC 1122 3.3.6).
run() { # in.pcap out.pcap
	timeout 60 "$build/apps/tern-echo" --no-huge -m 256 --no-pci --file-prefix tern-pcap-$$ -l 0 \
		--log-level=lib.eal:error --vdev="net_pcap0,rx_pcap=$1,tx_pcap=$2" -- \
		--ip 198.18.0.2/24 --mode inline --duration 2 --stats
}
run "$dir/in.pcap" "$dir/out1.pcap" >"$dir/log1" 2>&1 || { cat "$dir/log1"; exit 1; }
mac=$(tshark -r "$dir/out1.pcap" -Y "arp.opcode == 2" -T fields -e arp.src.hw_mac | head -1)
[ -n "$mac" ] || { echo "no ARP reply"; tshark -r "$dir/out1.pcap"; exit 1; }
echo "Tern answered ARP with MAC $mac"
/usr/bin/python3 - "$dir/in2.pcap" "$mac" <<'PY'
import sys
from scapy.all import Ether, ARP, IP, ICMP, UDP, Raw, wrpcap
peer, tern, bc = "02:00:00:00:00:01", sys.argv[2], "ff:ff:ff:ff:ff:ff"
pkts = [
    Ether(src=peer, dst=bc) / ARP(op=1, hwsrc=peer, psrc="198.18.0.1", pdst="198.18.0.2"),
    Ether(src=peer, dst=tern) / IP(src="198.18.0.1", dst="198.18.0.2") / ICMP(id=0x1234, seq=7) / Raw(b"tern-pcap-test" * 4),
    Ether(src=peer, dst=tern) / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=4444, dport=9) / Raw(b"nobody home"),
]
wrpcap(sys.argv[1], pkts)
PY
run "$dir/in2.pcap" "$dir/out2.pcap" >"$dir/log2" 2>&1 || { cat "$dir/log2"; exit 1; }
echo "--- Tern's output, decoded by tshark"
tshark -r "$dir/out2.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE 2>/dev/null || true
fields() { tshark -r "$dir/out2.pcap" -o ip.check_checksum:TRUE "$@" 2>/dev/null; }
fail=0
[ "$(fields -Y 'arp.opcode == 2 && arp.dst.proto_ipv4 == 198.18.0.1' | wc -l)" -ge 1 ] || { echo "FAIL: no ARP reply"; fail=1; }
[ "$(fields -Y 'icmp.type == 0 && icmp.ident == 0x1234 && icmp.seq == 7 && ip.dst == 198.18.0.1 && icmp.checksum.status == 1 && ip.checksum.status == 1' | wc -l)" -eq 1 ] || { echo "FAIL: echo reply"; fail=1; }
[ "$(fields -Y 'icmp.type == 3 && icmp.code == 3 && udp.dstport == 9 && icmp.checksum.status == 1' | wc -l)" -eq 1 ] || { echo "FAIL: port unreachable"; fail=1; }
# The reply carries the request's data unchanged.
[ "$(fields -Y 'icmp.type == 0' -T fields -e data.data)" = "$(printf 'tern-pcap-test%.0s' 1 2 3 4 | xxd -p | tr -d '\n')" ] || { echo "FAIL: echo data differs"; fail=1; }
grep -E "^(udp_no_port|icmp_echo_rx|arp_request_rx) " "$dir/log2"
exit $fail

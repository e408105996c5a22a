#!/bin/sh
# Record the Linux kernel answering as Tern would, for the kernel_* cases of
# the pcap suite (scapy-free ground truth). Needs root, iproute2, ethtool, tcpdump,
# ping and /usr/bin/python3 (for a plain UDP socket and, afterwards, for
# gen_cases.py --kernel which splits and normalises the capture).
#
# Two namespaces joined by a veth pair: "peer" (198.18.0.1, MAC
# 02:00:00:00:00:01) sends, "dut" (198.18.0.2, MAC 02:00:00:00:00:02, the
# addresses pcap_replay gives Tern) answers. Two namespaces rather than one,
# because with both addresses in one namespace the kernel would deliver
# locally over lo and never put a frame on the veth. IPv6 is off so that no
# router solicitation or DAD frame gets into the capture. Each scenario runs
# in fresh namespaces (empty ARP caches) and takes well under the 5 s after
# which Linux would start re-probing the peer's MAC.
#
# Usage: record_kernel.sh      (writes cases/kernel_* next to this script)
# Only 198.18.0.0/15 addresses (RFC 2544 benchmarking), only in the
# namespaces created here, which are deleted on exit.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tag=tpcap$$
ns_peer=$tag-peer
ns_dut=$tag-dut
tmp=$(mktemp -d)
tcpdump_pid=

cleanup() {
	if [ -n "$tcpdump_pid" ]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
	ip netns del "$ns_peer" 2>/dev/null || true
	ip netns del "$ns_dut" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

setup() {
	for ns in "$ns_peer" "$ns_dut"; do
		ip netns add "$ns"
		ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip link add vpeer netns "$ns_peer" address 02:00:00:00:00:01 type veth \
		peer name vdut netns "$ns_dut" address 02:00:00:00:00:02
	ip -n "$ns_peer" addr add 198.18.0.1/24 dev vpeer
	ip -n "$ns_dut" addr add 198.18.0.2/24 dev vdut
	# veth "offloads" transmit checksums: with it on, a captured UDP datagram
	# carries only the pseudo-header sum, which Tern rightly drops
	# (udp_bad_csum). Software checksums make the capture what a wire carries.
	ip netns exec "$ns_peer" ethtool -K vpeer tx off >/dev/null
	ip netns exec "$ns_dut" ethtool -K vdut tx off >/dev/null
	ip -n "$ns_peer" link set vpeer up
	ip -n "$ns_dut" link set vdut up
	# veth carrier comes up asynchronously, on each end.
	for _ in $(seq 1 50); do
		ip -n "$ns_dut" link show vdut | grep -q 'state UP' &&
			ip -n "$ns_peer" link show vpeer | grep -q 'state UP' && break
		sleep 0.1
	done
}

teardown() {
	ip netns del "$ns_peer"
	ip netns del "$ns_dut"
}

# capture FILE FILTER: start tcpdump on the dut side and wait until it listens.
capture() {
	ip netns exec "$ns_dut" tcpdump -i vdut --immediate-mode -U -s 0 -w "$1" "$2" 2>"$tmp/tcpdump.err" &
	tcpdump_pid=$!
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$tmp/tcpdump.err" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "tcpdump did not start:" >&2
	cat "$tmp/tcpdump.err" >&2
	exit 1
}

stop_capture() {
	sleep 0.3   # let the last reply reach the capture
	kill -INT "$tcpdump_pid"
	wait "$tcpdump_pid" || true
	tcpdump_pid=
}

# record NAME FRAMES FILTER HARNESS_ARGS -- COMMAND...: one scenario into
# cases/NAME; FRAMES is how many frames the exchange must have (a capture
# that missed some, e.g. started late, is made again).
record() {
	name=$1 want=$2 filter=$3 args=$4
	shift 5
	for attempt in 1 2 3; do
		setup
		capture "$tmp/$name.pcap" "$filter"
		ip netns exec "$ns_peer" "$@" >"$tmp/cmd.out" 2>&1 || true
		stop_capture
		teardown
		got=$(tcpdump -r "$tmp/$name.pcap" 2>/dev/null | wc -l)
		[ "$got" -eq "$want" ] && break
		echo "$name: attempt $attempt captured $got frames, want $want" >&2
		cat "$tmp/cmd.out" >&2
		[ "$attempt" -eq 3 ] && exit 1
	done
	"$py" "$here/gen_cases.py" --kernel "$tmp/$name.pcap" "$name" "$args"
	echo "recorded $name: $got frames"
}

udp_send='import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.1", 40000))
s.sendto(b"is anybody there?", ("198.18.0.2", 9))'

# The peer's ping makes it resolve the dut first; capturing ARP only keeps
# just that exchange.
record kernel_arp 2 'arp' \
	'--counter arp_request_rx=1 --counter arp_reply_tx=1' -- \
	ping -c 1 -W 1 198.18.0.2

record kernel_ping 4 'arp or icmp' \
	'--counter icmp_echo_rx=1 --counter icmp_echo_tx=1' -- \
	ping -c 1 -W 1 -s 56 198.18.0.2

record kernel_ping_3000 8 'arp or icmp' \
	'--counter frag_rx=3 --counter frag_reassembled=1 --counter frag_tx=3 --counter icmp_echo_tx=1' -- \
	ping -c 1 -W 1 -s 3000 -M dont 198.18.0.2

record kernel_udp_closed 4 'arp or udp or icmp' \
	'--counter udp_no_port=1 --counter icmp_unreach_tx=1' -- \
	"$py" -c "$udp_send"

#!/usr/bin/env bash
# Installs what Tern needs on a Debian 12 machine (idempotent). Sourced by
# tests/run_all.sh and apps/demo.sh, the README's two commands.
set -euo pipefail
PKGS="build-essential pkg-config meson ninja-build libdpdk-dev dpdk dpdk-dev check
      libpcap-dev clang libclang-rt-14-dev iproute2 iputils-ping tcpdump tshark
      python3 python3-scapy socat procps"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "== installing:$missing"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

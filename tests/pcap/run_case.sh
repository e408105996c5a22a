#!/bin/sh
# Run one pcap-replay case: run_case.sh HARNESS CASE_DIR [OUT_DIR]
# CASE_DIR holds input.pcap, expected.pcap and args (harness arguments,
# whitespace separated; '#' starts a comment). The stack's output is kept in
# OUT_DIR/<case>.actual.pcap for inspection (tshark -r ...).
set -eu
harness=$1
dir=$2
out=${3:-.}
name=$(basename "$dir")
args=$(sed -e 's/#.*//' "$dir/args" | tr '\n' ' ')
mkdir -p "$out"
# shellcheck disable=SC2086 # word splitting of $args is intended
exec "$harness" --in "$dir/input.pcap" --expect "$dir/expected.pcap" \
	--out "$out/$name.actual.pcap" $args

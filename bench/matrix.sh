#!/bin/bash
# make bench-matrix: the BPF cost per event (bench/run.py --only=bpf_cost) on each kernel named
# (default: Debian's 6.1 and 6.12), booted under qemu by tests/vm/run.sh one after another
# (side by side, two guests would share this machine's cores and each other's noise). In a
# guest every program, ours, the empty floor and bpftrace's, runs under the same emulation:
# the comparison holds, the absolute figures are the emulator's. Results go to
# build/bench/<kernel>/results.md and .json.
#
# usage: bench/matrix.sh [KERNEL]...
set -uo pipefail
cd "$(dirname "$0")/.."

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
out=$(pwd -P)/build/bench
status=0
for k in "${kernels[@]}"; do
	mkdir -p "$out/$k"
	echo "bench-matrix: $k" >&2
	if ! tests/vm/run.sh --smp 1 --timeout 3600 --env RS_TIMEOUT_SCALE=10 \
		--env RS_BENCH_COMMAND="sudo make bench-matrix MATRIX=$k" \
		"$k" "$out/$k" -- bench/run.py --quick --only=bpf_cost --emulated --out "$out/$k"; then
		echo "bench-matrix: $k failed (see $out/$k/output.log)" >&2
		status=1
	fi
done
exit $status

#!/bin/sh
# Runs end-to-end tests again and again on a busy machine: a test that waits for times rather
# than for conditions, or compares two readings before the thing measured has stopped, fails
# here first.
#   tests/stress.sh RUNS [pytest -k expression]
# stress-ng keeps every online CPU busy (--cpu 0: one worker a CPU) for the whole series. Each
# run's output is kept in $RS_STRESS_DIR/run-<n>.log (build/stress/); the status is 0 only when
# every run passed.
set -eu
cd "$(dirname "$0")/.."
runs=${1:?usage: tests/stress.sh RUNS [pytest -k expression]}
expr=${2:-}
dir=${RS_STRESS_DIR:-build/stress}
if ! command -v stress-ng >/dev/null 2>&1; then
	echo "stress: stress-ng is not installed (tools/setup.sh stress installs it)" >&2
	exit 1
fi
mkdir -p "$dir"
stress-ng --cpu 0 --timeout 0 >/dev/null 2>&1 &
load=$!
trap 'kill $load 2>/dev/null; wait $load 2>/dev/null || true' EXIT INT TERM
sleep 1
if ! kill -0 $load 2>/dev/null; then
	echo "stress: stress-ng did not start" >&2
	exit 1
fi
passed=0
n=1
while [ $n -le "$runs" ]; do
	log="$dir/run-$n.log"
	if tests/run-e2e.sh -q ${expr:+-k "$expr"} >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "stress: run $n of $runs passed"
	else
		echo "stress: run $n of $runs FAILED ($log):"
		grep -E '^(FAILED|ERROR) ' "$log" || tail -5 "$log"
	fi
	n=$((n + 1))
done
echo "stress: $passed of $runs runs passed under stress-ng --cpu 0 ($(nproc) CPUs)"
[ "$passed" -eq "$runs" ]

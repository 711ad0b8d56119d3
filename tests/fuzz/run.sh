#!/bin/sh
# run.sh OUT SECONDS TARGET...: replays each target's regressions (inputs that once crashed it),
# then fuzzes it for SECONDS from its seed corpus. New inputs go to OUT/corpus/<target>, crashes
# to OUT/crashes/<target>-*; any crash fails the run.
set -eu
out=$1
secs=$2
shift 2
dir=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$@"; do
	bin=$out/fuzz/$t
	mkdir -p "$out/corpus/$t" "$out/crashes"
	if [ -d "$dir/regressions/$t" ] && [ -n "$(ls -A "$dir/regressions/$t")" ]; then
		"$bin" -runs=1 "$dir/regressions/$t"/* >"$out/crashes/$t.regress.log" 2>&1 || {
			echo "fuzz: $t: a regression input crashes again, see $out/crashes/$t.regress.log"
			status=1
			continue
		}
	fi
	if "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/crashes/$t-" "$out/corpus/$t" "$dir/corpus/$t" \
		>"$out/crashes/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/crashes/$t.log")
		corpus=$(ls "$out/corpus/$t" | wc -l)
		echo "fuzz: $t: ${runs:-?} inputs in ${secs}s, no crash (corpus: $corpus new inputs)"
	else
		echo "fuzz: $t: CRASH, see $out/crashes/$t.log:"
		grep -E "ERROR|SUMMARY|Test unit written" "$out/crashes/$t.log" | head -5
		status=1
	fi
done
exit $status

#!/bin/bash
# The kernel tests on other kernels: each kernel named (default: Debian's 6.1 and 6.12) booted
# under qemu by tests/vm/run.sh, all at once with one vCPU each (under TCG two small guests
# finish sooner than two large ones in turn), running tests/vm/kernel-tests.sh: the kernel
# tests with --bpf.attach=auto and with raw_tp, on a pure cgroup v2 hierarchy. A table of
# what passed on which kernel ends the output; the exit status is 0 only when every pass on
# every kernel passed, and none was skipped.
#
# usage: tests/vm/matrix.sh [KERNEL]...
# env: RS_KERNEL_TESTS (test files), RS_RAW_TP_TESTS (those of the raw_tp pass, default the
# same), RS_KERNEL_MARKS (a pytest -m expression), RS_MATRIX_OUT
#   (where each kernel's results go: <out>/<kernel>/; default build/matrix), RS_VM_TIMEOUT
set -uo pipefail
cd "$(dirname "$0")/../.."

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
tests=${RS_KERNEL_TESTS:?the test files to run (see the Makefile)}
marks=${RS_KERNEL_MARKS:-not docker and not slow}
out=${RS_MATRIX_OUT:-build/matrix}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

declare -A pid
t0=$SECONDS
for k in "${kernels[@]}"; do
	rm -rf "${out:?}/$k"
	mkdir -p "$out/$k"
	# processes run 7-13x slower under TCG: every wait of the tests is widened to match
	tests/vm/run.sh --smp 1 --timeout "${RS_VM_TIMEOUT:-2400}" --env RS_TIMEOUT_SCALE=10 \
		--env RS_RAW_TP_TESTS="${RS_RAW_TP_TESTS:-}" "$k" "$out/$k" -- tests/vm/kernel-tests.sh "$marks" $tests \
		>"$out/$k/run.log" 2>&1 &
	pid[$k]=$!
	echo "matrix: $k: booting (log: $out/$k/run.log)"
done

declare -A rc
for k in "${kernels[@]}"; do
	wait "${pid[$k]}"
	rc[$k]=$?
done

# one line per kernel and flavour, from the JUnit files
status=0
printf '\n%-26s %-7s %7s %7s %7s %8s\n' kernel attach passed failed skipped seconds
for k in "${kernels[@]}"; do
	release=$(sed -n 's/^kernel=//p' "$out/$k/timing" 2>/dev/null)
	for flavour in auto raw_tp; do
		xml=$out/$k/$flavour.xml
		if [ ! -s "$xml" ]; then
			printf '%-26s %-7s %s\n' "${release:-$k}" "$flavour" "no results"
			status=1
			continue
		fi
		read -r tests_n failures errors skipped time < <(python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot()
s = s if s.tag == "testsuite" else s.find("testsuite")
print(s.get("tests"), s.get("failures"), s.get("errors"), s.get("skipped"), s.get("time"))
PY
)
		failed=$((failures + errors))
		printf '%-26s %-7s %7d %7d %7d %8.0f\n' "$release" "$flavour" \
			$((tests_n - failed - skipped)) "$failed" "$skipped" "$time"
		if [ "$failed" -ne 0 ] || [ "$skipped" -ne 0 ] || [ "$tests_n" -eq 0 ]; then
			status=1
			grep -E '^(FAILED|ERROR) ' "$out/$k/$flavour.log" | sed "s/^/  /"
		fi
	done
	boot=$(sed -n 's/^boot_s=//p' "$out/$k/timing" 2>/dev/null)
	echo "  ($k: boot to first command ${boot:-?} s, guest status ${rc[$k]}; $out/$k/)"
	if [ "${rc[$k]}" -ne 0 ]; then
		status=1
		tail -n 30 "$out/$k/run.log" | sed "s/^/  $k: /"
	fi
done
echo "matrix: ${kernels[*]} in $((SECONDS - t0)) s"
exit $status

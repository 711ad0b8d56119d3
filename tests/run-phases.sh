#!/bin/bash
# make test: every test, in phases. The fast ones first, one after the other: the build, the
# unit tests, the call-cycle check, the sanitizer build with its unit tests. Then two lanes:
#   host: the end-to-end tests on this machine's kernel (all of them; the kernel tests again
#         with raw_tp; the kernel tests against the sanitizer build), one suite at a time, as
#         their tests count what runs on the whole host;
#   vm:   the kernel matrix (qemu's TCG: CPU-bound, both CPUs of a small machine), then the fuzz
#         targets.
# The lanes run one after the other. Side by side (RS_PHASES_PARALLEL=1) they take 18 minutes
# instead of 28 on two CPUs, but a guest's clocks go on while its virtual CPU waits for a host
# CPU, so a starved guest charges its tasks for time they did not run and the CPU figures its
# tests compare within 2 % drift apart: a short container's final CPU came out 2.2 % and 8 %
# under its task's own (6.1, 6.12), whichever lane had the higher priority. There the host
# lane runs at nice 10, its tests being made to pass under `stress-ng --cpu 2`.
# The matrix's guests read build/ as it is, so nothing rebuilds build/ once the lanes start (the
# sanitizer and fuzz builds are build-san/ and build-fuzz/).
# Every phase runs, whatever failed before it; each one's output is in build/phases/<phase>.log
# (the host lane's and the first phases' are shown as they come, the vm lane's at its end). A
# table of every phase (passed or failed, seconds) ends the output; the exit status is 0 only
# when every phase passed.
#
# usage: tests/run-phases.sh [PHASE]...   (default: all; e.g. `unit e2e` runs those two)
# env: RS_PHASES_PARALLEL=1 runs the vm lane beside the host lane instead of after it
set -u
cd "$(dirname "$0")/.."

serial_phases="build unit callcycles unit-san"
host_phases="e2e e2e-raw-tp e2e-san"
vm_phases="matrix fuzz"
all="$serial_phases $host_phases $vm_phases"
want=${*:-$all}
for p in $want; do
	case " $all " in
	*" $p "*) ;;
	*) echo "run-phases: no phase '$p' (phases: $all)" >&2; exit 2 ;;
	esac
done

out=build/phases
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
make=(make --no-print-directory)

command_of() {
	case $1 in
	build) echo "${make[*]} -j$(nproc) all fixtures" ;;
	unit) echo "${make[*]} -j$(nproc) unit CALLCYCLES=0" ;;
	callcycles) echo "${make[*]} callcycles" ;;
	unit-san) echo "${make[*]} -j$(nproc) unit-san" ;;
	e2e) echo "nice -n 10 tests/run-e2e.sh" ;;
	e2e-raw-tp) echo "nice -n 10 ${make[*]} test-raw-tp" ;;
	e2e-san) echo "nice -n 10 ${make[*]} e2e-san" ;;
	matrix) echo "${make[*]} matrix" ;;
	fuzz) echo "${make[*]} fuzz FUZZ_TIME=10" ;;
	esac
}

# phase NAME [quiet]: runs it, its output to its log (and to ours unless quiet); its status
# and seconds to $out/NAME.rc and $out/NAME.secs
phase() {
	local name=$1 quiet=${2:-} cmd t0 rc
	case " $want " in *" $name "*) ;; *) return 0 ;; esac
	cmd=$(command_of "$name")
	rm -f "$out/$name.rc" "$out/$name.secs"
	echo "=== phase $name: $cmd"
	t0=$SECONDS
	if [ -n "$quiet" ]; then
		$cmd >"$out/$name.log" 2>&1
		rc=$?
	else
		$cmd 2>&1 | tee "$out/$name.log"
		rc=${PIPESTATUS[0]}
	fi
	echo "$rc" >"$out/$name.rc"
	echo $((SECONDS - t0)) >"$out/$name.secs"
	echo "=== phase $name: $([ "$rc" -eq 0 ] && echo passed || echo "FAILED ($rc)") in" \
		"$((SECONDS - t0)) s"
}

# the vm lane's phases, then their logs' ends (the matrix's table; the fuzz targets' lines)
vm_lane() {
	local p
	for p in $vm_phases; do
		phase "$p" quiet
	done
	for p in $vm_phases; do
		[ -f "$out/$p.rc" ] || continue
		echo "=== phase $p: the end of $out/$p.log"
		tail -n 40 "$out/$p.log"
	done
}

# a process and all below it (an interrupted run leaves no guest or fuzzer behind: the vm
# lane, started in the background, does not get the terminal's SIGINT)
kill_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1"); do
		kill_tree "$c"
	done
	kill "$1" 2>/dev/null
}

t0=$SECONDS
for p in $serial_phases; do
	phase "$p"
done
vm_pid=
if [ -z "${RS_PHASES_PARALLEL:-}" ]; then
	for p in $host_phases; do
		phase "$p"
	done
	vm_lane
else
	vm_lane &
	vm_pid=$!
	trap 'kill_tree "$vm_pid"; exit 130' INT TERM
	for p in $host_phases; do
		phase "$p"
	done
	wait "$vm_pid"
fi

status=0
printf '\n%-12s %-7s %8s  %s\n' phase result seconds log
for p in $want; do
	if [ -f "$out/$p.rc" ]; then
		rc=$(cat "$out/$p.rc")
		result=passed
		[ "$rc" -eq 0 ] || { result=FAILED; status=1; }
		printf '%-12s %-7s %8s  %s\n' "$p" "$result" "$(cat "$out/$p.secs")" "$out/$p.log"
	else
		printf '%-12s %-7s %8s\n' "$p" "not run" -
		status=1
	fi
done
echo "all phases in $((SECONDS - t0)) s"
exit $status

#!/bin/bash
# Boots one of Debian's kernels under qemu's TCG (there is no KVM on these machines) and runs a
# command in it: the guest sees the host's whole root (read-only, under a tmpfs overlay, so it
# has every tool and the built daemon), a pure cgroup v2 hierarchy with every controller on,
# bpffs, tracefs and debugfs. The command runs as root in --cwd, with stdin from /dev/null; its
# output is shown as it comes and kept in OUT. The guest's /tmp and /run are its own, empty: the
# host's files there are not seen (OUT and --cwd excepted: a clone under /tmp works), so scripts
# for the guest belong in the repo or in OUT. What the guest writes elsewhere is lost at its end.
#
# usage: tests/vm/run.sh [OPTION]... SPEC OUT -- COMMAND [ARG]...
#   SPEC   a kernel, as tests/vm/kernel.sh takes it: 6.1, 6.12, a package name or a glob
#   OUT    a directory on the host, shared read-write with the guest at the same path
#          (RS_VM_OUT in the guest): the command may leave results there
#   --env K=V, --env K   set K in the command's environment (K alone: its value here)
#   --cwd DIR            where the command runs (default: the current directory)
#   --timeout S          kill the guest after S seconds, counting as failed
#                        (default $RS_VM_TIMEOUT or 3600)
#   --smp N, --mem SIZE  the guest's CPUs and memory (default $RS_VM_SMP or 2, $RS_VM_MEM or 4G;
#                        the memory also holds the overlay's writes)
#   --append ARGS        more kernel command line (e.g. initcall_debug, to see where a boot is slow)
# Exits with the command's status, or 125 when the guest failed before giving one (which step
# and why go to stderr). OUT then holds: output.log (the command's output), rc, timing
# (boot_s: from qemu's start to the command's start; guest_uptime_s: the guest kernel's uptime
# then; total_s; boots), console.log (the serial console), setup.log (the guest's setup) and
# guest/ (what the guest is told). One run at a time in an OUT.
#
# A boot that dies before the guest's first command (multi-threaded TCG, very rarely, oopses
# that early) is tried again, up to 3 times in all; a guest that got further never is.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
timeout=${RS_VM_TIMEOUT:-3600}
# a boot takes seconds; one that has not reached init by then hangs and is tried again
boot_timeout=${RS_VM_BOOT_TIMEOUT:-120}
smp=${RS_VM_SMP:-2}
mem=${RS_VM_MEM:-4G}
cwd=$PWD
append=
tries=3
exports=

die() {
	echo "run.sh: $*" >&2
	exit 125
}
usage() { die "usage: $0 [--env K=V]... [--cwd DIR] [--timeout S] [--smp N] [--mem SIZE] [--append ARGS] SPEC OUT -- COMMAND..."; }
# single-quoted for sh, whatever the value holds
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
ms() { echo $((${EPOCHREALTIME//[!0-9]/} / 1000)); }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

while [ $# -gt 0 ]; do
	case $1 in
	--env)
		[ $# -ge 2 ] || usage
		k=${2%%=*}
		[[ $k =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--env $2: not a variable name"
		if [[ $2 == *=* ]]; then v=${2#*=}; else v=${!k-}; fi
		exports+="export $k=$(quote "$v")"$'\n'
		shift 2
		;;
	--cwd) cwd=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--append) append=${2?}; shift 2 ;;
	--) break ;;
	-*) usage ;;
	*) break ;;
	esac
done
if [ $# -lt 4 ] || [ "$3" != -- ]; then usage; fi
spec=$1
mkdir -p "$2" || die "cannot create $2"
out=$(cd "$2" && pwd -P)
shift 3
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout $timeout: not a number of seconds"
[ -d "$cwd" ] || die "--cwd $cwd: no such directory"
cwd=$(cd "$cwd" && pwd -P)

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
bios=/usr/share/qemu/qboot.rom
[ -f "$bios" ] || die "$bios not found (qemu-system-data)"

kdir=$("$here/kernel.sh" "$spec") || die "preparing kernel '$spec' failed (above)"
release=$(cat "$kdir/release")

rm -rf "$out/guest"
rm -f "$out"/{booted,started,rc,output.log,setup.log,timing,console*.log}
mkdir "$out/guest"
# what init needs before it can reach the host's root
{
	echo "RS_VM_OUT=$(quote "$out")"
	echo "RS_VM_CWD=$(quote "$cwd")"
	echo "RS_VM_GUEST=$(quote "$here/guest.sh")"
} >"$out/guest/boot"
{
	echo "# written by tests/vm/run.sh: the command, run by tests/vm/guest.sh"
	echo "export RS_VM_OUT=$(quote "$out")"
	printf '%s' "$exports"
	echo "cd $(quote "$cwd") || exit 125"
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(quote "$a")"; done
	echo
} >"$out/guest/command.sh"

# quiet: the serial line carries ~130 KB/s, yet errors still reach console.log.
# panic_on_oops, panic=-1: a kernel that oopses stops the run at once instead of hanging it.
# cgroup_no_v1=all: no controller is held by v1. psi=1: Debian builds PSI off by default.
# mitigations=off: their page-table and barrier costs are many times larger under TCG.
# cryptomgr.notests: the crypto self-tests take a fifth of the boot under TCG.
cmdline="console=ttyS0 quiet panic=-1 panic_on_oops=1 cgroup_no_v1=all psi=1 mitigations=off cryptomgr.notests $append"
# qemu's options split on ',' unless it is doubled
q_out=${out//,/,,}
q_cwd=${cwd//,/,,}

qpid=
trap '[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

boot() {
	qemu-system-x86_64 -accel tcg,thread=multi -machine pc -cpu max -smp "$smp" -m "$mem" \
		-nodefaults -no-user-config -display none -no-reboot \
		-bios "$bios" -kernel "$kdir/vmlinux" -initrd "$kdir/initramfs.cpio" -append "$cmdline" \
		-chardev "file,id=console,path=$q_out/console.log" -serial chardev:console \
		-virtfs local,path=/,mount_tag=rs_root,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$q_out,mount_tag=rs_out,security_model=none,multidevs=remap" \
		-virtfs "local,path=$q_cwd,mount_tag=rs_cwd,security_model=none,readonly=on,multidevs=remap" \
		</dev/null &
	qpid=$!
}

# what went wrong, from a console log: a panic's or oops' own lines, else its end
show_console() {
	echo "run.sh: from $1:" >&2
	grep -E -m 8 'Kernel panic|BUG:|Oops|RIP:|rs-vm' "$1" >&2 || tail -n 15 "$1" >&2 || true
}

t_start=$(ms)
for ((try = 1; ; try++)); do
	rm -f "$out"/{booted,started,rc,output.log,setup.log}
	t0=$(ms)
	boot
	# the command's output as it comes (tail ends soon after qemu does)
	tail -n +1 -F -s 0.2 --pid="$qpid" "$out/output.log" 2>/dev/null &
	tpid=$!
	killed='' t_cmd='' timed_out=''
	while kill -0 "$qpid" 2>/dev/null; do
		now=$(ms)
		if [ -z "$t_cmd" ] && [ -e "$out/started" ]; then
			t_cmd=$((now - t0))
		fi
		if [ ! -e "$out/booted" ] && ((now - t0 > boot_timeout * 1000)); then
			killed="the guest had not reached init after $boot_timeout s"
		elif ((now - t_start > timeout * 1000)); then
			killed="timed out after $timeout s"
			timed_out=1
		fi
		if [ -n "$killed" ]; then
			kill "$qpid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	qrc=0
	wait "$qpid" || qrc=$?
	qpid=
	wait "$tpid" || true
	t_end=$(ms)

	[ -n "$killed" ] || [ "$qrc" -eq 0 ] || die "qemu failed (status $qrc, its message above)"
	[ ! -e "$out/booted" ] || break
	echo "run.sh: $release: boot $try of $tries died before init (${killed:-qemu exited})" >&2
	show_console "$out/console.log"
	[ -z "$timed_out" ] || die "$release: timed out after $timeout s, before init"
	mv "$out/console.log" "$out/console.$try.log"
	((try < tries)) || die "$release: no boot of $tries reached init (console.*.log in $out)"
done

{
	echo "kernel=$release"
	# polled, so within a tenth of a second; empty when the command was over before a poll
	echo "boot_s=$([ -z "$t_cmd" ] || secs "$t_cmd")"
	echo "guest_uptime_s=$(cat "$out/started" 2>/dev/null)"
	echo "total_s=$(secs $((t_end - t_start)))"
	echo "boots=$try"
} >"$out/timing"

if [ ! -e "$out/rc" ]; then
	echo "run.sh: $release: the guest gave no exit status: ${killed:-it stopped before the command ended}" >&2
	if [ -s "$out/setup.log" ]; then
		echo "run.sh: the end of $out/setup.log:" >&2
		tail -n 15 "$out/setup.log" >&2
	fi
	show_console "$out/console.log"
	exit 125
fi
rc=$(cat "$out/rc")
[[ $rc =~ ^[0-9]+$ ]] || die "$release: the guest left '$rc' in $out/rc, not an exit status"
echo "run.sh: $release: the command ended with status $rc; started $(grep ^boot_s "$out/timing" | cut -d= -f2) s" \
	"after qemu, all took $(secs $((t_end - t_start))) s" >&2
exit "$rc"

#!/bin/sh
# The guest's second stage, run by tests/vm/init as PID 1 in the host's root (read-only 9p under a
# tmpfs overlay): it makes the machine the kernel tests expect (tests/vm/fstab's mounts, a pure
# cgroup v2 hierarchy with every controller on, loopback up), runs the command that run.sh wrote
# to OUT/guest/command.sh, keeps its exit status in OUT/rc and powers off.
# Every program started here costs a tenth of a second under TCG: shell builtins do what they can.
# As PID 1 this shell also reaps the orphans the tests leave, as it waits with waitpid(-1).
#
# usage (by init only): guest.sh OUT CWD
set -u
out=$1
cwd=$2
here=${0%/*}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8

off() {
	sync
	# -f: there is no init to ask; with -no-reboot qemu exits
	/bin/busybox reboot -f
	sleep 60
}
fail() {
	echo "rs-vm guest: $*" >/dev/console
	[ -d "$out/guest" ] && echo "guest: $*" >>"$out/setup.log"
	off
}

mount -a -T "$here/fstab" || fail "mount -a -T $here/fstab failed (its messages above)"
# the command's directory, where the guest's own /tmp or /run now hides it (a clone in /tmp):
# the host's, read-only, under an overlay of its own
if [ ! -d "$cwd" ]; then
	mkdir -p "$cwd" /run/rs-cwd/lower /run/rs-cwd/upper /run/rs-cwd/work
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose rs_cwd \
		/run/rs-cwd/lower || fail "cannot mount the command's directory share at $cwd"
	mount -t overlay -o lowerdir=/run/rs-cwd/lower,upperdir=/run/rs-cwd/upper,workdir=/run/rs-cwd/work \
		overlay "$cwd" || fail "cannot lay an overlay on $cwd"
fi
# after /tmp and /run, which may hold it: the output directory, at its path on the host
mkdir -p "$out"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 rs_out "$out" ||
	fail "cannot mount the output share at $out"
exec >>"$out/setup.log" 2>&1

read -r controllers </sys/fs/cgroup/cgroup.controllers
for c in $controllers; do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control ||
		fail "cannot enable the $c controller in /sys/fs/cgroup"
done
# each write is checked above; this catches a controller the kernel quietly left off
read -r enabled </sys/fs/cgroup/cgroup.subtree_control
[ "$enabled" = "$controllers" ] ||
	fail "/sys/fs/cgroup has controllers '$controllers' but enabled '$enabled'"
[ -e /proc/pressure/cpu ] || fail "no /proc/pressure: PSI is off (psi=1 missing?)"
ip link set lo up || fail "cannot bring lo up"
echo rs-vm >/proc/sys/kernel/hostname
# dash, Debian's /bin/sh, has ulimit -n
# shellcheck disable=SC3045
ulimit -n 65536 || fail "cannot raise the open files limit"

read -r up _ </proc/uptime
echo "guest: ready after $up s; controllers: $enabled"
echo "$up" >"$out/started"
# stdin from /dev/null: a test reading a terminal would wait for ever on the serial line
sh "$out/guest/command.sh" </dev/null >"$out/output.log" 2>&1
echo $? >"$out/rc"
off

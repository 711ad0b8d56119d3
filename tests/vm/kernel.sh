#!/bin/sh
# Prepares one of Debian's kernel packages to be booted by tests/vm/run.sh and prints the
# directory it is in: vmlinux (uncompressed, booted through its PVH entry, as qemu's TCG spends
# seconds decompressing a bzImage), initramfs.cpio (busybox, the modules needed to reach the
# host's root over 9p, tests/vm/init) and release (its `uname -r`). A prepared kernel is reused;
# its initramfs is rebuilt when tests/vm/init changes (guest.sh and fstab are read from the repo
# at each boot, so they need nothing rebuilt).
# needs: apt, dpkg-deb, busybox-static, xz-utils and zstd (Debian's 6.1 and 6.12 compressions)
#
# usage: tests/vm/kernel.sh SPEC
#   SPEC is 6.1 or 6.12 (the newest plain amd64 kernel of Debian 12's series), a package name,
#   or a glob such as 'linux-image-6.12.*+deb12-amd64' (a wildcard never crosses a '-', so it
#   stands for a version and not for a flavour: -cloud-, -rt-, -dbg are not taken).
# env: RS_KERNEL_CACHE, where packages and prepared kernels are kept
#   (default /var/cache/runnerscope/kernels; outside the repo, as it holds hundreds of MB)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${RS_KERNEL_CACHE:-/var/cache/runnerscope/kernels}
PATH=$PATH:/usr/sbin:/sbin

# What the guest loads before it can mount the host's root: virtio-pci (built in on 6.12),
# 9p over virtio and overlayfs; their dependencies come along (see add_module)
GUEST_MODULES='virtio_pci 9pnet_virtio 9p overlay'

die() {
	echo "kernel.sh: $*" >&2
	exit 1
}
say() { echo "kernel.sh: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 6.1|6.12|PACKAGE|GLOB"
spec=$1

case $spec in
6.1) glob='linux-image-6.1.0-*-amd64' ;;
6.12) glob='linux-image-6.12.*+deb12-amd64' ;;
*) glob=$spec ;;
esac
# the glob as an extended regex: metacharacters escaped, '*' and '?' kept within one field
re=$(printf '%s\n' "$glob" | sed -e 's/[].+^$\\|(){}[]/\\&/g' -e 's/\*/[^-]*/g' -e 's/?/[^-]/g')

# One apt-cache call (each costs most of a second here, as apt keeps no cache file): apt is
# asked for a superset, the part of the glob before its first wildcard, and the filtering and
# ordering are done here, so apt's own pattern rules do not matter
case $glob in
*[*?]*) ask="${glob%%[*?]*}*" ;;
*) ask=$glob ;;
esac
newest() {
	apt-cache policy "$ask" 2>/dev/null | RE="^$re\$" awk '
		/^[^ ].*:$/ { name = substr($0, 1, length($0) - 1) }
		$1 == "Candidate:" && $2 != "(none)" && name ~ ENVIRON["RE"] { print name, $2 }' |
		sort -V -k1,1 | tail -n 1
}
best=$(newest)
if [ -z "$best" ]; then
	# apt's lists may be missing or old on a fresh machine: refresh once, not on every run
	say "no package matches '$glob' in apt's lists: running apt-get update"
	apt-get update -q >&2 || die "apt-get update failed"
	best=$(newest)
fi
[ -n "$best" ] || die "no package matches '$glob' (apt-cache policy '$ask')"
pkg=${best% *}
version=${best#* }

# keyed by the package's version: a rebuilt package of the same name is prepared anew
dir=$cache/${pkg}_$(printf '%s' "$version" | tr ':' '_')
deb=$cache/debs/${pkg}_$(printf '%s' "$version" | tr ':' '_').deb

busybox=$(command -v busybox) || die "busybox not found: apt-get install busybox-static"
# the initramfs has no libc: a dynamically linked busybox would die as the guest's init
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked: apt-get install busybox-static"
fi

mkdir -p "$cache/debs" || die "cannot create $cache (set RS_KERNEL_CACHE)"
# Two runs preparing the same kernel at once (CI running kernels side by side) wait for each
# other instead of unpacking into the same place
exec 9>"$cache/$pkg.lock"
flock 9

# The initramfs is rebuilt whenever tests/vm/init or busybox changes, without unpacking again
initramfs_sum() { cat "$here/init" "$busybox" | cksum; }

build_initramfs() { # DIR: DIR/modules holds the .ko files and their load order
	root=$1/initramfs.d
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/lower" "$root/rw" \
		"$root/newroot" "$root/out"
	cp "$busybox" "$root/bin/busybox"
	cp "$here/init" "$root/init"
	chmod 755 "$root/init"
	cp -r "$1/modules" "$root/modules"
	# the kernel opens /dev/console for init before anything can mount devtmpfs
	mknod "$root/dev/console" c 5 1
	(cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null) >"$1/initramfs.cpio.new" ||
		die "cannot build the initramfs in $1"
	rm -rf "$root"
	mv "$1/initramfs.cpio.new" "$1/initramfs.cpio"
	initramfs_sum >"$1/initramfs.sum"
}

if [ -f "$dir/ok" ]; then
	if [ "$(initramfs_sum)" != "$(cat "$dir/initramfs.sum")" ]; then
		say "tests/vm/init or busybox changed: rebuilding $dir/initramfs.cpio"
		build_initramfs "$dir"
	fi
	echo "$dir"
	exit 0
fi

tmp=$cache/.new.$$.$pkg
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/modules" "$tmp/dl"

if [ ! -f "$deb" ]; then
	say "downloading $pkg $version"
	# as root into root's directory, so apt does not warn that _apt cannot write there
	(cd "$tmp/dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$version" >&2) ||
		die "apt-get download $pkg=$version failed"
	mv "$tmp"/dl/*.deb "$deb" || die "apt-get download left no .deb in $tmp/dl"
fi
say "unpacking $deb"
dpkg-deb -x "$deb" "$tmp/deb" || die "dpkg-deb -x $deb failed"
release=$(ls "$tmp/deb/lib/modules")
[ -d "$tmp/deb/lib/modules/$release" ] || die "$deb has not exactly one /lib/modules/*: '$release'"
printf '%s\n' "$release" >"$tmp/release"
cp "$tmp/deb/boot/config-$release" "$tmp/config"

# The bzImage's setup header tells where the compressed kernel is (boot protocol 2.08+:
# payload_offset at 0x248 and payload_length at 0x24c, counted from the protected-mode code
# after the setup sectors), so no magic number is searched for; the payload's first bytes then
# tell its compression. Its last 4 bytes are the uncompressed size, which decompressors would
# take for trailing garbage: they are cut off and used to check the result.
extract_vmlinux() { # BZIMAGE OUT
	u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
	[ "$(od -An -c -j 514 -N4 "$1" | tr -d ' ')" = HdrS ] || die "$1 is not a bzImage"
	sects=$(od -An -tu1 -j 497 -N1 "$1" | tr -d ' ')
	[ "$sects" -ne 0 ] || sects=4
	start=$(((sects + 1) * 512 + $(u32 "$1" 584)))
	len=$(u32 "$1" 588)
	[ "$len" -gt 4 ] || die "$1 has no payload (boot protocol older than 2.08?)"
	magic=$(tail -c +$((start + 1)) "$1" | head -c 4 | od -An -tx1 | tr -d ' \n')
	case $magic in
	fd377a58) unpack='xz -dc' ;;
	28b52ffd) unpack='zstd -dcq' ;;
	1f8b*) unpack='gzip -dc' ;;
	5d00*) unpack='xz -dc --format=lzma' ;;
	425a68*) unpack='bzip2 -dc' ;;
	02214c18) unpack='lz4 -dc' ;;
	*) die "$1: payload at $start starts with $magic, a compression this script does not know" ;;
	esac
	command -v "${unpack%% *}" >/dev/null || die "$1 is compressed with ${unpack%% *}, not installed"
	tail -c +$((start + 1)) "$1" | head -c $((len - 4)) | $unpack >"$2" ||
		die "$unpack failed on the payload of $1"
	want=$(u32 "$1" $((start + len - 4)))
	got=$(wc -c <"$2")
	[ "$got" -eq "$want" ] || die "$1 unpacked to $got bytes, its trailer says $want"
	[ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] ||
		die "$1's payload did not unpack to an ELF file"
}
extract_vmlinux "$tmp/deb/boot/vmlinuz-$release" "$tmp/vmlinux"

mods=$tmp/deb/lib/modules/$release
# A module's dependencies are in its own .modinfo ("depends=a,b"), so the few needed ones are
# resolved without depmod over the whole tree; each is put after what it depends on, and
# decompressed, as busybox's insmod cannot read .ko.xz
add_module() { # NAME
	case " $added " in *" $1 "*) return 0 ;; esac
	added="$added $1"
	dashed=$(printf '%s' "$1" | tr _ -)
	if grep -qE "/($1|$dashed)\.ko\$" "$mods/modules.builtin"; then
		return 0
	fi
	file=$(find "$mods/kernel" \( -name "$1.ko*" -o -name "$dashed.ko*" \) | head -n 1)
	[ -n "$file" ] || die "module $1 is neither in $pkg nor built into it"
	case $file in
	*.ko) cat "$file" ;;
	*.ko.xz) xz -dc "$file" ;;
	*.ko.zst) zstd -dcq "$file" ;;
	*.ko.gz) gzip -dc "$file" ;;
	*) die "$file: unknown module compression" ;;
	esac >"$tmp/modules/$1.ko" || die "cannot unpack $file"
	for dep in $(tr '\0' '\n' <"$tmp/modules/$1.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$dep"
	done
	echo "$1" >>"$tmp/modules/order"
}
added=
for m in $GUEST_MODULES; do
	add_module "$m"
done

build_initramfs "$tmp"
rm -rf "$tmp/deb" "$tmp/dl"
touch "$tmp/ok"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
say "prepared $pkg $version ($release): $(tr '\n' ' ' <"$dir/modules/order")"
echo "$dir"

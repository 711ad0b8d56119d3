#!/bin/sh
# Installs whatever this machine lacks (Debian/Ubuntu), then runs `make <target>`:
#   tools/setup.sh run    build and run the daemon (needs root for BPF)
#   tools/setup.sh test   build and run every test (needs root: BPF, cgroups, Docker)
#   tools/setup.sh bench  build and run the benchmarks (needs root)
#   tools/setup.sh stress N=20 T=expr   the end-to-end tests again and again on a busy machine
set -eu
cd "$(dirname "$0")/.."
target=${1:-run}
shift || true

build_pkgs="make gcc libc6-dev clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev
	libmicrohttpd-dev libjson-c-dev uthash-dev libyaml-dev libgnutls28-dev libcrypt-dev"
test_pkgs="libcmocka-dev python3 python3-pytest python3-prometheus-client docker.io podman
	containerd crun docker-compose
	busybox-static prometheus util-linux procps iproute2 e2fsprogs mount openssl curl chromium
	fonts-dejavu-core libclang-rt-dev valgrind debootstrap systemd
	qemu-system-x86 xz-utils zstd"
bench_pkgs="python3 util-linux procps wrk bpftrace prometheus-node-exporter
	qemu-system-x86 xz-utils zstd busybox-static
	netcat-openbsd curl"
case "$target" in
test|unit|e2e) pkgs="$build_pkgs $test_pkgs" ;;
stress) pkgs="$build_pkgs $test_pkgs stress-ng" ;;
bench) pkgs="$build_pkgs $bench_pkgs" ;;
*) pkgs="$build_pkgs" ;;
esac

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
# kubectl: Debian's kubernetes-client, unless one is there already (from another package)
case "$target" in
test|e2e|stress) command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client" ;;
esac
# bpftool: its own package on Debian, part of linux-tools on Ubuntu
if ! command -v bpftool >/dev/null 2>&1 && ! [ -x /usr/sbin/bpftool ]; then
	missing="$missing bpftool"
fi
if [ -n "$missing" ]; then
	echo "setup: installing:$missing" >&2
	$sudo apt-get update -q
	if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
		$missing; then
		case "$missing" in
		*bpftool*)
			missing=$(echo "$missing" | sed 's/ bpftool//')
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
				--no-install-recommends $missing linux-tools-common \
				"linux-tools-$(uname -r)"
			;;
		*) exit 1 ;;
		esac
	fi
fi
PATH="$PATH:/usr/sbin:/sbin"
export PATH
exec make "$target" "$@"

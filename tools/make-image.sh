#!/bin/sh
# make-image.sh IMAGE VERSION REVISION BASE: builds deploy/docker/Dockerfile as IMAGE:VERSION
# and IMAGE:latest with the docker CLI (DOCKER_HOST and the rest as usual). BASE, a minimal
# Debian 12, is made here with debootstrap and `docker import` when the engine lacks it, so
# no image registry is needed; only a Debian mirror (DEBIAN_MIRROR).
set -eu
cd "$(dirname "$0")/.."
image=$1 version=$2 revision=$3 base=$4
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
docker=${DOCKER:-docker}

if ! $docker image inspect "$base" >/dev/null 2>&1; then
	command -v debootstrap >/dev/null || {
		echo "make-image: debootstrap is needed to make $base (apt-get install debootstrap)" >&2
		exit 1
	}
	root=$(mktemp -d /tmp/runnerscope-base.XXXXXX)
	trap 'rm -rf "$root"' EXIT
	echo "make-image: making $base with debootstrap from $mirror" >&2
	debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
		tail -20 "$root.log" >&2
		exit 1
	}
	rm -f "$root.log"
	echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	tar -C "$root" -c . | $docker import - "$base" >/dev/null
fi

# the build context: the tracked files as they are now, and the revision they came from
ctx=$(mktemp /tmp/runnerscope-ctx.XXXXXX)
trap 'rm -f "$ctx"' EXIT
printf '%s\n' "$revision" >.revision
{ git ls-files; echo .revision; } | tar -c -T - -f "$ctx"
rm -f .revision
$docker build --network host --build-arg BASE="$base" -f deploy/docker/Dockerfile \
	-t "$image:$version" -t "$image:latest" - <"$ctx"
echo "make-image: built $image:$version" >&2

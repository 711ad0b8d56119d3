#!/bin/sh
# usage: tools/includers.sh HEADER FILE...
# Prints the FILEs that include HEADER (matched by its file name), directly or through FILEs
# that are headers including it. The Makefile asks it which objects need the generated BPF
# skeleton before they compile: on a clean build there are no dependency files to say so yet.
set -eu
names=$(basename "$1")
shift
while :; do
	re=$(printf '%s\n' "$names" | sed 's/[.]/[.]/g' | paste -sd'|' -)
	found=$(grep -lE "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]*/)?($re)\"" \
		"$@" /dev/null || true)
	next=$({ printf '%s\n' "$names"; printf '%s\n' $found | sed -n 's|.*/||; /[.]h$/p'; } |
		sort -u)
	[ "$next" = "$names" ] && break
	names=$next
done
[ -z "$found" ] || printf '%s\n' $found

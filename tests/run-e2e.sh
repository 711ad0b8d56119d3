#!/bin/sh
# The kernel, Docker and Prometheus tests. They need root; without it they fail, never skip.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "run-e2e: the end-to-end tests need root (BPF, cgroups, Docker): run with sudo" >&2
	exit 1
fi
# Debian's python3 carries python3-pytest, whatever python3 is first on PATH
# RS_E2E_TESTS picks files (default: all); extra arguments go to pytest (e.g. -k docker)
exec /usr/bin/python3 -m pytest -p no:cacheprovider -v ${RS_E2E_TESTS:-tests/e2e} "$@"

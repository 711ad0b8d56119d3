#!/bin/sh
# In a guest of tests/vm/matrix.sh: the kernel tests twice, with --bpf.attach=auto (which must
# pick tp_btf: test_attach checks it) and with raw_tp. Each pass leaves <flavour>.log and
# <flavour>.xml (JUnit) in RS_VM_OUT. Exits non-zero when either pass failed.
# env: RS_RAW_TP_TESTS: the test files of the raw_tp pass (default: the same as auto's)
#
# usage: tests/vm/kernel-tests.sh MARKS TEST_FILE...
set -u
marks=$1
shift
status=0
for flavour in auto raw_tp; do
	tests="$*"
	[ "$flavour" = raw_tp ] && [ -n "${RS_RAW_TP_TESTS:-}" ] && tests=$RS_RAW_TP_TESTS
	RS_ATTACH=$flavour RS_E2E_TESTS="$tests" tests/run-e2e.sh -m "$marks" \
		--junitxml="$RS_VM_OUT/$flavour.xml" >"$RS_VM_OUT/$flavour.log" 2>&1 || status=1
	tail -n 1 "$RS_VM_OUT/$flavour.log"
done
exit $status

#!/usr/bin/env bash
# `make test`: unit tests, fuzz corpus replay, end-to-end tests. Prints one
# closing line "N passed, N failed" over all suites.
set -u
cd "$(dirname "$0")/.."
total_pass=0; total_fail=0
run_suite() {
	local out; out=$("$@" 2>&1); local rc=$?
	printf '%s\n' "$out"
	local line; line=$(printf '%s\n' "$out" | grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' | tail -1)
	local p f
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	[ -n "$line" ] || { p=0; f=1; }
	[ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}
run_suite scripts/run-unit.sh $1
# $3: the unit tests of the SIMD dispatches, again on their scalar loops
# (Makefile: NOSIMD_BINS).
if [ -n "${3:-}" ]; then
	VIGIL_TEST_NO_SIMD=1 run_suite scripts/run-unit.sh $3
fi
run_suite scripts/run-fuzz-replay.sh $2
run_suite scripts/run-e2e.sh
echo "all: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

#!/usr/bin/env bash
# Runs each cmocka unit-test binary; prints one summary line.
set -u
pass=0; fail=0
for t in "$@"; do
	if "$t" >"$t.log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "FAILED: $t"; tail -30 "$t.log"
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

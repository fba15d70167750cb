#!/usr/bin/env bash
# Runs every tests/e2e/*.sh against the built binaries. Each script exits 0
# on success; it gets VIGIL (sanitized build), VIGIL_REL (release build),
# SHARED (../shared/data) and a private TMP directory.
set -u
cd "$(dirname "$0")/.."
export VIGIL=$PWD/build/dbg/vigil VIGIL_REL=$PWD/build/vigil
export SHARED=$(cd ../shared/data 2>/dev/null && pwd || echo /nonexistent)
pass=0; fail=0
for t in tests/e2e/*.sh; do
	[ -e "$t" ] || continue
	export TMP=$(mktemp -d /tmp/vigil-e2e.XXXXXX)
	if bash "$t" >"$TMP.log" 2>&1; then
		pass=$((pass + 1)); echo "ok   $t"
		rm -rf "$TMP" "$TMP.log"
	else
		fail=$((fail + 1)); echo "FAIL $t"; tail -40 "$TMP.log"
	fi
done
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

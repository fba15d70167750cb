#!/usr/bin/env bash
# `vigil retention`: old segments go, recent ones and unsealed events stay,
# the store still verifies; bad arguments are refused.
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}"
fail() { echo "FAIL: $*"; exit 1; }
now=$(date +%s)
# Three days of syslog-like JSON lines: 10 days ago, 5 days ago, today.
for ago in 10 5 0; do
	t=$((now - ago * 86400 - 60))
	for i in 1 2 3; do printf '{"time":%d,"msg":"day -%d line %d"}\n' $((t + i)) "$ago" "$i"; done > "$TMP/d$ago.json"
	"$VIGIL" ingest --data "$TMP/s" --seal "$TMP/d$ago.json" > /dev/null
done
printf '{"time":%d,"msg":"unsealed old line"}\n' $((now - 20 * 86400)) > "$TMP/u.json"
"$VIGIL" ingest --data "$TMP/s" "$TMP/u.json" > /dev/null
[ "$("$VIGIL" cat --data "$TMP/s" | wc -l)" -eq 10 ] || fail "setup"
"$VIGIL" retention --data "$TMP/s" --max-age 7d > "$TMP/out"
grep -q "dropped 1 segments (3 events" "$TMP/out" || fail "age: $(cat "$TMP/out")"
"$VIGIL" cat --data "$TMP/s" > "$TMP/left"
[ "$(wc -l < "$TMP/left")" -eq 7 ] || fail "after age retention: $(wc -l < "$TMP/left")"
grep -q 'day -10' "$TMP/left" && fail "old events still there"
grep -q 'unsealed old line' "$TMP/left" || fail "unsealed event dropped"
"$VIGIL" check --data "$TMP/s" > /dev/null || fail "check after retention"
"$VIGIL" retention --data "$TMP/s" --max-size 1 > "$TMP/out"
grep -q "dropped 2 segments" "$TMP/out" || fail "size: $(cat "$TMP/out")"
"$VIGIL" check --data "$TMP/s" > /dev/null || fail "check after size retention"
set +e
"$VIGIL" retention --data "$TMP/s" --max-age soon 2> "$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "max-age takes" "$TMP/err" || fail "bad age: $rc"
"$VIGIL" retention --data "$TMP/s" --max-size 12Q 2> "$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "max-size takes" "$TMP/err" || fail "bad size: $rc"
"$VIGIL" retention --data "$TMP/s" 2> "$TMP/err"; rc=$?
[ $rc -eq 1 ] || fail "no limits: $rc"
set -e
echo "retention e2e ok"

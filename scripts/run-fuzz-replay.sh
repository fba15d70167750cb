#!/usr/bin/env bash
# Replays every fuzz harness over its corpus (tests/fuzz/corpus/<name>/) and
# over the shared sample data, under ASan+UBSan.
set -u
pass=0; fail=0
shared=$(cd "$(dirname "$0")/.." && cd ../shared/data 2>/dev/null && pwd || true)
for b in "$@"; do
	name=$(basename "$b"); name=${name#fuzz_}
	dirs=(tests/fuzz/corpus/$name)
	[ -n "$shared" ] && dirs+=("$shared")
	if "$b" "${dirs[@]}" >"$b.log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "FAILED: $b"; tail -30 "$b.log"
	fi
done
echo "fuzz-replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

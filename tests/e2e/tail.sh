#!/usr/bin/env bash
# File tailing in `vigil server` (vigil.yml's `tail:` list): appended lines
# become searchable within seconds; a partial line waits for its newline;
# rotation by rename and by truncation lose and duplicate nothing; a .gz
# file is read once; excluded files are not read; after a SIGTERM restart
# and after SIGKILLs in the middle of a steady append, every line is stored
# exactly once (the read offsets are committed with the events).
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}"
D=$TMP/store
L=$TMP/logs
mkdir -p "$L/arch" "$L/js"
. "$(dirname "$0")/lib.bash"
export VIGIL_TEST_FAST_AUTH=1

PORT=$(port)
URL=http://127.0.0.1:$PORT
APPENDER=
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; [ -n "$APPENDER" ] && kill $APPENDER 2>/dev/null; true' EXIT

# ---------------------------------------------------------------- configuration
cat >"$TMP/bad.yml" <<EOF
tail:
  - path: $L/*.log
    formt: text
EOF
if "$VIGIL" server --data "$D" --config "$TMP/bad.yml" 2>"$TMP/bad.err"; then
	fail "a misspelt tail key was accepted"
fi
grep -q "line 3: unknown key 'formt' in a tail entry" "$TMP/bad.err" || fail "bad key: $(cat "$TMP/bad.err")"
printf 'tail:\n  - format: text\n' >"$TMP/bad.yml"
"$VIGIL" server --data "$D" --config "$TMP/bad.yml" 2>"$TMP/bad.err" && fail "a tail entry without path"
grep -q "needs a path" "$TMP/bad.err" || fail "no path: $(cat "$TMP/bad.err")"
printf 'tail:\n  - path: /x\n    group: _tail\n' >"$TMP/bad.yml"
"$VIGIL" server --data "$D" --config "$TMP/bad.yml" 2>"$TMP/bad.err" && fail "group _tail accepted"
grep -q "reserved" "$TMP/bad.err" || fail "reserved group: $(cat "$TMP/bad.err")"

cat >"$TMP/vigil.yml" <<EOF
tail:
  - path: $L/*.log
    format: text
    group: tl
    exclude: "*.skip.log"
  - path: $L/arch/*.gz
    group: tz
  - $L/js/*.json
EOF

start() { vg_start --listen "127.0.0.1:$PORT" --config "$TMP/vigil.yml"; }

# still QUERY N: the count is N and stays N for two more rounds
still() {
	wait_count "$1" "$2"
	sleep 2.5
	[ "$(count "$1")" = "$2" ] || fail "'$1' moved from $2 to $(count "$1")"
}

start
grep -q "tailing $L/\*.log" "$TMP/server.out" || fail "no tailing line: $(cat "$TMP/server.out")"
ANA=$("$VIGIL" token create --data "$D" --role analyst --name analyst)
TL='group=tl'

# ---------------------------------------------------------------- lines, partial lines
printf 'a1\na2\na3' >"$L/app.log"
printf 'skipme\n' >"$L/x.skip.log"
still "$TL" 2
printf -- '-done\n' >>"$L/app.log"
wait_count "$TL" 3
[ "$(count 'group=tl "a3-done"')" = 1 ] || fail "the partial line was not joined"
[ "$(count 'skipme')" = 0 ] || fail "an excluded file was read"
printf '{"msg":"from json","n":1}\n' >"$L/js/a.json"
wait_count 'group=json msg="from json"' 1

# ---------------------------------------------------------------- rotation by rename
for i in $(seq 100); do echo "b$i"; done >>"$L/app.log"
mv "$L/app.log" "$L/app.log.1"
for i in $(seq 50); do echo "c$i"; done >>"$L/app.log"
still "$TL" 153
[ "$(cell 'group=tl | stats dc(_raw)')" = 153 ] || fail "duplicates after rotation"

# ---------------------------------------------------------------- truncation
for i in $(seq 10); do echo "t$i"; done >"$L/t.log"
wait_count "$TL" 163
: >"$L/t.log"
for i in $(seq 5); do echo "u$i"; done >>"$L/t.log"
still "$TL" 168
[ "$(count 'group=tl u3')" = 1 ] || fail "lines after truncation"

# ---------------------------------------------------------------- .gz, read once
for i in $(seq 500); do echo "z$i"; done | gzip >"$L/arch/old.gz"
still 'group=tz' 500
touch "$L/arch/old.gz"
still 'group=tz' 500

# ---------------------------------------------------------------- clean restart
vg_stop
for i in $(seq 10); do echo "d$i"; done >>"$L/app.log"
start
wait_count "$TL" 178
still "$TL" 178
[ "$(count 'group=tz')" = 500 ] || fail "the .gz was read again after a restart"
[ "$(cell 'group=tl | stats dc(_raw)')" = 178 ] || fail "duplicates after a restart"
[ "$(count 'group=_tail')" -gt 0 ] || fail "no _tail position records"

# ---------------------------------------------------------------- SIGKILL during a steady append
N=4000
(
	for i in $(seq $N); do
		echo "steady $i"
		[ $((i % 20)) = 0 ] && sleep 0.01
	done >>"$L/steady.log"
) &
APPENDER=$!
mid=0
for _ in 1 2 3; do
	sleep "0.$((RANDOM % 9 + 1))"
	vg_kill
	n=$(wc -l <"$L/steady.log")
	[ "$n" -gt 0 ] && [ "$n" -lt $N ] && mid=$((mid + 1))
	start
done
[ $mid -gt 0 ] || fail "no SIGKILL happened during the append: the test proved nothing"
wait "$APPENDER"
APPENDER=
wait_count "$TL" $((178 + N))
still "$TL" $((178 + N))
[ "$(cell 'group=tl | stats dc(_raw)')" = $((178 + N)) ] || fail "duplicates after SIGKILL"
vg_kill
start
still "$TL" $((178 + N))
vg_stop
echo ok

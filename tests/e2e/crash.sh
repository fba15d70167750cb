#!/usr/bin/env bash
# Crash test: SIGKILL `vigil ingest` at random moments, many times. After
# each kill the store must open, `vigil check` must pass, and every event a
# completed commit reported durable must be there, exactly once.
#
# Small --seal-rows and --commit-every make seals and WAL commits frequent,
# so kills land inside both. Each run ingests the same demo data, so the
# store must hold between (durable reported) and (everything sent) events.
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}"
V=$VIGIL_REL   # the release build: faster, so more kills per second of test
ROUNDS=${CRASH_ROUNDS:-25}
"$V" demo --out "$TMP/demo" --days 1 --scale 0.05 --seed 7 --end 2026-01-10T00:00:00Z >/dev/null
inputs=("$TMP/demo/AWSLogs" "$TMP/demo/syslog")
# Events in one full run of the inputs.
"$V" ingest --data "$TMP/ref" "${inputs[@]}" --output json > "$TMP/ref.json"
per_run=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$TMP/ref.json")
[ "$per_run" -gt 1000 ] || { echo "reference ingest stored only $per_run events"; exit 1; }
echo "one run = $per_run events"

store=$TMP/store
guaranteed=0   # events known durable over all rounds
sent=0         # events that may have been stored
for ((i = 1; i <= ROUNDS; i++)); do
	"$V" ingest --data "$store" --progress --seal-rows 20000 --commit-every 200000 \
		"${inputs[@]}" >/dev/null 2>"$TMP/progress" &
	pid=$!
	# Kill somewhere between 0 and ~1.5 s into the run.
	sleep "0.$(( RANDOM % 10 ))$(( RANDOM % 10 ))"
	[ $((RANDOM % 3)) -eq 0 ] && sleep 0.7
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	last=$(grep -o 'durable [0-9]*' "$TMP/progress" | tail -1 | cut -d' ' -f2 || true)
	last=${last:-0}
	guaranteed=$((guaranteed + last))
	sent=$((sent + per_run))
	if ! "$VIGIL" check --data "$store" > "$TMP/check.out"; then
		echo "round $i: vigil check failed after SIGKILL:"; cat "$TMP/check.out"; exit 1
	fi
	have=$("$V" cat --data "$store" | wc -l)
	if [ "$have" -lt "$guaranteed" ] || [ "$have" -gt "$sent" ]; then
		echo "round $i: store has $have events; at least $guaranteed were reported durable, at most $sent sent"
		exit 1
	fi
	# What is in the store now is durable: the next round builds on it.
	guaranteed=$have
	sent=$have
	echo "round $i: killed after $last durable in this run; store holds $have, check ok"
done
# A run to completion still works on the crashed-and-recovered store.
"$V" ingest --data "$store" "${inputs[@]}" >/dev/null
have=$("$V" cat --data "$store" | wc -l)
[ "$have" -eq $((guaranteed + per_run)) ] || { echo "final run: $have != $guaranteed + $per_run"; exit 1; }
"$VIGIL" check --data "$store" >/dev/null
echo "crash test: $ROUNDS kills, no acknowledged event lost, no event duplicated"

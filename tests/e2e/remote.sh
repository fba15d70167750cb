#!/usr/bin/env bash
# `vigil ingest --url` and `vigil search --url` against the real server:
# the same inputs loaded through the server and into a local store give the
# same ingest report and the same search output, byte for byte, in every
# output form (JSON without its "stats", which count the work done); a
# server with a small body limit (1 MiB) still takes a large line file
# (the client halves its bodies) and refuses a large document alone; a
# wrong token, a role without the right, a bad query and a stopped server
# each give the exit status and message they should.
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}" "${SHARED:?}"
unset VIGIL_URL VIGIL_TOKEN
export VIGIL_TEST_FAST_AUTH=1
D=$TMP/server-store
L=$TMP/local-store
IN=$TMP/in
. "$(dirname "$0")/lib.bash"

PORT=$(port)
URL=http://127.0.0.1:$PORT
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; true' EXIT

# ---------------------------------------------------------------- inputs
mkdir -p "$IN"
gzip -c "$SHARED/syslog/secure-rhel7.log" >"$IN/secure.log.gz"
# A VPC flow log of ~3 MB with its own header line: over the server's
# 1 MiB limit, so it goes in several bodies, each needing the header.
python3 - "$IN/flow-v5.log" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("version vpc-id instance-id interface-id account-id srcaddr dstaddr srcport "
            "dstport protocol bytes packets start end action log-status\n")
    for i in range(24000):
        f.write("5 vpc-%02d i-%04x eni-%05d 123456789010 10.0.%d.%d 10.1.%d.%d %d %d 6 %d %d %d %d %s OK\n"
                % (i % 7, i % 300, i, i % 256, i * 7 % 256, i * 3 % 256, i % 251, 1024 + i % 50000,
                   [22, 443, 80][i % 3], i * 13 % 100000, i % 97, 1700000000 + i, 1700000060 + i,
                   ["ACCEPT", "REJECT"][i % 2]))
EOF
[ "$(stat -c %s "$IN/flow-v5.log")" -gt 2000000 ] || fail "the generated flow log is too small"
inputs=("$SHARED/cloudtrail" "$SHARED/syslog" "$IN/secure.log.gz" "$IN/flow-v5.log" -)
STDIN_FILE=$SHARED/vpcflow/aws-doc-examples.log

# ---------------------------------------------------------------- ingest
vg_start --listen "127.0.0.1:$PORT" --max-body 1M
ING=$("$VIGIL" token create --data "$D" --role ingest --name shipper 2>/dev/null)
ANA=$("$VIGIL" token create --data "$D" --role analyst --name analyst 2>/dev/null)
[[ $ING == vgt_* && $ANA == vgt_* ]] || fail "token create printed '$ING' '$ANA'"

"$VIGIL" ingest --url "$URL" --token "$ING" --output csv "${inputs[@]}" <"$STDIN_FILE" \
	>"$TMP/remote-ingest.csv" 2>"$TMP/remote-ingest.err" || fail "ingest --url: $(cat "$TMP/remote-ingest.err")"
"$VIGIL" ingest --data "$L" --output csv "${inputs[@]}" <"$STDIN_FILE" >"$TMP/local-ingest.csv" \
	|| fail "local ingest"
# The same files, formats, counts and bytes: the server's answers add up
# to what the local store took.
diff "$TMP/local-ingest.csv" "$TMP/remote-ingest.csv" || fail "ingest reports differ"
grep -q '^-,vpcflow,' "$TMP/remote-ingest.csv" || fail "stdin not reported: $(cat "$TMP/remote-ingest.csv")"
grep -q 'secure.log.gz,syslog,1000,0,' "$TMP/remote-ingest.csv" || fail "the .gz file: $(cat "$TMP/remote-ingest.csv")"
grep -q 'flow-v5.log,vpcflow,24000,0,' "$TMP/remote-ingest.csv" || fail "the flow log: $(cat "$TMP/remote-ingest.csv")"

# The table report: per-input lines and the totals, like local mode.
"$VIGIL" ingest --url "$URL" --token "$ING" --group again "$SHARED/vpcflow/cloudwatch-export.log" \
	>"$TMP/table.out" || fail "ingest --url (table)"
grep -Eq '^vpcflow +[0-9]+ events +0 parse errors  .*cloudwatch-export.log$' "$TMP/table.out" \
	|| fail "table report: $(cat "$TMP/table.out")"
grep -q '^stored [0-9]* events (0 with parse errors, 0 documents skipped) from 1 inputs' "$TMP/table.out" \
	|| fail "table totals: $(cat "$TMP/table.out")"
"$VIGIL" ingest --data "$L" --group again "$SHARED/vpcflow/cloudwatch-export.log" >/dev/null

# ---------------------------------------------------------------- search, every form
strip_stats() { python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("stats"); print(json.dumps(d, sort_keys=True))'; }
n=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	eval "args=($line)"
	for fmt in table csv json; do
		n=$((n + 1))
		"$VIGIL" search --url "$URL" --token "$ANA" --output "$fmt" "${args[@]}" \
			>"$TMP/r.out" 2>"$TMP/r.err" || fail "search --url $line ($fmt): $(cat "$TMP/r.err")"
		"$VIGIL" search --data "$L" --output "$fmt" "${args[@]}" >"$TMP/l.out" 2>"$TMP/l.err" \
			|| fail "search --data $line ($fmt): $(cat "$TMP/l.err")"
		[ -s "$TMP/l.out" ] || fail "no output for $line ($fmt)"
		if [ "$fmt" = json ]; then
			strip_stats <"$TMP/r.out" >"$TMP/r.norm"
			strip_stats <"$TMP/l.out" >"$TMP/l.norm"
			cmp -s "$TMP/l.norm" "$TMP/r.norm" || fail "json differs for $line"
		else
			cmp -s "$TMP/l.out" "$TMP/r.out" || { diff "$TMP/l.out" "$TMP/r.out" | head; fail "$fmt differs for $line"; }
		fi
		cmp -s "$TMP/l.err" "$TMP/r.err" || fail "stderr differs for $line ($fmt): '$(cat "$TMP/r.err")'"
	done
done <<'EOF'
'*'
--limit 5 'Failed password'
'| stats count by _group'
'group=cloudtrail | stats count by eventName'
'group=syslog | stats count by src_ip | sort -count | head 5'
'| stats count sum(bytes) by action vpc-id'
'vpc-id=vpc-03 action=REJECT | stats count avg(bytes) by dstport'
--cw '{ $.eventName = "Get*" }' '| stats count by eventName'
--from 2024-01-01 --to 2025-01-01 '| stats count by _group'
'Failed | timechart span=1d count'
EOF
[ "$n" -eq 30 ] || fail "ran $n comparisons, want 30"
# Events beyond --limit: the note on stderr, from the server's header.
"$VIGIL" search --url "$URL" --token "$ANA" '*' 2>"$TMP/note" >/dev/null
grep -q '^([0-9]* events matched; the newest 100 shown: --limit N shows more)$' "$TMP/note" \
	|| fail "no truncation note: $(cat "$TMP/note")"
# Every flow record kept the header's layout, across the bodies.
got=$("$VIGIL" search --url "$URL" --token "$ANA" --output csv 'group=vpcflow vpc-id=* | stats count')
[ "$got" = $'count\n24000' ] || fail "flow records with vpc-id: $got"

# VIGIL_URL and VIGIL_TOKEN stand in for the flags; --data wins over them.
q='| stats count by _group'
VIGIL_URL=$URL VIGIL_TOKEN=$ANA "$VIGIL" search --output csv "$q" >"$TMP/env.out" || fail "search with VIGIL_URL"
"$VIGIL" search --data "$L" --output csv "$q" | cmp -s - "$TMP/env.out" || fail "VIGIL_URL search differs"
VIGIL_URL=http://127.0.0.1:1 VIGIL_TOKEN=x "$VIGIL" search --data "$L" --output csv "$q" | cmp -s - "$TMP/env.out" \
	|| fail "--data did not win over VIGIL_URL"

# ---------------------------------------------------------------- errors
# expect STATUS PATTERN CMD...: CMD exits STATUS with PATTERN on stderr.
expect() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$TMP/e.out" 2>"$TMP/e.err" || rc=$?
	[ "$rc" = "$want" ] || fail "$* exited $rc, want $want ($(cat "$TMP/e.err"))"
	grep -qF -- "$pat" "$TMP/e.err" || fail "$*: stderr '$(cat "$TMP/e.err")' lacks '$pat'"
}
BAD=vgt_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000
expect 1 "vigil search: the server refused the token (401)" "$VIGIL" search --url "$URL" --token "$BAD" '*'
expect 1 "vigil ingest: the server refused the token (401)" "$VIGIL" ingest --url "$URL" --token "$BAD" "$SHARED/syslog"
expect 1 "vigil search: the token's role may not do this (403)" "$VIGIL" search --url "$URL" --token "$ING" '*'
expect 1 "vigil ingest: the token's role may not do this (403)" "$VIGIL" ingest --url "$URL" --token "$ANA" "$SHARED/syslog"
expect 1 "needs a token" "$VIGIL" search --url "$URL" '*'
expect 1 "not both" "$VIGIL" search --url "$URL" --token "$ANA" --data "$L" '*'
expect 1 "--seal, --seal-rows and --commit-every work on the embedded store" \
	"$VIGIL" ingest --url "$URL" --token "$ING" --seal "$SHARED/syslog"
# A bad query: the server's message, with its position, as --data says it.
expect 1 "at 18" "$VIGIL" search --url "$URL" --token "$ANA" 'foo | stats count by'
cp "$TMP/e.err" "$TMP/bad-remote.err"
expect 1 "at 18" "$VIGIL" search --data "$L" 'foo | stats count by'
cmp -s "$TMP/e.err" "$TMP/bad-remote.err" || fail "bad query: '$(cat "$TMP/bad-remote.err")' vs '$(cat "$TMP/e.err")'"
expect 1 "limit takes 1..100000" "$VIGIL" search --url "$URL" --token "$ANA" --limit 200000 '*'

# A document over the server's limit fails alone; the next input is stored.
python3 -c 'import json; print(json.dumps({"Records": [{"eventVersion": "1.08", "eventTime": "2024-05-01T00:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "PutObject", "requestParameters": {"pad": "x" * 1500000}}]}))' >"$IN/huge.json"
before=$("$VIGIL" search --url "$URL" --token "$ANA" --output csv '| stats count' | tail -1)
expect 1 "request body over the limit of 1048576 bytes" \
	"$VIGIL" ingest --url "$URL" --token "$ING" --output csv "$IN/huge.json" "$SHARED/vpcflow/aws-doc-examples-v5.log"
grep -q 'huge.json,cloudtrail,0,0,0,[0-9]*,1$' "$TMP/e.out" || fail "huge.json not failed: $(cat "$TMP/e.out")"
grep -q 'aws-doc-examples-v5.log,vpcflow,2,0,0,[0-9]*,0$' "$TMP/e.out" || fail "next input: $(cat "$TMP/e.out")"
after=$("$VIGIL" search --url "$URL" --token "$ANA" --output csv '| stats count' | tail -1)
[ "$after" -eq $((before + 2)) ] || fail "stored $before -> $after, want +2"

# A stopped server: exit status 2 and a clear message.
vg_stop
expect 2 "vigil search: cannot reach $URL: connection refused" "$VIGIL" search --url "$URL" --token "$ANA" '*'
expect 2 "vigil ingest: cannot reach $URL: connection refused" "$VIGIL" ingest --url "$URL" --token "$ING" "$SHARED/syslog"
echo "remote: ok ($n comparisons)"

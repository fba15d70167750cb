#!/usr/bin/env bash
# Real log shippers deliver to `vigil server`, all on 127.0.0.1, each run in
# the foreground with its own configuration (never the system's logging):
#   - syslog-ng: a file forwarded over TCP with RFC 6587 octet counting, and
#     the same file through its elasticsearch-http() destination to /_bulk
#     (user + token as password);
#   - rsyslog (unpacked by scripts/deps.sh: its package conflicts with
#     syslog-ng's): a file forwarded over TCP with octet counting;
#   - curl for the other products' APIs: Splunk HEC, Loki push, AWS Config
#     items, and syslog over UDP with a datagram per message.
# Each delivery is checked by /api/v1/search: every line arrived once, with
# the fields the syslog parser extracts.
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}" "${SHARED:?}"
D=$TMP/store
FIX=$SHARED/syslog/secure-rhel7.log
N=$(grep -cv '^[[:space:]]*$' "$FIX")
RSYSLOG_ROOT=${RSYSLOG_ROOT:-/opt/vigil-peers/rsyslog}
. "$(dirname "$0")/lib.bash"
export VIGIL_TEST_FAST_AUTH=1
HTTP=$(port) TCP=$(port) UDP=$(port)
URL=http://127.0.0.1:$HTTP
PIDS=()
trap 'for p in $PID "${PIDS[@]}"; do kill -9 $p 2>/dev/null || true; done' EXIT

vg_start --listen "127.0.0.1:$HTTP" --syslog-tcp "127.0.0.1:$TCP" --syslog-udp "127.0.0.1:$UDP"
ING=$("$VIGIL" token create --data "$D" --role ingest --name shippers)
ANA=$("$VIGIL" token create --data "$D" --role analyst --name checker)

# ---------------------------------------------------------------- syslog-ng
cat >"$TMP/sng.conf" <<EOF
@version: 3.38
@include "scl.conf"
options { stats-freq(0); keep-hostname(yes); };
source s_file { file("$FIX" follow-freq(0.1) flags(no-parse)); };
destination d_tcp { syslog("127.0.0.1" transport("tcp") port($TCP)); };
destination d_es {
	elasticsearch-http(url("http://127.0.0.1:$HTTP/_bulk") index("sng-bulk") type("")
		user("syslog-ng") password("$ING") batch-lines(100) timeout(10));
};
log { source(s_file); destination(d_tcp); destination(d_es); flags(flow-control); };
EOF
syslog-ng -F -e --no-caps -f "$TMP/sng.conf" -p "$TMP/sng.pid" -c "$TMP/sng.ctl" \
	-R "$TMP/sng.persist" >"$TMP/sng.log" 2>&1 &
PIDS+=("$!")
SNG=$!
# Over TCP the lines arrive as RFC 5424 messages from the local host, each
# carrying the original line as its message.
wait_count 'group=syslog "Failed password"' "$(grep -c 'Failed password' "$FIX")"
wait_count 'group=syslog' "$N"
wait_count 'group=sng-bulk' "$N"
kill -TERM "$SNG"; wait "$SNG" 2>/dev/null || true
# The bulk documents are syslog-ng's JSON: the message field holds the line.
curl -sf -G -H "Authorization: Bearer $ANA" --data-urlencode 'q=group=sng-bulk "202.109.143.106"' \
	--data-urlencode limit=1000 "$URL/api/v1/search" >"$TMP/bulk.json"
python3 - "$TMP/bulk.json" "$FIX" <<'PY' || fail "bulk events"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
want = sum(1 for l in open(sys.argv[2]) if "202.109.143.106" in l)
assert len(ev) == want, (len(ev), want)
PY

# ---------------------------------------------------------------- rsyslog
if [ -x "$RSYSLOG_ROOT/usr/sbin/rsyslogd" ]; then
	mkdir -p "$TMP/rs"
	cat >"$TMP/rs.conf" <<EOF
global(workDirectory="$TMP/rs")
module(load="imfile")
input(type="imfile" File="$FIX" Tag="rsyslog-test:" ruleset="fwd" freshStartTail="off")
ruleset(name="fwd") {
	action(type="omfwd" target="127.0.0.1" port="$TCP" protocol="tcp"
	       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
	       queue.type="LinkedList" action.resumeRetryCount="-1")
}
EOF
	"$RSYSLOG_ROOT/usr/sbin/rsyslogd" -n -f "$TMP/rs.conf" -i "$TMP/rs.pid" \
		-M "$RSYSLOG_ROOT/usr/lib/x86_64-linux-gnu/rsyslog" >"$TMP/rs.log" 2>&1 &
	RS=$!
	PIDS+=("$RS")
	wait_count 'group=syslog program=rsyslog-test' "$N"
	kill -TERM "$RS"; wait "$RS" 2>/dev/null || true
else
	fail "rsyslog is not unpacked at $RSYSLOG_ROOT (scripts/deps.sh does it)"
fi

# ---------------------------------------------------------------- UDP
python3 - "$UDP" "$FIX" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
lines = [l.rstrip("\n") for l in open(sys.argv[2]) if l.strip()][:200]
for l in lines:
    s.sendto(("<38>" + l).encode(), ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.0005)
PY
wait_count 'group=syslog host=slave22 facility=auth' 200

# ---------------------------------------------------------------- Splunk HEC
curl -sf -H "Authorization: Splunk $ING" "$URL/services/collector/event" -d \
	'{"time":1700000000.5,"host":"web-1","sourcetype":"app","index":"hec-test","event":{"user":"alice","action":"login"}}
{"time":1700000001,"event":"plain text event","index":"hec-test"}' >"$TMP/hec.json" ||
	fail "HEC event: $(cat "$TMP/hec.json")"
grep -q '"code":0' "$TMP/hec.json" || fail "HEC answer $(cat "$TMP/hec.json")"
wait_count 'group=hec-test' 2
[ "$(count 'group=hec-test user=alice host=web-1')" = 1 ] || fail "HEC fields"
code=$(curl -s -o "$TMP/hec.json" -w '%{http_code}' -H "Authorization: Splunk $ING" \
	"$URL/services/collector/event" -d '{"time":1,"index":"hec-test"}')
[ "$code" = 400 ] && grep -q '"code":12' "$TMP/hec.json" || fail "HEC without event: $code $(cat "$TMP/hec.json")"

# ---------------------------------------------------------------- Loki
ns=$(date +%s%N)
curl -sf -o /dev/null -H "Authorization: Bearer $ING" -H 'Content-Type: application/json' \
	"$URL/loki/api/v1/push" -d "{\"streams\":[{\"stream\":{\"job\":\"loki-test\",\"env\":\"prod\"},
	\"values\":[[\"$ns\",\"GET /index.html 200\"],[\"$ns\",\"GET /admin 403\",{\"trace_id\":\"abc\"}]]}]}" ||
	fail "Loki push"
wait_count 'group=loki-test env=prod' 2
[ "$(count 'group=loki-test trace_id=abc')" = 1 ] || fail "Loki structured metadata"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ING" \
	-H 'Content-Type: application/x-protobuf' "$URL/loki/api/v1/push" --data-binary x)
[ "$code" = 415 ] || fail "Loki protobuf: $code"

# ---------------------------------------------------------------- AWS Config items
for f in "$SHARED"/awsconfig/*/*.json; do
	[ -f "$f" ] || continue
	curl -sf -o "$TMP/cfg.json" -H "Authorization: Bearer $ING" "$URL/api/v1/config/items" \
		--data-binary @"$f" || fail "config items $f: $(cat "$TMP/cfg.json")"
	grep -q '"stored":[1-9]' "$TMP/cfg.json" || fail "config items $f stored nothing: $(cat "$TMP/cfg.json")"
done
[ "$(count 'group=awsconfig')" -gt 0 ] || fail "no config items"

# ---------------------------------------------------------------- Elasticsearch by curl
curl -sf -u "x:$ING" "$URL/" | grep -q 'You Know, for Search' || fail "GET / version document"
curl -sf -u "x:$ING" -H 'Content-Type: application/x-ndjson' "$URL/es-test/_bulk" --data-binary \
	'{"index":{}}
{"@timestamp":"2024-01-31T10:00:00Z","message":"hello","user":{"name":"bob"}}
{"delete":{"_id":"1"}}
' >"$TMP/bulk.out"
python3 - "$TMP/bulk.out" <<'PY' || fail "bulk answer $(cat "$TMP/bulk.out")"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["errors"] is True and len(b["items"]) == 2, b
assert b["items"][0]["index"]["status"] == 201 and b["items"][1]["delete"]["status"] == 400, b
PY
wait_count 'group=es-test user.name=bob' 1

vg_stop
"$VIGIL" check --data "$D" >/dev/null || fail "check"
echo "shippers ok"

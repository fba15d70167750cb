#!/usr/bin/env bash
# `vigil server` with curl: only /healthz answers without credentials; each
# role does exactly what its name says (every endpoint × admin, analyst,
# ingest, no credentials, a bad token); ingest is durable before the answer
# and searchable at once; limits give clear 4xx answers; a login session
# needs its CSRF token for changes; a restart — clean or SIGKILL — loses
# nothing that was acknowledged.
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}" "${SHARED:?}"
D=$TMP/store
. "$(dirname "$0")/lib.bash"
export VIGIL_TEST_FAST_AUTH=1

PORT=$(port)
URL=http://127.0.0.1:$PORT
start() { vg_start --listen "127.0.0.1:$PORT" --max-body 1M "$@"; }
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; true' EXIT

# ---------------------------------------------------------------- start
start
ADMIN_PW=$(sed -n 's/^  password: //p' "$TMP/server.out")
[ -n "$ADMIN_PW" ] || fail "first start did not print the admin password"
grep -q "user:     admin" "$TMP/server.out" || fail "no admin user printed"
ING=$("$VIGIL" token create --data "$D" --role ingest --name shipper)
ANA=$("$VIGIL" token create --data "$D" --role analyst --name analyst)
ADM=$("$VIGIL" token create --data "$D" --role admin --name admin-token)
[[ $ING == vgt_* && $ANA == vgt_* && $ADM == vgt_* ]] || fail "token create printed '$ING'"

# code METHOD PATH TOKEN [curl args...]: the HTTP status
code() {
	local m=$1 p=$2 t=$3; shift 3
	local auth=()
	[ -n "$t" ] && auth=(-H "Authorization: Bearer $t")
	curl -s -o "$TMP/body" -w '%{http_code}' -X "$m" "${auth[@]}" "$@" "$URL$p"
}

[ "$(code GET /healthz '')" = 200 ] || fail "healthz"

# ---------------------------------------------------------------- authorization matrix
# endpoint | admin analyst ingest none bad
matrix='GET /api/v1/search?q=* 200 200 403 401 401
GET /api/v1/fields?q=* 200 200 403 401 401
GET /metrics 200 200 403 401 401
GET /api/v1/me 200 200 200 401 401
POST /api/v1/ingest?format=text 200 403 200 401 401
GET /api/v1/users 200 403 403 401 401
POST /api/v1/users 400 403 403 401 401
DELETE /api/v1/users/nobody 404 403 403 401 401
GET /api/v1/tokens 200 403 403 401 401
POST /api/v1/tokens 400 403 403 401 401
DELETE /api/v1/tokens/0000000000000000 404 403 403 401 401
GET /no/such/endpoint 404 404 404 401 401'
BAD=vgt_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000
while read -r m p a b c n x; do
	for pair in "$ADM:$a" "$ANA:$b" "$ING:$c" ":$n" "$BAD:$x"; do
		t=${pair%:*} want=${pair##*:}
		args=()
		[ "$m" = POST ] && args=(--data-binary 'matrix line')
		got=$(code "$m" "$p" "$t" "${args[@]}")
		[ "$got" = "$want" ] || fail "$m $p with ${t:0:8}: $got, want $want ($(cat "$TMP/body"))"
	done
done <<<"$matrix"
# Unauthenticated answers say nothing but "authenticate".
code GET /api/v1/search '' >/dev/null
grep -q 'authentication required' "$TMP/body" || fail "401 body: $(cat "$TMP/body")"

# ---------------------------------------------------------------- ingest, then search at once
got=$(code POST '/api/v1/ingest?format=syslog' "$ING" --data-binary @"$SHARED/syslog/secure-rhel7.log")
[ "$got" = 200 ] || fail "ingest syslog: $got $(cat "$TMP/body")"
want=$(grep -cv '^[[:space:]]*$' "$SHARED/syslog/secure-rhel7.log")
python3 - "$TMP/body" "$want" <<'PY' || fail "ingest answer $(cat "$TMP/body")"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["stored"] == int(sys.argv[2]) and b["format"] == "syslog", b
PY
got=$(code GET '/api/v1/search?q=group%3Dsyslog%20%7C%20stats%20count' "$ANA")
[ "$got" = 200 ] || fail "search: $got"
python3 - "$TMP/body" "$want" <<'PY' || fail "search after ingest: $(cat "$TMP/body")"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["rows"][0][0] in (int(sys.argv[2]), str(sys.argv[2])), b
PY
# gzip bodies, auto-detected format, group override
printf 'level=error msg="disk full" host=web-1\nlevel=info msg=ok host=web-2\n' | gzip >"$TMP/lf.gz"
got=$(code POST '/api/v1/ingest?group=app' "$ING" -H 'Content-Encoding: gzip' --data-binary @"$TMP/lf.gz")
[ "$got" = 200 ] || fail "gzip ingest: $got $(cat "$TMP/body")"
grep -q '"stored":2' "$TMP/body" || fail "gzip ingest answer $(cat "$TMP/body")"
code GET '/api/v1/search?q=group%3Dapp%20level%3Derror' "$ANA" >/dev/null
grep -q 'disk full' "$TMP/body" || fail "gzip events not found: $(cat "$TMP/body")"
# NDJSON
curl -sf -H "Authorization: Bearer $ANA" -H 'Accept: application/x-ndjson' \
	"$URL/api/v1/search?q=group%3Dapp" >"$TMP/nd"
[ "$(wc -l <"$TMP/nd")" = 2 ] || fail "ndjson lines: $(cat "$TMP/nd")"
# fields
code GET '/api/v1/fields?q=group%3Dapp' "$ANA" >/dev/null
python3 - "$TMP/body" <<'PY' || fail "fields: $(cat "$TMP/body")"
import json, sys
b = json.load(open(sys.argv[1]))
f = {x["name"]: x for x in b["fields"]}
assert f["level"]["count"] == 2 and b["sampled"] == 2, b
assert {t["value"] for t in f["host"]["top"]} == {"web-1", "web-2"}, f["host"]
PY

# ---------------------------------------------------------------- bad input: clear 4xx, nothing lost
[ "$(code GET '/api/v1/search?q=%7C%20stat%20count' "$ANA")" = 400 ] || fail "bad query not 400"
grep -q "did you mean 'stats'" "$TMP/body" || fail "bad query message: $(cat "$TMP/body")"
grep -q '"position"' "$TMP/body" || fail "bad query has no position"
[ "$(code GET '/api/v1/search?q=*&from=yesterday-ish' "$ANA")" = 400 ] || fail "bad from"
[ "$(code GET '/api/v1/search?q=*&limit=0' "$ANA")" = 400 ] || fail "bad limit"
[ "$(code POST '/api/v1/ingest?format=nosuch' "$ING" --data-binary x)" = 400 ] || fail "bad format"
[ "$(code POST '/api/v1/ingest?group=_tail' "$ING" --data-binary x)" = 400 ] || fail "reserved group"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$TMP/big"
[ "$(code POST '/api/v1/ingest?format=text' "$ING" --data-binary @"$TMP/big")" = 413 ] || fail "big body"
[ "$(code POST '/api/v1/ingest' "$ING" -H 'Content-Encoding: br' --data-binary x)" = 415 ] || fail "br"
printf 'not gzip' >"$TMP/notgz"
[ "$(code POST '/api/v1/ingest' "$ING" -H 'Content-Encoding: gzip' --data-binary @"$TMP/notgz")" = 400 ] ||
	fail "bad gzip"
# A gzip bomb: 1 MB limit, 50 MB inflated.
head -c 50000000 /dev/zero | gzip >"$TMP/bomb.gz"
[ "$(code POST '/api/v1/ingest' "$ING" -H 'Content-Encoding: gzip' --data-binary @"$TMP/bomb.gz")" = 413 ] ||
	fail "gzip bomb"
code GET '/api/v1/search?q=group%3Dsyslog%20%7C%20stats%20count' "$ANA" >/dev/null
grep -q "\[$want\]" "$TMP/body" || fail "events lost after bad requests: $(cat "$TMP/body")"

# ---------------------------------------------------------------- sessions and CSRF
curl -s -c "$TMP/jar" -o "$TMP/login" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "{\"user\":\"admin\",\"password\":\"wrong password!!\"}" "$URL/api/v1/login" |
	grep -q 401 || fail "wrong password accepted"
got=$(curl -s -c "$TMP/jar" -o "$TMP/login" -w '%{http_code}' \
	--data-binary "{\"user\":\"admin\",\"password\":\"$ADMIN_PW\"}" "$URL/api/v1/login")
[ "$got" = 200 ] || fail "login: $got $(cat "$TMP/login")"
grep -q HttpOnly "$TMP/jar" || grep -qi '#HttpOnly_' "$TMP/jar" || fail "cookie not HttpOnly: $(cat "$TMP/jar")"
CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$TMP/login")
got=$(curl -s -b "$TMP/jar" -o "$TMP/body" -w '%{http_code}' "$URL/api/v1/me")
[ "$got" = 200 ] && grep -q '"role":"admin"' "$TMP/body" || fail "me by cookie: $got $(cat "$TMP/body")"
got=$(curl -s -b "$TMP/jar" -o "$TMP/body" -w '%{http_code}' --data-binary '{"role":"analyst"}' "$URL/api/v1/tokens")
[ "$got" = 403 ] || fail "token create by cookie without CSRF: $got"
got=$(curl -s -b "$TMP/jar" -o "$TMP/body" -w '%{http_code}' -H "X-CSRF-Token: $CSRF" \
	--data-binary '{"role":"analyst","name":"from-ui"}' "$URL/api/v1/tokens")
[ "$got" = 201 ] || fail "token create with CSRF: $got $(cat "$TMP/body")"
NEWTOK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$TMP/body")
NEWID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/body")
[ "$(code GET /api/v1/me "$NEWTOK")" = 200 ] || fail "new token does not work"
[ "$(code DELETE "/api/v1/tokens/$NEWID" "$ADM")" = 200 ] || fail "revoke"
[ "$(code GET /api/v1/me "$NEWTOK")" = 401 ] || fail "revoked token still works"
# Tokens revoked offline (another process) stop working at once.
"$VIGIL" token revoke --data "$D" "${ADM:4:16}" >/dev/null
[ "$(code GET /api/v1/me "$ADM")" = 401 ] || fail "token revoked offline still works"
got=$(curl -s -b "$TMP/jar" -o /dev/null -w '%{http_code}' -H "X-CSRF-Token: $CSRF" -X POST "$URL/api/v1/logout")
[ "$got" = 200 ] || fail "logout $got"
got=$(curl -s -b "$TMP/jar" -o /dev/null -w '%{http_code}' "$URL/api/v1/me")
[ "$got" = 401 ] || fail "session alive after logout: $got"

# ---------------------------------------------------------------- tail (Server-Sent Events)
curl -sN -H "Authorization: Bearer $ANA" "$URL/api/v1/tail?q=group%3Dlive%20level%3Derror" >"$TMP/sse" &
SSE=$!
sleep 1
printf 'level=error msg=one\nlevel=info msg=two\nlevel=error msg=three\n' >"$TMP/live"
code POST '/api/v1/ingest?format=logfmt&group=live' "$ING" --data-binary @"$TMP/live" >/dev/null
for _ in $(seq 50); do [ "$(grep -c '^event: match' "$TMP/sse")" = 2 ] && break; sleep 0.1; done
kill "$SSE" 2>/dev/null; wait "$SSE" 2>/dev/null || true
[ "$(grep -c '^event: match' "$TMP/sse")" = 2 ] || fail "tail: $(cat "$TMP/sse")"
grep -q '"msg":"one"' "$TMP/sse" && grep -q '"msg":"three"' "$TMP/sse" || fail "tail: $(cat "$TMP/sse")"
head -1 "$TMP/sse" | grep -q '^: vigil tail' || fail "tail does not open with a comment"
[ "$(code GET '/api/v1/tail?q=*%20%7C%20stats%20count' "$ANA")" = 400 ] || fail "tail with a pipeline"
# Event-by-event commands follow too, their fields on each event.
Q='group%3Dlive2%20%7C%20eval%20sev%3Dupper(level)%20%7C%20where%20sev%3D%22ERROR%22'
curl -sN -H "Authorization: Bearer $ANA" "$URL/api/v1/tail?q=$Q" >"$TMP/sse2" &
SSE=$!
sleep 1
code POST '/api/v1/ingest?format=logfmt&group=live2' "$ING" --data-binary @"$TMP/live" >/dev/null
for _ in $(seq 50); do [ "$(grep -c '^event: match' "$TMP/sse2")" = 2 ] && break; sleep 0.1; done
kill "$SSE" 2>/dev/null; wait "$SSE" 2>/dev/null || true
[ "$(grep -c '^event: match' "$TMP/sse2")" = 2 ] || fail "tail | eval | where: $(cat "$TMP/sse2")"
[ "$(grep -c '"sev":"ERROR"' "$TMP/sse2")" = 2 ] || fail "tail: eval's field missing: $(cat "$TMP/sse2")"
[ "$(code GET '/api/v1/tail?q=*' "$ING")" = 403 ] || fail "tail by an ingest token"

# ---------------------------------------------------------------- metrics
code GET /metrics "$ANA" >/dev/null
grep -q '^vigil_ingest_events_total ' "$TMP/body" || fail "metrics: $(head "$TMP/body")"
grep -q '^vigil_query_duration_seconds_count ' "$TMP/body" || fail "no query histogram"
grep -q '^vigil_auth_failures_total [1-9]' "$TMP/body" || fail "auth failures not counted"

# ---------------------------------------------------------------- restarts lose nothing acknowledged
for i in $(seq 1 20); do
	code POST '/api/v1/ingest?format=text&group=dur' "$ING" --data-binary "durable line $i" >/dev/null
done
vg_stop
start
code GET '/api/v1/search?q=group%3Ddur%20%7C%20stats%20count' "$ANA" >/dev/null
grep -q '\[20\]' "$TMP/body" || fail "after restart: $(cat "$TMP/body")"
grep -c 'password:' "$TMP/server.out" | grep -q '^1$' || fail "admin password printed twice"
for i in $(seq 21 40); do
	code POST '/api/v1/ingest?format=text&group=dur' "$ING" --data-binary "durable line $i" >/dev/null
done
vg_kill
start
code GET '/api/v1/search?q=group%3Ddur%20%7C%20stats%20count' "$ANA" >/dev/null
grep -q '\[40\]' "$TMP/body" || fail "after SIGKILL: $(cat "$TMP/body")"
vg_stop

# ---------------------------------------------------------------- limits from vigil.yml
printf 'listen: 127.0.0.1:%s\nmax_bodyy: 1M\n' "$PORT" >"$TMP/bad.yml"
if "$VIGIL" server --data "$D" --config "$TMP/bad.yml" 2>"$TMP/bad.err"; then fail "bad config accepted"; fi
grep -q "line 2: unknown setting 'max_bodyy'" "$TMP/bad.err" || fail "bad config message: $(cat "$TMP/bad.err")"
printf 'min_free: 100000G\nmax_connections: 3\n' >"$TMP/limits.yml"
start --config "$TMP/limits.yml"
ING=$("$VIGIL" token create --data "$D" --role ingest --name limits)
curl -s -D "$TMP/hdr" -o "$TMP/body" -H "Authorization: Bearer $ING" --data-binary 'x' \
	"$URL/api/v1/ingest?format=text" >/dev/null
head -1 "$TMP/hdr" | grep -q 503 || fail "disk budget: $(head -1 "$TMP/hdr")"
grep -qi '^Retry-After:' "$TMP/hdr" || fail "no Retry-After on 503"
grep -q 'nearly full' "$TMP/body" || fail "disk budget message: $(cat "$TMP/body")"
python3 - "$PORT" <<'PY' &
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(5)]
time.sleep(3)
PY
HOLD=$!
sleep 1
[ "$(code GET /healthz '')" = 503 ] || fail "connection limit: $(cat "$TMP/body")"
grep -q 'too many connections' "$TMP/body" || fail "connection limit message"
wait "$HOLD"
[ "$(code GET /healthz '')" = 200 ] || fail "healthz after the connections closed"
vg_stop
"$VIGIL" check --data "$D" >/dev/null || fail "check after the server"
echo "server ok"

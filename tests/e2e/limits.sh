#!/usr/bin/env bash
# The limits of `vigil server`, each hit by a real client on 127.0.0.1 and
# answered with a clear status and message, while nothing stored is lost:
#   - request headers over 64 KiB: 431 (a URL over it: 414), from
#     libmicrohttpd's per-connection memory limit;
#   - more than max_queries searches at once: 429 with Retry-After (real
#     load: a few searches over 300000 events at the same moment);
#   - a search past its time limit (timeout=, at most query_timeout): 408;
#   - the writer's queue over max_queue bytes: 429 with Retry-After, and
#     every event of every 200 is stored, none of a 429;
#   - the disk budget (min_free), on every ingest path: HTTP answers 503
#     with Retry-After, syslog over TCP stops reading (the sender's buffers
#     fill) and goes on when space returns, UDP drops and counts
#     (vigil_syslog_udp_dropped_total), a tailed file waits and is read
#     when space returns. Free space is faked through the server's
#     test-only VIGIL_TEST_FREE_FILE (a file holding the free byte count);
#   - failed logins: 429 with Retry-After after 5 for a user or 20 from an
#     address, forgotten on success;
#   - /api/v1/tail across a seal: the events of the commit that sealed are
#     sent (the writer's seal hook).
# (RELP under the disk budget is in relp.sh, with a real rsyslog.)
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}"
VREL=${VIGIL_REL:-$VIGIL}
D=$TMP/store
L=$TMP/logs
mkdir -p "$L"
. "$(dirname "$0")/lib.bash"
export VIGIL_TEST_FAST_AUTH=1
FREE=$TMP/free
echo 1000000000000 >"$FREE"
export VIGIL_TEST_FREE_FILE=$FREE

PORT=$(port) TCP=$(port) UDP=$(port)
URL=http://127.0.0.1:$PORT
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; true' EXIT

# A store where a search takes a while: 300000 events, sealed.
python3 - "$TMP/big.log" <<'PY'
import random, sys
r = random.Random(1)
with open(sys.argv[1], "w") as f:
    for i in range(300000):
        f.write('level=%s user=u%d msg="request %d took %dms path=/a/b/%d"\n' % (
            r.choice(["info", "warn", "error"]), r.randrange(5000), i, r.randrange(1000),
            r.randrange(100000)))
PY
"$VREL" ingest --data "$D" --format logfmt --group big "$TMP/big.log" >/dev/null

cat >"$TMP/vigil.yml" <<EOF
listen: 127.0.0.1:$PORT
syslog_tcp: 127.0.0.1:$TCP
syslog_udp: 127.0.0.1:$UDP
max_queries: 1
max_queue: 1
min_free: 1M
tail:
  - path: $L/*.log
    format: text
    group: tl
EOF
start() { vg_start --config "$TMP/vigil.yml"; }
start
ING=$("$VIGIL" token create --data "$D" --role ingest --name limits-ingest)
ANA=$("$VIGIL" token create --data "$D" --role analyst --name limits-analyst)
metric() { curl -sf -H "Authorization: Bearer $ANA" "$URL/metrics" | sed -n "s/^$1 //p"; }

# ---------------------------------------------------------------- request headers
big_header() { head -c "$1" /dev/zero | tr '\0' a; }
got=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "X-Big: $(big_header 70000)" "$URL/healthz")
[ "$got" = 431 ] || fail "a 70 KB header: $got, want 431"
grep -q 'header was too big' "$TMP/body" || fail "431 body: $(cat "$TMP/body")"
got=$(curl -s -o "$TMP/body" -w '%{http_code}' "$URL/healthz?x=$(big_header 70000)")
[ "$got" = 414 ] || fail "a 70 KB URL: $got, want 414"
got=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(big_header 50000)" \
	-H "Authorization: Bearer $ANA" "$URL/api/v1/me")
[ "$got" = 200 ] || fail "a 50 KB header is within the limit: $got"

# ---------------------------------------------------------------- max_queries
HEAVY='group=big msg=*took*9ms* | stats count by level'
curl -sf -G -H "Authorization: Bearer $ANA" --data-urlencode "q=$HEAVY" "$URL/api/v1/search" \
	>"$TMP/heavy.want" || fail "heavy search alone"
# refused_ok HEADERS BODY TEXT: a 429 with Retry-After whose body says TEXT
refused_ok() {
	grep -qi '^Retry-After: ' "$1" || fail "429 without Retry-After"
	grep -q "$3" "$2" || fail "429 body: $(cat "$2")"
}
same_rows() { python3 -c 'import json,sys; a,b=(json.load(open(f))["rows"] for f in sys.argv[1:]); sys.exit(a!=b)' "$1" "$2"; }
refused=0
for round in 1 2 3 4 5; do
	pids=()
	for k in 1 2 3 4 5 6; do
		curl -s -G -D "$TMP/qh.$k" -o "$TMP/qb.$k" -H "Authorization: Bearer $ANA" \
			--data-urlencode "q=$HEAVY" "$URL/api/v1/search" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for k in 1 2 3 4 5 6; do
		case $(head -1 "$TMP/qh.$k") in
		*" 200"*) same_rows "$TMP/qb.$k" "$TMP/heavy.want" || fail "a concurrent search answered $(cat "$TMP/qb.$k")" ;;
		*" 429"*)
			refused=$((refused + 1))
			refused_ok "$TMP/qh.$k" "$TMP/qb.$k" 'queries are running already' ;;
		*) fail "concurrent search: $(head -1 "$TMP/qh.$k") $(cat "$TMP/qb.$k")" ;;
		esac
	done
	[ "$refused" -gt 0 ] && break
done
[ "$refused" -gt 0 ] || fail "six searches at once never passed max_queries: 1"
[ "$(metric vigil_queries_refused_total)" -ge "$refused" ] || fail "queries_refused metric"

# ---------------------------------------------------------------- query time limit
got=$(curl -s -G -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $ANA" \
	--data-urlencode "q=$HEAVY" --data-urlencode timeout=0.001 "$URL/api/v1/search")
[ "$got" = 408 ] || fail "a search past its time limit: $got $(cat "$TMP/body")"
grep -q 'longer than its time limit' "$TMP/body" || fail "408 body: $(cat "$TMP/body")"
got=$(curl -s -G -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $ANA" \
	--data-urlencode "q=$HEAVY" --data-urlencode timeout=31 "$URL/api/v1/search")
[ "$got" = 400 ] || fail "timeout over query_timeout: $got"
grep -q 'timeout takes seconds up to 30' "$TMP/body" || fail "timeout 400: $(cat "$TMP/body")"

# ---------------------------------------------------------------- max_queue
# max_queue is 1 byte: a request arriving while another waits for its
# commit is refused whole.
stored=0 refused=0
for round in 1 2 3 4 5; do
	pids=()
	for k in 1 2 3 4 5 6 7 8; do
		seq 1 500 | sed "s/^/queue r$round k$k line /" >"$TMP/in.$k"
		curl -s -D "$TMP/ih.$k" -o "$TMP/ib.$k" -H "Authorization: Bearer $ING" \
			--data-binary @"$TMP/in.$k" "$URL/api/v1/ingest?format=text&group=q" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for k in 1 2 3 4 5 6 7 8; do
		case $(head -1 "$TMP/ih.$k") in
		*" 200"*)
			grep -q '"stored":500,' "$TMP/ib.$k" || fail "ingest answer $(cat "$TMP/ib.$k")"
			stored=$((stored + 500)) ;;
		*" 429"*)
			refused=$((refused + 1))
			refused_ok "$TMP/ih.$k" "$TMP/ib.$k" 'ingest queue full' ;;
		*) fail "concurrent ingest: $(head -1 "$TMP/ih.$k") $(cat "$TMP/ib.$k")" ;;
		esac
	done
	[ "$refused" -gt 0 ] && break
done
[ "$refused" -gt 0 ] || fail "eight ingests at once never passed max_queue: 1"
[ "$stored" -gt 0 ] || fail "no ingest passed"
[ "$(count 'group=q')" = "$stored" ] || fail "group q holds $(count 'group=q') events, want $stored"

# ---------------------------------------------------------------- disk budget (min_free)
echo 1000 >"$FREE"
got=$(curl -s -D "$TMP/hdr" -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $ING" \
	--data-binary 'disk line' "$URL/api/v1/ingest?format=text&group=disk")
[ "$got" = 503 ] || fail "ingest below min_free: $got"
grep -qi '^Retry-After: ' "$TMP/hdr" || fail "503 without Retry-After"
grep -q 'nearly full' "$TMP/body" || fail "503 body: $(cat "$TMP/body")"
# UDP: read, dropped, counted.
python3 - "$UDP" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b"<13>Nov 27 10:00:00 h app: udpdrop %d" % i, ("127.0.0.1", int(sys.argv[1])))
PY
for _ in $(seq 100); do [ "$(metric vigil_syslog_udp_dropped_total)" = 5 ] && break; sleep 0.1; done
[ "$(metric vigil_syslog_udp_dropped_total)" = 5 ] || fail "udp dropped: $(metric vigil_syslog_udp_dropped_total)"
# A tailed file: waits.
seq 1 300 | sed 's/^/tailed line /' >"$L/app.log"
# TCP: the server stops reading, so the sender stalls; nothing is stored
# (over TCP, nor from the tailed file) until space returns, then
# everything is.
python3 - "$TCP" "$FREE" "$URL" "$ANA" >"$TMP/tcp.out" <<'PY' || fail "tcp: $(cat "$TMP/tcp.out")"
import json, select, socket, sys, time, urllib.parse, urllib.request
port, free, url, tok = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def count(q):
    u = url + "/api/v1/search?" + urllib.parse.urlencode({"q": q + " | stats count"})
    req = urllib.request.Request(u, headers={"Authorization": "Bearer " + tok})
    return json.load(urllib.request.urlopen(req))["rows"][0][0]
pad = "x" * 1000
data = b"".join(b"<13>Nov 27 10:00:00 h app: tcpline %d %s\n" % (i, pad.encode())
                for i in range(40000))
s = socket.create_connection(("127.0.0.1", port))
s.setblocking(False)
off, end = 0, time.time() + 4
while off < len(data) and time.time() < end:
    _, w, _ = select.select([], [s], [], 0.2)
    if w:
        try:
            off += s.send(data[off:off + 65536])
        except BlockingIOError:
            pass
assert off < len(data), "the whole %d bytes were taken below min_free" % len(data)
assert count('"tcpline"') == 0, "events stored below min_free"
assert count("group=tl") == 0, "the tailer read below min_free"
print("stalled after %d of %d bytes" % (off, len(data)))
open(free, "w").write("1000000000000\n")
s.setblocking(True)
s.sendall(data[off:])
s.close()
PY
grep -q stalled "$TMP/tcp.out" || fail "tcp: $(cat "$TMP/tcp.out")"
wait_count '"tcpline"' 40000
wait_count 'group=tl' 300
# UDP is taken again.
python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"<13>Nov 27 10:00:00 h app: udpback", ("127.0.0.1", int(sys.argv[1])))' "$UDP"
wait_count udpback 1
[ "$(count udpdrop)" = 0 ] || fail "dropped datagrams were stored"
[ "$(metric vigil_ingest_refused_disk_total)" -gt 0 ] || fail "refused_disk metric"
got=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ING" \
	--data-binary 'disk line' "$URL/api/v1/ingest?format=text&group=disk")
[ "$got" = 200 ] || fail "ingest after space was freed: $got"

# ---------------------------------------------------------------- tail across a seal
# One request of more events than a WAL commit takes (262144) seals the
# memtable at once: /api/v1/tail still sends them (10000 a look at most,
# then how many matched), read just before the seal.
segs=$(metric vigil_store_segments)
curl -sN -H "Authorization: Bearer $ANA" "$URL/api/v1/tail?q=group%3Dsealme" >"$TMP/sse" &
SSE=$!
for _ in $(seq 50); do [ -s "$TMP/sse" ] && break; sleep 0.1; done
seq 1 270000 | sed 's/^/sealme line /' >"$TMP/seal.txt"
got=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $ING" \
	--data-binary @"$TMP/seal.txt" "$URL/api/v1/ingest?format=text&group=sealme")
[ "$got" = 200 ] || fail "270000 events: $got $(cat "$TMP/body")"
[ "$(metric vigil_store_segments)" -gt "$segs" ] || fail "the big request did not seal"
for _ in $(seq 100); do grep -q '^event: truncated' "$TMP/sse" && break; sleep 0.1; done
kill "$SSE" 2>/dev/null; wait "$SSE" 2>/dev/null || true
[ "$(grep -c '^event: match' "$TMP/sse")" = 10000 ] || fail "tail across a seal: $(grep -c '^event: match' "$TMP/sse") matches"
grep -q '"matched":270000' "$TMP/sse" || fail "tail across a seal: $(grep -v '^data: {"_time' "$TMP/sse" | tail -5)"

# ---------------------------------------------------------------- failed logins
# 5 failures for a user name, or 20 from an address, then 429 for a
# minute; a success forgets the failures.
ADMIN_PW=$(sed -n 's/^  password: //p' "$TMP/server.out")
[ -n "$ADMIN_PW" ] || fail "no admin password printed"
login() {
	curl -s -D "$TMP/lh" -o "$TMP/lb" -w '%{http_code}' \
		--data-binary "{\"user\":\"$1\",\"password\":\"$2\"}" "$URL/api/v1/login"
}
for i in 1 2 3 4; do [ "$(login admin "wrong $i")" = 401 ] || fail "failed login $i: $(cat "$TMP/lb")"; done
[ "$(login admin "$ADMIN_PW")" = 200 ] || fail "login after 4 failures: $(cat "$TMP/lb")"
for i in 1 2 3 4 5; do
	[ "$(login admin "wrong $i")" = 401 ] || fail "failure $i after a success: $(cat "$TMP/lb")"
done
[ "$(login admin "$ADMIN_PW")" = 429 ] || fail "the right password after 5 failures: $(cat "$TMP/lb")"
grep -q 'too many failed logins for this user' "$TMP/lb" || fail "429 body: $(cat "$TMP/lb")"
ra=$(sed -n 's/^Retry-After: \([0-9]*\).*/\1/ip' "$TMP/lh")
[ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ] || fail "Retry-After: '$ra'"
# The address has 5 failures so far: 15 more under other names reach 20.
for i in $(seq 1 15); do [ "$(login "guess$i" x)" = 401 ] || fail "guess $i: $(cat "$TMP/lb")"; done
[ "$(login someone x)" = 429 ] || fail "21st failure from one address: $(cat "$TMP/lb")"
grep -q 'from this address' "$TMP/lb" || fail "429 body: $(cat "$TMP/lb")"
[ "$(metric vigil_logins_throttled_total)" = 2 ] || fail "logins_throttled metric"

# ---------------------------------------------------------------- nothing lost
vg_stop
"$VIGIL" check --data "$D" >/dev/null || fail "check after the server"
start
[ "$(count 'group=big')" = 300000 ] || fail "group big after the limits: $(count 'group=big')"
[ "$(count 'group=q')" = "$stored" ] || fail "group q after a restart"
[ "$(count '"tcpline"')" = 40000 ] || fail "tcp lines after a restart"
vg_stop
echo "limits ok"

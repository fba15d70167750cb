#!/usr/bin/env bash
# RELP from rsyslog and syslog over TLS from syslog-ng, against `vigil server`
# on 127.0.0.1, every process stopped by its own PID:
#   - rsyslog (unpacked by scripts/deps.sh) follows a file with imfile and
#     forwards it with omrelp: every line arrives exactly once; the rate is
#     printed (RELP acknowledges a message only once it is durable);
#   - vigil is stopped in the middle of a steady stream by SIGTERM (every line
#     arrives exactly once) and by SIGKILL (every line at least once);
#   - rsyslog is stopped and started again in the middle of a stream (every
#     line at least once);
#   - below the disk budget (min_free, faked with the server's test-only
#     VIGIL_TEST_FREE_FILE) a message is neither stored nor acknowledged:
#     its session is closed, and rsyslog delivers every line exactly once
#     when space returns;
#   - from vigil.yml (relp, syslog_tls, tls_cert, tls_key): syslog-ng delivers
#     over TLS (RFC 5425) to a self-signed certificate; a plain-text client on
#     the TLS port gets nothing stored and the server carries on;
#   - a TLS port without a certificate, a bad certificate, a RELP port in use:
#     the server refuses to start and says why.
# Lines carry seq=N; `rex` and `dc(seq)` count the distinct ones.
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}"
RSYSLOG_ROOT=${RSYSLOG_ROOT:-/opt/vigil-peers/rsyslog}
RSYSLOGD=$RSYSLOG_ROOT/usr/sbin/rsyslogd
D=$TMP/store
. "$(dirname "$0")/lib.bash"
[ -x "$RSYSLOGD" ] || fail "rsyslog is not unpacked at $RSYSLOG_ROOT (scripts/deps.sh does it)"
export VIGIL_TEST_FAST_AUTH=1
FREE=$TMP/free
echo 1000000000000 >"$FREE"
export VIGIL_TEST_FREE_FILE=$FREE
HTTP=$(port) RELP=$(port) TLS=$(port)
URL=http://127.0.0.1:$HTTP
PID= RS= FEED= SNG=
trap 'for p in $PID $RS $FEED $SNG; do kill -9 "$p" 2>/dev/null || true; done' EXIT

start() { vg_start --listen "127.0.0.1:$HTTP" "$@"; }

# rsyslog_start NAME FILE TAG: rsyslog follows FILE, forwards it over RELP
# with tag TAG. Its state (imfile offsets, the action's queue, saved at
# shutdown) lives in $TMP/rs-NAME, so a restart goes on where it stopped.
# The queue holds 100000 messages in memory: with the default 1000, imfile
# reading 3000 lines at once pushes the queue past its high watermark, and
# rsyslog 8.2302 then sometimes leaves what it spilled to disk there until
# it restarts (seen: 2489 of 3000 delivered, 511 in q-NAME.00000001, the
# action's worker idle, every frame vigil received acknowledged). The disk
# file is still used to keep the queue across a restart.
rsyslog_start() {
	local dir=$TMP/rs-$1
	mkdir -p "$dir"
	cat >"$dir.conf" <<EOF
global(workDirectory="$dir")
module(load="imfile")
module(load="omrelp")
input(type="imfile" File="$2" Tag="$3:" ruleset="fwd" freshStartTail="off")
ruleset(name="fwd") {
	action(type="omrelp" target="127.0.0.1" port="$RELP"
	       queue.type="LinkedList" queue.size="100000"
	       queue.filename="q-$1" queue.saveOnShutdown="on"
	       action.resumeRetryCount="-1" action.resumeInterval="1")
}
EOF
	"$RSYSLOGD" -n -f "$dir.conf" -i "$dir.pid" -M "$RSYSLOG_ROOT/usr/lib/x86_64-linux-gnu/rsyslog" \
		>>"$dir.log" 2>&1 &
	RS=$!
}
rsyslog_stop() {
	kill -TERM "$RS"
	wait "$RS" 2>/dev/null || true
	RS=
}

# feed FILE N RATE: append lines seq=0..N-1 to FILE, RATE lines a second,
# in the background
feed() {
	python3 - "$1" "$2" "$3" <<'PY' &
import sys, time
path, n, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t0 = time.time()
with open(path, "a") as f:
    for i in range(n):
        f.write("relp test line seq=%06d\n" % i)
        f.flush()
        delay = t0 + (i + 1) / rate - time.time()
        if delay > 0:
            time.sleep(delay)
PY
	FEED=$!
}

# seqs QUERY: "COUNT DISTINCT" of the events QUERY finds, by seq ("- -" while
# the server is down)
seqs() {
	curl -sf -G -H "Authorization: Bearer $ANA" \
		--data-urlencode "q=$1 | rex field=message \"seq=(?<seq>[0-9]+)\" | stats count, dc(seq)" \
		"$URL/api/v1/search" 2>/dev/null |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"][0]; print(r[0], r[1])' 2>/dev/null ||
		echo "- -"
}
# wait_all QUERY N SECONDS: until N distinct lines arrived; prints "COUNT DISTINCT"
wait_all() {
	local got
	for _ in $(seq $(($3 * 5))); do
		got=$(seqs "$1")
		[ "${got#* }" = "$2" ] && { echo "$got"; return 0; }
		sleep 0.2
	done
	fail "'$1': $got (count, distinct), want $2 distinct"
}
# wait_some QUERY N: until at least N lines arrived (the stream is under way)
wait_some() {
	local got
	for _ in $(seq 300); do
		got=$(seqs "$1")
		[ "${got%% *}" != - ] && [ "${got%% *}" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "'$1': $got after 30 s, want $2 on the way"
}

start --relp "127.0.0.1:$RELP"
grep -q "RELP on 127.0.0.1:$RELP" "$TMP/server.out" || fail "no RELP line in the banner"
ANA=$("$VIGIL" token create --data "$D" --role analyst --name checker)

# ---------------------------------------------------------------- a file, once
N=3000
python3 -c "import sys; sys.stdout.writelines('relp test line seq=%06d\n' % i for i in range($N))" \
	>"$TMP/base.log"
t0=$(date +%s.%N)
rsyslog_start base "$TMP/base.log" relpbase
got=$(wait_all 'program=relpbase' $N 120)
t1=$(date +%s.%N)
[ "$got" = "$N $N" ] || fail "base delivery: $got (count, distinct), want each of $N once"
python3 -c "print('RELP from rsyslog: $N lines in %.1f s, %.0f lines/s' % ($t1 - $t0, $N / ($t1 - $t0)))"
# The parser saw rsyslog's header: tag and host are fields.
[ "$(seqs 'program=relpbase host=*')" = "$N $N" ] || fail "no host on RELP events"
rsyslog_stop

# ---------------------------------------------------------------- RELP by hand
# A minimal RELP client: a 150 KB message becomes three pieces (64 KiB each at
# most) instead of being cut; a syslog command before "open" is refused;
# bytes that are not RELP end that session only.
python3 - "$RELP" <<'PY' || fail "RELP by hand"
import socket, sys
port = int(sys.argv[1])
class Relp:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf, self.tx = b"", 0
    def frame(self):
        # TXNR SP COMMAND SP DATALEN [SP DATA] LF
        while True:
            head = self.buf.split(b" ", 2)
            if len(head) == 3:
                digits = head[2][:len(head[2]) - len(head[2].lstrip(b"0123456789"))]
                n = int(digits or b"0")
                start = len(head[0]) + len(head[1]) + 2 + len(digits) + (1 if n else 0)
                if len(self.buf) >= start + n + 1:
                    data, self.buf = self.buf[start:start + n], self.buf[start + n + 1:]
                    return int(head[0]), head[1], data
            more = self.s.recv(65536)
            if not more:
                raise EOFError("the server closed the session")
            self.buf += more
    def cmd(self, cmd, data=b""):
        self.tx += 1
        self.s.sendall(b"%d %s %d%s\n" % (self.tx, cmd, len(data), b" " + data if data else b""))
        while True:
            tx, c, d = self.frame()
            if c == b"rsp" and tx == self.tx:
                return d
early = Relp()
assert early.cmd(b"syslog", b"<13>x").startswith(b"500"), "syslog before open was not refused"
c = Relp()
assert c.cmd(b"open", b"relp_version=0\nrelp_software=test\ncommands=syslog").startswith(b"200 OK")
assert c.cmd(b"syslog", b"<13>Nov 27 17:00:00 big bigmsg: " + b"x" * 150000) == b"200 OK"
g = socket.create_connection(("127.0.0.1", port), timeout=30)
g.sendall(b"this is not RELP\n" * 10)
assert b"serverclose" in g.recv(100), "garbage did not end its session"
assert c.cmd(b"syslog", b"<13>Nov 27 17:00:00 small smallmsg: after the garbage") == b"200 OK"
c.cmd(b"close")
PY
# Acknowledged means stored: no waiting here.
[ "$(seqs '_parse_error="piece*"')" = "3 0" ] || fail "the long message: $(seqs '_parse_error="piece*"'), want 3 pieces"
[ "$(seqs 'program=smallmsg "after the garbage"')" = "1 0" ] || fail "RELP after a garbage session"

# ---------------------------------------------------------------- the disk budget
# librelp cannot answer a message with an error: below min_free the
# session is closed instead of acknowledged, and the sender keeps it.
echo 1000 >"$FREE"
python3 - "$RELP" <<'PY' || fail "RELP below min_free"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
def rsp():
    buf = b""
    while buf.count(b"\n") < 1:
        more = s.recv(65536)
        if not more:
            return None
        buf += more
    return buf
offer = b"relp_version=0\nrelp_software=test\ncommands=syslog"
s.sendall(b"1 open %d %s\n" % (len(offer), offer))
assert b"200 OK" in rsp()
msg = b"<13>Nov 27 17:00:00 h diskfull: below min_free"
s.sendall(b"2 syslog %d %s\n" % (len(msg), msg))
try:
    got = rsp()
except ConnectionResetError:
    got = None
assert got is None or b"200 OK" not in got, "acknowledged below min_free: %r" % got
PY
[ "$(seqs 'program=diskfull')" = "0 0" ] || fail "a message was stored below min_free"
N=300
python3 -c "import sys; sys.stdout.writelines('relp test line seq=%06d\n' % i for i in range($N))" \
	>"$TMP/disk.log"
rsyslog_start disk "$TMP/disk.log" relpdisk
sleep 3
[ "$(seqs 'program=relpdisk')" = "0 0" ] || fail "rsyslog's lines were stored below min_free"
grep -q 'closing the RELP connections' "$TMP/server.err" || fail "no word of the disk budget"
echo 1000000000000 >"$FREE"
got=$(wait_all 'program=relpdisk' $N 60)
[ "$got" = "$N $N" ] || fail "after space returned: $got (count, distinct), want each of $N once"
rsyslog_stop

# ---------------------------------------------------------------- vigil: SIGTERM mid-stream
N=1500
: >"$TMP/term.log"
rsyslog_start term "$TMP/term.log" relpterm
feed "$TMP/term.log" $N 300
wait_some 'program=relpterm' $((N / 5))
vg_stop
kill -0 "$FEED" 2>/dev/null || fail "the stream ended before the SIGTERM: not mid-stream"
sleep 0.5
start --relp "127.0.0.1:$RELP"
got=$(wait_all 'program=relpterm' $N 120)
[ "$got" = "$N $N" ] || fail "SIGTERM mid-stream: $got (count, distinct), want each of $N exactly once"
wait "$FEED"
FEED=
rsyslog_stop

# ---------------------------------------------------------------- vigil: SIGKILL mid-stream
: >"$TMP/kill.log"
rsyslog_start kill "$TMP/kill.log" relpkill
feed "$TMP/kill.log" $N 300
wait_some 'program=relpkill' $((N / 5))
vg_kill
kill -0 "$FEED" 2>/dev/null || fail "the stream ended before the SIGKILL: not mid-stream"
sleep 0.5
start --relp "127.0.0.1:$RELP"
got=$(wait_all 'program=relpkill' $N 120)
[ "${got%% *}" -ge $N ] || fail "SIGKILL mid-stream: $got"
echo "SIGKILL mid-stream: $((${got%% *} - N)) of $N lines stored twice (at least once is the promise)"
wait "$FEED"
FEED=
rsyslog_stop

# ---------------------------------------------------------------- rsyslog restarted mid-stream
: >"$TMP/rs.log"
rsyslog_start rs "$TMP/rs.log" relprs
feed "$TMP/rs.log" $N 300
wait_some 'program=relprs' $((N / 5))
rsyslog_stop
kill -0 "$FEED" 2>/dev/null || fail "the stream ended before rsyslog stopped: not mid-stream"
sleep 0.5
rsyslog_start rs "$TMP/rs.log" relprs
got=$(wait_all 'program=relprs' $N 120)
[ "${got%% *}" -ge $N ] || fail "rsyslog restart: $got"
echo "rsyslog restarted mid-stream: $((${got%% *} - N)) of $N lines stored twice"
wait "$FEED"
FEED=
rsyslog_stop
vg_stop

# ---------------------------------------------------------------- TLS, from vigil.yml
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
cat >"$TMP/vigil.yml" <<EOF
relp: 127.0.0.1:$RELP
syslog_tls: 127.0.0.1:$TLS
tls_cert: $TMP/cert.pem
tls_key: $TMP/key.pem
EOF
start --config "$TMP/vigil.yml"
grep -q "syslog over TLS on 127.0.0.1:$TLS" "$TMP/server.out" || fail "no TLS line in the banner"
# A plain-text client on the TLS port: its handshake fails, nothing is stored.
python3 - "$TLS" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"<13>plaintext on the tls port seq=999999\n" * 20)
time.sleep(0.3)
s.close()
PY
N=500
python3 -c "import sys; sys.stdout.writelines('tls test line seq=%06d\n' % i for i in range($N))" \
	>"$TMP/tls.log"
cat >"$TMP/sng.conf" <<EOF
@version: 3.38
options { stats-freq(0); };
source s_file { file("$TMP/tls.log" follow-freq(0.1) flags(no-parse)); };
destination d_tls {
	syslog("127.0.0.1" transport("tls") port($TLS) tls(peer-verify(optional-untrusted)));
};
log { source(s_file); destination(d_tls); flags(flow-control); };
EOF
syslog-ng -F -e --no-caps -f "$TMP/sng.conf" -p "$TMP/sng.pid" -c "$TMP/sng.ctl" \
	-R "$TMP/sng.persist" >"$TMP/sng.log" 2>&1 &
SNG=$!
got=$(wait_all '"tls test line"' $N 60)
[ "$got" = "$N $N" ] || fail "syslog-ng over TLS: $got (count, distinct), want each of $N once"
kill -TERM "$SNG"; wait "$SNG" 2>/dev/null || true
SNG=
[ "$(seqs 'plaintext')" = "0 0" ] || fail "the plain-text client's lines were stored: $(seqs plaintext)"
grep -q "TLS handshake with 127.0.0.1 failed" "$TMP/server.err" || fail "the failed handshake was not logged"
# RELP still works from the file's setting.
rsyslog_start yml "$TMP/base.log" relpyml
got=$(wait_all 'program=relpyml' 3000 120)
rsyslog_stop
vg_stop

# ---------------------------------------------------------------- refusals at start
# refuse ARGS... -- WORDS: the server exits non-zero and stderr holds WORDS
refuse() {
	local args=() out
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	out=$(timeout 30 "$VIGIL" server --data "$TMP/refused" --listen "127.0.0.1:$(port)" "${args[@]}" \
		2>&1 >/dev/null) && fail "server started with ${args[*]}"
	grep -q "$*" <<<"$out" || fail "with ${args[*]}: '$out', want '$*'"
}
refuse --syslog-tls "127.0.0.1:$(port)" -- syslog_tls needs tls_cert and tls_key
refuse --syslog-tls "127.0.0.1:$(port)" --tls-cert "$TMP/key.pem" --tls-key "$TMP/key.pem" \
	-- cannot load the TLS certificate
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' \
	>"$TMP/busy" &
BUSY=$!
for _ in $(seq 50); do [ -s "$TMP/busy" ] && break; sleep 0.1; done
refuse --relp "127.0.0.1:$(cat "$TMP/busy")" -- cannot listen for RELP
kill "$BUSY"; wait "$BUSY" 2>/dev/null || true

"$VIGIL" check --data "$D" >/dev/null || fail "check"
echo "relp ok"

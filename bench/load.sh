#!/usr/bin/env bash
# bench/load.sh: sustained ingest into a running `vigil server`, over one
# syslog TCP connection (RFC 6587 octet counting) and over HTTP
# (POST /api/v1/ingest, keep-alive, 2 clients), with the server's peak RSS.
#
#   LINES=2000000 RUNS=3 bench/load.sh
#
# The clock runs from the first byte sent to the moment the server reports
# every event durable (vigil_ingest_events_total in /metrics). Medians of
# RUNS runs, each on a fresh store. Output: bench/out/load.md.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=${OUT:-$BENCH_DIR/out}
VIGIL=${VIGIL:-$ROOT/build/vigil}
LINES=${LINES:-2000000}
RUNS=${RUNS:-3}
WORK=$OUT/load
mkdir -p "$OUT"
rm -rf "$WORK"
mkdir -p "$WORK"
[ -x "$VIGIL" ] || { echo "build $VIGIL first" >&2; exit 1; }
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The payload: auth.log-style lines (the real RHEL 7 sample, repeated) with
# varying pids and ports, as RFC 3164 with a priority.
python3 - "$ROOT/../shared/data/syslog/secure-rhel7.log" "$LINES" "$WORK/lines" "$WORK/framed" <<'PY'
import sys
src = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
with open(sys.argv[3], "w") as lines, open(sys.argv[4], "wb") as framed:
    for i in range(n):
        m = "<38>" + src[i % len(src)].replace("sshd[", "sshd[%d" % (i % 9000), 1)
        lines.write(m + "\n")
        b = m.encode()
        framed.write(b"%d " % len(b) + b)
PY
BYTES=$(stat -c %s "$WORK/lines")

start_server() {
	HTTP=$(port) TCP=$(port)
	rm -rf "$WORK/store"
	VIGIL_TEST_FAST_AUTH=1 "$VIGIL" server --data "$WORK/store" --listen "127.0.0.1:$HTTP" \
		--syslog-tcp "127.0.0.1:$TCP" --max-body 64M >"$WORK/server.out" 2>&1 &
	PID=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
	TOK=$("$VIGIL" token create --data "$WORK/store" --role admin --name load 2>/dev/null)
}
stop_server() {
	RSS=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
	kill -TERM "$PID"
	wait "$PID" || true
	PID=
}
# wait_durable N: seconds (epoch, float) when the server reports N events durable
wait_durable() {
	python3 - "http://127.0.0.1:$HTTP/metrics" "$TOK" "$1" <<'PY'
import sys, time, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
want = int(sys.argv[3])
while True:
    for line in urllib.request.urlopen(req).read().decode().splitlines():
        if line.startswith("vigil_ingest_events_total "):
            if float(line.split()[1]) >= want:
                print("%.6f" % time.time()); sys.exit(0)
    time.sleep(0.005)
PY
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

: >"$WORK/tcp.txt"; : >"$WORK/http.txt"; : >"$WORK/rss.txt"
for run in $(seq "$RUNS"); do
	# One syslog TCP connection.
	start_server
	t0=$(python3 -c 'import time; print("%.6f" % time.time())')
	python3 - "$TCP" "$WORK/framed" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b: break
        s.sendall(b)
s.close()
PY
	t1=$(wait_durable "$LINES")
	python3 -c "print($LINES / ($t1 - $t0))" >>"$WORK/tcp.txt"
	stop_server
	echo "$RSS" >>"$WORK/rss.txt"

	# HTTP: 2 keep-alive clients posting 10,000-line bodies.
	start_server
	t0=$(python3 -c 'import time; print("%.6f" % time.time())')
	python3 - "$HTTP" "$TOK" "$WORK/lines" <<'PY'
import http.client, sys, threading
lines = open(sys.argv[3], "rb").read().split(b"\n")[:-1]
bodies = [b"\n".join(lines[i:i + 10000]) + b"\n" for i in range(0, len(lines), 10000)]
def client(part):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
    for b in part:
        c.request("POST", "/api/v1/ingest?format=syslog", b,
                  {"Authorization": "Bearer " + sys.argv[2]})
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
ts = [threading.Thread(target=client, args=(bodies[k::2],)) for k in range(2)]
for t in ts: t.start()
for t in ts: t.join()
PY
	t1=$(wait_durable "$LINES")
	python3 -c "print($LINES / ($t1 - $t0))" >>"$WORK/http.txt"
	stop_server
	echo "$RSS" >>"$WORK/rss.txt"
done

TCP_MED=$(median <"$WORK/tcp.txt")
HTTP_MED=$(median <"$WORK/http.txt")
RSS_MAX=$(sort -n "$WORK/rss.txt" | tail -1)
{
	echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') at git \`$(git -C "$ROOT" rev-parse --short HEAD)\`: $LINES syslog lines ($((BYTES / 1000000)) MB), median of $RUNS runs, events/s from the first byte sent to the last event durable; \`LINES=$LINES RUNS=$RUNS bench/load.sh\`."
	echo
	echo "| path | events/s (median) | runs | server peak RSS |"
	echo "|---|--:|--:|--:|"
	printf '| syslog TCP, 1 connection, octet counting | %.0f | %s | %s MB |\n' "$TCP_MED" "$(paste -sd' ' "$WORK/tcp.txt" | awk '{for(i=1;i<=NF;i++) printf "%.0f ", $i}')" "$((RSS_MAX / 1024))"
	printf '| HTTP /api/v1/ingest, 2 clients, 10k-line bodies | %.0f | %s | |\n' "$HTTP_MED" "$(paste -sd' ' "$WORK/http.txt" | awk '{for(i=1;i<=NF;i++) printf "%.0f ", $i}')"
} >"$OUT/load.md"
cat "$OUT/load.md"

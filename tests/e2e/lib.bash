# tests/e2e/lib.bash — what the scripts that drive a running `vigil server`
# share: failing with the server's last words, free ports, starting and
# stopping the server, asking it for a number. Not a test itself, hence not
# *.sh (scripts/run-e2e.sh runs every *.sh here); the scripts source it with
# `. "$(dirname "$0")/lib.bash"` after `set -euo pipefail`.
#
# The caller sets TMP and VIGIL (checked by the script), D (the store),
# URL (the server's base address, before vg_start) and ANA (an analyst
# token, before cell/count). The server's output goes to $TMP/server.out
# and $TMP/server.err; PID is the running server's, empty when none.

# fail MSG: say what went wrong, with the server's last words, and stop.
# On stderr: fail may run inside $(...), whose output is captured.
fail() {
	{
		echo "FAIL: $*"
		if [ -f "$TMP/server.err" ]; then tail -20 "$TMP/server.err"; fi
	} >&2
	exit 1
}

# port: a TCP port free on 127.0.0.1 right now.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PID=

# vg_start ARGS...: `vigil server --data $D ARGS...` in the background; back
# once $URL/healthz answers (15 s at most), failing if the server exits.
vg_start() {
	"$VIGIL" server --data "$D" "$@" >>"$TMP/server.out" 2>>"$TMP/server.err" &
	PID=$!
	for _ in $(seq 150); do
		curl -sf "$URL/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$PID" 2>/dev/null || fail "server exited at start"
		sleep 0.1
	done
	fail "server did not start"
}

# vg_stop: SIGTERM; the server must exit with status 0.
vg_stop() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID"
	wait "$PID" || fail "server exited with status $? on SIGTERM"
	PID=
}

# vg_kill: SIGKILL, as a crash would.
vg_kill() {
	[ -n "$PID" ] || return 0
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
}

# cell QUERY: the first cell of the first row a pipeline query answers
# (`... | stats dc(x)` and the like), through /api/v1/search.
cell() {
	curl -sf -G -H "Authorization: Bearer $ANA" --data-urlencode "q=$1" "$URL/api/v1/search" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0][0])'
}

# count QUERY: how many events match a search.
count() { cell "$1 | stats count"; }

# wait_cell QUERY WANT: until `cell QUERY` is WANT (20 s at most).
wait_cell() {
	local got=
	for _ in $(seq 100); do
		got=$(cell "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.2
	done
	fail "'$1' answered $got, want $2"
}

# wait_count QUERY WANT: until WANT events match QUERY (20 s at most).
wait_count() { wait_cell "$1 | stats count" "$2"; }

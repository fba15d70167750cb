# shellcheck shell=bash
# bench/lib.sh: helpers shared by the benchmark scripts (sourced, not run).
# Needs bash. Every helper is bounded in time; nothing here listens anywhere
# but 127.0.0.1, and every process started is stopped by its own PID.

export LC_ALL=C
BENCH_DIR=${BENCH_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
ROOT=${ROOT:-$(cd "$BENCH_DIR/.." && pwd)}
OUT=${OUT:-$BENCH_DIR/out}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# need_pkg COMMAND PACKAGE: make COMMAND available, installing the Debian
# PACKAGE with apt-get when running as root.
need_pkg() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    [ -x "$cmd" ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing $pkg (for $cmd)"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null ||
                die "apt-get install $pkg failed"
        fi
        # Debian's clickhouse-server postinst tries to start the system service;
        # policy-rc.d usually refuses in containers. Nothing of it is used here.
    else
        die "$cmd is missing: install the Debian package $pkg (apt-get install $pkg)"
    fi
    command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ] || die "$cmd still missing after installing $pkg"
}

need_common() {
    need_pkg /usr/bin/time time
    need_pkg python3 python3
    need_pkg curl curl
    need_pkg zstd zstd
    need_pkg gzip gzip
    need_pkg du coreutils
}

# timed FILE CMD...: run CMD, append "wall user sys" (seconds) to nothing but
# FILE (overwritten). CPU includes every child CMD waited for.
timed() {
    local f=$1; shift
    /usr/bin/time -f '%e %U %S' -o "$f" "$@"
}

# elapsed T0: seconds since T0 (a saved $EPOCHREALTIME), 2 decimals.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }'; }

# sum of a list of file sizes in bytes (NUL-separated list on stdin)
sum_sizes() { xargs -0 -r stat -c %s -- | awk '{s+=$1} END {printf "%.0f\n", s}'; }

# result KEY RUN METRIC VALUE: one measurement, collected in $RESULTS.
result() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }

git_rev() {
    local rev dirty=""
    rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$ROOT" status --porcelain -- src Makefile 2>/dev/null)" ]; then
        dirty="-dirty"
    fi
    printf '%s%s\n' "$rev" "$dirty"
}

# Process CPU (user+sys, seconds) of PID and all its threads, from /proc.
proc_cpu() {
    local tck
    tck=$(getconf CLK_TCK)
    awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / t }' "/proc/$1/stat"
}

# ---------------------------------------------------------------- ClickHouse
CH_HTTP_PORT=${CH_HTTP_PORT:-18123}
CH_TCP_PORT=${CH_TCP_PORT:-19000}
CH_DIR=${CH_DIR:-$OUT/clickhouse}
CH_PID=""

# ch_start: a private ClickHouse server (config under $CH_DIR, 127.0.0.1 only).
# CH_COMPRESSION=zstd (default: what makes ClickHouse smallest on disk;
# 18.16 has no per-column CODEC, only this server-wide choice) or lz4
# (ClickHouse's default).
ch_start() {
    need_pkg clickhouse-server clickhouse-server
    local method=${CH_COMPRESSION:-zstd}
    if curl -s -m 2 "http://127.0.0.1:$CH_HTTP_PORT/" >/dev/null 2>&1; then
        die "something already listens on 127.0.0.1:$CH_HTTP_PORT (set CH_HTTP_PORT)"
    fi
    rm -rf "$CH_DIR"
    mkdir -p "$CH_DIR"/{data,tmp,user_files,format_schemas,log}
    cat >"$CH_DIR/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default>
    <max_memory_usage>8000000000</max_memory_usage>
    <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
  </default></profiles>
  <users><default>
    <password></password>
    <networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota>
  </default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
EOF
    cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$CH_DIR/log/server.log</log>
    <errorlog>$CH_DIR/log/error.log</errorlog><size>100M</size><count>2</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP_PORT</http_port>
  <tcp_port>$CH_TCP_PORT</tcp_port>
  <path>$CH_DIR/data/</path>
  <tmp_path>$CH_DIR/tmp/</tmp_path>
  <user_files_path>$CH_DIR/user_files/</user_files_path>
  <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
  <users_config>$CH_DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <compression><case><method>$method</method></case></compression>
</yandex>
EOF
    clickhouse-server --config-file="$CH_DIR/config.xml" >"$CH_DIR/log/stdout" 2>&1 &
    CH_PID=$!
    for _ in $(seq 1 120); do
        if curl -s -m 2 "http://127.0.0.1:$CH_HTTP_PORT/?query=SELECT%201" 2>/dev/null | grep -q '^1$'; then
            log "ClickHouse $(ch_q 'SELECT version()') up (pid $CH_PID, compression $method)"
            return 0
        fi
        kill -0 "$CH_PID" 2>/dev/null || { tail -20 "$CH_DIR/log/stdout" "$CH_DIR/log/error.log" >&2 || true; die "clickhouse-server exited"; }
        sleep 0.25
    done
    ch_stop
    die "ClickHouse did not answer within 30 s"
}

ch_stop() {
    [ -n "$CH_PID" ] || return 0
    if kill -0 "$CH_PID" 2>/dev/null; then
        kill -TERM "$CH_PID" 2>/dev/null || true
        for _ in $(seq 1 120); do
            kill -0 "$CH_PID" 2>/dev/null || break
            sleep 0.25
        done
        if kill -0 "$CH_PID" 2>/dev/null; then
            log "ClickHouse (pid $CH_PID) did not stop in 30 s: SIGKILL"
            kill -KILL "$CH_PID" 2>/dev/null || true
        fi
        wait "$CH_PID" 2>/dev/null || true
    fi
    CH_PID=""
}

# ch_q SQL: run one statement over HTTP, print the answer; fail on error.
ch_q() {
    local resp code
    resp=$(curl -sS -m "${CH_TIMEOUT:-3600}" -w '\n%{http_code}' \
        "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "$1") || die "ClickHouse unreachable: ${1:0:200}"
    code=${resp##*$'\n'}
    resp=${resp%$'\n'*}
    [ "$code" = 200 ] || die "ClickHouse query failed ($code): ${1:0:300}: ${resp:0:600}"
    resp=${resp%$'\n'}
    [ -z "$resp" ] || printf '%s\n' "$resp"
}

# ch_script FILE: run a ;-separated SQL file statement by statement.
ch_script() {
    local stmt
    while IFS= read -r -d ';' stmt; do
        stmt=$(printf '%s' "$stmt" | sed -e 's/--.*$//' | tr '\n' ' ' | sed -e 's/^ *//' -e 's/ *$//')
        if [ -n "$stmt" ]; then ch_q "$stmt" >/dev/null; fi
    done <"$1"
    return 0
}

# ch_optimize TABLE: merge every partition of TABLE into one part. OPTIMIZE
# is a silent no-op while background merges hold the parts, so wait for those
# first, then optimize partition by partition until each has one part.
ch_optimize() {
    local t=$1 p left busy
    for _ in $(seq 1 2400); do
        busy=$(ch_q "SELECT count() FROM system.merges WHERE database = 'default' AND table = '$t'")
        [ "$busy" = 0 ] && break
        sleep 0.5
    done
    for _ in $(seq 1 30); do
        left=$(ch_q "SELECT partition_id FROM system.parts WHERE database = 'default' AND table = '$t' AND active GROUP BY partition_id HAVING count() > 1")
        [ -z "$left" ] && return 0
        for p in $left; do
            ch_q "OPTIMIZE TABLE $t PARTITION ID '$p' FINAL" >/dev/null
        done
        sleep 1
    done
    die "OPTIMIZE did not merge $t into one part per partition"
}

# ch_insert QUERY: INSERT with the body on stdin (streamed: chunked upload,
# never held in curl's memory as --data-binary @- would).
ch_insert() {
    local q resp code
    q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")
    resp=$(curl -sS -m "${CH_TIMEOUT:-3600}" -w '\n%{http_code}' -X POST -T - \
        "http://127.0.0.1:$CH_HTTP_PORT/?query=$q") || die "ClickHouse unreachable: $1"
    code=${resp##*$'\n'}
    resp=${resp%$'\n'*}
    [ "$code" = 200 ] || die "ClickHouse insert failed ($code): $1: ${resp:0:600}"
}

#!/usr/bin/env bash
# bench/ingest.sh: ingest and storage benchmarks of vigil against ClickHouse
# 18.16, zstd and gzip, on the demo data (VPC flow logs and CloudTrail).
#
# Environment (all optional):
#   SCALE=10        demo scale of the flow data (10 ~ 24 million flow records over 7 days,
#                   5 GB; 40 ~ 97 million, 20 GB)
#   RUNS=3          runs of every timed measurement; the report shows medians
#   CT_SEEDS=10     CloudTrail volume: the demo's CloudTrail week (~29.7k events, ~49 MB;
#                   it does not grow with --scale) is generated with seeds 1..CT_SEEDS
#   SAMPLE_MB=64    zstd/gzip run on an evenly spread sample of about this many MB of the
#                   raw files (zstd -19 runs at a few MB/s: the full set would take hours)
#   PARTS=vigil,compress,clickhouse,gz
#                   what to run; add vigil_gz to also time vigil ingesting the .gz set
#   CH_COMPRESSION=zstd   ClickHouse's server-wide compression method (zstd or lz4)
#   KEEP_DATA=1     keep the generated data in bench/out/data for the next run (reused
#                   only by the same vigil binary: the generator changes too)
#   VIGIL=build/vigil     the binary (copied to bench/out first, so a rebuild during the
#                   run does not change what is measured)
# Results: bench/out/results.tsv (every run), bench/out/ingest.md, bench/out/ingest.json.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

SCALE=${SCALE:-10}
RUNS=${RUNS:-3}
CT_SEEDS=${CT_SEEDS:-10}
SAMPLE_MB=${SAMPLE_MB:-64}
PARTS=${PARTS:-vigil,compress,clickhouse,gz}
STEP_TIMEOUT=${STEP_TIMEOUT:-7200}
VIGIL=${VIGIL:-$ROOT/build/vigil}
KEEP_DATA=${KEEP_DATA:-0}

part() { case ",$PARTS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
DATA=$OUT/data
FLOW_SRC=$DATA/flow-s$SCALE
CT_SRC=$DATA/ct-x$CT_SEEDS
GZ_SRC=$DATA/gz-s$SCALE
WORK=$OUT/work
VBIN=$OUT/vigil

cleanup() {
    local rc=$?
    ch_stop
    rm -rf "$WORK" "$CH_DIR"
    if [ "$KEEP_DATA" != 1 ]; then rm -rf "$DATA"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_common
[ -x "$VIGIL" ] || die "$VIGIL not built (make build/vigil)"
cp "$VIGIL" "$VBIN"
rm -rf "$WORK"
mkdir -p "$WORK" "$DATA"
: >"$RESULTS"

# ---------------------------------------------------------------- metadata
GIT_REV=${GIT_REV:-$(git_rev)} # GIT_REV: say which commit a pinned VIGIL was built from
python3 - "$OUT/meta.json" <<EOF
import json, os, platform, subprocess, sys, time
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return ""
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
fam = sh("lscpu | awk -F: '/^CPU family/ {gsub(/ /,\"\",\$2); print \$2}'")
mod = sh("lscpu | awk -F: '/^Model:/ {gsub(/ /,\"\",\$2); print \$2}'")
mem = int(sh("awk '/MemTotal/ {print \$2}' /proc/meminfo") or 0) * 1024
json.dump({
  "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
  "git": "$GIT_REV",
  "vigil_sha256": sh("sha256sum '$VBIN' | cut -c1-16"),
  "nproc": int(sh("nproc") or 0),
  "cpu": cpu + (f" (family {fam} model {mod})" if fam else ""),
  "mem_bytes": mem,
  "disk": sh("df -h --output=source,fstype,size '$OUT' | tail -1"),
  "kernel": platform.release(),
  "loadavg_at_start": sh("cut -d\" \" -f1-3 /proc/loadavg"),
  "clickhouse": sh("dpkg-query -W -f='\${Version}' clickhouse-server 2>/dev/null"),
  "zstd": sh("zstd --version"), "gzip": sh("gzip --version | head -1"),
  "scale": $SCALE, "runs": $RUNS, "ct_seeds": $CT_SEEDS, "sample_mb": $SAMPLE_MB,
  "ch_compression": "${CH_COMPRESSION:-zstd}", "parts": "$PARTS",
}, open(sys.argv[1], "w"), indent=1)
EOF
log "git $GIT_REV, SCALE=$SCALE RUNS=$RUNS CT_SEEDS=$CT_SEEDS PARTS=$PARTS"

# ---------------------------------------------------------------- data
VSHA=$(sha256sum "$VBIN" | cut -c1-16)
fresh() { [ -f "$1/.done" ] && [ "$(cat "$1/.done")" = "$VSHA" ]; }
gen_flow() {
    if fresh "$FLOW_SRC"; then log "reusing $FLOW_SRC"; return; fi
    rm -rf "$FLOW_SRC"
    log "generating flow data: vigil demo --plain --scale $SCALE --days 7 --seed 1"
    "$VBIN" demo --out "$FLOW_SRC" --plain --scale "$SCALE" --days 7 --seed 1 >"$WORK/demo.log"
    echo "$VSHA" >"$FLOW_SRC/.done"
}
gen_ct() {
    if fresh "$CT_SRC"; then log "reusing $CT_SRC"; return; fi
    rm -rf "$CT_SRC"
    mkdir -p "$CT_SRC"
    log "generating CloudTrail data: vigil demo --plain --scale 1 --seed 1..$CT_SEEDS (CloudTrail part kept)"
    local s
    for s in $(seq 1 "$CT_SEEDS"); do
        rm -rf "$WORK/ctgen"
        "$VBIN" demo --out "$WORK/ctgen" --plain --scale 1 --days 7 --seed "$s" >/dev/null
        mv "$WORK/ctgen/AWSLogs/"*/CloudTrail "$CT_SRC/seed$s"
        rm -rf "$WORK/ctgen"
    done
    echo "$VSHA" >"$CT_SRC/.done"
}

gen_flow
gen_ct
FLOW_DIR=$(echo "$FLOW_SRC"/AWSLogs/*/vpcflowlogs)
[ -d "$FLOW_DIR" ] || die "no vpcflowlogs in $FLOW_SRC"
find "$FLOW_DIR" -type f -name '*.log' | sort >"$WORK/flow-files"
find "$CT_SRC" -type f -name '*.json' | sort >"$WORK/ct-files"
FLOW_FILES=$(wc -l <"$WORK/flow-files")
FLOW_BYTES=$(tr '\n' '\0' <"$WORK/flow-files" | sum_sizes)
FLOW_LINES=$(xargs -d '\n' cat <"$WORK/flow-files" | wc -l)
FLOW_RECORDS=$((FLOW_LINES - FLOW_FILES)) # one header line per file
CT_FILES=$(wc -l <"$WORK/ct-files")
CT_BYTES=$(tr '\n' '\0' <"$WORK/ct-files" | sum_sizes)
CT_EVENTS=$(python3 -c '
import json, sys
print(sum(len(json.load(open(p))["Records"]) for p in sys.stdin.read().split("\n") if p))' <"$WORK/ct-files")
result data 0 flow_files "$FLOW_FILES"
result data 0 flow_bytes "$FLOW_BYTES"
result data 0 flow_records "$FLOW_RECORDS"
result data 0 ct_files "$CT_FILES"
result data 0 ct_bytes "$CT_BYTES"
result data 0 ct_events "$CT_EVENTS"
log "flow: $FLOW_RECORDS records in $FLOW_FILES files, $FLOW_BYTES bytes; CloudTrail: $CT_EVENTS events in $CT_FILES files, $CT_BYTES bytes"

if part gz; then
    if ! fresh "$GZ_SRC"; then
        rm -rf "$GZ_SRC"
        log "generating the .gz set (as AWS delivers it): vigil demo --scale $SCALE --days 7 --seed 1"
        "$VBIN" demo --out "$GZ_SRC" --scale "$SCALE" --days 7 --seed 1 >/dev/null
        echo "$VSHA" >"$GZ_SRC/.done"
    fi
    result data 0 gz_flow_bytes "$(find "$GZ_SRC"/AWSLogs/*/vpcflowlogs -type f -print0 | sum_sizes)"
    result data 0 gz_ct_bytes_seed1 "$(find "$GZ_SRC"/AWSLogs/*/CloudTrail -type f -print0 | sum_sizes)"
    result data 0 ct_bytes_seed1 "$(find "$CT_SRC/seed1" -type f -print0 | sum_sizes)"
fi

# ---------------------------------------------------------------- vigil
# vigil_ingest KEY INPUT_DIR: RUNS fresh stores, each `vigil ingest --seal`.
vigil_ingest() {
    local key=$1 input=$2 r store
    for r in $(seq 1 "$RUNS"); do
        store=$WORK/store-$key
        rm -rf "$store"
        sync
        log "$key run $r/$RUNS: vigil ingest --data STORE --seal $input"
        timed "$WORK/time" timeout "$STEP_TIMEOUT" "$VBIN" ingest --data "$store" --seal "$input" \
            >"$WORK/$key.out" 2>&1 || { cat "$WORK/$key.out" >&2; die "vigil ingest failed"; }
        read -r wall user sys <"$WORK/time"
        local stored
        stored=$(sed -n 's/^stored \([0-9]*\) events.*/\1/p' "$WORK/$key.out" | tail -1)
        result "$key" "$r" wall "$wall"
        result "$key" "$r" load1 "$(cut -d' ' -f1 /proc/loadavg)"
        result "$key" "$r" user "$user"
        result "$key" "$r" sys "$sys"
        result "$key" "$r" records "${stored:-0}"
        result "$key" "$r" du_bytes "$(du -sb "$store" | cut -f1)"
        result "$key" "$r" seg_bytes "$(find "$store/seg" -name '*.vseg' -print0 | sum_sizes)"
        result "$key" "$r" segments "$(find "$store/seg" -name '*.vseg' | wc -l)"
        log "  $(tail -1 "$WORK/$key.out"); wall $wall s, user $user s, sys $sys s, $(du -sb "$store" | cut -f1) bytes"
        if [ "$r" = "$RUNS" ]; then
            "$VBIN" inspect "$store"/seg/*.vseg >"$OUT/inspect-$key.txt"
        fi
        rm -rf "$store"
    done
}

if part vigil; then
    vigil_ingest vigil_flow "$FLOW_DIR"
    vigil_ingest vigil_ct "$CT_SRC"
fi
if part vigil_gz && [ -d "$GZ_SRC" ]; then
    vigil_ingest vigil_flow_gz "$(echo "$GZ_SRC"/AWSLogs/*/vpcflowlogs)"
fi

# ---------------------------------------------------------------- zstd / gzip
# The sample: the first 1/k of every file (k chosen to give about SAMPLE_MB),
# concatenated in path order, so both flow log formats and every hour of the
# week are in it in their true proportions. For CloudTrail, whose files are
# small, every k-th file instead.
make_sample() { # LIST OUT MODE(lines|files) -> prints "files bytes"
    local list=$1 out=$2 mode=$3 total k f n
    total=$(tr '\n' '\0' <"$list" | sum_sizes)
    k=$(((total + SAMPLE_MB * 1000000 - 1) / (SAMPLE_MB * 1000000)))
    [ "$k" -ge 1 ] || k=1
    : >"$out"
    if [ "$mode" = lines ]; then
        cp "$list" "$out.files"
        while IFS= read -r f; do
            n=$(wc -l <"$f")
            head -n $(((n + k - 1) / k)) "$f" >>"$out"
        done <"$list"
    else
        awk -v k="$k" 'NR % k == 0' "$list" >"$out.files"
        [ -s "$out.files" ] || head -1 "$list" >"$out.files"
        xargs -d '\n' cat <"$out.files" >"$out"
    fi
    echo "$(wc -l <"$out.files") $(stat -c %s "$out")"
}

compress_bench() { # NAME SAMPLE
    local name=$1 sample=$2 tool r
    for tool in zstd19 zstd3 gzip9; do
        for r in $(seq 1 "$RUNS"); do
            case $tool in
            zstd19) timed "$WORK/time" timeout "$STEP_TIMEOUT" zstd -19 -T1 -q -f -c "$sample" >"$WORK/c.out" ;;
            zstd3) timed "$WORK/time" timeout "$STEP_TIMEOUT" zstd -3 -T1 -q -f -c "$sample" >"$WORK/c.out" ;;
            gzip9) timed "$WORK/time" timeout "$STEP_TIMEOUT" gzip -9 -c "$sample" >"$WORK/c.out" ;;
            esac
            read -r wall user sys <"$WORK/time"
            result "${tool}_$name" "$r" wall "$wall"
            result "${tool}_$name" "$r" user "$user"
            result "${tool}_$name" "$r" sys "$sys"
            result "${tool}_$name" "$r" out_bytes "$(stat -c %s "$WORK/c.out")"
            log "$tool $name run $r/$RUNS: wall $wall s, $(stat -c %s "$WORK/c.out") bytes"
        done
    done
    rm -f "$WORK/c.out"
}

if part compress; then
    read -r sf sb < <(make_sample "$WORK/flow-files" "$WORK/sample-flow" lines)
    result data 0 sample_flow_files "$sf"
    result data 0 sample_flow_bytes "$sb"
    result data 0 sample_flow_records "$(($(wc -l <"$WORK/sample-flow") - sf))"
    log "flow sample: $sf files, $sb bytes"
    compress_bench flow "$WORK/sample-flow"
    rm -f "$WORK/sample-flow"

    read -r cf cb < <(make_sample "$WORK/ct-files" "$WORK/sample-ct" files)
    result data 0 sample_ct_files "$cf"
    result data 0 sample_ct_bytes "$cb"
    result data 0 sample_ct_events "$(python3 -c '
import json, sys
print(sum(len(json.load(open(p))["Records"]) for p in sys.stdin.read().split("\n") if p))' <"$WORK/sample-ct.files")"
    log "CloudTrail sample: $cf files, $cb bytes"
    compress_bench ct "$WORK/sample-ct"
    rm -f "$WORK/sample-ct"
fi

# ---------------------------------------------------------------- ClickHouse
ch_parts_bytes() { ch_q "SELECT sum(bytes_on_disk), count(), sum(rows) FROM system.parts WHERE database = 'default' AND table = '$1' AND active"; }

if part clickhouse; then
    need_pkg clickhouse-server clickhouse-server
    # Split the flow files by their header: the default version-2 format and
    # the custom version-5 format go to their own Null-engine table; a
    # materialized view each converts into the one superset table `flows`.
    hdr_v2='version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'
    hdr_v5='version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status'
    : >"$WORK/flow-v2"
    : >"$WORK/flow-v5"
    while IFS= read -r f; do
        h=$(head -1 "$f")
        if [ "$h" = "$hdr_v2" ]; then echo "$f" >>"$WORK/flow-v2"
        elif [ "$h" = "$hdr_v5" ]; then echo "$f" >>"$WORK/flow-v5"
        else die "unknown flow log header in $f: $h"; fi
    done <"$WORK/flow-files"
    log "flow files: $(wc -l <"$WORK/flow-v2") version 2, $(wc -l <"$WORK/flow-v5") version 5"

    # CloudTrail to NDJSON: done once, timed, NOT counted in ClickHouse's load.
    log "CloudTrail -> NDJSON (bench/ct2ndjson.py, not counted in ClickHouse's load time)"
    timed "$WORK/time" python3 "$BENCH_DIR/ct2ndjson.py" "$WORK/ct.ndjson" "$CT_SRC" >/dev/null
    read -r wall user sys <"$WORK/time"
    result data 0 ndjson_prep_wall "$wall"
    result data 0 ndjson_bytes "$(stat -c %s "$WORK/ct.ndjson")"

    ch_start
    CH_URL="http://127.0.0.1:$CH_HTTP_PORT/"
    for r in $(seq 1 "$RUNS"); do
        for t in mv_v2 mv_v5 raw_v2 raw_v5 flows; do ch_q "DROP TABLE IF EXISTS $t"; done
        ch_script "$BENCH_DIR/sql/flow.sql"
        sync
        c0=$(proc_cpu "$CH_PID")
        log "ch_flow run $r/$RUNS: TabSeparated inserts of the v2 then the v5 files"
        # shellcheck disable=SC2016 # expanded by the inner bash
        timed "$WORK/time" timeout "$STEP_TIMEOUT" bash -c '
            set -euo pipefail
            for v in v2 v5; do
                xargs -d "\n" tail -q -n +2 <"$2/flow-$v" | tr " " "\t" |
                    curl -sS --fail-with-body -X POST -T - \
                        "$1?query=INSERT%20INTO%20raw_$v%20FORMAT%20TabSeparated" >/dev/null
            done' _ "$CH_URL" "$WORK"
        read -r wall user sys <"$WORK/time"
        c1=$(proc_cpu "$CH_PID")
        timed "$WORK/time" sync
        read -r swall _ _ <"$WORK/time"
        result ch_flow "$r" wall "$wall"
        result ch_flow "$r" load1 "$(cut -d' ' -f1 /proc/loadavg)"
        result ch_flow "$r" client_user "$user"
        result ch_flow "$r" client_sys "$sys"
        result ch_flow "$r" server_cpu "$(echo "$c1 $c0" | awk '{printf "%.2f", $1 - $2}')"
        result ch_flow "$r" sync_wall "$swall"
        rows=$(ch_q "SELECT count() FROM flows")
        result ch_flow "$r" records "$rows"
        read -r pb pc _ < <(ch_parts_bytes flows)
        result ch_flow "$r" parts_bytes "$pb"
        result ch_flow "$r" parts "$pc"
        log "  $rows rows, wall $wall s (+ sync $swall s), server CPU $(echo "$c1 $c0" | awk '{printf "%.2f", $1 - $2}') s, $pb bytes in $pc parts"
    done
    t0=$EPOCHREALTIME
    ch_optimize flows
    wall=$(elapsed "$t0")
    read -r pb pc _ < <(ch_parts_bytes flows)
    result ch_flow 0 optimize_wall "$wall"
    result ch_flow 0 final_bytes "$pb"
    result ch_flow 0 final_parts "$pc"
    ch_q "SELECT name, type, data_compressed_bytes, data_uncompressed_bytes FROM system.columns WHERE database = 'default' AND table = 'flows' ORDER BY data_compressed_bytes DESC" >"$OUT/ch-columns-flow.tsv"
    log "ch_flow after merges and OPTIMIZE FINAL: $pb bytes in $pc parts ($wall s)"
    for t in mv_v2 mv_v5 raw_v2 raw_v5 flows; do ch_q "DROP TABLE IF EXISTS $t"; done

    for r in $(seq 1 "$RUNS"); do
        ch_q "DROP TABLE IF EXISTS cloudtrail"
        ch_script "$BENCH_DIR/sql/cloudtrail.sql"
        sync
        c0=$(proc_cpu "$CH_PID")
        log "ch_ct run $r/$RUNS: JSONEachRow insert"
        timed "$WORK/time" timeout "$STEP_TIMEOUT" curl -sS --fail-with-body -X POST -T "$WORK/ct.ndjson" \
            "${CH_URL}?query=INSERT%20INTO%20cloudtrail%20FORMAT%20JSONEachRow" -o "$WORK/curl.out" || { cat "$WORK/curl.out" >&2; die "ClickHouse CloudTrail insert failed"; }
        read -r wall user sys <"$WORK/time"
        c1=$(proc_cpu "$CH_PID")
        timed "$WORK/time" sync
        read -r swall _ _ <"$WORK/time"
        result ch_ct "$r" wall "$wall"
        result ch_ct "$r" load1 "$(cut -d' ' -f1 /proc/loadavg)"
        result ch_ct "$r" client_user "$user"
        result ch_ct "$r" client_sys "$sys"
        result ch_ct "$r" server_cpu "$(echo "$c1 $c0" | awk '{printf "%.2f", $1 - $2}')"
        result ch_ct "$r" sync_wall "$swall"
        rows=$(ch_q "SELECT count() FROM cloudtrail")
        result ch_ct "$r" records "$rows"
        read -r pb pc _ < <(ch_parts_bytes cloudtrail)
        result ch_ct "$r" parts_bytes "$pb"
        result ch_ct "$r" parts "$pc"
        log "  $rows rows, wall $wall s, server CPU $(echo "$c1 $c0" | awk '{printf "%.2f", $1 - $2}') s, $pb bytes"
    done
    t0=$EPOCHREALTIME
    ch_optimize cloudtrail
    wall=$(elapsed "$t0")
    read -r pb pc _ < <(ch_parts_bytes cloudtrail)
    result ch_ct 0 optimize_wall "$wall"
    result ch_ct 0 final_bytes "$pb"
    result ch_ct 0 final_parts "$pc"
    ch_q "SELECT name, type, data_compressed_bytes, data_uncompressed_bytes FROM system.columns WHERE database = 'default' AND table = 'cloudtrail' ORDER BY data_compressed_bytes DESC" >"$OUT/ch-columns-ct.tsv"
    log "ch_ct after OPTIMIZE FINAL: $pb bytes in $pc parts"
    ch_stop
    rm -f "$WORK/ct.ndjson"
fi

# ---------------------------------------------------------------- report
result data 0 load1_end "$(cut -d' ' -f1 /proc/loadavg)"
python3 "$BENCH_DIR/report.py" "$OUT"
log "wrote $OUT/ingest.md and $OUT/ingest.json"

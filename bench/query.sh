#!/usr/bin/env bash
# bench/query.sh: query speed, vigil against ClickHouse on the same flow
# records, and against ripgrep and SQLite FTS5 on the same CloudTrail events;
# every answer compared between the systems.
#
#   SCALE=10 RUNS=5 bench/query.sh        # ~24M flow records; medians of 5 runs
#
# Variables: SCALE (flow volume, as `vigil demo --scale`), RUNS, CT_SEEDS
# (CloudTrail weeks, ~49 MB each: 200 make the 10 GB of the phrase target),
# FTS=0 skips SQLite FTS5 (its load takes long at many seeds), KEEP_DATA=1
# keeps bench/out/qdata.
# Output: bench/out/query.md (a table for BENCH.md) and query.tsv.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

SCALE=${SCALE:-10}
RUNS=${RUNS:-5}
CT_SEEDS=${CT_SEEDS:-10}
VIGIL=${VIGIL:-$ROOT/build/vigil}
KEEP_DATA=${KEEP_DATA:-0}
FTS=${FTS:-1}
mkdir -p "$OUT"
DATA=$OUT/qdata
WORK=$OUT/qwork
RESULTS=$OUT/query.tsv
STORE=$WORK/store
: >"$RESULTS"

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
need_pkg rg ripgrep
[ "$FTS" = 1 ] && need_pkg sqlite3 sqlite3
[ -x "$VIGIL" ] || die "$VIGIL not built (make build/vigil)"
rm -rf "$WORK"
mkdir -p "$WORK" "$DATA"

# ------------------------------------------------------------------- data
FLOW_SRC=$DATA/flow-s$SCALE
CT_SRC=$DATA/ct-x$CT_SEEDS
if [ ! -d "$FLOW_SRC" ]; then
    log "generating flows: vigil demo --plain --scale $SCALE --days 7 --seed 1"
    "$VIGIL" demo --out "$FLOW_SRC" --plain --scale "$SCALE" --days 7 --seed 1 >/dev/null
fi
if [ ! -d "$CT_SRC" ]; then
    log "generating CloudTrail: seeds 1..$CT_SEEDS"
    mkdir -p "$CT_SRC"
    for s in $(seq 1 "$CT_SEEDS"); do
        rm -rf "$WORK/ctgen"
        "$VIGIL" demo --out "$WORK/ctgen" --plain --scale 1 --days 7 --seed "$s" >/dev/null
        mv "$WORK/ctgen/AWSLogs/"*/CloudTrail "$CT_SRC/seed$s"
    done
    rm -rf "$WORK/ctgen"
fi
FLOW_DIR=$(echo "$FLOW_SRC"/AWSLogs/*/vpcflowlogs)
log "loading vigil"
"$VIGIL" ingest --data "$STORE" --seal "$FLOW_DIR" "$CT_SRC" >"$WORK/ingest.log"
NFLOW=$("$VIGIL" search --data "$STORE" --output csv 'group=vpcflow | stats count' | tail -1)
NCT=$("$VIGIL" search --data "$STORE" --output csv 'group=cloudtrail | stats count' | tail -1)
CT_BYTES=$(find "$CT_SRC/" -type f -name '*.json' -print0 | sum_sizes)
log "vigil holds $NFLOW flow records and $NCT CloudTrail events"

log "loading ClickHouse"
hdr_v2='version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'
: >"$WORK/flow-v2"
: >"$WORK/flow-v5"
while IFS= read -r f; do
    if [ "$(head -1 "$f")" = "$hdr_v2" ]; then echo "$f" >>"$WORK/flow-v2"; else echo "$f" >>"$WORK/flow-v5"; fi
done < <(find "$FLOW_DIR" -type f -name '*.log' | sort)
ch_start
CH_URL="http://127.0.0.1:$CH_HTTP_PORT/"
ch_script "$BENCH_DIR/sql/flow.sql"
for v in v2 v5; do
    xargs -d '\n' tail -q -n +2 <"$WORK/flow-$v" | tr ' ' '\t' |
        curl -sS --fail-with-body -X POST -T - "$CH_URL?query=INSERT%20INTO%20raw_$v%20FORMAT%20TabSeparated" >/dev/null
done
ch_optimize flows
[ "$(ch_q 'SELECT count() FROM flows')" = "$NFLOW" ] || die "ClickHouse holds $(ch_q 'SELECT count() FROM flows') rows, vigil $NFLOW"

if [ "$FTS" = 1 ]; then
    log "loading SQLite FTS5 (one row per CloudTrail event)"
    python3 - "$WORK/ct.db" "$CT_SRC" <<'PY'
import glob, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE VIRTUAL TABLE ct USING fts5(raw)")
for f in sorted(glob.glob(sys.argv[2] + "/**/*.json", recursive=True)):
    for r in json.load(open(f))["Records"]:
        db.execute("INSERT INTO ct VALUES (?)", (json.dumps(r),))
db.commit()
PY
fi

# ---------------------------------------------------------------- timing
median() { sort -n | awk '{a[NR]=$1} END {m=(NR+1)/2; if (NR%2) print a[m]; else printf "%.4f\n", (a[m-0.5]+a[m+0.5])/2}'; }
now() { echo "$EPOCHREALTIME"; }
# time_runs NAME CMD...: RUNS timed runs (after one warm-up), median wall.
time_runs() {
    local name=$1 t0 t1 r
    shift
    "$@" >"$WORK/$name.out"
    : >"$WORK/$name.times"
    for r in $(seq 1 "$RUNS"); do
        t0=$(now)
        "$@" >/dev/null
        t1=$(now)
        awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f\n", b - a}' >>"$WORK/$name.times"
    done
    median <"$WORK/$name.times"
}
vq() { "$VIGIL" search --data "$STORE" --output csv "$1"; }
cq() { ch_q "$1"; }

# NAME | vigil query | ClickHouse SQL giving the same rows (tab-separated)
QUERIES=(
    "top_rejected|group=vpcflow action=REJECT | top 10 srcaddr|SELECT IPv4NumToString(srcaddr) AS a, count() AS c FROM flows WHERE action = 'REJECT' AND srcaddr6 = '' GROUP BY a ORDER BY c DESC, a LIMIT 10"
    "count_by_action|group=vpcflow | stats count by action|SELECT toString(action), count() FROM flows WHERE log_status = 'OK' GROUP BY action ORDER BY toString(action)"
    "ssh_scanners|group=vpcflow dstport=22 action=REJECT | stats count, dc(srcaddr)|SELECT count(), uniqExact(srcaddr) FROM flows WHERE dstport = 22 AND action = 'REJECT'"
    "bytes_by_port|group=vpcflow action=ACCEPT | stats sum(bytes) as total by dstport | sort -total | head 5|SELECT dstport, sum(bytes) AS s FROM flows WHERE action = 'ACCEPT' GROUP BY dstport ORDER BY s DESC LIMIT 5"
)
printf 'query\tvigil_s\tclickhouse_s\tratio\tanswers\n' >>"$RESULTS"
for q in "${QUERIES[@]}"; do
    name=${q%%|*}
    vquery=$(echo "$q" | cut -d'|' -f2- | sed 's/|SELECT.*//')
    sql="SELECT${q##*|SELECT}"
    log "$name: $vquery"
    tv=$(time_runs "v_$name" vq "$vquery")
    tc=$(time_runs "c_$name" cq "$sql")
    # Same rows? vigil's CSV without the header and percent column vs CH's TSV.
    tail -n +2 "$WORK/v_$name.out" | tr ',' '\t' | cut -f1,2 | sort >"$WORK/v_$name.cmp"
    cut -f1,2 "$WORK/c_$name.out" | sort >"$WORK/c_$name.cmp"
    if cmp -s "$WORK/v_$name.cmp" "$WORK/c_$name.cmp"; then same=same; else same=DIFFERENT; diff "$WORK/v_$name.cmp" "$WORK/c_$name.cmp" | head -5 >&2; fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$tv" "$tc" "$(awk -v a="$tv" -v b="$tc" 'BEGIN {printf "%.2f", a / b}')" "$same" >>"$RESULTS"
done

# A rare phrase in CloudTrail: vigil (token filters skip blocks), ripgrep on
# the raw files, SQLite FTS5 (an inverted index, built beforehand); and a
# phrase that occurs nowhere, which the filters alone answer.
PHRASE="StopLogging"
NOPHRASE="StopLoggingNowhereQx"
log "phrase: $PHRASE"
tv=$(time_runs v_phrase vq "\"$PHRASE\" | stats count")
tr=$(time_runs r_phrase rg -c -i -F "$PHRASE" "$CT_SRC")
nv=$(tail -1 "$WORK/v_phrase.out")
nr=$(awk -F: '{s+=$2} END {print s + 0}' "$WORK/r_phrase.out")
printf 'phrase_vs_ripgrep\t%s\t%s\t%s\t%s\n' "$tv" "$tr" "$(awk -v a="$tv" -v b="$tr" 'BEGIN {printf "%.3f", a / b}')" "vigil $nv events; rg $nr matching lines" >>"$RESULTS"
if [ "$FTS" = 1 ]; then
    ts=$(time_runs s_phrase sqlite3 "$WORK/ct.db" "SELECT count(*) FROM ct WHERE ct MATCH '\"$PHRASE\"'")
    ns=$(cat "$WORK/s_phrase.out")
    printf 'phrase_vs_sqlite_fts5\t%s\t%s\t%s\t%s\n' "$tv" "$ts" "$(awk -v a="$tv" -v b="$ts" 'BEGIN {printf "%.2f", a / b}')" "vigil $nv, FTS5 $ns $([ "$nv" = "$ns" ] && echo same || echo DIFFERENT)" >>"$RESULTS"
fi
log "phrase found nowhere: $NOPHRASE"
# rg exits 1 when it finds nothing: that is its answer here.
rg_none() { rg -c -i -F "$NOPHRASE" "$CT_SRC" || [ $? = 1 ]; }
tv=$(time_runs v_nophrase vq "\"$NOPHRASE\" | stats count")
tr=$(time_runs r_nophrase rg_none)
nv=$(tail -1 "$WORK/v_nophrase.out")
printf 'nophrase_vs_ripgrep\t%s\t%s\t%s\t%s\n' "$tv" "$tr" "$(awk -v a="$tv" -v b="$tr" 'BEGIN {printf "%.3f", a / b}')" "vigil $nv events; rg $(wc -l <"$WORK/r_nophrase.out") files" >>"$RESULTS"

{
    echo "Run of $(date -u '+%Y-%m-%d %H:%M') UTC at git \`$(git_rev)\`: $NFLOW flow records (SCALE=$SCALE), $NCT CloudTrail events ($((CT_BYTES / 1000000)) MB of JSON), medians of $RUNS runs after a warm-up, wall seconds of the whole command (vigil: process start to exit, store opened read-only each time; ClickHouse: HTTP round trip)."
    echo
    echo "| query | vigil s | peer s | vigil / peer | answers |"
    echo "|---|--:|--:|--:|---|"
    tail -n +2 "$RESULTS" | awk -F'\t' '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}'
} >"$OUT/query.md"
cat "$OUT/query.md"

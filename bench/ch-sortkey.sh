#!/usr/bin/env bash
# bench/ch-sortkey.sh: how much ClickHouse's bytes per flow record depend on
# the table's ORDER BY key (and on zstd vs lz4), to show that the key used by
# ingest.sh does not handicap ClickHouse. Sizes only (deterministic: one load
# each); load speed is measured by ingest.sh.
#
#   SCALE=1 bench/ch-sortkey.sh      -> bench/out/ch-sortkey.md
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CH_HTTP_PORT=${CH_HTTP_PORT:-18124} # not ingest.sh's, so both may run
CH_TCP_PORT=${CH_TCP_PORT:-19001}
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

SCALE=${SCALE:-1}
VIGIL=${VIGIL:-$ROOT/build/vigil}
KEYS=${KEYS:-"(interface_id, start)|(action, dstport, start)|(start)|(srcaddr, dstaddr, start)|(interface_id, action, dstport, start)"}
WORK=$OUT/sortkey
CH_DIR=$OUT/clickhouse-sortkey
need_common
[ -x "$VIGIL" ] || die "$VIGIL not built (make build/vigil)"

cleanup() {
    local rc=$?
    ch_stop
    rm -rf "$WORK" "$CH_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$WORK"
mkdir -p "$WORK"
log "generating: vigil demo --plain --scale $SCALE --days 7 --seed 1"
"$VIGIL" demo --out "$WORK/demo" --plain --scale "$SCALE" --days 7 --seed 1 >/dev/null
hdr_v2='version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'
: >"$WORK/flow-v2"
: >"$WORK/flow-v5"
find "$WORK"/demo/AWSLogs/*/vpcflowlogs -type f -name '*.log' | sort | while IFS= read -r f; do
    if [ "$(head -1 "$f")" = "$hdr_v2" ]; then echo "$f" >>"$WORK/flow-v2"; else echo "$f" >>"$WORK/flow-v5"; fi
done

{
    echo "ClickHouse 18.16 bytes per flow record by ORDER BY key, SCALE=$SCALE (git ${GIT_REV:-$(git_rev)}, $(date -u '+%Y-%m-%d %H:%M UTC')), after all parts are merged (OPTIMIZE FINAL)"
    echo
    echo "| compression | ORDER BY | rows | bytes on disk | bytes/record |"
    echo "|---|---|--:|--:|--:|"
} >"$OUT/ch-sortkey.md"

for method in zstd lz4; do
    CH_COMPRESSION=$method ch_start
    IFS='|' read -r -a keys <<<"$KEYS"
    for key in "${keys[@]}"; do
        [ "$method" = lz4 ] && [ "$key" != "(interface_id, start)" ] && continue
        for t in mv_v2 mv_v5 raw_v2 raw_v5 flows; do ch_q "DROP TABLE IF EXISTS $t"; done
        sed "s/ORDER BY (interface_id, start)/ORDER BY $key/" "$BENCH_DIR/sql/flow.sql" >"$WORK/flow.sql"
        ch_script "$WORK/flow.sql"
        for v in v2 v5; do
            xargs -d '\n' tail -q -n +2 <"$WORK/flow-$v" | tr ' ' '\t' |
                ch_insert "INSERT INTO raw_$v FORMAT TabSeparated"
        done
        ch_optimize flows
        read -r bytes rows < <(ch_q "SELECT sum(bytes_on_disk), sum(rows) FROM system.parts WHERE database = 'default' AND table = 'flows' AND active")
        per=$(awk -v b="$bytes" -v r="$rows" 'BEGIN { printf "%.2f", b / r }')
        log "$method ORDER BY $key: $rows rows, $bytes bytes, $per bytes/record"
        echo "| $method | \`$key\` | $rows | $bytes | $per |" >>"$OUT/ch-sortkey.md"
    done
    ch_stop
done
cat "$OUT/ch-sortkey.md"

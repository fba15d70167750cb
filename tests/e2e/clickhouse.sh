#!/usr/bin/env bash
# The same aggregate queries on the same flow records give the same answers
# in vigil and in ClickHouse (Debian's clickhouse-server, a private instance
# on 127.0.0.1). Skipped, and said so, when ClickHouse is not installed.
set -euo pipefail
: "${VIGIL:?}" "${VIGIL_REL:?}" "${TMP:?}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if ! command -v clickhouse-server >/dev/null 2>&1; then
	echo "SKIP: clickhouse-server is not installed (apt-get install clickhouse-server)"
	exit 0
fi
export BENCH_DIR=$ROOT/bench OUT=$TMP CH_DIR=$TMP/ch CH_HTTP_PORT=${CH_HTTP_PORT:-28123} CH_TCP_PORT=${CH_TCP_PORT:-29000}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap ch_stop EXIT

"$VIGIL_REL" demo --out "$TMP/demo" --plain --days 1 --seed 5 > /dev/null
FLOWS=$(echo "$TMP"/demo/AWSLogs/*/vpcflowlogs)
"$VIGIL_REL" ingest --data "$TMP/store" --seal "$FLOWS" > /dev/null

ch_start
ch_script "$ROOT/bench/sql/flow.sql"
hdr_v2='version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'
: > "$TMP/v2"
: > "$TMP/v5"
for f in $(find "$FLOWS" -type f -name '*.log' | sort); do
	if [ "$(head -1 "$f")" = "$hdr_v2" ]; then echo "$f" >> "$TMP/v2"; else echo "$f" >> "$TMP/v5"; fi
done
for v in v2 v5; do
	xargs -d '\n' -r tail -q -n +2 < "$TMP/$v" | tr ' ' '\t' | curl -sS --fail-with-body -X POST -T - \
		"http://127.0.0.1:$CH_HTTP_PORT/?query=INSERT%20INTO%20raw_$v%20FORMAT%20TabSeparated" > /dev/null
done

fail() { echo "FAIL: $*"; exit 1; }
# same NAME VIGIL_QUERY SQL: the rows agree (first columns, as text, in any order).
same() {
	local name=$1 q=$2 sql=$3 ncol=$4
	"$VIGIL" search --data "$TMP/store" --output csv "$q" | tail -n +2 | tr ',' '\t' |
		cut -f1-"$ncol" | sort > "$TMP/$name.v"
	ch_q "$sql" | cut -f1-"$ncol" | sort > "$TMP/$name.c"
	[ -s "$TMP/$name.c" ] || fail "$name: ClickHouse returned nothing"
	diff "$TMP/$name.v" "$TMP/$name.c" > "$TMP/$name.diff" || { head "$TMP/$name.diff"; fail "$name differs"; }
	echo "same: $name ($(wc -l < "$TMP/$name.c") rows)"
}
same count "group=vpcflow | stats count" "SELECT count() FROM flows" 1
same by_action "group=vpcflow | stats count by action" \
	"SELECT toString(action), count() FROM flows WHERE log_status = 'OK' GROUP BY action" 2
same top_rejected "group=vpcflow action=REJECT | top 10 srcaddr" \
	"SELECT IPv4NumToString(srcaddr) AS a, count() AS c FROM flows WHERE action = 'REJECT' AND srcaddr6 = '' GROUP BY a ORDER BY c DESC, a LIMIT 10" 2
same ssh "group=vpcflow dstport=22 action=REJECT | stats count, dc(srcaddr)" \
	"SELECT count(), uniqExact(srcaddr) FROM flows WHERE dstport = 22 AND action = 'REJECT'" 2
same bytes_by_port "group=vpcflow action=ACCEPT | stats sum(bytes) as total by dstport | sort -total | head 5" \
	"SELECT dstport, sum(bytes) AS s FROM flows WHERE action = 'ACCEPT' GROUP BY dstport ORDER BY s DESC LIMIT 5" 2
same cidr "group=vpcflow srcaddr=10.0.0.0/8 NOT dstport=443 | stats count, sum(packets), max(bytes)" \
	"SELECT count(), sum(packets), max(bytes) FROM flows WHERE srcaddr6 = '' AND bitAnd(srcaddr, 4278190080) = 167772160 AND dstport != 443 AND log_status = 'OK'" 3
same hourly "group=vpcflow action=REJECT | stats count by date_hour" \
	"SELECT toHour(start, 'UTC'), count() FROM flows WHERE action = 'REJECT' GROUP BY toHour(start, 'UTC')" 2
same perc "group=vpcflow action=ACCEPT protocol=6 | stats min(bytes), max(bytes), dc(dstport)" \
	"SELECT min(bytes), max(bytes), uniqExact(dstport) FROM flows WHERE action = 'ACCEPT' AND protocol = 6" 3
echo "clickhouse comparison ok"

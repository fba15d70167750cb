#!/usr/bin/env bash
# bench/run-all.sh: every benchmark, then a summary. `make bench` runs it.
#
#   SCALE=10 RUNS=3 bench/run-all.sh          # ~24M flow records, medians of 3 runs
#   SCALE=40 RUNS=3 bench/run-all.sh         # ~97M flow records (about 30 min)
#   UPDATE_BENCH_MD=1 bench/run-all.sh        # also paste the tables into BENCH.md
#
# See bench/ingest.sh for every variable. Works in bench/out/ (git-ignored),
# removes its stores, ClickHouse data and generated data when done (KEEP_DATA=1
# keeps the data), and stops ClickHouse by its own PID.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

export SCALE=${SCALE:-10}
export RUNS=${RUNS:-3}
[ "$RUNS" -ge 1 ] || die "RUNS must be >= 1"

if [ ! -x "$ROOT/build/vigil" ] && [ -z "${VIGIL:-}" ]; then
    log "building build/vigil"
    make -C "$ROOT" build/vigil >/dev/null
fi

t0=$EPOCHREALTIME
"$BENCH_DIR/ingest.sh"
log "benchmarks took $(elapsed "$t0") s"

# Keep this scale's results under their own name too.
cp "$OUT/ingest.md" "$OUT/ingest-s$SCALE.md"
cp "$OUT/ingest.json" "$OUT/ingest-s$SCALE.json"

if [ "${UPDATE_BENCH_MD:-0}" = 1 ]; then
    python3 - "$ROOT/BENCH.md" "$OUT/ingest.md" "$SCALE" <<'EOF'
import sys
path, frag, scale = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
begin, end = f"<!-- ingest-s{scale}:begin -->", f"<!-- ingest-s{scale}:end -->"
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# vigil benchmarks\n"
block = f"{begin}\n{frag}{end}"
if begin in text and end in text:
    a = text.index(begin)
    b = text.index(end) + len(end)
    text = text[:a] + block + text[b:]
else:
    text = text.rstrip("\n") + f"\n\n## Results at SCALE={scale}\n\n{block}\n"
open(path, "w").write(text)
print(f"updated {path} (section SCALE={scale})")
EOF
fi

echo
echo "==================== summary (bench/out/ingest.md) ===================="
# The headline tables, without the collapsible details.
awk '/^<details>/ {skip = 1} !skip && NF {print} !skip && !NF && !blank {print} {blank = !NF} /^<\/details>/ {skip = 0}' "$OUT/ingest.md"

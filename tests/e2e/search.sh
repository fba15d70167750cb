#!/usr/bin/env bash
# `vigil search` on the demo week and on ../shared/data: the answers agree
# with an independent count over the raw files, every output format is well
# formed, bad queries fail with exit status 1 and a message that points at
# the problem, and the store is left as it was.
set -euo pipefail
: "${VIGIL:?}" "${VIGIL_REL:?}" "${TMP:?}" "${SHARED:?}"
D=$TMP/store
fail() { echo "FAIL: $*"; exit 1; }

"$VIGIL_REL" demo --out "$TMP/demo" --days 2 --seed 3 > /dev/null
"$VIGIL_REL" ingest --data "$D" --seal "$TMP/demo/AWSLogs" > /dev/null
"$VIGIL" ingest --data "$D" "$SHARED/cloudtrail" "$SHARED/syslog" > /dev/null  # stays unsealed

# Top rejected sources, against a count over the raw .gz files.
"$VIGIL" search --data "$D" --output csv 'group=vpcflow action=REJECT | top 5 srcaddr' > "$TMP/top.csv"
python3 - "$TMP/top.csv" "$TMP/demo" <<'PY'
import csv, glob, gzip, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
c = collections.Counter()
for f in glob.glob(sys.argv[2] + "/AWSLogs/*/vpcflowlogs/**/*.gz", recursive=True):
    with gzip.open(f, "rt") as fh:
        hdr = fh.readline().split()
        ix = {n: i for i, n in enumerate(hdr)}
        for line in fh:
            p = line.split()
            if len(p) == len(hdr) and p[ix["action"]] == "REJECT":
                c[p[ix["srcaddr"]]] += 1
want = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
got = [(r["srcaddr"], int(r["count"])) for r in rows]
assert got == want, (got, want)
total = sum(c.values())
for r in rows:
    assert abs(float(r["percent"]) - 100.0 * int(r["count"]) / total) < 1e-5, r
print("top ok")
PY

# JSON: events newest first, the histogram adds up, the work is reported.
"$VIGIL" search --data "$D" --output json --limit 5 'sshd "Failed password"' > "$TMP/ev.json"
python3 - "$TMP/ev.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ev = r["events"]
assert len(ev) == 5 and r["truncated"], r["stats"]
times = [e["_time"] for e in ev]
assert times == sorted(times, reverse=True), times
for e in ev:
    assert "failed password" in e["_raw"].lower() and "sshd" in e["_raw"], e
assert sum(r["histogram"]["counts"]) == r["stats"]["events_matched"], r
assert r["stats"]["events_matched"] > 5 and r["stats"]["blocks_skipped"] >= 0
print("events ok")
PY

# Without earliest=, the histogram spans the searched groups' data only:
# group=vpcflow is not drawn over the years of the shared CloudTrail.
"$VIGIL" search --data "$D" --output json --limit 1 'group=vpcflow action=REJECT' > "$TMP/hist.json"
python3 - "$TMP/hist.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["histogram"]["counts"]
assert h[0] > 0 and h[-1] > 0 and len(h) <= 100, h
print("histogram range ok")
PY

# A CloudWatch JSON pattern (CIS 4.1) against the shared CloudTrail records.
n=$("$VIGIL" search --data "$D" --output csv \
	--cw '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }' \
	'| stats count' | tail -1)
want=$(python3 - "$SHARED/cloudtrail" "$TMP/demo/AWSLogs" <<'PY'
import glob, gzip, json, sys
n = 0
files = glob.glob(sys.argv[1] + "/**/*.json", recursive=True)
files += glob.glob(sys.argv[2] + "/*/CloudTrail/**/*.json.gz", recursive=True)
for f in files:
    d = json.load(gzip.open(f) if f.endswith(".gz") else open(f))
    recs = d.get("Records", d) if isinstance(d, dict) else d
    for r in recs if isinstance(recs, list) else [recs]:
        e = r.get("errorCode") or ""
        n += e.endswith("UnauthorizedOperation") or e.startswith("AccessDenied")
print(n)
PY
)
[ "$n" = "$want" ] || fail "CIS 4.1 count $n, expected $want"

# Table output has a header and aligned rows.
"$VIGIL" search --data "$D" 'group=vpcflow | stats count by action' > "$TMP/t.txt"
head -1 "$TMP/t.txt" | grep -q '^action  *count$' || fail "table header: $(head -1 "$TMP/t.txt")"
[ "$(wc -l < "$TMP/t.txt")" -ge 3 ] || fail "table rows"

# Bad queries: exit 1, the position in the message, nothing else printed.
set +e
"$VIGIL" search --data "$D" 'action=REJECT | stat count' > "$TMP/out" 2> "$TMP/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "bad command exit $rc"
grep -q "unknown command 'stat' at 16; did you mean 'stats'?" "$TMP/err" || fail "message: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "output on error"
set +e
"$VIGIL" search --data "$D" --cw '{ $.a = ' '| stats count' 2> "$TMP/err"; rc=$?
"$VIGIL" search --data "$D" --limit 0 'x' 2>> "$TMP/err"; rc2=$?
"$VIGIL" search --data "$TMP/nonexistent" 'x' 2>> "$TMP/err"; rc3=$?
set -e
[ "$rc" = 1 ] && [ "$rc2" = 1 ] || fail "bad cw / limit exit $rc $rc2"
[ "$rc3" != 0 ] || fail "missing store accepted"

# Searching changed nothing.
"$VIGIL" check --data "$D" --quiet || fail "store does not verify after searches"
echo "search e2e ok"

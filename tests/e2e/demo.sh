#!/usr/bin/env bash
# `vigil demo` output ingested: every record the generator says it wrote is
# stored, in the right group, with no parse errors; digests are skipped;
# the attack is there; two runs with one seed write the same bytes.
set -euo pipefail
: "${VIGIL:?}" "${VIGIL_REL:?}" "${TMP:?}"
fail() { echo "FAIL: $*"; exit 1; }
"$VIGIL_REL" demo --out "$TMP/demo" --days 2 --scale 0.1 --seed 3 --end 2026-03-04T05:00:00Z > "$TMP/demo.out"
"$VIGIL_REL" demo --out "$TMP/demo2" --days 2 --scale 0.1 --seed 3 --end 2026-03-04T05:00:00Z > /dev/null
(cd "$TMP/demo" && find . -type f -exec sha256sum {} + | sort) > "$TMP/h1"
(cd "$TMP/demo2" && find . -type f -exec sha256sum {} + | sort) > "$TMP/h2"
cmp -s "$TMP/h1" "$TMP/h2" || fail "same seed, different bytes"
read -r flows ct items lines < <(sed -nE 's/.*: ([0-9]+) flow records, ([0-9]+) CloudTrail records, ([0-9]+) configuration items, ([0-9]+) syslog lines.*/\1 \2 \3 \4/p' "$TMP/demo.out")
[ -n "$flows" ] || fail "cannot read demo summary: $(cat "$TMP/demo.out")"
"$VIGIL" ingest --data "$TMP/s" --output json "$TMP/demo/AWSLogs" "$TMP/demo/syslog" > "$TMP/i.json"
"$VIGIL" ingest --data "$TMP/s" --output json --format awscli --account 123456789012 "$TMP/demo/awscli" > "$TMP/a.json"
python3 - "$TMP/i.json" "$TMP/a.json" "$flows" "$ct" "$items" "$lines" <<'PY'
import json, sys
i, a = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
flows, ct, items, lines = map(int, sys.argv[3:7])
by = {}
for f in i["files"]:
    by.setdefault(f["format"], 0)
    by[f["format"]] += f["events"]
assert by.get("vpcflow") == flows, (by, flows)
assert by.get("cloudtrail") == ct, (by, ct)
assert by.get("awsconfig") == items, (by, items)
assert by.get("syslog") == lines, (by, lines)
assert i["parse_errors"] == 0 and i["skipped"] == 2, i
assert not any(f["failed"] for f in i["files"])
assert a["events"] >= 4 and a["parse_errors"] == 0 and not any(f["failed"] for f in a["files"]), a
print("demo counts ok", by)
PY
# Seal with the sanitized build: several blocks per segment, so the
# parallel block encoders run under ASan/UBSan/LSan too.
"$VIGIL" ingest --data "$TMP/s" --seal /dev/null > /dev/null
"$VIGIL" check --data "$TMP/s" > /dev/null || fail "check"
"$VIGIL_REL" cat --data "$TMP/s" --group cloudtrail > "$TMP/ct.jsonl"
grep -q 'not authorized to perform' "$TMP/ct.jsonl" || fail "no AccessDenied burst"
grep -q '"eventName":"StopLogging"' "$TMP/ct.jsonl" || fail "no StopLogging"
grep -q '"userIdentity.type":"Root"' "$TMP/ct.jsonl" || fail "no root use"
"$VIGIL_REL" cat --data "$TMP/s" --group vpcflow --from 2026-03-03T00:00:00Z | grep -c '"action":"REJECT"' > "$TMP/rej"
[ "$(cat "$TMP/rej")" -gt 100 ] || fail "too few rejected flows"
"$VIGIL_REL" cat --data "$TMP/s" --group awsconfig > "$TMP/cfg.jsonl"
grep -q '"resourceType":"AWS::::Account"' "$TMP/cfg.jsonl" || fail "no account configuration from awscli"
echo "demo e2e ok"

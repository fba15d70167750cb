#!/usr/bin/env bash
# `vigil ingest` on every file of ../shared/data: exact counts per file, the
# events read back with `vigil cat` with the right values and times, the
# store verifying before and after sealing, bad input refused clearly with
# nothing stored lost.
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}" "${SHARED:?}"
D=$TMP/store
fail() { echo "FAIL: $*"; exit 1; }

"$VIGIL" ingest --data "$D" --output json "$SHARED/vpcflow" "$SHARED/syslog" \
	"$SHARED/cloudtrail" "$SHARED/awsconfig" > "$TMP/ingest.json"
python3 - "$TMP/ingest.json" <<'PY'
import json, sys, os
r = json.load(open(sys.argv[1]))
want = {  # file -> (format, events, parse errors)
    "aws-doc-examples.log": ("vpcflow", 4, 0),
    "aws-doc-examples-v5.log": ("vpcflow", 2, 0),
    "cloudwatch-export.log": ("vpcflow", 1, 0),
    "secure-rhel7.log": ("syslog", 1000, 0),
    "aws.credential-access.ec2-get-password-data.json": ("cloudtrail", 34, 0),
    "aws.credential-access.secretsmanager-retrieve-secrets.json": ("cloudtrail", 21, 0),
    "aws.execution.ssm-start-session.json": ("cloudtrail", 29, 0),
    "aws.initial-access.console-login-without-mfa.json": ("cloudtrail", 1, 0),
    "ec2.malformed.json": ("awsconfig", 1, 1),
    "ec2.deleted-malformed.json": ("awsconfig", 1, 1),
    "ec2.deleted.json": ("awsconfig", 1, 0),
    "subnet.create.json": ("awsconfig", 1, 0),
}
got = {os.path.basename(f["path"]): f for f in r["files"]}
for name, (fmt, ev, pe) in want.items():
    f = got[name]
    assert (f["format"], f["events"], f["parse_errors"]) == (fmt, ev, pe), (name, f)
ct = sum(f["events"] for f in r["files"] if f["format"] == "cloudtrail")
assert ct == 99, ct     # records in the 12 CloudTrail captures (python/jq count)
assert sum(1 for f in r["files"] if f["format"] == "awsconfig") == 13
assert r["events"] == 7 + 1000 + 99 + 13, r["events"]
assert r["parse_errors"] == 2 and r["durable"] == r["events"], r
print("ingest counts ok")
PY

check_values() {
	"$VIGIL" cat --data "$D" > "$TMP/cat.jsonl"
	python3 - "$TMP/cat.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 1119, len(ev)
times = [e["_time"] for e in ev]
assert times == sorted(times), "cat is not in time order"
flow = [e for e in ev if e["_group"] == "vpcflow"]
rej = [e for e in flow if e.get("action") == "REJECT"]
assert len(rej) == 1
r = rej[0]
assert r["dstport"] == 3389 and r["srcaddr"] == "172.31.9.69" and r["bytes"] == 4249, r
assert r["_time"] == "2014-12-14T04:06:50.000Z", r["_time"]
assert r["_raw"] == "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
nodata = [e for e in flow if e.get("log-status") == "NODATA"]
assert len(nodata) == 1 and "srcaddr" not in nodata[0], nodata
v5 = [e for e in flow if e.get("version") == 5]
assert len(v5) == 2 and sorted(e.get("pkt-src-aws-service", "-") for e in v5) == ["-", "S3"]
assert sorted(e["flow-direction"] for e in v5) == ["egress", "ingress"]
cw = [e for e in flow if e["_raw"].startswith("2018-09-22T20:28:14.000Z ")]
assert len(cw) == 1 and cw[0]["dstport"] == 8088 and cw[0]["_time"] == "2018-09-22T20:28:14.000Z", cw
ssh = [e for e in ev if e["_group"] == "syslog"]
assert sum(1 for e in ssh if e.get("result") == "failed") == 428
assert sum(1 for e in ssh if e.get("result") == "accepted") == 3
first = [e for e in ssh if e["_raw"].startswith("Feb 22 16:45:20 slave22 sshd[2738]: Failed password")][0]
assert first["user"] == "root" and first["src_ip"] == "202.109.143.106" and first["src_port"] == 1786
ct = [e for e in ev if e["_group"] == "cloudtrail"]
gp = [e for e in ct if e.get("eventName") == "GetPasswordData"]
assert gp and gp[0]["errorCode"] == "Client.UnauthorizedOperation"
assert "not authorized to perform" in gp[0]["errorMessage"]
assert sum(1 for e in ct if "not authorized to perform" in e["_raw"]) >= 1
login = [e for e in ct if e.get("eventName") == "ConsoleLogin"]
assert login and login[0]["additionalEventData.MFAUsed"] == "No", login
cfg = [e for e in ev if e["_group"] == "awsconfig"]
assert len(cfg) == 13 and sum(1 for e in cfg if "_parse_error" in e) == 2
sub = [e for e in cfg if e.get("resourceType") == "AWS::EC2::Subnet"]
assert sub and sub[0]["configuration.cidrBlock"] == "10.0.0.0/24", sub[0]
print("values ok")
PY
}
check_values
"$VIGIL" check --data "$D" > /dev/null || fail "check before sealing"
# Seal (an empty ingest with --seal) and read everything again from segments.
"$VIGIL" ingest --data "$D" --seal /dev/null > /dev/null
ls "$D"/seg/*.vseg > /dev/null || fail "no segments after sealing"
check_values
"$VIGIL" check --data "$D" > /dev/null || fail "check after sealing"

# A byte flipped anywhere in a sealed segment is detected, and undone it verifies.
seg=$(ls "$D"/seg/*.vseg | head -1)
size=$(stat -c %s "$seg")
for off in 0 9 $((size / 3)) $((size / 2)) $((size - 120)) $((size - 60)) $((size - 1)); do
	python3 -c 'import sys; p,o=sys.argv[1],int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=1; open(p,"wb").write(b)' "$seg" "$off"
	if "$VIGIL" check --data "$D" > "$TMP/check.out" 2>&1; then fail "flip at $off of $seg not detected"; fi
	grep -q FAIL "$TMP/check.out" || fail "check did not say what is wrong"
	python3 -c 'import sys; p,o=sys.argv[1],int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=1; open(p,"wb").write(b)' "$seg" "$off"
done
"$VIGIL" check --data "$D" > /dev/null || fail "check after undoing flips"
# A removed segment breaks the chain.
cp "$seg" "$TMP/saved.vseg"; rm "$seg"
if "$VIGIL" check --data "$D" > /dev/null 2>&1; then fail "a removed segment was not detected"; fi
cp "$TMP/saved.vseg" "$seg"

# Bad input: clear errors, exit 1, and nothing already stored lost.
before=$("$VIGIL" cat --data "$D" | wc -l)
set +e
"$VIGIL" ingest --data "$D" --format nosuch "$SHARED/vpcflow" 2> "$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "unknown format 'nosuch'" "$TMP/err" || fail "unknown format: rc=$rc $(cat "$TMP/err")"
"$VIGIL" ingest --data "$D" "$TMP/does-not-exist" 2> "$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "No such file" "$TMP/err" || fail "missing file: rc=$rc"
printf '{"PasswordPolicy":{"MinimumPasswordLength":8}}\n' > "$TMP/pp.json"
"$VIGIL" ingest --data "$D" --format awscli "$TMP/pp.json" 2> "$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q -- "--account" "$TMP/err" || fail "awscli without account: rc=$rc"
printf 'garbage \x00\x01\x02 line\n{"Records":[{"eventTime":"bad"\n' > "$TMP/junk.log"
"$VIGIL" ingest --data "$D" --format cloudtrail "$TMP/junk.log" > "$TMP/out"; rc=$?
[ $rc -eq 0 ] || fail "junk cloudtrail: rc=$rc"
"$VIGIL" cat --data "$D" --from 2000-01-01 --to bogus 2> "$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "cannot read time 'bogus'" "$TMP/err" || fail "bad time: rc=$rc"
deep=$TMP/deep; d=$deep; for i in $(seq 40); do d=$d/d; done; mkdir -p "$d"
echo 'deep line' > "$d/x.log"; echo 'shallow line' > "$deep/y.log"
"$VIGIL" ingest --data "$D" "$deep" > /dev/null 2> "$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "nested deeper than 32" "$TMP/err" || fail "deep directories: rc=$rc"
set -e
"$VIGIL" cat --data "$D" | grep -q 'shallow line' || fail "a too-deep directory stopped the other inputs"
after=$("$VIGIL" cat --data "$D" | wc -l)
[ "$after" -gt "$before" ] || fail "junk input was not stored as parse errors"
"$VIGIL" cat --data "$D" | grep -c '"_parse_error"' > "$TMP/n"
[ "$(cat "$TMP/n")" -ge 3 ] || fail "parse errors not kept"
"$VIGIL" check --data "$D" > /dev/null || fail "check after bad input"
# A second writer is refused while one holds the store.
mkfifo "$TMP/fifo"
"$VIGIL" ingest --data "$D" "$TMP/fifo" > /dev/null 2>&1 &
holder=$!
exec 3> "$TMP/fifo"
sleep 0.5
set +e
"$VIGIL" ingest --data "$D" "$SHARED/vpcflow" 2> "$TMP/err"; rc=$?
set -e
exec 3>&-
wait $holder || true
[ $rc -eq 1 ] && grep -q "in use by another vigil process" "$TMP/err" || fail "second writer: rc=$rc $(cat "$TMP/err")"
echo "ingest e2e ok"

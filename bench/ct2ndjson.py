#!/usr/bin/env python3
"""CloudTrail {"Records":[...]} files -> NDJSON for ClickHouse's JSONEachRow.

One line per event: the common top-level fields (and userIdentity's) as
columns, plus "raw", the event itself re-serialised compactly. This is the
preparation a ClickHouse 18.16 user needs (it has no JSON functions that
could do it at insert time); its time is NOT counted in ClickHouse's load
time. eventTime becomes 'YYYY-MM-DD hh:mm:ss' (18.16 parses only that);
booleans become 0/1.

usage: ct2ndjson.py OUT.ndjson FILE_OR_DIR...
"""
import json
import os
import sys

TOP = ["eventVersion", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
       "userAgent", "errorCode", "errorMessage", "requestID", "eventID", "eventType",
       "recipientAccountId", "eventCategory", "vpcEndpointId"]
UI = ["type", "principalId", "arn", "accountId", "accessKeyId", "userName"]


def files(args):
    for a in args:
        if os.path.isdir(a):
            for d, _, names in os.walk(a):
                for n in sorted(names):
                    if n.endswith(".json"):
                        yield os.path.join(d, n)
        else:
            yield a


def main():
    out_path, inputs = sys.argv[1], sys.argv[2:]
    n = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for path in sorted(files(inputs)):
            with open(path, "rb") as f:
                doc = json.load(f)
            for r in doc.get("Records", []):
                row = {k: r.get(k) or "" for k in TOP}
                row["eventTime"] = r.get("eventTime", "").replace("T", " ").rstrip("Z")[:19]
                row["readOnly"] = 1 if r.get("readOnly") else 0
                row["managementEvent"] = 1 if r.get("managementEvent") else 0
                row["recipientAccountId"] = int(r.get("recipientAccountId") or 0)
                ui = r.get("userIdentity") or {}
                for k in UI:
                    row["userIdentity_" + k] = ui.get(k) or ""
                row["raw"] = json.dumps(r, separators=(",", ":"), ensure_ascii=False)
                out.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
                out.write("\n")
                n += 1
    print(n)


if __name__ == "__main__":
    main()

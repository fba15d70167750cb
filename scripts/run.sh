#!/usr/bin/env bash
# `make run`: start `vigil server` on http://127.0.0.1:8080 with the embedded
# store in ./data. The first time (an empty store) the demo data set — a
# week of VPC flow logs, CloudTrail, AWS Config history and an auth.log with
# an attack in it — is generated and loaded, and the server prints the admin
# login once. Settings: ./vigil.yml if present; VIGIL_LISTEN overrides the
# address.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=./build/vigil
if [ ! -f data/MANIFEST ]; then
	echo "loading the demo data set into ./data (once)..."
	rm -rf demo
	"$VIGIL" demo --out demo --days 7 >/dev/null
	account=$(sed -n 's/.*--account \([0-9]*\).*/\1/p' demo/README.md | head -1)
	"$VIGIL" ingest --data data --seal demo/AWSLogs demo/syslog | tail -1
	"$VIGIL" ingest --data data --format awscli --account "${account:-123456789012}" demo/awscli | tail -1
fi
listen=${VIGIL_LISTEN:-127.0.0.1:8080}
echo "starting vigil server on http://$listen/ (Ctrl-C stops it)"
echo "  try: curl -H \"Authorization: Bearer \$(./build/vigil token create --role analyst)\" \\"
echo "         'http://$listen/api/v1/search?q=group%3Dvpcflow+action%3DREJECT+%7C+top+10+srcaddr'"
exec "$VIGIL" server --data data --listen "$listen"

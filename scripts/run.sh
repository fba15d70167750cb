#!/usr/bin/env bash
# `make run`: until `vigil server` exists, load the demo data set into the
# embedded store in ./data (once: only when the store is empty) and show what
# is stored.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=./build/vigil
if [ ! -f data/MANIFEST ]; then
	rm -rf demo
	"$VIGIL" demo --out demo --days 7
	account=$(sed -n 's/.*--account \([0-9]*\).*/\1/p' demo/README.md | head -1)
	"$VIGIL" ingest --data data demo/AWSLogs demo/syslog
	"$VIGIL" ingest --data data --format awscli --account "${account:-123456789012}" demo/awscli
fi
"$VIGIL" check --data data | tail -3
echo
echo "The store is in ./data. Try:"
echo "  $VIGIL cat --data data --group cloudtrail | grep 'not authorized to perform' | head"
echo "  $VIGIL cat --data data --group vpcflow --from -1h | head"
echo "  $VIGIL check --data data"

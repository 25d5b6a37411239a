#!/usr/bin/env bash
# Single-node Lumen with its embedded defaults: builds lumenctl, applies the quickstart
# manifests to the SQLite control store in $LUMEN_HOME (default ~/.lumen), and shows the result.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
swift build -c release --product lumenctl >/dev/null
bin=$(swift build -c release --show-bin-path)
"$bin/lumenctl" apply -f manifests/quickstart
echo
"$bin/lumenctl" get all
echo
echo "lumenctl is at $bin/lumenctl; try: $bin/lumenctl describe route auto"

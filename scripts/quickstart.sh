#!/usr/bin/env bash
# Single-node Lumen with its embedded defaults: builds lumenctl, lumen-agent and lumen-engine, then
# runs `lumenctl up`: an agent, simulated replicas and the quickstart manifests, in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
for product in lumenctl lumen-agent lumen-engine; do
  swift build -c release --product "$product" >/dev/null
done
bin=$(swift build -c release --show-bin-path)
exec "$bin/lumenctl" up "$@"

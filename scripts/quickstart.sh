#!/usr/bin/env bash
# Single-node Lumen with its embedded defaults: builds lumenctl, lumen-agent and lumen-engine, then
# runs `lumenctl up`: an agent, simulated replicas, a small model on lumen-engine and the quickstart
# manifests, in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
# lumen-engine's kernels use the host's vector unit where it has AVX2 and FMA.
# shellcheck disable=SC2046 # the flags are words
for product in lumenctl lumen-agent lumen-engine; do
  swift build -c release --product "$product" $(scripts/release-flags.sh) >/dev/null
done
bin=$(swift build -c release --show-bin-path)
exec "$bin/lumenctl" up "$@"

#!/usr/bin/env bash
# Prefix affinity against round robin: three simulated replicas that model a prefix cache (800
# blocks of 16 words each, 50 µs of prefill per uncached prompt token), a workload of 16 shared
# system prompts of 1,500 words, 400 streams from 8 clients; cache hit rate and TTFT p50/p99.
# Usage: Benchmarks/prefix-affinity.sh [streams, default 400]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-400}
source Benchmarks/lib.sh

for choice in round-robin prefix-affinity; do
  # Fresh replicas (empty caches) and a fresh agent for each way of choosing.
  endpoints=()
  for replica in 1 2 3; do
    start_simulator "$choice-$replica" --ttft 2ms --itl 2ms --max-concurrency 64 --prefix-cache 800 --prefill-microseconds 50
    endpoints+=("\"$simulator_url\"")
  done
  start_agent "$choice" --replica-choice "$choice"
  export LUMEN_HOME="$work/home-$choice"
  cat >"$work/$choice.yaml" <<YAML
apiVersion: lumen.ai/v1
kind: Node
metadata: {name: bench}
spec: {address: "http://$agent", adminAddress: "http://$admin"}
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: cached}
spec:
  deployment: {endpoints: [$(IFS=,; echo "${endpoints[*]}")]}
  pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}
  quality: 0.5
  contextWindow: 32768
YAML
  "$bin/lumenctl" apply -f "$work/$choice.yaml" >/dev/null 2>&1
  key=$(create_key bench)
  printf '%-16s ' "$choice:"
  python3 Benchmarks/prefix-affinity.py "$agent" "$key" cached "$count"
done

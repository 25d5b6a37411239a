#!/usr/bin/env bash
# Prefix affinity against round robin: three simulated replicas that model a prefix cache (800
# blocks of 16 words each, 50 µs of prefill per uncached prompt token), a workload of 16 shared
# system prompts of 1,500 words, 400 streams from 8 clients; cache hit rate and TTFT p50/p99.
# Usage: Benchmarks/prefix-affinity.sh [streams, default 400]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-400}
for product in lumenctl lumen-agent lumen-engine; do swift build -c release --product "$product" >/dev/null; done
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export LUMEN_HOME="$work/home" LUMEN_CLUSTER_TOKEN=bench-token NO_COLOR=1
wait_line() { for _ in $(seq 1 100); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }

for choice in round-robin prefix-affinity; do
  # Fresh replicas (empty caches) and a fresh agent for each way of choosing.
  endpoints=()
  for replica in 1 2 3; do
    "$bin/lumen-engine" serve --simulate --port 0 --ttft 2ms --itl 2ms --max-concurrency 64 \
      --prefix-cache 800 --prefill-microseconds 50 >"$work/$choice-$replica.out" 2>&1 &
    pids+=($!)
    wait_line "$work/$choice-$replica.out" 'listening'
    endpoints+=("\"http://$(grep -oE '127.0.0.1:[0-9]+' "$work/$choice-$replica.out" | head -1)/v1\"")
  done
  "$bin/lumen-agent" run --home "$work/agent-$choice" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --probe-interval 0 \
    --replica-choice "$choice" >"$work/agent-$choice.out" 2>/dev/null &
  pids+=($!)
  wait_line "$work/agent-$choice.out" 'admin http'
  agent=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$work/agent-$choice.out" | grep -oE '[0-9.]+:[0-9]+$')
  admin=$(grep -oE 'admin http://127.0.0.1:[0-9]+' "$work/agent-$choice.out" | grep -oE '[0-9.]+:[0-9]+$')
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
  key=$("$bin/lumenctl" keys create bench -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  printf '%-16s ' "$choice:"
  python3 Benchmarks/prefix-affinity.py "$agent" "$key" cached "$count"
done

#!/usr/bin/env bash
# The failover gap: how long a client waits for the next token when the replica streaming its answer
# breaks (connection reset) or stalls, with the answer continued on a second replica.
# Usage: Benchmarks/failover.sh [streams per case, default 200]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
source Benchmarks/lib.sh
simulator() { local name=$1; shift; start_simulator "$name" --ttft 2ms --itl 10ms --max-concurrency 512 "$@"; }
simulator good; good=$address
simulator twin; twin=$address
simulator reset --fail-after 10; reset=$address
simulator stall --stall-after 10; stall=$address
start_agent main

model() { # name endpoint
  cat <<YAML
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: $1}
spec:
  deployment: {endpoints: ["http://$2/v1"]}
  pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}
  quality: 0.5
  contextWindow: 8192
YAML
}
# Each route starts every answer on its faulty model and continues it on the good one.
route() { # name faulty-model
  printf -- '---\napiVersion: lumen.ai/v1\nkind: Route\nmetadata: {name: %s}\nspec: {candidates: [%s, steady], strategy: pinned, failover: {stallTimeout: 200ms}}\n' "$1" "$2"
}
{
  printf 'apiVersion: lumen.ai/v1\nkind: Node\nmetadata: {name: bench}\nspec: {address: "http://%s", adminAddress: "http://%s"}\n' "$agent" "$admin"
  model steady "$good"
  model breaks "$reset"
  model hangs "$stall"
  route resets breaks
  route stalls hangs
  printf -- '---\napiVersion: lumen.ai/v1\nkind: Model\nmetadata: {name: twins}\nspec: {deployment: {endpoints: ["http://%s/v1", "http://%s/v1"]}, pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}, quality: 0.5, contextWindow: 8192}\n' "$good" "$twin"
  printf -- '---\napiVersion: lumen.ai/v1\nkind: Route\nmetadata: {name: hedged}\nspec: {candidates: [twins], strategy: pinned}\n'
} >"$work/lumen.yaml"
"$bin/lumenctl" apply -f "$work/lumen.yaml" >/dev/null 2>&1
key=$(create_key bench)

echo "reset: $(python3 Benchmarks/failover-gap.py "$agent" "$key" lumen/resets 10 "$count")"
echo "stall (stallTimeout 200ms): $(python3 Benchmarks/failover-gap.py "$agent" "$key" lumen/stalls 10 "$count")"
# Hedging's extra load: two healthy replicas, hedging after each one's observed TTFT p95 (the default).
requests() { curl -s "http://$1/metrics" | awk '/^lumen_simulator_requests_total/ {print $2}'; }
before=$(( $(requests "$good") + $(requests "$twin") ))
hedged=$(python3 Benchmarks/failover-gap.py "$agent" "$key" lumen/hedged 1000 "$count")
after=$(( $(requests "$good") + $(requests "$twin") ))
echo "hedging (after the observed TTFT p95): $hedged; upstream requests: $((after - before)) for $count streams"

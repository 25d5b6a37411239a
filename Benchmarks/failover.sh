#!/usr/bin/env bash
# The failover gap: how long a client waits for the next token when the replica streaming its answer
# breaks (connection reset) or stalls, with the answer continued on a second replica.
# Usage: Benchmarks/failover.sh [streams per case, default 200]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
for product in lumenctl lumen-agent lumen-engine; do swift build -c release --product "$product" >/dev/null; done
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export LUMEN_HOME="$work/home" LUMEN_CLUSTER_TOKEN=bench-token NO_COLOR=1
wait_line() { for _ in $(seq 1 100); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }
# Starts a simulator and sets `address` (not in a subshell, so that its pid is kept for the clean-up).
simulator() { # name args...
  local name=$1; shift
  "$bin/lumen-engine" serve --simulate --port 0 --ttft 2ms --itl 10ms --max-concurrency 512 "$@" >"$work/$name.out" 2>&1 &
  pids+=($!)
  wait_line "$work/$name.out" 'listening'
  address=$(grep -oE '127.0.0.1:[0-9]+' "$work/$name.out" | head -1)
}
simulator good; good=$address
simulator twin; twin=$address
simulator reset --fail-after 10; reset=$address
simulator stall --stall-after 10; stall=$address

"$bin/lumen-agent" run --home "$work/agent" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --probe-interval 0 >"$work/agent.out" 2>/dev/null &
pids+=($!)
wait_line "$work/agent.out" 'admin http'
agent=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$work/agent.out" | grep -oE '[0-9.]+:[0-9]+$')
admin=$(grep -oE 'admin http://127.0.0.1:[0-9]+' "$work/agent.out" | grep -oE '[0-9.]+:[0-9]+$')

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
key=$("$bin/lumenctl" keys create bench -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

echo "reset: $(python3 Benchmarks/failover-gap.py "$agent" "$key" lumen/resets 10 "$count")"
echo "stall (stallTimeout 200ms): $(python3 Benchmarks/failover-gap.py "$agent" "$key" lumen/stalls 10 "$count")"
# Hedging's extra load: two healthy replicas, hedging after each one's observed TTFT p95 (the default).
requests() { curl -s "http://$1/metrics" | awk '/^lumen_simulator_requests_total/ {print $2}'; }
before=$(( $(requests "$good") + $(requests "$twin") ))
hedged=$(python3 Benchmarks/failover-gap.py "$agent" "$key" lumen/hedged 1000 "$count")
after=$(( $(requests "$good") + $(requests "$twin") ))
echo "hedging (after the observed TTFT p95): $hedged; upstream requests: $((after - before)) for $count streams"

#!/usr/bin/env bash
# The autoscaler over a compressed diurnal day: a self-hosted model whose simulated replicas take
# 8 s to load, started and scaled by the agent on a node with 8 slots (warm 1, scale to zero after
# 60 s idle), behind a route that spills to a simulated frontier provider when no replica has room.
# Benchmarks/autoscale.py sends open-loop Poisson traffic along a day's curve (night, morning ramp,
# lunch and evening spikes) and samples the agent's replicas every second.
# Usage: Benchmarks/autoscale.sh [seconds per day, default 480 (an hour is 20 s)] [seed, default 1]
# Writes Benchmarks/results/autoscale.json and Benchmarks/results/autoscale.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
day=${1:-480}
seed=${2:-1}
source Benchmarks/lib.sh

start_simulator frontier --ttft 150ms --itl 10ms --max-concurrency 256
frontier=$simulator_url
# As lib.sh's start_agent, but with the agent's log (scaling decisions, replica exits) kept in its output file.
"$bin/lumen-agent" run --home "$work/agent-bench" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --probe-interval 0 \
  --node bench --scale-down-window 20 >"$work/agent-bench.out" 2>&1 &
pids+=($!)
wait_line "$work/agent-bench.out" 'admin http'
agent=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$work/agent-bench.out" | grep -oE '[0-9.]+:[0-9]+$')
admin=$(grep -oE 'admin http://127.0.0.1:[0-9]+' "$work/agent-bench.out" | grep -oE '[0-9.]+:[0-9]+$')
cat >"$work/autoscale.yaml" <<YAML
apiVersion: lumen.ai/v1
kind: Node
metadata: {name: bench}
spec: {address: "http://$agent", adminAddress: "http://$admin", slots: 8}
---
apiVersion: lumen.ai/v1
kind: Provider
metadata: {name: frontier-api}
spec: {baseURL: "$frontier"}
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: frontier}
spec: {provider: frontier-api, pricing: {inputPerMTok: 3, outputPerMTok: 15}, quality: 0.9, contextWindow: 32768}
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: open-8b}
spec:
  deployment:
    engine: sim
    args: ["--ttft", "40ms", "--itl", "10ms", "--load-time", "8s"]
    replicas: {min: 0, max: 8, warm: 1}
    targetInFlight: 2
    scaleToZeroAfter: 60s
  pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}
  quality: 0.6
  contextWindow: 8192
---
apiVersion: lumen.ai/v1
kind: Route
metadata: {name: chat}
spec: {candidates: [open-8b, frontier], qualityBar: 0.3}
YAML
if ! "$bin/lumenctl" apply -f "$work/autoscale.yaml" >"$work/apply.out" 2>&1; then
  echo "lumenctl apply failed:" >&2; cat "$work/apply.out" >&2; exit 1
fi
key=$(create_key bench)
[ -n "$key" ] || { echo "could not create an API key with lumenctl keys create" >&2; exit 1; }
status=0
python3 Benchmarks/autoscale.py --agent "http://$agent" --admin "http://$admin" --key "$key" --day "$day" --seed "$seed" \
  --json Benchmarks/results/autoscale.json --svg Benchmarks/results/autoscale.svg || status=$?
# LUMEN_BENCH_KEEP_LOG=FILE keeps the agent's log, which the clean-up would remove.
if [ -n "${LUMEN_BENCH_KEEP_LOG:-}" ]; then cp "$work/agent-bench.out" "$LUMEN_BENCH_KEEP_LOG"; fi
if [ "$status" -ne 0 ]; then
  echo "autoscale.py failed ($status); the agent's last output lines ($work/agent-bench.out):" >&2
  tail -n 40 "$work/agent-bench.out" >&2
  exit "$status"
fi
echo "Results: Benchmarks/results/autoscale.json, Benchmarks/results/autoscale.svg"

#!/usr/bin/env bash
# What the durable ledger costs: req/s at concurrency 32 (non-streaming, and streaming) through two
# builds of lumen-agent in front of the same instant simulator, alternated A/B so that the shared
# machine's drift falls on both alike.
# Usage: Benchmarks/ledger.sh BEFORE_BIN_DIR AFTER_BIN_DIR [seconds per run, default 10] [rounds, default 3]
#   BIN_DIR: a release bin folder (e.g. swift build -c release --scratch-path /work/.build-before --show-bin-path)
#   holding lumen-agent; lumenctl and lumen-engine are taken from AFTER_BIN_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
before=$1 after=$2 seconds=${3:-10} rounds=${4:-3}
bin=$after
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export LUMEN_HOME="$work/home" LUMEN_CLUSTER_TOKEN=bench-token NO_COLOR=1
wait_line() { for _ in $(seq 1 100); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }

"$bin/lumen-engine" serve --simulate --port 0 --ttft 0ms --itl 0ms --max-concurrency 512 >"$work/sim.out" 2>&1 &
pids+=($!)
wait_line "$work/sim.out" 'listening'
sim=$(grep -oE '127.0.0.1:[0-9]+' "$work/sim.out" | head -1)

start_agent() { # name bin-dir: sets $agent and $admin
  "$2/lumen-agent" run --home "$work/agent-$1" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --probe-interval 0 \
    >"$work/agent-$1.out" 2>/dev/null &
  pids+=($!)
  wait_line "$work/agent-$1.out" 'admin http'
  agent=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$work/agent-$1.out" | grep -oE '[0-9.]+:[0-9]+$')
  admin=$(grep -oE 'admin http://127.0.0.1:[0-9]+' "$work/agent-$1.out" | grep -oE '[0-9.]+:[0-9]+$')
}
start_agent before "$before"; before_agent=$agent before_admin=$admin
start_agent after "$after"; after_agent=$agent after_admin=$admin

cat >"$work/lumen.yaml" <<YAML
apiVersion: lumen.ai/v1
kind: Node
metadata: {name: before}
spec: {address: "http://$before_agent", adminAddress: "http://$before_admin"}
---
apiVersion: lumen.ai/v1
kind: Node
metadata: {name: after}
spec: {address: "http://$after_agent", adminAddress: "http://$after_admin"}
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: instant}
spec:
  deployment: {endpoints: ["http://$sim/v1"]}
  pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}
  quality: 0.5
  contextWindow: 8192
YAML
"$bin/lumenctl" apply -f "$work/lumen.yaml" >/dev/null 2>&1
key=$("$bin/lumenctl" keys create bench -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

rps() { # address mode -> req/s
  local extra=()
  [ "$2" = plain ] && extra+=(--no-stream)
  "$bin/lumenctl" bench --endpoint "http://$1/v1" --key "$key" -m instant --concurrency 32 --duration "${seconds}s" "${extra[@]}" -o json 2>/dev/null \
    | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["requestsPerSecond"])'
}
declare -A sums
for mode in plain stream; do
  for round in $(seq 1 "$rounds"); do
    for target in before after; do
      address=${target}_agent
      value=$(rps "${!address}" "$mode")
      echo "$mode round $round $target: $value req/s"
      sums[$target-$mode]=$(( ${sums[$target-$mode]:-0} + value ))
    done
  done
done
echo
echo "| agent | req/s c=32 non-streaming (mean of $rounds) | req/s c=32 streaming (mean of $rounds) |"
echo "|---|---|---|"
for target in before after; do
  echo "| $target | $(( ${sums[$target-plain]} / rounds )) | $(( ${sums[$target-stream]} / rounds )) |"
done
for mode in plain stream; do
  python3 -c "b=${sums[before-$mode]}; a=${sums[after-$mode]}; print('$mode: after/before = %.3f (%+.1f%%)' % (a/b, (a-b)/b*100))"
done

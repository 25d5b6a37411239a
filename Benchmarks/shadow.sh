#!/usr/bin/env bash
# The primary's latency with shadowing off and on: a pinned route on a simulated replica (20 ms to
# the first token, 2 ms a token, 32 tokens), loaded by `lumenctl bench` with 8 streams in flight;
# phases alternate off, on (every request mirrored to a candidate on its own simulator), off, on.
# Usage: Benchmarks/shadow.sh [seconds per phase, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
source Benchmarks/lib.sh

start_simulator primary --ttft 20ms --itl 2ms --max-concurrency 64
primary=$simulator_url
start_simulator candidate --ttft 20ms --itl 2ms --max-concurrency 64
candidate=$simulator_url
start_agent shadow
cat >"$work/base.yaml" <<YAML
apiVersion: lumen.ai/v1
kind: Node
metadata: {name: bench}
spec: {address: "http://$agent", adminAddress: "http://$admin"}
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: incumbent}
spec: {deployment: {endpoints: ["$primary"]}, pricing: {inputPerMTok: 1, outputPerMTok: 2}, quality: 0.8, contextWindow: 8192}
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: challenger}
spec: {deployment: {endpoints: ["$candidate"]}, pricing: {inputPerMTok: 0.5, outputPerMTok: 1}, quality: 0.8, contextWindow: 8192}
---
apiVersion: lumen.ai/v1
kind: Route
metadata: {name: auto}
spec: {candidates: [incumbent], strategy: pinned}
YAML
"$bin/lumenctl" apply -f "$work/base.yaml" >/dev/null 2>&1
key=$(create_key bench)
phase=0
printf '%-6s %9s %9s %9s %9s %8s %7s\n' shadow "TTFT p50" "TTFT p99" "e2e p50" "e2e p99" "req/s" pairs
for mode in off on off on; do
  phase=$((phase + 1))
  if [ "$mode" = on ]; then
    cat >"$work/shadow-$phase.yaml" <<YAML
apiVersion: lumen.ai/v1
kind: ShadowTest
metadata: {name: bench-$phase}
spec: {route: auto, candidate: challenger, sampleRate: 1}
YAML
    "$bin/lumenctl" apply -f "$work/shadow-$phase.yaml" >/dev/null 2>&1
  fi
  "$bin/lumenctl" bench --endpoint "http://$agent/v1" --key "$key" --model lumen/auto --concurrency 8 --duration "${seconds}s" \
    --max-tokens 32 -o json >"$work/bench-$phase.json"
  pairs=0
  if [ "$mode" = on ]; then
    sleep 1
    pairs=$("$bin/lumenctl" shadow list -o json | python3 -c "import json,sys; print(sum(t['pairs'] for t in json.load(sys.stdin) if t['name']=='bench-$phase'))")
    "$bin/lumenctl" shadow stop "bench-$phase" >/dev/null 2>&1
  fi
  python3 - "$work/bench-$phase.json" "$mode" "$pairs" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
ttft, e2e = report["TTFT ms"], report["end-to-end ms"]
print(f'{sys.argv[2]:<6} {ttft["p50"]:8.1f}ms {ttft["p99"]:8.1f}ms {e2e["p50"]:8.1f}ms {e2e["p99"]:8.1f}ms {report["requestsPerSecond"]:8.1f} {sys.argv[3]:>7}')
PY
done

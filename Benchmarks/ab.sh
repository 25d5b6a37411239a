#!/usr/bin/env bash
# Two builds of lumen-agent in front of the same instant simulator, alternated A/B round by round so
# that the shared machine's drift falls on both alike: latency at concurrency 1 (with the simulator
# called directly in the same round, for the latency each agent adds) and req/s at concurrency 32,
# non-streaming and streaming.
# Usage: Benchmarks/ab.sh BEFORE_BIN_DIR [AFTER_BIN_DIR] [seconds per run, default 10] [rounds, default 3]
#   BIN_DIR: a release bin folder holding lumen-agent (e.g. a worktree of the old revision built with
#   swift build -c release --scratch-path /work/.build-before; its bin is /work/.build-before/release).
#   AFTER defaults to this tree's release build; lumenctl and lumen-engine are always this build's.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
before=$1 after=${2:-$bin} seconds=${3:-10} rounds=${4:-3}

start_simulator instant --ttft 0ms --itl 0ms --max-concurrency 512
sim=$address
agent_bin=$before start_agent before; before_agent=$agent before_admin=$admin
agent_bin=$after start_agent after; after_agent=$agent after_admin=$admin

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
  deployment: {endpoints: ["$simulator_url"]}
  pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}
  quality: 0.5
  contextWindow: 8192
YAML
"$bin/lumenctl" apply -f "$work/lumen.yaml" >/dev/null 2>&1
key=$(create_key bench)

# measure ADDRESS MODE CONCURRENCY: one lumenctl bench run; prints "req/s p50-ms p99-ms".
measure() {
  local extra=()
  [ "$2" = plain ] && extra+=(--no-stream)
  "$bin/lumenctl" bench --endpoint "http://$1/v1" --key "$key" -m instant --concurrency "$3" --duration "${seconds}s" "${extra[@]}" -o json 2>/dev/null \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.0f %.3f %.3f" % (d["requestsPerSecond"], d["end-to-end ms"]["p50"], d["end-to-end ms"]["p99"]))'
}
results=$work/results
for round in $(seq 1 "$rounds"); do
  read -r _ p50 p99 < <(measure "$sim" plain 1)
  echo "direct c1 $p50 $p99" >>"$results"
  for target in before after; do
    address=${target}_agent
    read -r _ p50 p99 < <(measure "${!address}" plain 1)
    echo "$target c1 $p50 $p99" >>"$results"
    for mode in plain stream; do
      read -r rps _ _ < <(measure "${!address}" "$mode" 32)
      echo "$target $mode $rps" >>"$results"
    done
    echo "round $round $target: $(grep "^$target " "$results" | tail -3 | tr '\n' ';')" >&2
  done
done
python3 - "$results" "$rounds" <<'PY'
import sys, statistics
rows = [line.split() for line in open(sys.argv[1])]
def values(target, kind, column): return [float(r[column]) for r in rows if r[0] == target and r[1] == kind]
direct50 = statistics.median(values("direct", "c1", 2))
print("| agent | e2e p50 ms c=1 (median of %s) | added p50 ms | e2e p99 ms c=1 | req/s c=32 non-streaming (mean) | req/s c=32 streaming (mean) |" % sys.argv[2])
print("|---|---|---|---|---|---|")
means = {}
for target in ("before", "after"):
    p50 = statistics.median(values(target, "c1", 2)); p99 = statistics.median(values(target, "c1", 3))
    plain = statistics.mean(values(target, "plain", 2)); stream = statistics.mean(values(target, "stream", 2))
    means[target] = (plain, stream)
    print("| %s | %.3f | +%.3f | %.3f | %.0f | %.0f |" % (target, p50, p50 - direct50, p99, plain, stream))
print("\ndirect (the simulator alone) e2e p50 c=1: %.3f ms (median)" % direct50)
for index, mode in enumerate(("non-streaming", "streaming")):
    b, a = means["before"][index], means["after"][index]
    print("%s c=32: after/before = %.3f (%+.1f%%)" % (mode, a / b, (a - b) / b * 100))
PY

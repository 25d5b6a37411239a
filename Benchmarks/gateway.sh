#!/usr/bin/env bash
# The agent in front of an instant upstream (the simulator with no delays), against that upstream
# called directly and against nginx as a plain reverse proxy, all in one run on this machine.
# Usage: Benchmarks/gateway.sh [seconds per measurement, default 10]
#   AGENT_BIN=DIR runs the lumen-agent in DIR instead, configured by the lumenctl beside it (another build,
#   for a before/after on one machine); the simulator, nginx and the load generator stay this build's.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}

command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
for product in lumenctl lumen-agent lumen-engine; do swift build -c release --product "$product" >/dev/null; done
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export LUMEN_HOME="$work/home" LUMEN_CLUSTER_TOKEN=bench-cluster-token-0123456789abcdef NO_COLOR=1

wait_line() { for _ in $(seq 1 100); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }

"$bin/lumen-engine" serve --simulate --port 0 --ttft 0ms --itl 0ms --max-concurrency 512 >"$work/sim.out" 2>&1 &
pids+=($!)
wait_line "$work/sim.out" 'listening'
sim=$(grep -oE '127.0.0.1:[0-9]+' "$work/sim.out" | head -1)
# A paced upstream (a token every 100 ms) for the open-streams measurement.
"$bin/lumen-engine" serve --simulate --port 0 --ttft 0ms --itl 100ms --max-concurrency 4096 >"$work/paced.out" 2>&1 &
pids+=($!)
wait_line "$work/paced.out" 'listening'
paced=$(grep -oE '127.0.0.1:[0-9]+' "$work/paced.out" | head -1)

"${AGENT_BIN:-$bin}/lumen-agent" run --home "$work/agent" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 >"$work/agent.out" 2>"$work/agent.err" &
agent_pid=$!
pids+=($agent_pid)
wait_line "$work/agent.out" 'admin http'
agent=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$work/agent.out" | grep -oE '[0-9.]+:[0-9]+$')
admin=$(grep -oE 'admin http://127.0.0.1:[0-9]+' "$work/agent.out" | grep -oE '[0-9.]+:[0-9]+$')

cat >"$work/lumen.yaml" <<YAML
apiVersion: lumen.ai/v1
kind: Node
metadata: {name: bench}
spec: {address: "http://$agent", adminAddress: "http://$admin"}
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: instant}
spec:
  deployment: {endpoints: ["http://$sim/v1"]}
  pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}
  quality: 0.5
  contextWindow: 8192
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {name: paced}
spec:
  deployment: {endpoints: ["http://$paced/v1"]}
  pricing: {inputPerMTok: 0.1, outputPerMTok: 0.2}
  quality: 0.5
  contextWindow: 8192
YAML
control="${AGENT_BIN:-$bin}/lumenctl"
"$control" apply -f "$work/lumen.yaml" >/dev/null 2>&1
key=$("$control" keys create bench -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

nginx_port=$((20000 + RANDOM % 10000))
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  upstream sim { server $sim; keepalive 256; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
CONF
nginx -c "$work/nginx.conf"

rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$agent_pid/status"; }
idle_rss=$(rss)

bench() { # name url mode concurrency
  local extra=()
  [ "$3" = plain ] && extra+=(--no-stream)
  "$bin/lumenctl" bench --endpoint "$2" --key "$key" -m instant --concurrency "$4" --duration "${seconds}s" "${extra[@]}" -o json >"$work/$1.json" 2>/dev/null
}
field() { python3 -c "import json,sys; d=json.load(open('$work/$1.json')); v=d$2; print('%.3f' % v if v is not None else '-')"; }

for target in direct nginx agent; do
  case $target in
    direct) url="http://$sim/v1" ;;
    nginx) url="http://127.0.0.1:$nginx_port/v1" ;;
    agent) url="http://$agent/v1" ;;
  esac
  bench "$target-c1" "$url" plain 1
  bench "$target-c32" "$url" plain 32
  bench "$target-stream" "$url" stream 1
done
loaded_rss=$(rss)
open_streams=$(python3 Benchmarks/open-streams.py "$agent" "$key" paced "$agent_pid" 1000)
# Requests that did not complete, by outcome and status, from the agent's log lines.
outcomes=$(grep -oE 'outcome=[a-z_]+ .*status=[0-9]+' "$work/agent.err" | grep -v 'outcome=completed' | grep -oE 'outcome=[a-z_]+|status=[0-9]+' | paste -d' ' - - | sort | uniq -c | tr '\n' ';' || true)

echo "| target | e2e p50 ms (c=1) | e2e p99 ms (c=1) | req/s (c=32) | TTFT p50 ms (stream) | inter-token p50 ms |"
echo "|---|---|---|---|---|---|"
for target in direct nginx agent; do
  echo "| $target | $(field $target-c1 '["end-to-end ms"]["p50"]') | $(field $target-c1 '["end-to-end ms"]["p99"]') | $(field $target-c32 '["requestsPerSecond"]') | $(field $target-stream '["TTFT ms"]["p50"]') | $(field $target-stream '["inter-token ms"]["p50"]') |"
done
echo
echo "agent RSS: ${idle_rss} MiB idle, ${loaded_rss} MiB after the runs"
echo "1,000 open streams: $open_streams"
echo "requests that did not complete: ${outcomes:-none}"

# Shared set-up for the benchmark scripts: a release build, a scratch folder cleaned up on exit,
# simulators and agents started on free loopback ports. Source it from a script's folder root.
for product in lumenctl lumen-agent lumen-engine; do swift build -c release --product "$product" >/dev/null; done
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export LUMEN_HOME="$work/home" LUMEN_CLUSTER_TOKEN=bench-cluster-token-0123456789abcdef NO_COLOR=1

# wait_line FILE REGEX: waits up to 10 s for a line matching REGEX in FILE.
wait_line() { for _ in $(seq 1 100); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }

# start_simulator NAME ARGS...: starts a simulator; sets $address (host:port) and $simulator_url.
# Not to be called in a subshell: its pid must reach the clean-up.
start_simulator() {
  local name=$1; shift
  "$bin/lumen-engine" serve --simulate --port 0 "$@" >"$work/$name.out" 2>&1 &
  pids+=($!)
  wait_line "$work/$name.out" 'listening'
  address=$(grep -oE '127.0.0.1:[0-9]+' "$work/$name.out" | head -1)
  simulator_url="http://$address/v1"
}

# start_agent NAME ARGS...: starts an agent (the lumen-agent in $agent_bin, default this build's); sets
# $agent and $admin (host:port).
start_agent() {
  local name=$1; shift
  "${agent_bin:-$bin}/lumen-agent" run --home "$work/agent-$name" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --probe-interval 0 "$@" \
    >"$work/agent-$name.out" 2>/dev/null &
  pids+=($!)
  wait_line "$work/agent-$name.out" 'admin http'
  agent=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$work/agent-$name.out" | grep -oE '[0-9.]+:[0-9]+$')
  admin=$(grep -oE 'admin http://127.0.0.1:[0-9]+' "$work/agent-$name.out" | grep -oE '[0-9.]+:[0-9]+$')
}

# create_key NAME: prints a new API key's secret.
create_key() { "$bin/lumenctl" keys create "$1" -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'; }

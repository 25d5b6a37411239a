#!/usr/bin/env bash
# lumen-engine against llama.cpp on models `lumen-engine tiny-model` writes (seeded random weights,
# the same file for both engines): prefill and single-stream decode tokens/s per weight type, and,
# for lumen-engine alone, 8 streams against 1, a prefix cache's TTFT cold and warm, and speculative
# decoding (prompt lookup on a repetitive prompt; a one-layer draft of the same seed) against none.
# One server runs at a time, with --threads as llama.cpp's, so the two never share the cores.
# llama.cpp comes from the virtual environment scripts/llama-reference.sh builds; without it the
# llama.cpp columns are left empty, with a note. Serve flags this lumen-engine lacks (--threads,
# --prompt-lookup, --draft-model) are left out the same way.
# Usage: Benchmarks/engine.sh
# Settings (environment): LLAMA_REFERENCE_VENV (default /work/llamaref, else .build/llama-reference),
#   LUMEN_BENCH_THREADS (nproc), LUMEN_BENCH_EMBEDDING (512), LUMEN_BENCH_LAYERS (8),
#   LUMEN_BENCH_TYPES ("q8_0 f32"; the first also runs the lumen-only tests), LUMEN_BENCH_SEED (1),
#   LUMEN_BENCH_PROMPT_TOKENS (256), LUMEN_BENCH_DECODE_TOKENS (128), LUMEN_BENCH_STREAMS (8),
#   LUMEN_BENCH_PREFIX_TOKENS (1000; capped to fit the model's context), LUMEN_BENCH_PREFIX_RUNS (5),
#   LUMEN_BENCH_CONTEXT (2048, when tiny-model takes --context), LUMEN_BENCH_REPEATS (3).
# Writes Benchmarks/results/engine.json and prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${LUMEN_BENCH_THREADS:-$(nproc)}
embedding=${LUMEN_BENCH_EMBEDDING:-512}
layers=${LUMEN_BENCH_LAYERS:-8}
read -r -a types <<<"${LUMEN_BENCH_TYPES:-q8_0 f32}"
seed=${LUMEN_BENCH_SEED:-1}
prompt_tokens=${LUMEN_BENCH_PROMPT_TOKENS:-256}
decode_tokens=${LUMEN_BENCH_DECODE_TOKENS:-128}
streams=${LUMEN_BENCH_STREAMS:-8}
prefix_tokens=${LUMEN_BENCH_PREFIX_TOKENS:-1000}
prefix_runs=${LUMEN_BENCH_PREFIX_RUNS:-5}
repeats=${LUMEN_BENCH_REPEATS:-3}
# Batching, the prefix cache and speculation are measured on a larger model, whose weights do not
# fit in cache (as a real model's do not): its later blocks are quiet, so the one-layer model of the
# same seed drafts for it well.
large_embedding=${LUMEN_BENCH_LARGE_EMBEDDING:-1536}
large_layers=${LUMEN_BENCH_LARGE_LAYERS:-6}
large_type=${LUMEN_BENCH_LARGE_TYPE:-f32}
# Head sizes as real models have them (64 and 128), not tiny-model's default 16.
heads=${LUMEN_BENCH_HEADS:-8}
large_heads=${LUMEN_BENCH_LARGE_HEADS:-12}
later_layer_scale=${LUMEN_BENCH_LATER_LAYER_SCALE:-0.002}
venv=${LLAMA_REFERENCE_VENV:-/work/llamaref}
[ -n "${LLAMA_REFERENCE_VENV:-}" ] || [ -x "$venv/bin/python" ] || venv=.build/llama-reference

echo "Building lumen-engine (release)..." >&2
# shellcheck disable=SC2046 # the flags are words
swift build -c release --product lumen-engine $(scripts/release-flags.sh) >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
notes="$work/notes.txt"
: >"$notes"
note() { echo "note: $*" >&2; echo "$*" >>"$notes"; }

# The serve flags this build has: the speculative and thread flags are newer than the server.
serve_help=$("$bin/lumen-engine" serve --help 2>&1)
has_flag() { grep -q -- "$1[ ,]" <<<"$serve_help"; }
thread_flags=()
if has_flag --threads; then thread_flags=(--threads "$threads"); else note "this lumen-engine has no serve --threads; it ran with its own default"; fi

# Models. The draft has one layer and the large model's seed, so it is that model's first block
# (tiny-model seeds each tensor by its name).
context=512
context_flags=()
if "$bin/lumen-engine" tiny-model --help 2>&1 | grep -q -- '--context'; then
  context=${LUMEN_BENCH_CONTEXT:-2048}
  context_flags=(--context "$context")
fi
for type in "${types[@]}"; do
  "$bin/lumen-engine" tiny-model --output "$work/model-$type.gguf" --type "$type" --embedding "$embedding" --layers "$layers" --heads "$heads" \
    --seed "$seed" "${context_flags[@]}" >/dev/null
done
main=large
"$bin/lumen-engine" tiny-model --output "$work/model-large.gguf" --type "$large_type" --embedding "$large_embedding" --layers "$large_layers" --heads "$large_heads" \
  --later-layer-scale "$later_layer_scale" --seed "$seed" "${context_flags[@]}" >/dev/null
"$bin/lumen-engine" tiny-model --output "$work/draft-large.gguf" --type "$large_type" --embedding "$large_embedding" --layers 1 --heads "$large_heads" \
  --seed "$seed" "${context_flags[@]}" >/dev/null
# The prefix test's prompt: the shared prefix, a 16-word suffix, BOS and a token generated must fit.
if [ $((prefix_tokens + 24)) -gt "$context" ]; then
  note "prefix shortened from $prefix_tokens to $((context - 24)) words: the models' context is $context tokens"
  prefix_tokens=$((context - 24))
fi

# Busy cores (other builds, other benchmarks) slow both engines unevenly: llama.cpp's threads wait
# for each other at every matrix, so one preempted thread stalls the step.
load_at_start=$(cut -d' ' -f1 /proc/loadavg)
if awk -v load="$load_at_start" -v cores="$(nproc)" 'BEGIN { exit !(load > cores / 2) }'; then
  note "the machine was busy at the start (load average $load_at_start on $(nproc) cores): figures are lower and noisier than on a quiet one"
fi

# llama.cpp, one model at a time.
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import llama_cpp' 2>/dev/null; then
  for type in "${types[@]}" large; do
    echo "llama.cpp: $type..." >&2
    "$venv/bin/python" Benchmarks/engine_llama_cpp.py "$work/model-$type.gguf" --threads "$threads" --prompt-tokens "$prompt_tokens" \
      --decode-tokens "$decode_tokens" --repeats "$repeats" --seed "$seed" >"$work/llama-$type.json"
  done
else
  note "no llama.cpp: $venv has no python with llama_cpp; build it with LLAMA_REFERENCE_VENV=$venv scripts/llama-reference.sh"
fi

# start_server NAME ARGS...: starts lumen-engine serve on a free port; sets $url. Not in a subshell.
start_server() {
  local name=$1; shift
  "$bin/lumen-engine" serve --host 127.0.0.1 --port 0 --model-name bench "${thread_flags[@]}" "$@" >"$work/$name.out" 2>&1 &
  pids+=($!)
  local pid=$!
  for _ in $(seq 1 600); do
    grep -qE 'on http://127.0.0.1:[0-9]+' "$work/$name.out" 2>/dev/null && break
    if ! kill -0 "$pid" 2>/dev/null; then echo "lumen-engine serve ($name) exited:" >&2; cat "$work/$name.out" >&2; exit 1; fi
    sleep 0.1
  done
  url=$(grep -oE 'http://127.0.0.1:[0-9]+' "$work/$name.out" | head -1)
  [ -n "$url" ] || { echo "lumen-engine serve ($name) did not start in 60 s:" >&2; cat "$work/$name.out" >&2; exit 1; }
}
stop_server() { kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; }
client() { python3 Benchmarks/engine_client.py "$@" --url "$url" --model bench --seed "$seed"; }

for type in "${types[@]}" large; do
  echo "lumen-engine: $type prefill and decode..." >&2
  start_server "lumen-$type" --model "$work/model-$type.gguf"
  client prefill --prompt-tokens "$prompt_tokens" --repeats "$repeats" >"$work/lumen-$type-prefill.json"
  client decode --decode-tokens "$decode_tokens" --repeats "$repeats" >"$work/lumen-$type-decode.json"
  if [ "$type" = "$main" ]; then
    echo "lumen-engine: $type 1 and $streams streams, prefix cache, decode without speculation..." >&2
    client concurrency --streams 1 "$streams" --decode-tokens "$decode_tokens" >"$work/concurrency.json"
    client prefix --prefix-tokens "$prefix_tokens" --runs "$prefix_runs" >"$work/prefix.json"
    client speculative --prompt repetitive --decode-prompt-tokens 128 --decode-tokens "$decode_tokens" --repeats "$repeats" \
      >"$work/plain-repetitive.json"
    client speculative --prompt plain --decode-tokens "$decode_tokens" --repeats "$repeats" >"$work/plain-plain.json"
  fi
  stop_server
done

if has_flag --prompt-lookup; then
  echo "lumen-engine: $main with --prompt-lookup..." >&2
  start_server lookup --model "$work/model-$main.gguf" --prompt-lookup
  client speculative --prompt repetitive --decode-prompt-tokens 128 --decode-tokens "$decode_tokens" --repeats "$repeats" \
    >"$work/lookup-repetitive.json"
  stop_server
else
  note "this lumen-engine has no serve --prompt-lookup: prompt lookup not measured"
fi
if has_flag --draft-model; then
  echo "lumen-engine: $main with a one-layer --draft-model..." >&2
  start_server draft --model "$work/model-$main.gguf" --draft-model "$work/draft-$main.gguf"
  client speculative --prompt plain --decode-tokens "$decode_tokens" --repeats "$repeats" >"$work/draft-plain.json"
  stop_server
else
  note "this lumen-engine has no serve --draft-model: draft-model speculation not measured"
fi

mkdir -p Benchmarks/results
cat >"$work/settings.json" <<JSON
{"threads": $threads, "embedding": $embedding, "layers": $layers, "heads": $heads, "seed": $seed, "context": $context,
 "large": {"embedding": $large_embedding, "layers": $large_layers, "heads": $large_heads, "type": "$large_type", "later_layer_scale": $later_layer_scale},
 "prompt_tokens": $prompt_tokens, "decode_tokens": $decode_tokens, "streams": $streams, "prefix_words": $prefix_tokens,
 "prefix_runs": $prefix_runs, "repeats": $repeats, "load_average_at_start": $load_at_start, "types": [$(printf '"%s",' "${types[@]}" | sed 's/,$//')]}
JSON
python3 Benchmarks/engine_report.py "$work" Benchmarks/results/engine.json
echo "Results: Benchmarks/results/engine.json" >&2

#!/usr/bin/env bash
# Whole-process times of `lumenctl apply` (1,000 routes and 200 models in one file, into a new
# store) and `lumenctl get routes -o json` on that store, release build, with hyperfine.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
swift build -c release --product lumenctl >/dev/null
swift build -c release --product lumenctl-bench >/dev/null
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/lumenctl-bench" 1000 200 >"$work/large.yaml"
echo "manifest file: $(wc -c <"$work/large.yaml") bytes, $(grep -c '^kind:' "$work/large.yaml") documents"

hyperfine --warmup 2 --runs 20 --export-markdown "$work/apply.md" \
  --prepare "rm -rf $work/home" \
  "$bin/lumenctl apply -f $work/large.yaml --home $work/home"
"$bin/lumenctl" apply -f "$work/large.yaml" --home "$work/home" | tail -1
hyperfine --warmup 3 --runs 30 --export-markdown "$work/get.md" \
  "$bin/lumenctl get routes -o json --home $work/home"
hyperfine --warmup 3 --runs 30 "$bin/lumenctl --version"
cat "$work/apply.md" "$work/get.md"

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
# The same set with every route's price ceiling changed: 1,000 objects change in the second revision.
sed 's/maxCostPerRequest: 0.1$/maxCostPerRequest: 0.2/' "$work/large.yaml" >"$work/changed.yaml"
echo "manifest file: $(wc -c <"$work/large.yaml") bytes, $(grep -c '^kind:' "$work/large.yaml") documents"

hyperfine --warmup 2 --runs 20 --export-markdown "$work/apply.md" \
  --prepare "rm -rf $work/home" \
  "$bin/lumenctl apply -f $work/large.yaml --home $work/home"
hyperfine --warmup 1 --runs 10 --export-markdown "$work/reapply.md" \
  --prepare "rm -rf $work/home2 && $bin/lumenctl apply -f $work/large.yaml --home $work/home2 >/dev/null" \
  "$bin/lumenctl apply -f $work/changed.yaml --home $work/home2"
"$bin/lumenctl" apply -f "$work/changed.yaml" --home "$work/home2" | tail -1
"$bin/lumenctl" apply -f "$work/large.yaml" --home "$work/home" | tail -1
hyperfine --warmup 3 --runs 30 --export-markdown "$work/get.md" \
  "$bin/lumenctl get routes -o json --home $work/home"
hyperfine --warmup 3 --runs 30 "$bin/lumenctl --version"
cat "$work/apply.md" "$work/reapply.md" "$work/get.md"

#!/usr/bin/env bash
# The router on a labelled set: the scorer's AUC, and for the example `auto` route (manifests/)
# the cost saved against always using its strongest model and the share of hard prompts sent to a
# model that clears them. Standard weights on the whole set, then weights fitted with
# `lumenctl scorer fit` on one half and measured on the other (two folds), so no figure is
# measured on the prompts it was fitted to.
# Usage: Benchmarks/routing.sh [labeled.jsonl]
set -euo pipefail
cd "$(dirname "$0")/.."
set=${1:-Benchmarks/routing/labeled.jsonl}
swift build --product lumenctl >/dev/null 2>&1
lumenctl="$(swift build --show-bin-path)/lumenctl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk 'NR % 2 == 1' "$set" >"$work/a.jsonl"
awk 'NR % 2 == 0' "$set" >"$work/b.jsonl"

export LUMEN_HOME="$work/home" NO_COLOR=1
"$lumenctl" apply -f manifests/ >/dev/null 2>&1
echo "== standard weights, whole set"
"$lumenctl" scorer evaluate -f "$set" --route auto

for fold in "a b" "b a"; do
  set -- $fold
  export LUMEN_HOME="$work/home-$1"
  "$lumenctl" apply -f manifests/ >/dev/null 2>&1
  "$lumenctl" scorer fit -f "$work/$1.jsonl" --route auto --recall 0.98 >"$work/route-$1.yaml" 2>/dev/null
  "$lumenctl" apply -f "$work/route-$1.yaml" >/dev/null 2>&1
  echo "== fitted on half $1 ($(wc -l <"$work/$1.jsonl") prompts), measured on half $2"
  "$lumenctl" scorer evaluate -f "$work/$2.jsonl" --route auto
done

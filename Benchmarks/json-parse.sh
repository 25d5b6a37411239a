#!/usr/bin/env bash
# Lumen's JSON parser against Foundation's JSONSerialization on chat bodies, optionally also the
# parser of an earlier revision: Benchmarks/json-parse.sh [ITERATIONS] [GIT_REVISION]
# The parser's files are compiled on their own with -O (they need nothing but the standard library).
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-2000} revision=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=(JSONValue.swift JSONValue+Parsing.swift JSONValue+Serialization.swift JSONValue+Access.swift)
build() { # NAME FILES...: a binary of the harness and those parser files
  local name=$1; shift
  swiftc -O -module-name JSONBench Benchmarks/json-parse/main.swift "$@" -o "$work/$name"
}
build current "${files[@]/#/Sources/LumenAPI/JSON/}"
echo "current tree:"
"$work/current" "$iterations"
if [ -n "$revision" ]; then
  mkdir -p "$work/old"
  for file in "${files[@]}"; do git show "$revision:Sources/LumenAPI/JSON/$file" >"$work/old/$file"; done
  build previous "${files[@]/#/$work/old/}"
  echo "$revision:"
  "$work/previous" "$iterations"
fi

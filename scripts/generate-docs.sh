#!/usr/bin/env bash
# Regenerates completions/ and man/ from lumenctl's own command definitions.
# With --check, fails when the committed files are stale (CI runs it that way).
set -euo pipefail
cd "$(dirname "$0")/.."

# A fixed date keeps the pages reproducible; bump it when the commands change.
manual_date=2026-11-29

swift build --product lumenctl >/dev/null
swift build --product generate-manual >/dev/null
bin=$(swift build --show-bin-path)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/completions" "$out/man"
for shell in bash zsh fish; do
  "$bin/lumenctl" --generate-completion-script "$shell" >"$out/completions/lumenctl.$shell"
done
"$bin/generate-manual" "$bin/lumenctl" --multi-page --date "$manual_date" --output-directory "$out/man" >/dev/null

if [ "${1:-}" = "--check" ]; then
  if ! diff -ru completions "$out/completions" >/dev/null || ! diff -ru man "$out/man" >/dev/null; then
    diff -ru completions "$out/completions" | head -40 || true
    diff -ru man "$out/man" | head -40 || true
    echo "error: completions/ or man/ are stale; run scripts/generate-docs.sh and commit the result" >&2
    exit 1
  fi
  echo "completions/ and man/ are current."
else
  rm -rf completions man
  cp -r "$out/completions" "$out/man" .
  echo "Wrote completions/ and man/."
fi

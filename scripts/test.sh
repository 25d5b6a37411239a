#!/usr/bin/env bash
# The whole test run: install what is missing, build, check generated files and the shipped
# manifests, then run every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
swift build --build-tests
# libFuzzer runs of the JSON, SSE, manifest and GGUF readers (Fuzz/), a bounded time each.
scripts/fuzz.sh "${LUMEN_FUZZ_SECONDS:-30}"
scripts/generate-docs.sh --check
bin=$(swift build --show-bin-path)
"$bin/lumenctl" validate -f manifests/ --home "$(mktemp -d)"
"$bin/lumenctl" validate -f manifests/quickstart --home "$(mktemp -d)"
# One suite at a time: the end-to-end suites load the machine with hundreds of streams, and each
# should measure its own processes, not its neighbours'.
swift test --skip-build --no-parallel
python3 -m pytest Tests/conformance -q

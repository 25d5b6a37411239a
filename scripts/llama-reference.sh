#!/usr/bin/env bash
# Compares lumen-engine with llama.cpp on models the project writes (SentencePiece and byte-level BPE
# vocabularies): each prompt's tokens and the
# top-1 token at every step of greedy decoding. llama.cpp comes from PyPI's llama-cpp-python, built
# from source into a virtual environment here (about 10 minutes on 2 cores; not needed by CI).
# Usage: scripts/llama-reference.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${LLAMA_REFERENCE_VENV:-.build/llama-reference}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import llama_cpp' 2>/dev/null || "$venv/bin/pip" install --quiet llama-cpp-python
swift build --product lumen-engine >/dev/null
exec "$venv/bin/python" scripts/llama_reference.py "$(swift build --show-bin-path)/lumen-engine" "${1:-24}"

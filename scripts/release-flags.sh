#!/usr/bin/env bash
# Compiler flags for a release lumen-engine built for this machine's own vector unit, as llama.cpp
# builds for its host: on x86-64 with AVX2 and FMA, code for this very CPU with fused multiply-adds.
# Elsewhere nothing: the portable build runs anywhere. Usage: swift build -c release $(scripts/release-flags.sh)
if [ "$(uname -m)" = x86_64 ] && grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then
  echo "-Xswiftc -target-cpu -Xswiftc native -Xswiftc -DLUMEN_FUSED_SIMD"
fi

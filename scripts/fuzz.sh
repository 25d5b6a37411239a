#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (with AddressSanitizer) and runs each for a bounded time.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     targets: json sse manifest gguf (default: all)
#   scripts/fuzz.sh --build-only
#
# The parsers' sources are compiled straight with swiftc into .build-fuzz/ (not through SwiftPM, so
# only they and Yams are instrumented, and the main .build is left alone). Yams comes from the checkout
# `swift build` made. Exits non-zero on any crash, timeout, leak or out-of-memory, naming the input
# that reproduces it (run `.build-fuzz/fuzz-<target> <file>` to see it again). New inputs the
# fuzzer finds interesting go to .build-fuzz/corpus/<target>; the seeds in Fuzz/<Target>/corpus stay
# as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
build_only=false
targets=()
for argument in "$@"; do
    case "$argument" in
        --build-only) build_only=true ;;
        json|sse|manifest|gguf) targets+=("$argument") ;;
        ''|*[!0-9]*) echo "fuzz.sh: unknown argument '$argument' (give seconds per target, and targets among json sse manifest gguf)" >&2; exit 2 ;;
        *) seconds=$argument ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(json sse manifest gguf)

out=.build-fuzz
mods=$out/modules
mkdir -p "$mods" "$out/objects"
sanitize=(-sanitize=fuzzer,address)
swift_flags=(-parse-as-library -O -g -wmo "${sanitize[@]}" -I "$mods")
lumen_flags=(-swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility
             -enable-upcoming-feature InternalImportsByDefault)

# Rebuilds $1 only when one of the other files is newer (or it is missing).
stale() {
    local product=$1; shift
    [ -e "$product" ] || return 0
    for input in "$@" "$0"; do [ "$input" -nt "$product" ] && return 0; done
    return 1
}

# A module and one object file from Swift sources: library <name> <extra flags...> -- <files...>
# (an object, not an archive, so the link step sees which system libraries it needs)
library() {
    local name=$1; shift
    local flags=()
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    local product=$out/objects/$name.o
    if stale "$product" "$@"; then
        echo "fuzz.sh: compiling $name ($# files)"
        swiftc "${swift_flags[@]}" "${flags[@]}" -module-name "$name" -emit-module -emit-module-path "$mods/$name.swiftmodule" \
            -emit-object -o "$product" "$@"
    fi
}

# The parts of LumenAPI that need no NIO: the JSON values and parser, the SSE parser, the error type.
mapfile -t api_sources < <(grep -rL --include='*.swift' -E '^(public |internal |@_exported )?import (NIO|Hummingbird|HTTPTypes)' Sources/LumenAPI | sort)
library LumenAPI "${lumen_flags[@]}" -- "${api_sources[@]}"

needs_manifest=false
for target in "${targets[@]}"; do [ "$target" = manifest ] && needs_manifest=true; done
if $needs_manifest; then
    yams=.build/checkouts/Yams
    [ -d "$yams/Sources" ] || swift package resolve >/dev/null
    cyaml_objects=()
    for source in "$yams"/Sources/CYaml/src/*.c; do
        object=$out/objects/cyaml-$(basename "$source" .c).o
        if stale "$object" "$source"; then
            clang -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -I "$yams/Sources/CYaml/include" -c "$source" -o "$object"
        fi
        cyaml_objects+=("$object")
    done
    library Yams -D SWIFT_PACKAGE -Xcc -DYAML_DECLARE_STATIC -I "$yams/Sources/CYaml/include" -- "$yams"/Sources/Yams/*.swift
    mapfile -t manifest_sources < <(find Sources/LumenManifest -name '*.swift' | sort)
    library LumenManifest "${lumen_flags[@]}" -I "$yams/Sources/CYaml/include" -- "${manifest_sources[@]}"
fi
# The GGUF reader alone (the rest of LumenEngine needs Hummingbird).
library LumenEngine "${lumen_flags[@]}" -- Sources/LumenEngine/GGUF/GGUFFile.swift Sources/LumenEngine/GGUF/GGUFValue.swift \
    Sources/LumenEngine/GGUF/TensorType.swift

for target in "${targets[@]}"; do
    case "$target" in
        json) folder=Fuzz/JSON; links=(LumenAPI) ;;
        sse) folder=Fuzz/SSE; links=(LumenAPI) ;;
        manifest) folder=Fuzz/Manifest; links=(LumenManifest Yams LumenAPI) ;;
        gguf) folder=Fuzz/GGUF; links=(LumenEngine) ;;
    esac
    binary=$out/fuzz-$target
    objects=()
    for name in "${links[@]}"; do objects+=("$out/objects/$name.o"); done
    extra=()
    [ "$target" = manifest ] && extra=("${cyaml_objects[@]}" -I "$yams/Sources/CYaml/include")
    if stale "$binary" "$folder"/*.swift "${objects[@]}"; then
        echo "fuzz.sh: linking $binary"
        swiftc "${swift_flags[@]}" "${lumen_flags[@]}" -use-ld=lld "$folder"/*.swift "${objects[@]}" "${extra[@]}" -o "$binary"
    fi
done
$build_only && exit 0

# Leaks are checked after every input; a stack trace names Swift functions with the toolchain's symbolizer.
# The Swift runtime's own backtracer would wait on a crashed fuzzer (ASan already prints the stack).
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}
failed=()
for target in "${targets[@]}"; do
    case "$target" in
        json) folder=Fuzz/JSON ;; sse) folder=Fuzz/SSE ;; manifest) folder=Fuzz/Manifest ;; gguf) folder=Fuzz/GGUF ;;
    esac
    corpus=$out/corpus/$target
    artifacts=$out/artifacts/$target/
    mkdir -p "$corpus" "$artifacts"
    log=$out/fuzz-$target.log
    echo "fuzz.sh: fuzzing $target for ${seconds}s (log: $log)"
    dictionary=()
    for file in "$folder"/*.dict; do [ -e "$file" ] && dictionary=(-dict="$file"); done
    status=0
    "$out/fuzz-$target" "$corpus" "$folder/corpus" "${dictionary[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -max_len=16384 -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
    stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | awk '{printf "%s ", $0}')
    echo "fuzz.sh: $target: exit $status; ${stats:-no stats}; corpus $(find "$corpus" -type f | wc -l) files"
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        reproducer=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')
        echo "fuzz.sh: $target FAILED; reproduce with: $out/fuzz-$target ${reproducer:-<see $log>}" >&2
        failed+=("$target")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: failures in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: no crash, timeout or leak in ${targets[*]}"

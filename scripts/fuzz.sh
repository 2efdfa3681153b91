#!/usr/bin/env bash
# libFuzzer harnesses of every parser and of the size-taking C entry points (docs/reliability.md).
#   scripts/fuzz.sh [seconds] [harness...]   fuzz each harness for `seconds` (default 60), one at a
#                                            time; 0 only replays the seeds and the regressions
#   scripts/fuzz.sh --seeds                  regenerate the checked-in seed corpora
# Harnesses: Tests/fuzz/fuzz_<name>.c (through the C ABI) and fuzz_<name>.swift (readers of
# StasisCore the C ABI does not reach, compiled in from their sources, instrumented).
# The C harnesses link against an instrumented libstasis.so (ASan + SanitizerCoverage on the
# Swift and C++ code; Debian's libfaiss.a is not instrumented) built with command-line flags into
# STASIS_FUZZ_BUILD (default ~/.cache/stasis/fuzz-build, outside the tree: it exports more than
# stasis_* and needs the Swift runtime). The replay (0 seconds) uses the release build/lib instead;
# STASIS_FUZZ_LIB=<dir> forces a library directory. Work corpora, crashes and logs: build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
out=build/fuzz
mkdir -p "$out/bin"
seconds="${1:-60}"
if [ -n "${STASIS_FUZZ_LIB:-}" ]; then
    lib="$STASIS_FUZZ_LIB"
elif [ "$seconds" = 0 ] || [ "$seconds" = --seeds ]; then
    lib="$PWD/build/lib"
else
    # Coverage feedback needs the library instrumented; -Xswiftc/-Xcc flags, no unsafeFlags.
    scratch="${STASIS_FUZZ_BUILD:-${HOME:-/tmp}/.cache/stasis/fuzz-build}"
    cov=inline-8bit-counters,pc-table,trace-cmp
    echo "building the instrumented libstasis.so in $scratch (minutes the first time)"
    swift build -c release --scratch-path "$scratch" --product stasis \
        -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
        -Xcc -fsanitize=address -Xcc -fsanitize-coverage=$cov -Xcxx -fsanitize=address -Xcxx -fsanitize-coverage=$cov \
        -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld >"$out/instrumented-build.log" 2>&1 ||
        { tail -20 "$out/instrumented-build.log"; exit 1; }
    lib="$scratch/release"
fi
cc_fuzz=(clang -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined
         -fno-sanitize-recover=undefined -D_GNU_SOURCE -Iinclude -ITests/fuzz)
swift_readers=(Sources/StasisCore/Formats/{Npy,Vecs,FileIO,AtomicFile}.swift Sources/StasisCore/Support/StasisError.swift)

if [ "${1:-}" = "--seeds" ]; then
    clang -std=c11 -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -ITests/fuzz Tests/fuzz/gen_corpus.c -L"$lib" -Wl,-rpath,"$lib" -lstasis \
        -o "$out/bin/gen_corpus"
    rm -rf Tests/fuzz/corpus
    "$out/bin/gen_corpus" Tests/fuzz/corpus
    exit 0
fi

shift || true
all=()
for f in Tests/fuzz/fuzz_*.c Tests/fuzz/fuzz_*.swift; do n=${f##*/fuzz_}; all+=("${n%.*}"); done
harnesses=("${@:-${all[@]}}")

bins="$out/bin/$([ "$lib" = "$PWD/build/lib" ] && echo release || echo instrumented)"
mkdir -p "$bins"
build() {  # name -> binary path; rebuilt when a source is newer
    local name=$1 bin="$bins/fuzz_$1"
    if [ -f "Tests/fuzz/fuzz_$name.swift" ]; then
        if [ ! -x "$bin" ] || [ -n "$(find Tests/fuzz "${swift_readers[@]}" -newer "$bin" -name '*.swift' | head -1)" ]; then
            swiftc -O -parse-as-library -sanitize=fuzzer,address -use-ld=lld -module-name "StasisFuzz_$name" \
                "${swift_readers[@]}" Tests/fuzz/FuzzSupport.swift "Tests/fuzz/fuzz_$name.swift" -o "$bin"
        fi
    else
        "${cc_fuzz[@]}" -fuse-ld=lld "Tests/fuzz/fuzz_$name.c" -L"$lib" -Wl,-rpath,"$lib" \
            -Wl,-rpath,/opt/swift/usr/lib/swift/linux -lstasis -o "$bin"
    fi
    echo "$bin"
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
# Per run: the replay in `make test` may run while a long run fuzzes in the background.
export TMPDIR="$PWD/$out/tmp/$$"
mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT
status=0
printf '%-20s %10s %8s %8s %8s %s\n' harness executions seconds cov ft result
for name in "${harnesses[@]}"; do
    bin=$(build "$name")
    seeds="Tests/fuzz/corpus/$name"
    regress="Tests/fuzz/regressions/$name"
    work="$out/corpus/$name" crashes="$out/crashes/$name" log="$out/$name.log"
    # The replay (make test) may run while a long run of the same harness writes its log.
    [ "$seconds" = 0 ] && mkdir -p "$out/replay" && log="$out/replay/$name.log"
    mkdir -p "$work" "$crashes" "$seeds"
    dirs=("$seeds")
    [ -d "$regress" ] && dirs+=("$regress")
    if [ "$seconds" = 0 ]; then
        args=(-runs=0 "${dirs[@]}")
    else
        args=(-max_total_time="$seconds" -print_final_stats=1 "$work" "${dirs[@]}")
    fi
    start=$(date +%s)
    if "$bin" -timeout=20 -rss_limit_mb=2048 -artifact_prefix="$crashes/" "${args[@]}" >"$log" 2>&1; then
        result=ok
    else
        result="FAILED (log: $log; inputs: $crashes/)"
        status=1
    fi
    rm -rf "${TMPDIR:?}"/stasis-fuzz-*
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
    printf '%-20s %10s %8s %8s %8s %s\n' "$name" "${execs:-?}" "$(( $(date +%s) - start ))" "${cov:-?}" "${ft:-?}" "$result"
done
exit $status

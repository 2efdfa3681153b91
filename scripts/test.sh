#!/usr/bin/env bash
# The whole test suite: Swift (StasisCore), C ABI, Python binding, CLI, examples, install, exports.
# Expects `scripts/build.sh` to have run (`make test` does both).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PYTHONPATH="$PWD/bindings/python"

step() { printf '\n== %s ==\n' "$*"; }

step "exports and runtime dependencies of libstasis.so"
Tests/abi/check_library.sh build/lib/libstasis.so include/stasis.h

step "Swift tests (StasisCore)"
# Debug products build outside the repository: a debug libstasis.so there would carry the Swift
# runtime and Swift symbols, and tools looking for "the" libstasis.so in the tree could find it.
# Swift Testing runs suites in parallel in one process, so tests that switch a process-wide setting
# (PortableKernelTests flips every search onto the portable kernels) run in a process of their
# own: elsewhere a search before and after a flip may legitimately differ in the last bit and, for
# HNSW, in the walk. On failure the failing tests and their messages are printed, not just a count.
swift_tests() {
    local log="$work/swift-test-$1.log"; shift
    if ! swift test --scratch-path "${STASIS_TEST_BUILD:-${HOME:-/tmp}/.cache/stasis/swift-test}" "$@" >"$log" 2>&1; then
        grep -E "✘|recorded an issue|error:" "$log" | head -n 60
        return 1
    fi
    tail -n 1 "$log"
}
swift_tests parallel --skip PortableKernelTests
swift_tests process-wide --filter PortableKernelTests

step "C ABI tests"
# Every C file in Tests/c is part of the one test binary (test_abi.c holds main).
cc -std=c11 -Wall -Wextra -Werror -O1 -Iinclude Tests/c/*.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" \
    -lstasis -lpthread -lm -o "$work/test_abi"
"$work/test_abi" "$work" 2> >(grep -v '^WARNING clustering' >&2)

step "fuzz harnesses: seed corpora and past crash inputs replayed (docs/reliability.md)"
scripts/fuzz.sh 0

step "Python tests"
# Ray runs in its own pytest process: its raylet is forked while other tests' gRPC clients
# (pymilvus) may hold threads in the same process, which made the local node's start time out once.
python3 -m pytest -q Tests/python --ignore=Tests/python/test_ray.py
python3 -m pytest -q Tests/python/test_ray.py

step "CLI tests"
Tests/cli/test_cli.sh build/bin/stasis "$work"

step "install, pkg-config and the examples"
scripts/install.sh "$work/prefix" >/dev/null
# The installed CLI finds the installed demo corpus from any folder (no checkout needed).
(cd "$work" && "$work/prefix/bin/stasis" demo --quick --per-class 10 --epochs 1 --skip-legacy --quiet --output "$work/demo-installed")
test -s "$work/demo-installed/demo.json"
echo "installed stasis demo finds its data: ok"
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" cc -std=c11 -Wall -Werror examples/c/quickstart.c \
    $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs stasis) -o "$work/quickstart"
(cd "$work" && ./quickstart >/dev/null && echo "C quick start (pkg-config build): ok")
python3 examples/python/quickstart.py >/dev/null; echo "Python quick start: ok"
python3 examples/python/spaces_and_encoders.py >/dev/null; echo "Python spaces and encoders example: ok"
# The tutorials (docs/tutorials/) on the built-in corpus, C built like the quick start; one command
# per line so a failing run stops the suite (Tests/python/test_tutorials.py compares their numbers).
for story in stationary legacy; do
    cc -std=c11 -Wall -Wextra -Werror examples/c/tutorial_$story.c \
        $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs stasis) -o "$work/tutorial_$story"
    "$work/tutorial_$story" examples/data/wordnet "$work/tutorial-c-$story" >/dev/null
    python3 examples/python/tutorial_$story.py examples/data/wordnet "$work/tutorial-py-$story" >/dev/null
    echo "tutorial $story in C and in Python: ok"
done
python3 -m pip install -q --no-deps --target "$work/site" bindings/python 2>/dev/null
(cd "$work" && PYTHONPATH="$work/site" STASIS_LIBRARY="$work/prefix/lib/libstasis.so" \
    python3 -c "import stasis; assert stasis.__file__.startswith('$work/site'); print('pip-installed binding:', stasis.version())")

step "C++ wrapper (include/stasis.hpp): tests as C++17 and C++20, quick start against the install"
# c++ (g++) when present, else the toolchain's clang++: building Stasis already needs libstdc++.
cxx="${CXX:-$(command -v c++ || command -v g++ || command -v clang++)}"
for std in c++17 c++20; do
    "$cxx" -std=$std -Wall -Wextra -Wpedantic -Werror -O1 -Iinclude Tests/cpp/test_hpp.cpp -Lbuild/lib \
        -Wl,-rpath,"$PWD/build/lib" -lstasis -o "$work/test_hpp_$std"
    "$work/test_hpp_$std" "$work"
done
"$cxx" -std=c++17 -Wall -Werror examples/cpp/quickstart.cpp \
    $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs stasis) -o "$work/quickstart_cpp"
(cd "$work" && ./quickstart_cpp >/dev/null && echo "C++ quick start (pkg-config build, installed stasis.hpp): ok")

printf '\nall tests passed\n'

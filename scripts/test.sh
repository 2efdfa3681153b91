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
swift test --scratch-path "${STASIS_TEST_BUILD:-${HOME:-/tmp}/.cache/stasis/swift-test}" 2>&1 | tail -n 3

step "C ABI tests"
cc -std=c11 -Wall -Wextra -Werror -O1 -Iinclude Tests/c/test_abi.c Tests/c/test_spaces.c Tests/c/test_train.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" \
    -lstasis -lpthread -lm -o "$work/test_abi"
"$work/test_abi" "$work" 2> >(grep -v '^WARNING clustering' >&2)

step "Python tests"
python3 -m pytest -q Tests/python

step "CLI tests"
Tests/cli/test_cli.sh build/bin/stasis "$work"

step "install, pkg-config and the examples"
scripts/install.sh "$work/prefix" >/dev/null
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" cc -std=c11 -Wall -Werror examples/c/quickstart.c \
    $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs stasis) -o "$work/quickstart"
(cd "$work" && ./quickstart >/dev/null && echo "C quick start (pkg-config build): ok")
python3 examples/python/quickstart.py >/dev/null && echo "Python quick start: ok"
python3 examples/python/spaces_and_encoders.py >/dev/null && echo "Python spaces and encoders example: ok"
python3 -m pip install -q --no-deps --target "$work/site" bindings/python 2>/dev/null
(cd "$work" && PYTHONPATH="$work/site" STASIS_LIBRARY="$work/prefix/lib/libstasis.so" \
    python3 -c "import stasis; assert stasis.__file__.startswith('$work/site'); print('pip-installed binding:', stasis.version())")

printf '\nall tests passed\n'

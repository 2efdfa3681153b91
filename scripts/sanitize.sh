#!/usr/bin/env bash
# The C test driver (Tests/c/*.c), the C++ wrapper tests and the C / C++ examples built with
# AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer, run against the release
# build/lib/libstasis.so. The callers are instrumented; the library is not, but ASan's malloc
# interposition still catches the library's heap errors on caller buffers, double frees and
# leaks of anything allocated through malloc (strings returned to the caller included).
# Any report fails the run (halt_on_error). docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1 -fuse-ld=lld)
link=(-Iinclude -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lstasis)
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/Tests/sanitize/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

echo "== C ABI tests under ASan + LSan + UBSan =="
clang -std=c11 -Wall -Wextra -Werror "${san[@]}" Tests/c/*.c "${link[@]}" -lpthread -lm -o "$work/test_abi"
"$work/test_abi" "$work" 2> >(grep -v '^WARNING clustering' >&2)

echo "== C++ wrapper tests under ASan + LSan + UBSan =="
clang++ -std=c++17 -Wall -Wextra -Werror "${san[@]}" Tests/cpp/test_hpp.cpp "${link[@]}" -o "$work/test_hpp"
"$work/test_hpp" "$work"

echo "== examples under ASan + LSan + UBSan =="
# No -Werror for the examples: clang warns where gcc (the documented compiler) does not.
clang -std=c11 "${san[@]}" examples/c/quickstart.c "${link[@]}" -o "$work/quickstart"
(cd "$work" && ./quickstart >/dev/null && echo "C quick start: clean")
clang++ -std=c++17 "${san[@]}" examples/cpp/quickstart.cpp "${link[@]}" -o "$work/quickstart_cpp"
(cd "$work" && ./quickstart_cpp >/dev/null && echo "C++ quick start: clean")
echo "sanitizers: clean"

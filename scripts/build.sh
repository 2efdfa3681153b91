#!/usr/bin/env bash
# Builds the release artefacts into build/: lib/libstasis.so, bin/stasis, include/stasis.h(pp).
#  - static Swift stdlib: the .so loads on machines without the Swift toolchain;
#  - lld + a version script: the .so exports exactly the stasis_* functions (gold leaves
#    cross-module Swift symbols in the dynamic symbol table);
#  - -z defs: a missing system library is a link error, not a load-time surprise.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

common=(-c release -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)
swift build "${common[@]}" --product stasis \
    -Xswiftc -static-stdlib \
    -Xlinker --version-script="$PWD/scripts/exports.map" -Xlinker -z -Xlinker defs
swift build "${common[@]}" --product stasis-cli -Xswiftc -static-stdlib

bin=$(swift build "${common[@]}" --show-bin-path)
mkdir -p build/lib build/bin build/include
cp "$bin/libstasis.so" build/lib/libstasis.so
cp "$bin/stasis-cli" build/bin/stasis
cp include/stasis.h include/stasis.hpp build/include/
echo "stasis: built build/lib/libstasis.so and build/bin/stasis"

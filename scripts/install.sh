#!/usr/bin/env bash
# Installs build/ into PREFIX: include/stasis.h and stasis.hpp, lib/libstasis.so, bin/stasis, lib/pkgconfig/stasis.pc,
# and the demo's built-in corpus in share/stasis/demo/wordnet (where an installed `stasis demo` finds it).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:?usage: scripts/install.sh PREFIX}"
prefix="$(mkdir -p "$prefix" && cd "$prefix" && pwd)"
version=$(sed -n 's/^#define STASIS_VERSION "\(.*\)"/\1/p' include/stasis.h)
install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/bin"
install -m 644 build/include/stasis.h "$prefix/include/stasis.h"
install -m 644 build/include/stasis.hpp "$prefix/include/stasis.hpp"
install -m 755 build/lib/libstasis.so "$prefix/lib/libstasis.so"
install -m 755 build/bin/stasis "$prefix/bin/stasis"
install -d "$prefix/share/stasis/demo/wordnet"
for f in texts.txt classes.txt labels.npy wordllama.npy minilm.npy MANIFEST.txt LICENSE-WordNet.txt; do
    install -m 644 "examples/data/wordnet/$f" "$prefix/share/stasis/demo/wordnet/$f"
done
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" scripts/stasis.pc.in > "$prefix/lib/pkgconfig/stasis.pc"
echo "stasis: installed into $prefix (add $prefix/lib/pkgconfig to PKG_CONFIG_PATH if it is not a system prefix)"

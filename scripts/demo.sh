#!/usr/bin/env bash
# The main job: the model-upgrade demo on the built-in WordNet data (docs/demo.md), then the C,
# C++ and Python quick starts against the freshly built library.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Debian's OpenBLAS runs its slow generic kernels on CPUs it does not recognise by model (common
# on VMs); name the kernel family from the instruction-set flags, as the Python binding does
# (docs/benchmarks.md, "Adapter apply cost"). A value the caller set, or STASIS_OPENBLAS_AUTO=0,
# wins. The demo runs about 3x faster with it on such machines.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ "${STASIS_OPENBLAS_AUTO:-1}" != 0 ] && [ -r /proc/cpuinfo ]; then
    flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
    has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
    if has avx512f avx512cd avx512bw avx512dq avx512vl; then export OPENBLAS_CORETYPE=SkylakeX
    elif has avx2 fma; then export OPENBLAS_CORETYPE=Haswell
    fi
fi

echo "== stasis demo (report in ./stasis-demo/demo.html) =="
build/bin/stasis demo --output stasis-demo
echo
echo "== C quick start =="
cc -std=c11 -O2 -Iinclude examples/c/quickstart.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lstasis -o "$work/quickstart"
"$work/quickstart" "$work/quickstart.stasis"
echo "== stasis inspect =="
build/bin/stasis inspect "$work/quickstart.stasis"
echo "== Python quick start =="
PYTHONPATH=bindings/python python3 examples/python/quickstart.py
echo "== Spaces and encoders (Python) =="
PYTHONPATH=bindings/python python3 examples/python/spaces_and_encoders.py

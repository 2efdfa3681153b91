#!/usr/bin/env bash
# The main job: the model-upgrade demo on the built-in WordNet data (docs/demo.md), then the C,
# C++ and Python quick starts against the freshly built library.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

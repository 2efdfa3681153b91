#!/usr/bin/env bash
# Opt-in long runs of the robustness tests (`make soak`); the default suite runs short versions.
#   STASIS_FUZZ_EDITS   crafted payload edits per index type (default here 5000; suite: 100)
#   STASIS_CRASH_TRIALS writer processes SIGKILLed during WAL appends, saves, checkpoints and
#                       compactions, half on Flat, half on HNSW (default here 200; suite: 12)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/bindings/python"
export STASIS_FUZZ_EDITS="${STASIS_FUZZ_EDITS:-5000}"
export STASIS_CRASH_TRIALS="${STASIS_CRASH_TRIALS:-200}"
echo "== crafted index payloads: $STASIS_FUZZ_EDITS edits per index type =="
python3 -m pytest -q Tests/python/test_hardening.py -k crafted
echo "== crash-kill: $STASIS_CRASH_TRIALS writers killed with SIGKILL, every acknowledged change checked =="
python3 -m pytest -q -s Tests/python/test_crash_kill.py -k sigkill

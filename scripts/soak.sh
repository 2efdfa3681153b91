#!/usr/bin/env bash
# Opt-in long runs of the robustness tests (`make soak`); the default suite runs short versions.
#   STASIS_FUZZ_EDITS   crafted payload edits per index type (default here 5000; suite: 100)
#   STASIS_CRASH_TRIALS writer processes SIGKILLed during WAL appends, saves, checkpoints and
#                       compactions, half on Flat, half on HNSW (default here 200; suite: 12),
#                       and half that many on a mixed gallery (test_gallery_crash_kill.py)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/bindings/python"
export STASIS_FUZZ_EDITS="${STASIS_FUZZ_EDITS:-5000}"
export STASIS_CRASH_TRIALS="${STASIS_CRASH_TRIALS:-200}"
echo "== crafted index payloads: $STASIS_FUZZ_EDITS edits per index type =="
python3 -m pytest -q Tests/python/test_hardening.py -k crafted
echo "== crash-kill: $STASIS_CRASH_TRIALS writers killed with SIGKILL, every acknowledged change checked =="
python3 -m pytest -q -s Tests/python/test_crash_kill.py Tests/python/test_gallery_crash_kill.py -k sigkill

# Concurrency soak (Tests/c/test_concurrency.c, Tests/python/test_concurrency.py): readers search
# while one writer adds, upserts, removes and saves; the suite runs 2 s with 4 readers.
export STASIS_SOAK_SECONDS="${STASIS_SOAK_SECONDS:-60}" STASIS_SOAK_THREADS="${STASIS_SOAK_THREADS:-8}"
echo "== concurrency soak: $STASIS_SOAK_THREADS readers x $STASIS_SOAK_SECONDS s per index type, C ABI then Python =="
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -std=c11 -Wall -Wextra -Werror -O1 -Iinclude Tests/c/*.c -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" \
    -lstasis -lpthread -lm -o "$work/test_abi"
"$work/test_abi" --soak "$work"
python3 -m pytest -q -s Tests/python/test_concurrency.py

# Sanitizers over the C tests and examples, then every fuzz harness for STASIS_FUZZ_SECONDS each.
echo "== sanitizers =="
scripts/sanitize.sh
echo "== fuzzing: ${STASIS_FUZZ_SECONDS:-600} s per harness =="
scripts/fuzz.sh "${STASIS_FUZZ_SECONDS:-600}"

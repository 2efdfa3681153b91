"""Crash-kill test of the write-ahead log: a writer process (crash_writer.py) adds, upserts,
removes, checkpoints, saves and compacts with a write-ahead log attached and is killed with
SIGKILL at a random point; after each kill this process opens the index with its log and checks
that every acknowledged operation is there (ids and versions exactly, vectors by searching them),
that the one operation in flight is either wholly there or wholly absent, and that nothing is
corrupt. The next writer continues from the recovered files, so recovery itself is exercised
again and again. STASIS_CRASH_TRIALS sets the number of kills (suite: 12; `make soak`: 200).
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import stasis

sys.path.insert(0, os.path.dirname(__file__))
from crash_writer import DIM, vector  # noqa: E402

WRITER = os.path.join(os.path.dirname(__file__), "crash_writer.py")
TRIALS = int(os.environ.get("STASIS_CRASH_TRIALS", "12"))


def apply(state, op):
    words = op.split()
    if words[0] == "add":
        version = int(words[1])
        for i in words[2:]:
            state[int(i)] = version
    elif words[0] == "remove":
        for i in words[1:]:
            del state[int(i)]


def read_acks(path):
    """(acknowledged ops, the op in flight or None, whether the writer got ready)."""
    with open(path) as f:
        lines = f.read().split("\n")
    done, pending, ready = [], None, False
    for line in lines:
        if line == "ready":
            ready = True
        elif line.startswith("begin "):
            pending = line[6:]
        elif line == "ack":
            done.append(pending)
            pending = None
    return done, pending, ready


def observed(index, candidates):
    """{id: version} of the candidate ids present in the index."""
    ids = np.array(sorted(candidates), dtype=np.int64)
    if len(ids) == 0:
        return {}
    found, versions = index.lookup(ids)
    return {int(i): int(v) for i, f, v in zip(ids, found, versions) if f}


def check_vectors(index, state, rng):
    """The stored vector of a sample of ids is the one the writer added (it is its own best hit)."""
    sample = rng.sample(sorted(state), min(len(state), 40))
    if not sample:
        return
    queries = np.stack([vector(i, state[i]) for i in sample])
    result = index.search(queries, 1, ef_search=256)
    for row, id_ in enumerate(sample):
        assert result.ids[row, 0] == id_, f"id {id_}: best hit {result.ids[row, 0]}"
        assert result.versions[row, 0] == state[id_]
        assert result.scores[row, 0] > 0.999


@pytest.mark.parametrize("factory", ["Flat", "HNSW16"])
def test_sigkill_during_writes_loses_nothing_acknowledged(tmp_path, factory):
    rng = random.Random(19)
    path, wal = str(tmp_path / "crash.stasis"), str(tmp_path / "crash.wal")
    state, next_id = {}, 0
    # Where the kills landed: the operation in flight ("between" calls when none), and for
    # mutations whether it had reached the log. Printed for `make soak` (pytest -s).
    landed = {}
    trials = max(1, TRIALS // 2)
    for trial in range(trials):
        ack = tmp_path / f"ack-{trial}"
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps({"live": {str(k): v for k, v in state.items()}, "next_id": next_id}))
        sync = rng.choice(["every_call", "off", "5"])
        target = rng.randint(1, 60)  # acknowledged operations before the kill
        child = subprocess.Popen(
            [sys.executable, WRITER, path, wal, str(ack), str(state_file), factory, sync, str(rng.randint(0, 10**9))],
            stderr=subprocess.PIPE,
        )
        while child.poll() is None:
            if ack.exists():
                done, _, _ = read_acks(ack)
                if len(done) >= target:
                    break
            time.sleep(0.001)  # polling pace only; nothing is timed
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        _, err = child.communicate()
        assert child.returncode == -signal.SIGKILL, f"writer failed on its own: {err.decode()[-2000:]}"

        done, pending, ready = read_acks(ack) if ack.exists() else ([], None, False)
        for op in done:
            apply(state, op)
        candidates = set(state)
        after = dict(state)
        if pending is not None:
            apply(after, pending)
            words = pending.split()
            if words[0] == "add":
                candidates.update(int(i) for i in words[2:])
        for op in done + ([pending] if pending else []):
            if op.startswith("add"):
                next_id = max(next_id, max(int(i) for i in op.split()[2:]) + 1)

        if not os.path.exists(path):
            assert not done, "operations were acknowledged but the index file is missing"
            continue
        with stasis.Index.open(path, wal=wal) as index:
            seen = observed(index, candidates)
            assert seen in (state, after), f"trial {trial}: recovered state differs from the acknowledged one"
            assert len(index) == len(seen)
            kind = pending.split()[0] if pending else "between"
            if pending and after != state:
                kind += " (logged)" if seen == after else " (not logged)"
            landed[kind] = landed.get(kind, 0) + 1
            state = seen
            check_vectors(index, state, rng)
    assert len(state) > 0
    print(f"\n{factory}: {trials} kills, {len(state)} live vectors at the end; kills by operation in flight: "
          + ", ".join(f"{k} {v}" for k, v in sorted(landed.items())))


def test_crash_writer_refuses_a_log_in_use(tmp_path):
    """The parent holds the log: a writer starting meanwhile fails instead of interleaving."""
    path, wal = str(tmp_path / "x.stasis"), str(tmp_path / "x.wal")
    index = stasis.Index(DIM, "Flat")
    index.save(path)
    index.enable_wal(wal)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"live": {}, "next_id": 0}))
    child = subprocess.run(
        [sys.executable, WRITER, path, wal, str(tmp_path / "ack"), str(state), "Flat", "every_call", "1"],
        capture_output=True,
    )
    assert child.returncode != 0
    assert b"in use by another index" in child.stderr
    index.close()

"""Crash-kill test of the mixed gallery's write-ahead log (docs/durability.md): a writer process
(gallery_crash_writer.py) upserts (moving ids between two versions of different widths), removes,
checkpoints and saves with a log attached and is killed with SIGKILL at a random point; after
each kill the gallery directory is opened with its log and every acknowledged operation must be
there (ids and versions exactly, vectors by searching each part), the operation in flight wholly
there or wholly absent, no id in two parts. The next writer continues from the recovered files.
STASIS_CRASH_TRIALS sets the number of kills (suite: 12 -> 6 here; `make soak`: 200 -> 100).
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np

import stasis

sys.path.insert(0, os.path.dirname(__file__))
from gallery_crash_writer import DIMS, vector  # noqa: E402
from test_crash_kill import apply, read_acks  # noqa: E402

WRITER = os.path.join(os.path.dirname(__file__), "gallery_crash_writer.py")
TRIALS = int(os.environ.get("STASIS_CRASH_TRIALS", "12"))


def observed(gallery, candidates):
    """{id: version} of the candidate ids present in the gallery."""
    ids = np.array(sorted(candidates), dtype=np.int64)
    if len(ids) == 0:
        return {}
    versions = gallery.versions_of(ids)
    return {int(i): int(v) for i, v in zip(ids, versions) if v is not None and v >= 0}


def check_vectors(gallery, state, rng):
    """A sample of ids is its own best hit in its version's part, with the vector the writer gave."""
    for version in DIMS:
        ids = [i for i in sorted(state) if state[i] == version]
        sample = rng.sample(ids, min(len(ids), 20))
        if not sample:
            continue
        queries = np.stack([vector(i, version) for i in sample])
        result = gallery.search(queries, version, k=1, space=f"v{version}", calibrated=False)
        for row, id_ in enumerate(sample):
            assert result.ids[row, 0] == id_, f"id {id_} (v{version}): best hit {result.ids[row, 0]}"
            assert result.versions[row, 0] == version and result.scores[row, 0] > 0.999


def test_sigkill_during_gallery_writes_loses_nothing_acknowledged(tmp_path):
    rng = random.Random(17)
    path, wal = str(tmp_path / "gallery"), str(tmp_path / "gallery.wal")
    state, next_id = {}, 0
    landed = {}
    trials = max(1, TRIALS // 2)
    for trial in range(trials):
        ack = tmp_path / f"ack-{trial}"
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps({"live": {str(k): v for k, v in state.items()}, "next_id": next_id}))
        sync = rng.choice(["every_call", "off", "5"])
        target = rng.randint(1, 60)
        child = subprocess.Popen(
            [sys.executable, WRITER, path, wal, str(ack), str(state_file), sync, str(rng.randint(0, 10**9))],
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

        done, pending, _ = read_acks(ack) if ack.exists() else ([], None, False)
        for op in done:
            apply(state, op)
        candidates = set(state)
        after = dict(state)
        if pending is not None:
            apply(after, pending)
            if pending.startswith("add"):
                candidates.update(int(i) for i in pending.split()[2:])
        for op in done + ([pending] if pending else []):
            if op.startswith("add"):
                next_id = max(next_id, max(int(i) for i in op.split()[2:]) + 1)

        if not os.path.exists(os.path.join(path, "gallery.json")):
            assert not done, "operations were acknowledged but the gallery was never saved"
            continue
        with stasis.Gallery.open(path, wal=wal) as gallery:
            seen = observed(gallery, candidates)
            assert seen in (state, after), f"trial {trial}: recovered state differs from the acknowledged one"
            assert gallery.count() == len(seen)
            assert all(gallery.count(v) == sum(1 for x in seen.values() if x == v) for v in DIMS)
            kind = pending.split()[0] if pending else "between"
            if pending and after != state:
                kind += " (logged)" if seen == after else " (not logged)"
            landed[kind] = landed.get(kind, 0) + 1
            state = seen
            check_vectors(gallery, state, rng)
    assert len(state) > 0
    print(f"\ngallery: {trials} kills, {len(state)} live items at the end; kills by operation in flight: "
          + ", ".join(f"{k} {v}" for k, v in sorted(landed.items())))

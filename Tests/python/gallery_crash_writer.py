"""Child-process side of test_gallery_crash_kill.py: a mixed-gallery writer the parent kills.

    gallery_crash_writer.py <gallery dir> <wal path> <ack path> <state path> <sync> <seed>

Recovers the gallery (opens the directory with its write-ahead log, or creates it with version 1
of 16 dimensions and version 2 of 24, each in its own space), then loops forever over random
upserts (new ids, and ids moved between the versions), removes, checkpoints and plain saves.
Around every call it appends to the ack file, unbuffered: "begin <op>" before and "ack" after,
as crash_writer.py does. <op> is "add <version> <id>...", "remove <id>...", "checkpoint" or
"save". Vectors are a function of (id, version) (`vector` below), so the parent can check them.
"""
import json
import os
import random
import sys

import numpy as np

import stasis

DIMS = {1: 16, 2: 24}


def vector(id_, version):
    return np.random.default_rng(id_ * 1_000_003 + version).standard_normal(DIMS[version]).astype(np.float32)


def main():
    path, wal, ack_path, state_path, sync, seed = sys.argv[1:7]
    sync = int(sync) if sync.isdigit() else sync
    rng = random.Random(int(seed))
    if os.path.exists(os.path.join(path, "gallery.json")):
        gallery = stasis.Gallery.open(path, wal=wal, sync=sync)
    else:
        gallery = stasis.Gallery()
        for version, dim in DIMS.items():
            gallery.register(version, dim)
        gallery.save(path)
        gallery.enable_wal(wal, sync=sync)
    with open(state_path) as f:
        saved = json.load(f)
    live = {int(i): int(v) for i, v in saved["live"].items()}
    next_id = saved["next_id"]
    ack = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(ack, b"ready\n")
    while True:
        roll = rng.random()
        if roll < 0.6 or len(live) < 5:
            version = rng.choice(list(DIMS))
            count = rng.randint(1, 12)
            ids = [next_id + i for i in range(count)]
            next_id += count
            if live and rng.random() < 0.5:  # moves between versions (and same-version upserts)
                ids += rng.sample(sorted(live), min(len(live), rng.randint(1, 4)))
            os.write(ack, (f"begin add {version} " + " ".join(map(str, ids)) + "\n").encode())
            gallery.upsert(np.stack([vector(i, version) for i in ids]), ids, version)
            for i in ids:
                live[i] = version
        elif roll < 0.85:
            ids = rng.sample(sorted(live), rng.randint(1, 4))
            os.write(ack, ("begin remove " + " ".join(map(str, ids)) + "\n").encode())
            gallery.remove(ids)
            for i in ids:
                del live[i]
        elif roll < 0.95:
            os.write(ack, b"begin checkpoint\n")
            gallery.checkpoint(path)
        else:
            os.write(ack, b"begin save\n")
            gallery.save(path)
        os.write(ack, b"ack\n")


if __name__ == "__main__":
    main()

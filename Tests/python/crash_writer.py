"""Child-process side of test_crash_kill.py: a writer that the parent kills with SIGKILL.

    crash_writer.py <index path> <wal path> <ack path> <state path> <factory> <sync> <seed>

<state path> is a JSON {id: version} of the live vectors, as the parent verified them (the
index has no call listing its ids).

Recovers the index (opens it with its write-ahead log, or creates it), then loops forever over
random adds (new ids and upserts), removes, checkpoints, plain saves and compactions. Around every
call it appends to the ack file, unbuffered: "begin <op>" before the call and "ack" after it
returns, so the parent knows every acknowledged operation and the one possibly in flight.
<op> is "add <version> <id>...", "remove <id>...", "checkpoint", "save" or "compact".
Vectors are a function of (id, version) (`vector` below), so the parent can check them.
"""
import json
import os
import random
import sys

import numpy as np

import stasis

DIM = 16


def vector(id_, version):
    return np.random.default_rng(id_ * 1_000_003 + version).standard_normal(DIM).astype(np.float32)


def main():
    path, wal, ack_path, state_path, factory, sync, seed = sys.argv[1:8]
    sync = int(sync) if sync.isdigit() else sync
    rng = random.Random(int(seed))
    if os.path.exists(path):
        index = stasis.Index.open(path, wal=wal, sync=sync)
    else:
        index = stasis.Index(DIM, factory)
        index.save(path)
        index.enable_wal(wal, sync=sync)
    with open(state_path) as f:
        live = {int(i): int(v) for i, v in json.load(f)["live"].items()}
        f.seek(0)
        next_id = json.load(f)["next_id"]
    ack = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(ack, b"ready\n")
    while True:
        roll = rng.random()
        if roll < 0.55 or len(live) < 5:
            version = rng.randint(1, 1000)
            count = rng.randint(1, 12)
            ids = [next_id + i for i in range(count)]
            next_id += count
            if live and rng.random() < 0.5:  # upserts mixed in
                ids += rng.sample(sorted(live), min(len(live), rng.randint(1, 4)))
            line = f"begin add {version} " + " ".join(map(str, ids))
            os.write(ack, (line + "\n").encode())
            index.add(np.stack([vector(i, version) for i in ids]), ids, version)
            for i in ids:
                live[i] = version
        elif roll < 0.80:
            ids = rng.sample(sorted(live), rng.randint(1, 4))
            os.write(ack, ("begin remove " + " ".join(map(str, ids)) + "\n").encode())
            index.remove(ids)
            for i in ids:
                del live[i]
        elif roll < 0.90:
            os.write(ack, b"begin checkpoint\n")
            index.checkpoint(path)
        elif roll < 0.95:
            os.write(ack, b"begin save\n")
            index.save(path)
        else:
            os.write(ack, b"begin compact\n")
            index.compact()
        os.write(ack, b"ack\n")


if __name__ == "__main__":
    main()

"""Concurrency soak through the Python binding: reader threads search, count and look up while
one writer thread adds, upserts, removes and saves (ctypes releases the GIL, so the library sees
real parallel calls). Every call must succeed and every observation must be one the writer can
have produced. Length: STASIS_SOAK_SECONDS (default 2), STASIS_SOAK_THREADS readers (default 4);
scripts/soak.sh raises both. The C version is Tests/c/test_concurrency.c."""
import os
import threading
import time

import numpy as np
import pytest

import stasis

DIM, STABLE, BATCH, WINDOW, CHURN = 16, 500, 40, 5, 100_000


def _reader(index, stable, exact, stop, stats, errors):
    rng = np.random.default_rng(threading.get_ident() % 2**32)
    try:
        while not stop.is_set():
            row = int(rng.integers(0, STABLE - 3))
            result = index.search(stable[row : row + 3], 5)
            ids, scores = result.ids, result.scores
            if exact:
                assert list(ids[:, 0]) == [row, row + 1, row + 2], "a stable vector is not its own nearest neighbour"
                assert list(result.versions[:, 0]) == [1, 1, 1]
            known = ((ids >= 0) & (ids < STABLE)) | (ids >= CHURN)
            assert known.all(), f"unknown ids {ids[~known]}"
            assert np.isfinite(scores).all() and (np.diff(scores, axis=1) <= 1e-6).all()
            count, stable_count = index.count(), index.count(1)
            assert stable_count == STABLE and STABLE <= count <= STABLE + (WINDOW + 1) * BATCH, (count, stable_count)
            found, _ = index.lookup([row, CHURN - 1])
            assert list(found) == [True, False]
            stats["searches"] += 1
    except BaseException as error:  # reported by the main thread
        errors.append(error)
        stop.set()


@pytest.mark.parametrize("factory,exact", [("Flat", True), ("HNSW16", False)])
def test_readers_and_one_writer(tmp_path, factory, exact):
    seconds = float(os.environ.get("STASIS_SOAK_SECONDS", "2"))
    threads = max(1, int(os.environ.get("STASIS_SOAK_THREADS", "4")))
    rng = np.random.default_rng(17)
    stable = rng.standard_normal((STABLE, DIM)).astype(np.float32)
    index = stasis.Index(DIM, factory)
    index.add(stable, np.arange(STABLE), 1)
    stop, errors = threading.Event(), []
    stats = [{"searches": 0} for _ in range(threads)]
    readers = [
        threading.Thread(target=_reader, args=(index, stable, exact, stop, stats[t], errors)) for t in range(threads)
    ]
    for thread in readers:
        thread.start()
    path = str(tmp_path / "soak.idx")
    rounds, saves, live, start = 0, 0, 0, time.monotonic()
    try:
        while True:
            batch = CHURN + rounds * BATCH + np.arange(BATCH)
            churn = rng.standard_normal((BATCH, DIM)).astype(np.float32)
            index.add(churn, batch, 2)
            live += BATCH
            if rounds > 0:
                index.add(churn, batch - BATCH, 3)  # upsert the previous batch under version 3
            if rounds >= WINDOW:
                index.remove(CHURN + (rounds - WINDOW) * BATCH + np.arange(BATCH))
                live -= BATCH
            if rounds % 8 == 0:
                index.save(path)
                with stasis.Index.open(path) as copy:
                    assert len(copy) == STABLE + live
                saves += 1
            rounds += 1
            if stop.is_set() or time.monotonic() - start >= seconds:
                break
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not errors, errors[0]
    assert len(index) == STABLE + live and index.count(2) == BATCH
    searches = sum(s["searches"] for s in stats)
    assert searches > 0 and rounds > 0
    print(f"python soak {factory}: {threads} threads x {time.monotonic() - start:.1f} s, "
          f"{searches} search rounds, {rounds} writer rounds, {saves} saves")

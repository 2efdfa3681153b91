"""Write-ahead log, checkpoints and compaction through the Python binding (stasis/durability.py).
The crash-kill test is test_crash_kill.py; the C side is Tests/c/test_wal.c."""
import os
import threading

import numpy as np
import pytest

import stasis

D = 12


def rows(n, seed):
    return np.random.default_rng(seed).standard_normal((n, D)).astype(np.float32)


@pytest.mark.parametrize("sync", ["every_call", "off", 3])
def test_unsaved_changes_come_back_from_the_log(tmp_path, sync):
    path, wal = tmp_path / "i.stasis", tmp_path / "i.wal"
    index = stasis.Index(D, "HNSW16")
    index.save(path)
    index.enable_wal(wal, sync=sync)
    x = rows(50, 1)
    index.add(x, np.arange(50), 1)
    index.remove([3, 4])
    index.add(x[:5], [10, 11, 12, 13, 14], 2)
    assert index.wal_sequence == 3
    index.close()  # no save: only the log has the changes

    with stasis.Index.open(path, wal=wal, sync=sync) as back:
        assert len(back) == 48
        found, versions = back.lookup([3, 10, 20])
        assert found.tolist() == [False, True, True] and versions.tolist() == [0, 2, 1]
        assert back.wal_sequence == 3
        result = back.search(x[20:21], 1)
        assert result.ids[0, 0] == 20


def test_checkpoint_folds_the_log_and_replay_is_idempotent(tmp_path):
    path, wal = tmp_path / "i.stasis", tmp_path / "i.wal"
    index = stasis.Index(D, "Flat")
    index.save(path)
    index.enable_wal(wal)
    index.add(rows(10, 2), np.arange(10), 1)
    index.remove([0])
    index.save(path)  # like a crash after a checkpoint's save, before its log restart
    index.close()
    with stasis.Index.open(path, wal=wal) as back:  # records 1...2 are in the file: skipped
        assert len(back) == 9 and back.wal_sequence == 2
        back.checkpoint(path)
        assert os.path.getsize(wal) == 32
        back.add(rows(1, 3), [99], 5)
    with stasis.Index.open(path, wal=wal) as back:
        assert len(back) == 10 and back.lookup([99])[1].tolist() == [5]
    assert stasis.inspect(path)["walSequence"] == 2


def test_torn_tail_dropped_corrupt_middle_refused(tmp_path):
    path, wal = tmp_path / "i.stasis", tmp_path / "i.wal"
    index = stasis.Index(D, "Flat")
    index.save(path)
    index.enable_wal(wal, sync="off")
    for i in range(3):
        index.add(rows(1, 10 + i), [i], 1)
    index.close()
    record = (os.path.getsize(wal) - 32) // 3
    with open(wal, "r+b") as f:
        f.truncate(32 + 3 * record - 1)
    with stasis.Index.open(path, wal=wal) as back:
        assert len(back) == 2
    assert os.path.getsize(wal) == 32 + 2 * record
    data = bytearray(open(wal, "rb").read())
    data[32 + 24 + 33] ^= 0xFF  # inside the first record's ids, a record follows
    open(wal, "wb").write(bytes(data))
    with pytest.raises(stasis.CorruptFileError, match="intact records follow"):
        stasis.Index.open(path, wal=wal)


def test_bad_arguments(tmp_path):
    index = stasis.Index(D, "Flat")
    for bad in ("sometimes", 0, -5, 1.5, True, 10**9):
        with pytest.raises(stasis.InvalidArgumentError):
            index.enable_wal(tmp_path / "x.wal", sync=bad)
    with pytest.raises(stasis.StasisIOError):
        index.enable_wal(tmp_path / "missing" / "x.wal")
    index.enable_wal(tmp_path / "x.wal")
    with pytest.raises(stasis.UnsupportedError, match="already enabled"):
        index.enable_wal(tmp_path / "y.wal")
    other = stasis.Index(D, "Flat")
    with pytest.raises(stasis.StasisIOError, match="in use by another index"):
        other.enable_wal(tmp_path / "x.wal")
    index.disable_wal()
    other.enable_wal(tmp_path / "x.wal")  # released by disable
    with pytest.raises(stasis.CorruptFileError, match="not a Stasis write-ahead log"):
        (tmp_path / "junk").write_bytes(b"hello")
        index.enable_wal(tmp_path / "junk")


def test_compaction_keeps_results_ids_and_versions(tmp_path):
    index = stasis.Index(D, "Flat")
    x = rows(400, 5)
    index.add(x, np.arange(400), 1)
    index.remove(np.arange(0, 400, 3))
    index.add(x[1:40:3], np.arange(1, 40, 3), 2)  # upserts
    queries = rows(25, 6)
    before = index.search(queries, 10)
    report = index.compact()
    assert report["slots_reclaimed"] == 134 + 13
    assert report["bytes_reclaimed"] >= report["slots_reclaimed"] * (4 * D + 13)
    after = index.search(queries, 10)
    np.testing.assert_array_equal(before.ids, after.ids)
    np.testing.assert_array_equal(before.versions, after.versions)
    # The stored vectors are the same bits, but a Flat search over dead slots takes the filtered
    # (blocked BLAS) path and one without them the unfiltered kernel: scores agree to rounding.
    np.testing.assert_allclose(before.scores, after.scores, rtol=0, atol=1e-6)
    assert index.count(2) == 13 and len(index) == 400 - 134
    index.save(tmp_path / "c.stasis")
    assert stasis.inspect(tmp_path / "c.stasis")["slots"] == len(index)
    assert index.compact() == {"slots_reclaimed": 0, "bytes_reclaimed": 0}


def test_compaction_hnsw_flat_and_sq():
    index = stasis.Index(D, "HNSW16")
    x = rows(300, 7)
    index.add(x, np.arange(300), 3)
    index.remove(np.arange(100))
    assert index.compact()["slots_reclaimed"] == 100
    result = index.search(x[100:], 1, ef_search=128)
    assert (result.ids[:, 0] == np.arange(100, 300)).mean() > 0.95
    assert set(result.versions[:, 0].tolist()) == {3}
    sq = stasis.Index(D, "HNSW16,SQ8")
    assert sq.compact()["slots_reclaimed"] == 0  # untrained and empty
    sq.train(x)
    sq.add(x, np.arange(300), 3)
    sq.remove(np.arange(100))
    before = sq.search(x[100:], 10, ef_search=128)
    assert sq.compact()["slots_reclaimed"] == 100
    after = sq.search(x[100:], 10, ef_search=128)
    agree = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(before.ids, after.ids)])
    assert agree >= 0.95


@pytest.mark.parametrize("factory", ["IVF8,Flat", "IVF8,SQ8", "IVF8,PQ4"])
def test_ivf_compaction_copies_codes_results_identical(factory):
    index = stasis.Index(D, factory)
    x = rows(600, 9)
    index.train(x)
    index.add(x, np.arange(600), 1)
    index.remove(np.arange(0, 600, 2))
    queries = rows(20, 10)
    before = index.search(queries, 10, nprobe=8)
    assert index.compact()["slots_reclaimed"] == 300
    after = index.search(queries, 10, nprobe=8)
    np.testing.assert_array_equal(before.ids, after.ids)
    np.testing.assert_array_equal(before.scores, after.scores)


def test_compaction_while_searching():
    """Searches from other threads run during compactions and always see the same live set."""
    index = stasis.Index(D, "Flat")
    x = rows(2000, 8)
    index.add(x, np.arange(2000), 1)
    errors, stop = [], threading.Event()

    def search():
        try:
            while not stop.is_set():
                result = index.search(x[:50], 1)
                assert (result.ids[:, 0] == np.arange(50)).all()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=search) for _ in range(2)]
    for t in threads:
        t.start()
    for round_ in range(5):
        index.remove(np.arange(1000 + round_ * 100, 1100 + round_ * 100))
        index.compact()
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert len(index) == 1500

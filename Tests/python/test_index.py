import ctypes
import json
import struct
import threading

import numpy as np
import pytest

import stasis
from container_checksums import checksum

DIM = 48
FACTORIES = ["Flat", "HNSW16", "IVF16,Flat", "IVF16,SQ8", "IVF16,PQ8x4"]


def vectors(n, seed=0, dim=DIM):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim))
    return (centres[rng.integers(0, 20, n)] + 0.5 * rng.standard_normal((n, dim))).astype(np.float32)


def make(factory, n=3000, version=1):
    index = stasis.Index(DIM, factory)
    x = vectors(n)
    if not index.is_trained:
        index.train(x)
    index.add(x, np.arange(n) * 10, version=version)
    return index, x


@pytest.mark.parametrize("factory", FACTORIES)
def test_search_finds_stored_vectors(factory):
    index, x = make(factory)
    D, I = index.search(x[:100], 10, ef_search=128, nprobe=16)
    assert D.shape == I.shape == (100, 10) and D.dtype == np.float32 and I.dtype == np.int64
    expected = (np.arange(100) * 10)[:, None]
    if "PQ" in factory:  # 4-bit PQ codes are lossy: the item itself must be among the top 10
        assert np.mean((I == expected).any(axis=1)) >= 0.5
    else:
        assert np.mean(I[:, :1] == expected) >= 0.97
    assert np.all(np.diff(D, axis=1) <= 1e-6)  # best first
    assert index.ntotal == len(index) == 3000 and index.count(1) == 3000
    assert index.d == index.dim == DIM and index.factory == factory


def test_scores_are_cosine_similarities():
    index, x = make("Flat", n=500)
    D, I = index.search(x[:20], 5)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    expected = np.sort(unit[:20] @ unit.T, axis=1)[:, ::-1][:, :5]
    np.testing.assert_allclose(D, expected, atol=1e-5)
    # Scaling a query does not change cosine scores.
    D2, _ = index.search(x[:20] * 7.5, 5)
    np.testing.assert_allclose(D, D2, atol=1e-5)


def test_versions_upsert_remove_and_filter():
    index, x = make("HNSW16", n=1000)
    index.add(x[:100] * 2, np.arange(100) * 10, version=2)  # upsert first 100 ids as version 2
    assert index.versions() == {1: 900, 2: 100}
    found, versions = index.lookup([0, 1500, 5])
    assert found.tolist() == [True, True, False] and versions.tolist() == [2, 1, 0]
    result = index.search(x[:50], 5, version=2, ef_search=200)
    assert np.all((result.versions == 2) | (result.ids == -1))
    assert set(result.ids[result.ids >= 0].tolist()) <= set((np.arange(100) * 10).tolist())
    index.remove([0, 10])
    assert 0 not in index and 20 in index
    _, I = index.search(x[:2], 50, ef_search=200)
    assert 0 not in I and 10 not in I
    with pytest.raises(stasis.NotFoundError, match="12345"):
        index.remove([20, 12345])
    assert 20 in index  # nothing removed


def test_fewer_hits_than_k_are_padded():
    with stasis.Index(DIM, "Flat") as index:
        index.add(vectors(3), [1, 2, 3], version=9)
        r = index.search(vectors(2, seed=1), 5)
        assert (r.ids[:, 3:] == -1).all() and np.isneginf(r.scores[:, 3:]).all()
        assert (r.versions[:, :3] == 9).all() and (r.versions[:, 3:] == 0).all()


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda ix, x: ix.add(x[:2], [1, 2, 3], 1), stasis.InvalidArgumentError, "3 ids for 2"),
        (lambda ix, x: ix.add(x[:, :10], [1, 2, 3, 4], 1), stasis.DimensionMismatchError, "dimension 10"),
        (lambda ix, x: ix.add(x[0], [1], 1), stasis.InvalidArgumentError, "2-D"),
        (lambda ix, x: ix.add(x[:2], [1, 1], 1), stasis.InvalidArgumentError, "twice"),
        (lambda ix, x: ix.add(x[:2], [1, -5], 1), stasis.InvalidArgumentError, "-5"),
        (lambda ix, x: ix.add(np.where(np.arange(DIM) == 3, np.nan, x[:2]), [1, 2], 1), stasis.InvalidArgumentError, "non-finite"),
        (lambda ix, x: ix.add(np.full((1, DIM), np.inf), [1], 1), stasis.InvalidArgumentError, "non-finite"),
        (lambda ix, x: ix.add(np.zeros((1, DIM)), [1], 1), stasis.InvalidArgumentError, "zero vector"),
        (lambda ix, x: ix.search(x[:1], 0), stasis.InvalidArgumentError, "k must be > 0"),
        (lambda ix, x: ix.search(x[:1], -2), stasis.InvalidArgumentError, "-2"),
        (lambda ix, x: ix.search(x[:1, :5], 3), stasis.DimensionMismatchError, "dimension 5"),
        (lambda ix, x: ix.search(np.zeros((1, DIM)), 3), stasis.InvalidArgumentError, "zero"),
        (lambda ix, x: ix.search(x[:1], 3, ef_search=-1), stasis.InvalidArgumentError, "ef_search"),
        (lambda ix, x: ix.search(x[:1], 3, nprobe=-1), stasis.InvalidArgumentError, "nprobe"),
        (lambda ix, x: ix.remove([424242]), stasis.NotFoundError, "424242"),
        (lambda ix, x: ix.train(x[:0]), stasis.InvalidArgumentError, "at least one"),
    ],
)
def test_bad_inputs_raise_and_change_nothing(call, error, match):
    with stasis.Index(DIM, "Flat") as index:
        x = vectors(4)
        index.add(x, [10, 20, 30, 40], version=1)
        with pytest.raises(error, match=match):
            call(index, x)
        assert index.versions() == {1: 4}
        assert index.search(x, 1).ids[:, 0].tolist() == [10, 20, 30, 40]


def test_factory_and_training_errors():
    with pytest.raises(stasis.InvalidArgumentError, match="not a supported index type"):
        stasis.Index(DIM, "NotAnIndex")
    with pytest.raises(stasis.InvalidArgumentError, match="dimension"):
        stasis.Index(0, "Flat")
    with stasis.Index(DIM, "IVF32,Flat") as index:
        assert not index.is_trained
        with pytest.raises(stasis.NotTrainedError):
            index.add(vectors(5), np.arange(5), 1)
        with pytest.raises(stasis.NotTrainedError):
            index.search(vectors(1), 1)
        with pytest.raises(stasis.InvalidArgumentError):
            index.train(vectors(5))  # fewer points than lists


def test_closed_index_refuses_use():
    index = stasis.Index(DIM, "Flat")
    index.close()
    index.close()
    with pytest.raises(ValueError, match="closed"):
        index.search(vectors(1), 1)
    assert "closed" in repr(index)


@pytest.mark.parametrize("factory", FACTORIES)
def test_save_open_round_trip(tmp_path, factory):
    index, x = make(factory)
    index.remove([10, 20])
    index.set_search_defaults(ef_search=48, nprobe=4)
    before = index.search(x[:64], 10)
    path = tmp_path / "gallery.stasis"
    index.save(path)
    info = stasis.inspect(path)
    assert info["count"] == 2998 and info["dimension"] == DIM and info["factory"] == factory
    assert info["versions"] == [{"version": 1, "count": 2998}]
    assert info["searchDefaults"] == {"efSearch": 48, "nprobe": 4}
    with stasis.Index.open(path) as reopened:
        after = reopened.search(x[:64], 10)
        np.testing.assert_array_equal(before.ids, after.ids)
        np.testing.assert_array_equal(before.scores, after.scores)
        np.testing.assert_array_equal(before.versions, after.versions)
        assert 10 not in reopened and reopened.ntotal == 2998
    assert [p.name for p in tmp_path.iterdir()] == ["gallery.stasis"]  # no temporary left


def test_damaged_files_are_refused(tmp_path):
    index, _ = make("Flat", n=200)
    good = tmp_path / "good.stasis"
    index.save(good)
    data = good.read_bytes()
    bad = tmp_path / "bad.stasis"
    cases = [
        (data[: len(data) // 3], stasis.CorruptFileError, "truncated"),
        (data[:10], stasis.CorruptFileError, "truncated"),
        (b"", stasis.CorruptFileError, "truncated"),
        (b"PK\x03\x04 definitely a zip file, not an index", stasis.CorruptFileError, "not a Stasis index"),
        (data[:-50] + bytes(b ^ 0xFF for b in data[-50:]), stasis.CorruptFileError, "checksum"),
        (data[:8] + b"\x07" + data[9:], stasis.UnsupportedFormatError, "format 7"),
        (data + b"extra", stasis.CorruptFileError, "longer"),
    ]
    for content, error, match in cases:
        bad.write_bytes(content)
        with pytest.raises(error, match=match):
            stasis.Index.open(bad)
    with pytest.raises(stasis.StasisIOError, match="No such file"):
        stasis.Index.open(tmp_path / "missing.stasis")
    with pytest.raises(stasis.StasisIOError, match="No such file"):
        stasis.inspect(tmp_path / "missing.stasis")
    with pytest.raises(stasis.StasisIOError):
        index.save(tmp_path / "no" / "such" / "dir" / "x.stasis")
    assert stasis.Index.open(good).ntotal == 200


@pytest.mark.parametrize("factory", ["Flat", "HNSW16", "IVF16,Flat"])
def test_concurrent_searches_while_mutating(factory):
    index, x = make(factory, n=2000)
    errors = []
    stop = threading.Event()

    def reader(seed):
        # 32 and 80 queries: IVF scans small batches per query and groups larger ones by list.
        q = vectors(32 if seed % 2 == 0 else 80, seed=seed)
        while not stop.is_set():
            try:
                # Different efSearch per thread exercises the HNSW parameter switching.
                r = index.search(q, 10, ef_search=16 * (seed + 1))
                assert r.ids.max() < 100000
            except Exception as error:  # noqa: BLE001 - any failure fails the test
                errors.append(error)
                return

    threads = [threading.Thread(target=reader, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    extra = vectors(1000, seed=99)
    for start in range(0, 1000, 50):
        index.add(extra[start : start + 50], 50000 + np.arange(start, start + 50), version=2)
        index.remove(np.arange(start, start + 50) * 10)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert index.versions() == {1: 1000, 2: 1000}


@pytest.mark.parametrize("factory", ["Flat", "HNSW16", "IVF16,Flat"])
def test_portable_and_simd_kernels_agree(factory):
    index, x = make(factory)
    q = vectors(100, seed=7)
    simd = index.search(q, 10, ef_search=64, nprobe=4)
    try:
        stasis.set_portable_kernels(True)
        portable = index.search(q, 10, ef_search=64, nprobe=4)
    finally:
        stasis.set_portable_kernels(False)
    np.testing.assert_allclose(portable.scores, simd.scores, atol=2e-5)
    assert np.mean(portable.ids == simd.ids) > 0.98  # equal up to exact score ties


def test_ef_search_is_honoured_per_call():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4000, DIM)).astype(np.float32)  # hard for graphs: recall depends on ef
    q = rng.standard_normal((200, DIM)).astype(np.float32)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    truth = np.argsort(-(q @ unit.T), axis=1)[:, :10]
    index = stasis.Index(DIM, "HNSW16")
    index.add(x, np.arange(4000), version=1)

    def recall(ids):
        return np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth)])

    default_before = index.search(q, 10).ids
    narrow = recall(index.search(q, 10, ef_search=10).ids)
    wide = recall(index.search(q, 10, ef_search=400).ids)
    assert wide > narrow + 0.05 and wide > 0.9
    # A per-call efSearch does not leak into later default searches.
    np.testing.assert_array_equal(index.search(q, 10).ids, default_before)
    index.set_search_defaults(ef_search=400)
    assert recall(index.search(q, 10).ids) == wide


def _rewritten(data, change=None, file_format=None):
    """The index file `data` with its JSON header passed through `change` and written as
    `file_format` (default: its own), both checksums recomputed for that format. An edited header
    leaves only the cross-checks against the binary sections to catch the lie; another format
    gives the same index as a file of that format."""
    own_format, length = struct.unpack_from("<IQ", data, 8)
    file_format = file_format or own_format
    header = json.loads(data[28 : 28 + length])
    body = data[28 + length :]
    if file_format != own_format:
        header.update(format=file_format, checksum=checksum(file_format, body)[1])
    if change:
        change(header)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    prefix = b"STASISIX" + struct.pack("<IQQ", file_format, len(text), checksum(file_format, text)[0])
    return prefix + text + body


@pytest.mark.parametrize("factory", ["Flat", "HNSW8", "IVF4,PQ4"])
def test_format_1_files_open_and_save_as_format_2(tmp_path, factory):
    """Files of format 1 (FNV-1a checksums) open, search as before and save as format 2
    (CRC-32C), whose checksums Python recomputes to the same bytes."""
    index, x = make(factory, n=300)
    current = tmp_path / "current.stasis"
    index.save(current)
    data = current.read_bytes()
    assert struct.unpack_from("<I", data, 8)[0] == 2
    assert _rewritten(data, file_format=2) == data  # the helper and the library agree on format 2
    old = tmp_path / "old.stasis"
    old.write_bytes(_rewritten(data, file_format=1))
    assert stasis.inspect(str(old))["format"] == 1
    reopened = stasis.Index.open(old)
    assert np.array_equal(reopened.search(x[:20], 5).ids, index.search(x[:20], 5).ids)
    # A corrupted format-1 file is still caught by its FNV checksum.
    (tmp_path / "bad.stasis").write_bytes(_rewritten(data, file_format=1)[:-20] + b"\x00" * 20)
    with pytest.raises(stasis.CorruptFileError, match="checksum"):
        stasis.Index.open(tmp_path / "bad.stasis")
    resaved = tmp_path / "resaved.stasis"
    reopened.save(resaved)
    assert struct.unpack_from("<I", resaved.read_bytes(), 8)[0] == 2
    assert stasis.Index.open(resaved).ntotal == 300


def test_header_lies_are_caught(tmp_path):
    index, _ = make("Flat", n=50)
    good = tmp_path / "good.stasis"
    index.save(good)
    data = good.read_bytes()
    bad = tmp_path / "bad.stasis"
    cases = [
        (lambda h: h.update(dimension=40), "payload holds 50 vectors of dimension 48"),
        (lambda h: h.update(dimension=10**9), "impossible sizes"),
        (lambda h: h["searchDefaults"].update(efSearch=2**32), "search defaults"),
        (lambda h: h.update(count=49), "live vectors"),
        (lambda h: h.update(checksum="0" * 16), "checksum"),
    ]
    for change, match in cases:
        bad.write_bytes(_rewritten(data, change))
        with pytest.raises(stasis.CorruptFileError, match=match):
            stasis.Index.open(bad)
    # Editing the header without re-checksumming it is caught by the header checksum.
    bad.write_bytes(data.replace(b'"dimension":48', b'"dimension":40'))
    with pytest.raises(stasis.CorruptFileError, match="header fails the checksum"):
        stasis.Index.open(bad)
    assert stasis.Index.open(good).ntotal == 50


def test_python_refuses_values_ctypes_would_wrap():
    with stasis.Index(DIM, "Flat") as index:
        for bad in (-1, 2**32):
            with pytest.raises(stasis.InvalidArgumentError, match="version"):
                index.add(vectors(1), [1], version=bad)
        with pytest.raises(stasis.InvalidArgumentError, match="ef_search"):
            index.search(vectors(1), 1, ef_search=2**31)
        with pytest.raises(stasis.InvalidArgumentError, match="stasis.Encoder"):
            index.add_features(index, vectors(1), [1])
        with pytest.raises(stasis.InvalidArgumentError, match="stasis.Space"):
            stasis.Index.for_space(index)
        # The C layer checks handle kinds too.
        space = stasis.Space("simplex", 3)  # kept alive: its handle is used below
        status = stasis._loader.lib.stasis_index_space(space._h, ctypes.byref(ctypes.c_char_p()))
        assert status == 1 and b"not a stasis_index handle" in stasis._loader.lib.stasis_last_error()
    with pytest.raises(stasis.InvalidArgumentError, match="threads"):
        stasis.set_num_threads(2**40)


def test_search_result_is_the_faiss_pair_and_keeps_its_names():
    import copy
    import pickle

    index, x = make("Flat", n=200, version=3)
    result = index.search(x[:4], 5)
    assert isinstance(result, tuple) and len(result) == 2
    D, I = result
    assert result[0] is result.scores is D and result[1] is result.ids is I
    assert result[-1] is I and result[:1] == (D,)
    assert I.dtype == np.int64 and D.dtype == np.float32 and I.shape == D.shape == (4, 5)
    assert np.array_equal(I[:, 0], np.arange(4) * 10)  # each query finds itself first
    assert result.versions.shape == (4, 5) and (result.versions == 3).all()
    scores, ids = index.search(x[:4], 5)
    assert np.array_equal(ids, I) and np.array_equal(scores, D)
    with pytest.raises(ValueError):
        _, _, _ = result  # a pair, like Faiss's: versions is an attribute, not an item
    for clone in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result), copy.copy(result)):
        assert type(clone) is stasis.SearchResult and len(clone) == 2
        assert np.array_equal(clone.ids, I) and np.array_equal(clone[0], D)
        assert np.array_equal(clone.versions, result.versions)
    assert repr(result) == "SearchResult(n=4, k=5)"


def test_gallery_search_result_indexes_like_faiss():
    x = vectors(60)
    gallery = stasis.Gallery()
    gallery.register(1, DIM, space="a")
    gallery.upsert(x, np.arange(60) + 500, 1)
    result = gallery.search(x[:3], 1, 4)
    assert isinstance(result, tuple) and len(result) == 3  # scores, ids, versions: unchanged
    assert result[0] is result.scores and result[1] is result.ids and result[2] is result.versions
    assert np.array_equal(result[1][:, 0], np.arange(3) + 500)
    D, I, V = result
    assert D.dtype == np.float32 and I.dtype == np.int64 and (V == 1).all()


def _exact_top_k(gallery, ids, queries, k):
    """Top k by cosine in float64, as (scores, ids) per query."""
    g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    scores = q.astype(np.float64) @ g.astype(np.float64).T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), ids[order]


def _expect_exact(result, truth, tol=2e-5):
    D, I = result
    want_scores, want_ids = truth
    assert np.abs(D - want_scores).max() <= tol  # every rank's score is the exact one
    # A different id at a rank is only allowed where the exact scores tie within rounding.
    differ = I != want_ids
    assert np.all(np.abs(D[differ] - want_scores[differ]) <= tol)


@pytest.mark.parametrize("dim", [30, 48, 384])
def test_flat_batches_are_exact(dim):
    # 6,000 rows and 40 queries: the Flat batch path that scores every row in 8 bits first and
    # rescores the rows its error bound keeps (on AVX2), or BLAS; both must give the exact top k.
    n = 6000
    x = vectors(n + 40, seed=dim, dim=dim)
    gallery, queries = x[:n], x[n:]
    ids = np.arange(n, dtype=np.int64) * 7
    index = stasis.Index(dim, "Flat")
    index.add(gallery, ids, version=1)
    _expect_exact(index.search(queries, 10), _exact_top_k(gallery, ids, queries, 10))
    singles = [index.search(queries[i : i + 1], 10) for i in range(5)]  # the one-query kernel
    _expect_exact(
        (np.vstack([r[0] for r in singles]), np.vstack([r[1] for r in singles])),
        _exact_top_k(gallery, ids, queries[:5], 10),
    )

    # Removals and a second version: the filtered batch path, with the same exactness.
    removed = ids[::3]
    index.remove(removed)
    index.add(gallery[1::3] * 2.0, ids[1::3], version=2)  # upsert: same direction, new version
    keep = np.ones(n, bool)
    keep[::3] = False
    _expect_exact(index.search(queries, 10), _exact_top_k(gallery[keep], ids[keep], queries, 10))
    v2 = np.zeros(n, bool)
    v2[1::3] = True
    _expect_exact(index.search(queries, 10, version=2), _exact_top_k(gallery[v2], ids[v2], queries, 10))


def test_flat_prefilter_switch():
    # Off: Flat searches take the float path and the copy is freed; on again: the 8-bit pass.
    # Exact either way, and the switch reports its state.
    n, dim = 6000, 64
    x = vectors(n + 20, seed=5, dim=dim)
    ids = np.arange(n, dtype=np.int64)
    index = stasis.Index(dim, "Flat")
    index.add(x[:n], ids, version=1)
    truth = _exact_top_k(x[:n], ids, x[n:], 10)
    assert stasis.flat_prefilter_enabled()
    try:
        _expect_exact(index.search(x[n:], 10), truth)
        stasis.set_flat_prefilter(False)
        assert not stasis.flat_prefilter_enabled()
        _expect_exact(index.search(x[n:], 10), truth)
        _expect_exact(index.search(x[n : n + 1], 10), (truth[0][:1], truth[1][:1]))
    finally:
        stasis.set_flat_prefilter(True)
    assert stasis.flat_prefilter_enabled()
    _expect_exact(index.search(x[n:], 10), truth)

"""The Flat add's fused path (validation, normalisation and append in one parallel pass over the
caller's array) through the binding, against the copy path it replaced: an index with a
write-ahead log still normalises a copy first and appends it through Faiss's own add."""
import numpy as np
import pytest

import stasis

DIM = 48


def vectors(n, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, DIM))
    return (centres[rng.integers(0, 20, n)] + 0.5 * rng.standard_normal((n, DIM))).astype(np.float32)


def pair(tmp_path):
    fused = stasis.Index(DIM, "Flat")
    copy = stasis.Index(DIM, "Flat")
    copy.enable_wal(str(tmp_path / "copy.wal"), sync="off")
    return fused, copy


def test_fused_add_matches_the_copy_path_and_numpy(tmp_path):
    # 60,000 x 48 floats (11.5 MB): large enough for the parallel page population.
    x = vectors(60_000)
    original = x.copy()
    fused, copy = pair(tmp_path)
    for index in (fused, copy):
        index.add(x[:10], np.arange(10), 1)
        index.add(x[10:], np.arange(10, 60_000), 1)
        index.add(3 * x[:100], np.arange(100)[::-1] * 7, 2)  # upsert, unsorted ids
    assert np.array_equal(x, original)  # the caller's array is read, never written
    q = vectors(25, seed=1)
    a, b = fused.search(q, 10), copy.search(q, 10)
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.ids, b.ids)
    assert np.array_equal(a.versions, b.versions)
    assert fused.versions() == copy.versions() == {1: 59_900, 2: 100}
    # And against exact cosine similarity computed by numpy (up to float rounding and ties).
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    qu = q / np.linalg.norm(q, axis=1, keepdims=True)
    live = np.ones(60_000, bool)
    live[np.arange(100) * 7] = False  # replaced by the upsert, whose rows are unit[:100]
    best = np.maximum(np.max(qu @ unit[live].T, axis=1), np.max(qu @ unit[:100].T, axis=1))
    assert np.allclose(a.scores[:, 0], best, atol=1e-5)


@pytest.mark.parametrize(
    "row, column, value, message",
    [
        (12_345, 7, np.nan, "vector 12345 has a non-finite value (nan) at component 7"),
        (0, 0, np.inf, "vector 0 has a non-finite value (inf) at component 0"),
        (19_999, 47, -np.inf, "vector 19999 has a non-finite value (-inf) at component 47"),
        (777, None, 0.0, "vector 777 is a zero vector; cosine similarity needs a direction"),
        (5, None, 1e30, "vector 5 is too large to normalise in float32"),
    ],
)
def test_bad_rows_refuse_the_batch_and_store_nothing(tmp_path, row, column, value, message):
    fused, copy = pair(tmp_path)
    base = vectors(100, seed=2)
    q = vectors(5, seed=3)
    x = vectors(20_000, seed=4)
    if column is None:
        x[row, :] = value
    else:
        x[row, column] = value
    if row < 19_000:
        x[19_500, 3] = np.nan  # a later bad row: the first one is reported
    for index in (fused, copy):
        index.add(base, np.arange(100), 1)
        before = index.search(q, 5)
        with pytest.raises(stasis.InvalidArgumentError) as caught:
            index.add(x, np.arange(1000, 21_000), 2)
        assert message in str(caught.value)
        assert index.ntotal == 100 and index.versions() == {1: 100}
        after = index.search(q, 5)
        assert np.array_equal(before.scores, after.scores) and np.array_equal(before.ids, after.ids)
        index.add(vectors(10, seed=5), np.arange(100, 110), 3)  # still works
    a, b = fused.search(q, 10), copy.search(q, 10)
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.ids, b.ids)


def test_non_contiguous_and_float64_inputs_are_converted():
    x = vectors(500, seed=6)
    plain, strided = stasis.Index(DIM, "Flat"), stasis.Index(DIM, "Flat")
    plain.add(x, np.arange(500), 1)
    strided.add(np.asfortranarray(x.astype(np.float64)), np.arange(500), 1)
    q = vectors(4, seed=7)
    assert np.array_equal(plain.search(q, 5).ids, strided.search(q, 5).ids)

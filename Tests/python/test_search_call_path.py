"""Index.search's per-call path: plain addresses instead of ndpointer conversions, NULL or cached
search options. Every kind of input array must give the results of the converted array, and
bad option values must still be refused with the same errors."""
import numpy as np
import pytest

import stasis

DIM = 32


@pytest.fixture(scope="module")
def index():
    rng = np.random.default_rng(0)
    index = stasis.Index(DIM, "HNSW16")
    index.add(rng.standard_normal((2000, DIM)).astype(np.float32), np.arange(2000), 1)
    index.add(rng.standard_normal((500, DIM)).astype(np.float32), np.arange(2000, 2500), 2)
    yield index
    index.close()


def queries(n=8):
    return np.random.default_rng(1).standard_normal((n, DIM)).astype(np.float32)


def test_every_input_layout_gives_the_same_results(index):
    q = queries()
    expected = index.search(q, 10)
    read_only = q.copy()
    read_only.flags.writeable = False
    for variant in (
        read_only,
        np.asfortranarray(q),
        q.astype(np.float64),
        q.astype(">f4"),
        q.tolist(),
        np.repeat(q, 2, axis=1)[:, ::2],  # strided view
    ):
        result = index.search(variant, 10)
        assert np.array_equal(result.ids, expected.ids) and np.array_equal(result.scores, expected.scores)
    single = index.search(q[3:4], 10)
    assert np.array_equal(single.ids[0], expected.ids[3])


def test_outputs_are_fresh_arrays_each_call(index):
    q = queries(1)
    a, b = index.search(q, 5), index.search(q, 5)
    assert a.ids is not b.ids and a.scores is not b.scores
    assert a.ids.flags.owndata and a.ids.flags.c_contiguous and a.scores.dtype == np.float32
    a.ids[:] = -7
    assert (b.ids != -7).all()


def test_options_are_applied_and_cached_safely(index):
    q = queries()
    for _ in range(2):  # second round: from the cache
        v2 = index.search(q, 10, version=2)
        assert (v2.versions == 2).all() and (v2.ids >= 2000).all()
        assert index.search(q, 10, ef_search=64, version=1).versions.max() == 1
        assert np.array_equal(index.search(q, 10, ef_search=np.int64(64)).ids, index.search(q, 10, ef_search=64).ids)
    for ef in range(10, 90):  # more distinct values than the cache keeps
        assert index.search(q[:1], 3, ef_search=ef).ids.shape == (1, 3)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"ef_search": -1}, stasis.InvalidArgumentError),
        ({"nprobe": 2**31}, stasis.InvalidArgumentError),
        ({"version": -1}, stasis.InvalidArgumentError),
        ({"version": 2**32}, stasis.InvalidArgumentError),
        ({"ef_search": [1]}, TypeError),
    ],
)
def test_bad_options_are_refused(index, kwargs, error):
    with pytest.raises(error):
        index.search(queries(1), 5, **kwargs)


def test_bad_shapes_and_k_are_refused(index):
    with pytest.raises(stasis.InvalidArgumentError):
        index.search(np.zeros(DIM, np.float32), 5)  # 1-D
    with pytest.raises(stasis.DimensionMismatchError):
        index.search(np.ones((1, DIM + 1), np.float32), 5)
    with pytest.raises(stasis.InvalidArgumentError):
        index.search(queries(1), 0)
    with pytest.raises(stasis.InvalidArgumentError):
        index.search(np.zeros((1, DIM), np.float32), 5)  # zero vector
    assert index.search(np.empty((0, DIM), np.float32), 5).ids.shape == (0, 5)
    index_closed = stasis.Index(DIM, "Flat")
    index_closed.close()
    with pytest.raises(ValueError):
        index_closed.search(queries(1), 5)

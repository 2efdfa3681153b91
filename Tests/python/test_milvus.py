"""stasis.milvus: a versioned gallery served by milvus-lite (embedded, in a temporary file)."""
import importlib
import sys

import numpy as np
import pytest

import stasis
from scaleout_models import features, write_encoder


@pytest.fixture(scope="module")
def milvus_file(tmp_path_factory):
    """One milvus-lite file for the module (each test uses its own collection name): the embedded
    server starts once."""
    return str(tmp_path_factory.mktemp("milvus") / "gallery.db")


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def same_topk(a_ids, a_scores, b_ids, b_scores, tolerance=1e-5):
    """Top-k lists agree: equal ids, except where two scores are tied within ``tolerance``."""
    assert np.allclose(a_scores, b_scores, atol=tolerance)
    for row in range(a_ids.shape[0]):
        if not np.array_equal(a_ids[row], b_ids[row]):
            kth = b_scores[row, -1]
            differ = set(a_ids[row]) ^ set(b_ids[row])
            assert all(abs(s - kth) <= tolerance for s, i in zip(b_scores[row], b_ids[row]) if i in differ) or \
                sorted(a_ids[row]) == sorted(b_ids[row]), f"row {row}: {a_ids[row]} vs {b_ids[row]}"


def test_flat_collection_returns_the_exact_index_top_k(milvus_file):
    from stasis.milvus import MilvusGallery

    rng = np.random.default_rng(0)
    vectors, queries = unit(rng.standard_normal((3000, 32))), unit(rng.standard_normal((200, 32)))
    ids = rng.choice(10**12, size=3000, replace=False).astype(np.int64)
    gallery = MilvusGallery(milvus_file, name="exact")
    gallery.register(1, 32, space="s")
    gallery.upsert(vectors, ids, 1)
    index = stasis.Index(32, "Flat")
    index.add(vectors, ids, 1)
    got, want = gallery.search(queries, 1, k=10), index.search(queries, 10)
    same_topk(got.ids, got.scores, want.ids, want.scores)
    assert np.all(got.versions == 1) and gallery.count() == 3000 and len(gallery) == 3000
    assert np.array_equal(gallery.ids(), np.sort(ids))


def test_stationary_versions_filters_upsert_and_space_refusal(milvus_file, tmp_path):
    from stasis.milvus import MilvusGallery

    space = stasis.Space("simplex", 17)
    v1 = stasis.Encoder.open(write_encoder(tmp_path / "v1.safetensors", space, 1, 24, seed=1))
    v2 = stasis.Encoder.open(write_encoder(tmp_path / "v2.safetensors", space, 2, 20, seed=2))
    gallery = MilvusGallery(milvus_file, name="stationary")
    gallery.register(1, 16, space=space.fingerprint)
    gallery.register(2, 16, space=space.fingerprint)
    old, new = features(400, 24, 3), features(400, 20, 4)
    ids = np.arange(400, dtype=np.int64)
    gallery.upsert_features(v1, old, ids)
    gallery.upsert_features(v2, new[:100], ids[:100])  # an item's old-version vector is replaced
    assert (gallery.count(1), gallery.count(2), gallery.count()) == (300, 100, 400)
    assert np.array_equal(gallery.versions_of([0, 99, 100, 399, 5000]), [2, 2, 1, 1, -1])

    # Version filters: a v2 query searches the shared space directly, any version or one.
    queries = v2.encode(features(50, 20, 5))
    for versions, expected in (([1], {1}), ([2], {2}), (None, {1, 2})):
        hits = gallery.search(queries, 2, k=20, versions=versions)
        assert set(np.unique(hits.versions)) == expected
        assert np.all(hits.ids >= 100) if versions == [1] else True
    index = stasis.Index(16, "Flat")
    index.add(v1.encode(old[100:]), ids[100:], 1)
    index.add(v2.encode(new[:100]), ids[:100], 2)
    hits, want = gallery.search(queries, 2, k=10), index.search(queries, 10)
    same_topk(hits.ids, hits.scores, want.ids, want.scores)

    # Vectors of another space are refused and nothing is written.
    other = stasis.Space("orthoplex", 32)  # 16-d too, another fingerprint
    stranger = stasis.Encoder.open(write_encoder(tmp_path / "x.safetensors", other, 2, 20, seed=9))
    with pytest.raises(stasis.IncompatibleError, match="space"):
        gallery.upsert_features(stranger, new[:10], ids[:10] + 1000)
    with pytest.raises(stasis.IncompatibleError):
        gallery.upsert(stranger.encode(new[:10]), ids[:10] + 1000, 2, space=other.fingerprint)
    with pytest.raises(stasis.IncompatibleError):
        gallery.register(2, 16, space=other.fingerprint)
    with pytest.raises(stasis.DimensionMismatchError):
        gallery.upsert(np.ones((2, 8), np.float32), [1000, 1001], 1)
    with pytest.raises(stasis.InvalidArgumentError):
        gallery.upsert(np.zeros((1, 16), np.float32), [1000], 1)
    with pytest.raises(stasis.NotFoundError):
        gallery.upsert(np.ones((1, 16), np.float32), [1000], 7)
    assert gallery.count() == 400

    # Reopening finds the registered versions (stored in the collection's properties).
    gallery.close()
    reopened = MilvusGallery(milvus_file, name="stationary")
    assert reopened.space_of(1) == reopened.space_of(2) == space.fingerprint
    assert (reopened.count(1), reopened.count(2)) == (300, 100)
    reopened.close()


def two_models(n, seed):
    """Old (24-d) and new (32-d) embeddings of one latent 20-class structure."""
    maps = np.random.default_rng(1)
    a_old, a_new, centres = maps.normal(size=(16, 24)), maps.normal(size=(16, 32)), maps.normal(size=(20, 16)) * 3
    rng = np.random.default_rng(seed)
    z = centres[np.arange(n) % 20] + rng.normal(size=(n, 16))
    return ((z @ a_old + 0.5 * rng.normal(size=(n, 24))).astype(np.float32), (z @ a_new).astype(np.float32))


def test_adapter_route_and_merge_match_the_mixed_gallery(milvus_file):
    from stasis.milvus import MilvusGallery

    px, py = two_models(600, 7)
    backward = stasis.Adapter.fit(py, px, kind="ridge", source_version=2, target_version=1)
    old, new = two_models(800, 21)
    _, queries = two_models(100, 41)
    _, held_out = two_models(100, 51)
    ids = np.arange(800, dtype=np.int64)
    reference = stasis.Gallery()
    gallery = MilvusGallery(milvus_file, name="bridged")
    for g in (reference, gallery):
        g.register(1, 24, space="a")
        g.register(2, 32, space="b")
        g.upsert(old, ids, 1)
    with pytest.raises(stasis.IncompatibleError, match="adapter"):
        gallery.search(queries, 2)  # the v1 part is not reachable from v2 queries yet
    for g in (reference, gallery):
        g.add_adapter(backward)
        g.upsert(new[:300], ids[:300], 2)  # moves 300 items into the v2 part
    assert (gallery.count(1), gallery.count(2)) == (500, 300)
    assert np.array_equal(gallery.versions_of(ids), reference.versions_of(ids))

    got, want = gallery.search(queries, 2, k=10), reference.search(queries, 2, k=10, calibrated=False)
    same_topk(got.ids, got.scores, want.ids, want.scores)
    assert np.array_equal(gallery.search(queries, 2, k=10, versions=[1]).ids,
                          reference.search(queries, 2, k=10, space="a").ids)

    # z-score calibration, fitted on held-out queries as Gallery.calibrate does.
    gallery.calibrate(held_out, 2, k=10)
    reference.calibrate(held_out, 2, k=10)
    got, want = gallery.search(queries, 2, k=10), reference.search(queries, 2, k=10)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got.ids, want.ids)])
    assert overlap >= 0.98 and np.allclose(got.scores, want.scores, atol=1e-4)
    assert len(set(got.versions.ravel())) == 2  # both parts contribute to the merged list
    gallery.close()


def test_missing_pymilvus_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # what `import pymilvus` sees without the package
    monkeypatch.delitem(sys.modules, "stasis.milvus", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'stasis\[milvus\]'"):
        importlib.import_module("stasis.milvus")

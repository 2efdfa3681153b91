"""stasis.ray: batch encode, adapt and backfill on a local Ray (2 CPUs, started once per module)."""
import importlib
import os
import sys

import numpy as np
import pytest

import stasis
from scaleout_models import features, write_encoder

IN_OLD, IN_NEW, N = 24, 20, 1200


@pytest.fixture(scope="module")
def ray_local():
    import ray

    # Workers are fresh interpreters: they find the binding (and through it libstasis.so) on
    # PYTHONPATH, which the local raylet inherits from this process.
    bindings = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([bindings] + ([saved] if saved else []))
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    except Exception:  # a local node that timed out starting (slow or busy machine): one more try
        ray.shutdown()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
    if saved is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    space = stasis.Space("simplex", 17)  # 16-d, shared by v1 and v2: a stationary space
    return {"space": space,
            "v1": write_encoder(folder / "v1.safetensors", space, 1, IN_OLD, seed=1),
            "v2": write_encoder(folder / "v2.safetensors", space, 2, IN_NEW, seed=2),
            "folder": folder}


def test_encode_and_adapt_equal_single_process(ray_local, models):
    import stasis.ray as sray

    x = features(N, IN_OLD, 0)
    ids = np.arange(N, dtype=np.int64) * 7 + 3
    v1 = stasis.Encoder.open(models["v1"])
    want = v1.encode(x)
    y = stasis.Encoder.open(models["v2"]).encode(features(N, IN_NEW, 0))
    adapter = stasis.Adapter.fit(want, y, kind="ridge", source_version=1, target_version=2)
    adapter.save(models["folder"] / "forward.safetensors")

    # One pipeline (one Ray execution): encode with v1, then a forward adapter into v2's space.
    dataset = sray.from_arrays(x, ids, blocks=6)
    encoded = sray.encode(dataset, models["v1"], workers=2, batch_size=256)
    adapted = sray.apply_adapter(encoded, models["folder"] / "forward.safetensors", output_column="forward",
                                 workers=2, batch_size=300)
    got_ids, got, moved = [], [], []
    for batch in adapted.iter_batches(batch_size=None, batch_format="numpy"):
        got_ids.append(batch["id"])
        got.append(batch["embedding"])
        moved.append(batch["forward"])
        assert "features" not in batch  # the input column is dropped unless keep_input
    order = np.argsort(np.concatenate(got_ids))
    assert np.array_equal(np.concatenate(got_ids)[order], ids)
    got, moved = np.concatenate(got)[order], np.concatenate(moved)[order]
    # Equal up to float rounding: Ray hands the encoder other batch shapes, and OpenBLAS's kernels
    # on some CPUs (Haswell/Zen; not the AVX-512 ones) round a row differently in the last bit
    # depending on where it falls in the product's blocks.
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    np.testing.assert_allclose(moved, adapter.apply(want), rtol=0, atol=1e-5)

    with pytest.raises(stasis.StasisIOError):
        sray.encode(dataset, models["folder"] / "missing.safetensors")
    with pytest.raises(stasis.InvalidArgumentError):
        sray.encode(dataset, models["v1"], workers=0)


def test_backfill_stopped_and_failed_midway_resumes_to_exactly_once(ray_local, models):
    import stasis.ray as sray

    old, new = features(N, IN_OLD, 5), features(N, IN_NEW, 6)
    v1, v2 = stasis.Encoder.open(models["v1"]), stasis.Encoder.open(models["v2"])
    gallery = stasis.Gallery()
    gallery.register(1, 16, space="simplex")
    gallery.register(2, 16, space="simplex")
    ids = np.arange(N, dtype=np.int64)
    gallery.upsert(v1.encode(old), ids, 1)
    plan = stasis.BackfillPlan.random(gallery, 1, 2, seed=4)
    source = sray.ArrayFeatures(new)

    # A driver failure after the 3rd upsert (e.g. the job is killed): what was upserted stays,
    # in plan order.
    def die(progress):
        if progress.batches == 3:
            raise KeyboardInterrupt("driver killed")

    with pytest.raises(KeyboardInterrupt):
        sray.backfill(plan, gallery, source, models["v2"], batch_size=100, workers=2, on_batch=die)
    assert plan.progress(gallery) == (300, N - 300)
    assert gallery.versions_of(plan.order[:300]) == [2] * 300

    # A worker failure: the feature store lacks some items of a later batch.
    missing = plan.order[900:950]
    broken = sray.ArrayFeatures(new[np.setdiff1d(ids, missing)], ids=np.setdiff1d(ids, missing))
    with pytest.raises(Exception, match="no features for id"):
        sray.backfill(plan, gallery, broken, models["v2"], batch_size=100, workers=2)
    done = plan.progress(gallery).done
    assert 300 <= done <= 900

    # Resuming redoes nothing and ends with every item on v2 exactly once, encoded by v2.
    run = sray.backfill(plan, gallery, source, models["v2"], batch_size=100, workers=2)
    assert (run.upserted, run.remaining) == (N - done, 0)
    assert len(gallery) == N and gallery.count(2) == N and gallery.count(1) == 0
    hits = gallery.search(v2.encode(new), 2, k=1)
    assert np.array_equal(hits.ids[:, 0], ids) and np.all(hits.scores[:, 0] > 0.9999)
    assert sray.backfill(plan, gallery, source, models["v2"]).upserted == 0


def test_backfill_into_milvus_tier(ray_local, models, tmp_path):
    import stasis.ray as sray
    from stasis.milvus import MilvusGallery

    n = 300
    old, new = features(n, IN_OLD, 8), features(n, IN_NEW, 9)
    v1, v2 = stasis.Encoder.open(models["v1"]), stasis.Encoder.open(models["v2"])
    with MilvusGallery(str(tmp_path / "gallery.db")) as tier:
        tier.register(1, 16, space=v1.space)
        tier.register(2, 16, space=v2.space)
        tier.upsert_features(v1, old, np.arange(n))
        order = np.random.default_rng(0).permutation(n)
        run = sray.backfill(order, tier, sray.ArrayFeatures(new), models["v2"], batch_size=64, workers=1,
                            max_batches=2)  # a bounded run
        assert (run.upserted, run.remaining) == (128, n - 128)
        assert np.all(tier.versions_of(order[:128]) == 2) and np.all(tier.versions_of(order[128:]) == 1)
        run = sray.backfill(order, tier, sray.ArrayFeatures(new), models["v2"], batch_size=64, workers=1)
        assert (run.upserted, run.remaining) == (n - 128, 0)
        assert tier.count() == n and tier.count(2) == n
        assert np.array_equal(tier.ids(2), np.arange(n))
        hits = tier.search(v2.encode(new[:20]), 2, k=1)
        assert np.array_equal(hits.ids[:, 0], np.arange(20))

        # An encoder whose space is not the tier's is refused before any work.
        other = stasis.Space("orthoplex", 8)  # 8-d, another fingerprint
        path = write_encoder(tmp_path / "other.safetensors", other, 2, IN_NEW, seed=3)
        tier.register(3, 8, space=other.fingerprint)
        with pytest.raises(stasis.IncompatibleError):
            sray.backfill(order, tier, sray.ArrayFeatures(new), path)


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` sees without the package
    monkeypatch.delitem(sys.modules, "stasis.ray", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'stasis\[ray\]'"):
        importlib.import_module("stasis.ray")

"""Mixed-version gallery and backfill plans through the Python binding."""
import numpy as np
import pytest

import stasis

OLD, NEW, CLASSES = 24, 32, 20


def two_models(n, seed, bad_classes=0, spread=3.0, offset=0):
    """Old (24-d) and new (32-d) embeddings of one latent class structure; classes below
    ``bad_classes`` are embedded by the old model through another map."""
    maps = np.random.default_rng(1)
    a_old, b_old = maps.normal(size=(16, OLD)), maps.normal(size=(16, OLD))
    a_new = maps.normal(size=(16, NEW))
    centres = maps.normal(size=(CLASSES, 16)) * spread
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) + offset) % CLASSES
    z = centres[labels] + rng.normal(size=(n, 16))
    old = np.where((labels < bad_classes)[:, None], z @ b_old, z @ a_old) + 0.5 * rng.normal(size=(n, OLD))
    return old.astype(np.float32), (z @ a_new).astype(np.float32), labels.astype(np.int32)


@pytest.fixture
def bridged():
    px, py, _ = two_models(600, 7)
    backward = stasis.Adapter.fit(py, px, kind="ridge", source_version=2, target_version=1)
    forward = stasis.Adapter.fit(px, py, kind="ridge", source_version=1, target_version=2)
    gallery = stasis.Gallery()
    gallery.register(1, OLD, space="a")
    gallery.register(2, NEW, space="b")
    gallery.add_adapter(backward)
    gallery.add_adapter(forward)
    return gallery, backward, forward, (px, py)


def r_precision(ids, labels, query_labels, relevant):
    hits = [(labels[row[:relevant][row[:relevant] >= 0]] == q).sum() / relevant for row, q in zip(ids, query_labels)]
    return float(np.mean(hits))


def test_merged_search_beats_either_part_and_survives_save(bridged, tmp_path):
    gallery, _, _, _ = bridged
    old, new, labels = two_models(400, 21)
    ids = np.arange(400)
    gallery.upsert(old[::2], ids[::2], 1)
    gallery.upsert(new[1::2], ids[1::2], 2)
    assert len(gallery) == 400 and gallery.count(1) == 200 and gallery.count(2) == 200
    _, held, _ = two_models(100, 31)
    gallery.calibrate(held, 2, k=20)
    _, queries, query_labels = two_models(200, 41)
    merged = r_precision(gallery.search(queries, 2, 20).ids, labels, query_labels, 20)
    only_old = r_precision(gallery.search(queries, 2, 20, space="a").ids, labels, query_labels, 20)
    only_new = r_precision(gallery.search(queries, 2, 20, space="b").ids, labels, query_labels, 20)
    assert merged > only_old + 0.05 and merged > only_new + 0.05
    px, py, _ = two_models(300, 51)
    gallery.calibrate(held, 2, k=20, paired={1: (py, px)})
    regressed = r_precision(gallery.search(queries, 2, 20).ids, labels, query_labels, 20)
    assert regressed > only_old + 0.05 and regressed > only_new + 0.05
    with pytest.raises(stasis.InvalidArgumentError):
        gallery.calibrate(held, 2, paired={1: (py[:10], px)})
    gallery.save(tmp_path / "g")
    reopened = stasis.Gallery.open(tmp_path / "g")
    assert np.array_equal(reopened.search(queries[:5], 2, 8).ids, gallery.search(queries[:5], 2, 8).ids)


def test_upsert_moves_items_and_bad_input_changes_nothing(bridged):
    gallery, backward, _, _ = bridged
    old, new, _ = two_models(10, 3)
    gallery.upsert(old, np.arange(10), 1)
    gallery.upsert(new[:3], [0, 1, 2], 2)
    assert gallery.versions_of([0, 3, 99]) == [2, 1, None]
    bad = new[:1].copy()
    bad[0, 4] = np.nan
    with pytest.raises(stasis.InvalidArgumentError):
        gallery.upsert(bad, [5], 2)
    with pytest.raises(stasis.DimensionMismatchError):
        gallery.upsert(old[:1], [5], 2)
    with pytest.raises(stasis.NotFoundError):
        gallery.upsert(old[:1], [5], 9)
    with pytest.raises(stasis.NotFoundError):
        gallery.remove([3, 12345])
    with pytest.raises(stasis.DimensionMismatchError):
        gallery.search(old[:1], 2)
    assert gallery.versions_of([5, 3]) == [1, 1] and len(gallery) == 10
    # An adapter whose source version is not in the gallery; a chain with a gap.
    lonely = stasis.Gallery()
    lonely.register(1, OLD)
    with pytest.raises(stasis.NotFoundError, match="version 2"):
        lonely.add_adapter(backward)
    with pytest.raises(stasis.IncompatibleError):
        stasis.AdapterChain([backward, backward])


def test_plans_progress_resume_and_curves(tmp_path):
    px, py, _ = two_models(600, 7, bad_classes=5, spread=1.2)
    backward = stasis.Adapter.fit(py, px, kind="ridge", source_version=2, target_version=1)
    forward = stasis.Adapter.fit(px, py, kind="ridge", source_version=1, target_version=2)
    old, new, labels = two_models(400, 21, bad_classes=5, spread=1.2)
    _, queries, query_labels = two_models(200, 41, bad_classes=5, spread=1.2)
    ids = np.arange(400)

    def fresh():
        g = stasis.Gallery()
        g.register(1, OLD)
        g.register(2, NEW)
        g.add_adapter(backward)
        g.upsert(old, ids, 1)
        return g

    g = fresh()
    plan = stasis.BackfillPlan.random(g, 1, 2, seed=3)
    assert sorted(plan.order) == list(ids)
    batch = plan.next_batch(g, 16)
    assert np.array_equal(batch, plan.next_batch(g, 16))  # not upserted yet: same batch
    g.upsert(new[batch], batch, 2)
    assert plan.progress(g) == (16, 384)
    plan.save(tmp_path / "plan.json")
    resumed = stasis.BackfillPlan.open(tmp_path / "plan.json")
    assert np.array_equal(resumed.next_batch(g, 4), plan.order[16:20])
    with pytest.raises(stasis.NotFoundError):
        stasis.BackfillPlan.random(g, 1, 7)
    rest = plan.order[16:]  # the first 16 are on version 2 now
    own = stasis.BackfillPlan.custom(g, 1, 2, rest[::-1])
    assert np.array_equal(own.order, rest[::-1])
    with pytest.raises(stasis.InvalidArgumentError):
        stasis.BackfillPlan.custom(g, 1, 2, rest[1:])
    with pytest.raises(stasis.NotFoundError):
        stasis.BackfillPlan.custom(g, 1, 2, plan.order)
    with pytest.raises(stasis.IncompatibleError):
        stasis.BackfillPlan.neighbourhood(fresh(), 1, 2, ids=ids, vectors=old, forward=backward)
    with pytest.raises(stasis.NotFoundError):
        stasis.BackfillPlan.neighbourhood(fresh(), 1, 2, ids=ids + 1, vectors=old, forward=forward)

    aucs = {}
    for policy in ("random", "predicted-error", "neighbourhood", "hubs"):
        g = fresh()
        if policy == "random":
            p = stasis.BackfillPlan.random(g, 1, 2, seed=1)
        elif policy == "predicted-error":
            p = stasis.BackfillPlan.predicted_error(g, 1, 2, ids=ids, vectors=old, forward=forward, paired_old=px,
                                                    paired_new=py)
        elif policy == "hubs":
            p = stasis.BackfillPlan.hubs(g, 1, 2, ids=ids, vectors=old, forward=forward)
            assert sorted(p.order) == sorted(ids)
        else:
            p = stasis.BackfillPlan.neighbourhood(g, 1, 2, ids=ids, vectors=old, forward=forward)
        curve = stasis.backfill_curve(g, p, ids=ids, labels=labels, new_vectors=new, queries=queries,
                                      query_labels=query_labels, query_version=2, steps=10)
        assert curve.fractions[0] == 0 and curve.fractions[-1] == 1 and g.count(2) == 400
        # Negative flips: none before anything moved, a share of queries, never more than the
        # queries that are wrong at that point; the three-field unpacking still works.
        flips = curve.negative_flips
        assert flips.shape == curve.fractions.shape and flips[0] == 0
        assert np.all(flips >= 0) and np.all(flips <= 1 - curve.values + 1e-12)
        fractions, values, auc = curve
        assert auc == curve.auc
        aucs[policy] = curve.auc
    assert aucs["predicted-error"] > aucs["random"]
    # The curve goes into the evaluation report's backfill chart.
    report = stasis.evaluate([new], labels, versions=[2])
    report.set_backfill(curve.fractions, curve.values, "neighbourhood 1->2, top-1")
    report.write_json(tmp_path / "report.json")
    import json
    saved = json.loads((tmp_path / "report.json").read_text())["backfill"]
    assert saved["values"] == pytest.approx(list(curve.values)) and "negative_flips" not in saved
    report.set_backfill(curve.fractions, curve.values, "neighbourhood 1->2, top-1", negative_flips=curve.negative_flips)
    report.write_json(tmp_path / "report.json")
    report.write_html(tmp_path / "report.html")
    saved = json.loads((tmp_path / "report.json").read_text())["backfill"]
    assert saved["negative_flips"] == pytest.approx(list(curve.negative_flips))
    assert "dashed: negative flips" in (tmp_path / "report.html").read_text()
    assert stasis.Report.open(tmp_path / "report.json").data["backfill"]["negative_flips"] == saved["negative_flips"]
    with pytest.raises(stasis.InvalidArgumentError, match="one value per fraction"):
        report.set_backfill(curve.fractions, curve.values, negative_flips=[0.0])
    with pytest.raises(stasis.InvalidArgumentError, match=r"\[0, 1\]"):
        report.set_backfill(curve.fractions, curve.values, negative_flips=np.full(len(curve.fractions), 2.0))


def test_wrong_handles_and_closed_galleries():
    gallery = stasis.Gallery()
    gallery.register(1, 4)
    index = stasis.Index(4)
    with pytest.raises(stasis.InvalidArgumentError):
        stasis.BackfillPlan.random(index, 1, 2)
    with pytest.raises(stasis.InvalidArgumentError):
        gallery.add_adapter(index)
    with pytest.raises(stasis.InvalidArgumentError):
        gallery.upsert(np.ones((2, 0), np.float32), [1, 2], 1)
    with pytest.raises(stasis.InvalidArgumentError):
        gallery.upsert(np.ones((2, 4), np.float32), [1], 1)
    with pytest.raises(stasis.UnsupportedError):
        stasis.Gallery("IVF4,Flat")
    gallery.close()
    with pytest.raises(ValueError):
        len(gallery)


def test_gallery_write_ahead_log_recovers_and_checkpoints(tmp_path):
    rng = np.random.default_rng(4)
    old, new = rng.standard_normal((30, 8)).astype(np.float32), rng.standard_normal((30, 12)).astype(np.float32)
    directory, wal = tmp_path / "g", tmp_path / "g.wal"
    g = stasis.Gallery()
    g.register(1, 8)
    g.register(2, 12)
    g.save(directory)
    g.enable_wal(wal)
    g.upsert(old, np.arange(30), 1)
    g.upsert(new[:10], np.arange(10), 2)  # moves 10 items: one record
    g.remove([20, 21])
    with pytest.raises(stasis.NotFoundError):
        g.remove([999])  # refused: not logged
    with pytest.raises(stasis.DimensionMismatchError):
        g.upsert(old[:2], [50, 51], 2)
    assert g.wal_sequence == 3
    g.close()  # no save: the log holds everything since the save
    assert stasis.Gallery.open(directory).count() == 0
    with stasis.Gallery.open(directory, wal=wal) as r:
        assert r.count(1) == 18 and r.count(2) == 10 and r.wal_sequence == 3
        assert r.versions_of([0, 15, 20]) == [2, 1, None]
        hit = r.search(new[3:4], 2, k=1, space="v2", calibrated=False)
        assert hit.ids[0, 0] == 3 and hit.scores[0, 0] > 0.999
        r.checkpoint(directory)
        r.upsert(old[:1], [100], 1)
    # A torn tail (the writer died mid-append) is dropped; the record before it stays.
    with open(wal, "ab") as f:
        f.write(b"\x40\x00\x00\x00\x00\x00\x00\x00torn")
    with stasis.Gallery.open(directory, wal=wal) as r:
        assert r.count() == 29 and r.versions_of([100]) == [1] and r.wal_sequence == 4
    # The log of an index is refused as such; a log in use by another gallery too.
    index = stasis.Index(8)
    index.save(tmp_path / "i.stasis")
    index.enable_wal(tmp_path / "i.wal")
    index.add(old[:2], [1, 2], 1)
    index.close()
    with pytest.raises(stasis.CorruptFileError, match="log of an index"):
        stasis.Gallery.open(directory, wal=tmp_path / "i.wal")
    holder = stasis.Gallery.open(directory, wal=wal)
    with pytest.raises(stasis.StasisIOError, match="in use"):
        stasis.Gallery.open(directory, wal=wal)
    with pytest.raises(stasis.UnsupportedError):
        holder.enable_wal(tmp_path / "other.wal")
    holder.close()
    # A record of a version the saved gallery does not register: refused, nothing replayed.
    with stasis.Gallery() as both:
        both.register(1, 8)
        both.register(2, 12)
        both.enable_wal(tmp_path / "both.wal")
        both.upsert(old[:3], [7, 8, 9], 1)
        both.upsert(new[:2], [1, 2], 2)
    bare = stasis.Gallery()
    bare.register(1, 8)
    bare.save(tmp_path / "bare")
    with pytest.raises(stasis.CorruptFileError, match="version 2 is not registered"):
        stasis.Gallery.open(tmp_path / "bare", wal=tmp_path / "both.wal")
    assert stasis.Gallery.open(tmp_path / "bare").count() == 0
    with pytest.raises(stasis.InvalidArgumentError):
        stasis.Gallery().enable_wal(tmp_path / "x.wal", sync="sometimes")

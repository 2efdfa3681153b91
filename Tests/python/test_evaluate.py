"""Evaluation metrics cross-checked against an independent numpy implementation (float64,
explicit sorting with the pessimistic tie rule), plus the report, the gate and bad inputs."""
import functools
import json

import numpy as np
import pytest

import stasis


# ---- independent reference --------------------------------------------------------------------
def unit(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def rank_metrics(scores, correct, ks, decimals=None):
    """scores, correct: (nq, ng); excluded entries have score -inf and are dropped. Ties: wrong
    entries first (lexsort keys: correct, -score). `decimals` rounds scores first, so that scores
    equal in exact arithmetic but apart by float rounding (collinear real vectors) tie here too."""
    if decimals is not None:
        scores = np.round(scores, decimals)
    top1, hits, aps = [], {k: [] for k in ks}, []
    for s, c in zip(scores, correct):
        keep = np.isfinite(s)
        s, c = s[keep], c[keep]
        order = np.lexsort((c, -s))  # primary: score descending; ties: wrong (False) first
        ranked = c[order]
        positions = np.flatnonzero(ranked) + 1
        top1.append(ranked[0])
        for k in ks:
            hits[k].append(positions[0] <= k)
        aps.append(np.mean(np.arange(1, len(positions) + 1) / positions))
    return float(np.mean(top1)), {k: float(np.mean(v)) for k, v in hits.items()}, float(np.mean(aps))


def reference_metrics(q, ql, g=None, gl=None, ks=(1, 5, 10), mode="items", decimals=None):
    q = unit(q)
    ql = np.asarray(ql)
    loo = g is None
    g, gl = (q, ql) if loo else (unit(g), np.asarray(gl))
    if mode == "items":
        scores = q @ g.T
        if loo:
            np.fill_diagonal(scores, -np.inf)
        return rank_metrics(scores, ql[:, None] == gl[None, :], ks, decimals)
    classes = np.unique(gl)
    scores = np.empty((len(q), len(classes)))
    for i in range(len(q)):
        for c, label in enumerate(classes):
            members = g[(gl == label) & ~((np.arange(len(g)) == i) & loo)]
            mean = members.sum(axis=0)
            scores[i, c] = q[i] @ (mean / np.linalg.norm(mean))
    return rank_metrics(scores, ql[:, None] == classes[None, :], ks, decimals)


def reference_summary(M):
    M = np.asarray(M, dtype=np.float64)
    t = len(M)
    lower = [(i, j) for i in range(t) for j in range(i + 1)]
    ac = sum(M[i, j] > M[j, j] for i, j in lower if i > j) * 2 / (t * (t - 1)) if t > 1 else 0.0
    am = np.mean([M[i, j] for i, j in lower])
    bc = np.mean([M[t - 1, j] - M[j, j] for j in range(t - 1)]) if t > 1 else None
    fc = np.mean([M[i, i - 1] - M[i, i] for i in range(1, t)]) if t > 1 else None
    return ac, am, bc, fc


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 1e-9


def check_same(got, want):
    top1, recall, map_ = want
    assert close(got.top1, top1), (got.top1, top1)
    assert set(got.recall) == set(recall)
    for k in recall:
        assert close(got.recall[k], recall[k]), (k, got.recall[k], recall[k])
    assert close(got.map, map_), (got.map, map_)


def clustered(rng, n, d, classes, noise=1.0):
    centres = rng.standard_normal((classes, d))
    labels = rng.integers(0, classes, n)
    return (centres[labels] + noise * rng.standard_normal((n, d))).astype(np.float32), labels


# ---- retrieval metrics ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["items", "templates"])
@pytest.mark.parametrize("seed", [0, 1])
def test_retrieval_metrics_match_numpy_with_a_gallery(mode, seed):
    rng = np.random.default_rng(seed)
    g, gl = clustered(rng, 400, 16, 12)
    q, ql = clustered(rng, 150, 16, 12)
    ql = np.where(np.isin(ql, gl), ql, gl[0])
    got = stasis.retrieval_metrics(q, ql, g, gl, k=(1, 3, 10), mode=mode)
    check_same(got, reference_metrics(q, ql, g, gl, ks=(1, 3, 10), mode=mode))
    assert got.recall[1] == got.top1 and 0 <= got.map <= 1 and got.queries == 150


@pytest.mark.parametrize("mode", ["items", "templates"])
def test_leave_one_out_matches_numpy(mode):
    rng = np.random.default_rng(5)
    x, y = clustered(rng, 300, 12, 10, noise=1.5)
    check_same(stasis.retrieval_metrics(x, y, mode=mode), reference_metrics(x, y, mode=mode))


def test_ties_are_pessimistic_like_numpy():
    # One-hot vectors: every score is exactly 0 or 1, so ties are everywhere and exact.
    rng = np.random.default_rng(3)
    g = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 200)]
    gl = rng.integers(0, 3, 200)
    q = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 60)]
    ql = rng.integers(0, 3, 60)
    got = stasis.retrieval_metrics(q, ql, g, gl, k=(1, 2, 50))
    check_same(got, reference_metrics(q, ql, g, gl, ks=(1, 2, 50)))
    # A constant model is never right at 1 under the pessimistic rule.
    same = np.ones((30, 4), np.float32)
    assert stasis.retrieval_metrics(same, np.arange(30) % 3).top1 == 0


def test_string_labels():
    rng = np.random.default_rng(2)
    x, y = clustered(rng, 100, 8, 4)
    names = np.array(["cat", "dog", "eel", "fox"])[y]
    assert stasis.retrieval_metrics(x, names).map == stasis.retrieval_metrics(x, y).map


def test_retrieval_bad_inputs():
    x = np.eye(3, dtype=np.float32)
    with pytest.raises(stasis.InvalidArgumentError, match="labels"):
        stasis.retrieval_metrics(x, [0, 1])
    bad = x.copy()
    bad[1, 1] = np.nan
    with pytest.raises(stasis.InvalidArgumentError, match="non-finite"):
        stasis.retrieval_metrics(bad, [0, 0, 1], x, [0, 0, 1])
    with pytest.raises(stasis.InvalidArgumentError, match="label 9 .* missing from the gallery"):
        stasis.retrieval_metrics(x, [0, 0, 9], x, [0, 0, 1])
    with pytest.raises(stasis.InvalidArgumentError, match="only item of class"):
        stasis.retrieval_metrics(x, [0, 0, 1])
    with pytest.raises(stasis.DimensionMismatchError):
        stasis.retrieval_metrics(x, [0, 0, 1], np.eye(4, dtype=np.float32), [0, 0, 1, 1])
    with pytest.raises(stasis.InvalidArgumentError, match="mode"):
        stasis.retrieval_metrics(x, [0, 0, 1], x, [0, 0, 1], mode="centroids")
    with pytest.raises(stasis.InvalidArgumentError, match="k must be"):
        stasis.retrieval_metrics(x, [0, 0, 1], x, [0, 0, 1], k=(0,))
    with pytest.raises(stasis.InvalidArgumentError, match="gallery_labels"):
        stasis.retrieval_metrics(x, [0, 0, 1], x)


# ---- compatibility metrics --------------------------------------------------------------------
@pytest.mark.parametrize("t", [1, 2, 3, 6])
def test_compatibility_metrics_match_numpy(t):
    rng = np.random.default_rng(t)
    M = np.round(rng.uniform(0, 1, (t, t)), 1)  # rounding makes ties (strict > matters)
    M[0, 0] = 0.0  # a genuine zero stays in AM
    got = stasis.compatibility_metrics(M)
    want = reference_summary(M)
    assert close(got.ac, want[0]) and close(got.am, want[1]) and close(got.bc, want[2]) and close(got.fc, want[3])


def test_compatibility_metrics_bad_inputs():
    with pytest.raises(stasis.InvalidArgumentError, match="T = 0"):
        stasis.compatibility_metrics(np.zeros((0, 0)))
    with pytest.raises(stasis.InvalidArgumentError, match="square"):
        stasis.compatibility_metrics(np.zeros((2, 3)))
    with pytest.raises(stasis.InvalidArgumentError, match=r"\[1\]\[0\]"):
        stasis.compatibility_metrics([[0.5, 0.1], [np.nan, 0.2]])
    assert stasis.compatibility_metrics([[0.5, np.nan], [0.6, 0.4]]).ac == 1.0  # upper triangle ignored


# ---- evaluate, report, gate -------------------------------------------------------------------
def versions_with_drift(seed=0, t=3, n=240, d=16, classes=8, gallery=True):
    """T versions of the same items: each version rotates a little further away from the first."""
    rng = np.random.default_rng(seed)
    base, labels = clustered(rng, n, d, classes)
    out = []
    for v in range(t):
        rotation, _ = np.linalg.qr(np.eye(d) + 0.25 * v * rng.standard_normal((d, d)))
        out.append((base @ rotation + 0.3 * rng.standard_normal(base.shape)).astype(np.float32))
    if not gallery:
        return out, labels
    return [x[: n // 2] for x in out], labels[: n // 2], [x[n // 2 :] for x in out], labels[n // 2 :]


def test_evaluate_matrix_matches_numpy_cell_by_cell():
    q, ql, g, gl = versions_with_drift()
    report = stasis.evaluate(q, ql, g, gl, metric="map", k=(1, 5))
    M = report.matrix
    t = len(q)
    for i in range(t):
        for j in range(t):
            if j > i:
                assert np.isnan(M[i, j])
                continue
            want = reference_metrics(q[i], ql, g[j], gl, ks=(1, 5))
            assert close(M[i, j], want[2])
            assert close(report.data["matrices"]["top1"][i][j], want[0])
            assert close(report.data["matrices"]["recall@5"][i][j], want[1][5])
    want = reference_summary(M)
    assert close(report.ac, want[0]) and close(report.am, want[1]) and close(report.bc, want[2])
    assert close(report.fc, want[3])
    assert report.versions == [1, 2, 3] and report.data["metric"] == "map"


def test_negative_flips_and_pairs_match_numpy():
    q, labels = versions_with_drift(seed=4, gallery=False)
    report = stasis.evaluate(q, labels, pair_samples=20000, seed=11)
    flips = report.negative_flips
    units = [unit(x) for x in q]

    def right_at_one(i, j):
        s = units[i] @ units[j].T
        np.fill_diagonal(s, -np.inf)
        same = labels[:, None] == labels[None, :]
        best_right = np.where(same, s, -np.inf).max(axis=1)
        best_wrong = np.where(same, -np.inf, s).max(axis=1)
        return best_right > best_wrong

    for i in range(3):
        for j in range(i):
            want = np.mean(right_at_one(j, j) & ~right_at_one(i, j))
            assert close(flips[i, j], want)
    pairs = report.pair_satisfaction
    assert pairs["samples_requested"] == 20000 and pairs["seed"] == 11 and len(pairs["cells"]) == 3
    for cell in pairs["cells"]:
        i, j = cell["query_version"] - 1, cell["gallery_version"] - 1
        # Exact population rates over all pairs (i != j), for comparison with the sample.
        new, old = units[i] @ units[j].T, units[j] @ units[j].T
        same = labels[:, None] == labels[None, :]
        off = ~np.eye(len(labels), dtype=bool)
        same_rate = np.mean((new >= old)[same & off])
        diff_rate = np.mean((new <= old)[~same])
        assert cell["same_class"]["pairs"] > 19000 and cell["different_class"]["pairs"] == 20000
        assert abs(cell["same_class"]["rate"] - same_rate) < 0.02
        assert abs(cell["different_class"]["rate"] - diff_rate) < 0.02
    again = stasis.evaluate(q, labels, pair_samples=20000, seed=11)
    assert again.pair_satisfaction == pairs


def test_gate_and_update_gain():
    q, ql, g, gl = versions_with_drift(seed=2)
    reference = (q[-1], ql, g[-1], gl)
    report = stasis.evaluate(q, ql, g, gl, versions=[10, 20, 30], reference=reference)
    M = report.matrix
    verdict = report.gate(serve=30, galleries=[10, 20], margin=0.0)
    want_failing = [f"v30/v{v}" for j, v in enumerate([10, 20]) if not M[2, j] > M[j, j]]
    assert verdict.failing == want_failing and bool(verdict) == (not want_failing)
    loose = report.gate(serve=30, galleries=[10, 20], margin=-1.0)
    assert loose.passed and loose.failing == []
    strict = report.gate(serve=30, galleries=[10], margin=1.0)
    assert not strict.passed and strict.failing == ["v30/v10"]
    assert report.data["gate"]["serve"] == 30
    ref = reference_metrics(q[-1], ql, g[-1], gl)[0]
    gains = report.update_gain
    for j in range(2):
        denominator = ref - M[j, j]
        assert gains[j] is None if denominator == 0 else close(gains[j], (M[2, j] - M[j, j]) / denominator)
    with pytest.raises(stasis.InvalidArgumentError, match="newer"):
        report.gate(serve=10, galleries=[20])
    with pytest.raises(stasis.InvalidArgumentError, match="not in the report"):
        report.gate(serve=40, galleries=[10])


def test_report_files_roundtrip(tmp_path):
    q, ql, g, gl = versions_with_drift(seed=1, t=2)
    report = stasis.evaluate(q, ql, g, gl, title="Release 7 review", mode="templates")
    report.set_backfill([0, 0.25, 1], [0.4, 0.5, 0.8], label="order by uncertainty")
    report.write_json(tmp_path / "r.json")
    report.write_html(tmp_path / "r.html")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["format"] == "stasis.evaluation" and data["format_version"] == 1
    assert data["mode"] == "templates" and data["backfill"]["label"] == "order by uncertainty"
    assert data == report.data
    assert "Release 7 review" in (tmp_path / "r.html").read_text()
    reopened = stasis.Report.open(tmp_path / "r.json")
    np.testing.assert_array_equal(reopened.matrix, report.matrix)
    assert reopened.gate(2, [1]).passed == report.gate(2, [1]).passed


def test_features_and_encoders_path(tmp_path):
    from safetensors.numpy import save_file

    space = stasis.Space("simplex", 9)
    rng = np.random.default_rng(0)
    encoders = []
    for version in (1, 2):
        path = tmp_path / f"enc{version}.safetensors"
        save_file({"layers.0.weight": rng.standard_normal((8, 6)).astype(np.float32)}, str(path), metadata={
            "stasis.kind": "encoder", "stasis.format": "1", "stasis.space": space.fingerprint,
            "stasis.version": str(version), "stasis.input_dim": "6", "stasis.output_dim": "8",
            "stasis.layers": json.dumps([{"type": "linear"}])})
        encoders.append(stasis.Encoder.open(path))
    features, labels = clustered(rng, 90, 6, 5)
    by_features = stasis.evaluate([features, features], labels, encoders=encoders)
    by_vectors = stasis.evaluate([e.encode(features) for e in encoders], labels)
    np.testing.assert_array_equal(by_features.matrix, by_vectors.matrix)


def test_evaluate_bad_inputs():
    x = np.eye(4, dtype=np.float32)
    labels = np.array([0, 0, 1, 1])
    with pytest.raises(stasis.InvalidArgumentError, match="T = 0"):
        stasis.evaluate([], labels)
    with pytest.raises(stasis.InvalidArgumentError, match="one array per model version"):
        stasis.evaluate(x, labels)
    with pytest.raises(stasis.InvalidArgumentError, match="labels"):
        stasis.evaluate([x, x], labels[:3])
    with pytest.raises(stasis.InvalidArgumentError, match="2 entries for 3 versions"):
        stasis.evaluate([x, x, x], [labels, labels])
    nan = x.copy()
    nan[0, 0] = np.nan
    with pytest.raises(stasis.InvalidArgumentError, match="non-finite"):
        stasis.evaluate([x, nan], labels)
    with pytest.raises(stasis.InvalidArgumentError, match="missing from the gallery"):
        stasis.evaluate([x], labels, [x[:2]], labels[:2])
    with pytest.raises(stasis.InvalidArgumentError, match="distinct"):
        stasis.evaluate([x, x], labels, versions=[3, 3])
    with pytest.raises(stasis.InvalidArgumentError, match="unknown metric"):
        stasis.evaluate([x, x], labels, metric="f1")
    with pytest.raises(stasis.DimensionMismatchError):
        stasis.evaluate([x, np.eye(4, 5, dtype=np.float32)], labels)
    single = stasis.evaluate([x], labels)
    assert single.ac == 0 and single.bc is None and single.fc is None and single.gate(1, [1]).passed


# ---- real features: WordNet noun synsets (Debian wordnet-base, see docs data.md) ---------------
WORDNET = "/usr/share/wordnet/data.noun"


@functools.lru_cache(maxsize=None)
def wordnet_features(items=2400, seed=0):
    """Two genuinely different LSA "model versions" of the same WordNet noun synsets: TF-IDF of the
    gloss words (v1) and of lemmas plus gloss character trigrams (v2), each reduced to 48-d by
    SVD. Label = the synset's lexicographer file (noun.animal, noun.artifact, ...)."""
    import os
    import re

    if not os.path.exists(WORDNET):
        pytest.skip("wordnet-base not installed (scripts/ensure-deps.sh installs it)")
    rows = []
    with open(WORDNET, encoding="latin-1") as f:
        for line in f:
            if line.startswith(" "):
                continue
            head, _, gloss = line.partition("| ")
            fields = head.split()
            count = int(fields[3], 16)
            rows.append((int(fields[1]), " ".join(fields[4 : 4 + 2 * count : 2]).replace("_", " "), gloss.strip()))
    rng = np.random.default_rng(seed)
    picked = [rows[i] for i in rng.choice(len(rows), items, replace=False)]
    labels = np.array([r[0] for r in picked])
    keep = np.isin(labels, [c for c, n in zip(*np.unique(labels, return_counts=True)) if n >= 5])
    picked, labels = [p for p, k in zip(picked, keep) if k], labels[keep]

    def lsa(documents, tokens, width=48):
        vocab = {}
        for doc in documents:
            for token in set(tokens(doc)):
                vocab[token] = vocab.get(token, 0) + 1
        terms = sorted((t for t, n in vocab.items() if n >= 3), key=lambda t: -vocab[t])[:3000]
        column = {t: i for i, t in enumerate(terms)}
        matrix = np.zeros((len(documents), len(terms)))
        for r, doc in enumerate(documents):
            for token in tokens(doc):
                if token in column:
                    matrix[r, column[token]] += 1
        idf = np.log(len(documents) / (1 + (matrix > 0).sum(axis=0)))
        matrix = np.log1p(matrix) * idf
        # Randomised SVD (two power iterations): the top `width` directions at a fraction of the cost.
        basis = matrix @ np.random.default_rng(seed).standard_normal((matrix.shape[1], width + 16))
        for _ in range(2):
            basis = matrix @ (matrix.T @ np.linalg.qr(basis)[0])
        q, _ = np.linalg.qr(basis)
        u, s, _ = np.linalg.svd(q.T @ matrix, full_matrices=False)
        features = ((q @ u[:, :width]) * s[:width]).astype(np.float32)
        features[np.linalg.norm(features, axis=1) < 1e-6, 0] = 1  # a document without known terms
        return features

    words = lambda text: re.findall(r"[a-z]+", text.lower())
    trigrams = lambda text: [text[i : i + 3] for i in range(len(text) - 2)]
    v1 = lsa([g for _, _, g in picked], words)
    v2 = lsa([f"{lemmas} {g}".lower() for _, lemmas, g in picked], trigrams)
    return v1, v2, labels


def check_close(got, want, queries):
    """Real features: float32 sgemm and float64 numpy may order a near-tie differently, so allow
    one query's difference in the counts (top-1, Recall@k) and the same in mAP."""
    top1, recall, map_ = want
    slack = 1.0 / queries + 1e-9
    assert abs(got.top1 - top1) <= slack, (got.top1, top1)
    for k in recall:
        assert abs(got.recall[k] - recall[k]) <= slack, (k, got.recall[k], recall[k])
    assert abs(got.map - map_) <= slack, (got.map, map_)


@pytest.mark.parametrize("mode", ["items", "templates"])
def test_real_features_match_numpy(mode):
    v1, v2, labels = wordnet_features()
    n = len(labels)
    half = n // 2
    got = stasis.retrieval_metrics(v1, labels, mode=mode)
    check_close(got, reference_metrics(v1, labels, mode=mode, decimals=6), n)
    assert 0.05 < got.top1 < 0.95  # real data: neither trivial nor random
    q, g = slice(0, half), slice(half, n)
    gl = labels[g]
    ql = labels[q]
    present = np.isin(ql, gl)
    got = stasis.retrieval_metrics(v2[q][present], ql[present], v2[g], gl, mode=mode)
    check_close(got, reference_metrics(v2[q][present], ql[present], v2[g], gl, mode=mode, decimals=6), int(present.sum()))


def test_real_features_matrix_matches_numpy():
    v1, v2, labels = wordnet_features(items=1600, seed=1)
    report = stasis.evaluate([v1, v2], labels, metric="map")
    M = report.matrix
    units = [unit(v1), unit(v2)]
    same = labels[:, None] == labels[None, :]
    for i in range(2):
        for j in range(i + 1):
            s = units[i] @ units[j].T
            np.fill_diagonal(s, -np.inf)
            want = rank_metrics(s, same & ~np.eye(len(labels), dtype=bool), (1, 5, 10), decimals=6)
            assert abs(M[i, j] - want[2]) <= 1.0 / len(labels)
            assert abs(report.data["matrices"]["top1"][i][j] - want[0]) <= 1.0 / len(labels)
    want = reference_summary(M)
    assert close(report.ac, want[0]) and close(report.am, want[1]) and close(report.bc, want[2])
    # Independently fitted LSA bases are not compatible: ECC fails, the gate says no.
    assert M[1, 0] < M[0, 0] and report.ac == 0 and not report.gate(2, [1])

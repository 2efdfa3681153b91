"""Adapters through the Python binding, checked against an independent numpy reference."""
import numpy as np
import pytest

import stasis


def unit(x):
    x = np.asarray(x, np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def numpy_procrustes(x, y):
    u, _, vt = np.linalg.svd(unit(x).T @ unit(y), full_matrices=False)
    return u @ vt  # d_source x d_target, y ~ x W


def numpy_ridge(x, y, alpha):
    x, y = unit(x), unit(y)
    mx, my = x.mean(0), y.mean(0)
    xc, yc = x - mx, y - my
    w = np.linalg.solve(xc.T @ xc + alpha * len(x) * np.eye(x.shape[1]), xc.T @ yc)
    return w, my - mx @ w


@pytest.fixture
def pairs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 24)).astype(np.float32)
    y = (x @ rng.standard_normal((24, 16)) + 0.3 * rng.standard_normal((400, 16))).astype(np.float32)
    return x, y


@pytest.mark.parametrize("shape", [(24, 16), (16, 24), (20, 20)])
def test_procrustes_matches_numpy(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, shape[0])).astype(np.float32)
    y = rng.standard_normal((300, shape[1])).astype(np.float32) + 0.5 * x[:, :1]
    adapter = stasis.Adapter.fit(x, y, kind="procrustes", source_version=2, target_version=1, validation_fraction=0)
    want = unit(unit(x) @ numpy_procrustes(x, y))
    assert np.abs(adapter.apply(x) - want).max() < 1e-4
    assert adapter.direction == "backward" and adapter.validation["mean_cosine"] is None


def test_ridge_matches_numpy(pairs):
    x, y = pairs
    adapter = stasis.Adapter.fit(x, y, kind="ridge", source_version=1, target_version=2, ridge=0.01,
                                 validation_fraction=0)
    w, b = numpy_ridge(x, y, 0.01)
    want = unit(unit(x) @ w + b)
    assert np.abs(adapter.apply(x) - want).max() < 1e-4
    assert adapter.direction == "forward"


def test_lowrank_is_the_truncated_ridge_map(pairs):
    x, y = pairs
    adapter = stasis.Adapter.fit(x, y, kind="lowrank", rank=5, source_version=1, target_version=2, validation_fraction=0)
    w, _ = numpy_ridge(x, y, 1e-3)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    w5 = (u[:, :5] * s[:5]) @ vt[:5]
    xu, yu = unit(x), unit(y)
    b = yu.mean(0) - xu.mean(0) @ w5
    assert np.abs(adapter.apply(x) - unit(xu @ w5 + b)).max() < 1e-4


def test_validation_save_open_inspect(pairs, tmp_path):
    x, y = pairs
    adapter = stasis.Adapter.fit(x, y, kind="ridge", source_version=7, target_version=3, seed=4,
                                 source_space="new-space", target_space="old-space")
    v = adapter.validation
    assert v["train_pairs"] == 360 and v["validation_pairs"] == 40
    assert 0.8 < v["mean_cosine"] <= 1 and 0 <= v["recall_at_1"] <= 1
    path = tmp_path / "a.safetensors"
    adapter.save(path)
    meta = stasis.inspect_adapter(path)["metadata"]
    assert meta["stasis.kind"] == "adapter" and meta["adapter.kind"] == "ridge"
    assert meta["adapter.source_version"] == "7" and meta["adapter.target_version"] == "3"
    assert meta["adapter.source_dim"] == "24" and meta["adapter.target_dim"] == "16"
    assert meta["adapter.source_space"] == "new-space" and meta["adapter.direction"] == "backward"
    assert float(meta["adapter.validation_mean_cosine"]) == pytest.approx(v["mean_cosine"])
    again = stasis.Adapter.open(path)
    assert again.validation == v
    assert np.array_equal(again.apply(x), adapter.apply(x))
    # The file is plain safetensors: readable by the reference library, PyTorch layout (out x in).
    safetensors = pytest.importorskip("safetensors.numpy")
    tensors = safetensors.load_file(str(path))
    assert tensors["weight"].shape == (16, 24) and tensors["bias"].shape == (16,)
    assert repr(again) == "<stasis.Adapter ridge 7->3 (backward) 24->16>"


def test_chain(pairs):
    x, y = pairs
    rng = np.random.default_rng(5)
    z = rng.standard_normal((400, 10)).astype(np.float32)
    a32 = stasis.Adapter.fit(z, x, kind="ridge", source_version=3, target_version=2)
    a21 = stasis.Adapter.fit(x, y, kind="procrustes", source_version=2, target_version=1)
    chain = stasis.AdapterChain([a32, a21])
    assert (chain.source_version, chain.target_version) == (3, 1)
    assert np.abs(chain.apply(z) - a21.apply(a32.apply(z))).max() < 1e-5
    with pytest.raises(stasis.IncompatibleError, match="gap"):
        stasis.AdapterChain([a21, a32])
    with pytest.raises(stasis.InvalidArgumentError):
        stasis.AdapterChain([])


def test_bad_input(pairs, tmp_path):
    x, y = pairs
    with pytest.raises(stasis.InvalidArgumentError, match="same number of rows"):
        stasis.Adapter.fit(x, y[:-1], source_version=2, target_version=1)
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(stasis.InvalidArgumentError, match="source row 3"):
        stasis.Adapter.fit(bad, y, kind="ridge", source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="too few pairs"):
        stasis.Adapter.fit(x[:20], y[:20], kind="ridge", source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="clusters apply to local adapters only"):
        stasis.Adapter.fit(x, y, kind="ridge", clusters=4, source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="unknown adapter kind"):
        stasis.Adapter.fit(x, y, kind="spin", source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="rank"):
        stasis.Adapter.fit(x, y, kind="lowrank", rank=17, source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="versions"):
        stasis.Adapter.fit(x, y, source_version=2, target_version=2)
    adapter = stasis.Adapter.fit(x, y, source_version=2, target_version=1)
    with pytest.raises(stasis.DimensionMismatchError):
        adapter.apply(y)
    with pytest.raises(stasis.InvalidArgumentError, match="zero vector"):
        adapter.apply(np.zeros((1, 24), np.float32))
    with pytest.raises(stasis.StasisIOError):
        stasis.Adapter.open(tmp_path / "missing.safetensors")
    assert list(tmp_path.iterdir()) == []
    adapter.close()
    with pytest.raises(ValueError):
        adapter.apply(x)


def numpy_orthogonal(x, y, alpha, lam, steps=400):
    """The orthogonal kind's objective by the same Adam steps, in numpy (the reference)."""
    w, b = numpy_ridge(x, y, alpha)
    x, y = unit(x), unit(y)
    mx, my = x.mean(0), y.mean(0)
    xc, yc = x - mx, y - my
    cxx, cxy = xc.T @ xc / len(x), xc.T @ yc / len(x)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        g = 2 * (cxx @ w - cxy) + 2 * alpha * w
        if w.shape[0] <= w.shape[1]:
            g += 4 * lam * (w @ w.T - np.eye(w.shape[0])) @ w
        else:
            g += 4 * lam * w @ (w.T @ w - np.eye(w.shape[1]))
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w = w - 1e-3 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-12)
    return w, my - mx @ w


def test_orthogonal_matches_numpy(pairs):
    x, y = pairs
    adapter = stasis.Adapter.fit(x, y, kind="orthogonal", orthogonality=0.5, source_version=2, target_version=1,
                                 validation_fraction=0)
    w, b = numpy_orthogonal(x, y, 1e-3, 0.5)
    np.testing.assert_allclose(adapter.apply(x[:50]), unit(unit(x[:50]) @ w + b), atol=1e-4)


@pytest.mark.parametrize("kind,options", [("orthogonal", {"orthogonality": 0.05}),
                                          ("mlp", {"hidden": 32, "epochs": 5}),
                                          ("local", {"clusters": 4, "routing": 2})])
def test_new_kinds_fit_save_open(pairs, tmp_path, kind, options):
    x, y = pairs
    adapter = stasis.Adapter.fit(x, y, kind=kind, source_version=1, target_version=2, **options)
    assert adapter.kind == kind and adapter.direction == "forward" and not adapter.unpaired
    assert adapter.validation["fit"] == "paired" and adapter.validation["mean_cosine"] > 0.5
    path = tmp_path / f"{kind}.safetensors"
    adapter.save(path)
    again = stasis.Adapter.open(path)
    np.testing.assert_array_equal(again.apply(x), adapter.apply(x))
    described = stasis.inspect_adapter(path)["metadata"]
    key = {"orthogonal": "adapter.orthogonality", "mlp": "adapter.hidden", "local": "adapter.clusters"}[kind]
    assert key in described and described["adapter.fit"] == "paired"


def test_local_beats_one_rotation_on_piecewise_data():
    rng = np.random.default_rng(5)
    d, regions = 8, 3
    centres = rng.standard_normal((regions, d)) * 3
    which = np.arange(1500) % regions
    x = (centres[which] + 0.4 * rng.standard_normal((1500, d))).astype(np.float32)
    rotations = [np.linalg.qr(rng.standard_normal((d, d)))[0] for _ in range(regions)]
    y = np.stack([x[i] @ rotations[which[i]] for i in range(len(x))]).astype(np.float32)
    one = stasis.Adapter.fit(x, y, kind="procrustes", source_version=2, target_version=1)
    local = stasis.Adapter.fit(x, y, kind="local", clusters=6, source_version=2, target_version=1)
    # The held-out error (1 - cosine) of per-region rotations is well under half of one rotation's.
    assert 1 - local.validation["mean_cosine"] < 0.5 * (1 - one.validation["mean_cosine"])


def test_fit_unpaired(tmp_path):
    rng = np.random.default_rng(6)
    d, regions = 10, 8
    centres = rng.uniform(-0.5, 0.5, (regions, d))

    def sample(n):
        return 3 * centres[np.arange(n) % regions] + 0.3 * rng.uniform(-0.5, 0.5, (n, d))

    q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    source, target = sample(3000).astype(np.float32), (sample(2500) @ q).astype(np.float32)
    adapter = stasis.Adapter.fit_unpaired(source, target, source_version=2, target_version=1, clusters=regions)
    assert adapter.unpaired and adapter.kind == "orthogonal"
    assert adapter.validation == {"fit": "unpaired", "train_pairs": 0, "validation_pairs": 0, "mean_cosine": None,
                                  "recall_at_1": None}
    probe = source[:300]
    cosine = np.sum(adapter.apply(probe) * unit(probe @ q), 1).mean()
    assert cosine > 0.9
    adapter.save(tmp_path / "u.safetensors")
    assert stasis.Adapter.open(tmp_path / "u.safetensors").unpaired
    assert stasis.inspect_adapter(tmp_path / "u.safetensors")["metadata"]["adapter.fit"] == "unpaired"


def test_new_kinds_bad_input(pairs):
    x, y = pairs
    with pytest.raises(stasis.InvalidArgumentError, match="orthogonality"):
        stasis.Adapter.fit(x, y, kind="orthogonal", orthogonality=-1, source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="hidden"):
        stasis.Adapter.fit(x, y, kind="mlp", hidden=0, source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="too few pairs"):
        stasis.Adapter.fit(x, y, kind="local", clusters=100, source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="too few rows"):
        stasis.Adapter.fit_unpaired(x[:10], y, source_version=2, target_version=1)
    bad = x.copy()
    bad[4, 0] = np.inf
    with pytest.raises(stasis.InvalidArgumentError, match="source row 4"):
        stasis.Adapter.fit_unpaired(bad, y, source_version=2, target_version=1)
    with pytest.raises(stasis.InvalidArgumentError, match="versions"):
        stasis.Adapter.fit_unpaired(x, y, source_version=2, target_version=2)

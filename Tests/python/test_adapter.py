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
    for planned in ("mlp", "orthogonal", "local"):
        with pytest.raises(stasis.UnsupportedError, match="not implemented"):
            stasis.Adapter.fit(x, y, kind=planned, source_version=2, target_version=1)
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

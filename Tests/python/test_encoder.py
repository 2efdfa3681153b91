import math

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

import stasis

IN = 24


def reference_forward(x, tensors, layers):
    """float64 numpy implementation of the documented layer semantics."""
    y = x.astype(np.float64)
    for i, spec in enumerate(layers):
        t = {k.split(".", 2)[2]: v.astype(np.float64) for k, v in tensors.items() if k.startswith(f"layers.{i}.") and v.dtype != np.int64}
        kind = spec["type"]
        if kind == "linear":
            y = y @ t["weight"].T + (t["bias"] if "bias" in t else 0)
        elif kind == "relu":
            y = np.maximum(y, 0)
        elif kind == "gelu":
            y = 0.5 * y * (1 + np.vectorize(math.erf)(y / math.sqrt(2)))
        elif kind == "layernorm":
            mu, var = y.mean(axis=1, keepdims=True), y.var(axis=1, keepdims=True)
            y = (y - mu) / np.sqrt(var + spec.get("eps", 1e-5)) * t.get("weight", 1) + t.get("bias", 0)
        elif kind == "batchnorm":
            y = (y - t["running_mean"]) / np.sqrt(t["running_var"] + spec.get("eps", 1e-5)) * t["weight"] + t["bias"]
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def make_head(space, version=1, dtype=np.float32, rng=None):
    rng = rng or np.random.default_rng(version)
    hidden, d = 40, space.dim
    layers = [
        {"type": "linear", "in": IN, "out": hidden, "bias": True},
        {"type": "relu"},
        {"type": "layernorm", "eps": 1e-5},
        {"type": "gelu"},
        {"type": "batchnorm", "eps": 1e-5},
        {"type": "linear", "in": hidden, "out": d, "bias": False},
    ]
    tensors = {
        "layers.0.weight": rng.standard_normal((hidden, IN)) / np.sqrt(IN),
        "layers.0.bias": rng.standard_normal(hidden) * 0.1,
        "layers.2.weight": 1 + 0.1 * rng.standard_normal(hidden),
        "layers.2.bias": 0.1 * rng.standard_normal(hidden),
        "layers.4.running_mean": 0.1 * rng.standard_normal(hidden),
        "layers.4.running_var": 0.5 + rng.random(hidden),
        "layers.4.weight": 1 + 0.1 * rng.standard_normal(hidden),
        "layers.4.bias": 0.1 * rng.standard_normal(hidden),
        "layers.5.weight": rng.standard_normal((d, hidden)) / np.sqrt(hidden),
    }
    tensors = {k: v.astype(dtype) for k, v in tensors.items()}
    tensors["layers.4.num_batches_tracked"] = np.array(1234, dtype=np.int64)  # as PyTorch writes it
    metadata = {
        "stasis.kind": "encoder",
        "stasis.format": "1",
        "stasis.space": space.fingerprint,
        "stasis.version": str(version),
        "stasis.input_dim": str(IN),
        "stasis.output_dim": str(d),
        "stasis.layers": __import__("json").dumps(layers),
        "stasis.backbone": "test-backbone",
        "stasis.notes": "made by numpy",
    }
    return tensors, layers, metadata


@pytest.fixture
def space():
    return stasis.Space("simplex", 17)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
def test_numpy_exported_head_encodes_like_numpy(tmp_path, space, dtype):
    tensors, layers, metadata = make_head(space, dtype=dtype)
    path = tmp_path / "head.safetensors"
    save_file(tensors, str(path), metadata=metadata)
    encoder = stasis.Encoder.open(path)
    assert (encoder.input_dim, encoder.output_dim, encoder.version, encoder.space) == (IN, 16, 1, space.fingerprint)
    assert encoder.metadata("stasis.backbone") == "test-backbone"
    with pytest.raises(stasis.NotFoundError):
        encoder.metadata("no.such.key")
    # 20000 rows: more than one 16384-row chunk of the encoder, so chunk boundaries are exercised.
    x = np.random.default_rng(0).standard_normal((20000, IN)).astype(np.float32)
    got = encoder.encode(x)
    want = reference_forward(x, tensors, layers)
    assert got.shape == (20000, 16) and got.dtype == np.float32
    assert np.abs(got - want).max() <= 1e-5


def test_stasis_saved_encoder_reads_back_in_python(tmp_path, space):
    tensors, _, metadata = make_head(space)
    src, dst = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    save_file(tensors, str(src), metadata=metadata)
    stasis.Encoder.open(src).save(dst)
    loaded = load_file(str(dst))
    for name, value in tensors.items():
        if value.dtype != np.int64:
            np.testing.assert_array_equal(loaded[name], value)
    with safe_open(str(dst), "np") as f:
        saved = f.metadata()
    assert saved["stasis.space"] == space.fingerprint and saved["stasis.notes"] == "made by numpy"
    x = np.random.default_rng(1).standard_normal((10, IN))
    np.testing.assert_array_equal(stasis.Encoder.open(dst).encode(x), stasis.Encoder.open(src).encode(x))
    info = stasis.inspect_encoder(dst)
    assert info["metadata"]["stasis.version"] == "1" and info["tensors"]["layers.0.weight"] == [40, IN]


def test_index_add_and_search_through_encoders(space):
    tensors, _, metadata = make_head(space, version=3)
    import tempfile, os

    path = os.path.join(tempfile.mkdtemp(), "v3.safetensors")
    save_file(tensors, path, metadata=metadata)
    encoder = stasis.Encoder.open(path)
    features = np.random.default_rng(2).standard_normal((300, IN)).astype(np.float32)
    with stasis.Index.for_space(space, "Flat") as index:
        assert index.space == space.fingerprint and index.d == space.dim
        index.add_features(encoder, features, np.arange(300))
        assert index.versions() == {3: 300}
        r = index.search_features(encoder, features[:20], 1)
        assert r.ids[:, 0].tolist() == list(range(20)) and (r.versions == 3).all()
        D, I = index.search(encoder.encode(features[:20]), 1)
        np.testing.assert_array_equal(I, r.ids)


def test_encoder_refusals(tmp_path, space):
    tensors, layers, metadata = make_head(space)
    path = tmp_path / "h.safetensors"
    save_file(tensors, str(path), metadata=metadata)
    encoder = stasis.Encoder.open(path)
    x = np.ones((4, IN), np.float32)
    x[2, 5] = np.nan
    with pytest.raises(stasis.InvalidArgumentError, match="row 2 .* column 5"):
        encoder.encode(x)
    with pytest.raises(stasis.DimensionMismatchError, match="expects 24"):
        encoder.encode(np.ones((2, IN + 1)))

    other_space = stasis.Space("simplex", 17, seed=0)  # same geometry: same fingerprint, accepted
    assert other_space.fingerprint == space.fingerprint
    foreign = stasis.Space("orthoplex", 32)  # d = 16 too, but another space
    with stasis.Index.for_space(foreign, "Flat") as index:
        with pytest.raises(stasis.IncompatibleError, match="belongs to space"):
            index.add_features(encoder, np.ones((1, IN)), [1])
        with pytest.raises(stasis.IncompatibleError):
            index.search_features(encoder, np.ones((1, IN)), 1)
        assert index.ntotal == 0
    with stasis.Index(8, "Flat") as index:
        with pytest.raises(stasis.DimensionMismatchError, match="outputs 16"):
            index.add_features(encoder, np.ones((1, IN)), [1])

    def broken(change, match, error=stasis.InvalidArgumentError):
        t, m = dict(tensors), dict(metadata)
        change(t, m)
        bad = tmp_path / "bad.safetensors"
        save_file(t, str(bad), metadata=m)
        with pytest.raises(error, match=match):
            stasis.Encoder.open(bad)

    broken(lambda t, m: t.pop("layers.5.weight"), "layers.5.weight")
    broken(lambda t, m: t.update({"layers.0.bias": np.zeros(3, np.float32)}), r"shape \[3\]")
    broken(lambda t, m: t.update({"layers.9.weight": np.zeros(3, np.float32)}), "not used")
    broken(lambda t, m: t.update({"layers.0.weight": np.full((40, IN), np.nan, np.float32)}), "NaN")
    broken(lambda t, m: m.update({"stasis.layers": '[{"type": "conv"}]'}), "unknown type 'conv'")
    broken(lambda t, m: m.update({"stasis.output_dim": "99"}), "metadata says 99", stasis.CorruptFileError)
    broken(lambda t, m: m.update({"stasis.format": "2"}), "format 2", stasis.UnsupportedFormatError)
    broken(lambda t, m: m.update({"stasis.kind": "space"}), "space file, not an encoder")
    broken(lambda t, m: t.update({"layers.0.weight": np.zeros((40, IN), np.int32)}), "dtype I32", stasis.UnsupportedError)
    space_file = tmp_path / "space.safetensors"
    space.save(space_file)
    with pytest.raises(stasis.InvalidArgumentError, match="space file, not an encoder"):
        stasis.Encoder.open(space_file)
    data = path.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-10])
    with pytest.raises(stasis.CorruptFileError):
        stasis.Encoder.open(tmp_path / "cut.safetensors")


def test_crafted_files_are_refused_not_crashed(tmp_path, space):
    import json
    import struct

    tensors, layers, metadata = make_head(space)
    good = tmp_path / "h.safetensors"
    save_file(tensors, str(good), metadata=metadata)
    data = good.read_bytes()
    length = struct.unpack_from("<Q", data, 0)[0]
    header = json.loads(data[8 : 8 + length])

    def rewrite(change):
        h = json.loads(json.dumps(header))
        change(h)
        body = json.dumps(h).encode()
        path = tmp_path / "crafted.safetensors"
        path.write_bytes(struct.pack("<Q", len(body)) + body + data[8 + length :])
        return path

    big = 2**63 - 1
    for change, error in [
        (lambda h: h["layers.4.num_batches_tracked"].update(data_offsets=[-(2**63), big]), stasis.CorruptFileError),
        (lambda h: h["layers.0.bias"].update(data_offsets=[0, 160]), stasis.CorruptFileError),  # overlaps weight
        (lambda h: h["layers.0.weight"].update(shape=[2**31, 2**31]), stasis.CorruptFileError),
        (lambda h: h["__metadata__"].update({"stasis.input_dim": str(2**40)}), stasis.InvalidArgumentError),
    ]:
        with pytest.raises(error):
            stasis.Encoder.open(rewrite(change))
    # Layers whose widths come from empty tensors cannot declare absurd sizes either.
    empty = {"layers.0.weight": np.zeros((2**30, 0), np.float32)}
    meta = dict(metadata, **{"stasis.input_dim": "0", "stasis.layers": '[{"type": "linear"}]'})
    save_file(empty, str(tmp_path / "empty.safetensors"), metadata=meta)
    with pytest.raises(stasis.InvalidArgumentError):
        stasis.Encoder.open(tmp_path / "empty.safetensors")
    # An index file is not an encoder.
    index = stasis.Index(4, "Flat")
    index.save(tmp_path / "i.stasis")
    with pytest.raises(stasis.InvalidArgumentError, match="index file, not a safetensors"):
        stasis.Encoder.open(tmp_path / "i.stasis")

import os
import subprocess
import sys

import numpy as np
import pytest

import stasis


def gram(space):
    v = space.vertices.astype(np.float64)
    return v, v @ v.T


@pytest.mark.parametrize("k", [2, 3, 10, 100, 1024])
def test_simplex_properties(k):
    space = stasis.Space("simplex", k)
    v, g = gram(space)
    assert space.dim == k - 1 and space.classes == k and v.shape == (k, k - 1)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1, atol=1e-6)
    off = g[~np.eye(k, dtype=bool)]
    np.testing.assert_allclose(off, -1 / (k - 1), atol=1e-6)
    np.testing.assert_allclose(v.sum(axis=0), 0, atol=1e-5)
    assert space.max_cosine == pytest.approx(-1 / (k - 1))


def test_orthoplex_and_cube_properties():
    ortho = stasis.Space("orthoplex", 9)
    v, g = gram(ortho)
    assert ortho.dim == 5
    assert set(np.round(g[~np.eye(9, dtype=bool)], 6)) <= {0.0, -1.0}
    np.testing.assert_array_equal(v[0], np.eye(5)[0])
    np.testing.assert_array_equal(v[1], -np.eye(5)[0])
    cube = stasis.Space("cube", 10)
    v, g = gram(cube)
    assert cube.dim == 4
    np.testing.assert_allclose(np.abs(v), 0.5)
    assert len({tuple(row) for row in v}) == 10
    assert g[~np.eye(10, dtype=bool)].max() == pytest.approx(cube.max_cosine) == pytest.approx(0.5)


@pytest.mark.parametrize("k, d", [(500, 32), (3000, 64), (5000, 128)])
def test_spherical_code_reports_its_true_max_cosine(k, d):
    space = stasis.Space("spherical-code", k, d, seed=11)
    v, g = gram(space)
    np.fill_diagonal(g, -np.inf)
    assert space.max_cosine == pytest.approx(g.max(), abs=1e-6)
    # Far better than random unit vectors' coherence, and every vertex is distinct.
    assert space.max_cosine < 0.6 and g.max() < 1
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1, atol=1e-6)


def test_construction_is_reproducible_and_seeded():
    a = stasis.Space("spherical-code", 1000, 48, seed=5)
    b = stasis.Space("spherical-code", 1000, 48, seed=5)
    c = stasis.Space("spherical-code", 1000, 48, seed=6)
    assert a.fingerprint == b.fingerprint != c.fingerprint
    np.testing.assert_array_equal(a.vertices, b.vertices)
    # Another process computes the same fingerprints (nothing depends on process state).
    code = "import stasis; print(stasis.Space('spherical-code', 1000, 48, seed=5).fingerprint, stasis.Space('simplex', 100).fingerprint)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout.split()
    assert out == [a.fingerprint, stasis.Space("simplex", 100).fingerprint]


def test_fingerprints_are_stable_across_releases():
    # Golden values: a change here means every saved space and index would stop matching.
    assert stasis.Space("simplex", 10).fingerprint == "5da353cf4c8b0739"
    assert stasis.Space("spherical-code", 2000, 64, seed=3).fingerprint == "4a19de39594a8a57"


def test_registry_is_append_only_and_persists(tmp_path):
    space = stasis.Space("simplex", 5)
    assert space.assign([40, 10, 40]).tolist() == [0, 1, 0]
    assert space.assign(["cat", "7"]).tolist() == [2, 3]
    assert space.assign([7, 10]).tolist() == [4, 1]  # int 7 and "7" are different labels
    assert len(space) == 5
    with pytest.raises(stasis.UnsupportedError, match="do not fit"):
        space.assign(["dog"])
    assert space.lookup(["dog", "cat"]).tolist() == [-1, 2]
    path = tmp_path / "space.safetensors"
    space.save(path)
    again = stasis.Space.open(path)
    assert again.fingerprint == space.fingerprint
    assert again.lookup([40, 10, 7]).tolist() == [0, 1, 4] and again.lookup(["cat", "7"]).tolist() == [2, 3]
    info = stasis.inspect_space(path)
    assert info["metadata"]["space.kind"] == "simplex" and info["tensors"] == {"vertices": [5, 4]}


def test_space_file_is_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file

    space = stasis.Space("orthoplex", 6)
    path = tmp_path / "s.safetensors"
    space.save(path)
    np.testing.assert_array_equal(load_file(str(path))["vertices"], space.vertices)


@pytest.mark.parametrize(
    "args, match",
    [
        (("simplex", 1), "at least 2"),
        (("simplex", 10, 5), "dimension 9"),
        (("tetrahedron", 4), "unknown space kind"),
        (("spherical-code", 100), "explicit dimension"),
        (("spherical-code", 10000, 8), "cannot place"),
        (("simplex", 100000), "spherical-code"),
    ],
)
def test_refusals(args, match):
    with pytest.raises(stasis.InvalidArgumentError, match=match):
        stasis.Space(*args)


def test_damaged_space_files(tmp_path):
    from safetensors.numpy import load_file, save_file

    space = stasis.Space("simplex", 8)
    good = tmp_path / "good.safetensors"
    space.save(good)
    data = good.read_bytes()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(data[: len(data) - 7])
    with pytest.raises(stasis.CorruptFileError):
        stasis.Space.open(bad)
    # Edited vertices no longer match the fingerprint.
    tensors = load_file(str(good))
    tensors["vertices"][0, 0] += 0.01
    from safetensors import safe_open

    with safe_open(str(good), "np") as f:
        metadata = f.metadata()
    save_file(tensors, str(bad), metadata=metadata)
    with pytest.raises(stasis.CorruptFileError, match="fingerprint|hash"):
        stasis.Space.open(bad)
    metadata["space.kind"] = "prism"
    save_file(load_file(str(good)), str(bad), metadata=dict(metadata, **{"space.kind": "prism"}))
    with pytest.raises(stasis.UnsupportedFormatError, match="unknown space kind 'prism'"):
        stasis.Space.open(bad)
    metadata["space.kind"] = "simplex"
    metadata["stasis.format"] = "9"
    save_file(load_file(str(good)), str(bad), metadata=metadata)
    with pytest.raises(stasis.UnsupportedFormatError, match="format 9"):
        stasis.Space.open(bad)
    save_file({"x": np.zeros(3, np.float32)}, str(bad))
    with pytest.raises(stasis.InvalidArgumentError, match="without Stasis metadata"):
        stasis.Space.open(bad)


@pytest.mark.parametrize(
    "args",
    [("cube", 2**31 - 1), ("orthoplex", 2**17), ("spherical-code", 2**22, 65536), ("simplex", 2**62)],
)
def test_sizes_that_would_exhaust_memory_are_refused(args):
    with pytest.raises(stasis.InvalidArgumentError, match="exceeds|at most|too large|must be in"):
        stasis.Space(*args)

"""stasis.train: the Python surface of the trainer (issue 16)."""
import math

import numpy as np
import pytest

import stasis

DIM = 16


def clusters(classes=5, per_class=60, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, DIM)) * 3 + shift
    labels = np.arange(classes * per_class) % classes
    features = (centres[labels] + rng.normal(size=(labels.size, DIM))).astype(np.float32)
    return features, labels


def test_trains_a_head_with_a_summary_and_progress(tmp_path):
    x, y = clusters()
    space = stasis.Space("simplex", 8)
    reports = []
    encoder = stasis.train(space, x, y, version=1, epochs=8, batch_size=32, lr=1e-2, seed=3,
                           progress=reports.append, backbone="toy")
    assert isinstance(encoder, stasis.Encoder)
    assert (encoder.version, encoder.input_dim, encoder.output_dim, encoder.space) == (1, DIM, 7, space.fingerprint)
    assert len(space) == 5 and list(space.lookup([0, 4])) == [0, 4]
    assert [r.epoch for r in reports] == list(range(1, 9)) and all(r.end_of_epoch for r in reports)
    assert reports[-1].loss < reports[0].loss and reports[-1].validation_accuracy > 0.95
    summary = encoder.training
    assert summary["items"] == 300 and summary["validationItems"] == 30 and summary["epochs"] == 8
    assert summary["seed"] == 3 and summary["space"] == space.fingerprint and summary.get("previousVersion") is None
    assert summary["recipe"]["optimizer"] == "adamw" and summary["recipe"]["alignment"] == "none"
    assert encoder.metadata("stasis.backbone") == "toy"
    assert encoder.feature == "raw" and encoder.temperature is None
    vectors = encoder.encode(x[:10])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    encoder.save(tmp_path / "v1.safetensors")
    assert np.array_equal(stasis.Encoder.open(tmp_path / "v1.safetensors").encode(x[:10]), vectors)


def test_zero_options_are_literal():
    x, y = clusters()
    encoder = stasis.train(stasis.Space("simplex", 8), x, y, version=1, epochs=2, validation=0, weight_decay=0,
                           optimizer="sgd", momentum=0, lr=0.05, bias=False)
    summary = encoder.training
    assert "validationAccuracy" not in summary and summary["validationItems"] == 0
    assert summary["recipe"]["weightDecay"] == 0 and summary["recipe"]["momentum"] == 0
    assert summary["recipe"]["bias"] is False


def test_seed_reproduces_and_string_labels():
    x, y = clusters()
    names = [f"class-{k}" for k in y]
    a = stasis.train(stasis.Space("simplex", 8), x, names, version=1, epochs=3)
    b = stasis.train(stasis.Space("simplex", 8), x, names, version=1, epochs=3)
    c = stasis.train(stasis.Space("simplex", 8), x, names, version=1, epochs=3, seed=1)
    assert np.array_equal(a.encode(x), b.encode(x))
    assert not np.array_equal(a.encode(x), c.encode(x))


@pytest.mark.parametrize("normalization,activation,optimizer", [
    (None, "relu", "sgd"), ("layernorm", "gelu", "adamw"), ("batchnorm", "relu", "sgd")])
def test_hidden_layers(normalization, activation, optimizer):
    x, y = clusters()
    encoder = stasis.train(stasis.Space("simplex", 8), x, y, version=1, hidden=(32,), normalization=normalization,
                           activation=activation, optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 1e-2,
                           epochs=10, warmup_epochs=1, patience=3)
    assert encoder.training["validationAccuracy"] > 0.9


def test_upgrade_with_alignment_and_softmax(tmp_path):
    x_old, y = clusters(seed=0)
    x_new, _ = clusters(seed=5)
    space = stasis.Space("simplex", 8)
    first = y < 3
    v1 = stasis.train(space, x_old[first], y[first], version=1, epochs=10, lr=1e-2)
    old_vectors = v1.encode(x_old)
    agreement = {}
    for alignment in (None, "hoc", "cl2r"):
        v2 = stasis.train(space, x_new, y, version=2, previous=v1, previous_features=x_old, alignment=alignment,
                          epochs=20, lr=1e-2)
        agreement[alignment] = float(np.mean(np.sum(v2.encode(x_new) * old_vectors, axis=1)))
        assert v2.training["previousVersion"] == 1
    assert agreement["hoc"] > agreement[None] + 0.1 and agreement["cl2r"] > agreement[None] + 0.1, agreement
    paired = stasis.train(space, x_new, y, version=3, previous=v1, previous_features=x_old, alignment="hoc",
                          paired_features=x_new[:50], paired_previous_features=x_old[:50], alignment_weight=0.5,
                          alignment_scale=20)
    assert paired.training["pairedItems"] == 50 and paired.training["recipe"]["alignmentWeight"] == 0.5
    soft = stasis.train(space, x_new, y, version=4, feature="softmax", epochs=5)
    assert soft.feature == "softmax" and soft.temperature > 0
    assert soft.training["recipe"]["temperature"] == soft.temperature
    fixed = stasis.train(space, x_new, y, version=5, feature="softmax", temperature=2.0, epochs=2)
    assert fixed.temperature == 2.0
    soft.save(tmp_path / "soft.safetensors")
    reopened = stasis.Encoder.open(tmp_path / "soft.safetensors")
    assert reopened.feature == "softmax" and np.array_equal(reopened.encode(x_new[:5]), soft.encode(x_new[:5]))
    # The index applies the softmax feature through add_features / search_features unchanged.
    index = stasis.Index.for_space(space, "Flat")
    index.add_features(soft, x_new[:20], np.arange(20))
    result = index.search_features(soft, x_new[:3], 1)
    assert list(result.ids[:, 0]) == [0, 1, 2]
    assert np.allclose(index.search(soft.encode(x_new[:3]), 1).scores, result.scores)


def test_bad_input_changes_nothing(tmp_path):
    x, y = clusters()
    space = stasis.Space("simplex", 8)
    with pytest.raises(stasis.InvalidArgumentError, match="labels for 300 feature rows"):
        stasis.train(space, x, y[:-1], version=1)
    bad = x.copy()
    bad[7, 3] = np.nan
    with pytest.raises(stasis.InvalidArgumentError, match="row 7 has a non-finite value"):
        stasis.train(space, bad, y, version=1)
    with pytest.raises(stasis.UnsupportedError, match="space is full"):
        stasis.train(stasis.Space("simplex", 4), x, y, version=1)
    foreign = stasis.train(stasis.Space("simplex", 9), x, y, version=1, epochs=1)
    with pytest.raises(stasis.IncompatibleError, match="belongs to space"):
        stasis.train(space, x, y, version=2, previous=foreign, previous_features=x, alignment="hoc")
    with pytest.raises(stasis.CancelledError, match="cancelled"):
        stasis.train(space, x, y, version=1, progress=lambda report: report.epoch < 2)

    class Stop(Exception):
        pass

    def explode(report):
        raise Stop()

    with pytest.raises(Stop):
        stasis.train(space, x, y, version=1, progress=explode)
    with pytest.raises(stasis.InvalidArgumentError, match="optimizer"):
        stasis.train(space, x, y, version=1, optimizer="lbfgs")
    with pytest.raises(stasis.InvalidArgumentError, match="lr must be a positive number"):
        stasis.train(space, x, y, version=1, lr=math.nan)
    with pytest.raises(stasis.InvalidArgumentError, match="weight_decay must be >= 0"):
        stasis.train(space, x, y, version=1, weight_decay=-1)
    with pytest.raises(stasis.InvalidArgumentError, match="needs the previous encoder"):
        stasis.train(space, x, y, version=1, alignment="hoc")
    assert len(space) == 0
    assert list(tmp_path.iterdir()) == []


def test_residual_head_is_mlp_plus_a_linear_skip(tmp_path):
    """The encoder of a residual head computes normalize(MLP(x) + S x) from the tensors it saved."""
    from safetensors.numpy import load_file

    rng = np.random.default_rng(4)
    x = rng.standard_normal((400, 12)).astype(np.float32)
    y = rng.integers(0, 5, 400)
    space = stasis.Space("simplex", 8)
    encoder = stasis.train(space, x, y, version=1, hidden=(24,), residual=True, epochs=2)
    path = tmp_path / "residual.safetensors"
    encoder.save(str(path))
    t = load_file(str(path))
    assert sorted(t) == [f"layers.{i}.{p}" for i in (0, 2, 3) for p in ("bias", "weight")]
    assert t["layers.3.weight"].shape == (7, 12)  # skip: input width -> output width
    hidden = np.maximum(x @ t["layers.0.weight"].T + t["layers.0.bias"], 0)
    out = hidden @ t["layers.2.weight"].T + t["layers.2.bias"] + x @ t["layers.3.weight"].T + t["layers.3.bias"]
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    np.testing.assert_allclose(encoder.encode(x), out, atol=1e-5)
    assert stasis.training_summary(encoder)["recipe"]["residual"] is True
    assert np.array_equal(stasis.Encoder.open(str(path)).encode(x), encoder.encode(x))
    with pytest.raises(stasis.InvalidArgumentError, match="residual head needs hidden layers"):
        stasis.train(space, x, y, version=2, residual=True)

"""Training stationary encoder heads: ``stasis.train(space, features, labels, version=...)``.

The head maps backbone features into the space; its logits are z W^T against the space's fixed
vertex matrix W (never updated). See docs/training.md for the recipes and their trade-offs.
"""
import ctypes
import json
from ctypes import POINTER, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p
from typing import NamedTuple

import numpy as np

from ._errors import InvalidArgumentError
from ._loader import check, checked_int, checked_version, lib
from .encoder import Encoder
from .space import Space, _label_batch


class TrainProgress(NamedTuple):
    """One progress report; validation values are NaN inside an epoch or without validation."""

    epoch: int
    epochs: int
    step: int
    steps: int
    loss: float
    train_accuracy: float
    validation_loss: float
    validation_accuracy: float
    learning_rate: float
    end_of_epoch: bool


class _Progress(ctypes.Structure):
    """Mirror of stasis_train_progress."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("epoch", c_int32),
        ("epochs", c_int32),
        ("step", c_int64),
        ("steps", c_int64),
        ("loss", c_double),
        ("train_accuracy", c_double),
        ("validation_loss", c_double),
        ("validation_accuracy", c_double),
        ("learning_rate", c_double),
        ("end_of_epoch", c_int32),
    ]


_ProgressFunction = ctypes.CFUNCTYPE(c_int, POINTER(_Progress), c_void_p)


class _Options(ctypes.Structure):
    """Mirror of stasis_train_options."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("epochs", c_int32),
        ("batch_size", c_int32),
        ("optimizer", c_int32),
        ("warmup_epochs", c_int32),
        ("learning_rate", c_double),
        ("weight_decay", c_double),
        ("momentum", c_double),
        ("seed", c_uint64),
        ("validation", c_double),
        ("patience", c_int32),
        ("alignment", c_int32),
        ("alignment_weight", c_double),
        ("alignment_scale", c_double),
        ("feature", c_int32),
        ("activation", c_int32),
        ("temperature", c_double),
        ("logit_scale", c_double),
        ("hidden", POINTER(c_int64)),
        ("hidden_count", c_int64),
        ("normalization", c_int32),
        ("no_bias", c_int32),
        ("paired_count", c_int64),
        ("paired_features", c_void_p),
        ("paired_previous_features", c_void_p),
        ("progress", _ProgressFunction),
        ("progress_user_data", c_void_p),
        ("backbone", c_char_p),
        ("notes", c_char_p),
        ("progress_interval", c_int64),
        ("residual", c_int32),
    ]


_f32_2d = np.ctypeslib.ndpointer(dtype=np.float32, ndim=2, flags="C_CONTIGUOUS")
_i64_1d = np.ctypeslib.ndpointer(dtype=np.int64, ndim=1, flags="C_CONTIGUOUS")
_common = [c_void_p, c_int64, c_void_p, c_uint32, POINTER(_Options), POINTER(c_void_p)]
for _name, _restype, _argtypes in (
    ("stasis_train_ids", c_int32, [c_void_p, c_int64, c_int64, _f32_2d, _i64_1d] + _common),
    ("stasis_train_names", c_int32, [c_void_p, c_int64, c_int64, _f32_2d, POINTER(c_char_p)] + _common),
    ("stasis_encoder_feature", c_int32, [c_void_p, POINTER(c_char_p), POINTER(c_double)]),
):
    getattr(lib, _name).restype = _restype
    getattr(lib, _name).argtypes = _argtypes

_CHOICES = {
    "optimizer": ("adamw", "sgd"),
    "alignment": (None, "hoc", "cl2r"),
    "feature": ("raw", "softmax"),
    "activation": ("relu", "gelu"),
    "normalization": (None, "layernorm", "batchnorm"),
}


def _choice(name, value):
    if name in ("alignment", "normalization") and value == "none":
        value = None
    try:
        return _CHOICES[name].index(value)
    except ValueError:
        raise InvalidArgumentError(f"{name} must be one of {_CHOICES[name]}, got {value!r}") from None


def _literal(value, name):
    """A float option whose 0 is meaningful: sent as -1 (the struct's "none"); negatives refused."""
    number = float(value)
    if not number >= 0:
        raise InvalidArgumentError(f"{name} must be >= 0, got {value}")
    return -1.0 if number == 0 else number


def _matrix(values, name, rows=None):
    array = np.ascontiguousarray(values, dtype=np.float32)
    if array.ndim != 2:
        raise InvalidArgumentError(f"{name} must be a 2-D array (n x dim), got shape {array.shape}")
    if rows is not None and array.shape[0] != rows:
        raise InvalidArgumentError(f"{name} has {array.shape[0]} rows, expected {rows} (one per labelled item)")
    return array


def train(
    space,
    features,
    labels,
    *,
    version,
    previous=None,
    previous_features=None,
    alignment=None,
    feature="raw",
    hidden=(),
    epochs=10,
    batch_size=128,
    optimizer="adamw",
    lr=1e-3,
    weight_decay=1e-4,
    seed=0,
    validation=0.1,
    progress=None,
    momentum=0.9,
    warmup_epochs=0,
    patience=0,
    alignment_weight=None,
    alignment_scale=10.0,
    temperature=None,
    logit_scale=1.0,
    activation="relu",
    normalization=None,
    bias=True,
    paired_features=None,
    paired_previous_features=None,
    progress_interval=0,
    backbone=None,
    notes=None,
    residual=False,
):
    """Trains model ``version`` of an encoder head into ``space`` and returns it (not saved).

    ``features``: n x dim backbone features; ``labels``: n ints or n strings. New labels take the
    next free vertices of the space (save the space to keep them); old labels keep theirs.
    ``previous`` / ``previous_features``: the previous Encoder and the old backbone's features of
    the same items, needed by ``alignment="hoc"`` or ``"cl2r"``; ``paired_features`` /
    ``paired_previous_features`` add an unlabelled paired sample to the alignment term.
    ``alignment_weight`` is the compatibility/accuracy knob (None: the recipe's default).
    ``residual=True`` (with ``hidden``) adds a trained linear skip from the input to the output,
    y = MLP(x) + S x: the residual head that came closest to compatibility on real data.
    ``feature="softmax"`` makes the encoder produce normalize(softmax(z W^T / T) W), T chosen on
    the validation split unless ``temperature`` is given. ``progress(report)`` is called with a
    TrainProgress at each epoch's end (and every ``progress_interval`` steps); returning False
    cancels (CancelledError), and an exception raised in it cancels and is re-raised. On any
    error the space is unchanged. Runs on the calling thread.
    """
    space_handle = Space._of(space, "space")
    rows = _matrix(features, "features")
    n = rows.shape[0]
    kind, batch = _label_batch(labels)
    if len(batch) != n:
        raise InvalidArgumentError(f"{len(batch)} labels for {n} feature rows: give one label per row")
    options = _Options()
    options.struct_size = ctypes.sizeof(_Options)
    options.epochs = checked_int(epochs, "epochs", 1, 100_000)
    options.batch_size = checked_int(batch_size, "batch_size", 1, 1 << 20)
    options.optimizer = _choice("optimizer", optimizer)
    options.warmup_epochs = checked_int(warmup_epochs, "warmup_epochs", 0, 100_000)
    for value, name in ((lr, "lr"), (alignment_scale, "alignment_scale"), (logit_scale, "logit_scale")):
        if not float(value) > 0:
            raise InvalidArgumentError(f"{name} must be a positive number, got {value}")
    options.learning_rate = float(lr)
    # The C struct reads 0 as "default" and a negative value as "none".
    options.weight_decay = _literal(weight_decay, "weight_decay")
    options.momentum = _literal(momentum, "momentum")
    options.seed = checked_int(seed, "seed", 0, 2**64 - 1)
    options.validation = _literal(validation, "validation")
    options.patience = checked_int(patience, "patience", 0, 100_000)
    options.alignment = _choice("alignment", alignment)
    options.alignment_weight = 0.0 if alignment_weight is None else float(alignment_weight)
    if alignment_weight is not None and not alignment_weight > 0:
        raise InvalidArgumentError(f"alignment_weight must be > 0 or None, got {alignment_weight}")
    options.alignment_scale = float(alignment_scale)
    options.feature = _choice("feature", feature)
    options.activation = _choice("activation", activation)
    options.temperature = 0.0 if temperature is None else float(temperature)
    if temperature is not None and not temperature > 0:
        raise InvalidArgumentError(f"temperature must be > 0 or None, got {temperature}")
    options.logit_scale = float(logit_scale)
    widths = np.ascontiguousarray([checked_int(h, "hidden width", 1, 65536) for h in hidden], dtype=np.int64)
    options.hidden = widths.ctypes.data_as(POINTER(c_int64)) if len(widths) else None
    options.hidden_count = len(widths)
    options.normalization = _choice("normalization", normalization)
    options.no_bias = 0 if bias else 1
    options.progress_interval = checked_int(progress_interval, "progress_interval", 0, 2**31 - 1)
    options.residual = 1 if residual else 0
    options.backbone = backbone.encode() if backbone else None
    options.notes = notes.encode() if notes else None

    previous_handle, previous_dim, old = None, 0, None
    if previous is not None:
        previous_handle = Encoder._of(previous, "previous")
        previous_dim = previous.input_dim
        if previous_features is not None:
            old = _matrix(previous_features, "previous_features", rows=n)
            if old.shape[1] != previous_dim:
                raise InvalidArgumentError(
                    f"previous_features have {old.shape[1]} columns, the previous encoder expects {previous_dim}")
    elif previous_features is not None or paired_features is not None:
        raise InvalidArgumentError("previous_features and a paired sample need the previous encoder")
    keep = [widths]
    if (paired_features is None) != (paired_previous_features is None):
        raise InvalidArgumentError("give both paired_features and paired_previous_features, or neither")
    if paired_features is not None:
        new_pairs = _matrix(paired_features, "paired_features")
        old_pairs = _matrix(paired_previous_features, "paired_previous_features", rows=new_pairs.shape[0])
        if new_pairs.shape[1] != rows.shape[1] or old_pairs.shape[1] != previous_dim:
            raise InvalidArgumentError(
                f"paired features need {rows.shape[1]} (new) and {previous_dim} (old) columns, got "
                f"{new_pairs.shape[1]} and {old_pairs.shape[1]}")
        options.paired_count = new_pairs.shape[0]
        options.paired_features = new_pairs.ctypes.data
        options.paired_previous_features = old_pairs.ctypes.data
        keep += [new_pairs, old_pairs]

    raised = []
    if progress is not None:
        def relay(report, _user):
            try:
                r = report.contents
                answer = progress(TrainProgress(
                    r.epoch, r.epochs, r.step, r.steps, r.loss, r.train_accuracy, r.validation_loss,
                    r.validation_accuracy, r.learning_rate, bool(r.end_of_epoch)))
                return 1 if answer is False else 0
            except BaseException as error:  # cancel, then re-raise outside the C call
                raised.append(error)
                return 1

        options.progress = _ProgressFunction(relay)
        keep.append(options.progress)

    out = c_void_p()
    function = lib.stasis_train_ids if kind == "ids" else lib.stasis_train_names
    status = function(space_handle, n, rows.shape[1], rows, batch, previous_handle, previous_dim,
                      None if old is None else old.ctypes.data, checked_version(version), ctypes.byref(options),
                      ctypes.byref(out))
    if raised:
        raise raised[0]
    check(status)
    return Encoder(out.value)


def _feature(encoder):
    kind, temperature = c_char_p(), c_double()
    check(lib.stasis_encoder_feature(encoder._h, ctypes.byref(kind), ctypes.byref(temperature)))
    return kind.value.decode(), temperature.value


def training_summary(encoder):
    """The ``stasis.training`` summary of a trained encoder as a dict (None when absent)."""
    from ._errors import NotFoundError

    try:
        return json.loads(encoder.metadata("stasis.training"))
    except NotFoundError:
        return None


# Feature-kind properties of every Encoder (declared here, next to the prototype they use).
Encoder.feature = property(lambda self: _feature(self)[0], doc='"raw" or "softmax".')
Encoder.temperature = property(
    lambda self: (lambda kind, t: t if kind == "softmax" else None)(*_feature(self)),
    doc="Softmax temperature T, None for raw features.")
Encoder.training = property(training_summary, doc="The training summary dict, None when not trained by Stasis.")

__all__ = ["train", "TrainProgress", "training_summary"]

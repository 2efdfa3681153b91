"""Adapters: maps between model versions fitted on paired samples (safetensors files).

A *backward* adapter (source = new version, target = old) maps new-model queries into the old
space so the old gallery is searched unchanged; a *forward* adapter (source = old, target = new)
moves stored vectors into the new space without running the new backbone. Both are
``Adapter.fit(source, target, ...)``; the caller chooses which is which. ``apply`` returns
L2-normalised rows. See docs/adapters.md.
"""
import ctypes
import math
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p

import numpy as np

from ._errors import DimensionMismatchError, InvalidArgumentError
from ._loader import Handle, check, checked_int, checked_version, encode_path, lib, read_json_string

#: Every adapter kind (docs/adapters.md has the formulas).
KINDS = ("procrustes", "ridge", "lowrank", "orthogonal", "mlp", "local")


class AdapterOptions(ctypes.Structure):
    """Mirror of stasis_adapter_options."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("ridge", c_double),
        ("rank", c_int64),
        ("validation_fraction", c_double),
        ("seed", c_uint64),
        ("source_space", c_char_p),
        ("target_space", c_char_p),
        ("orthogonality", c_double),
        ("clusters", c_int64),
        ("routing", c_int64),
        ("hidden", c_int64),
        ("epochs", c_int64),
    ]


def _f32_2d():
    return np.ctypeslib.ndpointer(dtype=np.float32, ndim=2, flags="C_CONTIGUOUS")


_PROTOTYPES = {
    "stasis_adapter_fit": (
        c_int32,
        [c_char_p, c_uint32, c_uint32, c_int64, c_int64, _f32_2d(), c_int64, _f32_2d(), POINTER(AdapterOptions),
         POINTER(c_void_p)],
    ),
    "stasis_adapter_fit_unpaired": (
        c_int32,
        [c_uint32, c_uint32, c_int64, c_int64, _f32_2d(), c_int64, c_int64, _f32_2d(), POINTER(AdapterOptions),
         POINTER(c_void_p)],
    ),
    "stasis_adapter_is_unpaired": (c_int32, [c_void_p, POINTER(ctypes.c_int)]),
    "stasis_adapter_free": (None, [c_void_p]),
    "stasis_adapter_save": (c_int32, [c_void_p, c_char_p]),
    "stasis_adapter_open": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_adapter_inspect": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_adapter_kind": (c_int32, [c_void_p, POINTER(c_char_p)]),
    "stasis_adapter_versions": (c_int32, [c_void_p, POINTER(c_uint32), POINTER(c_uint32)]),
    "stasis_adapter_dimensions": (c_int32, [c_void_p, POINTER(c_int64), POINTER(c_int64)]),
    "stasis_adapter_validation": (
        c_int32, [c_void_p, POINTER(c_int64), POINTER(c_int64), POINTER(c_double), POINTER(c_double)]),
    "stasis_adapter_apply": (c_int32, [c_void_p, c_int64, c_int64, _f32_2d(), c_int64, _f32_2d()]),
    "stasis_adapter_chain_apply": (
        c_int32, [POINTER(c_void_p), c_int64, c_int64, c_int64, _f32_2d(), c_int64, _f32_2d()]),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


def _rows(x, name):
    rows = np.ascontiguousarray(x, dtype=np.float32)
    if rows.ndim != 2:
        raise InvalidArgumentError(f"{name} must be a 2-D array (n x dim), got shape {rows.shape}")
    return rows


class Adapter(Handle):
    """A fitted map from ``source_version`` vectors (``source_dim`` wide) to ``target_version``
    vectors (``target_dim`` wide). Immutable: safe to use from many threads."""

    _kind = "adapter"

    def __init__(self, _handle):
        self._own(ctypes.c_void_p(_handle), lib.stasis_adapter_free)
        self.kind = self._get(lib.stasis_adapter_kind, c_char_p).decode()
        source, target = c_uint32(), c_uint32()
        check(lib.stasis_adapter_versions(self._h, ctypes.byref(source), ctypes.byref(target)))
        self.source_version, self.target_version = source.value, target.value
        source_dim, target_dim = c_int64(), c_int64()
        check(lib.stasis_adapter_dimensions(self._h, ctypes.byref(source_dim), ctypes.byref(target_dim)))
        self.source_dim, self.target_dim = source_dim.value, target_dim.value

    @classmethod
    def fit(cls, source, target, *, kind="procrustes", source_version, target_version, ridge=None, rank=None,
            validation_fraction=0.1, seed=0, source_space=None, target_space=None, orthogonality=None,
            clusters=None, routing=None, hidden=None, epochs=None):
        """Fits an adapter on paired rows: ``source[i]`` and ``target[i]`` embed the same item.

        ``kind``: "procrustes" (rotation, no bias), "ridge" (affine, ridge strength ``ridge``,
        default 1e-3), "lowrank" (ridge truncated to ``rank``, default half the smaller
        dimension), "orthogonal" (affine pulled towards a rotation by ``orthogonality``, default
        0.1), "mlp" (ridge skip plus a ``hidden``-wide relu layer, default 512, trained for
        ``epochs`` passes, default 20) or "local" (``clusters`` k-means regions, default
        min(32, pairs / 128), each with its own rotation, mixed over the ``routing`` nearest,
        default 3). ``validation_fraction`` of the pairs (seeded by ``seed``) is held out and
        scored; 0 fits on all pairs. Raises InvalidArgumentError for mismatched row counts,
        NaN/Inf or zero rows, too few pairs for the kind, an unknown kind or bad options."""
        x, y = _rows(source, "source"), _rows(target, "target")
        if x.shape[0] != y.shape[0]:
            raise InvalidArgumentError(
                f"paired samples need the same number of rows: source has {x.shape[0]}, target has {y.shape[0]}")
        if not isinstance(kind, str):
            raise InvalidArgumentError(f"kind must be a string, got {type(kind).__name__}")
        options = _options(ridge=ridge, rank=rank, validation_fraction=validation_fraction, seed=seed,
                           source_space=source_space, target_space=target_space, orthogonality=orthogonality,
                           clusters=clusters, routing=routing, hidden=hidden, epochs=epochs)
        handle = c_void_p()
        check(lib.stasis_adapter_fit(
            kind.encode(), checked_version(source_version), checked_version(target_version), x.shape[0],
            x.shape[1], x, y.shape[1], y, ctypes.byref(options), ctypes.byref(handle)))
        return cls(handle.value)

    @classmethod
    def fit_unpaired(cls, source, target, *, source_version, target_version, clusters=None, epochs=None, seed=0,
                     source_space=None, target_space=None):
        """Fits an adapter WITHOUT pairs: ``source`` and ``target`` rows are different items (the
        row counts may differ). k-means anchors (``clusters`` per side, default min(64, rows/16))
        are matched by the shape of their similarity structure, an orthogonal map is fitted on
        them and refined for ``epochs`` rounds (default 20) on nearest-neighbour pseudo-pairs.
        The adapter has kind "orthogonal", ``unpaired`` True and no validation numbers: measure it
        on pairs of your own. Raises InvalidArgumentError for too few rows or bad input."""
        x, y = _rows(source, "source"), _rows(target, "target")
        options = _options(seed=seed, source_space=source_space, target_space=target_space, clusters=clusters,
                           epochs=epochs)
        handle = c_void_p()
        check(lib.stasis_adapter_fit_unpaired(
            checked_version(source_version), checked_version(target_version), x.shape[0], x.shape[1], x,
            y.shape[0], y.shape[1], y, ctypes.byref(options), ctypes.byref(handle)))
        return cls(handle.value)

    @property
    def unpaired(self):
        """True when the adapter was fitted without pairs (``fit_unpaired``)."""
        flag = ctypes.c_int()
        check(lib.stasis_adapter_is_unpaired(self._h, ctypes.byref(flag)))
        return bool(flag.value)

    @classmethod
    def open(cls, path):
        handle = c_void_p()
        check(lib.stasis_adapter_open(encode_path(path), ctypes.byref(handle)))
        return cls(handle.value)

    def save(self, path):
        """Writes the adapter atomically (safetensors with metadata; see docs/adapters.md)."""
        check(lib.stasis_adapter_save(self._h, encode_path(path)))

    @property
    def direction(self):
        """"backward" when mapping a newer version into an older one (queries), else "forward"."""
        return "backward" if self.source_version > self.target_version else "forward"

    @property
    def validation(self):
        """Held-out numbers measured at fit time: train_pairs, validation_pairs, mean_cosine and
        recall_at_1 (None when nothing was held out), and fit: "paired" or "unpaired" (an
        unpaired adapter saw no pairs, so it has no held-out numbers)."""
        train, held, cosine, recall = c_int64(), c_int64(), c_double(), c_double()
        check(lib.stasis_adapter_validation(
            self._h, ctypes.byref(train), ctypes.byref(held), ctypes.byref(cosine), ctypes.byref(recall)))

        def number(value):
            return None if math.isnan(value) else value

        return {"fit": "unpaired" if self.unpaired else "paired", "train_pairs": train.value,
                "validation_pairs": held.value, "mean_cosine": number(cosine.value),
                "recall_at_1": number(recall.value)}

    def apply(self, x):
        """n x source_dim vectors -> n x target_dim float32 unit rows."""
        rows = _rows(x, "x")
        if rows.shape[1] != self.source_dim:
            raise DimensionMismatchError(
                f"x has {rows.shape[1]} columns, adapter {self.source_version}->{self.target_version} reads {self.source_dim}")
        out = np.empty((rows.shape[0], self.target_dim), np.float32)
        check(lib.stasis_adapter_apply(self._h, rows.shape[0], rows.shape[1], rows, self.target_dim, out))
        return out

    def __repr__(self):
        if not self._finalizer.alive:
            return "<stasis.Adapter closed>"
        return (f"<stasis.Adapter {self.kind} {self.source_version}->{self.target_version} ({self.direction}) "
                f"{self.source_dim}->{self.target_dim}>")


def _options(*, ridge=None, rank=None, validation_fraction=0.1, seed=0, source_space=None, target_space=None,
             orthogonality=None, clusters=None, routing=None, hidden=None, epochs=None):
    options = AdapterOptions()
    options.struct_size = ctypes.sizeof(AdapterOptions)
    for name, value in (("ridge", ridge), ("orthogonality", orthogonality)):
        if value is not None:
            value = float(value)
            if not (math.isfinite(value) and value > 0):
                raise InvalidArgumentError(f"{name} must be a finite number > 0, got {value}")
            setattr(options, name, value)
    if rank is not None:
        options.rank = checked_int(rank, "rank", 1, 2**16)
    for name, value, low, high in (("clusters", clusters, 2, 4096), ("routing", routing, 1, 4096),
                                   ("hidden", hidden, 1, 65536), ("epochs", epochs, 1, 10000)):
        if value is not None:
            setattr(options, name, checked_int(value, name, low, high))
    fraction = float(validation_fraction)
    if not (0 <= fraction < 1):
        raise InvalidArgumentError(f"validation fraction must be in [0, 1), got {fraction}")
    options.validation_fraction = fraction if fraction > 0 else -1.0
    options.seed = checked_int(seed, "seed", 0, 2**64 - 1)
    options.source_space = None if source_space is None else str(source_space).encode()
    options.target_space = None if target_space is None else str(target_space).encode()
    return options


class AdapterChain:
    """Adapters applied in order, e.g. ``AdapterChain([v3_to_v2, v2_to_v1]).apply(x)``. Checked
    when built: a gap in versions or spaces raises IncompatibleError, differing dimensions
    DimensionMismatchError. Keeps references to its adapters."""

    def __init__(self, adapters):
        self.adapters = list(adapters)
        if not self.adapters:
            raise InvalidArgumentError("an adapter chain needs at least one adapter")
        self._array = (c_void_p * len(self.adapters))(*[Adapter._of(a, "adapters[]") for a in self.adapters])
        first, last = self.adapters[0], self.adapters[-1]
        empty_in = np.empty((0, first.source_dim), np.float32)
        empty_out = np.empty((0, last.target_dim), np.float32)
        check(lib.stasis_adapter_chain_apply(
            self._array, len(self.adapters), 0, first.source_dim, empty_in, last.target_dim, empty_out))
        self.source_version, self.target_version = first.source_version, last.target_version
        self.source_dim, self.target_dim = first.source_dim, last.target_dim

    def apply(self, x):
        """n x source_dim vectors -> n x target_dim float32 unit rows, through every adapter."""
        rows = _rows(x, "x")
        if rows.shape[1] != self.source_dim:
            raise DimensionMismatchError(f"x has {rows.shape[1]} columns, the chain reads {self.source_dim}")
        for adapter in self.adapters:
            adapter._h  # raises ValueError when an adapter was closed meanwhile
        out = np.empty((rows.shape[0], self.target_dim), np.float32)
        check(lib.stasis_adapter_chain_apply(
            self._array, len(self.adapters), rows.shape[0], rows.shape[1], rows, self.target_dim, out))
        return out


def inspect_adapter(path):
    """Metadata and tensor shapes of an adapter file, without loading the weights."""
    return read_json_string(lib.stasis_adapter_inspect, path)

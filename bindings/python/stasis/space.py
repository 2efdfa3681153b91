"""Stationary spaces: fixed classifier geometry plus the append-only class registry."""
import ctypes

import numpy as np

from ._errors import InvalidArgumentError
from ._loader import Handle, check, encode_path, lib, read_json_string


def _label_batch(labels):
    """('ids', int64 array) or ('names', ctypes char* array) for a homogeneous label list."""
    if isinstance(labels, (str, bytes, int, np.integer)):
        labels = [labels]
    labels = list(labels)
    if all(isinstance(label, (int, np.integer)) and not isinstance(label, bool) for label in labels):
        return "ids", np.ascontiguousarray(labels, dtype=np.int64).reshape(-1)
    if all(isinstance(label, (str, bytes)) for label in labels):
        encoded = [label.encode() if isinstance(label, str) else label for label in labels]
        return "names", (ctypes.c_char_p * len(encoded))(*encoded)
    raise InvalidArgumentError("labels must be all integers or all strings")


class Space(Handle):
    """A fixed classifier geometry: K class vertices in dimension d, identified by a fingerprint.

    ``Space("simplex", 100)`` (d = 99), ``Space("orthoplex", 100)``, ``Space("cube", 100)``,
    ``Space("spherical-code", 100_000, dim=256, seed=1)``; ``Space.open(path)`` reads a saved one.
    """

    _kind = "space"

    def __init__(self, kind, classes, dim=0, seed=0, *, _handle=None):
        handle = ctypes.c_void_p(_handle)
        if _handle is None:
            check(lib.stasis_space_create(kind.encode(), int(classes), int(dim), int(seed), ctypes.byref(handle)))
        self._own(handle, lib.stasis_space_free)

    @classmethod
    def open(cls, path):
        handle = ctypes.c_void_p()
        check(lib.stasis_space_open(encode_path(path), ctypes.byref(handle)))
        return cls(None, 0, _handle=handle.value)

    def save(self, path):
        """Writes vertices and registry as a safetensors file, atomically."""
        check(lib.stasis_space_save(self._h, encode_path(path)))

    @property
    def kind(self):
        return self._get(lib.stasis_space_kind, ctypes.c_char_p).decode()

    @property
    def fingerprint(self):
        return self._get(lib.stasis_space_fingerprint, ctypes.c_char_p).decode()

    @property
    def classes(self):
        """K, the number of pre-allocated class vertices."""
        return self._get(lib.stasis_space_class_count, ctypes.c_int64)

    @property
    def dim(self):
        return self._get(lib.stasis_space_dimension, ctypes.c_int64)

    @property
    def max_cosine(self):
        """Largest cosine between two distinct vertices."""
        return self._get(lib.stasis_space_max_cosine, ctypes.c_double)

    @property
    def vertices(self):
        """K x d float32 array of unit rows (a copy)."""
        out = np.empty((self.classes, self.dim), np.float32)
        check(lib.stasis_space_vertices(self._h, out.size, out))
        return out

    def __len__(self):
        """Number of labels assigned so far."""
        return self._get(lib.stasis_space_label_count, ctypes.c_int64)

    def assign(self, labels):
        """Vertex index of each label, assigning free vertices to new labels (all-or-nothing).
        Labels are all ints or all strings; save the space to persist new assignments."""
        kind, batch = _label_batch(labels)
        out = np.empty(len(batch), np.int64)
        function = lib.stasis_space_assign_ids if kind == "ids" else lib.stasis_space_assign_names
        check(function(self._h, len(batch), batch, out))
        return out

    def lookup(self, labels):
        """Vertex index of each label, -1 where never assigned."""
        kind, batch = _label_batch(labels)
        out = np.empty(len(batch), np.int64)
        function = lib.stasis_space_lookup_ids if kind == "ids" else lib.stasis_space_lookup_names
        check(function(self._h, len(batch), batch, out))
        return out

    def __repr__(self):
        if not self._finalizer.alive:
            return "<stasis.Space closed>"
        return f"<stasis.Space {self.kind} K={self.classes} d={self.dim} fingerprint={self.fingerprint}>"


def inspect_space(path):
    """Metadata and tensor shapes of a space file, without loading the vertices."""
    return read_json_string(lib.stasis_space_inspect, path)

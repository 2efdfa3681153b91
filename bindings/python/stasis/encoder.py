"""Encoders: versioned models mapping backbone features into a space (safetensors files)."""
import ctypes

import numpy as np

from ._errors import InvalidArgumentError
from ._loader import Handle, check, encode_path, lib, read_json_string


class Encoder(Handle):
    """One model version. ``Encoder.open(path)`` loads a safetensors head (see docs/formats.md
    for the naming convention); ``encode(x)`` maps n x input_dim features to n x output_dim unit
    vectors. Immutable: safe to use from many threads."""

    _kind = "encoder"

    def __init__(self, _handle):
        self._own(ctypes.c_void_p(_handle), lib.stasis_encoder_free)
        self.input_dim = self._get(lib.stasis_encoder_input_dimension, ctypes.c_int64)
        self.output_dim = self._get(lib.stasis_encoder_output_dimension, ctypes.c_int64)
        self.version = self._get(lib.stasis_encoder_version, ctypes.c_uint32)
        self.space = self._get(lib.stasis_encoder_space, ctypes.c_char_p).decode()

    @classmethod
    def open(cls, path):
        handle = ctypes.c_void_p()
        check(lib.stasis_encoder_open(encode_path(path), ctypes.byref(handle)))
        return cls(handle.value)

    def save(self, path):
        check(lib.stasis_encoder_save(self._h, encode_path(path)))

    def metadata(self, key):
        """Metadata value (e.g. ``"stasis.backbone"``); raises NotFoundError when absent."""
        return self._get(lib.stasis_encoder_metadata, ctypes.c_char_p, key.encode()).decode()

    def encode(self, x):
        """n x input_dim features -> n x output_dim float32 unit vectors."""
        rows = np.ascontiguousarray(x, dtype=np.float32)
        if rows.ndim != 2:
            raise InvalidArgumentError(f"features must be a 2-D array (n x dim), got shape {rows.shape}")
        out = np.empty((rows.shape[0], self.output_dim), np.float32)
        check(lib.stasis_encoder_encode(self._h, rows.shape[0], rows.shape[1], rows, self.output_dim, out))
        return out

    def __repr__(self):
        if not self._finalizer.alive:
            return "<stasis.Encoder closed>"
        return f"<stasis.Encoder version={self.version} {self.input_dim}->{self.output_dim} space={self.space}>"


def inspect_encoder(path):
    """Metadata and tensor shapes of an encoder file, without loading the weights."""
    return read_json_string(lib.stasis_encoder_inspect, path)

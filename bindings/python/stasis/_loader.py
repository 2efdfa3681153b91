"""Finds and loads libstasis.so, declares every C prototype, and turns statuses into exceptions.

Search order: $STASIS_LIBRARY, this package's folder, the repository's build output.
"""
import ctypes
import os
from ctypes import POINTER, c_char_p, c_int, c_int32, c_int64, c_size_t, c_uint32, c_void_p

import numpy as np

from ._errors import BY_STATUS, StasisError

#: ABI this binding was written against (STASIS_ABI_VERSION in include/stasis.h).
ABI_VERSION = 1

_here = os.path.dirname(os.path.abspath(__file__))
_repo = os.path.normpath(os.path.join(_here, "..", "..", ".."))


def _candidates():
    override = os.environ.get("STASIS_LIBRARY")
    if override:
        yield override
    yield os.path.join(_here, "libstasis.so")
    yield os.path.join(_repo, "build", "lib", "libstasis.so")
    yield os.path.join(_repo, ".build", "release", "libstasis.so")


def _load():
    tried = []
    for path in _candidates():
        if not os.path.isfile(path):
            tried.append(f"{path} (missing)")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as error:
            tried.append(f"{path} ({error})")
    raise ImportError(
        "stasis: cannot load libstasis.so; build it with `make build` or set STASIS_LIBRARY. Tried:\n  "
        + "\n  ".join(tried)
    )


lib, path = _load()


class SearchOptions(ctypes.Structure):
    """Mirror of stasis_search_options."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("ef_search", c_int32),
        ("nprobe", c_int32),
        ("filter_version", c_int32),
        ("version", c_uint32),
    ]

    @classmethod
    def make(cls, ef_search=0, nprobe=0, version=None):
        return cls(
            ctypes.sizeof(cls),
            int(ef_search),
            int(nprobe),
            0 if version is None else 1,
            0 if version is None else int(version),
        )


def _array(dtype, ndim):
    return np.ctypeslib.ndpointer(dtype=dtype, ndim=ndim, flags="C_CONTIGUOUS")


_f32_2d, _f32_1d = _array(np.float32, 2), _array(np.float32, 1)
_i64_1d, _u32_1d, _u8_1d = _array(np.int64, 1), _array(np.uint32, 1), _array(np.uint8, 1)
_i64_2d, _u32_2d = _array(np.int64, 2), _array(np.uint32, 2)
_index_p = c_void_p

_PROTOTYPES = {
    "stasis_version": (c_char_p, []),
    "stasis_version_number": (c_int, []),
    "stasis_abi_version": (c_int, []),
    "stasis_status_string": (c_char_p, [c_int32]),
    "stasis_last_error": (c_char_p, []),
    "stasis_set_num_threads": (c_int32, [c_int]),
    "stasis_get_num_threads": (c_int, []),
    "stasis_string_free": (None, [c_void_p]),
    "stasis_index_create": (c_int32, [c_int64, c_char_p, POINTER(c_void_p)]),
    "stasis_index_free": (None, [_index_p]),
    "stasis_index_train": (c_int32, [_index_p, c_int64, c_int64, _f32_2d]),
    "stasis_index_is_trained": (c_int32, [_index_p, POINTER(c_int)]),
    "stasis_index_add": (c_int32, [_index_p, c_int64, c_int64, _f32_2d, _i64_1d, c_uint32]),
    "stasis_index_remove": (c_int32, [_index_p, c_int64, _i64_1d]),
    "stasis_index_search": (
        c_int32,
        [_index_p, c_int64, c_int64, _f32_2d, c_int64, POINTER(SearchOptions), _f32_2d, _i64_2d, _u32_2d],
    ),
    "stasis_index_set_search_defaults": (c_int32, [_index_p, POINTER(SearchOptions)]),
    "stasis_index_dimension": (c_int32, [_index_p, POINTER(c_int64)]),
    "stasis_index_factory": (c_int32, [_index_p, POINTER(c_char_p)]),
    "stasis_index_count": (c_int32, [_index_p, POINTER(c_int64)]),
    "stasis_index_count_version": (c_int32, [_index_p, c_uint32, POINTER(c_int64)]),
    "stasis_index_versions": (c_int32, [_index_p, c_int64, _u32_1d, _i64_1d, POINTER(c_int64)]),
    "stasis_index_lookup": (c_int32, [_index_p, c_int64, _i64_1d, _u8_1d, _u32_1d]),
    "stasis_index_save": (c_int32, [_index_p, c_char_p]),
    "stasis_index_open": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_index_inspect": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_set_portable_kernels": (c_int32, [c_int]),
    "stasis_kernel_name": (c_char_p, []),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes

_loaded_abi = lib.stasis_abi_version()
if _loaded_abi != ABI_VERSION:
    raise ImportError(
        f"stasis: {path} has ABI version {_loaded_abi}, this binding needs {ABI_VERSION}; "
        "rebuild the library or reinstall the binding so that they match"
    )


def check(status):
    """Raises the exception for a non-zero status, with the library's message."""
    if status != 0:
        message = lib.stasis_last_error().decode("utf-8", "replace")
        raise BY_STATUS.get(status, StasisError)(message or lib.stasis_status_string(status).decode(), status)


def encode_path(path):
    return os.fsencode(os.fspath(path))

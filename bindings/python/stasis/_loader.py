"""Finds and loads libstasis.so, declares every C prototype, and turns statuses into exceptions.

Search order: $STASIS_LIBRARY, this package's folder, the repository's build output (when
running from a checkout), then the system's library path (ldconfig).
"""
import ctypes
import ctypes.util
import os
import weakref
from ctypes import POINTER, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p

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
    if os.path.isfile(os.path.join(_repo, "Package.swift")):  # running from a source checkout
        yield os.path.join(_repo, "build", "lib", "libstasis.so")
        yield os.path.join(_repo, ".build", "release", "libstasis.so")
    installed = ctypes.util.find_library("stasis")  # e.g. after `make install PREFIX=/usr/local`
    if installed:
        yield installed


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.isfile(path):
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


#: CPU feature flags (as /proc/cpuinfo spells them) that OpenBLAS's kernels need, best first.
_OPENBLAS_CORES = (
    ("SkylakeX", {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}),
    ("Haswell", {"avx2", "fma"}),
)


def openblas_core_for(flags):
    """The OPENBLAS_CORETYPE whose kernels the CPU flags support (None: leave OpenBLAS to choose).

    Debian's OpenBLAS 0.3.21 picks its kernels by CPU model number and falls back to the SSE3
    "Prescott" kernels on models it does not know (common under virtual machines that report a
    generic Xeon): every product then runs 4-5x slower (docs/benchmarks.md). Choosing by the
    instruction sets the CPU reports is what newer OpenBLAS releases do themselves."""
    for core, needed in _OPENBLAS_CORES:
        if needed <= set(flags):
            return core
    return None


def _choose_openblas_core():
    # OpenBLAS reads the variable once, when it is loaded with libstasis.so just below; a value the
    # caller set is never overridden. Linux only (elsewhere there is no /proc/cpuinfo).
    if "OPENBLAS_CORETYPE" in os.environ or os.environ.get("STASIS_OPENBLAS_AUTO") == "0":
        return
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    except OSError:
        return
    core = openblas_core_for(flags)
    if core:
        os.environ["OPENBLAS_CORETYPE"] = core


_choose_openblas_core()
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
        ef_search = checked_int(ef_search, "ef_search", 0, 2**31 - 1)
        nprobe = checked_int(nprobe, "nprobe", 0, 2**31 - 1)
        version = None if version is None else checked_version(version)
        return cls(
            ctypes.sizeof(cls),
            int(ef_search),
            int(nprobe),
            0 if version is None else 1,
            0 if version is None else int(version),
        )


def checked_int(value, name, low, high):
    """ctypes silently wraps out-of-range integers; refuse them instead."""
    from ._errors import InvalidArgumentError

    number = int(value)
    if not low <= number <= high:
        raise InvalidArgumentError(f"{name} must be in {low}...{high}, got {number}")
    return number


def checked_version(version):
    return checked_int(version, "version", 0, 2**32 - 1)


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
    # Spaces
    "stasis_space_create": (c_int32, [c_char_p, c_int64, c_int64, c_uint64, POINTER(c_void_p)]),
    "stasis_space_free": (None, [c_void_p]),
    "stasis_space_save": (c_int32, [c_void_p, c_char_p]),
    "stasis_space_open": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_space_inspect": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_space_kind": (c_int32, [c_void_p, POINTER(c_char_p)]),
    "stasis_space_fingerprint": (c_int32, [c_void_p, POINTER(c_char_p)]),
    "stasis_space_class_count": (c_int32, [c_void_p, POINTER(c_int64)]),
    "stasis_space_dimension": (c_int32, [c_void_p, POINTER(c_int64)]),
    "stasis_space_max_cosine": (c_int32, [c_void_p, POINTER(c_double)]),
    "stasis_space_vertices": (c_int32, [c_void_p, c_int64, _f32_2d]),
    "stasis_space_label_count": (c_int32, [c_void_p, POINTER(c_int64)]),
    "stasis_space_assign_ids": (c_int32, [c_void_p, c_int64, _i64_1d, _i64_1d]),
    "stasis_space_assign_names": (c_int32, [c_void_p, c_int64, POINTER(c_char_p), _i64_1d]),
    "stasis_space_lookup_ids": (c_int32, [c_void_p, c_int64, _i64_1d, _i64_1d]),
    "stasis_space_lookup_names": (c_int32, [c_void_p, c_int64, POINTER(c_char_p), _i64_1d]),
    # Encoders
    "stasis_encoder_open": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_encoder_free": (None, [c_void_p]),
    "stasis_encoder_save": (c_int32, [c_void_p, c_char_p]),
    "stasis_encoder_inspect": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_encoder_input_dimension": (c_int32, [c_void_p, POINTER(c_int64)]),
    "stasis_encoder_output_dimension": (c_int32, [c_void_p, POINTER(c_int64)]),
    "stasis_encoder_version": (c_int32, [c_void_p, POINTER(c_uint32)]),
    "stasis_encoder_space": (c_int32, [c_void_p, POINTER(c_char_p)]),
    "stasis_encoder_metadata": (c_int32, [c_void_p, c_char_p, POINTER(c_char_p)]),
    "stasis_encoder_encode": (c_int32, [c_void_p, c_int64, c_int64, _f32_2d, c_int64, _f32_2d]),
    # Index bound to a space
    "stasis_index_create_for_space": (c_int32, [c_void_p, c_char_p, POINTER(c_void_p)]),
    "stasis_index_space": (c_int32, [_index_p, POINTER(c_char_p)]),
    "stasis_index_add_features": (c_int32, [_index_p, c_void_p, c_int64, c_int64, _f32_2d, _i64_1d]),
    "stasis_index_search_features": (
        c_int32,
        [_index_p, c_void_p, c_int64, c_int64, _f32_2d, c_int64, POINTER(SearchOptions), _f32_2d, _i64_2d, _u32_2d],
    ),
    "stasis_set_portable_kernels": (c_int32, [c_int]),
    "stasis_kernel_name": (c_char_p, []),
    "stasis_set_flat_prefilter": (c_int32, [c_int]),
    "stasis_flat_prefilter_enabled": (c_int, []),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes

# Per-call cost of the search path. ndpointer argtypes validate each array in Python (several
# microseconds per array) and SearchOptions.make builds and range-checks a struct; a single-query
# search spent more time there than in the library. `search_entry` is a second function object
# for stasis_index_search whose pointer arguments are plain addresses; Index.search has already
# checked dtype, shape and contiguity (it builds the outputs itself).
search_entry = lib["stasis_index_search"]  # a separate object: lib.stasis_index_search keeps its argtypes
search_entry.restype = c_int32
search_entry.argtypes = [
    c_void_p, c_int64, c_int64, c_void_p, c_int64, POINTER(SearchOptions), c_void_p, c_void_p, c_void_p
]
_byte = ctypes.c_char
_options_cache = {}


def address_of(array):
    """Address of a C-contiguous numpy array's first element. The buffer protocol (a one-byte
    ctypes view) costs a fraction of ``array.ctypes.data``; read-only and empty arrays, which it
    refuses, take the numpy route."""
    try:
        return ctypes.addressof(_byte.from_buffer(array))
    except (TypeError, ValueError, BufferError):
        return array.ctypes.data


def search_options(ef_search=0, nprobe=0, version=None):
    """A ``byref`` to a stasis_search_options for these values, or None (NULL: the index's
    defaults) when all are defaults. Structs are built and checked once per distinct value and
    kept (a handful in practice: a benchmark's or a tuning loop's parameter sweep); the byref
    holds its struct, so a caller's reference stays valid if the cache is emptied meanwhile."""
    if version is None and ef_search == 0 and nprobe == 0 and type(ef_search) is int and type(nprobe) is int:
        return None
    key = (ef_search, nprobe, version)
    try:
        cached = _options_cache.get(key)
    except TypeError:  # unhashable: make() reports it
        cached = None
    if cached is None:
        cached = ctypes.byref(SearchOptions.make(ef_search, nprobe, version))
        if len(_options_cache) >= 64:
            _options_cache.clear()
        _options_cache[key] = cached
    return cached


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


def read_json_string(function, path):
    """Calls a stasis_*_inspect function and returns the parsed JSON (freeing the C string)."""
    import json

    out = ctypes.c_void_p()
    check(function(encode_path(path), ctypes.byref(out)))
    try:
        return json.loads(ctypes.string_at(out.value).decode())
    finally:
        lib.stasis_string_free(out)


class Handle:
    """Owns one C handle: released by close(), the context manager, or garbage collection.
    Objects passed to other handles' methods keep a reference, so a handle in use is never freed."""

    _kind = "handle"

    def _own(self, handle, free):
        self._handle = handle
        self._finalizer = weakref.finalize(self, free, handle)

    def close(self):
        """Releases the handle; further calls raise ``ValueError``. Idempotent."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def _h(self):
        if not self._finalizer.alive:
            raise ValueError(f"{self._kind} is closed")
        return self._handle

    @classmethod
    def _of(cls, value, name):
        """The C handle of `value`, which must be an open object of this class."""
        from ._errors import InvalidArgumentError

        if not isinstance(value, cls):
            raise InvalidArgumentError(f"{name} must be a stasis.{cls.__name__}, got {type(value).__name__}")
        return value._h

    def _get(self, function, ctype, *args):
        out = ctype()
        check(function(self._h, *args, ctypes.byref(out)))
        return out.value

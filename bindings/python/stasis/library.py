"""Library-wide functions: versions, the thread setting and the distance kernels."""
from ._loader import ABI_VERSION, check, checked_int, lib


def version():
    """Library version string, e.g. ``"0.1.0"``."""
    return lib.stasis_version().decode()


def version_number():
    """MAJOR * 1000000 + MINOR * 1000 + PATCH."""
    return lib.stasis_version_number()


def abi_version():
    """ABI version of the loaded library (the binding refuses to import on a mismatch)."""
    return lib.stasis_abi_version()


def set_num_threads(threads):
    """Threads for parallel operations, shared by Faiss and OpenBLAS; 0 = all processors."""
    check(lib.stasis_set_num_threads(checked_int(threads, "threads", -(2**31), 2**31 - 1)))


def get_num_threads():
    """Threads parallel operations will use."""
    return lib.stasis_get_num_threads()


def set_portable_kernels(portable=True):
    """Forces the portable distance kernels (``True``) or returns to the CPU's best (``False``).

    Affects operations that start afterwards; results agree up to float summation order. The
    environment variable ``STASIS_PORTABLE_KERNELS=1`` sets the initial state.
    """
    check(lib.stasis_set_portable_kernels(1 if portable else 0))


def set_flat_prefilter(enabled=True):
    """Allows (``True``, the default) or stops Flat searches through an 8-bit copy of the vectors.

    On AVX2, a Flat index of 4,096 vectors or more keeps such a copy (a quarter of the vectors'
    memory, built by its first search) and rescores in float only the rows the copy cannot rule
    out: exact results, about 2x faster for batches and 4x for single queries. Stopping it frees
    each index's copy at that index's next search. ``STASIS_FLAT_PREFILTER=0`` in the
    environment starts it stopped.
    """
    check(lib.stasis_set_flat_prefilter(1 if enabled else 0))


def flat_prefilter_enabled():
    """Whether Flat searches may use 8-bit copies (see ``set_flat_prefilter``)."""
    return bool(lib.stasis_flat_prefilter_enabled())


def kernel_name():
    """Kernels operations use now: ``"avx512"``, ``"avx2"`` or ``"portable"``."""
    return lib.stasis_kernel_name().decode()


__all__ = [
    "ABI_VERSION",
    "version",
    "version_number",
    "abi_version",
    "set_num_threads",
    "get_num_threads",
    "set_portable_kernels",
    "set_flat_prefilter",
    "flat_prefilter_enabled",
    "kernel_name",
]

"""Write-ahead log, checkpoints and compaction of an index (the C header's "Durability" section).

``Index`` exposes these as ``Index.open(path, wal=...)``, ``enable_wal``, ``disable_wal``,
``checkpoint``, ``wal_sequence`` and ``compact``; this module holds the ctypes declarations and
the option parsing they share. The contract is in docs/durability.md.
"""

import ctypes
from ctypes import POINTER, c_char_p, c_int32, c_int64, c_size_t, c_uint64, c_void_p

from ._errors import InvalidArgumentError
from ._loader import checked_int, lib

#: stasis_wal_sync_mode values.
SYNC_EVERY_CALL, SYNC_INTERVAL, SYNC_OFF = 0, 1, 2


class WalOptions(ctypes.Structure):
    """Mirror of stasis_wal_options."""

    _fields_ = [("struct_size", c_size_t), ("sync_mode", c_int32), ("interval_ms", c_int32)]

    @classmethod
    def make(cls, sync):
        """``sync``: "every_call" (default: fsync before each call returns), "off", or a number of
        milliseconds (a background flush at most that long after each append)."""
        if sync == "every_call":
            return cls(ctypes.sizeof(cls), SYNC_EVERY_CALL, 0)
        if sync == "off":
            return cls(ctypes.sizeof(cls), SYNC_OFF, 0)
        if isinstance(sync, bool) or not isinstance(sync, int):
            raise InvalidArgumentError(f"sync must be 'every_call', 'off' or milliseconds (int), got {sync!r}")
        return cls(ctypes.sizeof(cls), SYNC_INTERVAL, checked_int(sync, "sync interval (ms)", 1, 3_600_000))


_PROTOTYPES = {
    "stasis_index_enable_wal": (c_int32, [c_void_p, c_char_p, POINTER(WalOptions)]),
    "stasis_index_disable_wal": (c_int32, [c_void_p]),
    "stasis_index_checkpoint": (c_int32, [c_void_p, c_char_p]),
    "stasis_index_wal_sequence": (c_int32, [c_void_p, POINTER(c_uint64)]),
    "stasis_index_compact": (c_int32, [c_void_p, POINTER(c_int64), POINTER(c_int64)]),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes

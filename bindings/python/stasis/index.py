"""The versioned index: ids, model versions, cosine search (mirrors the Index section of stasis.h)."""
import ctypes

import numpy as np

from ._errors import InvalidArgumentError
from .durability import WalOptions
from ._loader import (
    Handle,
    SearchOptions,
    address_of,
    check,
    checked_int,
    checked_version,
    encode_path,
    lib,
    read_json_string,
    search_entry,
    search_options,
)


class SearchResult(tuple):
    """Results of ``Index.search``: the pair ``(scores, ids)`` that Faiss returns, so
    ``D, I = index.search(q, k)``, ``index.search(q, k)[1]`` (the ids) and ``len(...) == 2`` work
    as Faiss users expect; it also carries ``versions``, the model version of each hit.

    ``scores`` (D, item 0): n x k cosine similarities, best first, ``-inf`` where fewer than k hits.
    ``ids`` (I, item 1): n x k int64 ids, ``-1`` where fewer than k hits.
    ``versions``: n x k uint32 model versions, 0 where fewer than k hits (not an item: the
    tuple stays a pair, like Faiss's).
    """

    # A tuple subclass cannot have non-empty __slots__; versions lives in the instance dict.
    def __new__(cls, scores, ids, versions):
        self = super().__new__(cls, (scores, ids))
        self.versions = versions
        return self

    def __getnewargs__(self):  # pickle and copy rebuild through __new__, which takes three
        return (self[0], self[1], self.versions)

    @property
    def scores(self):
        """n x k cosine similarities (item 0)."""
        return self[0]

    @property
    def ids(self):
        """n x k int64 ids (item 1)."""
        return self[1]

    def __repr__(self):
        return f"SearchResult(n={self.ids.shape[0]}, k={self.ids.shape[1]})"


def _rows(x, name):
    """float32, C-contiguous, 2-D: the only layout the C ABI takes."""
    array = np.ascontiguousarray(x, dtype=np.float32)
    if array.ndim != 2:
        raise InvalidArgumentError(f"{name} must be a 2-D array (n x dim), got shape {array.shape}")
    return array


_F32, _I64, _U32 = np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.uint32)
_byte, _addressof, _tuple_new = ctypes.c_char, ctypes.addressof, tuple.__new__


def _ids(ids, n):
    array = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
    if array.shape[0] != n:
        raise InvalidArgumentError(f"got {array.shape[0]} ids for {n} vectors")
    return array


def _encoder(value):
    from .encoder import Encoder

    return Encoder._of(value, "encoder")


class Index(Handle):
    """A Faiss index of unit vectors with int64 ids, each stamped with a model version.

    ``Index(dim, factory)`` creates one ("Flat", "HNSW32", "IVF1024,Flat", "IVF1024,PQ16",
    "IVF1024,SQ8"); ``Index.for_space(space, factory)`` one bound to a space;
    ``Index.open(path)`` reads a saved one. Vectors are L2-normalised by the library, so scores
    are cosine similarities. Concurrent searches from Python threads run in parallel (ctypes
    releases the GIL); mutations are serialised by the library.
    Use as a context manager, or call ``close()``, to release it promptly.
    """

    _kind = "index"

    def __init__(self, dim, factory="Flat", *, _handle=None):
        handle = ctypes.c_void_p(_handle)
        if _handle is None:
            check(lib.stasis_index_create(int(dim), factory.encode(), ctypes.byref(handle)))
        self._own(handle, lib.stasis_index_free)
        self.d = self._get(lib.stasis_index_dimension, ctypes.c_int64)

    @classmethod
    def open(cls, path, *, wal=None, sync="every_call"):
        """Opens an index saved with ``save``. With ``wal`` (a log path), attaches that
        write-ahead log, replaying the changes it holds beyond the file first (see
        ``enable_wal``): the way to recover after a crash."""
        handle = ctypes.c_void_p()
        check(lib.stasis_index_open(encode_path(path), ctypes.byref(handle)))
        index = cls(None, _handle=handle.value)
        if wal is not None:
            try:
                index.enable_wal(wal, sync=sync)
            except BaseException:
                index.close()
                raise
        return index

    @classmethod
    def for_space(cls, space, factory="Flat"):
        """An empty index for vectors of ``space``; encoders of other spaces are refused."""
        handle = ctypes.c_void_p()
        from .space import Space

        check(lib.stasis_index_create_for_space(Space._of(space, "space"), factory.encode(), ctypes.byref(handle)))
        return cls(None, _handle=handle.value)

    # Introspection ---------------------------------------------------------------------------

    @property
    def dim(self):
        return self.d

    @property
    def factory(self):
        out = ctypes.c_char_p()
        check(lib.stasis_index_factory(self._h, ctypes.byref(out)))
        return out.value.decode()

    @property
    def space(self):
        """Fingerprint of the space the index is bound to, or None."""
        value = self._get(lib.stasis_index_space, ctypes.c_char_p)
        return value.decode() if value is not None else None

    @property
    def is_trained(self):
        out = ctypes.c_int()
        check(lib.stasis_index_is_trained(self._h, ctypes.byref(out)))
        return bool(out.value)

    @property
    def ntotal(self):
        """Number of vectors (removed and replaced ones excluded)."""
        return self._get(lib.stasis_index_count, ctypes.c_int64)

    def __len__(self):
        return self.ntotal

    def count(self, version=None):
        """Vectors in the index, or only those stamped with ``version``."""
        if version is None:
            return self.ntotal
        return self._get(lib.stasis_index_count_version, ctypes.c_int64, checked_version(version))

    def versions(self):
        """``{version: count}`` for every model version present, in increasing order."""
        total, capacity = ctypes.c_int64(), 8
        while True:  # another thread may add a version between sizing and reading: retry
            versions, counts = np.zeros(capacity, np.uint32), np.zeros(capacity, np.int64)
            check(lib.stasis_index_versions(self._h, capacity, versions, counts, ctypes.byref(total)))
            if total.value <= capacity:
                return {int(v): int(c) for v, c in zip(versions[: total.value], counts[: total.value])}
            capacity = total.value

    def lookup(self, ids):
        """For each id: ``(found, version)`` arrays; version is 0 where not found."""
        keys = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        found, versions = np.zeros(len(keys), np.uint8), np.zeros(len(keys), np.uint32)
        check(lib.stasis_index_lookup(self._h, len(keys), keys, found, versions))
        return found.astype(bool), versions

    def __contains__(self, id_):
        return bool(self.lookup([id_])[0][0])

    # Mutation --------------------------------------------------------------------------------

    def train(self, x):
        """Trains IVF / PQ types on representative vectors (n x dim)."""
        rows = _rows(x, "x")
        check(lib.stasis_index_train(self._h, rows.shape[0], rows.shape[1], rows))

    def add(self, x, ids, version):
        """Adds vectors (n x dim) with int64 ids, stamped with model ``version``. Existing ids are
        replaced (upsert). Nothing is added if any row or id is invalid."""
        rows = _rows(x, "x")
        keys = _ids(ids, rows.shape[0])
        check(lib.stasis_index_add(self._h, rows.shape[0], rows.shape[1], rows, keys, checked_version(version)))

    def remove(self, ids):
        """Removes vectors by id; raises ``NotFoundError`` (removing nothing) if any is absent."""
        keys = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        check(lib.stasis_index_remove(self._h, len(keys), keys))

    def set_search_defaults(self, ef_search=0, nprobe=0):
        """Default efSearch / nprobe for searches that do not pass them; saved with the index."""
        options = SearchOptions.make(ef_search, nprobe)
        check(lib.stasis_index_set_search_defaults(self._h, ctypes.byref(options)))

    # Search ----------------------------------------------------------------------------------

    def search(self, q, k, *, ef_search=0, nprobe=0, version=None):
        """k most similar vectors for each query row. ``version`` restricts hits to one model
        version. Returns a ``SearchResult``: ``D, I = index.search(q, k)``; ``.versions``."""
        # The hot path of single-query callers, where Python-side work is most of the call: no
        # conversion call for a float32 C-ordered 2-D query, dtype objects instead of dtype
        # lookups, addresses through address_of, options NULL for defaults (checked inline) or
        # cached (search_options). The library checks n, dim and k and reports them.
        if type(q) is np.ndarray and q.dtype == _F32 and q.ndim == 2 and q.flags.c_contiguous:
            queries = q
        else:
            queries = _rows(q, "q")
        n, d = queries.shape
        k = int(k)
        shape = (n, k if k > 0 else 0)
        scores = np.empty(shape, _F32)
        ids = np.empty(shape, _I64)
        versions = np.empty(shape, _U32)
        if version is None and ef_search == 0 and nprobe == 0 and type(ef_search) is int and type(nprobe) is int:
            options = None
        else:
            options = search_options(ef_search, nprobe, version)
        if n and k > 0:  # fresh, writable, non-empty: the buffer protocol's address directly
            out_scores = _addressof(_byte.from_buffer(scores))
            out_ids = _addressof(_byte.from_buffer(ids))
            out_versions = _addressof(_byte.from_buffer(versions))
        else:  # empty outputs (the library reports a bad k)
            out_scores, out_ids, out_versions = address_of(scores), address_of(ids), address_of(versions)
        status = search_entry(self._h, n, d, address_of(queries), k, options, out_scores, out_ids, out_versions)
        if status:
            check(status)
        result = _tuple_new(SearchResult, (scores, ids))  # SearchResult(...) without its Python __new__
        result.versions = versions
        return result

    def add_features(self, encoder, features, ids):
        """Encodes backbone features with ``encoder`` and adds them, stamped with its version.
        Raises IncompatibleError for an encoder of another space."""
        rows = _rows(features, "features")
        keys = _ids(ids, rows.shape[0])
        check(lib.stasis_index_add_features(self._h, _encoder(encoder), rows.shape[0], rows.shape[1], rows, keys))

    def search_features(self, encoder, features, k, *, ef_search=0, nprobe=0, version=None):
        """Encodes query features with ``encoder`` and searches (see ``search``)."""
        queries = _rows(features, "features")
        n, k = queries.shape[0], int(k)
        shape = (n, max(k, 0))
        scores, ids, versions = np.empty(shape, np.float32), np.empty(shape, np.int64), np.empty(shape, np.uint32)
        options = SearchOptions.make(ef_search, nprobe, version)
        check(
            lib.stasis_index_search_features(
                self._h, _encoder(encoder), n, queries.shape[1], queries, k, ctypes.byref(options), scores, ids, versions
            )
        )
        return SearchResult(scores, ids, versions)

    # Persistence -----------------------------------------------------------------------------

    def save(self, path):
        """Writes the index to one file atomically (temporary file, fsync, rename)."""
        check(lib.stasis_index_save(self._h, encode_path(path)))

    # Durability: write-ahead log and compaction (stasis/durability.py, docs/durability.md) -----

    def enable_wal(self, path, *, sync="every_call"):
        """Appends every later add, upsert and remove to the write-ahead log at ``path`` before
        the call returns. An existing log's records beyond this index are replayed first (a torn
        last record is dropped); a missing one is created. ``sync``: "every_call" (fsync each
        time), milliseconds (background flush), or "off". Raises ``CorruptFileError`` for a
        damaged or foreign log, ``StasisIOError`` when the log is in use by another index."""
        options = WalOptions.make(sync)
        check(lib.stasis_index_enable_wal(self._h, encode_path(path), ctypes.byref(options)))

    def disable_wal(self):
        """Syncs and detaches the log (the file stays). No-op without one."""
        check(lib.stasis_index_disable_wal(self._h))

    def checkpoint(self, path):
        """Saves to ``path`` (atomically, like ``save``), then restarts the log empty. Searches
        continue meanwhile. Without a log, the same as ``save``."""
        check(lib.stasis_index_checkpoint(self._h, encode_path(path)))

    @property
    def wal_sequence(self):
        """Sequence number of the last logged change the index holds (0: none)."""
        return self._get(lib.stasis_index_wal_sequence, ctypes.c_uint64)

    def compact(self):
        """Rebuilds the index from its live vectors, dropping removed and replaced slots; ids,
        versions and Flat / IVF results are kept; searches may run meanwhile. Returns
        ``{"slots_reclaimed": int, "bytes_reclaimed": int}``. HNSW over SQ codes re-encodes the
        decoded vectors with its trained quantizer (the same codes) and rebuilds the graph."""
        slots, size = ctypes.c_int64(), ctypes.c_int64()
        check(lib.stasis_index_compact(self._h, ctypes.byref(slots), ctypes.byref(size)))
        return {"slots_reclaimed": slots.value, "bytes_reclaimed": size.value}

    def __repr__(self):
        if not self._finalizer.alive:
            return "<stasis.Index closed>"
        return f"<stasis.Index d={self.d} factory={self.factory!r} ntotal={self.ntotal}>"


def inspect(path):
    """Header of a saved index as a dict (dimension, factory, count, per-version counts...),
    read without loading the vectors."""
    return read_json_string(lib.stasis_index_inspect, path)

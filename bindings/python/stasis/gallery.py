"""Mixed-version gallery and backfill plans (see docs/gallery.md).

A ``Gallery`` holds items of several model versions, possibly of different widths. Versions are
registered in named spaces: versions sharing a space are searched directly together, other
spaces are bridged by adapters or chains (``add_adapter``). ``search`` maps queries of any
registered version into each part's space, calibrates scores per route (``calibrate``) and
merges one ranked list. ``upsert`` with a new-version vector moves an item atomically.

A ``BackfillPlan`` orders the ids still on an old version (``random``, ``predicted_error``,
``neighbourhood``); ``next_batch`` hands out ids to re-encode and is resumable; ``progress``
reports done / remaining; ``backfill_curve`` measures metric vs fraction backfilled.
"""
import ctypes
from collections import namedtuple
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_uint32, c_uint64, c_void_p

import numpy as np

from ._errors import InvalidArgumentError
from ._loader import Handle, check, checked_int, checked_version, encode_path, lib
from .adapter import Adapter, AdapterChain
from .durability import WalOptions


def _f32_2d():
    return np.ctypeslib.ndpointer(dtype=np.float32, ndim=2, flags="C_CONTIGUOUS")


def _i64_1d():
    return np.ctypeslib.ndpointer(dtype=np.int64, ndim=1, flags="C_CONTIGUOUS")


def _i32_1d():
    return np.ctypeslib.ndpointer(dtype=np.int32, ndim=1, flags="C_CONTIGUOUS")


def _f64_1d():
    return np.ctypeslib.ndpointer(dtype=np.float64, ndim=1, flags="C_CONTIGUOUS")


_PROTOTYPES = {
    "stasis_gallery_new": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_gallery_free": (None, [c_void_p]),
    "stasis_gallery_register": (c_int32, [c_void_p, c_uint32, c_int64, c_char_p]),
    "stasis_gallery_add_chain": (c_int32, [c_void_p, POINTER(c_void_p), c_int64]),
    "stasis_gallery_upsert": (c_int32, [c_void_p, c_int64, c_int64, _f32_2d(), _i64_1d(), c_uint32]),
    "stasis_gallery_remove": (c_int32, [c_void_p, c_int64, _i64_1d()]),
    "stasis_gallery_count": (c_int32, [c_void_p, POINTER(c_int64)]),
    "stasis_gallery_count_version": (c_int32, [c_void_p, c_uint32, POINTER(c_int64)]),
    "stasis_gallery_versions_of": (c_int32, [c_void_p, c_int64, _i64_1d(), _i64_1d()]),
    "stasis_gallery_search": (
        c_int32, [c_void_p, c_int64, c_int64, _f32_2d(), c_uint32, c_int64, c_char_p, c_int32,
                  np.ctypeslib.ndpointer(dtype=np.float32, ndim=2, flags="C_CONTIGUOUS"),
                  np.ctypeslib.ndpointer(dtype=np.int64, ndim=2, flags="C_CONTIGUOUS"),
                  np.ctypeslib.ndpointer(dtype=np.uint32, ndim=2, flags="C_CONTIGUOUS")]),
    "stasis_gallery_calibrate": (c_int32, [c_void_p, c_int64, c_int64, _f32_2d(), c_uint32, c_int64]),
    "stasis_gallery_calibrate_paired": (
        c_int32, [c_void_p, c_int64, c_int64, _f32_2d(), c_uint32, c_uint32, c_int64, _f32_2d(), c_int64, _f32_2d(),
                  c_int64]),
    "stasis_gallery_save": (c_int32, [c_void_p, c_char_p]),
    "stasis_gallery_open": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_gallery_enable_wal": (c_int32, [c_void_p, c_char_p, POINTER(WalOptions)]),
    "stasis_gallery_disable_wal": (c_int32, [c_void_p]),
    "stasis_gallery_checkpoint": (c_int32, [c_void_p, c_char_p]),
    "stasis_gallery_wal_sequence": (c_int32, [c_void_p, POINTER(c_uint64)]),
    "stasis_backfill_plan_random": (c_int32, [c_void_p, c_uint32, c_uint32, c_uint64, POINTER(c_void_p)]),
    "stasis_backfill_plan_custom": (c_int32, [c_void_p, c_uint32, c_uint32, c_int64, _i64_1d(), POINTER(c_void_p)]),
    "stasis_backfill_plan_predicted_error": (
        c_int32, [c_void_p, c_uint32, c_uint32, c_int64, c_int64, _f32_2d(), _i64_1d(), c_void_p, c_int64,
                  _f32_2d(), _f32_2d(), c_double, POINTER(c_void_p)]),
    "stasis_backfill_plan_neighbourhood": (
        c_int32, [c_void_p, c_uint32, c_uint32, c_int64, c_int64, _f32_2d(), _i64_1d(), c_void_p, c_int64,
                  POINTER(c_void_p)]),
    "stasis_backfill_plan_hubs": (
        c_int32, [c_void_p, c_uint32, c_uint32, c_int64, c_int64, _f32_2d(), _i64_1d(), c_void_p, c_int64,
                  POINTER(c_void_p)]),
    "stasis_backfill_plan_free": (None, [c_void_p]),
    "stasis_backfill_plan_length": (c_int32, [c_void_p, POINTER(c_int64)]),
    "stasis_backfill_plan_order": (c_int32, [c_void_p, c_int64, _i64_1d()]),
    "stasis_backfill_plan_next_batch": (c_int32, [c_void_p, c_void_p, c_int64, _i64_1d(), POINTER(c_int64)]),
    "stasis_backfill_plan_progress": (c_int32, [c_void_p, c_void_p, POINTER(c_int64), POINTER(c_int64)]),
    "stasis_backfill_plan_save": (c_int32, [c_void_p, c_char_p]),
    "stasis_backfill_plan_open": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_backfill_curve": (
        c_int32, [c_void_p, c_void_p, c_int64, _i64_1d(), _i32_1d(), c_int64, _f32_2d(), c_int64, c_int64,
                  _f32_2d(), c_uint32, _i32_1d(), c_int64, _f64_1d(), _f64_1d(), POINTER(c_double)]),
    "stasis_backfill_curve_flips": (
        c_int32, [c_void_p, c_void_p, c_int64, _i64_1d(), _i32_1d(), c_int64, _f32_2d(), c_int64, c_int64,
                  _f32_2d(), c_uint32, _i32_1d(), c_int64, _f64_1d(), _f64_1d(), _f64_1d(), POINTER(c_double)]),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes

#: Result of ``Gallery.search``: n x k arrays, best first by calibrated score.
GallerySearchResult = namedtuple("GallerySearchResult", "scores ids versions")
class BackfillCurve(namedtuple("BackfillCurve", "fractions values auc")):
    """Result of ``backfill_curve``: fractions and top-1 values (steps + 1 points) and their
    area; ``negative_flips`` (an attribute, so the three-field unpacking keeps working) holds at
    each point the share of queries right before the backfill started and wrong at that point."""

    def __new__(cls, fractions, values, auc, negative_flips=None):
        curve = super().__new__(cls, fractions, values, auc)
        curve.negative_flips = negative_flips
        return curve

    def __getnewargs__(self):
        return (*tuple(self), self.negative_flips)


#: Result of ``BackfillPlan.progress``.
BackfillProgress = namedtuple("BackfillProgress", "done remaining")


def _rows(x, name):
    rows = np.ascontiguousarray(x, dtype=np.float32)
    if rows.ndim != 2:
        raise InvalidArgumentError(f"{name} must be a 2-D array (n x dim), got shape {rows.shape}")
    if rows.shape[1] == 0:
        raise InvalidArgumentError(f"{name} has no columns")
    return rows


def _ids(ids, n, name="ids"):
    values = np.ascontiguousarray(ids, dtype=np.int64)
    if values.ndim != 1 or values.shape[0] != n:
        raise InvalidArgumentError(f"{name} must be 1-D with {n} entries, got shape {values.shape}")
    return values


def _labels(labels, n, name):
    values = np.asarray(labels)
    if values.ndim != 1 or values.shape[0] != n:
        raise InvalidArgumentError(f"{name} must be 1-D with {n} entries, got shape {values.shape}")
    if values.size and (values.min() < -2**31 or values.max() > 2**31 - 1):
        raise InvalidArgumentError(f"{name} must fit in int32")
    return np.ascontiguousarray(values, dtype=np.int32)


class Gallery(Handle):
    """A mixed-version gallery. Thread safety: concurrent searches; mutations are exclusive."""

    _kind = "gallery"

    def __init__(self, factory="Flat", *, _handle=None):
        if _handle is None:
            handle = c_void_p()
            check(lib.stasis_gallery_new(None if factory is None else str(factory).encode(), ctypes.byref(handle)))
            _handle = handle.value
        self._own(c_void_p(_handle), lib.stasis_gallery_free)

    @classmethod
    def open(cls, path, *, wal=None, sync="every_call"):
        """Opens a gallery directory written by ``save``. With ``wal`` (a log path), attaches
        that write-ahead log, replaying the changes it holds beyond the saved gallery first (see
        ``enable_wal``): the way to recover after a crash."""
        handle = c_void_p()
        check(lib.stasis_gallery_open(encode_path(path), ctypes.byref(handle)))
        gallery = cls(_handle=handle.value)
        if wal is not None:
            try:
                gallery.enable_wal(wal, sync=sync)
            except BaseException:
                gallery.close()
                raise
        return gallery

    def save(self, path):
        """Saves into directory ``path`` (manifest gallery.json written last, atomically)."""
        check(lib.stasis_gallery_save(self._h, encode_path(path)))

    # Durability (docs/durability.md) ----------------------------------------------------------

    def enable_wal(self, path, *, sync="every_call"):
        """Appends every later ``upsert`` and ``remove`` to the write-ahead log at ``path`` (one
        record per call) before the call returns. An existing log's records beyond this gallery
        are replayed first (a torn last record is dropped); a missing one is created. ``sync``:
        "every_call" (fsync each time), milliseconds (background flush), or "off". Registering,
        adapters and calibration are not logged: save or checkpoint after them. Raises
        ``CorruptFileError`` for a damaged or foreign log or a record that does not apply,
        ``StasisIOError`` when the log is in use by another gallery."""
        options = WalOptions.make(sync)
        check(lib.stasis_gallery_enable_wal(self._h, encode_path(path), ctypes.byref(options)))

    def disable_wal(self):
        """Syncs and detaches the log (the file stays). No-op without one."""
        check(lib.stasis_gallery_disable_wal(self._h))

    def checkpoint(self, path):
        """Saves into directory ``path`` (like ``save``), then restarts the log empty. Searches
        continue meanwhile. Without a log, the same as ``save``."""
        check(lib.stasis_gallery_checkpoint(self._h, encode_path(path)))

    @property
    def wal_sequence(self):
        """Sequence number of the last logged change the gallery holds (0: none)."""
        out = c_uint64()
        check(lib.stasis_gallery_wal_sequence(self._h, ctypes.byref(out)))
        return out.value

    def register(self, version, dim, space=None):
        """Registers ``version`` (rows of ``dim`` floats) in ``space`` (default: its own)."""
        check(lib.stasis_gallery_register(self._h, checked_version(version), checked_int(dim, "dim", 1, 2**16),
                                          None if space is None else str(space).encode()))

    def add_adapter(self, adapter):
        """Adds an ``Adapter`` or ``AdapterChain`` as a bridge between two registered versions'
        spaces. NotFoundError when an end is not registered; IncompatibleError for a gap."""
        links = adapter.adapters if isinstance(adapter, AdapterChain) else [adapter]
        array = (c_void_p * len(links))(*[Adapter._of(a, "adapter") for a in links])
        check(lib.stasis_gallery_add_chain(self._h, array, len(links)))

    def upsert(self, vectors, ids, version):
        """Adds or replaces items with ``version`` vectors; an item on another version moves."""
        rows = _rows(vectors, "vectors")
        check(lib.stasis_gallery_upsert(self._h, rows.shape[0], rows.shape[1], rows,
                                        _ids(ids, rows.shape[0]), checked_version(version)))

    def remove(self, ids):
        """Removes items; all must be present (NotFoundError, nothing removed)."""
        values = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        check(lib.stasis_gallery_remove(self._h, values.shape[0], values))

    def __len__(self):
        return self._get(lib.stasis_gallery_count, c_int64)

    def count(self, version=None):
        """Live items, or live items of ``version``."""
        if version is None:
            return len(self)
        out = c_int64()
        check(lib.stasis_gallery_count_version(self._h, checked_version(version), ctypes.byref(out)))
        return out.value

    def versions_of(self, ids):
        """The version of each id, None where absent."""
        values = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        out = np.empty(values.shape[0], np.int64)
        check(lib.stasis_gallery_versions_of(self._h, values.shape[0], values, out))
        return [None if v < 0 else int(v) for v in out]

    def search(self, queries, version, k=10, *, space=None, calibrated=True):
        """Searches every part (or only ``space``'s) with ``version`` queries; merged top-k."""
        rows = _rows(queries, "queries")
        k = checked_int(k, "k", 1, 2**16)
        scores = np.empty((rows.shape[0], k), np.float32)
        ids = np.empty((rows.shape[0], k), np.int64)
        versions = np.empty((rows.shape[0], k), np.uint32)
        check(lib.stasis_gallery_search(
            self._h, rows.shape[0], rows.shape[1], rows, checked_version(version), k,
            None if space is None else str(space).encode(), 1 if calibrated else 0, scores, ids, versions))
        return GallerySearchResult(scores, ids, versions)

    def calibrate(self, queries, version, k=10, *, paired=None):
        """Fits per-route score calibration on held-out ``version`` queries.

        Without ``paired``: the z-score rule on every route from ``version`` (mean and deviation
        of the top-k cosines per part). With ``paired={stored_version: (query_rows, stored_rows)}``
        (the same items embedded by ``version`` and ``stored_version``): the paired-regression
        rule for those routes, which maps adapted cosines to predicted native cosines (see
        docs/gallery.md)."""
        rows = _rows(queries, "queries")
        k = checked_int(k, "k", 1, 2**16)
        if paired is None:
            check(lib.stasis_gallery_calibrate(self._h, rows.shape[0], rows.shape[1], rows, checked_version(version), k))
            return
        for stored_version, (query_rows, stored_rows) in dict(paired).items():
            pq, ps = _rows(query_rows, "paired query rows"), _rows(stored_rows, "paired stored rows")
            if pq.shape[0] != ps.shape[0]:
                raise InvalidArgumentError(f"paired rows differ in count: {pq.shape[0]} and {ps.shape[0]}")
            if pq.shape[1] != rows.shape[1]:
                raise InvalidArgumentError(f"paired query rows have {pq.shape[1]} columns, queries {rows.shape[1]}")
            check(lib.stasis_gallery_calibrate_paired(
                self._h, rows.shape[0], rows.shape[1], rows, checked_version(version), checked_version(stored_version),
                pq.shape[0], pq, ps.shape[1], ps, k))

    def __repr__(self):
        if not self._finalizer.alive:
            return "<stasis.Gallery closed>"
        return f"<stasis.Gallery {len(self)} items>"


class BackfillPlan(Handle):
    """Ids on an old version in priority order with a resumable cursor."""

    _kind = "backfill_plan"

    def __init__(self, _handle):
        self._own(c_void_p(_handle), lib.stasis_backfill_plan_free)

    @classmethod
    def _make(cls, function, *args):
        handle = c_void_p()
        check(function(*args, ctypes.byref(handle)))
        return cls(handle.value)

    @classmethod
    def random(cls, gallery, from_version, to_version, *, seed=0):
        """Seeded random order (the baseline)."""
        return cls._make(lib.stasis_backfill_plan_random, Gallery._of(gallery, "gallery"),
                         checked_version(from_version), checked_version(to_version), checked_int(seed, "seed", 0, 2**64 - 1))

    @classmethod
    def custom(cls, gallery, from_version, to_version, order):
        """Your own order: every id on ``from_version`` exactly once, most urgent first."""
        values = np.ascontiguousarray(order, dtype=np.int64).reshape(-1)
        return cls._make(lib.stasis_backfill_plan_custom, Gallery._of(gallery, "gallery"),
                         checked_version(from_version), checked_version(to_version), values.shape[0], values)

    @classmethod
    def predicted_error(cls, gallery, from_version, to_version, *, ids, vectors, forward, paired_old, paired_new,
                        ridge=None):
        """Largest predicted error of the forward adapter first: a ridge regression from the old
        vector to ‖forward(x) − y‖ fitted on the paired sample; ``ids``/``vectors`` are every item
        on ``from_version`` with its old vector."""
        rows = _rows(vectors, "vectors")
        px, py = _rows(paired_old, "paired_old"), _rows(paired_new, "paired_new")
        if px.shape[0] != py.shape[0]:
            raise InvalidArgumentError(f"paired samples differ in rows: {px.shape[0]} and {py.shape[0]}")
        adapter = Adapter._of(forward, "forward")
        if px.shape[1] != forward.source_dim or py.shape[1] != forward.target_dim:
            raise InvalidArgumentError(
                f"paired samples must be {forward.source_dim} and {forward.target_dim} wide, got {px.shape[1]} and {py.shape[1]}")
        return cls._make(lib.stasis_backfill_plan_predicted_error, Gallery._of(gallery, "gallery"),
                         checked_version(from_version), checked_version(to_version), rows.shape[0],
                         rows.shape[1], rows, _ids(ids, rows.shape[0]), adapter, px.shape[0], px, py,
                         0.0 if ridge is None else float(ridge))

    @classmethod
    def neighbourhood(cls, gallery, from_version, to_version, *, ids, vectors, forward, neighbours=10):
        """Farthest from their neighbourhood after the forward transform first."""
        rows = _rows(vectors, "vectors")
        return cls._make(lib.stasis_backfill_plan_neighbourhood, Gallery._of(gallery, "gallery"),
                         checked_version(from_version), checked_version(to_version), rows.shape[0],
                         rows.shape[1], rows, _ids(ids, rows.shape[0]), Adapter._of(forward, "forward"),
                         checked_int(neighbours, "neighbours", 1, 1024))

    @classmethod
    def hubs(cls, gallery, from_version, to_version, *, ids, vectors, forward, neighbours=10):
        """Hubs first: the items most often among the ``neighbours`` nearest of others after the
        forward transform (in-degree in the k-NN graph), ties by density. Beats random on the
        demo data (docs/gallery.md)."""
        rows = _rows(vectors, "vectors")
        return cls._make(lib.stasis_backfill_plan_hubs, Gallery._of(gallery, "gallery"),
                         checked_version(from_version), checked_version(to_version), rows.shape[0],
                         rows.shape[1], rows, _ids(ids, rows.shape[0]), Adapter._of(forward, "forward"),
                         checked_int(neighbours, "neighbours", 1, 1024))

    @classmethod
    def open(cls, path):
        """Reads a plan saved by ``save`` (cursor included)."""
        return cls._make(lib.stasis_backfill_plan_open, encode_path(path))

    def save(self, path):
        """Writes the plan (JSON) atomically."""
        check(lib.stasis_backfill_plan_save(self._h, encode_path(path)))

    def __len__(self):
        return self._get(lib.stasis_backfill_plan_length, c_int64)

    @property
    def order(self):
        """All planned ids, most urgent first."""
        out = np.empty(len(self), np.int64)
        check(lib.stasis_backfill_plan_order(self._h, out.shape[0], out))
        return out

    def next_batch(self, gallery, size):
        """Up to ``size`` ids still on the old version, in order (same batch until upserted)."""
        size = checked_int(size, "size", 1, 2**24)
        out = np.empty(size, np.int64)
        count = c_int64()
        check(lib.stasis_backfill_plan_next_batch(self._h, Gallery._of(gallery, "gallery"), size, out,
                                                  ctypes.byref(count)))
        return out[:count.value].copy()

    def progress(self, gallery):
        """``BackfillProgress(done, remaining)`` of the planned ids in ``gallery``."""
        done, remaining = c_int64(), c_int64()
        check(lib.stasis_backfill_plan_progress(self._h, Gallery._of(gallery, "gallery"), ctypes.byref(done),
                                                ctypes.byref(remaining)))
        return BackfillProgress(done.value, remaining.value)


def backfill_curve(gallery, plan, *, ids, labels, new_vectors, queries, query_labels, query_version, steps=10):
    """Follows ``plan`` on ``gallery`` (every planned id on the old version), upserting
    ``new_vectors`` (row i for ``ids[i]``) in plan order, and measures top-1 accuracy of the
    labelled queries at fractions 0, 1/steps, ..., 1. The gallery ends fully backfilled.
    Returns ``BackfillCurve(fractions, values, auc)`` with ``negative_flips`` per point (share
    of queries right at fraction 0 and wrong at that point); pass fractions, values and
    ``negative_flips=curve.negative_flips`` to ``Report.set_backfill`` for the report's chart."""
    new = _rows(new_vectors, "new_vectors")
    q = _rows(queries, "queries")
    steps = checked_int(steps, "steps", 1, 1000)
    fractions = np.empty(steps + 1, np.float64)
    values = np.empty(steps + 1, np.float64)
    flips = np.empty(steps + 1, np.float64)
    area = c_double()
    check(lib.stasis_backfill_curve_flips(
        Gallery._of(gallery, "gallery"), BackfillPlan._of(plan, "plan"), new.shape[0], _ids(ids, new.shape[0]),
        _labels(labels, new.shape[0], "labels"), new.shape[1], new, q.shape[0], q.shape[1], q,
        checked_version(query_version), _labels(query_labels, q.shape[0], "query_labels"), steps, fractions, values,
        flips, ctypes.byref(area)))
    return BackfillCurve(fractions, values, area.value, flips)

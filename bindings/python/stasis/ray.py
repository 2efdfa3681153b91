"""Batch encode, adapt and backfill on Ray Data (optional extra: ``pip install 'stasis[ray]'``).

Stasis does not run a cluster of its own: these functions hand Stasis's encoders and adapters to
Ray Data, which schedules them on one machine or on a cluster (only ``ray.init``'s address
changes). Each Ray worker is a callable class that opens the encoder or adapter once, sets
Stasis's thread count to the worker's CPU share and transforms whole numpy batches (no per-row
Python). Ray Data's own progress bars report progress. See docs/scaleout.md.

- ``encode(dataset, encoder_path)``: a lazy Dataset with an ``embedding`` column.
- ``apply_adapter(dataset, adapter_path)``: maps an embedding column through a forward adapter.
- ``backfill(plan, tier, features, encoder_path)``: re-encodes the planned items still on an old
  version and upserts them into the serving tier (a ``stasis.Gallery`` or a
  ``stasis.milvus.MilvusGallery``). Resumable: what is left is read from the tier, so running it
  again after a worker or driver failure continues where the last upsert ended.
"""
from collections import namedtuple

import numpy as np

from ._errors import IncompatibleError, InvalidArgumentError, NotFoundError
from ._optional import require
from .adapter import Adapter
from .encoder import Encoder
from .gallery import BackfillPlan
from .library import set_num_threads

ray = require("ray", "ray", "stasis.ray")
require("ray.data", "ray", "stasis.ray")

#: Result of ``backfill``: items and batches upserted by this run, items still to do after it.
BackfillRun = namedtuple("BackfillRun", "upserted batches remaining")


def _threads(cpus_per_worker):
    """Stasis threads for a worker holding ``cpus_per_worker`` CPUs (at least one)."""
    return max(1, int(cpus_per_worker))


def _worker_args(workers, cpus_per_worker, batch_size):
    if workers is not None and (int(workers) != workers or workers < 1):
        raise InvalidArgumentError(f"workers must be a positive integer, got {workers!r}")
    if not cpus_per_worker > 0:
        raise InvalidArgumentError(f"cpus_per_worker must be > 0, got {cpus_per_worker!r}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise InvalidArgumentError(f"batch_size must be a positive integer, got {batch_size!r}")
    compute = ray.data.ActorPoolStrategy(size=int(workers)) if workers else ray.data.ActorPoolStrategy(min_size=1)
    return {"compute": compute, "num_cpus": cpus_per_worker, "batch_size": int(batch_size), "batch_format": "numpy"}


def _column(batch, name):
    """A batch column as one C-contiguous float32 matrix (Ray hands tensor columns as ndarray)."""
    if name not in batch:
        raise InvalidArgumentError(f"the dataset has no column {name!r} (columns: {sorted(batch)})")
    rows = batch[name]
    if rows.dtype == object:  # ragged or list-typed column: one stack per batch, not per row
        rows = np.stack(rows)
    return np.ascontiguousarray(rows, dtype=np.float32)


class EncodeBatch:
    """Ray Data callable class: opens the encoder once per worker, encodes ``column`` into
    ``output_column``. Other columns pass through (the input column too when ``keep_input``)."""

    def __init__(self, encoder_path, column, output_column, threads, keep_input):
        set_num_threads(threads)
        self.encoder = Encoder.open(encoder_path)
        self.column, self.output_column, self.keep_input = column, output_column, keep_input

    def __call__(self, batch):
        out = dict(batch)
        out[self.output_column] = self.encoder.encode(_column(batch, self.column))
        if not self.keep_input and self.column != self.output_column:
            del out[self.column]
        return out


class AdaptBatch:
    """Ray Data callable class: opens the adapter once per worker, maps ``column``."""

    def __init__(self, adapter_path, column, output_column, threads):
        set_num_threads(threads)
        self.adapter = Adapter.open(adapter_path)
        self.column, self.output_column = column, output_column

    def __call__(self, batch):
        out = dict(batch)
        out[self.output_column] = self.adapter.apply(_column(batch, self.column))
        return out


def from_arrays(features, ids=None, *, column="features", blocks=None):
    """A Dataset with an int64 ``id`` column (default 0..n-1) and ``column`` holding the rows of
    ``features`` as a tensor column, in ``blocks`` blocks (default: 4 per CPU of the cluster, so
    every worker gets input). Built from whole arrays: no per-row Python."""
    rows = np.ascontiguousarray(features, dtype=np.float32)
    if rows.ndim != 2:
        raise InvalidArgumentError(f"features must be a 2-D array (n x dim), got shape {rows.shape}")
    keys = np.arange(rows.shape[0], dtype=np.int64) if ids is None else np.ascontiguousarray(ids, dtype=np.int64)
    if keys.shape != (rows.shape[0],):
        raise InvalidArgumentError(f"ids must be 1-D with {rows.shape[0]} entries, got shape {keys.shape}")
    if blocks is None:
        blocks = 4 * max(1, int(ray.cluster_resources().get("CPU", 1)))
    blocks = max(1, min(int(blocks), rows.shape[0]))
    pa = require("pyarrow", "ray", "stasis.ray")
    from ray.data.extensions import ArrowTensorArray

    tables = [pa.table({"id": k, column: ArrowTensorArray.from_numpy(r)})
              for k, r in zip(np.array_split(keys, blocks), np.array_split(rows, blocks))]
    return ray.data.from_arrow(tables)


def collect(dataset, column="embedding"):
    """``(ids, rows)`` of a Dataset with ``id`` and ``column``, sorted by id (whole batches)."""
    ids, rows = [], []
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        ids.append(np.asarray(batch["id"], dtype=np.int64))
        rows.append(_column(batch, column))
    if not ids:
        return np.empty(0, np.int64), np.empty((0, 0), np.float32)
    ids, rows = np.concatenate(ids), np.concatenate(rows)
    order = np.argsort(ids, kind="stable")
    return ids[order], rows[order]


def encode(dataset, encoder_path, *, column="features", output_column="embedding", batch_size=4096, workers=None,
           cpus_per_worker=1, keep_input=False):
    """Encodes backbone features with the encoder at ``encoder_path`` on Ray workers.

    ``dataset``: a ``ray.data.Dataset`` whose ``column`` holds input_dim-wide feature rows (a
    tensor column, e.g. from ``ray.data.from_numpy`` or ``from_items``). Returns the lazy Dataset
    with ``output_column`` (unit float32 rows, equal to ``Encoder.encode`` of the same rows up to
    float rounding: BLAS may round a row differently in the last bit in another batch shape) and
    the other columns. ``workers`` actors of ``cpus_per_worker`` CPUs each (None:
    Ray scales the pool); each sets Stasis's thread count to its CPU share. The path must be
    readable on every node (a shared file system or the same path everywhere)."""
    Encoder.open(encoder_path)  # fail early, on the driver, for a missing or corrupt file
    return dataset.map_batches(
        EncodeBatch, fn_constructor_args=(str(encoder_path), column, output_column, _threads(cpus_per_worker),
                                          bool(keep_input)),
        **_worker_args(workers, cpus_per_worker, batch_size))


def apply_adapter(dataset, adapter_path, *, column="embedding", output_column=None, batch_size=4096, workers=None,
                  cpus_per_worker=1):
    """Maps ``column`` through the adapter at ``adapter_path`` (e.g. a forward adapter moving a
    stored gallery into the new space without the new backbone); ``output_column`` defaults to
    replacing ``column``. Same worker model as ``encode``."""
    Adapter.open(adapter_path)
    return dataset.map_batches(
        AdaptBatch, fn_constructor_args=(str(adapter_path), column, output_column or column, _threads(cpus_per_worker)),
        **_worker_args(workers, cpus_per_worker, batch_size))


class ArrayFeatures:
    """A picklable feature source for ``backfill``: ``source(ids)`` returns the feature rows of
    ``ids``. Wraps a .npy file (memory-mapped once per worker, so only the rows asked for are
    read) or an in-memory array (shipped to each worker with the task). Row i belongs to
    ``ids[i]`` (default: id i). An id it does not hold raises NotFoundError."""

    def __init__(self, source, ids=None):
        self.source = str(source) if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__") else source
        self.ids = None if ids is None else np.ascontiguousarray(ids, dtype=np.int64)
        self._order = None if ids is None else np.argsort(self.ids, kind="stable")  # sorted once, not per batch
        self._rows = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_rows"] = None  # a memory map is reopened on the worker, never pickled
        return state

    def __call__(self, ids):
        if self._rows is None:
            self._rows = np.load(self.source, mmap_mode="r") if isinstance(self.source, str) else self.source
        ids = np.asarray(ids, dtype=np.int64)
        if self.ids is None:
            rows = ids
            bad = (rows < 0) | (rows >= self._rows.shape[0])
        elif self.ids.size == 0:
            rows, bad = np.zeros_like(ids), np.ones(ids.shape, bool)
        else:
            where = np.searchsorted(self.ids, ids, sorter=self._order)
            where = np.minimum(where, len(self._order) - 1)
            rows = self._order[where]
            bad = self.ids[rows] != ids
        if bad.any():
            raise NotFoundError(f"no features for id {int(ids[bad][0])} ({int(bad.sum())} ids missing)")
        return np.ascontiguousarray(self._rows[rows], dtype=np.float32)


class BackfillBatch:
    """Ray Data callable class of ``backfill``: reads a batch's features and encodes them."""

    def __init__(self, encoder_path, features, threads):
        set_num_threads(threads)
        self.encoder = Encoder.open(encoder_path)
        self.features = features

    def __call__(self, batch):
        ids = np.ascontiguousarray(batch["id"], dtype=np.int64)
        return {"id": ids, "vector": self.encoder.encode(self.features(ids))}


def _versions(tier, ids):
    """Version of each id in the tier as int64, -1 where absent (no per-row Python for arrays)."""
    versions = tier.versions_of(ids)
    if isinstance(versions, np.ndarray):
        return versions.astype(np.int64)
    return np.array([-1 if v is None else v for v in versions], dtype=np.int64)


def pending(plan, tier, version):
    """The planned ids present in ``tier`` and not yet on ``version``, in plan order."""
    order = plan.order if isinstance(plan, BackfillPlan) else np.ascontiguousarray(plan, dtype=np.int64).reshape(-1)
    if order.size == 0:
        return order
    current = _versions(tier, order)
    return order[(current >= 0) & (current != int(version))]


def backfill(plan, tier, features, encoder_path, *, batch_size=1024, workers=None, cpus_per_worker=1,
             max_batches=None, on_batch=None):
    """Re-encodes the planned items with the new encoder on Ray and upserts them into ``tier``.

    ``plan``: a ``stasis.BackfillPlan`` or any array of ids, most urgent first. ``tier``: a
    ``stasis.Gallery`` or ``stasis.milvus.MilvusGallery`` (anything with ``versions_of`` and
    ``upsert(vectors, ids, version)``). ``features``: a picklable callable ``ids -> rows`` run on
    the workers (e.g. ``ArrayFeatures``). The new version is the encoder's.

    What is left is read from the tier at the start (the planned ids present and not on the new
    version), so after a failure, running the same call again resumes: batches already upserted
    are not redone, and ids are upserted, never appended, so each item ends on the new version
    exactly once. Batches are encoded in parallel and upserted by the driver in plan order (the
    embedded milvus-lite accepts one writer). ``max_batches`` stops after that many batches (a
    bounded run); ``on_batch(run)`` is called after each upsert with a ``BackfillRun`` (e.g. to
    serve queries or checkpoint meanwhile). Returns the final ``BackfillRun``."""
    if batch_size != int(batch_size) or batch_size < 1:
        raise InvalidArgumentError(f"batch_size must be a positive integer, got {batch_size!r}")
    if max_batches is not None and (max_batches != int(max_batches) or max_batches < 0):
        raise InvalidArgumentError(f"max_batches must be a non-negative integer, got {max_batches!r}")
    encoder = Encoder.open(encoder_path)
    space_of = getattr(tier, "space_of", None)
    if space_of is not None and space_of(encoder.version) != encoder.space:
        raise IncompatibleError(
            f"encoder version {encoder.version} writes space {encoder.space}, the tier holds version "
            f"{encoder.version} in space {space_of(encoder.version)}")
    todo = pending(plan, tier, encoder.version)
    if max_batches is not None:
        todo = todo[:int(max_batches) * int(batch_size)]
    upserted = batches = 0
    if todo.size:
        chunks = np.array_split(todo, -(-todo.size // int(batch_size)))
        context = ray.data.DataContext.get_current()
        keep_order = context.execution_options.preserve_order
        context.execution_options.preserve_order = True  # upserts follow the plan's priority
        try:
            dataset = ray.data.from_numpy(chunks).rename_columns({"data": "id"}).map_batches(
                BackfillBatch, fn_constructor_args=(str(encoder_path), features, _threads(cpus_per_worker)),
                **_worker_args(workers, cpus_per_worker, batch_size))
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                tier.upsert(batch["vector"], batch["id"], encoder.version)
                upserted += len(batch["id"])
                batches += 1
                if on_batch is not None:
                    on_batch(BackfillRun(upserted, batches, int(todo.size) - upserted))
        finally:
            context.execution_options.preserve_order = keep_order
    remaining = int(pending(plan, tier, encoder.version).size)
    return BackfillRun(upserted, batches, remaining)

"""Compatibility evaluation: retrieval metrics, the compatibility matrix, the cutover gate, reports.

Every metric is computed by the library with exact search over L2-normalised vectors, ties broken
pessimistically (a wrong item scoring exactly as high as a correct one ranks first). Formulas and
the report's JSON keys: docs/evaluation.md.
"""
import ctypes
import json
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p

import numpy as np

from ._errors import InvalidArgumentError
from ._loader import Handle, check, checked_int, checked_version, encode_path, lib

_MODES = {"items": 0, "templates": 1}


class LabelledVectors(ctypes.Structure):
    """Mirror of stasis_labelled_vectors (keeps its arrays alive while it lives)."""

    _fields_ = [
        ("n", c_int64),
        ("dim", c_int64),
        ("vectors", POINTER(ctypes.c_float)),
        ("labels", POINTER(c_int64)),
    ]

    @classmethod
    def make(cls, vectors, labels, name):
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        if rows.ndim != 2:
            raise InvalidArgumentError(f"{name} must be a 2-D array (n x dim), got shape {rows.shape}")
        codes = np.ascontiguousarray(labels, dtype=np.int64)
        if codes.ndim != 1 or codes.shape[0] != rows.shape[0]:
            raise InvalidArgumentError(
                f"{name}: {rows.shape[0]} rows need {rows.shape[0]} labels (a 1-D array), got shape {codes.shape}"
            )
        made = cls(
            rows.shape[0],
            rows.shape[1],
            rows.ctypes.data_as(POINTER(ctypes.c_float)),
            codes.ctypes.data_as(POINTER(c_int64)),
        )
        made._keep = (rows, codes)
        return made


class EvaluateOptions(ctypes.Structure):
    """Mirror of stasis_evaluate_options."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("metric", c_char_p),
        ("mode", c_int32),
        ("n_k", c_int32),
        ("ks", POINTER(c_int64)),
        ("pair_samples", c_int64),
        ("seed", c_uint64),
        ("margin", c_double),
        ("title", c_char_p),
        ("reference_queries", POINTER(LabelledVectors)),
        ("reference_gallery", POINTER(LabelledVectors)),
    ]


_LV = POINTER(LabelledVectors)
for _name, (_restype, _argtypes) in {
    "stasis_retrieval_metrics": (
        c_int32,
        [_LV, _LV, c_int32, c_int64, POINTER(c_int64), POINTER(c_double), POINTER(c_double), POINTER(c_double)],
    ),
    "stasis_compatibility_metrics": (
        c_int32,
        [c_int64, POINTER(c_double), POINTER(c_double), POINTER(c_double), POINTER(c_double), POINTER(c_double)],
    ),
    "stasis_evaluate": (
        c_int32,
        [c_int64, POINTER(c_uint32), _LV, _LV, POINTER(EvaluateOptions), POINTER(c_void_p)],
    ),
    "stasis_report_free": (None, [c_void_p]),
    "stasis_report_open": (c_int32, [c_char_p, POINTER(c_void_p)]),
    "stasis_report_version_count": (c_int32, [c_void_p, POINTER(c_int64)]),
    "stasis_report_matrix": (c_int32, [c_void_p, c_int64, POINTER(c_uint32), POINTER(c_double)]),
    "stasis_report_gate": (
        c_int32,
        [c_void_p, c_uint32, c_int64, POINTER(c_uint32), c_double, POINTER(c_int32), POINTER(c_void_p)],
    ),
    "stasis_report_set_backfill": (c_int32, [c_void_p, c_int64, POINTER(c_double), POINTER(c_double), c_char_p]),
    "stasis_report_set_backfill_flips": (
        c_int32, [c_void_p, c_int64, POINTER(c_double), POINTER(c_double), POINTER(c_double), c_char_p]),
    "stasis_report_json": (c_int32, [c_void_p, POINTER(c_void_p)]),
    "stasis_report_html": (c_int32, [c_void_p, POINTER(c_void_p)]),
    "stasis_report_write_json": (c_int32, [c_void_p, c_char_p]),
    "stasis_report_write_html": (c_int32, [c_void_p, c_char_p]),
}.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


def _mode(mode):
    if mode not in _MODES:
        raise InvalidArgumentError(f"mode must be 'items' or 'templates', got {mode!r}")
    return _MODES[mode]


def _ks(k):
    values = [k] if np.isscalar(k) else list(k)
    return np.ascontiguousarray([checked_int(v, "k", 1, 2**20) for v in values], dtype=np.int64)


def _doubles(array):
    return array.ctypes.data_as(POINTER(c_double))


def _take_string(function, *args):
    out = c_void_p()
    check(function(*args, ctypes.byref(out)))
    try:
        return ctypes.string_at(out.value).decode()
    finally:
        lib.stasis_string_free(out)


class _Label:
    """Maps any hashable labels (ints, strings) of one call onto int64 codes, consistently."""

    def __init__(self, arrays):
        arrays = [np.asarray(a) for a in arrays if a is not None]
        self.integer = all(a.dtype.kind in "iu" for a in arrays)
        if not self.integer:
            values = np.unique(np.concatenate([a.astype(str).ravel() for a in arrays]))
            self.codes = {value: i for i, value in enumerate(values)}

    def __call__(self, labels):
        labels = np.asarray(labels)
        if self.integer:
            return labels.astype(np.int64)
        return np.array([self.codes[v] for v in labels.astype(str).ravel()], dtype=np.int64).reshape(labels.shape)


class RetrievalMetrics:
    """``top1``, ``recall`` (dict k -> Recall@k) and ``map``, fractions in [0, 1]; ``queries``."""

    def __init__(self, top1, recall, map_, queries):
        self.top1, self.recall, self.map, self.queries = top1, recall, map_, queries

    def as_dict(self):
        return {"top1": self.top1, "recall": dict(self.recall), "map": self.map, "queries": self.queries}

    def __repr__(self):
        recall = ", ".join(f"R@{k}={v:.4f}" for k, v in self.recall.items())
        return f"<RetrievalMetrics top1={self.top1:.4f} {recall} mAP={self.map:.4f} queries={self.queries}>"


def retrieval_metrics(queries, query_labels, gallery=None, gallery_labels=None, *, k=(1, 5, 10), mode="items"):
    """Top-1, Recall@k and mAP of ``queries`` (n x d) against ``gallery`` (m x d), exact search.

    Without a gallery the queries search each other, each left out of its own gallery (in
    ``mode="templates"``, out of its own class mean). ``mode="templates"`` collapses the gallery
    to one L2-normalised mean per class. Recall@k is the fraction of queries with an item of their
    class among the first k (the metric-learning Recall@k, i.e. CMC@k; ``recall[1] == top1``).
    Labels may be integers or strings. Raises InvalidArgumentError for mismatched lengths, NaN,
    zero vectors, or a query label missing from the gallery.
    """
    if (gallery is None) != (gallery_labels is None):
        raise InvalidArgumentError("give gallery and gallery_labels together, or neither (leave-one-out)")
    code = _Label([query_labels, gallery_labels])
    q = LabelledVectors.make(queries, code(query_labels), "queries")
    g = None if gallery is None else LabelledVectors.make(gallery, code(gallery_labels), "gallery")
    ks = _ks(k)
    top1, map_ = c_double(), c_double()
    recall = np.zeros(len(ks), dtype=np.float64)
    check(
        lib.stasis_retrieval_metrics(
            ctypes.byref(q),
            None if g is None else ctypes.byref(g),
            _mode(mode),
            len(ks),
            ks.ctypes.data_as(POINTER(c_int64)) if len(ks) else None,
            ctypes.byref(top1),
            _doubles(recall) if len(ks) else None,
            ctypes.byref(map_),
        )
    )
    return RetrievalMetrics(top1.value, {int(a): float(b) for a, b in zip(ks, recall)}, map_.value, q.n)


class CompatibilityMetrics:
    """``ac``, ``am``, ``bc``, ``fc`` of a compatibility matrix (``bc``/``fc`` None when T = 1)."""

    def __init__(self, ac, am, bc, fc):
        self.ac, self.am, self.bc, self.fc = ac, am, bc, fc

    def as_dict(self):
        return {"ac": self.ac, "am": self.am, "bc": self.bc, "fc": self.fc}

    def __repr__(self):
        return f"<CompatibilityMetrics {self.as_dict()}>"


def _none_if_nan(value):
    return None if value is None or np.isnan(value) else float(value)


def compatibility_metrics(M):
    """AC, AM, BC, FC of a T x T matrix (M[t][k]: version t's queries on version k's gallery;
    entries above the diagonal are ignored). AC counts M[t][k] > M[k][k] strictly; AM keeps zeros.
    """
    matrix = np.ascontiguousarray(M, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise InvalidArgumentError(f"the compatibility matrix must be square (T x T), got shape {matrix.shape}")
    out = [c_double() for _ in range(4)]
    check(lib.stasis_compatibility_metrics(matrix.shape[0], _doubles(matrix), *[ctypes.byref(v) for v in out]))
    ac, am, bc, fc = (v.value for v in out)
    return CompatibilityMetrics(ac, am, _none_if_nan(bc), _none_if_nan(fc))


class GateResult:
    """Verdict of the cutover gate: ``passed``, ``failing`` (cell names "v<t>/v<k>"), ``cells``
    (dicts with value, baseline, passed), ``serve``, ``galleries``, ``margin``, ``metric``.
    Truthy when the gate passes."""

    def __init__(self, verdict):
        self.verdict = verdict
        for key in ("serve", "galleries", "margin", "metric", "passed", "failing", "cells"):
            setattr(self, key, verdict[key])

    def __bool__(self):
        return bool(self.passed)

    def __repr__(self):
        state = "PASS" if self.passed else "FAIL " + ", ".join(self.failing)
        return f"<GateResult v{self.serve} on {self.galleries} margin={self.margin}: {state}>"


class Report(Handle):
    """The result of ``stasis.evaluate``: ``matrix`` (T x T, NaN above the diagonal),
    ``versions``, ``ac``, ``am``, ``bc``, ``fc``, ``update_gain``, ``negative_flips``, ``ecc``,
    ``pair_satisfaction``, ``summary`` and the whole report as ``data`` (the JSON, as a dict).
    ``gate(serve=t, galleries=[...], margin=0.0)`` answers the cutover question; ``write_json``
    and ``write_html`` save it. Safe to use from many threads (``set_backfill`` is exclusive)."""

    _kind = "report"

    def __init__(self, _handle):
        self._own(c_void_p(_handle), lib.stasis_report_free)

    @classmethod
    def open(cls, path):
        """Reads a JSON report written by ``write_json``."""
        handle = c_void_p()
        check(lib.stasis_report_open(encode_path(path), ctypes.byref(handle)))
        return cls(handle.value)

    @property
    def data(self):
        """The report as a dict (the JSON file's content; keys in docs/evaluation.md)."""
        return json.loads(self.json())

    def json(self):
        return _take_string(lib.stasis_report_json, self._h)

    def html(self):
        return _take_string(lib.stasis_report_html, self._h)

    @property
    def versions(self):
        return self.data["versions"]

    @property
    def matrix(self):
        """The compatibility matrix of the report's metric, float64 T x T, NaN above the diagonal."""
        t = self._get(lib.stasis_report_version_count, c_int64)
        out = np.empty((t, t), dtype=np.float64)
        check(lib.stasis_report_matrix(self._h, t * t, None, _doubles(out)))
        return out

    @property
    def summary(self):
        """ac, am, bc, fc, reference_metric, update_gain (floats; None where not measured)."""
        def number(v):
            return None if v is None else [number(x) for x in v] if isinstance(v, list) else float(v)

        return {key: number(value) for key, value in self.data["summary"].items()}

    ac = property(lambda self: self.summary["ac"])
    am = property(lambda self: self.summary["am"])
    bc = property(lambda self: self.summary["bc"])
    fc = property(lambda self: self.summary["fc"])
    update_gain = property(lambda self: self.summary["update_gain"])

    @staticmethod
    def _grid(rows, dtype=np.float64):
        return None if rows is None else np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=dtype)

    @property
    def negative_flips(self):
        """T x T fractions (NaN outside the lower triangle), or None when not measurable."""
        return self._grid(self.data["negative_flips"])

    @property
    def ecc(self):
        """T x T: 1.0 where ECC holds, 0.0 where it fails, NaN on and above the diagonal."""
        return self._grid([[None if v is None else float(v) for v in row] for row in self.data["ecc"]])

    @property
    def pair_satisfaction(self):
        return self.data["pair_satisfaction"]

    def gate(self, serve, galleries, margin=0.0):
        """May version ``serve`` answer queries against the galleries of ``galleries``? Each older
        gallery k passes when M[serve][k] - M[k][k] > margin. Returns a GateResult."""
        serve = checked_version(serve)
        listed = np.ascontiguousarray([checked_version(v) for v in galleries], dtype=np.uint32)
        passed = c_int32()
        out = c_void_p()
        check(
            lib.stasis_report_gate(
                self._h,
                serve,
                len(listed),
                listed.ctypes.data_as(POINTER(c_uint32)) if len(listed) else None,
                float(margin),
                ctypes.byref(passed),
                ctypes.byref(out),
            )
        )
        try:
            return GateResult(json.loads(ctypes.string_at(out.value).decode()))
        finally:
            lib.stasis_string_free(out)

    def set_backfill(self, fractions, values, label="", negative_flips=None):
        """Attaches a backfill curve (fraction of the gallery re-encoded -> metric), optionally
        with the negative-flip share at each point (``backfill_curve(...).negative_flips``),
        drawn as a dashed line in the HTML chart and written as ``backfill.negative_flips``."""
        f = np.ascontiguousarray(fractions, dtype=np.float64)
        v = np.ascontiguousarray(values, dtype=np.float64)
        if f.ndim != 1 or v.shape != f.shape:
            raise InvalidArgumentError(f"fractions and values must be 1-D of one length, got {f.shape} and {v.shape}")
        if negative_flips is None:
            check(lib.stasis_report_set_backfill(self._h, len(f), _doubles(f), _doubles(v), label.encode()))
            return
        n = np.ascontiguousarray(negative_flips, dtype=np.float64)
        if n.shape != f.shape:
            raise InvalidArgumentError(f"negative_flips must have one value per fraction ({f.shape[0]}), got shape {n.shape}")
        check(lib.stasis_report_set_backfill_flips(self._h, len(f), _doubles(f), _doubles(v), _doubles(n), label.encode()))

    def write_json(self, path):
        check(lib.stasis_report_write_json(self._h, encode_path(path)))

    def write_html(self, path):
        check(lib.stasis_report_write_html(self._h, encode_path(path)))

    def __repr__(self):
        if not self._finalizer.alive:
            return "<stasis.Report closed>"
        s = self.summary
        return f"<stasis.Report versions={self.versions} AC={s['ac']:.3f} AM={s['am']:.3f}>"


def _per_version(value, count, name):
    """A list of one entry per version, or one array shared by every version."""
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise InvalidArgumentError(f"{name} has {len(value)} entries for {count} versions")
        return list(value)
    return [value] * count


def evaluate(
    queries,
    query_labels,
    galleries=None,
    gallery_labels=None,
    *,
    versions=None,
    encoders=None,
    metric="top1",
    mode="items",
    k=(1, 5, 10),
    pair_samples=10000,
    seed=0,
    margin=0.0,
    title=None,
    reference=None,
):
    """Builds the compatibility matrix over T model versions and returns a Report.

    ``queries``: a list of T arrays, version t's query vectors (oldest version first).
    ``query_labels``: one label array shared by every version, or a list of T.
    ``galleries`` / ``gallery_labels``: the same for the galleries; None means the queries search
    each other with leave-one-out (then row i must be the same item in every version).
    ``versions``: T distinct version numbers (default 1..T). ``encoders``: optional list of T
    ``stasis.Encoder``; then queries and galleries are backbone features, encoded first.
    ``metric``: "top1", "map" or "recall@K" for the matrix, summary and gate. ``reference``: an
    unconstrained model for the update gain, as ``(queries, labels)`` or
    ``(queries, labels, gallery, gallery_labels)``. ``margin``: margin of the report's default gate.
    """
    if isinstance(queries, np.ndarray) and queries.ndim == 2:
        raise InvalidArgumentError("queries must be a list with one array per model version")
    queries = list(queries)
    count = len(queries)
    if count == 0:
        raise InvalidArgumentError("no model versions given (T = 0): evaluation needs at least one")
    if (galleries is None) != (gallery_labels is None):
        raise InvalidArgumentError("give galleries and gallery_labels together, or neither (leave-one-out)")
    q_labels = _per_version(query_labels, count, "query_labels")
    g_list = None if galleries is None else _per_version(galleries, count, "galleries")
    g_labels = None if galleries is None else _per_version(gallery_labels, count, "gallery_labels")
    if encoders is not None:
        encoders = _per_version(encoders, count, "encoders")
        queries = [e.encode(x) for e, x in zip(encoders, queries)]
        if g_list is not None:
            g_list = [e.encode(x) for e, x in zip(encoders, g_list)]
    reference = None if reference is None else tuple(reference)
    if reference is not None and len(reference) not in (2, 4):
        raise InvalidArgumentError("reference is (queries, labels) or (queries, labels, gallery, gallery_labels)")
    all_labels = q_labels + (g_labels or []) + ([] if reference is None else list(reference[1::2]))
    code = _Label(all_labels)
    # Arrays of structures copy the structures but not the numpy arrays they point into:
    # `keep` holds those arrays until the call returns.
    q_made = [LabelledVectors.make(x, code(y), f"queries[{i}]") for i, (x, y) in enumerate(zip(queries, q_labels))]
    keep = [s._keep for s in q_made]
    q_sets = (LabelledVectors * count)(*q_made)
    g_sets = None
    if g_list is not None:
        g_made = [LabelledVectors.make(x, code(y), f"galleries[{i}]") for i, (x, y) in enumerate(zip(g_list, g_labels))]
        keep.extend(s._keep for s in g_made)
        g_sets = (LabelledVectors * count)(*g_made)
    numbers = None
    if versions is not None:
        if len(versions) != count:
            raise InvalidArgumentError(f"versions has {len(versions)} entries for {count} query sets")
        numbers = np.ascontiguousarray([checked_version(v) for v in versions], dtype=np.uint32)
    ks = _ks(k)
    options = EvaluateOptions()
    options.struct_size = ctypes.sizeof(EvaluateOptions)
    options.metric = str(metric).encode()
    options.mode = _mode(mode)
    options.n_k = len(ks)
    options.ks = ks.ctypes.data_as(POINTER(c_int64)) if len(ks) else None
    samples = checked_int(pair_samples, "pair_samples", 0, 100_000_000)
    options.pair_samples = samples if samples > 0 else -1
    options.seed = checked_int(seed, "seed", 0, 2**64 - 1)
    options.margin = float(margin)
    options.title = None if title is None else str(title).encode()
    if reference is not None:
        ref_q = LabelledVectors.make(reference[0], code(reference[1]), "reference queries")
        keep.append(ref_q)
        options.reference_queries = ctypes.pointer(ref_q)
        if len(reference) == 4:
            ref_g = LabelledVectors.make(reference[2], code(reference[3]), "reference gallery")
            keep.append(ref_g)
            options.reference_gallery = ctypes.pointer(ref_g)
    handle = c_void_p()
    check(
        lib.stasis_evaluate(
            count,
            None if numbers is None else numbers.ctypes.data_as(POINTER(c_uint32)),
            q_sets,
            g_sets,
            ctypes.byref(options),
            ctypes.byref(handle),
        )
    )
    del keep
    return Report(handle.value)

"""A versioned gallery served by Milvus (optional extra: ``pip install 'stasis[milvus]'``).

``MilvusGallery`` keeps the rules of ``stasis.Gallery`` (docs/gallery.md) on a vector database:
one Milvus collection per **space** (a *part*), the model version stored with every vector as a
scalar field, the space's name or fingerprint in the collection's properties. Versions that share
a stationary space live in one collection and are searched together directly; a query of a
version in another space is mapped through Stasis adapters (``add_adapter``) before it reaches
Milvus; hits of several parts are merged by score (raw cosines, or z-scores after
``calibrate``). An upsert replaces the item's vector wherever it was (one id lives in one part);
vectors of another space are refused.

Default: milvus-lite, embedded, in a local file (``MilvusGallery("./gallery.db")``); a URI such as
``http://host:19530`` selects a Milvus server or cluster with the same code. See docs/scaleout.md.
"""
import json
import re
from collections import deque

import numpy as np

from ._errors import DimensionMismatchError, IncompatibleError, InvalidArgumentError, NotFoundError
from ._loader import checked_int, checked_version
from ._optional import require
from .adapter import Adapter, AdapterChain
from .gallery import GallerySearchResult

pymilvus = require("pymilvus", "milvus", "stasis.milvus")

_SPACE_KEY, _VERSIONS_KEY = "stasis.space", "stasis.versions"
_WRITE_ROWS = 2000  # rows per upsert request: a few MB, far below gRPC's message limit
_READ_IDS = 4096  # ids per `id in [...]` query: below Milvus's query result window


def _slug(space):
    return re.sub(r"[^0-9A-Za-z_]", "_", space)[:120]


def _id_filter(ids):
    return "id in [" + ",".join(str(int(i)) for i in ids) + "]"


class MilvusGallery:
    """A mixed-version gallery in Milvus collections named ``<name>_<space>``.

    ``uri``: a file path (milvus-lite, embedded; created when missing) or a server URI;
    ``token``: the server's credentials, if any. ``index``: the Milvus index type of new
    collections ("FLAT": exact; "HNSW", "IVF_FLAT", "AUTOINDEX": approximate) with
    ``index_params``; ``search_params`` are passed to every search (e.g. ``{"ef": 64}``).
    Reopening the same uri and name finds the registered versions again (they are stored in the
    collections' properties); adapters and calibration live in this object and are added again.
    Thread safety: as the Milvus client's; a search running during an upsert may see an item in
    both its old and new part for an instant, and keeps only its best-scoring copy."""

    def __init__(self, uri="./stasis-gallery.db", *, name="stasis", token=None, index="FLAT", index_params=None,
                 search_params=None):
        if not re.fullmatch(r"[A-Za-z_][0-9A-Za-z_]{0,100}", str(name)):
            raise InvalidArgumentError(f"name must be letters, digits and _ (not first a digit), got {name!r}")
        self.uri, self.name = str(uri), str(name)
        self.index, self.index_params = str(index), dict(index_params or {})
        self.search_params = dict(search_params or {})
        self.client = pymilvus.MilvusClient(self.uri, **({"token": token} if token else {}))
        self._versions = {}  # version -> (dim, space)
        self._collections = {}  # space -> (collection name, dim)
        self._bridges = []  # (source space, target space, adapter or chain)
        self._calibration = {}  # (query version, part space) -> (mu, sigma)
        self._reopen()

    # Registry -----------------------------------------------------------------------------------

    def _reopen(self):
        prefix = self.name + "_"
        for collection in self.client.list_collections():
            if not collection.startswith(prefix):
                continue
            info = self.client.describe_collection(collection)
            properties = info.get("properties") or {}
            if _SPACE_KEY not in properties:
                continue  # not a Stasis part
            space = properties[_SPACE_KEY]
            dim = next(int(f["params"]["dim"]) for f in info["fields"] if f["name"] == "vector")
            self._collections[space] = (collection, dim)
            for version in json.loads(properties.get(_VERSIONS_KEY, "[]")):
                self._versions[int(version)] = (dim, space)

    def _save_versions(self, space):
        collection, _ = self._collections[space]
        versions = sorted(v for v, (_, s) in self._versions.items() if s == space)
        self.client.alter_collection_properties(collection, properties={_VERSIONS_KEY: json.dumps(versions)})

    def register(self, version, dim, space=None):
        """Registers ``version`` (``dim``-wide rows) in ``space`` (default: its own, ``v<version>``).

        Pass the encoder's space fingerprint (``encoder.space``) to have vectors of other spaces
        refused. Re-registering the same way is a no-op; another width or space raises
        IncompatibleError / DimensionMismatchError."""
        version, dim = checked_version(version), checked_int(dim, "dim", 1, 32768)
        space = f"v{version}" if space is None else str(space)
        if version in self._versions:
            if self._versions[version] != (dim, space):
                raise IncompatibleError(
                    f"version {version} is registered as {self._versions[version][0]}-d in space "
                    f"{self._versions[version][1]!r}, not {dim}-d in {space!r}")
            return
        if space in self._collections:
            if self._collections[space][1] != dim:
                raise DimensionMismatchError(
                    f"space {space!r} holds {self._collections[space][1]}-d vectors, version {version} is {dim}-d")
        else:
            collection = f"{self.name}_{_slug(space)}"
            if self.client.has_collection(collection):
                raise IncompatibleError(f"collection {collection!r} exists and does not hold space {space!r}")
            schema = pymilvus.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("id", pymilvus.DataType.INT64, is_primary=True)
            schema.add_field("version", pymilvus.DataType.INT64)
            schema.add_field("vector", pymilvus.DataType.FLOAT_VECTOR, dim=dim)
            index = self.client.prepare_index_params()
            index.add_index(field_name="vector", index_type=self.index, metric_type="IP", params=self.index_params)
            self.client.create_collection(collection, schema=schema, index_params=index,
                                          properties={_SPACE_KEY: space, _VERSIONS_KEY: "[]"})
            self._collections[space] = (collection, dim)
        self._versions[version] = (dim, space)
        self._save_versions(space)

    def space_of(self, version):
        """The space ``version`` is registered in (NotFoundError when it is not)."""
        return self._registered(version)[1]

    def _registered(self, version):
        version = checked_version(version)
        if version not in self._versions:
            raise NotFoundError(f"model version {version} is not registered in this gallery")
        return self._versions[version]

    def add_adapter(self, adapter):
        """Adds an ``Adapter`` or ``AdapterChain`` as a bridge from its source version's space to
        its target version's space (both registered, widths equal to the registered ones)."""
        if not isinstance(adapter, (Adapter, AdapterChain)):
            raise InvalidArgumentError(f"expected a stasis.Adapter or AdapterChain, got {type(adapter).__name__}")
        (source_dim, source), (target_dim, target) = (self._registered(adapter.source_version),
                                                      self._registered(adapter.target_version))
        if (source_dim, target_dim) != (adapter.source_dim, adapter.target_dim):
            raise DimensionMismatchError(
                f"adapter maps {adapter.source_dim}->{adapter.target_dim}, the versions are {source_dim}- and "
                f"{target_dim}-d")
        self._bridges.append((source, target, adapter))

    def _route(self, source, target):
        """Adapters along the shortest bridge path (fewest bridges, first added wins ties)."""
        previous, queue = {source: None}, deque([source])
        while queue:
            space = queue.popleft()
            if space == target:
                path = []
                while previous[space] is not None:
                    space, adapter = previous[space]
                    path.append(adapter)
                return path[::-1]
            for start, end, adapter in self._bridges:
                if start == space and end not in previous:
                    previous[end] = (space, adapter)
                    queue.append(end)
        return None

    # Writes -------------------------------------------------------------------------------------

    def upsert(self, vectors, ids, version, *, space=None):
        """Adds or replaces items with ``version`` vectors (L2-normalised here); an item stored
        under another version is replaced, in whichever part it was. ``space``: the fingerprint
        of the model that produced the vectors, checked against the registered space
        (IncompatibleError for vectors of another space). Everything is validated before
        anything is written."""
        dim, registered = self._registered(version)
        if space is not None and str(space) != registered:
            raise IncompatibleError(
                f"vectors of space {space!r} cannot be stored as version {int(version)}, which is registered in "
                f"space {registered!r}")
        rows = np.asarray(vectors, dtype=np.float32)
        if rows.ndim != 2:
            raise InvalidArgumentError(f"vectors must be a 2-D array (n x dim), got shape {rows.shape}")
        if rows.shape[1] != dim:
            raise DimensionMismatchError(f"vectors have {rows.shape[1]} columns, version {int(version)} is {dim}-d")
        keys = np.ascontiguousarray(ids, dtype=np.int64)
        if keys.ndim != 1 or keys.shape[0] != rows.shape[0]:
            raise InvalidArgumentError(f"ids must be 1-D with {rows.shape[0]} entries, got shape {keys.shape}")
        if np.unique(keys).size != keys.size:
            raise InvalidArgumentError("ids repeat within one upsert")
        norms = np.linalg.norm(rows, axis=1)
        if not np.all(np.isfinite(rows)) or np.any(norms == 0):
            raise InvalidArgumentError("vectors must be finite and non-zero")
        rows = rows / norms[:, None]
        collection, _ = self._collections[registered]
        version = int(version)
        for start in range(0, keys.size, _WRITE_ROWS):
            stop = min(start + _WRITE_ROWS, keys.size)
            self.client.upsert(collection, [{"id": int(i), "version": version, "vector": row}
                                            for i, row in zip(keys[start:stop].tolist(), rows[start:stop])])
        for other, (other_collection, _) in self._collections.items():
            if other != registered:
                for start in range(0, keys.size, _READ_IDS):
                    self.client.delete(other_collection, filter=_id_filter(keys[start:start + _READ_IDS]))

    def upsert_features(self, encoder, features, ids):
        """Encodes ``features`` with ``encoder`` and upserts them as its version; refused
        (IncompatibleError) when the encoder's space is not the one its version is registered in."""
        if encoder.space != self.space_of(encoder.version):
            raise IncompatibleError(
                f"encoder version {encoder.version} writes space {encoder.space!r}, the gallery registered it in "
                f"{self.space_of(encoder.version)!r}")
        self.upsert(encoder.encode(features), ids, encoder.version, space=encoder.space)

    def remove(self, ids):
        """Removes items wherever they are (absent ids are ignored)."""
        keys = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        for collection, _ in self._collections.values():
            for start in range(0, keys.size, _READ_IDS):
                self.client.delete(collection, filter=_id_filter(keys[start:start + _READ_IDS]))

    # Reads --------------------------------------------------------------------------------------

    def versions_of(self, ids):
        """The version of each id as an int64 array, -1 where absent."""
        keys = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        out = np.full(keys.size, -1, np.int64)
        found = {}
        for collection, _ in self._collections.values():
            for start in range(0, keys.size, _READ_IDS):
                for hit in self.client.query(collection, filter=_id_filter(keys[start:start + _READ_IDS]),
                                             output_fields=["version"]):
                    found[int(hit["id"])] = int(hit["version"])
        if found:
            known = np.fromiter(found.keys(), np.int64, len(found))
            values = np.fromiter(found.values(), np.int64, len(found))
            order = np.argsort(known)
            where = np.minimum(np.searchsorted(known, keys, sorter=order), known.size - 1)
            hit = known[order[where]] == keys
            out[hit] = values[order[where]][hit]
        return out

    def count(self, version=None):
        """Live items, or live items of ``version``."""
        if version is not None:
            _, space = self._registered(version)
            parts, expression = [self._collections[space][0]], f"version == {int(version)}"
        else:
            parts, expression = [c for c, _ in self._collections.values()], ""
        return sum(int(self.client.query(c, filter=expression, output_fields=["count(*)"])[0]["count(*)"])
                   for c in parts)

    def __len__(self):
        return self.count()

    def ids(self, version=None):
        """Every id (of ``version``), sorted."""
        if version is not None:
            _, space = self._registered(version)
            parts, expression = [self._collections[space][0]], f"version == {int(version)}"
        else:
            parts, expression = [c for c, _ in self._collections.values()], ""
        found = []
        for collection in parts:
            iterator = self.client.query_iterator(collection, batch_size=10000, filter=expression,
                                                  output_fields=["id"])
            while True:
                page = iterator.next()
                if not page:
                    break
                found.append(np.fromiter((hit["id"] for hit in page), np.int64, len(page)))
            iterator.close()
        return np.sort(np.concatenate(found)) if found else np.empty(0, np.int64)

    def _part_search(self, collection, rows, k, expression):
        """One part's top-k: n x k cosines (-inf pad), ids (-1), versions (0)."""
        n = rows.shape[0]
        scores, ids = np.full((n, k), -np.inf, np.float32), np.full((n, k), -1, np.int64)
        versions = np.zeros((n, k), np.uint32)
        hits = self.client.search(collection, data=list(rows), limit=k, filter=expression, output_fields=["version"],
                                  search_params={"metric_type": "IP", "params": self.search_params})
        for row, found in enumerate(hits):
            for column, hit in enumerate(found[:k]):
                scores[row, column], ids[row, column] = hit["distance"], hit["id"]
                versions[row, column] = hit["entity"]["version"]
        return scores, ids, versions

    def _parts(self, version, versions):
        """(space, collection, adapters, expression) of each part a ``version`` query searches."""
        _, query_space = self._registered(version)
        wanted = None if versions is None else sorted({checked_version(v) for v in np.atleast_1d(versions)})
        parts = []
        for space, (collection, _) in self._collections.items():
            held = [v for v, (_, s) in self._versions.items() if s == space]
            selected = held if wanted is None else [v for v in held if v in wanted]
            if not selected:
                continue
            expression = "" if wanted is None else "version in [" + ",".join(map(str, selected)) + "]"
            route = self._route(query_space, space)
            if route is None:
                if int(self.client.query(collection, filter=expression, output_fields=["count(*)"])[0]["count(*)"]):
                    raise IncompatibleError(
                        f"no adapter path from space {query_space!r} (version {int(version)}) to space {space!r}, "
                        f"which holds items: add_adapter first, or filter versions")
                continue
            parts.append((space, collection, route, expression))
        return parts

    @staticmethod
    def _map(rows, route):
        for adapter in route:
            rows = adapter.apply(rows)
        return rows

    def search(self, queries, version, k=10, *, versions=None, calibrated=True):
        """Top-k of ``version`` queries over every part (only hits of ``versions`` when given).

        A query reaches a part of its own space directly and any other part through the
        shortest adapter path. One part: raw cosines. Several parts: hits are merged by z-score
        when ``calibrate`` fitted every route used (and ``calibrated``), otherwise by raw
        cosine; ties by smaller id. Returns ``GallerySearchResult(scores, ids, versions)``."""
        dim, _ = self._registered(version)
        rows = np.ascontiguousarray(queries, dtype=np.float32)
        if rows.ndim != 2:
            raise InvalidArgumentError(f"queries must be a 2-D array (n x dim), got shape {rows.shape}")
        if rows.shape[1] != dim:
            raise DimensionMismatchError(f"queries have {rows.shape[1]} columns, version {int(version)} is {dim}-d")
        norms = np.linalg.norm(rows, axis=1)
        if not np.all(np.isfinite(rows)) or np.any(norms == 0):
            raise InvalidArgumentError("queries must be finite and non-zero")
        rows = rows / norms[:, None]  # cosines, as the stored rows are unit rows
        k = checked_int(k, "k", 1, 16384)
        parts = self._parts(version, versions)
        n = rows.shape[0]
        if not parts or n == 0:
            return GallerySearchResult(np.full((n, k), -np.inf, np.float32), np.full((n, k), -1, np.int64),
                                       np.zeros((n, k), np.uint32))
        use_z = calibrated and len(parts) > 1 and all((int(version), p[0]) in self._calibration for p in parts)
        found = []
        for space, collection, route, expression in parts:
            scores, ids, hit_versions = self._part_search(collection, self._map(rows, route), k, expression)
            if use_z:
                mu, sigma = self._calibration[(int(version), space)]
                scores = np.where(ids >= 0, (scores - mu) / sigma, -np.inf).astype(np.float32)
            found.append((scores, ids, hit_versions))
        scores, ids, hit_versions = (np.concatenate(parts_, axis=1) for parts_ in zip(*found))
        order = np.lexsort((ids, -scores), axis=1)
        scores, ids, hit_versions = (np.take_along_axis(a, order, axis=1) for a in (scores, ids, hit_versions))
        if len(parts) > 1:  # an item caught mid-move may show up in two parts: keep its best copy
            for row in range(n):
                valid = ids[row] >= 0
                _, first = np.unique(ids[row], return_index=True)
                keep = np.zeros(ids.shape[1], bool)
                keep[first] = True
                keep &= valid
                if keep.sum() != valid.sum():
                    kept = np.flatnonzero(keep)
                    for a, pad in ((scores, -np.inf), (ids, -1), (hit_versions, 0)):
                        a[row] = np.concatenate([a[row][kept], np.full(a.shape[1] - kept.size, pad, a.dtype)])
        return GallerySearchResult(scores[:, :k].copy(), ids[:, :k].copy(), hit_versions[:, :k].copy())

    def calibrate(self, queries, version, k=10):
        """Fits the z-score rule (docs/gallery.md, rule 1) on held-out ``version`` queries: the
        mean and deviation of their top-k cosines in each part they reach. Refit after large
        changes of the parts (e.g. every 10-20 % of a backfill)."""
        dim, _ = self._registered(version)
        rows = np.ascontiguousarray(queries, dtype=np.float32)
        if rows.ndim != 2 or rows.shape[1] != dim or rows.shape[0] < 2:
            raise InvalidArgumentError(f"calibration needs at least 2 queries of {dim} columns, got {rows.shape}")
        norms = np.linalg.norm(rows, axis=1)
        if not np.all(np.isfinite(rows)) or np.any(norms == 0):
            raise InvalidArgumentError("calibration queries must be finite and non-zero")
        rows = rows / norms[:, None]
        k = checked_int(k, "k", 1, 16384)
        for space, collection, route, expression in self._parts(version, None):
            scores, ids, _ = self._part_search(collection, self._map(rows, route), k, expression)
            values = scores[ids >= 0].astype(np.float64)
            if values.size >= 2:
                self._calibration[(int(version), space)] = (float(values.mean()), max(float(values.std(ddof=1)), 1e-6))

    def close(self):
        """Closes the client (milvus-lite flushes its file)."""
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<stasis.milvus.MilvusGallery {self.uri!r} spaces={sorted(self._collections)}>"

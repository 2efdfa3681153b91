"""Stasis quick start in Python: build an index, search it, save it, reopen it.

    PYTHONPATH=bindings/python python3 examples/python/quickstart.py   (or pip install bindings/python)
"""
import os
import sys
import tempfile

import numpy as np

import stasis

rng = np.random.default_rng(0)
gallery = rng.standard_normal((10_000, 64)).astype(np.float32)  # model version 1 embeddings
ids = np.arange(100_000, 110_000)

print("libstasis", stasis.version())
with stasis.Index(64, "HNSW32") as index:
    index.add(gallery, ids, version=1)
    D, I = index.search(gallery[:3], 5, ef_search=64)  # Faiss-style unpacking
    for q in range(3):
        print(f"query {q} -> id {I[q, 0]} (score {D[q, 0]:.3f})")

    path = os.path.join(tempfile.mkdtemp(), "quickstart.stasis")
    index.save(path)

print("on disk:", {k: stasis.inspect(path)[k] for k in ("factory", "dimension", "count", "versions")})
with stasis.Index.open(path) as reopened:
    result = reopened.search(gallery[:1], 5, ef_search=64)
    print("reopened:", reopened, "first hit", result.ids[0, 0], "version", result.versions[0, 0])
    try:
        reopened.search(gallery[:1, :10], 5)
    except stasis.DimensionMismatchError as error:
        print("wrong dimension refused:", error)
    sys.exit(0 if result.ids[0, 0] == I[0, 0] else 1)

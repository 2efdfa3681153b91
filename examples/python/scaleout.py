"""Scale out: encode a gallery with Ray, serve it from Milvus, upgrade the model, backfill with Ray
while Milvus keeps answering. Real data: a slice of the built-in WordNet set (docs/demo.md), old
model WordLlama features, new model MiniLM features, both heads trained into one d-Simplex space.

    PYTHONPATH=bindings/python python3 examples/python/scaleout.py
    PYTHONPATH=bindings/python python3 examples/python/scaleout.py --ray-address auto \
        --milvus-uri http://milvus:19530        # the same code on a Ray cluster and a Milvus server

Needs the extras: pip install 'stasis[ray,milvus]'. See docs/scaleout.md.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

import stasis

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--ray-address", help="a Ray cluster (default: a local Ray with --cpus CPUs)")
parser.add_argument("--cpus", type=int, default=2)
parser.add_argument("--milvus-uri", help="a Milvus server (default: milvus-lite in a temporary file)")
parser.add_argument("--classes", type=int, default=40, help="WordNet classes in the slice")
parser.add_argument("--per-class", type=int, default=60, help="items per class in the slice")
args = parser.parse_args()

import ray  # noqa: E402  (after argument parsing: --help works without the extras)

import stasis.ray as sray  # noqa: E402
from stasis.milvus import MilvusGallery  # noqa: E402

work = tempfile.mkdtemp(prefix="stasis-scaleout-")
started = time.time()

# 1. Data: the first --per-class items of the first --classes classes; every fifth is a query,
#    every fourth of the rest trains the heads, all the rest (and the training items) form the gallery.
data = os.path.join(here, "..", "data", "wordnet")
labels_all = np.load(os.path.join(data, "labels.npy"))
rows = np.concatenate([np.flatnonzero(labels_all == c)[:args.per_class] for c in range(args.classes)])
labels = labels_all[rows]
old_features = np.load(os.path.join(data, "wordllama.npy"), mmap_mode="r")[rows].astype(np.float32)
new_features = np.load(os.path.join(data, "minilm.npy"), mmap_mode="r")[rows].astype(np.float32)
position = np.concatenate([np.arange((labels == c).sum()) for c in range(args.classes)])
is_query = position % 5 == 0
gallery_rows, query_rows = np.flatnonzero(~is_query), np.flatnonzero(is_query)
train_rows = gallery_rows[::4]
print(f"slice: {len(gallery_rows)} gallery items, {len(query_rows)} queries, {args.classes} classes")

# 2. Two model versions trained into one stationary space: v1 on the old backbone, v2 on the new.
space = stasis.Space("simplex", 64)
v1 = stasis.train(space, old_features[train_rows], labels[train_rows], version=1, epochs=30, seed=1)
v2 = stasis.train(space, new_features[train_rows], labels[train_rows], version=2, epochs=30, seed=2,
                  previous=v1, previous_features=old_features[train_rows], alignment="hoc")
v1_path, v2_path = os.path.join(work, "v1.safetensors"), os.path.join(work, "v2.safetensors")
v1.save(v1_path)
v2.save(v2_path)
np.save(os.path.join(work, "new-features.npy"), new_features)  # the feature store the backfill reads

# 3. Ray: a local Ray (or a cluster). Workers find the binding on PYTHONPATH, inherited by the
#    local raylet; on a cluster, install stasis on the nodes or ship it in a runtime_env.
ray.init(address=args.ray_address, num_cpus=None if args.ray_address else args.cpus, include_dashboard=False,
         log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}})
ray.data.DataContext.get_current().enable_progress_bars = False
ids = gallery_rows.astype(np.int64)  # an item's id is its row in the slice
t = time.time()
encoded_ids, encoded = sray.collect(sray.encode(sray.from_arrays(old_features[gallery_rows], ids), v1_path,
                                                workers=2, batch_size=256))
print(f"Ray encoded {len(encoded_ids)} items with v1 in {time.time() - t:.1f} s")

# 4. Milvus: the gallery served from a collection of the space, model version with every vector.
tier = MilvusGallery(args.milvus_uri or os.path.join(work, "gallery.db"), name="wordnet")
tier.register(1, space.dim, space=space.fingerprint)
tier.register(2, space.dim, space=space.fingerprint)
tier.upsert(encoded, encoded_ids, 1, space=v1.space)


def top1(encoder, features):
    """Top-1 accuracy of queries encoded by ``encoder``, served by Milvus (label of the best hit)."""
    hits = tier.search(encoder.encode(features[query_rows]), encoder.version, k=1)
    return float(np.mean(labels[hits.ids[:, 0]] == labels[query_rows]))


print(f"served by Milvus: v1 queries on the v1 gallery, top-1 {top1(v1, old_features):.3f}")
# 5. The upgrade: v2 queries search the untouched v1 gallery at once (same stationary space).
print(f"upgrade: v2 queries on the v1 gallery, top-1 {top1(v2, new_features):.3f}")

# 6. Backfill with Ray while Milvus keeps answering: after every batch, v2 queries are served.
order = np.random.default_rng(0).permutation(ids)  # or a stasis.BackfillPlan's order


def serve(run):
    if run.batches % 2 == 0 or run.remaining == 0:
        print(f"  backfill {run.upserted:5d} re-encoded, {run.remaining:5d} to go: v2 top-1 "
              f"{top1(v2, new_features):.3f}, gallery v1/v2 {tier.count(1)}/{tier.count(2)}")


source = sray.ArrayFeatures(os.path.join(work, "new-features.npy"))
half = sray.backfill(order, tier, source, v2_path, batch_size=200, workers=2, max_batches=3, on_batch=serve)
print(f"stopped after {half.batches} batches (a bounded run); resuming from the gallery's state")
rest = sray.backfill(order, tier, source, v2_path, batch_size=200, workers=2, on_batch=serve)
assert rest.remaining == 0 and tier.count(2) == len(ids) and tier.count(1) == 0
print(f"backfilled: every item on v2 exactly once ({tier.count()} items); v2 top-1 {top1(v2, new_features):.3f}")

# 7. Vectors of another space are refused, not silently mixed.
other = stasis.Space("orthoplex", 32)  # 16-d: another geometry
try:
    tier.upsert(np.ones((1, space.dim), np.float32), [10**9], 2, space=other.fingerprint)
    sys.exit("a vector of another space was accepted")
except stasis.IncompatibleError as error:
    print("refused:", str(error)[:90], "...")
tier.close()
ray.shutdown()
print(f"done in {time.time() - started:.0f} s; files in {work}")

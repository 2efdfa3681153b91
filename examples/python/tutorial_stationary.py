"""Tutorial "Stationary from day one" (docs/tutorials/stationary-from-day-one.md), in Python.

Day one: a d-Simplex space with room for more classes than we know, v1 trained on the old
backbone's features (WordLlama), the gallery indexed once with v1. Later: v2 trained on a new
backbone (MiniLM) with more classes, aligned with v1, served against the untouched v1 index at
once; the compatibility matrix and the gate say whether that is safe; when it is not, the
gallery is re-encoded in place, in batches, while v2 keeps serving.

    PYTHONPATH=bindings/python python3 examples/python/tutorial_stationary.py [data-folder] [out-folder]

The same steps in C: examples/c/tutorial_stationary.c (prints the same numbers).
"""
import os
import sys
import tempfile

import numpy as np

import stasis
from wordnet_data import DEFAULT_FOLDER, V1_CLASSES, V2_CLASSES, Corpus

PER_CLASS = 30  # a small slice of the corpus: runs in seconds
EPOCHS = 20
V2_HIDDEN = 512  # the demo uses 2048; smaller is faster and a little weaker
PAIRS = 600  # gallery items encoded by both backbones (unlabelled)
RECIPE = dict(feature="raw", logit_scale=10.0, epochs=EPOCHS, batch_size=256, lr=1e-3, seed=0)

folder = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FOLDER
out = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="stasis-tutorial-")
os.makedirs(out, exist_ok=True)
stasis.set_num_threads(2)  # training is bit-reproducible for a fixed thread count

data = Corpus(folder, PER_CLASS)
labels, old, new, queries, gallery = data.labels, data.old, data.new, data.queries, data.gallery
print(f"corpus: {len(queries) + len(gallery)} items, {len(gallery)} gallery, {len(queries)} queries")

# --- Day one: a stationary space, v1 on the old backbone, the gallery indexed once -------------
space = stasis.Space("simplex", 128)  # 128 pre-allocated class vertices in 127 dimensions
v1_rows = data.training_rows(V1_CLASSES)
v1 = stasis.train(space, old[v1_rows], labels[v1_rows], version=1, backbone="WordLlama l2_supercat", **RECIPE)
print(f"v1: {v1.input_dim} -> {v1.output_dim}, trained on {len(v1_rows)} rows, {len(space)} classes assigned")

index = stasis.Index.for_space(space, "Flat")
index.add_features(v1, old[gallery], ids=gallery)  # ids are the corpus row numbers
space.save(os.path.join(out, "space.safetensors"))  # the registry: which label owns which vertex
v1.save(os.path.join(out, "encoder-v1.safetensors"))
index.save(os.path.join(out, "gallery.index"))
print(f"gallery indexed with v1: {len(index)} items")

# --- Later: the upgrade, in another process that reopens what day one saved -------------------
space = stasis.Space.open(os.path.join(out, "space.safetensors"))
v1 = stasis.Encoder.open(os.path.join(out, "encoder-v1.safetensors"))
index = stasis.Index.open(os.path.join(out, "gallery.index"))

v2_rows = data.training_rows(V2_CLASSES)
pairs = data.paired_sample(PAIRS)
v2 = stasis.train(
    space, new[v2_rows], labels[v2_rows], version=2, backbone="all-MiniLM-L6-v2", hidden=[V2_HIDDEN],
    previous=v1, previous_features=old[v2_rows],  # the same items through the old backbone
    alignment="hoc", alignment_scale=20.0,
    paired_features=new[pairs], paired_previous_features=old[pairs],  # unlabelled pairs
    **RECIPE)
print(f"v2: {v2.input_dim} -> {v2.output_dim}, trained on {len(v2_rows)} rows and {len(pairs)} pairs, "
      f"{len(space)} classes assigned")

# v2 queries search the v1 index as it is: no gallery item was re-encoded.
hits = index.search_features(v2, new[queries], 1).ids[:, 0]
print(f"served: v2 queries on the untouched v1 index, top-1 {100 * np.mean(labels[hits] == labels[queries]):.2f}%")

# --- Is it safe? The compatibility matrix and the gate --------------------------------------
report = stasis.evaluate([old[queries], new[queries]], labels[queries], [old[gallery], new[gallery]],
                         labels[gallery], encoders=[v1, v2], pair_samples=2000,
                         title="Tutorial: v1 -> v2 on the untouched v1 gallery")
M = report.matrix
print(f"matrix top-1 (%): old->old {100 * M[0, 0]:.2f}  new->old {100 * M[1, 0]:.2f}  new->new {100 * M[1, 1]:.2f}")
report.write_html(os.path.join(out, "report.html"))

# The same cells per class group show where compatibility holds and where it does not.
q1, q2 = v1.encode(old[queries]), v2.encode(new[queries])
g1, g2 = v1.encode(old[gallery]), v2.encode(new[gallery])
ql, gl = labels[queries], labels[gallery]
for name, mask in (("known at v1", ql < V1_CLASSES),
                   ("added at v2", (ql >= V1_CLASSES) & (ql < V2_CLASSES)),
                   ("never trained", ql >= V2_CLASSES)):
    cells = [stasis.retrieval_metrics(q[mask], ql[mask], g, gl).top1 for q, g in ((q1, g1), (q2, g1), (q2, g2))]
    print(f"  {name:<14} old->old {100 * cells[0]:.2f}  new->old {100 * cells[1]:.2f}  new->new {100 * cells[2]:.2f}"
          f"  ECC {'holds' if cells[1] > cells[0] else 'fails'}")

verdict = report.gate(serve=2, galleries=[1])  # may v2 queries search the v1 gallery?
print(f"gate (v2 queries on the v1 gallery): {'PASS' if verdict else 'FAIL'}")

# --- When the gate fails: keep v1 serving, re-encode the gallery in place, then switch -------
# v1 and v2 share the stationary space, so one index holds both versions: each batch of items
# re-encoded with v2 replaces its v1 vectors (same ids), and search never stops. Both query
# models are measured on the mixed index after each batch: serve whichever is better.
order = np.concatenate([gallery[start::4] for start in range(4)])  # spread over every class
for step, batch in enumerate(np.array_split(order, 4), start=1):
    index.add_features(v2, new[batch], ids=batch)
    hits1 = index.search_features(v1, old[queries], 1).ids[:, 0]
    hits2 = index.search_features(v2, new[queries], 1).ids[:, 0]
    print(f"backfill {25 * step}%: v1 items {index.count(1)}, v2 items {index.count(2)}, top-1 of "
          f"v1 queries {100 * np.mean(labels[hits1] == labels[queries]):.2f}%, "
          f"v2 queries {100 * np.mean(labels[hits2] == labels[queries]):.2f}%")
print(f"saved: {out}")

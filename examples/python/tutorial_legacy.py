"""Tutorial "Legacy gallery" (docs/tutorials/legacy-gallery.md), in Python.

The gallery holds raw embeddings of an old model (WordLlama, 256-d) that was never trained for
compatibility. A new model (MiniLM, 384-d) arrives. A backward adapter fitted on a small paired
sample lets new-model queries search the old vectors at once, through a mixed-version gallery;
then the gallery is re-encoded (backfilled) in a planned order, in resumable batches, and the
quality curve of each order is measured.

    PYTHONPATH=bindings/python python3 examples/python/tutorial_legacy.py [data-folder] [out-folder]

The same steps in C: examples/c/tutorial_legacy.c (prints the same numbers).
"""
import os
import sys
import tempfile

import numpy as np

import stasis
from wordnet_data import DEFAULT_FOLDER, Corpus

PER_CLASS = 30  # a small slice of the corpus: runs in seconds
PAIRS = 600  # gallery items encoded by both models
BATCH = 500  # items re-encoded per backfill batch
STEPS = 5  # points of the backfill curve: 0%, 20%, ..., 100%

folder = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FOLDER
out = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="stasis-tutorial-")
os.makedirs(out, exist_ok=True)
stasis.set_num_threads(2)

data = Corpus(folder, PER_CLASS)
labels, old, new, gallery = data.labels, data.old, data.new, data.gallery
# Every other query is held out to fit the score calibration; the others are measured.
calibration, queries = data.queries[0::2], data.queries[1::2]
print(f"corpus: {len(gallery)} gallery items, {len(queries)} measured queries, {len(calibration)} for calibration")

# --- A backward adapter from a small paired sample --------------------------------------------
pairs = data.paired_sample(PAIRS)  # these items were embedded by both models
backward = stasis.Adapter.fit(new[pairs], old[pairs], kind="ridge", source_version=2, target_version=1)
forward = stasis.Adapter.fit(old[pairs], new[pairs], kind="ridge", source_version=1, target_version=2)
check = backward.validation  # measured on the pairs held out of the fit
print(f"adapter v2 -> v1 ({backward.kind}, {backward.source_dim} -> {backward.target_dim}) on {len(pairs)} pairs: "
      f"held-out mean cosine {check['mean_cosine']:.4f}, recall@1 {check['recall_at_1']:.4f}")
backward.save(os.path.join(out, "adapter-v2-to-v1.safetensors"))

ql, gl = labels[queries], labels[gallery]
old_old = stasis.retrieval_metrics(old[queries], ql, old[gallery], gl).top1
new_old = stasis.retrieval_metrics(backward.apply(new[queries]), ql, old[gallery], gl).top1
new_new = stasis.retrieval_metrics(new[queries], ql, new[gallery], gl).top1
print(f"top-1 (%): old->old {100 * old_old:.2f}  new->old through the adapter {100 * new_old:.2f}  "
      f"new->new {100 * new_new:.2f}")


# --- Serve new-model queries at once through a mixed-version gallery --------------------------
def legacy_gallery():
    """The old vectors as they are (version 1), version 2 registered, bridged by the adapter."""
    g = stasis.Gallery()
    g.register(1, old.shape[1])
    g.register(2, new.shape[1])
    g.add_adapter(backward)
    g.upsert(old[gallery], gallery, version=1)  # ids are the corpus row numbers
    # Calibration puts both parts' scores in the new model's units (it matters once both are live).
    g.calibrate(new[calibration], version=2, paired={1: (new[pairs], old[pairs])})
    return g


def top1(g):
    hits = g.search(new[queries], version=2, k=1).ids[:, 0]
    return np.mean(labels[hits] == ql)


live = legacy_gallery()
print(f"served at once: new-model queries on the legacy gallery, top-1 {100 * top1(live):.2f}%")


# --- Plan the backfill: which items to re-encode first -----------------------------------------
def plan(policy, g):
    if policy == "random":
        return stasis.BackfillPlan.random(g, 1, 2, seed=1)
    if policy == "predicted-error":  # largest predicted error of the forward adapter first
        return stasis.BackfillPlan.predicted_error(g, 1, 2, ids=gallery, vectors=old[gallery], forward=forward,
                                                   paired_old=old[pairs], paired_new=new[pairs])
    return stasis.BackfillPlan.neighbourhood(g, 1, 2, ids=gallery, vectors=old[gallery], forward=forward)


POLICIES = ("random", "predicted-error", "neighbourhood")
for policy in POLICIES:
    order = plan(policy, live).order
    print(f"plan {policy}: {len(order)} ids, first {' '.join(str(i) for i in order[:5])}")

# --- Run it in resumable batches ----------------------------------------------------------------
backfill = plan("predicted-error", live)
plan_path = os.path.join(out, "backfill-plan.json")
batches = 0
while True:
    batch = backfill.next_batch(live, BATCH)  # the same ids again until they are upserted
    if len(batch) == 0:
        break
    live.upsert(new[batch], batch, version=2)  # the new model's embeddings of these items
    backfill.save(plan_path)  # the cursor is saved: a restart resumes after this batch
    batches += 1
    if batches == 3:  # simulate a restart: reopen the plan from disk and carry on
        backfill = stasis.BackfillPlan.open(plan_path)
        done, remaining = backfill.progress(live)
        print(f"after {batches} batches (restarted): done {done}, remaining {remaining}, top-1 {100 * top1(live):.2f}%")
done, remaining = backfill.progress(live)
print(f"backfill complete after {batches} batches: done {done}, remaining {remaining}, "
      f"v1 items {live.count(1)}, v2 items {live.count(2)}, top-1 {100 * top1(live):.2f}%")

# --- Measure the curve of each order -------------------------------------------------------------
for policy in POLICIES:
    g = legacy_gallery()
    curve = stasis.backfill_curve(g, plan(policy, g), ids=gallery, labels=gl, new_vectors=new[gallery],
                                  queries=new[queries], query_labels=ql, query_version=2, steps=STEPS)
    values = " ".join(f"{100 * v:.2f}" for v in curve.values)
    print(f"curve {policy:<15} {values}  AUC {100 * curve.auc:.2f}")
print(f"saved: {out}")

"""Mixed-version gallery and backfill order on real embeddings: WordNet noun synsets embedded by
LSA (old, v1, 256-d) and WordLlama (new, v2, 256-d). The gallery starts on the old version;
new-model queries reach it through a backward ridge adapter. Reports (docs/gallery.md):

- at 50 % backfilled (random half): top-1 and mAP@10 of the merged, calibrated search against
  the uncalibrated merge and each part searched alone;
- the backfill curve (top-1 vs fraction re-encoded) and its AUC for each planner policy.

Same data and dependencies as benchmarks/adapters_wordnet.py.

    PYTHONPATH=bindings/python python3 benchmarks/backfill_wordnet.py [--gallery 20000] [--no-curves] [--raw-curves]
"""
import argparse
import os
import sys
import time

import numpy as np

import stasis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adapters_wordnet import embed_lsa, embed_wordllama, labels_from_tree, read_wordnet  # noqa: E402


def top1_map(ids, labels, query_labels, k=10):
    """Top-1 accuracy and mAP@k of a search result (ids n x k, -1 = missing)."""
    hit = (ids[:, :k] >= 0) & (labels[np.maximum(ids[:, :k], 0)] == query_labels[:, None])
    precision = np.cumsum(hit, 1) / np.arange(1, k + 1)
    ap = (precision * hit).sum(1) / np.maximum(hit.sum(1), 1)
    return hit[:, 0].mean(), ap.mean()


def r_precision(ids, labels, query_labels, relevant):
    """Share of each query's R same-label gallery items found in its top R (R = relevant[i],
    capped at the result width): rewards finding items wherever they are stored."""
    total = 0.0
    for row, label, r in zip(ids, query_labels, relevant):
        r = min(int(r), row.shape[0])
        top = row[:r]
        total += ((top >= 0) & (labels[np.maximum(top, 0)] == label)).sum() / max(r, 1)
    return total / len(ids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=5000, help="paired items (adapters, error model)")
    parser.add_argument("--gallery", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--calibration", type=int, default=500, help="held-out queries for calibration")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--no-curves", action="store_true", help="only the partly backfilled comparison")
    parser.add_argument("--raw-curves", action="store_true", help="curves merge raw cosines (no calibration)")
    args = parser.parse_args()
    stasis.set_num_threads(1)
    t0 = time.time()
    offsets, texts, parent = read_wordnet()
    labels = labels_from_tree(offsets, parent)
    keep = labels >= 0
    texts = [t for t, k in zip(texts, keep) if k]
    labels = labels[keep].astype(np.int32)
    old, new = embed_lsa(texts), embed_wordllama(texts)
    print(f"WordNet: {len(texts)} items in {len(set(labels))} classes; LSA {old.shape}, WordLlama {new.shape} "
          f"({time.time() - t0:.0f} s)")

    rng = np.random.default_rng(0)
    order = rng.permutation(len(texts))
    cut = np.cumsum([args.pairs, args.gallery, args.queries, args.calibration])
    pairs, items, queries, held = order[:cut[0]], order[cut[0]:cut[1]], order[cut[1]:cut[2]], order[cut[2]:cut[3]]
    backward = stasis.Adapter.fit(new[pairs], old[pairs], kind="ridge", source_version=2, target_version=1)
    forward = stasis.Adapter.fit(old[pairs], new[pairs], kind="ridge", source_version=1, target_version=2)
    ids = np.arange(len(items), dtype=np.int64)
    item_labels, query_labels = labels[items], labels[queries]

    def gallery_on_old(calibrated=False):
        g = stasis.Gallery()
        g.register(1, old.shape[1], space="lsa")
        g.register(2, new.shape[1], space="wordllama")
        g.add_adapter(backward)
        g.upsert(old[items], ids, 1)
        if calibrated:
            g.calibrate(new[held], 2, k=10, paired={1: (new[pairs], old[pairs])})
        return g

    # Partly backfilled (a random share): merged vs each part alone, per calibration rule.
    paired = {1: (new[pairs], old[pairs])}
    relevant = np.bincount(item_labels, minlength=labels.max() + 1)[query_labels]
    for share in (0.2, 0.5, 0.8):
        g = gallery_on_old()
        moved = rng.permutation(len(items))[: int(share * len(items))]
        g.upsert(new[items[moved]], ids[moved], 2)
        print(f"at {share:.0%} backfilled ({len(items)} items, {len(queries)} new-model queries): "
              f"top-1 / mAP@10 / R-precision")
        rows = []
        width = int(relevant.max())
        g.calibrate(new[held], 2, k=10)
        rows.append(("merged, z-score calibration", g.search(new[queries], 2, width)))
        g.calibrate(new[held], 2, k=10, paired=paired)
        rows.append(("merged, paired regression", g.search(new[queries], 2, width)))
        rows.append(("merged, raw cosines", g.search(new[queries], 2, width, calibrated=False)))
        rows.append(("old part alone (via adapter)", g.search(new[queries], 2, width, space="lsa")))
        rows.append(("new part alone", g.search(new[queries], 2, width, space="wordllama")))
        for name, result in rows:
            t1, mean_ap = top1_map(result.ids, item_labels, query_labels)
            rp = r_precision(result.ids, item_labels, query_labels, relevant)
            print(f"  {name:30s} {t1:.3f} / {mean_ap:.3f} / {rp:.3f}")
        if share == 0.5:
            # Cost of the mixed search (two parts, one through the adapter) against one Flat index
            # of the same number of items, same queries, k = 10, one thread.
            single = stasis.Index(new.shape[1], "Flat")
            single.add(new[items], ids, version=2)
            single.search(new[queries[:10]], 10)
            g.search(new[queries[:10]], 2, 10)
            t = time.perf_counter()
            single.search(new[queries], 10)
            one = time.perf_counter() - t
            t = time.perf_counter()
            g.search(new[queries], 2, 10)
            mixed = time.perf_counter() - t
            print(f"  search cost, {len(queries)} queries, k = 10: mixed {1e6 * mixed / len(queries):.0f} us/query, "
                  f"single-version Flat {1e6 * one / len(queries):.0f} us/query, ratio {mixed / one:.2f}")
    if args.no_curves:
        return

    # Backfill curves per policy.
    rule = "raw cosines" if args.raw_curves else "the paired-regression calibration"
    print(f"backfill curves (top-1 of new-model queries vs fraction re-encoded, {args.steps} steps; merged with {rule}):")
    aucs = {}
    for policy in ("random", "predicted-error", "neighbourhood"):
        g = gallery_on_old(calibrated=not args.raw_curves)
        t = time.time()
        if policy == "random":
            plan = stasis.BackfillPlan.random(g, 1, 2, seed=1)
        elif policy == "predicted-error":
            plan = stasis.BackfillPlan.predicted_error(g, 1, 2, ids=ids, vectors=old[items], forward=forward,
                                                       paired_old=old[pairs], paired_new=new[pairs])
        else:
            plan = stasis.BackfillPlan.neighbourhood(g, 1, 2, ids=ids, vectors=old[items], forward=forward)
        planned = time.time() - t
        curve = stasis.backfill_curve(g, plan, ids=ids, labels=item_labels, new_vectors=new[items],
                                      queries=new[queries], query_labels=query_labels, query_version=2, steps=args.steps)
        aucs[policy] = curve.auc
        values = " ".join(f"{v:.3f}" for v in curve.values)
        print(f"  {policy:16s} AUC {curve.auc:.4f}  (plan {planned:.1f} s)  {values}")
    for policy in ("predicted-error", "neighbourhood"):
        print(f"  {policy} vs random: {aucs[policy] - aucs['random']:+.4f} AUC")
    print(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()

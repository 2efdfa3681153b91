"""Backfill orders on the demo's legacy gallery (examples/data/wordnet): WordLlama (old, v1,
256-d) -> all-MiniLM-L6-v2 (new, v2, 384-d), the same split, pairs and calibration as
`stasis demo` stage 3 (docs/demo.md). Every policy's curve (top-1 of new-model queries vs the
fraction of the gallery re-encoded, merged paired-regression search) is measured on a fresh
gallery; AUC by trapezoid and the largest negative-flip share are printed per policy.

Policies: the library's random / predicted-error / neighbourhood, and coverage-aware orders
given to the planner as custom orders:
- class-stratified: round robin over the gallery's classes (random order inside a class), the
  classes whose paired items the forward adapter serves worst first in every round;
- cluster-stratified: the same over k-means clusters of the old space (no labels needed);
- cluster-prototypes: round robin over clusters, items nearest their centroid first;
- class-prototypes: round robin over classes, items nearest their class mean first;
- hubs: the library's policy (in-degree in the 10-NN graph of the forward-mapped items, ties by
  density); hubs-random-ties: the same in-degree with random ties (the prototype of it).
Results and the finding: docs/gallery.md ("Backfill orders on the demo data").

    PYTHONPATH=bindings/python python3 benchmarks/backfill_policies_wordnet.py [--steps 10] [--seeds 1 2]
"""
import argparse
import os
import time

import numpy as np

import stasis

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "data", "wordnet")


def split(labels):
    """The demo's split: within each class, in file order, item p is a query when p % 5 == 0."""
    seen = {}
    queries, gallery = [], []
    for row, label in enumerate(labels):
        p = seen.get(label, 0)
        seen[label] = p + 1
        (queries if p % 5 == 0 else gallery).append(row)
    return np.array(queries), np.array(gallery)


def paired_sample(gallery, count):
    stride = max(1, len(gallery) // count)
    return gallery[::stride][:count]


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def kmeans(x, k, seed, iterations=25):
    rng = np.random.default_rng(seed)
    centroids = x[rng.choice(len(x), k, replace=False)].copy()
    for _ in range(iterations):
        assign = np.argmax(x @ centroids.T, axis=1)
        for c in range(k):
            members = x[assign == c]
            if len(members):
                centroids[c] = members.mean(0)
        centroids = unit(centroids)
    assign = np.argmax(x @ centroids.T, axis=1)
    return assign, centroids


def round_robin(groups, group_priority, within):
    """Interleaves groups: one item of each group per round (groups in `group_priority` order),
    inside a group in the order `within[g]`."""
    queues = {g: list(within[g]) for g in groups}
    order = []
    while queues:
        for g in group_priority:
            queue = queues.get(g)
            if queue:
                order.append(queue.pop(0))
                if not queue:
                    del queues[g]
    return np.array(order, np.int64)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--clusters", type=int, default=180)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--policies", nargs="+", default=None)
    args = parser.parse_args()
    t0 = time.time()
    labels = np.load(os.path.join(DATA, "labels.npy")).astype(np.int64)
    old = unit(np.load(os.path.join(DATA, "wordllama.npy")))
    new = unit(np.load(os.path.join(DATA, "minilm.npy")))
    queries, gallery = split(labels)
    calibration_rows, query_rows = queries[0::2], queries[1::2]
    pairs = paired_sample(gallery, args.pairs)
    backward = stasis.Adapter.fit(new[pairs], old[pairs], kind="ridge", source_version=2, target_version=1)
    forward = stasis.Adapter.fit(old[pairs], new[pairs], kind="ridge", source_version=1, target_version=2)
    ids = gallery.astype(np.int64)
    item_labels = labels[gallery].astype(np.int32)
    q = new[query_rows]
    q_labels = labels[query_rows].astype(np.int32)

    def fresh():
        g = stasis.Gallery()
        g.register(1, old.shape[1])
        g.register(2, new.shape[1])
        g.add_adapter(backward)
        g.upsert(old[gallery], ids, 1)
        g.calibrate(new[calibration_rows], 2, paired={1: (new[pairs], old[pairs])})
        return g

    # Adapter agreement of the paired items: cosine of F(old) with the new embedding.
    agreement = np.sum(unit(forward.apply(old[pairs])) * new[pairs], axis=1)

    def worst_first(group_of_pair, groups):
        score = {g: [] for g in groups}
        for g, a in zip(group_of_pair, agreement):
            score.setdefault(g, []).append(a)
        mean = {g: (np.mean(v) if v else np.inf) for g, v in score.items()}
        return sorted(groups, key=lambda g: mean[g])

    results = {}
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        assign, centroids = kmeans(old[gallery], args.clusters, seed)
        classes = sorted(set(item_labels.tolist()))
        clusters = sorted(set(assign.tolist()))
        by_class = {c: rng.permutation(ids[item_labels == c]) for c in classes}
        by_cluster = {c: rng.permutation(ids[assign == c]) for c in clusters}
        closeness = np.sum(old[gallery] * centroids[assign], axis=1)
        prototypes = {c: ids[assign == c][np.argsort(-closeness[assign == c], kind="stable")] for c in clusters}
        pair_cluster = np.argmax(old[pairs] @ centroids.T, axis=1)
        # Hubs: in-degree of each item in the 10-NN graph of the forward-mapped gallery (where
        # the items will sit once re-encoded); items many others are near first.
        mapped = unit(forward.apply(old[gallery]))
        indegree = np.zeros(len(gallery), np.int64)
        for start in range(0, len(gallery), 2048):
            sims = mapped[start:start + 2048] @ mapped.T
            for row in range(sims.shape[0]):
                sims[row, start + row] = -np.inf
            top = np.argpartition(-sims, 10, axis=1)[:, :10]
            np.add.at(indegree, top.ravel(), 1)
        hub_order = ids[np.lexsort((rng.random(len(gallery)), -indegree))]
        class_centroids = {c: unit(old[gallery][item_labels == c].mean(0, keepdims=True))[0] for c in classes}
        class_closeness = np.array([old[gallery][i] @ class_centroids[c] for i, c in enumerate(item_labels)])
        class_prototypes = {c: ids[item_labels == c][np.argsort(-class_closeness[item_labels == c], kind="stable")] for c in classes}
        policies = {
            "random": lambda g: stasis.BackfillPlan.random(g, 1, 2, seed=seed),
            "predicted-error": lambda g: stasis.BackfillPlan.predicted_error(
                g, 1, 2, ids=ids, vectors=old[gallery], forward=forward, paired_old=old[pairs], paired_new=new[pairs]),
            "neighbourhood": lambda g: stasis.BackfillPlan.neighbourhood(g, 1, 2, ids=ids, vectors=old[gallery], forward=forward),
            "class-stratified": lambda g: stasis.BackfillPlan.custom(
                g, 1, 2, round_robin(classes, worst_first(labels[pairs], classes), by_class)),
            "class-round-robin": lambda g: stasis.BackfillPlan.custom(
                g, 1, 2, round_robin(classes, list(rng.permutation(classes)), by_class)),
            "cluster-stratified": lambda g: stasis.BackfillPlan.custom(
                g, 1, 2, round_robin(clusters, worst_first(pair_cluster, clusters), by_cluster)),
            "hubs": lambda g: stasis.BackfillPlan.hubs(g, 1, 2, ids=ids, vectors=old[gallery], forward=forward),
            "hubs-random-ties": lambda g: stasis.BackfillPlan.custom(g, 1, 2, hub_order),
            "class-prototypes": lambda g: stasis.BackfillPlan.custom(
                g, 1, 2, round_robin(classes, worst_first(labels[pairs], classes), class_prototypes)),
            "cluster-prototypes": lambda g: stasis.BackfillPlan.custom(
                g, 1, 2, round_robin(clusters, worst_first(pair_cluster, clusters), prototypes)),
        }
        for name, make in policies.items():
            if args.policies and name not in args.policies:
                continue
            g = fresh()
            plan = make(g)
            curve = stasis.backfill_curve(g, plan, ids=ids, labels=item_labels, new_vectors=new[gallery], queries=q,
                                          query_labels=q_labels, query_version=2, steps=args.steps)
            results.setdefault(name, []).append((curve.auc, float(curve.negative_flips.max()), curve))
            print(f"seed {seed} {name:20s} AUC {100 * curve.auc:.2f}  max negative flips {100 * curve.negative_flips.max():.2f}%  "
                  f"top-1 {' '.join(f'{100 * v:.1f}' for v in curve.values)}  flips "
                  f"{' '.join(f'{100 * v:.1f}' for v in curve.negative_flips)}  ({time.time() - t0:.0f} s)", flush=True)
    print(f"\n{len(query_rows)} measured queries, {len(calibration_rows)} calibration, {len(gallery)} gallery items, "
          f"{len(pairs)} pairs, {args.clusters} clusters, {args.steps} steps")
    base = np.mean([r[0] for r in results.get("random", [(np.nan,)])])
    for name, runs in results.items():
        auc = np.mean([r[0] for r in runs])
        print(f"{name:20s} mean AUC {100 * auc:.2f} ({100 * (auc - base):+.2f} vs random)  "
              f"mean max flips {100 * np.mean([r[1] for r in runs]):.2f}%")


if __name__ == "__main__":
    main()

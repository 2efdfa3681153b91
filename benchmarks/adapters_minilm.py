"""Every adapter kind, both directions, on two real models that were never trained to be
compatible: WordNet noun synsets embedded by WordLlama (old, 256-d) and all-MiniLM-L6-v2 (new,
384-d), from the corpus committed in examples/data/wordnet (no network, no model download).

A seeded sample of items is the paired fit set; the rest is the gallery. Class retrieval on the
gallery (leave-one-out, 3,000 seeded queries): R@1, Recall@10 (a same-class item in the top 10)
and mAP@10, each also as a percentage of full re-embed (new queries on new gallery). ECC: a
backward adapter passes when B(new)/old beats old/old on R@1 (and on mAP). Also the unpaired fit
(same data, pairs withheld) and the apply cost at d = 384. Results: docs/adapters.md.

    PYTHONPATH=bindings/python python3 benchmarks/adapters_minilm.py [--pairs 5000] [--kinds ridge,local]
"""
import argparse
import os
import time

import numpy as np

import stasis

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "data", "wordnet")


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def retrieval(queries, gallery, query_rows, labels, k=10):
    """Leave-one-out class retrieval of queries (rows query_rows of the gallery) against gallery."""
    q, g = unit(queries), unit(gallery)
    r1 = r10 = ap = 0.0
    for start in range(0, len(q), 500):
        rows_here = query_rows[start:start + 500]
        scores = q[start:start + 500] @ g.T
        scores[np.arange(scores.shape[0]), rows_here] = -np.inf
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.take_along_axis(scores, top, 1).argsort(1)[:, ::-1]
        top = np.take_along_axis(top, order, 1)
        hit = labels[top] == labels[rows_here][:, None]
        r1 += hit[:, 0].sum()
        r10 += hit.any(1).sum()
        precision = np.cumsum(hit, 1) / np.arange(1, k + 1)
        ap += ((precision * hit).sum(1) / np.maximum(hit.sum(1), 1)).sum()
    n = len(q)
    return np.array([r1 / n, r10 / n, ap / n])


def apply_cost(dim=384, kinds=("procrustes", "ridge", "local", "mlp")):
    """Microseconds per row of applying dim -> dim adapters from Python, 1 BLAS thread: batched
    (10,000 rows per call) and single queries (one row per call, ctypes included), against the same
    normalise-matmul-normalise in numpy."""
    rng = np.random.default_rng(1)
    source = rng.standard_normal((8 * dim, dim)).astype(np.float32)
    target = rng.standard_normal((8 * dim, dim)).astype(np.float32)
    batch = rng.standard_normal((10000, dim)).astype(np.float32)
    weight = rng.standard_normal((dim, dim)).astype(np.float32)
    for kind in kinds:
        extra = {"epochs": 1} if kind == "mlp" else {}
        adapter = stasis.Adapter.fit(source, target, kind=kind, source_version=2, target_version=1, **extra)
        adapter.apply(batch[:100])
        batched, single, reference = [], [], []
        for _ in range(3):  # best of three: the machine is shared
            t = time.perf_counter()
            adapter.apply(batch)
            batched.append(1e6 * (time.perf_counter() - t) / len(batch))
            t = time.perf_counter()
            for i in range(1000):
                adapter.apply(batch[i:i + 1])
            single.append(1e6 * (time.perf_counter() - t) / 1000)
            t = time.perf_counter()
            unit(unit(batch) @ weight)
            reference.append(1e6 * (time.perf_counter() - t) / len(batch))
        print(f"apply cost {kind:10s} {dim}->{dim}: {min(batched):6.2f} us/row batched, {min(single):6.1f} us single query"
              f"   (numpy normalise-matmul-normalise {min(reference):.2f} us/row batched)", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=5000, help="paired items the adapters are fitted on")
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--kinds", default="procrustes,ridge,lowrank,orthogonal,mlp,local")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-unpaired", action="store_true")
    parser.add_argument("--cost-only", action="store_true", help="only the apply cost at d = 384")
    args = parser.parse_args()
    stasis.set_num_threads(1)
    if args.cost_only:
        apply_cost()
        return
    old = unit(np.load(os.path.join(DATA, "wordllama.npy")).astype(np.float32))
    new = unit(np.load(os.path.join(DATA, "minilm.npy")).astype(np.float32))
    labels = np.load(os.path.join(DATA, "labels.npy"))
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(old))
    fit_rows, held = order[:args.pairs], order[args.pairs:]
    gallery_labels = labels[held]
    query_rows = rng.choice(len(held), args.queries, replace=False)
    old_g, new_g = old[held], new[held]
    print(f"WordLlama {old.shape[1]}-d (old) -> MiniLM {new.shape[1]}-d (new): {len(old)} items, "
          f"{len(set(labels.tolist()))} classes; {args.pairs} paired items fit, {len(held)} gallery, "
          f"{args.queries} queries (seed {args.seed})")

    def measure(queries, gallery):
        return retrieval(queries, gallery, query_rows, gallery_labels)

    reference = measure(new_g[query_rows], new_g)
    old_old = measure(old_g[query_rows], old_g)

    def line(name, numbers, note=""):
        pct = 100 * numbers / reference
        print(f"{name:30s} R@1 {numbers[0]:.3f} R@10 {numbers[1]:.3f} mAP {numbers[2]:.3f}   "
              f"% of re-embed {pct[0]:5.1f} {pct[1]:5.1f} {pct[2]:5.1f}  {note}", flush=True)

    line("new/new (full re-embed)", reference)
    line("old/old", old_old)
    print("new/old without an adapter: impossible (384-d queries, 256-d gallery)")
    for kind in args.kinds.split(","):
        t = time.time()
        backward = stasis.Adapter.fit(new[fit_rows], old[fit_rows], kind=kind, source_version=2, target_version=1)
        forward = stasis.Adapter.fit(old[fit_rows], new[fit_rows], kind=kind, source_version=1, target_version=2)
        seconds = time.time() - t
        vb, vf = backward.validation, forward.validation
        print(f"-- {kind}: both directions fitted in {seconds:.1f} s; held out: backward cos {vb['mean_cosine']:.3f} "
              f"R@1 {vb['recall_at_1']:.3f}, forward cos {vf['mean_cosine']:.3f} R@1 {vf['recall_at_1']:.3f}", flush=True)
        b = measure(backward.apply(new_g[query_rows]), old_g)
        ecc = "ECC pass" if b[0] > old_old[0] and b[2] > old_old[2] else (
            f"ECC FAIL (R@1 {b[0]:.3f} vs old/old {old_old[0]:.3f}, mAP {b[2]:.3f} vs {old_old[2]:.3f})")
        line(f"B(new)/old  backward {kind}", b, ecc)
        line(f"new/F(old)  forward {kind}", measure(new_g[query_rows], forward.apply(old_g)))
    if not args.no_unpaired:
        # Unpaired: the two halves of the fit sample are different items (no row pairs another).
        half = args.pairs // 2
        first, second = fit_rows[:half], fit_rows[half:]
        t = time.time()
        backward = stasis.Adapter.fit_unpaired(new[first], old[second], source_version=2, target_version=1)
        forward = stasis.Adapter.fit_unpaired(old[first], new[second], source_version=1, target_version=2)
        print(f"-- unpaired ({half} + {len(second)} rows, no pairs): both directions in {time.time() - t:.1f} s; "
              f"validation says fit={backward.validation['fit']}", flush=True)
        line("B(new)/old  backward unpaired", measure(backward.apply(new_g[query_rows]), old_g))
        line("new/F(old)  forward unpaired", measure(new_g[query_rows], forward.apply(old_g)))
        held_cos = float(np.mean(np.sum(backward.apply(new_g[:2000]) * old_g[:2000], 1)))
        print(f"   unpaired backward: mean cosine to the true old vector on 2,000 gallery items {held_cos:.3f}")
    apply_cost()


if __name__ == "__main__":
    main()

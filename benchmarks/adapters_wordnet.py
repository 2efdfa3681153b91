"""Adapters on real embeddings: WordNet noun synsets embedded by LSA (old, 256-d) and WordLlama
(new, 256-d), two genuinely different models. Fits every adapter kind in both directions on a
paired sample and reports class-retrieval quality on held-out items (docs/adapters.md).

Corpus and features come from benchmarks/wordnet_data.py (cached under ~/.cache/stasis/wordnet);
it needs the Debian package wordnet-base, scikit-learn and wordllama 0.4.

    PYTHONPATH=bindings/python python3 benchmarks/adapters_wordnet.py [--pairs 10000]
"""
import argparse
import os
import sys
import time

import numpy as np

import stasis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wordnet_data  # noqa: E402  (the corpus and cached features shared by the benchmarks)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def retrieval(queries, gallery, query_rows, labels, k=10):
    """Leave-one-out class retrieval: R@1, hit rate at k (Recall@10) and mAP@k over the gallery of
    held-out items; the query's own item is excluded."""
    q, g = unit(queries), unit(gallery)
    r1 = r10 = ap = 0.0
    for start in range(0, len(q), 500):
        scores = q[start:start + 500] @ g.T
        rows = np.arange(scores.shape[0])
        scores[rows, query_rows[start:start + 500]] = -np.inf
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.take_along_axis(scores, top, 1).argsort(1)[:, ::-1]
        top = np.take_along_axis(top, order, 1)
        hit = labels[top] == labels[query_rows[start:start + 500]][:, None]
        r1 += hit[:, 0].sum()
        r10 += hit.any(1).sum()
        precision = np.cumsum(hit, 1) / np.arange(1, k + 1)
        ap += ((precision * hit).sum(1) / np.maximum(hit.sum(1), 1)).sum()
    n = len(q)
    return r1 / n, r10 / n, ap / n


def apply_cost(dim, source=None, target=None):
    """Microseconds per row of applying a ridge and a Procrustes adapter dim -> dim from Python:
    batched (10,000 rows per call) and single queries (one row per call, ctypes overhead included)."""
    rng = np.random.default_rng(1)
    if source is None:
        source = rng.standard_normal((4 * dim, dim)).astype(np.float32)
        target = rng.standard_normal((4 * dim, dim)).astype(np.float32)
    batch = rng.standard_normal((10000, dim)).astype(np.float32)
    for kind in ("ridge", "procrustes"):
        adapter = stasis.Adapter.fit(source, target, kind=kind, source_version=2, target_version=1)
        adapter.apply(batch[:100])
        t = time.perf_counter()
        adapter.apply(batch)
        batched = 1e6 * (time.perf_counter() - t) / len(batch)
        t = time.perf_counter()
        for i in range(1000):
            adapter.apply(batch[i:i + 1])
        single = 1e6 * (time.perf_counter() - t) / 1000
        weight = rng.standard_normal((dim, dim)).astype(np.float32)
        t = time.perf_counter()
        unit(unit(batch) @ weight)  # the same work in numpy, for scale (numpy's own BLAS threads)
        reference = 1e6 * (time.perf_counter() - t) / len(batch)
        print(f"apply cost {kind} {dim}->{dim}, 1 thread: {batched:.2f} us/row batched, {single:.1f} us single query "
              f"(numpy normalise-matmul-normalise: {reference:.2f} us/row)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10000, help="paired items used to fit")
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--cost-only", action="store_true", help="only the apply cost at d = 384")
    args = parser.parse_args()
    stasis.set_num_threads(1)
    if args.cost_only:
        apply_cost(384)
        return
    t0 = time.time()
    texts, names = wordnet_data.corpus()
    labels = np.array(names)
    print(f"WordNet: {len(texts)} items in {len(set(names))} classes ({time.time() - t0:.0f} s)")
    old = wordnet_data.lsa(texts).astype(np.float32)
    new = wordnet_data.wordllama(texts).astype(np.float32)
    print(f"embedded: old LSA {old.shape}, new WordLlama {new.shape} ({time.time() - t0:.0f} s)")

    rng = np.random.default_rng(0)
    order = rng.permutation(len(texts))
    fit_rows, held = order[:args.pairs], order[args.pairs:]
    gallery_labels = labels[held]
    query_rows = rng.choice(len(held), args.queries, replace=False)
    old_g, new_g = old[held], new[held]

    def report(name, queries, gallery, reference):
        r1, r10, mean_ap = retrieval(queries, gallery, query_rows, gallery_labels)
        extra = "" if reference is None else (
            f"  ({100 * r1 / reference[0]:5.1f} / {100 * r10 / reference[1]:5.1f} / {100 * mean_ap / reference[2]:5.1f} % of new/new)")
        print(f"{name:34s} R@1 {r1:.3f}  R@10 {r10:.3f}  mAP@10 {mean_ap:.3f}{extra}")
        return r1, r10, mean_ap

    reference = report("new/new (full re-embed)", new_g[query_rows], new_g, None)
    old_old = report("old/old", old_g[query_rows], old_g, reference)
    report("new/old, no adapter", new_g[query_rows], old_g, reference)
    for kind in ("procrustes", "ridge", "lowrank"):
        t = time.time()
        backward = stasis.Adapter.fit(new[fit_rows], old[fit_rows], kind=kind, source_version=2, target_version=1)
        forward = stasis.Adapter.fit(old[fit_rows], new[fit_rows], kind=kind, source_version=1, target_version=2)
        seconds = time.time() - t
        vb, vf = backward.validation, forward.validation
        print(f"-- {kind}: fit both directions in {seconds:.2f} s; held-out pairs: backward cos "
              f"{vb['mean_cosine']:.3f} R@1 {vb['recall_at_1']:.3f}, forward cos {vf['mean_cosine']:.3f} "
              f"R@1 {vf['recall_at_1']:.3f}")
        b = report(f"B(new)/old  backward {kind}", backward.apply(new_g[query_rows]), old_g, reference)
        report(f"new/F(old)  forward {kind}", new_g[query_rows], forward.apply(old_g), reference)
        print(f"   ECC backward {kind}: {'pass' if b[0] > old_old[0] else 'FAIL'} (R@1 {b[0]:.3f} vs old/old {old_old[0]:.3f})")
    apply_cost(256, new[fit_rows], old[fit_rows])
    print(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()

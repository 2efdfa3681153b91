"""Evaluation benchmark: the compatibility matrix over 5 model versions on a >= 50k-item gallery,
computed by Stasis (stasis.evaluate, exact search in the library) and by the same computation
written directly with numpy + the faiss-cpu wheel, in the same run; reports both times and the
ratio (numpy+faiss time / Stasis time; > 1 means Stasis is faster).

    python3 benchmarks/evaluate.py [--gallery 50000] [--queries 2000] [--dim 128] [--classes 1000] [--quick]

Per cell [t][k] (15 cells for 5 versions) both sides compute top-1, Recall@1/5/10 and mAP of
version t's queries against version k's gallery, then AC/AM/BC/FC and negative flips. The
numpy+faiss side uses faiss.IndexFlatIP for the top-10 (top-1 and Recall@k) and numpy for mAP
(scores in blocks, each row sorted once, ranks of the correct items by binary search). Ties: Stasis
is pessimistic, Faiss's top-k order on exact ties is arbitrary, so on data with exact ties the two
may differ by a few queries; the script prints the largest difference.

Data: class-structured embedding-like vectors (class centres in a low-rank subspace with a
decaying spectrum, within-class spread, noise); version v adds a growing random rotation and
noise, so later versions drift away from earlier galleries (some cells pass ECC, some fail).
"""
import argparse
import os
import time

import numpy as np


def make_versions(args, rng):
    rank = min(args.dim, 64)
    basis = np.linalg.qr(rng.standard_normal((args.dim, rank)))[0]
    spectrum = 1.0 / np.sqrt(1.0 + np.arange(rank))
    centres = (rng.standard_normal((args.classes, rank)) * spectrum) @ basis.T
    n = args.gallery + args.queries
    labels = rng.integers(0, args.classes, n)
    items = centres[labels] + 1.1 * (rng.standard_normal((n, rank)) * spectrum) @ basis.T
    versions = []
    for v in range(args.versions):
        q, r = np.linalg.qr(np.eye(args.dim) + 0.012 * v * rng.standard_normal((args.dim, args.dim)))
        rotation = q * np.sign(np.diag(r))  # the rotation closest to the identity (no axis flips)
        # Later versions: a little less noise (better models) and a little more drift.
        x = items @ rotation + (0.30 - 0.03 * v) * rng.standard_normal(items.shape)
        versions.append(x.astype(np.float32))
    q, g = slice(0, args.queries), slice(args.queries, n)
    return [x[q] for x in versions], labels[q], [x[g] for x in versions], labels[g]


def numpy_faiss_matrix(queries, ql, galleries, gl, threads):
    import faiss

    faiss.omp_set_num_threads(threads)
    t = len(queries)
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    queries = [np.ascontiguousarray(unit(x)) for x in queries]
    galleries = [np.ascontiguousarray(unit(x)) for x in galleries]
    indexes = []
    for g in galleries:
        index = faiss.IndexFlatIP(g.shape[1])
        index.add(g)
        indexes.append(index)
    cells, right = {}, {}
    for i in range(t):
        for j in range(i + 1):
            _, found = indexes[j].search(queries[i], 10)
            correct = gl[found] == ql[:, None]
            aps = np.empty(len(ql))
            for start in range(0, len(ql), 256):
                scores = queries[i][start : start + 256] @ galleries[j].T
                ordered = np.sort(scores, axis=1)
                for r in range(scores.shape[0]):
                    relevant = -np.sort(-scores[r][gl == ql[start + r]])
                    at_least = scores.shape[1] - np.searchsorted(ordered[r], relevant, side="left")
                    aps[start + r] = np.mean(np.arange(1, len(relevant) + 1) / at_least)
            cells[i, j] = {"top1": correct[:, 0].mean(), "recall@5": correct[:, :5].any(1).mean(),
                           "recall@10": correct[:, :10].any(1).mean(), "map": aps.mean()}
            right[i, j] = correct[:, 0]
    M = np.full((t, t), np.nan)
    for (i, j), c in cells.items():
        M[i, j] = c["top1"]
    pairs = [(i, j) for i in range(t) for j in range(i)]
    summary = {
        "ac": sum(M[i, j] > M[j, j] for i, j in pairs) / max(len(pairs), 1),
        "am": np.nanmean(M),
        "bc": np.mean([M[t - 1, j] - M[j, j] for j in range(t - 1)]),
        "fc": np.mean([M[i, i - 1] - M[i, i] for i in range(1, t)]),
        "flips": {(i, j): np.mean(right[j, j] & ~right[i, j]) for i, j in pairs},
    }
    return cells, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gallery", type=int, default=50000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--quick", action="store_true", help="10k gallery, 500 queries (checks the harness)")
    args = parser.parse_args()
    if args.quick:
        args.gallery, args.queries, args.classes = 10000, 500, 200

    import stasis

    stasis.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    queries, ql, galleries, gl = make_versions(args, rng)
    print(f"data: {args.versions} versions x ({args.queries} queries + {args.gallery} gallery) x {args.dim}, "
          f"{args.classes} classes; threads {args.threads}; kernels {stasis.kernel_name()}")

    start = time.perf_counter()
    report = stasis.evaluate(queries, ql, galleries, gl, k=(1, 5, 10), pair_samples=0)
    stasis_seconds = time.perf_counter() - start

    start = time.perf_counter()
    cells, summary = numpy_faiss_matrix(queries, ql, galleries, gl, args.threads)
    numpy_seconds = time.perf_counter() - start

    data = report.data
    worst = 0.0
    for (i, j), c in cells.items():
        for name in ("top1", "recall@5", "recall@10", "map"):
            worst = max(worst, abs(data["matrices"][name][i][j] - c[name]))
    np.set_printoptions(precision=3, suppress=True)
    print("top-1 matrix (Stasis):")
    print(report.matrix)
    print(f"AC {report.ac:.3f} (numpy {summary['ac']:.3f})  AM {report.am:.4f} (numpy {summary['am']:.4f})  "
          f"BC {report.bc:+.4f}  FC {report.fc:+.4f}")
    print(f"largest metric difference Stasis vs numpy+faiss over all cells and metrics: {worst:.2e}")
    print(f"| side | seconds | cells/s |\n|---|---|---|")
    cells_count = len(cells)
    print(f"| Stasis (stasis.evaluate) | {stasis_seconds:.2f} | {cells_count / stasis_seconds:.2f} |")
    print(f"| numpy + faiss-cpu | {numpy_seconds:.2f} | {cells_count / numpy_seconds:.2f} |")
    print(f"ratio (numpy+faiss time / Stasis time): {numpy_seconds / stasis_seconds:.2f}x")


if __name__ == "__main__":
    main()

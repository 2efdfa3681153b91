"""Index benchmark: Stasis's Python binding against the faiss-cpu wheel, same data, same factory,
same parameters, same thread count, in one run. Reports QPS, Recall@10, add throughput and ratios.

    make bench                      (installs faiss-cpu when missing, builds, runs this)
    python3 benchmarks/run.py [--n 100000] [--dim 384] [--quick]

Data: embedding-shaped synthetic vectors (a few thousand topic centroids in a low-rank subspace
with a decaying spectrum, plus isotropic noise; L2-normalised), because uniform random vectors
are a pathological worst case for graph indexes. Ground truth: exact inner product with numpy.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def embedding_like(n, dim, rng, topics=2000, rank=96):
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0]  # dim x rank orthonormal
    spectrum = 1.0 / np.sqrt(1.0 + np.arange(rank))
    centres = (rng.standard_normal((topics, rank)) * spectrum) @ basis.T
    assignment = rng.integers(0, topics, n)
    within = (rng.standard_normal((n, rank)) * spectrum * 0.6) @ basis.T
    x = centres[assignment] + within + 0.08 * rng.standard_normal((n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def exact_top10(base, queries):
    out = np.empty((len(queries), 10), np.int64)
    for start in range(0, len(queries), 500):
        scores = queries[start : start + 500] @ base.T
        top = np.argpartition(-scores, 10, axis=1)[:, :10]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out[start : start + 500] = np.take_along_axis(top, order, axis=1)
    return out


def run_side(side, data_dir, config):
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "worker.py"), side, data_dir, json.dumps(config)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"{side} worker failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def interpolate_qps(rows, target_recall):
    """QPS of a recall/QPS curve at `target_recall` (linear in recall between measured points)."""
    points = sorted((r["recall"], r["qps"]) for r in rows)
    if target_recall <= points[0][0]:
        return points[0][1]
    for (r0, q0), (r1, q1) in zip(points, points[1:]):
        if r0 <= target_recall <= r1:
            return q0 if r1 == r0 else q0 + (q1 - q0) * (target_recall - r0) / (r1 - r0)
    return None  # beyond the curve


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="small run to check the harness")
    parser.add_argument("--json", help="also write raw results here")
    parser.add_argument("--only", action="append", help="run only this configuration (repeatable), e.g. HNSW32")
    args = parser.parse_args()
    if args.quick:
        args.n, args.queries = 20_000, 500

    cores = os.cpu_count() or 1
    threads = sorted({1, cores})
    rng = np.random.default_rng(2026)
    data_dir = tempfile.mkdtemp(prefix="stasis-bench-")
    start = time.perf_counter()
    base = embedding_like(args.n + args.queries, args.dim, rng)
    base, queries = base[: args.n], base[args.n :]
    np.save(os.path.join(data_dir, "base.npy"), base)
    np.save(os.path.join(data_dir, "queries.npy"), queries)
    np.save(os.path.join(data_dir, "truth.npy"), exact_top10(base, queries))
    print(f"data: {args.n} x {args.dim} base, {args.queries} queries, ground truth in {time.perf_counter() - start:.1f}s; "
          f"threads {threads}", flush=True)

    configs = [
        {"name": "Flat", "factory": "Flat", "params": [{}], "repeats": 2},
        {"name": "HNSW32", "factory": "HNSW32", "single_query": True,
         "params": [{"ef_search": ef} for ef in (16, 32, 64, 128, 256)]},
        {"name": "IVF1024,Flat", "factory": "IVF1024,Flat", "params": [{"nprobe": p} for p in (8, 32)]},
    ]
    if args.only:
        configs = [c for c in configs if c["name"] in args.only]
    report = []
    for config in configs:
        config.update(threads=threads, build_threads=cores)
        results = {side: run_side(side, data_dir, config) for side in ("stasis", "faiss")}
        report.append((config, results))
        s, f = results["stasis"], results["faiss"]
        print(f"\n## {config['name']}  (build at {cores} threads: train+add stasis {s['train_s'] + s['add_s']:.1f}s, "
              f"wheel {f['train_s'] + f['add_s']:.1f}s; add {s['add_per_s']:.0f} vs {f['add_per_s']:.0f} vectors/s, "
              f"ratio {s['add_per_s'] / f['add_per_s']:.2f})")
        print("| threads | params | stasis QPS | R@10 | wheel QPS | R@10 | QPS ratio | ratio at equal recall |")
        print("|---|---|---|---|---|---|---|---|")
        for rs, rf in zip(s["rows"], f["rows"]):
            same_threads = [r for r in f["rows"] if r["threads"] == rs["threads"]]
            wheel_at_recall = interpolate_qps(same_threads, rs["recall"])
            equal = f"{rs['qps'] / wheel_at_recall:.2f}" if wheel_at_recall else "beyond wheel curve"
            params = ",".join(f"{k}={v}" for k, v in rs["param"].items()) or "-"
            print(f"| {rs['threads']} | {params} | {rs['qps']:.0f} | {rs['recall']:.3f} | {rf['qps']:.0f} | "
                  f"{rf['recall']:.3f} | {rs['qps'] / rf['qps']:.2f} | {equal} |")
            if rs["single_us"]:
                print(f"|   | single-query latency | {rs['single_us']:.0f} µs | | {rf['single_us']:.0f} µs | | "
                      f"{rf['single_us'] / rs['single_us']:.2f} (speed) | |")
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as out:
            json.dump([{"config": c, "results": r} for c, r in report], out, indent=1)


if __name__ == "__main__":
    main()

"""Scale and memory benchmark: Stasis (Python binding) against the faiss-cpu wheel at 100k and 1M
vectors (5M with --sizes), same data, same factory, same parameters and thread count, in one run.

    python3 benchmarks/scale.py                       100k and 1M rows (what `make bench` runs)
    python3 benchmarks/scale.py --quick               100k rows only
    python3 benchmarks/scale.py --sizes 100000,5000000 [--dim 384] [--threads 2] [--dir DIR]

Per row and side, two fresh processes (so peak-RSS figures are the operation's own):
  build  loads the vectors, trains on the first 100k, adds all (timed: "build s"), saves, then sweeps
         the search parameter over 1000 queries (QPS best of 2, Recall@10 against exact search);
  open   opens the saved file (Stasis: Index.open with its checks; wheel: faiss.read_index), then
         searches once.
Peak RSS is VmHWM after the operation, reset before it through /proc/self/clear_refs; "+MB" is
the growth over the process's RSS just before (the vectors, interpreter and libraries excluded).
Approximate rows are compared at equal recall: each side's QPS is interpolated (linear in recall)
at the recalls the wheel measured that both curves reach.

Data: embedding-shaped synthetic vectors (1000 topic centroids in a rank-128 subspace with a
decaying spectrum plus isotropic noise, L2-normalised), generated deterministically in 100k chunks
and cached in --dir with the exact top-10 of 1000 queries.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
K = 10
TRAIN = 100_000
EF = [16, 32, 64, 128, 256]
NPROBE = [4, 8, 16, 32, 64]

# (factory, sizes it runs at: "all" or the smallest only, search parameter sweep)
ROWS = [
    ("Flat", "all", [{}]),
    ("HNSW32", "all", [{"ef_search": e} for e in EF]),
    ("IVF1024,Flat", "all", [{"nprobe": p} for p in NPROBE]),
    ("IVF1024,PQ48", "small", [{"nprobe": p} for p in NPROBE]),
    ("HNSW32,SQ8", "small", [{"ef_search": e} for e in EF]),
    # No HNSW32,PQ16 row: Stasis refuses HNSW over PQ storage (Debian's Faiss 1.7.3 builds it with
    # the L2 metric), so there is nothing of ours to compare (docs/benchmarks.md, IVF-PQ section).
]


# ---------------------------------------------------------------------------------------- data

def clustered(n, dim, seed=0, topics=1000, rank=128, chunk=100_000, offset=0):
    """Rows offset..offset+n of a fixed sequence: chunk c always comes from seed (seed, c)."""
    shape_rng = np.random.default_rng([seed, 0])
    basis = np.linalg.qr(shape_rng.standard_normal((dim, rank)))[0]
    spectrum = 1.0 / np.sqrt(1.0 + np.arange(rank))
    centres = (shape_rng.standard_normal((topics, rank)) * spectrum) @ basis.T
    out = np.empty((n, dim), np.float32)
    for c in range(offset // chunk, (offset + n + chunk - 1) // chunk):
        rng = np.random.default_rng([seed, 1, c])
        m = chunk
        rows = centres[rng.integers(0, topics, m)] + (rng.standard_normal((m, rank)) * spectrum) @ basis.T
        rows += 0.1 * rng.standard_normal((m, dim))
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        lo, hi = max(offset, c * chunk), min(offset + n, (c + 1) * chunk)
        out[lo - offset:hi - offset] = rows[lo - c * chunk:hi - c * chunk]
    return out


def exact_top(base, queries, k=K):
    best_s = np.full((len(queries), k), -np.inf, np.float32)
    best_i = np.zeros((len(queries), k), np.int64)
    for start in range(0, len(base), 100_000):
        scores = queries @ base[start:start + 100_000].T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argsort(-s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(s, keep, axis=1), np.take_along_axis(i, keep, axis=1)
    return best_i


def prepare(directory, n, dim):
    path = os.path.join(directory, f"data-{n}-{dim}")
    if os.path.exists(os.path.join(path, "truth.npy")):
        return path
    os.makedirs(path, exist_ok=True)
    base = clustered(n, dim)
    queries = clustered(1000, dim, offset=50_000_000)  # rows far past any base: same topics
    np.save(os.path.join(path, "base.npy"), base)
    np.save(os.path.join(path, "queries.npy"), queries)
    np.save(os.path.join(path, "truth.npy"), exact_top(base, queries))
    return path


# -------------------------------------------------------------------------------------- worker

def rss_reset():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # MB
    return 0.0


def measure(fn):
    """(result, seconds, peak RSS MB during fn, growth MB over the RSS before fn)."""
    reset = rss_reset()
    before = status("VmRSS")
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = status("VmHWM") if reset else float("nan")
    return result, seconds, peak, peak - before


def worker(side, phase, data_dir, factory, params, file, threads):
    queries = np.load(os.path.join(data_dir, "queries.npy"))
    truth = np.load(os.path.join(data_dir, "truth.npy"))
    if side == "stasis":
        sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
        import stasis

        stasis.set_num_threads(threads)

        def create(d):
            return stasis.Index(d, factory)

        def train(index, x):
            if not index.is_trained:
                index.train(x)

        def add(index, x):
            index.add(x, np.arange(len(x)), version=1)

        def save(index):
            index.save(file)

        def load():
            return stasis.Index.open(file)

        def search(index, q, param):
            return index.search(q, K, **param).ids
    else:
        import faiss

        faiss.omp_set_num_threads(threads)

        def create(d):
            return faiss.index_factory(d, factory, faiss.METRIC_INNER_PRODUCT)

        def train(index, x):
            if not index.is_trained:
                index.train(x)

        def add(index, x):
            index.add(x)

        def save(index):
            faiss.write_index(index, file)

        def load():
            return faiss.read_index(file)

        def search(index, q, param):
            if "ef_search" in param:
                faiss.downcast_index(index).hnsw.efSearch = param["ef_search"]
            if "nprobe" in param:
                faiss.extract_index_ivf(index).nprobe = param["nprobe"]
            return index.search(q, K)[1]

    def recall(ids):
        return float(np.mean([len(set(a) & set(b)) / K for a, b in zip(ids, truth)]))

    out = {}
    if phase == "build":
        base = np.load(os.path.join(data_dir, "base.npy"))
        index = create(base.shape[1])
        _, out["train_s"], _, _ = measure(lambda: train(index, base[:TRAIN]))
        _, out["add_s"], out["add_peak_mb"], out["add_growth_mb"] = measure(lambda: add(index, base))
        del base
        _, out["save_s"], out["save_peak_mb"], out["save_growth_mb"] = measure(lambda: save(index))
        rows = []
        for param in params:
            search(index, queries[:100], param)  # warm-up
            best = float("inf")
            for _ in range(2):
                start = time.perf_counter()
                ids = search(index, queries, param)
                best = min(best, time.perf_counter() - start)
            rows.append({"param": param, "qps": len(queries) / best, "recall": recall(ids)})
        out["rows"] = rows
    else:
        index, out["open_s"], out["open_peak_mb"], out["open_growth_mb"] = measure(load)
        _, out["search_s"], out["search_peak_mb"], out["search_growth_mb"] = measure(
            lambda: search(index, queries, params[-1]))
        out["file_mb"] = os.path.getsize(file) / 2**20
    print(json.dumps(out))


# -------------------------------------------------------------------------------------- driver

def run(side, phase, data_dir, factory, params, file, threads):
    command = [sys.executable, os.path.abspath(__file__), "--worker", side, phase, data_dir, factory,
               json.dumps(params), file, str(threads)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{side} {phase} {factory} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def qps_at(rows, target):
    points = sorted((r["recall"], r["qps"]) for r in rows)
    if target < points[0][0] - 1e-9 or target > points[-1][0] + 1e-9:
        return None
    for (r0, q0), (r1, q1) in zip(points, points[1:]):
        if r0 <= target <= r1:
            return q0 if r1 == r0 else q0 + (q1 - q0) * (target - r0) / (r1 - r0)
    return points[-1][1]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        side, phase, data_dir, factory, params, file, threads = sys.argv[2:9]
        worker(side, phase, data_dir, factory, json.loads(params), file, int(threads))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--quick", action="store_true", help="100k rows only")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dir", default="/tmp/stasis-scale-bench")
    parser.add_argument("--only", default="", help="factories to run, separated by ; (default all)")
    args = parser.parse_args()
    sizes = [100_000] if args.quick else sorted(int(s) for s in args.sizes.split(","))
    only = set(filter(None, args.only.split(";")))
    os.makedirs(args.dir, exist_ok=True)
    print(f"scale benchmark: {args.dim} dims, {args.threads} threads, 1000 queries, k={K}; "
          "ours (Stasis, Python binding) and the faiss-cpu wheel measured in this run, one after the other")
    results = []
    for n in sizes:
        data_dir = prepare(args.dir, n, args.dim)
        for factory, where, params in ROWS:
            if where == "small" and n != sizes[0] or (only and factory not in only):
                continue
            row = {"n": n, "factory": factory}
            for side in ("stasis", "faiss"):
                file = os.path.join(args.dir, f"{side}-{factory.replace(',', '_')}-{n}.index")
                built = run(side, "build", data_dir, factory, params, file, args.threads)
                opened = run(side, "open", data_dir, factory, params, file, args.threads)
                os.remove(file)
                row[side] = {**built, **opened}
                print(f"  {n:>9,} {factory:<14} {side:<6} build {built['train_s'] + built['add_s']:7.1f} s",
                      flush=True)
            results.append(row)
            report([row], brief=True)
            with open(os.path.join(args.dir, "scale-results.json"), "w") as f:
                json.dump(results, f, indent=1)
    report(results)


def report(results, brief=False):
    """Tables of `results`; `brief`: one row's lines only, printed as soon as it is measured."""
    def title(text):
        if not brief:
            print(text)

    title("\nbuild (train + add) seconds, ours / wheel / ratio (wheel time / ours: > 1 = we are faster)")
    title(f"{'n':>9} {'factory':<14} {'ours':>8} {'wheel':>8} {'ratio':>6}")
    for r in results:
        ours = r["stasis"]["train_s"] + r["stasis"]["add_s"]
        theirs = r["faiss"]["train_s"] + r["faiss"]["add_s"]
        print(f"{r['n']:>9,} {r['factory']:<14} {ours:>8.2f} {theirs:>8.2f} {theirs / ours:>6.2f}")

    title("\nsearch QPS (1000 queries, batch) at equal Recall@10 (ratio: ours / wheel)")
    title(f"{'n':>9} {'factory':<14} {'param':<14} {'recall':>7} {'ours':>9} {'wheel':>9} {'ratio':>6}")
    for r in results:
        ours_rows, wheel_rows = r["stasis"]["rows"], r["faiss"]["rows"]
        for w in wheel_rows:
            q = qps_at(ours_rows, w["recall"])
            param = ",".join(f"{k}={v}" for k, v in w["param"].items()) or "-"
            if q is None:
                best = max(ours_rows, key=lambda x: x["recall"])
                print(f"{r['n']:>9,} {r['factory']:<14} {param:<14} {w['recall']:>7.3f} {'-':>9} {w['qps']:>9.0f}"
                      f"   (ours reaches {best['recall']:.3f} at most)" if best["recall"] < w["recall"] else
                      f"{r['n']:>9,} {r['factory']:<14} {param:<14} {w['recall']:>7.3f} {'-':>9} {w['qps']:>9.0f}"
                      f"   (ours starts above this recall)")
                continue
            print(f"{r['n']:>9,} {r['factory']:<14} {param:<14} {w['recall']:>7.3f} {q:>9.0f} {w['qps']:>9.0f}"
                  f" {q / w['qps']:>6.2f}")
        same = " ".join(f"{o['recall']:.3f}/{w['recall']:.3f}" for o, w in zip(ours_rows, wheel_rows))
        print(f"{'':>9} {'':<14} recall ours/wheel at the same parameter: {same}")

    title("\nsave and open seconds, ours / wheel / ratio (wheel time / ours). Our save is atomic (temporary"
          " file, fsync, rename; the wheel's write_index does not sync); our open verifies both checksums"
          " and the payload's structure before Faiss reads it")
    title(f"{'n':>9} {'factory':<14} {'save ours':>10} {'wheel':>8} {'ratio':>6} {'open ours':>10} {'wheel':>8}"
          f" {'ratio':>6}")
    for r in results:
        o, w = r["stasis"], r["faiss"]
        print(f"{r['n']:>9,} {r['factory']:<14} {o['save_s']:>10.2f} {w['save_s']:>8.2f} {w['save_s'] / o['save_s']:>6.2f}"
              f" {o['open_s']:>10.2f} {w['open_s']:>8.2f} {w['open_s'] / o['open_s']:>6.2f}")

    title("\npeak RSS MB (growth over the RSS just before the operation; 'peak' row: VmHWM), ours / wheel")
    title(f"{'n':>9} {'factory':<14} {'file MB':>8} {'add':>17} {'save':>17} {'open':>17} {'search':>17}"
          f" {'open growth / file':>19}")
    for r in results:
        o, w = r["stasis"], r["faiss"]
        cells = [f"{o[p + '_growth_mb']:>7.0f}/{w[p + '_growth_mb']:<7.0f}" for p in ("add", "save", "open", "search")]
        print(f"{r['n']:>9,} {r['factory']:<14} {o['file_mb']:>8.0f} " + "  ".join(f"{c:>17}" for c in cells)
              + f" {o['open_growth_mb'] / o['file_mb']:>9.2f}/{w['open_growth_mb'] / w['file_mb']:<9.2f}")
        print(f"{'':>9} {'':<14} {'peak':>8} "
              + "  ".join(f"{o[p + '_peak_mb']:>7.0f}/{w[p + '_peak_mb']:<7.0f}"
                          for p in ("add", "save", "open", "search")))


if __name__ == "__main__":
    main()

"""Index benchmark: Stasis through its Python binding and through C (benchmarks/c/bench.c) against
the faiss-cpu wheel, same data, same factory, same parameters, same thread count, in one run.
Reports QPS, Recall@10, single-query latency, add time and ratios; for HNSW also QPS at equal
recall (0.90 / 0.95 / 0.98, interpolated on each side's recall/QPS curve).

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


def embedding_like(n, dim, rng, topics=1000, rank=128):
    # Tuned so that the wheel's HNSW32 spans recall@10 0.90 / 0.95 / 0.98 at efSearch 16 / 32 / 64
    # (50k base): a realistic operating range, neither trivially easy nor uniform-random hard.
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0]  # dim x rank orthonormal
    spectrum = 1.0 / np.sqrt(1.0 + np.arange(rank))
    centres = (rng.standard_normal((topics, rank)) * spectrum) @ basis.T
    assignment = rng.integers(0, topics, n)
    within = (rng.standard_normal((n, rank)) * spectrum) @ basis.T
    x = centres[assignment] + within + 0.1 * rng.standard_normal((n, dim))
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


#: OPENBLAS_CORETYPE by the CPU's flags, best first (the binding's rule: stasis/_loader.py).
_OPENBLAS_CORES = (
    ("SkylakeX", {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}),
    ("Haswell", {"avx2", "fma"}),
)


def openblas_core():
    """Sets OPENBLAS_CORETYPE (unless the caller did) for every side this run starts.

    The Python binding sets it for itself when unset (Debian's OpenBLAS 0.3.21 otherwise runs its
    Prescott kernels on CPUs it does not know); the C side and the wheel would not, and the wheel's
    own OpenBLAS reads the same variable. Setting it here gives all three sides the same kernels.
    Returns the value in effect ("auto" when the CPU flags support none of the choices)."""
    if "OPENBLAS_CORETYPE" not in os.environ:
        try:
            with open("/proc/cpuinfo") as info:
                flags = set(next((l.split(":", 1)[1].split() for l in info if l.startswith("flags")), []))
        except OSError:
            flags = set()
        core = next((name for name, needed in _OPENBLAS_CORES if needed <= flags), None)
        if core:
            os.environ["OPENBLAS_CORETYPE"] = core
    return os.environ.get("OPENBLAS_CORETYPE", "auto")


def build_c_bench(out_dir):
    """Compiles the C side against build/lib; None (C column skipped) when that fails."""
    repo = os.path.dirname(HERE)
    binary = os.path.join(out_dir, "bench")
    command = ["cc", "-O2", "-std=c11", "-I", os.path.join(repo, "include"), os.path.join(HERE, "c", "bench.c"),
               "-L", os.path.join(repo, "build", "lib"), "-Wl,-rpath," + os.path.join(repo, "build", "lib"),
               "-lstasis", "-o", binary]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"C benchmark not built (C column skipped):\n{result.stderr[-1000:]}")
        return None
    return binary


def run_side(side, data_dir, config, c_bench=None):
    if side == "stasis-c":
        params = [",".join(f"{k}={v}" for k, v in p.items()) or "-" for p in config["params"]]
        command = [c_bench, data_dir, config["factory"], str(config["build_threads"]),
                   ",".join(str(t) for t in config["threads"]), str(config.get("repeats", 3)),
                   "1" if config.get("single_query") else "0", *params]
    else:
        command = [sys.executable, os.path.join(HERE, "worker.py"), side, data_dir, json.dumps(config)]
    env = dict(os.environ, STASIS_BENCH_ADD_REPEATS=str(config.get("add_repeats", 1)))
    if config.get("one_blas_thread"):
        # Every OpenBLAS in the process (ours, numpy's bundled one, the wheel's) at one thread.
        # Without it the Python process spent 2.3-3.1x the C process's CPU time on the same
        # 1-thread batch call (a second BLAS thread the C process does not have), which is not
        # the binding's cost.
        env["OPENBLAS_NUM_THREADS"] = "1"
    result = subprocess.run(command, capture_output=True, text=True, env=env)
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


def equal_recall_table(results, threads, targets=(0.90, 0.95, 0.98)):
    """QPS of each side interpolated at fixed recall targets, and the ratios to the wheel."""
    sides = [side for side in ("stasis", "stasis-c") if side in results]
    print("\n| threads | recall@10 | " + " | ".join(f"{s} QPS" for s in sides) + " | wheel QPS | "
          + " | ".join(f"{s} / wheel" for s in sides) + " |")
    print("|---" * (3 + 2 * len(sides)) + "|")
    for t in threads:
        for target in targets:
            wheel = interpolate_qps([r for r in results["faiss"]["rows"] if r["threads"] == t], target)
            ours = [interpolate_qps([r for r in results[s]["rows"] if r["threads"] == t], target) for s in sides]
            cell = lambda q: f"{q:.0f}" if q else "beyond curve"
            ratio = lambda q: f"{q / wheel:.2f}" if q and wheel else "-"
            print(f"| {t} | {target:.2f} | " + " | ".join(cell(q) for q in ours) + f" | {cell(wheel)} | "
                  + " | ".join(ratio(q) for q in ours) + " |")


def binding_overhead(config, base, queries, c_bench, rows=1000, batch=1000, rounds=5):
    """Per-call cost of the Python binding over C: one small Flat index (so the search itself is
    short and the call overhead shows), the same index built by each side, 1 thread;
    single-query calls and one batch of `batch` queries, Python against C in the same run.

    Each side runs in `rounds` processes, the sides alternating, and the table gives each
    side's median over its processes: the same 1-thread batch call takes 10.3 ms in one process
    and 11.1-11.9 ms in the next (memory placement, not the caller), so one process per side
    put the binding +8-10 % ahead or behind by chance."""
    data_dir = tempfile.mkdtemp(prefix="stasis-bench-overhead-")
    small, q = base[:rows], queries[:batch]
    np.save(os.path.join(data_dir, "base.npy"), small)
    np.save(os.path.join(data_dir, "queries.npy"), q)
    np.save(os.path.join(data_dir, "truth.npy"), exact_top10(small, q))
    config.update(threads=[1], build_threads=1, one_blas_thread=True, raw_call=True)
    sides = ["stasis"] + (["stasis-c"] if c_bench else []) + ["faiss"]
    runs = {side: [] for side in sides}
    for _ in range(rounds):
        for side in sides:
            runs[side].append(run_side(side, data_dir, config, c_bench))
    median = lambda values: float(np.median(values))
    stats = {
        side: {
            "single_us": median([r["rows"][0]["single_us"] for r in results]),
            "single_cpu_us": median([r["rows"][0]["single_cpu_us"] for r in results]),
            "batch_ms": median([1e3 * batch / r["rows"][0]["qps"] for r in results]),
            "batch_cpu_ms": median([1e3 * r["rows"][0]["batch_cpu_s"] for r in results]),
            "batch_range": (min(1e3 * batch / r["rows"][0]["qps"] for r in results),
                            max(1e3 * batch / r["rows"][0]["qps"] for r in results)),
        }
        for side, results in runs.items()
    }
    p, c, f = (stats.get(side) for side in ("stasis", "stasis-c", "faiss"))
    print(f"\n## {config['name']}  (Flat, {rows} x {base.shape[1]}, the same index through Python and C, 1 thread; "
          f"median of {rounds} processes per side, alternating; in each, single query: best of {config['repeats']} "
          f"passes of 300 calls; batch: best of {config['repeats']})")
    print("| call | Python | C | wheel | Python - C | Python / C |")
    print("|---|---|---|---|---|---|")
    if c:
        print(f"| single query | {p['single_us']:.1f} µs | {c['single_us']:.1f} µs | {f['single_us']:.1f} µs | "
              f"{p['single_us'] - c['single_us']:.1f} µs | {p['single_us'] / c['single_us']:.2f} |")
        bp, bc, bf = p["batch_ms"], c["batch_ms"], f["batch_ms"]
        print(f"| batch of {batch} | {bp:.2f} ms | {bc:.2f} ms | {bf:.2f} ms | {bp - bc:.3f} ms "
              f"({100 * (bp - bc) / bc:+.1f} %) | {bp / bc:.3f} |")
        # CPU time of each process (other processes' load does not count; 1 thread, so it is the
        # call's own cost): the steadier measure on a shared machine.
        sp, sc, sf = (s["single_cpu_us"] for s in (p, c, f))
        cp, cc, cf = (s["batch_cpu_ms"] for s in (p, c, f))
        print(f"| single query, CPU time | {sp:.1f} µs | {sc:.1f} µs | {sf:.1f} µs | {sp - sc:.1f} µs | {sp / sc:.2f} |")
        print(f"| batch of {batch}, CPU time | {cp:.2f} ms | {cc:.2f} ms | {cf:.2f} ms | {cp - cc:.3f} ms "
              f"({100 * (cp - cc) / cc:+.1f} %) | {cp / cc:.3f} |")
        spread = lambda s: f"{s['batch_range'][0]:.2f}-{s['batch_range'][1]:.2f} ms"
        print(f"| batch of {batch}, range over processes | {spread(p)} | {spread(c)} | {spread(f)} | | |")
    else:
        print("| (C side not built) | | | | | |")
    # In the Python process: the binding against the same entry point called bare through ctypes.
    inner = [r["in_process"] for r in runs["stasis"] if r.get("in_process")]
    if inner:
        bs = median([r["binding"]["single_cpu_us"] for r in inner])
        rs = median([r["raw"]["single_cpu_us"] for r in inner])
        bb = median([1e3 * r["binding"]["batch_cpu_s"] for r in inner])
        rb = median([1e3 * r["raw"]["batch_cpu_s"] for r in inner])
        print(f"\nIn the Python process (CPU time, median of {len(inner)}): binding {bs:.1f} µs vs bare ctypes call "
              f"{rs:.1f} µs per single query ({bs - rs:+.1f} µs); batch of {batch} {bb:.2f} vs {rb:.2f} ms "
              f"({100 * (bb - rb) / rb:+.1f} %)")
        stats["stasis"]["in_process"] = {"binding_single_us": bs, "raw_single_us": rs, "binding_batch_ms": bb,
                                         "raw_batch_ms": rb}
    sys.stdout.flush()
    return {side: results[-1] for side, results in runs.items()} | {"medians": stats}


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

    blas_core = openblas_core()
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
          f"threads {threads}; OPENBLAS_CORETYPE={blas_core} (all sides)", flush=True)

    configs = [
        {"name": "Flat", "factory": "Flat", "params": [{}], "repeats": 2, "single_query": True, "add_repeats": 3},
        {"name": "HNSW32", "factory": "HNSW32", "single_query": True,
         "params": [{"ef_search": ef} for ef in (10, 12, 16, 24, 32, 64, 128, 256)]},
        {"name": "IVF1024,Flat", "factory": "IVF1024,Flat", "single_query": True,
         "params": [{"nprobe": p} for p in (8, 32)]},
        {"name": "IVF1024,SQ8", "factory": "IVF1024,SQ8", "single_query": True,
         "params": [{"nprobe": p} for p in (8, 32)]},
        # No single-query pass: training dominates this row's run time (the wheel's polysemous
        # training is minutes under load); batch QPS at nprobe 8-64 is what issue 21 tracks.
        {"name": "IVF1024,PQ48", "factory": "IVF1024,PQ48",
         "params": [{"nprobe": p} for p in (8, 16, 32, 64)]},
    ]
    overhead = {"name": "Binding overhead", "factory": "Flat", "params": [{}], "repeats": 5, "single_query": True}
    if args.only:
        configs = [c for c in configs if c["name"] in args.only]
    c_bench = build_c_bench(data_dir)
    sides = ["stasis"] + (["stasis-c"] if c_bench else []) + ["faiss"]
    report = []
    for config in configs:
        config.update(threads=threads, build_threads=cores)
        results = {side: run_side(side, data_dir, config, c_bench) for side in sides}
        report.append((config, results))
        s, f, c = results["stasis"], results["faiss"], results.get("stasis-c")
        add_c = f", C {c['add_s']:.1f}s" if c else ""
        add_alone = (f"add alone: Python {s['add_s'] * 1e3:.0f} ms" + (f", C {c['add_s'] * 1e3:.0f} ms" if c else "")
                     + f", wheel {f['add_s'] * 1e3:.0f} ms, speed ratio Python {f['add_s'] / s['add_s']:.2f}"
                     + (f", C {f['add_s'] / c['add_s']:.2f}" if c else ""))
        if config.get("add_repeats", 1) > 1:
            add_alone += f" (best of {config['add_repeats']} builds)"
        print(f"\n## {config['name']}  (build at {cores} threads, train+add: Python {s['train_s'] + s['add_s']:.1f}s{add_c}, "
              f"wheel {f['train_s'] + f['add_s']:.1f}s; {add_alone})")
        print("| threads | params | Python QPS | R@10 | C QPS | R@10 | wheel QPS | R@10 | Python / wheel | C / wheel "
              "| Python / wheel at equal recall |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        c_rows = c["rows"] if c else [None] * len(s["rows"])
        for rs, rc, rf in zip(s["rows"], c_rows, f["rows"]):
            same_threads = [r for r in f["rows"] if r["threads"] == rs["threads"]]
            wheel_at_recall = interpolate_qps(same_threads, rs["recall"])
            equal = f"{rs['qps'] / wheel_at_recall:.2f}" if wheel_at_recall else "beyond wheel curve"
            params = ",".join(f"{k}={v}" for k, v in rs["param"].items()) or "-"
            c_cells = f"{rc['qps']:.0f} | {rc['recall']:.3f}" if rc else "- | -"
            c_ratio = f"{rc['qps'] / rf['qps']:.2f}" if rc else "-"
            print(f"| {rs['threads']} | {params} | {rs['qps']:.0f} | {rs['recall']:.3f} | {c_cells} | {rf['qps']:.0f} | "
                  f"{rf['recall']:.3f} | {rs['qps'] / rf['qps']:.2f} | {c_ratio} | {equal} |")
            if rs["single_us"]:
                c_us = f"{rc['single_us']:.0f} µs" if rc and rc["single_us"] else "-"
                c_speed = f"{rf['single_us'] / rc['single_us']:.2f}" if rc and rc["single_us"] else "-"
                print(f"|   | single-query latency | {rs['single_us']:.0f} µs | | {c_us} | | {rf['single_us']:.0f} µs | | "
                      f"{rf['single_us'] / rs['single_us']:.2f} (speed) | {c_speed} (speed) | |")
        if config["name"].startswith("HNSW"):
            equal_recall_table(results, threads)
        sys.stdout.flush()
    if overhead["name"] in (args.only or [overhead["name"]]):
        report.append((overhead, binding_overhead(overhead, base, queries, c_bench)))
    if args.json:
        with open(args.json, "w") as out:
            json.dump([{"config": c, "results": r} for c, r in report], out, indent=1)


if __name__ == "__main__":
    main()

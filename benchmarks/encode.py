"""Encode benchmark: a realistic head (768 -> 1024 -> ReLU -> 1023, the d-Simplex of 1024
classes) on 100k rows, Stasis vs numpy doing the same matmuls, and vs the raw sgemm "roofline"
(the same two matrix products through Debian's OpenBLAS, the library Stasis links, with nothing
else), at 1 thread and at all cores. Each thread count runs in its own process so that
OPENBLAS_NUM_THREADS also pins numpy's bundled OpenBLAS.

    make bench            (runs this and the index benchmark)
    python3 benchmarks/encode.py [--rows 100000] [--repeats 3]
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
IN, HIDDEN, OUT = 768, 1024, 1023


def make_head(directory):
    sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
    import stasis
    from safetensors.numpy import save_file

    space = stasis.Space("simplex", OUT + 1)
    rng = np.random.default_rng(0)
    tensors = {
        "layers.0.weight": (rng.standard_normal((HIDDEN, IN)) / np.sqrt(IN)).astype(np.float32),
        "layers.0.bias": (0.01 * rng.standard_normal(HIDDEN)).astype(np.float32),
        "layers.2.weight": (rng.standard_normal((OUT, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32),
        "layers.2.bias": (0.01 * rng.standard_normal(OUT)).astype(np.float32),
    }
    path = os.path.join(directory, "head.safetensors")
    save_file(tensors, path, metadata={
        "stasis.kind": "encoder", "stasis.format": "1", "stasis.space": space.fingerprint, "stasis.version": "1",
        "stasis.input_dim": str(IN), "stasis.output_dim": str(OUT),
        "stasis.layers": json.dumps([{"type": "linear", "bias": True}, {"type": "relu"}, {"type": "linear", "bias": True}])})
    return path, tensors


def best_of(repeats, function):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def measure(threads, path, rows, repeats):
    """Runs inside a process started with OPENBLAS_NUM_THREADS=threads."""
    sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
    import stasis
    from safetensors.numpy import load_file

    stasis.set_num_threads(threads)
    encoder = stasis.Encoder.open(path)
    t = load_file(path)
    w1, b1, w2, b2 = t["layers.0.weight"], t["layers.0.bias"], t["layers.2.weight"], t["layers.2.bias"]
    x = np.random.default_rng(1).standard_normal((rows, IN)).astype(np.float32)

    def with_numpy():
        h = np.maximum(x @ w1.T + b1, 0)
        y = h @ w2.T + b2
        return y / np.linalg.norm(y, axis=1, keepdims=True)

    # Same-run correctness check on a slice: both implementations agree.
    head = x[:1000]
    reference = np.maximum(head @ w1.T + b1, 0) @ w2.T + b2
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    assert np.abs(encoder.encode(head) - reference).max() < 1e-4

    blas = ctypes.CDLL("libopenblas.so.0")
    blas.openblas_set_num_threads(threads)
    h = np.empty((rows, HIDDEN), np.float32)
    y = np.empty((rows, OUT), np.float32)
    p = lambda a: a.ctypes.data_as(ctypes.c_void_p)
    row_major, no_trans, trans = 101, 111, 112

    def raw_sgemm():
        blas.cblas_sgemm(row_major, no_trans, trans, rows, HIDDEN, IN, ctypes.c_float(1), p(x), IN, p(w1), IN,
                         ctypes.c_float(0), p(h), HIDDEN)
        blas.cblas_sgemm(row_major, no_trans, trans, rows, OUT, HIDDEN, ctypes.c_float(1), p(h), HIDDEN, p(w2), HIDDEN,
                         ctypes.c_float(0), p(y), OUT)

    results = {
        "stasis": best_of(repeats, lambda: encoder.encode(x)),
        "numpy": best_of(repeats, with_numpy),
        "sgemm": best_of(repeats, raw_sgemm),
    }
    flops = 2.0 * rows * (IN * HIDDEN + HIDDEN * OUT)
    print(json.dumps({"threads": threads, "flops": flops, **results}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure(int(args.child[0]), args.child[1], args.rows, args.repeats)

    directory = tempfile.mkdtemp(prefix="stasis-encode-")
    path, _ = make_head(directory)
    cores = os.cpu_count() or 1
    print(f"encode: {args.rows} rows, head {IN} -> {HIDDEN} -> ReLU -> {OUT} (+ L2 norm), best of {args.repeats}")
    print("| threads | Stasis rows/s | numpy rows/s | Stasis / numpy | sgemm-only rows/s | Stasis / roofline | Stasis GFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for threads in sorted({1, cores}):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--repeats", str(args.repeats),
                              "--child", str(threads), path], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr[-2000:])
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rate = lambda seconds: args.rows / seconds
        print(f"| {threads} | {rate(r['stasis']):,.0f} | {rate(r['numpy']):,.0f} | {r['numpy'] / r['stasis']:.2f} | "
              f"{rate(r['sgemm']):,.0f} | {r['sgemm'] / r['stasis']:.2f} | {r['flops'] / r['stasis'] / 1e9:.1f} |", flush=True)


if __name__ == "__main__":
    main()

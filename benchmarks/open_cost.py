"""Cost of opening a 1M-vector index: Stasis's open (file read, checksums, structural payload
checks, Faiss read) against the faiss-cpu wheel's read_index of the same Faiss payload (no checks).

    python3 benchmarks/open_cost.py [--n 1000000] [--dim 64] [--dir /tmp/stasis-open-bench]

Index files are built once and kept in --dir. Prints seconds (best of 3) and the ratio.
"""
import argparse
import json
import os
import struct
import time

import numpy as np

import stasis


def build(path, factory, n, dim):
    if os.path.exists(path):
        return
    rng = np.random.default_rng(0)
    index = stasis.Index(dim, factory)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    if not index.is_trained:
        index.train(x[:50_000])
    for start in range(0, n, 100_000):
        index.add(x[start:start + 100_000], np.arange(start, min(n, start + 100_000)), version=1)
    index.save(path)


def payload_of(path):
    raw = open(path, "rb").read()
    (header_length,) = struct.unpack_from("<Q", raw, 12)
    header = json.loads(raw[28:28 + header_length])
    return raw[len(raw) - header["payloadBytes"]:]


def best(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--dir", default="/tmp/stasis-open-bench")
    args = parser.parse_args()
    import faiss  # the wheel (make bench installs it)

    os.makedirs(args.dir, exist_ok=True)
    print(f"open of {args.n:,} x {args.dim} indexes, best of 3 (seconds)")
    print(f"{'factory':<12} {'file MB':>8} {'stasis open':>12} {'wheel read':>11} {'ratio':>6}")
    for factory in ["Flat", "IVF1024,Flat", "HNSW16"]:
        path = os.path.join(args.dir, f"{factory.replace(',', '_')}-{args.n}-{args.dim}.stasis")
        build(path, factory, args.n, args.dim)
        payload = np.frombuffer(payload_of(path), dtype=np.uint8)
        ours = best(lambda: stasis.Index.open(path).close())
        theirs = best(lambda: faiss.deserialize_index(payload))
        size = os.path.getsize(path) / 2**20
        print(f"{factory:<12} {size:>8.0f} {ours:>12.3f} {theirs:>11.3f} {ours / theirs:>6.2f}")


if __name__ == "__main__":
    main()

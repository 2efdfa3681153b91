"""Cost of the write-ahead log on add throughput: adds per second into a Flat index with no log,
and with a log in each sync mode (off, a background flush every --interval ms, fsync every call),
reported as ratios to no log. Also the cost of one compaction and of one checkpoint.

    python3 benchmarks/wal.py [--adds 2000] [--batch 1] [--dim 128] [--interval 10] [--repeat 5] [--dir /tmp]

Each run starts from an empty index and a fresh log in --dir (the log's file system decides the
fsync cost: run it where your logs will live). Prints a table and, with --json, one JSON object.
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np

import stasis


def run(mode, x, batch, dim, directory, interval):
    index = stasis.Index(dim, "Flat")
    path = os.path.join(directory, "bench.stasis")
    wal = os.path.join(directory, f"bench-{mode}.wal")
    if os.path.exists(wal):
        os.unlink(wal)
    index.save(path)
    if mode != "none":
        index.enable_wal(wal, sync={"off": "off", "interval": interval, "every_call": "every_call"}[mode])
    n = len(x)
    start = time.perf_counter()
    for first in range(0, n, batch):
        index.add(x[first:first + batch], np.arange(first, min(n, first + batch)), 1)
    seconds = time.perf_counter() - start
    index.close()
    return n / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adds", type=int, default=2000, help="vectors added per mode")
    parser.add_argument("--batch", type=int, default=1, help="vectors per add call")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--interval", type=int, default=10, help="flush interval (ms) of the interval mode")
    parser.add_argument("--dir", default=None, help="where the index and logs go (default: a temporary directory)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per mode; the best counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    directory = args.dir or tempfile.mkdtemp(prefix="stasis-wal-bench-")
    os.makedirs(directory, exist_ok=True)
    x = np.random.default_rng(0).standard_normal((args.adds, args.dim)).astype(np.float32)
    modes = ["none", "off", "interval", "every_call"]
    rates = {mode: 0.0 for mode in modes}
    for _ in range(args.repeat):  # modes interleaved so drift in the machine's load hits all alike
        for mode in modes:
            rates[mode] = max(rates[mode], run(mode, x, args.batch, args.dim, directory, args.interval))

    # Compaction and checkpoint of a 100k-vector index with a third of it removed.
    index = stasis.Index(args.dim, "Flat")
    big = np.random.default_rng(1).standard_normal((100_000, args.dim)).astype(np.float32)
    index.add(big, np.arange(100_000), 1)
    index.remove(np.arange(0, 100_000, 3))
    start = time.perf_counter()
    report = index.compact()
    compact_seconds = time.perf_counter() - start
    path = os.path.join(directory, "bench-big.stasis")
    big_wal = os.path.join(directory, "bench-big.wal")
    if os.path.exists(big_wal):
        os.unlink(big_wal)
    index.enable_wal(big_wal)
    start = time.perf_counter()
    index.checkpoint(path)
    checkpoint_seconds = time.perf_counter() - start
    index.close()

    result = {
        "adds": args.adds, "batch": args.batch, "dim": args.dim, "interval_ms": args.interval,
        "adds_per_second": {m: round(r) for m, r in rates.items()},
        "ratio_to_no_log": {m: round(r / rates["none"], 3) for m, r in rates.items()},
        "compact_100k_flat": {"seconds": round(compact_seconds, 3), **report},
        "checkpoint_67k_flat_seconds": round(checkpoint_seconds, 3),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.adds} adds of {args.batch} vector(s), dim {args.dim}, Flat; logs in {directory}")
    print(f"{'mode':<22}{'adds/s':>12}{'ratio':>8}")
    for mode in modes:
        label = {"none": "no log", "off": "log, sync off", "interval": f"log, every {args.interval} ms",
                 "every_call": "log, fsync every call"}[mode]
        print(f"{label:<22}{rates[mode]:>12.0f}{rates[mode] / rates['none']:>8.3f}")
    print(f"compaction of 100k Flat ({report['slots_reclaimed']} dead slots): {compact_seconds:.3f} s, "
          f"{report['bytes_reclaimed'] / 1e6:.1f} MB reclaimed")
    print(f"checkpoint of the compacted index: {checkpoint_seconds:.3f} s")


if __name__ == "__main__":
    main()

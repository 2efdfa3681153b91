"""One side of the index benchmark, run in its own process so the two Faiss builds (Debian's
libfaiss.a inside libstasis.so, and the faiss-cpu wheel) never share an OpenMP runtime.

    python3 worker.py stasis|faiss DATA_DIR CONFIG_JSON   -> prints one JSON result line
"""
import json
import os
import sys
import time

import numpy as np

side, data_dir, config = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
base = np.load(os.path.join(data_dir, "base.npy"))
queries = np.load(os.path.join(data_dir, "queries.npy"))
truth = np.load(os.path.join(data_dir, "truth.npy"))
n, d = base.shape
k = 10

if side == "stasis":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bindings", "python"))
    import stasis

    def build(factory, threads):
        stasis.set_num_threads(threads)
        _threads[0] = threads
        index = stasis.Index(d, factory)
        start = time.perf_counter()
        if not index.is_trained:
            index.train(base)
        trained = time.perf_counter()
        index.add(base, np.arange(n), version=1)
        return index, trained - start, time.perf_counter() - trained

    _threads = [None]

    def search(index, threads, q, param):
        # Set once per thread count, as the C side does (bench.c): the call costs ~4.6 us, which
        # the single-query loop used to add to every Python search.
        if _threads[0] != threads:
            stasis.set_num_threads(threads)
            _threads[0] = threads
        return index.search(q, k, **param).ids

else:
    import faiss

    def build(factory, threads):
        faiss.omp_set_num_threads(threads)
        index = faiss.index_factory(d, factory, faiss.METRIC_INNER_PRODUCT)
        start = time.perf_counter()
        if not index.is_trained:
            index.train(base)
        trained = time.perf_counter()
        index.add(base)
        return index, trained - start, time.perf_counter() - trained

    def search(index, threads, q, param):
        faiss.omp_set_num_threads(threads)
        if "ef_search" in param:
            faiss.downcast_index(index).hnsw.efSearch = param["ef_search"]
        if "nprobe" in param:
            faiss.extract_index_ivf(index).nprobe = param["nprobe"]
        return index.search(q, k)[1]


def recall(ids):
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ids, truth)]))


# add_repeats > 1 (cheap builds such as Flat): the best of several builds, each from scratch.
builds = [build(config["factory"], config["build_threads"]) for _ in range(config.get("add_repeats", 1))]
index, train_s, add_s = builds[-1][0], min(b[1] for b in builds), min(b[2] for b in builds)
del builds
rows = []
for threads in config["threads"]:
    for param in config["params"]:
        search(index, threads, queries[:200], param)  # warm-up
        best = best_cpu = float("inf")
        for _ in range(config.get("repeats", 3)):
            start, cpu = time.perf_counter(), time.process_time()
            ids = search(index, threads, queries, param)
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        single = single_cpu = None
        if config.get("single_query") and threads == 1:
            # Best of `repeats` passes of 300 one-query calls (the mean call of the best pass).
            one = [queries[i : i + 1] for i in range(min(300, len(queries)))]
            for _ in range(config.get("repeats", 3)):
                start, cpu = time.perf_counter(), time.process_time()
                for row in one:
                    search(index, threads, row, param)
                elapsed = (time.perf_counter() - start) / len(one) * 1e6
                cpu = (time.process_time() - cpu) / len(one) * 1e6
                single = elapsed if single is None else min(single, elapsed)
                single_cpu = cpu if single_cpu is None else min(single_cpu, cpu)
        rows.append(
            {"threads": threads, "param": param, "qps": len(queries) / best, "batch_cpu_s": best_cpu,
             "recall": recall(ids), "single_us": single, "single_cpu_us": single_cpu}
        )
raw = {}
if side == "stasis" and config.get("raw_call"):
    # The same library entry point called through ctypes with nothing of the binding around it
    # (outputs allocated once, addresses precomputed), in this process: what the binding's own
    # Python work adds, free of the process-to-process memory placement that moves the C side.
    from stasis._loader import search_entry

    stasis.set_num_threads(1)
    out = [np.empty((len(queries), k), t) for t in (np.float32, np.int64, np.uint32)]
    addresses = [a.ctypes.data for a in out]
    one = [queries[i : i + 1] for i in range(min(300, len(queries)))]
    pairs = {"binding": lambda q: index.search(q, k),
             "raw": lambda q: search_entry(index._h, len(q), d, q.ctypes.data, k, None, *addresses)}
    for name, call in pairs.items():
        best_single = best_batch = float("inf")
        for _ in range(config.get("repeats", 3)):
            cpu = time.process_time()
            for row in one:
                call(row)
            best_single = min(best_single, (time.process_time() - cpu) / len(one) * 1e6)
            cpu = time.process_time()
            call(queries)
            best_batch = min(best_batch, time.process_time() - cpu)
        raw[name] = {"single_cpu_us": best_single, "batch_cpu_s": best_batch}
print(json.dumps({"side": side, "train_s": train_s, "add_s": add_s, "add_per_s": n / add_s, "rows": rows,
                  "in_process": raw}))

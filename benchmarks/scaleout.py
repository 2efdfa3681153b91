"""Scale-out benchmark: Ray Data encode throughput with 1 and 2 workers against single-process
``Encoder.encode``, and milvus-lite search QPS and Recall@10 against Stasis's own index on the same
data (WordNet WordLlama features, docs/demo.md) and thread count. Results go to docs/scaleout.md.

    python3 benchmarks/scaleout.py [--rows 100000] [--threads 2] [--json out.json]
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [os.path.join(HERE, "..", "bindings", "python")] + [p for p in [os.environ.get("PYTHONPATH")] if p])

import stasis  # noqa: E402

IN, HIDDEN, OUT = 384, 768, 255  # a MiniLM-wide head into the d-Simplex of 256 classes


def make_head(directory):
    from safetensors.numpy import save_file

    space = stasis.Space("simplex", OUT + 1)
    rng = np.random.default_rng(0)
    tensors = {"layers.0.weight": (rng.standard_normal((HIDDEN, IN)) / np.sqrt(IN)).astype(np.float32),
               "layers.0.bias": (0.01 * rng.standard_normal(HIDDEN)).astype(np.float32),
               "layers.2.weight": (rng.standard_normal((OUT, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)}
    path = os.path.join(directory, "head.safetensors")
    save_file(tensors, path, metadata={
        "stasis.kind": "encoder", "stasis.format": "1", "stasis.space": space.fingerprint, "stasis.version": "1",
        "stasis.input_dim": str(IN), "stasis.output_dim": str(OUT),
        "stasis.layers": json.dumps([{"type": "linear", "in": IN, "out": HIDDEN, "bias": True}, {"type": "relu"},
                                     {"type": "linear", "in": HIDDEN, "out": OUT, "bias": False}])})
    return path


def best_of(repeats, function):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_encode(rows, threads, repeats, batch_size):
    import ray

    import stasis.ray as sray

    work = tempfile.mkdtemp()
    path = make_head(work)
    x = np.random.default_rng(1).standard_normal((rows, IN)).astype(np.float32)
    encoder = stasis.Encoder.open(path)
    results = {"rows": rows, "batch_size": batch_size, "head": f"{IN}->{HIDDEN}->ReLU->{OUT}"}
    for t in sorted({1, threads}):
        stasis.set_num_threads(t)
        seconds = best_of(repeats, lambda: encoder.encode(x))
        results[f"single_process_{t}_threads_rows_per_s"] = rows / seconds
    stasis.set_num_threads(threads)
    ray.init(num_cpus=threads, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    for workers in (1, 2):
        def run(n):
            sray.collect(sray.encode(sray.from_arrays(x[:n], blocks=max(4, 2 * workers)), path, workers=workers,
                                     batch_size=batch_size))
        # Fixed cost of one Ray job: actor start, encoder load, scheduling (a tiny dataset); the
        # marginal throughput is what each further row costs once the workers run.
        small = 2 * workers * batch_size // 8
        overhead = best_of(repeats, lambda: run(small))
        seconds = best_of(repeats, lambda: run(rows))
        results[f"ray_{workers}_workers"] = {"seconds": seconds, "rows_per_s": rows / seconds,
                                             "job_overhead_s": overhead,
                                             "marginal_rows_per_s": (rows - small) / max(seconds - overhead, 1e-9)}
    ray.shutdown()
    reference = results[f"single_process_{threads}_threads_rows_per_s"]
    for workers in (1, 2):
        entry = results[f"ray_{workers}_workers"]
        entry["ratio_to_single_process_same_cpus"] = entry["rows_per_s"] / (
            results["single_process_1_threads_rows_per_s"] if workers == 1 else reference)
    return results


def recall_at(found, truth, k):
    return float(np.mean([len(set(a[:k]) & set(b[:k])) / k for a, b in zip(found, truth)]))


def bench_milvus(threads, repeats):
    from stasis.milvus import MilvusGallery

    data = os.path.join(HERE, "..", "examples", "data", "wordnet")
    features = np.load(os.path.join(data, "wordllama.npy")).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    is_query = np.arange(len(features)) % 5 == 0
    gallery, queries = features[~is_query], features[is_query]
    ids = np.flatnonzero(~is_query).astype(np.int64)
    stasis.set_num_threads(threads)
    flat = stasis.Index(gallery.shape[1], "Flat")
    flat.add(gallery, ids, 1)
    truth = flat.search(queries, 10).ids
    results = {"items": len(ids), "queries": len(queries), "dim": gallery.shape[1], "k": 10,
               "stasis_threads": threads}
    seconds = best_of(repeats, lambda: flat.search(queries, 10))
    results["stasis_flat"] = {"qps": len(queries) / seconds, "recall_at_10": 1.0}
    hnsw = stasis.Index(gallery.shape[1], "HNSW32")
    hnsw.add(gallery, ids, 1)
    for ef in (64,):
        seconds = best_of(repeats, lambda: hnsw.search(queries, 10, ef_search=ef))
        results[f"stasis_hnsw32_ef{ef}"] = {"qps": len(queries) / seconds,
                                            "recall_at_10": recall_at(hnsw.search(queries, 10, ef_search=ef).ids,
                                                                      truth, 10)}
    work = tempfile.mkdtemp()
    for index, params, search in (("FLAT", {}, {}), ("HNSW", {"M": 32, "efConstruction": 40}, {"ef": 64})):
        tier = MilvusGallery(os.path.join(work, f"{index}.db"), index=index, index_params=params,
                             search_params=search)
        tier.register(1, gallery.shape[1], space="wordllama")
        start = time.perf_counter()
        tier.upsert(gallery, ids, 1)
        upsert_seconds = time.perf_counter() - start
        tier.search(queries[:10], 1, k=10)  # builds / loads the index
        found = []

        def run():
            found.clear()
            for start in range(0, len(queries), 250):
                found.append(tier.search(queries[start:start + 250], 1, k=10).ids)
        seconds = best_of(repeats, run)
        collection = tier._collections["wordllama"][0]
        request = {"metric_type": "IP", "params": search}

        def client_only():  # the same searches straight through pymilvus, results not unpacked
            for start in range(0, len(queries), 250):
                tier.client.search(collection, data=list(queries[start:start + 250]), limit=10,
                                   output_fields=["version"], search_params=request)
        client_seconds = best_of(repeats, client_only)
        results[f"milvus_lite_{index.lower()}"] = {
            "qps": len(queries) / seconds, "client_only_qps": len(queries) / client_seconds,
            "recall_at_10": recall_at(np.concatenate(found), truth, 10),
            "upsert_rows_per_s": len(ids) / upsert_seconds, "params": {**params, **search}}
        tier.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = {"load_average_at_start": os.getloadavg()[0], "cpus": os.cpu_count(),
               "encode": bench_encode(args.rows, args.threads, args.repeats, args.batch_size),
               "search": bench_milvus(args.threads, args.repeats)}
    results["load_average_at_end"] = os.getloadavg()[0]
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()

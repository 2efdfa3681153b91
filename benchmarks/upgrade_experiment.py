"""Upgrade experiment on real data (issue 16): one command, results written to docs/compatibility.md.

    python3 benchmarks/upgrade_experiment.py --old wordllama --new minilm [--seeds 0 1] [--epochs 8]

WordNet corpus (shared/docs/data.md), frozen backbones. Classes: 20 % unseen (never labelled),
80 % seen; v1 trains on 60 % of the seen classes with the old backbone, v2 on all seen classes
with the new one; 20 % of each seen class's items are held out. Unseen classes are split in two:
(c) half of their items are in an unlabelled paired sample of the gallery (both backbones'
features, no labels), the other half evaluated; (d) in no sample at all. Leave-one-out R@1 and
mAP within each group of held-out items, for old->old (v1), new->old (v2 queries on the v1
gallery) and new->new (v2). Heads are trained with stasis.train on one thread; the learnable-
classifier baseline is trained in numpy in this script. Hand-written text after the line
`<!-- notes -->` in the output file is kept.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bindings", "python"))
sys.path.insert(0, os.path.dirname(__file__))
import stasis  # noqa: E402
import wordnet_data  # noqa: E402

GROUPS = ("both", "v2 only", "unseen (c)", "unseen (d)")
GROUP_TEXT = {
    "both": "classes both versions trained on",
    "v2 only": "classes only v2 trained on",
    "unseen (c)": "unseen classes, other items in the unlabelled sample",
    "unseen (d)": "unseen classes, never sampled",
}


def split(labels, seed, paired_size):
    rng = np.random.default_rng(seed)
    classes = np.array(sorted(set(labels)))
    rng.shuffle(classes)
    n_unseen = round(0.2 * len(classes))
    unseen, seen = classes[:n_unseen], classes[n_unseen:]
    v1_classes = set(seen[: round(0.6 * len(seen))])
    sampled_unseen = set(unseen[: len(unseen) // 2])
    by_class = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    parts = {"v1 train": [], "v2 train": [], "pool": []}
    groups = {g: [] for g in GROUPS}
    for label in classes:
        items = np.array(by_class[label])
        rng.shuffle(items)
        if label in set(seen):
            cut = round(0.2 * len(items))
            test, train = items[:cut], items[cut:]
            parts["v2 train"] += list(train)
            if label in v1_classes:
                parts["v1 train"] += list(train)
                groups["both"] += list(test)
            else:
                groups["v2 only"] += list(test)
        elif label in sampled_unseen:
            half = len(items) // 2
            parts["pool"] += list(items[:half])
            groups["unseen (c)"] += list(items[half:])
        else:
            groups["unseen (d)"] += list(items)
    # The unlabelled sample: every sampled unseen item plus random labelled-class gallery items.
    extra = rng.choice(parts["v2 train"], size=max(0, paired_size - len(parts["pool"])), replace=False)
    parts["pool"] = np.array(sorted(set(parts["pool"]) | set(extra.tolist())))
    return {k: np.array(v) for k, v in parts.items()}, {k: np.array(v) for k, v in groups.items()}


def retrieval(queries, gallery, labels):
    """Leave-one-out R@1 and mAP (%), cosine on unit rows."""
    n = len(labels)
    hits, ap = 0, 0.0
    for start in range(0, n, 1024):
        s = queries[start:start + 1024] @ gallery.T
        rows = np.arange(start, min(start + 1024, n))
        s[rows - start, rows] = -np.inf
        order = np.argsort(-s, axis=1, kind="stable")[:, :-1]
        relevant = labels[order] == labels[rows][:, None]
        hits += relevant[:, 0].sum()
        ranks = np.cumsum(relevant, axis=1)
        counts = relevant.sum(axis=1)
        precision = ranks / np.arange(1, n)[None, :]
        ap += np.sum(np.where(counts > 0, (precision * relevant).sum(axis=1) / np.maximum(counts, 1), 0))
    return 100 * hits / n, 100 * ap / n


def unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class LearnableHead:
    """Baseline: Linear head (in -> d) and a learnable linear classifier over the version's own
    classes, Adam + cosine, plain numpy. The retrieval feature is the normalised head output, or
    with softmax features p = softmax(logits / T) projected on the space's vertices of the same
    labels (science.md §6)."""

    def __init__(self, x, y, classes, d, epochs, batch, lr, wd, seed):
        rng = np.random.default_rng(seed)
        index = {c: k for k, c in enumerate(classes)}
        targets = np.array([index[v] for v in y])
        n, width = x.shape
        k = len(classes)
        bound_w, bound_c = 1 / np.sqrt(width), 1 / np.sqrt(d)
        params = [rng.uniform(-bound_w, bound_w, (d, width)), rng.uniform(-bound_w, bound_w, d),
                  rng.uniform(-bound_c, bound_c, (k, d)), rng.uniform(-bound_c, bound_c, k)]
        params = [p.astype(np.float32) for p in params]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        steps_per_epoch = -(-n // batch)
        total, step = epochs * steps_per_epoch, 0
        for _ in range(epochs):
            order = rng.permutation(n)
            for b in range(steps_per_epoch):
                rows = order[b * batch:(b + 1) * batch]
                w, bias, c, cb = params
                z = x[rows] @ w.T + bias
                logits = z @ c.T + cb
                logits -= logits.max(axis=1, keepdims=True)
                p = np.exp(logits)
                p /= p.sum(axis=1, keepdims=True)
                p[np.arange(len(rows)), targets[rows]] -= 1
                p /= len(rows)
                dz = p @ c
                grads = [dz.T @ x[rows], dz.sum(0), p.T @ z, p.sum(0)]
                rate = lr * 0.5 * (1 + np.cos(np.pi * step / total))
                step += 1
                for i, (param, grad) in enumerate(zip(params, grads)):
                    if i in (0, 2):
                        param -= rate * wd * param
                    m[i] = 0.9 * m[i] + 0.1 * grad
                    v[i] = 0.999 * v[i] + 0.001 * grad * grad
                    param -= rate / (1 - 0.9 ** step) * m[i] / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
        self.params, self.classes = params, classes

    def encode(self, x, vertices=None, temperature=4.0):
        w, bias, c, cb = self.params
        z = x @ w.T + bias
        if vertices is None:
            return unit(z)
        logits = (z @ c.T + cb) / temperature
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return unit(p @ vertices)


def run(args, seed, texts, labels, old_x, new_x):
    parts, groups = split(labels, seed, args.paired)
    labels = np.array(labels)
    space = stasis.Space("simplex", args.classes)
    # Register v2's labels once so every recipe sees the same label -> vertex map.
    v2_classes = sorted(set(labels[parts["v2 train"]]))
    v1_classes = sorted(set(labels[parts["v1 train"]]))
    space.assign(v1_classes)
    space.assign(v2_classes)
    vertices = space.vertices
    common = dict(epochs=args.epochs, batch_size=args.batch, lr=args.lr, weight_decay=1e-4, seed=seed, validation=0.1)
    v1_rows, v2_rows, pool = parts["v1 train"], parts["v2 train"], parts["pool"]
    results, notes = {}, {}

    def evaluate(name, v1_old, v2_new):
        """v1_old(rows) -> old-model features, v2_new(rows) -> new-model features."""
        table = {}
        for g in GROUPS:
            rows = groups[g]
            old, new = v1_old(rows), v2_new(rows)
            table[g] = {"old->old": retrieval(old, old, labels[rows]), "new->old": retrieval(new, old, labels[rows]),
                        "new->new": retrieval(new, new, labels[rows])}
        results[name] = table
        print(f"  seed {seed} {name}: " + "; ".join(
            f"{g} {t['old->old'][0]:.1f}/{t['new->old'][0]:.1f}/{t['new->new'][0]:.1f}" for g, t in table.items()), flush=True)

    started = time.time()
    for softmax in (False, True):
        suffix = ", softmax" if softmax else ""
        b1 = LearnableHead(old_x[v1_rows], labels[v1_rows], v1_classes, space.dim, args.epochs, args.batch, args.lr, 1e-4, seed)
        b2 = LearnableHead(new_x[v2_rows], labels[v2_rows], v2_classes, space.dim, args.epochs, args.batch, args.lr, 1e-4, seed)
        v1_vertices = vertices[space.lookup(v1_classes)] if softmax else None
        v2_vertices = vertices[space.lookup(v2_classes)] if softmax else None
        evaluate("learnable classifier" + (", softmax T=4" if softmax else ""),
                 lambda r: b1.encode(old_x[r], v1_vertices), lambda r: b2.encode(new_x[r], v2_vertices))
        feature = "softmax" if softmax else "raw"
        v1 = stasis.train(space, old_x[v1_rows], labels[v1_rows].tolist(), version=1, feature=feature, **common)
        if softmax:
            notes["v1 T"] = v1.temperature
        recipes = [
            ("simplex CE", dict()),
            ("simplex + HOC", dict(alignment="hoc")),
            ("simplex + CL2R", dict(alignment="cl2r")),
            ("simplex + HOC, logit scale 10", dict(alignment="hoc", logit_scale=10.0)),
            ("simplex + HOC + unlabelled sample, hidden 1024, mu 20",
             dict(alignment="hoc", hidden=(1024,), alignment_scale=20.0,
                  paired_features=new_x[pool], paired_previous_features=old_x[pool])),
            ("simplex + HOC + unlabelled sample, residual 2048, mu 20",
             dict(alignment="hoc", hidden=(2048,), residual=True, alignment_scale=20.0,
                  paired_features=new_x[pool], paired_previous_features=old_x[pool])),
        ]
        for name, extra in recipes:
            v2 = stasis.train(space, new_x[v2_rows], labels[v2_rows].tolist(), version=2, previous=v1,
                              previous_features=old_x[v2_rows], feature=feature, **common, **extra)
            if softmax:
                notes[name + " T"] = v2.temperature
            evaluate(name + suffix, lambda r: v1.encode(old_x[r]), lambda r, v2=v2: v2.encode(new_x[r]))
    notes["seconds"] = time.time() - started
    sizes = {g: len(r) for g, r in groups.items()}
    sizes.update({"v1 train": len(v1_rows), "v2 train": len(v2_rows), "paired sample": len(pool),
                  "v1 classes": len(v1_classes), "v2 classes": len(v2_classes)})
    return results, notes, sizes


def write(path, args, runs):
    keep = ""
    if os.path.exists(path):
        text = open(path).read()
        if "<!-- notes -->" in text:
            keep = text[text.index("<!-- notes -->"):]
    seeds = [seed for seed, _ in runs]
    lines = [
        "# Compatibility on real data: upgrade experiment",
        "",
        f"Generated by `python3 benchmarks/upgrade_experiment.py --old {args.old} --new {args.new} "
        f"--seeds {' '.join(map(str, seeds))} --epochs {args.epochs} --paired {args.paired} --threads {args.threads}"
        f"{' --subset' if args.subset else ''}` (issue 16). WordNet noun synsets "
        + (f"(the demo's built-in subset examples/data/wordnet, `--subset`: {args.items:,} items, {args.class_count} classes), frozen backbones: "
           if args.subset else "(shared/docs/data.md: 58,390 items, 385 classes), frozen backbones: ")
        + 
        f"old = {args.old}, new = {args.new}. d-Simplex with K = {args.classes} (d = {args.classes - 1}).",
        "",
        "Split per seed: 20 % of the classes are unseen (never labelled); of the seen classes v1 is trained "
        "on 60 % (old backbone), v2 on all (new backbone); 20 % of every seen class's items are held out. "
        "Unseen classes: (c) half of their items are in an unlabelled paired sample of the gallery "
        f"({args.paired} items in all, the rest drawn from labelled-class gallery items), the other half are "
        "evaluated; (d) never sampled. Metrics: leave-one-out R@1 / mAP (%) within each group of held-out "
        "items; old->old = v1 on both sides, new->old = v2 queries against the v1 gallery (the upgrade "
        "without re-encoding), new->new = v2 on both sides. ECC holds when new->old > old->old.",
        "",
        f"Training (stasis.train, {args.threads} thread{'s' if args.threads != 1 else ''}): AdamW lr {args.lr}, weight decay 1e-4, cosine, {args.epochs} epochs, "
        f"batch {args.batch}, 10 % validation split, linear heads unless marked. HOC: 0.1 CE + 0.9 InfoNCE, mu = 10 "
        "unless marked; CL2R: CE + 5 sqrt(new/old classes) (1 - cos). Softmax rows: both versions use softmax "
        "features with T chosen on each run's validation split. The learnable-classifier baseline (numpy, in the "
        "script) has the same head and optimiser with a trained classifier over its own classes; its softmax "
        "row projects p = softmax(logits / 4) on the space's vertices of the same labels.",
        "",
    ]
    for seed, (results, notes, sizes) in runs:
        lines.append(f"## Seed {seed}")
        lines.append("")
        lines.append("Sizes: " + ", ".join(f"{k} {v}" for k, v in sizes.items()) + ".")
        temps = ", ".join(f"{k} {v:g}" for k, v in notes.items() if k.endswith(" T") and v)
        lines.append(f"Chosen temperatures: {temps}. Wall time {notes['seconds']:.0f} s.")
        lines.append("")
        for metric, index in (("R@1", 0), ("mAP", 1)):
            lines.append(f"{metric}, old->old / new->old / new->new (**bold**: ECC holds):")
            lines.append("")
            lines.append("| recipe | " + " | ".join(GROUP_TEXT[g] for g in GROUPS) + " |")
            lines.append("|---|" + "---|" * len(GROUPS))
            for name, table in results.items():
                cells = []
                for g in GROUPS:
                    oo, no, nn = (table[g][k][index] for k in ("old->old", "new->old", "new->new"))
                    cell = f"{oo:.1f} / {no:.1f} / {nn:.1f}"
                    cells.append(f"**{cell}**" if no > oo else cell)
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
    lines.append("## Where ECC holds (R@1, new->old > old->old), and new->new against the unconstrained head")
    lines.append("")
    lines.append("Unconstrained head = the learnable-classifier v2 (raw features); 'within 2' = new->new no more "
                 "than 2 points below it.")
    lines.append("")
    lines.append("| recipe | " + " | ".join(GROUPS) + " |")
    lines.append("|---|" + "---|" * len(GROUPS))
    for name in runs[0][1][0]:
        cells = []
        for g in GROUPS:
            marks = []
            for seed, (results, _, _) in runs:
                t = results[name][g]
                free = results["learnable classifier"][g]["new->new"][0]
                ecc = "ECC" if t["new->old"][0] > t["old->old"][0] else "no"
                close = "within 2" if t["new->new"][0] >= free - 2 else f"{t['new->new'][0] - free:+.1f}"
                marks.append(f"{ecc}, {close}")
            cells.append(" \\| ".join(marks))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    body = "\n".join(lines) + "\n"
    with open(path, "w") as out:
        out.write(body + ("\n" + keep if keep else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", default="wordllama", choices=sorted(wordnet_data.FEATURES))
    parser.add_argument("--new", default="minilm", choices=sorted(wordnet_data.FEATURES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--classes", type=int, default=512)
    parser.add_argument("--paired", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "compatibility.md"))
    parser.add_argument("--subset", action="store_true",
                        help="use the demo's committed subset (examples/data/wordnet: WordLlama -> MiniLM features, no feature generation)")
    args = parser.parse_args()
    stasis.set_num_threads(args.threads)
    if args.subset:
        folder = os.path.join(os.path.dirname(__file__), "..", "examples", "data", "wordnet")
        with open(os.path.join(folder, "texts.txt"), encoding="utf-8") as f:
            texts = f.read().split("\n")[:-1]
        with open(os.path.join(folder, "classes.txt"), encoding="utf-8") as f:
            names = f.read().split("\n")[:-1]
        labels = [names[i] for i in np.load(os.path.join(folder, "labels.npy"))]
        old_x = np.load(os.path.join(folder, "wordllama.npy")).astype(np.float32)
        new_x = np.load(os.path.join(folder, "minilm.npy")).astype(np.float32)
        args.old, args.new, args.items, args.class_count = "wordllama", "minilm", len(texts), len(names)
    else:
        texts, labels = wordnet_data.corpus()
        old_x = wordnet_data.FEATURES[args.old](texts)
        new_x = wordnet_data.FEATURES[args.new](texts)
    runs = [(seed, run(args, seed, texts, labels, old_x, new_x)) for seed in args.seeds]
    write(os.path.normpath(args.out), args, runs)
    print("wrote", os.path.normpath(args.out))


if __name__ == "__main__":
    main()

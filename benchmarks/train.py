"""Training parity and speed against PyTorch CPU (issue 16).

    python3 benchmarks/train.py [--features wordllama] [--epochs 8] [--threads 1] [--hidden 0 1024]

Same data (WordNet corpus of shared/docs/data.md, a fixed 90/10 item split over all classes), same
head (Linear, or Linear -> ReLU -> Linear), same initialisation scheme (PyTorch's default uniform
bounds), same recipe (AdamW lr 1e-3, weight decay 1e-4 on weights only, cosine per step, batch
256, logits against a fixed 512-vertex simplex), same thread count. Reports held-out accuracy of
both and seconds per epoch as a ratio stasis / PyTorch. Needs torch (CPU wheel) for the reference.
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


def torch_run(x, targets, test_x, test_targets, vertices, hidden, args):
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    d = vertices.shape[1]
    layers = [torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, d)] if hidden else \
        [torch.nn.Linear(x.shape[1], d)]
    head = torch.nn.Sequential(*layers)
    decay = [p for n, p in head.named_parameters() if n.endswith("weight")]
    rest = [p for n, p in head.named_parameters() if not n.endswith("weight")]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-4}, {"params": rest, "weight_decay": 0}],
                                  lr=args.lr)
    steps = -(-len(x) // args.batch)
    total = steps * args.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + np.cos(np.pi * s / total)))
    w = torch.from_numpy(vertices)
    xs, ys = torch.from_numpy(x), torch.from_numpy(targets)
    generator = torch.Generator().manual_seed(args.seed)
    started = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(len(x), generator=generator)
        for b in range(steps):
            rows = order[b * args.batch:(b + 1) * args.batch]
            loss = torch.nn.functional.cross_entropy(head(xs[rows]) @ w.T, ys[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    seconds = (time.perf_counter() - started) / args.epochs
    with torch.no_grad():
        z = head(torch.from_numpy(test_x)).numpy()
    return accuracy(z, test_targets, vertices, targets.max() + 1), seconds


def accuracy(z, targets, vertices, active):
    return 100 * float(np.mean(np.argmax(z @ vertices[:active].T, axis=1) == targets))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--features", default="wordllama", choices=sorted(wordnet_data.FEATURES))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=int, nargs="+", default=[0, 1024], help="0 = linear head")
    args = parser.parse_args()
    stasis.set_num_threads(args.threads)
    texts, labels = wordnet_data.corpus()
    features = wordnet_data.FEATURES[args.features](texts)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(labels))
    cut = len(labels) // 10
    test, train = order[:cut], order[cut:]
    names = sorted(set(labels))
    print(f"{args.features}: {len(train)} training and {len(test)} held-out items, {len(names)} classes, "
          f"{args.epochs} epochs, batch {args.batch}, {args.threads} thread(s)")
    print(f"{'head':>12} {'stasis acc':>10} {'torch acc':>10} {'stasis s/epoch':>15} {'torch s/epoch':>14} {'ratio':>6}")
    for hidden in args.hidden:
        space = stasis.Space("simplex", 512)
        vertex = dict(zip(names, space.assign(names)))
        targets = np.array([vertex[labels[i]] for i in train], np.int64)
        test_targets = np.array([vertex[labels[i]] for i in test], np.int64)
        x, test_x = features[train], features[test]
        started = time.perf_counter()
        encoder = stasis.train(space, x, [labels[i] for i in train], version=1, hidden=(hidden,) if hidden else (),
                               epochs=args.epochs, batch_size=args.batch, lr=args.lr, weight_decay=1e-4,
                               seed=args.seed, validation=0)
        ours_seconds = (time.perf_counter() - started) / args.epochs
        ours = accuracy(encoder.encode(test_x), test_targets, space.vertices, len(names))
        theirs, torch_seconds = torch_run(x, targets, test_x, test_targets, space.vertices, hidden, args)
        name = f"hidden {hidden}" if hidden else "linear"
        print(f"{name:>12} {ours:10.2f} {theirs:10.2f} {ours_seconds:15.2f} {torch_seconds:14.2f} "
              f"{ours_seconds / torch_seconds:5.2f}x", flush=True)


if __name__ == "__main__":
    main()

"""The built-in WordNet corpus of the tutorials (examples/data/wordnet, see docs/demo.md) and its
documented split, rebuilt from the files so every program (Python or C) sees the same rows.

- classes 0-59 are known at v1, 60-119 are added at v2, 120-179 are never trained on;
- within each class, in file order, every fifth item (position 0, 5, 10, ...) is a query and the
  others are gallery items; a version trains on the gallery items of the classes it knows;
- ``per_class`` keeps only the first ``per_class`` items of each class (a small, fast slice).
"""
import os

import numpy as np

V1_CLASSES = 60  # classes 0..59: known at v1
V2_CLASSES = 120  # classes 0..119: known at v2 (60 added)
DEFAULT_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "wordnet")


class Corpus:
    """labels (int64), old (n x 256 WordLlama) and new (n x 384 MiniLM) features as float32, and
    the row numbers of the queries and of the gallery items, in file order."""

    def __init__(self, folder, per_class):
        self.labels = np.load(os.path.join(folder, "labels.npy")).astype(np.int64)
        # float16 on disk; float32 is what the library takes (the conversion is exact).
        self.old = np.load(os.path.join(folder, "wordllama.npy")).astype(np.float32)
        self.new = np.load(os.path.join(folder, "minilm.npy")).astype(np.float32)
        seen = np.zeros(self.labels.max() + 1, np.int64)
        queries, gallery = [], []
        for row, label in enumerate(self.labels):
            position = seen[label]
            seen[label] += 1
            if position < per_class:
                (queries if position % 5 == 0 else gallery).append(row)
        self.queries = np.array(queries, np.int64)
        self.gallery = np.array(gallery, np.int64)

    def training_rows(self, classes):
        """Gallery rows of the first ``classes`` classes: what a version that knows them trains on."""
        return self.gallery[self.labels[self.gallery] < classes]

    def paired_sample(self, count):
        """``count`` gallery rows spread evenly over the gallery (every class, labelled or not):
        the items a team would encode with both models to pair them up."""
        stride = max(1, len(self.gallery) // count)
        return self.gallery[::stride][:count]

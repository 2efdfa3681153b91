"""Spaces and encoders: a fixed d-Simplex space, a head exported with numpy + safetensors, an
index bound to the space, and a second model version served against the same gallery.

    PYTHONPATH=bindings/python python3 examples/python/spaces_and_encoders.py
"""
import json
import os
import sys
import tempfile

import numpy as np
from safetensors.numpy import save_file

import stasis

work = tempfile.mkdtemp()
rng = np.random.default_rng(0)

# 1. The space: 64 pre-allocated classes, d = 63. Labels map to vertices forever.
space = stasis.Space("simplex", 64)
print(space, "max cosine", round(space.max_cosine, 4))
print("vertices of 'cat', 'dog':", space.assign(["cat", "dog"]).tolist())
space.save(os.path.join(work, "space.safetensors"))


# 2. Two model versions: heads from 32 backbone features into the space. Here they are random
#    linear maps; in practice they are trained against space.vertices as a fixed classifier.
def export_head(version, weight):
    path = os.path.join(work, f"v{version}.safetensors")
    save_file({"layers.0.weight": weight.astype(np.float32)}, path, metadata={
        "stasis.kind": "encoder", "stasis.format": "1", "stasis.space": space.fingerprint,
        "stasis.version": str(version), "stasis.input_dim": "32", "stasis.output_dim": str(space.dim),
        "stasis.layers": json.dumps([{"type": "linear", "bias": False}]), "stasis.backbone": "demo"})
    return stasis.Encoder.open(path)


w1 = rng.standard_normal((space.dim, 32))
v1 = export_head(1, w1)
# v2 is v1 plus a small perturbation, so it is compatible by construction here. Real model
# versions become compatible by being trained against the same fixed space (docs/spaces.md).
v2 = export_head(2, w1 + 0.05 * rng.standard_normal(w1.shape))
print(v1, "\n", v2)

# 3. The gallery, encoded once with v1.
features = rng.standard_normal((5000, 32)).astype(np.float32)
index = stasis.Index.for_space(space, "HNSW32")
index.add_features(v1, features, np.arange(5000))
print("gallery:", index.versions())

# 4. Queries from the newer model search the v1 gallery without re-encoding it.
queries = features[:200] + 0.01 * rng.standard_normal((200, 32)).astype(np.float32)
hits_v1 = index.search_features(v1, queries, 1).ids[:, 0]
hits_v2 = index.search_features(v2, queries, 1).ids[:, 0]
print(f"top-1 on the v1 gallery: v1 queries {np.mean(hits_v1 == np.arange(200)):.2f}, "
      f"v2 queries {np.mean(hits_v2 == np.arange(200)):.2f}")

# 5. An encoder from another space is refused, not silently mixed.
other = stasis.Space("orthoplex", 126)  # also 63 dimensions, different geometry
try:
    stasis.Index.for_space(other, "Flat").add_features(v1, features[:1], [0])
except stasis.IncompatibleError as error:
    print("refused:", error)
sys.exit(0 if np.mean(hits_v1 == np.arange(200)) > 0.9 else 1)

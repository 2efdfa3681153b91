"""Small encoder files for the scale-out tests (stasis.ray, stasis.milvus): one linear layer."""
import json

import numpy as np
from safetensors.numpy import save_file


def write_encoder(path, space, version, input_dim, seed):
    """A linear head ``input_dim -> space.dim`` of ``version`` in ``space``, written to ``path``."""
    rng = np.random.default_rng(seed)
    d = space.dim
    tensors = {"layers.0.weight": (rng.standard_normal((d, input_dim)) / np.sqrt(input_dim)).astype(np.float32),
               "layers.0.bias": (0.1 * rng.standard_normal(d)).astype(np.float32)}
    metadata = {"stasis.kind": "encoder", "stasis.format": "1", "stasis.space": space.fingerprint,
                "stasis.version": str(version), "stasis.input_dim": str(input_dim), "stasis.output_dim": str(d),
                "stasis.layers": json.dumps([{"type": "linear", "in": input_dim, "out": d, "bias": True}])}
    save_file(tensors, str(path), metadata=metadata)
    return str(path)


def features(n, dim, seed):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)

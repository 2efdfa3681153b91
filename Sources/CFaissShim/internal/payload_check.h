// Structural check of a serialized Faiss payload before faiss::read_index sees it.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace stasis_shim {

/// Walks `data` exactly as faiss::read_index (1.7.3) would for the index types Stasis writes
/// (IxFI flat; IHNf / IHNs HNSW over flat or SQ storage; IwFl, IwSQ / IwSq, IwPQ IVF over a flat
/// inner-product quantizer with array inverted lists) and throws faiss::FaissException naming the
/// first field that a search or Faiss's own reader would trust to its cost: every size against the
/// bytes left, every type code, dimension, metric, bool, PQ/SQ parameter, HNSW level, offset,
/// neighbour id (in range and present on the level that lists it), entry point, IVF list id and list
/// size. The checksum in the container guards against bit rot; this guards against a crafted file.
/// A payload that passes can be read and searched without reading out of bounds.
void check_payload(const uint8_t* data, size_t size);

}  // namespace stasis_shim

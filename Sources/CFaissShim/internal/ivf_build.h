// Train and add with the shim's nearest-centroid assignment (ivf_build.cpp, kmeans_assign.h).
#pragma once
#include <faiss/Index.h>

namespace stasis_shim {

/// Index::train, with Faiss's k-means assignment replaced by the shim's where it applies: the
/// coarse k-means of an IVF index over a flat quantizer (as IndexIVF::clustering_index) and the
/// PQ codebooks of IVF-PQ (as ProductQuantizer::assign_index). Both are installed for this call
/// only and removed on every exit, so the index never keeps a pointer to them (Faiss's files do
/// not store either field). The assignment is exact (Faiss's choice up to ties), so the trained
/// index is the one Faiss's own train makes.
void train_fast(faiss::Index& index, faiss::Index::idx_t n, const float* x);

/// IndexIVF::add for IVF-Flat, IVF-SQ and IVF-PQ over a flat quantizer: Faiss's add is "assign
/// each row to its nearest centroid, then add_core"; this does the assignment with
/// nearest_centroids. IVF-PQ with 8-bit codes over sub-vectors of fewer than 16 floats then
/// encodes with PqEncoder on `threads` threads and appends the codes as Faiss's add_core does
/// (the same codes, bit for bit); other storage goes to Faiss's add_core (IVF-PQ's on `threads`
/// OpenMP threads, Flat and SQ8 copies on one). Returns false, having done nothing, for any other
/// index (the caller then uses Faiss's add).
bool ivf_add_fast(faiss::Index& index, faiss::Index::idx_t n, const float* x, int threads);

}  // namespace stasis_shim

// Spherical k-means through Faiss's Clustering, for adapters that route by region of the source
// space (local adapters) and for anchor discovery in unpaired fits.
#include "faiss_shim.h"

#include "internal/guarded.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <omp.h>

#include <cstring>

using namespace stasis_shim;

int fshim_kmeans(int64_t d, int64_t n, const float* x, int64_t k, int iterations, uint64_t seed,
                 const float* initial, float* centroids, char* err) {
    return guarded(err, FSHIM_INVALID, [&] {
        faiss::ClusteringParameters parameters;
        parameters.niter = iterations;
        parameters.seed = static_cast<int>(seed & 0x7fffffff);
        parameters.spherical = true;  // unit centroids: rows are compared by cosine
        // Every row counts (no subsampling) and small samples are the caller's decision: the
        // adapter fit has already checked there are enough rows per cluster.
        parameters.min_points_per_centroid = 1;
        parameters.max_points_per_centroid = 1 << 30;
        parameters.verbose = false;
        faiss::Clustering clustering(static_cast<int>(d), static_cast<int>(k), parameters);
        if (initial) {
            // Faiss starts from centroids already present (and keeps updating them).
            clustering.centroids.assign(initial, initial + k * d);
        }
        faiss::IndexFlatIP assigner(d);
        omp_set_num_threads(1);  // assignment runs on BLAS, which has its own threads
        clustering.train(n, x, assigner);
        std::memcpy(centroids, clustering.centroids.data(), sizeof(float) * static_cast<size_t>(k * d));
    });
}

// Reading stored vectors back out of an index, for compaction (rebuilding without dead slots).
#include "faiss_shim.h"

#include "internal/guarded.h"
#include "internal/shim_index.h"

#include <faiss/IndexIVF.h>

using namespace stasis_shim;

int fshim_reconstruct(const fshim_index* index, int64_t n, const int64_t* keys, float* out, char* err) {
    return guarded(err, FSHIM_INVALID, [&] {
        const faiss::Index& source = *index->index;
        if (dynamic_cast<const faiss::IndexIVF*>(&source)) {
            // Faiss's IVF reconstruct needs a direct map (id -> list position) that would have to
            // be built on the shared index, which concurrent searches are reading.
            throw faiss::FaissException("IVF indexes cannot hand their vectors back");
        }
        const int64_t d = source.d;
        for (int64_t i = 0; i < n; i++) {
            if (keys[i] < 0 || keys[i] >= source.ntotal) {
                throw faiss::FaissException("slot out of range");
            }
            source.reconstruct(keys[i], out + i * d);
        }
    });
}

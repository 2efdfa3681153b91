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

#include <faiss/clone_index.h>
#include <faiss/invlists/InvertedLists.h>

#include <memory>

int fshim_ivf_compact(const fshim_index* index, const int64_t* new_slot, int64_t kept, fshim_index** out,
                      char* err) {
    *out = nullptr;
    return guarded(err, FSHIM_INVALID, [&] {
        const auto* source = dynamic_cast<const faiss::IndexIVF*>(index->index.get());
        if (!source) throw faiss::FaissException("not an IVF index");
        // Quantizer, codec tables and nprobe come from a clone; its lists are replaced by copies of
        // the live entries, codes untouched (so nothing is re-encoded) and ids renumbered.
        std::unique_ptr<faiss::Index> copy(faiss::clone_index(source));
        auto* target = dynamic_cast<faiss::IndexIVF*>(copy.get());
        if (!target) throw faiss::FaissException("clone is not an IVF index");
        const size_t code_size = source->code_size;
        auto* lists = new faiss::ArrayInvertedLists(source->nlist, code_size);
        target->replace_invlists(lists, true);
        for (size_t list = 0; list < source->nlist; list++) {
            const size_t size = source->invlists->list_size(list);
            if (size == 0) continue;
            faiss::InvertedLists::ScopedIds ids(source->invlists, list);
            faiss::InvertedLists::ScopedCodes codes(source->invlists, list);
            for (size_t j = 0; j < size; j++) {
                const int64_t old = ids[j];
                if (old < 0 || old >= source->ntotal) throw faiss::FaissException("list id out of range");
                if (new_slot[old] < 0) continue;
                lists->add_entry(list, new_slot[old], codes.get() + j * code_size);
            }
        }
        target->ntotal = kept;
        *out = new fshim_index(std::move(copy), index->kind);
    });
}

#include <faiss/IndexHNSW.h>
#include <faiss/IndexScalarQuantizer.h>

int fshim_hnsw_sq_empty_like(const fshim_index* index, fshim_index** out, char* err) {
    *out = nullptr;
    return guarded(err, FSHIM_INVALID, [&] {
        const auto* source = dynamic_cast<const faiss::IndexHNSW*>(index->index.get());
        const auto* codes = source ? dynamic_cast<const faiss::IndexScalarQuantizer*>(source->storage) : nullptr;
        if (!codes) throw faiss::FaissException("not an HNSW index over SQ codes");
        // Same dimension, metric, code type and links per node (M: the links of the levels
        // above 0); the quantizer's trained ranges are copied, so re-encoding a decoded vector
        // gives back its code (decode is the centre of the code's cell, encode truncates).
        const int m = source->hnsw.nb_neighbors(1);
        std::unique_ptr<faiss::IndexHNSWSQ> fresh(
            new faiss::IndexHNSWSQ(static_cast<int>(source->d), codes->sq.qtype, m, source->metric_type));
        auto* storage = dynamic_cast<faiss::IndexScalarQuantizer*>(fresh->storage);
        if (!storage) throw faiss::FaissException("the new index has no SQ storage");
        storage->sq.trained = codes->sq.trained;
        storage->is_trained = codes->is_trained;
        fresh->is_trained = source->is_trained;
        fresh->hnsw.efConstruction = source->hnsw.efConstruction;
        fresh->hnsw.efSearch = source->hnsw.efSearch;
        *out = new fshim_index(std::unique_ptr<faiss::Index>(fresh.release()), index->kind);
        (*out)->default_ef = index->default_ef;
    });
}

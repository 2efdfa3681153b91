// Faiss behind a C interface. See include/faiss_shim.h for the contract of each function.
#include "faiss_shim.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <cblas.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>

struct fshim_index {
    fshim_index(std::unique_ptr<faiss::Index> i, int k) : index(std::move(i)), kind(k) {
        if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get())) default_ef = hnsw->hnsw.efSearch;
    }
    std::unique_ptr<faiss::Index> index;
    int kind;
    /// efSearch used when a search passes none; what the file stores.
    int default_ef = 0;
    /// Faiss 1.7.3's HNSW ignores SearchParametersHNSW::efSearch and reads the index member, so
    /// a search needing another efSearch than the current one changes the member exclusively;
    /// searches agreeing with it (the common case: one setting per service) share the lock.
    mutable std::shared_mutex ef_mutex;
};

namespace {

using idx_t = faiss::Index::idx_t;

void set_message(char* err, const std::string& message) {
    if (!err) return;
    std::snprintf(err, FSHIM_ERR_LEN, "%s", message.c_str());
}

/// Faiss messages carry the source location of the failed check; keep only what a user can act on.
std::string faiss_reason(const faiss::FaissException& e) {
    // Shapes: "Error in FUNC at FILE:LINE: Error: 'COND' failed: MSG" or "Error in FUNC at FILE:LINE: MSG".
    std::string what = e.what();
    auto check = what.find("Error: ");
    if (check != std::string::npos) return what.substr(check + 7);
    auto location = what.find(" at ");
    if (what.rfind("Error in ", 0) == 0 && location != std::string::npos) {
        auto colon = what.find(": ", location);
        if (colon != std::string::npos) return what.substr(colon + 2);
    }
    return what;
}

/// Runs `body`, converting every exception to a shim code and message.
template <typename Body>
int guarded(char* err, int invalid_code, Body&& body) {
    try {
        body();
        return FSHIM_OK;
    } catch (const faiss::FaissException& e) {
        set_message(err, faiss_reason(e));
        return invalid_code;
    } catch (const std::bad_alloc&) {
        set_message(err, "out of memory");
        return FSHIM_NO_MEMORY;
    } catch (const std::exception& e) {
        set_message(err, e.what());
        return FSHIM_INTERNAL;
    } catch (...) {
        set_message(err, "unknown C++ exception");
        return FSHIM_INTERNAL;
    }
}

int classify(const faiss::Index* index) {
    if (dynamic_cast<const faiss::IndexHNSW*>(index)) return FSHIM_KIND_HNSW;
    if (dynamic_cast<const faiss::IndexIVF*>(index)) return FSHIM_KIND_IVF;
    if (dynamic_cast<const faiss::IndexFlat*>(index)) return FSHIM_KIND_FLAT;
    return 0;
}

/// Eligibility test over StasisCore's slot table; read-only, so safe across OpenMP threads.
struct SlotFilter final : faiss::IDSelector {
    explicit SlotFilter(const fshim_filter& f) : filter(f) {}
    bool is_member(idx_t label) const override {
        if (!filter.alive[label]) return false;
        return !filter.restrict_version || filter.versions[label] == filter.version;
    }
    fshim_filter filter;
};

/// Faiss pads missing results with -FLT_MAX; -inf says "no result" unambiguously.
void pad_missing(int64_t count, float* scores, const int64_t* labels) {
    for (int64_t i = 0; i < count; i++) {
        if (labels[i] < 0) scores[i] = -std::numeric_limits<float>::infinity();
    }
}

/// Reads a borrowed byte buffer without copying it (faiss::VectorIOReader would copy).
struct BorrowedReader final : faiss::IOReader {
    BorrowedReader(const uint8_t* d, size_t s) : data(d), size(s) {}
    size_t operator()(void* ptr, size_t item_size, size_t nitems) override {
        if (item_size == 0 || nitems == 0) return 0;
        size_t available = (size - position) / item_size;
        size_t count = nitems < available ? nitems : available;
        std::memcpy(ptr, data + position, count * item_size);
        position += count * item_size;
        return count;
    }
    const uint8_t* data;
    size_t size;
    size_t position = 0;
};

}  // namespace

extern "C" {

int fshim_create(int64_t dim, const char* factory, fshim_index** out, char* err) {
    *out = nullptr;
    return guarded(err, FSHIM_INVALID, [&] {
        std::unique_ptr<faiss::Index> index(
                faiss::index_factory(int(dim), factory, faiss::METRIC_INNER_PRODUCT));
        int kind = classify(index.get());
        if (kind == 0) {
            FAISS_THROW_FMT(
                    "factory '%s' builds an index type Stasis does not support "
                    "(use Flat, HNSW<M>[,Flat|SQ8], or IVF<n>,<Flat|PQ<m>|SQ8>)",
                    factory);
        }
        *out = new fshim_index(std::move(index), kind);
    });
}

void fshim_free(fshim_index* index) { delete index; }

int fshim_kind(const fshim_index* index) { return index->kind; }

int fshim_is_trained(const fshim_index* index) { return index->index->is_trained ? 1 : 0; }

int64_t fshim_ntotal(const fshim_index* index) { return index->index->ntotal; }

int fshim_train(fshim_index* index, int64_t n, const float* x, int threads, char* err) {
    return guarded(err, FSHIM_INVALID, [&] {
        omp_set_num_threads(threads);
        index->index->train(n, x);
    });
}

int fshim_add(fshim_index* index, int64_t n, const float* x, int threads, char* err) {
    if (!index->index->is_trained) {
        set_message(err, "index is not trained");
        return FSHIM_NOT_TRAINED;
    }
    return guarded(err, FSHIM_INVALID, [&] {
        omp_set_num_threads(threads);
        index->index->add(n, x);
    });
}

int fshim_search(const fshim_index* index, int64_t n, const float* x, int64_t k, int ef_search,
                 int nprobe, const fshim_filter* filter, float* scores, int64_t* labels,
                 int threads, char* err) {
    if (!index->index->is_trained) {
        set_message(err, "index is not trained");
        return FSHIM_NOT_TRAINED;
    }
    return guarded(err, FSHIM_INVALID, [&] {
        // Flat search is BLAS-bound: OpenBLAS brings its own threads, so OpenMP stays at one
        // to keep the two pools from fighting over the cores.
        omp_set_num_threads(index->kind == FSHIM_KIND_FLAT ? 1 : threads);
        std::unique_ptr<SlotFilter> selector;
        if (filter && filter->alive) selector.reset(new SlotFilter(*filter));

        faiss::SearchParametersHNSW hnsw_params;
        faiss::SearchParametersIVF ivf_params;
        faiss::SearchParameters plain_params;
        faiss::SearchParameters* params = nullptr;
        switch (index->kind) {
            case FSHIM_KIND_HNSW: {
                // The filter still travels in the parameters; efSearch goes through the member.
                auto* hnsw = static_cast<faiss::IndexHNSW*>(index->index.get());
                int wanted = ef_search > 0 ? ef_search : index->default_ef;
                hnsw_params.efSearch = wanted;
                hnsw_params.sel = selector.get();
                {
                    std::shared_lock<std::shared_mutex> shared(index->ef_mutex);
                    if (hnsw->hnsw.efSearch == wanted) {
                        hnsw->search(n, x, k, scores, labels, &hnsw_params);
                        return pad_missing(n * k, scores, labels);
                    }
                }
                std::unique_lock<std::shared_mutex> exclusive(index->ef_mutex);
                hnsw->hnsw.efSearch = wanted;
                hnsw->search(n, x, k, scores, labels, &hnsw_params);
                return pad_missing(n * k, scores, labels);
            }
            case FSHIM_KIND_IVF: {
                auto* ivf = static_cast<const faiss::IndexIVF*>(index->index.get());
                ivf_params.nprobe = nprobe > 0 ? size_t(nprobe) : ivf->nprobe;
                ivf_params.max_codes = ivf->max_codes;
                params = &ivf_params;
                break;
            }
            default:
                params = selector ? &plain_params : nullptr;
        }
        if (params) params->sel = selector.get();
        index->index->search(n, x, k, scores, labels, params);
        pad_missing(n * k, scores, labels);
    });
}

int fshim_serialize(const fshim_index* index, uint8_t** data, size_t* size, char* err) {
    *data = nullptr;
    *size = 0;
    return guarded(err, FSHIM_INTERNAL, [&] {
        faiss::VectorIOWriter writer;
        if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index->index.get())) {
            // Store the default, not whatever efSearch the last search left in the member.
            std::unique_lock<std::shared_mutex> exclusive(index->ef_mutex);
            hnsw->hnsw.efSearch = index->default_ef;
            faiss::write_index(index->index.get(), &writer);
        } else {
            faiss::write_index(index->index.get(), &writer);
        }
        auto* buffer = static_cast<uint8_t*>(std::malloc(writer.data.size() ? writer.data.size() : 1));
        if (!buffer) throw std::bad_alloc();
        std::memcpy(buffer, writer.data.data(), writer.data.size());
        *data = buffer;
        *size = writer.data.size();
    });
}

void fshim_buffer_free(uint8_t* data) { std::free(data); }

int fshim_deserialize(const uint8_t* data, size_t size, fshim_index** out, char* err) {
    *out = nullptr;
    return guarded(err, FSHIM_CORRUPT, [&] {
        BorrowedReader reader(data, size);
        std::unique_ptr<faiss::Index> index(faiss::read_index(&reader));
        int kind = classify(index.get());
        if (kind == 0 || index->metric_type != faiss::METRIC_INNER_PRODUCT) {
            FAISS_THROW_MSG("payload holds an index type or metric Stasis does not support");
        }
        if (reader.position != size) {
            FAISS_THROW_FMT("payload has %zu trailing bytes", size - reader.position);
        }
        *out = new fshim_index(std::move(index), kind);
    });
}

void fshim_set_blas_threads(int threads) { openblas_set_num_threads(threads); }

int fshim_num_procs(void) { return omp_get_num_procs(); }

}  // extern "C"

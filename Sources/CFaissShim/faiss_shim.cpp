// Faiss behind a C interface. See include/faiss_shim.h for the contract of each function.
#include "faiss_shim.h"

#include "internal/fast_flat.h"
#include "internal/guarded.h"
#include "internal/hnsw_build.h"
#include "internal/huge_pages.h"
#include "internal/payload_check.h"
#include "internal/ivf_build.h"
#include "internal/shim_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

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

fshim_index::fshim_index(std::unique_ptr<faiss::Index> i, int k) : index(std::move(i)), kind(k) {
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get())) {
        default_ef = hnsw->hnsw.efSearch;
        // Graph construction computes its distances through the storage: make them ours.
        stasis_shim::adopt_fast_storage(*hnsw);
    }
}

namespace {

using idx_t = faiss::Index::idx_t;
using stasis_shim::guarded;
using stasis_shim::set_message;

int classify(const faiss::Index* index) {
    if (dynamic_cast<const faiss::IndexHNSW*>(index)) return FSHIM_KIND_HNSW;
    if (dynamic_cast<const faiss::IndexIVF*>(index)) return FSHIM_KIND_IVF;
    if (dynamic_cast<const faiss::IndexFlat*>(index)) return FSHIM_KIND_FLAT;
    return 0;
}

/// Whether a payload's large arrays are worth reading onto huge pages: an HNSW index's ("IHN.")
/// rows and neighbour lists, which searches read at random (opened 1M x 384 HNSW32: 5-18 % more
/// QPS, for 1.2-1.8 s more open time on this VM). A Flat or IVF search reads its arrays in
/// sequence, where 4 KiB pages cost little, so they keep the cheaper open.
bool wants_huge_pages(const uint8_t* data, size_t size) {
    return size >= 4 && data[0] == 'I' && data[1] == 'H' && data[2] == 'N';
}

/// Reads a borrowed byte buffer without copying it (faiss::VectorIOReader would copy).
struct BorrowedReader final : faiss::IOReader {
    BorrowedReader(const uint8_t* d, size_t s) : data(d), size(s), huge(wants_huge_pages(d, s)) {}
    size_t operator()(void* ptr, size_t item_size, size_t nitems) override {
        if (item_size == 0 || nitems == 0) return 0;
        size_t available = (size - position) / item_size;
        size_t count = nitems < available ? nitems : available;
        if (huge && count * item_size >= stasis_shim::huge_read_min_bytes)
            stasis_shim::rehome_on_huge_pages(ptr, count * item_size);
        std::memcpy(ptr, data + position, count * item_size);
        position += count * item_size;
        return count;
    }
    const uint8_t* data;
    size_t size;
    size_t position = 0;
    const bool huge;
};

/// Drops the resident pages wholly inside [begin, end) of a private read-only file mapping; the
/// bytes stay readable (they fault back in from the file). Best effort: a failing madvise only
/// leaves the pages resident.
void release_mapped(const uint8_t* begin, const uint8_t* end) {
    static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t first = (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
    uintptr_t last = reinterpret_cast<uintptr_t>(end) & ~(page - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

/// A BorrowedReader over a file mapping that copies in bounded chunks and drops every page it
/// has passed, so the mapping never holds more than one chunk resident while Faiss builds its
/// copy: peak memory is Faiss's index plus a chunk, not twice the payload.
struct ReleasingReader final : faiss::IOReader {
    static constexpr size_t chunk = size_t{8} << 20;
    ReleasingReader(const uint8_t* d, size_t s) : data(d), size(s), huge(wants_huge_pages(d, s)) {}
    size_t operator()(void* ptr, size_t item_size, size_t nitems) override {
        if (item_size == 0 || nitems == 0) return 0;
        size_t available = (size - position) / item_size;
        size_t count = nitems < available ? nitems : available;
        size_t bytes = count * item_size;
        auto* target = static_cast<uint8_t*>(ptr);
        // A large read of an HNSW payload fills its rows or neighbour lists, read at random by
        // searches: on huge pages (see internal/huge_pages.h).
        if (huge && bytes >= stasis_shim::huge_read_min_bytes) stasis_shim::rehome_on_huge_pages(target, bytes);
        for (size_t done = 0; done < bytes;) {
            size_t step = bytes - done < chunk ? bytes - done : chunk;
            std::memcpy(target + done, data + position, step);
            done += step;
            position += step;
            if (position - released >= chunk) {
                release_mapped(data + released, data + position);
                released = position;
            }
        }
        return count;
    }
    const uint8_t* data;
    size_t size;
    size_t position = 0;
    size_t released = 0;
    const bool huge;
};

/// Turns off Faiss's polysemous training for PQ codebooks before they are trained. index_factory
/// asks for it on every "IVF..,PQ<m>" (unless the factory says "np"); it only permutes the trained
/// centroids so that Hamming distance between codes approximates the PQ distance, for the
/// polysemous pre-filter of search (polysemous_ht > 0). Stasis never sets polysemous_ht (searches
/// run with 0, both the shim's own PQ scan and Faiss's), so the permutation buys nothing: every
/// code is relabelled consistently and the PQ distances, hence the results, are the same. Its
/// annealing is what dominated IVF-PQ training (67% in cost_update, 31% in libgcc's software
/// popcount: Debian's libfaiss.a is built without -mpopcnt). Files are unaffected: the format
/// stores the centroids whatever their order, and files trained with the permutation open and
/// search as before.
void skip_polysemous_training(faiss::Index& index) {
    // IVF-PQ is the only PQ index Stasis builds (HNSW over PQ and bare PQ are refused by the
    // factory check); IndexIVFPQR derives from it.
    if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(&index)) ivfpq->do_polysemous_training = false;
}

fshim_index* read_checked(faiss::IOReader& reader, const size_t& position, size_t size) {
    std::unique_ptr<faiss::Index> index(faiss::read_index(&reader));
    int kind = classify(index.get());
    if (kind == 0 || index->metric_type != faiss::METRIC_INNER_PRODUCT) {
        FAISS_THROW_MSG("payload holds an index type or metric Stasis does not support");
    }
    if (position != size) {
        FAISS_THROW_FMT("payload has %zu trailing bytes", size - position);
    }
    return new fshim_index(std::move(index), kind);
}

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
        // k-means assigns with BLAS: OpenMP stays at one thread (see fshim_set_blas_threads).
        (void)threads;
        omp_set_num_threads(1);
        skip_polysemous_training(*index->index);
        // Coarse and PQ k-means assignment through the shim's assigners (ivf_build.cpp).
        stasis_shim::train_fast(*index->index, n, x);
    });
}

int fshim_train_faiss(fshim_index* index, int64_t n, const float* x, int threads, char* err) {
    return guarded(err, FSHIM_INVALID, [&] {
        (void)threads;
        omp_set_num_threads(1);
        // Same as fshim_train but for the assignment, so tests compare exactly that.
        skip_polysemous_training(*index->index);
        index->index->train(n, x);
    });
}

int fshim_add(fshim_index* index, int64_t n, const float* x, int threads, char* err) {
    if (!index->index->is_trained) {
        set_message(err, "index is not trained");
        return FSHIM_NOT_TRAINED;
    }
    return guarded(err, FSHIM_INVALID, [&] {
        auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index->index.get());
        if (hnsw && stasis_shim::hnsw_build_applies(*hnsw)) {
            // The shim's own construction on its own threads; no BLAS involved.
            stasis_shim::hnsw_add(*hnsw, n, x, nullptr, threads);
            return;
        }
        // Faiss's HNSW construction is OpenMP work without BLAS; IVF assignment is BLAS work.
        omp_set_num_threads(index->kind == FSHIM_KIND_HNSW ? threads : 1);
        // IVF over a flat quantizer: the rows' lists from the shim's assignment (ivf_build.cpp).
        if (stasis_shim::ivf_add_fast(*index->index, n, x, threads)) return;
        index->index->add(n, x);
    });
}

int fshim_add_faiss(fshim_index* index, int64_t n, const float* x, int threads, char* err) {
    if (!index->index->is_trained) {
        set_message(err, "index is not trained");
        return FSHIM_NOT_TRAINED;
    }
    return guarded(err, FSHIM_INVALID, [&] {
        omp_set_num_threads(index->kind == FSHIM_KIND_HNSW ? threads : 1);
        index->index->add(n, x);
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
        // Faiss's reader trusts sizes and parameters it reads (a zero PQ m divides by zero while
        // reading, a neighbour id out of range crashes the first search): check them first.
        stasis_shim::check_payload(data, size);
        BorrowedReader reader(data, size);
        *out = read_checked(reader, reader.position, size);
    });
}

int fshim_deserialize_mapped(const uint8_t* data, size_t size, fshim_index** out, char* err) {
    *out = nullptr;
    return guarded(err, FSHIM_CORRUPT, [&] {
        stasis_shim::check_payload(data, size);
        // The check touched some pages (HNSW neighbour lists, IVF list sizes): drop them before
        // Faiss's copy starts growing.
        release_mapped(data, data + size);
        ReleasingReader reader(data, size);
        *out = read_checked(reader, reader.position, size);
    });
}

void fshim_set_blas_threads(int threads) { openblas_set_num_threads(threads); }

int fshim_num_procs(void) { return omp_get_num_procs(); }

}  // extern "C"

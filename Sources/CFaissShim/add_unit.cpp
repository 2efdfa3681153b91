// fshim_add_unit: every index type's add straight from the caller's rows, normalised in the shim.
//
// The copy path (UnitRows, then fshim_add) holds a normalised copy of the whole batch next to the
// index while Faiss adds it: for 1M x 384 that is 1.5 GB on top of the index (twice the Flat
// payload for HNSW32, more than the index itself for SQ8 and PQ storage). Here the rows are
// checked first (so a bad row still refuses the batch before anything is stored), then handed to
// the index normalised piece by piece, or, for the shim's HNSW construction, normalised where it
// reads them. Arithmetic as in UnitRows (internal/unit_rows.h): the result is bit-identical to the
// copy path, and the tests compare the two.
#include "faiss_shim.h"

#include "internal/guarded.h"
#include "internal/hnsw_build.h"
#include "internal/parallel.h"
#include "internal/shim_index.h"
#include "internal/unit_rows.h"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissAssert.h>

#include <algorithm>
#include <atomic>
#include <vector>

using namespace stasis_shim;

namespace {

/// scales[i] = unit_scale of row i for every row; returns the first refused row, or n.
int64_t check_rows(int64_t n, const float* x, size_t d, int threads, float* scales) {
    std::atomic<int64_t> first_bad{n};
    parallel_chunks(n, unit_row_threads(d, threads), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) {
            if (i >= first_bad.load(std::memory_order_relaxed)) return;
            scales[i] = unit_scale(x + size_t(i) * d, d);
            if (scales[i] == 0) {
                lower_to(first_bad, i);
                return;
            }
        }
    });
    return first_bad.load();
}

}  // namespace

extern "C" {

int fshim_add_unit(fshim_index* index, int64_t n, const float* x, int threads, int64_t* bad_row, char* err) {
    *bad_row = -1;
    if (index->kind == FSHIM_KIND_FLAT) return fshim_flat_add_unit(index, n, x, threads, bad_row, err);
    if (!index->index->is_trained) {
        set_message(err, "index is not trained");
        return FSHIM_NOT_TRAINED;
    }
    if (n <= 0) return FSHIM_OK;
    const size_t d = size_t(index->index->d);
    std::vector<float> scales;
    bool linked = false;
    int code = guarded(err, FSHIM_INVALID, [&] {
        scales.resize(size_t(n));
        const int64_t bad = check_rows(n, x, d, threads, scales.data());
        if (bad < n) {
            *bad_row = bad;
            FAISS_THROW_FMT("row %lld has no finite, non-zero norm", static_cast<long long>(bad));
        }
        auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index->index.get());
        if (hnsw && hnsw_build_applies(*hnsw)) {
            hnsw_add(*hnsw, n, x, scales.data(), threads);
            linked = true;
        }
    });
    if (code != FSHIM_OK || linked) return code;

    // Other types through fshim_add, one normalised piece at a time. Adding in pieces gives what
    // one add gives for IVF (each row is assigned and encoded on its own); an HNSW that Faiss
    // links itself would link differently, so it gets the whole batch as one piece.
    const int64_t piece = index->kind == FSHIM_KIND_HNSW ? n : std::min(n, unit_piece_rows(d));
    std::vector<float> unit;
    code = guarded(err, FSHIM_INVALID, [&] { unit.resize(size_t(piece) * d); });
    for (int64_t start = 0; code == FSHIM_OK && start < n; start += piece) {
        const int64_t rows = std::min(piece, n - start);
        parallel_chunks(rows, unit_row_threads(d, threads), [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; i++)
                scale_row(x + size_t(start + i) * d, scales[size_t(start + i)], unit.data() + size_t(i) * d, d);
        });
        code = fshim_add(index, rows, unit.data(), threads, err);
    }
    return code;
}

}  // extern "C"

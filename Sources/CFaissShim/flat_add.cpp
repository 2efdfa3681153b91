// fshim_flat_add_unit: the Flat add in one pass over the caller's array.
//
// The copy path (UnitRows, then IndexFlat::add) read the caller's rows three times and wrote them
// twice (a Swift copy, normalisation in place, Faiss's append) on one thread. Here each row is
// checked, scaled and written straight into the storage's tail on the shim's threads. The
// arithmetic is UnitRows's (internal/unit_rows.h), so the stored values are bit-identical to the
// copy path; the tests compare the two.
#include "faiss_shim.h"

#include "internal/guarded.h"
#include "internal/parallel.h"
#include "internal/shim_index.h"
#include "internal/unit_rows.h"

#include <faiss/IndexFlat.h>
#include <faiss/impl/FaissAssert.h>

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels answer EINVAL, which is harmless here
#endif

namespace {

/// Pieces the new tail's pages are faulted in by: whole transparent huge pages (2 MiB).
constexpr uintptr_t kPiece = uintptr_t(4) << 20;
constexpr uintptr_t kHugePage = uintptr_t(2) << 20;

/// Grows `codes` by `extra` bytes (zeros, as resize gives). A fresh tail of a large batch is
/// mostly page faults and the kernel zeroing the pages, on one thread in resize's memset (the
/// wheel's add is that plus a memcpy): here the pages are faulted in first on `threads` threads
/// (madvise MADV_POPULATE_WRITE over disjoint pieces), so the memset runs on resident memory.
/// Capacity still grows geometrically, so repeated small adds stay amortised O(1) per row.
void grow_storage(std::vector<uint8_t>& codes, size_t extra, int threads) {
    const size_t needed = codes.size() + extra;
    if (needed > codes.capacity()) codes.reserve(std::max(needed, 2 * codes.capacity()));
    if (threads > 1 && extra >= 2 * kPiece) {
        const uintptr_t first = reinterpret_cast<uintptr_t>(codes.data() + codes.size());
        const uintptr_t last = reinterpret_cast<uintptr_t>(codes.data() + needed);
        const uintptr_t begin = (first + kHugePage - 1) & ~(kHugePage - 1);
        const uintptr_t end = last & ~(kHugePage - 1);
        if (end > begin) {
            const int64_t pieces = int64_t((end - begin + kPiece - 1) / kPiece);
            stasis_shim::parallel_chunks(pieces, threads, [&](int64_t p0, int64_t p1) {
                const uintptr_t a = begin + uintptr_t(p0) * kPiece;
                const uintptr_t b = std::min(end, begin + uintptr_t(p1) * kPiece);
                (void)madvise(reinterpret_cast<void*>(a), b - a, MADV_POPULATE_WRITE);
            });
        }
    }
    codes.resize(needed);
}

}  // namespace

extern "C" {

int fshim_flat_add_unit(fshim_index* index, int64_t n, const float* x, int threads, int64_t* bad_row, char* err) {
    *bad_row = -1;
    return stasis_shim::guarded(err, FSHIM_INVALID, [&] {
        auto* flat = dynamic_cast<faiss::IndexFlat*>(index->index.get());
        if (!flat || index->kind != FSHIM_KIND_FLAT || flat->code_size != size_t(flat->d) * sizeof(float)) {
            FAISS_THROW_MSG("the fused add applies to Flat indexes only");
        }
        if (n <= 0) return;
        const size_t d = size_t(flat->d);
        const size_t old_bytes = flat->codes.size();
        grow_storage(flat->codes, size_t(n) * flat->code_size, threads);
        float* out = reinterpret_cast<float*>(flat->codes.data() + old_bytes);
        const int workers = stasis_shim::unit_row_threads(d, threads);

        std::atomic<int64_t> first_bad{n};
        stasis_shim::parallel_chunks(n, workers, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; i++) {
                // Rows past a refused one are not needed: the whole batch is refused.
                if (i >= first_bad.load(std::memory_order_relaxed)) return;
                const float* src = x + size_t(i) * d;
                const float scale = stasis_shim::unit_scale(src, d);
                if (scale == 0) {
                    stasis_shim::lower_to(first_bad, i);
                    return;
                }
                stasis_shim::scale_row(src, scale, out + size_t(i) * d, d);
            }
        });
        const int64_t bad = first_bad.load();
        if (bad < n) {
            flat->codes.resize(old_bytes);  // nothing stored
            *bad_row = bad;
            FAISS_THROW_FMT("row %lld has no finite, non-zero norm", static_cast<long long>(bad));
        }
        flat->ntotal += n;
    });
}

}  // extern "C"

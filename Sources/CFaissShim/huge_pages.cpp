// Huge-page advice for search-heavy arrays (see internal/huge_pages.h).
#include "internal/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace stasis_shim {

void advise_huge_pages(const void* p, size_t bytes) {
    const uintptr_t huge = uintptr_t(2) << 20;
    uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + huge - 1) & ~(huge - 1);
    uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(huge - 1);
    if (end <= begin) return;
    void* start = reinterpret_cast<void*>(begin);
    if (madvise(start, end - begin, MADV_HUGEPAGE) != 0) return;
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
    (void)madvise(start, end - begin, MADV_COLLAPSE);
}

void rehome_on_huge_pages(void* p, size_t bytes) {
    const uintptr_t huge = uintptr_t(2) << 20;
    uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + huge - 1) & ~(huge - 1);
    uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(huge - 1);
    if (end <= begin) return;
    void* start = reinterpret_cast<void*>(begin);
    if (madvise(start, end - begin, MADV_DONTNEED) != 0) return;
    (void)madvise(start, end - begin, MADV_HUGEPAGE);
}

}  // namespace stasis_shim

// Huge-page advice for search-heavy arrays (see internal/huge_pages.h).
#include "internal/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace stasis_shim {
namespace {

/// The 2 MiB-aligned interior of [p, p + bytes): the part huge pages can back. Empty when none.
struct HugeSpan {
    void* start = nullptr;
    size_t bytes = 0;
};

HugeSpan huge_interior(const void* p, size_t bytes) {
    const uintptr_t huge = uintptr_t(2) << 20;
    uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + huge - 1) & ~(huge - 1);
    uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(huge - 1);
    if (end <= begin) return {};
    return {reinterpret_cast<void*>(begin), size_t(end - begin)};
}

}  // namespace

void advise_huge_pages(const void* p, size_t bytes) {
    const HugeSpan span = huge_interior(p, bytes);
    if (span.bytes == 0 || madvise(span.start, span.bytes, MADV_HUGEPAGE) != 0) return;
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
    (void)madvise(span.start, span.bytes, MADV_COLLAPSE);
}

void rehome_on_huge_pages(void* p, size_t bytes) {
    const HugeSpan span = huge_interior(p, bytes);
    if (span.bytes == 0 || madvise(span.start, span.bytes, MADV_DONTNEED) != 0) return;
    (void)madvise(span.start, span.bytes, MADV_HUGEPAGE);
}

}  // namespace stasis_shim

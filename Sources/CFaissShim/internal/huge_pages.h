// Transparent huge pages for the arrays construction and search read at random (huge_pages.cpp).
#pragma once
#include <cstddef>

namespace stasis_shim {

/// Asks the kernel to back the 2 MiB-aligned interior of [p, p + bytes) with huge pages, now
/// (MADV_COLLAPSE, Linux 6.1+; older kernels ignore the request and leave it to khugepaged).
/// HNSW construction and search read rows and neighbour lists at random: with 4 KiB pages nearly
/// every row is a TLB miss, and a page walk under virtualisation costs more than the row's dot
/// product. Advice only: failures change nothing but speed.
void advise_huge_pages(const void* p, size_t bytes);

/// Makes [p, p + bytes), which the caller is about to overwrite entirely, fault back in on huge
/// pages: its 2 MiB-aligned interior is dropped (MADV_DONTNEED; anonymous private memory reads
/// back as zeros) and advised MADV_HUGEPAGE, so the overwrite allocates 2 MiB pages directly.
/// For the arrays Faiss reads from a payload (rows, HNSW neighbour lists), which it has just
/// zero-filled in 4 KiB pages: an opened 1M x 384 HNSW32 then searched 5-18 % faster, and no
/// collapse copies its 1.7 GB afterwards (MADV_COLLAPSE there added 1.3-2.3 s to the open).
/// Only for memory from malloc/new (never a file mapping). Advice only: if the kernel refuses,
/// the pages come back as zero-filled 4 KiB pages and the overwrite proceeds as before.
void rehome_on_huge_pages(void* p, size_t bytes);

/// Reads of at least this many bytes in one piece get rehome_on_huge_pages on their destination.
constexpr size_t huge_read_min_bytes = size_t(8) << 20;

}  // namespace stasis_shim

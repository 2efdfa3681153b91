// Runs a batch of independent queries on up to `threads` threads: the caller plus short-lived
// std::threads. OpenMP pragmas are not an option here (Swift's clang compiles this target without
// -fopenmp), and a per-call pool keeps no global state to get wrong across fork() or unloading.
#pragma once
#include <cstdint>
#include <functional>

namespace stasis_shim {

/// Calls body(begin, end) on disjoint chunks covering [0, n). Chunks are handed out dynamically
/// so uneven query costs (filters, early termination) balance. The first exception thrown by any
/// chunk is rethrown on the caller after every thread has finished. If a thread cannot be
/// started, the remaining threads (at least the caller) do the work.
void parallel_chunks(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& body);

}  // namespace stasis_shim

// Runs a batch of independent queries on up to `threads` threads: the caller plus short-lived
// std::threads. OpenMP pragmas are not an option here (Swift's clang compiles this target without
// -fopenmp), and a per-call pool keeps no global state to get wrong across fork() or unloading.
#pragma once
#include <cstdint>
#include <type_traits>

namespace stasis_shim {

/// A chunk callback without std::function's heap allocation.
using ChunkCallback = void (*)(void* context, int64_t begin, int64_t end);

/// Threaded part of parallel_chunks (parallel.cpp).
void run_chunks(int64_t n, int threads, ChunkCallback callback, void* context);

/// Calls body(begin, end) on disjoint chunks covering [0, n). Chunks are handed out dynamically
/// so uneven query costs (filters, early termination) balance. The first exception thrown by any
/// chunk is rethrown on the caller after every thread has finished. If a thread cannot be
/// started, the remaining threads (at least the caller) do the work. One thread, or one item,
/// runs inline on the caller with no allocation (the single-query path).
template <typename Body>
void parallel_chunks(int64_t n, int threads, Body&& body) {
    if (n <= 0) return;
    if (threads <= 1 || n == 1) return body(int64_t(0), n);
    using Plain = std::remove_reference_t<Body>;
    run_chunks(n, threads, [](void* context, int64_t begin, int64_t end) {
        (*static_cast<Plain*>(context))(begin, end);
    }, const_cast<void*>(static_cast<const void*>(&body)));
}

}  // namespace stasis_shim

#include "internal/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace stasis_shim {

void run_chunks(int64_t n, int threads, ChunkCallback callback, void* context) {
    if (n <= 0) return;
    int64_t workers = std::min<int64_t>(std::max(threads, 1), n);
    if (workers == 1) return callback(context, 0, n);

    // Small chunks balance load; not so small that the shared counter becomes the bottleneck.
    const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(16, n / (workers * 8)));
    std::atomic<int64_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto work = [&] {
        try {
            for (;;) {
                int64_t begin = next.fetch_add(chunk);
                if (begin >= n) return;
                callback(context, begin, std::min(n, begin + chunk));
            }
        } catch (...) {
            std::lock_guard<std::mutex> lock(failure_mutex);
            if (!failure) failure = std::current_exception();
            next.store(n);  // stop handing out work
        }
    };

    std::vector<std::thread> helpers;
    try {
        helpers.reserve(size_t(workers - 1));
        for (int64_t t = 1; t < workers; t++) helpers.emplace_back(work);
    } catch (...) {
        // Could not start every thread (resource limits): the ones running and the caller finish.
    }
    work();
    for (auto& helper : helpers) helper.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace stasis_shim

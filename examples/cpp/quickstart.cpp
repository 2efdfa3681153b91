// Stasis quick start in C++: build an index, search it, save it, reopen it.
//
//   c++ -std=c++17 examples/cpp/quickstart.cpp $(pkg-config --cflags --libs stasis) -o quickstart && ./quickstart
//
// Handles free themselves; a failing call throws stasis::Error with the status and the message.
#include <stasis.hpp>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "quickstart.stasis";
    const int64_t dim = 64, n = 10000, k = 5;
    try {
        stasis::check_abi();
        std::printf("libstasis %s\n", stasis::version().c_str());

        // Gallery vectors from "model version 1" (random here; embeddings in a real service).
        std::mt19937 rng(1);
        std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
        std::vector<float> gallery(static_cast<std::size_t>(n * dim));
        for (float& value : gallery) value = uniform(rng);
        std::vector<int64_t> ids(static_cast<std::size_t>(n));
        for (int64_t i = 0; i < n; i++) ids[static_cast<std::size_t>(i)] = 100000 + i;

        std::vector<int64_t> first_hits;
        {
            stasis::Index index = stasis::Index::create(dim, "HNSW32");
            index.add(gallery, ids, 1);

            // Search the first three gallery items: each should find itself with cosine 1.
            std::vector<float> queries(gallery.begin(), gallery.begin() + 3 * dim);
            stasis::SearchResult hits = index.search(queries, k, stasis::SearchOptions().with_ef_search(64));
            for (int64_t q = 0; q < hits.n; q++) {
                std::printf("query %lld -> id %lld (score %.3f, model version %u)\n", static_cast<long long>(q),
                            static_cast<long long>(hits.id(q, 0)), hits.score(q, 0), hits.version(q, 0));
                first_hits.push_back(hits.id(q, 0));
            }
            index.save(path);
        }  // the index is freed here

        // Reopen and check the answer is unchanged; a bad call throws, it never crashes.
        stasis::Index reopened = stasis::Index::open(path);
        std::vector<float> first(gallery.begin(), gallery.begin() + dim);
        stasis::SearchResult again = reopened.search(first, k, stasis::SearchOptions().with_ef_search(64));
        std::printf("reopened %s: %lld vectors, first hit %lld\n", path.c_str(),
                    static_cast<long long>(reopened.count()), static_cast<long long>(again.id(0, 0)));
        try {
            std::vector<float> wrong(gallery.begin(), gallery.begin() + dim + 1);
            float scores[k];
            int64_t hit_ids[k];
            reopened.search(1, dim + 1, wrong.data(), k, nullptr, scores, hit_ids, nullptr);
        } catch (const stasis::Error& e) {
            std::printf("searching with the wrong dimension: %s (%s)\n", e.status_string(), e.what());
        }
        return again.id(0, 0) == first_hits[0] ? 0 : 1;
    } catch (const stasis::Error& e) {
        std::fprintf(stderr, "stasis error %d (%s): %s\n", e.status(), e.status_string(), e.what());
        return 1;
    }
}

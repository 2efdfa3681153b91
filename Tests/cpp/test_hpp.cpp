// Tests of include/stasis.hpp, the C++ interface: move-only handles that free themselves, errors
// as stasis::Error with the library's status and message, and one pass over every handle type.
// Built by scripts/test.sh as C++17 and as C++20 (which adds the std::span overloads).
// Usage: test_hpp SCRATCH_DIR   (exit status 0 when every check passes)
#include "stasis.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

int checks = 0, failures = 0;
std::string scratch = "/tmp";

#define CHECK(cond)                                                                   \
    do {                                                                              \
        checks++;                                                                     \
        if (!(cond)) {                                                                \
            failures++;                                                               \
            std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                             \
    } while (0)

// `body` throws stasis::Error with `expected` status and a message containing `needle`.
#define CHECK_THROWS(body, expected, needle)                                          \
    do {                                                                              \
        checks++;                                                                     \
        try {                                                                         \
            body;                                                                     \
            failures++;                                                               \
            std::fprintf(stderr, "FAIL %s:%d: %s did not throw\n", __FILE__, __LINE__, #body); \
        } catch (const stasis::Error& e) {                                            \
            if (e.status() != (expected) || std::strstr(e.what(), (needle)) == nullptr) { \
                failures++;                                                           \
                std::fprintf(stderr, "FAIL %s:%d: %s threw status %d (%s): %s\n", __FILE__, __LINE__, \
                             #body, e.status(), e.status_string(), e.what());         \
            }                                                                         \
        }                                                                             \
    } while (0)

// Every handle class is move-only with noexcept moves.
template <class T>
constexpr bool move_only() {
    return !std::is_copy_constructible<T>::value && !std::is_copy_assignable<T>::value &&
           std::is_nothrow_move_constructible<T>::value && std::is_nothrow_move_assignable<T>::value &&
           std::is_nothrow_destructible<T>::value;
}
static_assert(move_only<stasis::Index>(), "Index is move-only");
static_assert(move_only<stasis::Space>(), "Space is move-only");
static_assert(move_only<stasis::Encoder>(), "Encoder is move-only");
static_assert(move_only<stasis::Report>(), "Report is move-only");
static_assert(move_only<stasis::Adapter>(), "Adapter is move-only");
static_assert(move_only<stasis::Gallery>(), "Gallery is move-only");
static_assert(move_only<stasis::BackfillPlan>(), "BackfillPlan is move-only");
static_assert(std::is_base_of<std::runtime_error, stasis::Error>::value, "Error is a runtime_error");

constexpr int64_t DIM = 16;

// Deterministic vectors in [-0.5, 0.5).
std::vector<float> random_rows(int64_t n, int64_t dim, uint64_t seed) {
    std::vector<float> out(static_cast<std::size_t>(n * dim));
    for (float& value : out) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        value = static_cast<float>((seed >> 40) & 0xFFFFFF) / static_cast<float>(0x1000000) - 0.5f;
    }
    return out;
}

std::vector<int64_t> id_range(int64_t first, int64_t n) {
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < n; i++) ids.push_back(first + i);
    return ids;
}

void test_library() {
    CHECK(stasis::version() == STASIS_VERSION);
    CHECK(stasis::version_number() == STASIS_VERSION_NUMBER);
    stasis::check_abi();
    CHECK_THROWS(stasis::set_num_threads(-2), STASIS_ERROR_INVALID_ARGUMENT, "-2");
    stasis::set_num_threads(1);
    CHECK(stasis::num_threads() == 1);
    stasis::set_num_threads(0);
    CHECK(stasis::num_threads() >= 1);
    CHECK(!stasis::kernel_name().empty());
    stasis::set_flat_prefilter(false);
    CHECK(!stasis::flat_prefilter_enabled());
    stasis::set_flat_prefilter(true);
    CHECK(stasis::flat_prefilter_enabled());
    stasis::Error error(STASIS_ERROR_NOT_FOUND, "");
    CHECK(std::string(error.what()) == "not found");  // an empty message falls back to the status text
}

void test_index_moves() {
    std::vector<float> x = random_rows(100, DIM, 1);
    stasis::Index index = stasis::Index::create(DIM, "Flat");
    index.add(x, id_range(1000, 100), 1);

    stasis::Index moved(std::move(index));
    CHECK(!index);  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
    CHECK(moved && moved.count() == 100);
    // A call on an empty object reaches the library with NULL: an exception, never a crash.
    CHECK_THROWS(index.count(), STASIS_ERROR_INVALID_ARGUMENT, "index");

    stasis::Index other = stasis::Index::create(DIM, "HNSW16");
    other = std::move(moved);  // frees the HNSW index, takes the Flat one
    CHECK(!moved && other.count() == 100 && other.factory() == "Flat");

    std::vector<stasis::Index> many;
    for (int i = 0; i < 5; i++) many.push_back(stasis::Index::create(DIM));  // reallocation moves them
    CHECK(many.size() == 5 && many[0] && many[4]);

    stasis_index* raw = other.release();
    CHECK(!other && raw != nullptr);
    int64_t count = 0;
    CHECK(stasis_index_count(raw, &count) == STASIS_OK && count == 100);
    stasis::Index adopted(raw);  // ownership back to an object, freed at scope end
    CHECK(adopted.dimension() == DIM);
}

void test_index_search_and_errors() {
    std::vector<float> x = random_rows(200, DIM, 2);
    std::vector<float> y = random_rows(50, DIM, 3);
    stasis::Index index = stasis::Index::create(DIM, "HNSW32");
    CHECK(index.factory() == "HNSW32" && index.is_trained() && !index.space());
    index.add(x, id_range(0, 200), 1);
    index.add(y, id_range(500, 50), 2);
    CHECK(index.count() == 250 && index.count(2) == 50);
    std::vector<stasis::VersionCount> versions = index.versions();
    CHECK(versions.size() == 2 && versions[0].version == 1 && versions[1].count == 50);

    std::vector<float> queries(x.begin(), x.begin() + 3 * DIM);
    stasis::SearchResult hits = index.search(queries, 5, stasis::SearchOptions().with_ef_search(64));
    CHECK(hits.n == 3 && hits.k == 5);
    for (int64_t q = 0; q < 3; q++) CHECK(hits.id(q, 0) == q && std::fabs(hits.score(q, 0) - 1.0f) < 1e-4f);
    CHECK(hits.version(0, 0) == 1);
    stasis::SearchResult only2 = index.search(queries, 4, stasis::SearchOptions().with_version(2));
    for (int64_t j = 0; j < 4; j++) CHECK(only2.version(0, j) == 2 && only2.id(0, j) >= 500);

    // Bad input: the library's status and message arrive in the exception.
    float scores[5];
    int64_t ids[5];
    CHECK_THROWS(index.search(1, DIM + 1, x.data(), 5, nullptr, scores, ids, nullptr),
                 STASIS_ERROR_DIMENSION_MISMATCH, "17");
    CHECK_THROWS(index.search(queries, 0), STASIS_ERROR_INVALID_ARGUMENT, "k");
    CHECK_THROWS(index.search(queries, -3), STASIS_ERROR_INVALID_ARGUMENT, "-3");
    CHECK_THROWS(index.search(queries, INT64_MAX / 2), STASIS_ERROR_INVALID_ARGUMENT, "overflow");
    CHECK_THROWS(index.add(random_rows(2, DIM + 1, 4), {1, 2}, 1), STASIS_ERROR_DIMENSION_MISMATCH, "17");
    // A buffer that is not a whole number of rows is refused before the library is called.
    CHECK_THROWS(index.search(std::vector<float>(DIM + 1, 0.5f), 5), STASIS_ERROR_DIMENSION_MISMATCH, "17 floats");
    CHECK_THROWS(index.add(std::vector<float>(10, 0.5f), {1, 2, 3}, 1), STASIS_ERROR_DIMENSION_MISMATCH, "3 rows");
    CHECK_THROWS(index.remove({999999}), STASIS_ERROR_NOT_FOUND, "999999");
    CHECK(index.count() == 250);  // failed calls changed nothing
    CHECK_THROWS(stasis::Index::create(DIM, "NoSuchIndex"), STASIS_ERROR_INVALID_ARGUMENT, "NoSuchIndex");
    CHECK_THROWS(stasis::Index::open(scratch + "/missing/none.stasis"), STASIS_ERROR_IO, "No such file");
    CHECK_THROWS(stasis::Space::open(scratch + "/missing.safetensors"), STASIS_ERROR_IO, "missing.safetensors");
    CHECK_THROWS(stasis::Encoder::open(scratch + "/missing.safetensors"), STASIS_ERROR_IO, "missing.safetensors");

    index.remove({0, 1});
    stasis::Lookup found = index.lookup({0, 2, 500});
    CHECK(found.found[0] == 0 && found.found[1] == 1 && found.versions[2] == 2);

    std::string path = scratch + "/test_hpp.stasis";
    index.save(path);
    CHECK(stasis::Index::inspect(path).find("\"count\"") != std::string::npos);
    stasis::Index reopened = stasis::Index::open(path);
    CHECK(reopened.count() == 248);
    stasis::SearchResult again = reopened.search(std::vector<float>(x.begin() + 2 * DIM, x.begin() + 3 * DIM), 1);
    CHECK(again.id(0, 0) == 2);

    // A corrupt file: the status says so.
    std::FILE* file = std::fopen((scratch + "/corrupt.stasis").c_str(), "wb");
    std::fputs("definitely not an index", file);
    std::fclose(file);
    CHECK_THROWS(stasis::Index::open(scratch + "/corrupt.stasis"), STASIS_ERROR_CORRUPT_FILE, "");
}

// One index shared by searching threads while this thread adds and removes (the library's
// reader-writer lock); a thread whose calls fail gets its own message in its own exceptions.
void test_threads() {
    std::vector<float> x = random_rows(600, DIM, 41);
    stasis::Index index = stasis::Index::create(DIM, "HNSW16");
    index.add(std::vector<float>(x.begin(), x.begin() + 300 * DIM), id_range(0, 300), 1);
    int failures_seen[3] = {0, 0, 0};
    bool messages_ok = true;
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; t++) {
        readers.emplace_back([&, t] {
            std::vector<float> queries(x.begin() + t * 8 * DIM, x.begin() + (t + 1) * 8 * DIM);
            for (int round = 0; round < 40; round++) {
                try {
                    stasis::SearchResult hits = index.search(queries, 5);
                    for (int64_t id : hits.ids)
                        if (id < -1 || id >= 600) failures_seen[t]++;
                } catch (const stasis::Error&) {
                    failures_seen[t]++;
                }
                if (t == 2) {  // this thread also fails on purpose: its message is its own
                    try {
                        (void)index.search(queries, -7);
                    } catch (const stasis::Error& e) {
                        if (std::strstr(e.what(), "-7") == nullptr) messages_ok = false;
                    }
                }
            }
        });
    }
    for (int64_t start = 300; start < 600; start += 50) {
        index.add(std::vector<float>(x.begin() + start * DIM, x.begin() + (start + 50) * DIM), id_range(start, 50), 2);
        index.remove(id_range(start - 300, 5));
    }
    for (std::thread& reader : readers) reader.join();
    CHECK(failures_seen[0] == 0 && failures_seen[1] == 0 && failures_seen[2] == 0 && messages_ok);
    CHECK(index.count() == 600 - 30 && index.count(2) == 300);
}

// Separable clusters: class c centred on 3 e_c plus deterministic noise.
void make_classes(int64_t n, int64_t dim, int64_t classes, uint64_t seed, std::vector<float>& x,
                  std::vector<int64_t>& labels) {
    x = random_rows(n, dim, seed);
    labels.clear();
    for (int64_t i = 0; i < n; i++) {
        labels.push_back(i % classes);
        x[static_cast<std::size_t>(i * dim + i % classes)] += 3.0f;
    }
}

void test_space_train_encoder() {
    stasis::Space space = stasis::Space::create("simplex", 8);
    CHECK(space.kind() == "simplex" && space.class_count() == 8 && space.dimension() == 7);
    CHECK(space.vertices().size() == 56 && space.fingerprint().size() == 16);
    CHECK(space.max_cosine() < 0);

    std::vector<float> x;
    std::vector<int64_t> labels;
    make_classes(160, 12, 4, 5, x, labels);

    stasis::TrainOptions options;
    options.epochs = 3;
    options.seed = 7;
    int epochs_seen = 0;
    options.on_progress = [&](const stasis_train_progress& p) {
        if (p.end_of_epoch) epochs_seen = p.epoch;
        return true;
    };
    stasis::Encoder v1 = stasis::train(space, x, labels, 1, options);
    CHECK(epochs_seen == 3);
    CHECK(v1.input_dimension() == 12 && v1.output_dimension() == 7 && v1.version() == 1);
    CHECK(v1.space() == space.fingerprint() && space.label_count() == 4);
    CHECK(v1.metadata("stasis.training").has_value() && !v1.metadata("no.such.key").has_value());
    CHECK(v1.feature().kind == "raw");
    std::vector<int64_t> vertices = space.lookup(std::vector<int64_t>{0, 3, 99});
    CHECK(vertices[0] >= 0 && vertices[1] >= 0 && vertices[2] == -1);

    // Cancelling through the callback, and an exception thrown by it: nothing assigned.
    stasis::TrainOptions cancel = options;
    cancel.on_progress = [](const stasis_train_progress&) { return false; };
    CHECK_THROWS(stasis::train(space, x, std::vector<int64_t>(labels.size(), 50), 2, cancel),
                 STASIS_ERROR_CANCELLED, "");
    stasis::TrainOptions throwing = options;
    throwing.on_progress = [](const stasis_train_progress&) -> bool { throw std::logic_error("from the callback"); };
    bool rethrown = false;
    try {
        (void)stasis::train(space, x, std::vector<int64_t>(labels.size(), 51), 2, throwing);
    } catch (const std::logic_error& e) {
        rethrown = std::string(e.what()) == "from the callback";
    }
    CHECK(rethrown && space.label_count() == 4);

    std::vector<float> encoded = v1.encode(std::vector<float>(x.begin(), x.begin() + 2 * 12));
    CHECK(encoded.size() == 14);
    CHECK_THROWS(v1.encode(std::vector<float>(13, 0.1f)), STASIS_ERROR_DIMENSION_MISMATCH, "13 floats");

    std::string path = scratch + "/test_hpp_v1.safetensors";
    v1.save(path);
    stasis::Encoder reopened = stasis::Encoder::open(path);
    CHECK(reopened.version() == 1 && stasis::Encoder::inspect(path).find("encoder") != std::string::npos);
    space.save(scratch + "/test_hpp_space.safetensors");
    CHECK(stasis::Space::open(scratch + "/test_hpp_space.safetensors").label_count() == 4);

    // An index bound to the space, fed with backbone features.
    stasis::Index index = stasis::Index::create(space, "Flat");
    CHECK(index.space() == space.fingerprint());
    index.add_features(v1, x, id_range(0, 160));
    stasis::SearchResult hits = index.search_features(v1, std::vector<float>(x.begin(), x.begin() + 12), 3);
    CHECK(hits.version(0, 0) == 1 && hits.score(0, 0) > 0.99f);
    CHECK_THROWS(index.search_features(v1, std::vector<float>(x.begin(), x.begin() + 12), 0),
                 STASIS_ERROR_INVALID_ARGUMENT, "k");
}

void test_adapter_and_evaluate() {
    std::vector<float> old_rows, new_rows;
    std::vector<int64_t> labels;
    make_classes(120, 8, 4, 11, old_rows, labels);
    make_classes(120, 8, 4, 12, new_rows, labels);
    stasis::AdapterOptions options;
    options.seed = 3;
    stasis::Adapter backward = stasis::Adapter::fit("procrustes", 2, 1, new_rows, 8, old_rows, 8, options);
    CHECK(backward.kind() == "procrustes" && backward.versions().first == 2 && backward.dimensions().second == 8);
    CHECK(backward.validation().validation_pairs > 0);
    CHECK(backward.apply(std::vector<float>(new_rows.begin(), new_rows.begin() + 16)).size() == 16);
    CHECK_THROWS(stasis::Adapter::fit("quadratic", 2, 1, new_rows, 8, old_rows, 8), STASIS_ERROR_INVALID_ARGUMENT, "quadratic");
    // A chain with a gap: v2 -> v1 then v2 -> v1 again.
    CHECK_THROWS(stasis::apply_chain({&backward, &backward}, new_rows, 8, 8), STASIS_ERROR_INCOMPATIBLE, "");

    stasis::Report report = stasis::evaluate(
        {1, 2}, {stasis::labelled(old_rows, labels), stasis::labelled(new_rows, labels)});
    stasis::CompatibilityMatrix matrix = report.matrix();
    CHECK(matrix.t == 2 && matrix.versions[1] == 2 && matrix.at(0, 0) > 0.5 && std::isnan(matrix.at(0, 1)));
    stasis::GateVerdict verdict = report.gate(2, {1}, -1.0);
    CHECK(verdict.passed && verdict.json.find("passed") != std::string::npos);
    CHECK(report.json().find("matrix") != std::string::npos);
    CHECK_THROWS(report.gate(2, {7}), STASIS_ERROR_INVALID_ARGUMENT, "7");

    stasis::RetrievalMetrics metrics = stasis::retrieval_metrics(stasis::labelled(old_rows, labels), nullptr, {1, 5});
    CHECK(metrics.recall.size() == 2 && metrics.top1 == metrics.recall[0]);
    double m[4] = {0.8, 0.0, 0.7, 0.9};
    stasis::CompatibilityMetrics summary = stasis::compatibility_metrics(2, m);
    CHECK(summary.ac == 0.0 && std::fabs(summary.bc - (0.7 - 0.8)) < 1e-12);
}

void test_gallery_and_backfill() {
    stasis::Gallery gallery = stasis::Gallery::create();
    gallery.register_version(1, DIM, "shared");
    gallery.register_version(2, DIM, "shared");
    std::vector<float> x = random_rows(40, DIM, 21);
    gallery.upsert(x, id_range(0, 40), 1);
    CHECK(gallery.count() == 40 && gallery.count(1) == 40);
    stasis::SearchResult hits = gallery.search(std::vector<float>(x.begin(), x.begin() + DIM), DIM, 1, 3, false);
    CHECK(hits.id(0, 0) == 0);
    CHECK_THROWS(gallery.search(std::vector<float>(x.begin(), x.begin() + DIM), DIM, 9, 3),
                 STASIS_ERROR_NOT_FOUND, "9");

    stasis::BackfillPlan plan = stasis::BackfillPlan::random(gallery, 1, 2, 5);
    CHECK(plan.length() == 40 && plan.order().size() == 40);
    std::vector<int64_t> batch = plan.next_batch(gallery, 8);
    CHECK(batch.size() == 8);
    std::vector<float> rows;
    for (int64_t id : batch)
        rows.insert(rows.end(), x.begin() + id * DIM, x.begin() + (id + 1) * DIM);
    gallery.upsert(rows, batch, 2);
    stasis::BackfillProgress progress = plan.progress(gallery);
    CHECK(progress.done == 8 && progress.remaining == 32);
    CHECK(gallery.versions_of({batch[0], 999})[1] == -1);

    gallery.save(scratch + "/test_hpp_gallery");
    CHECK(stasis::Gallery::open(scratch + "/test_hpp_gallery").count(2) == 8);
    plan.save(scratch + "/test_hpp_plan.json");
    CHECK(stasis::BackfillPlan::open(scratch + "/test_hpp_plan.json").length() == 40);
}

#ifdef STASIS_HPP_HAS_SPAN
void test_spans() {
    std::vector<float> x = random_rows(30, DIM, 31);
    stasis::Index index = stasis::Index::create(DIM);
    std::vector<int64_t> ids = id_range(0, 30);
    index.add(std::span<const float>(x), std::span<const int64_t>(ids), 4);
    float scores[2 * 3];
    int64_t hits[2 * 3];
    uint32_t versions[2 * 3];
    index.search(std::span<const float>(x.data(), 2 * DIM), 3, scores, hits, versions);
    CHECK(hits[0] == 0 && hits[3] == 1 && versions[0] == 4);
    CHECK_THROWS(index.search(std::span<const float>(x.data(), 2 * DIM), 4, scores, hits),
                 STASIS_ERROR_INVALID_ARGUMENT, "search: scores");
    stasis::SearchResult result = index.search(std::span<const float>(x.data() + DIM, DIM), 2);
    CHECK(result.id(0, 0) == 1);
}
#endif

}  // namespace

void test_wal_and_compaction() {
    std::string path = std::string(scratch) + "/hpp-wal.stasis", log = std::string(scratch) + "/hpp-wal.log";
    std::remove(log.c_str());
    std::vector<float> x = random_rows(40, DIM, 9);
    {
        stasis::Index index = stasis::Index::create(DIM, "Flat");
        index.save(path);
        stasis_wal_options options = STASIS_WAL_OPTIONS_INIT;
        options.sync_mode = STASIS_WAL_SYNC_OFF;
        index.enable_wal(log, &options);
        index.add(x, id_range(0, 40), 1);
        index.remove({0, 1, 2});
        CHECK(index.wal_sequence() == 2);
    }
    stasis::Index back = stasis::Index::open(path);
    back.enable_wal(log);
    CHECK(back.count() == 37 && back.wal_sequence() == 2);
    std::pair<int64_t, int64_t> reclaimed = back.compact();
    CHECK(reclaimed.first == 3 && reclaimed.second > 0);
    back.checkpoint(path);
    back.disable_wal();
    // HNSW over SQ codes compacts too (decoded, re-encoded to the same codes); empty: nothing.
    stasis::Index sq = stasis::Index::create(DIM, "HNSW16,SQ8");
    CHECK(sq.compact() == std::make_pair(int64_t{0}, int64_t{0}));
}

int main(int argc, char** argv) {
    if (argc > 1) scratch = argv[1];
    try {
        test_library();
        test_index_moves();
        test_index_search_and_errors();
        test_threads();
        test_space_train_encoder();
        test_adapter_and_evaluate();
        test_gallery_and_backfill();
        test_wal_and_compaction();
#ifdef STASIS_HPP_HAS_SPAN
        test_spans();
#endif
    } catch (const stasis::Error& e) {
        std::fprintf(stderr, "FAIL: unexpected stasis::Error %d (%s): %s\n", e.status(), e.status_string(), e.what());
        return 1;
    }
    std::printf("C++%s wrapper: %d checks, %d failures\n", __cplusplus >= 202002L ? "20" : "17", checks, failures);
    return failures == 0 ? 0 : 1;
}

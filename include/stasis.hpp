/*
 * stasis.hpp: a header-only C++17 interface over the C interface in stasis.h.
 *
 * Nothing here adds behaviour: every call forwards to one stasis_* function of stasis.h, whose
 * comment stays the reference for what the call does, which inputs it refuses and what may run
 * concurrently. This header only changes how C++ code holds handles and sees errors:
 *
 *  - Handles. Every opaque handle type of stasis.h has one class here (Index, Space, Encoder,
 *    Report, Adapter, Gallery, BackfillPlan). Objects are move-only: copying is deleted because
 *    two owners would free the handle twice; moving is noexcept and leaves the source empty
 *    (operator bool is false); the destructor calls the matching stasis_*_free. A call on an
 *    empty object passes NULL to the library, which throws Error(STASIS_ERROR_INVALID_ARGUMENT),
 *    never undefined behaviour. get() and release() reach the C handle for code that mixes both
 *    interfaces.
 *  - Errors. A failing call throws stasis::Error, a std::runtime_error whose status() is the
 *    stasis_status and whose what() is the library's message (stasis_last_error(), copied at
 *    once, so it stays valid). As in the C interface, a failed call changes nothing.
 *    The few checks this header makes itself (a buffer that is not a whole number of rows, output
 *    spans too small) throw the same Error with STASIS_ERROR_DIMENSION_MISMATCH or
 *    STASIS_ERROR_INVALID_ARGUMENT before the library is called. The std::vector forms allocate
 *    their results first, so an absurd size (k = 10^12) gives std::bad_alloc or std::length_error
 *    from the allocation rather than the library's message; the pointer forms never allocate.
 *  - Buffers. Every compute call has a pointer + count form that mirrors the C function and
 *    writes into caller buffers (the hot path), and a std::vector form that allocates its
 *    results. Compiled as C++20 (__cplusplus >= 202002L), std::span forms are offered as well.
 *    Inputs are borrowed for the duration of the call only.
 *  - Threads. Each class repeats the thread-safety rule of its C handle. Moving or destroying an
 *    object must not race with calls on it, exactly as stasis_*_free must not.
 *
 * Link with -lstasis (pkg-config --cflags --libs stasis); the header needs C++17.
 */
#ifndef STASIS_HPP
#define STASIS_HPP

#include "stasis.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if __cplusplus >= 202002L
#include <span>
/** Defined to 1 when the std::span overloads are available (compiled as C++20 or later). */
#define STASIS_HPP_HAS_SPAN 1
#endif

namespace stasis {

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/**
 * What every failing call throws: the stasis_status (status()) and the library's message naming
 * the offending value (what()). One type for every status, so callers branch on status() with
 * the STASIS_ERROR_* macros instead of catching a hierarchy. Copyable; thread-safe to read.
 */
class Error : public std::runtime_error {
  public:
    /** An error with `status` and `message`; an empty message is replaced by the status text. */
    Error(stasis_status status, const std::string& message)
        : std::runtime_error(message.empty() ? std::string(stasis_status_string(status)) : message),
          status_(status) {}

    /** The STASIS_ERROR_* code of the failed call. */
    stasis_status status() const noexcept { return status_; }

    /** Short static description of status() ("invalid argument"). */
    const char* status_string() const noexcept { return stasis_status_string(status_); }

  private:
    stasis_status status_;
};

namespace detail {

/** Throws Error carrying `status` and the calling thread's last message, unless STASIS_OK. */
inline void check(stasis_status status) {
    if (status != STASIS_OK) throw Error(status, stasis_last_error());
}

/** Takes a string the library allocated, copies it and frees the original (even on throw). */
inline std::string take_string(char* owned) {
    std::unique_ptr<char, void (*)(char*)> guard(owned, stasis_string_free);
    return owned ? std::string(owned) : std::string();
}

/** A string the library owns (valid until its handle is freed), copied; "" for NULL. */
inline std::string copy_string(const char* borrowed) { return borrowed ? borrowed : ""; }

/** Number of rows in `floats` values of width `dim`; throws when it is not a whole number. */
inline int64_t row_count(std::size_t floats, int64_t dim, const char* what) {
    if (dim <= 0)
        throw Error(STASIS_ERROR_INVALID_ARGUMENT,
                    std::string(what) + ": row width must be positive, got " + std::to_string(dim));
    if (floats % static_cast<std::size_t>(dim) != 0)
        throw Error(STASIS_ERROR_DIMENSION_MISMATCH,
                    std::string(what) + ": " + std::to_string(floats) +
                        " floats are not a whole number of rows of dimension " + std::to_string(dim));
    return static_cast<int64_t>(floats / static_cast<std::size_t>(dim));
}

/** Width of the rows in `floats` values that hold `rows` rows (one row per id or label). */
inline int64_t row_width(std::size_t floats, std::size_t rows, const char* what) {
    if (rows == 0) {
        if (floats != 0)
            throw Error(STASIS_ERROR_INVALID_ARGUMENT,
                        std::string(what) + ": " + std::to_string(floats) + " floats for 0 rows");
        return 0;
    }
    if (floats % rows != 0)
        throw Error(STASIS_ERROR_DIMENSION_MISMATCH,
                    std::string(what) + ": " + std::to_string(floats) + " floats for " +
                        std::to_string(rows) + " rows is not a whole row each");
    return static_cast<int64_t>(floats / rows);
}

/** Throws unless an output buffer holds at least `needed` values. */
inline void require_capacity(std::size_t have, int64_t needed, const char* what) {
    if (needed < 0 || have < static_cast<std::size_t>(needed))
        throw Error(STASIS_ERROR_INVALID_ARGUMENT, std::string(what) + " holds " + std::to_string(have) +
                                                       " values, the call writes " + std::to_string(needed));
}

/** NUL-terminated pointers into `labels`, valid while `labels` lives unchanged. */
inline std::vector<const char*> c_strings(const std::vector<std::string>& labels) {
    std::vector<const char*> out;
    out.reserve(labels.size());
    for (const std::string& label : labels) out.push_back(label.c_str());
    return out;
}

/**
 * Owner of one C handle: move-only, frees with `Free` (which accepts NULL). The base of every
 * handle class; moving is noexcept and leaves the source empty.
 */
template <class T, void (*Free)(T*)>
class Handle {
  public:
    /** An empty object (no handle); calls on it throw STASIS_ERROR_INVALID_ARGUMENT. */
    Handle() noexcept = default;
    /** Takes ownership of `raw` (may be NULL). */
    explicit Handle(T* raw) noexcept : raw_(raw) {}
    /** Copying is deleted: two owners would free the handle twice. */
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    /** Takes `other`'s handle and leaves `other` empty. */
    Handle(Handle&& other) noexcept : raw_(other.raw_) { other.raw_ = nullptr; }
    /** Frees the handle held so far, then takes `other`'s and leaves `other` empty. */
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            Free(raw_);
            raw_ = other.raw_;
            other.raw_ = nullptr;
        }
        return *this;
    }
    /** Frees the handle with its stasis_*_free (a no-op when empty). */
    ~Handle() { Free(raw_); }

    /** The C handle, still owned by this object (NULL when empty). */
    T* get() const noexcept { return raw_; }
    /** Gives up ownership: the caller frees the returned handle with its stasis_*_free. */
    T* release() noexcept {
        T* raw = raw_;
        raw_ = nullptr;
        return raw;
    }
    /** True when the object holds a handle (false after a move or release). */
    explicit operator bool() const noexcept { return raw_ != nullptr; }

  protected:
    T* raw_ = nullptr;
};

}  // namespace detail

/* ------------------------------------------------------------------------------------------ */
/* Library: versions, threads, kernels                                                        */
/* ------------------------------------------------------------------------------------------ */

/** Library version "MAJOR.MINOR.PATCH" of the loaded .so (stasis_version). Thread-safe. */
inline std::string version() { return stasis_version(); }

/** Library version as a number (stasis_version_number). Thread-safe. */
inline int version_number() noexcept { return stasis_version_number(); }

/** ABI version of the loaded library (stasis_abi_version). Thread-safe. */
inline int abi_version() noexcept { return stasis_abi_version(); }

/**
 * Throws Error(STASIS_ERROR_UNSUPPORTED) when the loaded library's ABI differs from the header's
 * STASIS_ABI_VERSION; call once at start-up. Thread-safe.
 */
inline void check_abi() {
    if (stasis_abi_version() != STASIS_ABI_VERSION)
        throw Error(STASIS_ERROR_UNSUPPORTED, "libstasis ABI " + std::to_string(stasis_abi_version()) +
                                                  " differs from the header's ABI " +
                                                  std::to_string(STASIS_ABI_VERSION));
}

/** Static description of a status code (stasis_status_string). Thread-safe. */
inline const char* status_string(stasis_status status) noexcept { return stasis_status_string(status); }

/**
 * Threads of parallel operations, shared by Faiss and OpenBLAS; 0 = every processor
 * (stasis_set_num_threads). Throws STASIS_ERROR_INVALID_ARGUMENT for a negative or implausibly
 * large count. Call it at start-up or between batches: OpenBLAS resizes its pool process-wide.
 */
inline void set_num_threads(int threads) { detail::check(stasis_set_num_threads(threads)); }

/** Threads parallel operations will use (stasis_get_num_threads). Thread-safe. */
inline int num_threads() noexcept { return stasis_get_num_threads(); }

/** Forces (true) or releases (false) the portable distance kernels (stasis_set_portable_kernels).
 *  Affects operations that start afterwards. Thread-safe. */
inline void set_portable_kernels(bool portable) {
    detail::check(stasis_set_portable_kernels(portable ? 1 : 0));
}

/** Kernels operations starting now will use: "avx512", "avx2" or "portable". Thread-safe. */
inline std::string kernel_name() { return stasis_kernel_name(); }

/** Allows (true, the default) or stops Flat searches through an 8-bit copy of the vectors
 *  (stasis_set_flat_prefilter: exact results, a quarter of the vectors' memory). Thread-safe. */
inline void set_flat_prefilter(bool enabled) { detail::check(stasis_set_flat_prefilter(enabled ? 1 : 0)); }

/** Whether Flat searches may use 8-bit copies (stasis_flat_prefilter_enabled). Thread-safe. */
inline bool flat_prefilter_enabled() noexcept { return stasis_flat_prefilter_enabled() != 0; }

/* ------------------------------------------------------------------------------------------ */
/* Options: the C structs with their defaults already set                                     */
/* ------------------------------------------------------------------------------------------ */

/**
 * stasis_search_options with struct_size set and every field at its default; change fields
 * directly or with the setters. Passed by pointer to the library; owns nothing.
 */
struct SearchOptions : stasis_search_options {
    SearchOptions() noexcept : stasis_search_options() { struct_size = sizeof(stasis_search_options); }
    /** HNSW beam width for this search (0 = the index default). */
    SearchOptions& with_ef_search(int32_t value) noexcept {
        ef_search = value;
        return *this;
    }
    /** IVF lists visited per query (0 = the index default). */
    SearchOptions& with_nprobe(int32_t value) noexcept {
        nprobe = value;
        return *this;
    }
    /** Only vectors stamped with model `only` are eligible. */
    SearchOptions& with_version(uint32_t only) noexcept {
        filter_version = 1;
        version = only;
        return *this;
    }
};

/**
 * stasis_adapter_options with struct_size set and every field at its default. The
 * source_space / target_space pointers are read during stasis_adapter_fit only.
 */
struct AdapterOptions : stasis_adapter_options {
    AdapterOptions() noexcept : stasis_adapter_options() { struct_size = sizeof(stasis_adapter_options); }
};

/**
 * stasis_evaluate_options with struct_size set and every field at its default. Its pointers
 * (metric, ks, title, reference_*) are read during stasis_evaluate only; keep what they point to
 * alive until the call returns.
 */
struct EvaluateOptions : stasis_evaluate_options {
    EvaluateOptions() noexcept : stasis_evaluate_options() { struct_size = sizeof(stasis_evaluate_options); }
};

/**
 * stasis_train_options initialised with STASIS_TRAIN_OPTIONS_INIT, plus an optional C++
 * progress callback. `on_progress` runs on the training thread after every epoch (and every
 * progress_interval steps); returning false cancels the run (Error with STASIS_ERROR_CANCELLED).
 * An exception thrown by the callback cancels the run and is rethrown from train() unchanged,
 * since no exception may cross the library's frames. When on_progress is set it replaces the
 * raw `progress` / `progress_user_data` fields.
 */
struct TrainOptions : stasis_train_options {
    TrainOptions() noexcept : stasis_train_options(defaults()) {}
    /** Optional progress callback: return true to continue, false to cancel. */
    std::function<bool(const stasis_train_progress&)> on_progress;

  private:
    static stasis_train_options defaults() noexcept {
        stasis_train_options init = STASIS_TRAIN_OPTIONS_INIT;
        return init;
    }
};

/* ------------------------------------------------------------------------------------------ */
/* Results                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/**
 * n x k search hits, row-major and best first: scores (cosine, or calibrated score for a
 * gallery; -INFINITY where missing), ids (-1 where missing) and model versions (0 where missing).
 */
struct SearchResult {
    int64_t n = 0;
    int64_t k = 0;
    std::vector<float> scores;
    std::vector<int64_t> ids;
    std::vector<uint32_t> versions;

    /** Score of hit `j` of query `i`. */
    float score(int64_t i, int64_t j) const { return scores.at(static_cast<std::size_t>(i * k + j)); }
    /** Id of hit `j` of query `i` (-1 when missing). */
    int64_t id(int64_t i, int64_t j) const { return ids.at(static_cast<std::size_t>(i * k + j)); }
    /** Model version of hit `j` of query `i` (0 when missing). */
    uint32_t version(int64_t i, int64_t j) const { return versions.at(static_cast<std::size_t>(i * k + j)); }

    /** Buffers for n x k hits, filled with the "missing" markers. A non-positive n or k gives
     *  empty buffers (the library then reports the bad value); n x k beyond int64 throws. */
    static SearchResult sized(int64_t n, int64_t k) {
        if (n > 0 && k > 0 && n > INT64_MAX / k)
            throw Error(STASIS_ERROR_INVALID_ARGUMENT, std::to_string(n) + " queries x k = " + std::to_string(k) +
                                                           " results overflow; split the batch");
        SearchResult result;
        result.n = n;
        result.k = k;
        std::size_t cells = n > 0 && k > 0 ? static_cast<std::size_t>(n) * static_cast<std::size_t>(k) : 0;
        result.scores.assign(cells, 0.0f);
        result.ids.assign(cells, -1);
        result.versions.assign(cells, 0);
        return result;
    }
};

/** A model version present in an index and its vector count. */
struct VersionCount {
    uint32_t version = 0;
    int64_t count = 0;
};

/** stasis_index_lookup's answer per id: found (1/0) and the model version (0 when absent). */
struct Lookup {
    std::vector<uint8_t> found;
    std::vector<uint32_t> versions;
};

class Space;
class Encoder;

/* ------------------------------------------------------------------------------------------ */
/* Space                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/**
 * A stationary space (stasis_space): K class vertices in dimension d and the append-only label
 * registry. Thread safety: every call may run concurrently on one space; label assignment is
 * serialised by the library. Move-only; destroying frees the handle (stasis_space_free).
 */
class Space : public detail::Handle<stasis_space, stasis_space_free> {
  public:
    using Handle::Handle;

    /** Builds a space of `kind` ("simplex", "orthoplex", "cube", "spherical-code") with `classes`
     *  vertices (stasis_space_create). Throws STASIS_ERROR_INVALID_ARGUMENT for a bad kind or size. */
    static Space create(const std::string& kind, int64_t classes, int64_t dim = 0, uint64_t seed = 0) {
        stasis_space* out = nullptr;
        detail::check(stasis_space_create(kind.c_str(), classes, dim, seed, &out));
        return Space(out);
    }

    /** Opens a saved space (stasis_space_open). Throws STASIS_ERROR_IO, _CORRUPT_FILE, ... */
    static Space open(const std::string& path) {
        stasis_space* out = nullptr;
        detail::check(stasis_space_open(path.c_str(), &out));
        return Space(out);
    }

    /** A space file's metadata as JSON without loading the vertices (stasis_space_inspect). */
    static std::string inspect(const std::string& path) {
        char* json = nullptr;
        detail::check(stasis_space_inspect(path.c_str(), &json));
        return detail::take_string(json);
    }

    /** Saves vertices and registry atomically (stasis_space_save). Throws STASIS_ERROR_IO. */
    void save(const std::string& path) const { detail::check(stasis_space_save(raw_, path.c_str())); }

    /** Kind name ("simplex", ...). */
    std::string kind() const {
        const char* out = nullptr;
        detail::check(stasis_space_kind(raw_, &out));
        return detail::copy_string(out);
    }

    /** Fingerprint over (kind, K, d, vertices): 16 hex digits. */
    std::string fingerprint() const {
        const char* out = nullptr;
        detail::check(stasis_space_fingerprint(raw_, &out));
        return detail::copy_string(out);
    }

    /** K, the number of pre-allocated class vertices. */
    int64_t class_count() const {
        int64_t out = 0;
        detail::check(stasis_space_class_count(raw_, &out));
        return out;
    }

    /** d, the vertex dimension. */
    int64_t dimension() const {
        int64_t out = 0;
        detail::check(stasis_space_dimension(raw_, &out));
        return out;
    }

    /** Largest cosine between two distinct vertices. */
    double max_cosine() const {
        double out = 0;
        detail::check(stasis_space_max_cosine(raw_, &out));
        return out;
    }

    /** The K x d vertex matrix, row-major (stasis_space_vertices). */
    std::vector<float> vertices() const {
        int64_t capacity = class_count() * dimension();
        std::vector<float> out(static_cast<std::size_t>(capacity));
        detail::check(stasis_space_vertices(raw_, capacity, out.data()));
        return out;
    }

    /** Number of labels assigned so far. */
    int64_t label_count() const {
        int64_t out = 0;
        detail::check(stasis_space_label_count(raw_, &out));
        return out;
    }

    /** Vertices of n integer labels, assigning free vertices to new labels, all or nothing
     *  (stasis_space_assign_ids). Throws STASIS_ERROR_UNSUPPORTED when the space is full. */
    void assign(int64_t n, const int64_t* labels, int64_t* out_vertices) {
        detail::check(stasis_space_assign_ids(raw_, n, labels, out_vertices));
    }
    /** As assign() above, for integer labels in a vector; returns their vertices. */
    std::vector<int64_t> assign(const std::vector<int64_t>& labels) {
        std::vector<int64_t> out(labels.size());
        assign(static_cast<int64_t>(labels.size()), labels.data(), out.data());
        return out;
    }
    /** As assign() above, for UTF-8 string labels (stasis_space_assign_names). */
    std::vector<int64_t> assign(const std::vector<std::string>& labels) {
        std::vector<const char*> names = detail::c_strings(labels);
        std::vector<int64_t> out(labels.size());
        detail::check(stasis_space_assign_names(raw_, static_cast<int64_t>(names.size()), names.data(),
                                                out.data()));
        return out;
    }

    /** Vertices of integer labels, -1 for labels never assigned (stasis_space_lookup_ids). */
    std::vector<int64_t> lookup(const std::vector<int64_t>& labels) const {
        std::vector<int64_t> out(labels.size());
        detail::check(stasis_space_lookup_ids(raw_, static_cast<int64_t>(labels.size()), labels.data(),
                                              out.data()));
        return out;
    }
    /** Vertices of string labels, -1 for labels never assigned (stasis_space_lookup_names). */
    std::vector<int64_t> lookup(const std::vector<std::string>& labels) const {
        std::vector<const char*> names = detail::c_strings(labels);
        std::vector<int64_t> out(labels.size());
        detail::check(stasis_space_lookup_names(raw_, static_cast<int64_t>(names.size()), names.data(),
                                                out.data()));
        return out;
    }
};

/* ------------------------------------------------------------------------------------------ */
/* Encoder                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Feature kind of an encoder: "raw" or "softmax" and its temperature (0 for raw). */
struct FeatureKind {
    std::string kind;
    double temperature = 0;
};

/**
 * One model version (stasis_encoder): backbone features in, unit vectors of its space out.
 * Immutable: every call may run concurrently on one encoder. Move-only; destroying frees it.
 */
class Encoder : public detail::Handle<stasis_encoder, stasis_encoder_free> {
  public:
    using Handle::Handle;

    /** Opens an encoder file (stasis_encoder_open). */
    static Encoder open(const std::string& path) {
        stasis_encoder* out = nullptr;
        detail::check(stasis_encoder_open(path.c_str(), &out));
        return Encoder(out);
    }

    /** An encoder file's metadata as JSON without loading the weights (stasis_encoder_inspect). */
    static std::string inspect(const std::string& path) {
        char* json = nullptr;
        detail::check(stasis_encoder_inspect(path.c_str(), &json));
        return detail::take_string(json);
    }

    /** Saves the encoder atomically (stasis_encoder_save). Throws STASIS_ERROR_IO. */
    void save(const std::string& path) const { detail::check(stasis_encoder_save(raw_, path.c_str())); }

    /** Feature width the encoder expects. */
    int64_t input_dimension() const {
        int64_t out = 0;
        detail::check(stasis_encoder_input_dimension(raw_, &out));
        return out;
    }

    /** Output width (the space's dimension). */
    int64_t output_dimension() const {
        int64_t out = 0;
        detail::check(stasis_encoder_output_dimension(raw_, &out));
        return out;
    }

    /** Model version stamped on the vectors it produces. */
    uint32_t version() const {
        uint32_t out = 0;
        detail::check(stasis_encoder_version(raw_, &out));
        return out;
    }

    /** Fingerprint of the encoder's space. */
    std::string space() const {
        const char* out = nullptr;
        detail::check(stasis_encoder_space(raw_, &out));
        return detail::copy_string(out);
    }

    /** Metadata value under `key`, or nullopt when absent (STASIS_ERROR_NOT_FOUND is not thrown). */
    std::optional<std::string> metadata(const std::string& key) const {
        const char* out = nullptr;
        stasis_status status = stasis_encoder_metadata(raw_, key.c_str(), &out);
        if (status == STASIS_ERROR_NOT_FOUND) return std::nullopt;
        detail::check(status);
        return detail::copy_string(out);
    }

    /** "raw" or "softmax" and the softmax temperature (stasis_encoder_feature). */
    FeatureKind feature() const {
        const char* kind = nullptr;
        FeatureKind out;
        detail::check(stasis_encoder_feature(raw_, &kind, &out.temperature));
        out.kind = detail::copy_string(kind);
        return out;
    }

    /** Encodes n rows of in_dim features into `out` (n x out_dim, caller-allocated)
     *  (stasis_encoder_encode). Throws STASIS_ERROR_DIMENSION_MISMATCH, _INVALID_ARGUMENT. */
    void encode(int64_t n, int64_t in_dim, const float* features, int64_t out_dim, float* out) const {
        detail::check(stasis_encoder_encode(raw_, n, in_dim, features, out_dim, out));
    }
    /** Encodes rows of input_dimension() features; returns n x output_dimension() floats. */
    std::vector<float> encode(const std::vector<float>& features) const {
        return encode_rows(features.data(), features.size());
    }
#ifdef STASIS_HPP_HAS_SPAN
    /** As the vector form of encode(), over a span of rows. */
    std::vector<float> encode(std::span<const float> features) const {
        return encode_rows(features.data(), features.size());
    }
#endif

  private:
    std::vector<float> encode_rows(const float* features, std::size_t floats) const {
        int64_t in_dim = input_dimension(), out_dim = output_dimension();
        int64_t n = detail::row_count(floats, in_dim, "encode: features");
        std::vector<float> out(static_cast<std::size_t>(n * out_dim));
        encode(n, in_dim, features, out_dim, out.data());
        return out;
    }
};

/* ------------------------------------------------------------------------------------------ */
/* Index                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/**
 * An index of unit vectors with int64 ids, each stamped with a model version (stasis_index).
 * Thread safety: concurrent calls on one index are safe; the library's reader-writer lock runs
 * searches, counts, lookups and saves in parallel and train, add, remove and
 * set_search_defaults exclusively. Moving or destroying must not race with other calls.
 */
class Index : public detail::Handle<stasis_index, stasis_index_free> {
  public:
    using Handle::Handle;

    /** An empty index of dimension `dim` from a factory description ("Flat", "HNSW32",
     *  "IVF1024,SQ8", ...; stasis_index_create). Throws STASIS_ERROR_INVALID_ARGUMENT. */
    static Index create(int64_t dim, const std::string& factory = "Flat") {
        stasis_index* out = nullptr;
        detail::check(stasis_index_create(dim, factory.c_str(), &out));
        return Index(out);
    }

    /** An empty index bound to `space` (stasis_index_create_for_space). */
    static Index create(const Space& space, const std::string& factory = "Flat") {
        stasis_index* out = nullptr;
        detail::check(stasis_index_create_for_space(space.get(), factory.c_str(), &out));
        return Index(out);
    }

    /** Opens a saved index, checking its checksums and payload (stasis_index_open).
     *  Throws STASIS_ERROR_IO, _CORRUPT_FILE, _UNSUPPORTED_FORMAT. Thread-safe. */
    static Index open(const std::string& path) {
        stasis_index* out = nullptr;
        detail::check(stasis_index_open(path.c_str(), &out));
        return Index(out);
    }

    /** An index file's header as JSON, without loading vectors (stasis_index_inspect). */
    static std::string inspect(const std::string& path) {
        char* json = nullptr;
        detail::check(stasis_index_inspect(path.c_str(), &json));
        return detail::take_string(json);
    }

    /** Saves atomically (temporary file, fsync, rename; stasis_index_save). Runs concurrently
     *  with searches. Throws STASIS_ERROR_IO (`path` untouched). */
    void save(const std::string& path) const { detail::check(stasis_index_save(raw_, path.c_str())); }

    /** Attaches a write-ahead log, replaying its records newer than the index first
     *  (stasis_index_enable_wal; options: stasis_wal_options, nullptr = fsync every call). */
    void enable_wal(const std::string& wal_path, const stasis_wal_options* options = nullptr) {
        detail::check(stasis_index_enable_wal(raw_, wal_path.c_str(), options));
    }
    /** Syncs and detaches the log (stasis_index_disable_wal). */
    void disable_wal() { detail::check(stasis_index_disable_wal(raw_)); }
    /** Saves to `path`, then restarts the log empty (stasis_index_checkpoint). */
    void checkpoint(const std::string& path) { detail::check(stasis_index_checkpoint(raw_, path.c_str())); }
    /** Sequence number of the last logged change the index holds (stasis_index_wal_sequence). */
    uint64_t wal_sequence() const {
        uint64_t out = 0;
        detail::check(stasis_index_wal_sequence(raw_, &out));
        return out;
    }
    /** Rebuilds from the live vectors (stasis_index_compact); returns {slots, bytes} reclaimed. */
    std::pair<int64_t, int64_t> compact() {
        int64_t slots = 0, bytes = 0;
        detail::check(stasis_index_compact(raw_, &slots, &bytes));
        return {slots, bytes};
    }

    /** Trains IVF / PQ / SQ types on n x dim vectors (stasis_index_train). Exclusive. */
    void train(int64_t n, int64_t dim, const float* vectors) {
        detail::check(stasis_index_train(raw_, n, dim, vectors));
    }
    /** As train() above, rows of dimension() floats. */
    void train(const std::vector<float>& vectors) {
        train(detail::row_count(vectors.size(), dimension(), "train: vectors"), dimension(), vectors.data());
    }

    /** Whether vectors can be added (false: train() first). */
    bool is_trained() const {
        int out = 0;
        detail::check(stasis_index_is_trained(raw_, &out));
        return out != 0;
    }

    /** Adds (upserts) n x dim vectors under ids[0..n-1], stamped with `version`
     *  (stasis_index_add). All or nothing. Exclusive (waits for running searches). */
    void add(int64_t n, int64_t dim, const float* vectors, const int64_t* ids, uint32_t version) {
        detail::check(stasis_index_add(raw_, n, dim, vectors, ids, version));
    }
    /** As add() above: one row per id, the row width taken from vectors.size() / ids.size(). */
    void add(const std::vector<float>& vectors, const std::vector<int64_t>& ids, uint32_t version) {
        add(static_cast<int64_t>(ids.size()), detail::row_width(vectors.size(), ids.size(), "add: vectors"),
            vectors.data(), ids.data(), version);
    }
#ifdef STASIS_HPP_HAS_SPAN
    /** As the vector form of add(), over spans. */
    void add(std::span<const float> vectors, std::span<const int64_t> ids, uint32_t version) {
        add(static_cast<int64_t>(ids.size()), detail::row_width(vectors.size(), ids.size(), "add: vectors"),
            vectors.data(), ids.data(), version);
    }
#endif

    /** Removes ids[0..n-1]; all must be present, else STASIS_ERROR_NOT_FOUND and nothing is
     *  removed (stasis_index_remove). Exclusive. */
    void remove(int64_t n, const int64_t* ids) { detail::check(stasis_index_remove(raw_, n, ids)); }
    /** As remove() above. */
    void remove(const std::vector<int64_t>& ids) { remove(static_cast<int64_t>(ids.size()), ids.data()); }

    /**
     * k best hits for each of n x dim queries into caller buffers of n x k values
     * (stasis_index_search); out_versions may be NULL, options may be NULL (defaults).
     * Throws STASIS_ERROR_INVALID_ARGUMENT (k <= 0, NaN/Inf, zero query), _DIMENSION_MISMATCH,
     * _NOT_TRAINED. Concurrent with other searches.
     */
    void search(int64_t n, int64_t dim, const float* queries, int64_t k, const stasis_search_options* options,
                float* out_scores, int64_t* out_ids, uint32_t* out_versions) const {
        detail::check(stasis_index_search(raw_, n, dim, queries, k, options, out_scores, out_ids, out_versions));
    }
    /** As search() above, rows of dimension() floats; allocates the result. */
    SearchResult search(const std::vector<float>& queries, int64_t k,
                        const SearchOptions& options = SearchOptions()) const {
        return search_rows(queries.data(), queries.size(), k, options);
    }
#ifdef STASIS_HPP_HAS_SPAN
    /** As the vector form of search(), over a span of rows. */
    SearchResult search(std::span<const float> queries, int64_t k,
                        const SearchOptions& options = SearchOptions()) const {
        return search_rows(queries.data(), queries.size(), k, options);
    }
    /** Searches into caller spans of at least n x k values (versions may be empty: not written). */
    void search(std::span<const float> queries, int64_t k, std::span<float> scores, std::span<int64_t> ids,
                std::span<uint32_t> versions = {}, const SearchOptions& options = SearchOptions()) const {
        int64_t dim = dimension();
        int64_t n = detail::row_count(queries.size(), dim, "search: queries");
        detail::require_capacity(scores.size(), n * k, "search: scores");
        detail::require_capacity(ids.size(), n * k, "search: ids");
        if (!versions.empty()) detail::require_capacity(versions.size(), n * k, "search: versions");
        search(n, dim, queries.data(), k, &options, scores.data(), ids.data(),
               versions.empty() ? nullptr : versions.data());
    }
#endif

    /** Sets default ef_search / nprobe, saved with the index (stasis_index_set_search_defaults).
     *  filter_version must be 0. Exclusive. */
    void set_search_defaults(const SearchOptions& options) {
        detail::check(stasis_index_set_search_defaults(raw_, &options));
    }

    /** Vector dimension. */
    int64_t dimension() const {
        int64_t out = 0;
        detail::check(stasis_index_dimension(raw_, &out));
        return out;
    }

    /** Canonical factory description ("HNSW" reads "HNSW32"). */
    std::string factory() const {
        const char* out = nullptr;
        detail::check(stasis_index_factory(raw_, &out));
        return detail::copy_string(out);
    }

    /** Fingerprint of the space the index is bound to, or nullopt when unbound. */
    std::optional<std::string> space() const {
        const char* out = nullptr;
        detail::check(stasis_index_space(raw_, &out));
        if (!out) return std::nullopt;
        return std::string(out);
    }

    /** Number of vectors (removed and replaced ones excluded). */
    int64_t count() const {
        int64_t out = 0;
        detail::check(stasis_index_count(raw_, &out));
        return out;
    }

    /** Number of vectors stamped with `version`. */
    int64_t count(uint32_t version) const {
        int64_t out = 0;
        detail::check(stasis_index_count_version(raw_, version, &out));
        return out;
    }

    /** Model versions present, increasing, with their counts (stasis_index_versions). */
    std::vector<VersionCount> versions() const {
        int64_t capacity = 8, total = 0;
        for (;;) {  // another thread may add a version between sizing and reading: retry
            std::vector<uint32_t> numbers(static_cast<std::size_t>(capacity));
            std::vector<int64_t> counts(static_cast<std::size_t>(capacity));
            detail::check(stasis_index_versions(raw_, capacity, numbers.data(), counts.data(), &total));
            if (total <= capacity) {
                std::vector<VersionCount> out;
                for (std::size_t i = 0; i < static_cast<std::size_t>(total); i++) out.push_back({numbers[i], counts[i]});
                return out;
            }
            capacity = total;
        }
    }

    /** Presence and version of each id (stasis_index_lookup); never throws for unknown ids. */
    Lookup lookup(const std::vector<int64_t>& ids) const {
        Lookup out;
        out.found.assign(ids.size(), 0);
        out.versions.assign(ids.size(), 0);
        detail::check(stasis_index_lookup(raw_, static_cast<int64_t>(ids.size()), ids.data(), out.found.data(),
                                          out.versions.data()));
        return out;
    }

    /** Encodes n x in_dim features with `encoder` and adds them under `ids`, stamped with the
     *  encoder's version (stasis_index_add_features). Throws STASIS_ERROR_INCOMPATIBLE for an
     *  encoder of another space. Exclusive once encoded. */
    void add_features(const Encoder& encoder, int64_t n, int64_t in_dim, const float* features, const int64_t* ids) {
        detail::check(stasis_index_add_features(raw_, encoder.get(), n, in_dim, features, ids));
    }
    /** As add_features() above: one row of features per id. */
    void add_features(const Encoder& encoder, const std::vector<float>& features, const std::vector<int64_t>& ids) {
        add_features(encoder, static_cast<int64_t>(ids.size()),
                     detail::row_width(features.size(), ids.size(), "add_features: features"), features.data(),
                     ids.data());
    }

    /** Encodes n query rows with `encoder` and searches (stasis_index_search_features).
     *  Concurrent with other searches. */
    void search_features(const Encoder& encoder, int64_t n, int64_t in_dim, const float* features, int64_t k,
                         const stasis_search_options* options, float* out_scores, int64_t* out_ids,
                         uint32_t* out_versions) const {
        detail::check(stasis_index_search_features(raw_, encoder.get(), n, in_dim, features, k, options, out_scores,
                                                   out_ids, out_versions));
    }
    /** As search_features() above, rows of encoder.input_dimension() features. */
    SearchResult search_features(const Encoder& encoder, const std::vector<float>& features, int64_t k,
                                 const SearchOptions& options = SearchOptions()) const {
        int64_t in_dim = encoder.input_dimension();
        int64_t n = detail::row_count(features.size(), in_dim, "search_features: features");
        SearchResult result = SearchResult::sized(n, k);
        search_features(encoder, n, in_dim, features.data(), k, &options, result.scores.data(), result.ids.data(),
                        result.versions.data());
        return result;
    }

  private:
    SearchResult search_rows(const float* queries, std::size_t floats, int64_t k, const SearchOptions& options) const {
        int64_t dim = dimension();
        int64_t n = detail::row_count(floats, dim, "search: queries");
        SearchResult result = SearchResult::sized(n, k);
        search(n, dim, queries, k, &options, result.scores.data(), result.ids.data(), result.versions.data());
        return result;
    }
};

/* ------------------------------------------------------------------------------------------ */
/* Training                                                                                   */
/* ------------------------------------------------------------------------------------------ */

namespace detail {

/** Carries a C++ progress callback through the C callback and keeps what it threw. */
struct ProgressRelay {
    const std::function<bool(const stasis_train_progress&)>* callback;
    std::exception_ptr thrown;

    static int call(const stasis_train_progress* progress, void* user_data) noexcept {
        ProgressRelay* relay = static_cast<ProgressRelay*>(user_data);
        try {
            return (*relay->callback)(*progress) ? 0 : 1;
        } catch (...) {
            relay->thrown = std::current_exception();
            return 1;
        }
    }
};

/** Runs one stasis_train_* call with `options`, relaying on_progress; returns the encoder. */
template <class Call>
Encoder train_with(const TrainOptions& options, Call call) {
    stasis_train_options raw = options;
    ProgressRelay relay{&options.on_progress, nullptr};
    if (options.on_progress) {
        raw.progress = &ProgressRelay::call;
        raw.progress_user_data = &relay;
    }
    stasis_encoder* out = nullptr;
    stasis_status status = call(&raw, &out);
    if (relay.thrown) std::rethrow_exception(relay.thrown);
    check(status);
    return Encoder(out);
}

}  // namespace detail

/**
 * Trains model `version` into `space` from n x dim features and n integer labels; `previous`,
 * previous_dim and previous_features (may be NULL / 0) align it with the previous version
 * (stasis_train_ids). New labels are assigned in `space` only on success; save the space to
 * keep them. Runs on the calling thread. Not concurrent with other label assignment in `space`.
 * Throws STASIS_ERROR_INVALID_ARGUMENT, _DIMENSION_MISMATCH, _INCOMPATIBLE, _UNSUPPORTED (space
 * full), _CANCELLED (on_progress returned false).
 */
inline Encoder train(Space& space, int64_t n, int64_t dim, const float* features, const int64_t* labels,
                     const Encoder* previous, int64_t previous_dim, const float* previous_features,
                     uint32_t version, const TrainOptions& options = TrainOptions()) {
    return detail::train_with(options, [&](const stasis_train_options* raw, stasis_encoder** out) {
        return stasis_train_ids(space.get(), n, dim, features, labels, previous ? previous->get() : nullptr,
                                previous_dim, previous_features, version, raw, out);
    });
}

/** As train() above, for UTF-8 string labels (stasis_train_names). */
inline Encoder train(Space& space, int64_t n, int64_t dim, const float* features, const char* const* labels,
                     const Encoder* previous, int64_t previous_dim, const float* previous_features,
                     uint32_t version, const TrainOptions& options = TrainOptions()) {
    return detail::train_with(options, [&](const stasis_train_options* raw, stasis_encoder** out) {
        return stasis_train_names(space.get(), n, dim, features, labels, previous ? previous->get() : nullptr,
                                  previous_dim, previous_features, version, raw, out);
    });
}

/** Trains without a previous version: one row of features per label. */
inline Encoder train(Space& space, const std::vector<float>& features, const std::vector<int64_t>& labels,
                     uint32_t version, const TrainOptions& options = TrainOptions()) {
    int64_t dim = detail::row_width(features.size(), labels.size(), "train: features");
    return train(space, static_cast<int64_t>(labels.size()), dim, features.data(), labels.data(), nullptr, 0,
                 nullptr, version, options);
}

/** As the vector form above, for string labels. */
inline Encoder train(Space& space, const std::vector<float>& features, const std::vector<std::string>& labels,
                     uint32_t version, const TrainOptions& options = TrainOptions()) {
    int64_t dim = detail::row_width(features.size(), labels.size(), "train: features");
    std::vector<const char*> names = detail::c_strings(labels);
    return train(space, static_cast<int64_t>(labels.size()), dim, features.data(), names.data(), nullptr, 0,
                 nullptr, version, options);
}

/** Trains aligned with `previous`: previous_features holds the previous backbone's features of
 *  the same rows (set options.alignment to STASIS_ALIGNMENT_HOC or _CL2R). */
inline Encoder train(Space& space, const std::vector<float>& features, const std::vector<int64_t>& labels,
                     const Encoder& previous, const std::vector<float>& previous_features, uint32_t version,
                     const TrainOptions& options = TrainOptions()) {
    int64_t dim = detail::row_width(features.size(), labels.size(), "train: features");
    int64_t previous_dim = detail::row_width(previous_features.size(), labels.size(), "train: previous_features");
    return train(space, static_cast<int64_t>(labels.size()), dim, features.data(), labels.data(), &previous,
                 previous_dim, previous_features.data(), version, options);
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/**
 * A borrowed stasis_labelled_vectors over `vectors` (one row per label, width inferred) and
 * `labels`; both must outlive the call it is passed to. Throws when the sizes do not divide.
 */
inline stasis_labelled_vectors labelled(const std::vector<float>& vectors, const std::vector<int64_t>& labels) {
    stasis_labelled_vectors out;
    out.n = static_cast<int64_t>(labels.size());
    out.dim = detail::row_width(vectors.size(), labels.size(), "labelled: vectors");
    out.vectors = vectors.data();
    out.labels = labels.data();
    return out;
}

/** Top-1, Recall@k (one per requested k) and mAP. */
struct RetrievalMetrics {
    double top1 = 0;
    std::vector<double> recall;
    double map = 0;
};

/** Retrieval metrics of `queries` against `gallery` (nullptr: leave-one-out among the queries);
 *  mode STASIS_GALLERY_ITEMS or _TEMPLATES (stasis_retrieval_metrics). Thread-safe. */
inline RetrievalMetrics retrieval_metrics(const stasis_labelled_vectors& queries,
                                          const stasis_labelled_vectors* gallery,
                                          const std::vector<int64_t>& ks = {1, 5, 10},
                                          int32_t mode = STASIS_GALLERY_ITEMS) {
    RetrievalMetrics out;
    out.recall.assign(ks.size(), 0.0);
    detail::check(stasis_retrieval_metrics(&queries, gallery, mode, static_cast<int64_t>(ks.size()),
                                           ks.empty() ? nullptr : ks.data(), &out.top1,
                                           ks.empty() ? nullptr : out.recall.data(), &out.map));
    return out;
}

/** AC, AM, BC and FC of a compatibility matrix. */
struct CompatibilityMetrics {
    double ac = 0, am = 0, bc = 0, fc = 0;
};

/** Summary metrics of a t x t row-major matrix (stasis_compatibility_metrics). Thread-safe. */
inline CompatibilityMetrics compatibility_metrics(int64_t t, const double* matrix) {
    CompatibilityMetrics out;
    detail::check(stasis_compatibility_metrics(t, matrix, &out.ac, &out.am, &out.bc, &out.fc));
    return out;
}

/** The compatibility matrix of a report: t x t row-major, NaN above the diagonal. */
struct CompatibilityMatrix {
    int64_t t = 0;
    std::vector<uint32_t> versions;
    std::vector<double> values;
    /** Metric of version row's queries on version column's gallery. */
    double at(int64_t row, int64_t column) const { return values.at(static_cast<std::size_t>(row * t + column)); }
};

/** The cutover gate's verdict: passed, and the details as JSON. */
struct GateVerdict {
    bool passed = false;
    std::string json;
};

/**
 * An evaluation result (stasis_report). Thread safety: concurrent calls are safe;
 * set_backfill runs exclusively. Move-only; destroying frees it.
 */
class Report : public detail::Handle<stasis_report, stasis_report_free> {
  public:
    using Handle::Handle;

    /** Reads a JSON report (stasis_report_open). */
    static Report open(const std::string& path) {
        stasis_report* out = nullptr;
        detail::check(stasis_report_open(path.c_str(), &out));
        return Report(out);
    }

    /** Number of versions t. */
    int64_t version_count() const {
        int64_t out = 0;
        detail::check(stasis_report_version_count(raw_, &out));
        return out;
    }

    /** The compatibility matrix and its version numbers (stasis_report_matrix). */
    CompatibilityMatrix matrix() const {
        CompatibilityMatrix out;
        out.t = version_count();
        out.versions.assign(static_cast<std::size_t>(out.t), 0);
        out.values.assign(static_cast<std::size_t>(out.t * out.t), 0.0);
        detail::check(stasis_report_matrix(raw_, out.t * out.t, out.versions.data(), out.values.data()));
        return out;
    }

    /** May version `serve` answer queries against `galleries` with `margin`? (stasis_report_gate) */
    GateVerdict gate(uint32_t serve, const std::vector<uint32_t>& galleries, double margin = 0.0) const {
        int32_t passed = 0;
        char* json = nullptr;
        detail::check(stasis_report_gate(raw_, serve, static_cast<int64_t>(galleries.size()), galleries.data(),
                                         margin, &passed, &json));
        return GateVerdict{passed != 0, detail::take_string(json)};
    }

    /** Attaches a backfill curve (stasis_report_set_backfill). Exclusive. */
    void set_backfill(const std::vector<double>& fractions, const std::vector<double>& values,
                      const std::string& label = "") {
        if (fractions.size() != values.size())
            throw Error(STASIS_ERROR_INVALID_ARGUMENT, "set_backfill: " + std::to_string(fractions.size()) +
                                                           " fractions but " + std::to_string(values.size()) +
                                                           " values");
        detail::check(stasis_report_set_backfill(raw_, static_cast<int64_t>(fractions.size()), fractions.data(),
                                                 values.data(), label.empty() ? nullptr : label.c_str()));
    }

    /** The report as JSON (stasis_report_json). */
    std::string json() const {
        char* out = nullptr;
        detail::check(stasis_report_json(raw_, &out));
        return detail::take_string(out);
    }

    /** The report as one self-contained HTML page (stasis_report_html). */
    std::string html() const {
        char* out = nullptr;
        detail::check(stasis_report_html(raw_, &out));
        return detail::take_string(out);
    }

    /** Writes the JSON report atomically (stasis_report_write_json). */
    void write_json(const std::string& path) const { detail::check(stasis_report_write_json(raw_, path.c_str())); }

    /** Writes the HTML report atomically (stasis_report_write_html). */
    void write_html(const std::string& path) const { detail::check(stasis_report_write_html(raw_, path.c_str())); }
};

/**
 * Evaluates t = queries.size() model versions, oldest first (stasis_evaluate). `versions` empty
 * means 1..t; `galleries` empty means leave-one-out within each version's queries. The labelled
 * sets are borrowed for the call. Thread-safe.
 */
inline Report evaluate(const std::vector<uint32_t>& versions, const std::vector<stasis_labelled_vectors>& queries,
                       const std::vector<stasis_labelled_vectors>& galleries = {},
                       const EvaluateOptions& options = EvaluateOptions()) {
    int64_t t = static_cast<int64_t>(queries.size());
    if (!versions.empty() && versions.size() != queries.size())
        throw Error(STASIS_ERROR_INVALID_ARGUMENT, "evaluate: " + std::to_string(versions.size()) +
                                                       " versions for " + std::to_string(t) + " query sets");
    if (!galleries.empty() && galleries.size() != queries.size())
        throw Error(STASIS_ERROR_INVALID_ARGUMENT, "evaluate: " + std::to_string(galleries.size()) +
                                                       " galleries for " + std::to_string(t) + " query sets");
    stasis_report* out = nullptr;
    detail::check(stasis_evaluate(t, versions.empty() ? nullptr : versions.data(), queries.data(),
                                  galleries.empty() ? nullptr : galleries.data(), &options, &out));
    return Report(out);
}

/* ------------------------------------------------------------------------------------------ */
/* Adapters                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Held-out validation of an adapter fit (NaN metrics when nothing was held out). */
struct AdapterValidation {
    int64_t train_pairs = 0;
    int64_t validation_pairs = 0;
    double mean_cosine = 0;
    double recall_at_1 = 0;
};

/**
 * A fitted map between two model versions' vectors (stasis_adapter). Immutable: every call may
 * run concurrently on one adapter. Move-only; destroying frees it.
 */
class Adapter : public detail::Handle<stasis_adapter, stasis_adapter_free> {
  public:
    using Handle::Handle;

    /** Fits `kind` ("procrustes", "ridge", "lowrank") from n source rows to n target rows
     *  (stasis_adapter_fit). Thread-safe. */
    static Adapter fit(const std::string& kind, uint32_t source_version, uint32_t target_version, int64_t n,
                       int64_t source_dim, const float* source, int64_t target_dim, const float* target,
                       const AdapterOptions& options = AdapterOptions()) {
        stasis_adapter* out = nullptr;
        detail::check(stasis_adapter_fit(kind.c_str(), source_version, target_version, n, source_dim, source,
                                         target_dim, target, &options, &out));
        return Adapter(out);
    }
    /** As fit() above: rows of source_dim and target_dim floats, paired by position. */
    static Adapter fit(const std::string& kind, uint32_t source_version, uint32_t target_version,
                       const std::vector<float>& source, int64_t source_dim, const std::vector<float>& target,
                       int64_t target_dim, const AdapterOptions& options = AdapterOptions()) {
        int64_t n = detail::row_count(source.size(), source_dim, "fit: source");
        if (detail::row_count(target.size(), target_dim, "fit: target") != n)
            throw Error(STASIS_ERROR_INVALID_ARGUMENT,
                        "fit: " + std::to_string(n) + " source rows but " +
                            std::to_string(target.size() / static_cast<std::size_t>(target_dim)) + " target rows");
        return fit(kind, source_version, target_version, n, source_dim, source.data(), target_dim, target.data(),
                   options);
    }

    /** Fits without pairs (stasis_adapter_fit_unpaired): source and target rows are different
     *  items, source.size() / source_dim and target.size() / target_dim rows. */
    static Adapter fit_unpaired(uint32_t source_version, uint32_t target_version, const std::vector<float>& source,
                                int64_t source_dim, const std::vector<float>& target, int64_t target_dim,
                                const AdapterOptions& options = AdapterOptions()) {
        int64_t ns = detail::row_count(source.size(), source_dim, "fit_unpaired: source");
        int64_t nt = detail::row_count(target.size(), target_dim, "fit_unpaired: target");
        stasis_adapter* out = nullptr;
        detail::check(stasis_adapter_fit_unpaired(source_version, target_version, ns, source_dim, source.data(), nt,
                                                  target_dim, target.data(), &options, &out));
        return Adapter(out);
    }

    /** Opens an adapter file (stasis_adapter_open). */
    static Adapter open(const std::string& path) {
        stasis_adapter* out = nullptr;
        detail::check(stasis_adapter_open(path.c_str(), &out));
        return Adapter(out);
    }

    /** An adapter file's metadata as JSON (stasis_adapter_inspect). */
    static std::string inspect(const std::string& path) {
        char* json = nullptr;
        detail::check(stasis_adapter_inspect(path.c_str(), &json));
        return detail::take_string(json);
    }

    /** Saves atomically (stasis_adapter_save). */
    void save(const std::string& path) const { detail::check(stasis_adapter_save(raw_, path.c_str())); }

    /** Kind name ("procrustes", "ridge", "lowrank", "orthogonal", "mlp", "local"). */
    std::string kind() const {
        const char* out = nullptr;
        detail::check(stasis_adapter_kind(raw_, &out));
        return detail::copy_string(out);
    }

    /** True when fitted without pairs (stasis_adapter_is_unpaired). */
    bool unpaired() const {
        int out = 0;
        detail::check(stasis_adapter_is_unpaired(raw_, &out));
        return out != 0;
    }

    /** Versions read and produced: {source, target}. */
    std::pair<uint32_t, uint32_t> versions() const {
        std::pair<uint32_t, uint32_t> out{0, 0};
        detail::check(stasis_adapter_versions(raw_, &out.first, &out.second));
        return out;
    }

    /** Row widths read and produced: {source, target}. */
    std::pair<int64_t, int64_t> dimensions() const {
        std::pair<int64_t, int64_t> out{0, 0};
        detail::check(stasis_adapter_dimensions(raw_, &out.first, &out.second));
        return out;
    }

    /** Validation measured at fit time (stasis_adapter_validation). */
    AdapterValidation validation() const {
        AdapterValidation out;
        detail::check(stasis_adapter_validation(raw_, &out.train_pairs, &out.validation_pairs, &out.mean_cosine,
                                                &out.recall_at_1));
        return out;
    }

    /** Maps n x in_dim rows into `out` (n x out_dim unit rows; stasis_adapter_apply). */
    void apply(int64_t n, int64_t in_dim, const float* x, int64_t out_dim, float* out) const {
        detail::check(stasis_adapter_apply(raw_, n, in_dim, x, out_dim, out));
    }
    /** As apply() above, rows of the adapter's source width; returns the mapped rows. */
    std::vector<float> apply(const std::vector<float>& x) const {
        std::pair<int64_t, int64_t> dims = dimensions();
        int64_t n = detail::row_count(x.size(), dims.first, "apply: x");
        std::vector<float> out(static_cast<std::size_t>(n * dims.second));
        apply(n, dims.first, x.data(), dims.second, out.data());
        return out;
    }
};

/**
 * Applies `chain` in order, e.g. {&v3_to_v2, &v2_to_v1} (stasis_adapter_chain_apply); the chain
 * is checked before any row is read. Throws STASIS_ERROR_INCOMPATIBLE for a gap,
 * _DIMENSION_MISMATCH, _INVALID_ARGUMENT (empty chain, a NULL entry). Thread-safe.
 */
inline std::vector<float> apply_chain(const std::vector<const Adapter*>& chain, const std::vector<float>& x,
                                      int64_t in_dim, int64_t out_dim) {
    std::vector<const stasis_adapter*> handles;
    for (const Adapter* adapter : chain) handles.push_back(adapter ? adapter->get() : nullptr);
    int64_t n = detail::row_count(x.size(), in_dim, "apply_chain: x");
    std::vector<float> out(static_cast<std::size_t>(n * (out_dim > 0 ? out_dim : 0)));
    detail::check(stasis_adapter_chain_apply(handles.data(), static_cast<int64_t>(handles.size()), n, in_dim,
                                             x.data(), out_dim, out.data()));
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Mixed-version gallery and backfill                                                         */
/* ------------------------------------------------------------------------------------------ */

/**
 * A gallery whose items carry different model versions (stasis_gallery). Thread safety:
 * concurrent searches and reads; mutations are exclusive (internal lock); saves to one directory
 * must not run concurrently. A failing call leaves the gallery unchanged. Move-only.
 */
class Gallery : public detail::Handle<stasis_gallery, stasis_gallery_free> {
  public:
    using Handle::Handle;

    /** An empty gallery whose parts use `factory` (untrained kinds only; stasis_gallery_new). */
    static Gallery create(const std::string& factory = "Flat") {
        stasis_gallery* out = nullptr;
        detail::check(stasis_gallery_new(factory.c_str(), &out));
        return Gallery(out);
    }

    /** Opens a gallery directory (stasis_gallery_open). */
    static Gallery open(const std::string& path) {
        stasis_gallery* out = nullptr;
        detail::check(stasis_gallery_open(path.c_str(), &out));
        return Gallery(out);
    }

    /** Saves into directory `path`, manifest last and atomically (stasis_gallery_save). */
    void save(const std::string& path) const { detail::check(stasis_gallery_save(raw_, path.c_str())); }

    /** Registers `version` with row width `dim` in `space` ("" = a space of its own). */
    void register_version(uint32_t version, int64_t dim, const std::string& space = "") {
        detail::check(stasis_gallery_register(raw_, version, dim, space.empty() ? nullptr : space.c_str()));
    }

    /** Adds adapters applied in order as one bridge (stasis_gallery_add_chain); the gallery keeps
     *  its own references, the Adapter objects may be destroyed afterwards. */
    void add_chain(const std::vector<const Adapter*>& chain) {
        std::vector<const stasis_adapter*> handles;
        for (const Adapter* adapter : chain) handles.push_back(adapter ? adapter->get() : nullptr);
        detail::check(stasis_gallery_add_chain(raw_, handles.data(), static_cast<int64_t>(handles.size())));
    }

    /** Adds or replaces n x dim items of `version` (stasis_gallery_upsert). Exclusive. */
    void upsert(int64_t n, int64_t dim, const float* vectors, const int64_t* ids, uint32_t version) {
        detail::check(stasis_gallery_upsert(raw_, n, dim, vectors, ids, version));
    }
    /** As upsert() above: one row per id. */
    void upsert(const std::vector<float>& vectors, const std::vector<int64_t>& ids, uint32_t version) {
        upsert(static_cast<int64_t>(ids.size()), detail::row_width(vectors.size(), ids.size(), "upsert: vectors"),
               vectors.data(), ids.data(), version);
    }

    /** Removes ids; all must be present, else STASIS_ERROR_NOT_FOUND (stasis_gallery_remove). */
    void remove(const std::vector<int64_t>& ids) {
        detail::check(stasis_gallery_remove(raw_, static_cast<int64_t>(ids.size()), ids.data()));
    }

    /** Number of live items. */
    int64_t count() const {
        int64_t out = 0;
        detail::check(stasis_gallery_count(raw_, &out));
        return out;
    }

    /** Number of live items stamped with `version`. */
    int64_t count(uint32_t version) const {
        int64_t out = 0;
        detail::check(stasis_gallery_count_version(raw_, version, &out));
        return out;
    }

    /** Version of each id, -1 when absent (stasis_gallery_versions_of). */
    std::vector<int64_t> versions_of(const std::vector<int64_t>& ids) const {
        std::vector<int64_t> out(ids.size());
        detail::check(stasis_gallery_versions_of(raw_, static_cast<int64_t>(ids.size()), ids.data(), out.data()));
        return out;
    }

    /** k best hits for n x dim queries of `version` into caller buffers (stasis_gallery_search);
     *  space NULL searches every part. */
    void search(int64_t n, int64_t dim, const float* queries, uint32_t version, int64_t k, const char* space,
                bool calibrated, float* out_scores, int64_t* out_ids, uint32_t* out_versions) const {
        detail::check(stasis_gallery_search(raw_, n, dim, queries, version, k, space, calibrated ? 1 : 0,
                                            out_scores, out_ids, out_versions));
    }
    /** As search() above, rows of `dim` floats; `space` "" searches every part. */
    SearchResult search(const std::vector<float>& queries, int64_t dim, uint32_t version, int64_t k,
                        bool calibrated = true, const std::string& space = "") const {
        int64_t n = detail::row_count(queries.size(), dim, "search: queries");
        SearchResult result = SearchResult::sized(n, k);
        search(n, dim, queries.data(), version, k, space.empty() ? nullptr : space.c_str(), calibrated,
               result.scores.data(), result.ids.data(), result.versions.data());
        return result;
    }

    /** Fits the z-score calibration of every route from `version` on held-out queries
     *  (stasis_gallery_calibrate). Exclusive. */
    void calibrate(const std::vector<float>& queries, int64_t dim, uint32_t version, int64_t k) {
        int64_t n = detail::row_count(queries.size(), dim, "calibrate: queries");
        detail::check(stasis_gallery_calibrate(raw_, n, dim, queries.data(), version, k));
    }

    /** Fits the route from `version` to `stored_version`'s part by paired regression
     *  (stasis_gallery_calibrate_paired). Exclusive. */
    void calibrate_paired(int64_t n, int64_t dim, const float* queries, uint32_t version, uint32_t stored_version,
                          int64_t pairs, const float* paired_query, int64_t stored_dim, const float* paired_stored,
                          int64_t k) {
        detail::check(stasis_gallery_calibrate_paired(raw_, n, dim, queries, version, stored_version, pairs,
                                                      paired_query, stored_dim, paired_stored, k));
    }
};

/** Planned ids done and remaining in a gallery. */
struct BackfillProgress {
    int64_t done = 0;
    int64_t remaining = 0;
};

/**
 * A backfill plan with a resumable cursor (stasis_backfill_plan). Calls on one plan are
 * serialised by the library. Move-only; destroying frees it.
 */
class BackfillPlan : public detail::Handle<stasis_backfill_plan, stasis_backfill_plan_free> {
  public:
    using Handle::Handle;

    /** Seeded random order of the ids on `from` (stasis_backfill_plan_random). */
    static BackfillPlan random(const Gallery& gallery, uint32_t from, uint32_t to, uint64_t seed = 0) {
        stasis_backfill_plan* out = nullptr;
        detail::check(stasis_backfill_plan_random(gallery.get(), from, to, seed, &out));
        return BackfillPlan(out);
    }

    /** The caller's own order: every id on `from` exactly once, most urgent first. */
    static BackfillPlan custom(const Gallery& gallery, uint32_t from, uint32_t to, const std::vector<int64_t>& order) {
        stasis_backfill_plan* out = nullptr;
        detail::check(stasis_backfill_plan_custom(gallery.get(), from, to, static_cast<int64_t>(order.size()),
                                                  order.data(), &out));
        return BackfillPlan(out);
    }

    /** Largest predicted adapter error first (stasis_backfill_plan_predicted_error). */
    static BackfillPlan predicted_error(const Gallery& gallery, uint32_t from, uint32_t to, int64_t n, int64_t dim,
                                       const float* vectors, const int64_t* ids, const Adapter& forward,
                                       int64_t pairs, const float* paired_old, const float* paired_new,
                                       double ridge = 0) {
        stasis_backfill_plan* out = nullptr;
        detail::check(stasis_backfill_plan_predicted_error(gallery.get(), from, to, n, dim, vectors, ids,
                                                           forward.get(), pairs, paired_old, paired_new, ridge,
                                                           &out));
        return BackfillPlan(out);
    }

    /** Farthest from their mapped neighbourhood first (stasis_backfill_plan_neighbourhood). */
    static BackfillPlan neighbourhood(const Gallery& gallery, uint32_t from, uint32_t to, int64_t n, int64_t dim,
                                     const float* vectors, const int64_t* ids, const Adapter& forward,
                                     int64_t neighbours = 0) {
        stasis_backfill_plan* out = nullptr;
        detail::check(stasis_backfill_plan_neighbourhood(gallery.get(), from, to, n, dim, vectors, ids,
                                                         forward.get(), neighbours, &out));
        return BackfillPlan(out);
    }

    /** Opens a saved plan (stasis_backfill_plan_open). */
    static BackfillPlan open(const std::string& path) {
        stasis_backfill_plan* out = nullptr;
        detail::check(stasis_backfill_plan_open(path.c_str(), &out));
        return BackfillPlan(out);
    }

    /** Writes the plan with its cursor atomically (stasis_backfill_plan_save). */
    void save(const std::string& path) const { detail::check(stasis_backfill_plan_save(raw_, path.c_str())); }

    /** Number of planned ids. */
    int64_t length() const {
        int64_t out = 0;
        detail::check(stasis_backfill_plan_length(raw_, &out));
        return out;
    }

    /** The planned ids in priority order. */
    std::vector<int64_t> order() const {
        int64_t n = length();
        std::vector<int64_t> out(static_cast<std::size_t>(n));
        detail::check(stasis_backfill_plan_order(raw_, n, out.data()));
        return out;
    }

    /** Up to `size` ids still on the old version (empty when the backfill is complete);
     *  asking again before upserting them returns the same batch. */
    std::vector<int64_t> next_batch(const Gallery& gallery, int64_t size) {
        std::vector<int64_t> out(static_cast<std::size_t>(size > 0 ? size : 0));
        int64_t count = 0;
        detail::check(stasis_backfill_plan_next_batch(raw_, gallery.get(), size, out.data(), &count));
        out.resize(static_cast<std::size_t>(count));
        return out;
    }

    /** Planned ids done and remaining in `gallery`. */
    BackfillProgress progress(const Gallery& gallery) const {
        BackfillProgress out;
        detail::check(stasis_backfill_plan_progress(raw_, gallery.get(), &out.done, &out.remaining));
        return out;
    }
};

/** A backfill curve: steps + 1 points and the trapezoid area. */
struct BackfillCurve {
    std::vector<double> fractions;
    std::vector<double> values;
    double area = 0;
};

/**
 * Follows `plan` on `gallery`, upserting new_vectors (row i for ids[i]) in plan order and
 * measuring top-1 of the labelled queries at fractions 0, 1/steps, ..., 1
 * (stasis_backfill_curve). The gallery ends fully backfilled.
 */
inline BackfillCurve backfill_curve(Gallery& gallery, const BackfillPlan& plan, int64_t n, const int64_t* ids,
                                    const int32_t* labels, int64_t new_dim, const float* new_vectors,
                                    int64_t query_count, int64_t query_dim, const float* queries,
                                    uint32_t query_version, const int32_t* query_labels, int64_t steps) {
    BackfillCurve out;
    std::size_t points = steps > 0 ? static_cast<std::size_t>(steps) + 1 : 0;
    out.fractions.assign(points, 0.0);
    out.values.assign(points, 0.0);
    detail::check(stasis_backfill_curve(gallery.get(), plan.get(), n, ids, labels, new_dim, new_vectors, query_count,
                                        query_dim, queries, query_version, query_labels, steps,
                                        out.fractions.data(), out.values.data(), &out.area));
    return out;
}

}  // namespace stasis

#endif /* STASIS_HPP */

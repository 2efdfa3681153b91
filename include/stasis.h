/*
 * stasis.h: the C interface of libstasis, the reference manual of the library.
 *
 * Stasis lets a search service upgrade its embedding model without re-encoding its gallery. This
 * header is the stable contract for C, C++, Python (ctypes) and any language with a C FFI.
 *
 * Conventions that hold for every function unless its comment says otherwise:
 *
 *  - Errors. Fallible functions return a stasis_status; STASIS_OK (0) is success. On failure,
 *    stasis_last_error() returns a message naming the offending value, and no state has changed:
 *    an index is never left half-mutated, an output handle is set to NULL, output buffers may hold
 *    partial data. Invalid input never aborts the calling process: NULL pointers, negative counts,
 *    sizes beyond the documented limits and handles of the wrong kind (an index passed where an
 *    encoder is expected) return STASIS_ERROR_INVALID_ARGUMENT. A freed or never-allocated handle
 *    cannot be detected and is undefined behaviour, as in any C library.
 *  - Ownership. Handles returned through `out` parameters belong to the caller and are released
 *    with their stasis_*_free function (which accepts NULL). Input buffers are only read during the
 *    call (copied where they must be kept). Output buffers are allocated by the caller.
 *  - Layout. Vectors are float32, row-major, n rows of `dim` contiguous values, no stride.
 *    Sizes and ids are int64_t; model versions are uint32_t.
 *  - Threads. Each function documents what may run concurrently. Errors are per thread.
 *  - Similarity. Indexes score by cosine similarity: the library L2-normalises every vector it is
 *    given (stored or query) and refuses zero vectors and NaN/Inf components.
 */
#ifndef STASIS_H
#define STASIS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define STASIS_API __declspec(dllimport)
#else
#define STASIS_API __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------------------------ */
/* Library: versions, status codes, errors, threads                                           */
/* ------------------------------------------------------------------------------------------ */

/** Version of this header. Compare with stasis_version_number() to detect a mismatched .so. */
#define STASIS_VERSION_MAJOR 0
#define STASIS_VERSION_MINOR 1
#define STASIS_VERSION_PATCH 0
#define STASIS_VERSION "0.1.0"
/** MAJOR * 1000000 + MINOR * 1000 + PATCH. */
#define STASIS_VERSION_NUMBER 1000

/**
 * Binary interface version. Raised only when a change would break an existing compiled caller;
 * a caller should refuse to run when stasis_abi_version() differs from this macro.
 */
#define STASIS_ABI_VERSION 1

/** Result of every fallible call. Values are stable across versions; new codes may be added. */
typedef int32_t stasis_status;

#define STASIS_OK 0
/** A NULL pointer, a negative count, k <= 0, NaN/Inf, a zero vector, a negative or repeated id,
 *  an unknown factory string, a bad option value. */
#define STASIS_ERROR_INVALID_ARGUMENT 1
/** Vectors whose dimension differs from the index's. */
#define STASIS_ERROR_DIMENSION_MISMATCH 2
/** Data from another space or model version that cannot be mixed with this one. */
#define STASIS_ERROR_INCOMPATIBLE 3
/** An id that is not in the index. */
#define STASIS_ERROR_NOT_FOUND 4
/** The index type (IVF, PQ) needs stasis_index_train before vectors can be added or searched. */
#define STASIS_ERROR_NOT_TRAINED 5
/** The operating system refused a file operation (missing file, permissions, disk full). */
#define STASIS_ERROR_IO 6
/** Not a Stasis file of the expected kind, truncated, or failing its checksum. */
#define STASIS_ERROR_CORRUPT_FILE 7
/** A file written by a newer Stasis in a format this library cannot read. */
#define STASIS_ERROR_UNSUPPORTED_FORMAT 8
/** An allocation failed. */
#define STASIS_ERROR_OUT_OF_MEMORY 9
/** A bug in Stasis or Faiss; please report it with stasis_last_error(). */
#define STASIS_ERROR_INTERNAL 10
/** A valid request this index type or library version does not support. */
#define STASIS_ERROR_UNSUPPORTED 11
/** A long call (training) stopped by its progress callback: nothing was produced or assigned. */
#define STASIS_ERROR_CANCELLED 12

/** Library version as "MAJOR.MINOR.PATCH". Static storage; never free it. Thread-safe. */
STASIS_API const char* stasis_version(void);

/** Library version as MAJOR * 1000000 + MINOR * 1000 + PATCH. Thread-safe. */
STASIS_API int stasis_version_number(void);

/** ABI version of the loaded library; compare with STASIS_ABI_VERSION. Thread-safe. */
STASIS_API int stasis_abi_version(void);

/**
 * Short static description of a status code ("invalid argument"); "unknown status code" for
 * values this library does not define. Never NULL; never free it. Thread-safe.
 */
STASIS_API const char* stasis_status_string(stasis_status status);

/**
 * Message describing the last failed call on the calling thread, naming the offending value, or
 * "" when the last call succeeded. Never NULL. The string belongs to the library and stays valid
 * until the next stasis_* call on the same thread; copy it to keep it. Thread-safe (per thread).
 */
STASIS_API const char* stasis_last_error(void);

/**
 * Sets the number of threads used by parallel operations (search batches, training, adding,
 * encoding), shared between Faiss's OpenMP pool and OpenBLAS so the two never oversubscribe the
 * cores. 0 restores the default: every processor. Affects calls that start after it returns.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT for a negative or implausibly large count.
 * Thread safety: may be called from any thread, but OpenBLAS resizes its pool process-wide, so
 * call it at start-up or between batches rather than while other threads are encoding.
 */
STASIS_API stasis_status stasis_set_num_threads(int threads);

/** Threads parallel operations will use (the setting, or the processor count). Thread-safe. */
STASIS_API int stasis_get_num_threads(void);

/** Frees a string the library allocated for the caller (e.g. by stasis_index_inspect). NULL is a
 *  no-op. Thread-safe. */
STASIS_API void stasis_string_free(char* string);

/* ------------------------------------------------------------------------------------------ */
/* Index: versioned vectors with int64 ids, searched by cosine similarity                    */
/* ------------------------------------------------------------------------------------------ */

/**
 * An index of unit vectors backed by Faiss. Every vector has a caller-chosen int64 id (>= 0) and
 * is stamped with the model version (uint32) that produced it.
 *
 * Thread safety of every stasis_index_* function: concurrent calls on one index are safe. The
 * library takes a reader-writer lock: searches, counts, lookups and saves run in parallel;
 * train, add, remove and set_search_defaults run exclusively (they wait for running searches).
 * stasis_index_free must not race with any other call on the same handle.
 */
typedef struct stasis_index stasis_index;

/**
 * Per-search parameters. Initialise with STASIS_SEARCH_OPTIONS_INIT so struct_size is set, then
 * change fields; fields left at 0 mean "default". Passing NULL instead means all defaults.
 * The library reads only the first struct_size bytes, so callers compiled against an older,
 * smaller version of this struct keep working.
 */
typedef struct stasis_search_options {
    /** sizeof(stasis_search_options), as compiled by the caller. Required. */
    size_t struct_size;
    /** HNSW beam width (efSearch): larger is slower and finds more true neighbours. 0 = the
     *  index default. Ignored by other index types. */
    int32_t ef_search;
    /** IVF lists visited per query (nprobe): larger is slower and more accurate. 0 = the index
     *  default. Ignored by other index types. */
    int32_t nprobe;
    /** Nonzero: only vectors stamped with `version` are eligible. */
    int32_t filter_version;
    /** The model version to restrict to when filter_version is nonzero. */
    uint32_t version;
} stasis_search_options;

/** Initialiser for stasis_search_options: struct_size set, everything else default. */
#define STASIS_SEARCH_OPTIONS_INIT {sizeof(stasis_search_options), 0, 0, 0, 0}

/**
 * Creates an empty index of dimension `dim` (1...65536) from a factory description. Accepted
 * descriptions, every number checked before Faiss sees it:
 *   "Flat"                                exact search
 *   "HNSW<M>", "HNSW<M>,Flat"             graph; M in 2...256 ("HNSW" alone means HNSW32)
 *   "HNSW<M>,SQ8" (or SQ4, SQ6, SQfp16)   graph over scalar-quantised vectors
 *   "IVF<lists>,Flat"                     inverted lists; lists in 1...1048576
 *   "IVF<lists>,SQ8" (or SQ4, SQ6, SQfp16)
 *   "IVF<lists>,PQ<m>[x<bits>][np]"       product codes; m in 1...dim and divides dim, bits in
 *                                         1...8 (default 8); "np" skips polysemous training,
 *                                         which is slow for large m
 * Anything else (other Faiss types, IDMap, HNSW over PQ, which Faiss 1.7.3 builds with the L2
 * metric) is refused. stasis_index_factory reports the canonical form ("HNSW" -> "HNSW32").
 * IVF, PQ and SQ types need stasis_index_train before adding; training needs at least as many
 * vectors as lists (or PQ centroids, 2^bits).
 * On success *out receives a new handle, to be released with stasis_index_free.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT for a NULL pointer, dim outside 1...65536, or a
 * description outside the grammar or its limits (the message names the part and the limit).
 * *out is NULL on error.
 */
STASIS_API stasis_status stasis_index_create(int64_t dim, const char* factory, stasis_index** out);

/** Releases an index handle. NULL is a no-op. Not concurrent with other calls on `index`. */
STASIS_API void stasis_index_free(stasis_index* index);

/**
 * Trains the index on `n` representative vectors of dimension `dim` (IVF k-means, PQ and SQ
 * codebooks). Needed once, before the first add, by IVF and PQ types; harmless for others.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, n <= 0, NaN/Inf, zero vector, too few vectors for
 * the number of lists), STASIS_ERROR_DIMENSION_MISMATCH, STASIS_ERROR_UNSUPPORTED when the index
 * already holds vectors. Exclusive (waits for running searches).
 */
STASIS_API stasis_status stasis_index_train(stasis_index* index, int64_t n, int64_t dim,
                                            const float* vectors);

/** Sets *out to 1 when vectors can be added, 0 when stasis_index_train is needed first. */
STASIS_API stasis_status stasis_index_is_trained(const stasis_index* index, int* out);

/**
 * Adds n vectors (n x dim floats) with ids[0..n-1], all stamped with model `version`. An id that
 * is already present is replaced, whatever its version (upsert). The vectors are copied and
 * normalised; the caller keeps its buffers.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL with n > 0, n < 0, NaN/Inf, zero vector, negative
 * id, an id repeated within the batch; the message names the row or id),
 * STASIS_ERROR_DIMENSION_MISMATCH, STASIS_ERROR_NOT_TRAINED. Nothing is added on error.
 * Exclusive (waits for running searches).
 */
STASIS_API stasis_status stasis_index_add(stasis_index* index, int64_t n, int64_t dim,
                                          const float* vectors, const int64_t* ids,
                                          uint32_t version);

/**
 * Removes the vectors with ids[0..n-1]. Every id must be present; otherwise nothing is removed
 * and the status is STASIS_ERROR_NOT_FOUND naming the first unknown id. Repeated ids in the
 * batch are removed once. Exclusive (waits for running searches).
 */
STASIS_API stasis_status stasis_index_remove(stasis_index* index, int64_t n, const int64_t* ids);

/**
 * Finds the k most similar vectors for each of n queries (n x dim floats).
 * Writes n x k values, row-major and best first, into the caller's buffers:
 *   out_scores   cosine similarities (-INFINITY where fewer than k vectors are eligible),
 *   out_ids      ids (-1 where fewer than k vectors are eligible),
 *   out_versions model version of each hit (0 for missing hits); may be NULL.
 * `options` may be NULL (all defaults); see stasis_search_options.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL buffers with n > 0, n < 0, k <= 0, NaN/Inf or zero
 * query, bad options), STASIS_ERROR_DIMENSION_MISMATCH, STASIS_ERROR_NOT_TRAINED,
 * STASIS_ERROR_UNSUPPORTED (options set a field this library does not know).
 * Concurrent with other searches and reads; uses up to stasis_get_num_threads() threads.
 * Flat indexes of 4,096 vectors or more on AVX2: the first search builds an 8-bit copy of the
 * vectors (a quarter of their float size, kept with the index, extended after adds) that
 * searches use to rule rows out; results stay those of a float search. See
 * stasis_set_flat_prefilter.
 */
STASIS_API stasis_status stasis_index_search(const stasis_index* index, int64_t n, int64_t dim,
                                             const float* queries, int64_t k,
                                             const stasis_search_options* options,
                                             float* out_scores, int64_t* out_ids,
                                             uint32_t* out_versions);

/**
 * Sets the index's default ef_search and nprobe, used by searches that leave them at 0 and saved
 * with the index. filter_version must be 0 here (a version filter is per search).
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, negative values, a version filter).
 * Exclusive (waits for running searches).
 */
STASIS_API stasis_status stasis_index_set_search_defaults(stasis_index* index,
                                                          const stasis_search_options* options);

/** Sets *out to the vector dimension. */
STASIS_API stasis_status stasis_index_dimension(const stasis_index* index, int64_t* out);

/** Sets *out to the factory description (owned by the index, valid until stasis_index_free). */
STASIS_API stasis_status stasis_index_factory(const stasis_index* index, const char** out);

/** Sets *out to the number of vectors in the index (removed and replaced ones excluded). */
STASIS_API stasis_status stasis_index_count(const stasis_index* index, int64_t* out);

/** Sets *out to the number of vectors stamped with `version` (0 when there are none). */
STASIS_API stasis_status stasis_index_count_version(const stasis_index* index, uint32_t version,
                                                    int64_t* out);

/**
 * Lists the model versions present, in increasing order, with their vector counts. Writes at most
 * `capacity` entries into out_versions / out_counts (which may be NULL when capacity is 0) and
 * sets *out_total to the number of versions present, so a first call with capacity 0 sizes the
 * buffers. Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, capacity < 0).
 */
STASIS_API stasis_status stasis_index_versions(const stasis_index* index, int64_t capacity,
                                               uint32_t* out_versions, int64_t* out_counts,
                                               int64_t* out_total);

/**
 * For each of ids[0..n-1], sets out_found[i] to 1 if present (else 0) and, when out_versions is
 * not NULL, out_versions[i] to its model version (0 when absent). Never fails on unknown ids.
 */
STASIS_API stasis_status stasis_index_lookup(const stasis_index* index, int64_t n,
                                             const int64_t* ids, uint8_t* out_found,
                                             uint32_t* out_versions);

/*
 * Durability contract (docs/durability.md). A save that returns STASIS_OK has written, fsynced
 * and renamed the complete file into place (the directory fsync is attempted): after a crash or
 * power loss the path holds that file or the previous one, each whole and checksummed, plus at
 * most a `*.tmp-*` file to delete. Without a write-ahead log nothing changed after the last save
 * survives a crash. With one (stasis_index_enable_wal), every add, upsert and remove that
 * returned STASIS_OK survives the process being killed; it survives a power loss too when the
 * log syncs every call (with STASIS_WAL_SYNC_INTERVAL, up to the last interval_ms may be lost;
 * with STASIS_WAL_SYNC_OFF, whatever the OS had not written back). Reopening the saved file and
 * enabling the log on it again replays those changes; a torn last record is dropped, never
 * misread. Training and search defaults are not logged: save or checkpoint after changing them.
 */

/**
 * Saves the index to one file at `path`, atomically: the bytes go to a temporary file in the same
 * directory, which is fsynced and renamed over `path`, so a crash leaves either the previous file
 * or the complete new one. Runs concurrently with searches.
 * `path` must be a regular file or not exist: a directory, device node, FIFO or socket is refused
 * (renaming over it would replace it). A symbolic link is followed: the file it points to is
 * replaced and the link stays; a link to a missing location is refused. Every save in this header
 * (spaces, encoders) follows the same rules.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL), STASIS_ERROR_IO (the message carries the OS
 * reason or names the non-regular target; `path` is untouched).
 */
STASIS_API stasis_status stasis_index_save(const stasis_index* index, const char* path);

/**
 * Opens an index saved by stasis_index_save. On success *out receives a new handle.
 * The checksums guard against bit rot, not against a crafted file, and Faiss's reader trusts its
 * input; so before Faiss reads the payload its structure is checked against the bytes present:
 * type codes (only the index types stasis_index_create makes), dimension, metric, every size and
 * count, PQ and SQ parameters and tables, HNSW levels, offsets, neighbour ids (in range and on
 * the level that lists them), entry point and search parameters, IVF quantizer, list ids (each
 * < the vector count) and list sizes (summing to it). A file that fails is CORRUPT_FILE. The
 * checks read every neighbour id and list id once; see docs/formats.md for their cost.
 * Errors: STASIS_ERROR_IO (missing or unreadable), STASIS_ERROR_CORRUPT_FILE (not a Stasis index,
 * truncated, checksum mismatch, malformed payload), STASIS_ERROR_UNSUPPORTED_FORMAT (written by a
 * newer Stasis). *out is NULL on error. Thread-safe.
 */
STASIS_API stasis_status stasis_index_open(const char* path, stasis_index** out);

/**
 * Reads an index file's header without loading its vectors and returns it as a JSON object:
 * {"format", "library", "dimension", "metric", "factory", "trained", "count", "slots",
 *  "versions": [{"version", "count"}...], "searchDefaults", "payloadBytes", "checksum"} and,
 *  when a write-ahead log was checkpointed into the file, "walSequence".
 * *out_json receives a NUL-terminated string to release with stasis_string_free.
 * Errors: as stasis_index_open, except that the checksum is not verified. Thread-safe.
 */
STASIS_API stasis_status stasis_index_inspect(const char* path, char** out_json);

/* ------------------------------------------------------------------------------------------ */
/* Spaces: the fixed classifier geometry every model version is trained against              */
/* ------------------------------------------------------------------------------------------ */

/**
 * A stationary space: K pre-allocated class vertices in dimension d (a fixed polytope or a
 * spherical code) plus the append-only class registry (label -> vertex). Identified by a
 * fingerprint over (kind, K, d, vertex matrix). Vectors of encoders that share a fingerprint can
 * be compared directly.
 *
 * Thread safety: every stasis_space_* call may run concurrently on one space; registry updates
 * (assign) are serialised by the library. stasis_space_free must not race with other calls.
 */
typedef struct stasis_space stasis_space;

/**
 * Builds a space. `kind` is one of:
 *   "simplex"         K vertices of a regular simplex, d = K - 1 (K <= 8192), cosine -1/(K-1);
 *   "orthoplex"       +e_i and -e_i, d = ceil(K/2);
 *   "cube"            {+-1/sqrt(d)}^d corners, d = ceil(log2 K);
 *   "spherical-code"  K >> d: a seeded low-coherence code; `dim` required; see
 *                     stasis_space_max_cosine for its largest pairwise cosine.
 * `dim` = 0 takes the kind's dimension (polytopes); when given it must match. `seed` is used by
 * spherical codes only (0 for the others). The vertex matrix is identical on every machine for
 * the same (kind, K, dim, seed). Building a spherical code costs O(K^2 d / 64) bit operations
 * (seconds for K = 100k, d = 256).
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (unknown kind, K < 2, dim mismatch, a code that cannot be
 * separated in `dim` dimensions). *out is NULL on error.
 */
STASIS_API stasis_status stasis_space_create(const char* kind, int64_t classes, int64_t dim,
                                             uint64_t seed, stasis_space** out);

/** Releases a space handle. NULL is a no-op. */
STASIS_API void stasis_space_free(stasis_space* space);

/** Saves the space (vertices and registry) as a safetensors file, atomically, with the target
 *  rules of stasis_index_save (regular files only; symbolic links followed).
 *  Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL), STASIS_ERROR_IO. */
STASIS_API stasis_status stasis_space_save(const stasis_space* space, const char* path);

/** Opens a space saved by stasis_space_save; checks the vertices against the fingerprint.
 *  Errors: STASIS_ERROR_IO, STASIS_ERROR_CORRUPT_FILE, STASIS_ERROR_UNSUPPORTED_FORMAT (a newer
 *  format or an unknown space kind), STASIS_ERROR_INVALID_ARGUMENT (a Stasis file of another
 *  kind). */
STASIS_API stasis_status stasis_space_open(const char* path, stasis_space** out);

/** A space file's metadata and tensor shapes as JSON, without loading the vertices; release
 *  *out_json with stasis_string_free. Errors: as stasis_space_open. */
STASIS_API stasis_status stasis_space_inspect(const char* path, char** out_json);

/** Sets *out to the kind name ("simplex", ...), owned by the space. */
STASIS_API stasis_status stasis_space_kind(const stasis_space* space, const char** out);

/** Sets *out to the fingerprint (16 hex digits), owned by the space. */
STASIS_API stasis_status stasis_space_fingerprint(const stasis_space* space, const char** out);

/** Sets *out to K, the number of pre-allocated class vertices. */
STASIS_API stasis_status stasis_space_class_count(const stasis_space* space, int64_t* out);

/** Sets *out to d, the vertex dimension (every encoder output in this space has it). */
STASIS_API stasis_status stasis_space_dimension(const stasis_space* space, int64_t* out);

/** Sets *out to the largest cosine between two distinct vertices. */
STASIS_API stasis_status stasis_space_max_cosine(const stasis_space* space, double* out);

/** Copies the K x d vertex matrix (row-major, unit rows) into `out`, which must hold exactly
 *  `capacity` = K * d floats. Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, other capacity). */
STASIS_API stasis_status stasis_space_vertices(const stasis_space* space, int64_t capacity,
                                               float* out);

/** Sets *out to the number of labels assigned so far. */
STASIS_API stasis_status stasis_space_label_count(const stasis_space* space, int64_t* out);

/**
 * Writes the vertex of each of labels[0..n-1] to out_vertices, assigning the next free vertices
 * (in order 0, 1, 2, ...) to labels seen for the first time. A label keeps its vertex forever;
 * integer and string labels are distinct (7 and "7" are two labels). Save the space to persist
 * new assignments. All-or-nothing: STASIS_ERROR_UNSUPPORTED when the new labels do not fit in K,
 * and then nothing is assigned. Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL with n > 0, n < 0).
 */
STASIS_API stasis_status stasis_space_assign_ids(stasis_space* space, int64_t n,
                                                 const int64_t* labels, int64_t* out_vertices);

/** As stasis_space_assign_ids, for NUL-terminated UTF-8 string labels. */
STASIS_API stasis_status stasis_space_assign_names(stasis_space* space, int64_t n,
                                                   const char* const* labels,
                                                   int64_t* out_vertices);

/** Writes the vertex of each label, or -1 for labels never assigned. Never assigns. */
STASIS_API stasis_status stasis_space_lookup_ids(const stasis_space* space, int64_t n,
                                                 const int64_t* labels, int64_t* out_vertices);

/** As stasis_space_lookup_ids, for string labels. */
STASIS_API stasis_status stasis_space_lookup_names(const stasis_space* space, int64_t n,
                                                   const char* const* labels,
                                                   int64_t* out_vertices);

/* ------------------------------------------------------------------------------------------ */
/* Encoders: versioned models mapping backbone features into a space                         */
/* ------------------------------------------------------------------------------------------ */

/**
 * One model version: a small layer stack (Linear, ReLU, GELU, LayerNorm, folded BatchNorm) that
 * maps in_dim backbone features to unit vectors in a space. Stored as safetensors; see
 * docs/formats.md for the tensor names and metadata (a PyTorch nn.Sequential exported under the
 * attribute name `layers` follows them).
 *
 * Thread safety: an encoder is immutable; every call may run concurrently on one encoder.
 * stasis_encoder_free must not race with other calls.
 */
typedef struct stasis_encoder stasis_encoder;

/** Opens an encoder file. Errors: STASIS_ERROR_IO, STASIS_ERROR_CORRUPT_FILE,
 *  STASIS_ERROR_UNSUPPORTED_FORMAT, STASIS_ERROR_UNSUPPORTED (tensor dtype),
 *  STASIS_ERROR_INVALID_ARGUMENT (another kind of file, missing or misshapen tensors, an unknown
 *  layer type, NaN/Inf weights; the message names the tensor). *out is NULL on error. */
STASIS_API stasis_status stasis_encoder_open(const char* path, stasis_encoder** out);

/** Releases an encoder handle. NULL is a no-op. */
STASIS_API void stasis_encoder_free(stasis_encoder* encoder);

/** Saves the encoder (its tensors as loaded, F32, and metadata) atomically. */
STASIS_API stasis_status stasis_encoder_save(const stasis_encoder* encoder, const char* path);

/** An encoder file's metadata and tensor shapes as JSON, without loading the weights; release
 *  *out_json with stasis_string_free. */
STASIS_API stasis_status stasis_encoder_inspect(const char* path, char** out_json);

/** Sets *out to the feature width the encoder expects. */
STASIS_API stasis_status stasis_encoder_input_dimension(const stasis_encoder* encoder,
                                                        int64_t* out);

/** Sets *out to the output width (the space's dimension). */
STASIS_API stasis_status stasis_encoder_output_dimension(const stasis_encoder* encoder,
                                                         int64_t* out);

/** Sets *out to the model version stamped on the vectors it produces. */
STASIS_API stasis_status stasis_encoder_version(const stasis_encoder* encoder, uint32_t* out);

/** Sets *out to the fingerprint of the encoder's space, owned by the encoder. */
STASIS_API stasis_status stasis_encoder_space(const stasis_encoder* encoder, const char** out);

/** Sets *out to the metadata value under `key` (e.g. "stasis.backbone"), owned by the encoder.
 *  Errors: STASIS_ERROR_NOT_FOUND when the key is absent (*out is NULL). */
STASIS_API stasis_status stasis_encoder_metadata(const stasis_encoder* encoder, const char* key,
                                                 const char** out);

/**
 * Encodes n rows of in_dim features into n rows of out_dim unit vectors, written to `out`
 * (caller-allocated, n * out_dim floats). Uses OpenBLAS sgemm with stasis_get_num_threads().
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL with n > 0, n < 0, a row with NaN/Inf: the message
 * gives the row and column; an output row that is zero), STASIS_ERROR_DIMENSION_MISMATCH (in_dim
 * or out_dim differ from the encoder's). `out` may hold partial results on error.
 */
STASIS_API stasis_status stasis_encoder_encode(const stasis_encoder* encoder, int64_t n,
                                               int64_t in_dim, const float* features,
                                               int64_t out_dim, float* out);

/* ------------------------------------------------------------------------------------------ */
/* Index bound to a space                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** Creates an empty index for vectors of `space` (dimension = the space's d); the index records
 *  the space's fingerprint and refuses encoders of other spaces. Otherwise as stasis_index_create. */
STASIS_API stasis_status stasis_index_create_for_space(const stasis_space* space,
                                                       const char* factory, stasis_index** out);

/** Sets *out to the fingerprint of the index's space (owned by the index), or NULL when the index
 *  is not bound to a space. */
STASIS_API stasis_status stasis_index_space(const stasis_index* index, const char** out);

/**
 * Encodes n rows of in_dim backbone features with `encoder` and adds them under ids[0..n-1],
 * stamped with the encoder's version (upsert as stasis_index_add).
 * Errors: STASIS_ERROR_INCOMPATIBLE (the encoder belongs to another space than the index's),
 * STASIS_ERROR_DIMENSION_MISMATCH (in_dim differs from the encoder's, or the encoder's output from
 * the index's dimension), and those of stasis_encoder_encode and stasis_index_add.
 * Exclusive on the index (waits for running searches) once the features are encoded.
 */
STASIS_API stasis_status stasis_index_add_features(stasis_index* index,
                                                   const stasis_encoder* encoder, int64_t n,
                                                   int64_t in_dim, const float* features,
                                                   const int64_t* ids);

/** Encodes n query rows with `encoder` and searches; outputs and errors as
 *  stasis_index_search plus those of stasis_index_add_features. Concurrent with other searches. */
STASIS_API stasis_status stasis_index_search_features(
    const stasis_index* index, const stasis_encoder* encoder, int64_t n, int64_t in_dim,
    const float* features, int64_t k, const stasis_search_options* options, float* out_scores,
    int64_t* out_ids, uint32_t* out_versions);
/* Distance kernels: SIMD variant chosen at run time, portable fallback                       */
/* ------------------------------------------------------------------------------------------ */

/**
 * Forces (portable != 0) or releases (portable == 0) the portable C++ distance kernels. By default
 * searches and HNSW construction use the fastest kernels the CPU and OS support (AVX-512, then
 * AVX2+FMA); the portable ones exist to compare results and speed, or to rule the SIMD code out
 * when diagnosing. Results agree up to floating-point summation order (last bits of a score).
 * The initial state comes from the environment: STASIS_PORTABLE_KERNELS set to anything other
 * than "" or "0" starts portable. Affects operations that start after it returns; running ones
 * keep their kernels. Never fails (returns STASIS_OK). Thread-safe.
 */
STASIS_API stasis_status stasis_set_portable_kernels(int portable);

/**
 * Name of the kernels operations starting now will use: "avx512", "avx2" or "portable".
 * Static storage: never free it. Never NULL. Thread-safe.
 */
STASIS_API const char* stasis_kernel_name(void);

/**
 * Allows (enabled != 0, the default) or stops (0) Flat searches through an 8-bit copy of an
 * index's vectors. On AVX2, a Flat index of 4,096 vectors or more (searched with k up to a
 * sixteenth of its size) scores every vector with 8-bit integer products first and rescores in
 * float only those whose proven error bound leaves them a chance; results are those of a float
 * search, at about 2x the speed for batches and 4x for single queries. The copy costs a quarter
 * of the float vectors' memory, is built by the index's first such search and extended after
 * adds. Stopping it frees each index's copy at that index's next search. The initial state comes
 * from the environment: STASIS_FLAT_PREFILTER=0 starts it stopped. Affects searches that start
 * after it returns. Never fails (returns STASIS_OK). Thread-safe.
 */
STASIS_API stasis_status stasis_set_flat_prefilter(int enabled);

/** 1 when Flat searches may use 8-bit copies (stasis_set_flat_prefilter), else 0. Thread-safe. */
STASIS_API int stasis_flat_prefilter_enabled(void);

/* ------------------------------------------------------------------------------------------ */
/* Evaluation: retrieval metrics, compatibility matrix, cutover gate, report                  */
/* ------------------------------------------------------------------------------------------ */

/*
 * Every metric is computed with exact search (all query-gallery cosine similarities, BLAS sgemm
 * over L2-normalised vectors), so it never depends on an approximate index's recall. Values are
 * fractions in [0, 1]. Formulas and key names: docs/evaluation.md.
 *
 * Tie rule: rankings break ties pessimistically. A wrong gallery entry scoring exactly as high as
 * a correct one ranks before it, so a query is right at top-1 only when a correct entry scores
 * strictly above every wrong one. Compatibility (ECC, AC, the gate) uses strict >: a new model
 * that only equals the old one is not counted as compatible.
 */

/**
 * A labelled set of vectors: n rows of `dim` floats (any length: the library normalises a copy)
 * with one int64 class label per row. Borrowed for the duration of the call only. The layout is
 * fixed for this ABI version (no struct_size).
 */
typedef struct stasis_labelled_vectors {
    int64_t n;
    int64_t dim;
    const float* vectors;
    const int64_t* labels;
} stasis_labelled_vectors;

/** Gallery modes: every item a candidate, or one L2-normalised mean ("template") per class. */
#define STASIS_GALLERY_ITEMS 0
#define STASIS_GALLERY_TEMPLATES 1

/**
 * Top-1, Recall@k and mAP of `queries` against `gallery`.
 *  - top-1: fraction of queries whose first-ranked entry has their class (CMC@1).
 *  - Recall@k: fraction of queries with an entry of their class among the first k (the metric
 *    learning Recall@k, i.e. CMC@k; Recall@1 = top-1).
 *  - mAP: mean over queries of average precision over all entries of the query's class.
 * `gallery` NULL: the queries search each other, each query left out of the gallery (and, with
 * STASIS_GALLERY_TEMPLATES, out of its own class mean). `mode` is STASIS_GALLERY_ITEMS or
 * STASIS_GALLERY_TEMPLATES. `ks` holds n_k values of k (each in 1...2^20; n_k may be 0, then
 * `ks` and `out_recall` may be NULL); out_recall[i] receives Recall@ks[i].
 * Errors: STASIS_ERROR_INVALID_ARGUMENT for NULL outputs, n = 0, NaN/Inf, a zero vector, a bad k
 * or mode, a query label missing from the gallery (under leave-one-out: a class with a single
 * item); STASIS_ERROR_DIMENSION_MISMATCH when queries and gallery differ in dim.
 * Thread-safe.
 */
STASIS_API stasis_status stasis_retrieval_metrics(const stasis_labelled_vectors* queries,
                                                  const stasis_labelled_vectors* gallery,
                                                  int32_t mode, int64_t n_k, const int64_t* ks,
                                                  double* out_top1, double* out_recall,
                                                  double* out_map);

/**
 * AC, AM, BC and FC of a compatibility matrix: `matrix` holds t x t doubles, row-major,
 * matrix[i * t + j] = metric of version i's queries on version j's gallery; entries above the
 * diagonal are ignored (may be NaN). With 0-based indexes:
 *  AC = 2/(t(t-1)) * #{i > j : M[i][j] > M[j][j]}  (strict; 0 when t = 1),
 *  AM = mean of the t(t+1)/2 entries on and below the diagonal (zeros included),
 *  BC = mean over j < t-1 of M[t-1][j] - M[j][j],  FC = mean over i >= 1 of M[i][i-1] - M[i][i];
 *  BC and FC are NaN when t = 1.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT for NULL, t < 1, NaN/Inf on or below the diagonal.
 * Thread-safe.
 */
STASIS_API stasis_status stasis_compatibility_metrics(int64_t t, const double* matrix,
                                                      double* out_ac, double* out_am,
                                                      double* out_bc, double* out_fc);

/**
 * Options of stasis_evaluate. Initialise with STASIS_EVALUATE_OPTIONS_INIT, then change fields;
 * zero/NULL fields mean "default". NULL instead of a struct means all defaults. The library
 * reads only the first struct_size bytes.
 */
typedef struct stasis_evaluate_options {
    /** sizeof(stasis_evaluate_options), as compiled by the caller. Required. */
    size_t struct_size;
    /** Matrix metric: "top1" (NULL = default), "map" or "recall@K". Copied. */
    const char* metric;
    /** STASIS_GALLERY_ITEMS (default) or STASIS_GALLERY_TEMPLATES. */
    int32_t mode;
    /** Number of k values in `ks` for the Recall@k matrices; 0 = {1, 5, 10}. */
    int32_t n_k;
    const int64_t* ks;
    /** Pairs sampled per cell and per kind for the pair inequalities; 0 = 10000, < 0 = none. */
    int64_t pair_samples;
    /** Seed of the pair sampling: the same seed and inputs give the same rates. */
    uint64_t seed;
    /** Margin of the report's default gate (newest version against every gallery). */
    double margin;
    /** Report title; NULL = "Model compatibility report". Copied. */
    const char* title;
    /** Optional unconstrained reference model (new*) for the update gain: its queries, and its
     *  gallery (NULL = leave-one-out, which must match how the versions are given). */
    const stasis_labelled_vectors* reference_queries;
    const stasis_labelled_vectors* reference_gallery;
} stasis_evaluate_options;

/** Initialiser for stasis_evaluate_options: struct_size set, everything else default. */
#define STASIS_EVALUATE_OPTIONS_INIT {sizeof(stasis_evaluate_options), 0, 0, 0, 0, 0, 0, 0.0, 0, 0, 0}

/**
 * The result of an evaluation: the compatibility matrix, its summary metrics (AC, AM, BC, FC,
 * update gain), ECC per cell, negative flips, pair-inequality rates, and a default gate.
 * Thread safety: concurrent calls on one report are safe; stasis_report_set_backfill runs
 * exclusively. stasis_report_free must not race with any other call on the same handle.
 */
typedef struct stasis_report stasis_report;

/**
 * Evaluates t model versions (oldest first). Cell [i][j] (j <= i) ranks version i's queries
 * against version j's gallery. `versions` holds t distinct version numbers (NULL = 1..t);
 * `queries` and `galleries` each point to t stasis_labelled_vectors. `galleries` NULL: every
 * version's queries serve as its gallery with leave-one-out, which needs the same items, in the
 * same order and with the same labels, for every version (row i of each version is one item).
 * Negative flips and pair inequalities are measured only when the query sets hold the same items
 * (same labels in the same order); otherwise the report's notes say why they are missing.
 * On success *out receives a report, to be released with stasis_report_free.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (t < 1, NULL, repeated versions, NaN/Inf, zero vectors,
 * a query label missing from a gallery, bad options), STASIS_ERROR_DIMENSION_MISMATCH (two
 * versions meeting in a cell differ in dim), STASIS_ERROR_UNSUPPORTED (an options field this
 * library does not know). *out is NULL on error. Thread-safe.
 */
STASIS_API stasis_status stasis_evaluate(int64_t t, const uint32_t* versions,
                                         const stasis_labelled_vectors* queries,
                                         const stasis_labelled_vectors* galleries,
                                         const stasis_evaluate_options* options,
                                         stasis_report** out);

/** Releases a report. NULL is a no-op. */
STASIS_API void stasis_report_free(stasis_report* report);

/**
 * Reads a JSON report written by stasis_report_write_json (e.g. to gate in another process).
 * Errors: STASIS_ERROR_IO, STASIS_ERROR_CORRUPT_FILE (not a report, bad shape),
 * STASIS_ERROR_UNSUPPORTED_FORMAT (a newer report format). *out is NULL on error.
 */
STASIS_API stasis_status stasis_report_open(const char* path, stasis_report** out);

/** Sets *out to the number of versions t of the report. */
STASIS_API stasis_status stasis_report_version_count(const stasis_report* report, int64_t* out);

/**
 * Copies the compatibility matrix (of the report's metric) into `out_matrix`, t x t row-major,
 * NaN above the diagonal, and the version numbers into `out_versions` (t values; may be NULL).
 * `capacity` must be exactly t * t. Errors: STASIS_ERROR_INVALID_ARGUMENT for NULL or a wrong
 * capacity.
 */
STASIS_API stasis_status stasis_report_matrix(const stasis_report* report, int64_t capacity,
                                              uint32_t* out_versions, double* out_matrix);

/**
 * The cutover gate: may version `serve` answer queries against the galleries of the n versions
 * in `galleries`? Each gallery version g < serve passes when M[serve][g] - M[g][g] > margin
 * (strict; a negative margin tolerates a loss, a positive one demands a gain); serve's own
 * gallery always passes. *out_passed receives 1 (pass) or 0 (fail). When out_json is not NULL it
 * receives the verdict as JSON (keys serve, galleries, margin, metric, passed, failing: names of
 * the failing cells as "v<serve>/v<g>", cells: value and baseline of each), to be released with
 * stasis_string_free. Errors: STASIS_ERROR_INVALID_ARGUMENT for an unknown version, a gallery
 * newer than `serve`, n = 0, a repeated gallery, a NaN/Inf margin.
 */
STASIS_API stasis_status stasis_report_gate(const stasis_report* report, uint32_t serve,
                                            int64_t n, const uint32_t* galleries, double margin,
                                            int32_t* out_passed, char** out_json);

/**
 * Attaches a backfill curve (n >= 2 points: fractions of the gallery re-encoded, ascending in
 * [0, 1], and the metric at each), replacing any earlier one; `label` (may be NULL) describes it.
 * It appears in the JSON ("backfill") and as a chart in the HTML report. Exclusive.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT for NULL, n < 2, unordered fractions, NaN/Inf.
 */
STASIS_API stasis_status stasis_report_set_backfill(stasis_report* report, int64_t n,
                                                    const double* fractions, const double* values,
                                                    const char* label);

/** The report as JSON (stable keys, docs/evaluation.md) in *out_json, released with
 *  stasis_string_free. */
STASIS_API stasis_status stasis_report_json(const stasis_report* report, char** out_json);

/** The report as one self-contained HTML page (inline CSS and SVG, no script, no network asset)
 *  in *out_html, released with stasis_string_free. */
STASIS_API stasis_status stasis_report_html(const stasis_report* report, char** out_html);

/** Writes the JSON report to `path` atomically (a temporary file renamed over it). Errors:
 *  STASIS_ERROR_IO. */
STASIS_API stasis_status stasis_report_write_json(const stasis_report* report, const char* path);

/** Writes the HTML report to `path` atomically. Errors: STASIS_ERROR_IO. */
STASIS_API stasis_status stasis_report_write_html(const stasis_report* report, const char* path);

/* ------------------------------------------------------------------------------------------ */
/* Adapters: fitted maps between model versions (backward new->old, forward old->new)        */
/* ------------------------------------------------------------------------------------------ */

/**
 * A map from one model version's vectors to another's, fitted on paired samples (row i of
 * `source` and row i of `target` are the same item embedded by the two models; the dimensions
 * may differ). Which way it points is the caller's choice: source = new, target = old is a
 * *backward* adapter (map new-model queries into the old space and search the old gallery as it
 * is); source = old, target = new is a *forward* adapter (move stored vectors into the new space
 * without running the new backbone). Applying L2-normalises every input row, maps it, and
 * L2-normalises the output row. Kinds (see docs/adapters.md for the formulas):
 *   "procrustes"  y = x W^T, W (semi-)orthogonal from the SVD of X^T Y (LAPACK); no bias
 *   "ridge"       y = x W^T + b, least squares with ridge penalty alpha, closed form (Cholesky)
 *   "lowrank"     the ridge map truncated to rank r by SVD: two factors plus the bias
 *   "orthogonal"  y = x W^T + b, least squares plus lambda |G - I|^2 (G the smaller Gram matrix
 *                 of W): between ridge and a rotation; fitted by gradient steps from ridge
 *   "mlp"         y = x S^T + s + relu(x H^T + h) O^T: a linear skip started at the ridge map
 *                 plus one hidden layer, trained on cosine with AdamW (seeded, deterministic)
 *   "local"       k-means regions of the source space, one rotation per region; each row uses
 *                 a softmax-weighted mix of the rotations of its `routing` nearest regions
 * stasis_adapter_fit_unpaired fits an "orthogonal"-kind map without pairs.
 * Stored as safetensors (stasis.kind = "adapter") with the versions, dimensions, optional space
 * fingerprints and the validation numbers in the metadata.
 *
 * Thread safety: an adapter is immutable; every call may run concurrently on one adapter.
 * stasis_adapter_free must not race with other calls.
 */
typedef struct stasis_adapter stasis_adapter;

/**
 * Fit settings. Initialise with STASIS_ADAPTER_OPTIONS_INIT, then change fields; a field left at
 * 0 (or NULL) means its default. Passing NULL instead of the struct means all defaults. The
 * library reads only the first struct_size bytes (older callers keep working).
 */
typedef struct stasis_adapter_options {
    /** sizeof(stasis_adapter_options), as compiled by the caller. Required. */
    size_t struct_size;
    /** Ridge strength alpha > 0 of "ridge" and "lowrank": minimises (1/n)|Xc W - Yc|^2 +
     *  alpha |W|^2 on centred rows. 0 = default 1e-3. */
    double ridge;
    /** Rank r of a "lowrank" adapter, 1...min(source_dim, target_dim). 0 = half the smaller
     *  dimension (at least 1). Must be 0 for the other kinds. */
    int64_t rank;
    /** Fraction of the pairs held out for validation, in (0, 1). 0 = default 0.1; a negative
     *  value holds out nothing (fit on every pair, no validation numbers). */
    double validation_fraction;
    /** Seed of the shuffle that picks the held-out pairs (reproducible). */
    uint64_t seed;
    /** Optional fingerprints of the source and target spaces, recorded in the file and checked
     *  when adapters are chained (NULL = not recorded). Copied. */
    const char* source_space;
    const char* target_space;
    /** Orthogonality penalty lambda > 0 of "orthogonal". 0 = default 0.1. */
    double orthogonality;
    /** Regions of a "local" adapter, 2...4096 (0 = min(32, training pairs / 128), at least 2);
     *  anchors per side of an unpaired fit (0 = min(64, rows / 16)). Must be 0 for other kinds. */
    int64_t clusters;
    /** Nearest regions a "local" adapter mixes per row (0 = default 3; capped at clusters). */
    int64_t routing;
    /** Hidden width of an "mlp" adapter, 1...65536 (0 = default 512). */
    int64_t hidden;
    /** Passes over the pairs of an "mlp" adapter, or refinement rounds of an unpaired fit,
     *  1...10000 (0 = default 20). */
    int64_t epochs;
} stasis_adapter_options;

/** Initialiser for stasis_adapter_options: struct_size set, everything else default. */
#define STASIS_ADAPTER_OPTIONS_INIT {sizeof(stasis_adapter_options), 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0, 0}

/**
 * Fits an adapter of `kind` from source_version vectors (n x source_dim) to target_version
 * vectors (n x target_dim), both copied. Rows are L2-normalised, a seeded split holds out a
 * validation part (reported by stasis_adapter_validation), the map is fitted in double precision
 * on the rest, and *out receives the new adapter (NULL on error). Nothing is written to disk.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, unknown kind, equal versions, dimensions outside
 * 1...65536, NaN/Inf or zero rows: the message names the row and component; bad options; too few
 * pairs for the kind's parameters: procrustes needs min(source_dim, target_dim) training pairs,
 * ridge, lowrank, orthogonal and mlp source_dim + 1, local 8 per region and at least
 * min(source_dim, target_dim)). Uses OpenBLAS (stasis_set_num_threads applies); "mlp" trains
 * for `epochs` passes and is the slow kind (seconds per thousand pairs). Thread-safe.
 */
STASIS_API stasis_status stasis_adapter_fit(const char* kind, uint32_t source_version,
                                            uint32_t target_version, int64_t n,
                                            int64_t source_dim, const float* source,
                                            int64_t target_dim, const float* target,
                                            const stasis_adapter_options* options,
                                            stasis_adapter** out);

/**
 * Fits an adapter WITHOUT pairs: n_source source_version rows (source_dim) and n_target
 * target_version rows (target_dim) of different items, e.g. when the old vectors were made on
 * clients and no item has both. Spherical k-means anchors on each side (`clusters` per side) are
 * matched by the shape of their cosine structure, an orthogonal map is fitted on the matched
 * anchors and refined for `epochs` rounds on nearest-neighbour pseudo-pairs (mini-vec2vec,
 * arXiv 2510.02348). The result is an "orthogonal"-kind adapter flagged unpaired
 * (stasis_adapter_is_unpaired) with no validation numbers: nothing pairs its rows, so measure it
 * on pairs of your own if any exist. It only works as far as the two spaces are close to
 * isometric; docs/adapters.md reports how far it gets against paired adapters on real data.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, equal versions, NaN/Inf or zero rows, fewer than
 * 8 rows per anchor or min(source_dim, target_dim) rows on a side, bad options),
 * STASIS_ERROR_DIMENSION_MISMATCH. Thread-safe.
 */
STASIS_API stasis_status stasis_adapter_fit_unpaired(uint32_t source_version,
                                                     uint32_t target_version, int64_t n_source,
                                                     int64_t source_dim, const float* source,
                                                     int64_t n_target, int64_t target_dim,
                                                     const float* target,
                                                     const stasis_adapter_options* options,
                                                     stasis_adapter** out);

/** Sets *out to 1 when the adapter was fitted without pairs (stasis_adapter_fit_unpaired or a
 *  file saved from one), else 0. */
STASIS_API stasis_status stasis_adapter_is_unpaired(const stasis_adapter* adapter, int* out);

/** Releases an adapter handle. NULL is a no-op. */
STASIS_API void stasis_adapter_free(stasis_adapter* adapter);

/** Saves the adapter atomically (same target rules as stasis_index_save). */
STASIS_API stasis_status stasis_adapter_save(const stasis_adapter* adapter, const char* path);

/** Opens an adapter file. Errors: STASIS_ERROR_IO, STASIS_ERROR_CORRUPT_FILE (missing, misshapen
 *  or non-finite tensors, bad metadata), STASIS_ERROR_UNSUPPORTED_FORMAT (newer format or kind),
 *  STASIS_ERROR_INVALID_ARGUMENT (another kind of Stasis file). *out is NULL on error. */
STASIS_API stasis_status stasis_adapter_open(const char* path, stasis_adapter** out);

/** An adapter file's metadata and tensor shapes as JSON, without loading the weights; release
 *  *out_json with stasis_string_free. Errors: as stasis_adapter_open. */
STASIS_API stasis_status stasis_adapter_inspect(const char* path, char** out_json);

/** Sets *out to the kind name ("procrustes", "ridge", "lowrank", "orthogonal", "mlp", "local"),
 *  owned by the adapter. */
STASIS_API stasis_status stasis_adapter_kind(const stasis_adapter* adapter, const char** out);

/** Sets *out_source and *out_target to the versions the adapter reads and produces. */
STASIS_API stasis_status stasis_adapter_versions(const stasis_adapter* adapter,
                                                 uint32_t* out_source, uint32_t* out_target);

/** Sets *out_source and *out_target to the row widths the adapter reads and produces. */
STASIS_API stasis_status stasis_adapter_dimensions(const stasis_adapter* adapter,
                                                   int64_t* out_source, int64_t* out_target);

/**
 * Validation measured at fit time on the held-out pairs: *out_train_pairs and
 * *out_validation_pairs are the split sizes; *out_mean_cosine is the mean cosine between mapped
 * and true target rows and *out_recall_at_1 the fraction of mapped rows whose nearest held-out
 * target is their own pair (measured among at most 10,000 held-out pairs, a random subset when
 * more were held out). Both are NaN when nothing was held out. Any out pointer may be NULL.
 */
STASIS_API stasis_status stasis_adapter_validation(const stasis_adapter* adapter,
                                                   int64_t* out_train_pairs,
                                                   int64_t* out_validation_pairs,
                                                   double* out_mean_cosine,
                                                   double* out_recall_at_1);

/**
 * Maps n rows of in_dim floats into n unit rows of out_dim floats written to `out`
 * (caller-allocated). Errors: STASIS_ERROR_DIMENSION_MISMATCH (in_dim or out_dim differ from the
 * adapter's), STASIS_ERROR_INVALID_ARGUMENT (NULL with n > 0, n < 0, a NaN/Inf or zero row).
 * `out` is untouched on error.
 */
STASIS_API stasis_status stasis_adapter_apply(const stasis_adapter* adapter, int64_t n,
                                              int64_t in_dim, const float* x, int64_t out_dim,
                                              float* out);

/**
 * Applies `count` adapters in order, e.g. {v3->v2, v2->v1} maps v3 vectors into v1's space.
 * The chain is checked before any row is read, so n = 0 checks a chain without mapping:
 * STASIS_ERROR_INCOMPATIBLE when one adapter's target version (or recorded space) is not the
 * next one's source (a gap), STASIS_ERROR_DIMENSION_MISMATCH when their dimensions differ or
 * in_dim / out_dim differ from the chain's ends, STASIS_ERROR_INVALID_ARGUMENT for count < 1 or
 * a NULL entry. Otherwise as stasis_adapter_apply.
 */
STASIS_API stasis_status stasis_adapter_chain_apply(const stasis_adapter* const* adapters,
                                                    int64_t count, int64_t n, int64_t in_dim,
                                                    const float* x, int64_t out_dim, float* out);

/* ------------------------------------------------------------------------------------------ */
/* Training: stationary encoder heads on CPU                                                  */
/* ------------------------------------------------------------------------------------------ */

/*
 * stasis_train_ids / stasis_train_names fit a small head (Linear, optional hidden layers with
 * LayerNorm or BatchNorm and ReLU or GELU) from backbone features to a space, with cross-entropy
 * against the space's fixed vertex matrix W (logits = z W^T, W never updated, no bias). Labels take
 * their vertices through the space's registry: a label seen for the first time takes the next free
 * vertex, an old label keeps its own. The new labels are assigned only when training succeeds;
 * save the space to persist them. Optionally the run is aligned with the previous model version
 * (HOC or CL2R, see docs/training.md), using the old backbone's features of the same items and an
 * unlabelled paired sample. Recipes and defaults: docs/training.md.
 */

/** stasis_train_options.optimizer */
#define STASIS_OPTIMIZER_ADAMW 0
#define STASIS_OPTIMIZER_SGD 1
/** stasis_train_options.alignment */
#define STASIS_ALIGNMENT_NONE 0
#define STASIS_ALIGNMENT_HOC 1
#define STASIS_ALIGNMENT_CL2R 2
/** stasis_train_options.feature */
#define STASIS_FEATURE_RAW 0
#define STASIS_FEATURE_SOFTMAX 1
/** stasis_train_options.activation */
#define STASIS_ACTIVATION_RELU 0
#define STASIS_ACTIVATION_GELU 1
/** stasis_train_options.normalization */
#define STASIS_NORMALIZATION_NONE 0
#define STASIS_NORMALIZATION_LAYERNORM 1
#define STASIS_NORMALIZATION_BATCHNORM 2

/** What a progress callback receives. Valid only during the call. */
typedef struct stasis_train_progress {
    /** sizeof(stasis_train_progress) as the library fills it; fields may be added at the end. */
    size_t struct_size;
    /** 1-based epoch, and the number of epochs planned. */
    int32_t epoch;
    int32_t epochs;
    /** Optimiser steps done so far, and planned in all. */
    int64_t step;
    int64_t steps;
    /** Mean training loss and accuracy over the epoch so far. */
    double loss;
    double train_accuracy;
    /** On the held-out validation split; NaN inside an epoch or without validation. */
    double validation_loss;
    double validation_accuracy;
    double learning_rate;
    /** 1 when the report closes an epoch, 0 for reports every progress_interval steps. */
    int32_t end_of_epoch;
} stasis_train_progress;

/**
 * Progress callback: called on the thread running the training, at the end of every epoch (and
 * every progress_interval steps). Return 0 to continue; any other value cancels the run, which
 * then returns STASIS_ERROR_CANCELLED with nothing produced and no label assigned.
 */
typedef int (*stasis_train_progress_fn)(const stasis_train_progress* progress, void* user_data);

/**
 * Options of a training run. Initialise with STASIS_TRAIN_OPTIONS_INIT (or zero it and set
 * struct_size), then change fields. Zero means the default in every field; where zero is also a
 * meaningful value (weight_decay, momentum, validation) a negative value asks for none. Fields
 * beyond an older caller's struct_size take their defaults.
 */
typedef struct stasis_train_options {
    /** sizeof(stasis_train_options), as compiled by the caller. Required. */
    size_t struct_size;
    /** Passes over the training split (0 = 10) and items per step (0 = 128). */
    int32_t epochs;
    int32_t batch_size;
    /** STASIS_OPTIMIZER_ADAMW (default) or STASIS_OPTIMIZER_SGD (with momentum). */
    int32_t optimizer;
    /** Epochs of linear learning-rate warm-up before the cosine decay to 0 (default 0). */
    int32_t warmup_epochs;
    /** Peak learning rate (0 = 1e-3). */
    double learning_rate;
    /** Weight decay of the Linear weights, never of biases or norm parameters (0 = 1e-4,
     *  negative = none). */
    double weight_decay;
    /** SGD momentum (0 = 0.9, negative = none); ignored by AdamW. */
    double momentum;
    /** Fixes initialisation, split and shuffles: bit-reproducible for a fixed thread count. */
    uint64_t seed;
    /** Fraction of the labelled items held out for validation, up to 0.9 (0 = 0.1, negative =
     *  no validation split). */
    double validation;
    /** Early stopping: epochs without a better validation accuracy before stopping, keeping
     *  the best epoch's weights; 0 = off (default). */
    int32_t patience;
    /** STASIS_ALIGNMENT_NONE (default), _HOC or _CL2R; the last two need the previous encoder
     *  and the previous backbone's features of the same items. */
    int32_t alignment;
    /** The compatibility/accuracy knob: weight of the alignment term; <= 0 = the recipe's
     *  default (HOC: loss = (1-w) CE + w InfoNCE, w = 0.9; CL2R: CE + w (1 - cos), w =
     *  5 sqrt(new classes / old classes)). Higher favours compatibility. */
    double alignment_weight;
    /** HOC's similarity scale mu (0 = 10; 20-30 favours unseen classes a little). */
    double alignment_scale;
    /** STASIS_FEATURE_RAW (default) or STASIS_FEATURE_SOFTMAX: normalize(softmax(z W^T / T) W). */
    int32_t feature;
    /** STASIS_ACTIVATION_RELU (default) or _GELU, after each hidden layer. */
    int32_t activation;
    /** Softmax temperature T; 0 = chosen on the validation split (default). */
    double temperature;
    /** Fixed multiplier of the logits, recorded in the summary (0 = 1). */
    double logit_scale;
    /** hidden_count widths of hidden layers (0 to 16; default none: one Linear layer). */
    const int64_t* hidden;
    int64_t hidden_count;
    /** STASIS_NORMALIZATION_NONE (default), _LAYERNORM or _BATCHNORM after each hidden Linear. */
    int32_t normalization;
    /** Nonzero: Linear layers have no bias (default 0: with biases). */
    int32_t no_bias;
    /** Unlabelled paired sample for the alignment term: paired_count rows of new-backbone
     *  features (dim) and of old-backbone features (previous_dim). Optional. */
    int64_t paired_count;
    const float* paired_features;
    const float* paired_previous_features;
    /** Optional progress callback and the pointer it receives. */
    stasis_train_progress_fn progress;
    void* progress_user_data;
    /** Optional NUL-terminated strings recorded as stasis.backbone and stasis.notes. */
    const char* backbone;
    const char* notes;
    /** Also report progress every this many steps (0 = at epoch ends only, default). */
    int64_t progress_interval;
    /** Nonzero: a residual head, y = MLP(x) + S x with a trained linear skip S from the input to
     *  the output (stored as a "skip" layer; docs/formats.md). Needs hidden layers
     *  (INVALID_ARGUMENT without). Default 0. */
    int32_t residual;
} stasis_train_options;

/** Initialiser for stasis_train_options: struct_size and every default set. */
#define STASIS_TRAIN_OPTIONS_INIT                                                                   \
    {sizeof(stasis_train_options), 10, 128, STASIS_OPTIMIZER_ADAMW, 0, 1e-3, 1e-4, 0.9, 0, 0.1, 0, \
     STASIS_ALIGNMENT_NONE, 0.0, 10.0, STASIS_FEATURE_RAW, STASIS_ACTIVATION_RELU, 0.0, 1.0, NULL,   \
     0, STASIS_NORMALIZATION_NONE, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0}

/**
 * Trains model `version` of an encoder into `space` from n rows of dim backbone features and one
 * int64 label per row. `previous` (may be NULL) is the previous model version, `previous_dim`
 * its input dimension and `previous_features` (may be NULL unless an alignment is chosen) the
 * previous backbone's n x previous_dim features of the same rows. `options` may be NULL
 * (defaults). On success *out receives a new encoder (release with stasis_encoder_free; save it
 * with stasis_encoder_save) whose metadata "stasis.training" holds a JSON summary (data sizes,
 * epochs, final loss and accuracies, recipe, seed, previous version, space), and the space's
 * registry holds the new labels. Runs on the calling thread; sgemm uses stasis_get_num_threads()
 * threads. Not concurrent with other calls that assign labels in the same space.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, counts, labels and features of different lengths,
 * NaN/Inf, bad options, a diverging run), STASIS_ERROR_DIMENSION_MISMATCH (previous_dim),
 * STASIS_ERROR_INCOMPATIBLE (a previous encoder of another space), STASIS_ERROR_UNSUPPORTED (the
 * new labels do not fit: the space is full; or options from a newer header), STASIS_ERROR_CANCELLED.
 * On error *out is NULL and the space is unchanged.
 */
STASIS_API stasis_status stasis_train_ids(stasis_space* space, int64_t n, int64_t dim, const float* features,
                                          const int64_t* labels, const stasis_encoder* previous,
                                          int64_t previous_dim, const float* previous_features,
                                          uint32_t version, const stasis_train_options* options,
                                          stasis_encoder** out);

/** As stasis_train_ids, for NUL-terminated UTF-8 string labels. */
STASIS_API stasis_status stasis_train_names(stasis_space* space, int64_t n, int64_t dim, const float* features,
                                            const char* const* labels, const stasis_encoder* previous,
                                            int64_t previous_dim, const float* previous_features,
                                            uint32_t version, const stasis_train_options* options,
                                            stasis_encoder** out);

/**
 * The encoder's feature kind: *out = "raw" or "softmax" (owned by the encoder, valid until it is
 * freed) and, when `temperature` is not NULL, *temperature = T (0 for raw). Thread-safe.
 */
STASIS_API stasis_status stasis_encoder_feature(const stasis_encoder* encoder, const char** out,
                                                double* temperature);

/* ------------------------------------------------------------------------------------------ */
/* Mixed-version gallery and backfill (docs/gallery.md)                                       */
/* ------------------------------------------------------------------------------------------ */

/**
 * A gallery whose items carry different model versions, possibly of different widths. Each
 * registered version lives in a named space; versions sharing a space are stored and searched
 * together, other spaces are reached through adapters or chains added as bridges. A search maps
 * the queries into every non-empty part's space, calibrates each part's scores (z-score per
 * route, fitted by stasis_gallery_calibrate) and merges one ranked list. One id lives in exactly
 * one part. Thread safety: concurrent searches and reads; mutations are exclusive (internal
 * lock). Every call that fails leaves the gallery unchanged.
 */
typedef struct stasis_gallery stasis_gallery;

/** Creates an empty gallery whose parts use `factory` (NULL = "Flat"; untrained kinds only:
 *  IVF/PQ give STASIS_ERROR_UNSUPPORTED). Free with stasis_gallery_free. */
STASIS_API stasis_status stasis_gallery_new(const char* factory, stasis_gallery** out);

/** Releases a gallery (NULL is ignored). */
STASIS_API void stasis_gallery_free(stasis_gallery* gallery);

/** Registers `version` with row width `dim` in space `space` (NULL = a space of its own,
 *  "v<version>"). Re-registering the same triple is a no-op. Errors: INVALID_ARGUMENT (bad dim,
 *  version registered differently), DIMENSION_MISMATCH (the space holds another width). */
STASIS_API stasis_status stasis_gallery_register(stasis_gallery* gallery, uint32_t version,
                                                 int64_t dim, const char* space);

/** Adds `count` adapters applied in order as one bridge from the first source version's space
 *  to the last target version's space (count = 1: a single adapter). The gallery keeps
 *  references; the caller may free its handles. Errors: INCOMPATIBLE (a gap in the chain),
 *  NOT_FOUND (source or target version not registered), DIMENSION_MISMATCH (widths differ from
 *  the registered ones), INVALID_ARGUMENT (both ends in one space, count < 1, NULL entries). */
STASIS_API stasis_status stasis_gallery_add_chain(stasis_gallery* gallery,
                                                  const stasis_adapter* const* adapters,
                                                  int64_t count);

/** Adds or replaces n items with `version` vectors (n x dim); an id stored under another
 *  version is moved to this version's part, atomically. Errors: NOT_FOUND (version not
 *  registered), DIMENSION_MISMATCH, INVALID_ARGUMENT (NaN/Inf or zero rows, negative or repeated
 *  ids). Exclusive. */
STASIS_API stasis_status stasis_gallery_upsert(stasis_gallery* gallery, int64_t n, int64_t dim,
                                               const float* vectors, const int64_t* ids,
                                               uint32_t version);

/** Removes n items; all must be present (else NOT_FOUND and nothing is removed). */
STASIS_API stasis_status stasis_gallery_remove(stasis_gallery* gallery, int64_t n,
                                               const int64_t* ids);

/** Sets *out to the number of live items. */
STASIS_API stasis_status stasis_gallery_count(const stasis_gallery* gallery, int64_t* out);

/** Sets *out to the number of live items stamped with `version`. */
STASIS_API stasis_status stasis_gallery_count_version(const stasis_gallery* gallery,
                                                      uint32_t version, int64_t* out);

/** Writes each id's version to out_versions[i] (caller-allocated, n entries), -1 when absent. */
STASIS_API stasis_status stasis_gallery_versions_of(const stasis_gallery* gallery, int64_t n,
                                                    const int64_t* ids, int64_t* out_versions);

/**
 * Searches n queries of `version` (n x dim) and writes n x k hits, best first by calibrated
 * score (cosine where no calibration is fitted, or calibrated = 0), into out_scores and out_ids
 * (and out_versions when not NULL). `space` = NULL searches every part, else only that space's
 * part. Missing hits: id -1, score -INFINITY. Errors: NOT_FOUND (version or space unknown),
 * DIMENSION_MISMATCH, INCOMPATIBLE (a non-empty part no bridge reaches), INVALID_ARGUMENT.
 */
STASIS_API stasis_status stasis_gallery_search(const stasis_gallery* gallery, int64_t n,
                                               int64_t dim, const float* queries,
                                               uint32_t version, int64_t k, const char* space,
                                               int32_t calibrated, float* out_scores,
                                               int64_t* out_ids, uint32_t* out_versions);

/** Fits the calibration of every route from `version` to a non-empty part on n >= 2 held-out
 *  queries: mean and deviation of their top-k cosines per part; a score s then ranks as
 *  (s - mean) / deviation. Errors: as stasis_gallery_search, INVALID_ARGUMENT for n < 2. */
STASIS_API stasis_status stasis_gallery_calibrate(stasis_gallery* gallery, int64_t n, int64_t dim,
                                                  const float* queries, uint32_t version,
                                                  int64_t k);

/**
 * Fits the route from `version` to the part of `stored_version` by paired regression (see
 * docs/gallery.md): `pairs` rows paired_query (pairs x dim, version `version`) and paired_stored
 * (pairs x stored_dim, version `stored_version`) embed the same items. Each of the n held-out
 * queries is mapped along the route, its top-k paired items are found by adapted cosine a, and
 * least squares of their native cosine (query vs paired_query row) on a gives the rule
 * alpha + beta * a (beta >= 1e-3); the query's own part keeps raw cosines. Errors: NOT_FOUND,
 * INVALID_ARGUMENT (one space, n or pairs < 2, bad values), DIMENSION_MISMATCH, INCOMPATIBLE.
 */
STASIS_API stasis_status stasis_gallery_calibrate_paired(stasis_gallery* gallery, int64_t n,
                                                         int64_t dim, const float* queries,
                                                         uint32_t version, uint32_t stored_version,
                                                         int64_t pairs, const float* paired_query,
                                                         int64_t stored_dim,
                                                         const float* paired_stored, int64_t k);

/** Saves into directory `path` (created when missing): part and bridge files first, then the
 *  manifest gallery.json atomically; readers see the old or the new gallery (docs/formats.md).
 *  Saves to one directory must not run concurrently. Errors: STASIS_ERROR_IO. */
STASIS_API stasis_status stasis_gallery_save(const stasis_gallery* gallery, const char* path);

/** Opens a gallery directory. Errors: IO, CORRUPT_FILE (bad manifest, unsafe file names,
 *  contradictions, an id in two parts), UNSUPPORTED_FORMAT. *out is NULL on error. */
STASIS_API stasis_status stasis_gallery_open(const char* path, stasis_gallery** out);

/**
 * A backfill plan: the ids on `from` when planned, in priority order, with a resumable cursor.
 * stasis_backfill_plan_next_batch hands out the next ids still on `from`; the caller re-encodes
 * them and upserts with the new version; asking again before the upsert returns the same batch.
 * Thread safety: calls on one plan are serialised internally.
 */
typedef struct stasis_backfill_plan stasis_backfill_plan;

/** Seeded random order of the ids on `from` (the baseline). Errors: NOT_FOUND (a version not
 *  registered), INVALID_ARGUMENT (from == to). Free with stasis_backfill_plan_free. */
STASIS_API stasis_status stasis_backfill_plan_random(const stasis_gallery* gallery, uint32_t from,
                                                     uint32_t to, uint64_t seed,
                                                     stasis_backfill_plan** out);

/** The caller's own order (its own policy): `order` holds n ids, every id on `from` exactly once,
 *  most urgent first. Errors: NOT_FOUND (an id not on `from`, a version not registered),
 *  INVALID_ARGUMENT (repeated or missing ids, from == to). */
STASIS_API stasis_status stasis_backfill_plan_custom(const stasis_gallery* gallery, uint32_t from,
                                                     uint32_t to, int64_t n, const int64_t* order,
                                                     stasis_backfill_plan** out);

/**
 * Largest predicted adapter error first: a ridge regression (strength `ridge`, 0 = 1.0) from the
 * old vector to the residual norm of the forward adapter `forward` (from -> to), fitted on
 * `pairs` paired rows (paired_old: pairs x source width, paired_new: pairs x target width), then
 * applied to the n old vectors (n x dim) of the ids on `from` (every such id exactly once).
 * Errors: NOT_FOUND (unknown id or version), INVALID_ARGUMENT (missing or repeated ids, NaN,
 * pairs < 2), DIMENSION_MISMATCH, INCOMPATIBLE (adapter not from -> to).
 */
STASIS_API stasis_status stasis_backfill_plan_predicted_error(
    const stasis_gallery* gallery, uint32_t from, uint32_t to, int64_t n, int64_t dim,
    const float* vectors, const int64_t* ids, const stasis_adapter* forward, int64_t pairs,
    const float* paired_old, const float* paired_new, double ridge, stasis_backfill_plan** out);

/** Farthest from their neighbourhood after the transform first: 1 - mean cosine of forward(x) to
 *  its `neighbours` (0 = 10) nearest mapped items. Inputs and errors as
 *  stasis_backfill_plan_predicted_error. */
STASIS_API stasis_status stasis_backfill_plan_neighbourhood(
    const stasis_gallery* gallery, uint32_t from, uint32_t to, int64_t n, int64_t dim,
    const float* vectors, const int64_t* ids, const stasis_adapter* forward, int64_t neighbours,
    stasis_backfill_plan** out);

/** Releases a plan (NULL is ignored). */
STASIS_API void stasis_backfill_plan_free(stasis_backfill_plan* plan);

/** Sets *out to the number of planned ids. */
STASIS_API stasis_status stasis_backfill_plan_length(const stasis_backfill_plan* plan,
                                                     int64_t* out);

/** Copies the planned ids in priority order into out_ids (capacity entries, at least the
 *  plan's length, else INVALID_ARGUMENT). */
STASIS_API stasis_status stasis_backfill_plan_order(const stasis_backfill_plan* plan,
                                                    int64_t capacity, int64_t* out_ids);

/** Writes up to `size` ids still on the plan's old version into out_ids (size entries) and their
 *  number into *out_count (0 when the backfill is complete); moves the cursor past done ids. */
STASIS_API stasis_status stasis_backfill_plan_next_batch(stasis_backfill_plan* plan,
                                                         const stasis_gallery* gallery,
                                                         int64_t size, int64_t* out_ids,
                                                         int64_t* out_count);

/** Planned ids done (no longer on the old version) and remaining (still on it) in `gallery`. */
STASIS_API stasis_status stasis_backfill_plan_progress(const stasis_backfill_plan* plan,
                                                       const stasis_gallery* gallery,
                                                       int64_t* out_done, int64_t* out_remaining);

/** Writes the plan (JSON with the cursor) atomically. Errors: STASIS_ERROR_IO. */
STASIS_API stasis_status stasis_backfill_plan_save(const stasis_backfill_plan* plan,
                                                   const char* path);

/** Opens a saved plan. Errors: IO, CORRUPT_FILE. *out is NULL on error. */
STASIS_API stasis_status stasis_backfill_plan_open(const char* path, stasis_backfill_plan** out);

/**
 * Backfill curve on labelled data: follows `plan` on `gallery` (holding every planned id on the
 * old version), upserting new_vectors (n x new_dim, row i for ids[i]) in plan order; at
 * fractions 0, 1/steps, ..., 1 it searches the queries (of query_version) and records top-1
 * accuracy (best hit has the query's label). Writes steps + 1 points to out_fractions and
 * out_values and the trapezoid area to *out_area (may be NULL). The gallery ends fully
 * backfilled. Pass the result to stasis_report_set_backfill for the report's chart.
 */
STASIS_API stasis_status stasis_backfill_curve(
    stasis_gallery* gallery, const stasis_backfill_plan* plan, int64_t n, const int64_t* ids,
    const int32_t* labels, int64_t new_dim, const float* new_vectors, int64_t query_count,
    int64_t query_dim, const float* queries, uint32_t query_version, const int32_t* query_labels,
    int64_t steps, double* out_fractions, double* out_values, double* out_area);

/* ------------------------------------------------------------------------------------------ */
/* Durability: write-ahead log and compaction                                                  */
/* ------------------------------------------------------------------------------------------ */

/** When the write-ahead log forces its appends to stable storage (fdatasync). */
typedef enum stasis_wal_sync_mode {
    /** Before every add / remove returns: acknowledged changes survive a power loss. Default. */
    STASIS_WAL_SYNC_EVERY_CALL = 0,
    /** By a background flush at most interval_ms after the append. */
    STASIS_WAL_SYNC_INTERVAL = 1,
    /** Never by the log; a killed process still loses nothing, a power loss may. */
    STASIS_WAL_SYNC_OFF = 2,
} stasis_wal_sync_mode;

/**
 * Options of stasis_index_enable_wal. Initialise with STASIS_WAL_OPTIONS_INIT (struct_size set,
 * sync every call), then change fields. NULL instead means the defaults. Versioned by
 * struct_size like stasis_search_options.
 */
typedef struct stasis_wal_options {
    /** sizeof(stasis_wal_options), as compiled by the caller. Required. */
    size_t struct_size;
    /** A stasis_wal_sync_mode value. */
    int32_t sync_mode;
    /** Flush interval in milliseconds (1...3600000) for STASIS_WAL_SYNC_INTERVAL; else ignored. */
    int32_t interval_ms;
} stasis_wal_options;

/** Initialiser for stasis_wal_options: struct_size set, sync every call. */
#define STASIS_WAL_OPTIONS_INIT {sizeof(stasis_wal_options), STASIS_WAL_SYNC_EVERY_CALL, 0}

/**
 * Attaches a write-ahead log file to `index`: from now on every successful add, upsert
 * (including stasis_index_add_features) and remove is appended to the log as a checksummed record
 * before the call returns. When `wal_path` exists, its records newer than the index (the saved
 * file remembers the last record it holds) are replayed first, so recovery after a crash is:
 * stasis_index_open(saved file), then stasis_index_enable_wal(same log). A torn last record (the
 * writer died mid-append) is dropped and cut off. When `wal_path` does not exist, an empty log is
 * created; save or checkpoint the index once so the log has a file to apply to. One log serves
 * one index at a time (it is locked while attached). Training and search defaults are not logged.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, bad options), STASIS_ERROR_UNSUPPORTED (a log is
 * already attached; a field of a newer options struct), STASIS_ERROR_IO (cannot create, read,
 * write or lock the log), STASIS_ERROR_CORRUPT_FILE (a damaged record with intact records after
 * it, a log of another index or a later save, a record that does not apply),
 * STASIS_ERROR_UNSUPPORTED_FORMAT. On error the index is unchanged and no log is attached.
 * Exclusive on the index.
 */
STASIS_API stasis_status stasis_index_enable_wal(stasis_index* index, const char* wal_path,
                                                 const stasis_wal_options* options);

/** Syncs and detaches the log; the file stays, later changes are not logged. No-op without a
 *  log. stasis_index_free does the same. Errors: INVALID_ARGUMENT (NULL). */
STASIS_API stasis_status stasis_index_disable_wal(stasis_index* index);

/**
 * Folds the log into the index file: saves the index to `path` exactly like stasis_index_save,
 * then restarts the log empty (atomically). A crash between the two is harmless: the saved file
 * records the last log record it holds, and replay skips those. Searches continue meanwhile;
 * mutations wait. Without a log this is stasis_index_save.
 * Errors: as stasis_index_save; STASIS_ERROR_IO when the log cannot be restarted (the file is
 * saved, the old log stays valid).
 */
STASIS_API stasis_status stasis_index_checkpoint(stasis_index* index, const char* path);

/** Sets *out to the sequence number of the last logged change the index holds (0: none). */
STASIS_API stasis_status stasis_index_wal_sequence(const stasis_index* index, uint64_t* out);

/**
 * Rebuilds the index from its live vectors, dropping the slots of removed and replaced vectors
 * (which otherwise keep their space and search cost). Ids, versions and search defaults are kept;
 * Flat and IVF search results are unchanged (IVF codes are copied, not re-encoded), HNSW rebuilds
 * its graph (near-ties may reorder; over SQ codes the decoded vectors are re-encoded with the same
 * trained quantizer, which gives back the same codes). Searches
 * continue during the rebuild; the new structure is swapped in under the exclusive lock.
 * *out_slots_reclaimed / *out_bytes_reclaimed (each may be NULL) receive the dead slots dropped
 * and the bytes the saved file shrinks by. Not logged (it changes no id or version). Needs
 * memory for a second copy of the index while it runs.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL index), STASIS_ERROR_OUT_OF_MEMORY.
 */
STASIS_API stasis_status stasis_index_compact(stasis_index* index, int64_t* out_slots_reclaimed,
                                              int64_t* out_bytes_reclaimed);

/* ------------------------------------------------------------------------------------------ */
/* Mixed-version gallery: negative flips in backfill curves                                    */
/* ------------------------------------------------------------------------------------------ */

/**
 * stasis_backfill_curve plus negative flips: out_negative_flips (steps + 1 values, required)
 * receives at each point the share of queries whose top-1 was right at fraction 0 (the gallery
 * before the backfill) and is wrong at this point. Other outputs, ownership, thread safety
 * (exclusive use of the gallery while it runs) and errors as stasis_backfill_curve, plus
 * STASIS_ERROR_INVALID_ARGUMENT for a NULL out_negative_flips (nothing changed).
 */
STASIS_API stasis_status stasis_backfill_curve_flips(
    stasis_gallery* gallery, const stasis_backfill_plan* plan, int64_t n, const int64_t* ids,
    const int32_t* labels, int64_t new_dim, const float* new_vectors, int64_t query_count,
    int64_t query_dim, const float* queries, uint32_t query_version, const int32_t* query_labels,
    int64_t steps, double* out_fractions, double* out_values, double* out_negative_flips,
    double* out_area);

/**
 * stasis_report_set_backfill with a negative-flip share per point (n values in [0, 1], copied),
 * written to the JSON as "negative_flips" and drawn as a dashed line in the HTML chart.
 * Exclusive. Errors: as stasis_report_set_backfill; STASIS_ERROR_INVALID_ARGUMENT for NULL
 * negative_flips or a share outside [0, 1] (the report keeps its earlier curve).
 */
STASIS_API stasis_status stasis_report_set_backfill_flips(stasis_report* report, int64_t n,
                                                          const double* fractions,
                                                          const double* values,
                                                          const double* negative_flips,
                                                          const char* label);

/* ------------------------------------------------------------------------------------------ */
/* Mixed-version gallery: write-ahead log                                                      */
/* ------------------------------------------------------------------------------------------ */

/**
 * Attaches a write-ahead log file to `gallery` (docs/durability.md): from now on every
 * successful stasis_gallery_upsert and stasis_gallery_remove is appended to the log as one
 * checksummed record before the call returns (an upsert that moves items between parts is one
 * record: replayed whole or not at all). When `wal_path` exists, its records newer than the
 * gallery (the saved manifest remembers the last record it holds) are replayed first, so
 * recovery after a crash is: stasis_gallery_open(saved directory), then
 * stasis_gallery_enable_wal(same log). A torn last record (the writer died mid-append) is
 * dropped and cut off. When `wal_path` does not exist, an empty log is created; save or
 * checkpoint the gallery once so the log has a directory to apply to. Registering versions,
 * adding bridges and calibrating are not logged: save or checkpoint after them. `options` as for
 * stasis_index_enable_wal (NULL: sync every call). One log serves one gallery at a time (it is
 * locked while attached; the log is released by stasis_gallery_disable_wal or
 * stasis_gallery_free). Exclusive on the gallery.
 * Errors: STASIS_ERROR_INVALID_ARGUMENT (NULL, bad options), STASIS_ERROR_UNSUPPORTED (a log is
 * already attached), STASIS_ERROR_IO (cannot create, read, write or lock the log),
 * STASIS_ERROR_CORRUPT_FILE (a damaged record with intact records after it, the log of another
 * gallery, of a later save or of an index, a record that does not apply, e.g. of an unregistered
 * version), STASIS_ERROR_UNSUPPORTED_FORMAT. Records are checked before any is applied: on error
 * the gallery is unchanged and no log is attached.
 */
STASIS_API stasis_status stasis_gallery_enable_wal(stasis_gallery* gallery, const char* wal_path,
                                                   const stasis_wal_options* options);

/** Syncs and detaches the gallery's log; the file stays, later changes are not logged. No-op
 *  without a log. Errors: INVALID_ARGUMENT (NULL). */
STASIS_API stasis_status stasis_gallery_disable_wal(stasis_gallery* gallery);

/**
 * Folds the log into the gallery directory: saves to `path` exactly like stasis_gallery_save,
 * then restarts the log empty (atomically). A crash between the two is harmless: the manifest
 * records the last log record the saved gallery holds, and replay skips those. Searches continue
 * meanwhile; mutations wait. Without a log this is stasis_gallery_save.
 * Errors: as stasis_gallery_save; STASIS_ERROR_IO when the log cannot be restarted (the gallery is
 * saved, the old log stays valid).
 */
STASIS_API stasis_status stasis_gallery_checkpoint(stasis_gallery* gallery, const char* path);

/** Sets *out to the sequence number of the last logged change the gallery holds (0: none).
 *  Errors: INVALID_ARGUMENT (NULL). */
STASIS_API stasis_status stasis_gallery_wal_sequence(const stasis_gallery* gallery, uint64_t* out);

/* ------------------------------------------------------------------------------------------ */
/* Mixed-version gallery: hubs-first backfill policy                                           */
/* ------------------------------------------------------------------------------------------ */

/**
 * Hubs first: each old vector is mapped by `forward` (old -> new) and scored by its in-degree in
 * the `neighbours`-nearest-neighbour graph (0 = 10) of the mapped items (how many items count it
 * among their nearest), ties by its mean cosine to its own nearest; the plan re-encodes the highest
 * first (docs/gallery.md: on the demo data it beats random). Inputs, ownership, thread safety and
 * errors as stasis_backfill_plan_neighbourhood (every id on `from` given once with its old vector;
 * NOT_FOUND, INVALID_ARGUMENT, DIMENSION_MISMATCH, INCOMPATIBLE for an adapter that is not
 * from -> to). *out is NULL on error; free with stasis_backfill_plan_free.
 */
STASIS_API stasis_status stasis_backfill_plan_hubs(
    const stasis_gallery* gallery, uint32_t from, uint32_t to, int64_t n, int64_t dim,
    const float* vectors, const int64_t* ids, const stasis_adapter* forward, int64_t neighbours,
    stasis_backfill_plan** out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STASIS_H */

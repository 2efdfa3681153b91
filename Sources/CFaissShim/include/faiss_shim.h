// C interface over the parts of Faiss's C++ API that Stasis uses. This is the only boundary where
// Faiss headers are seen; every function catches every C++ exception and reports it as a code plus
// a message, because an exception crossing into Swift aborts the host process.
//
// Vectors handed to these functions are already validated and L2-normalised by StasisCore.
// Thread safety: none of its own; StasisCore serialises mutations and allows concurrent searches.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes of the shim (mapped to stasis_status by StasisCore).
enum {
    FSHIM_OK = 0,
    FSHIM_INVALID = 1,      ///< Faiss refused the arguments (bad factory string, unsupported type...)
    FSHIM_NOT_TRAINED = 2,  ///< the index needs training before this operation
    FSHIM_NO_MEMORY = 3,    ///< std::bad_alloc
    FSHIM_CORRUPT = 4,      ///< a serialized payload could not be read
    FSHIM_INTERNAL = 5,     ///< any other exception
    FSHIM_IO = 6,           ///< the operating system refused a write (message: strerror's text)
};

/// Index families Stasis supports; they decide which search parameters apply.
enum {
    FSHIM_KIND_FLAT = 1,
    FSHIM_KIND_HNSW = 2,
    FSHIM_KIND_IVF = 3,
};

/// Length of the message buffers callers pass in (`char err[FSHIM_ERR_LEN]`).
#define FSHIM_ERR_LEN 512

typedef struct fshim_index fshim_index;

/// Builds an inner-product index from a Faiss factory description. Refuses index types outside the
/// supported families (Flat, HNSW, IVF) because search filtering is only honoured by those.
int fshim_create(int64_t dim, const char* factory, fshim_index** out, char* err);
/// Destroys an index; NULL is a no-op.
void fshim_free(fshim_index* index);
/// One of FSHIM_KIND_*.
int fshim_kind(const fshim_index* index);
int fshim_is_trained(const fshim_index* index);
int64_t fshim_ntotal(const fshim_index* index);

/// Trains the index (k-means, PQ codebooks...) on n normalised rows. Training is BLAS-bound, so it
/// runs with OpenMP at one thread and BLAS's pool (fshim_set_blas_threads) supplies the `threads`.
int fshim_train(fshim_index* index, int64_t n, const float* x, int threads, char* err);
/// The same with Faiss's own k-means assignment (no shim assigner): the reference the tests
/// compare the trained index against.
int fshim_train_faiss(fshim_index* index, int64_t n, const float* x, int threads, char* err);
/// Appends n rows; they receive the internal labels ntotal ... ntotal+n-1. HNSW over flat storage
/// is linked by the shim's own construction (same algorithm as Faiss, SIMD kernels, `threads`
/// std::threads); IVF over a flat quantizer is assigned to its lists by the shim and stored by
/// Faiss; other types go through Faiss.
int fshim_add(fshim_index* index, int64_t n, const float* x, int threads, char* err);
/// The same through Faiss's own add only: the reference the tests compare graph quality against.
int fshim_add_faiss(fshim_index* index, int64_t n, const float* x, int threads, char* err);

/// The Flat add in one pass: checks, L2-normalises and appends n rows of the caller's array straight
/// into the storage on up to `threads` threads (no intermediate copy). Same arithmetic as
/// StasisCore's UnitRows (BLAS dot, multiply by 1/sqrt), so the stored values are bit-identical to
/// normalising first and calling fshim_add. A row whose squared norm is not finite and positive
/// (a NaN or Inf component, a zero row, overflow) refuses the whole batch: nothing is appended,
/// *bad_row is the first such row and the code is FSHIM_INVALID; otherwise *bad_row = -1.
/// FSHIM_INVALID (bad_row -1) for an index that is not Flat.
int fshim_flat_add_unit(fshim_index* index, int64_t n, const float* x, int threads, int64_t* bad_row, char* err);
/// The add of every index type from the caller's rows, with fshim_flat_add_unit's contract
/// (checks, L2-normalises, refuses the whole batch at the first bad row with *bad_row set and
/// FSHIM_INVALID; FSHIM_NOT_TRAINED before training) and without a normalised copy of the batch:
/// Flat goes through fshim_flat_add_unit, HNSW on the shim's construction normalises each row where
/// it reads it, other types receive the rows normalised in pieces of about 8 MiB. The index equals
/// what normalising first and calling fshim_add gives, bit for bit.
int fshim_add_unit(fshim_index* index, int64_t n, const float* x, int threads, int64_t* bad_row, char* err);

/// Filter applied during search: a label is eligible when alive[label] != 0 and, if
/// `restrict_version` is set, versions[label] == version. `alive == NULL` means no filter at all.
typedef struct fshim_filter {
    const uint8_t* alive;
    const uint32_t* versions;
    int restrict_version;
    uint32_t version;
} fshim_filter;

/// k-NN search by inner product. `ef_search` / `nprobe` <= 0 keep the index's own values.
/// Writes n*k scores and labels best first; missing results have label -1 and score -inf.
/// HNSW (flat storage), IVF-Flat/SQ8/PQ and Flat batches run the shim's own loops on up to
/// `threads` threads (Flat batches of 20+ queries on AVX2 through the index's 8-bit copy,
/// flat_int8.cpp); other cases run Faiss's search. Concurrent calls on one index are safe.
int fshim_search(const fshim_index* index, int64_t n, const float* x, int64_t k, int ef_search,
                 int nprobe, const fshim_filter* filter, float* scores, int64_t* labels,
                 int threads, char* err);

/// The same search through Faiss's own code paths only: the reference tests compare the shim's
/// loops against, and a way to measure Debian's build. Same contract as fshim_search.
int fshim_search_faiss(const fshim_index* index, int64_t n, const float* x, int64_t k,
                       int ef_search, int nprobe, const fshim_filter* filter, float* scores,
                       int64_t* labels, int threads, char* err);

/// Serializes the index with faiss::write_index into a malloc'ed buffer (free with fshim_buffer_free).
/// Saves stream instead (fshim_serialize_to_fd); this whole-buffer form is for tests.
int fshim_serialize(const fshim_index* index, uint8_t** data, size_t* size, char* err);
void fshim_buffer_free(uint8_t* data);
/// Size in bytes of the payload fshim_serialize_to_fd writes, from a counting pass through
/// faiss::write_index (no bytes are kept). Safe alongside searches (Sources/CFaissShim/serialize.cpp).
int fshim_serialize_size(const fshim_index* index, size_t* size, char* err);
/// Writes the payload (faiss::write_index) to `fd` at its current offset through a 1 MiB buffer,
/// never holding it whole, and continues the CRC-32C in *hash (fshim_crc32c's value, zero-extended)
/// over exactly the bytes written; *size: bytes written. On failure (FSHIM_IO, or another code) part of the payload may
/// have been written: the caller discards the file. Does not fsync or close `fd`.
int fshim_serialize_to_fd(const fshim_index* index, int fd, size_t* size, uint64_t* hash, char* err);
/// Reads an index written by fshim_serialize.
int fshim_deserialize(const uint8_t* data, size_t size, fshim_index** out, char* err);
/// fshim_deserialize for a payload inside a private read-only file mapping (mmap MAP_PRIVATE,
/// PROT_READ): pages are dropped (madvise MADV_DONTNEED) as Faiss copies past them, so the mapping
/// adds at most one 8 MiB chunk to peak memory. The bytes stay readable afterwards.
int fshim_deserialize_mapped(const uint8_t* data, size_t size, fshim_index** out, char* err);

/// Sets OpenBLAS's pool (process-wide). Called only from the library's thread setting, never per
/// operation: openblas_set_num_threads is not safe while another thread runs a BLAS call, so the
/// shim picks per operation which pool works (OpenMP at 1 thread around BLAS-bound calls) instead.
void fshim_set_blas_threads(int threads);
/// Number of processors OpenMP sees.
int fshim_num_procs(void);

/// Forces (nonzero) or releases (0) the portable distance kernels for operations that start
/// afterwards. The initial state comes from the environment: STASIS_PORTABLE_KERNELS set to
/// anything but "" or "0" starts portable. Thread-safe.
void fshim_set_portable_kernels(int portable);
/// Kernels operations use now: "avx512", "avx2" or "portable". Static storage. Thread-safe.
const char* fshim_kernel_name(void);
/// Allows (nonzero) or stops (0) Flat searches through an 8-bit copy of the rows (flat_int8.cpp);
/// stopping frees each index's copy at its next search. Initial state: on, unless
/// STASIS_FLAT_PREFILTER is "0". Thread-safe.
void fshim_set_flat_prefilter(int enabled);
/// 1 when Flat searches may use 8-bit copies, else 0. Thread-safe.
int fshim_flat_prefilter_enabled(void);

/// Test hooks: kernel variants are 0 portable, 1 AVX2+FMA, 2 AVX-512.
/// 1 when this CPU and OS can run `variant`, else 0.
int fshim_kernel_available(int variant);
/// *out = <x, y> over d floats with `variant`; FSHIM_INVALID when it is unavailable.
int fshim_kernel_ip(int variant, const float* x, const float* y, size_t d, float* out);
/// out[j] = <x, y[j]> for j < 4 with `variant`; FSHIM_INVALID when it is unavailable.
int fshim_kernel_ip4(int variant, const float* x, const float* const* y, size_t d, float* out);
/// out[4 * i + j] = <x[i], y[j]> for i, j < 4 with `variant`; FSHIM_INVALID when it is unavailable.
int fshim_kernel_ip4x4(int variant, const float* const* x, const float* const* y, size_t d, float* out);

/// Copies the stored vectors of the `n` slots `keys` (each in 0..<ntotal, checked) into
/// out[n * dim], as decoded from the index's storage: exact for Flat and HNSW over flat storage,
/// approximations for SQ and PQ codes. IVF needs a direct map Stasis does not keep: FSHIM_INVALID.
int fshim_reconstruct(const fshim_index* index, int64_t n, const int64_t* keys, float* out, char* err);

/// An IVF index holding only the entries whose slot has new_slot[slot] >= 0 (an array of ntotal),
/// renumbered to new_slot[slot] (0..<kept); codes are copied, not re-encoded, so every search
/// result is unchanged. The source is only read. FSHIM_INVALID for a non-IVF index.
int fshim_ivf_compact(const fshim_index* index, const int64_t* new_slot, int64_t kept, fshim_index** out,
                      char* err);

/// An empty HNSW index over SQ codes like `index` (dimension, metric, code type, links per node,
/// efConstruction, efSearch) whose quantizer carries the same trained ranges, so adding the
/// vectors fshim_reconstruct decodes from `index` stores the same codes again (compaction).
/// The source is only read. FSHIM_INVALID when `index` is not HNSW over SQ codes.
int fshim_hnsw_sq_empty_like(const fshim_index* index, fshim_index** out, char* err);

/// CRC-32C of n bytes, continuing `crc` (0 to start): the write-ahead log's checksum. Uses SSE4.2
/// when the CPU has it. Never fails.
uint32_t fshim_crc32c(uint32_t crc, const void* data, size_t n);
/// The table implementation alone (test hook: must equal fshim_crc32c). Returns 0.
int fshim_crc32c_table_for_tests(uint32_t crc, const void* data, size_t n, uint32_t* out);
/// Test hook: how many k-means assignment searches were answered by repeating the previous
/// identical one (internal/kmeans_assign.h, RepeatCache) on the calling thread.
uint64_t fshim_kmeans_repeats_for_tests(void);

/// Spherical k-means (Faiss Clustering, inner product, unit centroids) of n rows of d floats into
/// k centroids written to `centroids` (k x d). Deterministic for a seed. Requires n >= k >= 1.
/// `initial` (k x d, may be NULL for Faiss's random rows) is where Lloyd's iterations start.
int fshim_kmeans(int64_t d, int64_t n, const float* x, int64_t k, int iterations, uint64_t seed,
                 const float* initial, float* centroids, char* err);

#ifdef __cplusplus
}
#endif

/* Bad-input sweep: one row per exported function, each calling it with every class of bad input
 * that applies (NULL handles and pointers, negative, zero, huge and overflowing sizes, NaN/Inf,
 * wrong dimension, wrong space, wrong file kind, truncated or empty file, missing directory, a
 * regular file where a directory is expected) and asserting the status, a message naming the
 * problem, and that the stored state is unchanged (counts, a reference search, label counts).
 * The list of exported functions is read from include/stasis.h: a function without a row fails
 * the test, so every new entry point must join the sweep. Called from test_abi.c's main. */
#define _DEFAULT_SOURCE /* mmap flags, sysconf under -std=c11 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The call fails with `status` and a non-empty message containing `needle`. */
#define BAD(call, status, needle)                                                                   \
    do {                                                                                            \
        stasis_status s_ = (call);                                                                  \
        checks++;                                                                                   \
        const char* m_ = stasis_last_error();                                                       \
        if (s_ != (status) || m_[0] == 0 || strstr(m_, (needle)) == NULL) {                         \
            failures++;                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s -> %d '%s' (expected %d, '%s')\n", __FILE__, __LINE__,  \
                    #call, s_, m_, (status), (needle));                                             \
        }                                                                                           \
    } while (0)

#define INV STASIS_ERROR_INVALID_ARGUMENT
#define HUGE_N (INT64_MAX / 2)

static char sw_dir[512], p_index[600], p_space[600], p_encoder[600], p_adapter[600], p_report[600],
    p_plan[600], p_gallery[600], p_trunc[600], p_empty[600], p_missing[600], p_under_file[700], p_out[600];
static stasis_index *idx, *ivf, *bidx;
static stasis_space *space, *other_space;
static stasis_encoder *enc, *enc_other;
static stasis_adapter *adp, *fwd;
static stasis_report* report;
static stasis_gallery* gal;
static stasis_backfill_plan* plan;
static float x4[10 * 4], x6[10 * 6], f5[40 * 5], t3[40 * 3], nan4[4] = {1, NAN, 0, 0}, inf4[4] = {INFINITY, 1, 0, 0},
                                                                     zero4[4], nan16[16] = {1, 2, 3, 4, 5, NAN, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static int64_t ids10[10], lab10[10], lab40[40];

static float sw_uniform(void) {
    static uint64_t state = 99;
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((state >> 40) & 0xFFFFFF) / (float)0x1000000 - 0.5f;
}

/* ---- stored state: what a refused call must leave alone ---------------------------------- */

typedef struct {
    int64_t count;
    int64_t ids[3];
    float scores[3];
} index_state;

static index_state state_of(const stasis_index* index, int64_t dim) {
    index_state s = {-1, {0}, {0}};
    float q[6] = {0.3f, -0.2f, 0.5f, 0.1f, 0.2f, 0.4f};
    stasis_index_count(index, &s.count);
    stasis_index_search(index, 1, dim, q, 3, NULL, s.scores, s.ids, NULL);
    return s;
}

#define SAME_INDEX(index, dim, before)                                                              \
    do {                                                                                            \
        index_state after_ = state_of((index), (dim));                                              \
        CHECK(memcmp(&after_, &(before), sizeof after_) == 0);                                      \
    } while (0)

static int64_t gallery_count(void) {
    int64_t c = -1;
    stasis_gallery_count(gal, &c);
    return c;
}

static int64_t label_count(const stasis_space* s) {
    int64_t c = -1;
    stasis_space_label_count(s, &c);
    return c;
}

/* ---- file classes ------------------------------------------------------------------------ */

/* Every opener refuses: NULL path, NULL out, a missing file, a directory, an empty file, a
 * truncated index, and a Stasis file of another kind (`wrong`); *out stays NULL. */
typedef stasis_status (*opener)(const char*, void**);
static void copy_prefix(const char* from, const char* to, long bytes);
static void open_classes(const char* own, opener open, const char* wrong, stasis_status wrong_status) {
    void* out = (void*)1;
    FILE* f = fopen(own, "rb");
    long size = 0;
    if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (f) fclose(f);
    copy_prefix(own, p_trunc, size / 2);
    BAD(open(NULL, &out), INV, "path");
    CHECK(out == NULL);
    BAD(open(p_index, NULL), INV, "out");
    BAD(open(p_missing, &out), STASIS_ERROR_IO, "missing");
    CHECK(out == NULL);
    BAD(open(p_empty, &out), STASIS_ERROR_CORRUPT_FILE, p_empty);
    BAD(open(p_trunc, &out), STASIS_ERROR_CORRUPT_FILE, p_trunc);
    BAD(open(wrong, &out), wrong_status, wrong);
    CHECK(out == NULL);
}

/* Every saver refuses a NULL handle, a NULL path, a directory as target, a missing directory
 * and a regular file used as a directory. */
typedef stasis_status (*saver)(const void*, const char*);
static void save_classes(saver save, const void* handle) {
    BAD(save(NULL, p_out), INV, "");
    BAD(save(handle, NULL), INV, "path");
    BAD(save(handle, sw_dir), STASIS_ERROR_IO, sw_dir);
    BAD(save(handle, p_missing), STASIS_ERROR_IO, "missing");
    BAD(save(handle, p_under_file), STASIS_ERROR_IO, p_under_file);
}

typedef stasis_status (*inspector)(const char*, char**);
static void inspect_classes(inspector inspect, const char* wrong, stasis_status wrong_status) {
    char* json = (char*)1;
    BAD(inspect(NULL, &json), INV, "path");
    BAD(inspect(p_index, NULL), INV, "out");
    BAD(inspect(p_missing, &json), STASIS_ERROR_IO, "missing");
    BAD(inspect(p_empty, &json), STASIS_ERROR_CORRUPT_FILE, p_empty);
    BAD(inspect(wrong, &json), wrong_status, wrong);
}

/* A getter taking (handle, out): NULL handle and NULL out are refused. */
#define GETTER(fn, handle, type)                                                                    \
    do {                                                                                            \
        type out_;                                                                                  \
        BAD(fn(NULL, &out_), INV, "");                                                              \
        BAD(fn((handle), NULL), INV, "out");                                                        \
    } while (0)

/* ---- rows -------------------------------------------------------------------------------- */

static void r_no_input(void) { /* version, abi, kernel name: nothing a caller can get wrong */
    CHECK(stasis_version() && stasis_version_number() == STASIS_VERSION_NUMBER && stasis_abi_version() == STASIS_ABI_VERSION);
    CHECK(stasis_kernel_name() != NULL);
}
static void r_status_string(void) {
    CHECK(strcmp(stasis_status_string(-1), "unknown status code") == 0);
    CHECK(strcmp(stasis_status_string(INT32_MAX), "unknown status code") == 0);
}
static void r_last_error(void) {
    BAD(stasis_index_count(NULL, &(int64_t){0}), INV, "index");
    CHECK(stasis_last_error()[0] != 0);
    CHECK(stasis_index_count(idx, &(int64_t){0}) == STASIS_OK && strcmp(stasis_last_error(), "") == 0);
}
static void r_threads(void) {
    int before = stasis_get_num_threads();
    BAD(stasis_set_num_threads(-1), INV, "-1");
    BAD(stasis_set_num_threads(INT32_MAX), INV, "2147483647");
    CHECK(stasis_get_num_threads() == before);
}
static void r_frees(void) { /* every free accepts NULL */
    stasis_string_free(NULL);
    stasis_index_free(NULL);
    stasis_space_free(NULL);
    stasis_encoder_free(NULL);
    stasis_report_free(NULL);
    stasis_adapter_free(NULL);
    stasis_gallery_free(NULL);
    stasis_backfill_plan_free(NULL);
    CHECK(1);
}
static void r_portable(void) {
    CHECK(stasis_set_portable_kernels(7) == STASIS_OK && strcmp(stasis_kernel_name(), "portable") == 0);
    CHECK(stasis_set_portable_kernels(0) == STASIS_OK);
}
/* Any int is a valid switch value: nonzero allows, 0 stops. */
static void r_flat_prefilter(void) {
    CHECK(stasis_set_flat_prefilter(-3) == STASIS_OK && stasis_flat_prefilter_enabled() == 1);
    CHECK(stasis_set_flat_prefilter(0) == STASIS_OK && stasis_flat_prefilter_enabled() == 0);
    CHECK(stasis_set_flat_prefilter(INT32_MAX) == STASIS_OK && stasis_flat_prefilter_enabled() == 1);
}

static void r_index_create(void) {
    stasis_index* out = (stasis_index*)1;
    BAD(stasis_index_create(4, "Flat", NULL), INV, "out");
    BAD(stasis_index_create(4, NULL, &out), INV, "factory");
    CHECK(out == NULL);
    BAD(stasis_index_create(0, "Flat", &out), INV, "dimension");
    BAD(stasis_index_create(-4, "Flat", &out), INV, "-4");
    BAD(stasis_index_create(65537, "Flat", &out), INV, "65537");
    BAD(stasis_index_create(HUGE_N, "Flat", &out), INV, "dimension");
    BAD(stasis_index_create(4, "IVF0,Flat", &out), INV, "IVF0");
    BAD(stasis_index_create(4, "HNSW1", &out), INV, "HNSW1");
    BAD(stasis_index_create(4, "IVF2,PQ3", &out), INV, "PQ3");
    BAD(stasis_index_create(4, "IDMap,Flat", &out), INV, "IDMap");
    BAD(stasis_index_create(4, "", &out), INV, "factory");
    CHECK(out == NULL);
}
static void r_index_train(void) {
    index_state before = state_of(idx, 4);
    BAD(stasis_index_train(NULL, 10, 4, x4), INV, "index");
    BAD(stasis_index_train(ivf, -1, 4, x4), INV, "-1");
    BAD(stasis_index_train(ivf, 10, 4, NULL), INV, "vectors");
    BAD(stasis_index_train(ivf, HUGE_N, 4, x4), INV, "");
    BAD(stasis_index_train(ivf, 10, 3, x4), STASIS_ERROR_DIMENSION_MISMATCH, "3");
    BAD(stasis_index_train(ivf, 1, 4, nan4), INV, "nan");
    BAD(stasis_index_train(ivf, 1, 4, x4), INV, "");
    BAD(stasis_index_train(idx, 10, 4, x4), STASIS_ERROR_UNSUPPORTED, "");
    int trained = 1;
    CHECK(stasis_index_is_trained(ivf, &trained) == STASIS_OK && trained == 0);
    SAME_INDEX(idx, 4, before);
}
static void r_index_is_trained(void) { GETTER(stasis_index_is_trained, idx, int); }
static void r_index_add(void) {
    index_state before = state_of(idx, 4);
    int64_t dup[2] = {50, 50}, neg[1] = {-3}, fresh[1] = {60};
    BAD(stasis_index_add(NULL, 1, 4, x4, fresh, 1), INV, "index");
    BAD(stasis_index_add(idx, -1, 4, x4, fresh, 1), INV, "-1");
    BAD(stasis_index_add(idx, 1, 4, NULL, fresh, 1), INV, "vectors");
    BAD(stasis_index_add(idx, 1, 4, x4, NULL, 1), INV, "ids");
    BAD(stasis_index_add(idx, HUGE_N, 4, x4, fresh, 1), INV, "");
    BAD(stasis_index_add(idx, 1, 3, x4, fresh, 1), STASIS_ERROR_DIMENSION_MISMATCH, "3");
    BAD(stasis_index_add(idx, 1, 0, x4, fresh, 1), INV, "");
    BAD(stasis_index_add(idx, 1, 4, nan4, fresh, 1), INV, "nan");
    BAD(stasis_index_add(idx, 1, 4, inf4, fresh, 1), INV, "");
    BAD(stasis_index_add(idx, 1, 4, zero4, fresh, 1), INV, "zero");
    BAD(stasis_index_add(idx, 1, 4, x4, neg, 1), INV, "-3");
    BAD(stasis_index_add(idx, 2, 4, x4, dup, 1), INV, "50");
    BAD(stasis_index_add(ivf, 1, 4, x4, fresh, 1), STASIS_ERROR_NOT_TRAINED, "");
    SAME_INDEX(idx, 4, before);
}
static void r_index_remove(void) {
    index_state before = state_of(idx, 4);
    int64_t some[2] = {1, 12345};
    BAD(stasis_index_remove(NULL, 1, ids10), INV, "index");
    BAD(stasis_index_remove(idx, -1, ids10), INV, "-1");
    BAD(stasis_index_remove(idx, 1, NULL), INV, "ids");
    BAD(stasis_index_remove(idx, 2, some), STASIS_ERROR_NOT_FOUND, "12345");
    SAME_INDEX(idx, 4, before);
}
static void r_index_search(void) {
    float s[3];
    int64_t i[3];
    stasis_search_options bad_size = {0, 0, 0, 0, 0}, negative = STASIS_SEARCH_OPTIONS_INIT;
    negative.ef_search = -1;
    struct {
        stasis_search_options o;
        int64_t extra;
    } newer = {STASIS_SEARCH_OPTIONS_INIT, 1};
    newer.o.struct_size = sizeof newer;
    BAD(stasis_index_search(NULL, 1, 4, x4, 3, NULL, s, i, NULL), INV, "index");
    BAD(stasis_index_search(idx, 1, 4, NULL, 3, NULL, s, i, NULL), INV, "queries");
    BAD(stasis_index_search(idx, 1, 4, x4, 3, NULL, NULL, i, NULL), INV, "scores");
    BAD(stasis_index_search(idx, 1, 4, x4, 3, NULL, s, NULL, NULL), INV, "ids");
    BAD(stasis_index_search(idx, -1, 4, x4, 3, NULL, s, i, NULL), INV, "-1");
    BAD(stasis_index_search(idx, 1, 4, x4, 0, NULL, s, i, NULL), INV, "k");
    BAD(stasis_index_search(idx, 1, 4, x4, -2, NULL, s, i, NULL), INV, "-2");
    BAD(stasis_index_search(idx, 1, 4, x4, HUGE_N, NULL, s, i, NULL), INV, "");
    BAD(stasis_index_search(idx, HUGE_N, 4, x4, 3, NULL, s, i, NULL), INV, "");
    BAD(stasis_index_search(idx, 1, 5, x4, 3, NULL, s, i, NULL), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_index_search(idx, 1, 4, nan4, 3, NULL, s, i, NULL), INV, "nan");
    BAD(stasis_index_search(idx, 1, 4, zero4, 3, NULL, s, i, NULL), INV, "zero");
    BAD(stasis_index_search(idx, 1, 4, x4, 3, &bad_size, s, i, NULL), INV, "struct_size");
    BAD(stasis_index_search(idx, 1, 4, x4, 3, &negative, s, i, NULL), INV, "-1");
    BAD(stasis_index_search(idx, 1, 4, x4, 3, &newer.o, s, i, NULL), STASIS_ERROR_UNSUPPORTED, "");
    BAD(stasis_index_search(ivf, 1, 4, x4, 3, NULL, s, i, NULL), STASIS_ERROR_NOT_TRAINED, "");
}
static void r_index_set_search_defaults(void) {
    index_state before = state_of(idx, 4);
    stasis_search_options filter = STASIS_SEARCH_OPTIONS_INIT, negative = STASIS_SEARCH_OPTIONS_INIT;
    filter.filter_version = 1;
    negative.nprobe = -5;
    BAD(stasis_index_set_search_defaults(NULL, &filter), INV, "index");
    BAD(stasis_index_set_search_defaults(idx, NULL), INV, "options");
    BAD(stasis_index_set_search_defaults(idx, &filter), INV, "filter");
    BAD(stasis_index_set_search_defaults(idx, &negative), INV, "-5");
    SAME_INDEX(idx, 4, before);
}
static void r_index_getters(void) {
    GETTER(stasis_index_dimension, idx, int64_t);
    GETTER(stasis_index_factory, idx, const char*);
    GETTER(stasis_index_count, idx, int64_t);
    GETTER(stasis_index_space, idx, const char*);
    int64_t c;
    BAD(stasis_index_count_version(NULL, 1, &c), INV, "index");
    BAD(stasis_index_count_version(idx, 1, NULL), INV, "out");
}
static void r_index_versions(void) {
    uint32_t v[2];
    int64_t c[2], total;
    BAD(stasis_index_versions(NULL, 2, v, c, &total), INV, "index");
    BAD(stasis_index_versions(idx, -1, v, c, &total), INV, "-1");
    BAD(stasis_index_versions(idx, 2, NULL, c, &total), INV, "");
    BAD(stasis_index_versions(idx, 2, v, NULL, &total), INV, "");
    BAD(stasis_index_versions(idx, 2, v, c, NULL), INV, "total");
}
static void r_index_lookup(void) {
    uint8_t found[2];
    BAD(stasis_index_lookup(NULL, 2, ids10, found, NULL), INV, "index");
    BAD(stasis_index_lookup(idx, -2, ids10, found, NULL), INV, "-2");
    BAD(stasis_index_lookup(idx, 2, NULL, found, NULL), INV, "ids");
    BAD(stasis_index_lookup(idx, 2, ids10, NULL, NULL), INV, "found");
}
static void r_index_wal(void) {
    index_state before = state_of(idx, 4);
    stasis_wal_options bad_size = STASIS_WAL_OPTIONS_INIT, bad_mode = STASIS_WAL_OPTIONS_INIT,
                       bad_interval = STASIS_WAL_OPTIONS_INIT;
    bad_size.struct_size = 4;
    bad_mode.sync_mode = 7;
    bad_interval.sync_mode = STASIS_WAL_SYNC_INTERVAL;
    bad_interval.interval_ms = 0;
    BAD(stasis_index_enable_wal(NULL, p_out, NULL), INV, "");
    BAD(stasis_index_enable_wal(idx, NULL, NULL), INV, "");
    BAD(stasis_index_enable_wal(idx, p_out, &bad_size), INV, "struct_size");
    BAD(stasis_index_enable_wal(idx, p_out, &bad_mode), INV, "");
    BAD(stasis_index_enable_wal(idx, p_out, &bad_interval), INV, "");
    BAD(stasis_index_enable_wal(idx, p_missing, NULL), STASIS_ERROR_IO, "missing");
    BAD(stasis_index_disable_wal(NULL), INV, "");
    save_classes((saver)stasis_index_checkpoint, idx);
    GETTER(stasis_index_wal_sequence, idx, uint64_t);
    BAD(stasis_index_compact(NULL, NULL, NULL), INV, "");
    SAME_INDEX(idx, 4, before);
}
static void r_index_files(void) {
    save_classes((saver)stasis_index_save, idx);
    open_classes(p_index, (opener)stasis_index_open, p_space, STASIS_ERROR_CORRUPT_FILE);
    inspect_classes(stasis_index_inspect, p_space, STASIS_ERROR_CORRUPT_FILE);
}

static void r_space_create(void) {
    stasis_space* out = (stasis_space*)1;
    BAD(stasis_space_create(NULL, 4, 0, 0, &out), INV, "kind");
    CHECK(out == NULL);
    BAD(stasis_space_create("simplex", 4, 0, 0, NULL), INV, "out");
    BAD(stasis_space_create("tetrahedron", 4, 0, 0, &out), INV, "tetrahedron");
    BAD(stasis_space_create("simplex", 1, 0, 0, &out), INV, "");
    BAD(stasis_space_create("simplex", -4, 0, 0, &out), INV, "-4");
    BAD(stasis_space_create("simplex", HUGE_N, 0, 0, &out), INV, "");
    BAD(stasis_space_create("simplex", 4, 7, 0, &out), INV, "7");
    BAD(stasis_space_create("spherical-code", 16, 0, 1, &out), INV, "");
    BAD(stasis_space_create("spherical-code", 16, -8, 1, &out), INV, "-8");
    CHECK(out == NULL);
}
static void r_space_files(void) {
    save_classes((saver)stasis_space_save, space);
    open_classes(p_space, (opener)stasis_space_open, p_encoder, INV);
    inspect_classes(stasis_space_inspect, p_index, INV);
}
static void r_space_getters(void) {
    GETTER(stasis_space_kind, space, const char*);
    GETTER(stasis_space_fingerprint, space, const char*);
    GETTER(stasis_space_class_count, space, int64_t);
    GETTER(stasis_space_dimension, space, int64_t);
    GETTER(stasis_space_max_cosine, space, double);
    GETTER(stasis_space_label_count, space, int64_t);
}
static void r_space_vertices(void) {
    float v[12];
    BAD(stasis_space_vertices(NULL, 12, v), INV, "space");
    BAD(stasis_space_vertices(space, 11, v), INV, "11");
    BAD(stasis_space_vertices(space, -12, v), INV, "-12");
    BAD(stasis_space_vertices(space, 12, NULL), INV, "out");
}
static void r_space_labels(void) {
    int64_t before = label_count(space), out[8], labels[5] = {101, 102, 103, 104, 105};
    const char* names[2] = {"a", NULL};
    BAD(stasis_space_assign_ids(NULL, 1, labels, out), INV, "space");
    BAD(stasis_space_assign_ids(space, -1, labels, out), INV, "-1");
    BAD(stasis_space_assign_ids(space, 1, NULL, out), INV, "labels");
    BAD(stasis_space_assign_ids(space, 1, labels, NULL), INV, "out");
    BAD(stasis_space_assign_ids(space, 5, labels, out), STASIS_ERROR_UNSUPPORTED, "");
    BAD(stasis_space_assign_names(space, 2, names, out), INV, "1");
    BAD(stasis_space_assign_names(space, 1, NULL, out), INV, "labels");
    BAD(stasis_space_lookup_ids(space, -1, labels, out), INV, "-1");
    BAD(stasis_space_lookup_ids(space, 1, labels, NULL), INV, "out");
    BAD(stasis_space_lookup_names(space, 2, names, out), INV, "1");
    BAD(stasis_space_lookup_names(NULL, 1, names, out), INV, "space");
    CHECK(label_count(space) == before);
}

static void r_encoder_files(void) {
    save_classes((saver)stasis_encoder_save, enc);
    open_classes(p_encoder, (opener)stasis_encoder_open, p_space, INV);
    inspect_classes(stasis_encoder_inspect, p_index, INV);
}
static void r_encoder_getters(void) {
    GETTER(stasis_encoder_input_dimension, enc, int64_t);
    GETTER(stasis_encoder_output_dimension, enc, int64_t);
    GETTER(stasis_encoder_version, enc, uint32_t);
    GETTER(stasis_encoder_space, enc, const char*);
    const char* s;
    BAD(stasis_encoder_feature(NULL, &s, NULL), INV, "encoder");
    BAD(stasis_encoder_feature(enc, NULL, NULL), INV, "out");
    BAD(stasis_encoder_metadata(enc, NULL, &s), INV, "key");
    BAD(stasis_encoder_metadata(enc, "no.such.key", &s), STASIS_ERROR_NOT_FOUND, "no.such.key");
    CHECK(s == NULL);
    BAD(stasis_encoder_metadata(NULL, "stasis.kind", &s), INV, "encoder");
}
static void r_encoder_encode(void) {
    float out[2 * 3], bad[5] = {1, 2, NAN, 4, 5};
    BAD(stasis_encoder_encode(NULL, 1, 5, f5, 3, out), INV, "encoder");
    BAD(stasis_encoder_encode(enc, -1, 5, f5, 3, out), INV, "-1");
    BAD(stasis_encoder_encode(enc, 1, 5, NULL, 3, out), INV, "features");
    BAD(stasis_encoder_encode(enc, 1, 5, f5, 3, NULL), INV, "out");
    BAD(stasis_encoder_encode(enc, 1, 4, f5, 3, out), STASIS_ERROR_DIMENSION_MISMATCH, "4");
    BAD(stasis_encoder_encode(enc, 1, 5, f5, 2, out), STASIS_ERROR_DIMENSION_MISMATCH, "2");
    BAD(stasis_encoder_encode(enc, HUGE_N, 5, f5, 3, out), INV, "");
    BAD(stasis_encoder_encode(enc, 1, 5, bad, 3, out), INV, "row 0");
}

static void r_index_for_space(void) {
    stasis_index* out = (stasis_index*)1;
    BAD(stasis_index_create_for_space(NULL, "Flat", &out), INV, "space");
    CHECK(out == NULL);
    BAD(stasis_index_create_for_space(space, NULL, &out), INV, "factory");
    BAD(stasis_index_create_for_space(space, "Nope", &out), INV, "Nope");
    BAD(stasis_index_create_for_space(space, "Flat", NULL), INV, "out");
}
static void r_index_features(void) {
    index_state before = state_of(bidx, 3);
    int64_t fresh[2] = {70, 71};
    float s[3], bad[5] = {1, INFINITY, 0, 0, 0};
    int64_t i[3];
    BAD(stasis_index_add_features(NULL, enc, 1, 5, f5, fresh), INV, "index");
    BAD(stasis_index_add_features(bidx, NULL, 1, 5, f5, fresh), INV, "encoder");
    BAD(stasis_index_add_features(bidx, enc_other, 1, 5, f5, fresh), STASIS_ERROR_INCOMPATIBLE, "space");
    BAD(stasis_index_add_features(bidx, enc, 1, 4, f5, fresh), STASIS_ERROR_DIMENSION_MISMATCH, "4");
    BAD(stasis_index_add_features(bidx, enc, -1, 5, f5, fresh), INV, "-1");
    BAD(stasis_index_add_features(bidx, enc, 1, 5, bad, fresh), INV, "row 0");
    BAD(stasis_index_add_features(bidx, enc, 1, 5, f5, NULL), INV, "ids");
    BAD(stasis_index_add_features(idx, enc, 1, 5, f5, fresh), STASIS_ERROR_DIMENSION_MISMATCH, "");
    SAME_INDEX(bidx, 3, before);
    BAD(stasis_index_search_features(NULL, enc, 1, 5, f5, 3, NULL, s, i, NULL), INV, "index");
    BAD(stasis_index_search_features(bidx, enc_other, 1, 5, f5, 3, NULL, s, i, NULL), STASIS_ERROR_INCOMPATIBLE, "space");
    BAD(stasis_index_search_features(bidx, enc, 1, 5, f5, 0, NULL, s, i, NULL), INV, "k");
    BAD(stasis_index_search_features(bidx, enc, 1, 6, f5, 3, NULL, s, i, NULL), STASIS_ERROR_DIMENSION_MISMATCH, "6");
    BAD(stasis_index_search_features(bidx, enc, 1, 5, f5, 3, NULL, NULL, i, NULL), INV, "scores");
}

static void r_retrieval_metrics(void) {
    stasis_labelled_vectors q = {10, 4, x4, lab10}, empty = {0, 4, x4, lab10}, nan_q = {1, 4, nan4, lab10},
                            other = {10, 6, x6, lab10}, null_v = {10, 4, NULL, lab10};
    double top1, map, recall[1];
    int64_t ks[1] = {0};
    BAD(stasis_retrieval_metrics(NULL, &q, 0, 0, NULL, &top1, NULL, &map), INV, "queries");
    BAD(stasis_retrieval_metrics(&empty, &q, 0, 0, NULL, &top1, NULL, &map), INV, "");
    BAD(stasis_retrieval_metrics(&nan_q, &q, 0, 0, NULL, &top1, NULL, &map), INV, "nan");
    BAD(stasis_retrieval_metrics(&q, &other, 0, 0, NULL, &top1, NULL, &map), STASIS_ERROR_DIMENSION_MISMATCH, "");
    BAD(stasis_retrieval_metrics(&null_v, &q, 0, 0, NULL, &top1, NULL, &map), INV, "vectors");
    BAD(stasis_retrieval_metrics(&q, &q, 9, 0, NULL, &top1, NULL, &map), INV, "9");
    BAD(stasis_retrieval_metrics(&q, &q, 0, 1, ks, &top1, recall, &map), INV, "0");
    BAD(stasis_retrieval_metrics(&q, &q, 0, -1, ks, &top1, recall, &map), INV, "-1");
    BAD(stasis_retrieval_metrics(&q, &q, 0, 0, NULL, NULL, NULL, &map), INV, "");
}
static void r_compatibility_metrics(void) {
    double m[4] = {0.5, NAN, 0.6, NAN}, ac, am, bc, fc;
    BAD(stasis_compatibility_metrics(0, m, &ac, &am, &bc, &fc), INV, "0");
    BAD(stasis_compatibility_metrics(-2, m, &ac, &am, &bc, &fc), INV, "-2");
    BAD(stasis_compatibility_metrics(2, NULL, &ac, &am, &bc, &fc), INV, "matrix");
    BAD(stasis_compatibility_metrics(2, m, &ac, &am, &bc, &fc), INV, "nan");
    BAD(stasis_compatibility_metrics(HUGE_N, m, &ac, &am, &bc, &fc), INV, "");
    BAD(stasis_compatibility_metrics(1, m, NULL, &am, &bc, &fc), INV, "");
}
static void r_evaluate(void) {
    stasis_labelled_vectors q[2] = {{10, 4, x4, lab10}, {10, 4, x4, lab10}};
    uint32_t same[2] = {3, 3};
    stasis_evaluate_options bad = STASIS_EVALUATE_OPTIONS_INIT, zero = {0};
    bad.metric = "precision";
    stasis_report* out = (stasis_report*)1;
    BAD(stasis_evaluate(0, NULL, q, NULL, NULL, &out), INV, "t must be");
    CHECK(out == NULL);
    BAD(stasis_evaluate(2, NULL, NULL, NULL, NULL, &out), INV, "queries");
    BAD(stasis_evaluate(2, same, q, NULL, NULL, &out), INV, "3");
    BAD(stasis_evaluate(2, NULL, q, NULL, &bad, &out), INV, "precision");
    BAD(stasis_evaluate(2, NULL, q, NULL, &zero, &out), INV, "struct_size");
    BAD(stasis_evaluate(2, NULL, q, NULL, NULL, NULL), INV, "out");
    BAD(stasis_evaluate(HUGE_N, NULL, q, NULL, NULL, &out), INV, "");
}
static void r_report(void) {
    double m[4], fr[3] = {0, 0.5, 0.2}, va[3] = {0, 1, NAN};
    uint32_t v[2], g[2] = {1, 1}, unknown[1] = {9};
    int32_t passed;
    char* json;
    GETTER(stasis_report_version_count, report, int64_t);
    BAD(stasis_report_matrix(report, 3, v, m), INV, "3");
    BAD(stasis_report_matrix(report, 4, v, NULL), INV, "");
    BAD(stasis_report_matrix(NULL, 4, v, m), INV, "report");
    BAD(stasis_report_gate(report, 9, 1, g, 0, &passed, NULL), INV, "9");
    BAD(stasis_report_gate(report, 2, 1, unknown, 0, &passed, NULL), INV, "9");
    BAD(stasis_report_gate(report, 2, 0, g, 0, &passed, NULL), INV, "");
    BAD(stasis_report_gate(report, 2, 2, g, 0, &passed, NULL), INV, "1");
    BAD(stasis_report_gate(report, 2, 1, g, NAN, &passed, NULL), INV, "margin");
    BAD(stasis_report_gate(report, 1, 1, (uint32_t[]){2}, 0, &passed, NULL), INV, "2");
    BAD(stasis_report_gate(report, 2, 1, g, 0, NULL, NULL), INV, "");
    BAD(stasis_report_set_backfill(report, 1, fr, va, NULL), INV, "");
    BAD(stasis_report_set_backfill(report, 3, fr, va, NULL), INV, "");
    BAD(stasis_report_set_backfill(report, 2, fr, NULL, NULL), INV, "values");
    BAD(stasis_report_set_backfill(NULL, 2, fr, va, NULL), INV, "report");
    BAD(stasis_report_set_backfill_flips(report, 2, fr, va, NULL, NULL), INV, "negative_flips");
    BAD(stasis_report_set_backfill_flips(NULL, 2, fr, va, va, NULL), INV, "report");
    BAD(stasis_report_set_backfill_flips(report, 1, fr, va, va, NULL), INV, "");
    BAD(stasis_report_json(NULL, &json), INV, "report");
    BAD(stasis_report_json(report, NULL), INV, "out");
    BAD(stasis_report_html(NULL, &json), INV, "report");
    BAD(stasis_report_html(report, NULL), INV, "out");
    save_classes((saver)stasis_report_write_json, report);
    save_classes((saver)stasis_report_write_html, report);
    open_classes(p_report, (opener)stasis_report_open, p_plan, STASIS_ERROR_CORRUPT_FILE);
}

static void r_adapter_fit(void) {
    stasis_adapter* out = (stasis_adapter*)1;
    stasis_adapter_options rank = STASIS_ADAPTER_OPTIONS_INIT, zero = {0};
    rank.rank = 2;
    float bad[40 * 5];
    memcpy(bad, f5, sizeof bad);
    bad[7] = NAN;
    BAD(stasis_adapter_fit(NULL, 2, 1, 40, 5, f5, 3, t3, NULL, &out), INV, "kind");
    CHECK(out == NULL);
    BAD(stasis_adapter_fit("spline", 2, 1, 40, 5, f5, 3, t3, NULL, &out), INV, "spline");
    BAD(stasis_adapter_fit("ridge", 2, 2, 40, 5, f5, 3, t3, NULL, &out), INV, "versions");
    BAD(stasis_adapter_fit("ridge", 2, 1, 40, 0, f5, 3, t3, NULL, &out), INV, "dimension");
    BAD(stasis_adapter_fit("ridge", 2, 1, 40, 5, f5, 70000, t3, NULL, &out), INV, "70000");
    BAD(stasis_adapter_fit("ridge", 2, 1, -40, 5, f5, 3, t3, NULL, &out), INV, "-40");
    BAD(stasis_adapter_fit("ridge", 2, 1, HUGE_N, 5, f5, 3, t3, NULL, &out), INV, "");
    BAD(stasis_adapter_fit("ridge", 2, 1, 40, 5, NULL, 3, t3, NULL, &out), INV, "source");
    BAD(stasis_adapter_fit("ridge", 2, 1, 40, 5, bad, 3, t3, NULL, &out), INV, "row 1");
    BAD(stasis_adapter_fit("ridge", 2, 1, 4, 5, f5, 3, t3, NULL, &out), INV, "too few pairs");
    BAD(stasis_adapter_fit("ridge", 2, 1, 40, 5, f5, 3, t3, &rank, &out), INV, "rank");
    BAD(stasis_adapter_fit("ridge", 2, 1, 40, 5, f5, 3, t3, &zero, &out), INV, "struct_size");
    BAD(stasis_adapter_fit("quadratic", 2, 1, 40, 5, f5, 3, t3, NULL, &out), INV, "quadratic");
    BAD(stasis_adapter_fit_unpaired(2, 1, 4, 5, f5, 4, 3, t3, NULL, &out), INV, "too few rows");
    BAD(stasis_adapter_fit_unpaired(2, 2, 40, 5, f5, 40, 3, t3, NULL, &out), INV, "versions");
    BAD(stasis_adapter_fit_unpaired(2, 1, 40, 5, NULL, 40, 3, t3, NULL, &out), INV, "source");
    BAD(stasis_adapter_fit_unpaired(2, 1, -1, 5, f5, 40, 3, t3, NULL, &out), INV, "n_source");
    BAD(stasis_adapter_fit_unpaired(2, 1, 40, 5, f5, 40, 3, t3, NULL, NULL), INV, "out");
    BAD(stasis_adapter_is_unpaired(NULL, NULL), INV, "adapter");
    BAD(stasis_adapter_fit("ridge", 2, 1, 40, 5, f5, 3, t3, NULL, NULL), INV, "out");
    CHECK(out == NULL);
}
static void r_adapter_files(void) {
    save_classes((saver)stasis_adapter_save, adp);
    open_classes(p_adapter, (opener)stasis_adapter_open, p_encoder, INV);
    inspect_classes(stasis_adapter_inspect, p_index, INV);
}
static void r_adapter_getters(void) {
    GETTER(stasis_adapter_kind, adp, const char*);
    uint32_t a, b;
    int64_t c, d;
    BAD(stasis_adapter_versions(NULL, &a, &b), INV, "adapter");
    BAD(stasis_adapter_versions(adp, NULL, &b), INV, "");
    BAD(stasis_adapter_dimensions(NULL, &c, &d), INV, "adapter");
    BAD(stasis_adapter_dimensions(adp, &c, NULL), INV, "");
    BAD(stasis_adapter_validation(NULL, &c, &d, NULL, NULL), INV, "adapter");
}
static void r_adapter_apply(void) {
    float out[3 * 2], z5[5] = {0};
    const stasis_adapter* gap[2] = {adp, adp};
    const stasis_adapter* hole[2] = {adp, NULL};
    BAD(stasis_adapter_apply(NULL, 1, 5, f5, 3, out), INV, "adapter");
    BAD(stasis_adapter_apply(adp, -1, 5, f5, 3, out), INV, "-1");
    BAD(stasis_adapter_apply(adp, 1, 5, NULL, 3, out), INV, "");
    BAD(stasis_adapter_apply(adp, 1, 5, f5, 3, NULL), INV, "out");
    BAD(stasis_adapter_apply(adp, 1, 4, f5, 3, out), STASIS_ERROR_DIMENSION_MISMATCH, "4");
    BAD(stasis_adapter_apply(adp, 1, 5, f5, 2, out), STASIS_ERROR_DIMENSION_MISMATCH, "2");
    BAD(stasis_adapter_apply(adp, 1, 5, z5, 3, out), INV, "zero");
    BAD(stasis_adapter_apply(adp, HUGE_N, 5, f5, 3, out), INV, "");
    BAD(stasis_adapter_chain_apply(gap, 2, 1, 5, f5, 3, out), STASIS_ERROR_INCOMPATIBLE, "");
    BAD(stasis_adapter_chain_apply(hole, 2, 1, 5, f5, 3, out), INV, "NULL");
    BAD(stasis_adapter_chain_apply(gap, 0, 1, 5, f5, 3, out), INV, "count");
    BAD(stasis_adapter_chain_apply(NULL, 1, 1, 5, f5, 3, out), INV, "adapters");
    BAD(stasis_adapter_chain_apply(gap, 1, 1, 5, f5, 4, out), STASIS_ERROR_DIMENSION_MISMATCH, "4");
}

static void r_train(void) {
    int64_t before = label_count(space);
    stasis_train_options hoc = STASIS_TRAIN_OPTIONS_INIT, zero = {0};
    hoc.alignment = STASIS_ALIGNMENT_HOC;
    hoc.epochs = 1;
    float bad[40 * 5];
    memcpy(bad, f5, sizeof bad);
    bad[12] = INFINITY;
    const char* names[2] = {"x", NULL};
    stasis_encoder* out = (stasis_encoder*)1;
    BAD(stasis_train_ids(NULL, 40, 5, f5, lab40, NULL, 0, NULL, 9, NULL, &out), INV, "space");
    CHECK(out == NULL);
    BAD(stasis_train_ids(space, -40, 5, f5, lab40, NULL, 0, NULL, 9, NULL, &out), INV, "-40");
    BAD(stasis_train_ids(space, 40, 0, f5, lab40, NULL, 0, NULL, 9, NULL, &out), INV, "");
    BAD(stasis_train_ids(space, 40, 5, bad, lab40, NULL, 0, NULL, 9, NULL, &out), INV, "row 2");
    BAD(stasis_train_ids(space, 40, 5, f5, NULL, NULL, 0, NULL, 9, NULL, &out), INV, "labels");
    BAD(stasis_train_ids(space, HUGE_N, 5, f5, lab40, NULL, 0, NULL, 9, NULL, &out), INV, "");
    BAD(stasis_train_ids(space, 40, 5, f5, lab40, NULL, 0, NULL, 9, &zero, &out), INV, "struct_size");
    BAD(stasis_train_ids(space, 40, 5, f5, lab40, NULL, 0, NULL, 9, &hoc, &out), INV, "previous");
    BAD(stasis_train_ids(space, 40, 5, f5, lab40, enc_other, 5, f5, 9, &hoc, &out), STASIS_ERROR_INCOMPATIBLE, "");
    BAD(stasis_train_ids(space, 40, 5, f5, lab40, enc, 4, f5, 9, &hoc, &out), STASIS_ERROR_DIMENSION_MISMATCH, "");
    BAD(stasis_train_ids(space, 40, 5, f5, lab40, NULL, 0, NULL, 9, NULL, NULL), INV, "out");
    BAD(stasis_train_names(space, 2, 5, f5, names, NULL, 0, NULL, 9, NULL, &out), INV, "1");
    BAD(stasis_train_names(space, 2, 5, f5, NULL, NULL, 0, NULL, 9, NULL, &out), INV, "labels");
    CHECK(out == NULL && label_count(space) == before);
}

static void r_gallery(void) {
    int64_t before = gallery_count(), dup[2] = {500, 500}, neg[1] = {-1}, fresh[1] = {500}, unknown[2] = {0, 999};
    stasis_gallery* out = (stasis_gallery*)1;
    BAD(stasis_gallery_new("IVF4,Flat", &out), STASIS_ERROR_UNSUPPORTED, "");
    CHECK(out == NULL);
    BAD(stasis_gallery_new("Wobble", &out), INV, "Wobble");
    BAD(stasis_gallery_new(NULL, NULL), INV, "out");
    BAD(stasis_gallery_register(NULL, 5, 4, NULL), INV, "gallery");
    BAD(stasis_gallery_register(gal, 5, 0, NULL), INV, "");
    BAD(stasis_gallery_register(gal, 5, -3, NULL), INV, "-3");
    BAD(stasis_gallery_register(gal, 1, 5, "old"), INV, "1");
    BAD(stasis_gallery_register(gal, 5, 7, "old"), STASIS_ERROR_DIMENSION_MISMATCH, "old");
    const stasis_adapter* gap[2] = {adp, adp};
    const stasis_adapter* hole[1] = {NULL};
    BAD(stasis_gallery_add_chain(gal, gap, 0), INV, "");
    BAD(stasis_gallery_add_chain(gal, hole, 1), INV, "");
    BAD(stasis_gallery_add_chain(gal, NULL, 1), INV, "");
    BAD(stasis_gallery_add_chain(NULL, gap, 1), INV, "gallery");
    BAD(stasis_gallery_upsert(gal, 1, 4, x4, fresh, 77), STASIS_ERROR_NOT_FOUND, "77");
    BAD(stasis_gallery_upsert(gal, 1, 6, x4, fresh, 1), STASIS_ERROR_DIMENSION_MISMATCH, "6");
    BAD(stasis_gallery_upsert(gal, 1, 4, nan4, fresh, 1), INV, "nan");
    BAD(stasis_gallery_upsert(gal, 1, 4, zero4, fresh, 1), INV, "zero");
    BAD(stasis_gallery_upsert(gal, 1, 4, x4, neg, 1), INV, "-1");
    BAD(stasis_gallery_upsert(gal, 2, 4, x4, dup, 1), INV, "500");
    BAD(stasis_gallery_upsert(gal, -1, 4, x4, fresh, 1), INV, "-1");
    BAD(stasis_gallery_upsert(gal, HUGE_N, 4, x4, fresh, 1), INV, "");
    BAD(stasis_gallery_upsert(gal, 1, 4, NULL, fresh, 1), INV, "");
    BAD(stasis_gallery_remove(gal, 2, unknown), STASIS_ERROR_NOT_FOUND, "999");
    BAD(stasis_gallery_remove(gal, -1, unknown), INV, "-1");
    BAD(stasis_gallery_remove(NULL, 1, unknown), INV, "gallery");
    CHECK(gallery_count() == before);
    GETTER(stasis_gallery_count, gal, int64_t);
    int64_t c, vo[2];
    BAD(stasis_gallery_count_version(NULL, 1, &c), INV, "gallery");
    BAD(stasis_gallery_count_version(gal, 1, NULL), INV, "out");
    BAD(stasis_gallery_versions_of(gal, -1, unknown, vo), INV, "-1");
    BAD(stasis_gallery_versions_of(gal, 2, NULL, vo), INV, "ids");
    BAD(stasis_gallery_versions_of(gal, 2, unknown, NULL), INV, "");
    float s[3];
    int64_t i[3];
    BAD(stasis_gallery_search(gal, 1, 4, x4, 77, 3, NULL, 0, s, i, NULL), STASIS_ERROR_NOT_FOUND, "77");
    BAD(stasis_gallery_search(gal, 1, 4, x4, 1, 3, "nowhere", 0, s, i, NULL), STASIS_ERROR_NOT_FOUND, "nowhere");
    BAD(stasis_gallery_search(gal, 1, 5, x4, 1, 3, NULL, 0, s, i, NULL), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_gallery_search(gal, 1, 4, x4, 1, 0, NULL, 0, s, i, NULL), INV, "k");
    BAD(stasis_gallery_search(gal, 1, 4, nan4, 1, 3, NULL, 0, s, i, NULL), INV, "nan");
    BAD(stasis_gallery_search(gal, 1, 4, x4, 1, 3, NULL, 0, NULL, i, NULL), INV, "");
    BAD(stasis_gallery_search(gal, HUGE_N, 4, x4, 1, 3, NULL, 0, s, i, NULL), INV, "");
    BAD(stasis_gallery_calibrate(gal, 1, 4, x4, 1, 3), INV, "2");
    BAD(stasis_gallery_calibrate(gal, 4, 4, x4, 77, 3), STASIS_ERROR_NOT_FOUND, "77");
    BAD(stasis_gallery_calibrate(gal, 4, 4, nan16, 1, 3), INV, "nan");
    BAD(stasis_gallery_calibrate(NULL, 4, 4, x4, 1, 3), INV, "gallery");
    BAD(stasis_gallery_calibrate_paired(gal, 4, 6, x6, 2, 1, 1, x6, 4, x4, 3), INV, "");
    BAD(stasis_gallery_calibrate_paired(gal, 4, 6, x6, 2, 77, 4, x6, 4, x4, 3), STASIS_ERROR_NOT_FOUND, "77");
    BAD(stasis_gallery_calibrate_paired(gal, 4, 6, x6, 2, 1, 4, x6, 5, x4, 3), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_gallery_calibrate_paired(NULL, 4, 6, x6, 2, 1, 4, x6, 4, x4, 3), INV, "gallery");
    CHECK(gallery_count() == before);
}
static void r_gallery_wal(void) {
    int64_t before = gallery_count();
    stasis_wal_options bad_size = STASIS_WAL_OPTIONS_INIT, bad_mode = STASIS_WAL_OPTIONS_INIT;
    bad_size.struct_size = 4;
    bad_mode.sync_mode = 7;
    BAD(stasis_gallery_enable_wal(NULL, p_out, NULL), INV, "gallery");
    BAD(stasis_gallery_enable_wal(gal, NULL, NULL), INV, "wal_path");
    BAD(stasis_gallery_enable_wal(gal, p_out, &bad_size), INV, "struct_size");
    BAD(stasis_gallery_enable_wal(gal, p_out, &bad_mode), INV, "");
    BAD(stasis_gallery_enable_wal(gal, p_missing, NULL), STASIS_ERROR_IO, "missing");
    BAD(stasis_gallery_enable_wal(gal, p_index, NULL), STASIS_ERROR_CORRUPT_FILE, "write-ahead log");
    BAD(stasis_gallery_disable_wal(NULL), INV, "gallery");
    BAD(stasis_gallery_checkpoint(NULL, p_out), INV, "gallery");
    BAD(stasis_gallery_checkpoint(gal, NULL), INV, "path");
    BAD(stasis_gallery_checkpoint(gal, p_under_file), STASIS_ERROR_IO, "");
    GETTER(stasis_gallery_wal_sequence, gal, uint64_t);
    CHECK(gallery_count() == before);
}
static void r_gallery_files(void) {
    BAD(stasis_gallery_save(NULL, p_out), INV, "gallery");
    BAD(stasis_gallery_save(gal, NULL), INV, "path");
    BAD(stasis_gallery_save(gal, p_under_file), STASIS_ERROR_IO, "");
    BAD(stasis_gallery_save(gal, p_index), STASIS_ERROR_IO, "");
    stasis_gallery* out = (stasis_gallery*)1;
    BAD(stasis_gallery_open(NULL, &out), INV, "path");
    CHECK(out == NULL);
    BAD(stasis_gallery_open(p_gallery, NULL), INV, "out");
    BAD(stasis_gallery_open(p_missing, &out), STASIS_ERROR_IO, "");
    BAD(stasis_gallery_open(sw_dir, &out), STASIS_ERROR_IO, "gallery.json");
    BAD(stasis_gallery_open(p_index, &out), STASIS_ERROR_IO, "");
    CHECK(out == NULL);
}

static void r_backfill_plans(void) {
    stasis_backfill_plan* out = (stasis_backfill_plan*)1;
    int64_t order[12], dup[12];
    for (int i = 0; i < 12; i++) order[i] = dup[i] = i;
    dup[11] = 0;
    float pairs_old[40 * 4], pairs_new[40 * 6];
    for (int i = 0; i < 40 * 4; i++) pairs_old[i] = sw_uniform();
    for (int i = 0; i < 40 * 6; i++) pairs_new[i] = sw_uniform();
    float old[12 * 4];
    memcpy(old, x4, sizeof x4);
    memcpy(old + 40, x4, 8 * sizeof(float));
    BAD(stasis_backfill_plan_random(gal, 1, 1, 3, &out), INV, "");
    CHECK(out == NULL);
    BAD(stasis_backfill_plan_random(gal, 1, 77, 3, &out), STASIS_ERROR_NOT_FOUND, "77");
    BAD(stasis_backfill_plan_random(NULL, 1, 2, 3, &out), INV, "gallery");
    BAD(stasis_backfill_plan_random(gal, 1, 2, 3, NULL), INV, "out");
    BAD(stasis_backfill_plan_custom(gal, 1, 2, 11, order, &out), INV, "");
    BAD(stasis_backfill_plan_custom(gal, 1, 2, 12, dup, &out), INV, "0");
    order[3] = 999;
    BAD(stasis_backfill_plan_custom(gal, 1, 2, 12, order, &out), STASIS_ERROR_NOT_FOUND, "999");
    order[3] = 3;
    BAD(stasis_backfill_plan_custom(gal, 1, 2, -1, order, &out), INV, "-1");
    BAD(stasis_backfill_plan_custom(gal, 1, 2, 12, NULL, &out), INV, "");
    BAD(stasis_backfill_plan_predicted_error(gal, 1, 2, 12, 4, old, order, fwd, 1, pairs_old, pairs_new, 0, &out), INV, "");
    BAD(stasis_backfill_plan_predicted_error(gal, 1, 2, 12, 4, old, order, NULL, 40, pairs_old, pairs_new, 0, &out), INV, "");
    /* The paired rows have the adapter's widths (5 and 3 here). */
    BAD(stasis_backfill_plan_predicted_error(gal, 1, 2, 12, 4, old, order, adp, 40, f5, t3, 0, &out), STASIS_ERROR_INCOMPATIBLE, "2->1");
    BAD(stasis_backfill_plan_predicted_error(gal, 1, 2, 12, 5, old, order, fwd, 40, pairs_old, pairs_new, 0, &out), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_backfill_plan_predicted_error(gal, 1, 2, 12, 4, old, order, fwd, 40, pairs_old, pairs_new, NAN, &out), INV, "");
    BAD(stasis_backfill_plan_neighbourhood(gal, 1, 2, 12, 4, old, order, NULL, 0, &out), INV, "");
    BAD(stasis_backfill_plan_neighbourhood(gal, 1, 2, 12, 4, old, order, adp, 0, &out), STASIS_ERROR_INCOMPATIBLE, "");
    BAD(stasis_backfill_plan_neighbourhood(gal, 1, 2, 12, 4, old, order, fwd, -3, &out), INV, "neighbours");
    BAD(stasis_backfill_plan_neighbourhood(gal, 1, 2, 11, 4, old, order, fwd, 0, &out), INV, "");
    BAD(stasis_backfill_plan_hubs(gal, 1, 2, 12, 4, old, order, NULL, 0, &out), INV, "");
    BAD(stasis_backfill_plan_hubs(gal, 1, 2, 12, 4, old, order, adp, 0, &out), STASIS_ERROR_INCOMPATIBLE, "");
    BAD(stasis_backfill_plan_hubs(gal, 1, 2, 12, 4, old, order, fwd, -3, &out), INV, "neighbours");
    BAD(stasis_backfill_plan_hubs(gal, 1, 2, 11, 4, old, order, fwd, 0, &out), INV, "");
    BAD(stasis_backfill_plan_hubs(NULL, 1, 2, 12, 4, old, order, fwd, 0, &out), INV, "gallery");
    BAD(stasis_backfill_plan_hubs(gal, 1, 9, 12, 4, old, order, fwd, 0, &out), STASIS_ERROR_INCOMPATIBLE, "1->9");
    CHECK(out == NULL);

    int64_t n, got[12], count, done, left;
    GETTER(stasis_backfill_plan_length, plan, int64_t);
    CHECK(stasis_backfill_plan_length(plan, &n) == STASIS_OK);
    BAD(stasis_backfill_plan_order(plan, n - 1, got), INV, "");
    BAD(stasis_backfill_plan_order(plan, n, NULL), INV, "");
    BAD(stasis_backfill_plan_order(NULL, n, got), INV, "plan");
    BAD(stasis_backfill_plan_next_batch(plan, gal, 0, got, &count), INV, "");
    BAD(stasis_backfill_plan_next_batch(plan, gal, -4, got, &count), INV, "-4");
    BAD(stasis_backfill_plan_next_batch(plan, NULL, 4, got, &count), INV, "gallery");
    BAD(stasis_backfill_plan_next_batch(plan, gal, 4, NULL, &count), INV, "");
    BAD(stasis_backfill_plan_next_batch(plan, gal, 4, got, NULL), INV, "");
    BAD(stasis_backfill_plan_progress(plan, NULL, &done, &left), INV, "gallery");
    BAD(stasis_backfill_plan_progress(NULL, gal, &done, &left), INV, "plan");
    BAD(stasis_backfill_plan_progress(plan, gal, NULL, &left), INV, "");
    save_classes((saver)stasis_backfill_plan_save, plan);
    open_classes(p_plan, (opener)stasis_backfill_plan_open, p_report, STASIS_ERROR_CORRUPT_FILE);
}
static void r_backfill_curve(void) {
    int64_t before = gallery_count(), ids12[12];
    int32_t labels[12] = {0}, qlabels[2] = {0, 0};
    for (int i = 0; i < 12; i++) ids12[i] = i;
    float new_vectors[12 * 6];
    for (int i = 0; i < 12 * 6; i++) new_vectors[i] = sw_uniform();
    double fr[5], va[5], area;
    BAD(stasis_backfill_curve(gal, plan, 12, ids12, labels, 6, new_vectors, 2, 4, x4, 1, qlabels, 0, fr, va, &area), INV, "");
    BAD(stasis_backfill_curve(gal, plan, 12, ids12, labels, 6, new_vectors, 2, 4, x4, 1, qlabels, 4, NULL, va, &area), INV, "");
    BAD(stasis_backfill_curve(gal, plan, 12, ids12, labels, 5, new_vectors, 2, 4, x4, 1, qlabels, 4, fr, va, &area), STASIS_ERROR_DIMENSION_MISMATCH, "new vectors");
    BAD(stasis_backfill_curve(gal, plan, -1, ids12, labels, 6, new_vectors, 2, 4, x4, 1, qlabels, 4, fr, va, &area), INV, "-1");
    BAD(stasis_backfill_curve(NULL, plan, 12, ids12, labels, 6, new_vectors, 2, 4, x4, 1, qlabels, 4, fr, va, &area), INV, "gallery");
    BAD(stasis_backfill_curve(gal, NULL, 12, ids12, labels, 6, new_vectors, 2, 4, x4, 1, qlabels, 4, fr, va, &area), INV, "plan");
    BAD(stasis_backfill_curve(gal, plan, 12, ids12, labels, 6, new_vectors, 2, 4, nan16, 1, qlabels, 4, fr, va, &area), INV, "nan");
    double nf[5];
    BAD(stasis_backfill_curve_flips(gal, plan, 12, ids12, labels, 6, new_vectors, 2, 4, x4, 1, qlabels, 4, fr, va, NULL, &area), INV, "out_negative_flips");
    BAD(stasis_backfill_curve_flips(gal, plan, 12, ids12, labels, 6, new_vectors, 2, 4, x4, 1, qlabels, 0, fr, va, nf, &area), INV, "");
    BAD(stasis_backfill_curve_flips(NULL, plan, 12, ids12, labels, 6, new_vectors, 2, 4, x4, 1, qlabels, 4, fr, va, nf, &area), INV, "gallery");
    BAD(stasis_backfill_curve_flips(gal, plan, 12, ids12, labels, 5, new_vectors, 2, 4, x4, 1, qlabels, 4, fr, va, nf, &area), STASIS_ERROR_DIMENSION_MISMATCH, "new vectors");
    CHECK(gallery_count() == before);
    int64_t on_v1 = -1;
    CHECK(stasis_gallery_count_version(gal, 1, &on_v1) == STASIS_OK && on_v1 == 12);
}

/* ---- wrong widths against a guard page ------------------------------------------------------
 * A caller that passes the wrong width sized its buffer for the right one. The library must
 * refuse the width before reading n x width values: each buffer here ends at a PROT_NONE page,
 * so reading past it kills the test (the AddressSanitizer run found index add, add_features and
 * gallery calibrate reading first and checking after). */
static float* guarded(size_t floats, void** map, size_t* length) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    *length = 2 * page;
    *map = mmap(NULL, *length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (*map == MAP_FAILED) return NULL;
    mprotect((char*)*map + page, page, PROT_NONE);
    float* x = (float*)((char*)*map + page) - floats;
    for (size_t i = 0; i < floats; i++) x[i] = sw_uniform();
    return x;
}

static void wrong_widths_read_nothing(void) {
    void* map;
    size_t length;
    float* x = guarded(8 * 4, &map, &length); /* 8 rows of the right width 4 (or 6 for v2) */
    if (!x) { CHECK(0); return; }
    index_state before = state_of(idx, 4);
    float s[8 * 3];
    int64_t i[8 * 3], ids8[8] = {900, 901, 902, 903, 904, 905, 906, 907};
    BAD(stasis_index_add(idx, 8, 5, x, ids8, 1), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_index_search(idx, 8, 5, x, 3, NULL, s, i, NULL), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_index_train(ivf, 8, 5, x), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    SAME_INDEX(idx, 4, before);
    float* f = x + 8 * 4 - 6 * 5; /* 6 rows of the encoder's width 5 */
    BAD(stasis_index_add_features(bidx, enc, 6, 6, f, ids8), STASIS_ERROR_DIMENSION_MISMATCH, "6");
    BAD(stasis_index_search_features(bidx, enc, 6, 6, f, 3, NULL, s, i, NULL), STASIS_ERROR_DIMENSION_MISMATCH, "6");
    int64_t count = gallery_count();
    BAD(stasis_gallery_upsert(gal, 8, 5, x, ids8, 1), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_gallery_search(gal, 8, 5, x, 1, 3, NULL, 0, s, i, NULL), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_gallery_calibrate(gal, 8, 5, x, 1, 3), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    BAD(stasis_gallery_calibrate_paired(gal, 8, 5, x, 1, 2, 2, x6, 6, x6, 3), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    int64_t order[12];
    for (int r = 0; r < 12; r++) order[r] = r;
    float* rows12 = x + 8 * 4 - 8 * 4; /* fewer than 12 x 5 values: must not be read */
    stasis_backfill_plan* out = NULL;
    BAD(stasis_backfill_plan_neighbourhood(gal, 1, 2, 12, 5, rows12, order, fwd, 0, &out), STASIS_ERROR_DIMENSION_MISMATCH, "5");
    int32_t labels[12] = {0}, qlabels[8] = {0};
    double fr[3], va[3];
    float new_vectors[12 * 6] = {0};
    BAD(stasis_backfill_curve(gal, plan, 12, order, labels, 6, new_vectors, 8, 5, x, 1, qlabels, 2, fr, va, NULL),
        STASIS_ERROR_DIMENSION_MISMATCH, "5");
    CHECK(gallery_count() == count && out == NULL);
    munmap(map, length);
}

/* ---- the table ----------------------------------------------------------------------------- */

typedef struct {
    const char* functions; /* space-separated exported names this row covers */
    void (*run)(void);
} sweep_row;

static const sweep_row rows[] = {
    {"stasis_version stasis_version_number stasis_abi_version stasis_kernel_name", r_no_input},
    {"stasis_status_string", r_status_string},
    {"stasis_last_error", r_last_error},
    {"stasis_set_num_threads stasis_get_num_threads", r_threads},
    {"stasis_string_free stasis_index_free stasis_space_free stasis_encoder_free stasis_report_free "
     "stasis_adapter_free stasis_gallery_free stasis_backfill_plan_free", r_frees},
    {"stasis_set_portable_kernels", r_portable},
    {"stasis_set_flat_prefilter stasis_flat_prefilter_enabled", r_flat_prefilter},
    {"stasis_index_create", r_index_create},
    {"stasis_index_train", r_index_train},
    {"stasis_index_is_trained", r_index_is_trained},
    {"stasis_index_add", r_index_add},
    {"stasis_index_remove", r_index_remove},
    {"stasis_index_search", r_index_search},
    {"stasis_index_set_search_defaults", r_index_set_search_defaults},
    {"stasis_index_dimension stasis_index_factory stasis_index_count stasis_index_count_version stasis_index_space", r_index_getters},
    {"stasis_index_versions", r_index_versions},
    {"stasis_index_lookup", r_index_lookup},
    {"stasis_index_save stasis_index_open stasis_index_inspect", r_index_files},
    {"stasis_index_enable_wal stasis_index_disable_wal stasis_index_checkpoint stasis_index_wal_sequence stasis_index_compact",
     r_index_wal},
    {"stasis_space_create", r_space_create},
    {"stasis_space_save stasis_space_open stasis_space_inspect", r_space_files},
    {"stasis_space_kind stasis_space_fingerprint stasis_space_class_count stasis_space_dimension "
     "stasis_space_max_cosine stasis_space_label_count", r_space_getters},
    {"stasis_space_vertices", r_space_vertices},
    {"stasis_space_assign_ids stasis_space_assign_names stasis_space_lookup_ids stasis_space_lookup_names", r_space_labels},
    {"stasis_encoder_open stasis_encoder_save stasis_encoder_inspect", r_encoder_files},
    {"stasis_encoder_input_dimension stasis_encoder_output_dimension stasis_encoder_version stasis_encoder_space "
     "stasis_encoder_metadata stasis_encoder_feature", r_encoder_getters},
    {"stasis_encoder_encode", r_encoder_encode},
    {"stasis_index_create_for_space", r_index_for_space},
    {"stasis_index_add_features stasis_index_search_features", r_index_features},
    {"stasis_retrieval_metrics", r_retrieval_metrics},
    {"stasis_compatibility_metrics", r_compatibility_metrics},
    {"stasis_evaluate", r_evaluate},
    {"stasis_report_open stasis_report_version_count stasis_report_matrix stasis_report_gate "
     "stasis_report_set_backfill stasis_report_set_backfill_flips stasis_report_json stasis_report_html stasis_report_write_json "
     "stasis_report_write_html", r_report},
    {"stasis_adapter_fit", r_adapter_fit},
    {"stasis_adapter_fit_unpaired", r_adapter_fit},
    {"stasis_adapter_is_unpaired", r_adapter_fit},
    {"stasis_adapter_save stasis_adapter_open stasis_adapter_inspect", r_adapter_files},
    {"stasis_adapter_kind stasis_adapter_versions stasis_adapter_dimensions stasis_adapter_validation", r_adapter_getters},
    {"stasis_adapter_apply stasis_adapter_chain_apply", r_adapter_apply},
    {"stasis_train_ids stasis_train_names", r_train},
    {"stasis_gallery_new stasis_gallery_register stasis_gallery_add_chain stasis_gallery_upsert "
     "stasis_gallery_remove stasis_gallery_count stasis_gallery_count_version stasis_gallery_versions_of "
     "stasis_gallery_search stasis_gallery_calibrate stasis_gallery_calibrate_paired", r_gallery},
    {"stasis_gallery_save stasis_gallery_open", r_gallery_files},
    {"stasis_gallery_enable_wal stasis_gallery_disable_wal stasis_gallery_checkpoint stasis_gallery_wal_sequence", r_gallery_wal},
    {"stasis_backfill_plan_random stasis_backfill_plan_custom stasis_backfill_plan_predicted_error "
     "stasis_backfill_plan_neighbourhood stasis_backfill_plan_hubs stasis_backfill_plan_length stasis_backfill_plan_order "
     "stasis_backfill_plan_next_batch stasis_backfill_plan_progress stasis_backfill_plan_save "
     "stasis_backfill_plan_open", r_backfill_plans},
    {"stasis_backfill_curve stasis_backfill_curve_flips", r_backfill_curve},
};

static int has_row(const char* name) {
    size_t len = strlen(name);
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
        for (const char* p = strstr(rows[r].functions, name); p; p = strstr(p + 1, name))
            if ((p == rows[r].functions || p[-1] == ' ') && (p[len] == ' ' || p[len] == 0)) return 1;
    return 0;
}

/* Every `STASIS_API ... stasis_name(` declaration of the header must have a row. */
static void every_export_has_a_row(void) {
    const char* header = getenv("STASIS_HEADER");
    FILE* f = fopen(header && *header ? header : "include/stasis.h", "r");
    CHECK(f != NULL);
    if (!f) return;
    static char text[1 << 20];
    size_t size = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[size] = 0;
    int exported = 0;
    for (char* p = strstr(text, "STASIS_API "); p; p = strstr(p + 1, "STASIS_API ")) {
        char* paren = strchr(p, '(');
        if (!paren || strchr(p, ';') < paren) continue;
        char* end = paren;
        while (end > p && end[-1] == ' ') end--;
        char* start = end;
        while (start > p && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') || (start[-1] >= '0' && start[-1] <= '9'))) start--;
        char name[128];
        size_t len = (size_t)(end - start) < sizeof name - 1 ? (size_t)(end - start) : sizeof name - 1;
        memcpy(name, start, len);
        name[len] = 0;
        if (strncmp(name, "stasis_", 7) != 0) continue;
        exported++;
        if (!has_row(name)) {
            failures++;
            fprintf(stderr, "FAIL test_sweep.c: exported function %s has no row in the bad-input sweep\n", name);
        }
        checks++;
    }
    CHECK(exported >= 100);
    printf("bad-input sweep: %d exported functions, %zu rows\n", exported, sizeof rows / sizeof *rows);
}

static void copy_prefix(const char* from, const char* to, long bytes) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    for (long i = 0; in && out && i < bytes; i++) {
        int c = fgetc(in);
        if (c == EOF) break;
        fputc(c, out);
    }
    if (in) fclose(in);
    if (out) fclose(out);
}

static int fixtures(void) {
    snprintf(sw_dir, sizeof sw_dir, "%s/sweep", scratch);
    snprintf(p_index, sizeof p_index, "%s/index.stasis", sw_dir);
    snprintf(p_space, sizeof p_space, "%s/space.safetensors", sw_dir);
    snprintf(p_encoder, sizeof p_encoder, "%s/encoder.safetensors", sw_dir);
    snprintf(p_adapter, sizeof p_adapter, "%s/adapter.safetensors", sw_dir);
    snprintf(p_report, sizeof p_report, "%s/report.json", sw_dir);
    snprintf(p_plan, sizeof p_plan, "%s/plan.json", sw_dir);
    snprintf(p_gallery, sizeof p_gallery, "%s/gallery", sw_dir);
    snprintf(p_trunc, sizeof p_trunc, "%s/truncated.stasis", sw_dir);
    snprintf(p_empty, sizeof p_empty, "%s/empty.bin", sw_dir);
    snprintf(p_missing, sizeof p_missing, "%s/missing-dir/file", sw_dir);
    snprintf(p_under_file, sizeof p_under_file, "%s/child", p_index);
    snprintf(p_out, sizeof p_out, "%s/out.bin", sw_dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sw_dir);
    if (system(cmd) != 0) return 0;
    for (int i = 0; i < 10 * 4; i++) x4[i] = sw_uniform();
    for (int i = 0; i < 10 * 6; i++) x6[i] = sw_uniform();
    for (int i = 0; i < 40 * 5; i++) f5[i] = sw_uniform();
    for (int i = 0; i < 40 * 3; i++) t3[i] = sw_uniform();
    for (int i = 0; i < 10; i++) ids10[i] = i, lab10[i] = i % 3;
    for (int i = 0; i < 40; i++) lab40[i] = i % 3;
    stasis_train_options o = STASIS_TRAIN_OPTIONS_INIT;
    o.epochs = 1;
    o.validation = -1;
    stasis_labelled_vectors q[2] = {{10, 4, x4, lab10}, {10, 4, x4, lab10}};
    int64_t label_ids[3] = {0, 1, 2}, vertices[3];
    int ok = stasis_index_create(4, "Flat", &idx) == STASIS_OK && stasis_index_add(idx, 10, 4, x4, ids10, 1) == STASIS_OK &&
             stasis_index_create(4, "IVF2,Flat", &ivf) == STASIS_OK &&
             stasis_space_create("simplex", 4, 0, 0, &space) == STASIS_OK &&
             stasis_space_create("orthoplex", 6, 0, 0, &other_space) == STASIS_OK &&
             stasis_space_assign_ids(space, 3, label_ids, vertices) == STASIS_OK &&
             stasis_train_ids(space, 40, 5, f5, lab40, NULL, 0, NULL, 1, &o, &enc) == STASIS_OK &&
             stasis_train_ids(other_space, 40, 5, f5, lab40, NULL, 0, NULL, 1, &o, &enc_other) == STASIS_OK &&
             stasis_index_create_for_space(space, "Flat", &bidx) == STASIS_OK &&
             stasis_index_add_features(bidx, enc, 10, 5, f5, ids10) == STASIS_OK &&
             stasis_adapter_fit("ridge", 2, 1, 40, 5, f5, 3, t3, NULL, &adp) == STASIS_OK &&
             stasis_evaluate(2, NULL, q, NULL, NULL, &report) == STASIS_OK &&
             stasis_index_save(idx, p_index) == STASIS_OK && stasis_space_save(space, p_space) == STASIS_OK &&
             stasis_encoder_save(enc, p_encoder) == STASIS_OK && stasis_adapter_save(adp, p_adapter) == STASIS_OK &&
             stasis_report_write_json(report, p_report) == STASIS_OK;
    if (!ok) return 0;
    /* Gallery: v1 (dim 4, space "old") with 12 items, v2 (dim 6) reached by a backward bridge. */
    float p4[40 * 4], p6[40 * 6], items[12 * 4];
    for (int i = 0; i < 40 * 4; i++) p4[i] = sw_uniform();
    for (int i = 0; i < 40 * 6; i++) p6[i] = sw_uniform();
    for (int i = 0; i < 12 * 4; i++) items[i] = sw_uniform();
    int64_t ids12[12];
    for (int i = 0; i < 12; i++) ids12[i] = i;
    stasis_adapter* back = NULL;
    ok = stasis_adapter_fit("ridge", 2, 1, 40, 6, p6, 4, p4, NULL, &back) == STASIS_OK &&
         stasis_adapter_fit("ridge", 1, 2, 40, 4, p4, 6, p6, NULL, &fwd) == STASIS_OK &&
         stasis_gallery_new(NULL, &gal) == STASIS_OK && stasis_gallery_register(gal, 1, 4, "old") == STASIS_OK &&
         stasis_gallery_register(gal, 2, 6, NULL) == STASIS_OK &&
         stasis_gallery_add_chain(gal, (const stasis_adapter* const[]){back}, 1) == STASIS_OK &&
         stasis_gallery_upsert(gal, 12, 4, items, ids12, 1) == STASIS_OK && stasis_gallery_save(gal, p_gallery) == STASIS_OK &&
         stasis_backfill_plan_random(gal, 1, 2, 5, &plan) == STASIS_OK && stasis_backfill_plan_save(plan, p_plan) == STASIS_OK;
    stasis_adapter_free(back);
    copy_prefix(p_index, p_empty, 0);
    return ok;
}

void test_sweep(void) {
    every_export_has_a_row();
    if (!fixtures()) {
        failures++;
        fprintf(stderr, "FAIL test_sweep.c: fixtures: %s\n", stasis_last_error());
        return;
    }
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) rows[r].run();
    wrong_widths_read_nothing();
    stasis_index_free(idx);
    stasis_index_free(ivf);
    stasis_index_free(bidx);
    stasis_space_free(space);
    stasis_space_free(other_space);
    stasis_encoder_free(enc);
    stasis_encoder_free(enc_other);
    stasis_adapter_free(adp);
    stasis_adapter_free(fwd);
    stasis_report_free(report);
    stasis_gallery_free(gal);
    stasis_backfill_plan_free(plan);
}

/* Write-ahead log, checkpoints and compaction through the C header only: replay after a "crash"
 * (the handle freed without a save), torn tails dropped, corrupt records refused, idempotent
 * replay after a checkpoint interrupted between save and log restart, sync modes, bad input, and
 * compaction keeping ids, versions and Flat results. Run from test_abi.c's main. */
#define _POSIX_C_SOURCE 200809L
#include "stasis.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { WD = 8 };

static uint64_t wal_state = 777;
static float wal_uniform(void) {
    wal_state = wal_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((wal_state >> 40) & 0xFFFFFF) / (float)0x1000000 - 0.5f;
}

static void wal_rows(float* x, int64_t n) {
    for (int64_t i = 0; i < n * WD; i++) x[i] = wal_uniform();
}

/* Scores of the same (query, row) pairs computed by BLAS blocks of different shapes: OpenBLAS's
 * edge kernels may sum in another order on some CPUs (Haswell/Zen kernels do; the AVX-512 ones did
 * not), so equal up to float rounding, not bit for bit. */
static int scores_agree(const float* a, const float* b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (fabsf(a[i] - b[i]) > 1e-6f * (1.0f + fabsf(a[i]))) return 0;
    return 1;
}

static long file_size(const char* path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int64_t index_count(const stasis_index* index) {
    int64_t n = -1;
    CHECK(stasis_index_count(index, &n) == STASIS_OK);
    return n;
}

static uint32_t version_of(const stasis_index* index, int64_t id) {
    uint8_t found = 0;
    uint32_t version = 0;
    CHECK(stasis_index_lookup(index, 1, &id, &found, &version) == STASIS_OK);
    return found ? version : 0;
}

/* Opens `path` and enables the log `log`; returns the index or NULL (status in *status). */
static stasis_index* recover(const char* path, const char* log, stasis_status* status) {
    stasis_index* index = NULL;
    CHECK(stasis_index_open(path, &index) == STASIS_OK);
    *status = stasis_index_enable_wal(index, log, NULL);
    if (*status != STASIS_OK) {
        stasis_index_free(index);
        return NULL;
    }
    return index;
}

static void flip_byte(const char* path, long offset) {
    FILE* f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, offset, SEEK_SET);
    int c = fgetc(f);
    fseek(f, offset, SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

static void test_wal_replay(void) {
    char path[512], log[512];
    snprintf(path, sizeof path, "%s/wal-c.stasis", scratch);
    snprintf(log, sizeof log, "%s/wal-c.log", scratch);
    unlink(log);
    float x[20 * WD];
    int64_t ids[20];
    for (int i = 0; i < 20; i++) ids[i] = 100 + i;
    wal_rows(x, 20);

    stasis_index* index = NULL;
    CHECK(stasis_index_create(WD, "Flat", &index) == STASIS_OK);
    CHECK(stasis_index_save(index, path) == STASIS_OK);
    stasis_wal_options options = STASIS_WAL_OPTIONS_INIT;
    CHECK(stasis_index_enable_wal(index, log, &options) == STASIS_OK);
    CHECK(file_size(log) == 32);
    CHECK_ERR(stasis_index_enable_wal(index, log, &options), STASIS_ERROR_UNSUPPORTED, "already enabled");
    CHECK(stasis_index_add(index, 10, WD, x, ids, 1) == STASIS_OK);           /* seq 1 */
    CHECK(stasis_index_remove(index, 2, ids) == STASIS_OK);                   /* seq 2 */
    CHECK(stasis_index_add(index, 1, WD, x + 10 * WD, ids + 5, 2) == STASIS_OK); /* seq 3: upsert */
    /* Failed calls are not logged. */
    CHECK_ERR(stasis_index_remove(index, 1, ids), STASIS_ERROR_NOT_FOUND, "not in the index");
    uint64_t sequence = 0;
    CHECK(stasis_index_wal_sequence(index, &sequence) == STASIS_OK && sequence == 3);
    long full = file_size(log);
    stasis_index* other = NULL;
    CHECK(stasis_index_create(WD, "Flat", &other) == STASIS_OK);
    CHECK_ERR(stasis_index_enable_wal(other, log, NULL), STASIS_ERROR_IO, "in use by another index");
    stasis_index_free(other);
    stasis_index_free(index); /* "crash": nothing saved since the empty index */

    stasis_status status;
    index = recover(path, log, &status);
    CHECK(status == STASIS_OK);
    if (index) {
        CHECK(index_count(index) == 8);
        CHECK(version_of(index, 100) == 0 && version_of(index, 101) == 0);
        CHECK(version_of(index, 105) == 2 && version_of(index, 109) == 1);
        CHECK(stasis_index_wal_sequence(index, &sequence) == STASIS_OK && sequence == 3);
        /* Interrupted checkpoint: the file is saved (it records sequence 3), the log still holds
         * records 1...3. Replay must skip them, not apply the removal twice. */
        CHECK(stasis_index_save(index, path) == STASIS_OK);
        stasis_index_free(index);
    }
    index = recover(path, log, &status);
    CHECK(status == STASIS_OK);
    if (index) {
        CHECK(index_count(index) == 8);
        CHECK(stasis_index_checkpoint(index, path) == STASIS_OK);
        CHECK(file_size(log) == 32);
        CHECK(stasis_index_add(index, 1, WD, x + 11 * WD, ids + 11, 3) == STASIS_OK); /* seq 4 */
        stasis_index_free(index);
    }
    index = recover(path, log, &status);
    CHECK(status == STASIS_OK);
    if (index) {
        CHECK(index_count(index) == 9 && version_of(index, 111) == 3);
        CHECK(stasis_index_wal_sequence(index, &sequence) == STASIS_OK && sequence == 4);
        /* A log whose base is ahead of the file (a later checkpoint's log with an older file). */
        CHECK(stasis_index_checkpoint(index, path) == STASIS_OK);
        stasis_index_free(index);
    }
    char old[512];
    snprintf(old, sizeof old, "%s/wal-c-old.stasis", scratch);
    stasis_index* empty = NULL;
    CHECK(stasis_index_create(WD, "Flat", &empty) == STASIS_OK);
    CHECK(stasis_index_save(empty, old) == STASIS_OK);
    stasis_index_free(empty);
    index = recover(old, log, &status);
    CHECK(status == STASIS_ERROR_CORRUPT_FILE && strstr(stasis_last_error(), "another index") != NULL);
    CHECK(full > 32);
}

static void test_wal_damage(void) {
    char path[512], log[512];
    snprintf(path, sizeof path, "%s/wal-d.stasis", scratch);
    snprintf(log, sizeof log, "%s/wal-d.log", scratch);
    unlink(log);
    float x[3 * WD];
    int64_t ids[3] = {1, 2, 3};
    wal_rows(x, 3);
    stasis_index* index = NULL;
    CHECK(stasis_index_create(WD, "HNSW16", &index) == STASIS_OK);
    CHECK(stasis_index_save(index, path) == STASIS_OK);
    stasis_wal_options options = STASIS_WAL_OPTIONS_INIT;
    options.sync_mode = STASIS_WAL_SYNC_OFF;
    CHECK(stasis_index_enable_wal(index, log, &options) == STASIS_OK);
    for (int i = 0; i < 3; i++) CHECK(stasis_index_add(index, 1, WD, x + i * WD, ids + i, 1) == STASIS_OK);
    stasis_index_free(index);
    long record = (file_size(log) - 32) / 3; /* equal-size records */
    CHECK(record == 24 + 32 + 8 + WD * 4);

    /* Torn tail: the last record loses its last 5 bytes. It is dropped and cut off. */
    CHECK(truncate(log, 32 + 3 * record - 5) == 0);
    stasis_status status;
    index = recover(path, log, &status);
    CHECK(status == STASIS_OK);
    if (index) {
        CHECK(index_count(index) == 2 && version_of(index, 3) == 0);
        CHECK(file_size(log) == 32 + 2 * record);
        stasis_index_free(index);
    }
    /* Zeros after the last record (a file extended but never written): dropped too. */
    CHECK(truncate(log, 32 + 2 * record + 100) == 0);
    index = recover(path, log, &status);
    CHECK(status == STASIS_OK);
    if (index) {
        CHECK(index_count(index) == 2);
        stasis_index_free(index);
    }
    /* A damaged payload in the middle, with an intact record after it: refused. */
    flip_byte(log, 32 + 24 + 40);
    index = recover(path, log, &status);
    CHECK(status == STASIS_ERROR_CORRUPT_FILE && strstr(stasis_last_error(), "intact records follow") != NULL);
    /* A damaged length in the middle: refused, never read as a torn tail. */
    flip_byte(log, 32 + 24 + 40);
    flip_byte(log, 32 + 1);
    index = recover(path, log, &status);
    CHECK(status == STASIS_ERROR_CORRUPT_FILE && strstr(stasis_last_error(), "damaged header") != NULL);
    /* Not a log at all. */
    index = recover(path, path, &status);
    CHECK(status == STASIS_ERROR_CORRUPT_FILE && strstr(stasis_last_error(), "not a Stasis write-ahead log") != NULL);
}

static void test_wal_bad_inputs(void) {
    char log[512];
    snprintf(log, sizeof log, "%s/wal-bad.log", scratch);
    stasis_index* index = NULL;
    CHECK(stasis_index_create(WD, "Flat", &index) == STASIS_OK);
    stasis_wal_options options = STASIS_WAL_OPTIONS_INIT;
    CHECK_ERR(stasis_index_enable_wal(NULL, log, &options), STASIS_ERROR_INVALID_ARGUMENT, "index");
    CHECK_ERR(stasis_index_enable_wal(index, NULL, &options), STASIS_ERROR_INVALID_ARGUMENT, "wal_path");
    options.sync_mode = 7;
    CHECK_ERR(stasis_index_enable_wal(index, log, &options), STASIS_ERROR_INVALID_ARGUMENT, "sync_mode");
    options.sync_mode = STASIS_WAL_SYNC_INTERVAL;
    options.interval_ms = 0;
    CHECK_ERR(stasis_index_enable_wal(index, log, &options), STASIS_ERROR_INVALID_ARGUMENT, "interval_ms");
    options.struct_size = 0;
    CHECK_ERR(stasis_index_enable_wal(index, log, &options), STASIS_ERROR_INVALID_ARGUMENT, "struct_size");
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-dir/x.log", scratch);
    CHECK_ERR(stasis_index_enable_wal(index, missing, NULL), STASIS_ERROR_IO, "no-such-dir");
    CHECK_ERR(stasis_index_checkpoint(index, NULL), STASIS_ERROR_INVALID_ARGUMENT, "path");
    CHECK_ERR(stasis_index_wal_sequence(index, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out");
    CHECK_ERR(stasis_index_disable_wal(NULL), STASIS_ERROR_INVALID_ARGUMENT, "index");
    CHECK_ERR(stasis_index_compact(NULL, NULL, NULL), STASIS_ERROR_INVALID_ARGUMENT, "index");
    /* Interval mode works and disable detaches. */
    unlink(log);
    options = (stasis_wal_options)STASIS_WAL_OPTIONS_INIT;
    options.sync_mode = STASIS_WAL_SYNC_INTERVAL;
    options.interval_ms = 5;
    CHECK(stasis_index_enable_wal(index, log, &options) == STASIS_OK);
    float x[WD];
    int64_t id = 9;
    wal_rows(x, 1);
    CHECK(stasis_index_add(index, 1, WD, x, &id, 1) == STASIS_OK);
    CHECK(stasis_index_disable_wal(index) == STASIS_OK);
    CHECK(stasis_index_disable_wal(index) == STASIS_OK);
    long size = file_size(log);
    CHECK(stasis_index_remove(index, 1, &id) == STASIS_OK);
    CHECK(file_size(log) == size);
    stasis_index_free(index);
}

static void test_compaction(void) {
    enum { N = 300, Q = 20, K = 10 };
    float* x = malloc(sizeof(float) * N * WD);
    float q[Q * WD];
    int64_t ids[N];
    wal_rows(x, N);
    wal_rows(q, Q);
    for (int i = 0; i < N; i++) ids[i] = 5000 + i;
    stasis_index* index = NULL;
    CHECK(stasis_index_create(WD, "Flat", &index) == STASIS_OK);
    CHECK(stasis_index_add(index, N, WD, x, ids, 1) == STASIS_OK);
    CHECK(stasis_index_remove(index, 80, ids) == STASIS_OK);
    CHECK(stasis_index_add(index, 20, WD, x + 100 * WD, ids + 100, 2) == STASIS_OK); /* upserts */
    float s0[Q * K], s1[Q * K];
    int64_t i0[Q * K], i1[Q * K];
    uint32_t v0[Q * K], v1[Q * K];
    CHECK(stasis_index_search(index, Q, WD, q, K, NULL, s0, i0, v0) == STASIS_OK);
    int64_t slots = -1, bytes = -1;
    CHECK(stasis_index_compact(index, &slots, &bytes) == STASIS_OK);
    CHECK(slots == 100);
    CHECK(bytes >= 100 * (WD * 4 + 13));
    CHECK(index_count(index) == N - 80);
    CHECK(stasis_index_search(index, Q, WD, q, K, NULL, s1, i1, v1) == STASIS_OK);
    /* The filtered search before (80 removed) and the unfiltered one after see the rows at other
     * positions in their BLAS blocks. */
    CHECK(memcmp(i0, i1, sizeof i0) == 0 && memcmp(v0, v1, sizeof v0) == 0 && scores_agree(s0, s1, Q * K));
    CHECK(version_of(index, 5100) == 2 && version_of(index, 5200) == 1 && version_of(index, 5000) == 0);
    CHECK(stasis_index_compact(index, &slots, NULL) == STASIS_OK && slots == 0);
    stasis_index_free(index);

    /* IVF: the codes are copied and renumbered, so results are identical too. */
    CHECK(stasis_index_create(WD, "IVF4,PQ4", &index) == STASIS_OK);
    CHECK(stasis_index_train(index, N, WD, x) == STASIS_OK);
    CHECK(stasis_index_add(index, N, WD, x, ids, 1) == STASIS_OK);
    CHECK(stasis_index_remove(index, 50, ids + 10) == STASIS_OK);
    CHECK(stasis_index_add(index, 10, WD, x, ids + 200, 3) == STASIS_OK); /* upserts, other vectors */
    stasis_search_options all = STASIS_SEARCH_OPTIONS_INIT;
    all.nprobe = 4;
    CHECK(stasis_index_search(index, Q, WD, q, K, &all, s0, i0, v0) == STASIS_OK);
    CHECK(stasis_index_compact(index, &slots, &bytes) == STASIS_OK);
    CHECK(slots == 60 && bytes > 60 * 13);
    CHECK(stasis_index_search(index, Q, WD, q, K, &all, s1, i1, v1) == STASIS_OK);
    CHECK(memcmp(i0, i1, sizeof i0) == 0 && memcmp(v0, v1, sizeof v0) == 0 && memcmp(s0, s1, sizeof s0) == 0);
    CHECK(index_count(index) == N - 50 && version_of(index, 5200) == 3);
    char path[512];
    snprintf(path, sizeof path, "%s/compact-ivf.stasis", scratch);
    CHECK(stasis_index_save(index, path) == STASIS_OK);
    stasis_index_free(index);
    CHECK(stasis_index_open(path, &index) == STASIS_OK);
    CHECK(stasis_index_search(index, Q, WD, q, K, &all, s1, i1, v1) == STASIS_OK);
    CHECK(memcmp(i0, i1, sizeof i0) == 0);
    stasis_index_free(index);

    /* HNSW over SQ codes: decoded and re-encoded with the same quantizer, the graph rebuilt. */
    CHECK(stasis_index_create(WD, "HNSW16,SQ8", &index) == STASIS_OK);
    CHECK(stasis_index_compact(index, &slots, &bytes) == STASIS_OK && slots == 0); /* untrained, empty */
    CHECK(stasis_index_train(index, N, WD, x) == STASIS_OK);
    CHECK(stasis_index_add(index, N, WD, x, ids, 1) == STASIS_OK);
    CHECK(stasis_index_remove(index, 100, ids) == STASIS_OK);
    stasis_search_options ef = STASIS_SEARCH_OPTIONS_INIT;
    ef.ef_search = 128;
    CHECK(stasis_index_search(index, Q, WD, q, K, &ef, s0, i0, v0) == STASIS_OK);
    CHECK(stasis_index_compact(index, &slots, &bytes) == STASIS_OK);
    CHECK(slots == 100 && bytes > 100 * 13);
    CHECK(index_count(index) == N - 100 && version_of(index, 5150) == 1 && version_of(index, 5050) == 0);
    CHECK(stasis_index_search(index, Q, WD, q, K, &ef, s1, i1, v1) == STASIS_OK);
    int agree = 0;
    for (int a = 0; a < Q * K; a++)
        for (int b = 0; b < K; b++) agree += i0[a] == i1[(a / K) * K + b];
    CHECK(agree >= Q * K * 95 / 100); /* the same top-10 sets at recall >= 0.95 */
    stasis_index_free(index);
    free(x);
}

void test_wal(void) {
    test_wal_replay();
    test_wal_damage();
    test_wal_bad_inputs();
    test_compaction();
}

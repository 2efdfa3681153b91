/* Concurrency soak through the C ABI: reader threads search, count and look up while one writer
 * thread adds, upserts, removes and saves (and reopens what it saved). Invariants checked on
 * every call: no error status, counts within what the writer can have produced, the untouched
 * version-1 vectors always present and (Flat) always their own nearest neighbour, hit ids only
 * ever ids the writer has used, and a reopened save holding exactly the count at save time.
 * Length: STASIS_SOAK_SECONDS (default 2) and STASIS_SOAK_THREADS readers (default 4); the
 * opt-in run (scripts/soak.sh) raises both. Called from test_abi.c's main. */
#define _POSIX_C_SOURCE 200809L /* rand_r, clock_gettime under -std=c11 */
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

enum { SOAK_DIM = 16, STABLE = 500, BATCH = 40, WINDOW = 5, CHURN_BASE = 100000 };

typedef struct {
    stasis_index* index;
    const float* stable;
    int exact;
    atomic_int* stop;
    long searches;
    int failures;
    char first_failure[256];
} soak_reader;

static void soak_fail(soak_reader* r, const char* what) {
    if (r->failures++ == 0) snprintf(r->first_failure, sizeof r->first_failure, "%s (%s)", what, stasis_last_error());
}

static void* soak_read(void* arg) {
    soak_reader* r = arg;
    unsigned seed = (unsigned)(uintptr_t)r;
    float scores[3 * 5];
    int64_t ids[3 * 5];
    uint32_t versions[3 * 5];
    while (!atomic_load(r->stop)) {
        int64_t row = rand_r(&seed) % (STABLE - 3);
        if (stasis_index_search(r->index, 3, SOAK_DIM, r->stable + row * SOAK_DIM, 5, NULL, scores, ids, versions) != STASIS_OK) {
            soak_fail(r, "search");
            continue;
        }
        for (int q = 0; q < 3; q++) {
            if (r->exact && (ids[q * 5] != row + q || versions[q * 5] != 1)) soak_fail(r, "a stable vector is not its own nearest neighbour");
            for (int j = 0; j < 5; j++) {
                int64_t id = ids[q * 5 + j];
                int known = (id >= 0 && id < STABLE) || id >= CHURN_BASE;
                if (!known || !isfinite(scores[q * 5 + j]) || (j > 0 && scores[q * 5 + j] > scores[q * 5 + j - 1] + 1e-6f))
                    soak_fail(r, "a hit with an unknown id or an unordered score");
            }
        }
        int64_t count = -1, stable_count = -1;
        if (stasis_index_count(r->index, &count) != STASIS_OK || stasis_index_count_version(r->index, 1, &stable_count) != STASIS_OK)
            soak_fail(r, "count");
        else if (stable_count != STABLE || count < STABLE || count > STABLE + (WINDOW + 1) * BATCH)
            soak_fail(r, "a count outside what the writer can have produced");
        int64_t probe[2] = {row, CHURN_BASE - 1};
        uint8_t found[2];
        if (stasis_index_lookup(r->index, 2, probe, found, NULL) != STASIS_OK || found[0] != 1 || found[1] != 0)
            soak_fail(r, "lookup");
        r->searches++;
    }
    return NULL;
}

static long soak_env(const char* name, long fallback) {
    const char* v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

static double soak_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void soak(const char* factory, int exact) {
    long seconds = soak_env("STASIS_SOAK_SECONDS", 2), threads = soak_env("STASIS_SOAK_THREADS", 4);
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    stasis_index* index = NULL;
    CHECK(stasis_index_create(SOAK_DIM, factory, &index) == STASIS_OK);
    float* stable = malloc(sizeof(float) * STABLE * SOAK_DIM);
    float* churn = malloc(sizeof(float) * BATCH * SOAK_DIM);
    unsigned seed = 17;
    for (int i = 0; i < STABLE * SOAK_DIM; i++) stable[i] = (float)((double)rand_r(&seed) / RAND_MAX) - 0.5f;
    int64_t ids[STABLE];
    for (int i = 0; i < STABLE; i++) ids[i] = i;
    CHECK(stasis_index_add(index, STABLE, SOAK_DIM, stable, ids, 1) == STASIS_OK);

    atomic_int stop = 0;
    soak_reader* readers = calloc((size_t)threads, sizeof *readers);
    pthread_t* tid = calloc((size_t)threads, sizeof *tid);
    for (long t = 0; t < threads; t++) {
        readers[t] = (soak_reader){index, stable, exact, &stop, 0, 0, ""};
        pthread_create(&tid[t], NULL, soak_read, &readers[t]);
    }
    /* Writer: batch b adds ids CHURN_BASE + b*BATCH... (version 2), re-adds the previous batch as
     * version 3 (upsert), removes batch b - WINDOW, and saves every 8th round. */
    char path[512];
    snprintf(path, sizeof path, "%s/soak-%s.idx", scratch, factory);
    int writer_failures = 0;
    long rounds = 0, saves = 0;
    int64_t live = 0;
    double start = soak_now();
    int64_t batch_ids[BATCH];
    do {
        for (int i = 0; i < BATCH * SOAK_DIM; i++) churn[i] = (float)((double)rand_r(&seed) / RAND_MAX) - 0.5f;
        for (int i = 0; i < BATCH; i++) batch_ids[i] = CHURN_BASE + rounds * BATCH + i;
        writer_failures += stasis_index_add(index, BATCH, SOAK_DIM, churn, batch_ids, 2) != STASIS_OK;
        live += BATCH;
        if (rounds > 0) {
            for (int i = 0; i < BATCH; i++) batch_ids[i] -= BATCH;
            writer_failures += stasis_index_add(index, BATCH, SOAK_DIM, churn, batch_ids, 3) != STASIS_OK;
        }
        if (rounds >= WINDOW) {
            for (int i = 0; i < BATCH; i++) batch_ids[i] = CHURN_BASE + (rounds - WINDOW) * BATCH + i;
            writer_failures += stasis_index_remove(index, BATCH, batch_ids) != STASIS_OK;
            live -= BATCH;
        }
        if (rounds % 8 == 0) {
            writer_failures += stasis_index_save(index, path) != STASIS_OK;
            stasis_index* copy = NULL;
            int64_t saved = -1;
            writer_failures += stasis_index_open(path, &copy) != STASIS_OK;
            if (copy) stasis_index_count(copy, &saved);
            writer_failures += saved != STABLE + live;
            stasis_index_free(copy);
            saves++;
        }
        rounds++;
    } while (soak_now() - start < (double)seconds);
    atomic_store(&stop, 1);
    long searches = 0;
    for (long t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        CHECK(readers[t].failures == 0);
        if (readers[t].failures) fprintf(stderr, "soak %s reader %ld: %d failures, first: %s\n", factory, t, readers[t].failures, readers[t].first_failure);
        searches += readers[t].searches;
    }
    CHECK(writer_failures == 0);
    int64_t count = -1, v2 = -1;
    CHECK(stasis_index_count(index, &count) == STASIS_OK && count == STABLE + live);
    CHECK(stasis_index_count_version(index, 2, &v2) == STASIS_OK && v2 == BATCH);
    printf("concurrency soak %s: %ld readers x %.1f s, %ld search rounds, %ld writer rounds, %ld saves\n", factory,
           threads, soak_now() - start, searches, rounds, saves);
    free(readers);
    free(tid);
    free(stable);
    free(churn);
    stasis_index_free(index);
}

void test_concurrency_soak(void) {
    soak("Flat", 1);
    soak("HNSW16", 0);
}

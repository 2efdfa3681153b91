/* Stasis quick start in C: build an index, search it, save it, reopen it.
 *
 *   cc examples/c/quickstart.c $(pkg-config --cflags --libs stasis) -o quickstart && ./quickstart
 *
 * Every call returns a stasis_status; on failure stasis_last_error() says what was wrong. */
#include <stasis.h>

#include <stdio.h>
#include <stdlib.h>

#define DIM 64
#define N 10000
#define K 5

static int fail(const char* what) {
    fprintf(stderr, "%s failed: %s\n", what, stasis_last_error());
    return 1;
}

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "quickstart.stasis";
    if (stasis_abi_version() != STASIS_ABI_VERSION) {
        fprintf(stderr, "libstasis ABI %d, header ABI %d\n", stasis_abi_version(), STASIS_ABI_VERSION);
        return 1;
    }
    printf("libstasis %s\n", stasis_version());

    /* Gallery vectors from "model version 1" (random here; embeddings in a real service). */
    float* gallery = malloc(sizeof(float) * N * DIM);
    int64_t* ids = malloc(sizeof(int64_t) * N);
    srand(1);
    for (int64_t i = 0; i < N * DIM; i++) gallery[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int64_t i = 0; i < N; i++) ids[i] = 100000 + i;

    stasis_index* index = NULL;
    if (stasis_index_create(DIM, "HNSW32", &index) != STASIS_OK) return fail("create");
    if (stasis_index_add(index, N, DIM, gallery, ids, 1) != STASIS_OK) return fail("add");

    /* Search the first three gallery items: each should find itself with cosine 1. */
    stasis_search_options options = STASIS_SEARCH_OPTIONS_INIT;
    options.ef_search = 64;
    float scores[3 * K];
    int64_t hits[3 * K];
    uint32_t versions[3 * K];
    if (stasis_index_search(index, 3, DIM, gallery, K, &options, scores, hits, versions) != STASIS_OK)
        return fail("search");
    for (int q = 0; q < 3; q++)
        printf("query %d -> id %lld (score %.3f, model version %u)\n", q, (long long)hits[q * K],
               scores[q * K], versions[q * K]);

    if (stasis_index_save(index, path) != STASIS_OK) return fail("save");
    stasis_index_free(index);

    /* Reopen and check the answer is unchanged; a bad call returns a status, never crashes. */
    stasis_index* reopened = NULL;
    if (stasis_index_open(path, &reopened) != STASIS_OK) return fail("open");
    int64_t count = 0, again[K];
    float again_scores[K];
    stasis_index_count(reopened, &count);
    if (stasis_index_search(reopened, 1, DIM, gallery, K, &options, again_scores, again, NULL) != STASIS_OK)
        return fail("search after reopen");
    printf("reopened %s: %lld vectors, first hit %lld\n", path, (long long)count, (long long)again[0]);
    stasis_status status = stasis_index_search(reopened, 1, DIM + 1, gallery, K, NULL, again_scores, again, NULL);
    printf("searching with the wrong dimension: %s (%s)\n", stasis_status_string(status), stasis_last_error());

    stasis_index_free(reopened);
    free(ids);
    free(gallery);
    return again[0] == hits[0] ? 0 : 1;
}

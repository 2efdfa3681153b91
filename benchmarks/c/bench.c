/*
 * The C side of the index benchmark: the same measurements as worker.py's "stasis" side, through
 * include/stasis.h directly, so the table shows what a C caller gets without Python in the loop.
 *
 *   bench DATA_DIR FACTORY BUILD_THREADS THREADS_CSV REPEATS SINGLE_QUERY PARAM...
 *   PARAM: "-" (defaults), "ef_search=N" or "nprobe=N"
 *
 * Prints one JSON line shaped like worker.py's. Built and run by run.py (cc, linked to build/lib).
 */
#define _POSIX_C_SOURCE 200809L
#include <stasis.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { K = 10 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU time of the whole process: steadier than wall time on a loaded machine (other processes'
   work does not count), and at 1 thread the search's own cost. */
static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char* what) {
    fprintf(stderr, "bench: %s: %s\n", what, stasis_last_error());
    exit(1);
}

/* Reads a C-ordered 2-D .npy array written by numpy.save; returns rows, sets *cols. */
static void* load_npy(const char* dir, const char* name, size_t item, int64_t* rows, int64_t* cols) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE* f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    unsigned char head[10];
    if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0) { fprintf(stderr, "%s: not .npy\n", path); exit(1); }
    size_t header_len = head[8] | (head[9] << 8);
    if (head[6] >= 2) { /* version 2+: 4-byte length */
        unsigned char more[2];
        if (fread(more, 1, 2, f) != 2) exit(1);
        header_len |= ((size_t)more[0] << 16) | ((size_t)more[1] << 24);
    }
    char* header = calloc(header_len + 1, 1);
    if (fread(header, 1, header_len, f) != header_len) exit(1);
    const char* shape = strstr(header, "'shape': (");
    long long r = 0, c = 1;
    if (!shape || sscanf(shape, "'shape': (%lld, %lld)", &r, &c) < 1) { fprintf(stderr, "%s: no shape\n", path); exit(1); }
    free(header);
    void* data = malloc((size_t)(r * c) * item);
    if (fread(data, item, (size_t)(r * c), f) != (size_t)(r * c)) { fprintf(stderr, "%s: short\n", path); exit(1); }
    fclose(f);
    *rows = r;
    *cols = c;
    return data;
}

static double recall(const int64_t* ids, const int64_t* truth, int64_t nq) {
    int64_t hits = 0;
    for (int64_t q = 0; q < nq; q++)
        for (int a = 0; a < K; a++)
            for (int b = 0; b < K; b++)
                if (ids[q * K + a] == truth[q * K + b]) { hits++; break; }
    return (double)hits / (double)(nq * K);
}

int main(int argc, char** argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: bench DATA_DIR FACTORY BUILD_THREADS THREADS_CSV REPEATS SINGLE_QUERY PARAM...\n");
        return 2;
    }
    const char* dir = argv[1];
    const char* factory = argv[2];
    int build_threads = atoi(argv[3]), repeats = atoi(argv[5]), single_query = atoi(argv[6]);
    int64_t n, d, nq, dq, nt, kt;
    float* base = load_npy(dir, "base.npy", 4, &n, &d);
    float* queries = load_npy(dir, "queries.npy", 4, &nq, &dq);
    int64_t* truth = load_npy(dir, "truth.npy", 8, &nt, &kt);

    stasis_index* index = NULL;
    if (stasis_set_num_threads(build_threads) != STASIS_OK) die("threads");
    int64_t* ids = malloc(sizeof(int64_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++) ids[i] = i;
    /* STASIS_BENCH_ADD_REPEATS > 1 (cheap builds such as Flat): best of several builds from scratch. */
    const char* add_repeats_env = getenv("STASIS_BENCH_ADD_REPEATS");
    int add_repeats = add_repeats_env ? atoi(add_repeats_env) : 1;
    double train_s = 1e30, add_s = 1e30;
    for (int b = 0; b < (add_repeats > 0 ? add_repeats : 1); b++) {
        stasis_index_free(index);
        index = NULL;
        if (stasis_index_create(d, factory, &index) != STASIS_OK) die("create");
        double start = now();
        int trained = 0;
        stasis_index_is_trained(index, &trained);
        if (!trained && stasis_index_train(index, n, d, base) != STASIS_OK) die("train");
        double after_train = now();
        if (stasis_index_add(index, n, d, base, ids, 1) != STASIS_OK) die("add");
        double after_add = now();
        if (after_train - start < train_s) train_s = after_train - start;
        if (after_add - after_train < add_s) add_s = after_add - after_train;
    }

    float* scores = malloc(sizeof(float) * (size_t)(nq * K));
    int64_t* found = malloc(sizeof(int64_t) * (size_t)(nq * K));
    printf("{\"side\": \"stasis-c\", \"train_s\": %.6f, \"add_s\": %.6f, \"add_per_s\": %.3f, \"rows\": [",
           train_s, add_s, (double)n / add_s);
    int first_row = 1;
    char* threads_csv = strdup(argv[4]);
    for (char* t = strtok(threads_csv, ","); t; t = strtok(NULL, ",")) {
        int threads = atoi(t);
        if (stasis_set_num_threads(threads) != STASIS_OK) die("threads");
        for (int p = 7; p < argc; p++) {
            stasis_search_options options = STASIS_SEARCH_OPTIONS_INIT;
            char key[32] = "";
            int value = 0;
            if (sscanf(argv[p], "%31[a-z_]=%d", key, &value) == 2) {
                if (strcmp(key, "ef_search") == 0) options.ef_search = value;
                if (strcmp(key, "nprobe") == 0) options.nprobe = value;
            }
            int64_t warm = nq < 200 ? nq : 200;
            if (stasis_index_search(index, warm, d, queries, K, &options, scores, found, NULL) != STASIS_OK) die("search");
            double best = 1e30, best_cpu = 1e30;
            for (int r = 0; r < repeats; r++) {
                double t0 = now(), c0 = cpu_now();
                if (stasis_index_search(index, nq, d, queries, K, &options, scores, found, NULL) != STASIS_OK) die("search");
                double elapsed = now() - t0, cpu = cpu_now() - c0;
                if (elapsed < best) best = elapsed;
                if (cpu < best_cpu) best_cpu = cpu;
            }
            double rec = recall(found, truth, nq);
            double single_us = -1, single_cpu_us = -1;
            if (single_query && threads == 1) {
                /* Best of REPEATS passes of 300 one-query calls (the mean call of the best pass). */
                int64_t m = nq < 300 ? nq : 300;
                for (int r = 0; r < repeats; r++) {
                    double t0 = now(), c0 = cpu_now();
                    for (int64_t q = 0; q < m; q++)
                        if (stasis_index_search(index, 1, d, queries + q * d, K, &options, scores, found, NULL) != STASIS_OK) die("search");
                    double us = (now() - t0) / (double)m * 1e6, cpu_us = (cpu_now() - c0) / (double)m * 1e6;
                    if (single_us < 0 || us < single_us) single_us = us;
                    if (single_cpu_us < 0 || cpu_us < single_cpu_us) single_cpu_us = cpu_us;
                }
            }
            printf("%s{\"threads\": %d, \"param\": {", first_row ? "" : ", ", threads);
            if (key[0]) printf("\"%s\": %d", key, value);
            printf("}, \"qps\": %.3f, \"batch_cpu_s\": %.6f, \"recall\": %.6f, \"single_us\": ", (double)nq / best, best_cpu, rec);
            if (single_us < 0) printf("null"); else printf("%.3f", single_us);
            if (single_cpu_us < 0) printf(", \"single_cpu_us\": null}"); else printf(", \"single_cpu_us\": %.3f}", single_cpu_us);
            first_row = 0;
        }
    }
    printf("]}\n");
    free(threads_csv);
    free(found);
    free(scores);
    free(ids);
    free(base);
    free(queries);
    free(truth);
    stasis_index_free(index);
    return 0;
}

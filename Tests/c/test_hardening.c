/* Inputs that once killed the host: factory strings (each run in a forked child, so a regression
 * is a failed check rather than a dead test binary) and saves over non-regular files. */
#define _XOPEN_SOURCE 700 /* fork, mkfifo, S_IFMT under -std=c11 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

enum { DIM = 32, ROWS = 1200 };

/* Steps of the lifecycle a factory goes through; a child exits with step * 16 + status of the
 * first step that fails, 0 when all succeed. */
enum { STEP_CREATE = 1, STEP_TRAIN, STEP_ADD, STEP_SEARCH, STEP_SAVE, STEP_OPEN, STEP_REOPENED_SEARCH };

static int lifecycle(const char* factory, const char* path) {
    float* x = malloc(sizeof(float) * ROWS * DIM);
    int64_t* ids = malloc(sizeof(int64_t) * ROWS);
    unsigned state = 12345;
    for (int i = 0; i < ROWS * DIM; i++) {
        state = state * 1103515245u + 12345u;
        x[i] = (float)((state >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
    for (int i = 0; i < ROWS; i++) ids[i] = i;
    float scores[15];
    int64_t found[15];
    stasis_index* index = NULL;
    stasis_index* reopened = NULL;
    stasis_status s;
    int trained = 0, outcome = 0;
    /* Every path frees what it made: the sanitizer run (scripts/sanitize.sh) checks children for leaks. */
    if ((s = stasis_index_create(DIM, factory, &index)) != STASIS_OK) outcome = STEP_CREATE * 16 + s;
    else if (stasis_index_is_trained(index, &trained), !trained && (s = stasis_index_train(index, ROWS, DIM, x)) != STASIS_OK)
        outcome = STEP_TRAIN * 16 + s;
    else if ((s = stasis_index_add(index, ROWS, DIM, x, ids, 1)) != STASIS_OK) outcome = STEP_ADD * 16 + s;
    else if ((s = stasis_index_search(index, 5, DIM, x, 3, NULL, scores, found, NULL)) != STASIS_OK)
        outcome = STEP_SEARCH * 16 + s;
    else if ((s = stasis_index_save(index, path)) != STASIS_OK) outcome = STEP_SAVE * 16 + s;
    else if ((s = stasis_index_open(path, &reopened)) != STASIS_OK) outcome = STEP_OPEN * 16 + s;
    else if ((s = stasis_index_search(reopened, 5, DIM, x, 3, NULL, scores, found, NULL)) != STASIS_OK)
        outcome = STEP_REOPENED_SEARCH * 16 + s;
    stasis_index_free(reopened);
    stasis_index_free(index);
    unlink(path);
    free(ids);
    free(x);
    return outcome;
}

static void test_factory_table(void) {
    static const struct {
        const char* factory;
        int expected; /* 0 = works end to end; else step * 16 + status of the refusal */
    } cases[] = {
        {"Flat", 0}, {"HNSW2", 0}, {"HNSW16", 0}, {"HNSW256", 0}, {"HNSW16,SQ8", 0}, {"IVF1,Flat", 0},
        {"IVF16,SQ8", 0}, {"IVF16,PQ8np", 0}, {"IVF16,PQ8x1np", 0}, {"IVF16,PQ32np", 0},
        {"IVF0,Flat", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"IVF0,SQ8", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"IVF0,PQ8", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"HNSW0", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"HNSW1", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"HNSW257", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"HNSW16,PQ8", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"IVF16,PQ0", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"IVF16,PQ7", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"IVF16,PQ8x9", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"IVF1000000000,Flat", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"IVF1048577,Flat", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        {"IVF99999999999999999999,Flat", 16 + STASIS_ERROR_INVALID_ARGUMENT},
        /* Accepted, then refused by training: 1,200 vectors cannot make 2^20 lists. */
        {"IVF1048576,Flat", STEP_TRAIN * 16 + STASIS_ERROR_INVALID_ARGUMENT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/hardening-%zu.stasis", scratch, i);
        /* fork + exec, not fork alone: a forked child of a process whose OpenMP and OpenBLAS pools
         * have run can deadlock in them. */
        fflush(NULL);
        pid_t child = fork();
        if (child == 0) {
            execl("/proc/self/exe", "test_abi", "--lifecycle", cases[i].factory, path, (char*)NULL);
            _exit(127);
        }
        int status = 0;
        CHECK(child > 0 && waitpid(child, &status, 0) == child);
        if (WIFSIGNALED(status)) {
            failures++;
            fprintf(stderr, "FAIL factory '%s' killed the process (signal %d)\n", cases[i].factory, WTERMSIG(status));
        } else if (WEXITSTATUS(status) != cases[i].expected) {
            failures++;
            fprintf(stderr, "FAIL factory '%s': outcome %d (step %d, status %d), expected %d\n", cases[i].factory,
                    WEXITSTATUS(status), WEXITSTATUS(status) / 16, WEXITSTATUS(status) % 16, cases[i].expected);
        }
        checks++;
    }
    /* Messages name the limit. */
    stasis_index* index = NULL;
    CHECK_ERR(stasis_index_create(DIM, "HNSW1", &index), STASIS_ERROR_INVALID_ARGUMENT, "2...256");
    CHECK_ERR(stasis_index_create(DIM, "IVF16,PQ7", &index), STASIS_ERROR_INVALID_ARGUMENT, "divide");
    CHECK_ERR(stasis_index_create(1 << 20, "Flat", &index), STASIS_ERROR_INVALID_ARGUMENT, "1...65536");
    CHECK_ERR(stasis_index_create(1 << 21, "Flat", &index), STASIS_ERROR_INVALID_ARGUMENT, "1...65536");
    CHECK(index == NULL);
}

static void test_saves_over_non_regular_files(void) {
    stasis_index* index = NULL;
    float v[DIM];
    for (int i = 0; i < DIM; i++) v[i] = 1.0f + (float)i;
    int64_t id = 7;
    CHECK(stasis_index_create(DIM, "Flat", &index) == STASIS_OK);
    CHECK(stasis_index_add(index, 1, DIM, v, &id, 1) == STASIS_OK);

    char fifo[512], directory[512];
    snprintf(fifo, sizeof fifo, "%s/save-fifo", scratch);
    snprintf(directory, sizeof directory, "%s/save-dir", scratch);
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(mkdir(directory, 0700) == 0);
    const char* targets[] = {fifo, directory, "/dev/null"};
    for (size_t i = 0; i < 3; i++) {
        struct stat before, after;
        CHECK(stat(targets[i], &before) == 0);
        CHECK_ERR(stasis_index_save(index, targets[i]), STASIS_ERROR_IO, "not a regular file");
        CHECK(stat(targets[i], &after) == 0);
        CHECK((before.st_mode & S_IFMT) == (after.st_mode & S_IFMT) && before.st_ino == after.st_ino);
    }
    unlink(fifo);
    rmdir(directory);
    stasis_index_free(index);
}

/* Entry point of the child process test_factory_table starts (test_abi --lifecycle F PATH). */
int hardening_lifecycle_child(const char* factory, const char* path) { return lifecycle(factory, path); }

void test_hardening(void) {
    test_factory_table();
    test_saves_over_non_regular_files();
}

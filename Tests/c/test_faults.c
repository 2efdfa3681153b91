/* File-system faults the bad-input sweep cannot make with arguments alone: a read-only directory,
 * a missing directory and a full disk. Each refused call must return STASIS_ERROR_IO with a
 * message naming the path, leave the stored state as it was (the old file byte for byte, the
 * in-memory index, the log) and leave no temporary file behind.
 *
 * - Read-only: a directory of mode 0555 holding a saved index. Root writes there anyway, so the
 *   checks run in a child process (fork + exec of this binary with --faults-readonly, as the
 *   hardening test does, since a plain fork of a process whose thread pools ran can deadlock)
 *   that drops to uid/gid 65534 first when it runs as root. Where it cannot (no CAP_SETUID), the
 *   row is skipped with the reason printed.
 * - Disk full: RLIMIT_FSIZE lowered with SIGXFSZ ignored, so write() past the limit fails with
 *   EFBIG as on a full disk. Results are gathered while the limit is on and checked after it is
 *   restored (the test's own output could hit it otherwise).
 * Called from test_abi.c's main. */
#define _XOPEN_SOURCE 700 /* fork, setuid, setrlimit, nftw-free dirent under -std=c11 */
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { FD = 4, SMALL = 10, BIG = 2000 };

static float* fault_vectors(int64_t n, uint64_t seed) {
    float* x = malloc(sizeof(float) * (size_t)(n * FD));
    for (int64_t i = 0; i < n * FD; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((seed >> 40) & 0xFFFFFF) / (float)0x1000000 - 0.5f;
    }
    return x;
}

static stasis_index* fault_index(int64_t n, int64_t first_id) {
    float* x = fault_vectors(n, 77 + (uint64_t)first_id);
    int64_t* ids = malloc(sizeof(int64_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++) ids[i] = first_id + i;
    stasis_index* index = NULL;
    if (stasis_index_create(FD, "Flat", &index) != STASIS_OK ||
        stasis_index_add(index, n, FD, x, ids, 1) != STASIS_OK) {
        stasis_index_free(index);
        index = NULL;
    }
    free(x);
    free(ids);
    return index;
}

/* The whole file, malloc'd; *size its length (0 and NULL when unreadable). */
static unsigned char* slurp(const char* path, long* size) {
    *size = 0;
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char* bytes = malloc(n > 0 ? (size_t)n : 1);
    if (fread(bytes, 1, (size_t)n, f) != (size_t)n) n = -1;
    fclose(f);
    *size = n;
    return bytes;
}

static int same_file(const unsigned char* before, long before_size, const char* path) {
    long size = 0;
    unsigned char* now = slurp(path, &size);
    int same = now && size == before_size && memcmp(now, before, (size_t)size) == 0;
    free(now);
    return same;
}

/* Number of entries in `dir` other than . and .., -1 when it cannot be read. */
static int entries_in(const char* dir) {
    DIR* d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent* e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static int64_t count_of(const stasis_index* index) {
    int64_t n = -1;
    stasis_index_count(index, &n);
    return n;
}

/* ---- read-only directory ------------------------------------------------------------------ */

/* In the child: `dir` (mode 0555) holds old.idx (SMALL vectors). Every save into it is refused
 * with IO and a message naming the target; old.idx is unchanged; nothing new appears. */
int faults_readonly_child(const char* dir) {
    if (geteuid() == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) return 200; /* cannot drop root: skip */
    }
    if (geteuid() == 0) return 200;
    char old[600], fresh[600], wal[600], space_path[600], gallery[600];
    snprintf(old, sizeof old, "%s/old.idx", dir);
    snprintf(fresh, sizeof fresh, "%s/new.idx", dir);
    snprintf(wal, sizeof wal, "%s/new.wal", dir);
    snprintf(space_path, sizeof space_path, "%s/space.safetensors", dir);
    snprintf(gallery, sizeof gallery, "%s/gallery", dir);
    long old_size = 0;
    unsigned char* old_bytes = slurp(old, &old_size);
    CHECK(old_bytes != NULL && old_size > 0);
    stasis_index* index = fault_index(BIG, 1000);
    CHECK(index != NULL);
    if (!index || !old_bytes) return failures ? failures : 1;
    int64_t count = count_of(index);

    CHECK_ERR(stasis_index_save(index, old), STASIS_ERROR_IO, dir);
    CHECK_ERR(stasis_index_save(index, fresh), STASIS_ERROR_IO, dir);
    CHECK_ERR(stasis_index_checkpoint(index, old), STASIS_ERROR_IO, dir);
    CHECK_ERR(stasis_index_enable_wal(index, wal, NULL), STASIS_ERROR_IO, wal);
    uint64_t sequence = 1;
    CHECK(stasis_index_wal_sequence(index, &sequence) == STASIS_OK && sequence == 0);
    CHECK(count_of(index) == count);

    stasis_space* space = NULL;
    CHECK(stasis_space_create("simplex", 4, 0, 0, &space) == STASIS_OK);
    CHECK_ERR(stasis_space_save(space, space_path), STASIS_ERROR_IO, dir);
    stasis_space_free(space);
    stasis_gallery* g = NULL;
    float items[SMALL * FD];
    int64_t ids[SMALL];
    for (int i = 0; i < SMALL * FD; i++) items[i] = (float)((i * 7) % 5) - 2.0f + 0.25f;
    for (int i = 0; i < SMALL; i++) ids[i] = i;
    CHECK(stasis_gallery_new(NULL, &g) == STASIS_OK && stasis_gallery_register(g, 1, FD, NULL) == STASIS_OK &&
          stasis_gallery_upsert(g, SMALL, FD, items, ids, 1) == STASIS_OK);
    CHECK_ERR(stasis_gallery_save(g, gallery), STASIS_ERROR_IO, dir);
    stasis_gallery_free(g);

    CHECK(same_file(old_bytes, old_size, old));
    CHECK(entries_in(dir) == 1); /* old.idx only: no temporary file, log, space or gallery */
    stasis_index* reopened = NULL;
    CHECK(stasis_index_open(old, &reopened) == STASIS_OK && count_of(reopened) == SMALL);
    stasis_index_free(reopened);
    stasis_index_free(index);
    free(old_bytes);
    return failures > 100 ? 100 : failures;
}

static void run_readonly_child(const char* dir);
static void read_only_directory(void) {
    char dir[600], old[700];
    /* The child may run as uid 65534: the path must be traversable by it, which the test's
     * private scratch directory (mode 0700) is not, so this one lives in TMPDIR or /tmp. */
    const char* base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/stasis-faults-ro-XXXXXX", base && *base ? base : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(old, sizeof old, "%s/old.idx", dir);
    stasis_index* small = fault_index(SMALL, 0);
    CHECK(small && stasis_index_save(small, old) == STASIS_OK);
    stasis_index_free(small);
    struct stat st;
    int traversable = 1;
    for (char prefix[600], *slash = dir; (slash = strchr(slash + 1, '/'));) {
        snprintf(prefix, sizeof prefix, "%.*s", (int)(slash - dir), dir);
        if (stat(prefix, &st) != 0 || !(st.st_mode & S_IXOTH)) traversable = 0;
    }
    CHECK(chmod(old, 0644) == 0 && chmod(dir, 0555) == 0);
    if (geteuid() == 0 && !traversable) {
        printf("faults: read-only directory row skipped: running as root and %s is not traversable by "
               "uid 65534, the user it drops to\n", dir);
    } else {
        run_readonly_child(dir);
    }
    chmod(dir, 0755);
    unlink(old);
    rmdir(dir);
}

static void run_readonly_child(const char* dir) {
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        execl("/proc/self/exe", "test_abi", "--faults-readonly", dir, (char*)NULL);
        _exit(127);
    }
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    checks++;
    if (WIFSIGNALED(status)) {
        failures++;
        fprintf(stderr, "FAIL read-only directory child killed by signal %d\n", WTERMSIG(status));
    } else if (WEXITSTATUS(status) == 200) {
        printf("faults: read-only directory row skipped: running as root and cannot drop to uid 65534 "
               "(no CAP_SETUID), so permissions do not bite\n");
    } else if (WEXITSTATUS(status) != 0) {
        failures++;
        fprintf(stderr, "FAIL read-only directory: %d failed checks in the child (see above)\n", WEXITSTATUS(status));
    } else {
        printf("faults: read-only directory checked as uid %d\n", geteuid() == 0 ? 65534 : (int)geteuid());
    }
}

/* ---- missing directory -------------------------------------------------------------------- */

static void missing_directory(void) {
    char dir[600], target[700], wal[700];
    snprintf(dir, sizeof dir, "%s/faults-missing/deeper", scratch);
    snprintf(target, sizeof target, "%s/index.stasis", dir);
    snprintf(wal, sizeof wal, "%s/index.wal", dir);
    stasis_index* index = fault_index(SMALL, 0);
    CHECK(index != NULL);
    if (!index) return;
    CHECK_ERR(stasis_index_save(index, target), STASIS_ERROR_IO, dir);
    CHECK_ERR(stasis_index_checkpoint(index, target), STASIS_ERROR_IO, dir);
    CHECK_ERR(stasis_index_enable_wal(index, wal, NULL), STASIS_ERROR_IO, wal);
    uint64_t sequence = 1;
    CHECK(stasis_index_wal_sequence(index, &sequence) == STASIS_OK && sequence == 0);
    CHECK(count_of(index) == SMALL);
    struct stat st;
    CHECK(stat(dir, &st) != 0 && errno == ENOENT); /* nothing created on the way */
    stasis_index_free(index);
}

/* ---- disk full (RLIMIT_FSIZE) ------------------------------------------------------------- */

typedef struct {
    stasis_status status;
    char message[512];
} outcome;

static outcome record(stasis_status s) {
    outcome o = {s, {0}};
    snprintf(o.message, sizeof o.message, "%s", stasis_last_error());
    return o;
}

#define CHECK_OUTCOME(o, st, needle)                                                                \
    do {                                                                                            \
        checks++;                                                                                   \
        if ((o).status != (st) || strstr((o).message, (needle)) == NULL) {                          \
            failures++;                                                                             \
            fprintf(stderr, "FAIL %s:%d: status %d '%s' (expected %d, '%s')\n", __FILE__, __LINE__,   \
                    (o).status, (o).message, (st), (needle));                                       \
        }                                                                                           \
    } while (0)

static void disk_full(void) {
    enum { LIMIT = 16 * 1024 };
    char dir[600], old[700], log[700];
    snprintf(dir, sizeof dir, "%s/faults-full", scratch);
    mkdir(dir, 0755);
    snprintf(old, sizeof old, "%s/old.idx", dir);
    snprintf(log, sizeof log, "%s/old.wal", dir);
    unlink(old);
    unlink(log);
    stasis_index* small = fault_index(SMALL, 0);
    stasis_index* big = fault_index(BIG, 1000);
    CHECK(small && big && stasis_index_save(small, old) == STASIS_OK);
    if (!small || !big) return;
    long old_size = 0;
    unsigned char* old_bytes = slurp(old, &old_size);
    CHECK(old_bytes && old_size < LIMIT);
    /* The small index with a log, for the append and checkpoint cases. */
    CHECK(stasis_index_enable_wal(small, log, NULL) == STASIS_OK);
    float* extra = fault_vectors(BIG, 5);
    int64_t* extra_ids = malloc(sizeof(int64_t) * BIG);
    for (int64_t i = 0; i < BIG; i++) extra_ids[i] = 100000 + i;
    float one[FD] = {0.1f, 0.2f, 0.3f, 0.4f};
    int64_t one_id = 99;
    CHECK(stasis_index_add(small, 1, FD, one, &one_id, 2) == STASIS_OK); /* a first small record */
    long log_size = 0;
    unsigned char* log_bytes = slurp(log, &log_size);
    int entries_before = entries_in(dir);

    struct rlimit saved, limited;
    CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    limited = saved;
    limited.rlim_cur = LIMIT;
    void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
    fflush(NULL);
    int limit_set = setrlimit(RLIMIT_FSIZE, &limited) == 0;
    /* Nothing printed from here until the limit is restored. */
    outcome save = record(stasis_index_save(big, old));
    outcome checkpoint_big = record(stasis_index_checkpoint(big, old));
    outcome append = record(stasis_index_add(small, BIG, FD, extra, extra_ids, 3));
    int64_t count_after_append = count_of(small);
    uint64_t sequence_after_append = 0;
    stasis_index_wal_sequence(small, &sequence_after_append);
    outcome small_add = record(stasis_index_add(small, 1, FD, one, &one_id, 4)); /* fits: succeeds */
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, previous);

    if (!limit_set) {
        printf("faults: disk-full row skipped: setrlimit(RLIMIT_FSIZE) refused (%s)\n", strerror(errno));
    } else {
        CHECK_OUTCOME(save, STASIS_ERROR_IO, old);
        CHECK_OUTCOME(checkpoint_big, STASIS_ERROR_IO, old);
        CHECK_OUTCOME(append, STASIS_ERROR_IO, log);
        CHECK(strstr(save.message, "large") != NULL || strstr(save.message, "space") != NULL);
        CHECK(count_after_append == SMALL + 1); /* the refused batch added nothing */
        CHECK(sequence_after_append == 1);      /* nor took a sequence number */
        CHECK(small_add.status == STASIS_OK);   /* the log takes records again */
        CHECK(same_file(old_bytes, old_size, old));
        CHECK(entries_in(dir) == entries_before); /* old.idx and old.wal: no temporary file */
        /* The log holds exactly the acknowledged records: its first record, then the last add. */
        long grown = 0;
        unsigned char* now = slurp(log, &grown);
        CHECK(now && grown > log_size && memcmp(now, log_bytes, (size_t)log_size) == 0);
        free(now);
        stasis_index* replayed = NULL;
        stasis_index_disable_wal(small);
        CHECK(stasis_index_open(old, &replayed) == STASIS_OK);
        CHECK(replayed && stasis_index_enable_wal(replayed, log, NULL) == STASIS_OK);
        uint64_t sequence = 0;
        CHECK(replayed && stasis_index_wal_sequence(replayed, &sequence) == STASIS_OK && sequence == 2);
        CHECK(replayed && count_of(replayed) == SMALL + 1); /* id 99 twice (upsert), nothing of the batch */
        int64_t version_count = -1;
        CHECK(replayed && stasis_index_count_version(replayed, 4, &version_count) == STASIS_OK && version_count == 1);
        stasis_index_free(replayed);
    }
    free(extra);
    free(extra_ids);
    free(old_bytes);
    free(log_bytes);
    stasis_index_free(small);
    stasis_index_free(big);
}

void test_faults(void) {
    read_only_directory();
    missing_directory();
    disk_full();
}

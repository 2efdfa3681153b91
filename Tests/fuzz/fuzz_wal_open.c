/* libFuzzer harness: write-ahead log records (header, record checksums, torn-tail detection,
 * sequence checks, replay) through stasis_index_enable_wal on a freshly opened saved index, the
 * recovery path after a crash. The input is the log file. Its size picks the index: even a Flat
 * index, odd an HNSW8 one (HNSW keeps dead slots for removed and replaced vectors), both of
 * dimension 4, saved without a log (sequence 0) and holding ids 0..11 at version 1.
 *
 * Each input is tried as it is and again with its checksums recomputed (fuzz_fix_checksums),
 * which takes mutations past the checksums to the record fields, the sequence checks and replay.
 *
 * Checked on every input, beyond "no crash, no sanitizer report":
 * - the status is OK (replayed, a torn tail dropped) or CORRUPT_FILE or UNSUPPORTED_FORMAT, with
 *   a message; anything else aborts;
 * - refused: the index is unchanged (same count) and no log is attached (a second enable works);
 * - replayed: the log was cut to its intact records and takes a new record, and replaying it
 *   again on a fresh copy of the saved index yields the same count (replay is repeatable). */
#include "fuzz_common.h"

#include <stdbool.h>

enum { DIM = 4, ITEMS = 12 };

static char base_path[2][512];

/* Saves the two fixture indexes once. */
static void fixtures(void) {
    static bool made;
    if (made) return;
    made = true;
    const char* factories[2] = {"Flat", "HNSW8"};
    float x[ITEMS * DIM];
    int64_t ids[ITEMS];
    for (int i = 0; i < ITEMS; i++) ids[i] = i;
    for (int f = 0; f < 2; f++) {
        fuzz_rng = 4242;
        fuzz_fill(x, ITEMS * DIM);
        char name[32];
        snprintf(name, sizeof name, "base%d.idx", f);
        fuzz_path(base_path[f], sizeof base_path[f], name);
        stasis_index* index = NULL;
        if (stasis_index_create(DIM, factories[f], &index) != STASIS_OK ||
            stasis_index_add(index, ITEMS, DIM, x, ids, 1) != STASIS_OK ||
            stasis_index_save(index, base_path[f]) != STASIS_OK) {
            fprintf(stderr, "fixture index: %s\n", stasis_last_error());
            abort();
        }
        stasis_index_free(index);
    }
}

static stasis_index* open_base(int which) {
    stasis_index* index = NULL;
    if (stasis_index_open(base_path[which], &index) != STASIS_OK) {
        fprintf(stderr, "fixture reopen: %s\n", stasis_last_error());
        abort();
    }
    return index;
}

static int64_t count_of(const stasis_index* index) {
    int64_t n = -1;
    if (stasis_index_count(index, &n) != STASIS_OK) abort();
    return n;
}

#define REQUIRE(cond, ...) FUZZ_REQUIRE("fuzz_wal_open", cond, __VA_ARGS__)

static void exercise(const uint8_t* data, size_t size) {
    fixtures();
    int which = (int)(size & 1);
    char wal[512], fresh[512];
    fuzz_path(wal, sizeof wal, "input.wal");
    fuzz_write(wal, data, size);
    fuzz_path(fresh, sizeof fresh, "fresh.wal");
    unlink(fresh);

    stasis_wal_options options = STASIS_WAL_OPTIONS_INIT;
    options.sync_mode = STASIS_WAL_SYNC_OFF;  /* no fdatasync per input: speed */
    stasis_index* index = open_base(which);
    stasis_status s = stasis_index_enable_wal(index, wal, &options);
    if (s != STASIS_OK) {
        REQUIRE(s == STASIS_ERROR_CORRUPT_FILE || s == STASIS_ERROR_UNSUPPORTED_FORMAT,
                "enable_wal returned status %d", (int)s);
        REQUIRE(stasis_last_error()[0] != '\0', "refused without a message");
        REQUIRE(count_of(index) == ITEMS, "a refused log changed the count to %lld", (long long)count_of(index));
        uint64_t sequence = 1;
        REQUIRE(stasis_index_wal_sequence(index, &sequence) == STASIS_OK && sequence == 0,
                "a refused log changed the sequence");
        /* Nothing stays attached or locked: another log can be enabled on the same index. */
        REQUIRE(stasis_index_enable_wal(index, fresh, &options) == STASIS_OK, "no log attachable after a refusal");
        stasis_index_free(index);
        return;
    }

    /* Replayed: exercise the result, append one record after the (cut) intact ones. */
    int64_t replayed = count_of(index);
    float q[DIM] = {0.5f, -0.5f, 0.5f, 0.5f};
    float scores[5];
    int64_t hits[5];
    uint32_t versions[5];
    REQUIRE(stasis_index_search(index, 1, DIM, q, 5, NULL, scores, hits, versions) == STASIS_OK, "search after replay");
    int64_t total = 0;
    stasis_index_versions(index, 0, NULL, NULL, &total);
    int64_t id = 1000003;
    stasis_index_add(index, 1, DIM, q, &id, 9);
    int64_t after = count_of(index);
    REQUIRE(after == replayed || after == replayed + 1, "one add moved the count from %lld to %lld",
            (long long)replayed, (long long)after);
    stasis_index_free(index);

    /* Replaying the log (now cut and extended) on a fresh copy gives the same index. */
    index = open_base(which);
    REQUIRE(stasis_index_enable_wal(index, wal, &options) == STASIS_OK, "second replay refused");
    REQUIRE(count_of(index) == after, "second replay holds %lld vectors, the first %lld",
            (long long)count_of(index), (long long)after);
    stasis_index_free(index);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz_log_both_ways(data, size, exercise);
    return 0;
}

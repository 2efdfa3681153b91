/* libFuzzer harness: a mixed gallery's write-ahead log (the gallery record payload: operation,
 * version, width, ids, rows of several widths; the sequence checks and the all-or-nothing replay)
 * through stasis_gallery_enable_wal on a freshly opened saved gallery, the recovery path after a
 * crash. The input is the log file; the gallery is fuzz_make_gallery's (versions 1 of 4 and 2 of 6
 * dimensions in two spaces, a bridge, ids 0..11, four of them at version 2), saved without a log.
 *
 * Each input is tried as it is and again with its checksums recomputed (fuzz_fix_checksums),
 * which takes mutations past the checksums to the record fields, the replay checks and replay.
 *
 * Checked on every input, beyond "no crash, no sanitizer report":
 * - the status is OK (replayed, a torn tail dropped) or CORRUPT_FILE or UNSUPPORTED_FORMAT, with
 *   a message; anything else aborts;
 * - refused: the gallery is unchanged (count, count per version, log sequence and the ranked
 *   scores of a fixed query, bit for bit) and no log is attached (a second enable works);
 * - replayed: the log was cut to its intact records and takes a new record, and replaying it
 *   again on a fresh copy of the saved gallery gives the same gallery (replay is repeatable). */
#include "fuzz_common.h"

enum { K = 16 };

static char dir[512];

/* What a replay may change, compared exactly. */
typedef struct {
    int64_t count, at_v1, at_v2;
    uint64_t sequence;
    int64_t ids[K];
    float scores[K];
} snapshot;

#define REQUIRE(cond, ...) FUZZ_REQUIRE("fuzz_gallery_wal_open", cond, __VA_ARGS__)

static snapshot take(const stasis_gallery* g) {
    snapshot s;
    memset(&s, 0, sizeof s);
    REQUIRE(stasis_gallery_count(g, &s.count) == STASIS_OK, "count");
    REQUIRE(stasis_gallery_count_version(g, 1, &s.at_v1) == STASIS_OK, "count of version 1");
    REQUIRE(stasis_gallery_count_version(g, 2, &s.at_v2) == STASIS_OK, "count of version 2");
    REQUIRE(stasis_gallery_wal_sequence(g, &s.sequence) == STASIS_OK, "sequence");
    /* A version-2 query reaches both parts (the fixture's bridge maps 2 -> 1). */
    const float q[6] = {0.5f, -0.25f, 0.75f, 0.125f, -0.5f, 0.25f};
    REQUIRE(stasis_gallery_search(g, 1, 6, q, 2, K, NULL, 0, s.scores, s.ids, NULL) == STASIS_OK,
            "search of the fixture query");
    return s;
}

static int same(const snapshot* a, const snapshot* b) {
    return a->count == b->count && a->at_v1 == b->at_v1 && a->at_v2 == b->at_v2 && a->sequence == b->sequence &&
           memcmp(a->ids, b->ids, sizeof a->ids) == 0 && memcmp(a->scores, b->scores, sizeof a->scores) == 0;
}

static stasis_gallery* open_saved(void) {
    stasis_gallery* g = NULL;
    if (stasis_gallery_open(dir, &g) != STASIS_OK) {
        fprintf(stderr, "fixture reopen: %s\n", stasis_last_error());
        abort();
    }
    return g;
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc;
    (void)argv;
    stasis_set_num_threads(1);
    stasis_gallery* g = fuzz_make_gallery(fuzz_path(dir, sizeof dir, "gallery"));
    if (!g) abort();
    stasis_gallery_free(g);
    return 0;
}

static void exercise(const uint8_t* data, size_t size) {
    char wal[600], fresh[600];
    fuzz_path(wal, sizeof wal, "input.wal");
    fuzz_write(wal, data, size);
    fuzz_path(fresh, sizeof fresh, "fresh.wal");
    unlink(fresh);

    stasis_wal_options options = STASIS_WAL_OPTIONS_INIT;
    options.sync_mode = STASIS_WAL_SYNC_OFF;  /* no fdatasync per input: speed */
    stasis_gallery* g = open_saved();
    const snapshot saved = take(g);
    stasis_status s = stasis_gallery_enable_wal(g, wal, &options);
    if (s != STASIS_OK) {
        REQUIRE(s == STASIS_ERROR_CORRUPT_FILE || s == STASIS_ERROR_UNSUPPORTED_FORMAT,
                "enable_wal returned status %d", (int)s);
        REQUIRE(stasis_last_error()[0] != '\0', "refused without a message");
        snapshot after = take(g);
        REQUIRE(same(&saved, &after), "a refused log changed the gallery (count %lld -> %lld, sequence %llu -> %llu)",
                (long long)saved.count, (long long)after.count, (unsigned long long)saved.sequence,
                (unsigned long long)after.sequence);
        REQUIRE(stasis_gallery_enable_wal(g, fresh, &options) == STASIS_OK, "no log attachable after a refusal");
        stasis_gallery_free(g);
        return;
    }

    /* Replayed: append one upsert after the (cut) intact records, then replay the whole log again
     * on a fresh copy of the saved gallery. */
    snapshot replayed = take(g);
    const float row[6] = {0.25f, 0.5f, -0.5f, 0.25f, 1.0f, -1.0f};
    int64_t id = 1000003;
    REQUIRE(stasis_gallery_upsert(g, 1, 6, row, &id, 2) == STASIS_OK, "upsert after replay");
    snapshot extended = take(g);
    /* The log may already hold the id: then the upsert replaces it and the count stays. */
    REQUIRE((extended.count == replayed.count + 1 || extended.count == replayed.count) &&
                extended.sequence == replayed.sequence + 1,
            "one upsert moved count %lld -> %lld, sequence %llu -> %llu", (long long)replayed.count,
            (long long)extended.count, (unsigned long long)replayed.sequence, (unsigned long long)extended.sequence);
    stasis_gallery_free(g);

    g = open_saved();
    REQUIRE(stasis_gallery_enable_wal(g, wal, &options) == STASIS_OK, "second replay refused");
    snapshot again = take(g);
    REQUIRE(same(&extended, &again), "the second replay holds %lld items at sequence %llu, the first %lld at %llu",
            (long long)again.count, (unsigned long long)again.sequence, (long long)extended.count,
            (unsigned long long)extended.sequence);
    stasis_gallery_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz_log_both_ways(data, size, exercise);
    return 0;
}

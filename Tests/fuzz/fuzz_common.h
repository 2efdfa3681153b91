/* Shared by the libFuzzer harnesses and the seed-corpus generator: a scratch directory, writing
 * the fuzzer's bytes to a file there (every parser in the C ABI reads from a path), and the small
 * deterministic fixtures (vectors, gallery) the harnesses and the seeds are built from. */
#ifndef STASIS_FUZZ_COMMON_H
#define STASIS_FUZZ_COMMON_H


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stasis.h"

/* A private directory for this process, created on first use (removed by scripts/fuzz.sh). */
static inline const char* fuzz_dir(void) {
    static char dir[256];
    if (!dir[0]) {
        const char* base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/stasis-fuzz-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) { perror("mkdtemp"); abort(); }
    }
    return dir;
}

/* dir/name as a static path (one per call site is enough: harnesses are single-threaded). */
static inline const char* fuzz_path(char* buf, size_t cap, const char* name) {
    snprintf(buf, cap, "%s/%s", fuzz_dir(), name);
    return buf;
}

static inline void fuzz_write(const char* path, const uint8_t* data, size_t size) {
    FILE* f = fopen(path, "wb");
    if (!f) { perror(path); abort(); }
    if (size && fwrite(data, 1, size, f) != size) { perror(path); abort(); }
    fclose(f);
}

static uint64_t fuzz_rng = 12345;
static inline float fuzz_uniform(void) {
    fuzz_rng = fuzz_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((fuzz_rng >> 40) & 0xFFFFFF) / (float)0x1000000 - 0.5f;
}
static inline void fuzz_fill(float* x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = fuzz_uniform();
}

/* A gallery with versions 1 (dim 4, space "old") and 2 (dim 6), a bridge 2 -> 1 and a few items
 * on each, saved into `dir`. Deterministic, so the generator's gallery.json seeds name the part
 * files the harness's own copy holds. Returns the gallery (caller frees) or NULL. */
static inline stasis_gallery* fuzz_make_gallery(const char* dir) {
    enum { PAIRS = 40, ITEMS = 12 };
    fuzz_rng = 777;
    float p1[PAIRS * 4], p2[PAIRS * 6], x[ITEMS * 4], y[ITEMS * 6];
    fuzz_fill(p1, PAIRS * 4);
    fuzz_fill(p2, PAIRS * 6);
    fuzz_fill(x, ITEMS * 4);
    fuzz_fill(y, ITEMS * 6);
    stasis_adapter* back = NULL;
    stasis_gallery* g = NULL;
    if (stasis_adapter_fit("ridge", 2, 1, PAIRS, 6, p2, 4, p1, NULL, &back) != STASIS_OK) return NULL;
    int64_t ids[ITEMS];
    for (int i = 0; i < ITEMS; i++) ids[i] = i;
    const stasis_adapter* chain[1] = {back};
    int ok = stasis_gallery_new(NULL, &g) == STASIS_OK && stasis_gallery_register(g, 1, 4, "old") == STASIS_OK &&
             stasis_gallery_register(g, 2, 6, NULL) == STASIS_OK && stasis_gallery_add_chain(g, chain, 1) == STASIS_OK &&
             stasis_gallery_upsert(g, ITEMS, 4, x, ids, 1) == STASIS_OK &&
             stasis_gallery_upsert(g, 4, 6, y, ids, 2) == STASIS_OK && stasis_gallery_save(g, dir) == STASIS_OK;
    stasis_adapter_free(back);
    if (!ok) { fprintf(stderr, "fixture gallery: %s\n", stasis_last_error()); stasis_gallery_free(g); return NULL; }
    return g;
}

/* Write-ahead logs (index and gallery share the framing, docs/durability.md): every header and
 * record is CRC-32C checksummed, so almost every mutation would stop at a checksum. The log
 * harnesses try each input as it is and, when it starts with the log magic, again with the
 * checksums recomputed, which takes mutations on to the record fields and the replay. */
static inline uint32_t fuzz_crc32c(const uint8_t* p, size_t n) {
    uint32_t crc = ~0u;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static inline void fuzz_put_checksum(uint8_t* at, const uint8_t* p, size_t n) {
    uint64_t c = fuzz_crc32c(p, n);
    memcpy(at, &c, 8);
}

/* Recomputes the header's and every record's checksums in place, walking records by their length
 * fields; returns 0 when the input is not a log. */
static inline int fuzz_fix_checksums(uint8_t* d, size_t size) {
    enum { HEADER = 32, RECORD = 24 };
    if (size < HEADER || memcmp(d, "STASISWL", 8) != 0) return 0;
    fuzz_put_checksum(d + 24, d, 24);
    size_t offset = HEADER;
    while (size - offset >= RECORD) {
        uint64_t length;
        memcpy(&length, d + offset, 8);
        if (length > size - offset - RECORD) break;
        fuzz_put_checksum(d + offset + 8, d + offset + RECORD, (size_t)length);
        fuzz_put_checksum(d + offset + 16, d + offset, 16);
        offset += RECORD + (size_t)length;
    }
    return 1;
}

/* Runs `exercise` on the input as it is and, when it is a log, again on a copy with its
 * checksums recomputed. */
static inline void fuzz_log_both_ways(const uint8_t* data, size_t size, void (*exercise)(const uint8_t*, size_t)) {
    exercise(data, size);
    uint8_t* copy = malloc(size ? size : 1);
    if (!copy) abort();
    memcpy(copy, data, size);
    if (fuzz_fix_checksums(copy, size)) exercise(copy, size);
    free(copy);
}

/* Aborts with the harness's name, a message and the library's last error when `cond` fails. */
#define FUZZ_REQUIRE(harness, cond, ...)                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, harness ": " __VA_ARGS__);                          \
            fprintf(stderr, " (last error: %s)\n", stasis_last_error());       \
            abort();                                                            \
        }                                                                       \
    } while (0)

#endif

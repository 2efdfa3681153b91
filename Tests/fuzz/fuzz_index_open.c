/* libFuzzer harness: the index container (header, checksums, the structural checks in front of
 * Faiss's reader) through stasis_index_open and stasis_index_inspect. An index that opens is
 * also counted, listed and searched, so a payload that passes the checks but lies is exercised.
 * Every byte of an index file is checksummed, so almost every mutation would stop at a checksum:
 * each input is tried as it is and, when it starts with the index magic, again with both
 * checksums recomputed (of the body into the JSON header's "checksum", of the header into the
 * prefix: CRC-32C from format 2, FNV-1a 64 in format 1; layout in docs/formats.md), which takes
 * mutations on to the header's fields,
 * the structural payload checks and Faiss's reader. */
#include "fuzz_common.h"

static uint64_t fnv1a(const uint8_t* p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* CRC-32C (Castagnoli), bit by bit: inputs are small. */
static uint32_t crc32c(const uint8_t* p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* The checksum a file of `format` carries, and its hex width in the header. */
static uint64_t container_checksum(uint32_t format, const uint8_t* p, size_t n, int* digits) {
    *digits = format >= 2 ? 8 : 16;
    return format >= 2 ? crc32c(p, n) : fnv1a(p, n);
}

/* Rewrites both checksums of an index file in place; returns 0 when it is not one. */
static int fix_checksums(uint8_t* d, size_t size) {
    enum { PREFIX = 28 };
    if (size < PREFIX || memcmp(d, "STASISIX", 8) != 0) return 0;
    uint32_t format;
    uint64_t length;
    memcpy(&format, d + 8, 4);
    memcpy(&length, d + 12, 8);
    if (length > size - PREFIX) return 0;
    uint8_t* header = d + PREFIX;
    static const char key[] = "\"checksum\":\"";
    int digits = 0;
    uint64_t body = container_checksum(format, d + PREFIX + length, size - PREFIX - length, &digits);
    for (size_t i = 0; i + sizeof key - 1 + (size_t)digits <= length; i++) {
        if (memcmp(header + i, key, sizeof key - 1) != 0) continue;
        char hex[17];
        snprintf(hex, sizeof hex, "%0*llx", digits, (unsigned long long)body);
        memcpy(header + i + sizeof key - 1, hex, (size_t)digits);
        break;
    }
    uint64_t h = container_checksum(format, header, (size_t)length, &digits);
    memcpy(d + 20, &h, 8);
    return 1;
}

static void exercise(const uint8_t* data, size_t size) {
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "input.idx"), data, size);
    char* json = NULL;
    if (stasis_index_inspect(path, &json) == STASIS_OK) stasis_string_free(json);
    stasis_index* index = NULL;
    if (stasis_index_open(path, &index) != STASIS_OK) return;
    int64_t dim = 0, count = 0, total = 0;
    stasis_index_dimension(index, &dim);
    stasis_index_count(index, &count);
    stasis_index_versions(index, 0, NULL, NULL, &total);
    int trained = 0;
    stasis_index_is_trained(index, &trained);
    if (dim > 0 && dim <= 4096 && trained) {
        float* q = malloc(sizeof(float) * (size_t)dim);
        for (int64_t i = 0; i < dim; i++) q[i] = (float)(i + 1);
        float scores[5];
        int64_t ids[5];
        uint32_t versions[5];
        stasis_index_search(index, 1, dim, q, 5, NULL, scores, ids, versions);
        free(q);
    }
    stasis_index_free(index);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    exercise(data, size);
    uint8_t* copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (fix_checksums(copy, size)) exercise(copy, size);
    free(copy);
    return 0;
}

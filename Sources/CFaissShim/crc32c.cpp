// CRC-32C (Castagnoli), the write-ahead log's record checksum: SSE4.2's crc32 instruction where
// the CPU has it (several GB/s, so checksumming costs little next to the append), a table
// otherwise. Both give the same values.
#include "faiss_shim.h"

#include <cstring>

namespace {

struct Table {
    uint32_t entries[8][256];
    Table() {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t crc = i;
            for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
            entries[0][i] = crc;
        }
        for (uint32_t i = 0; i < 256; i++)
            for (int k = 1; k < 8; k++) entries[k][i] = (entries[k - 1][i] >> 8) ^ entries[0][entries[k - 1][i] & 0xFF];
    }
};

uint32_t crc_table(uint32_t crc, const uint8_t* p, size_t n) {
    static const Table table;
    const auto& t = table.entries;
    while (n >= 8) {  // slicing by 8 (little-endian)
        uint64_t word;
        std::memcpy(&word, p, 8);
        word ^= crc;
        crc = t[7][word & 0xFF] ^ t[6][(word >> 8) & 0xFF] ^ t[5][(word >> 16) & 0xFF] ^ t[4][(word >> 24) & 0xFF] ^
              t[3][(word >> 32) & 0xFF] ^ t[2][(word >> 40) & 0xFF] ^ t[1][(word >> 48) & 0xFF] ^ t[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc_hardware(uint32_t crc, const uint8_t* p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = static_cast<uint32_t>(c);
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

}  // namespace

uint32_t fshim_crc32c(uint32_t crc, const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    crc = ~crc;
#if defined(__x86_64__)
    static const bool hardware = __builtin_cpu_supports("sse4.2");
    crc = hardware ? crc_hardware(crc, p, n) : crc_table(crc, p, n);
#else
    crc = crc_table(crc, p, n);
#endif
    return ~crc;
}

int fshim_crc32c_table_for_tests(uint32_t crc, const void* data, size_t n, uint32_t* out) {
    *out = ~crc_table(~crc, static_cast<const uint8_t*>(data), n);
    return 0;
}

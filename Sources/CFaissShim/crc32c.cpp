// CRC-32C (Castagnoli), the checksum of index files (format 2) and write-ahead log records:
// SSE4.2's crc32 instruction where the CPU has it (three interleaved streams), a table otherwise.
// Both give the same values.
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
__attribute__((target("sse4.2"))) uint32_t crc_serial(uint32_t crc, const uint8_t* p, size_t n) {
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

/// Bytes per stream in crc_hardware's three-way loop.
constexpr size_t kStream = 4096;

/// The CRC register after kStream zero bytes, as a linear map of the register before: one
/// lookup per register byte. The crc32 instruction takes 3 cycles and issues one per cycle, so
/// one dependent chain runs at a third of its throughput; three streams over adjacent blocks,
/// joined by this shift (the register over A then B is shift(register over A) ^ register over B
/// from zero), run near one per cycle.
struct ZeroShift {
    uint32_t entries[4][256];
    ZeroShift() {
        static const uint8_t zeros[kStream] = {};
        for (int k = 0; k < 4; k++)
            for (uint32_t b = 0; b < 256; b++) entries[k][b] = crc_serial(b << (8 * k), zeros, kStream);
    }
    uint32_t operator()(uint32_t crc) const {
        return entries[0][crc & 0xFF] ^ entries[1][(crc >> 8) & 0xFF] ^ entries[2][(crc >> 16) & 0xFF] ^
               entries[3][crc >> 24];
    }
};

__attribute__((target("sse4.2"))) uint32_t crc_hardware(uint32_t crc, const uint8_t* p, size_t n) {
    if (n >= 3 * kStream) {
        static const ZeroShift shift;
        while (n >= 3 * kStream) {
            uint64_t a = crc, b = 0, c = 0;
            for (size_t i = 0; i < kStream; i += 8) {
                uint64_t x, y, z;
                std::memcpy(&x, p + i, 8);
                std::memcpy(&y, p + kStream + i, 8);
                std::memcpy(&z, p + 2 * kStream + i, 8);
                a = __builtin_ia32_crc32di(a, x);
                b = __builtin_ia32_crc32di(b, y);
                c = __builtin_ia32_crc32di(c, z);
            }
            crc = shift(shift(uint32_t(a)) ^ uint32_t(b)) ^ uint32_t(c);
            p += 3 * kStream;
            n -= 3 * kStream;
        }
    }
    return crc_serial(crc, p, n);
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

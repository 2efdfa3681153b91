// See internal/payload_check.h. Layouts follow faiss/impl/index_read.cpp of Faiss 1.7.3 (the
// version Debian ships and the shim links); each walker below mirrors one reader function.
#include "internal/payload_check.h"

#include <faiss/impl/FaissAssert.h>
#include <faiss/impl/ScalarQuantizer.h>

#include <cmath>
#include <cstdarg>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace stasis_shim {
namespace {

constexpr int64_t kMaxDimension = 1 << 16;   // VersionedIndex.maxDimension
constexpr uint64_t kMaxLists = 1 << 20;      // IndexFactory.maxLists
constexpr int32_t kMaxEf = 1 << 20;          // SearchOptions' efSearch bound
constexpr size_t kMaxHNSWLevels = 64;        // Faiss makes ~log(1e9)/log(M) levels; M >= 2 gives < 32
constexpr int32_t kMaxNeighborsPerNode = 1 << 16;

/// Throws the exception fshim_deserialize reports as a corrupt payload.
[[noreturn]] __attribute__((format(printf, 1, 2))) void malformed(const char* format, ...) {
    char reason[256];
    va_list args;
    va_start(args, format);
    std::vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    throw faiss::FaissException(std::string("payload is malformed: ") + reason);
}

/// Bounds-checked reads over the payload; never trusts a count before comparing it with the bytes
/// that remain.
class Cursor {
   public:
    Cursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}

    size_t left() const { return size_ - position_; }

    template <typename T>
    T read(const char* what) {
        if (left() < sizeof(T)) malformed("truncated at %s", what);
        T value;
        std::memcpy(&value, data_ + position_, sizeof(T));
        position_ += sizeof(T);
        return value;
    }

    /// A C++ bool is one byte holding 0 or 1; anything else is undefined behaviour once read.
    bool flag(const char* what) {
        uint8_t byte = read<uint8_t>(what);
        if (byte > 1) malformed("%s is %u, not a boolean", what, unsigned(byte));
        return byte == 1;
    }

    bool tag_is(const char* four) {
        return left() >= 4 && std::memcmp(data_ + position_, four, 4) == 0;
    }

    void expect_tag(const char* four, const char* what) {
        if (!tag_is(four)) malformed("%s is not of type %s", what, four);
        position_ += 4;
    }

    /// A Faiss vector: a size_t count, then `count` elements of `element` bytes. Returns the count
    /// and where the elements start.
    size_t vector(size_t element, const char* what, const uint8_t** elements = nullptr) {
        uint64_t count = read<uint64_t>(what);
        if (count > left() / element) {
            malformed("%s claims %llu elements but %zu bytes remain", what,
                         (unsigned long long)count, left());
        }
        if (elements) *elements = data_ + position_;
        position_ += size_t(count) * element;
        return size_t(count);
    }

    void skip(size_t bytes, const char* what) {
        if (left() < bytes) malformed("truncated in %s", what);
        position_ += bytes;
    }

    const uint8_t* here() const { return data_ + position_; }

   private:
    const uint8_t* data_;
    size_t size_;
    size_t position_ = 0;
};

template <typename T>
T element(const uint8_t* base, size_t i) {
    T value;
    std::memcpy(&value, base + i * sizeof(T), sizeof(T));
    return value;
}

struct Header {
    int64_t d;
    int64_t ntotal;
    bool trained;
};

/// read_index_header: d, ntotal, two unused words, is_trained, metric (inner product only, so no
/// metric argument follows).
Header header(Cursor& c, const char* what) {
    Header h;
    h.d = c.read<int32_t>("dimension");
    if (h.d < 1 || h.d > kMaxDimension) malformed("%s dimension %lld", what, (long long)h.d);
    h.ntotal = c.read<int64_t>("vector count");
    if (h.ntotal < 0 || h.ntotal > (int64_t(1) << 40)) {
        malformed("%s vector count %lld", what, (long long)h.ntotal);
    }
    c.skip(16, "index header");
    h.trained = c.flag("is_trained");
    int32_t metric = c.read<int32_t>("metric");
    if (metric != 0) malformed("%s metric %d is not inner product", what, metric);
    return h;
}

/// IxFI: an inner-product IndexFlat of dimension `d` (0: whatever its header says, for a top-level
/// flat index). Returns its vector count.
int64_t flat(Cursor& c, int64_t d, const char* what) {
    c.expect_tag("IxFI", what);
    Header h = header(c, what);
    if (d == 0) d = h.d;
    if (h.d != d) malformed("%s has dimension %lld, expected %lld", what, (long long)h.d, (long long)d);
    if (!h.trained) malformed("%s is marked untrained (a flat index never is)", what);
    // READXBVECTOR counts floats.
    size_t floats = c.vector(sizeof(float), what);
    if (uint64_t(floats) != uint64_t(h.ntotal) * uint64_t(d)) {
        malformed("%s holds %zu floats for %lld vectors of dimension %lld", what, floats,
                     (long long)h.ntotal, (long long)d);
    }
    return h.ntotal;
}

/// read_ScalarQuantizer. Returns the code size. Only the types the factory accepts are allowed.
size_t scalar_quantizer(Cursor& c, int64_t d, bool trained) {
    int32_t qtype = c.read<int32_t>("SQ type");
    using SQ = faiss::ScalarQuantizer;
    if (qtype != SQ::QT_8bit && qtype != SQ::QT_4bit && qtype != SQ::QT_6bit && qtype != SQ::QT_fp16) {
        malformed("scalar quantizer type %d", qtype);
    }
    int32_t rangestat = c.read<int32_t>("SQ range statistic");
    if (rangestat < SQ::RS_minmax || rangestat > SQ::RS_optim) malformed("SQ range statistic %d", rangestat);
    c.read<float>("SQ range argument");
    uint64_t sq_d = c.read<uint64_t>("SQ dimension");
    uint64_t code_size = c.read<uint64_t>("SQ code size");
    SQ reference{size_t(d), SQ::QuantizerType(qtype)};
    if (sq_d != uint64_t(d) || code_size != reference.code_size) {
        malformed("scalar quantizer of dimension %llu, code size %llu (expected %lld, %zu)",
                     (unsigned long long)sq_d, (unsigned long long)code_size, (long long)d,
                     reference.code_size);
    }
    // Non-uniform 4/6/8-bit types keep a minimum and a range per dimension; fp16 keeps nothing.
    size_t expected = qtype == SQ::QT_fp16 ? 0 : size_t(2 * d);
    const uint8_t* values = nullptr;
    size_t count = c.vector(sizeof(float), "SQ training table", &values);
    if (count != expected && !(count == 0 && !trained)) {
        malformed("SQ training table has %zu values, expected %zu", count, expected);
    }
    for (size_t i = 0; i < count; i++) {
        if (!std::isfinite(element<float>(values, i))) malformed("SQ training table value %zu is not finite", i);
    }
    return reference.code_size;
}

/// IxSQ: the storage of IHNs; it must be trained exactly when the graph index says it is.
int64_t scalar_storage(Cursor& c, int64_t d, bool trained) {
    c.expect_tag("IxSQ", "HNSW storage");
    Header h = header(c, "HNSW storage");
    if (h.d != d) malformed("HNSW storage dimension %lld, expected %lld", (long long)h.d, (long long)d);
    if (h.trained != trained) malformed("HNSW storage and graph disagree on training");
    size_t code_size = scalar_quantizer(c, d, h.trained);
    size_t bytes = c.vector(1, "SQ codes");
    if (uint64_t(bytes) != uint64_t(h.ntotal) * code_size) {
        malformed("SQ storage holds %zu code bytes for %lld vectors", bytes, (long long)h.ntotal);
    }
    return h.ntotal;
}

/// read_HNSW plus the invariants a search relies on (see Faiss's HNSW::neighbor_range).
void hnsw_graph(Cursor& c, int64_t ntotal) {
    // Faiss stores HNSW neighbour ids as int32.
    if (ntotal > INT32_MAX) malformed("HNSW index claims %lld vectors", (long long)ntotal);
    const uint8_t* probas = nullptr;
    size_t levels_allowed = c.vector(sizeof(double), "HNSW level probabilities", &probas);
    if (levels_allowed < 1 || levels_allowed > kMaxHNSWLevels) {
        malformed("HNSW has %zu level probabilities", levels_allowed);
    }
    for (size_t i = 0; i < levels_allowed; i++) {
        double p = element<double>(probas, i);
        if (!(p >= 0 && p <= 1)) malformed("HNSW level probability %zu is %g", i, p);
    }
    const uint8_t* cum_raw = nullptr;
    size_t cum_count = c.vector(sizeof(int32_t), "HNSW neighbours per level", &cum_raw);
    if (cum_count != levels_allowed + 1) malformed("HNSW has %zu cumulative neighbour counts", cum_count);
    std::vector<int32_t> cum(cum_count);
    for (size_t i = 0; i < cum_count; i++) cum[i] = element<int32_t>(cum_raw, i);
    if (cum[0] != 0) malformed("HNSW neighbour counts do not start at 0");
    for (size_t i = 1; i < cum_count; i++) {
        if (cum[i] <= cum[i - 1] || cum[i] > kMaxNeighborsPerNode) {
            malformed("HNSW cumulative neighbour count %zu is %d", i, cum[i]);
        }
    }

    const uint8_t* levels = nullptr;
    if (c.vector(sizeof(int32_t), "HNSW levels", &levels) != uint64_t(ntotal)) {
        malformed("HNSW level table does not have one entry per vector");
    }
    const uint8_t* offsets = nullptr;
    if (c.vector(sizeof(uint64_t), "HNSW offsets", &offsets) != uint64_t(ntotal) + 1) {
        malformed("HNSW offset table does not have one entry per vector plus one");
    }
    if (element<uint64_t>(offsets, 0) != 0) malformed("HNSW offsets do not start at 0");
    for (int64_t i = 0; i < ntotal; i++) {
        int32_t level = element<int32_t>(levels, size_t(i));
        if (level < 1 || size_t(level) >= cum_count) malformed("HNSW level of vector %lld is %d", (long long)i, level);
        uint64_t begin = element<uint64_t>(offsets, size_t(i)), end = element<uint64_t>(offsets, size_t(i) + 1);
        if (end < begin || end - begin != uint64_t(cum[size_t(level)])) {
            malformed("HNSW offsets of vector %lld do not match its level", (long long)i);
        }
    }
    const uint8_t* neighbors = nullptr;
    size_t slots = c.vector(sizeof(int32_t), "HNSW neighbour table", &neighbors);
    if (uint64_t(slots) != element<uint64_t>(offsets, size_t(ntotal))) {
        malformed("HNSW neighbour table has %zu slots, offsets need %llu", slots,
                     (unsigned long long)element<uint64_t>(offsets, size_t(ntotal)));
    }
    // Every listed neighbour exists and lives on the level that lists it: a search follows a
    // level-L link into the neighbour's own level-L list. Every vector has level 0 (checked
    // above), so only the few upper-level links need the level lookup; level 0, the bulk of the
    // table, is a range check (the cost at open is in docs/formats.md).
    std::vector<int32_t> level_of(static_cast<size_t>(ntotal));
    if (ntotal > 0) std::memcpy(level_of.data(), levels, size_t(ntotal) * sizeof(int32_t));
    const int32_t count = int32_t(ntotal);
    for (int64_t i = 0; i < ntotal; i++) {
        const uint8_t* list = neighbors + element<uint64_t>(offsets, size_t(i)) * sizeof(int32_t);
        bool bad = false;
        for (int32_t j = 0; j < cum[1]; j++) {
            int32_t v = element<int32_t>(list, size_t(j));
            bad |= v < -1 || v >= count;
        }
        for (int32_t level = 1; level < level_of[size_t(i)] && !bad; level++) {
            for (int32_t j = cum[size_t(level)]; j < cum[size_t(level) + 1]; j++) {
                int32_t v = element<int32_t>(list, size_t(j));
                bad |= v < -1 || v >= count || (v >= 0 && level_of[size_t(v)] <= level);
            }
        }
        if (bad) malformed("HNSW neighbour list of vector %lld names a missing vector or level", (long long)i);
    }
    int32_t entry = c.read<int32_t>("HNSW entry point");
    int32_t max_level = c.read<int32_t>("HNSW top level");
    if (ntotal == 0) {
        if (entry != -1 || max_level != -1) malformed("empty HNSW graph has entry point %d", entry);
    } else {
        if (entry < 0 || entry >= ntotal) malformed("HNSW entry point %d", entry);
        if (max_level != element<int32_t>(levels, size_t(entry)) - 1) {
            malformed("HNSW top level %d does not match the entry point's", max_level);
        }
    }
    int32_t ef_construction = c.read<int32_t>("HNSW efConstruction");
    int32_t ef_search = c.read<int32_t>("HNSW efSearch");
    int32_t upper_beam = c.read<int32_t>("HNSW upper beam");
    if (ef_construction < 1 || ef_construction > kMaxEf || ef_search < 1 || ef_search > kMaxEf ||
        upper_beam < 1 || upper_beam > kMaxEf) {
        malformed("HNSW search parameters %d / %d / %d", ef_construction, ef_search, upper_beam);
    }
}

void hnsw(Cursor& c, bool scalar_storage_codes) {
    Header h = header(c, "HNSW index");
    if (!h.trained && h.ntotal != 0) malformed("untrained HNSW index holds vectors");
    hnsw_graph(c, h.ntotal);
    int64_t stored = scalar_storage_codes ? scalar_storage(c, h.d, h.trained) : flat(c, h.d, "HNSW storage");
    if (stored != h.ntotal) malformed("HNSW storage holds %lld vectors, graph %lld", (long long)stored, (long long)h.ntotal);
}

/// read_ArrayInvertedLists ("ilar"): list sizes, then per list its codes and ids.
void inverted_lists(Cursor& c, uint64_t nlist, size_t code_size, int64_t ntotal) {
    c.expect_tag("ilar", "inverted lists");
    if (c.read<uint64_t>("list count") != nlist) malformed("inverted lists disagree with the list count");
    if (c.read<uint64_t>("list code size") != code_size) malformed("inverted lists disagree with the code size");
    std::vector<uint64_t> sizes(size_t(nlist), 0);
    if (c.tag_is("full")) {
        c.skip(4, "list size type");
        const uint8_t* raw = nullptr;
        if (c.vector(sizeof(uint64_t), "list sizes", &raw) != nlist) malformed("list size table length");
        for (size_t i = 0; i < nlist; i++) sizes[i] = element<uint64_t>(raw, i);
    } else if (c.tag_is("sprs")) {
        c.skip(4, "list size type");
        const uint8_t* raw = nullptr;
        size_t count = c.vector(sizeof(uint64_t), "sparse list sizes", &raw);
        if (count % 2 != 0) malformed("sparse list size table has odd length %zu", count);
        for (size_t j = 0; j < count; j += 2) {
            uint64_t list = element<uint64_t>(raw, j);
            if (list >= nlist) malformed("sparse list size names list %llu", (unsigned long long)list);
            sizes[size_t(list)] = element<uint64_t>(raw, j + 1);
        }
    } else {
        malformed("unknown list size type");
    }
    uint64_t total = 0;
    const uint64_t per_vector = uint64_t(code_size) + sizeof(int64_t);
    for (size_t list = 0; list < nlist; list++) {
        uint64_t n = sizes[list];
        if (n == 0) continue;
        if (n > c.left() / per_vector) malformed("list %zu claims %llu vectors", list, (unsigned long long)n);
        c.skip(size_t(n) * code_size, "list codes");
        const uint8_t* ids = c.here();
        c.skip(size_t(n) * sizeof(int64_t), "list ids");
        for (uint64_t i = 0; i < n; i++) {
            int64_t id = element<int64_t>(ids, size_t(i));
            if (id < 0 || id >= ntotal) malformed("list %zu holds id %lld", list, (long long)id);
        }
        total += n;
    }
    if (total != uint64_t(ntotal)) {
        malformed("inverted lists hold %llu vectors, index %lld", (unsigned long long)total, (long long)ntotal);
    }
}

/// read_ivf_header and what follows it for IwFl, IwSQ / IwSq and IwPQ.
void ivf(Cursor& c, char type) {
    Header h = header(c, "IVF index");
    if (!h.trained && h.ntotal != 0) malformed("untrained IVF index holds vectors");
    uint64_t nlist = c.read<uint64_t>("list count");
    if (nlist < 1 || nlist > kMaxLists) malformed("IVF list count %llu", (unsigned long long)nlist);
    uint64_t nprobe = c.read<uint64_t>("nprobe");
    if (nprobe < 1 || nprobe > nlist) malformed("IVF nprobe %llu", (unsigned long long)nprobe);
    int64_t centroids = flat(c, h.d, "IVF quantizer");
    if (uint64_t(centroids) != (h.trained ? nlist : 0)) {
        malformed("IVF quantizer holds %lld centroids for %llu lists", (long long)centroids, (unsigned long long)nlist);
    }
    if (c.read<uint8_t>("direct map type") != 0 || c.vector(sizeof(int64_t), "direct map") != 0) {
        malformed("IVF direct map present (Stasis never writes one)");
    }
    size_t code_size = size_t(h.d) * sizeof(float);
    if (type == 'S' || type == 's') {
        code_size = scalar_quantizer(c, h.d, h.trained);
        if (c.read<uint64_t>("IVF code size") != code_size) malformed("IVF-SQ code size");
        if (type == 's') c.flag("by_residual");
    } else if (type == 'P') {
        c.flag("by_residual");
        uint64_t ivf_code_size = c.read<uint64_t>("IVF code size");
        uint64_t pq_d = c.read<uint64_t>("PQ dimension");
        uint64_t m = c.read<uint64_t>("PQ sub-quantizers");
        uint64_t bits = c.read<uint64_t>("PQ bits");
        if (pq_d != uint64_t(h.d) || m < 1 || m > pq_d || pq_d % m != 0 || bits < 1 || bits > 8) {
            malformed("product quantizer d=%llu m=%llu bits=%llu for dimension %lld", (unsigned long long)pq_d,
                         (unsigned long long)m, (unsigned long long)bits, (long long)h.d);
        }
        code_size = size_t((m * bits + 7) / 8);
        if (ivf_code_size != code_size) malformed("IVF-PQ code size %llu", (unsigned long long)ivf_code_size);
        const uint8_t* values = nullptr;
        size_t count = c.vector(sizeof(float), "PQ centroids", &values);
        if (count != size_t(pq_d) << bits) malformed("PQ centroid table has %zu values", count);
        for (size_t i = 0; i < count; i++) {
            if (!std::isfinite(element<float>(values, i))) malformed("PQ centroid value %zu is not finite", i);
        }
    }
    inverted_lists(c, nlist, code_size, h.ntotal);
}

}  // namespace

void check_payload(const uint8_t* data, size_t size) {
    Cursor c(data, size);
    if (c.tag_is("IxFI")) {
        flat(c, 0, "flat index");
    } else if (c.tag_is("IHNf") || c.tag_is("IHNs")) {
        bool scalar = c.tag_is("IHNs");
        c.skip(4, "type");
        hnsw(c, scalar);
    } else if (c.tag_is("IwFl") || c.tag_is("IwSQ") || c.tag_is("IwSq") || c.tag_is("IwPQ")) {
        char type = c.tag_is("IwFl") ? 'F' : c.tag_is("IwSQ") ? 'S' : c.tag_is("IwSq") ? 's' : 'P';
        c.skip(4, "type");
        ivf(c, type);
    } else {
        malformed("index type is not one Stasis writes");
    }
    if (c.left() != 0) malformed("%zu trailing bytes", c.left());
}

}  // namespace stasis_shim

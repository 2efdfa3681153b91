// Streaming serialization (fshim_serialize_size, fshim_serialize_to_fd in include/faiss_shim.h): faiss::write_index through IOWriters that
// count, or hash and write to a descriptor, so a save never holds the payload in memory.
#include "faiss_shim.h"

#include "internal/guarded.h"
#include "internal/shim_index.h"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace {

using stasis_shim::guarded;
using stasis_shim::set_message;

/// An OS error while writing: reported as FSHIM_IO, not as a Faiss failure.
struct WriteError {
    int code;
};

/// Counts the bytes faiss::write_index hands over; keeps none.
struct CountingWriter final : faiss::IOWriter {
    size_t total = 0;
    size_t operator()(const void*, size_t item_size, size_t nitems) override {
        total += item_size * nitems;
        return nitems;
    }
};

/// Checksums (CRC-32C, the container's from format 2: Sources/StasisCore/Formats/Checksum.swift)
/// and writes to a descriptor. Faiss writes many small scalars and a few large arrays:
/// small writes gather in a 1 MiB buffer, large ones go to write(2) straight from Faiss's memory.
struct DescriptorWriter final : faiss::IOWriter {
    explicit DescriptorWriter(int f, uint32_t crc) : fd(f), hash(crc) { buffer.reserve(capacity); }

    size_t operator()(const void* ptr, size_t item_size, size_t nitems) override {
        size_t bytes = item_size * nitems;
        auto* data = static_cast<const uint8_t*>(ptr);
        hash = fshim_crc32c(hash, data, bytes);
        total += bytes;
        if (buffer.size() + bytes <= capacity) {
            buffer.insert(buffer.end(), data, data + bytes);
        } else {
            flush();
            if (bytes < capacity) {
                buffer.insert(buffer.end(), data, data + bytes);
            } else {
                write_all(data, bytes);
            }
        }
        return nitems;
    }

    void flush() {
        write_all(buffer.data(), buffer.size());
        buffer.clear();
    }

    void write_all(const uint8_t* data, size_t bytes) {
        while (bytes > 0) {
            // Linux writes at most 0x7ffff000 bytes per call.
            size_t chunk = bytes < (size_t(1) << 30) ? bytes : (size_t(1) << 30);
            ssize_t written = ::write(fd, data, chunk);
            if (written < 0 && errno == EINTR) continue;
            if (written <= 0) throw WriteError{written < 0 ? errno : ENOSPC};
            data += written;
            bytes -= size_t(written);
        }
    }

    static constexpr size_t capacity = size_t(1) << 20;
    int fd;
    uint32_t hash;
    size_t total = 0;
    std::vector<uint8_t> buffer;
};

/// faiss::write_index with the HNSW default efSearch in the member (what the file stores), not
/// whatever efSearch Faiss's own search path left there (see fshim_index::ef_mutex).
void write_payload(const fshim_index* index, faiss::IOWriter* writer) {
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index->index.get())) {
        std::unique_lock<std::shared_mutex> exclusive(index->ef_mutex);
        hnsw->hnsw.efSearch = index->default_ef;
        faiss::write_index(index->index.get(), writer);
    } else {
        faiss::write_index(index->index.get(), writer);
    }
}

}  // namespace

extern "C" {

int fshim_serialize_size(const fshim_index* index, size_t* size, char* err) {
    *size = 0;
    return guarded(err, FSHIM_INTERNAL, [&] {
        CountingWriter writer;
        write_payload(index, &writer);
        *size = writer.total;
    });
}

int fshim_serialize_to_fd(const fshim_index* index, int fd, size_t* size, uint64_t* hash, char* err) {
    *size = 0;
    int os_error = 0;
    int code = guarded(err, FSHIM_INTERNAL, [&] {
        DescriptorWriter writer(fd, static_cast<uint32_t>(*hash));
        try {
            write_payload(index, &writer);
            writer.flush();
        } catch (const WriteError& error) {  // guarded would report it as an unknown exception
            os_error = error.code;
            return;
        }
        *size = writer.total;
        *hash = writer.hash;
    });
    if (os_error != 0) {
        set_message(err, std::strerror(os_error));
        return FSHIM_IO;
    }
    return code;
}

}  // extern "C"

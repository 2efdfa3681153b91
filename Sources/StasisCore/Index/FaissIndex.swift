import CFaissShim

/// Owns one Faiss index through CFaissShim and turns shim codes into `StasisError`s.
///
/// Not thread-safe by itself: `VersionedIndex` holds the lock.
final class FaissIndex: @unchecked Sendable {
    enum Kind: Int32 {
        case flat = 1, hnsw = 2, ivf = 3
    }

    private let handle: OpaquePointer
    let kind: Kind

    private init(handle: OpaquePointer) throws {
        guard let kind = Kind(rawValue: fshim_kind(handle)) else {
            fshim_free(handle)
            throw StasisError(.internalError, "Faiss returned an index of an unknown family")
        }
        self.handle = handle
        self.kind = kind
    }

    deinit { fshim_free(handle) }

    convenience init(dimension: Int, factory: String) throws {
        var raw: OpaquePointer?
        try Self.check(codeContext: "factory '\(factory)'") { err in
            fshim_create(Int64(dimension), factory, &raw, err)
        }
        guard let raw else { throw StasisError(.internalError, "Faiss returned no index") }
        try self.init(handle: raw)
    }

    /// Reads an index from bytes written by `serialized()`.
    convenience init(serialized bytes: [UInt8]) throws {
        var raw: OpaquePointer?
        try Self.check(codeContext: "index payload") { err in
            bytes.withUnsafeBufferPointer { fshim_deserialize($0.baseAddress, $0.count, &raw, err) }
        }
        guard let raw else { throw StasisError(.internalError, "Faiss returned no index") }
        try self.init(handle: raw)
    }

    /// Reads the payload of an opened index file from its mapping, dropping the mapped pages as
    /// Faiss copies past them (peak memory: Faiss's index plus one chunk).
    convenience init(mapped: IndexFile.Mapped) throws {
        var raw: OpaquePointer?
        try withExtendedLifetime(mapped.file) {
            let payload = mapped.payload
            try Self.check(codeContext: "index payload") { err in
                fshim_deserialize_mapped(payload.baseAddress?.assumingMemoryBound(to: UInt8.self), payload.count, &raw, err)
            }
        }
        guard let raw else { throw StasisError(.internalError, "Faiss returned no index") }
        try self.init(handle: raw)
    }

    var isTrained: Bool { fshim_is_trained(handle) != 0 }
    var count: Int { Int(fshim_ntotal(handle)) }

    /// Trains on rows. `faissOnly` trains with Faiss's own k-means assignment: the reference in tests.
    func train(_ rows: UnitRows, faissOnly: Bool = false) throws {
        let entry = faissOnly ? fshim_train_faiss : fshim_train
        try Self.check(codeContext: "train") { err in
            rows.values.withUnsafeBufferPointer {
                entry(handle, Int64(rows.count), $0.baseAddress, Int32(ThreadSettings.count), err)
            }
        }
    }

    /// Appends rows. `faissOnly` builds through Faiss's own add: the reference in tests.
    func add(_ rows: UnitRows, faissOnly: Bool = false) throws {
        let entry = faissOnly ? fshim_add_faiss : fshim_add
        try Self.check(codeContext: "add") { err in
            rows.values.withUnsafeBufferPointer {
                entry(handle, Int64(rows.count), $0.baseAddress, Int32(ThreadSettings.count), err)
            }
        }
    }

    /// The add straight from the caller's rows (fshim_add_unit): validates and normalises them on
    /// the library's threads without a normalised copy of the batch (Flat appends them straight
    /// into its storage). Returns nil when all `count` rows were appended, else the first refused
    /// row (zero, NaN/Inf, overflow), in which case nothing was appended.
    func addUnitRows(_ vectors: UnsafeBufferPointer<Float>, count: Int) throws -> Int? {
        var bad: Int64 = -1
        do {
            try Self.check(codeContext: "add") { err in
                fshim_add_unit(handle, Int64(count), vectors.baseAddress, Int32(ThreadSettings.count), &bad, err)
            }
        } catch {
            if bad >= 0 { return Int(bad) }
            throw error
        }
        return nil
    }

    /// Searches and returns Faiss's internal labels (slots), -1 for missing hits.
    /// `faissOnly` bypasses the shim's own loops for Faiss's search: the reference in tests.
    func search(
        _ queries: UnitRows, k: Int, options: SearchOptions, filter: fshim_filter?, faissOnly: Bool = false
    ) throws -> (scores: [Float], labels: [Int64]) {
        // SearchOptions.validated() bounds efSearch and nprobe far below Int32.max; clamp anyway so
        // no value can trap the conversion.
        let efSearch = Int32(clamping: options.efSearch), nprobe = Int32(clamping: options.nprobe)
        let entry = faissOnly ? fshim_search_faiss : fshim_search
        var scores = [Float](repeating: 0, count: queries.count * k)
        var labels = [Int64](repeating: -1, count: queries.count * k)
        try Self.check(codeContext: "search") { err in
            queries.values.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    labels.withUnsafeMutableBufferPointer { l in
                        withOptionalPointer(filter) { f in
                            entry(
                                handle, Int64(queries.count), q.baseAddress, Int64(k),
                                efSearch, nprobe, f,
                                s.baseAddress, l.baseAddress, Int32(ThreadSettings.count), err)
                        }
                    }
                }
            }
        }
        return (scores, labels)
    }

    /// The stored vectors of `slots` (each < count), row after row, as decoded from storage.
    func reconstruct(_ slots: [Int64], dimension: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: slots.count * dimension)
        try Self.check(codeContext: "reconstruct") { err in
            slots.withUnsafeBufferPointer { keys in
                out.withUnsafeMutableBufferPointer { fshim_reconstruct(handle, Int64(keys.count), keys.baseAddress, $0.baseAddress, err) }
            }
        }
        return out
    }

    /// An IVF copy keeping the entries of slots with `newSlot[slot] >= 0`, renumbered to it; codes
    /// are copied, so results are unchanged. `newSlot` has one entry per slot.
    func ivfCompacted(newSlot: [Int64], kept: Int) throws -> FaissIndex {
        var raw: OpaquePointer?
        try Self.check(codeContext: "compact") { err in
            newSlot.withUnsafeBufferPointer { fshim_ivf_compact(handle, $0.baseAddress, Int64(kept), &raw, err) }
        }
        guard let raw else { throw StasisError(.internalError, "Faiss returned no index") }
        return try FaissIndex(handle: raw)
    }

    /// An empty HNSW-over-SQ index with this one's structure and trained quantizer ranges, for
    /// compaction: the vectors `reconstruct` decodes re-encode to the same codes in it.
    func hnswSQEmptyCopy() throws -> FaissIndex {
        var raw: OpaquePointer?
        try Self.check(codeContext: "compact") { err in fshim_hnsw_sq_empty_like(handle, &raw, err) }
        guard let raw else { throw StasisError(.internalError, "Faiss returned no index") }
        return try FaissIndex(handle: raw)
    }

    /// Size of the payload `write(to:checksum:)` writes (a counting pass; no bytes are kept).
    func serializedSize() throws -> Int {
        var size = 0
        try Self.check(codeContext: "serialize") { err in fshim_serialize_size(handle, &size, err) }
        return size
    }

    /// Writes the payload (faiss::write_index) to `descriptor` at its offset, continuing
    /// `checksum` over the bytes written; returns their count. Never holds the whole payload.
    /// - Throws: `.io` with the system's reason when a write fails (the caller names the file).
    func write(to descriptor: Int32, checksum: inout Checksum) throws -> Int {
        // The shim checksums what it streams with CRC-32C, the checksum of the format saves write.
        guard checksum.algorithm == .crc32c else {
            throw StasisError(.internalError, "the payload writer continues only a CRC-32C checksum")
        }
        var size = 0
        var hash = checksum.value
        try Self.check(codeContext: "serialize") { err in fshim_serialize_to_fd(handle, descriptor, &size, &hash, err) }
        checksum = Checksum(.crc32c, continuing: hash)
        return size
    }

    /// The payload as `IndexFile.write` streams it.
    func payload() throws -> IndexFile.Payload {
        IndexFile.Payload(count: try serializedSize()) { file, checksum in
            try self.write(to: file.descriptor, checksum: &checksum)
        }
    }

    /// The payload as one array: for tests that compare it with what `write(to:checksum:)` streams.
    func serialized() throws -> [UInt8] {
        var data: UnsafeMutablePointer<UInt8>?
        var size = 0
        try Self.check(codeContext: "serialize") { err in fshim_serialize(handle, &data, &size, err) }
        defer { fshim_buffer_free(data) }
        guard let data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Calls a shim function with an error buffer and throws on a non-zero code.
    private static func check(codeContext: String, _ call: (UnsafeMutablePointer<CChar>) -> Int32) throws {
        var buffer = [CChar](repeating: 0, count: Int(FSHIM_ERR_LEN))
        let code = buffer.withUnsafeMutableBufferPointer { call($0.baseAddress!) }
        guard code != Int32(FSHIM_OK) else { return }
        let reason = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        switch Int(code) {
        case Int(FSHIM_NOT_TRAINED):
            throw StasisError(.notTrained, "index is not trained: call train with representative vectors first")
        case Int(FSHIM_NO_MEMORY):
            throw StasisError(.outOfMemory, "\(codeContext): out of memory")
        case Int(FSHIM_CORRUPT):
            throw StasisError(.corruptFile, "\(codeContext) is unreadable: \(reason)")
        case Int(FSHIM_INVALID):
            throw StasisError(.invalidArgument, "\(codeContext): \(reason)")
        case Int(FSHIM_IO):
            throw StasisError(.io, reason)
        default:
            throw StasisError(.internalError, "\(codeContext): Faiss failed: \(reason)")
        }
    }
}

private func withOptionalPointer<T, R>(_ value: T?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard var value else { return body(nil) }
    return withUnsafePointer(to: &value) { body($0) }
}

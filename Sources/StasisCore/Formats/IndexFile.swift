import FoundationEssentials

/// The index container: one file, written atomically.
///
///     "STASISIX"                      8 bytes, magic
///     format                          UInt32 little-endian
///     header length H                 UInt64 little-endian
///     header checksum                 UInt64 little-endian, checksum of the H header bytes
///     header                          H bytes of JSON (`IndexFileInfo`)
///     slot ids                        slots x Int64
///     slot versions                   slots x UInt32
///     slot alive flags                slots x UInt8
///     Faiss payload                   payloadBytes (faiss::write_index)
///
/// The JSON header makes the file inspectable by any tool. Every byte is covered by a checksum
/// (the header's in the prefix, the binary sections' in the header) and the header's sizes are
/// checked against the Faiss payload, because Faiss's reader trusts its input.
///
/// Format 2 (written since 2026-12) checksums with CRC-32C, format 1 with FNV-1a 64; the layout is
/// otherwise the same, and both are read. Hardware CRC-32C runs at several GB/s where FNV-1a ran at
/// about 1 GB/s, which had made the checksum 42 % of opening a 1.7 GB index and as much of saving it.
public enum IndexFile {
    static let magic = Array("STASISIX".utf8)
    /// Format this library writes and the newest it reads.
    static let formatVersion = 2
    /// The checksum of a format's header and sections.
    static func checksumAlgorithm(format: Int) -> Checksum.Algorithm { format >= 2 ? .crc32c : .fnv1a64 }
    static let prefixLength = 28
    static let maxHeaderLength = 1 << 24

    struct Contents {
        var dimension: Int
        var factory: String
        var space: String?
        var defaults: SearchOptions
        var isTrained: Bool
        var slots: SlotTable
        /// Last write-ahead log sequence the file holds (0: none).
        var walSequence: UInt64 = 0
    }

    /// The Faiss payload as `write` takes it: its size, and a function that appends exactly that
    /// many bytes to the temporary file, continuing the checksum over them, and returns the count
    /// it wrote. Streaming it (`FaissIndex.write(to:checksum:)`) keeps a save from holding the
    /// payload in memory.
    struct Payload {
        let count: Int
        let write: (_ file: AtomicFileWriter, _ checksum: inout Checksum) throws -> Int
    }

    /// Writes the container: prefix and header (with a placeholder checksum of the same width),
    /// slot columns, then the payload streamed after them, hashed as it goes; then the header
    /// again with the real checksum, over the placeholder. The bytes are those of hashing first
    /// and writing second, with one pass over the payload.
    static func write(_ contents: Contents, payload: Payload, to path: String) throws {
        try prepare(contents, payload: payload, to: path).commit()
    }

    /// `write` without the commit (fsync, rename): a caller holding a lock to keep the index still
    /// while the payload streams can release it before the fsync.
    static func prepare(_ contents: Contents, payload: Payload, to path: String) throws -> AtomicFileWriter {
        let slots = contents.slots
        let algorithm = checksumAlgorithm(format: formatVersion)
        var checksum = Checksum(algorithm)
        checksum.update(array: slots.ids)
        checksum.update(array: slots.versions)
        checksum.update(array: slots.alive)
        func head(checksum hex: String) throws -> [UInt8] {
            let info = IndexFileInfo(
                format: formatVersion, library: LibraryVersion.string, dimension: contents.dimension,
                metric: "cosine", factory: contents.factory, space: contents.space, trained: contents.isTrained,
                count: slots.liveCount, slots: slots.slotCount,
                versions: slots.countByVersion.sorted { $0.key < $1.key }
                    .map { IndexFileInfo.VersionCount(version: $0.key, count: $0.value) },
                searchDefaults: SearchOptions(efSearch: contents.defaults.efSearch, nprobe: contents.defaults.nprobe),
                payloadBytes: payload.count, checksum: hex,
                walSequence: contents.walSequence > 0 ? contents.walSequence : nil)
            let header = try encodeHeader(info)
            var headerChecksum = Checksum(algorithm)
            headerChecksum.update(array: header)
            var bytes = magic
            withUnsafeBytes(of: UInt32(formatVersion).littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: headerChecksum.value.littleEndian) { bytes.append(contentsOf: $0) }
            return bytes + header
        }
        let placeholder = try head(checksum: Checksum(algorithm).hex)

        let writer = try AtomicFileWriter(path: path)
        try writer.write(array: placeholder)
        try writer.write(array: slots.ids)
        try writer.write(array: slots.versions)
        try writer.write(array: slots.alive)
        let written: Int
        do {
            written = try payload.write(writer, &checksum)
        } catch let error as StasisError where error.code == .io {
            throw StasisError(.io, "cannot write '\(writer.temporaryPath)': \(error.message)")
        }
        guard written == payload.count else {
            throw StasisError(.internalError, "the index payload was \(payload.count) bytes when measured, \(written) when written")
        }
        let final = try head(checksum: checksum.hex)
        guard final.count == placeholder.count else {
            throw StasisError(.internalError, "index header changed length when its checksum was filled in")
        }
        try writer.write(final, at: 0)
        return writer
    }

    /// Reads only the header. Cost is independent of the number of vectors.
    public static func inspect(_ path: String) throws -> IndexFileInfo {
        let prefix = try readFile(path, limit: prefixLength)
        let (format, headerLength) = try checkPrefix(prefix, path: path)
        let head = try readFile(path, limit: prefixLength + headerLength)
        let info = try decodeHeader(head, format: format, headerLength: headerLength, path: path)
        try checkSizes(info, path: path)
        return info
    }

    /// An opened file: the Faiss payload is `file.bytes[payloadRange]`,
    /// read straight from the mapping (so opening never holds a second copy of it).
    struct Mapped {
        var contents: Contents
        let file: MappedFile
        let payloadRange: Range<Int>
        var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: file.bytes[payloadRange]) }
    }

    /// Maps the file and checks everything but the Faiss payload's inner structure (which
    /// `FaissIndex(mapped:)` checks): prefix, header checksum and sizes, length, the checksum over
    /// slots and payload (hashed front to back, each chunk dropped from memory once hashed), slot
    /// table, and the payload's leading type, dimension and count.
    static func read(_ path: String) throws -> Mapped {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        let prefix = Array(bytes[..<min(bytes.count, prefixLength)])
        let (format, headerLength) = try checkPrefix(prefix, fileBytes: bytes.count, path: path)
        let head = Array(bytes[..<min(bytes.count, prefixLength + headerLength)])
        let info = try decodeHeader(head, format: format, headerLength: headerLength, path: path)
        try checkSizes(info, path: path)
        let slotBytes = info.slots * (8 + 4 + 1)
        let expected = prefixLength + headerLength + slotBytes + info.payloadBytes
        guard bytes.count == expected else {
            throw StasisError(.corruptFile,
                "'\(path)' is \(bytes.count < expected ? "truncated" : "longer than its header says"): "
                + "\(bytes.count) bytes, expected \(expected)")
        }
        let checksum = file.checksum((prefixLength + headerLength)..<bytes.count, checksumAlgorithm(format: format))
        guard checksum.hex == info.checksum else {
            throw StasisError(.corruptFile, "'\(path)' is corrupt: checksum \(checksum.hex), header says \(info.checksum)")
        }
        var offset = prefixLength + headerLength
        let ids: [Int64] = column(bytes, &offset, count: info.slots)
        let versions: [UInt32] = column(bytes, &offset, count: info.slots)
        let alive: [UInt8] = column(bytes, &offset, count: info.slots)
        file.release(0..<offset)
        let slots = try SlotTable(ids: ids, versions: versions, alive: alive)
        guard slots.liveCount == info.count else {
            throw StasisError(.corruptFile, "'\(path)': header counts \(info.count) live vectors, slots hold \(slots.liveCount)")
        }
        let payloadRange = offset..<bytes.count
        try checkPayloadHeader(UnsafeRawBufferPointer(rebasing: bytes[payloadRange]), info: info, path: path)
        let contents = Contents(
            dimension: info.dimension, factory: info.factory, space: info.space, defaults: info.searchDefaults,
            isTrained: info.trained, slots: slots, walSequence: info.walSequence ?? 0)
        return Mapped(contents: contents, file: file, payloadRange: payloadRange)
    }

    /// Bounds on every header number, checked before any arithmetic or allocation uses them.
    private static func checkSizes(_ info: IndexFileInfo, path: String) throws {
        guard (1...(1 << 16)).contains(info.dimension), (0..<(1 << 40)).contains(info.slots),
              (0...info.slots).contains(info.count), (0..<(1 << 50)).contains(info.payloadBytes) else {
            throw StasisError(.corruptFile, "'\(path)': header has impossible sizes")
        }
        do {
            _ = try info.searchDefaults.validated()
        } catch let error as StasisError {
            throw StasisError(.corruptFile, "'\(path)': header search defaults are invalid: \(error.message)")
        }
    }

    /// faiss::write_index starts every index with a 4-byte type code, the dimension (Int32) and
    /// the vector count (Int64); they must agree with the header before Faiss reads the rest.
    private static func checkPayloadHeader(_ payload: UnsafeRawBufferPointer, info: IndexFileInfo, path: String) throws {
        guard payload.count >= 16 else {
            throw StasisError(.corruptFile, "'\(path)': Faiss payload is too short (\(payload.count) bytes)")
        }
        let dimension = Int(Int32(bitPattern: littleEndian(payload, at: 4, as: UInt32.self)))
        let count = Int64(bitPattern: littleEndian(payload, at: 8, as: UInt64.self))
        guard dimension == info.dimension, count == Int64(info.slots) else {
            throw StasisError(.corruptFile,
                "'\(path)': Faiss payload holds \(count) vectors of dimension \(dimension); header says \(info.slots) of \(info.dimension)")
        }
    }

    /// Validates magic and format; returns the format and the header length.
    /// `bytes` is the file's first bytes (up to `prefixLength`), `fileBytes` its whole length.
    private static func checkPrefix(_ bytes: [UInt8], fileBytes: Int? = nil, path: String) throws
        -> (format: Int, headerLength: Int) {
        let magicSeen = min(bytes.count, magic.count)
        guard Array(bytes[..<magicSeen]) == Array(magic[..<magicSeen]) else {
            throw StasisError(.corruptFile, "'\(path)' is not a Stasis index file (wrong magic bytes)")
        }
        guard bytes.count >= prefixLength else {
            throw StasisError(.corruptFile, "'\(path)' is truncated: \(fileBytes ?? bytes.count) bytes, not even a header")
        }
        let format = Int(littleEndian(bytes, at: 8, as: UInt32.self))
        guard format <= formatVersion else {
            throw StasisError(.unsupportedFormat,
                "'\(path)' uses index format \(format); this library (\(LibraryVersion.string)) reads up to \(formatVersion)")
        }
        guard format >= 1 else { throw StasisError(.corruptFile, "'\(path)' has invalid format number \(format)") }
        let length = littleEndian(bytes, at: 12, as: UInt64.self)
        guard length > 0, length <= UInt64(maxHeaderLength) else {
            throw StasisError(.corruptFile, "'\(path)' has an implausible header length \(length)")
        }
        return (format, Int(length))
    }

    private static func decodeHeader(_ bytes: [UInt8], format: Int, headerLength: Int, path: String) throws
        -> IndexFileInfo {
        guard bytes.count >= prefixLength + headerLength else {
            throw StasisError(.corruptFile, "'\(path)' is truncated inside its header")
        }
        var checksum = Checksum(checksumAlgorithm(format: format))
        bytes.withUnsafeBytes { checksum.update(UnsafeRawBufferPointer(rebasing: $0[prefixLength..<(prefixLength + headerLength)])) }
        guard checksum.value == littleEndian(bytes, at: 20, as: UInt64.self) else {
            throw StasisError(.corruptFile, "'\(path)' is corrupt: its header fails the checksum")
        }
        let json = Data(bytes[prefixLength..<(prefixLength + headerLength)])
        do {
            return try JSONDecoder().decode(IndexFileInfo.self, from: json)
        } catch {
            throw StasisError(.corruptFile, "'\(path)' has an unreadable header: \(error)")
        }
    }

    static func encodeHeader(_ info: IndexFileInfo) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(info))
        } catch {
            throw StasisError(.internalError, "cannot encode index header: \(error)")
        }
    }

    private static func littleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as type: T.Type) -> T {
        bytes.withUnsafeBytes { littleEndian($0, at: offset, as: type) }
    }

    private static func littleEndian<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, at offset: Int, as: T.Type) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + MemoryLayout<T>.size)]))
        }
        return T(littleEndian: value)
    }

    /// Copies `count` values of T starting at `offset` (the caller has checked the length).
    private static func column<T>(_ source: UnsafeRawBufferPointer, _ offset: inout Int, count: Int) -> [T] {
        let size = count * MemoryLayout<T>.stride
        let start = offset
        offset += size
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: source[start..<(start + size)]))
            initialized = count
        }
    }
}

#if _endian(big)
#error("the index container stores columns in native order and assumes a little-endian machine")
#endif

extension IndexFile {
    /// Header of the index file at `path`, as JSON (what `stasis inspect` and the C ABI report).
    public static func inspectJSON(_ path: String) throws -> [UInt8] {
        try encodeHeader(try inspect(path))
    }
}

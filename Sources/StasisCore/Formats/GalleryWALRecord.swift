import CFaissShim

/// The records of a mixed gallery's write-ahead log. The file header and the record framing are
/// the index log's (`WALRecord`: "STASISWL" header with the base sequence, then per record a
/// checksummed length and payload checksum), so `WriteAheadLog` writes, rolls back, syncs and
/// restarts both; only the payload differs, because one gallery log carries vectors of several
/// widths:
///
///     payload   sequence UInt64, operation UInt8 (3 upsert, 4 remove), 3 zero bytes,
///               version UInt32 (0 for remove), count n UInt64, dimension d UInt32 (the
///               version's width; 0 for remove), 4 zero bytes, n ids Int64,
///               n x d Float32 (the rows as the caller gave them; upsert only)
///
/// The operation codes differ from the index log's (1 add, 2 remove), so a log attached to the
/// wrong kind of object is refused as such instead of being misread.
enum GalleryWALRecord {
    enum Operation: UInt8 {
        case upsert = 3, remove = 4
    }

    /// One logged gallery mutation.
    struct Entry: Equatable {
        var sequence: UInt64
        var operation: Operation
        var version: UInt32
        var ids: [Int64]
        var dimension: Int
        /// ids.count x dimension rows for an upsert, empty for a remove.
        var vectors: [Float]
    }

    struct Scan {
        var baseSequence: UInt64
        var entries: [Entry]
        /// Where the intact records end (a torn tail after it is cut off before appending).
        var validLength: Int
    }

    static func encode(_ entry: Entry) -> [UInt8] {
        var payload = [UInt8]()
        payload.reserveCapacity(WALRecord.fixedPayloadLength + entry.ids.count * 8 + entry.vectors.count * 4)
        append(entry.sequence, to: &payload)
        payload.append(contentsOf: [entry.operation.rawValue, 0, 0, 0])
        append(entry.version, to: &payload)
        append(UInt64(entry.ids.count), to: &payload)
        append(UInt32(truncatingIfNeeded: entry.dimension), to: &payload)
        append(UInt32(0), to: &payload)
        entry.ids.withUnsafeBytes { payload.append(contentsOf: $0) }
        entry.vectors.withUnsafeBytes { payload.append(contentsOf: $0) }
        var head = [UInt8]()
        append(UInt64(payload.count), to: &head)
        append(checksum(payload), to: &head)
        append(checksum(head), to: &head)
        return head + payload
    }

    /// Parses a whole gallery log: the same torn-tail rules as `WALRecord.scan` (an incomplete or
    /// failing last record, or zeros to the end, are dropped; damage with intact bytes after it,
    /// a bad header, records out of sequence or of the index log's kind are `.corruptFile`).
    static func scan(_ bytes: [UInt8], path: String) throws -> Scan {
        guard bytes.count >= WALRecord.headerLength, Array(bytes[0..<8]) == WALRecord.magic else {
            throw StasisError(.corruptFile, "'\(path)' is not a Stasis write-ahead log (missing or wrong header)")
        }
        guard load(bytes, 24, UInt64.self) == checksum(Array(bytes[0..<24])) else {
            throw StasisError(.corruptFile, "'\(path)': write-ahead log header fails its checksum")
        }
        let format = load(bytes, 8, UInt32.self)
        guard format == WALRecord.formatVersion else {
            throw StasisError(format > WALRecord.formatVersion ? .unsupportedFormat : .corruptFile,
                "'\(path)' uses write-ahead log format \(format); this library reads \(WALRecord.formatVersion)")
        }
        let base = load(bytes, 16, UInt64.self)
        var entries = [Entry]()
        var offset = WALRecord.headerLength
        while offset < bytes.count {
            if bytes.count - offset < WALRecord.recordHeaderLength { break }  // torn inside a record header
            guard load(bytes, offset + 16, UInt64.self) == checksum(Array(bytes[offset..<(offset + 16)])) else {
                if onlyZeros(bytes, from: offset) { break }
                throw StasisError(.corruptFile, "'\(path)': write-ahead log record at byte \(offset) has a damaged header")
            }
            let length = load(bytes, offset, UInt64.self)
            let start = offset + WALRecord.recordHeaderLength
            guard length <= UInt64(bytes.count - start) else { break }  // torn: payload incomplete
            let end = start + Int(length)
            let payload = Array(bytes[start..<end])
            guard checksum(payload) == load(bytes, offset + 8, UInt64.self) else {
                if end == bytes.count || onlyZeros(bytes, from: end) { break }
                throw StasisError(.corruptFile,
                    "'\(path)': write-ahead log record at byte \(offset) fails its checksum and intact records follow")
            }
            let expected = base &+ UInt64(entries.count) &+ 1
            let entry = try decode(payload, path: path, offset: offset)
            guard entry.sequence == expected else {
                throw StasisError(.corruptFile,
                    "'\(path)': write-ahead log record at byte \(offset) has sequence \(entry.sequence), expected \(expected)")
            }
            entries.append(entry)
            offset = end
        }
        return Scan(baseSequence: base, entries: entries, validLength: offset)
    }

    private static func decode(_ payload: [UInt8], path: String, offset: Int) throws -> Entry {
        let bad = StasisError(.corruptFile, "'\(path)': write-ahead log record at byte \(offset) is malformed")
        guard payload.count >= WALRecord.fixedPayloadLength else { throw bad }
        guard let operation = Operation(rawValue: payload[8]) else {
            if WALRecord.Operation(rawValue: payload[8]) != nil {
                throw StasisError(.corruptFile, "'\(path)' is the write-ahead log of an index, not of a mixed gallery")
            }
            throw bad
        }
        let count = load(payload, 16, UInt64.self)
        let width = Int(load(payload, 24, UInt32.self))
        guard count > 0, count <= UInt64(payload.count / 8) else { throw bad }
        let n = Int(count)
        guard operation == .upsert ? (1...VersionedIndex.maxDimension).contains(width) : width == 0 else { throw bad }
        guard payload.count == WALRecord.fixedPayloadLength + n * 8 + n * width * 4 else { throw bad }
        var ids = [Int64](repeating: 0, count: n)
        ids.withUnsafeMutableBytes { target in
            payload.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[32..<(32 + n * 8)])) }
        }
        guard ids.allSatisfy({ $0 >= 0 }) else { throw bad }
        var vectors = [Float](repeating: 0, count: n * width)
        vectors.withUnsafeMutableBytes { target in
            payload.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(32 + n * 8)...])) }
        }
        guard vectors.allSatisfy({ $0.isFinite }) else { throw bad }
        return Entry(
            sequence: load(payload, 0, UInt64.self), operation: operation, version: load(payload, 12, UInt32.self),
            ids: ids, dimension: width, vectors: vectors)
    }

    private static func onlyZeros(_ bytes: [UInt8], from offset: Int) -> Bool {
        bytes[offset...].allSatisfy { $0 == 0 }
    }

    private static func checksum(_ bytes: [UInt8]) -> UInt64 {
        UInt64(bytes.withUnsafeBytes { fshim_crc32c(0, $0.baseAddress, $0.count) })
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func load<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            bytes.withUnsafeBytes {
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + MemoryLayout<T>.size)]))
            }
        }
        return T(littleEndian: value)
    }
}

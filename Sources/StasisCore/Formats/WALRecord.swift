import CFaissShim

/// The write-ahead log's byte layout: a fixed header, then one record per acknowledged mutation.
/// All integers little-endian; checksums are CRC-32C (hardware-assisted, `fshim_crc32c`) stored
/// zero-extended in 8 bytes: a log appends on every mutating call, so its checksum must cost little
/// next to the add itself (FNV-1a, the index container's, runs at about a byte per nanosecond).
///
///     header (32 bytes)   "STASISWL", format UInt32 (1), reserved UInt32 (0),
///                         base sequence UInt64, checksum UInt64 of the first 24 bytes
///     record              payload length L UInt64, payload checksum UInt64,
///                         checksum UInt64 of those 16 bytes, then L payload bytes
///     payload             sequence UInt64, operation UInt8 (1 add, 2 remove), 3 zero bytes,
///                         version UInt32, count n UInt64, dimension d UInt32 (0 for remove),
///                         4 zero bytes, n ids Int64, n x d Float32 (unit rows; add only)
///
/// The header checksum of a record is separate from its payload's so that a damaged length is
/// recognised as damage rather than trusted: a length that passes its checksum and runs past the
/// end of the file is a torn tail, one that fails it is corruption unless only zeros follow.
enum WALRecord {
    static let magic = Array("STASISWL".utf8)
    static let formatVersion: UInt32 = 1
    static let headerLength = 32
    static let recordHeaderLength = 24
    static let fixedPayloadLength = 32

    enum Operation: UInt8 {
        case add = 1, remove = 2
    }

    /// One logged mutation.
    struct Entry: Equatable {
        var sequence: UInt64
        var operation: Operation
        var version: UInt32
        var ids: [Int64]
        var dimension: Int
        /// ids.count x dimension unit rows for an add, empty for a remove.
        var vectors: [Float]
    }

    static func fileHeader(baseSequence: UInt64) -> [UInt8] {
        var bytes = magic
        append(formatVersion, to: &bytes)
        append(UInt32(0), to: &bytes)
        append(baseSequence, to: &bytes)
        append(checksum(bytes), to: &bytes)
        return bytes
    }

    static func encode(_ entry: Entry) -> [UInt8] {
        frame(payload(sequence: entry.sequence, operation: entry.operation.rawValue, version: entry.version,
                      ids: entry.ids, dimension: entry.dimension, vectors: entry.vectors))
    }

    /// The payload layout above, shared by the index log and the gallery log (which differ only in
    /// their operation codes and in where a record's width comes from).
    static func payload(sequence: UInt64, operation: UInt8, version: UInt32, ids: [Int64], dimension: Int,
                        vectors: [Float]) -> [UInt8] {
        var payload = [UInt8]()
        payload.reserveCapacity(fixedPayloadLength + ids.count * 8 + vectors.count * 4)
        append(sequence, to: &payload)
        payload.append(contentsOf: [operation, 0, 0, 0])
        append(version, to: &payload)
        append(UInt64(ids.count), to: &payload)
        append(UInt32(truncatingIfNeeded: dimension), to: &payload)
        append(UInt32(0), to: &payload)
        ids.withUnsafeBytes { payload.append(contentsOf: $0) }
        vectors.withUnsafeBytes { payload.append(contentsOf: $0) }
        return payload
    }

    /// A record: the checksummed length and payload checksum, then the payload.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var head = [UInt8]()
        append(UInt64(payload.count), to: &head)
        append(checksum(payload), to: &head)
        append(checksum(head), to: &head)
        return head + payload
    }

    /// What a scan of a log file found: the base sequence, the intact records in order, and where
    /// the intact part ends (a torn tail after it is to be cut off before appending).
    struct Scan {
        var baseSequence: UInt64
        var entries: [Entry]
        var validLength: Int
    }

    /// Parses a whole log file. A torn tail (the last record incomplete, or failing its checksum
    /// with nothing after it, or only zero bytes left) is dropped; damage with intact bytes after
    /// it, a bad header, or records out of sequence are `.corruptFile`.
    static func scan(_ bytes: [UInt8], dimension: Int, path: String) throws -> Scan {
        let (base, entries, validLength) = try scanFrames(bytes, path: path, sequence: \.sequence) { payload, offset in
            try decode(payload, dimension: dimension, path: path, offset: offset)
        }
        return Scan(baseSequence: base, entries: entries, validLength: validLength)
    }

    /// The header check and the framing walk of `scan`, for any payload decoder: returns the base
    /// sequence, the decoded records (each checked to follow the previous one's sequence) and
    /// where the intact part ends. `decode` gets a payload and its record's byte offset.
    static func scanFrames<Decoded>(
        _ bytes: [UInt8], path: String, sequence: (Decoded) -> UInt64,
        decode: ([UInt8], Int) throws -> Decoded
    ) throws -> (baseSequence: UInt64, entries: [Decoded], validLength: Int) {
        guard bytes.count >= headerLength, Array(bytes[0..<8]) == magic else {
            throw StasisError(.corruptFile, "'\(path)' is not a Stasis write-ahead log (missing or wrong header)")
        }
        guard load(bytes, 24, UInt64.self) == checksum(Array(bytes[0..<24])) else {
            throw StasisError(.corruptFile, "'\(path)': write-ahead log header fails its checksum")
        }
        let format = load(bytes, 8, UInt32.self)
        guard format == formatVersion else {
            throw StasisError(format > formatVersion ? .unsupportedFormat : .corruptFile,
                "'\(path)' uses write-ahead log format \(format); this library reads \(formatVersion)")
        }
        let base = load(bytes, 16, UInt64.self)
        var entries = [Decoded]()
        var offset = headerLength
        while offset < bytes.count {
            let remaining = bytes.count - offset
            if remaining < recordHeaderLength { break }  // torn inside a record header
            let head = Array(bytes[offset..<(offset + 16)])
            guard load(bytes, offset + 16, UInt64.self) == checksum(head) else {
                if onlyZeros(bytes, from: offset) { break }
                throw StasisError(.corruptFile, "'\(path)': write-ahead log record at byte \(offset) has a damaged header")
            }
            let length = load(bytes, offset, UInt64.self)
            let start = offset + recordHeaderLength
            guard length <= UInt64(bytes.count - start) else { break }  // torn: payload incomplete
            let end = start + Int(length)
            let payload = Array(bytes[start..<end])
            guard checksum(payload) == load(bytes, offset + 8, UInt64.self) else {
                if end == bytes.count || onlyZeros(bytes, from: end) { break }
                throw StasisError(.corruptFile,
                    "'\(path)': write-ahead log record at byte \(offset) fails its checksum and intact records follow")
            }
            let expected = base &+ UInt64(entries.count) &+ 1
            let entry = try decode(payload, offset)
            guard sequence(entry) == expected else {
                throw StasisError(.corruptFile,
                    "'\(path)': write-ahead log record at byte \(offset) has sequence \(sequence(entry)), expected \(expected)")
            }
            entries.append(entry)
            offset = end
        }
        return (base, entries, offset)
    }

    private static func decode(_ payload: [UInt8], dimension: Int, path: String, offset: Int) throws -> Entry {
        let bad = StasisError(.corruptFile, "'\(path)': write-ahead log record at byte \(offset) is malformed")
        guard payload.count >= fixedPayloadLength, let operation = Operation(rawValue: payload[8]) else { throw bad }
        let count = load(payload, 16, UInt64.self)
        let recordDimension = Int(load(payload, 24, UInt32.self))
        guard count <= UInt64(payload.count / 8) else { throw bad }
        let n = Int(count)
        let width = operation == .add ? dimension : 0
        guard recordDimension == width, n > 0 else { throw bad }
        let (ids, vectors) = try body(payload, count: n, width: width, otherwise: bad)
        return Entry(
            sequence: load(payload, 0, UInt64.self), operation: operation, version: load(payload, 12, UInt32.self),
            ids: ids, dimension: width, vectors: vectors)
    }

    /// The ids and rows after the fixed payload fields, once count and width are known: throws
    /// `error` unless the payload is exactly that long, every id is >= 0 and every value finite.
    static func body(_ payload: [UInt8], count n: Int, width: Int, otherwise error: StasisError) throws -> ([Int64], [Float]) {
        guard payload.count == fixedPayloadLength + n * 8 + n * width * 4 else { throw error }
        var ids = [Int64](repeating: 0, count: n)
        ids.withUnsafeMutableBytes { target in
            payload.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[32..<(32 + n * 8)])) }
        }
        guard ids.allSatisfy({ $0 >= 0 }) else { throw error }
        var vectors = [Float](repeating: 0, count: n * width)
        vectors.withUnsafeMutableBytes { target in
            payload.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(32 + n * 8)...])) }
        }
        guard vectors.allSatisfy({ $0.isFinite }) else { throw error }
        return (ids, vectors)
    }

    private static func onlyZeros(_ bytes: [UInt8], from offset: Int) -> Bool {
        bytes[offset...].allSatisfy { $0 == 0 }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        UInt64(bytes.withUnsafeBytes { fshim_crc32c(0, $0.baseAddress, $0.count) })
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func load<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            bytes.withUnsafeBytes {
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + MemoryLayout<T>.size)]))
            }
        }
        return T(littleEndian: value)
    }
}

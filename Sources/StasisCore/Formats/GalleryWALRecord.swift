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
        WALRecord.frame(WALRecord.payload(
            sequence: entry.sequence, operation: entry.operation.rawValue, version: entry.version, ids: entry.ids,
            dimension: entry.dimension, vectors: entry.vectors))
    }

    /// Parses a whole gallery log: the same torn-tail rules as `WALRecord.scan` (an incomplete or
    /// failing last record, or zeros to the end, are dropped; damage with intact bytes after it,
    /// a bad header, records out of sequence or of the index log's kind are `.corruptFile`).
    static func scan(_ bytes: [UInt8], path: String) throws -> Scan {
        let (base, entries, validLength) = try WALRecord.scanFrames(bytes, path: path, sequence: \.sequence) {
            payload, offset in try decode(payload, path: path, offset: offset)
        }
        return Scan(baseSequence: base, entries: entries, validLength: validLength)
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
        let count = WALRecord.load(payload, 16, UInt64.self)
        let width = Int(WALRecord.load(payload, 24, UInt32.self))
        guard count > 0, count <= UInt64(payload.count / 8) else { throw bad }
        let n = Int(count)
        guard operation == .upsert ? (1...VersionedIndex.maxDimension).contains(width) : width == 0 else { throw bad }
        let (ids, vectors) = try WALRecord.body(payload, count: n, width: width, otherwise: bad)
        return Entry(
            sequence: WALRecord.load(payload, 0, UInt64.self), operation: operation,
            version: WALRecord.load(payload, 12, UInt32.self), ids: ids, dimension: width, vectors: vectors)
    }
}

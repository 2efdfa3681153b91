import CFaissShim
import Testing
@testable import StasisCore

/// The write-ahead log's record format: every truncation is a torn tail dropped at a record
/// boundary, and no damaged byte is ever read as a different record.
@Suite struct WALTests {
    static let dimension = 4

    static func entries() -> [WALRecord.Entry] {
        [
            .init(sequence: 8, operation: .add, version: 3, ids: [1, 2], dimension: dimension,
                  vectors: [1, 0, 0, 0, 0, 1, 0, 0]),
            .init(sequence: 9, operation: .remove, version: 0, ids: [1], dimension: 0, vectors: []),
            .init(sequence: 10, operation: .add, version: 4, ids: [7], dimension: dimension, vectors: [0, 0, 0.6, 0.8]),
        ]
    }

    static func log() -> (bytes: [UInt8], ends: [Int]) {
        var bytes = WALRecord.fileHeader(baseSequence: 7)
        var ends = [bytes.count]
        for entry in entries() {
            bytes += WALRecord.encode(entry)
            ends.append(bytes.count)
        }
        return (bytes, ends)
    }

    @Test func crc32cMatchesTheStandardAndItsTable() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { fshim_crc32c(0, $0.baseAddress, $0.count) } == 0xE306_9283)
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099, 12_287, 12_288, 12_289, 24_576 + 13, 100_003] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.withUnsafeBytes { raw in
                var table: UInt32 = 0
                fshim_crc32c_table_for_tests(17, raw.baseAddress, raw.count, &table)
                #expect(fshim_crc32c(17, raw.baseAddress, raw.count) == table, "length \(length)")
            }
        }
    }

    @Test func roundTrip() throws {
        let (bytes, ends) = Self.log()
        let scan = try WALRecord.scan(bytes, dimension: Self.dimension, path: "t")
        #expect(scan.baseSequence == 7)
        #expect(scan.entries == Self.entries())
        #expect(scan.validLength == ends.last)
    }

    @Test func everyTruncationIsATornTailCutAtARecordBoundary() throws {
        let (bytes, ends) = Self.log()
        for length in ends[0]...bytes.count {
            let scan = try WALRecord.scan(Array(bytes[..<length]), dimension: Self.dimension, path: "t")
            let whole = ends.filter { $0 <= length }.count - 1
            #expect(scan.entries == Array(Self.entries().prefix(whole)), "cut at \(length)")
            #expect(scan.validLength == ends[whole])
        }
    }

    @Test func noFlippedByteIsMisread() {
        let (bytes, _) = Self.log()
        let all = Self.entries()
        for position in 0..<bytes.count {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[position] ^= mask
                do {
                    let scan = try WALRecord.scan(damaged, dimension: Self.dimension, path: "t")
                    // Only a damaged last record may be dropped as a torn tail; nothing else changes.
                    #expect(scan.entries == all || scan.entries == Array(all.prefix(2)), "byte \(position)")
                } catch let error as StasisError {
                    #expect(error.code == .corruptFile || error.code == .unsupportedFormat, "byte \(position)")
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
        }
    }

    @Test func zerosAfterTheLastRecordAreDropped() throws {
        let (bytes, ends) = Self.log()
        let scan = try WALRecord.scan(bytes + [UInt8](repeating: 0, count: 100), dimension: Self.dimension, path: "t")
        #expect(scan.entries.count == 3 && scan.validLength == ends.last)
    }

    @Test func wrongDimensionOrGapIsCorrupt() {
        let (bytes, _) = Self.log()
        #expect(throws: StasisError.self) { try WALRecord.scan(bytes, dimension: 5, path: "t") }
        var gap = WALRecord.fileHeader(baseSequence: 0)
        gap += WALRecord.encode(Self.entries()[1])  // sequence 9 after base 0
        #expect(throws: StasisError.self) { try WALRecord.scan(gap, dimension: Self.dimension, path: "t") }
    }

    /// The interval flush syncs outside the log's lock: an append made while the fdatasync runs
    /// goes through (before the fix it waited for the lock the flush held), is not counted as
    /// synced by that flush, and is synced by the next one; every record reaches the file in order.
    @Test func intervalFlushSyncsOutsideTheLockAndCoversOnlyEarlierRecords() throws {
        let path = scratchDirectory() + "/interval.wal"
        // An hour: the background flusher never wakes during the test; sync() is called by hand.
        let log = try WriteAheadLog(path: path, syncMode: .interval(milliseconds: 3_600_000), baseSequence: 7)
        let entries = Self.entries()
        #expect(!log.hasUnsyncedRecords)
        _ = try log.append(WALRecord.encode(entries[0]))
        #expect(log.hasUnsyncedRecords)
        var appendedDuringSync = false
        log.afterSyncCapture = { [unowned log] in
            appendedDuringSync = (try? log.append(WALRecord.encode(entries[1]))) != nil
        }
        log.sync()
        log.afterSyncCapture = nil
        #expect(appendedDuringSync)
        #expect(log.hasUnsyncedRecords, "the record appended during the flush is still to be synced")
        log.sync()
        #expect(!log.hasUnsyncedRecords)
        _ = try log.append(WALRecord.encode(entries[2]))
        log.close()
        let scan = try WALRecord.scan(try readFile(path), dimension: Self.dimension, path: path)
        #expect(scan.baseSequence == 7)
        #expect(scan.entries == entries)
    }
}

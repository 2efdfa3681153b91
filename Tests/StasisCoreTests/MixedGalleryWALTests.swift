import Testing
import Glibc
@testable import StasisCore

/// The mixed gallery's write-ahead log: recovery after dropping the gallery unsaved, the torn-tail
/// and corruption rules of the shared framing, and refusals that leave the gallery unchanged.
@Suite struct MixedGalleryWALTests {
    func code(_ body: () throws -> Void) -> StasisError.Code? {
        do { try body(); return nil } catch { return (error as? StasisError)?.code }
    }

    /// A saved gallery (v1 8-d, v2 12-d) and a log holding three records: 20 items on v1, 5 of
    /// them moved to v2, one removed.
    func logged(_ directory: String) throws -> (dir: String, wal: String) {
        let dir = directory + "/g", wal = directory + "/g.wal"
        let gallery = try MixedGallery()
        try gallery.register(version: 1, dimension: 8)
        try gallery.register(version: 2, dimension: 12)
        try gallery.save(to: dir)
        try gallery.enableWAL(path: wal, syncMode: .everyCall)
        try gallery.upsert(TestVectors.make(count: 20, dimension: 8, seed: 1), dimension: 8, ids: Array(0..<20), version: 1)
        try gallery.upsert(TestVectors.make(count: 5, dimension: 12, seed: 2), dimension: 12, ids: Array(0..<5), version: 2)
        try gallery.remove(ids: [19])
        #expect(code { try gallery.remove(ids: [77]) } == .notFound)
        #expect(code { try gallery.upsert([Float](repeating: .nan, count: 8), dimension: 8, ids: [30], version: 1) } == .invalidArgument)
        #expect(gallery.lastWALSequence == 3)
        gallery.disableWAL()
        return (dir, wal)
    }

    @Test func replaysAcknowledgedChangesOnce() throws {
        let (dir, wal) = try logged(scratchDirectory())
        let recovered = try MixedGallery.open(dir)
        #expect(recovered.count == 0)
        try recovered.enableWAL(path: wal, syncMode: .off)
        #expect(recovered.countsByVersion == [1: 14, 2: 5])
        #expect(recovered.versions(of: [0, 10, 19]) == [2, 1, nil])
        try recovered.checkpoint(to: dir)
        recovered.disableWAL()
        let again = try MixedGallery.open(dir)
        #expect(again.lastWALSequence == 3 && again.count == 19)
        try again.enableWAL(path: wal, syncMode: .everyCall)  // empty after the checkpoint: nothing twice
        #expect(again.count == 19)
    }

    @Test func tornTailIsDroppedAndDamageRefused() throws {
        let (dir, wal) = try logged(scratchDirectory())
        var bytes = try readFile(wal, limit: 1 << 20)
        // Cut the last record in half: the first two replay.
        let full = bytes
        bytes.removeLast(10)
        try AtomicFile.write(bytes, to: wal)
        let torn = try MixedGallery.open(dir)
        try torn.enableWAL(path: wal, syncMode: .everyCall)
        #expect(torn.count == 20 && torn.lastWALSequence == 2)
        torn.disableWAL()
        // A flipped byte in the first record's payload with intact records after it: corrupt,
        // and the gallery is unchanged.
        var damaged = full
        damaged[WALRecord.headerLength + WALRecord.recordHeaderLength + 40] ^= 0xFF
        try AtomicFile.write(damaged, to: wal)
        let refused = try MixedGallery.open(dir)
        #expect(code { try refused.enableWAL(path: wal, syncMode: .everyCall) } == .corruptFile)
        #expect(refused.count == 0 && refused.walPath == nil)
    }

    @Test func recordsThatDoNotApplyChangeNothing() throws {
        let (_, wal) = try logged(scratchDirectory())
        let other = try MixedGallery()
        try other.register(version: 1, dimension: 8)  // v2 missing: record 2 cannot apply
        #expect(code { try other.enableWAL(path: wal, syncMode: .everyCall) } == .corruptFile)
        #expect(other.count == 0 && other.walPath == nil)
        let wide = try MixedGallery()
        try wide.register(version: 1, dimension: 16)
        try wide.register(version: 2, dimension: 12)
        #expect(code { try wide.enableWAL(path: wal, syncMode: .everyCall) } == .corruptFile)
        #expect(wide.count == 0)
        #expect(code { try wide.enableWAL(path: wal, syncMode: .interval(milliseconds: 0)) } == .invalidArgument)
    }

    /// Rows that are not zero yet cannot be normalised in float32 (squared norm overflows or
    /// underflows): refused before any record is applied, like a zero row, not half-way through
    /// the replay (found by reading the replay checks against UnitRows while writing the gallery
    /// log's fuzz harness).
    @Test func rowsTheAddWouldRefuseAreCaughtBeforeReplay() throws {
        let (dir, wal) = try logged(scratchDirectory())
        let intact = try readFile(wal, limit: 1 << 20)
        for value: Float in [1e30, 1e-30] {
            let crafted = GalleryWALRecord.Entry(
                sequence: 4, operation: .upsert, version: 1, ids: [40], dimension: 8,
                vectors: [Float](repeating: value, count: 8))
            try AtomicFile.write(intact + GalleryWALRecord.encode(crafted), to: wal)
            let refused = try MixedGallery.open(dir)
            #expect(code { try refused.enableWAL(path: wal, syncMode: .everyCall) } == .corruptFile)
            #expect(refused.count == 0 && refused.lastWALSequence == 0 && refused.walPath == nil)
        }
    }
}

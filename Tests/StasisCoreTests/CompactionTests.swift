import Testing
@testable import StasisCore

/// Compaction of HNSW over SQ codes: the live vectors are decoded and re-encoded with the same
/// trained quantizer, so every stored code comes back bit for bit, and the graph built anew over
/// them finds what the old one found (near-ties aside).
@Suite struct CompactionTests {
    let dimension = 24

    @Test(arguments: ["HNSW16,SQ8", "HNSW16,SQ4", "HNSW16,SQfp16"])
    func hnswOverSQKeepsCodesIdsVersionsAndResults(factory: String) throws {
        let index = try VersionedIndex(dimension: dimension, factory: factory)
        let data = TestVectors.clustered(count: 1500, dimension: dimension)
        try index.train(data, count: 1500, dimension: dimension)
        try index.add(data, dimension: dimension, ids: (0..<1500).map { Int64($0) }, version: 1)
        try index.remove(ids: (0..<500).map { Int64($0 * 3) })  // 500 removed
        let other = TestVectors.clustered(count: 100, dimension: dimension, seed: 23)
        try index.add(other, dimension: dimension, ids: (0..<100).map { Int64(1 + $0 * 3) }, version: 2)  // 100 replaced

        let liveBefore = (0..<index.slots.slotCount).filter { index.slots.alive[$0] == 1 }
        let decodedBefore = try index.faiss.reconstruct(liveBefore.map { Int64($0) }, dimension: dimension)
        let idsBefore = liveBefore.map { index.slots.ids[$0] }
        let versionsBefore = index.countsByVersion
        let queries = TestVectors.clustered(count: 60, dimension: dimension, seed: 31)
        let options = SearchOptions(efSearch: 128)
        let before = try index.search(queries, count: 60, dimension: dimension, k: 10, options: options)

        let report = try index.compact()
        #expect(report.slotsReclaimed == 600)
        #expect(report.liveCount == 1000 && index.count == 1000)
        #expect(report.bytesReclaimed > 600 * 13)
        #expect(index.countsByVersion == versionsBefore)
        // Same ids in the same order, and the same codes: decoding gives the same bits.
        #expect(index.slots.slotCount == 1000)
        #expect((0..<1000).map { index.slots.ids[$0] } == idsBefore)
        let decodedAfter = try index.faiss.reconstruct((0..<1000).map { Int64($0) }, dimension: dimension)
        #expect(decodedAfter == decodedBefore)

        let after = try index.search(queries, count: 60, dimension: dimension, k: 10, options: options)
        var shared = 0
        for q in 0..<60 {
            let a = Set(before.ids[(q * 10)..<(q * 10 + 10)]), b = Set(after.ids[(q * 10)..<(q * 10 + 10)])
            shared += a.intersection(b).count
        }
        #expect(Double(shared) / 600 >= 0.95, "top-10 agreement \(shared)/600")
        #expect(after.ids.allSatisfy { $0 >= 0 && $0 % 3 != 0 })  // removed ids never come back
        // A second compaction has nothing to reclaim; the result survives a save and reopen.
        #expect(try index.compact().slotsReclaimed == 0)
        let path = scratchDirectory() + "/compacted.stasis"
        try index.save(to: path)
        let reopened = try VersionedIndex.open(path)
        let again = try reopened.search(queries, count: 60, dimension: dimension, k: 10, options: options)
        #expect(again.ids == after.ids)
    }

    @Test func untrainedOrEmptyHNSWOverSQCompactsToNothing() throws {
        let index = try VersionedIndex(dimension: dimension, factory: "HNSW16,SQ8")
        let report = try index.compact()
        #expect(report.slotsReclaimed == 0 && report.liveCount == 0)
        #expect(!index.isTrained)
    }
}

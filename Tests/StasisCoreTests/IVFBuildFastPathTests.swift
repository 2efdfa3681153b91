import CFaissShim
import Testing
@testable import StasisCore

/// IVF train and add through the shim's nearest-centroid assignment (coarse and PQ k-means,
/// list assignment of added rows) against Faiss's own train and add of the same rows. The
/// assignment is exact, so the built indexes are the same: equal payloads, byte for byte (a
/// difference could only come from an exact score tie, which this data does not have), and
/// hence the same recall.
@Suite struct IVFBuildFastPathTests {
    /// (dimension, factory): centroid counts that are and are not a multiple of the 8/16 lanes
    /// (IVF50), a multi-block assignment (IVF256: 1024-row blocks over 3000 rows), and each
    /// storage (Flat, SQ8, PQ with its codebook k-means on the shim's L2 assigner). The PQ
    /// layouts cover the shim's encoder at sub-vectors of 8, 4, 3 and 12 floats, and PQ6 (16
    /// floats) the sizes left to Faiss's BLAS encoding.
    static let layouts: [(Int, String)] = [
        (96, "IVF32,Flat"), (100, "IVF50,Flat"), (96, "IVF256,Flat"), (96, "IVF32,SQ8"), (96, "IVF32,PQ12"),
        (96, "IVF32,PQ24"), (96, "IVF32,PQ32"), (96, "IVF32,PQ8"), (96, "IVF32,PQ6"),
    ]

    struct Built {
        let index: FaissIndex
        let queries: UnitRows
        let rows: UnitRows
    }

    static func build(dimension: Int, factory: String, faissTrain: Bool, faissAdd: Bool,
                      count: Int = 3000, queries: Int = 100) throws -> Built {
        let all = TestVectors.clustered(count: count + queries, dimension: dimension)
        let rows = try UnitRows(Array(all[..<(count * dimension)]), count: count, dimension: dimension, role: "vector")
        let q = try UnitRows(Array(all[(count * dimension)...]), count: queries, dimension: dimension, role: "query")
        let index = try FaissIndex(dimension: dimension, factory: factory)
        try index.train(rows, faissOnly: faissTrain)
        try index.add(rows, faissOnly: faissAdd)
        return Built(index: index, queries: q, rows: rows)
    }

    /// The exact top k of each query: a Flat index over the same rows (the fast Flat search is
    /// checked against Faiss's in FastPathTests).
    static func truth(_ b: Built, k: Int) throws -> [Set<Int64>] {
        let flat = try FaissIndex(dimension: b.rows.dimension, factory: "Flat")
        try flat.add(b.rows)
        let found = try flat.search(b.queries, k: k, options: SearchOptions(), filter: nil)
        return (0..<b.queries.count).map { Set(found.labels[($0 * k)..<(($0 + 1) * k)]) }
    }

    /// Recall@k against the exact top k.
    static func recall(_ b: Built, truth: [Set<Int64>], k: Int, nprobe: Int) throws -> Double {
        let found = try b.index.search(b.queries, k: k, options: SearchOptions(nprobe: nprobe), filter: nil)
        var hits = 0
        for q in 0..<b.queries.count {
            hits += found.labels[(q * k)..<((q + 1) * k)].filter { truth[q].contains($0) }.count
        }
        return Double(hits) / Double(b.queries.count * k)
    }

    @Test(arguments: 0..<9)
    func trainAndAddBuildFaissIndex(layout: Int) throws {
        let (dimension, factory) = Self.layouts[layout]
        let fast = try Self.build(dimension: dimension, factory: factory, faissTrain: false, faissAdd: false)
        let reference = try Self.build(dimension: dimension, factory: factory, faissTrain: true, faissAdd: true)
        #expect(try fast.index.serialized() == reference.index.serialized())
        let truth = try Self.truth(reference, k: 10)
        for nprobe in [1, 4] {
            let fastRecall = try Self.recall(fast, truth: truth, k: 10, nprobe: nprobe)
            #expect(try fastRecall >= Self.recall(reference, truth: truth, k: 10, nprobe: nprobe))
        }
    }

    /// Each half on its own: the fast train followed by Faiss's add, and Faiss's train followed
    /// by the fast add, both give Faiss's index.
    @Test(arguments: [1, 4, 5, 7])
    func trainAndAddEachMatchFaiss(layout: Int) throws {
        let (dimension, factory) = Self.layouts[layout]
        let reference = try Self.build(dimension: dimension, factory: factory, faissTrain: true, faissAdd: true)
        let fastTrain = try Self.build(dimension: dimension, factory: factory, faissTrain: false, faissAdd: true)
        let fastAdd = try Self.build(dimension: dimension, factory: factory, faissTrain: true, faissAdd: false)
        let expected = try reference.index.serialized()
        #expect(try fastTrain.index.serialized() == expected)
        #expect(try fastAdd.index.serialized() == expected)
    }

    /// Faiss 1.7.3's k-means runs all its iterations; once the assignment stops changing, the
    /// coarse assigner answers the repeated searches from its cache (this data converges within
    /// ten iterations), and the trained index is still Faiss's own, byte for byte.
    @Test func convergedIterationsReuseTheirSearch() throws {
        let before = fshim_kmeans_repeats_for_tests()
        let fast = try Self.build(dimension: 96, factory: "IVF32,Flat", faissTrain: false, faissAdd: true)
        #expect(fshim_kmeans_repeats_for_tests() > before)
        let reference = try Self.build(dimension: 96, factory: "IVF32,Flat", faissTrain: true, faissAdd: true)
        #expect(try fast.index.serialized() == reference.index.serialized())
    }

    /// PQ codes of rows added in several calls, more than one encoder block (65,536 rows) in
    /// one of them, are Faiss's: ids continue across calls and blocks.
    @Test func pqAddsAcrossCallsAndBlocksMatchFaiss() throws {
        let built = try Self.build(dimension: 16, factory: "IVF8,PQ4", faissTrain: true, faissAdd: true,
                                   count: 1000, queries: 10)
        let reference = try FaissIndex(serialized: built.index.serialized())
        let more = TestVectors.clustered(count: 70_000, dimension: 16)
        let rows = try UnitRows(more, count: 70_000, dimension: 16, role: "vector")
        let head = try UnitRows(Array(more[..<(100 * 16)]), count: 100, dimension: 16, role: "vector")
        try built.index.add(head)
        try built.index.add(rows)
        try reference.add(head, faissOnly: true)
        try reference.add(rows, faissOnly: true)
        #expect(built.index.count == 71_100 && reference.count == 71_100)
        #expect(try built.index.serialized() == reference.serialized())
    }

    /// The assigners are installed for the train only: the index reopens from its payload,
    /// adds more rows and searches like one that never had them.
    @Test func trainedIndexKeepsNoAssigner() throws {
        let built = try Self.build(dimension: 96, factory: "IVF32,PQ12", faissTrain: false, faissAdd: false)
        let reopened = try FaissIndex(serialized: built.index.serialized())
        try built.index.add(built.queries)
        try reopened.add(built.queries, faissOnly: true)
        #expect(try built.index.serialized() == reopened.serialized())
    }
}

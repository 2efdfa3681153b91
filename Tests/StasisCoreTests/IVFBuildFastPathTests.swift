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
    /// storage (Flat, SQ8, PQ with its codebook k-means on the shim's L2 assigner).
    static let layouts: [(Int, String)] = [
        (96, "IVF32,Flat"), (100, "IVF50,Flat"), (96, "IVF256,Flat"), (96, "IVF32,SQ8"), (96, "IVF32,PQ12"),
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

    /// Recall@k against exact inner-product search over the rows.
    static func recall(_ b: Built, k: Int, nprobe: Int) throws -> Double {
        let found = try b.index.search(b.queries, k: k, options: SearchOptions(nprobe: nprobe), filter: nil)
        let d = b.rows.dimension
        var hits = 0
        for q in 0..<b.queries.count {
            let query = b.queries.values[(q * d)..<((q + 1) * d)]
            var scores: [(Float, Int64)] = []
            for r in 0..<b.rows.count {
                var s: Float = 0
                for (t, x) in query.enumerated() { s += x * b.rows.values[r * d + t] }
                scores.append((s, Int64(r)))
            }
            let truth = Set(scores.sorted { $0.0 > $1.0 }.prefix(k).map(\.1))
            hits += found.labels[(q * k)..<((q + 1) * k)].filter { truth.contains($0) }.count
        }
        return Double(hits) / Double(b.queries.count * k)
    }

    @Test(arguments: 0..<5)
    func trainAndAddBuildFaissIndex(layout: Int) throws {
        let (dimension, factory) = Self.layouts[layout]
        let fast = try Self.build(dimension: dimension, factory: factory, faissTrain: false, faissAdd: false)
        let reference = try Self.build(dimension: dimension, factory: factory, faissTrain: true, faissAdd: true)
        #expect(try fast.index.serialized() == reference.index.serialized())
        for nprobe in [1, 4] {
            #expect(try Self.recall(fast, k: 10, nprobe: nprobe) >= Self.recall(reference, k: 10, nprobe: nprobe))
        }
    }

    /// Each half on its own: the fast train followed by Faiss's add, and Faiss's train followed
    /// by the fast add, both give Faiss's index.
    @Test(arguments: [1, 4])
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

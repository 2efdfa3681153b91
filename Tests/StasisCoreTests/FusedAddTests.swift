import Testing
@testable import StasisCore

/// The add of HNSW and IVF indexes straight from the caller's buffer (fshim_add_unit: rows checked
/// first, then normalised piece by piece or where the HNSW construction reads them, no normalised
/// copy of the batch) against the copy path (UnitRows, then fshim_add), which `forceCopyAdd`
/// keeps reachable as the reference: the two must build the same index bit for bit.
@Suite struct FusedAddTests {
    /// 512 floats a row: the normalisation pieces are 4,096 rows, so a 4,500-row add spans two.
    static let dimension = 512
    static let count = 4_500

    static func make(_ factory: String, training: [Float]) throws -> VersionedIndex {
        let index = try VersionedIndex(dimension: dimension, factory: factory)
        if !index.isTrained { try index.train(training, count: training.count / dimension, dimension: dimension) }
        return index
    }

    /// Adds through the buffer form (what the C ABI and Python call).
    static func add(_ index: VersionedIndex, _ rows: [Float], ids: [Int64], version: UInt32) throws {
        try rows.withUnsafeBufferPointer { try index.add($0, dimension: dimension, ids: ids, version: version) }
    }

    static func expectSame(_ a: VersionedIndex, _ b: VersionedIndex, queries: [Float]) throws {
        let d = dimension
        #expect(a.count == b.count)
        #expect(a.countsByVersion == b.countsByVersion)
        // The whole Faiss payload: storage or codes, inverted lists, graph.
        let payload = try a.lock.reading { try a.faiss.serialized() }
        #expect(try b.lock.reading { try b.faiss.serialized() } == payload)
        let options = SearchOptions(efSearch: 64, nprobe: 4)
        let ra = try a.search(queries, count: queries.count / d, dimension: d, k: 10, options: options)
        let rb = try b.search(queries, count: queries.count / d, dimension: d, k: 10, options: options)
        #expect(ra.ids == rb.ids)
        #expect(ra.scores == rb.scores)
    }

    @Test(arguments: ["HNSW16", "HNSW16,SQ8", "IVF8,Flat", "IVF8,SQ8", "IVF8,PQ16"])
    func fusedAddBuildsWhatTheCopyPathBuilds(factory: String) throws {
        let d = Self.dimension, n = Self.count
        let data = TestVectors.clustered(count: n + 1_000 + 30, dimension: d)
        // Not unit length: the normalisation is part of what is compared.
        let rows = data[..<(n * d)].enumerated().map { $0.element * Float(1 + $0.offset % 3) }
        let training = Array(data[(n * d)..<((n + 1_000) * d)])
        let queries = Array(data[((n + 1_000) * d)...])
        let fused = try Self.make(factory, training: training)
        let copy = try Self.make(factory, training: training)
        copy.forceCopyAdd = true
        // Two batches (the second adds to a non-empty graph or lists), then an upsert.
        for index in [fused, copy] {
            try Self.add(index, Array(rows[..<(200 * d)]), ids: (0..<200).map { Int64($0) }, version: 1)
            try Self.add(index, Array(rows[(200 * d)...]), ids: (200..<n).map { Int64($0) }, version: 1)
            try Self.add(index, Array(rows[..<(50 * d)]).map { -$0 }, ids: (0..<50).map { Int64($0 * 7) }, version: 2)
        }
        try Self.expectSame(fused, copy, queries: queries)
        #expect(fused.count == n)
        #expect(fused.count(version: 2) == 50)
    }

    /// A bad row in the second piece refuses the whole batch before anything is stored, with the
    /// copy path's message; the index is unchanged and the next add matches the reference's.
    @Test(arguments: ["HNSW16", "IVF8,Flat"])
    func badRowRefusesTheBatchBeforeAnyPiece(factory: String) throws {
        let d = Self.dimension, n = Self.count
        let data = TestVectors.clustered(count: n + 100, dimension: d)
        let training = Array(data[..<(1_000 * d)])
        let fused = try Self.make(factory, training: training)
        let copy = try Self.make(factory, training: training)
        copy.forceCopyAdd = true
        for index in [fused, copy] {
            try Self.add(index, Array(data[..<(100 * d)]), ids: (0..<100).map { Int64($0) }, version: 1)
        }
        var bad = Array(data[(100 * d)...])
        bad[4_400 * d + 3] = .infinity
        bad[(n - 1) * d] = .nan  // a later bad row: the first one is reported
        let ids = (0..<n).map { Int64(1_000 + $0) }
        for index in [fused, copy] {
            #expect(throws: StasisError.invalid("vector 4400 has a non-finite value (inf) at component 3")) {
                try Self.add(index, bad, ids: ids, version: 2)
            }
            #expect(index.count == 100)
            #expect(index.lock.reading { index.faiss.count } == 100)
        }
        for index in [fused, copy] {
            try Self.add(index, Array(bad[..<(300 * d)]), ids: Array(ids[..<300]), version: 3)
        }
        try Self.expectSame(fused, copy, queries: Array(data[..<(5 * d)]))
    }

    /// Before training, the fused add reports what the copy path reports.
    @Test func untrainedIVFRefusesTheAdd() throws {
        let d = Self.dimension
        let index = try VersionedIndex(dimension: d, factory: "IVF8,Flat")
        let rows = TestVectors.clustered(count: 3, dimension: d)
        #expect(throws: StasisError.self) { try Self.add(index, rows, ids: [1, 2, 3], version: 1) }
        #expect(index.count == 0)
    }
}

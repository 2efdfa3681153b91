import Testing
@testable import StasisCore

/// The Flat add's fused path (fshim_flat_add_unit: validation, normalisation and the append in
/// one parallel pass over the caller's rows) against the copy path it replaced (UnitRows, then
/// Faiss's own IndexFlat::add), which `forceCopyAdd` keeps reachable as the reference.
@Suite struct FlatAddTests {
    static let dimension = 100  // not a multiple of 8 or 16: kernel tails on every row

    /// Two empty Flat indexes: the fused one and the copy-path reference.
    static func pair() throws -> (fused: VersionedIndex, copy: VersionedIndex) {
        let fused = try VersionedIndex(dimension: dimension, factory: "Flat")
        let copy = try VersionedIndex(dimension: dimension, factory: "Flat")
        copy.forceCopyAdd = true
        return (fused, copy)
    }

    static func stored(_ index: VersionedIndex) throws -> [Float] {
        try index.lock.reading {
            try index.faiss.reconstruct((0..<Int64(index.faiss.count)).map { $0 }, dimension: dimension)
        }
    }

    static func expectSame(_ a: VersionedIndex, _ b: VersionedIndex, queries: [Float], count: Int) throws {
        // Bit for bit the same stored vectors, slots, versions and search results.
        #expect(try stored(a) == stored(b))
        #expect(a.count == b.count)
        #expect(a.countsByVersion == b.countsByVersion)
        #expect(a.liveIDs() == b.liveIDs())
        let ra = try a.search(queries, count: count, dimension: dimension, k: 10)
        let rb = try b.search(queries, count: count, dimension: dimension, k: 10)
        #expect(ra.scores == rb.scores)
        #expect(ra.ids == rb.ids)
        #expect(ra.versions == rb.versions)
    }

    /// Large enough (12 MB) for the parallel page population of the storage's new tail, in
    /// batches that grow the storage several times, with an upsert batch in the middle.
    @Test func fusedAddStoresExactlyWhatTheCopyPathStores() throws {
        let count = 30_000, d = Self.dimension
        let all = TestVectors.clustered(count: count + 40, dimension: d)
        let rows = Array(all[..<(count * d)]), queries = Array(all[(count * d)...])
        let (fused, copy) = try Self.pair()
        let batches = [(0, 7), (7, 20_007), (20_007, count)]
        for (start, end) in batches {
            let ids = (start..<end).map { Int64($0 * 3) }
            let slice = Array(rows[(start * d)..<(end * d)])
            try fused.add(slice, dimension: d, ids: ids, version: 1)
            try copy.add(slice, dimension: d, ids: ids, version: 1)
        }
        // Upsert with ids in no particular order (the duplicate check's set path), new version.
        let upsert = (0..<500).map { Int64(($0 * 7919) % count) * 3 }
        let values = Array(rows[(1000 * d)..<(1500 * d)]).map { $0 * 3 }  // not unit length
        try fused.add(values, dimension: d, ids: upsert, version: 2)
        try copy.add(values, dimension: d, ids: upsert, version: 2)
        try Self.expectSame(fused, copy, queries: queries, count: 40)
        #expect(fused.count == count)
        #expect(fused.count(version: 2) == 500)
    }

    /// The buffer form (what the C ABI calls, without copying the caller's array) is the same add.
    @Test func bufferFormMatchesArrayForm() throws {
        let d = Self.dimension
        let rows = TestVectors.clustered(count: 300, dimension: d)
        let (fused, copy) = try Self.pair()
        try rows.withUnsafeBufferPointer { try fused.add($0, dimension: d, ids: (0..<300).map { Int64($0) }, version: 4) }
        try copy.add(rows, dimension: d, ids: (0..<300).map { Int64($0) }, version: 4)
        try Self.expectSame(fused, copy, queries: Array(rows[..<(5 * d)]), count: 5)
        let short = Array(rows[..<(d - 1)])
        #expect(throws: StasisError.invalid("vector buffer holds 99 floats, expected 1 x 100")) {
            try short.withUnsafeBufferPointer { try fused.add($0, dimension: d, ids: [9999], version: 4) }
        }
    }

    /// A bad row anywhere in a batch refuses the whole batch with the copy path's message (the
    /// first bad row, its component), and nothing is stored: counts, storage and results are
    /// unchanged and a later good batch lands exactly as on the reference.
    @Test(arguments: [
        (Float.nan, 1, 321, "vector 321 has a non-finite value (nan) at component 1"),
        (Float.infinity, 99, 4_999, "vector 4999 has a non-finite value (inf) at component 99"),
        (-Float.infinity, 0, 0, "vector 0 has a non-finite value (-inf) at component 0"),
        (0, -1, 2_500, "vector 2500 is a zero vector; cosine similarity needs a direction"),
        (1e30, -1, 17, "vector 17 is too large to normalise in float32"),
    ])
    func badRowsRefuseTheBatch(value: Float, component: Int, row: Int, message: String) throws {
        let d = Self.dimension, count = 5_000
        let base = TestVectors.clustered(count: count + 60, dimension: d)
        let (fused, copy) = try Self.pair()
        for index in [fused, copy] {
            try index.add(Array(base[..<(50 * d)]), dimension: d, ids: (0..<50).map { Int64($0) }, version: 1)
        }
        var bad = Array(base[(60 * d)...])
        if component >= 0 {
            bad[row * d + component] = value
        } else {
            for j in 0..<d { bad[row * d + j] = value }
        }
        // A second bad row later in the batch: the first one is the one reported.
        if row + 1 < count { bad[(count - 1) * d] = .nan }
        let ids = (0..<count).map { Int64(1000 + $0) }
        let before = try Self.stored(fused)
        for index in [fused, copy] {
            #expect(throws: StasisError.invalid(message)) { try index.add(bad, dimension: d, ids: ids, version: 2) }
            #expect(index.count == 50)
            #expect(index.count(version: 2) == 0)
            #expect(index.lock.reading { index.faiss.count } == 50)
        }
        #expect(try Self.stored(fused) == before)
        // The index still works, and the next add is the reference's.
        let good = Array(base[(50 * d)..<(60 * d)])
        for index in [fused, copy] { try index.add(good, dimension: d, ids: (50..<60).map { Int64($0) }, version: 3) }
        try Self.expectSame(fused, copy, queries: Array(base[..<(8 * d)]), count: 8)
    }

    /// A bad last row (the last chunk a thread takes) refuses the batch too.
    @Test func badLastRowRefusesTheBatch() throws {
        let d = Self.dimension, count = 1_001
        var rows = TestVectors.clustered(count: count, dimension: d)
        rows[(count - 1) * d + 5] = .nan
        let index = try VersionedIndex(dimension: d, factory: "Flat")
        #expect(throws: StasisError.invalid("vector 1000 has a non-finite value (nan) at component 5")) {
            try index.add(rows, dimension: d, ids: (0..<count).map { Int64($0) }, version: 1)
        }
        #expect(index.count == 0)
        #expect(index.lock.reading { index.faiss.count } == 0)
    }
}

import Testing
@testable import StasisCore

@Suite struct VersionedIndexTests {
    let dimension = 24

    @Test(arguments: ["Flat", "HNSW16", "IVF8,Flat", "IVF8,SQ8"])
    func storedVectorsFindThemselves(factory: String) throws {
        let index = try VersionedIndex(dimension: dimension, factory: factory)
        let data = TestVectors.make(count: 800, dimension: dimension)
        if !index.isTrained { try index.train(data, count: 800, dimension: dimension) }
        try index.add(data, dimension: dimension, ids: (0..<800).map { Int64($0) * 3 }, version: 5)
        let result = try index.search(
            Array(data[..<(20 * dimension)]), count: 20, dimension: dimension, k: 3,
            options: SearchOptions(efSearch: 64, nprobe: 8))
        let selfHits = (0..<20).filter { result.ids[$0 * 3] == Int64($0) * 3 }.count
        #expect(selfHits >= 19)
        #expect(result.versions.allSatisfy { $0 == 5 })
        #expect(index.count == 800)
        #expect(index.countsByVersion == [5: 800])
    }

    @Test func upsertReplacesAndRemoveHides() throws {
        let index = try VersionedIndex(dimension: dimension, factory: "HNSW16")
        let data = TestVectors.make(count: 100, dimension: dimension)
        try index.add(data, dimension: dimension, ids: Array(0..<100), version: 1)
        // id 0 now holds vector 50, as version 2.
        try index.add(TestVectors.row(data, 50, dimension: dimension), dimension: dimension, ids: [0], version: 2)
        #expect(index.count == 100)
        #expect(index.countsByVersion == [1: 99, 2: 1])
        #expect(index.versions(of: [0, 1, 500]) == [2, 1, nil])

        let hit = try index.search(TestVectors.row(data, 50, dimension: dimension), count: 1, dimension: dimension, k: 2)
        #expect(Set(hit.ids) == [0, 50])
        try index.remove(ids: [50])
        // A wide beam so the approximate graph search reaches every live vector.
        let after = try index.search(
            TestVectors.row(data, 50, dimension: dimension), count: 1, dimension: dimension, k: 100,
            options: SearchOptions(efSearch: 400))
        #expect(!after.ids.contains(50))
        #expect(after.ids.filter { $0 >= 0 }.count == 99)
        let onlyV2 = try index.search(
            TestVectors.row(data, 7, dimension: dimension), count: 1, dimension: dimension, k: 5,
            options: SearchOptions(version: 2))
        #expect(onlyV2.ids == [0, -1, -1, -1, -1])
        #expect(onlyV2.scores[1] == -.infinity)
    }

    @Test func failedCallsChangeNothing() throws {
        let index = try VersionedIndex(dimension: dimension, factory: "Flat")
        let data = TestVectors.make(count: 10, dimension: dimension)
        try index.add(data, dimension: dimension, ids: Array(0..<10), version: 1)
        var bad = data
        bad[5 * dimension] = .nan
        #expect(throws: StasisError.self) { try index.add(bad, dimension: dimension, ids: Array(10..<20), version: 2) }
        #expect(throws: StasisError.self) { try index.add(data, dimension: dimension, ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 9], version: 2) }
        #expect(throws: StasisError(.notFound, "id 77 is not in the index; nothing was removed")) {
            try index.remove(ids: [1, 77])
        }
        #expect(index.count == 10)
        #expect(index.countsByVersion == [1: 10])
    }

    @Test func refusesBadArguments() throws {
        #expect(throws: StasisError.self) { try VersionedIndex(dimension: 0, factory: "Flat") }
        #expect(throws: StasisError.self) { try VersionedIndex(dimension: 8, factory: "  ") }
        #expect(throws: StasisError.self) { try VersionedIndex(dimension: 8, factory: "Nonsense12") }
        let index = try VersionedIndex(dimension: 8, factory: "Flat")
        let row: [Float] = [1, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: StasisError(.dimensionMismatch, "vectors have dimension 4, index has 8")) {
            try index.search([1, 0, 0, 0], count: 1, dimension: 4, k: 1)
        }
        #expect(throws: StasisError(.invalidArgument, "k must be > 0, got 0")) {
            try index.search(row, count: 1, dimension: 8, k: 0)
        }
        #expect(throws: StasisError.self) { try index.search(row, count: 1, dimension: 8, k: 1, options: SearchOptions(efSearch: -1)) }
        #expect(throws: StasisError.self) { try index.add(row, dimension: 8, ids: [-1], version: 1) }
    }

    @Test func untrainedIndexSaysSo() throws {
        let index = try VersionedIndex(dimension: 8, factory: "IVF4,Flat")
        #expect(!index.isTrained)
        let rows = TestVectors.make(count: 2, dimension: 8)
        #expect(throws: StasisError.self) { try index.add(rows, dimension: 8, ids: [1, 2], version: 1) }
        do {
            try index.add(rows, dimension: 8, ids: [1, 2], version: 1)
        } catch let error as StasisError {
            #expect(error.code == .notTrained)
        }
    }
}

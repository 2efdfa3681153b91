import CFaissShim
import Foundation
import Testing
@testable import StasisCore

/// Flat inner-product searches through the gallery's 8-bit copy (flat_int8.cpp: an integer pass
/// over every row, float scores for the rows its error bound cannot rule out) against Faiss's
/// own float search of the same index. The path serves any batch size (one query has its own
/// kernel; two or three share the four-query one), galleries of 4,096 rows and more and k up to
/// a sixteenth of the gallery, on AVX2.
@Suite struct FlatInt8SearchTests {
    static func index(_ values: [Float], count: Int, dimension: Int) throws -> FaissIndex {
        let index = try FaissIndex(dimension: dimension, factory: "Flat")
        try index.add(try UnitRows(values, count: count, dimension: dimension, role: "vector"))
        return index
    }

    static func queries(_ values: [Float], count: Int, dimension: Int) throws -> UnitRows {
        try UnitRows(values, count: count, dimension: dimension, role: "query")
    }

    static func compare(
        _ index: FaissIndex, _ q: UnitRows, k: Int, filter: fshim_filter? = nil
    ) throws -> (scores: [Float], labels: [Int64]) {
        let ours = try index.search(q, k: k, options: SearchOptions(), filter: filter)
        let faiss = try index.search(q, k: k, options: SearchOptions(), filter: filter, faissOnly: true)
        FastPathTests.expectSameUpToTies(ours, faiss)
        return ours
    }

    /// Equal scores list the lower row first, and scores never increase along a query's list.
    static func expectOrdered(_ r: (scores: [Float], labels: [Int64]), k: Int) {
        var disorder = 0
        for start in stride(from: 0, to: r.labels.count, by: k) {
            for i in start..<(start + k - 1) where r.labels[i + 1] >= 0 {
                if r.scores[i] < r.scores[i + 1] { disorder += 1 }
                if r.scores[i] == r.scores[i + 1] && r.labels[i] > r.labels[i + 1] { disorder += 1 }
            }
        }
        #expect(disorder == 0)
    }

    // Galleries at the 4,096-row threshold and with a partial last tile of 16 rows; dimensions
    // that are not a multiple of the kernel's 4-byte groups; k at the sixteenth-of-gallery limit.
    @Test(arguments: [(4_096, 30, 20, 1), (9_001, 100, 45, 10), (9_001, 7, 33, 5), (20_000, 384, 70, 50),
                      (4_096, 64, 25, 256), (5_000, 96, 1, 10), (5_000, 96, 2, 10), (5_000, 33, 3, 4),
                      (6_000, 384, 1, 1), (6_000, 20, 5, 10)])
    func matchesFaissUpToTies(count: Int, dimension: Int, queries: Int, k: Int) throws {
        let all = TestVectors.clustered(count: count + queries, dimension: dimension, seed: UInt64(count + dimension))
        let index = try Self.index(Array(all[..<(count * dimension)]), count: count, dimension: dimension)
        let q = try Self.queries(Array(all[(count * dimension)...]), count: queries, dimension: dimension)
        Self.expectOrdered(try Self.compare(index, q, k: k), k: k)
    }

    /// Every row stored twice: the two copies score the same, the lower row comes first, and a
    /// pair split by the k-th place keeps its lower row.
    @Test func duplicateRowsTieInRowOrder() throws {
        let d = 48, distinct = 3_000
        let half = TestVectors.clustered(count: distinct + 30, dimension: d, seed: 5)
        let rows = Array(half[..<(distinct * d)])
        let index = try Self.index(rows + rows, count: 2 * distinct, dimension: d)
        let q = try Self.queries(Array(half[(distinct * d)...]), count: 30, dimension: d)
        // k = 7 splits the fourth pair at the k-th place: the lower row of it must be kept.
        let r = try Self.compare(index, q, k: 7)
        Self.expectOrdered(r, k: 7)
        for query in 0..<30 {
            let base = query * 7
            for pair in stride(from: base, to: base + 6, by: 2) {  // row i, then row i + 3000
                #expect(r.scores[pair] == r.scores[pair + 1])
                #expect(r.labels[pair] + Int64(distinct) == r.labels[pair + 1])
            }
            #expect(r.labels[base + 6] < Int64(distinct))
        }
    }

    /// Rows and queries with one dominant coordinate: the largest quantisation steps per row.
    @Test func spikyVectorsStayExact() throws {
        let d = 64, count = 6_000, queries = 40
        var values = TestVectors.clustered(count: count + queries, dimension: d, seed: 9).map { $0 * 0.05 }
        for row in 0..<(count + queries) { values[row * d + (row * 7) % d] += row % 2 == 0 ? 3 : -3 }
        let index = try Self.index(Array(values[..<(count * d)]), count: count, dimension: d)
        let q = try Self.queries(Array(values[(count * d)...]), count: queries, dimension: d)
        _ = try Self.compare(index, q, k: 10)
    }

    /// Rows within 1e-4 of one another: the 8-bit scores cannot tell them apart, so every row is
    /// a candidate and floats decide. 12,000 rows pass the 8,192 at which candidates are first
    /// pruned; 80,000 pass the 32,768 after which a query stops collecting and rescores every row.
    @Test(arguments: [(12_000, 32), (80_000, 16)])
    func nearTiesFallBackToFloatScores(count: Int, d: Int) throws {
        let noise = TestVectors.make(count: count + 25, dimension: d, seed: 21)
        let common = TestVectors.make(count: 1, dimension: d, seed: 22)
        let values = (0..<((count + 25) * d)).map { common[$0 % d] + 1e-4 * noise[$0] }
        let index = try Self.index(Array(values[..<(count * d)]), count: count, dimension: d)
        let q = try Self.queries(Array(values[(count * d)...]), count: 25, dimension: d)
        Self.expectOrdered(try Self.compare(index, q, k: 20), k: 20)
    }

    /// The copy grows with the gallery: rows added after a search are found by the next one.
    @Test func rowsAddedAfterASearchAreFound() throws {
        let d = 40, count = 5_000, queries = 24
        let all = TestVectors.clustered(count: count + queries, dimension: d, seed: 3)
        let index = try Self.index(Array(all[..<(count * d)]), count: count, dimension: d)
        let q = try Self.queries(Array(all[(count * d)...]), count: queries, dimension: d)
        _ = try Self.compare(index, q, k: 5)
        try index.add(q)  // each query is now row count + i
        let r = try Self.compare(index, q, k: 5)
        for i in 0..<queries {
            #expect(r.labels[i * 5] == Int64(count + i))
            #expect(abs(r.scores[i * 5] - 1) < 1e-5)
        }
    }

    /// Removed slots and a version restriction apply inside the 8-bit pass; scores agree bit
    /// for bit with the unfiltered search's for the rows both return.
    @Test(arguments: [false, true])
    func filteredMatchesFaiss(restrictVersion: Bool) throws {
        let d = 56, count = 7_000
        let all = TestVectors.clustered(count: count + 30, dimension: d, seed: 17)
        let index = try Self.index(Array(all[..<(count * d)]), count: count, dimension: d)
        let q = try Self.queries(Array(all[(count * d)...]), count: 30, dimension: d)
        let table = FastPathTests.Table(count: count)
        let unfiltered = try index.search(q, k: 10, options: SearchOptions(), filter: nil)
        let filtered = try table.alive.withUnsafeBufferPointer { alive in
            try table.versions.withUnsafeBufferPointer { versions in
                let filter = fshim_filter(alive: alive.baseAddress, versions: versions.baseAddress,
                                          restrict_version: restrictVersion ? 1 : 0, version: 2)
                return try Self.compare(index, q, k: 10, filter: filter)
            }
        }
        for query in 0..<30 {
            let mine = (query * 10)..<(query * 10 + 10)
            for i in mine where filtered.labels[i] >= 0 {
                let label = filtered.labels[i]
                #expect(table.alive[Int(label)] == 1)
                if restrictVersion { #expect(table.versions[Int(label)] == 2) }
                if let j = unfiltered.labels[mine].firstIndex(of: label) {
                    #expect(unfiltered.scores[j] == filtered.scores[i])
                }
            }
        }
    }

    /// A query's scores do not depend on the batch it comes in: one at a time (the one-query
    /// kernel) and in a batch of 40 give the same scores bit for bit.
    @Test func singleQueriesScoreLikeBatches() throws {
        let d = 100, count = 7_000, queries = 40
        let all = TestVectors.clustered(count: count + queries, dimension: d, seed: 31)
        let index = try Self.index(Array(all[..<(count * d)]), count: count, dimension: d)
        let q = try Self.queries(Array(all[(count * d)...]), count: queries, dimension: d)
        let batch = try index.search(q, k: 10, options: SearchOptions(), filter: nil)
        for i in [0, 17, 39] {
            let one = try Self.queries(Array(all[((count + i) * d)..<((count + i + 1) * d)]), count: 1, dimension: d)
            let r = try index.search(one, k: 10, options: SearchOptions(), filter: nil)
            #expect(r.labels == Array(batch.labels[(i * 10)..<(i * 10 + 10)]))
            #expect(r.scores == Array(batch.scores[(i * 10)..<(i * 10 + 10)]))
        }
    }

    /// Searches that race to build the copy all get the same answer.
    @Test func concurrentFirstSearchesAgree() throws {
        let d = 64, count = 8_000
        let all = TestVectors.clustered(count: count + 40, dimension: d, seed: 27)
        let index = try Self.index(Array(all[..<(count * d)]), count: count, dimension: d)
        let q = try Self.queries(Array(all[(count * d)...]), count: 40, dimension: d)
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            results.append(try? index.search(q, k: 10, options: SearchOptions(), filter: nil))
        }
        let all4 = results.values
        #expect(all4.count == 4)
        for r in all4 {
            #expect(r?.labels == all4[0]?.labels)
            #expect(r?.scores == all4[0]?.scores)
        }
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [(scores: [Float], labels: [Int64])?] = []
        func append(_ r: (scores: [Float], labels: [Int64])?) { lock.lock(); values.append(r); lock.unlock() }
    }
}

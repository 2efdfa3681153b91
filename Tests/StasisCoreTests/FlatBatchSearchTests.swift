import Testing
@testable import StasisCore

/// Unfiltered Flat batches (20 queries and up): the shim's blocked BLAS search with its parallel,
/// vectorised top-k pass against Faiss's own search of the same index.
@Suite struct FlatBatchSearchTests {
    // 9,000 rows cross the 4,096-row score blocks; 300 queries cross the 256-query blocks; 20 is
    // the smallest batch that takes this path.
    @Test(arguments: [(20, 1), (20, 10), (300, 10), (300, 100), (64, 9_500)])
    func matchesFaissUpToTies(queries: Int, k: Int) throws {
        let f = try FastPathTests.fixture("Flat", count: 9_000, queries: queries)
        let ours = try FastPathTests.search(f, k: k, options: SearchOptions())
        let faiss = try FastPathTests.search(f, k: k, options: SearchOptions(), faissOnly: true)
        FastPathTests.expectSameUpToTies(ours, faiss)
        if k > 9_000 {  // more than the gallery: the tail is padded
            #expect(ours.labels[9_000] == -1 && ours.scores[9_000] == -Float.infinity)
            #expect(ours.labels[8_999] >= 0)
        }
    }

    /// A gallery's scores keep their last bit when it moves between the unfiltered and the
    /// filtered path (its first removal, or a compaction): both use the same BLAS blocks.
    @Test func filteredAndUnfilteredPathsScoreAlike() throws {
        let f = try FastPathTests.fixture("Flat", count: 9_000, queries: 40)
        let all = FastPathTests.Table(count: 9_000)
        let everyone = FastPathTests.Table(alive: [UInt8](repeating: 1, count: 9_000), versions: all.versions)
        let unfiltered = try FastPathTests.search(f, k: 10, options: SearchOptions())
        let filtered = try FastPathTests.search(f, k: 10, options: SearchOptions(), table: everyone)
        #expect(unfiltered.scores == filtered.scores)
        #expect(unfiltered.labels == filtered.labels)
    }
}

extension FastPathTests.Table {
    init(alive: [UInt8], versions: [UInt32]) {
        self.alive = alive
        self.versions = versions
    }
}

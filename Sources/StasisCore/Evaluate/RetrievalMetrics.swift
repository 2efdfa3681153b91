/// Retrieval quality of one set of queries against one gallery; every value is a fraction in [0, 1].
///
/// Definitions (ranks are pessimistic: see `QueryRanking`):
/// - `top1`: fraction of queries whose first-ranked gallery entry has their class (CMC@1).
/// - `recall[k]`: fraction of queries with at least one entry of their class among the first k
///   (Recall@k as in metric learning, the same curve as CMC@k; `recall(at: 1) == top1`).
/// - `map`: mean over queries of average precision over all entries of the query's class.
public struct RetrievalMetrics: Sendable, Equatable, Codable {
    /// Number of queries averaged.
    public let queries: Int
    /// Top-1 accuracy (CMC@1).
    public let top1: Double
    /// The k values of `recall`, ascending, without repeats.
    public let ks: [Int]
    /// Recall@k for each k of `ks`, in the same order.
    public let recall: [Double]
    /// Mean average precision.
    public let map: Double

    /// Recall@k, or nil when `k` was not requested.
    public func recall(at k: Int) -> Double? { ks.firstIndex(of: k).map { recall[$0] } }

    init(rankings: [QueryRanking], ks: [Int]) {
        let n = Double(max(rankings.count, 1))
        queries = rankings.count
        top1 = Double(rankings.count { $0.firstCorrectRank == 1 }) / n
        self.ks = ks
        recall = ks.map { k in Double(rankings.count { $0.firstCorrectRank <= k }) / n }
        map = rankings.reduce(0.0) { $0 + $1.averagePrecision } / n
    }

    /// Checks and normalises a list of k values (each in 1...2^20), ascending, without repeats.
    static func checkedKs(_ ks: [Int]) throws -> [Int] {
        for k in ks where k < 1 || k > 1 << 20 {
            throw StasisError.invalid("every k must be in 1...\(1 << 20), got \(k)")
        }
        return Array(Set(ks)).sorted()
    }
}

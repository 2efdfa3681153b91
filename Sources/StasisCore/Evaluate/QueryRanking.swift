/// Where one query's correct answers land in its ranked gallery, under the pessimistic tie rule.
///
/// Tie rule: a gallery item scoring exactly as high as a correct item is ranked before it when it
/// is wrong. So a query is right at 1 only when its best correct item scores strictly above every
/// wrong one; a tie can only lower a metric, never raise it (a constant model scores 0, not 1/N).
/// Ties between two correct items do not matter: every metric here treats them alike.
struct QueryRanking {
    /// 1-based pessimistic rank of the best correct item.
    let firstCorrectRank: Int
    /// Average precision over all correct items.
    let averagePrecision: Double

    /// Ranks one query from its similarity row.
    /// - Parameters:
    ///   - scores: similarity to every gallery entry.
    ///   - labels: gallery labels, parallel to `scores`.
    ///   - label: the query's class.
    ///   - excluded: gallery index to skip (the query itself under leave-one-out), or -1.
    ///   - relevant: scratch buffer, reused across queries.
    /// - Returns: nil when no gallery entry has the query's class (callers check that first).
    static func rank(
        scores: UnsafeBufferPointer<Float>, labels: [Int64], label: Int64, excluded: Int,
        relevant: inout [Float], wrongBefore: inout [Int]
    ) -> QueryRanking? {
        relevant.removeAll(keepingCapacity: true)
        for j in 0..<scores.count where j != excluded && labels[j] == label { relevant.append(scores[j]) }
        guard !relevant.isEmpty else { return nil }
        relevant.sort(by: >)
        let count = relevant.count
        let lowest = relevant[count - 1]
        wrongBefore.removeAll(keepingCapacity: true)
        wrongBefore.append(contentsOf: repeatElement(0, count: count))
        // A wrong score s precedes every correct score <= s: the first such position in the
        // descending list is found by binary search and counted once (a difference array).
        for j in 0..<scores.count where j != excluded && labels[j] != label {
            let s = scores[j]
            if s < lowest { continue }
            var low = 0, high = count - 1
            while low < high {
                let mid = (low + high) / 2
                if relevant[mid] <= s { high = mid } else { low = mid + 1 }
            }
            wrongBefore[low] += 1
        }
        var wrong = 0
        var precisionSum = 0.0
        var first = 0
        for i in 0..<count {
            wrong += wrongBefore[i]
            let rank = i + 1 + wrong
            if i == 0 { first = rank }
            precisionSum += Double(i + 1) / Double(rank)
        }
        return QueryRanking(firstCorrectRank: first, averagePrecision: precisionSum / Double(count))
    }
}

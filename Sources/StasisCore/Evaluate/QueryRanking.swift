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
    ///   - relevant, wrongBefore, grid: scratch buffers, reused across queries.
    /// - Returns: nil when no gallery entry has the query's class (callers check that first).
    static func rank(
        scores: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int64>, label: Int64, excluded: Int,
        relevant: inout [Float], wrongBefore: inout [Int], grid: inout [Int]
    ) -> QueryRanking? {
        relevant.removeAll(keepingCapacity: true)
        for j in 0..<scores.count where j != excluded && labels[j] == label { relevant.append(scores[j]) }
        guard !relevant.isEmpty else { return nil }
        relevant.sort(by: >)
        let count = relevant.count
        let lowest = relevant[count - 1]
        wrongBefore.removeAll(keepingCapacity: true)
        wrongBefore.append(contentsOf: repeatElement(0, count: count))
        // A wrong score s precedes every correct score <= s. Its position in the descending list
        // (p = the number of correct scores > s) is counted once per position (a difference
        // array). p comes from a uniform grid over [lowest, best): each cell stores p at its lower
        // edge, then p is corrected by walking the few thresholds between that edge and s. A
        // binary search costs several mispredicted branches per gallery entry; this costs about
        // one predictable step. The walks make the result exact whatever the rounding of the cell.
        let best = relevant[0]
        if best > lowest {
            let cells = min(4 * count, 4096)
            let scale = Float(cells) / (best - lowest)
            grid.removeAll(keepingCapacity: true)
            var above = count
            for cell in 0..<cells {
                let edge = lowest + Float(cell) / scale
                while above > 0 && relevant[above - 1] <= edge { above -= 1 }
                grid.append(above)
            }
            relevant.withUnsafeBufferPointer { sorted in
                grid.withUnsafeBufferPointer { table in
                    wrongBefore.withUnsafeMutableBufferPointer { counts in
                        for j in 0..<scores.count where j != excluded && labels[j] != label {
                            let s = scores[j]
                            if s < lowest { continue }
                            if s >= best {
                                counts[0] &+= 1
                                continue
                            }
                            // NaN or +inf (a gap so small that `scale` overflowed) falls in the
                            // last cell; the walks below then find p exactly all the same.
                            let position = (s - lowest) * scale
                            var p = table[position >= 0 && position < Float(cells) ? Int(position) : cells - 1]
                            while p < count && sorted[p] > s { p &+= 1 }
                            while p > 0 && sorted[p &- 1] <= s { p &-= 1 }
                            counts[p] &+= 1
                        }
                    }
                }
            }
        } else {
            // Every correct score is equal: wrong scores >= it come first.
            for j in 0..<scores.count where j != excluded && labels[j] != label && scores[j] >= best { wrongBefore[0] += 1 }
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

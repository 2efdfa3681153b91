import COpenBLAS

/// Held-out scores of a fitted adapter: how close mapped rows land to their true counterparts
/// (mean cosine) and how often the true counterpart is the nearest of all held-out targets (R@1).
enum ValidationScores {
    /// Rows of the similarity matrix computed per block, bounding memory to block × count floats.
    static let block = 512

    /// R@1 compares every scored row with every other: quadratic, so it is measured among the
    /// first `recallLimit` held-out pairs only (a random subset: the split is a shuffle).
    static let recallLimit = 10_000

    /// `mapped` and `truth` are `count` unit rows of `dimension` floats each. The mean cosine
    /// covers every row; R@1 the first min(count, limit) rows, among themselves.
    static func measure(
        mapped: [Float], truth: [Float], count: Int, dimension: Int, limit: Int = recallLimit
    ) -> (meanCosine: Double, recallAt1: Double) {
        guard count > 0, limit > 0 else { return (0, 0) }
        var cosineSum = 0.0
        for r in 0..<count {
            var dot: Float = 0
            for j in 0..<dimension { dot += mapped[r * dimension + j] * truth[r * dimension + j] }
            cosineSum += Double(dot)
        }
        let scored = min(count, limit)
        var hits = 0
        var similarities = Array(repeating: Float(0), count: min(block, scored) * scored)
        mapped.withUnsafeBufferPointer { m in
            truth.withUnsafeBufferPointer { t in
                similarities.withUnsafeMutableBufferPointer { s in
                    guard let mBase = m.baseAddress, let tBase = t.baseAddress, let sBase = s.baseAddress else { return }
                    for start in stride(from: 0, to: scored, by: block) {
                        let rows = min(block, scored - start)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(scored), Int32(dimension),
                                    1, mBase + start * dimension, Int32(dimension), tBase, Int32(dimension), 0, sBase, Int32(scored))
                        for r in 0..<rows {
                            let row = sBase + r * scored
                            let own = row[start + r]
                            // A hit when no other target scores strictly higher than the true one.
                            var beaten = false
                            for j in 0..<scored where j != start + r && row[j] > own {
                                beaten = true
                                break
                            }
                            if !beaten { hits += 1 }
                        }
                    }
                }
            }
        }
        return (cosineSum / Double(count), Double(hits) / Double(scored))
    }
}

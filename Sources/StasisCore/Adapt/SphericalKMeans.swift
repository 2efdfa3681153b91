import CFaissShim

/// Spherical k-means on unit rows through Faiss's Clustering (the shim's fshim_kmeans): the
/// regions of a local adapter and the anchors of an unpaired fit.
enum SphericalKMeans {
    /// Centroids (k × dimension, unit rows) of `rows` unit rows. Deterministic for a seed.
    /// - Throws: `.invalidArgument` when k is not in 1...rows; `.outOfMemory`, `.internalError`
    ///   when Faiss fails.
    static func centroids(of values: [Float], rows: Int, dimension: Int, k: Int, iterations: Int = 25,
                          seed: UInt64) throws -> [Float] {
        guard (1...max(rows, 1)).contains(k), rows >= 1 else {
            throw StasisError.invalid("k-means needs 1 <= k <= rows, got k = \(k) for \(rows) rows")
        }
        let initial = plusPlusSeeds(values, rows: rows, dimension: dimension, k: k, seed: seed)
        var centroids = [Float](repeating: 0, count: k * dimension)
        var message = [CChar](repeating: 0, count: Int(FSHIM_ERR_LEN))
        let code = values.withUnsafeBufferPointer { x in
            centroids.withUnsafeMutableBufferPointer { c in
                message.withUnsafeMutableBufferPointer { m in
                    fshim_kmeans(Int64(dimension), Int64(rows), x.baseAddress, Int64(k), Int32(iterations), seed,
                                 initial, c.baseAddress, m.baseAddress)
                }
            }
        }
        guard code == Int32(FSHIM_OK) else {
            let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw StasisError(code == Int32(FSHIM_NO_MEMORY) ? .outOfMemory : .internalError, "k-means failed: \(reason)")
        }
        return centroids
    }

    /// k-means++ seeding (Arthur & Vassilvitskii, 2007) for cosine: each next seed is a row drawn
    /// with probability proportional to (1 − its best cosine to the seeds so far)². Faiss starts
    /// from random rows, which often puts two seeds in one group and none in another; the
    /// unpaired fit needs both sides' groups found alike.
    static func plusPlusSeeds(_ values: [Float], rows: Int, dimension: Int, k: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        var seeds = [Float]()
        seeds.reserveCapacity(k * dimension)
        var best = [Float](repeating: -1, count: rows)
        var next = Int(generator.next() % UInt64(rows))
        for _ in 0..<k {
            seeds += values[(next * dimension)..<((next + 1) * dimension)]
            var total: Double = 0
            var weights = [Double](repeating: 0, count: rows)
            for r in 0..<rows {
                var dot: Float = 0
                for c in 0..<dimension { dot += values[r * dimension + c] * values[next * dimension + c] }
                best[r] = max(best[r], dot)
                let distance = Double(max(0, 1 - best[r]))
                weights[r] = distance * distance
                total += weights[r]
            }
            guard total > 0 else {
                next = Int(generator.next() % UInt64(rows))
                continue
            }
            var target = Double(generator.next() >> 11) / Double(1 << 53) * total
            next = rows - 1
            for r in 0..<rows {
                target -= weights[r]
                if target <= 0 { next = r; break }
            }
        }
        return seeds
    }

    /// Index of the nearest centroid (largest inner product) of each row.
    static func assign(_ values: [Float], rows: Int, dimension: Int, centroids: [Float], k: Int) -> [Int] {
        var nearest = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            var best = -Float.infinity
            for j in 0..<k {
                var dot: Float = 0
                for c in 0..<dimension { dot += values[r * dimension + c] * centroids[j * dimension + c] }
                if dot > best { best = dot; nearest[r] = j }
            }
        }
        return nearest
    }
}

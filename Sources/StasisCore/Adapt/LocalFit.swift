/// Local adapters (after Local Drift Adapters, 2026): one Procrustes rotation per k-means region
/// of the source space instead of one for the whole space.
extension Adapter {
    /// Pairs each cluster should have on average; the default cluster count follows from it.
    static let pairsPerCluster = 128

    /// min(32, pairs / 128), at least 2: enough pairs per region that its rotation is more than
    /// the global one, few enough regions that routing stays cheap (32 rotations at most).
    static func defaultClusters(trainingPairs: Int) -> Int {
        max(2, min(32, trainingPairs / pairsPerCluster))
    }

    /// Centroids by spherical k-means of the source rows; cluster j's rotation maximises
    /// trace(Rᵀ (X_jᵀ Y_j + (n_j / n) Xᵀ Y)): its own pairs plus the global cross-covariance at
    /// the cluster's share of the sample. The global term keeps a region with fewer pairs than
    /// dimensions from getting an arbitrary rotation in the directions its pairs do not span.
    static func localMap(_ x: DenseMatrix, _ y: DenseMatrix, clusters: Int, routing: Int, seed: UInt64) throws -> LocalMap {
        let n = x.rows, ds = x.columns, dt = y.columns
        guard n >= 8 * clusters else {
            throw StasisError.invalid(
                "too few pairs: a local adapter with \(clusters) clusters needs at least \(8 * clusters) training pairs, got \(n)")
        }
        let sourceRows = floats(x)
        let centroids = try SphericalKMeans.centroids(of: sourceRows, rows: n, dimension: ds, k: clusters, seed: seed)
        let region = SphericalKMeans.assign(sourceRows, rows: n, dimension: ds, centroids: centroids, k: clusters)
        let global = x.multiplied(transposed: true, by: y)
        var rotations = [Float]()
        rotations.reserveCapacity(clusters * dt * ds)
        for cluster in 0..<clusters {
            let members = (0..<n).filter { region[$0] == cluster }
            var cross = global
            let share = Double(max(members.count, 1)) / Double(n)
            for i in cross.values.indices { cross.values[i] *= share }
            if !members.isEmpty {
                let own = selectRows(x, members).multiplied(transposed: true, by: selectRows(y, members))
                for i in cross.values.indices { cross.values[i] += own.values[i] }
            }
            let (u, _, vt) = try Lapack.svd(cross)
            rotations += floats(u.multiplied(by: vt).transposed.values)  // out × in
        }
        return LocalMap(clusters: clusters, sourceDimension: ds, targetDimension: dt, centroids: centroids,
                        rotations: rotations, routing: routing, temperature: LocalMap.defaultTemperature)
    }

    private static func selectRows(_ matrix: DenseMatrix, _ indices: [Int]) -> DenseMatrix {
        var result = DenseMatrix(zeros: indices.count, matrix.columns)
        for (r, index) in indices.enumerated() {
            for c in 0..<matrix.columns { result.values[r * matrix.columns + c] = matrix.values[index * matrix.columns + c] }
        }
        return result
    }
}

import COpenBLAS
import Glibc

/// The map of a local adapter: k centroids of the (unit) source space and one rotation per
/// centroid. A row x is mapped by its `routing` nearest centroids (cosine), weighted by a softmax
/// of their similarities at `temperature`: y = Σ_j w_j · x R_jᵀ. Rows near one centroid get that
/// region's rotation; rows between regions a blend, so the map has no seams.
struct LocalMap: Equatable {
    let clusters: Int
    let sourceDimension: Int
    let targetDimension: Int
    /// clusters × sourceDimension, unit rows.
    let centroids: [Float]
    /// clusters × targetDimension × sourceDimension: cluster j's rotation in out × in layout.
    let rotations: [Float]
    /// Nearest clusters mixed per row, 1...clusters.
    let routing: Int
    /// Softmax temperature over cosine similarities (smaller = harder routing).
    let temperature: Float

    /// Routing weights used when a fit does not say otherwise: the three nearest clusters at a
    /// temperature where a 0.05 cosine lead weighs e ≈ 2.7 times more (docs/adapters.md).
    static let defaultTemperature: Float = 0.05

    /// Maps `rows` unit rows; returns rows × targetDimension floats.
    func apply(_ x: UnsafePointer<Float>, rows: Int) -> [Float] {
        let k = clusters, ds = sourceDimension, dt = targetDimension
        var similarity = [Float](repeating: 0, count: rows * k)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(k), Int32(ds),
                    1, x, Int32(ds), centroids, Int32(ds), 0, &similarity, Int32(k))
        // Per cluster, the rows it serves and their weights (each row lands in `routing` lists).
        var members = [[Int]](repeating: [], count: k)
        var weights = [[Float]](repeating: [], count: k)
        let m = min(routing, k)
        for r in 0..<rows {
            let row = Array(similarity[(r * k)..<((r + 1) * k)])
            let nearest = (0..<k).sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(m)
            let top = row[nearest.first!]
            let raw = nearest.map { expf((row[$0] - top) / temperature) }
            let total = raw.reduce(0, +)
            for (cluster, weight) in zip(nearest, raw) {
                members[cluster].append(r)
                weights[cluster].append(weight / total)
            }
        }
        var output = [Float](repeating: 0, count: rows * dt)
        rotations.withUnsafeBufferPointer { all in
            for cluster in 0..<k where !members[cluster].isEmpty {
                let served = members[cluster]
                var gathered = [Float](repeating: 0, count: served.count * ds)
                for (i, r) in served.enumerated() {
                    for c in 0..<ds { gathered[i * ds + c] = x[r * ds + c] }
                }
                var mapped = [Float](repeating: 0, count: served.count * dt)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(served.count), Int32(dt), Int32(ds),
                            1, gathered, Int32(ds), all.baseAddress! + cluster * dt * ds, Int32(ds), 0, &mapped, Int32(dt))
                for (i, r) in served.enumerated() {
                    let weight = weights[cluster][i]
                    for c in 0..<dt { output[r * dt + c] += weight * mapped[i * dt + c] }
                }
            }
        }
        return output
    }
}

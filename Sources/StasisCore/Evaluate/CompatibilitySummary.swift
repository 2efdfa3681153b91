/// The sequence metrics of a compatibility matrix (docs: science.md §2).
///
/// `matrix[t][k]` for k ≤ t: queries of version t against the gallery of version k; entries above
/// the diagonal are ignored. Indexes below are 0-based.
/// - AC = 2/(T(T−1)) · Σ_{t>k} 1[M[t][k] > M[k][k]] (strict: a tie is not compatible; T = 1 → 0).
/// - AM = mean of the T(T+1)/2 cells on and below the diagonal, zeros included.
/// - BC = mean over k < T−1 of M[T−1][k] − M[k][k] (the newest model against every older gallery).
/// - FC = mean over t ≥ 1 of M[t][t−1] − M[t][t] (each model against its predecessor's gallery).
/// BC and FC are nil for T = 1 (no pair of versions).
public struct CompatibilitySummary: Sendable, Equatable, Codable {
    /// Average compatibility, in [0, 1].
    public let ac: Double
    /// Average multi-model metric.
    public let am: Double
    /// Backward compatibility (nil for T = 1).
    public let bc: Double?
    /// Forward compatibility (nil for T = 1).
    public let fc: Double?

    /// Computes the summary of a T × T matrix (T ≥ 1).
    /// - Throws: `.invalidArgument` when the matrix is empty, not square, or has a NaN/Inf cell
    ///   on or below the diagonal.
    public init(matrix: [[Double]]) throws {
        try Self.check(matrix)
        let t = matrix.count
        var compatible = 0, sum = 0.0
        for row in 0..<t {
            for column in 0...row {
                sum += matrix[row][column]
                if column < row && matrix[row][column] > matrix[column][column] { compatible += 1 }
            }
        }
        ac = t > 1 ? Double(compatible) * 2 / Double(t * (t - 1)) : 0
        am = sum / Double(t * (t + 1) / 2)
        if t > 1 {
            var backward = 0.0, forward = 0.0
            for k in 0..<(t - 1) { backward += matrix[t - 1][k] - matrix[k][k] }
            for i in 1..<t { forward += matrix[i][i - 1] - matrix[i][i] }
            bc = backward / Double(t - 1)
            fc = forward / Double(t - 1)
        } else {
            bc = nil
            fc = nil
        }
    }

    static func check(_ matrix: [[Double]]) throws {
        guard !matrix.isEmpty else {
            throw StasisError.invalid("the compatibility matrix is empty (T = 0): evaluation needs at least one model version")
        }
        for (t, row) in matrix.enumerated() {
            guard row.count == matrix.count else {
                throw StasisError.invalid("the compatibility matrix must be square: row \(t) has \(row.count) entries, expected \(matrix.count)")
            }
            for k in 0...t where !row[k].isFinite {
                throw StasisError.invalid("compatibility matrix cell [\(t)][\(k)] is \(row[k]); cells on and below the diagonal must be finite")
            }
        }
    }
}

/// A row-major batch of float32 vectors, checked and scaled to unit L2 norm.
///
/// Cosine similarity is inner product on unit vectors, so every vector entering an index (stored
/// or query) passes through here. Zero rows are refused rather than skipped: a zero vector has no
/// direction, and silently dropping it would shift every later row's id.
struct UnitRows {
    let count: Int
    let dimension: Int
    private(set) var values: [Float]

    /// Validates `values` as `count` rows of `dimension` floats and normalises a copy.
    /// - Parameter role: names the rows in messages ("vector", "query", "training vector").
    init(_ values: [Float], count: Int, dimension: Int, role: String) throws {
        guard count >= 0 else { throw StasisError.invalid("\(role) count must be >= 0, got \(count)") }
        guard dimension > 0 else { throw StasisError.invalid("dimension must be > 0, got \(dimension)") }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow, values.count == expected else {
            throw StasisError.invalid(
                "\(role) buffer holds \(values.count) floats, expected \(count) x \(dimension)")
        }
        var normalized = values
        try normalized.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<count {
                let start = row * dimension
                var squares: Float = 0
                for j in start..<(start + dimension) {
                    let v = buffer[j]
                    guard v.isFinite else {
                        throw StasisError.invalid(
                            "\(role) \(row) has a non-finite value (\(v)) at component \(j - start)")
                    }
                    squares += v * v
                }
                guard squares > 0, squares.isFinite else {
                    throw StasisError.invalid(
                        squares == 0
                            ? "\(role) \(row) is a zero vector; cosine similarity needs a direction"
                            : "\(role) \(row) is too large to normalise in float32")
                }
                let scale = 1 / squares.squareRoot()
                for j in start..<(start + dimension) { buffer[j] *= scale }
            }
        }
        self.count = count
        self.dimension = dimension
        self.values = normalized
    }
}

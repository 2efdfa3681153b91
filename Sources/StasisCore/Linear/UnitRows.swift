import COpenBLAS

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
    /// `values` is consumed: a caller that hands over its only reference is not copied again.
    init(_ values: consuming [Float], count: Int, dimension: Int, role: String) throws {
        guard count >= 0 else { throw StasisError.invalid("\(role) count must be >= 0, got \(count)") }
        guard dimension > 0 else { throw StasisError.invalid("dimension must be > 0, got \(dimension)") }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow, values.count == expected else {
            throw StasisError.invalid(
                "\(role) buffer holds \(values.count) floats, expected \(count) x \(dimension)")
        }
        var normalized = consume values
        try normalized.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<count {
                let start = row * dimension
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + dimension)])
                // One SIMD pass (BLAS dot): NaN or Inf in any component makes the sum non-finite,
                // and only then is the row scanned again to name the culprit.
                let squares = cblas_sdot(Int32(dimension), slice.baseAddress, 1, slice.baseAddress, 1)
                guard squares.isFinite, squares > 0 else {
                    throw Self.rejection(UnsafeBufferPointer(slice), row: row, role: role, squares: squares)
                }
                cblas_sscal(Int32(dimension), 1 / squares.squareRoot(), slice.baseAddress, 1)
            }
        }
        self.count = count
        self.dimension = dimension
        self.values = normalized
    }

    /// Rows that are unit vectors already (read back from an index or a write-ahead log), taken
    /// as they are so a rebuild or a replay reproduces the stored values bit for bit.
    init(alreadyUnit values: [Float], count: Int, dimension: Int) {
        precondition(values.count == count * dimension, "caller checked the shape")
        self.count = count
        self.dimension = dimension
        self.values = values
    }

    /// The error for a row whose squared norm is not finite and positive (also used by the Flat
    /// add, which validates inside the shim and reports only the row).
    static func rejection(_ row: UnsafeBufferPointer<Float>, row index: Int, role: String) -> StasisError {
        rejection(row, row: index, role: role, squares: cblas_sdot(Int32(row.count), row.baseAddress, 1, row.baseAddress, 1))
    }

    private static func rejection(
        _ row: UnsafeBufferPointer<Float>, row index: Int, role: String, squares: Float
    ) -> StasisError {
        if let bad = row.firstIndex(where: { !$0.isFinite }) {
            return StasisError.invalid("\(role) \(index) has a non-finite value (\(row[bad])) at component \(bad)")
        }
        return StasisError.invalid(
            squares == 0
                ? "\(role) \(index) is a zero vector; cosine similarity needs a direction"
                : "\(role) \(index) is too large to normalise in float32")
    }
}

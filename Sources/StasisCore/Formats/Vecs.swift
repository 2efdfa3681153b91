/// The `.fvecs` / `.ivecs` layout of the ANN benchmark sets (SIFT, GIST, Deep1B): every row is a
/// little-endian Int32 width followed by that many Float32 (`.fvecs`) or Int32 (`.ivecs`) values.
/// There is no header, so the reader checks every row's width against the first and the file's
/// length against rows × (width + 1) × 4 before it trusts either.
public enum Vecs {
    /// Widest row accepted: the largest index dimension.
    static let maxWidth = 1 << 16

    /// Reads an `.fvecs` file as a rows × width matrix.
    /// - Throws: `.io`, `.corruptFile` (empty rows, a width outside 1...65536, rows of different
    ///   widths, a truncated last row), `.invalidArgument` for NaN or Inf values.
    public static func readFloats(_ path: String) throws -> Npy.Array2D<Float> {
        let (rows, width, words) = try parse(path)
        var values = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for j in 0..<width {
                let value = Float(bitPattern: words(r * (width + 1) + 1 + j))
                guard value.isFinite else {
                    throw StasisError(.invalidArgument, "'\(path)' row \(r) holds a NaN or infinite value")
                }
                values[r * width + j] = value
            }
        }
        return Npy.Array2D(rows: rows, columns: width, values: values)
    }

    /// Reads an `.ivecs` file (ground-truth neighbour lists, ids) as a rows × width matrix.
    public static func readIntegers(_ path: String) throws -> Npy.Array2D<Int64> {
        let (rows, width, words) = try parse(path)
        var values = [Int64](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for j in 0..<width { values[r * width + j] = Int64(Int32(bitPattern: words(r * (width + 1) + 1 + j))) }
        }
        return Npy.Array2D(rows: rows, columns: width, values: values)
    }

    /// Writes a rows × width Float32 matrix as `.fvecs`, atomically.
    public static func write(_ values: [Float], rows: Int, columns: Int, to path: String) throws {
        try write(rows: rows, columns: columns, to: path) { values[$0].bitPattern }
    }

    /// Writes a rows × width matrix of ids as `.ivecs`, atomically.
    /// - Throws: `.invalidArgument` for a value outside Int32 (the format's type).
    public static func writeIntegers(_ values: [Int64], rows: Int, columns: Int, to path: String) throws {
        if let wide = values.first(where: { Int32(exactly: $0) == nil }) {
            throw StasisError(.invalidArgument, "\(wide) does not fit .ivecs (Int32); write .npy instead")
        }
        try write(rows: rows, columns: columns, to: path) { UInt32(bitPattern: Int32(values[$0])) }
    }

    private static func write(rows: Int, columns: Int, to path: String, word: (Int) -> UInt32) throws {
        guard (1...maxWidth).contains(columns) else {
            throw StasisError(.invalidArgument, ".fvecs / .ivecs rows need 1...\(maxWidth) values, got \(columns)")
        }
        var words = [UInt32]()
        words.reserveCapacity(rows * (columns + 1))
        for r in 0..<rows {
            words.append(UInt32(columns).littleEndian)
            for j in 0..<columns { words.append(word(r * columns + j).littleEndian) }
        }
        let writer = try AtomicFileWriter(path: path)
        try writer.write(array: words)
        try writer.commit()
    }

    /// Rows, width and a reader of the file's little-endian 32-bit words.
    private static func parse(_ path: String) throws -> (Int, Int, (Int) -> UInt32) {
        let bytes = try readFile(path)
        func word(_ i: Int) -> UInt32 {
            UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24
        }
        guard bytes.count >= 4 else { throw StasisError(.corruptFile, "'\(path)' is empty or shorter than one row") }
        let width = Int(Int32(bitPattern: word(0)))
        guard (1...maxWidth).contains(width) else {
            throw StasisError(.corruptFile, "'\(path)' starts with a row width of \(width); expected 1...\(maxWidth)")
        }
        let rowBytes = 4 * (width + 1)
        guard bytes.count % rowBytes == 0 else {
            throw StasisError(.corruptFile,
                "'\(path)' is \(bytes.count) bytes, not a whole number of \(width)-wide rows (\(rowBytes) bytes each)")
        }
        let rows = bytes.count / rowBytes
        for r in 1..<max(rows, 1) where Int(Int32(bitPattern: word(r * (width + 1)))) != width {
            throw StasisError(.corruptFile, "'\(path)' row \(r) has width \(Int32(bitPattern: word(r * (width + 1)))), row 0 has \(width)")
        }
        return (rows, width, word)
    }
}

import StasisCore

// Arrays on the command line: `.npy` (numpy) or the `.fvecs` / `.ivecs` layout of the ANN
// benchmark sets, chosen by the file's extension.

private func isVecs(_ path: String, _ ext: String) -> Bool { path.lowercased().hasSuffix(ext) }

/// Vectors from `.fvecs`, else `.npy` (float32, float16 or float64).
func readVectors(_ path: String) throws -> Npy.Array2D<Float> {
    isVecs(path, ".fvecs") ? try Vecs.readFloats(path) : try Npy.readFloats(path)
}

/// Integers (ids) from `.ivecs`, else `.npy` (int64 or int32).
func readIntegers(_ path: String) throws -> Npy.Array2D<Int64> {
    isVecs(path, ".ivecs") ? try Vecs.readIntegers(path) : try Npy.readIntegers(path)
}

/// Writes vectors as `.fvecs` when the path says so, else `.npy` float32.
func writeVectors(_ values: [Float], rows: Int, columns: Int, to path: String) throws {
    if isVecs(path, ".fvecs") {
        try Vecs.write(values, rows: rows, columns: columns, to: path)
    } else {
        try Npy.write(values, rows: rows, columns: columns, to: path)
    }
}

/// Writes an id matrix as `.ivecs` when the path says so, else `.npy` int64.
func writeIntegers(_ values: [Int64], rows: Int, columns: Int, to path: String) throws {
    if isVecs(path, ".ivecs") {
        try Vecs.writeIntegers(values, rows: rows, columns: columns, to: path)
    } else {
        try Npy.writeIntegers(values, rows: rows, columns: columns, to: path)
    }
}

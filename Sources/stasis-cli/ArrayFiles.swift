import StasisCore

// Arrays on the command line: `.npy` (numpy) or the `.fvecs` / `.ivecs` layout of the ANN
// benchmark sets, chosen by the file's extension.

private func isVecs(_ path: String, _ ext: String) -> Bool { path.lowercased().hasSuffix(ext) }

/// Vectors from `.fvecs`, else `.npy` (float32, float16 or float64).
/// - Throws: `.invalidArgument` for an `.ivecs` file (ids where vectors belong), else the readers' errors.
func readVectors(_ path: String) throws -> Npy.Array2D<Float> {
    if isVecs(path, ".ivecs") {
        throw StasisError(.invalidArgument, "'\(path)': vectors are .npy or .fvecs; .ivecs holds ids or labels")
    }
    return isVecs(path, ".fvecs") ? try Vecs.readFloats(path) : try Npy.readFloats(path)
}

/// Integers (ids, labels) from `.ivecs`, else `.npy` (int64 or int32).
/// - Throws: `.invalidArgument` for an `.fvecs` file (vectors where ids belong), else the readers' errors.
func readIntegers(_ path: String) throws -> Npy.Array2D<Int64> {
    if isVecs(path, ".fvecs") {
        throw StasisError(.invalidArgument, "'\(path)': ids and labels are .npy or .ivecs; .fvecs holds vectors")
    }
    return isVecs(path, ".ivecs") ? try Vecs.readIntegers(path) : try Npy.readIntegers(path)
}

/// Writes vectors as `.fvecs` when the path says so, else `.npy` float32 (never under an `.ivecs` name).
func writeVectors(_ values: [Float], rows: Int, columns: Int, to path: String) throws {
    if isVecs(path, ".ivecs") {
        throw StasisError(.invalidArgument, "'\(path)': vectors are written as .npy or .fvecs, not .ivecs")
    }
    if isVecs(path, ".fvecs") {
        try Vecs.write(values, rows: rows, columns: columns, to: path)
    } else {
        try Npy.write(values, rows: rows, columns: columns, to: path)
    }
}

/// Writes an id matrix as `.ivecs` when the path says so, else `.npy` int64 (never under an `.fvecs` name).
func writeIntegers(_ values: [Int64], rows: Int, columns: Int, to path: String) throws {
    if isVecs(path, ".fvecs") {
        throw StasisError(.invalidArgument, "'\(path)': ids are written as .npy or .ivecs, not .fvecs")
    }
    if isVecs(path, ".ivecs") {
        try Vecs.writeIntegers(values, rows: rows, columns: columns, to: path)
    } else {
        try Npy.writeIntegers(values, rows: rows, columns: columns, to: path)
    }
}

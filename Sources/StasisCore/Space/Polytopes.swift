/// Vertex matrices of the regular polytopes, row-major K × d Float32.
///
/// Computed in Double with only IEEE-exact operations (+, −, ×, ÷, √), so the matrix is identical
/// on every machine: the space's fingerprint depends on it bit for bit.
enum Polytopes {
    /// Largest simplex built (K² floats; beyond this use a spherical code).
    static let maxSimplexClasses = 8192

    /// Regular simplex: T = [I_{K−1}; α·1ᵀ] with α = (1 − √K)/(K − 1), columns centred, rows
    /// normalised, so ⟨w_i, w_j⟩ = −1/(K−1) and Σ w_k = 0. Rows are normalised last: normalising
    /// the whole matrix first gives the right shape with rows far shorter than 1.
    static func simplex(classes k: Int) -> [Float] {
        let d = k - 1
        let alpha = (1 - Double(k).squareRoot()) / Double(d)
        // Column means: every column holds one 1 and one α; the rest are zeros.
        let mean = (1 + alpha) / Double(k)
        // Row i < d: e_i − mean; last row: α − mean everywhere. Their norms are equal by symmetry
        // for rows i < d, and the last row's follows from the same construction.
        let identityRowNorm = ((1 - mean) * (1 - mean) + Double(d - 1) * mean * mean).squareRoot()
        let lastRowNorm = (Double(d) * (alpha - mean) * (alpha - mean)).squareRoot()
        var vertices = [Float](repeating: 0, count: k * d)
        for i in 0..<d {
            for j in 0..<d {
                vertices[i * d + j] = Float(((i == j ? 1 : 0) - mean) / identityRowNorm)
            }
        }
        for j in 0..<d {
            vertices[d * d + j] = Float((alpha - mean) / lastRowNorm)
        }
        return vertices
    }

    /// Orthoplex: vertex 2i = +e_i, vertex 2i+1 = −e_i (antipodal pairs first, so the first classes
    /// assigned are as far apart as possible).
    static func orthoplex(classes k: Int, dimension d: Int) -> [Float] {
        var vertices = [Float](repeating: 0, count: k * d)
        for vertex in 0..<k {
            vertices[vertex * d + vertex / 2] = vertex % 2 == 0 ? 1 : -1
        }
        return vertices
    }

    /// Cube: vertex i has component j = −1/√d when bit j of i is set, +1/√d otherwise.
    static func cube(classes k: Int, dimension d: Int) -> [Float] {
        let value = Float(1 / Double(d).squareRoot())
        var vertices = [Float](repeating: 0, count: k * d)
        for vertex in 0..<k {
            for j in 0..<d {
                vertices[vertex * d + j] = (vertex >> j) & 1 == 1 ? -value : value
            }
        }
        return vertices
    }
}

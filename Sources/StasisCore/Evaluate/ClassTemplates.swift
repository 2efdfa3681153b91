import COpenBLAS

/// The template gallery: one L2-normalised mean of unit vectors per class, in ascending label order.
///
/// Under leave-one-out the query's own item must not vote for its own class's template, so the
/// class sums are kept and the query's class score is recomputed without that item:
/// ⟨q, S − g⟩ / ‖S − g‖ with ‖S − g‖² = ‖S‖² − 2⟨g, S⟩ + 1 (g is the left-out unit vector).
struct ClassTemplates {
    let labels: [Int64]
    /// Unit templates, or raw class sums when `keepSums` (scores are then divided by `norms`).
    let vectors: [Float]
    let squaredNorms: [Double]
    private let slot: [Int64: Int]
    private let dimension: Int
    private let keepSums: Bool

    init(gallery: LabelledVectors, role: String, keepSums: Bool) throws {
        let d = gallery.dimension
        labels = Array(Set(gallery.labels)).sorted()
        let slot = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var sums = [Double](repeating: 0, count: labels.count * d)
        for (i, label) in gallery.labels.enumerated() {
            guard let position = slot[label] else { continue }  // every label has a slot: built from them
            let base = position * d
            for j in 0..<d { sums[base + j] += Double(gallery.vectors[i * d + j]) }
        }
        var norms = [Double](repeating: 0, count: labels.count)
        var out = [Float](repeating: 0, count: sums.count)
        for c in 0..<labels.count {
            var squares = 0.0
            for j in 0..<d { squares += sums[c * d + j] * sums[c * d + j] }
            guard squares > 1e-12 else {
                throw StasisError.invalid(
                    "the vectors of class \(labels[c]) in the \(role) cancel out: their mean has no direction, so the class has no template")
            }
            norms[c] = squares
            let scale = keepSums ? 1 : 1 / squares.squareRoot()
            for j in 0..<d { out[c * d + j] = Float(sums[c * d + j] * scale) }
        }
        self.slot = slot
        self.vectors = out
        self.squaredNorms = norms
        self.dimension = d
        self.keepSums = keepSums
    }

    /// Rewrites a row of ⟨q, S_c⟩ into cosine scores against the templates, the query's own class
    /// template being recomputed without gallery item `item` (the same item as query `item`).
    func leaveOut(item: Int, of gallery: LabelledVectors, query: LabelledVectors, scores: UnsafeMutableBufferPointer<Float>) throws {
        for c in 0..<labels.count { scores[c] = Float(Double(scores[c]) / squaredNorms[c].squareRoot()) }
        let label = gallery.labels[item]
        guard let own = slot[label] else { return }
        let d = dimension
        var raw = 0.0, selfDot = 0.0, sumDot = 0.0
        for j in 0..<d {
            let g = Double(gallery.vectors[item * d + j])
            let q = Double(query.vectors[item * d + j])
            let s = Double(vectors[own * d + j])
            raw += q * s
            selfDot += q * g
            sumDot += g * s
        }
        let remaining = squaredNorms[own] - 2 * sumDot + 1
        guard remaining > 1e-9 else {
            throw StasisError.invalid(
                "without item \(item), the other items of class \(label) cancel out: the left-out template has no direction")
        }
        scores[own] = Float((raw - selfDot) / remaining.squareRoot())
    }
}

/// Sampled check of the two pair inequalities of compatibility (science.md §1, Shen et al. Def. 1),
/// with cosine distance d(a, b) = 1 − ⟨a, b⟩ on unit vectors:
/// - same class:      d(φ_t(x_i), φ_k(x_j)) ≤ d(φ_k(x_i), φ_k(x_j))
/// - different class: d(φ_t(x_i), φ_k(x_j)) ≥ d(φ_k(x_i), φ_k(x_j))
/// x_i is a query item (encoded by both versions: the query sets must hold the same items), x_j a
/// gallery item of version k. Pairs are drawn with a seeded generator: the same seed and inputs
/// give the same rates on every machine.
public struct PairSatisfaction: Sendable, Equatable, Codable {
    /// Fraction of sampled pairs satisfying the inequality (nil when no pair could be drawn).
    public let rate: Double?
    /// Number of pairs actually sampled.
    public let pairs: Int

    /// Samples `samples` same-class and `samples` different-class pairs for queries of version t
    /// (`newQueries`) against the gallery of version k.
    static func sample(
        newQueries: LabelledVectors, oldQueries: LabelledVectors, gallery: LabelledVectors, leaveOneOut: Bool,
        samples: Int, seed: UInt64
    ) -> (same: PairSatisfaction, different: PairSatisfaction) {
        var random = SplitMix64(seed: seed)
        var byLabel: [Int64: [Int]] = [:]
        for (j, label) in gallery.labels.enumerated() { byLabel[label, default: []].append(j) }
        let d = gallery.dimension
        func dot(_ a: [Float], _ i: Int, _ b: [Float], _ j: Int) -> Double {
            var sum = 0.0
            for c in 0..<d { sum += Double(a[i * d + c]) * Double(b[j * d + c]) }
            return sum
        }
        var sameHits = 0, samePairs = 0, differentHits = 0, differentPairs = 0
        for _ in 0..<samples {
            let i = random.below(newQueries.count)
            let members = byLabel[newQueries.labels[i]] ?? []
            guard !members.isEmpty else { continue }
            let j = members[random.below(members.count)]
            if leaveOneOut && j == i { continue }
            samePairs += 1
            // Larger similarity = smaller distance.
            if dot(newQueries.vectors, i, gallery.vectors, j) >= dot(oldQueries.vectors, i, gallery.vectors, j) { sameHits += 1 }
        }
        for _ in 0..<samples {
            let i = random.below(newQueries.count)
            var drawn: Int?
            for _ in 0..<32 {
                let j = random.below(gallery.count)
                if gallery.labels[j] != newQueries.labels[i] { drawn = j; break }
            }
            guard let j = drawn else { continue }
            differentPairs += 1
            if dot(newQueries.vectors, i, gallery.vectors, j) <= dot(oldQueries.vectors, i, gallery.vectors, j) { differentHits += 1 }
        }
        func make(_ hits: Int, _ pairs: Int) -> PairSatisfaction {
            PairSatisfaction(rate: pairs > 0 ? Double(hits) / Double(pairs) : nil, pairs: pairs)
        }
        return (make(sameHits, samePairs), make(differentHits, differentPairs))
    }
}

/// SplitMix64: a tiny, well-mixed, seedable generator (identical output on every platform).
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0); the modulo bias is below 2^-40 for any realistic bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

import CFaissShim

/// Spherical codes for K ≫ d (e.g. 100k identities in 256 dimensions), where no simplex fits.
///
/// Construction (deterministic, integer-only, so identical on every machine):
/// 1. candidates are ±1/√d sign vectors drawn from xoshiro256** seeded by (seed, K, d);
/// 2. a candidate is accepted when its dot product with every accepted vertex is at most a bound
///    τ (dots of sign vectors are integers: d − 2·Hamming distance, computed with popcount);
/// 3. τ starts where a random pair exceeds it with probability ≈ 1/(2K) (exact binomial tail),
///    and is relaxed by 2 when 256 candidates in a row are refused.
/// The result is a low-coherence code whose maximum pairwise cosine is exactly known.
struct SphericalCode {
    let vertices: [Float]
    /// Largest cosine between two distinct vertices.
    let maxCosine: Double

    static let maxClasses = 1 << 20

    init(classes k: Int, dimension d: Int, seed: UInt64) throws {
        guard d >= 2 else { throw StasisError.invalid("spherical-code needs dimension >= 2, got \(d)") }
        if d < 40 && ((1 as Int) << d) / 4 < k {
            throw StasisError.invalid("spherical-code cannot place \(k) well-separated vertices in \(d) dimensions; use more dimensions")
        }
        let words = (d + 63) / 64
        let lastMask: UInt64 = d % 64 == 0 ? ~0 : (1 << UInt64(d % 64)) - 1
        var generator = Xoshiro256(seed: seed ^ (UInt64(k) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(d) << 32))
        var bound = Self.initialBound(classes: k, dimension: d)
        var codes = [UInt64](repeating: 0, count: k * words)
        var accepted = 0
        var refusedInARow = 0
        var maxDot = -d
        var candidate = [UInt64](repeating: 0, count: words)
        while accepted < k {
            for w in 0..<words { candidate[w] = generator.next() }
            candidate[words - 1] &= lastMask
            var worst: Int32 = 0
            let fits = codes.withUnsafeBufferPointer { stored in
                fshim_sign_code_fits(
                    stored.baseAddress, Int64(accepted), Int32(words), Int32(d), candidate, Int32(bound), &worst) != 0
            }
            if fits {
                for w in 0..<words { codes[accepted * words + w] = candidate[w] }
                accepted += 1
                refusedInARow = 0
                if accepted > 1 { maxDot = max(maxDot, Int(worst)) }
            } else {
                refusedInARow += 1
                if refusedInARow == 256 {
                    bound += 2
                    refusedInARow = 0
                    guard bound < d else {
                        throw StasisError.invalid("spherical-code cannot separate \(k) vertices in \(d) dimensions")
                    }
                }
            }
        }
        let value = Float(1 / Double(d).squareRoot())
        var vertices = [Float](repeating: 0, count: k * d)
        for vertex in 0..<k {
            for j in 0..<d where (codes[vertex * words + j / 64] >> UInt64(j % 64)) & 1 == 1 {
                vertices[vertex * d + j] = -value
            }
            for j in 0..<d where vertices[vertex * d + j] == 0 { vertices[vertex * d + j] = value }
        }
        self.vertices = vertices
        self.maxCosine = k > 1 ? Double(maxDot) / Double(d) : -1
    }

    /// Smallest dot bound (same parity as d) at which a random pair exceeds it with probability
    /// at most 1/(2K): the exact binomial tail, computed with IEEE-exact arithmetic only.
    ///
    /// Terms are C(d, h) / 2^d; 2^−d underflows a Double beyond d ≈ 1074, so the terms are kept
    /// as C(d, h) scaled by 2^−scale and compared with target · 2^(d − scale), rescaling by powers
    /// of two (exact) whenever the running term grows large.
    static func initialBound(classes k: Int, dimension d: Int) -> Int {
        // P(dot > t) = P(differing < (d − t)/2) = Σ_{h < (d−t)/2} C(d, h) / 2^d.
        let target = 1 / (2 * Double(max(k, 1)))
        var term = 1.0, tail = 0.0
        var scale = 0  // term and tail are C(d, h) · 2^−scale and their running sum
        for h in 0...d {
            tail += term
            // tail · 2^(scale − d) > target  ⇔  tail > target · 2^(d − scale)
            if tail > Double(sign: .plus, exponent: d - scale, significand: target) {
                return max(d - 2 * h, -d + 2)
            }
            term = term * Double(d - h) / Double(h + 1)
            if term > 0x1p500 {
                term = Double(sign: .plus, exponent: -500, significand: term)
                tail = Double(sign: .plus, exponent: -500, significand: tail)
                scale += 500
            }
        }
        return d  // unreachable: the whole distribution sums to 1 > target
    }
}

/// xoshiro256** (Blackman & Vigna), seeded through splitmix64: fast, and identical everywhere.
struct Xoshiro256 {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }
}

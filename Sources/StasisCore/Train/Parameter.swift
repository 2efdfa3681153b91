/// One trainable tensor with its gradient, as the optimiser sees it.
final class Parameter {
    /// Tensor name suffix inside its layer ("weight", "bias").
    let name: String
    let shape: [Int]
    var values: [Float]
    /// Gradient of the last step's loss; overwritten (not accumulated) by each backward pass.
    var gradient: [Float]
    /// Weight decay applies to linear weights only, never to biases or norm parameters.
    let decays: Bool

    init(name: String, shape: [Int], values: [Float], decays: Bool) {
        self.name = name
        self.shape = shape
        self.values = values
        self.gradient = [Float](repeating: 0, count: values.count)
        self.decays = decays
    }
}

/// SplitMix64: a small seeded generator, so a seed fixes initialisation, split and shuffles on
/// every platform (Swift's SystemRandomNumberGenerator cannot be seeded).
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed ^ 0x5EED_5EED_5EED_5EED }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-bound, bound).
    mutating func uniform(_ bound: Float) -> Float {
        Float(next() >> 40) / Float(1 << 24) * 2 * bound - bound
    }

    /// Fisher–Yates with this generator (the standard library's shuffle may change its algorithm).
    mutating func shuffle(_ values: inout [Int]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            values.swapAt(i, j)
        }
    }
}

import COpenBLAS
import Glibc

/// An inference-ready layer. BatchNorm is folded into a per-channel affine map when loaded.
enum Layer: Equatable {
    /// y = x Wᵀ + b, W stored out × in (PyTorch's layout).
    case linear(weight: [Float], bias: [Float]?, inputs: Int, outputs: Int)
    case relu
    case gelu(tanhApproximation: Bool)
    /// Per row: (x − mean) / √(var + eps) · gamma + beta; gamma/beta nil when not affine.
    case layerNorm(gamma: [Float]?, beta: [Float]?, eps: Float)
    /// y = x · scale + shift per channel (folded BatchNorm).
    case affine(scale: [Float], shift: [Float])
    /// y = x + x₀ Wᵀ + b, x₀ the encoder's input: the linear skip of a residual head. W is
    /// outputs × inputs; it needs x₀, so the encoder applies it (`addSkip`), not `apply`.
    case skip(weight: [Float], bias: [Float]?, inputs: Int, outputs: Int)

    /// Output width given the input width.
    func outputWidth(_ width: Int) -> Int {
        if case .linear(_, _, _, let outputs) = self { return outputs }
        if case .skip(_, _, _, let outputs) = self { return outputs }
        return width
    }

    /// Applies the layer to `rows` rows of `width` values in `input`, writing to `output`
    /// (which may be the same buffer for element-wise layers).
    func apply(rows: Int, width: Int, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        switch self {
        case .linear(let weight, let bias, let inputs, let outputs):
            weight.withUnsafeBufferPointer { w in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs),
                            1, input, Int32(inputs), w.baseAddress, Int32(inputs), 0, output, Int32(outputs))
            }
            if let bias {
                bias.withUnsafeBufferPointer { b in
                    for r in 0..<rows {
                        let row = output + r * outputs
                        for j in 0..<outputs { row[j] += b[j] }
                    }
                }
            }
        case .relu:
            for i in 0..<(rows * width) { output[i] = max(input[i], 0) }
        case .gelu(let tanhApproximation):
            if tanhApproximation {
                let c: Float = 0.797_884_56  // √(2/π)
                for i in 0..<(rows * width) {
                    let x = input[i]
                    output[i] = 0.5 * x * (1 + tanhf(c * (x + 0.044715 * x * x * x)))
                }
            } else {
                for i in 0..<(rows * width) { output[i] = 0.5 * input[i] * (1 + erff(input[i] * 0.707_106_77)) }
            }
        case .layerNorm(let gamma, let beta, let eps):
            for r in 0..<rows {
                let x = input + r * width, y = output + r * width
                var mean: Float = 0
                for j in 0..<width { mean += x[j] }
                mean /= Float(width)
                var variance: Float = 0
                for j in 0..<width { variance += (x[j] - mean) * (x[j] - mean) }
                let inverse = 1 / (variance / Float(width) + eps).squareRoot()
                for j in 0..<width {
                    let normalized = (x[j] - mean) * inverse
                    y[j] = normalized * (gamma?[j] ?? 1) + (beta?[j] ?? 0)
                }
            }
        case .affine(let scale, let shift):
            for r in 0..<rows {
                let x = input + r * width, y = output + r * width
                for j in 0..<width { y[j] = x[j] * scale[j] + shift[j] }
            }
        case .skip:
            break  // needs the encoder input: see addSkip
        }
    }

    /// For `.skip`: output += x₀ Wᵀ + b over `rows` rows, x₀ the encoder's input rows.
    func addSkip(rows: Int, encoderInput: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        guard case .skip(let weight, let bias, let inputs, let outputs) = self else { return }
        weight.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs),
                        1, encoderInput, Int32(inputs), w.baseAddress, Int32(inputs), 1, output, Int32(outputs))
        }
        if let bias {
            for r in 0..<rows {
                let row = output + r * outputs
                for j in 0..<outputs { row[j] += bias[j] }
            }
        }
    }
}

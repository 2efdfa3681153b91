import COpenBLAS
import Glibc

/// A layer in training form: forward keeps what backward needs, backward writes parameter
/// gradients and returns the gradient with respect to the input. BatchNorm uses batch statistics
/// and updates running ones while training, and the running ones in evaluation (PyTorch's rules).
final class TrainableLayer {
    enum Kind: Equatable {
        case linear(inputs: Int, outputs: Int)
        case relu
        case gelu(tanhApproximation: Bool)
        case layerNorm(eps: Float)
        case batchNorm(eps: Float, momentum: Float)
    }

    let kind: Kind
    /// linear: weight (out × in), bias?; norms: weight (γ), bias (β).
    let parameters: [Parameter]
    var runningMean: [Float] = []
    var runningVariance: [Float] = []

    private var cachedInput: [Float] = []
    private var cachedNormalized: [Float] = []
    private var cachedInverse: [Float] = []

    init(kind: Kind, parameters: [Parameter]) {
        self.kind = kind
        self.parameters = parameters
        if case .batchNorm = kind, let width = parameters.first?.values.count {
            runningMean = [Float](repeating: 0, count: width)
            runningVariance = [Float](repeating: 1, count: width)
        }
    }

    /// PyTorch's default initialisation: linear weight and bias uniform in ±1/√in (kaiming
    /// uniform with a = √5), norm γ = 1 and β = 0.
    static func make(_ kind: Kind, width: Int, bias: Bool, generator: inout SeededGenerator) -> TrainableLayer {
        switch kind {
        case .linear(let inputs, let outputs):
            let bound = 1 / Float(inputs).squareRoot()
            var parameters = [Parameter(name: "weight", shape: [outputs, inputs],
                                        values: (0..<(inputs * outputs)).map { _ in generator.uniform(bound) }, decays: true)]
            if bias {
                parameters.append(Parameter(name: "bias", shape: [outputs],
                                            values: (0..<outputs).map { _ in generator.uniform(bound) }, decays: false))
            }
            return TrainableLayer(kind: kind, parameters: parameters)
        case .layerNorm, .batchNorm:
            return TrainableLayer(kind: kind, parameters: [
                Parameter(name: "weight", shape: [width], values: [Float](repeating: 1, count: width), decays: false),
                Parameter(name: "bias", shape: [width], values: [Float](repeating: 0, count: width), decays: false),
            ])
        case .relu, .gelu:
            return TrainableLayer(kind: kind, parameters: [])
        }
    }

    func outputWidth(_ width: Int) -> Int {
        if case .linear(_, let outputs) = kind { return outputs }
        return width
    }

    /// y for `rows` rows of `width`; `training` selects batch statistics for BatchNorm and caches
    /// the values backward needs.
    func forward(_ x: [Float], rows: Int, width: Int, training: Bool) -> [Float] {
        if training { cachedInput = x }
        switch kind {
        case .linear(let inputs, let outputs):
            var y = [Float](repeating: 0, count: rows * outputs)
            guard rows > 0 else { return y }
            let weight = parameters[0].values
            if parameters.count > 1 {
                let bias = parameters[1].values
                for r in 0..<rows { for j in 0..<outputs { y[r * outputs + j] = bias[j] } }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs),
                        1, x, Int32(inputs), weight, Int32(inputs), parameters.count > 1 ? 1 : 0, &y, Int32(outputs))
            return y
        case .relu:
            return x.map { max($0, 0) }
        case .gelu(let tanhApproximation):
            return x.map { Self.gelu($0, tanhApproximation: tanhApproximation).value }
        case .layerNorm(let eps):
            var y = x
            var normalized = x
            var inverses = [Float](repeating: 0, count: rows)
            let gamma = parameters[0].values, beta = parameters[1].values
            for r in 0..<rows {
                let base = r * width
                var mean: Float = 0
                for j in 0..<width { mean += x[base + j] }
                mean /= Float(width)
                var variance: Float = 0
                for j in 0..<width { variance += (x[base + j] - mean) * (x[base + j] - mean) }
                let inverse = 1 / (variance / Float(width) + eps).squareRoot()
                inverses[r] = inverse
                for j in 0..<width {
                    let n = (x[base + j] - mean) * inverse
                    normalized[base + j] = n
                    y[base + j] = n * gamma[j] + beta[j]
                }
            }
            if training {
                cachedNormalized = normalized
                cachedInverse = inverses
            }
            return y
        case .batchNorm(let eps, let momentum):
            let gamma = parameters[0].values, beta = parameters[1].values
            var mean = [Float](repeating: 0, count: width), variance = mean
            if training {
                for r in 0..<rows { for j in 0..<width { mean[j] += x[r * width + j] } }
                for j in 0..<width { mean[j] /= Float(rows) }
                for r in 0..<rows {
                    for j in 0..<width {
                        let c = x[r * width + j] - mean[j]
                        variance[j] += c * c
                    }
                }
                for j in 0..<width {
                    let unbiased = rows > 1 ? variance[j] / Float(rows - 1) : 0
                    variance[j] /= Float(rows)
                    runningMean[j] = (1 - momentum) * runningMean[j] + momentum * mean[j]
                    runningVariance[j] = (1 - momentum) * runningVariance[j] + momentum * unbiased
                }
            } else {
                mean = runningMean
                variance = runningVariance
            }
            let inverse = variance.map { 1 / ($0 + eps).squareRoot() }
            var y = x, normalized = x
            for r in 0..<rows {
                for j in 0..<width {
                    let n = (x[r * width + j] - mean[j]) * inverse[j]
                    normalized[r * width + j] = n
                    y[r * width + j] = n * gamma[j] + beta[j]
                }
            }
            if training {
                cachedNormalized = normalized
                cachedInverse = inverse
            }
            return y
        }
    }

    /// Gradient with respect to the input of the last training forward; writes parameter
    /// gradients. `needInput` false skips dX (first layer).
    func backward(_ dy: [Float], rows: Int, width: Int, needInput: Bool = true) -> [Float] {
        let x = cachedInput
        switch kind {
        case .linear(let inputs, let outputs):
            // dW = dYᵀ X (out × in), db = Σ_rows dY, dX = dY W.
            parameters[0].gradient.withUnsafeMutableBufferPointer { g in
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outputs), Int32(inputs), Int32(rows),
                            1, dy, Int32(outputs), x, Int32(inputs), 0, g.baseAddress, Int32(inputs))
            }
            if parameters.count > 1 {
                var db = [Float](repeating: 0, count: outputs)
                for r in 0..<rows { for j in 0..<outputs { db[j] += dy[r * outputs + j] } }
                parameters[1].gradient = db
            }
            guard needInput else { return [] }
            var dx = [Float](repeating: 0, count: rows * inputs)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(inputs), Int32(outputs),
                        1, dy, Int32(outputs), parameters[0].values, Int32(inputs), 0, &dx, Int32(inputs))
            return dx
        case .relu:
            var dx = dy
            for i in 0..<dx.count where x[i] <= 0 { dx[i] = 0 }
            return dx
        case .gelu(let tanhApproximation):
            var dx = dy
            for i in 0..<dx.count { dx[i] *= Self.gelu(x[i], tanhApproximation: tanhApproximation).derivative }
            return dx
        case .layerNorm:
            let gamma = parameters[0].values
            var dGamma = [Float](repeating: 0, count: width), dBeta = dGamma
            var dx = dy
            let n = Float(width)
            for r in 0..<rows {
                let base = r * width
                var sum: Float = 0, dot: Float = 0
                for j in 0..<width {
                    let g = dy[base + j]
                    dGamma[j] += g * cachedNormalized[base + j]
                    dBeta[j] += g
                    let dn = g * gamma[j]
                    sum += dn
                    dot += dn * cachedNormalized[base + j]
                }
                let inverse = cachedInverse[r]
                for j in 0..<width {
                    let dn = dy[base + j] * gamma[j]
                    dx[base + j] = inverse / n * (n * dn - sum - cachedNormalized[base + j] * dot)
                }
            }
            parameters[0].gradient = dGamma
            parameters[1].gradient = dBeta
            return dx
        case .batchNorm:
            let gamma = parameters[0].values
            var dGamma = [Float](repeating: 0, count: width), dBeta = dGamma
            var sum = dGamma, dot = dGamma
            for r in 0..<rows {
                for j in 0..<width {
                    let g = dy[r * width + j], normalized = cachedNormalized[r * width + j]
                    dGamma[j] += g * normalized
                    dBeta[j] += g
                    sum[j] += g * gamma[j]
                    dot[j] += g * gamma[j] * normalized
                }
            }
            var dx = dy
            let n = Float(rows)
            for r in 0..<rows {
                for j in 0..<width {
                    let dn = dy[r * width + j] * gamma[j]
                    dx[r * width + j] = cachedInverse[j] / n * (n * dn - sum[j] - cachedNormalized[r * width + j] * dot[j])
                }
            }
            parameters[0].gradient = dGamma
            parameters[1].gradient = dBeta
            return dx
        }
    }

    /// GELU and its derivative (exact: x·Φ(x); tanh: PyTorch's approximation).
    static func gelu(_ x: Float, tanhApproximation: Bool) -> (value: Float, derivative: Float) {
        if tanhApproximation {
            let c: Float = 0.797_884_56, a: Float = 0.044715
            let t = tanhf(c * (x + a * x * x * x))
            return (0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * a * x * x))
        }
        let cdf = 0.5 * (1 + erff(x * 0.707_106_77))
        let pdf = expf(-0.5 * x * x) * 0.398_942_28
        return (x * cdf, cdf + x * pdf)
    }
}

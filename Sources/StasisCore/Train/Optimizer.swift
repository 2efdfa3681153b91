import Glibc

/// SGD with momentum (PyTorch's form: v = μv + g + λp, p −= lr·v) or AdamW (decoupled decay:
/// p −= lr·λp, then the Adam step). Decay applies only to parameters marked `decays`.
struct Optimizer {
    let kind: TrainingOptions.OptimizerKind
    let momentum: Float
    let weightDecay: Float
    let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    private var first: [[Float]]
    private var second: [[Float]]
    private var steps = 0

    init(kind: TrainingOptions.OptimizerKind, parameters: [Parameter], momentum: Float, weightDecay: Float) {
        self.kind = kind
        self.momentum = momentum
        self.weightDecay = weightDecay
        first = parameters.map { [Float](repeating: 0, count: $0.values.count) }
        second = kind == .adamw ? first : []
    }

    mutating func step(_ parameters: [Parameter], learningRate lr: Float) {
        steps += 1
        let correction1 = 1 - powf(beta1, Float(steps)), correction2 = 1 - powf(beta2, Float(steps))
        for (index, parameter) in parameters.enumerated() {
            let decay = parameter.decays ? weightDecay : 0
            let count = parameter.values.count
            let gradient = parameter.gradient
            // Raw buffers: this loop touches every parameter every step (no per-element checks).
            parameter.values.withUnsafeMutableBufferPointer { p in
                first[index].withUnsafeMutableBufferPointer { m in
                    switch kind {
                    case .sgd:
                        for i in 0..<count {
                            m[i] = momentum * m[i] + gradient[i] + decay * p[i]
                            p[i] -= lr * m[i]
                        }
                    case .adamw:
                        second[index].withUnsafeMutableBufferPointer { v in
                            let stepSize = lr / correction1, shrink = 1 - lr * decay
                            for i in 0..<count {
                                let g = gradient[i]
                                p[i] *= shrink
                                m[i] = beta1 * m[i] + (1 - beta1) * g
                                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                                p[i] -= stepSize * m[i] / ((v[i] / correction2).squareRoot() + epsilon)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Learning rate at `step` of `total`: linear warm-up over `warmup` steps, then cosine decay
    /// to zero over the rest.
    static func learningRate(base: Float, step: Int, total: Int, warmup: Int) -> Float {
        if step < warmup { return base * Float(step + 1) / Float(warmup) }
        let span = max(total - warmup, 1)
        let progress = Float(step - warmup) / Float(span)
        return base * 0.5 * (1 + cosf(Float.pi * progress))
    }
}

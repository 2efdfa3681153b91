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
            switch kind {
            case .sgd:
                for i in 0..<count {
                    let g = parameter.gradient[i] + decay * parameter.values[i]
                    first[index][i] = momentum * first[index][i] + g
                    parameter.values[i] -= lr * first[index][i]
                }
            case .adamw:
                let stepSize = lr / correction1
                for i in 0..<count {
                    let g = parameter.gradient[i]
                    parameter.values[i] -= lr * decay * parameter.values[i]
                    first[index][i] = beta1 * first[index][i] + (1 - beta1) * g
                    second[index][i] = beta2 * second[index][i] + (1 - beta2) * g * g
                    let denominator = (second[index][i] / correction2).squareRoot() + epsilon
                    parameter.values[i] -= stepSize * first[index][i] / denominator
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

/// The residual MLP adapter (after Drift-Adapter, EMNLP 2025): a linear skip plus one hidden
/// layer, so it starts as the ridge map and learns only what a linear map cannot express.
extension Adapter {
    /// Rows per gradient step.
    static let mlpBatch = 256
    /// AdamW step size (cosine-decayed to zero over the run) and decoupled weight decay.
    static let mlpLearningRate: Float = 1e-3
    static let mlpWeightDecay: Float = 1e-4

    /// Layers [hidden, relu, output, skip]: y = x Sᵀ + s + relu(x Hᵀ + h) Oᵀ + o. The skip
    /// starts at the ridge solution and the output layer at zero, so step 0 is the ridge adapter;
    /// training minimises the mean of 1 − cos(y, target) (the adapter normalises its output, so
    /// only the direction matters).
    static func residualMLP(_ x: DenseMatrix, _ y: DenseMatrix, options: AdapterFitOptions) throws -> [Layer] {
        let n = x.rows, ds = x.columns, dt = y.columns, width = options.hidden
        let (ridgeW, meanX, meanY) = try ridgeMap(x, y, alpha: options.ridge)
        var generator = SeededGenerator(seed: options.seed)
        let hidden = TrainableLayer.make(.linear(inputs: ds, outputs: width), width: ds, bias: true, generator: &generator)
        let relu = TrainableLayer.make(.relu, width: width, bias: false, generator: &generator)
        let output = TrainableLayer.make(.linear(inputs: width, outputs: dt), width: width, bias: true, generator: &generator)
        let skip = TrainableLayer.make(.linear(inputs: ds, outputs: dt), width: ds, bias: true, generator: &generator)
        for parameter in output.parameters { parameter.values = [Float](repeating: 0, count: parameter.values.count) }
        skip.parameters[0].values = floats(ridgeW.transposed.values)
        skip.parameters[1].values = floats(bias(ridgeW, meanX, meanY))
        let parameters = hidden.parameters + output.parameters + skip.parameters
        var optimizer = Optimizer(kind: .adamw, parameters: parameters, momentum: 0, weightDecay: mlpWeightDecay)

        let sources = floats(x), targets = floats(y)
        let stepsPerEpoch = (n + mlpBatch - 1) / mlpBatch
        let total = stepsPerEpoch * options.epochs
        var order = Array(0..<n)
        var step = 0
        for _ in 0..<options.epochs {
            order.shuffle(using: &generator)
            for start in stride(from: 0, to: n, by: mlpBatch) {
                let batch = Array(order[start..<min(start + mlpBatch, n)])
                let rows = batch.count
                var bx = [Float](repeating: 0, count: rows * ds), by = [Float](repeating: 0, count: rows * dt)
                for (r, index) in batch.enumerated() {
                    for c in 0..<ds { bx[r * ds + c] = sources[index * ds + c] }
                    for c in 0..<dt { by[r * dt + c] = targets[index * dt + c] }
                }
                let activations = relu.forward(hidden.forward(bx, rows: rows, width: ds, training: true),
                                               rows: rows, width: width, training: true)
                var z = output.forward(activations, rows: rows, width: width, training: true)
                let linearPart = skip.forward(bx, rows: rows, width: ds, training: true)
                for i in z.indices { z[i] += linearPart[i] }
                let dz = cosineLossGradient(z, targets: by, rows: rows, width: dt)
                let dActivations = output.backward(dz, rows: rows, width: width)
                _ = hidden.backward(relu.backward(dActivations, rows: rows, width: width), rows: rows, width: ds, needInput: false)
                _ = skip.backward(dz, rows: rows, width: ds, needInput: false)
                let rate = Optimizer.learningRate(base: mlpLearningRate, step: step, total: total, warmup: 0)
                optimizer.step(parameters, learningRate: rate)
                step += 1
            }
        }
        guard parameters.allSatisfy({ $0.values.allSatisfy(\.isFinite) }) else {
            throw StasisError(.internalError, "mlp adapter training diverged")
        }
        return [
            .linear(weight: hidden.parameters[0].values, bias: hidden.parameters[1].values, inputs: ds, outputs: width),
            .relu,
            .linear(weight: output.parameters[0].values, bias: output.parameters[1].values, inputs: width, outputs: dt),
            .skip(weight: skip.parameters[0].values, bias: skip.parameters[1].values, inputs: ds, outputs: dt),
        ]
    }

    /// d/dz of mean_r (1 − cos(z_r, t_r)) for unit targets t: −(t − ẑ (ẑ·t)) / (‖z‖ · rows).
    private static func cosineLossGradient(_ z: [Float], targets: [Float], rows: Int, width: Int) -> [Float] {
        var gradient = [Float](repeating: 0, count: z.count)
        for r in 0..<rows {
            let base = r * width
            var squares: Float = 0
            for c in 0..<width { squares += z[base + c] * z[base + c] }
            let norm = max(squares.squareRoot(), 1e-12)
            var cosine: Float = 0
            for c in 0..<width { cosine += z[base + c] / norm * targets[base + c] }
            let scale = 1 / (norm * Float(rows))
            for c in 0..<width { gradient[base + c] = -(targets[base + c] - z[base + c] / norm * cosine) * scale }
        }
        return gradient
    }
}

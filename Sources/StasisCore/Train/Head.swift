/// The trainable layer stack of one head, and its conversion to the encoder file's layer spec.
final class Head {
    let layers: [TrainableLayer]
    /// The residual head's linear skip from the input to the output, added to the stack's output.
    let skip: TrainableLayer?
    let inputWidth: Int
    let outputWidth: Int

    /// Linear(in → h₁) [norm] act … Linear(→ d), initialised from `generator`.
    init(inputWidth: Int, outputWidth: Int, options: TrainingOptions, generator: inout SeededGenerator) {
        var layers: [TrainableLayer] = []
        var width = inputWidth
        for hidden in options.hidden {
            layers.append(.make(.linear(inputs: width, outputs: hidden), width: width, bias: options.bias, generator: &generator))
            width = hidden
            switch options.normalization {
            case "layernorm": layers.append(.make(.layerNorm(eps: 1e-5), width: width, bias: true, generator: &generator))
            case "batchnorm":
                layers.append(.make(.batchNorm(eps: 1e-5, momentum: 0.1), width: width, bias: true, generator: &generator))
            default: break
            }
            layers.append(.make(options.activation == "gelu" ? .gelu(tanhApproximation: false) : .relu,
                                width: width, bias: false, generator: &generator))
        }
        layers.append(.make(.linear(inputs: width, outputs: outputWidth), width: width, bias: options.bias, generator: &generator))
        self.layers = layers
        skip = options.residual && !options.hidden.isEmpty
            ? .make(.linear(inputs: inputWidth, outputs: outputWidth), width: inputWidth, bias: options.bias, generator: &generator)
            : nil
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
    }

    var parameters: [Parameter] { layers.flatMap(\.parameters) + (skip?.parameters ?? []) }

    var hasBatchNorm: Bool { layers.contains { if case .batchNorm = $0.kind { true } else { false } } }

    func forward(_ x: [Float], rows: Int, training: Bool) -> [Float] {
        var current = x, width = inputWidth
        for layer in layers {
            current = layer.forward(current, rows: rows, width: width, training: training)
            width = layer.outputWidth(width)
        }
        if let skip {
            let shortcut = skip.forward(x, rows: rows, width: inputWidth, training: training)
            for i in 0..<current.count { current[i] += shortcut[i] }
        }
        return current
    }

    /// Back-propagates dL/dz through the stack of the last training forward.
    func backward(_ dz: [Float], rows: Int) {
        var widths = [inputWidth]
        for layer in layers { widths.append(layer.outputWidth(widths.last!)) }
        // The skip sees the head's input, which needs no gradient: only its parameters get one.
        _ = skip?.backward(dz, rows: rows, width: inputWidth, needInput: false)
        var gradient = dz
        for index in stride(from: layers.count - 1, through: 0, by: -1) {
            gradient = layers[index].backward(gradient, rows: rows, width: widths[index], needInput: index > 0)
        }
    }

    /// Parameter values and running statistics, to restore the best epoch.
    func snapshot() -> [[Float]] {
        parameters.map(\.values) + layers.flatMap { [$0.runningMean, $0.runningVariance] }
    }

    func restore(_ saved: [[Float]]) {
        let parameters = self.parameters
        for (parameter, values) in zip(parameters, saved) { parameter.values = values }
        var rest = saved.dropFirst(parameters.count).makeIterator()
        for layer in layers {
            layer.runningMean = rest.next() ?? layer.runningMean
            layer.runningVariance = rest.next() ?? layer.runningVariance
        }
    }

    /// The encoder file's layer spec and `layers.<i>.<param>` tensors (PyTorch's names).
    func export() -> ([LayerSpec], [String: (shape: [Int], values: [Float])]) {
        var specs: [LayerSpec] = []
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for (i, layer) in layers.enumerated() {
            for parameter in layer.parameters { tensors["layers.\(i).\(parameter.name)"] = (parameter.shape, parameter.values) }
            switch layer.kind {
            case .linear(let inputs, let outputs):
                specs.append(LayerSpec(type: "linear", in: inputs, out: outputs, bias: layer.parameters.count > 1))
            case .relu: specs.append(LayerSpec(type: "relu"))
            case .gelu(let tanh): specs.append(LayerSpec(type: "gelu", approximate: tanh ? "tanh" : "none"))
            case .layerNorm(let eps): specs.append(LayerSpec(type: "layernorm", eps: Double(eps)))
            case .batchNorm(let eps, _):
                specs.append(LayerSpec(type: "batchnorm", eps: Double(eps)))
                tensors["layers.\(i).running_mean"] = ([layer.runningMean.count], layer.runningMean)
                tensors["layers.\(i).running_var"] = ([layer.runningVariance.count], layer.runningVariance)
            }
        }
        if let skip {
            let i = layers.count
            for parameter in skip.parameters { tensors["layers.\(i).\(parameter.name)"] = (parameter.shape, parameter.values) }
            specs.append(LayerSpec(type: "skip", in: inputWidth, out: outputWidth, bias: skip.parameters.count > 1))
        }
        return (specs, tensors)
    }
}

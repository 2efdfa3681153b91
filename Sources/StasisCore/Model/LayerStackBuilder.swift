/// Turns a layer spec plus `layers.<i>.<param>` tensors into inference layers, checking every
/// shape against the running width and refusing tensors the spec does not use.
enum LayerStackBuilder {
    /// Widest layer accepted (input, hidden or output).
    static let maxWidth = 1 << 20

    static func build(specs: [LayerSpec], tensors: [String: Safetensors.Tensor], inputWidth: Int) throws -> ([Layer], Int) {
        guard !specs.isEmpty else { throw StasisError.invalid("encoder has no layers") }
        guard (1...maxWidth).contains(inputWidth) else {
            throw StasisError.invalid("input dimension \(inputWidth) must be in 1...\(maxWidth)")
        }
        for (name, tensor) in tensors where !tensor.values.allSatisfy({ $0.isFinite }) {
            throw StasisError.invalid("tensor '\(name)' contains NaN or Inf")
        }
        var used = Set<String>()
        var width = inputWidth
        var layers: [Layer] = []
        for (i, spec) in specs.enumerated() {
            func tensor(_ param: String, shape: [Int], required: Bool) throws -> [Float]? {
                let name = "layers.\(i).\(param)"
                guard let found = tensors[name] else {
                    if required { throw StasisError.invalid("layer \(i) (\(spec.type)) needs tensor '\(name)'") }
                    return nil
                }
                guard found.shape == shape else {
                    throw StasisError.invalid("tensor '\(name)' has shape \(found.shape), layer \(i) (\(spec.type)) needs \(shape)")
                }
                used.insert(name)
                return found.values
            }
            switch spec.type {
            case "linear":
                guard let weightShape = tensors["layers.\(i).weight"]?.shape, weightShape.count == 2 else {
                    throw StasisError.invalid("layer \(i) (linear) needs a 2-D tensor 'layers.\(i).weight' (out x in)")
                }
                let outputs = spec.out ?? weightShape[0]
                guard (1...maxWidth).contains(outputs) else {
                    throw StasisError.invalid("layer \(i) (linear) has \(outputs) outputs; widths must be in 1...\(maxWidth)")
                }
                if let declared = spec.in, declared != width {
                    throw StasisError.invalid("layer \(i) (linear) declares in = \(declared) but receives width \(width)")
                }
                let weight = try tensor("weight", shape: [outputs, width], required: true)!
                let bias = spec.bias == false ? nil : try tensor("bias", shape: [outputs], required: spec.bias == true)
                layers.append(.linear(weight: weight, bias: bias, inputs: width, outputs: outputs))
                width = outputs
            case "skip":
                // The linear skip of a residual head: adds W x₀ + b (x₀ the encoder input) to the
                // running activations, so it keeps the width and reads the input width.
                if let declared = spec.in, declared != inputWidth {
                    throw StasisError.invalid("layer \(i) (skip) declares in = \(declared) but the encoder input has width \(inputWidth)")
                }
                if let declared = spec.out, declared != width {
                    throw StasisError.invalid("layer \(i) (skip) declares out = \(declared) but receives width \(width)")
                }
                let weight = try tensor("weight", shape: [width, inputWidth], required: true)!
                let bias = spec.bias == false ? nil : try tensor("bias", shape: [width], required: spec.bias == true)
                layers.append(.skip(weight: weight, bias: bias, inputs: inputWidth, outputs: width))
            case "relu":
                layers.append(.relu)
            case "gelu":
                guard [nil, "none", "tanh"].contains(spec.approximate) else {
                    throw StasisError.invalid("layer \(i) (gelu): approximate must be 'none' or 'tanh'")
                }
                layers.append(.gelu(tanhApproximation: spec.approximate == "tanh"))
            case "layernorm" where !(spec.eps ?? 1e-5).isFinite || (spec.eps ?? 1e-5) <= 0,
                 "batchnorm" where !(spec.eps ?? 1e-5).isFinite || (spec.eps ?? 1e-5) < 0:
                throw StasisError.invalid("layer \(i) (\(spec.type)) has an invalid eps \(spec.eps ?? 0)")
            case "layernorm":
                let gamma = try tensor("weight", shape: [width], required: false)
                let beta = try tensor("bias", shape: [width], required: false)
                layers.append(.layerNorm(gamma: gamma, beta: beta, eps: Float(spec.eps ?? 1e-5)))
            case "batchnorm":
                let mean = try tensor("running_mean", shape: [width], required: true)!
                let variance = try tensor("running_var", shape: [width], required: true)!
                let gamma = try tensor("weight", shape: [width], required: false)
                let beta = try tensor("bias", shape: [width], required: false)
                let eps = spec.eps ?? 1e-5
                // Fold: y = (x − μ)/√(σ² + ε)·γ + β = x·s + (β − μ·s), s = γ/√(σ² + ε).
                var scale = [Float](repeating: 0, count: width), shift = scale
                for j in 0..<width {
                    guard variance[j] >= 0 else { throw StasisError.invalid("layer \(i) (batchnorm) has a negative running variance") }
                    let s = Double(gamma?[j] ?? 1) / (Double(variance[j]) + eps).squareRoot()
                    scale[j] = Float(s)
                    shift[j] = Float(Double(beta?[j] ?? 0) - Double(mean[j]) * s)
                }
                guard scale.allSatisfy(\.isFinite), shift.allSatisfy(\.isFinite) else {
                    throw StasisError.invalid("layer \(i) (batchnorm) folds to non-finite values (zero variance with eps 0?)")
                }
                used.insert("layers.\(i).num_batches_tracked")
                layers.append(.affine(scale: scale, shift: shift))
            default:
                throw StasisError.invalid("layer \(i) has unknown type '\(spec.type)' (linear, relu, gelu, layernorm, batchnorm, skip)")
            }
        }
        if let stray = tensors.keys.sorted().first(where: { !used.contains($0) }) {
            throw StasisError.invalid("tensor '\(stray)' is not used by the layer spec (naming convention: layers.<i>.<param>)")
        }
        return (layers, width)
    }
}

/// The tensors of each adapter kind, in PyTorch's nn.Linear layout (weight out × in) so a linear
/// part can be loaded into torch as it is:
///
/// | kind | tensors |
/// |---|---|
/// | procrustes | `weight` [d_t, d_s] |
/// | ridge, orthogonal | `weight` [d_t, d_s], `bias` [d_t] |
/// | lowrank | `down.weight` [r, d_s], `up.weight` [d_t, r], `bias` [d_t] |
/// | mlp | `hidden.weight` [h, d_s], `hidden.bias` [h], `output.weight` [d_t, h], `output.bias` [d_t], `skip.weight` [d_t, d_s], `skip.bias` [d_t] |
/// | local | `centroids` [k, d_s], `rotations` [k, d_t, d_s] |
enum AdapterTensors {
    /// The tensors to write for `adapter`.
    static func encode(_ adapter: Adapter) -> [String: Safetensors.Tensor] {
        var result: [String: Safetensors.Tensor] = [:]
        switch adapter.map {
        case .local(let map):
            result["centroids"] = .init(shape: [map.clusters, map.sourceDimension], values: map.centroids)
            result["rotations"] = .init(shape: [map.clusters, map.targetDimension, map.sourceDimension], values: map.rotations)
        case .layers(let layers):
            let prefixes: [String?] = switch adapter.kind {
            case .lowrank: ["down", "up"]
            case .mlp: ["hidden", nil, "output", "skip"]
            default: [""]
            }
            for (prefix, layer) in zip(prefixes, layers) {
                guard let prefix else { continue }
                let dot = prefix.isEmpty ? "" : prefix + "."
                switch layer {
                case .linear(let weight, let bias, let inputs, let outputs), .skip(let weight, let bias, let inputs, let outputs):
                    result[dot + "weight"] = .init(shape: [outputs, inputs], values: weight)
                    // lowrank keeps its one bias unprefixed (format 1 files have `bias`).
                    let biasName = adapter.kind == .lowrank ? "bias" : dot + "bias"
                    if let bias { result[biasName] = .init(shape: [outputs], values: bias) }
                default:
                    continue
                }
            }
        }
        return result
    }

    /// Rebuilds the map of a `kind` adapter from `tensor(name, shape)` (which throws for a
    /// missing or misshapen tensor). Returns the map and the tensor names it used.
    static func decode(kind: AdapterKind, settings: AdapterSettings, sourceDimension ds: Int, targetDimension dt: Int,
                       path: String, tensor: (String, [Int]) throws -> [Float]) throws -> (AdapterMap, Set<String>) {
        switch kind {
        case .procrustes:
            return (.layers([.linear(weight: try tensor("weight", [dt, ds]), bias: nil, inputs: ds, outputs: dt)]), ["weight"])
        case .ridge, .orthogonal:
            return (.layers([.linear(weight: try tensor("weight", [dt, ds]), bias: try tensor("bias", [dt]),
                                     inputs: ds, outputs: dt)]), ["weight", "bias"])
        case .lowrank:
            let r = settings.rank ?? 1
            return (.layers([
                .linear(weight: try tensor("down.weight", [r, ds]), bias: nil, inputs: ds, outputs: r),
                .linear(weight: try tensor("up.weight", [dt, r]), bias: try tensor("bias", [dt]), inputs: r, outputs: dt),
            ]), ["down.weight", "up.weight", "bias"])
        case .mlp:
            guard let h = settings.hidden, (1...65_536).contains(h) else {
                throw StasisError(.corruptFile, "'\(path)': adapter.hidden is missing or out of range")
            }
            return (.layers([
                .linear(weight: try tensor("hidden.weight", [h, ds]), bias: try tensor("hidden.bias", [h]), inputs: ds, outputs: h),
                .relu,
                .linear(weight: try tensor("output.weight", [dt, h]), bias: try tensor("output.bias", [dt]), inputs: h, outputs: dt),
                .skip(weight: try tensor("skip.weight", [dt, ds]), bias: try tensor("skip.bias", [dt]), inputs: ds, outputs: dt),
            ]), ["hidden.weight", "hidden.bias", "output.weight", "output.bias", "skip.weight", "skip.bias"])
        case .local:
            guard let k = settings.clusters, (2...4096).contains(k) else {
                throw StasisError(.corruptFile, "'\(path)': adapter.clusters is missing or out of range")
            }
            guard let routing = settings.routing, (1...k).contains(routing),
                  let temperature = settings.temperature, temperature > 0, temperature.isFinite else {
                throw StasisError(.corruptFile, "'\(path)': adapter.routing or adapter.temperature is missing or out of range")
            }
            let (size, overflow) = k.multipliedReportingOverflow(by: dt * ds)
            guard !overflow, size <= 1 << 31 else { throw StasisError(.corruptFile, "'\(path)': rotations are too large") }
            return (.local(LocalMap(
                clusters: k, sourceDimension: ds, targetDimension: dt, centroids: try tensor("centroids", [k, ds]),
                rotations: try tensor("rotations", [k, dt, ds]), routing: routing, temperature: Float(temperature))),
                ["centroids", "rotations"])
        }
    }
}

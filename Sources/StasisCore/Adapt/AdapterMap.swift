/// What an adapter computes between normalising its input rows and normalising its output rows.
enum AdapterMap: Equatable {
    /// Layers applied in order. A `.skip` layer (the residual MLP's linear path) adds a linear map
    /// of the adapter's unit input row to the running value.
    case layers([Layer])
    /// Soft routing over per-cluster rotations (local adapters).
    case local(LocalMap)

    /// Maps `count` unit rows of `width` floats; returns count × (output width) floats (not yet
    /// normalised). `input` must hold count × width values, count > 0.
    func apply(_ input: [Float], count: Int, width: Int) -> [Float] {
        switch self {
        case .local(let map):
            return input.withUnsafeBufferPointer { map.apply($0.baseAddress!, rows: count) }
        case .layers(let layers):
            var current = input
            var currentWidth = width
            for layer in layers {
                let outputs = layer.outputWidth(currentWidth)
                if case .skip = layer {
                    // The running value already has the skip's output width; add x₀ Wᵀ + b in place.
                    input.withUnsafeBufferPointer { x in
                        current.withUnsafeMutableBufferPointer { y in
                            layer.addSkip(rows: count, encoderInput: x.baseAddress!, output: y.baseAddress!)
                        }
                    }
                    continue
                }
                var next = [Float](repeating: 0, count: count * outputs)
                current.withUnsafeMutableBufferPointer { source in
                    next.withUnsafeMutableBufferPointer { destination in
                        layer.apply(rows: count, width: currentWidth, input: source.baseAddress!, output: destination.baseAddress!)
                    }
                }
                current = next
                currentWidth = outputs
            }
            return current
        }
    }
}

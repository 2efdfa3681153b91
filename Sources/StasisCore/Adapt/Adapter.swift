import COpenBLAS

/// A fitted map from one model version's vector space to another's (dimensions may differ).
///
/// Which way it points is the caller's choice at fit time: source = new, target = old is a
/// *backward* adapter (map new-model queries into the old space and search the old gallery
/// unchanged); source = old, target = new is a *forward* adapter (move stored vectors into the new
/// space without running the new backbone). `apply` L2-normalises its input rows, maps them, and
/// L2-normalises the output rows, because every Stasis index scores by cosine.
///
/// Immutable once built: `apply` may run concurrently from many threads.
public final class Adapter: Sendable {
    /// How the map was fitted (and which tensors it has).
    public let kind: AdapterKind
    /// Version of the vectors the adapter reads.
    public let sourceVersion: UInt32
    /// Version of the vectors it produces.
    public let targetVersion: UInt32
    /// Width of the rows the adapter reads.
    public let sourceDimension: Int
    /// Width of the rows it produces.
    public let targetDimension: Int
    /// Rank of a lowrank adapter (nil for the other kinds).
    public let rank: Int?
    /// Ridge strength used by the fit (nil for Procrustes).
    public let ridge: Double?
    /// Fingerprint of the source space, when the fit recorded one (checked by chains).
    public let sourceSpace: String?
    /// Fingerprint of the target space, when the fit recorded one (checked by chains).
    public let targetSpace: String?
    /// Held-out numbers measured at fit time.
    public let validation: AdapterValidation
    /// Linear layers applied in order (PyTorch layout: weight out × in).
    let layers: [Layer]

    /// "backward" when it maps a newer version into an older one (queries), else "forward".
    public var direction: String { sourceVersion > targetVersion ? "backward" : "forward" }

    init(kind: AdapterKind, sourceVersion: UInt32, targetVersion: UInt32, sourceDimension: Int, targetDimension: Int,
         rank: Int?, ridge: Double?, sourceSpace: String?, targetSpace: String?, validation: AdapterValidation,
         layers: [Layer]) {
        self.kind = kind
        self.sourceVersion = sourceVersion
        self.targetVersion = targetVersion
        self.sourceDimension = sourceDimension
        self.targetDimension = targetDimension
        self.rank = rank
        self.ridge = ridge
        self.sourceSpace = sourceSpace
        self.targetSpace = targetSpace
        self.validation = validation
        self.layers = layers
    }

    /// Maps `count` rows of `sourceDimension` floats to `count` unit rows of `targetDimension`.
    /// - Throws: `.dimensionMismatch` when the buffer does not hold count × sourceDimension
    ///   values; `.invalidArgument` for a NaN/Inf or zero input row (named by index), or an
    ///   output row that maps to zero.
    public func apply(_ values: [Float], count: Int) throws -> [Float] {
        guard count >= 0 else { throw StasisError.invalid("row count must be >= 0, got \(count)") }
        let (expected, overflow) = count.multipliedReportingOverflow(by: sourceDimension)
        guard !overflow, values.count == expected else {
            throw StasisError(.dimensionMismatch,
                "adapter \(sourceVersion)->\(targetVersion) reads rows of \(sourceDimension) values; got \(values.count) values for \(count) rows")
        }
        if count == 0 { return [] }
        var current = try UnitRows(values, count: count, dimension: sourceDimension, role: "input row").values
        var width = sourceDimension
        for layer in layers {
            let outputs = layer.outputWidth(width)
            var next = Array(repeating: Float(0), count: count * outputs)
            current.withUnsafeMutableBufferPointer { input in
                next.withUnsafeMutableBufferPointer { output in
                    // Both buffers are non-empty (count > 0, widths >= 1), so the addresses exist.
                    guard let source = input.baseAddress, let destination = output.baseAddress else { return }
                    layer.apply(rows: count, width: width, input: source, output: destination)
                }
            }
            current = next
            width = outputs
        }
        do {
            return try UnitRows(current, count: count, dimension: targetDimension, role: "mapped row").values
        } catch let error as StasisError {
            throw StasisError(error.code, "adapter \(sourceVersion)->\(targetVersion): \(error.message)")
        }
    }

    /// Tensors in file order: `weight` (procrustes, ridge), `down.weight` + `up.weight` (lowrank),
    /// and `bias` for the affine kinds.
    var tensors: [String: Safetensors.Tensor] {
        var result: [String: Safetensors.Tensor] = [:]
        let names = kind == .lowrank ? ["down.weight", "up.weight"] : ["weight"]
        for (name, layer) in zip(names, layers) {
            guard case .linear(let weight, let bias, let inputs, let outputs) = layer else { continue }
            result[name] = .init(shape: [outputs, inputs], values: weight)
            if let bias { result["bias"] = .init(shape: [outputs], values: bias) }
        }
        return result
    }
}

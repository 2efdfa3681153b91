/// Adapters on disk: safetensors with F32 tensors in PyTorch's Linear layout (out × in):
/// `weight` [d_target, d_source] (procrustes, ridge) or `down.weight` [r, d_source] and
/// `up.weight` [d_target, r] (lowrank), plus `bias` [d_target] (ridge, lowrank); so
/// y = normalise(x̂ · weightᵀ + bias) with x̂ the unit input row. `__metadata__`: stasis.kind =
/// "adapter", stasis.format, adapter.kind, adapter.source_version, adapter.target_version,
/// adapter.source_dim, adapter.target_dim, adapter.direction (informative), adapter.rank,
/// adapter.ridge, adapter.source_space, adapter.target_space (optional), adapter.train_pairs,
/// adapter.validation_pairs, adapter.validation_mean_cosine, adapter.validation_recall_at_1.
/// See docs/adapters.md.
public enum AdapterFile {
    static let kind = "adapter"
    static let formatVersion = 1

    /// Writes `adapter` atomically (temporary file, fsync, rename). Errors: `.io`.
    public static func save(_ adapter: Adapter, to path: String) throws {
        var metadata = StasisMetadata.header(kind: kind, format: formatVersion)
        metadata["adapter.kind"] = adapter.kind.rawValue
        metadata["adapter.source_version"] = String(adapter.sourceVersion)
        metadata["adapter.target_version"] = String(adapter.targetVersion)
        metadata["adapter.source_dim"] = String(adapter.sourceDimension)
        metadata["adapter.target_dim"] = String(adapter.targetDimension)
        metadata["adapter.direction"] = adapter.direction
        metadata["adapter.rank"] = adapter.rank.map(String.init)
        metadata["adapter.ridge"] = adapter.ridge.map { String($0) }
        metadata["adapter.source_space"] = adapter.sourceSpace
        metadata["adapter.target_space"] = adapter.targetSpace
        let validation = adapter.validation
        metadata["adapter.train_pairs"] = String(validation.trainPairs)
        metadata["adapter.validation_pairs"] = String(validation.validationPairs)
        metadata["adapter.validation_mean_cosine"] = validation.meanCosine.map { String($0) }
        metadata["adapter.validation_recall_at_1"] = validation.recallAt1.map { String($0) }
        try Safetensors.write(Safetensors.Contents(metadata: metadata, tensors: adapter.tensors), to: path)
    }

    /// Reads and checks an adapter file. Errors: `.io`, `.corruptFile` (missing, misshapen or
    /// non-finite tensors, bad metadata), `.unsupportedFormat` (newer format or kind),
    /// `.invalidArgument` (another kind of Stasis file).
    public static func open(_ path: String) throws -> Adapter {
        let contents = try Safetensors.read(path)
        let metadata = contents.metadata
        try StasisMetadata.check(metadata, kind: kind, format: formatVersion, path: path)
        let kindName = try StasisMetadata.required(metadata, "adapter.kind", path: path)
        guard let adapterKind = AdapterKind(rawValue: kindName) else {
            throw StasisError(.unsupportedFormat, "'\(path)': unknown adapter kind '\(kindName)' (written by a newer Stasis?)")
        }
        let sourceDimension: Int = try StasisMetadata.integer(metadata, "adapter.source_dim", path: path)
        let targetDimension: Int = try StasisMetadata.integer(metadata, "adapter.target_dim", path: path)
        guard (1...Adapter.maxDimension).contains(sourceDimension), (1...Adapter.maxDimension).contains(targetDimension) else {
            throw StasisError(.corruptFile, "'\(path)': dimensions \(sourceDimension) -> \(targetDimension) are out of range")
        }
        var rank: Int? = nil
        if adapterKind == .lowrank {
            let value: Int = try StasisMetadata.integer(metadata, "adapter.rank", path: path)
            guard (1...min(sourceDimension, targetDimension)).contains(value) else {
                throw StasisError(.corruptFile, "'\(path)': rank \(value) is out of range")
            }
            rank = value
        }
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let found = contents.tensors[name], found.shape == shape else {
                throw StasisError(.corruptFile, "'\(path)': tensor '\(name)' is missing or not \(shape)")
            }
            if let bad = found.values.firstIndex(where: { !$0.isFinite }) {
                throw StasisError(.corruptFile, "'\(path)': tensor '\(name)' has a non-finite value at element \(bad)")
            }
            return found.values
        }
        let layers: [Layer]
        let expected: Set<String>
        switch adapterKind {
        case .procrustes:
            expected = ["weight"]
            layers = [.linear(weight: try tensor("weight", [targetDimension, sourceDimension]), bias: nil,
                              inputs: sourceDimension, outputs: targetDimension)]
        case .ridge:
            expected = ["weight", "bias"]
            layers = [.linear(weight: try tensor("weight", [targetDimension, sourceDimension]),
                              bias: try tensor("bias", [targetDimension]), inputs: sourceDimension, outputs: targetDimension)]
        case .lowrank:
            let r = rank ?? 1
            expected = ["down.weight", "up.weight", "bias"]
            layers = [
                .linear(weight: try tensor("down.weight", [r, sourceDimension]), bias: nil, inputs: sourceDimension, outputs: r),
                .linear(weight: try tensor("up.weight", [targetDimension, r]), bias: try tensor("bias", [targetDimension]),
                        inputs: r, outputs: targetDimension),
            ]
        }
        if let extra = Set(contents.tensors.keys).subtracting(expected).sorted().first {
            throw StasisError(.corruptFile, "'\(path)': unexpected tensor '\(extra)' in a \(kindName) adapter")
        }
        let sourceVersion: UInt32 = try StasisMetadata.integer(metadata, "adapter.source_version", path: path)
        let targetVersion: UInt32 = try StasisMetadata.integer(metadata, "adapter.target_version", path: path)
        let validation = AdapterValidation(
            trainPairs: try StasisMetadata.integer(metadata, "adapter.train_pairs", path: path),
            validationPairs: try StasisMetadata.integer(metadata, "adapter.validation_pairs", path: path),
            meanCosine: try optionalNumber(metadata, "adapter.validation_mean_cosine", path: path),
            recallAt1: try optionalNumber(metadata, "adapter.validation_recall_at_1", path: path))
        guard validation.trainPairs >= 1, validation.validationPairs >= 0 else {
            throw StasisError(.corruptFile, "'\(path)': adapter.train_pairs or adapter.validation_pairs is out of range")
        }
        return Adapter(
            kind: adapterKind, sourceVersion: sourceVersion, targetVersion: targetVersion,
            sourceDimension: sourceDimension, targetDimension: targetDimension, rank: rank,
            ridge: try optionalNumber(metadata, "adapter.ridge", path: path),
            sourceSpace: metadata["adapter.source_space"], targetSpace: metadata["adapter.target_space"],
            validation: validation, layers: layers)
    }

    /// Metadata and tensor shapes of an adapter file as JSON, read without loading the weights.
    public static func inspectJSON(_ path: String) throws -> [UInt8] {
        let header = try Safetensors.readHeader(path)
        try StasisMetadata.check(header.metadata, kind: kind, format: formatVersion, path: path)
        return try StasisMetadata.describe(header)
    }

    private static func optionalNumber(_ metadata: [String: String], _ key: String, path: String) throws -> Double? {
        guard let text = metadata[key] else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw StasisError(.corruptFile, "'\(path)': metadata '\(key)' is not a finite number")
        }
        return value
    }
}

/// Adapters on disk: safetensors with F32 tensors (AdapterTensors lists them per kind).
/// `__metadata__`: stasis.kind = "adapter", stasis.format, adapter.kind, adapter.source_version,
/// adapter.target_version, adapter.source_dim, adapter.target_dim, adapter.direction
/// (informative), adapter.fit ("paired" or "unpaired"), the fit's settings where the kind has
/// them (adapter.rank, .ridge, .orthogonality, .clusters, .routing, .temperature, .hidden,
/// .epochs), adapter.source_space, adapter.target_space (optional), adapter.train_pairs,
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
        let settings = adapter.settings
        metadata["adapter.rank"] = settings.rank.map(String.init)
        metadata["adapter.ridge"] = settings.ridge.map { String($0) }
        metadata["adapter.orthogonality"] = settings.orthogonality.map { String($0) }
        metadata["adapter.clusters"] = settings.clusters.map(String.init)
        metadata["adapter.routing"] = settings.routing.map(String.init)
        metadata["adapter.temperature"] = settings.temperature.map { String($0) }
        metadata["adapter.hidden"] = settings.hidden.map(String.init)
        metadata["adapter.epochs"] = settings.epochs.map(String.init)
        metadata["adapter.fit"] = settings.unpaired ? "unpaired" : "paired"
        metadata["adapter.source_space"] = adapter.sourceSpace
        metadata["adapter.target_space"] = adapter.targetSpace
        let validation = adapter.validation
        metadata["adapter.train_pairs"] = String(validation.trainPairs)
        metadata["adapter.validation_pairs"] = String(validation.validationPairs)
        metadata["adapter.validation_mean_cosine"] = validation.meanCosine.map { String($0) }
        metadata["adapter.validation_recall_at_1"] = validation.recallAt1.map { String($0) }
        try Safetensors.write(Safetensors.Contents(metadata: metadata, tensors: AdapterTensors.encode(adapter)), to: path)
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
        var settings = AdapterSettings()
        settings.ridge = try optionalNumber(metadata, "adapter.ridge", path: path)
        settings.orthogonality = try optionalNumber(metadata, "adapter.orthogonality", path: path)
        settings.temperature = try optionalNumber(metadata, "adapter.temperature", path: path)
        settings.clusters = try optionalInteger(metadata, "adapter.clusters", path: path)
        settings.routing = try optionalInteger(metadata, "adapter.routing", path: path)
        settings.hidden = try optionalInteger(metadata, "adapter.hidden", path: path)
        settings.epochs = try optionalInteger(metadata, "adapter.epochs", path: path)
        settings.unpaired = metadata["adapter.fit"] == "unpaired"
        if adapterKind == .lowrank {
            let value: Int = try StasisMetadata.integer(metadata, "adapter.rank", path: path)
            guard (1...min(sourceDimension, targetDimension)).contains(value) else {
                throw StasisError(.corruptFile, "'\(path)': rank \(value) is out of range")
            }
            settings.rank = value
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
        let (map, expected) = try AdapterTensors.decode(
            kind: adapterKind, settings: settings, sourceDimension: sourceDimension, targetDimension: targetDimension,
            path: path, tensor: tensor)
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
        guard validation.trainPairs >= (settings.unpaired ? 0 : 1), validation.validationPairs >= 0 else {
            throw StasisError(.corruptFile, "'\(path)': adapter.train_pairs or adapter.validation_pairs is out of range")
        }
        return Adapter(
            kind: adapterKind, sourceVersion: sourceVersion, targetVersion: targetVersion,
            sourceDimension: sourceDimension, targetDimension: targetDimension, settings: settings,
            sourceSpace: metadata["adapter.source_space"], targetSpace: metadata["adapter.target_space"],
            validation: validation, map: map)
    }

    /// Metadata and tensor shapes of an adapter file as JSON, read without loading the weights.
    public static func inspectJSON(_ path: String) throws -> [UInt8] {
        let header = try Safetensors.readHeader(path)
        try StasisMetadata.check(header.metadata, kind: kind, format: formatVersion, path: path)
        return try StasisMetadata.describe(header)
    }

    private static func optionalInteger(_ metadata: [String: String], _ key: String, path: String) throws -> Int? {
        guard metadata[key] != nil else { return nil }
        let value: Int = try StasisMetadata.integer(metadata, key, path: path)
        return value
    }

    private static func optionalNumber(_ metadata: [String: String], _ key: String, path: String) throws -> Double? {
        guard let text = metadata[key] else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw StasisError(.corruptFile, "'\(path)': metadata '\(key)' is not a finite number")
        }
        return value
    }
}

/// Encoders on disk: safetensors with tensors `layers.<i>.<param>` (F32, F16, BF16 or F64) and
/// `__metadata__`: stasis.kind = "encoder", stasis.format, stasis.space (space fingerprint),
/// stasis.version, stasis.input_dim, stasis.output_dim, stasis.layers (JSON layer spec), and
/// optionally stasis.backbone and stasis.notes. See docs/formats.md.
public enum EncoderFile {
    static let kind = "encoder"
    static let formatVersion = 1
    static let spaceKey = "stasis.space"
    static let versionKey = "stasis.version"
    static let inputKey = "stasis.input_dim"
    static let outputKey = "stasis.output_dim"
    static let layersKey = "stasis.layers"

    public static func open(_ path: String) throws -> VersionedEncoder {
        let contents = try Safetensors.read(path)
        let metadata = contents.metadata
        try StasisMetadata.check(metadata, kind: kind, format: formatVersion, path: path)
        let specs = try StasisMetadata.decode(
            [LayerSpec].self, from: try StasisMetadata.required(metadata, layersKey, path: path), key: layersKey, path: path)
        let declaredOutput: Int = try StasisMetadata.integer(metadata, outputKey, path: path)
        let encoder: VersionedEncoder
        do {
            encoder = try VersionedEncoder(
                spaceFingerprint: try StasisMetadata.required(metadata, spaceKey, path: path),
                version: try StasisMetadata.integer(metadata, versionKey, path: path),
                inputDimension: try StasisMetadata.integer(metadata, inputKey, path: path),
                layerSpecs: specs,
                tensors: contents.tensors.mapValues { (shape: $0.shape, values: $0.values) },
                metadata: metadata)
        } catch let error as StasisError where error.code == .invalidArgument {
            throw StasisError(.invalidArgument, "'\(path)': \(error.message)")
        }
        guard encoder.outputDimension == declaredOutput else {
            throw StasisError(.corruptFile,
                "'\(path)': layers produce \(encoder.outputDimension) dimensions, metadata says \(declaredOutput)")
        }
        return encoder
    }

    public static func save(_ encoder: VersionedEncoder, to path: String) throws {
        var metadata = encoder.metadata
        for (key, value) in StasisMetadata.header(kind: kind, format: formatVersion) { metadata[key] = value }
        metadata[layersKey] = try StasisMetadata.json(encoder.layerSpecs)
        try Safetensors.write(Safetensors.Contents(metadata: metadata, tensors: encoder.tensors), to: path)
    }
}

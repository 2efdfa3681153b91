/// Spaces on disk: a safetensors file with one tensor, "vertices" (K × d, F32), and metadata
/// `space.kind`, `space.classes`, `space.dimension`, `space.seed`, `space.fingerprint`,
/// `space.max_cosine` and `space.registry` (JSON array of labels in vertex order).
public enum SpaceFile {
    static let kind = "space"
    static let formatVersion = 1

    public static func save(_ space: Space, to path: String) throws {
        var metadata = StasisMetadata.header(kind: kind, format: formatVersion)
        metadata["space.kind"] = space.kind.rawValue
        metadata["space.classes"] = String(space.classCount)
        metadata["space.dimension"] = String(space.dimension)
        metadata["space.seed"] = String(space.seed)
        metadata["space.fingerprint"] = space.fingerprint
        metadata["space.max_cosine"] = String(space.maxCosine)
        metadata["space.registry"] = try StasisMetadata.json(space.registrySnapshot.labels)
        try Safetensors.write(
            Safetensors.Contents(
                metadata: metadata,
                tensors: ["vertices": .init(shape: [space.classCount, space.dimension], values: space.vertices)]),
            to: path)
    }

    public static func open(_ path: String) throws -> Space {
        let contents = try Safetensors.read(path)
        let metadata = contents.metadata
        try StasisMetadata.check(metadata, kind: kind, format: formatVersion, path: path)
        guard let kind = SpaceKind(rawValue: try StasisMetadata.required(metadata, "space.kind", path: path)) else {
            throw StasisError(.unsupportedFormat,
                "'\(path)': unknown space kind '\(metadata["space.kind"] ?? "")' (written by a newer Stasis?)")
        }
        let classes: Int = try StasisMetadata.integer(metadata, "space.classes", path: path)
        let dimension: Int = try StasisMetadata.integer(metadata, "space.dimension", path: path)
        let seed: UInt64 = try StasisMetadata.integer(metadata, "space.seed", path: path)
        guard (2...Space.maxClasses).contains(classes), (1...(1 << 16)).contains(dimension),
              let vertices = contents.tensors["vertices"], vertices.shape == [classes, dimension] else {
            throw StasisError(.corruptFile, "'\(path)': tensor 'vertices' is missing or not \(classes) x \(dimension)")
        }
        guard let maxCosine = Double(try StasisMetadata.required(metadata, "space.max_cosine", path: path)) else {
            throw StasisError(.corruptFile, "'\(path)': space.max_cosine is not a number")
        }
        let labels = try StasisMetadata.decode(
            [ClassLabel].self, from: try StasisMetadata.required(metadata, "space.registry", path: path),
            key: "space.registry", path: path)
        guard labels.count <= classes else {
            throw StasisError(.corruptFile, "'\(path)': registry has \(labels.count) labels for \(classes) vertices")
        }
        let space = Space(
            kind: kind, classes: classes, dimension: dimension, seed: seed, vertices: vertices.values,
            maxCosine: maxCosine, registry: try ClassRegistry(labels: labels))
        let recorded = try StasisMetadata.required(metadata, "space.fingerprint", path: path)
        guard space.fingerprint == recorded else {
            throw StasisError(.corruptFile,
                "'\(path)': vertices hash to \(space.fingerprint) but the file says \(recorded) (corrupt or edited)")
        }
        return space
    }
}

/// Tells which kind of Stasis file a path holds, from its first bytes and header only.
public enum StasisFile {
    public enum Kind: String, Sendable {
        case index, space, encoder, adapter
    }

    public static func kind(of path: String) throws -> Kind {
        let head = try readFile(path, limit: IndexFile.magic.count)
        if head == IndexFile.magic { return .index }
        let header: Safetensors.Header
        do {
            header = try Safetensors.readHeader(path)
        } catch let error as StasisError where error.code == .corruptFile {
            throw StasisError(.corruptFile, "'\(path)' is not a Stasis file (index, space, encoder or adapter): \(error.message)")
        }
        guard let name = header.metadata[StasisMetadata.kindKey] else {
            throw StasisError(.invalidArgument, "'\(path)' is a safetensors file without Stasis metadata")
        }
        guard let kind = Kind(rawValue: name) else {
            throw StasisError(.unsupported, "'\(path)' is a Stasis '\(name)' file, which this library does not know")
        }
        return kind
    }

    /// The metadata map of a space, encoder or adapter file (header only).
    public static func metadata(of path: String) throws -> (metadata: [String: String], shapes: [String: [Int]]) {
        let header = try Safetensors.readHeader(path)
        return (header.metadata, header.entries.mapValues(\.shape))
    }
}

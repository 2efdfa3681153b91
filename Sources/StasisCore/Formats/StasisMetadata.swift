import FoundationEssentials

/// Conventions shared by the safetensors files Stasis writes (spaces, encoders): the
/// `__metadata__` keys that identify kind and format, and checks applied on reading.
enum StasisMetadata {
    static let kindKey = "stasis.kind"
    static let formatKey = "stasis.format"
    static let libraryKey = "stasis.library"

    /// Metadata every Stasis safetensors file starts with.
    static func header(kind: String, format: Int) -> [String: String] {
        [kindKey: kind, formatKey: String(format), libraryKey: LibraryVersion.string]
    }

    /// Refuses files of another kind or a newer format.
    static func check(_ metadata: [String: String], kind: String, format: Int, path: String) throws {
        let article = "aeiou".contains(kind.first ?? "x") ? "an" : "a"
        guard let found = metadata[kindKey] else {
            throw StasisError(.invalidArgument, "'\(path)' is a safetensors file without Stasis metadata (\(kindKey)); expected \(article) \(kind)")
        }
        guard found == kind else {
            throw StasisError(.invalidArgument, "'\(path)' is a Stasis \(found) file, not \(article) \(kind)")
        }
        guard let text = metadata[formatKey], let number = Int(text), number >= 1 else {
            throw StasisError(.corruptFile, "'\(path)' has no valid \(formatKey)")
        }
        guard number <= format else {
            throw StasisError(.unsupportedFormat,
                "'\(path)' uses \(kind) format \(number); this library (\(LibraryVersion.string)) reads up to \(format)")
        }
    }

    static func required(_ metadata: [String: String], _ key: String, path: String) throws -> String {
        guard let value = metadata[key] else { throw StasisError(.corruptFile, "'\(path)' lacks metadata '\(key)'") }
        return value
    }

    static func integer<T: FixedWidthInteger>(_ metadata: [String: String], _ key: String, path: String) throws -> T {
        guard let value = T(try required(metadata, key, path: path)) else {
            throw StasisError(.corruptFile, "'\(path)': metadata '\(key)' is not an integer")
        }
        return value
    }

    static func json<T: Codable>(_ value: T) throws -> String {
        do {
            return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        } catch {
            throw StasisError(.internalError, "cannot encode metadata: \(error)")
        }
    }

    static func decode<T: Codable>(_ type: T.Type, from text: String, key: String, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StasisError(.corruptFile, "'\(path)': metadata '\(key)' is unreadable: \(error)")
        }
    }

    /// Any Stasis safetensors header as JSON (metadata plus tensor shapes), for `inspect`.
    static func describe(_ header: Safetensors.Header) throws -> [UInt8] {
        struct Description: Codable {
            var metadata: [String: String]
            var tensors: [String: [Int]]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(Description(
                metadata: header.metadata, tensors: header.entries.mapValues { $0.shape })))
        } catch {
            throw StasisError(.internalError, "cannot encode description: \(error)")
        }
    }
}

extension SpaceFile {
    /// Metadata and tensor shapes of a space file as JSON, read without loading the vertices.
    public static func inspectJSON(_ path: String) throws -> [UInt8] {
        let header = try Safetensors.readHeader(path)
        try StasisMetadata.check(header.metadata, kind: kind, format: formatVersion, path: path)
        return try StasisMetadata.describe(header)
    }
}

extension EncoderFile {
    /// Metadata and tensor shapes of an encoder file as JSON, read without loading the weights.
    public static func inspectJSON(_ path: String) throws -> [UInt8] {
        let header = try Safetensors.readHeader(path)
        try StasisMetadata.check(header.metadata, kind: kind, format: formatVersion, path: path)
        return try StasisMetadata.describe(header)
    }
}

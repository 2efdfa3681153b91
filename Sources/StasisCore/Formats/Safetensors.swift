import FoundationEssentials

/// Reader and writer for the safetensors format (what PyTorch and numpy users already exchange):
///
///     header size N     UInt64 little-endian
///     header            N bytes of JSON: {"__metadata__": {string: string},
///                                         "<name>": {"dtype", "shape", "data_offsets": [begin, end]}}
///     data              tensors back to back; offsets are relative to the start of this section
///
/// Stasis stores every tensor as F32 and reads F32, F16, BF16 and F64 (converted to Float).
enum Safetensors {
    /// A tensor converted to Float32, row-major.
    struct Tensor: Equatable {
        var shape: [Int]
        var values: [Float]
    }

    struct Contents {
        var metadata: [String: String]
        var tensors: [String: Tensor]
    }

    /// Header entries: tensor descriptions and the metadata map.
    struct Header {
        struct Entry: Codable {
            var dtype: String
            var shape: [Int]
            var data_offsets: [Int]
        }
        var metadata: [String: String]
        var entries: [String: Entry]
    }

    static let maxHeaderLength = 100 << 20

    // MARK: Writing

    static func write(_ contents: Contents, to path: String) throws {
        var offset = 0
        var entries: [String: Header.Entry] = [:]
        let names = contents.tensors.keys.sorted()
        for name in names {
            let tensor = contents.tensors[name]!
            let bytes = tensor.values.count * 4
            entries[name] = Header.Entry(dtype: "F32", shape: tensor.shape, data_offsets: [offset, offset + bytes])
            offset += bytes
        }
        var header = try encode(Header(metadata: contents.metadata, entries: entries))
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }

        let writer = try AtomicFileWriter(path: path)
        var prefix: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix.append(contentsOf: $0) }
        try writer.write(array: prefix)
        try writer.write(array: header)
        for name in names { try writer.write(array: contents.tensors[name]!.values) }
        try writer.commit()
    }

    private static func encode(_ header: Header) throws -> [UInt8] {
        // Keys are dynamic, so the JSON object is assembled from individually encoded parts.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var parts: [String] = []
        do {
            let metadata = String(decoding: try encoder.encode(header.metadata), as: UTF8.self)
            parts.append("\"__metadata__\":\(metadata)")
            for name in header.entries.keys.sorted() {
                let key = String(decoding: try encoder.encode(name), as: UTF8.self)
                let value = String(decoding: try encoder.encode(header.entries[name]!), as: UTF8.self)
                parts.append("\(key):\(value)")
            }
        } catch {
            throw StasisError(.internalError, "cannot encode safetensors header: \(error)")
        }
        return Array("{\(parts.joined(separator: ","))}".utf8)
    }

    // MARK: Reading

    /// Reads only the header: metadata and tensor shapes, no tensor data.
    static func readHeader(_ path: String) throws -> Header {
        let prefix = try readFile(path, limit: 8)
        let length = try headerLength(prefix, path: path)
        let bytes = try readFile(path, limit: 8 + length)
        guard bytes.count == 8 + length else {
            throw StasisError(.corruptFile, "'\(path)' is truncated inside its safetensors header")
        }
        return try decodeHeader(bytes[8...], path: path)
    }

    static func read(_ path: String) throws -> Contents {
        _ = try headerLength(try readFile(path, limit: 8), path: path)  // refuse other kinds before reading it all
        let bytes = try readFile(path)
        let length = try headerLength(bytes, path: path)
        guard bytes.count >= 8 + length else {
            throw StasisError(.corruptFile, "'\(path)' is truncated inside its safetensors header")
        }
        let header = try decodeHeader(bytes[8..<(8 + length)], path: path)
        let dataStart = 8 + length
        let dataLength = bytes.count - dataStart
        var tensors: [String: Tensor] = [:]
        var extents: [(begin: Int, end: Int)] = []
        for (name, entry) in header.entries {
            let (begin, end) = try validate(entry, name: name, dataLength: dataLength, path: path)
            extents.append((begin, end))
            // PyTorch BatchNorm state dicts carry an integer step counter; it has no use at inference.
            if entry.dtype == "I64" && name.hasSuffix(".num_batches_tracked") { continue }
            guard entry.dtype != "I64" else {
                throw StasisError(.unsupported, "'\(path)': tensor '\(name)' has dtype I64; Stasis reads F32, F16, BF16, F64")
            }
            tensors[name] = Tensor(
                shape: entry.shape,
                values: try convert(bytes[(dataStart + begin)..<(dataStart + end)], dtype: entry.dtype, name: name, path: path))
        }
        // The tensors must tile the data section exactly: no gap, no overlap, nothing after.
        var position = 0
        for extent in extents.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard extent.begin == position else {
                throw StasisError(.corruptFile,
                    "'\(path)': tensor data \(extent.begin < position ? "overlaps" : "leaves a gap") at byte \(min(position, extent.begin))")
            }
            position = extent.end
        }
        guard position == dataLength else {
            throw StasisError(.corruptFile,
                "'\(path)': tensors cover \(position) of \(dataLength) data bytes (truncated or padded)")
        }
        return Contents(metadata: header.metadata, tensors: tensors)
    }

    private static func headerLength(_ bytes: [UInt8], path: String) throws -> Int {
        if bytes.count >= 8, Array(bytes[0..<8]) == IndexFile.magic {
            throw StasisError(.invalidArgument, "'\(path)' is a Stasis index file, not a safetensors space or encoder")
        }
        guard bytes.count >= 8 else {
            throw StasisError(.corruptFile, "'\(path)' is truncated: \(bytes.count) bytes, not a safetensors file")
        }
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(bytes[i]) }
        guard length >= 2, length <= UInt64(maxHeaderLength) else {
            throw StasisError(.corruptFile, "'\(path)' is not a safetensors file (header length \(length))")
        }
        return Int(length)
    }

    private static func decodeHeader(_ bytes: ArraySlice<UInt8>, path: String) throws -> Header {
        guard bytes.first == UInt8(ascii: "{") else {
            throw StasisError(.corruptFile, "'\(path)' is not a safetensors file (header is not a JSON object)")
        }
        do {
            return try JSONDecoder().decode(HeaderCoding.self, from: Data(bytes)).header
        } catch {
            throw StasisError(.corruptFile, "'\(path)' has an unreadable safetensors header: \(error)")
        }
    }

    private static func validate(_ entry: Header.Entry, name: String, dataLength: Int, path: String) throws -> (Int, Int) {
        guard let width = byteWidth(entry.dtype) else {
            throw StasisError(.unsupported, "'\(path)': tensor '\(name)' has dtype \(entry.dtype); Stasis reads F32, F16, BF16, F64")
        }
        guard entry.data_offsets.count == 2, entry.shape.allSatisfy({ $0 >= 0 && $0 < 1 << 32 }) else {
            throw StasisError(.corruptFile, "'\(path)': tensor '\(name)' has a malformed shape or offsets")
        }
        let begin = entry.data_offsets[0], end = entry.data_offsets[1]
        var elements = 1
        for extent in entry.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
            guard !overflow, product < 1 << 40 else {
                throw StasisError(.corruptFile, "'\(path)': tensor '\(name)' is implausibly large")
            }
            elements = product
        }
        guard begin >= 0, end >= begin, end <= dataLength, end - begin == elements * width else {
            throw StasisError(.corruptFile,
                "'\(path)': tensor '\(name)' offsets \(begin)..<\(end) do not fit its shape \(entry.shape) or the \(dataLength)-byte data section")
        }
        return (begin, end)
    }

    private static func byteWidth(_ dtype: String) -> Int? {
        switch dtype {
        case "F32": 4
        case "F16", "BF16": 2
        case "F64", "I64": 8
        default: nil
        }
    }

    private static func convert(_ bytes: ArraySlice<UInt8>, dtype: String, name: String, path: String) throws -> [Float] {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case "F32":
                return (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            case "F16":
                return (0..<(raw.count / 2)).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) }
            case "BF16":
                return (0..<(raw.count / 2)).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) << 16) }
            default:  // F64
                return (0..<(raw.count / 8)).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
            }
        }
    }
}

/// Decodes the header's dynamic keys: "__metadata__" is a string map, every other key a tensor.
private struct HeaderCoding: Decodable {
    let header: Safetensors.Header

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var metadata: [String: String] = [:]
        var entries: [String: Safetensors.Header.Entry] = [:]
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                entries[key.stringValue] = try container.decode(Safetensors.Header.Entry.self, forKey: key)
            }
        }
        header = Safetensors.Header(metadata: metadata, entries: entries)
    }
}

/// NumPy's .npy format (versions 1-3): the array format of the CLI and the examples.
/// Reads little-endian float32 / float16 / float64 (as Float) and int64 / int32 (as Int64)
/// C-ordered arrays; writes float32 and int64.
public enum Npy {
    /// A 1-D or 2-D array read from a file; `values` row-major.
    public struct Array2D<Element> {
        public var rows: Int
        public var columns: Int
        public var values: [Element]
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public static func readFloats(_ path: String) throws -> Array2D<Float> {
        let (descr, shape, payload) = try parse(path)
        let (rows, columns) = try matrixShape(shape, path: path)
        let count = rows * columns
        let values: [Float]
        switch descr {
        case "<f4": values = try decode(payload, count: count, width: 4, path: path) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
        case "<f2": values = try decode(payload, count: count, width: 2, path: path) { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) }
        case "<f8": values = try decode(payload, count: count, width: 8, path: path) { Float(Double(bitPattern: $0)) }
        default: throw StasisError(.unsupported, "'\(path)' holds dtype \(descr); expected float32, float16 or float64")
        }
        return Array2D(rows: rows, columns: columns, values: values)
    }

    public static func readIntegers(_ path: String) throws -> Array2D<Int64> {
        let (descr, shape, payload) = try parse(path)
        let (rows, columns) = try matrixShape(shape, path: path)
        let count = rows * columns
        let values: [Int64]
        switch descr {
        case "<i8": values = try decode(payload, count: count, width: 8, path: path) { Int64(bitPattern: $0) }
        case "<i4": values = try decode(payload, count: count, width: 4, path: path) { Int64(Int32(truncatingIfNeeded: $0)) }
        default: throw StasisError(.unsupported, "'\(path)' holds dtype \(descr); expected int64 or int32")
        }
        return Array2D(rows: rows, columns: columns, values: values)
    }

    public static func write(_ values: [Float], rows: Int, columns: Int, to path: String) throws {
        try write(descr: "<f4", shape: [rows, columns], body: { try $0.write(array: values) }, to: path)
    }

    /// Writes a rows x columns int64 matrix (search results: ids per query).
    public static func writeIntegers(_ values: [Int64], rows: Int, columns: Int, to path: String) throws {
        try write(descr: "<i8", shape: [rows, columns], body: { try $0.write(array: values) }, to: path)
    }

    public static func write(_ values: [Int64], count: Int, to path: String) throws {
        try write(descr: "<i8", shape: [count], body: { try $0.write(array: values) }, to: path)
    }

    private static func write(descr: String, shape: [Int], body: (AtomicFileWriter) throws -> Void, to path: String) throws {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Version 1: magic(6) + version(2) + length(2) + header, padded with spaces to 64 bytes, ending in \n.
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var prefix = magic + [1, 0]
        prefix += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        let writer = try AtomicFileWriter(path: path)
        try writer.write(array: prefix + Array(header.utf8))
        try body(writer)
        try writer.commit()
    }

    private static func parse(_ path: String) throws -> (String, [Int], ArraySlice<UInt8>) {
        let bytes = try readFile(path)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw StasisError(.corruptFile, "'\(path)' is not a .npy file")
        }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard [1, 2, 3].contains(major), bytes.count >= 8 + lengthBytes else {
            throw StasisError(.unsupportedFormat, "'\(path)' uses .npy version \(major); supported: 1-3")
        }
        var length = 0
        for i in (0..<lengthBytes).reversed() { length = length << 8 | Int(bytes[8 + i]) }
        let start = 8 + lengthBytes
        guard bytes.count >= start + length else { throw StasisError(.corruptFile, "'\(path)' is truncated in its header") }
        let header = String(decoding: bytes[start..<(start + length)], as: UTF8.self)
        guard let descr = value(of: "descr", in: header)?.trimmingCharacters(in: "'\""),
              let order = value(of: "fortran_order", in: header), let shapeText = value(of: "shape", in: header)
        else { throw StasisError(.corruptFile, "'\(path)' has an unreadable .npy header") }
        guard order == "False" else { throw StasisError(.unsupported, "'\(path)' is Fortran-ordered; save it C-ordered") }
        let shape = try shapeText.trimmingCharacters(in: "()").split(separator: ",").map { part -> Int in
            guard let n = Int(part.trimmingCharacters(in: " ")), n >= 0 else {
                throw StasisError(.corruptFile, "'\(path)' has an unreadable shape \(shapeText)")
            }
            return n
        }
        return (descr, shape, bytes[(start + length)...])
    }

    /// The text after `'key':` up to the next top-level comma.
    private static func value(of key: String, in header: String) -> String? {
        guard let range = header.firstRange(of: "'\(key)':") else { return nil }
        var depth = 0
        var result = ""
        for character in header[range.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," && depth == 0) || character == "}" { break }
            result.append(character)
        }
        return result.trimmingCharacters(in: " ")
    }

    /// Rows and columns; their product is checked so later size arithmetic cannot overflow.
    private static func matrixShape(_ shape: [Int], path: String) throws -> (Int, Int) {
        let (rows, columns): (Int, Int)
        switch shape.count {
        case 1: (rows, columns) = (shape[0], 1)
        case 2: (rows, columns) = (shape[0], shape[1])
        default: throw StasisError(.invalidArgument, "'\(path)' has \(shape.count) dimensions; expected 1 or 2")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, count < 1 << 40 else { throw StasisError(.corruptFile, "'\(path)' has an impossible shape \(shape)") }
        return (rows, columns)
    }

    private static func decode<T>(
        _ payload: ArraySlice<UInt8>, count: Int, width: Int, path: String, _ convert: (UInt64) -> T
    ) throws -> [T] {
        guard payload.count == count * width else {
            throw StasisError(.corruptFile, "'\(path)' holds \(payload.count) data bytes, its shape needs \(count * width)")
        }
        return payload.withUnsafeBytes { raw in
            (0..<count).map { i in
                var bits: UInt64 = 0
                for b in (0..<width).reversed() { bits = bits << 8 | UInt64(raw[i * width + b]) }
                return convert(bits)
            }
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let first = s.first, set.contains(first) { s.removeFirst() }
        while let last = s.last, set.contains(last) { s.removeLast() }
        return String(s)
    }
}

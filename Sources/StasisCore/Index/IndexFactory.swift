/// A validated Faiss factory description.
///
/// Faiss's `index_factory` trusts the numbers in its description: `IVF0,Flat` builds an index
/// whose first add aborts the process, `HNSW1` one whose first add segfaults, `IVF16,PQ0` divides
/// by zero inside the constructor, and `IVF1000000000,Flat` allocates tens of gigabytes. So Stasis
/// accepts only the grammar below, checks every number against the limits that keep Faiss sound
/// and its allocations bounded, and hands Faiss only the canonical string it rebuilt itself.
///
///     Flat
///     HNSW[<M>][,Flat | ,SQ<4|6|8|fp16>]        M in 2...256 (default 32)
///     IVF<lists>,<Flat | SQ<4|6|8|fp16> | PQ<m>[x<bits>][np]>
///                                               lists in 1...1_048_576, m in 1...d dividing d,
///                                               bits in 1...8 (default 8)
///
/// HNSW over PQ storage is refused: Faiss 1.7.3 builds it with the L2 metric whatever is asked.
public struct IndexFactory: Equatable, Sendable {
    /// Largest HNSW M: 2M neighbour slots per vector at level 0 keep a graph within ~2 KB per vector.
    public static let maxHNSWNeighbors = 256
    /// Largest number of IVF lists: each costs a pair of list headers even when empty.
    public static let maxLists = 1 << 20
    /// PQ code bits per sub-quantizer Faiss's IVF-PQ supports.
    public static let pqBits = 1...8

    /// How vectors are stored.
    public enum Codes: Equatable, Sendable {
        case flat
        case scalar(String)  // "SQ4", "SQ6", "SQ8", "SQfp16"
        case product(subquantizers: Int, bits: Int, polysemous: Bool)
    }

    /// The index family and its structural parameters.
    public enum Structure: Equatable, Sendable {
        case flat
        case hnsw(neighbors: Int, codes: Codes)
        case ivf(lists: Int, codes: Codes)
    }

    public let structure: Structure

    /// Parses and checks `description` for vectors of `dimension`.
    /// - Throws: `.invalidArgument` naming the part that is malformed or out of range.
    public init(_ description: String, dimension: Int) throws {
        let text = description.trimmingSpaces
        func fail(_ reason: String) -> StasisError {
            StasisError.invalid("factory '\(description)': \(reason)")
        }
        guard !text.isEmpty else { throw StasisError.invalid("factory description is empty") }
        if text.contains("IDMap") { throw fail("omit IDMap; Stasis maps ids itself") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)

        if parts == ["Flat"] {
            structure = .flat
        } else if parts[0].hasPrefix("HNSW"), parts.count <= 2 {
            let digits = parts[0].dropFirst(4)
            let neighbors = digits.isEmpty ? 32 : try Self.number(digits, "HNSW M", fail)
            guard neighbors >= 2, neighbors <= Self.maxHNSWNeighbors else {
                throw fail("HNSW M must be in 2...\(Self.maxHNSWNeighbors), got \(digits)")
            }
            let codes = parts.count == 2 ? try Self.codes(parts[1], dimension: dimension, fail) : .flat
            if case .product = codes {
                throw fail("HNSW over PQ storage is not supported (Faiss builds it with the L2 metric); use HNSW<M>,SQ8 or IVF<lists>,PQ<m>")
            }
            structure = .hnsw(neighbors: neighbors, codes: codes)
        } else if parts[0].hasPrefix("IVF"), parts.count == 2 {
            let lists = try Self.number(parts[0].dropFirst(3), "IVF list count", fail)
            guard lists >= 1, lists <= Self.maxLists else {
                throw fail("IVF list count must be in 1...\(Self.maxLists), got \(parts[0].dropFirst(3))")
            }
            structure = .ivf(lists: lists, codes: try Self.codes(parts[1], dimension: dimension, fail))
        } else {
            throw fail("not a supported index type (use Flat, HNSW<M>[,Flat|,SQ8], IVF<lists>,Flat, IVF<lists>,SQ8 or IVF<lists>,PQ<m>[x<bits>])")
        }
    }

    /// The description Faiss receives and the index records: rebuilt from the parsed values, so
    /// "HNSW" reads back as "HNSW32" and nothing unchecked reaches Faiss.
    public var canonical: String {
        switch structure {
        case .flat: return "Flat"
        case .hnsw(let m, .flat): return "HNSW\(m)"
        case .hnsw(let m, let codes): return "HNSW\(m),\(Self.text(codes))"
        case .ivf(let lists, let codes): return "IVF\(lists),\(Self.text(codes))"
        }
    }

    private static func text(_ codes: Codes) -> String {
        switch codes {
        case .flat: return "Flat"
        case .scalar(let name): return name
        case .product(let m, let bits, let polysemous):
            return "PQ\(m)" + (bits == 8 ? "" : "x\(bits)") + (polysemous ? "" : "np")
        }
    }

    private static func codes(_ part: String, dimension: Int, _ fail: (String) -> StasisError) throws -> Codes {
        switch part {
        case "Flat": return .flat
        case "SQ4", "SQ6", "SQ8", "SQfp16": return .scalar(part)
        default: break
        }
        guard part.hasPrefix("PQ") else {
            throw fail("unknown vector codes '\(part)' (use Flat, SQ4, SQ6, SQ8, SQfp16 or PQ<m>[x<bits>])")
        }
        var rest = Substring(part.dropFirst(2))
        let polysemous = !rest.hasSuffix("np")
        if !polysemous { rest = rest.dropLast(2) }
        let pieces = rest.split(separator: "x", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { throw fail("PQ codes are PQ<m> or PQ<m>x<bits>, got '\(part)'") }
        let m = try number(pieces[0], "PQ sub-quantizer count m", fail)
        let bits = pieces.count == 2 ? try number(pieces[1], "PQ bits", fail) : 8
        guard m >= 1, m <= dimension, dimension % m == 0 else {
            throw fail("PQ sub-quantizer count m must divide the dimension \(dimension) (1...\(dimension)), got \(pieces[0])")
        }
        guard pqBits.contains(bits) else {
            throw fail("PQ bits must be in \(pqBits.lowerBound)...\(pqBits.upperBound), got \(pieces[1])")
        }
        return .product(subquantizers: m, bits: bits, polysemous: polysemous)
    }

    /// A decimal number; more than 9 digits (every limit above is smaller) reads as Int.max, so
    /// parsing cannot overflow and "IVF99999999999999999999" is an ordinary out-of-range error.
    private static func number(
        _ digits: Substring, _ name: String, _ fail: (String) -> StasisError
    ) throws -> Int {
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw fail("\(name) must be a decimal number, got '\(digits)'")
        }
        guard digits.count <= 9 else { return Int.max }
        return Int(digits) ?? Int.max
    }
}

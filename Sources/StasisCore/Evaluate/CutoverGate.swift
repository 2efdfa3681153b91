import FoundationEssentials

/// The answer to "may version t serve queries against the galleries of versions k₁…kₙ?".
///
/// Rule per gallery k < t: M[t][k] − M[k][k] > margin (ECC with a margin; strict, like AC).
/// A negative margin tolerates a small loss, a positive one demands a gain. The version's own
/// gallery (k = t) always passes: nothing older is involved.
public struct GateVerdict: Sendable, Codable, Equatable {
    /// Version that would serve queries.
    public var serve: UInt32
    /// Gallery versions it must serve, as asked.
    public var galleries: [UInt32]
    /// Required gain over each gallery's baseline.
    public var margin: Double
    /// Metric of the matrix the verdict was taken on.
    public var metric: String
    /// True when every checked cell passes.
    public var passed: Bool
    /// Names of the failing cells, "v<t>/v<k>" (query version / gallery version).
    public var failing: [String]
    /// Every checked cell, in the order of `galleries`.
    public var cells: [Cell]

    /// One checked cell.
    public struct Cell: Sendable, Codable, Equatable {
        /// "v<t>/v<k>".
        public var name: String
        /// t: the version whose queries are answered.
        public var queryVersion: UInt32
        /// k: the version whose gallery answers them.
        public var galleryVersion: UInt32
        /// M[t][k].
        public var value: Double
        /// M[k][k], what version k's own queries achieve on that gallery.
        public var baseline: Double
        /// value − baseline > margin, or the version's own gallery.
        public var passed: Bool

        enum CodingKeys: String, CodingKey {
            case name
            case queryVersion = "query_version"
            case galleryVersion = "gallery_version"
            case value, baseline, passed
        }
    }

    /// Name of cell (t, k).
    static func cellName(_ t: UInt32, _ k: UInt32) -> String { "v\(t)/v\(k)" }

    /// Evaluates the gate on a matrix whose rows and columns follow `versions`.
    /// - Throws: `.invalidArgument` for an unknown version, a gallery newer than `serve` (the
    ///   matrix has no such cell), no gallery at all, a repeated gallery or a non-finite margin.
    static func evaluate(
        matrix: [[Double?]], versions: [UInt32], metric: String, serve: UInt32, galleries: [UInt32], margin: Double
    ) throws -> GateVerdict {
        guard margin.isFinite else { throw StasisError.invalid("the gate margin must be finite, got \(margin)") }
        guard !galleries.isEmpty else { throw StasisError.invalid("the gate needs at least one gallery version to check") }
        func position(_ version: UInt32, _ role: String) throws -> Int {
            guard let index = versions.firstIndex(of: version) else {
                throw StasisError.invalid(
                    "\(role) version \(version) is not in the report; its versions are \(versions.map(String.init).joined(separator: ", "))")
            }
            return index
        }
        let t = try position(serve, "serving")
        var cells: [Cell] = []
        var seen = Set<UInt32>()
        for version in galleries {
            guard seen.insert(version).inserted else { throw StasisError.invalid("gallery version \(version) is listed twice") }
            let k = try position(version, "gallery")
            guard k <= t else {
                throw StasisError.invalid(
                    "version \(serve) cannot be gated against the gallery of newer version \(version): the matrix only has cells for galleries of the same or older versions")
            }
            guard let value = matrix[t][k], let baseline = matrix[k][k] else {
                throw StasisError.invalid("the report has no value for cell \(cellName(serve, version))")
            }
            let passed = k == t || value - baseline > margin
            cells.append(Cell(name: cellName(serve, version), queryVersion: serve, galleryVersion: version,
                              value: value, baseline: baseline, passed: passed))
        }
        return GateVerdict(serve: serve, galleries: galleries, margin: margin, metric: metric,
                           passed: cells.allSatisfy(\.passed), failing: cells.filter { !$0.passed }.map(\.name), cells: cells)
    }
}

extension EvaluationReport {
    /// May version `serve` answer queries against the galleries of `galleries`? See `GateVerdict`.
    public func gate(serve: UInt32, galleries: [UInt32], margin: Double = 0) throws -> GateVerdict {
        try GateVerdict.evaluate(matrix: matrix, versions: versions, metric: metric, serve: serve,
                                 galleries: galleries, margin: margin)
    }
}

extension GateVerdict {
    /// The verdict as JSON (the "gate" object of the report; keys in docs/evaluation.md).
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw StasisError(.internalError, "cannot encode the gate verdict as JSON: \(error)")
        }
    }

    /// Writes the verdict's JSON to `path` atomically.
    public func writeJSON(to path: String) throws { try EvaluationReport.write(try json(), to: path) }
}

import FoundationEssentials

/// Reading and writing reports: JSON (the stable, documented form) and HTML (for people).
extension EvaluationReport {
    /// The report as JSON text, keys sorted so two reports of the same data compare byte for byte.
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw StasisError(.internalError, "cannot encode the report as JSON: \(error)")
        }
    }

    /// Parses a report written by `json()` (e.g. for `stasis gate --report`).
    /// - Throws: `.corruptFile` for text that is not a Stasis evaluation report,
    ///   `.unsupportedFormat` for a report of a newer format.
    public static func parse(json bytes: [UInt8], source: String) throws -> EvaluationReport {
        struct Header: Decodable {
            let format: String?
            let format_version: Int?
        }
        let header = try? JSONDecoder().decode(Header.self, from: Data(bytes))
        guard let header, header.format == "stasis.evaluation" else {
            throw StasisError(.corruptFile, "'\(source)' is not a Stasis evaluation report (no \"format\": \"stasis.evaluation\")")
        }
        guard let version = header.format_version, version <= 1 else {
            throw StasisError(.unsupportedFormat,
                "'\(source)' is a version \(header.format_version ?? -1) evaluation report; this library (\(LibraryVersion.string)) reads version 1")
        }
        do {
            let report = try JSONDecoder().decode(EvaluationReport.self, from: Data(bytes))
            try report.checkShape(source: source)
            return report
        } catch let error as StasisError {
            throw error
        } catch {
            throw StasisError(.corruptFile, "'\(source)' is not a valid evaluation report: \(error)")
        }
    }

    /// Reads a JSON report file.
    public static func open(_ path: String) throws -> EvaluationReport {
        try parse(json: try readFile(path), source: path)
    }

    /// Writes the JSON report atomically.
    public func writeJSON(to path: String) throws { try Self.write(try json(), to: path) }

    /// Writes the self-contained HTML report atomically.
    public func writeHTML(to path: String) throws { try Self.write(Array(html().utf8), to: path) }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(array: bytes)
        try writer.commit()
    }

    /// A decoded report must still be indexable by the gate and the page: T × T matrices, one
    /// count per version (a hand-edited file must fail here, not trap later).
    private func checkShape(source: String) throws {
        let t = versions.count
        func square<T>(_ grid: [[T]]?) -> Bool { grid.map { $0.count == t && $0.allSatisfy { $0.count == t } } ?? true }
        guard t > 0, square(matrix), square(ecc), square(negativeFlips), matrices.values.allSatisfy({ square($0) }),
              queryCounts.count == t, galleryCounts.count == t
        else {
            throw StasisError(.corruptFile, "'\(source)': the matrices are not \(t) x \(t) for \(t) versions, or the counts do not match")
        }
        guard Set(versions).count == t else { throw StasisError(.corruptFile, "'\(source)': repeated version numbers") }
    }

    /// Attaches a backfill curve (shown in the HTML report and written to the JSON).
    public mutating func attach(backfill curve: BackfillCurve) { backfill = curve }
}

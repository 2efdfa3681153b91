/// A labelled set of vectors (queries or gallery of one model version), L2-normalised on entry.
///
/// Every metric in `Evaluate/` scores by cosine similarity, so vectors are checked (finite,
/// non-zero) and scaled to unit length once here, not in every cell of a matrix.
public struct LabelledVectors: Sendable {
    /// Number of rows.
    public let count: Int
    /// Width of each row.
    public let dimension: Int
    /// Unit rows, row-major (count × dimension).
    public let vectors: [Float]
    /// One class label per row.
    public let labels: [Int64]

    /// Checks and normalises `count` = `labels.count` rows of `dimension` floats.
    /// - Parameter role: names the set in error messages ("queries of v2", "gallery").
    /// - Throws: `.invalidArgument` for a length mismatch, NaN/Inf, a zero row or an empty set.
    public init(vectors: [Float], labels: [Int64], dimension: Int, role: String) throws {
        guard dimension > 0 else { throw StasisError.invalid("\(role): dimension must be > 0, got \(dimension)") }
        guard !labels.isEmpty else { throw StasisError.invalid("\(role) is empty; evaluation needs at least one row") }
        let (expected, overflow) = labels.count.multipliedReportingOverflow(by: dimension)
        guard !overflow, vectors.count == expected else {
            throw StasisError.invalid(
                "\(role): \(vectors.count) floats do not make \(labels.count) rows (one per label) of dimension \(dimension)")
        }
        let unit = try UnitRows(vectors, count: labels.count, dimension: dimension, role: "\(role) row")
        self.count = labels.count
        self.dimension = dimension
        self.vectors = unit.values
        self.labels = labels
    }

    /// Number of rows per label.
    var classSizes: [Int64: Int] { labels.reduce(into: [:]) { $0[$1, default: 0] += 1 } }
}

/// How the gallery is presented to the queries.
public enum GalleryMode: String, Sendable, Codable, CaseIterable {
    /// Every gallery item is a candidate; a query is right when a same-class item ranks first.
    case items
    /// The gallery collapses to one L2-normalised mean ("template") per class.
    case templates

    /// Parses "items" or "templates".
    public init(parsing text: String) throws {
        guard let mode = GalleryMode(rawValue: text) else {
            throw StasisError.invalid("unknown gallery mode '\(text)'; expected items or templates")
        }
        self = mode
    }
}

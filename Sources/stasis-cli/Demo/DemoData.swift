import StasisCore

/// The demo's built-in corpus (examples/data/wordnet, written by its generate.py) and the split
/// every stage uses. The split is a documented rule, not a stored file, so a test can rebuild it
/// from the same files through the Python API:
/// - class roles by index: the first `v1Classes` classes are known at v1, the next `v2Classes` are
///   added at v2, the rest are never trained on ("unseen");
/// - within each class, in file order, item p is a query when p % 5 == 0, otherwise a gallery item;
/// - training rows are the gallery items of the classes a version knows;
/// - `perClass` (the shortened demo) keeps only the first `perClass` items of each class.
struct DemoData {
    static let v1Classes = 60
    static let v2Classes = 60

    let texts: [String]
    let labels: [Int]
    let classNames: [String]
    let old: Npy.Array2D<Float>
    let new: Npy.Array2D<Float>
    let oldName = "WordLlama l2_supercat (256-d)"
    let newName = "all-MiniLM-L6-v2 (384-d)"

    /// Rows of the two roles, in file order.
    private(set) var queries: [Int] = []
    private(set) var gallery: [Int] = []

    enum Role: Int, CaseIterable { case both = 0, v2Only, unseen }

    static func load(from folder: String, perClass: Int?) throws -> DemoData {
        func path(_ name: String) -> String { folder + "/" + name }
        let texts = try readLines(path("texts.txt"))
        let classNames = try readLines(path("classes.txt"))
        let labels = try Npy.readIntegers(path("labels.npy"))
        let old = try Npy.readFloats(path("wordllama.npy"))
        let new = try Npy.readFloats(path("minilm.npy"))
        let n = texts.count
        guard labels.rows == n, labels.columns == 1, old.rows == n, new.rows == n else {
            throw StasisError(.corruptFile,
                "demo data in '\(folder)' disagree: \(n) texts, \(labels.rows) labels, \(old.rows) and \(new.rows) feature rows; regenerate it with generate.py")
        }
        guard classNames.count > v1Classes + v2Classes,
              labels.values.allSatisfy({ $0 >= 0 && $0 < Int64(classNames.count) }) else {
            throw StasisError(.corruptFile, "demo data in '\(folder)': labels must index \(classNames.count) classes (more than \(v1Classes + v2Classes))")
        }
        var data = DemoData(texts: texts, labels: labels.values.map { Int($0) }, classNames: classNames, old: old, new: new)
        data.split(perClass: perClass)
        return data
    }

    private mutating func split(perClass: Int?) {
        var seen = [Int](repeating: 0, count: classNames.count)
        for (row, label) in labels.enumerated() {
            let p = seen[label]
            seen[label] += 1
            if let perClass, p >= perClass { continue }
            if p % 5 == 0 { queries.append(row) } else { gallery.append(row) }
        }
    }

    func role(ofClass c: Int) -> Role {
        c < Self.v1Classes ? .both : c < Self.v1Classes + Self.v2Classes ? .v2Only : .unseen
    }

    /// Training rows of a version that knows `classes` (the first that many class indices).
    func trainingRows(classes: Int) -> [Int] { gallery.filter { labels[$0] < classes } }

    /// The rows' features (row-major) from `matrix`.
    func rows(_ rows: [Int], of matrix: Npy.Array2D<Float>) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.count * matrix.columns)
        for r in rows { out.append(contentsOf: matrix.values[(r * matrix.columns)..<((r + 1) * matrix.columns)]) }
        return out
    }

    /// `count` gallery rows spread evenly over the gallery (every class, labelled or not): the items
    /// a team would encode with both models to pair them up.
    func pairedSample(_ count: Int) -> [Int] {
        guard count > 0, !gallery.isEmpty else { return [] }
        let stride = max(1, gallery.count / count)
        return Array(gallery.enumerated().filter { $0.offset % stride == 0 }.prefix(count).map(\.element))
    }

    func classLabels(_ rows: [Int]) -> [ClassLabel] { rows.map { .name(classNames[labels[$0]]) } }

    /// The file's lines without terminators; a final empty line is dropped.
    static func readLines(_ path: String) throws -> [String] {
        var lines = try TextLines.read(path, hint: "; is --data the folder of the built-in corpus?")
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}

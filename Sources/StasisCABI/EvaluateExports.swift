import Glibc
import StasisCore

// Exports for the "Evaluation" section of include/stasis.h.

/// The report behind a `stasis_report*`: reads run in parallel, attaching a backfill curve is
/// exclusive (the header documents it).
final class ReportBox {
    private var report: EvaluationReport
    private let lock = ReadWriteLock()

    init(_ report: EvaluationReport) { self.report = report }

    func read<T>(_ body: (EvaluationReport) throws -> T) rethrows -> T { try lock.reading { try body(report) } }
    func update(_ body: (inout EvaluationReport) throws -> Void) rethrows { try lock.writing { try body(&report) } }
}

typealias ReportHandle = Handle<ReportBox>

/// Reads a `stasis_labelled_vectors` (offsets: n 0, dim 8, vectors 16, labels 24; 32 bytes).
enum LabelledVectorsABI {
    static let size = 32

    static func read(_ raw: UnsafeRawPointer, _ role: String) throws -> LabelledVectors {
        let n = try Arguments.count(raw.loadUnaligned(as: Int64.self), "\(role).n")
        let dimension = try Arguments.dimension(raw.loadUnaligned(fromByteOffset: 8, as: Int64.self))
        let vectors = raw.loadUnaligned(fromByteOffset: 16, as: UnsafePointer<Float>?.self)
        let labels = raw.loadUnaligned(fromByteOffset: 24, as: UnsafePointer<Int64>?.self)
        return try LabelledVectors(
            vectors: try Arguments.array(vectors, rows: n, dimension: dimension, "\(role).vectors"),
            labels: try Arguments.array(labels, rows: n, "\(role).labels"), dimension: dimension, role: role)
    }

    static func read(_ raw: UnsafeRawPointer?, _ role: String) throws -> LabelledVectors {
        try read(try Arguments.required(raw, role), role)
    }
}

/// Reads a caller's `stasis_evaluate_options`, honouring `struct_size` (see SearchOptionsABI).
///
///     offset 0  size_t   struct_size       offset 32 int64_t  pair_samples
///     offset 8  char*    metric            offset 40 uint64_t seed
///     offset 16 int32_t  mode              offset 48 double   margin
///     offset 20 int32_t  n_k               offset 56 char*    title
///     offset 24 int64_t* ks                offset 64 stasis_labelled_vectors* reference_queries
///                                          offset 72 stasis_labelled_vectors* reference_gallery
enum EvaluateOptionsABI {
    static let knownSize = 80

    static func read(_ raw: UnsafeRawPointer?) throws -> EvaluationOptions {
        var options = EvaluationOptions()
        guard let raw else { return options }
        let layout = try VersionedStruct(raw, name: "stasis_evaluate_options", initializer: "STASIS_EVALUATE_OPTIONS_INIT", knownSize: knownSize)
        if let metric = layout.field(8, UnsafePointer<CChar>?.self) ?? nil {
            options.metric = try MatrixMetric(parsing: String(cString: metric))
        }
        if let mode = layout.field(16, Int32.self) { options.mode = try galleryMode(mode) }
        if let count = layout.field(20, Int32.self), count != 0 {
            options.ks = try Arguments.array(layout.field(24, UnsafePointer<Int64>?.self) ?? nil, rows: try Arguments.count(Int64(count), "n_k"), "ks")
                .map { try checkedK($0) }
        }
        if let samples = layout.field(32, Int64.self), samples != 0 {
            guard samples <= 100_000_000 else { throw StasisError(.invalidArgument, "pair_samples must be <= 100000000, got \(samples)") }
            options.pairSamples = samples < 0 ? 0 : Int(samples)
        }
        if let seed = layout.field(40, UInt64.self) { options.seed = seed }
        if let margin = layout.field(48, Double.self) {
            guard margin.isFinite else { throw StasisError(.invalidArgument, "margin must be finite, got \(margin)") }
            options.margin = margin
        }
        if let title = layout.field(56, UnsafePointer<CChar>?.self) ?? nil { options.title = String(cString: title) }
        if let queries = layout.field(64, UnsafeRawPointer?.self) ?? nil {
            let gallery = layout.field(72, UnsafeRawPointer?.self) ?? nil
            options.reference = EvaluationVersion(
                version: 0, queries: try LabelledVectorsABI.read(queries, "reference_queries"),
                gallery: try gallery.map { try LabelledVectorsABI.read($0, "reference_gallery") })
        } else if (layout.field(72, UnsafeRawPointer?.self) ?? nil) != nil {
            throw StasisError(.invalidArgument, "reference_gallery is set but reference_queries is NULL")
        }
        return options
    }
}

func galleryMode(_ mode: Int32) throws -> GalleryMode {
    switch mode {
    case 0: return .items
    case 1: return .templates
    default: throw StasisError(.invalidArgument, "mode must be STASIS_GALLERY_ITEMS (0) or STASIS_GALLERY_TEMPLATES (1), got \(mode)")
    }
}

private func checkedK(_ k: Int64) throws -> Int { try Arguments.k(k) }

private func report(_ pointer: OpaquePointer?) throws -> ReportBox { try ReportHandle.object(pointer, "report") }

@_cdecl("stasis_retrieval_metrics")
public func stasis_retrieval_metrics(
    _ queries: UnsafeRawPointer?, _ gallery: UnsafeRawPointer?, _ mode: Int32, _ nK: Int64,
    _ ks: UnsafePointer<Int64>?, _ outTop1: UnsafeMutablePointer<Double>?, _ outRecall: UnsafeMutablePointer<Double>?,
    _ outMap: UnsafeMutablePointer<Double>?
) -> Int32 {
    boundary {
        let top1 = try Arguments.required(outTop1, "out_top1")
        let map = try Arguments.required(outMap, "out_map")
        let kValues = try Arguments.array(ks, rows: try Arguments.count(nK, "n_k"), "ks").map(checkedK)
        let recall = kValues.isEmpty ? nil : try Arguments.required(outRecall, "out_recall")
        let parsedMode = try galleryMode(mode)
        let q = try LabelledVectorsABI.read(queries, "queries")
        let g = try gallery.map { try LabelledVectorsABI.read($0, "gallery") }
        let metrics = try Retrieval.evaluate(queries: q, gallery: g, ks: kValues, mode: parsedMode)
        top1.pointee = metrics.top1
        map.pointee = metrics.map
        for (i, k) in kValues.enumerated() { recall?[i] = metrics.recall(at: k) ?? .nan }
    }
}

@_cdecl("stasis_compatibility_metrics")
public func stasis_compatibility_metrics(
    _ t: Int64, _ matrix: UnsafePointer<Double>?, _ outAC: UnsafeMutablePointer<Double>?,
    _ outAM: UnsafeMutablePointer<Double>?, _ outBC: UnsafeMutablePointer<Double>?, _ outFC: UnsafeMutablePointer<Double>?
) -> Int32 {
    boundary {
        let count = try Arguments.count(t, "t")
        guard count <= 4096 else { throw StasisError(.invalidArgument, "t = \(t) versions is implausibly large (max 4096)") }
        let values = try Arguments.array(matrix, rows: count, dimension: count, "matrix")
        let rows = (0..<count).map { Array(values[($0 * count)..<(($0 + 1) * count)]) }
        let (ac, am, bc, fc) = (try Arguments.required(outAC, "out_ac"), try Arguments.required(outAM, "out_am"),
                                try Arguments.required(outBC, "out_bc"), try Arguments.required(outFC, "out_fc"))
        let summary = try CompatibilitySummary(matrix: rows)
        ac.pointee = summary.ac
        am.pointee = summary.am
        bc.pointee = summary.bc ?? .nan
        fc.pointee = summary.fc ?? .nan
    }
}

@_cdecl("stasis_evaluate")
public func stasis_evaluate(
    _ t: Int64, _ versions: UnsafePointer<UInt32>?, _ queries: UnsafeRawPointer?, _ galleries: UnsafeRawPointer?,
    _ options: UnsafeRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try ReportHandle.produce(into: out) {
            let count = try Arguments.count(t, "t")
            guard count > 0 else { throw StasisError(.invalidArgument, "t must be >= 1 (no model versions given)") }
            guard count <= 4096 else { throw StasisError(.invalidArgument, "t = \(t) versions is implausibly large (max 4096)") }
            let numbers = versions == nil ? (1...count).map { UInt32($0) } : try Arguments.array(versions, rows: count, "versions")
            let queryBase = try Arguments.required(queries, "queries")
            let inputs = try (0..<count).map { i in
                EvaluationVersion(
                    version: numbers[i],
                    queries: try LabelledVectorsABI.read(queryBase + i * LabelledVectorsABI.size, "queries[\(i)]"),
                    gallery: try galleries.map { try LabelledVectorsABI.read($0 + i * LabelledVectorsABI.size, "galleries[\(i)]") })
            }
            return ReportBox(try Evaluation.run(inputs, options: try EvaluateOptionsABI.read(options)))
        }
    }
}

@_cdecl("stasis_report_free")
public func stasis_report_free(_ pointer: OpaquePointer?) { ReportHandle.release(pointer) }

@_cdecl("stasis_report_open")
public func stasis_report_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary {
        try ReportHandle.produce(into: out) { ReportBox(try EvaluationReport.open(try Arguments.string(path, "path"))) }
    }
}

@_cdecl("stasis_report_version_count")
public func stasis_report_version_count(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try ReportHandle.read(pointer, "report", into: out) { box in Int64(box.read { $0.versions.count }) } }
}

@_cdecl("stasis_report_matrix")
public func stasis_report_matrix(
    _ pointer: OpaquePointer?, _ capacity: Int64, _ outVersions: UnsafeMutablePointer<UInt32>?,
    _ outMatrix: UnsafeMutablePointer<Double>?
) -> Int32 {
    boundary {
        let (versions, matrix) = try report(pointer).read { ($0.versions, $0.matrix) }
        let t = versions.count
        guard capacity == Int64(t * t) else {
            throw StasisError(.invalidArgument, "matrix buffer holds \(capacity) doubles; the report needs exactly \(t) x \(t) = \(t * t)")
        }
        let out = try Arguments.required(outMatrix, "out_matrix")
        for (i, row) in matrix.enumerated() {
            for (j, value) in row.enumerated() { out[i * t + j] = value ?? .nan }
        }
        outVersions?.update(from: versions, count: t)
    }
}

@_cdecl("stasis_report_gate")
public func stasis_report_gate(
    _ pointer: OpaquePointer?, _ serve: UInt32, _ n: Int64, _ galleries: UnsafePointer<UInt32>?, _ margin: Double,
    _ outPassed: UnsafeMutablePointer<Int32>?, _ outJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    boundary {
        outJSON?.pointee = nil
        let passed = try Arguments.required(outPassed, "out_passed")
        let list = try Arguments.array(galleries, rows: try Arguments.count(n, "n"), "galleries")
        let verdict = try report(pointer).read { try $0.gate(serve: serve, galleries: list, margin: margin) }
        if let outJSON { try produceJSON(into: outJSON) { try verdict.json() } }
        passed.pointee = verdict.passed ? 1 : 0
    }
}

@_cdecl("stasis_report_set_backfill")
public func stasis_report_set_backfill(
    _ pointer: OpaquePointer?, _ n: Int64, _ fractions: UnsafePointer<Double>?, _ values: UnsafePointer<Double>?,
    _ label: UnsafePointer<CChar>?
) -> Int32 {
    boundary { try setBackfill(pointer, n, fractions, values, nil, label) }
}

@_cdecl("stasis_report_set_backfill_flips")
public func stasis_report_set_backfill_flips(
    _ pointer: OpaquePointer?, _ n: Int64, _ fractions: UnsafePointer<Double>?, _ values: UnsafePointer<Double>?,
    _ negativeFlips: UnsafePointer<Double>?, _ label: UnsafePointer<CChar>?
) -> Int32 {
    boundary {
        _ = try Arguments.required(negativeFlips, "negative_flips")
        try setBackfill(pointer, n, fractions, values, negativeFlips, label)
    }
}

private func setBackfill(
    _ pointer: OpaquePointer?, _ n: Int64, _ fractions: UnsafePointer<Double>?, _ values: UnsafePointer<Double>?,
    _ negativeFlips: UnsafePointer<Double>?, _ label: UnsafePointer<CChar>?
) throws {
    let box = try report(pointer)
    let count = try Arguments.count(n, "n")
    let curve = try EvaluationReport.BackfillCurve(
        fractions: try Arguments.array(fractions, rows: count, "fractions"),
        values: try Arguments.array(values, rows: count, "values"),
        label: label.map { String(cString: $0) } ?? "",
        negativeFlips: try negativeFlips.map { try Arguments.array($0, rows: count, "negative_flips") })
    box.update { $0.attach(backfill: curve) }
}

@_cdecl("stasis_report_json")
public func stasis_report_json(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    boundary { try produceJSON(into: out) { try report(pointer).read { try $0.json() } } }
}

@_cdecl("stasis_report_html")
public func stasis_report_html(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    boundary { try produceJSON(into: out) { try report(pointer).read { Array($0.html().utf8) } } }
}

@_cdecl("stasis_report_write_json")
public func stasis_report_write_json(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let target = try Arguments.string(path, "path")
        try report(pointer).read { try $0.writeJSON(to: target) }
    }
}

@_cdecl("stasis_report_write_html")
public func stasis_report_write_html(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary {
        let target = try Arguments.string(path, "path")
        try report(pointer).read { try $0.writeHTML(to: target) }
    }
}

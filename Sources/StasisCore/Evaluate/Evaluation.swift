/// One model version's evaluation data: its queries and, unless the queries search each other
/// (leave-one-out), its gallery. Vectors of different versions that meet in a cell must share a
/// dimension (the same stationary space, or already mapped by an adapter).
public struct EvaluationVersion: Sendable {
    /// Model version number (distinct per evaluation).
    public var version: UInt32
    /// Queries encoded by this version.
    public var queries: LabelledVectors
    /// Gallery encoded by this version; nil for leave-one-out.
    public var gallery: LabelledVectors?

    /// Bundles one version's sets.
    public init(version: UInt32, queries: LabelledVectors, gallery: LabelledVectors? = nil) {
        self.version = version
        self.queries = queries
        self.gallery = gallery
    }
}

/// Settings of a compatibility evaluation; the defaults are the stationarity papers' protocol.
public struct EvaluationOptions: Sendable {
    /// Metric of the matrix, the summary and the gate.
    public var metric: MatrixMetric = .top1
    /// Per-item or class-template gallery.
    public var mode: GalleryMode = .items
    /// k values of the Recall@k matrices (the metric's own k is added when missing).
    public var ks: [Int] = [1, 5, 10]
    /// Pairs sampled per cell and per kind for the pair inequalities; 0 skips them.
    public var pairSamples: Int = 10_000
    /// Seed of the pair sampling.
    public var seed: UInt64 = 0
    /// Margin of the report's default gate (newest version against every gallery).
    public var margin: Double = 0
    /// Title of the report.
    public var title: String = "Model compatibility report"
    /// An unconstrained model trained like the newest one (new*), for the update gain.
    public var reference: EvaluationVersion?

    /// The defaults: top-1, items, k = 1, 5, 10, 10000 pairs, seed 0, margin 0.
    public init() {}
}

/// Builds the compatibility matrix over model versions and everything derived from it.
public enum Evaluation {
    /// Evaluates `versions` (oldest first): cell [t][k] ranks version t's queries against version
    /// k's gallery, for every k ≤ t.
    /// - Throws: `.invalidArgument` for no versions (T = 0), repeated version numbers, a mix of
    ///   versions with and without galleries, a bad option, or any error of `Retrieval`;
    ///   `.dimensionMismatch` when two versions that meet in a cell differ in dimension.
    public static func run(_ versions: [EvaluationVersion], options: EvaluationOptions = EvaluationOptions()) throws -> EvaluationReport {
        guard !versions.isEmpty else {
            throw StasisError.invalid("no model versions given (T = 0): evaluation needs at least one")
        }
        guard Set(versions.map(\.version)).count == versions.count else {
            throw StasisError.invalid("version numbers must be distinct, got \(versions.map(\.version))")
        }
        let leaveOneOut = versions[0].gallery == nil
        guard versions.allSatisfy({ ($0.gallery == nil) == leaveOneOut }) else {
            throw StasisError.invalid("give a gallery for every version or for none (none: queries search each other, leave-one-out)")
        }
        guard options.pairSamples >= 0, options.pairSamples <= 100_000_000 else {
            throw StasisError.invalid("pair samples must be in 0...100000000, got \(options.pairSamples)")
        }
        guard options.margin.isFinite else { throw StasisError.invalid("the gate margin must be finite, got \(options.margin)") }
        var ks = try RetrievalMetrics.checkedKs(options.ks)
        if case .recall(let k) = options.metric, !ks.contains(k) { ks = (ks + [k]).sorted() }
        // Leave-one-out across versions pairs query i of version t with item i of version k.
        let aligned = versions.allSatisfy { $0.queries.labels == versions[0].queries.labels }
        if leaveOneOut && !aligned {
            throw StasisError.invalid(
                "without galleries (leave-one-out) every version's queries must be the same items, in the same order, with the same labels")
        }
        let count = versions.count
        var cells = [[RetrievalMetrics?]](repeating: .init(repeating: nil, count: count), count: count)
        var rightAtOne = [[[Bool]?]](repeating: .init(repeating: nil, count: count), count: count)
        for t in 0..<count {
            for k in 0...t {
                let rankings = try Retrieval.rank(
                    queries: versions[t].queries, gallery: versions[k].gallery ?? versions[k].queries,
                    leaveOneOut: leaveOneOut, mode: options.mode,
                    queryRole: "queries of v\(versions[t].version)",
                    galleryRole: leaveOneOut ? "queries of v\(versions[k].version)" : "gallery of v\(versions[k].version)")
                cells[t][k] = RetrievalMetrics(rankings: rankings, ks: ks)
                rightAtOne[t][k] = rankings.map { $0.firstCorrectRank == 1 }
            }
        }
        func matrix(_ value: (RetrievalMetrics) -> Double) -> [[Double?]] { cells.map { $0.map { $0.map(value) } } }
        let primary = matrix { options.metric.value(of: $0) }
        var matrices = ["top1": matrix(\.top1), "map": matrix(\.map)]
        for k in ks { matrices["recall@\(k)"] = matrix { $0.recall(at: k) ?? .nan } }
        let dense = primary.enumerated().map { t, row in row.enumerated().map { k, value in k <= t ? value ?? .nan : 0 } }
        let compatibility = try CompatibilitySummary(matrix: dense)
        let ecc: [[Bool?]] = (0..<count).map { t in
            (0..<count).map { k in k < t ? dense[t][k] > dense[k][k] : nil }
        }
        var notes: [String] = []
        var flips: [[Double?]]?
        var pairs: EvaluationReport.PairReport?
        if aligned {
            flips = (0..<count).map { t in
                (0..<count).map { k -> Double? in
                    guard k < t, let old = rightAtOne[k][k], let new = rightAtOne[t][k] else { return nil }
                    return Double(zip(old, new).count { $0 && !$1 }) / Double(max(old.count, 1))
                }
            }
            if options.pairSamples > 0 && count > 1 {
                pairs = samplePairs(versions, leaveOneOut: leaveOneOut, options: options)
            }
        } else if count > 1 {
            notes.append("The versions' query sets are not the same items, so negative flips and pair inequalities are not measured.")
        }
        var summary = EvaluationReport.Summary(ac: compatibility.ac, am: compatibility.am, bc: compatibility.bc, fc: compatibility.fc)
        if let reference = options.reference {
            guard (reference.gallery == nil) == leaveOneOut else {
                throw StasisError.invalid("the reference model must follow the same protocol as the versions (a gallery for all, or for none)")
            }
            let value = options.metric.value(of: RetrievalMetrics(rankings: try Retrieval.rank(
                queries: reference.queries, gallery: reference.gallery ?? reference.queries, leaveOneOut: leaveOneOut,
                mode: options.mode, queryRole: "reference queries", galleryRole: "reference gallery"), ks: ks))
            summary.referenceMetric = value
            if count > 1 {
                summary.updateGain = (0..<(count - 1)).map { k in
                    let denominator = value - dense[k][k]
                    return denominator == 0 ? nil : (dense[count - 1][k] - dense[k][k]) / denominator
                }
            } else {
                notes.append("The update gain needs at least two versions.")
            }
        }
        let newest = versions[count - 1].version
        let gate = try GateVerdict.evaluate(
            matrix: primary, versions: versions.map(\.version), metric: options.metric.name, serve: newest,
            galleries: versions.map(\.version), margin: options.margin)
        return EvaluationReport(
            title: options.title, metric: options.metric.name, mode: options.mode.rawValue,
            protocol: leaveOneOut ? "leave_one_out" : "gallery", tiePolicy: EvaluationReport.tieRule, ks: ks,
            versions: versions.map(\.version), queryCounts: versions.map(\.queries.count),
            galleryCounts: versions.map { ($0.gallery ?? $0.queries).count },
            matrix: primary, matrices: matrices, ecc: ecc, summary: summary, negativeFlips: flips,
            pairSatisfaction: pairs, gate: gate, backfill: nil, notes: notes)
    }

    private static func samplePairs(
        _ versions: [EvaluationVersion], leaveOneOut: Bool, options: EvaluationOptions
    ) -> EvaluationReport.PairReport {
        var cells: [EvaluationReport.PairCell] = []
        for t in 1..<versions.count {
            for k in 0..<t {
                // One generator per cell, seeded from the cell: rates do not depend on evaluation order.
                let cellSeed = options.seed ^ (UInt64(versions[t].version) << 32 | UInt64(versions[k].version))
                let rates = PairSatisfaction.sample(
                    newQueries: versions[t].queries, oldQueries: versions[k].queries,
                    gallery: versions[k].gallery ?? versions[k].queries, leaveOneOut: leaveOneOut,
                    samples: options.pairSamples, seed: cellSeed)
                cells.append(EvaluationReport.PairCell(
                    queryVersion: versions[t].version, galleryVersion: versions[k].version,
                    sameClass: rates.same, differentClass: rates.different))
            }
        }
        return EvaluationReport.PairReport(samplesRequested: options.pairSamples, seed: options.seed, cells: cells)
    }
}

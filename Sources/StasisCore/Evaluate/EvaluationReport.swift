/// Everything an evaluation measured, in the shape of its JSON file (keys: docs/evaluation.md).
///
/// Matrices are indexed [query version][gallery version] in the order of `versions`; cells above
/// the diagonal (and cells a measure does not define) are nil, written as JSON null.
public struct EvaluationReport: Sendable, Codable {
    /// Always "stasis.evaluation".
    public var format = "stasis.evaluation"
    /// Raised only when a key changes meaning or disappears; new keys may appear at any time.
    public var formatVersion = 1
    /// Stasis version that wrote the report.
    public var libraryVersion = LibraryVersion.string
    /// Report title.
    public var title: String
    /// Name of the matrix metric ("top1", "map", "recall@K").
    public var metric: String
    /// "items" or "templates".
    public var mode: String
    /// "gallery" (separate query and gallery sets) or "leave_one_out" (queries search each other).
    public var `protocol`: String
    /// The tie rule of the rankings and of AC, in words (printed in the HTML report).
    public var tiePolicy: String
    /// The k values of the Recall@k matrices.
    public var ks: [Int]
    /// Model version numbers, oldest first.
    public var versions: [UInt32]
    /// Query rows per version.
    public var queryCounts: [Int]
    /// Gallery rows per version (the queries under leave-one-out).
    public var galleryCounts: [Int]
    /// The compatibility matrix of `metric`.
    public var matrix: [[Double?]]
    /// Matrices of every metric measured: "top1", "map", "recall@K" for each k.
    public var matrices: [String: [[Double?]]]
    /// ECC per cell below the diagonal: M[t][k] > M[k][k] (strict).
    public var ecc: [[Bool?]]
    /// AC, AM, BC, FC and the update gain of `matrix`.
    public var summary: Summary
    /// Per cell below the diagonal: fraction of queries right at top-1 with version k's queries on
    /// version k's gallery and wrong with version t's queries on it. Nil when the query sets of the
    /// versions do not hold the same items.
    public var negativeFlips: [[Double?]]?
    /// Pair-inequality rates; nil when not measured.
    public var pairSatisfaction: PairReport?
    /// The default cutover question: the newest version serving every gallery, at `gateMargin`.
    public var gate: GateVerdict
    /// Backfill curve (fraction of the gallery re-encoded → metric), when one was attached.
    public var backfill: BackfillCurve?
    /// Caveats found while evaluating (why a measure is missing), in words.
    public var notes: [String]

    /// AC, AM, BC, FC (see `CompatibilitySummary`) and the update gain.
    public struct Summary: Sendable, Codable, Equatable {
        /// Average compatibility.
        public var ac: Double
        /// Average multi-model metric.
        public var am: Double
        /// Backward compatibility (nil for T = 1).
        public var bc: Double?
        /// Forward compatibility (nil for T = 1).
        public var fc: Double?
        /// Metric of the unconstrained reference model on its own gallery (M(new*, new*)).
        public var referenceMetric: Double?
        /// Per older version k: [M[T−1][k] − M[k][k]] / [M(new*, new*) − M[k][k]]; nil without a
        /// reference model or when the denominator is 0.
        public var updateGain: [Double?]?

        enum CodingKeys: String, CodingKey {
            case ac, am, bc, fc
            case referenceMetric = "reference_metric"
            case updateGain = "update_gain"
        }
    }

    /// Pair-inequality satisfaction for every cell below the diagonal.
    public struct PairReport: Sendable, Codable, Equatable {
        /// Pairs requested per cell and per kind (same class, different class).
        public var samplesRequested: Int
        /// Seed of the sampling.
        public var seed: UInt64
        /// One entry per cell below the diagonal.
        public var cells: [PairCell]

        enum CodingKeys: String, CodingKey {
            case samplesRequested = "samples_requested"
            case seed, cells
        }
    }

    /// One cell's pair rates.
    public struct PairCell: Sendable, Codable, Equatable {
        /// t: the newer version (its queries).
        public var queryVersion: UInt32
        /// k: the older version (its gallery).
        public var galleryVersion: UInt32
        /// Same-class pairs: the new query must be at least as close.
        public var sameClass: PairSatisfaction
        /// Different-class pairs: the new query must be at least as far.
        public var differentClass: PairSatisfaction

        enum CodingKeys: String, CodingKey {
            case queryVersion = "query_version"
            case galleryVersion = "gallery_version"
            case sameClass = "same_class"
            case differentClass = "different_class"
        }
    }

    /// A backfill curve: after re-encoding `fractions[i]` of the gallery, the metric is `values[i]`.
    public struct BackfillCurve: Sendable, Codable, Equatable {
        /// Fractions of the gallery re-encoded, ascending in [0, 1].
        public var fractions: [Double]
        /// Metric at each fraction.
        public var values: [Double]
        /// What the curve shows (policy, versions), free text.
        public var label: String
        /// Optional negative flips at each fraction: the share of queries right (top-1) before the
        /// backfill started that are wrong at this point; nil when not measured.
        public var negativeFlips: [Double]?

        /// Checks a curve: equal lengths, at least 2 points, fractions ascending in [0, 1], finite
        /// values, negative flips (when given) one per point in [0, 1].
        public init(fractions: [Double], values: [Double], label: String, negativeFlips: [Double]? = nil) throws {
            if let negativeFlips {
                guard negativeFlips.count == fractions.count else {
                    throw StasisError.invalid("a backfill curve needs one negative-flip share per point, got \(negativeFlips.count) for \(fractions.count)")
                }
                for (i, v) in negativeFlips.enumerated() where !(v.isFinite && v >= 0 && v <= 1) {
                    throw StasisError.invalid("backfill negative flips \(i) is \(v); shares must lie in [0, 1]")
                }
            }
            self.negativeFlips = negativeFlips
            guard fractions.count == values.count, fractions.count >= 2 else {
                throw StasisError.invalid(
                    "a backfill curve needs as many fractions as values and at least 2 points, got \(fractions.count) and \(values.count)")
            }
            for (i, f) in fractions.enumerated() {
                guard f.isFinite, f >= 0, f <= 1, i == 0 || f > fractions[i - 1] else {
                    throw StasisError.invalid("backfill fraction \(i) is \(f); fractions must ascend strictly within [0, 1]")
                }
                guard values[i].isFinite else { throw StasisError.invalid("backfill value \(i) is \(values[i])") }
            }
            self.fractions = fractions
            self.values = values
            self.label = label
        }

        enum CodingKeys: String, CodingKey {
            case fractions, values, label
            case negativeFlips = "negative_flips"
        }

        /// Decoding applies the same checks as `init`, so a hand-edited file cannot smuggle in a
        /// curve the page cannot draw.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try self.init(fractions: try c.decode([Double].self, forKey: .fractions),
                          values: try c.decode([Double].self, forKey: .values),
                          label: try c.decodeIfPresent(String.self, forKey: .label) ?? "",
                          negativeFlips: try c.decodeIfPresent([Double].self, forKey: .negativeFlips))
        }
    }

    enum CodingKeys: String, CodingKey {
        case format
        case formatVersion = "format_version"
        case libraryVersion = "library_version"
        case title, metric, mode
        case `protocol`
        case tiePolicy = "tie_policy"
        case ks, versions
        case queryCounts = "query_counts"
        case galleryCounts = "gallery_counts"
        case matrix, matrices, ecc, summary
        case negativeFlips = "negative_flips"
        case pairSatisfaction = "pair_satisfaction"
        case gate, backfill, notes
    }

    static let tieRule =
        "Rankings break ties pessimistically: a wrong gallery entry scoring exactly as high as a correct one ranks before it. "
        + "ECC and AC use strict >: a new model that only equals the old one is not counted as compatible."
}

// Explicit encoders: the synthesised ones omit nil values, but a documented key must always be
// present (null when not measured) so that consumers can rely on the key set.
extension EvaluationReport {
    /// Encodes every documented key, nil as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(libraryVersion, forKey: .libraryVersion)
        try c.encode(title, forKey: .title)
        try c.encode(metric, forKey: .metric)
        try c.encode(mode, forKey: .mode)
        try c.encode(`protocol`, forKey: .protocol)
        try c.encode(tiePolicy, forKey: .tiePolicy)
        try c.encode(ks, forKey: .ks)
        try c.encode(versions, forKey: .versions)
        try c.encode(queryCounts, forKey: .queryCounts)
        try c.encode(galleryCounts, forKey: .galleryCounts)
        try c.encode(matrix, forKey: .matrix)
        try c.encode(matrices, forKey: .matrices)
        try c.encode(ecc, forKey: .ecc)
        try c.encode(summary, forKey: .summary)
        try c.encode(negativeFlips, forKey: .negativeFlips)
        try c.encode(pairSatisfaction, forKey: .pairSatisfaction)
        try c.encode(gate, forKey: .gate)
        try c.encode(backfill, forKey: .backfill)
        try c.encode(notes, forKey: .notes)
    }
}

extension EvaluationReport.Summary {
    /// Encodes every documented key, nil as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ac, forKey: .ac)
        try c.encode(am, forKey: .am)
        try c.encode(bc, forKey: .bc)
        try c.encode(fc, forKey: .fc)
        try c.encode(referenceMetric, forKey: .referenceMetric)
        try c.encode(updateGain, forKey: .updateGain)
    }
}

extension PairSatisfaction {
    enum CodingKeys: String, CodingKey { case rate, pairs }

    /// Encodes every documented key, nil as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rate, forKey: .rate)
        try c.encode(pairs, forKey: .pairs)
    }
}

/// The retrieval metric a compatibility matrix (and so AC, AM, BC, FC and the gate) is built on.
public enum MatrixMetric: Sendable, Equatable {
    /// Top-1 accuracy (CMC@1), the metric of the stationarity papers. The default.
    case top1
    /// Mean average precision.
    case map
    /// Recall@k.
    case recall(Int)

    /// Parses "top1", "map" or "recall@K" (e.g. "recall@5").
    public init(parsing text: String) throws {
        switch text {
        case "top1": self = .top1
        case "map": self = .map
        default:
            guard text.hasPrefix("recall@"), let k = Int(text.dropFirst(7)), k >= 1, k <= 1 << 20 else {
                throw StasisError.invalid("unknown metric '\(text)'; expected top1, map or recall@K (K in 1...\(1 << 20))")
            }
            self = .recall(k)
        }
    }

    /// The name used in reports and accepted by `init(parsing:)`.
    public var name: String {
        switch self {
        case .top1: "top1"
        case .map: "map"
        case .recall(let k): "recall@\(k)"
        }
    }

    func value(of metrics: RetrievalMetrics) -> Double {
        switch self {
        case .top1: metrics.top1
        case .map: metrics.map
        case .recall(let k): metrics.recall(at: k) ?? .nan
        }
    }
}

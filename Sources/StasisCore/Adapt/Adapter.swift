import COpenBLAS

/// A fitted map from one model version's vector space to another's (dimensions may differ).
///
/// Which way it points is the caller's choice at fit time: source = new, target = old is a
/// *backward* adapter (map new-model queries into the old space and search the old gallery
/// unchanged); source = old, target = new is a *forward* adapter (move stored vectors into the new
/// space without running the new backbone). `apply` L2-normalises its input rows, maps them, and
/// L2-normalises the output rows, because every Stasis index scores by cosine.
///
/// Immutable once built: `apply` may run concurrently from many threads.
public final class Adapter: Sendable {
    /// How the map was fitted (and which tensors it has).
    public let kind: AdapterKind
    /// Version of the vectors the adapter reads.
    public let sourceVersion: UInt32
    /// Version of the vectors it produces.
    public let targetVersion: UInt32
    /// Width of the rows the adapter reads.
    public let sourceDimension: Int
    /// Width of the rows it produces.
    public let targetDimension: Int
    /// The settings the fit used (nil where the kind has none), recorded in the file.
    public let settings: AdapterSettings
    /// Rank of a lowrank adapter (nil for the other kinds).
    public var rank: Int? { settings.rank }
    /// Ridge strength used by the fit (nil for the kinds without one).
    public var ridge: Double? { settings.ridge }
    /// Fingerprint of the source space, when the fit recorded one (checked by chains).
    public let sourceSpace: String?
    /// Fingerprint of the target space, when the fit recorded one (checked by chains).
    public let targetSpace: String?
    /// Held-out numbers measured at fit time.
    public let validation: AdapterValidation
    /// The computation between the input and output normalisations.
    let map: AdapterMap

    /// "backward" when it maps a newer version into an older one (queries), else "forward".
    public var direction: String { sourceVersion > targetVersion ? "backward" : "forward" }

    init(kind: AdapterKind, sourceVersion: UInt32, targetVersion: UInt32, sourceDimension: Int, targetDimension: Int,
         settings: AdapterSettings, sourceSpace: String?, targetSpace: String?, validation: AdapterValidation,
         map: AdapterMap) {
        self.kind = kind
        self.sourceVersion = sourceVersion
        self.targetVersion = targetVersion
        self.sourceDimension = sourceDimension
        self.targetDimension = targetDimension
        self.settings = settings
        self.sourceSpace = sourceSpace
        self.targetSpace = targetSpace
        self.validation = validation
        self.map = map
    }

    /// Maps `count` rows of `sourceDimension` floats to `count` unit rows of `targetDimension`.
    /// - Throws: `.dimensionMismatch` when the buffer does not hold count × sourceDimension
    ///   values; `.invalidArgument` for a NaN/Inf or zero input row (named by index), or an
    ///   output row that maps to zero.
    public func apply(_ values: [Float], count: Int) throws -> [Float] {
        guard count >= 0 else { throw StasisError.invalid("row count must be >= 0, got \(count)") }
        let (expected, overflow) = count.multipliedReportingOverflow(by: sourceDimension)
        guard !overflow, values.count == expected else {
            throw StasisError(.dimensionMismatch,
                "adapter \(sourceVersion)->\(targetVersion) reads rows of \(sourceDimension) values; got \(values.count) values for \(count) rows")
        }
        if count == 0 { return [] }
        let unit = try UnitRows(values, count: count, dimension: sourceDimension, role: "input row").values
        let current = map.apply(unit, count: count, width: sourceDimension)
        do {
            return try UnitRows(current, count: count, dimension: targetDimension, role: "mapped row").values
        } catch let error as StasisError {
            throw StasisError(error.code, "adapter \(sourceVersion)->\(targetVersion): \(error.message)")
        }
    }

    /// The tensors the file stores for this adapter (AdapterTensors lists them per kind).
    var tensors: [String: Safetensors.Tensor] { AdapterTensors.encode(self) }

    /// The same adapter with other validation numbers (the fit scores the map it built).
    func validated(_ validation: AdapterValidation) -> Adapter {
        Adapter(kind: kind, sourceVersion: sourceVersion, targetVersion: targetVersion, sourceDimension: sourceDimension,
                targetDimension: targetDimension, settings: settings, sourceSpace: sourceSpace, targetSpace: targetSpace,
                validation: validation, map: map)
    }
}

/// The settings an adapter was fitted with; each is nil where the kind has no such setting.
public struct AdapterSettings: Sendable, Equatable {
    /// Rank r (lowrank).
    public var rank: Int?
    /// Ridge strength α (ridge, lowrank, orthogonal, and the starting point of mlp).
    public var ridge: Double?
    /// Orthogonality penalty λ (orthogonal).
    public var orthogonality: Double?
    /// Number of clusters (local; anchors of an unpaired fit).
    public var clusters: Int?
    /// Clusters mixed per row (local).
    public var routing: Int?
    /// Softmax temperature of the routing (local).
    public var temperature: Double?
    /// Hidden width (mlp).
    public var hidden: Int?
    /// Passes over the pairs (mlp) or refinement rounds (unpaired).
    public var epochs: Int?
    /// True when the adapter was fitted without pairs (`fitUnpaired`): its validation numbers
    /// then come from pairs it never saw during the fit only if the caller supplied them.
    public var unpaired: Bool = false

    /// Nothing recorded.
    public init() {}
}

/// The fixed classifier geometries a space can have (see docs/spaces.md).
public enum SpaceKind: String, CaseIterable, Sendable, Codable {
    /// K vertices of a regular simplex in d = K − 1 dimensions; pairwise cosine −1/(K−1).
    case simplex
    /// ±e_i in d = ⌈K/2⌉ dimensions.
    case orthoplex
    /// Hypercube corners {±1/√d}^d with d = ⌈log2 K⌉.
    case cube
    /// K ≫ d: a seeded, low-coherence code of ±1/√d vectors (Stasis's own construction).
    case sphericalCode = "spherical-code"

    /// Parses a kind name; the error lists the valid ones.
    public init(parsing name: String) throws {
        guard let kind = SpaceKind(rawValue: name) else {
            throw StasisError.invalid(
                "unknown space kind '\(name)' (\(SpaceKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = kind
    }

    /// The dimension the kind implies for K classes, nil for kinds where the caller chooses it.
    public func impliedDimension(classes: Int) -> Int? {
        switch self {
        case .simplex: classes - 1
        case .orthoplex: (classes + 1) / 2
        case .cube: classes <= 1 ? 1 : Int.bitWidth - (classes - 1).leadingZeroBitCount
        case .sphericalCode: nil
        }
    }
}

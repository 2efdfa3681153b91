/// The adapter families. Only the closed-form ones are implemented so far; the others are
/// reserved names so that callers get `.unsupported` (planned) rather than `.invalidArgument`.
public enum AdapterKind: String, Sendable, CaseIterable {
    /// y = x · Wᵀ with W semi-orthogonal (orthogonal when the dimensions agree): a rotation that
    /// keeps every angle. Fitted in closed form by SVD of the cross-covariance.
    case procrustes
    /// y = x · Wᵀ + b, least squares with an L2 (ridge) penalty on W, closed form.
    case ridge
    /// The ridge map truncated to rank r by SVD: y = (x · Dᵀ) · Uᵀ + b, D r × d_source, U d_target × r.
    case lowrank

    /// Names from the design (issue 17) that are not implemented yet.
    public static let planned: Set<String> = ["mlp", "orthogonal", "local"]

    /// Parses a kind name; planned-but-missing kinds are `.unsupported`, unknown ones invalid.
    public init(parsing name: String) throws {
        if let kind = AdapterKind(rawValue: name) {
            self = kind
        } else if Self.planned.contains(name) {
            throw StasisError(.unsupported,
                "adapter kind '\(name)' is planned but not implemented yet; available: procrustes, ridge, lowrank")
        } else {
            throw StasisError.invalid("unknown adapter kind '\(name)'; expected procrustes, ridge or lowrank")
        }
    }
}

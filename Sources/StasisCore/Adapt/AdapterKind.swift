/// The adapter families (docs/adapters.md has the formulas and when to use which).
public enum AdapterKind: String, Sendable, CaseIterable {
    /// y = x · Wᵀ with W semi-orthogonal (orthogonal when the dimensions agree): a rotation that
    /// keeps every angle. Fitted in closed form by SVD of the cross-covariance.
    case procrustes
    /// y = x · Wᵀ + b, least squares with an L2 (ridge) penalty on W, closed form.
    case ridge
    /// The ridge map truncated to rank r by SVD: y = (x · Dᵀ) · Uᵀ + b, D r × d_source, U d_target × r.
    case lowrank
    /// y = x · Wᵀ + b, least squares with a penalty λ‖G − I‖² pulling W towards (semi-)orthogonal
    /// (G the smaller of W Wᵀ and Wᵀ W): between ridge (λ → 0) and Procrustes (λ → ∞).
    case orthogonal
    /// A small residual network: y = x · Sᵀ + s + relu(x · Hᵀ + h) · Oᵀ, the skip S, s started at
    /// the ridge solution, trained on the cosine between mapped and true rows.
    case mlp
    /// Local Procrustes: k-means clusters of the source space, one rotation per cluster, each
    /// row mapped by a soft mix of the rotations of its nearest clusters.
    case local

    /// Parses a kind name. Throws `.invalidArgument` naming the known kinds.
    public init(parsing name: String) throws {
        guard let kind = AdapterKind(rawValue: name) else {
            throw StasisError.invalid(
                "unknown adapter kind '\(name)'; expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = kind
    }
}

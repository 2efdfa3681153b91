/// Settings of `Adapter.fit` beyond the kind and the two versions. Every field has a default.
public struct AdapterFitOptions: Sendable, Equatable {
    /// Ridge strength α (ridge, lowrank): minimises (1/n)‖X W − Y‖² + α‖W‖² on centred rows.
    /// Scaled by the pair count, so the same α suits small and large samples. Must be > 0.
    public var ridge: Double = 1e-3
    /// Rank r of a lowrank adapter; nil means half the smaller dimension (at least 1).
    public var rank: Int? = nil
    /// Strength λ of the orthogonality penalty of an `orthogonal` adapter:
    /// (1/n)‖Xc W − Yc‖² + λ‖G − I‖², G the smaller Gram matrix of W. Must be > 0.
    public var orthogonality: Double = 0.1
    /// Clusters of a `local` adapter; nil means min(32, training pairs / 128), at least 2.
    public var clusters: Int? = nil
    /// Nearest clusters a `local` adapter mixes per row (soft routing); at most `clusters`.
    public var routing: Int = 3
    /// Hidden width of an `mlp` adapter.
    public var hidden: Int = 512
    /// Passes over the training pairs of an `mlp` adapter (and gradient steps / 10 of an
    /// `orthogonal` one, which uses every pair in each step).
    public var epochs: Int = 20
    /// Fraction of the pairs held out for validation (0 <= f < 1). At least one pair is held out
    /// when f > 0; f = 0 fits on every pair and reports no validation.
    public var validationFraction: Double = 0.1
    /// Seed of the shuffle that chooses the held-out pairs (the split is reproducible).
    public var seed: UInt64 = 0
    /// Optional fingerprint of the source space, recorded in the file (not interpreted by the fit).
    public var sourceSpace: String? = nil
    /// Optional fingerprint of the target space, recorded in the file (not interpreted by the fit).
    public var targetSpace: String? = nil

    /// Every field at its default.
    public init() {}
}

/// Numbers measured on the held-out pairs at fit time (the adapter never saw them).
public struct AdapterValidation: Sendable, Equatable, Codable {
    /// Pairs the adapter was fitted on.
    public var trainPairs: Int
    /// Held-out pairs; 0 when no validation was requested (the two scores are then nil).
    public var validationPairs: Int
    /// Mean cosine between mapped source rows and their true target rows.
    public var meanCosine: Double?
    /// Fraction of held-out mapped rows whose nearest true target (cosine, among the held-out
    /// targets) is their own pair; measured among at most 10,000 held-out pairs (a random subset
    /// when more are held out), because it compares every pair with every other.
    public var recallAt1: Double?

    /// Memberwise; used by the fit and by AdapterFile.open.
    public init(trainPairs: Int, validationPairs: Int, meanCosine: Double?, recallAt1: Double?) {
        self.trainPairs = trainPairs
        self.validationPairs = validationPairs
        self.meanCosine = meanCosine
        self.recallAt1 = recallAt1
    }
}

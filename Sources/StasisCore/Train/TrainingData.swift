/// The data of a training run: labelled backbone features and, for alignment, the previous
/// version with the old backbone's features of the same items, plus an optional unlabelled
/// paired sample (new and old backbone features of the same gallery items, no labels).
public struct TrainingData: Sendable {
    /// count × dimension backbone features, row-major.
    public var features: [Float]
    public var count: Int
    public var dimension: Int
    /// One label per row; a label the space has never seen takes the next free vertex.
    public var labels: [ClassLabel]
    public var previous: VersionedEncoder?
    /// count × previous.inputDimension: the previous backbone's features of the same rows.
    public var previousFeatures: [Float]?
    /// pairedCount × dimension and pairedCount × previous.inputDimension; used only by the
    /// alignment term (labels of classes no head was trained on are not needed, and not used).
    public var pairedFeatures: [Float] = []
    public var pairedPreviousFeatures: [Float] = []
    public var pairedCount = 0

    public init(features: [Float], count: Int, dimension: Int, labels: [ClassLabel],
                previous: VersionedEncoder? = nil, previousFeatures: [Float]? = nil) {
        self.features = features
        self.count = count
        self.dimension = dimension
        self.labels = labels
        self.previous = previous
        self.previousFeatures = previousFeatures
    }
}

/// What a run did, stored as JSON under `stasis.training` in the encoder's metadata.
public struct TrainingSummary: Codable, Sendable, Equatable {
    public var items: Int
    public var trainItems: Int
    public var validationItems: Int
    public var pairedItems: Int
    public var classes: Int
    public var newClasses: Int
    public var inputDimension: Int
    public var epochs: Int
    public var epochsPlanned: Int
    public var steps: Int
    public var finalLoss: Double
    public var trainAccuracy: Double
    /// nil when there was no validation split.
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var recipe: Recipe
    public var seed: UInt64
    public var previousVersion: UInt32?
    public var space: String

    public struct Recipe: Codable, Sendable, Equatable {
        public var hidden: [Int]
        /// true for a residual head (linear skip from input to output); absent in older files.
        public var residual: Bool?
        public var activation: String
        public var normalization: String
        public var bias: Bool
        public var optimizer: String
        public var learningRate: Double
        public var weightDecay: Double
        public var momentum: Double
        public var batchSize: Int
        public var warmupEpochs: Int
        public var schedule: String
        public var logitScale: Double
        public var alignment: String
        public var alignmentWeight: Double?
        public var alignmentScale: Double?
        public var feature: String
        public var temperature: Double?
        public var patience: Int
        public var validation: Double
    }
}

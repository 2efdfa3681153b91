/// Everything that shapes a training run except the data. Defaults give a linear head trained
/// with AdamW for 10 epochs on the fixed vertices, with 10 % of the items held out.
public struct TrainingOptions: Sendable {
    public enum OptimizerKind: String, Sendable, CaseIterable {
        case adamw, sgd
    }

    /// How the new version is tied to the previous one (science.md §3, §7).
    public enum Alignment: String, Sendable, CaseIterable {
        /// Stationarity alone (CoReS): cross-entropy against the fixed vertices.
        case none
        /// (1 − w)·CE + w·InfoNCE(new unit features, frozen previous ones), w = 0.9 by default.
        case hoc
        /// CE + w·(1 − cos(new, previous)), w = 5·√(new classes / old classes) by default.
        case cl2r
    }

    /// The retrieval feature the saved encoder produces.
    public enum FeatureKind: String, Sendable, CaseIterable {
        /// The L2-normalised head output.
        case raw
        /// normalize(softmax(z Wᵀ / T) W), T stored in the encoder (science.md §6).
        case softmax
    }

    /// Model version stamped on the encoder; must differ from the previous encoder's.
    public var version: UInt32
    /// Hidden layer widths; each hidden layer is Linear → [norm] → activation. Empty: one Linear.
    public var hidden: [Int] = []
    /// With hidden layers: add a linear skip from the input to the output (y = MLP(x) + S x), the
    /// residual head of docs/compatibility.md. Needs hidden layers (refused without them).
    public var residual = false
    /// "relu" or "gelu" (exact), the activation after each hidden layer.
    public var activation = "relu"
    /// "none", "layernorm" or "batchnorm", after each hidden Linear.
    public var normalization = "none"
    /// Whether Linear layers have a bias.
    public var bias = true
    public var epochs = 10
    public var batchSize = 128
    public var optimizer = OptimizerKind.adamw
    public var learningRate = 1e-3
    public var weightDecay = 1e-4
    /// SGD momentum (ignored by AdamW).
    public var momentum = 0.9
    /// Epochs of linear learning-rate warm-up before the cosine decay.
    public var warmupEpochs = 0
    /// Fixes initialisation, split and shuffles: a run is bit-reproducible for a fixed thread count.
    public var seed: UInt64 = 0
    /// Fraction of the labelled items held out for validation (0 = none), in [0, 0.9].
    public var validation = 0.1
    /// Early stopping: stop after this many epochs without a better validation accuracy and keep
    /// the best epoch's weights. 0 = off.
    public var patience = 0
    /// Fixed multiplier of the logits z·Wᵀ (recorded; 1 = the plain recipe).
    public var logitScale = 1.0
    public var alignment = Alignment.none
    /// The compatibility/accuracy knob: the alignment term's weight. nil = the recipe's default
    /// (HOC 0.9 of a convex mix with CE; CL2R 5·√(new/old classes) added to CE). Higher favours
    /// compatibility with the previous version over accuracy of the new one.
    public var alignmentWeight: Double?
    /// μ, the scale of HOC's similarities (10 in the recipe; 20–30 favours unseen classes).
    public var alignmentScale = 10.0
    public var feature = FeatureKind.raw
    /// Softmax temperature; nil = chosen on the validation split.
    public var temperature: Double?
    /// Progress is reported every this many steps as well as at each epoch's end (0 = epochs only).
    public var progressInterval = 0
    /// Recorded in the encoder as stasis.backbone / stasis.notes when not empty.
    public var backbone = ""
    public var notes = ""

    public init(version: UInt32) { self.version = version }
}

/// One progress report. Validation values are NaN when there is no validation split or when the
/// report falls inside an epoch.
public struct TrainingProgress: Sendable {
    /// 1-based epoch and the number planned.
    public var epoch: Int
    public var epochs: Int
    /// Optimiser steps done so far and planned in all.
    public var step: Int
    public var steps: Int
    /// Mean training loss and accuracy over the epoch so far.
    public var loss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationAccuracy: Double
    public var learningRate: Double
    public var endOfEpoch: Bool
}

/// Checks a run's inputs before anything is computed, so bad input fails fast with a clear
/// message and nothing (not even the space's registry) changes.
enum TrainingValidation {
    static func check(space: Space, data: TrainingData, options: TrainingOptions) throws {
        let n = data.count
        guard n >= 2 else { throw StasisError.invalid("training needs at least 2 labelled items, got \(n)") }
        guard (1...LayerStackBuilder.maxWidth).contains(data.dimension) else {
            throw StasisError.invalid("feature dimension must be in 1...\(LayerStackBuilder.maxWidth), got \(data.dimension)")
        }
        let (total, overflow) = n.multipliedReportingOverflow(by: data.dimension)
        guard !overflow, data.features.count == total else {
            throw StasisError.invalid("features hold \(data.features.count) floats, expected \(n) x \(data.dimension)")
        }
        guard data.labels.count == n else {
            throw StasisError.invalid("\(data.labels.count) labels for \(n) feature rows: give one label per row")
        }
        try finite(data.features, width: data.dimension, name: "features")
        guard data.pairedCount >= 0 else { throw StasisError.invalid("paired count must be >= 0, got \(data.pairedCount)") }
        try checkOptions(options)
        if let previous = data.previous {
            guard previous.spaceFingerprint == space.fingerprint else {
                throw StasisError(.incompatible,
                    "previous encoder (version \(previous.version)) belongs to space \(previous.spaceFingerprint), not \(space.fingerprint)")
            }
            guard previous.version != options.version else {
                throw StasisError.invalid("the new version must differ from the previous encoder's (\(previous.version))")
            }
            if let old = data.previousFeatures {
                guard old.count == n * previous.inputDimension else {
                    throw StasisError.invalid(
                        "previous features hold \(old.count) floats, expected \(n) x \(previous.inputDimension) (the previous encoder's input)")
                }
                try finite(old, width: previous.inputDimension, name: "previous features")
            }
            if data.pairedCount > 0 {
                let (new, overflowNew) = data.pairedCount.multipliedReportingOverflow(by: data.dimension)
                let (old, overflowOld) = data.pairedCount.multipliedReportingOverflow(by: previous.inputDimension)
                guard !overflowNew, !overflowOld, data.pairedFeatures.count == new, data.pairedPreviousFeatures.count == old else {
                    throw StasisError.invalid(
                        "paired sample: \(data.pairedCount) rows need \(data.pairedCount) x \(data.dimension) new and x \(previous.inputDimension) old features")
                }
                try finite(data.pairedFeatures, width: data.dimension, name: "paired features")
                try finite(data.pairedPreviousFeatures, width: previous.inputDimension, name: "paired previous features")
            }
        }
        try checkSizes(space: space, data: data, options: options)
        if options.alignment != .none {
            guard data.previous != nil else {
                throw StasisError.invalid("alignment '\(options.alignment.rawValue)' needs the previous encoder")
            }
            guard data.previousFeatures != nil else {
                throw StasisError.invalid("alignment '\(options.alignment.rawValue)' needs the previous backbone's features of the same items")
            }
        } else if data.pairedCount > 0 {
            throw StasisError.invalid("a paired sample is only used by an alignment ('hoc' or 'cl2r')")
        }
    }

    static func checkOptions(_ options: TrainingOptions) throws {
        guard (1...100_000).contains(options.epochs) else { throw StasisError.invalid("epochs must be in 1...100000, got \(options.epochs)") }
        guard (1...1 << 20).contains(options.batchSize) else {
            throw StasisError.invalid("batch size must be in 1...\(1 << 20), got \(options.batchSize)")
        }
        guard options.learningRate.isFinite, options.learningRate > 0 else {
            throw StasisError.invalid("learning rate must be a positive number, got \(options.learningRate)")
        }
        guard options.weightDecay.isFinite, options.weightDecay >= 0 else {
            throw StasisError.invalid("weight decay must be >= 0, got \(options.weightDecay)")
        }
        guard options.momentum.isFinite, (0..<1).contains(options.momentum) else {
            throw StasisError.invalid("momentum must be in [0, 1), got \(options.momentum)")
        }
        guard options.validation.isFinite, (0...0.9).contains(options.validation) else {
            throw StasisError.invalid("validation fraction must be in [0, 0.9], got \(options.validation)")
        }
        guard options.warmupEpochs >= 0, options.warmupEpochs < options.epochs || options.warmupEpochs == 0 else {
            throw StasisError.invalid("warm-up epochs must be in 0..<epochs, got \(options.warmupEpochs)")
        }
        guard options.patience >= 0 else { throw StasisError.invalid("patience must be >= 0, got \(options.patience)") }
        guard options.progressInterval >= 0 else { throw StasisError.invalid("progress interval must be >= 0") }
        guard options.logitScale.isFinite, options.logitScale > 0, options.logitScale <= 1000 else {
            throw StasisError.invalid("logit scale must be in (0, 1000], got \(options.logitScale)")
        }
        guard options.hidden.count <= 16, options.hidden.allSatisfy({ (1...65536).contains($0) }) else {
            throw StasisError.invalid("hidden widths must be 1...65536 (at most 16 layers), got \(options.hidden)")
        }
        guard !options.residual || !options.hidden.isEmpty else {
            throw StasisError.invalid("a residual head needs hidden layers (the skip is added to an MLP's output); give hidden widths")
        }
        guard ["relu", "gelu"].contains(options.activation) else {
            throw StasisError.invalid("activation must be 'relu' or 'gelu', got '\(options.activation)'")
        }
        guard ["none", "layernorm", "batchnorm"].contains(options.normalization) else {
            throw StasisError.invalid("normalization must be 'none', 'layernorm' or 'batchnorm', got '\(options.normalization)'")
        }
        if let weight = options.alignmentWeight {
            guard weight.isFinite, weight >= 0, options.alignment != .hoc || weight <= 1 else {
                throw StasisError.invalid("alignment weight must be >= 0 (and <= 1 for hoc), got \(weight)")
            }
        }
        guard options.alignmentScale.isFinite, options.alignmentScale > 0, options.alignmentScale <= 1000 else {
            throw StasisError.invalid("alignment scale must be in (0, 1000], got \(options.alignmentScale)")
        }
        if let t = options.temperature {
            guard t.isFinite, t > 0, t <= 1000 else { throw StasisError.invalid("temperature must be in (0, 1000], got \(t)") }
        }
        if options.feature == .softmax, options.temperature == nil, options.validation == 0 {
            throw StasisError.invalid("softmax features choose T on the validation split: give a temperature or a validation fraction > 0")
        }
    }

    /// Floats one buffer of a run may hold (1 GiB): beyond it the run is refused with advice
    /// rather than left to fail an allocation.
    static let maxBufferFloats = 1 << 28

    /// Parameters, a step's activations and logits, and HOC's similarity matrix must fit.
    private static func checkSizes(space: Space, data: TrainingData, options: TrainingOptions) throws {
        var widths = [data.dimension] + options.hidden + [space.dimension]
        var parameters = 0
        for i in 1..<widths.count {
            let (product, overflow) = widths[i - 1].multipliedReportingOverflow(by: widths[i])
            guard !overflow, product <= maxBufferFloats - parameters else {
                throw StasisError.invalid("a head of widths \(widths) has too many parameters (limit \(maxBufferFloats))")
            }
            parameters += product
        }
        widths.append(space.classCount)
        let rows = options.batchSize * (data.pairedCount > 0 ? 2 : 1)
        let widest = widths.max() ?? 1
        guard rows <= maxBufferFloats / widest else {
            throw StasisError.invalid(
                "a batch of \(rows) rows x \(widest) values (widest layer or K) exceeds \(maxBufferFloats) floats; lower batch_size")
        }
        if options.feature == .softmax, space.classCount > FeatureProjection.maxClasses {
            throw StasisError.invalid("softmax features support spaces of up to \(FeatureProjection.maxClasses) classes, this one has \(space.classCount)")
        }
        if options.alignment == .hoc, rows > 1 << 13 {
            throw StasisError.invalid("HOC compares every pair of a batch: at most \(1 << 13) rows per step, got \(rows); lower batch_size")
        }
    }

    private static func finite(_ values: [Float], width: Int, name: String) throws {
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw StasisError.invalid("\(name): row \(bad / width) has a non-finite value (\(values[bad])) at column \(bad % width)")
        }
    }
}

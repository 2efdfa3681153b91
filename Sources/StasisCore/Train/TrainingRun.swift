import Glibc

/// The state of one training run: split, head, optimiser and the epoch loop.
struct TrainingRun {
    let space: Space
    let data: TrainingData
    let options: TrainingOptions
    let targets: [Int]
    let active: Int
    let progress: Trainer.Progress?
    let head: Head
    var generator: SeededGenerator
    var trainIndices: [Int]
    let validationIndices: [Int]
    /// Unit features of the previous version for the labelled rows and the paired sample.
    let previousUnit: [Float]?
    let pairedPreviousUnit: [Float]
    let ceWeight: Float
    let alignmentWeight: Float
    var epochsRun = 0

    init(space: Space, data: TrainingData, options: TrainingOptions, targets: [Int], active: Int, progress: Trainer.Progress?) throws {
        self.space = space
        self.data = data
        self.options = options
        self.targets = targets
        self.active = active
        self.progress = progress
        var generator = SeededGenerator(seed: options.seed)
        var order = Array(0..<data.count)
        generator.shuffle(&order)
        let held = options.validation > 0 ? max(1, Int(Double(data.count) * options.validation)) : 0
        validationIndices = Array(order[0..<held])
        trainIndices = Array(order[held...])
        head = Head(inputWidth: data.dimension, outputWidth: space.dimension, options: options, generator: &generator)
        self.generator = generator
        if options.alignment != .none, let previous = data.previous, let old = data.previousFeatures {
            previousUnit = try previous.encode(old, count: data.count)
            pairedPreviousUnit = data.pairedCount > 0 ? try previous.encode(data.pairedPreviousFeatures, count: data.pairedCount) : []
        } else {
            previousUnit = nil
            pairedPreviousUnit = []
        }
        switch options.alignment {
        case .none:
            (ceWeight, alignmentWeight) = (1, 0)
        case .hoc:
            let w = options.alignmentWeight ?? 0.9
            (ceWeight, alignmentWeight) = (Float(1 - w), Float(w))
        case .cl2r:
            // Old classes: those the previous version was trained on (its summary), else the labels
            // the space held before this run; new: this run's classes beyond them.
            let previousClasses = data.previous?.trainingSummary?.classes ?? space.labelCount
            let newClasses = Set(targets).count - previousClasses
            let w = options.alignmentWeight ?? 5 * (Double(max(newClasses, 1)) / Double(max(previousClasses, 1))).squareRoot()
            (ceWeight, alignmentWeight) = (1, Float(w))
        }
    }

    var resolvedAlignmentWeight: Double? { options.alignment == .none ? nil : Double(alignmentWeight) }

    private func gather(_ source: [Float], rows: some Sequence<Int>, width: Int, into out: inout [Float]) {
        for row in rows { out.append(contentsOf: source[(row * width)..<((row + 1) * width)]) }
    }

    /// Runs the epochs; returns the summary (without the feature-kind fields filled by `projection`).
    mutating func execute(newClasses: Int) throws -> TrainingSummary {
        let batch = options.batchSize
        let trainCount = trainIndices.count
        // BatchNorm cannot take a one-row batch: a trailing single row is skipped in that case.
        let dropSingle = head.hasBatchNorm && trainCount % batch == 1
        let stepsPerEpoch = max(1, (trainCount + batch - 1) / batch - (dropSingle && trainCount > 1 ? 1 : 0))
        let totalSteps = stepsPerEpoch * options.epochs
        let warmup = options.warmupEpochs * stepsPerEpoch
        let d = space.dimension
        let parameters = head.parameters
        var optimizer = Optimizer(kind: options.optimizer, parameters: parameters, momentum: Float(options.momentum),
                                  weightDecay: Float(options.weightDecay))
        var pairedOrder = Array(0..<data.pairedCount)
        var pairedCursor = pairedOrder.count
        var step = 0
        var last = (loss: Double.nan, train: Double.nan, validationLoss: Double.nan, validation: Double.nan)
        var best: (accuracy: Double, epoch: Int, weights: [[Float]])?
        for epoch in 1...options.epochs {
            generator.shuffle(&trainIndices)
            var lossSum: Double = 0, correct = 0, seen = 0
            for b in 0..<stepsPerEpoch {
                let rows = trainIndices[(b * batch)..<min((b + 1) * batch, trainCount)]
                var x: [Float] = []
                x.reserveCapacity((rows.count + (data.pairedCount > 0 ? batch : 0)) * data.dimension)
                gather(data.features, rows: rows, width: data.dimension, into: &x)
                var old: [Float] = []
                var classes = rows.map { targets[$0] }
                if let previousUnit { gather(previousUnit, rows: rows, width: d, into: &old) }
                if data.pairedCount > 0 {
                    var picked: [Int] = []
                    while picked.count < min(batch, data.pairedCount) {
                        if pairedCursor == pairedOrder.count {
                            generator.shuffle(&pairedOrder)
                            pairedCursor = 0
                        }
                        picked.append(pairedOrder[pairedCursor])
                        pairedCursor += 1
                    }
                    gather(data.pairedFeatures, rows: picked, width: data.dimension, into: &x)
                    gather(pairedPreviousUnit, rows: picked, width: d, into: &old)
                    classes += [Int](repeating: -1, count: picked.count)
                }
                let total = classes.count
                let z = head.forward(x, rows: total, training: true)
                var dz = [Float](repeating: 0, count: total * d)
                let ce = Losses.crossEntropy(z: z, rows: rows.count, dimension: d, vertices: space.vertices,
                                             classes: space.classCount, active: active, targets: Array(classes[0..<rows.count]),
                                             scale: Float(options.logitScale), weight: ceWeight, dz: &dz)
                var loss = Double(ceWeight) * ce.loss
                if previousUnit != nil {
                    let (unit, norms) = Losses.normalize(z, rows: total, dimension: d)
                    var df = [Float](repeating: 0, count: total * d)
                    let term = options.alignment == .hoc
                        ? Losses.infoNCE(f: unit, g: old, rows: total, dimension: d, classes: classes,
                                         scale: Float(options.alignmentScale), weight: alignmentWeight, df: &df)
                        : Losses.cosine(f: unit, g: old, rows: total, dimension: d, weight: alignmentWeight, df: &df)
                    loss += Double(alignmentWeight) * term
                    Losses.normalizeBackward(unit: unit, norms: norms, df: df, rows: total, dimension: d, dz: &dz)
                }
                guard loss.isFinite else {
                    throw StasisError.invalid(
                        "training diverged at epoch \(epoch), step \(step + 1) (loss \(loss)); lower the learning rate")
                }
                head.backward(dz, rows: total)
                let lr = Optimizer.learningRate(base: Float(options.learningRate), step: step, total: totalSteps, warmup: warmup)
                optimizer.step(parameters, learningRate: lr)
                step += 1
                lossSum += loss * Double(rows.count)
                correct += ce.correct
                seen += rows.count
                if options.progressInterval > 0, step % options.progressInterval == 0, b + 1 < stepsPerEpoch {
                    try report(TrainingProgress(
                        epoch: epoch, epochs: options.epochs, step: step, steps: totalSteps, loss: lossSum / Double(seen),
                        trainAccuracy: Double(correct) / Double(seen), validationLoss: .nan, validationAccuracy: .nan,
                        learningRate: Double(lr), endOfEpoch: false))
                }
            }
            let validation = evaluate(validationIndices)
            last = (lossSum / Double(max(seen, 1)), Double(correct) / Double(max(seen, 1)), validation.loss, validation.accuracy)
            epochsRun = epoch
            try report(TrainingProgress(
                epoch: epoch, epochs: options.epochs, step: step, steps: totalSteps, loss: last.loss,
                trainAccuracy: last.train, validationLoss: last.validationLoss, validationAccuracy: last.validation,
                learningRate: Double(Optimizer.learningRate(base: Float(options.learningRate), step: max(step - 1, 0),
                                                            total: totalSteps, warmup: warmup)),
                endOfEpoch: true))
            if options.patience > 0, !validationIndices.isEmpty {
                if best == nil || validation.accuracy > best!.accuracy {
                    best = (validation.accuracy, epoch, head.snapshot())
                } else if epoch - best!.epoch >= options.patience {
                    break
                }
            }
        }
        if let best, best.epoch != epochsRun {
            head.restore(best.weights)
            let validation = evaluate(validationIndices)
            last.validationLoss = validation.loss
            last.validation = validation.accuracy
        }
        return TrainingSummary(
            items: data.count, trainItems: trainIndices.count, validationItems: validationIndices.count,
            pairedItems: data.pairedCount, classes: Set(targets).count, newClasses: newClasses,
            inputDimension: data.dimension, epochs: epochsRun, epochsPlanned: options.epochs, steps: step,
            finalLoss: last.loss, trainAccuracy: last.train,
            validationLoss: validationIndices.isEmpty ? nil : last.validationLoss,
            validationAccuracy: validationIndices.isEmpty ? nil : last.validation,
            recipe: .init(
                hidden: options.hidden, residual: options.residual && !options.hidden.isEmpty ? true : nil,
                activation: options.activation, normalization: options.normalization,
                bias: options.bias, optimizer: options.optimizer.rawValue, learningRate: options.learningRate,
                weightDecay: options.weightDecay, momentum: options.momentum, batchSize: options.batchSize,
                warmupEpochs: options.warmupEpochs, schedule: "cosine", logitScale: options.logitScale,
                alignment: options.alignment.rawValue, alignmentWeight: resolvedAlignmentWeight,
                alignmentScale: options.alignment == .hoc ? options.alignmentScale : nil,
                feature: options.feature.rawValue, temperature: nil, patience: options.patience,
                validation: options.validation),
            seed: options.seed, previousVersion: data.previous?.version, space: space.fingerprint)
    }

    private func report(_ value: TrainingProgress) throws {
        guard let progress else { return }
        guard progress(value) else {
            throw StasisError(.cancelled, "training cancelled by the progress callback at epoch \(value.epoch), step \(value.step)")
        }
    }

    /// Head outputs z (evaluation mode) of `rows`.
    func outputs(_ rows: [Int], features: [Float]? = nil) -> [Float] {
        var z: [Float] = []
        z.reserveCapacity(rows.count * space.dimension)
        let chunk = max(1, min(4096, (16 << 20) / max(data.dimension, options.hidden.max() ?? 1, space.dimension)))
        for start in stride(from: 0, to: rows.count, by: chunk) {
            var x: [Float] = []
            let part = rows[start..<min(start + chunk, rows.count)]
            gather(features ?? data.features, rows: part, width: data.dimension, into: &x)
            z += head.forward(x, rows: part.count, training: false)
        }
        return z
    }

    /// Mean CE (NaN when `rows` is empty) and accuracy over the assigned vertices.
    func evaluate(_ rows: [Int]) -> (loss: Double, accuracy: Double) {
        guard !rows.isEmpty else { return (.nan, .nan) }
        var loss: Double = 0, correct = 0
        // Chunks bound the logits buffer (rows x K) whatever the split's size.
        for part in Self.chunks(rows, width: max(space.classCount, space.dimension)) {
            let z = outputs(Array(part))
            var unused: [Float] = []
            let result = Losses.crossEntropy(z: z, rows: part.count, dimension: space.dimension, vertices: space.vertices,
                                             classes: space.classCount, active: active, targets: part.map { targets[$0] },
                                             scale: Float(options.logitScale), weight: 0, dz: &unused)
            loss += result.loss * Double(part.count)
            correct += result.correct
        }
        return (loss / Double(rows.count), Double(correct) / Double(rows.count))
    }

    /// Slices of `rows` small enough that rows x width floats stay within 64 MB.
    static func chunks(_ rows: [Int], width: Int) -> [ArraySlice<Int>] {
        let size = max(1, min(4096, (16 << 20) / max(width, 1)))
        return stride(from: 0, to: rows.count, by: size).map { rows[$0..<min($0 + size, rows.count)] }
    }
}

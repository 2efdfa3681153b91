import Testing
@testable import StasisCore

/// End-to-end training on separable synthetic data: accuracy, reproducibility, the registry rule,
/// alignment, softmax features and every refusal.
@Suite struct TrainerTests {
    /// `classes` clusters in `dimension` dimensions, `perClass` items each; labels "c<k>".
    private func data(classes: Int = 5, perClass: Int = 40, dimension: Int = 12, seed: UInt64 = 1) -> TrainingData {
        let centres = TestVectors.make(count: classes, dimension: dimension, seed: seed).map { $0 * 4 }
        let noise = TestVectors.make(count: classes * perClass, dimension: dimension, seed: seed + 1)
        var features: [Float] = [], labels: [ClassLabel] = []
        for item in 0..<(classes * perClass) {
            let k = item % classes
            for j in 0..<dimension { features.append(centres[k * dimension + j] + noise[item * dimension + j]) }
            labels.append(.name("c\(k)"))
        }
        return TrainingData(features: features, count: classes * perClass, dimension: dimension, labels: labels)
    }

    private func options(_ version: UInt32 = 1) -> TrainingOptions {
        var options = TrainingOptions(version: version)
        options.epochs = 15
        options.batchSize = 32
        options.learningRate = 1e-2
        options.validation = 0.2
        return options
    }

    private func summary(_ encoder: VersionedEncoder) throws -> TrainingSummary {
        try StasisMetadata.decode(TrainingSummary.self, from: encoder.metadata[TrainingSummary.metadataKey] ?? "",
                                  key: TrainingSummary.metadataKey, path: "memory")
    }

    @Test func learnsSeparableClassesAndRecordsASummary() throws {
        let space = try Space(kind: .simplex, classes: 8)
        var reports: [TrainingProgress] = []
        let encoder = try Trainer.train(space: space, data: data(), options: options()) { reports.append($0); return true }
        let s = try summary(encoder)
        #expect(s.validationAccuracy ?? 0 > 0.95)
        #expect(s.items == 200 && s.validationItems == 40 && s.classes == 5 && s.newClasses == 5 && s.epochs == 15)
        #expect(s.space == space.fingerprint && s.seed == 0 && s.recipe.optimizer == "adamw")
        #expect(reports.filter(\.endOfEpoch).count == 15)
        #expect(reports.last!.loss < reports.first!.loss)
        #expect(space.labels == (0..<5).map { .name("c\($0)") })
        #expect(encoder.outputDimension == 7 && encoder.inputDimension == 12 && encoder.version == 1)
    }

    @Test func everyLayerTypeAndSGDTrain() throws {
        for normalization in ["none", "layernorm", "batchnorm"] {
            var o = options()
            o.hidden = [16]
            o.normalization = normalization
            o.activation = normalization == "layernorm" ? "gelu" : "relu"
            o.optimizer = .sgd
            o.learningRate = 0.05
            o.warmupEpochs = 2
            let space = try Space(kind: .simplex, classes: 8)
            let encoder = try Trainer.train(space: space, data: data(), options: o)
            #expect(try summary(encoder).validationAccuracy ?? 0 > 0.9, "\(normalization)")
            // The saved file reloads and encodes the same.
            let path = scratchDirectory() + "/head.safetensors"
            try EncoderFile.save(encoder, to: path)
            let reloaded = try EncoderFile.open(path)
            let d = data()
            #expect(try reloaded.encode(d.features, count: d.count) == encoder.encode(d.features, count: d.count))
        }
    }

    @Test func aSeedMakesARunReproducible() throws {
        let a = try Trainer.train(space: try Space(kind: .simplex, classes: 8), data: data(), options: options())
        let b = try Trainer.train(space: try Space(kind: .simplex, classes: 8), data: data(), options: options())
        var other = options()
        other.seed = 1
        let c = try Trainer.train(space: try Space(kind: .simplex, classes: 8), data: data(), options: other)
        #expect(a.tensors == b.tensors)
        #expect(a.tensors != c.tensors)
    }

    @Test func oldLabelsKeepTheirVertices() throws {
        let space = try Space(kind: .simplex, classes: 8)
        _ = try space.assign([.name("c3"), .name("x")])
        _ = try Trainer.train(space: space, data: data(), options: options())
        #expect(space.lookup([.name("c3"), .name("x"), .name("c0"), .name("c4")]) == [0, 1, 2, 5])
    }

    @Test func earlyStoppingKeepsTheBestEpoch() throws {
        var o = options()
        o.epochs = 40
        o.patience = 2
        let encoder = try Trainer.train(space: try Space(kind: .simplex, classes: 8), data: data(), options: o)
        #expect(try summary(encoder).epochs < 40)
    }

    @Test func refusesBadInputAndChangesNothing() throws {
        let space = try Space(kind: .simplex, classes: 8)
        var d = data()
        d.labels.removeLast()
        #expect(throws: StasisError.invalid("199 labels for 200 feature rows: give one label per row")) {
            try Trainer.train(space: space, data: d, options: options())
        }
        d = data()
        d.features[25] = .nan
        #expect(throws: StasisError.invalid("features: row 2 has a non-finite value (nan) at column 1")) {
            try Trainer.train(space: space, data: d, options: options())
        }
        let small = try Space(kind: .simplex, classes: 4)
        #expect(throws: StasisError(.unsupported,
            "space has 4 vertices, 0 already assigned; 5 new labels do not fit (the space is full)")) {
            try Trainer.train(space: small, data: data(), options: options())
        }
        #expect(throws: StasisError(.cancelled, "training cancelled by the progress callback at epoch 2, step 10")) {
            try Trainer.train(space: space, data: data(), options: options()) { $0.epoch < 2 }
        }
        var o = options()
        o.alignment = .hoc
        #expect(throws: StasisError.invalid("alignment 'hoc' needs the previous encoder")) {
            try Trainer.train(space: space, data: data(), options: o)
        }
        let otherSpace = try Space(kind: .simplex, classes: 9)
        let foreign = try Trainer.train(space: otherSpace, data: data(), options: options())
        d = data()
        d.previous = foreign
        #expect(throws: StasisError.self) { try Trainer.train(space: space, data: d, options: options(2)) }
        o = options()
        o.learningRate = .nan
        #expect(throws: StasisError.self) { try Trainer.train(space: space, data: data(), options: o) }
        #expect(space.labelCount == 0)
    }

    /// v1 on 3 classes, v2 on 5 with HOC, CL2R, and softmax features: every path runs, the
    /// alignment keeps new→old close, and the softmax encoder survives a save and reload.
    @Test func alignedUpgradeAndSoftmaxFeatures() throws {
        let space = try Space(kind: .simplex, classes: 8)
        let full = data()
        let firstRows = (0..<full.count).filter { full.labels[$0] != .name("c3") && full.labels[$0] != .name("c4") }
        let v1Data = TrainingData(features: firstRows.flatMap { full.features[($0 * 12)..<($0 * 12 + 12)] },
                                  count: firstRows.count, dimension: 12, labels: firstRows.map { full.labels[$0] })
        let v1 = try Trainer.train(space: space, data: v1Data, options: options())
        let newBackbone = data(seed: 7)
        let oldUnit = try v1.encode(full.features, count: full.count)
        var cosines: [TrainingOptions.Alignment: Float] = [:]
        for alignment in [TrainingOptions.Alignment.none, .hoc, .cl2r] {
            var d = TrainingData(features: newBackbone.features, count: full.count, dimension: 12, labels: full.labels,
                                 previous: v1, previousFeatures: full.features)
            if alignment == .hoc {
                d.pairedFeatures = Array(newBackbone.features.prefix(40 * 12))
                d.pairedPreviousFeatures = Array(full.features.prefix(40 * 12))
                d.pairedCount = 40
            }
            var o = options(2)
            o.alignment = alignment
            o.epochs = 30
            let v2 = try Trainer.train(space: space, data: d, options: o)
            let newUnit = try v2.encode(newBackbone.features, count: full.count)
            let cosine = zip(newUnit, oldUnit).reduce(Float(0)) { $0 + $1.0 * $1.1 } / Float(full.count)
            cosines[alignment] = cosine
            #expect(try summary(v2).previousVersion == 1)
        }
        // Aligned heads land much closer to v1's features than stationarity alone.
        #expect(cosines[.hoc]! > cosines[.none]! + 0.1 && cosines[.cl2r]! > cosines[.none]! + 0.2, "\(cosines)")
        var o = options(3)
        o.feature = .softmax
        let softmax = try Trainer.train(space: space, data: full, options: o)
        #expect(softmax.feature == "softmax" && softmax.temperature != nil)
        #expect(try summary(softmax).recipe.temperature == softmax.temperature)
        let path = scratchDirectory() + "/softmax.safetensors"
        try EncoderFile.save(softmax, to: path)
        let reloaded = try EncoderFile.open(path)
        #expect(reloaded.feature == "softmax" && reloaded.temperature == softmax.temperature)
        let ten = Array(full.features.prefix(120))
        #expect(try reloaded.encode(ten, count: 10) == softmax.encode(ten, count: 10))
    }
}

extension TrainerTests {
    /// Sizes that would exhaust memory are refused with advice, before anything is allocated.
    @Test func refusesRunsTooLargeForMemory() throws {
        let space = try Space(kind: .cube, classes: 1 << 19)
        var o = options()
        o.batchSize = 1 << 10
        #expect(throws: StasisError.invalid(
            "a batch of 1024 rows x 524288 values (widest layer or K) exceeds 268435456 floats; lower batch_size")) {
            try Trainer.train(space: space, data: data(), options: o)
        }
        o = options()
        o.hidden = [65536, 65536]
        #expect(throws: StasisError.self) { try Trainer.train(space: try Space(kind: .simplex, classes: 8), data: data(), options: o) }
    }
}

extension TrainerTests {
    /// A paired sample whose size does not match its arrays (or overflows) is refused, not trapped on.
    @Test func refusesInconsistentPairedSamples() throws {
        let space = try Space(kind: .simplex, classes: 8)
        let v1 = try Trainer.train(space: space, data: data(), options: options())
        var d = data()
        d.previous = v1
        d.previousFeatures = d.features
        var o = options(2)
        o.alignment = .hoc
        for count in [Int.max / 2, -1, 3] {
            d.pairedCount = count
            d.pairedFeatures = Array(d.features.prefix(24))
            d.pairedPreviousFeatures = Array(d.features.prefix(24))
            #expect(throws: StasisError.self) { try Trainer.train(space: space, data: d, options: o) }
        }
    }
}

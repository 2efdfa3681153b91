import COpenBLAS

/// The end of a run: the softmax temperature chosen on the validation split, and the encoder.
extension TrainingRun {
    static let temperatureGrid: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16]
    /// Validation items used to choose T (leave-one-out R@1 is quadratic in them).
    static let temperatureItems = 4000

    /// The projection of a softmax run: T as given, or the grid value with the best leave-one-out
    /// R@1 on the validation split (new→new, plus new→old when there is a previous version:
    /// compatibility counts as much as accuracy). Never looks at anything but the validation split.
    func projection() throws -> FeatureProjection? {
        guard options.feature == .softmax else { return nil }
        let make = { (t: Double) in
            FeatureProjection(vertices: space.vertices, classes: space.classCount, dimension: space.dimension, temperature: Float(t))
        }
        if let t = options.temperature { return make(t) }
        let rows = Array(validationIndices.prefix(Self.temperatureItems))
        guard rows.count >= 2 else {
            throw StasisError.invalid("choosing the softmax temperature needs at least 2 validation items; give a temperature")
        }
        let z = outputs(rows)
        let labels = rows.map { targets[$0] }
        var old: [Float]? = nil
        if let previousUnit {
            var gathered: [Float] = []
            for row in rows { gathered += previousUnit[(row * space.dimension)..<((row + 1) * space.dimension)] }
            old = gathered
        }
        var best: (score: Double, t: Double)?
        for t in Self.temperatureGrid {
            var f = z
            let projection = make(t)
            let chunk = max(1, (16 << 20) / space.classCount)
            var scratch = [Float](repeating: 0, count: min(chunk, rows.count) * space.classCount)
            f.withUnsafeMutableBufferPointer { fz in
                scratch.withUnsafeMutableBufferPointer { buffer in
                    for start in stride(from: 0, to: rows.count, by: chunk) {
                        projection.apply(fz.baseAddress! + start * space.dimension, rows: min(chunk, rows.count - start),
                                         scratch: buffer.baseAddress!)
                    }
                }
            }
            let unit = Losses.normalize(f, rows: rows.count, dimension: space.dimension).unit
            var score = Self.recallAt1(queries: unit, gallery: unit, labels: labels, dimension: space.dimension)
            if let old { score += Self.recallAt1(queries: unit, gallery: old, labels: labels, dimension: space.dimension) }
            if best == nil || score > best!.score { best = (score, t) }
        }
        return make(best!.t)
    }

    /// Leave-one-out R@1: for query i, is the most similar gallery row j ≠ i of i's label?
    static func recallAt1(queries: [Float], gallery: [Float], labels: [Int], dimension: Int) -> Double {
        let n = labels.count
        var s = [Float](repeating: 0, count: n * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(dimension),
                    1, queries, Int32(dimension), gallery, Int32(dimension), 0, &s, Int32(n))
        var hits = 0
        for i in 0..<n {
            var best = -1
            for j in 0..<n where j != i && (best < 0 || s[i * n + j] > s[i * n + best]) { best = j }
            if best >= 0, labels[best] == labels[i] { hits += 1 }
        }
        return Double(hits) / Double(n)
    }

    /// The trained encoder, its metadata carrying the summary under `stasis.training`.
    func encoder(summary: TrainingSummary, projection: FeatureProjection?) throws -> VersionedEncoder {
        var (specs, tensors) = head.export()
        var summary = summary
        var metadata: [String: String] = [:]
        if !options.backbone.isEmpty { metadata["stasis.backbone"] = options.backbone }
        if !options.notes.isEmpty { metadata["stasis.notes"] = options.notes }
        if let projection {
            tensors[FeatureProjection.tensorName] = ([projection.classes, projection.dimension], projection.vertices)
            metadata[FeatureProjection.featureKey] = "softmax"
            metadata[FeatureProjection.temperatureKey] = String(Double(projection.temperature))
            summary.recipe.temperature = Double(projection.temperature)
        }
        metadata[TrainingSummary.metadataKey] = try StasisMetadata.json(summary)
        return try VersionedEncoder(spaceFingerprint: space.fingerprint, version: options.version,
                                    inputDimension: data.dimension, layerSpecs: specs, tensors: tensors, metadata: metadata)
    }
}

extension TrainingSummary {
    /// Metadata key of the JSON summary in a trained encoder.
    public static let metadataKey = "stasis.training"
}

extension VersionedEncoder {
    /// The `stasis.training` summary of an encoder trained by Stasis; nil when absent or unreadable.
    public var trainingSummary: TrainingSummary? {
        guard let text = metadata[TrainingSummary.metadataKey] else { return nil }
        return try? StasisMetadata.decode(TrainingSummary.self, from: text, key: TrainingSummary.metadataKey, path: "encoder")
    }
}

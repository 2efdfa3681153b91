import COpenBLAS

/// One model version: maps a backbone's features (inputDimension) into a space (outputDimension =
/// the space's d) through a small layer stack; outputs are L2-normalised.
///
/// Immutable after loading, so `encode` may run on any number of threads at once.
public final class VersionedEncoder: @unchecked Sendable {
    /// Fingerprint of the space the encoder was trained against.
    public let spaceFingerprint: String
    /// Model version stamped on every vector it produces.
    public let version: UInt32
    public let inputDimension: Int
    public let outputDimension: Int
    public let layerSpecs: [LayerSpec]
    /// The file's whole `__metadata__` map (including `stasis.backbone`, `stasis.notes`).
    public let metadata: [String: String]

    let layers: [Layer]
    /// Softmax feature kind; nil for raw features (the L2-normalised head output).
    let projection: FeatureProjection?
    /// Tensors as loaded, kept so that saving reproduces them exactly (BatchNorm stays unfolded).
    let tensors: [String: Safetensors.Tensor]

    /// Scratch floats per buffer: rows per sgemm call are as many as fit (at most 16384), which
    /// keeps multi-threaded sgemm efficient while bounding memory to 2 × 32 MB whatever the batch.
    static let chunkFloats = 8 << 20

    /// Builds an encoder from a layer spec and tensors named `layers.<i>.<param>`.
    /// - Throws: `.invalidArgument` naming the missing, misshapen, non-finite or unexpected tensor.
    public init(spaceFingerprint: String, version: UInt32, inputDimension: Int, layerSpecs: [LayerSpec],
                tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String] = [:]) throws {
        let stored = tensors.mapValues { Safetensors.Tensor(shape: $0.shape, values: $0.values) }
        var layerTensors = stored
        if metadata[FeatureProjection.featureKey] == "softmax" { layerTensors[FeatureProjection.tensorName] = nil }
        let (layers, width) = try LayerStackBuilder.build(specs: layerSpecs, tensors: layerTensors, inputWidth: inputDimension)
        self.projection = try FeatureProjection.from(metadata: metadata, tensors: stored, dimension: width)
        self.spaceFingerprint = spaceFingerprint
        self.version = version
        self.inputDimension = inputDimension
        self.outputDimension = width
        self.layerSpecs = layerSpecs
        self.layers = layers
        self.tensors = stored
        var merged = metadata
        merged[EncoderFile.spaceKey] = spaceFingerprint
        merged[EncoderFile.versionKey] = String(version)
        merged[EncoderFile.inputKey] = String(inputDimension)
        merged[EncoderFile.outputKey] = String(width)
        // The layer spec as the file will store it, so a freshly trained encoder answers the same
        // metadata queries as the same encoder reopened from disk.
        merged[EncoderFile.layersKey] = try StasisMetadata.json(layerSpecs)
        self.metadata = merged
    }

    /// Backbone the encoder expects features from (`stasis.backbone`), "" when not recorded.
    public var backbone: String { metadata["stasis.backbone"] ?? "" }

    /// "raw" (the L2-normalised head output) or "softmax" (science.md §6).
    public var feature: String { projection == nil ? "raw" : "softmax" }

    /// The softmax temperature T; nil for raw features.
    public var temperature: Double? { projection.map { Double($0.temperature) } }

    /// Encodes `count` rows of `inputDimension` features into unit vectors (count × outputDimension).
    public func encode(_ features: [Float], count: Int) throws -> [Float] {
        guard count >= 0 else { throw StasisError.invalid("row count must be >= 0, got \(count)") }
        guard features.count == count * inputDimension else {
            throw StasisError.invalid("features hold \(features.count) floats, expected \(count) x \(inputDimension)")
        }
        var output = [Float](repeating: 0, count: count * outputDimension)
        try features.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { out in
                try encode(input: input.baseAddress, count: count, output: out.baseAddress)
            }
        }
        return output
    }

    /// Encodes into a caller buffer of count × outputDimension floats (used by the C ABI, which
    /// has checked the buffer sizes). On error the output may hold partial results.
    package func encode(input: UnsafePointer<Float>?, count: Int, output: UnsafeMutablePointer<Float>?) throws {
        guard count > 0, let input, let output else { return }
        try Self.checkFinite(input, rows: count, width: inputDimension)
        let widest = layers.reduce(max(inputDimension, projection?.classes ?? 0)) { max($0, $1.outputWidth($0)) }
        let chunk = min(count, max(64, min(16384, Self.chunkFloats / widest)))
        let front = UnsafeMutablePointer<Float>.allocate(capacity: chunk * widest)
        let back = UnsafeMutablePointer<Float>.allocate(capacity: chunk * widest)
        defer {
            front.deallocate()
            back.deallocate()
        }
        for start in stride(from: 0, to: count, by: chunk) {
            let rows = min(chunk, count - start)
            front.update(from: input + start * inputDimension, count: rows * inputDimension)
            var current = front, spare = back, width = inputDimension
            for layer in layers {
                if case .skip = layer {
                    layer.addSkip(rows: rows, encoderInput: input + start * inputDimension, output: current)
                } else if case .linear = layer {
                    layer.apply(rows: rows, width: width, input: current, output: spare)
                    swap(&current, &spare)
                } else {
                    layer.apply(rows: rows, width: width, input: current, output: current)
                }
                width = layer.outputWidth(width)
            }
            if let projection { projection.apply(current, rows: rows, scratch: spare) }
            let destination = output + start * outputDimension
            destination.update(from: current, count: rows * outputDimension)
            try Self.normalize(destination, rows: rows, width: outputDimension, firstRow: start)
        }
    }

    private static func checkFinite(_ x: UnsafePointer<Float>, rows: Int, width: Int) throws {
        for r in 0..<rows {
            let row = x + r * width
            // NaN/Inf anywhere make the sum of squares non-finite; then look closer (a finite but
            // huge row also overflows the sum and is fine).
            if cblas_sdot(Int32(width), row, 1, row, 1).isFinite { continue }
            if let bad = (0..<width).first(where: { !row[$0].isFinite }) {
                throw StasisError.invalid("feature row \(r) has a non-finite value (\(row[bad])) at column \(bad)")
            }
        }
    }

    private static func normalize(_ y: UnsafeMutablePointer<Float>, rows: Int, width: Int, firstRow: Int) throws {
        for r in 0..<rows {
            let row = y + r * width
            let squares = cblas_sdot(Int32(width), row, 1, row, 1)
            guard squares > 0, squares.isFinite else {
                throw StasisError.invalid(
                    "encoder output for row \(firstRow + r) is \(squares == 0 ? "a zero vector" : "not finite") and cannot be normalised")
            }
            cblas_sscal(Int32(width), 1 / squares.squareRoot(), row, 1)
        }
    }
}

import StasisCore

// Exports for the "Training" section of include/stasis.h.

/// Shared body of stasis_train_ids and stasis_train_names: validates the raw arguments, copies
/// the caller's arrays, trains, and stores the new encoder in `out` (NULL on any error).
private func train(
    _ spacePointer: OpaquePointer?, _ n: Int64, _ dim: Int64, _ features: UnsafePointer<Float>?, labels: [ClassLabel],
    _ previousPointer: OpaquePointer?, _ previousDim: Int64, _ previousFeatures: UnsafePointer<Float>?,
    _ version: UInt32, _ options: UnsafeRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) throws {
    let out = try Arguments.required(out, "out")
    out.pointee = nil
    let space = try SpaceHandle.object(spacePointer, "space")
    let rows = try Arguments.count(n)
    let width = try Arguments.dimension(dim)
    let parsed = try TrainOptionsABI.read(options, version: version)
    var data = TrainingData(features: try Arguments.array(features, rows: rows, dimension: width, "features"),
                            count: rows, dimension: width, labels: labels)
    if let previousPointer {
        let previous = try EncoderHandle.object(previousPointer, "encoder")
        guard previousDim == Int64(previous.inputDimension) else {
            throw StasisError(.dimensionMismatch,
                "previous_dim is \(previousDim), the previous encoder (version \(previous.version)) expects \(previous.inputDimension)")
        }
        data.previous = previous
        if let previousFeatures {
            data.previousFeatures = try Arguments.array(previousFeatures, rows: rows, dimension: previous.inputDimension, "previous_features")
        }
        if parsed.pairedCount > 0 {
            data.pairedCount = parsed.pairedCount
            data.pairedFeatures = try Arguments.array(
                try Arguments.required(parsed.pairedFeatures, "paired_features"), rows: parsed.pairedCount, dimension: width, "paired_features")
            data.pairedPreviousFeatures = try Arguments.array(
                try Arguments.required(parsed.pairedPreviousFeatures, "paired_previous_features"), rows: parsed.pairedCount,
                dimension: previous.inputDimension, "paired_previous_features")
        }
    } else if previousFeatures != nil || parsed.pairedCount > 0 {
        throw StasisError(.invalidArgument, "previous features or a paired sample were given without the previous encoder")
    }
    var progress: Trainer.Progress?
    if let function = parsed.progress {
        let userData = parsed.userData
        progress = { TrainOptionsABI.call(function, userData, $0) }
    }
    let encoder = try Trainer.train(space: space, data: data, options: parsed.options, progress: progress)
    out.pointee = EncoderHandle(encoder).retainedPointer()
}

@_cdecl("stasis_train_ids")
public func stasis_train_ids(
    _ space: OpaquePointer?, _ n: Int64, _ dim: Int64, _ features: UnsafePointer<Float>?, _ labels: UnsafePointer<Int64>?,
    _ previous: OpaquePointer?, _ previousDim: Int64, _ previousFeatures: UnsafePointer<Float>?, _ version: UInt32,
    _ options: UnsafeRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        let ids = try Arguments.array(labels, rows: try Arguments.count(n), "labels").map(ClassLabel.id)
        try train(space, n, dim, features, labels: ids, previous, previousDim, previousFeatures, version, options, out)
    }
}

@_cdecl("stasis_train_names")
public func stasis_train_names(
    _ space: OpaquePointer?, _ n: Int64, _ dim: Int64, _ features: UnsafePointer<Float>?,
    _ labels: UnsafePointer<UnsafePointer<CChar>?>?, _ previous: OpaquePointer?, _ previousDim: Int64,
    _ previousFeatures: UnsafePointer<Float>?, _ version: UInt32, _ options: UnsafeRawPointer?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        let pointers = try Arguments.array(labels, rows: try Arguments.count(n), "labels")
        let names = try pointers.enumerated().map { index, pointer in
            ClassLabel.name(String(cString: try Arguments.required(pointer, "labels[\(index)]")))
        }
        try train(space, n, dim, features, labels: names, previous, previousDim, previousFeatures, version, options, out)
    }
}

@_cdecl("stasis_encoder_feature")
public func stasis_encoder_feature(
    _ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ temperature: UnsafeMutablePointer<Double>?
) -> Int32 {
    boundary {
        let handle = try EncoderHandle.from(pointer, "encoder")
        try Arguments.required(out, "out").pointee = handle.cString("feature", handle.object.feature)
        temperature?.pointee = handle.object.temperature ?? 0
    }
}

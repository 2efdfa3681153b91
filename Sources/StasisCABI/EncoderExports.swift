import Glibc
import StasisCore

// Exports for the "Encoders" section of include/stasis.h, and the index calls that take one.

typealias EncoderHandle = Handle<VersionedEncoder>

private func encoder(_ pointer: OpaquePointer?) throws -> VersionedEncoder {
    try EncoderHandle.object(pointer, "encoder")
}

@_cdecl("stasis_encoder_open")
public func stasis_encoder_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary {
        try EncoderHandle.produce(into: out) { try EncoderFile.open(try Arguments.string(path, "path")) }
    }
}

@_cdecl("stasis_encoder_free")
public func stasis_encoder_free(_ pointer: OpaquePointer?) { EncoderHandle.release(pointer) }

@_cdecl("stasis_encoder_save")
public func stasis_encoder_save(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary { try EncoderFile.save(try encoder(pointer), to: try Arguments.string(path, "path")) }
}

@_cdecl("stasis_encoder_inspect")
public func stasis_encoder_inspect(
    _ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    boundary {
        try produceJSON(into: out) { try EncoderFile.inspectJSON(try Arguments.string(path, "path")) }
    }
}

@_cdecl("stasis_encoder_input_dimension")
public func stasis_encoder_input_dimension(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try EncoderHandle.read(pointer, "encoder", into: out) { target in Int64(target.inputDimension) } }
}

@_cdecl("stasis_encoder_output_dimension")
public func stasis_encoder_output_dimension(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try EncoderHandle.read(pointer, "encoder", into: out) { target in Int64(target.outputDimension) } }
}

@_cdecl("stasis_encoder_version")
public func stasis_encoder_version(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UInt32>?) -> Int32 {
    boundary { try EncoderHandle.read(pointer, "encoder", into: out) { target in target.version } }
}

@_cdecl("stasis_encoder_space")
public func stasis_encoder_space(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    boundary {
        let handle = try EncoderHandle.from(pointer, "encoder")
        try Arguments.required(out, "out").pointee = handle.cString("space", handle.object.spaceFingerprint)
    }
}

@_cdecl("stasis_encoder_metadata")
public func stasis_encoder_metadata(
    _ pointer: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    boundary {
        let handle = try EncoderHandle.from(pointer, "encoder")
        let name = try Arguments.string(key, "key")
        let out = try Arguments.required(out, "out")
        out.pointee = nil
        guard let value = handle.object.metadata[name] else {
            throw StasisError(.notFound, "encoder has no metadata key '\(name)'")
        }
        out.pointee = handle.cString("metadata:" + name, value)
    }
}

@_cdecl("stasis_encoder_encode")
public func stasis_encoder_encode(
    _ pointer: OpaquePointer?, _ n: Int64, _ inputDimension: Int64, _ features: UnsafePointer<Float>?,
    _ outputDimension: Int64, _ out: UnsafeMutablePointer<Float>?
) -> Int32 {
    boundary {
        let target = try encoder(pointer)
        let rows = try Arguments.count(n)
        guard inputDimension == Int64(target.inputDimension) else {
            throw StasisError(.dimensionMismatch,
                "features have dimension \(inputDimension), encoder version \(target.version) expects \(target.inputDimension)")
        }
        guard outputDimension == Int64(target.outputDimension) else {
            throw StasisError(.dimensionMismatch,
                "output buffer rows have dimension \(outputDimension), encoder version \(target.version) produces \(target.outputDimension)")
        }
        guard rows > 0 else { return }
        try target.encode(
            input: try Arguments.required(features, "features"), count: rows, output: try Arguments.required(out, "out"))
    }
}

// MARK: Index calls bound to spaces and encoders

/// The caller's feature width, refused before its buffer is read when it is not the encoder's
/// (copying n x (wrong width) values could read past the end of a buffer sized for the right
/// one; found by the AddressSanitizer run of the C tests).
private func featureWidth(_ inputDimension: Int64, of encoder: VersionedEncoder) throws -> Int {
    let width = try Arguments.dimension(inputDimension)
    guard width == encoder.inputDimension else {
        throw StasisError(.dimensionMismatch,
            "features have dimension \(width), encoder version \(encoder.version) expects \(encoder.inputDimension)")
    }
    return width
}

@_cdecl("stasis_index_create_for_space")
public func stasis_index_create_for_space(
    _ spacePointer: OpaquePointer?, _ factory: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try IndexHandle.produce(into: out) {
            try VersionedIndex(
                space: try SpaceHandle.object(spacePointer, "space"), factory: try Arguments.string(factory, "factory"))
        }
    }
}

@_cdecl("stasis_index_space")
public func stasis_index_space(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    boundary {
        let handle = try IndexHandle.from(pointer, "index")
        let out = try Arguments.required(out, "out")
        out.pointee = handle.object.space.map { handle.cString("space", $0) }
    }
}

@_cdecl("stasis_index_add_features")
public func stasis_index_add_features(
    _ indexPointer: OpaquePointer?, _ encoderPointer: OpaquePointer?, _ n: Int64, _ inputDimension: Int64,
    _ features: UnsafePointer<Float>?, _ ids: UnsafePointer<Int64>?
) -> Int32 {
    boundary {
        let index = try IndexHandle.object(indexPointer, "index")
        let encoder = try encoder(encoderPointer)
        let rows = try Arguments.count(n)
        let width = try featureWidth(inputDimension, of: encoder)
        try index.add(
            features: try Arguments.array(features, rows: rows, dimension: width, "features"), dimension: width,
            encoder: encoder, ids: try Arguments.array(ids, rows: rows, "ids"))
    }
}

@_cdecl("stasis_index_search_features")
public func stasis_index_search_features(
    _ indexPointer: OpaquePointer?, _ encoderPointer: OpaquePointer?, _ n: Int64, _ inputDimension: Int64,
    _ features: UnsafePointer<Float>?, _ k: Int64, _ options: UnsafeRawPointer?,
    _ outScores: UnsafeMutablePointer<Float>?, _ outIDs: UnsafeMutablePointer<Int64>?,
    _ outVersions: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    boundary {
        let index = try IndexHandle.object(indexPointer, "index")
        let encoder = try encoder(encoderPointer)
        let rows = try Arguments.count(n)
        let width = try featureWidth(inputDimension, of: encoder)
        let k = try Arguments.k(k)
        let parsed = try SearchOptionsABI.read(options)
        let queries = try Arguments.array(features, rows: rows, dimension: width, "features")
        guard rows > 0 else { return }
        let result = try index.search(features: queries, count: rows, dimension: width, encoder: encoder, k: k, options: parsed)
        try SearchOutput.write(result, scores: outScores, ids: outIDs, versions: outVersions)
    }
}

import StasisCore

// Exports for the "Adapters" section of include/stasis.h.

typealias AdapterHandle = Handle<Adapter>

private func adapter(_ pointer: OpaquePointer?) throws -> Adapter {
    try AdapterHandle.object(pointer, "adapter")
}

/// Reads a caller's `stasis_adapter_options` by byte offset, honouring `struct_size`:
///
///     offset 0   size_t       struct_size
///     offset 8   double       ridge
///     offset 16  int64_t      rank
///     offset 24  double       validation_fraction
///     offset 32  uint64_t     seed
///     offset 40  const char*  source_space
///     offset 48  const char*  target_space
///     offset 56  double       orthogonality   (added with the orthogonal, mlp and local kinds)
///     offset 64  int64_t      clusters
///     offset 72  int64_t      routing
///     offset 80  int64_t      hidden
///     offset 88  int64_t      epochs
enum AdapterOptionsABI {
    static let knownSize = 96

    static func read(_ raw: UnsafeRawPointer?) throws -> AdapterFitOptions {
        var options = AdapterFitOptions()
        guard let raw else { return options }
        let layout = try VersionedStruct(raw, name: "stasis_adapter_options", initializer: "STASIS_ADAPTER_OPTIONS_INIT", knownSize: knownSize)
        let ridge = layout.field(8, Double.self, default: 0)
        let rank = layout.field(16, Int64.self, default: 0)
        let fraction = layout.field(24, Double.self, default: 0)
        options.seed = layout.field(32, UInt64.self, default: 0)
        if ridge != 0 { options.ridge = ridge }  // the core refuses negative and non-finite values
        guard rank >= 0, rank <= Int64(Adapter.maxDimension) else {
            throw StasisError(.invalidArgument, "rank must be >= 0 (0 = default), got \(rank)")
        }
        options.rank = rank == 0 ? nil : Int(rank)
        guard !fraction.isNaN else { throw StasisError(.invalidArgument, "validation_fraction is NaN") }
        if fraction < 0 { options.validationFraction = 0 } else if fraction > 0 { options.validationFraction = fraction }
        let source = layout.field(40, UnsafePointer<CChar>?.self, default: nil)
        let target = layout.field(48, UnsafePointer<CChar>?.self, default: nil)
        options.sourceSpace = source.map { String(cString: $0) }
        options.targetSpace = target.map { String(cString: $0) }
        let orthogonality = layout.field(56, Double.self, default: 0)
        if orthogonality != 0 { options.orthogonality = orthogonality }  // the core refuses bad values
        let clusters = layout.field(64, Int64.self, default: 0)
        let routing = layout.field(72, Int64.self, default: 0)
        let hidden = layout.field(80, Int64.self, default: 0)
        let epochs = layout.field(88, Int64.self, default: 0)
        for (name, value) in [("clusters", clusters), ("routing", routing), ("hidden", hidden), ("epochs", epochs)] {
            guard value >= 0, value <= 1 << 20 else {
                throw StasisError(.invalidArgument, "\(name) must be in 0...\(1 << 20) (0 = default), got \(value)")
            }
        }
        if clusters != 0 { options.clusters = Int(clusters) }
        if routing != 0 { options.routing = Int(routing) }
        if hidden != 0 { options.hidden = Int(hidden) }
        if epochs != 0 { options.epochs = Int(epochs) }
        return options
    }
}

@_cdecl("stasis_adapter_fit")
public func stasis_adapter_fit(
    _ kind: UnsafePointer<CChar>?, _ sourceVersion: UInt32, _ targetVersion: UInt32, _ n: Int64,
    _ sourceDimension: Int64, _ source: UnsafePointer<Float>?, _ targetDimension: Int64, _ target: UnsafePointer<Float>?,
    _ options: UnsafeRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try AdapterHandle.produce(into: out) {
            let parsedKind = try AdapterKind(parsing: try Arguments.string(kind, "kind"))
            let rows = try Arguments.count(n)
            let ds = try Arguments.dimension(sourceDimension, max: Int64(Adapter.maxDimension))
            let dt = try Arguments.dimension(targetDimension, max: Int64(Adapter.maxDimension))
            let parsed = try AdapterOptionsABI.read(options)
            return try Adapter.fit(
                kind: parsedKind, sourceVersion: sourceVersion, targetVersion: targetVersion,
                source: try Arguments.array(source, rows: rows, dimension: ds, "source"), sourceRows: rows, sourceDimension: ds,
                target: try Arguments.array(target, rows: rows, dimension: dt, "target"), targetRows: rows, targetDimension: dt,
                options: parsed)
        }
    }
}

@_cdecl("stasis_adapter_fit_unpaired")
public func stasis_adapter_fit_unpaired(
    _ sourceVersion: UInt32, _ targetVersion: UInt32,
    _ sourceRows: Int64, _ sourceDimension: Int64, _ source: UnsafePointer<Float>?,
    _ targetRows: Int64, _ targetDimension: Int64, _ target: UnsafePointer<Float>?,
    _ options: UnsafeRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try AdapterHandle.produce(into: out) {
            let ns = try Arguments.count(sourceRows, "n_source")
            let nt = try Arguments.count(targetRows, "n_target")
            let ds = try Arguments.dimension(sourceDimension, max: Int64(Adapter.maxDimension))
            let dt = try Arguments.dimension(targetDimension, max: Int64(Adapter.maxDimension))
            let parsed = try AdapterOptionsABI.read(options)
            return try Adapter.fitUnpaired(
                sourceVersion: sourceVersion, targetVersion: targetVersion,
                source: try Arguments.array(source, rows: ns, dimension: ds, "source"), sourceRows: ns, sourceDimension: ds,
                target: try Arguments.array(target, rows: nt, dimension: dt, "target"), targetRows: nt, targetDimension: dt,
                options: parsed)
        }
    }
}

@_cdecl("stasis_adapter_is_unpaired")
public func stasis_adapter_is_unpaired(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    boundary {
        let target = try adapter(pointer)
        try Arguments.required(out, "out").pointee = target.settings.unpaired ? 1 : 0
    }
}

@_cdecl("stasis_adapter_free")
public func stasis_adapter_free(_ pointer: OpaquePointer?) { AdapterHandle.release(pointer) }

@_cdecl("stasis_adapter_save")
public func stasis_adapter_save(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary { try AdapterFile.save(try adapter(pointer), to: try Arguments.string(path, "path")) }
}

@_cdecl("stasis_adapter_open")
public func stasis_adapter_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary {
        try AdapterHandle.produce(into: out) { try AdapterFile.open(try Arguments.string(path, "path")) }
    }
}

@_cdecl("stasis_adapter_inspect")
public func stasis_adapter_inspect(
    _ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    boundary {
        try produceJSON(into: out) { try AdapterFile.inspectJSON(try Arguments.string(path, "path")) }
    }
}

@_cdecl("stasis_adapter_kind")
public func stasis_adapter_kind(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    boundary {
        let handle = try AdapterHandle.from(pointer, "adapter")
        try Arguments.required(out, "out").pointee = handle.cString("kind", handle.object.kind.rawValue)
    }
}

@_cdecl("stasis_adapter_versions")
public func stasis_adapter_versions(
    _ pointer: OpaquePointer?, _ outSource: UnsafeMutablePointer<UInt32>?, _ outTarget: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    boundary {
        let target = try adapter(pointer)
        let source = try Arguments.required(outSource, "out_source")
        let destination = try Arguments.required(outTarget, "out_target")
        source.pointee = target.sourceVersion
        destination.pointee = target.targetVersion
    }
}

@_cdecl("stasis_adapter_dimensions")
public func stasis_adapter_dimensions(
    _ pointer: OpaquePointer?, _ outSource: UnsafeMutablePointer<Int64>?, _ outTarget: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary {
        let target = try adapter(pointer)
        let source = try Arguments.required(outSource, "out_source")
        let destination = try Arguments.required(outTarget, "out_target")
        source.pointee = Int64(target.sourceDimension)
        destination.pointee = Int64(target.targetDimension)
    }
}

@_cdecl("stasis_adapter_validation")
public func stasis_adapter_validation(
    _ pointer: OpaquePointer?, _ outTrain: UnsafeMutablePointer<Int64>?, _ outValidation: UnsafeMutablePointer<Int64>?,
    _ outCosine: UnsafeMutablePointer<Double>?, _ outRecall: UnsafeMutablePointer<Double>?
) -> Int32 {
    boundary {
        let validation = try adapter(pointer).validation
        outTrain?.pointee = Int64(validation.trainPairs)
        outValidation?.pointee = Int64(validation.validationPairs)
        outCosine?.pointee = validation.meanCosine ?? .nan
        outRecall?.pointee = validation.recallAt1 ?? .nan
    }
}

@_cdecl("stasis_adapter_apply")
public func stasis_adapter_apply(
    _ pointer: OpaquePointer?, _ n: Int64, _ inputDimension: Int64, _ x: UnsafePointer<Float>?,
    _ outputDimension: Int64, _ out: UnsafeMutablePointer<Float>?
) -> Int32 {
    boundary {
        let chain = try AdapterChain([try adapter(pointer)])
        try apply(chain, n, inputDimension, x, outputDimension, out)
    }
}

@_cdecl("stasis_adapter_chain_apply")
public func stasis_adapter_chain_apply(
    _ adapters: UnsafePointer<OpaquePointer?>?, _ count: Int64, _ n: Int64, _ inputDimension: Int64,
    _ x: UnsafePointer<Float>?, _ outputDimension: Int64, _ out: UnsafeMutablePointer<Float>?
) -> Int32 {
    boundary {
        guard count >= 1, count <= 4096 else {
            throw StasisError(.invalidArgument, "count must be in 1...4096 adapters, got \(count)")
        }
        let list = try Arguments.required(adapters, "adapters")
        let chain = try AdapterChain(try (0..<Int(count)).map { try adapter(list[$0]) })
        try apply(chain, n, inputDimension, x, outputDimension, out)
    }
}

/// Shared body of the two apply calls: checks the ends of the chain against the caller's widths
/// before reading a row, and writes the output only when every row mapped.
private func apply(
    _ chain: AdapterChain, _ n: Int64, _ inputDimension: Int64, _ x: UnsafePointer<Float>?,
    _ outputDimension: Int64, _ out: UnsafeMutablePointer<Float>?
) throws {
    let rows = try Arguments.count(n)
    guard inputDimension == Int64(chain.sourceDimension) else {
        throw StasisError(.dimensionMismatch,
            "input rows have dimension \(inputDimension), the adapter reads \(chain.sourceDimension) (version \(chain.sourceVersion))")
    }
    guard outputDimension == Int64(chain.targetDimension) else {
        throw StasisError(.dimensionMismatch,
            "output rows have dimension \(outputDimension), the adapter produces \(chain.targetDimension) (version \(chain.targetVersion))")
    }
    guard rows > 0 else { return }
    let mapped = try chain.apply(try Arguments.array(x, rows: rows, dimension: chain.sourceDimension, "x"), count: rows)
    try Arguments.required(out, "out").update(from: mapped, count: mapped.count)
}

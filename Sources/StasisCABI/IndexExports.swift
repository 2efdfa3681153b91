import Glibc
import StasisCore

// Exports for the "Index" section of include/stasis.h. Each function validates raw arguments,
// calls VersionedIndex, and maps the outcome through `boundary`.

typealias IndexHandle = Handle<VersionedIndex>

private func index(_ pointer: OpaquePointer?) throws -> VersionedIndex { try IndexHandle.object(pointer, "index") }

/// The caller's width, refused before its buffer is read when it is not the index's: a caller
/// that gets the width wrong sized the buffer for the right one, and copying n x (wrong width)
/// values would read past its end (found by the AddressSanitizer run of the C tests).
private func width(_ dimension: Int64, of target: VersionedIndex) throws -> Int {
    let dim = try Arguments.dimension(dimension)
    guard dim == target.dimension else {
        throw StasisError(.dimensionMismatch, "vectors have dimension \(dim), index has \(target.dimension)")
    }
    return dim
}

@_cdecl("stasis_index_create")
public func stasis_index_create(
    _ dimension: Int64, _ factory: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try IndexHandle.produce(into: out) {
            try VersionedIndex(
                dimension: try Arguments.dimension(dimension, max: Int64(VersionedIndex.maxDimension)),
                factory: try Arguments.string(factory, "factory"))
        }
    }
}

@_cdecl("stasis_index_free")
public func stasis_index_free(_ pointer: OpaquePointer?) { IndexHandle.release(pointer) }

@_cdecl("stasis_index_open")
public func stasis_index_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary {
        try IndexHandle.produce(into: out) { try VersionedIndex.open(try Arguments.string(path, "path")) }
    }
}

@_cdecl("stasis_index_save")
public func stasis_index_save(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary { try index(pointer).save(to: try Arguments.string(path, "path")) }
}

@_cdecl("stasis_index_inspect")
public func stasis_index_inspect(
    _ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    boundary {
        try produceJSON(into: out) { try IndexFile.inspectJSON(try Arguments.string(path, "path")) }
    }
}

@_cdecl("stasis_index_train")
public func stasis_index_train(
    _ pointer: OpaquePointer?, _ n: Int64, _ dimension: Int64, _ vectors: UnsafePointer<Float>?
) -> Int32 {
    boundary {
        let target = try index(pointer)
        let rows = try Arguments.count(n)
        let dim = try width(dimension, of: target)
        try target.train(try Arguments.array(vectors, rows: rows, dimension: dim, "vectors"), count: rows, dimension: dim)
    }
}

@_cdecl("stasis_index_is_trained")
public func stasis_index_is_trained(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    boundary { try IndexHandle.read(pointer, "index", into: out) { target in target.isTrained ? 1 : 0 } }
}

@_cdecl("stasis_index_add")
public func stasis_index_add(
    _ pointer: OpaquePointer?, _ n: Int64, _ dimension: Int64, _ vectors: UnsafePointer<Float>?,
    _ ids: UnsafePointer<Int64>?, _ version: UInt32
) -> Int32 {
    boundary {
        let target = try index(pointer)
        let rows = try Arguments.count(n)
        let dim = try width(dimension, of: target)
        // The caller's buffer as it is: a Flat index reads it once, straight into its storage.
        try target.add(
            try Arguments.buffer(vectors, rows: rows, dimension: dim, "vectors"), dimension: dim,
            ids: try Arguments.array(ids, rows: rows, "ids"), version: version)
    }
}

@_cdecl("stasis_index_remove")
public func stasis_index_remove(_ pointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?) -> Int32 {
    boundary {
        let target = try index(pointer)
        try target.remove(ids: try Arguments.array(ids, rows: try Arguments.count(n), "ids"))
    }
}

@_cdecl("stasis_index_search")
public func stasis_index_search(
    _ pointer: OpaquePointer?, _ n: Int64, _ dimension: Int64, _ queries: UnsafePointer<Float>?, _ k: Int64,
    _ options: UnsafeRawPointer?, _ outScores: UnsafeMutablePointer<Float>?,
    _ outIDs: UnsafeMutablePointer<Int64>?, _ outVersions: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    boundary {
        let target = try index(pointer)
        let rows = try Arguments.count(n)
        let dim = try width(dimension, of: target)
        let k = try Arguments.k(k)
        let parsed = try SearchOptionsABI.read(options)
        let query = try Arguments.array(queries, rows: rows, dimension: dim, "queries")
        guard rows > 0 else { return }
        _ = try Arguments.required(outScores, "out_scores")
        _ = try Arguments.required(outIDs, "out_ids")
        let result = try target.search(query, count: rows, dimension: dim, k: k, options: parsed)
        try SearchOutput.write(result, scores: outScores, ids: outIDs, versions: outVersions)
    }
}

@_cdecl("stasis_index_set_search_defaults")
public func stasis_index_set_search_defaults(_ pointer: OpaquePointer?, _ options: UnsafeRawPointer?) -> Int32 {
    boundary {
        let target = try index(pointer)
        let parsed = try SearchOptionsABI.read(try Arguments.required(options, "options"))
        guard parsed.version == nil else {
            throw StasisError(.invalidArgument, "a version filter cannot be a default; pass it per search")
        }
        try target.setSearchDefaults(parsed)
    }
}

@_cdecl("stasis_index_dimension")
public func stasis_index_dimension(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try IndexHandle.read(pointer, "index", into: out) { target in Int64(target.dimension) } }
}

@_cdecl("stasis_index_factory")
public func stasis_index_factory(
    _ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    boundary {
        let handle = try IndexHandle.from(pointer, "index")
        try Arguments.required(out, "out").pointee = handle.cString("factory", handle.object.factory)
    }
}

@_cdecl("stasis_index_count")
public func stasis_index_count(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try IndexHandle.read(pointer, "index", into: out) { target in Int64(target.count) } }
}

@_cdecl("stasis_index_count_version")
public func stasis_index_count_version(
    _ pointer: OpaquePointer?, _ version: UInt32, _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary { try IndexHandle.read(pointer, "index", into: out) { target in Int64(target.count(version: version)) } }
}

@_cdecl("stasis_index_versions")
public func stasis_index_versions(
    _ pointer: OpaquePointer?, _ capacity: Int64, _ outVersions: UnsafeMutablePointer<UInt32>?,
    _ outCounts: UnsafeMutablePointer<Int64>?, _ outTotal: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary {
        let target = try index(pointer)
        let room = try Arguments.count(capacity, "capacity")
        let total = try Arguments.required(outTotal, "out_total")
        let entries = target.countsByVersion.sorted { $0.key < $1.key }
        if room > 0 {
            let versions = try Arguments.required(outVersions, "out_versions")
            let counts = try Arguments.required(outCounts, "out_counts")
            for (i, entry) in entries.prefix(room).enumerated() {
                versions[i] = entry.key
                counts[i] = Int64(entry.value)
            }
        }
        total.pointee = Int64(entries.count)
    }
}

@_cdecl("stasis_index_lookup")
public func stasis_index_lookup(
    _ pointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?,
    _ outFound: UnsafeMutablePointer<UInt8>?, _ outVersions: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    boundary {
        let target = try index(pointer)
        let rows = try Arguments.count(n)
        let keys = try Arguments.array(ids, rows: rows, "ids")
        guard rows > 0 else { return }
        let found = try Arguments.required(outFound, "out_found")
        let versions = target.versions(of: keys)
        for (i, version) in versions.enumerated() {
            found[i] = version == nil ? 0 : 1
            outVersions?[i] = version ?? 0
        }
    }
}

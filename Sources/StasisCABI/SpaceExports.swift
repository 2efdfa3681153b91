import Glibc
import StasisCore

// Exports for the "Spaces" section of include/stasis.h.

typealias SpaceHandle = Handle<Space>

private func space(_ pointer: OpaquePointer?) throws -> Space { try SpaceHandle.object(pointer, "space") }

@_cdecl("stasis_space_create")
public func stasis_space_create(
    _ kind: UnsafePointer<CChar>?, _ classes: Int64, _ dimension: Int64, _ seed: UInt64,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try SpaceHandle.produce(into: out) {
            let parsed = try SpaceKind(parsing: try Arguments.string(kind, "kind"))
            guard classes >= 0, classes <= Int64(Int32.max), dimension >= 0, dimension <= Int64(Int32.max) else {
                throw StasisError(.invalidArgument, "classes (\(classes)) and dimension (\(dimension)) must be in 0...\(Int32.max)")
            }
            return try Space(kind: parsed, classes: Int(classes), dimension: Int(dimension), seed: seed)
        }
    }
}

@_cdecl("stasis_space_free")
public func stasis_space_free(_ pointer: OpaquePointer?) { SpaceHandle.release(pointer) }

@_cdecl("stasis_space_open")
public func stasis_space_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary {
        try SpaceHandle.produce(into: out) { try SpaceFile.open(try Arguments.string(path, "path")) }
    }
}

@_cdecl("stasis_space_save")
public func stasis_space_save(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary { try SpaceFile.save(try space(pointer), to: try Arguments.string(path, "path")) }
}

@_cdecl("stasis_space_inspect")
public func stasis_space_inspect(
    _ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    boundary {
        try produceJSON(into: out) { try SpaceFile.inspectJSON(try Arguments.string(path, "path")) }
    }
}

@_cdecl("stasis_space_kind")
public func stasis_space_kind(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    boundary {
        let handle = try SpaceHandle.from(pointer, "space")
        try Arguments.required(out, "out").pointee = handle.cString("kind", handle.object.kind.rawValue)
    }
}

@_cdecl("stasis_space_fingerprint")
public func stasis_space_fingerprint(
    _ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    boundary {
        let handle = try SpaceHandle.from(pointer, "space")
        try Arguments.required(out, "out").pointee = handle.cString("fingerprint", handle.object.fingerprint)
    }
}

@_cdecl("stasis_space_class_count")
public func stasis_space_class_count(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try SpaceHandle.read(pointer, "space", into: out) { target in Int64(target.classCount) } }
}

@_cdecl("stasis_space_dimension")
public func stasis_space_dimension(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try SpaceHandle.read(pointer, "space", into: out) { target in Int64(target.dimension) } }
}

@_cdecl("stasis_space_max_cosine")
public func stasis_space_max_cosine(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    boundary { try SpaceHandle.read(pointer, "space", into: out) { target in target.maxCosine } }
}

@_cdecl("stasis_space_vertices")
public func stasis_space_vertices(
    _ pointer: OpaquePointer?, _ capacity: Int64, _ out: UnsafeMutablePointer<Float>?
) -> Int32 {
    boundary {
        let target = try space(pointer)
        let needed = target.classCount * target.dimension
        guard capacity == Int64(needed) else {
            throw StasisError(.invalidArgument,
                "vertex buffer holds \(capacity) floats; the space needs exactly \(target.classCount) x \(target.dimension) = \(needed)")
        }
        try Arguments.required(out, "out").update(from: target.vertices, count: needed)
    }
}

@_cdecl("stasis_space_label_count")
public func stasis_space_label_count(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try SpaceHandle.read(pointer, "space", into: out) { target in Int64(target.labelCount) } }
}

/// Reads n labels given as int64 values or as C strings.
private func labels(_ ids: UnsafePointer<Int64>?, count n: Int64) throws -> [ClassLabel] {
    try Arguments.array(ids, rows: try Arguments.count(n), "labels").map(ClassLabel.id)
}

private func labels(_ names: UnsafePointer<UnsafePointer<CChar>?>?, count n: Int64) throws -> [ClassLabel] {
    let count = try Arguments.count(n)
    let pointers = try Arguments.array(names, rows: count, "labels")
    return try pointers.enumerated().map { index, pointer in
        .name(String(cString: try Arguments.required(pointer, "labels[\(index)]")))
    }
}

private func writeVertices(_ vertices: [Int?], to out: UnsafeMutablePointer<Int64>?) throws {
    guard !vertices.isEmpty else { return }
    let out = try Arguments.required(out, "out_vertices")
    for (i, vertex) in vertices.enumerated() { out[i] = Int64(vertex ?? -1) }
}

/// Shared body of the assign/lookup exports. The output buffer is checked before assigning, so
/// a failed call never changes the registry.
private func resolveLabels(
    _ pointer: OpaquePointer?, assign: Bool, out: UnsafeMutablePointer<Int64>?, _ read: () throws -> [ClassLabel]
) throws {
    let target = try space(pointer)
    let batch = try read()
    if !batch.isEmpty { _ = try Arguments.required(out, "out_vertices") }
    try writeVertices(assign ? try target.assign(batch) : target.lookup(batch), to: out)
}

@_cdecl("stasis_space_assign_ids")
public func stasis_space_assign_ids(
    _ pointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?, _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary { try resolveLabels(pointer, assign: true, out: out) { try labels(ids, count: n) } }
}

@_cdecl("stasis_space_assign_names")
public func stasis_space_assign_names(
    _ pointer: OpaquePointer?, _ n: Int64, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
    _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary { try resolveLabels(pointer, assign: true, out: out) { try labels(names, count: n) } }
}

@_cdecl("stasis_space_lookup_ids")
public func stasis_space_lookup_ids(
    _ pointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?, _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary { try resolveLabels(pointer, assign: false, out: out) { try labels(ids, count: n) } }
}

@_cdecl("stasis_space_lookup_names")
public func stasis_space_lookup_names(
    _ pointer: OpaquePointer?, _ n: Int64, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
    _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary { try resolveLabels(pointer, assign: false, out: out) { try labels(names, count: n) } }
}

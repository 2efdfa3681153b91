import Glibc
import StasisCore

/// Boxes a Swift object behind an opaque C handle (`stasis_space*`, `stasis_encoder*`...).
/// The handle owns one retain; `release` balances it in the matching `*_free` function.
final class Handle<Object: AnyObject> {
    let object: Object
    /// C strings handed out by reference (fingerprints, kinds), valid until the handle is freed.
    private var strings: [String: UnsafeMutablePointer<CChar>] = [:]
    private let stringLock = ReadWriteLock()

    init(_ object: Object) { self.object = object }

    deinit { for pointer in strings.values { free(pointer) } }

    func retainedPointer() -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(self).toOpaque()) }

    /// The handle behind `pointer`, checked to be of this kind: passing an index where an
    /// encoder is expected (easy from a dynamic language) is an error, not a crash.
    static func from(_ pointer: OpaquePointer?, _ name: String) throws -> Handle<Object> {
        let pointer = try Arguments.required(pointer, name)
        let object = Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
        guard let handle = object as? Handle<Object> else {
            throw StasisError(.invalidArgument, "\(name) is not a stasis_\(name) handle")
        }
        return handle
    }

    static func object(_ pointer: OpaquePointer?, _ name: String) throws -> Object { try from(pointer, name).object }

    static func release(_ pointer: OpaquePointer?) {
        guard let pointer else { return }
        Unmanaged<Handle<Object>>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }

    /// A stable C copy of `value`, cached under `key` for the handle's lifetime.
    func cString(_ key: String, _ value: @autoclosure () -> String) -> UnsafePointer<CChar> {
        if let existing = stringLock.reading({ strings[key] }) { return UnsafePointer(existing) }
        return stringLock.writing {
            if let existing = strings[key] { return UnsafePointer(existing) }
            let created = strdup(value())!
            strings[key] = created
            return UnsafePointer(created)
        }
    }
}

extension Handle {
    /// Shared body of the getters: checks the handle and the output pointer, writes one value.
    static func read<Value>(
        _ pointer: OpaquePointer?, _ name: String, into out: UnsafeMutablePointer<Value>?, _ value: (Object) -> Value
    ) throws {
        let object = try self.object(pointer, name)
        try Arguments.required(out, "out").pointee = value(object)
    }

    /// Stores a new handle to `make()`'s result in `out`, which is NULL whenever the call fails.
    static func produce(into out: UnsafeMutablePointer<OpaquePointer?>?, _ make: () throws -> Object) throws {
        let out = try Arguments.required(out, "out")
        out.pointee = nil
        out.pointee = Handle(try make()).retainedPointer()
    }
}

/// Stores a library-allocated copy of the JSON text `make()` returns in `out` (released with
/// stasis_string_free); `out` is NULL whenever the call fails.
func produceJSON(into out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ make: () throws -> [UInt8]) throws {
    let out = try Arguments.required(out, "out_json")
    out.pointee = nil
    out.pointee = strdup(String(decoding: try make(), as: UTF8.self))
}

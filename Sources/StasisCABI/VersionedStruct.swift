import StasisCore

/// A caller's options struct that starts with `size_t struct_size` (the header's versioned structs):
/// the caller's header may be older (fewer fields: the missing ones take their defaults) or newer
/// (more fields: accepted only while they are left zero, since this library cannot honour them).
struct VersionedStruct {
    private let raw: UnsafeRawPointer
    /// The caller's sizeof, as written in struct_size.
    let size: Int

    /// Validates `struct_size` against this library's `knownSize`.
    /// - Parameters:
    ///   - name: the C type, e.g. "stasis_search_options", for messages.
    ///   - initializer: the macro that sets struct_size, e.g. "STASIS_SEARCH_OPTIONS_INIT".
    /// - Throws: `.invalidArgument` for a struct_size below 8 or above 4096 (not a struct of this
    ///   family), `.unsupported` naming the first non-zero byte beyond `knownSize`.
    init(_ raw: UnsafeRawPointer, name: String, initializer: String, knownSize: Int) throws {
        let size = raw.loadUnaligned(as: Int.self)
        guard size >= 8, size <= 4096 else {
            throw StasisError(.invalidArgument,
                "\(name).struct_size is \(size); set it to sizeof(\(name)) (\(initializer))")
        }
        if size > knownSize {
            for offset in knownSize..<size where raw.load(fromByteOffset: offset, as: UInt8.self) != 0 {
                throw StasisError(.unsupported,
                    "\(name) sets a field at byte \(offset) that this library (\(LibraryVersion.string)) does not know")
            }
        }
        self.raw = raw
        self.size = size
    }

    /// The field at `offset`, or nil when the caller's struct ends before it.
    func field<T>(_ offset: Int, _ type: T.Type) -> T? {
        offset + MemoryLayout<T>.size <= size ? raw.loadUnaligned(fromByteOffset: offset, as: T.self) : nil
    }

    /// The field at `offset`, or `value` when the caller's struct ends before it.
    func field<T>(_ offset: Int, _ type: T.Type, default value: T) -> T {
        field(offset, type) ?? value
    }
}

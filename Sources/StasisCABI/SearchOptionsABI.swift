import StasisCore

/// Reads a caller's `stasis_search_options` by byte offset, honouring `struct_size` so callers
/// compiled against an older header (smaller struct) keep working when fields are added.
///
///     offset 0   size_t   struct_size
///     offset 8   int32_t  ef_search
///     offset 12  int32_t  nprobe
///     offset 16  int32_t  filter_version
///     offset 20  uint32_t version
enum SearchOptionsABI {
    static let knownSize = 24

    static func read(_ raw: UnsafeRawPointer?) throws -> SearchOptions {
        guard let raw else { return SearchOptions() }
        let size = raw.loadUnaligned(as: Int.self)
        guard size >= 8 else {
            throw StasisError(.invalidArgument,
                "stasis_search_options.struct_size is \(size); set it to sizeof(stasis_search_options) (STASIS_SEARCH_OPTIONS_INIT)")
        }
        guard size <= 4096 else {
            throw StasisError(.invalidArgument, "stasis_search_options.struct_size \(size) is implausible")
        }
        if size > knownSize {
            // A newer header: its extra fields must be left at their defaults (zero).
            for offset in knownSize..<size where raw.load(fromByteOffset: offset, as: UInt8.self) != 0 {
                throw StasisError(.unsupported,
                    "stasis_search_options sets a field at byte \(offset) that this library (\(LibraryVersion.string)) does not know")
            }
        }
        func field<T>(_ offset: Int, _ type: T.Type, default value: T) -> T {
            offset + MemoryLayout<T>.size <= size ? raw.loadUnaligned(fromByteOffset: offset, as: T.self) : value
        }
        let efSearch = field(8, Int32.self, default: 0)
        let nprobe = field(12, Int32.self, default: 0)
        let filter = field(16, Int32.self, default: 0)
        let version = field(20, UInt32.self, default: 0)
        guard efSearch >= 0 else { throw StasisError(.invalidArgument, "ef_search must be >= 0 (0 = default), got \(efSearch)") }
        guard nprobe >= 0 else { throw StasisError(.invalidArgument, "nprobe must be >= 0 (0 = default), got \(nprobe)") }
        return SearchOptions(efSearch: Int(efSearch), nprobe: Int(nprobe), version: filter != 0 ? version : nil)
    }
}

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
        let layout = try VersionedStruct(raw, name: "stasis_search_options", initializer: "STASIS_SEARCH_OPTIONS_INIT", knownSize: knownSize)
        let efSearch = layout.field(8, Int32.self, default: 0)
        let nprobe = layout.field(12, Int32.self, default: 0)
        let filter = layout.field(16, Int32.self, default: 0)
        let version = layout.field(20, UInt32.self, default: 0)
        guard efSearch >= 0 else { throw StasisError(.invalidArgument, "ef_search must be >= 0 (0 = default), got \(efSearch)") }
        guard nprobe >= 0 else { throw StasisError(.invalidArgument, "nprobe must be >= 0 (0 = default), got \(nprobe)") }
        return SearchOptions(efSearch: Int(efSearch), nprobe: Int(nprobe), version: filter != 0 ? version : nil)
    }
}

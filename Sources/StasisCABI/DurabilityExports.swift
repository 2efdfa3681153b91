import StasisCore

// Exports for the "Durability: write-ahead log and compaction" section of include/stasis.h.

/// Reads a caller's `stasis_wal_options` by byte offset (see `VersionedStruct`).
///
///     offset 0   size_t   struct_size
///     offset 8   int32_t  sync_mode (STASIS_WAL_SYNC_EVERY_CALL 0, _INTERVAL 1, _OFF 2)
///     offset 12  int32_t  interval_ms
enum WALOptionsABI {
    static let knownSize = 16

    static func read(_ raw: UnsafeRawPointer?) throws -> WALSyncMode {
        guard let raw else { return .everyCall }
        let layout = try VersionedStruct(raw, name: "stasis_wal_options", initializer: "STASIS_WAL_OPTIONS_INIT", knownSize: knownSize)
        let mode = layout.field(8, Int32.self, default: 0)
        let interval = layout.field(12, Int32.self, default: 0)
        switch mode {
        case 0: return .everyCall
        case 1:
            guard interval > 0 else {
                throw StasisError(.invalidArgument, "interval_ms must be > 0 with STASIS_WAL_SYNC_INTERVAL, got \(interval)")
            }
            return .interval(milliseconds: Int(interval))
        case 2: return .off
        default:
            throw StasisError(.invalidArgument, "sync_mode must be STASIS_WAL_SYNC_EVERY_CALL, _INTERVAL or _OFF, got \(mode)")
        }
    }
}

private func index(_ pointer: OpaquePointer?) throws -> VersionedIndex { try IndexHandle.object(pointer, "index") }

@_cdecl("stasis_index_enable_wal")
public func stasis_index_enable_wal(
    _ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ options: UnsafeRawPointer?
) -> Int32 {
    boundary {
        let target = try index(pointer)
        let path = try Arguments.string(path, "wal_path")
        try target.enableWAL(path: path, syncMode: try WALOptionsABI.read(options))
    }
}

@_cdecl("stasis_index_disable_wal")
public func stasis_index_disable_wal(_ pointer: OpaquePointer?) -> Int32 {
    boundary { try index(pointer).disableWAL() }
}

@_cdecl("stasis_index_checkpoint")
public func stasis_index_checkpoint(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary { try index(pointer).checkpoint(to: try Arguments.string(path, "path")) }
}

@_cdecl("stasis_index_wal_sequence")
public func stasis_index_wal_sequence(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UInt64>?) -> Int32 {
    boundary { try IndexHandle.read(pointer, "index", into: out) { $0.lastWALSequence } }
}

@_cdecl("stasis_index_compact")
public func stasis_index_compact(
    _ pointer: OpaquePointer?, _ slotsReclaimed: UnsafeMutablePointer<Int64>?, _ bytesReclaimed: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary {
        slotsReclaimed?.pointee = 0
        bytesReclaimed?.pointee = 0
        let report = try index(pointer).compact()
        slotsReclaimed?.pointee = Int64(report.slotsReclaimed)
        bytesReclaimed?.pointee = Int64(report.bytesReclaimed)
    }
}

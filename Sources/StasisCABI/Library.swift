import Glibc
import StasisCore

// Exports for the "Library" section of include/stasis.h: versions, status text, errors, threads.

/// C strings that live as long as the process (returned by version and status functions).
private func immortal(_ text: String) -> UnsafePointer<CChar> { UnsafePointer(strdup(text)!) }

nonisolated(unsafe) private let versionText = immortal(LibraryVersion.string)

nonisolated(unsafe) private let statusTexts: [UnsafePointer<CChar>] = [
    "ok",
    "invalid argument",
    "dimension mismatch",
    "incompatible space or model version",
    "not found",
    "index not trained",
    "I/O error",
    "corrupt or truncated file",
    "unsupported file format version",
    "out of memory",
    "internal error",
    "unsupported operation",
    "cancelled",
].map(immortal)

nonisolated(unsafe) private let unknownStatusText = immortal("unknown status code")

@_cdecl("stasis_version")
public func stasis_version() -> UnsafePointer<CChar> { versionText }

@_cdecl("stasis_version_number")
public func stasis_version_number() -> Int32 { Int32(LibraryVersion.number) }

@_cdecl("stasis_abi_version")
public func stasis_abi_version() -> Int32 { Int32(LibraryVersion.abi) }

@_cdecl("stasis_status_string")
public func stasis_status_string(_ status: Int32) -> UnsafePointer<CChar> {
    guard status >= 0, Int(status) < statusTexts.count else { return unknownStatusText }
    return statusTexts[Int(status)]
}

@_cdecl("stasis_last_error")
public func stasis_last_error() -> UnsafePointer<CChar> { lastErrorPointer() }

@_cdecl("stasis_set_num_threads")
public func stasis_set_num_threads(_ threads: Int32) -> Int32 {
    boundary { try ThreadSettings.set(Int(threads)) }
}

@_cdecl("stasis_get_num_threads")
public func stasis_get_num_threads() -> Int32 { Int32(ThreadSettings.count) }

@_cdecl("stasis_string_free")
public func stasis_string_free(_ string: UnsafeMutablePointer<CChar>?) { free(string) }

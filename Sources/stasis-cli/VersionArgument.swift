import StasisCore

/// A model version from the command line: parsed as Int64 so that a negative or too large value
/// gets this message rather than the argument parser's, then checked against the C type (uint32).
func modelVersion(_ value: Int64, _ name: String) throws -> UInt32 {
    guard let version = UInt32(exactly: value) else {
        throw StasisError(.invalidArgument, "\(name) must be in 0...\(UInt32.max), got \(value)")
    }
    return version
}

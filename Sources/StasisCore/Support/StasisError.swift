/// The single error type thrown by StasisCore. Its `code` values are the `stasis_status` codes of
/// `include/stasis.h`, so the C layer maps errors without a translation table.
public struct StasisError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What went wrong, as a stable category callers can branch on.
    public enum Code: Int32, Sendable, CaseIterable {
        /// A NULL pointer, a negative count, k <= 0, NaN/Inf, a zero vector, a bad option value.
        case invalidArgument = 1
        /// Vectors whose dimension differs from the index's.
        case dimensionMismatch = 2
        /// Data from another space or model version that cannot be mixed with this one.
        case incompatible = 3
        /// An id (or other key) that is not present.
        case notFound = 4
        /// The index type needs training before vectors can be added or searched.
        case notTrained = 5
        /// The operating system refused a file operation.
        case io = 6
        /// A file that is not a Stasis file, is truncated, or fails its checksum.
        case corruptFile = 7
        /// A file written by a newer Stasis whose format this library cannot read.
        case unsupportedFormat = 8
        /// An allocation failed.
        case outOfMemory = 9
        /// A bug in Stasis or Faiss; the message says where.
        case internalError = 10
        /// The operation is valid but not available for this index type or configuration.
        case unsupported = 11
        /// A long operation stopped because its progress callback asked it to; nothing changed.
        case cancelled = 12
    }

    public let code: Code
    /// Human-readable, names the offending value.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func invalid(_ message: String) -> StasisError { StasisError(.invalidArgument, message) }
}

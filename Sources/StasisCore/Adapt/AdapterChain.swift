/// Adapters applied one after another, e.g. v3 → v2 → v1 to bring a v3 query into the space of a
/// gallery still on v1. Built only from links that meet: each adapter's target version and
/// dimension (and space, when both record one) must be the next one's source.
public struct AdapterChain: Sendable {
    /// The links, in the order they are applied (never empty).
    public let adapters: [Adapter]

    /// - Throws: `.invalidArgument` for an empty list; `.incompatible` for a gap in versions or
    ///   spaces between consecutive adapters; `.dimensionMismatch` when consecutive dimensions differ.
    public init(_ adapters: [Adapter]) throws {
        guard let first = adapters.first else { throw StasisError.invalid("an adapter chain needs at least one adapter") }
        var previous = first
        for (position, next) in adapters.enumerated().dropFirst() {
            guard previous.targetVersion == next.sourceVersion else {
                throw StasisError(.incompatible,
                    "adapter chain has a gap at position \(position): adapter \(position - 1) produces version \(previous.targetVersion), "
                    + "adapter \(position) reads version \(next.sourceVersion)")
            }
            guard previous.targetDimension == next.sourceDimension else {
                throw StasisError(.dimensionMismatch,
                    "adapter chain breaks at position \(position): adapter \(position - 1) produces \(previous.targetDimension) dimensions, "
                    + "adapter \(position) reads \(next.sourceDimension)")
            }
            if let produced = previous.targetSpace, let expected = next.sourceSpace, produced != expected {
                throw StasisError(.incompatible,
                    "adapter chain breaks at position \(position): space \(produced) is followed by an adapter reading space \(expected)")
            }
            previous = next
        }
        self.adapters = adapters
    }

    /// Version read by the first adapter.
    public var sourceVersion: UInt32 { adapters[0].sourceVersion }
    /// Version produced by the last adapter.
    public var targetVersion: UInt32 { adapters[adapters.count - 1].targetVersion }
    /// Width read by the first adapter.
    public var sourceDimension: Int { adapters[0].sourceDimension }
    /// Width produced by the last adapter.
    public var targetDimension: Int { adapters[adapters.count - 1].targetDimension }

    /// Applies every adapter in order; rows come out L2-normalised. Errors as `Adapter.apply`.
    public func apply(_ values: [Float], count: Int) throws -> [Float] {
        var current = values
        for adapter in adapters { current = try adapter.apply(current, count: count) }
        return current
    }
}

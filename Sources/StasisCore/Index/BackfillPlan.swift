import FoundationEssentials

/// Which items of an old version to re-encode first.
public enum BackfillPolicy: String, Codable, Sendable, CaseIterable {
    /// A seeded shuffle (the baseline every other policy must beat).
    case random
    /// Largest predicted adapter error first: a ridge regression from the old vector to the
    /// forward adapter's residual norm ‖F(x) − y‖, fitted on the paired sample (FastFill-style).
    case predictedError = "predicted-error"
    /// Farthest from their neighbourhood after the transform first: 1 − mean cosine of F(x) to
    /// its k nearest transformed neighbours.
    case neighbourhood
    /// Hubs first: in-degree of F(x) in the k-nearest-neighbour graph of the mapped items, ties
    /// by density (the items most often near others are re-encoded first).
    case hubs
    /// An order the caller computed (its own policy), checked to cover the old version's ids.
    case custom
}

/// A backfill order over the ids that were on `fromVersion` when planned, with a resumable
/// cursor. The caller re-encodes a batch with the new model and upserts it; `nextBatch` then
/// skips what is done, so taking the same batch again after a crash is harmless.
/// A value type: save it to resume later.
public struct BackfillPlan: Codable, Sendable, Equatable {
    /// Version the items are moving away from.
    public let fromVersion: UInt32
    /// Version they are re-encoded into.
    public let toVersion: UInt32
    /// Policy that produced the order.
    public let policy: BackfillPolicy
    /// Ids in priority order (most urgent first).
    public let order: [Int64]
    /// Priority of each id in `order` (policy-specific, descending; random: nil).
    public let priorities: [Double]?
    /// Position before which every id is done.
    public private(set) var cursor: Int

    /// Done / remaining of a plan in a gallery.
    public struct Progress: Sendable, Equatable {
        /// Planned ids no longer on `fromVersion` (upserted to another version or removed).
        public let done: Int
        /// Planned ids still on `fromVersion`.
        public let remaining: Int
        /// All planned ids.
        public var total: Int { done + remaining }
    }

    init(fromVersion: UInt32, toVersion: UInt32, policy: BackfillPolicy, order: [Int64], priorities: [Double]?) {
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.policy = policy
        self.order = order
        self.priorities = priorities
        self.cursor = 0
    }

    /// Up to `size` ids, in order, that are still on `fromVersion` in `gallery`; moves the
    /// cursor past the done prefix. Empty when the backfill is complete.
    /// - Throws: `.invalidArgument` for size <= 0.
    public mutating func nextBatch(size: Int, in gallery: MixedGallery) throws -> [Int64] {
        guard size > 0 else { throw StasisError.invalid("batch size must be > 0, got \(size)") }
        var batch: [Int64] = []
        var position = cursor
        var prefixDone = true
        while position < order.count, batch.count < size {
            let chunk = Array(order[position..<min(order.count, position + max(size, 256))])
            for (offset, version) in gallery.versions(of: chunk).enumerated() {
                if version == fromVersion {
                    prefixDone = false
                    if batch.count < size { batch.append(chunk[offset]) }
                } else if prefixDone {
                    cursor = position + offset + 1
                }
            }
            position += chunk.count
        }
        return batch
    }

    /// How many planned ids are done and how many remain in `gallery`.
    public func progress(in gallery: MixedGallery) -> Progress {
        let remaining = gallery.versions(of: order).filter { $0 == fromVersion }.count
        return Progress(done: order.count - remaining, remaining: remaining)
    }

    /// Writes the plan (JSON) atomically.
    public func save(to path: String) throws {
        let bytes: [UInt8]
        do { bytes = Array(try JSONEncoder().encode(self)) } catch {
            throw StasisError(.internalError, "cannot encode the backfill plan: \(error)")
        }
        let writer = try AtomicFileWriter(path: path)
        try writer.write(array: bytes)
        try writer.commit()
    }

    /// Reads a plan written by `save(to:)`.
    /// - Throws: `.io`; `.corruptFile` when it is not a plan or its cursor/priorities do not fit.
    public static func open(_ path: String) throws -> BackfillPlan {
        let bytes = try readFile(path, limit: 1 << 32)
        let plan: BackfillPlan
        do { plan = try JSONDecoder().decode(BackfillPlan.self, from: Data(bytes)) } catch {
            throw StasisError(.corruptFile, "'\(path)' is not a backfill plan: \(error)")
        }
        guard (0...plan.order.count).contains(plan.cursor), plan.priorities.map({ $0.count == plan.order.count }) ?? true,
              Set(plan.order).count == plan.order.count else {
            throw StasisError(.corruptFile, "'\(path)': backfill plan has an inconsistent cursor, priorities or repeated ids")
        }
        return plan
    }
}

/// What a compaction reclaimed.
public struct CompactionReport: Sendable, Equatable {
    /// Dead slots (removed or replaced vectors) dropped.
    public var slotsReclaimed: Int
    /// Bytes by which the Faiss payload (and so the saved file) shrank.
    public var bytesReclaimed: Int
    /// Live vectors, unchanged by compaction.
    public var liveCount: Int
}

/// Compaction: removed and replaced vectors keep their slots (Faiss's HNSW cannot delete) until
/// the index is rebuilt from its live vectors.
extension VersionedIndex {
    /// Whether a rebuild keeps every stored vector exactly: always. Flat and HNSW over flat
    /// storage read the vectors back; IVF of any codes copies the codes; HNSW over SQ codes
    /// decodes its vectors and re-encodes them with the same trained quantizer ranges, which
    /// gives back the same codes (a decoded value is the centre of its code's cell).
    public var canCompact: Bool { true }

    private var isHNSWOverSQ: Bool { factory.hasPrefix("HNSW") && factory.contains(",SQ") }

    /// Rebuilds the Faiss index from the live vectors, in slot order, dropping dead slots; ids,
    /// versions and search defaults are kept, as are search results for Flat and IVF (HNSW
    /// rebuilds its graph, which may reorder near-ties). The new structure is built under the shared lock, so
    /// searches continue; it is swapped in under the exclusive lock. A mutation that lands during
    /// the build makes it start over (after two tries, the rebuild holds the exclusive lock).
    /// Not logged: it changes no id or version, so a write-ahead log stays valid.
    /// - Throws: `.outOfMemory`.
    public func compact() throws -> CompactionReport {
        try compactionLock.writing {
            for _ in 0..<2 {
                let (marker, built) = try lock.reading { ((slots.slotCount, slots.liveCount), try rebuild()) }
                let report: CompactionReport? = lock.writing {
                    guard marker == (slots.slotCount, slots.liveCount) else { return nil }
                    return install(built)
                }
                if let report { return report }
            }
            return try lock.writing { install(try rebuild()) }
        }
    }

    private struct Rebuilt {
        var faiss: FaissIndex
        var slots: SlotTable
        var bytesBefore: Int
        var bytesAfter: Int
    }

    /// Builds the compacted structure; the caller holds the lock (shared or exclusive).
    private func rebuild() throws -> Rebuilt {
        let live = (0..<slots.slotCount).filter { slots.alive[$0] == 1 }
        let fresh: FaissIndex
        if faiss.kind == .ivf {
            var newSlot = [Int64](repeating: -1, count: slots.slotCount)
            for (position, slot) in live.enumerated() { newSlot[slot] = Int64(position) }
            fresh = try faiss.ivfCompacted(newSlot: newSlot, kept: live.count)
        } else {
            let vectors = try faiss.reconstruct(live.map { Int64($0) }, dimension: dimension)
            // HNSW over SQ: an empty copy keeping the trained quantizer, so the decoded vectors
            // re-encode to the codes they came from; the graph is built anew over them.
            fresh = isHNSWOverSQ ? try faiss.hnswSQEmptyCopy() : try FaissIndex(dimension: dimension, factory: factory)
            if !live.isEmpty {
                try fresh.add(UnitRows(alreadyUnit: vectors, count: live.count, dimension: dimension))
            }
        }
        let table = try SlotTable(
            ids: live.map { slots.ids[$0] }, versions: live.map { slots.versions[$0] },
            alive: [UInt8](repeating: 1, count: live.count))
        return Rebuilt(
            faiss: fresh, slots: table, bytesBefore: try faiss.serializedSize(), bytesAfter: try fresh.serializedSize())
    }

    /// Swaps the rebuilt structure in; the caller holds the exclusive lock.
    private func install(_ built: Rebuilt) -> CompactionReport {
        let reclaimed = slots.slotCount - built.slots.slotCount
        faiss = built.faiss
        slots = built.slots
        // The id, version and flag columns of the file shrink too: 13 bytes per slot.
        return CompactionReport(
            slotsReclaimed: reclaimed, bytesReclaimed: built.bytesBefore - built.bytesAfter + reclaimed * 13,
            liveCount: slots.liveCount)
    }
}

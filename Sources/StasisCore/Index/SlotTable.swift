/// Bookkeeping that maps Faiss's internal labels ("slots", assigned in insertion order) to the
/// caller's ids and model versions.
///
/// Faiss's HNSW cannot delete, so removal and upsert mark a slot dead and searches filter dead
/// slots out; the same mechanism serves every index type and version-restricted search.
struct SlotTable {
    private(set) var ids: [Int64] = []
    private(set) var versions: [UInt32] = []
    /// 1 = live, 0 = removed or replaced. Bytes, not bits, so the C++ filter reads it directly.
    private(set) var alive: [UInt8] = []
    private(set) var slotOfID: [Int64: Int] = [:]
    private(set) var countByVersion: [UInt32: Int] = [:]

    var slotCount: Int { ids.count }
    var liveCount: Int { slotOfID.count }
    var hasDeadSlots: Bool { liveCount != slotCount }

    init() {}

    /// Rebuilds the table from saved columns; the caller has checked the column lengths agree.
    init(ids: [Int64], versions: [UInt32], alive: [UInt8]) throws {
        self.ids = ids
        self.versions = versions
        self.alive = alive
        // One allocation instead of a rehash at every doubling (1M ids: 2 % of an open).
        slotOfID.reserveCapacity(ids.count)
        for slot in 0..<ids.count where alive[slot] != 0 {
            guard alive[slot] == 1, ids[slot] >= 0 else {
                throw StasisError(.corruptFile, "index file has an invalid slot \(slot) (id \(ids[slot]), flag \(alive[slot]))")
            }
            guard slotOfID.updateValue(slot, forKey: ids[slot]) == nil else {
                throw StasisError(.corruptFile, "index file lists id \(ids[slot]) as live twice")
            }
            countByVersion[versions[slot], default: 0] += 1
        }
    }

    func version(of id: Int64) -> UInt32? { slotOfID[id].map { versions[$0] } }

    /// Appends live slots for `newIDs`, retiring any slot that held the same id before.
    /// The ids must be distinct (VersionedIndex checks them). Columns grow in bulk; only the id
    /// map is touched per row.
    mutating func append(_ newIDs: [Int64], version: UInt32) {
        let first = ids.count
        ids.append(contentsOf: newIDs)
        versions.append(contentsOf: repeatElement(version, count: newIDs.count))
        alive.append(contentsOf: repeatElement(1, count: newIDs.count))
        countByVersion[version, default: 0] += newIDs.count
        slotOfID.reserveCapacity(slotOfID.count + newIDs.count)
        for (offset, id) in newIDs.enumerated() {
            if let old = slotOfID.updateValue(first + offset, forKey: id) { retire(old) }
        }
    }

    /// Records slots Faiss created although the add failed, so labels keep matching slots.
    mutating func appendDead(_ count: Int) {
        ids.append(contentsOf: repeatElement(-1, count: count))
        versions.append(contentsOf: repeatElement(0, count: count))
        alive.append(contentsOf: repeatElement(0, count: count))
    }

    mutating func remove(_ id: Int64) {
        if let slot = slotOfID.removeValue(forKey: id) { retire(slot) }
    }

    private mutating func retire(_ slot: Int) {
        alive[slot] = 0
        let version = versions[slot]
        let remaining = countByVersion[version, default: 1] - 1
        countByVersion[version] = remaining > 0 ? remaining : nil
    }
}

/// A gallery whose items carry different model versions, possibly of different dimensions.
///
/// Every registered version belongs to a *space* (a name): versions sharing a stationary space
/// are stored in one `VersionedIndex` (a "part") and searched together directly; versions in
/// different spaces are bridged by adapters or chains. A query from any registered version is
/// mapped into each part's space along the shortest adapter path, each part is searched, the
/// scores are calibrated per (query version, part) (see `ScoreCalibration`) and merged into one
/// ranked list. One id lives in exactly one part: an upsert with another version's vector moves it.
///
/// Thread safety: any number of concurrent searches and reads; mutations (register, adapters,
/// upsert, remove, calibrate) take an exclusive lock. Every method either succeeds or throws
/// leaving the gallery unchanged.
public final class MixedGallery: @unchecked Sendable {
    /// One registered model version.
    public struct Version: Codable, Sendable, Equatable {
        /// Model version number.
        public let version: UInt32
        /// Width of its vectors.
        public let dimension: Int
        /// Name of the stationary space it lives in (versions sharing it are searched directly).
        public let space: String
    }

    /// Faiss factory of every part ("Flat", "HNSW32", ...; trained kinds are not supported).
    public let factory: String

    let lock = ReadWriteLock()
    var registered: [UInt32: Version] = [:]
    var parts: [String: VersionedIndex] = [:]
    /// Bridges in insertion order: each maps space(first source) to space(last target).
    var bridges: [[Adapter]] = []
    var calibration: [RouteKey: ScoreCalibration] = [:]
    /// The attached write-ahead log (MixedGallery+WAL.swift), nil when none.
    var wal: WriteAheadLog?
    /// Sequence number of the last logged mutation the gallery holds (saved in the manifest).
    var walSequence: UInt64 = 0

    struct RouteKey: Hashable { let version: UInt32; let space: String }

    /// Creates an empty gallery whose parts are built with `factory` (default exact "Flat").
    /// - Throws: `.invalidArgument` for a factory outside the grammar; `.unsupported` for a
    ///   factory that needs training (IVF, PQ), because parts are created on demand.
    public init(factory: String = "Flat") throws {
        let probe = try VersionedIndex(dimension: 8, factory: factory)
        guard probe.isTrained else {
            throw StasisError(.unsupported, "factory '\(factory)' needs training; a mixed gallery uses untrained kinds (Flat, HNSW)")
        }
        self.factory = probe.factory
    }

    // MARK: Versions and bridges

    /// Registers `version` with its vector width in `space` (default: a space of its own, "v<version>").
    /// Registering the same triple again is a no-op.
    /// - Throws: `.invalidArgument` for a bad dimension or an empty space name, or a version
    ///   already registered differently; `.dimensionMismatch` when `space` holds another width.
    public func register(version: UInt32, dimension: Int, space: String? = nil) throws {
        guard (1...VersionedIndex.maxDimension).contains(dimension) else {
            throw StasisError.invalid("dimension must be in 1...\(VersionedIndex.maxDimension), got \(dimension)")
        }
        let name = space ?? "v\(version)"
        guard !name.isEmpty, name.utf8.count <= 256 else { throw StasisError.invalid("space name must be 1...256 bytes") }
        let entry = Version(version: version, dimension: dimension, space: name)
        try lock.writing {
            if let existing = registered[version] {
                guard existing == entry else {
                    throw StasisError.invalid(
                        "version \(version) is already registered (dimension \(existing.dimension), space '\(existing.space)')")
                }
                return
            }
            if let part = parts[name], part.dimension != dimension {
                throw StasisError(.dimensionMismatch,
                    "space '\(name)' holds \(part.dimension)-dimensional vectors; version \(version) has \(dimension)")
            }
            let part = try parts[name] ?? VersionedIndex(dimension: dimension, factory: factory)
            parts[name] = part
            registered[version] = entry
        }
    }

    /// Adds one adapter as a bridge from its source version's space to its target's.
    /// - Throws: as `add(chain:)`.
    public func add(adapter: Adapter) throws { try add(chain: AdapterChain([adapter])) }

    /// Adds a chain (already checked for gaps when built) as one bridge from the space of its
    /// first source version to the space of its last target version. Intermediate versions need
    /// not be registered.
    /// - Throws: `.notFound` when the source or target version is not registered;
    ///   `.dimensionMismatch` when the chain's widths differ from the registered ones;
    ///   `.invalidArgument` when both ends lie in one space (they are searched directly).
    public func add(chain: AdapterChain) throws {
        try lock.writing {
            let source = try entry(chain.sourceVersion, role: "source")
            let target = try entry(chain.targetVersion, role: "target")
            guard chain.sourceDimension == source.dimension, chain.targetDimension == target.dimension else {
                throw StasisError(.dimensionMismatch,
                    "bridge \(chain.sourceVersion)->\(chain.targetVersion) maps \(chain.sourceDimension) -> \(chain.targetDimension) "
                    + "dimensions; the gallery registers \(source.dimension) -> \(target.dimension)")
            }
            guard source.space != target.space else {
                throw StasisError.invalid(
                    "versions \(source.version) and \(target.version) share space '\(source.space)'; they are searched directly, without an adapter")
            }
            bridges.removeAll { $0.first?.sourceVersion == chain.sourceVersion && $0.last?.targetVersion == chain.targetVersion }
            bridges.append(chain.adapters)
        }
    }

    /// Registered versions, ascending.
    public var versions: [Version] { lock.reading { registered.values.sorted { $0.version < $1.version } } }

    /// Number of bridges (adapters or chains).
    public var bridgeCount: Int { lock.reading { bridges.count } }

    /// The bridges in the order they were added, each the adapters of one chain (one adapter for
    /// a single-adapter bridge).
    public var bridgeChains: [[Adapter]] { lock.reading { bridges } }

    // MARK: Items

    /// Live items in all parts.
    public var count: Int { lock.reading { parts.values.reduce(0) { $0 + $1.count } } }

    /// Live items per version (versions with none are absent).
    public var countsByVersion: [UInt32: Int] {
        lock.reading {
            var total: [UInt32: Int] = [:]
            for part in parts.values { total.merge(part.countsByVersion, uniquingKeysWith: +) }
            return total
        }
    }

    /// The version of each id, nil where the id is not in the gallery.
    public func versions(of ids: [Int64]) -> [UInt32?] { lock.reading { lookup(ids) } }

    /// Ids stamped with `version`, ascending.
    public func ids(version: UInt32) -> [Int64] {
        lock.reading {
            guard let entry = registered[version], let part = parts[entry.space] else { return [] }
            return part.liveIDs(version: version)
        }
    }

    /// Adds or replaces items with `version` vectors. An id stored under another version (in any
    /// part) is moved: after the call it lives only in this version's part. All or nothing.
    /// - Throws: `.notFound` for an unregistered version; `.dimensionMismatch`; `.invalidArgument`
    ///   for NaN/Inf or zero rows, negative or repeated ids.
    /// With a write-ahead log attached, the change is logged before the call returns.
    public func upsert(_ vectors: [Float], dimension: Int, ids: [Int64], version: UInt32) throws {
        try lock.writing {
            let entry = try entry(version, role: "item")
            guard dimension == entry.dimension else {
                throw StasisError(.dimensionMismatch, "version \(version) vectors have \(entry.dimension) dimensions, got \(dimension)")
            }
            guard vectors.count == ids.count * dimension else {
                throw StasisError.invalid("\(vectors.count) values for \(ids.count) ids of \(dimension) dimensions")
            }
            try logged(.upsert, ids: ids, version: version, dimension: dimension, vectors: vectors) {
                try applyUpsert(vectors, dimension: dimension, ids: ids, version: version)
            }
        }
    }

    /// Removes items. All ids must be present; otherwise nothing is removed. Logged like `upsert`.
    /// - Throws: `.notFound` naming the first unknown id.
    public func remove(ids: [Int64]) throws {
        try lock.writing {
            let found = lookup(ids)
            if let position = found.firstIndex(where: { $0 == nil }) {
                throw StasisError(.notFound, "id \(ids[position]) is not in the gallery; nothing was removed")
            }
            try logged(.remove, ids: ids, version: 0, dimension: 0, vectors: []) { try applyRemove(ids) }
        }
    }

    /// The upsert itself, under the exclusive lock (calls and log replay).
    func applyUpsert(_ vectors: [Float], dimension: Int, ids: [Int64], version: UInt32) throws {
        let entry = try entry(version, role: "item")
        guard dimension == entry.dimension else {
            throw StasisError(.dimensionMismatch, "version \(version) vectors have \(entry.dimension) dimensions, got \(dimension)")
        }
        guard let home = parts[entry.space] else { throw StasisError(.internalError, "space '\(entry.space)' has no part") }
        // The add validates everything and changes nothing when it throws; only then are the
        // old copies (which exist, so removal cannot fail) taken out of the other parts.
        try home.add(vectors, dimension: dimension, ids: ids, version: version)
        for (name, part) in parts where name != entry.space {
            let present = zip(ids, part.versions(of: ids)).compactMap { $0.1 == nil ? nil : $0.0 }
            if !present.isEmpty { try part.remove(ids: present) }
        }
    }

    /// The removal itself (every id present), under the exclusive lock.
    func applyRemove(_ ids: [Int64]) throws {
        for part in parts.values {
            let present = zip(ids, part.versions(of: ids)).compactMap { $0.1 == nil ? nil : $0.0 }
            if !present.isEmpty { try part.remove(ids: present) }
        }
    }

    // MARK: Internals shared with search, calibration and files

    func entry(_ version: UInt32, role: String) throws -> Version {
        guard let entry = registered[version] else {
            throw StasisError(.notFound, "\(role) version \(version) is not registered in the gallery; register it first")
        }
        return entry
    }

    func lookup(_ ids: [Int64]) -> [UInt32?] {
        var result = [UInt32?](repeating: nil, count: ids.count)
        for part in parts.values {
            for (i, version) in part.versions(of: ids).enumerated() where version != nil { result[i] = version }
        }
        return result
    }

    /// Shortest bridge path (fewest bridges, first added wins ties) from `space` to `goal`;
    /// empty when they are the same space, nil when unreachable.
    func route(from space: String, to goal: String) -> [Adapter]? {
        if space == goal { return [] }
        var best: [String: [Adapter]] = [space: []]
        var frontier = [space]
        while !frontier.isEmpty {
            var next: [String] = []
            for here in frontier {
                for bridge in bridges {
                    guard let first = bridge.first, let last = bridge.last,
                          registered[first.sourceVersion]?.space == here,
                          let there = registered[last.targetVersion]?.space, best[there] == nil else { continue }
                    best[there] = (best[here] ?? []) + bridge
                    if there == goal { return best[there] }
                    next.append(there)
                }
            }
            frontier = next
        }
        return nil
    }
}

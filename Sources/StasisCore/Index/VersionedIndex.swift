import CFaissShim

/// A Faiss index of unit vectors with caller-chosen int64 ids, every vector stamped with the model
/// version that produced it. Similarity is cosine: inputs are L2-normalised by the index.
///
/// Thread safety: any number of concurrent readers (search, lookups, counts, save); mutations
/// (train, add, remove, setting defaults) take an exclusive lock, so callers need no locking.
/// Every method either succeeds or throws leaving the index unchanged.
public final class VersionedIndex: @unchecked Sendable {
    /// Vector dimension.
    public let dimension: Int
    /// The Faiss factory description the index was built from ("Flat", "HNSW32", "IVF1024,PQ16"...).
    public let factory: String
    /// Fingerprint of the space the index is bound to, nil for an unbound index. Encoders of
    /// other spaces are refused.
    public let space: String?

    let lock = ReadWriteLock()
    /// Serialises compactions, which build outside the exclusive lock (VersionedIndex+Compaction).
    let compactionLock = ReadWriteLock()
    /// Replaced only by compaction, under the exclusive lock.
    var faiss: FaissIndex
    var slots: SlotTable
    var defaults: SearchOptions
    /// The write-ahead log every mutation is appended to, when enabled (VersionedIndex+WAL).
    var wal: WriteAheadLog?
    /// Sequence number of the last logged mutation applied; saved in the file so that replay
    /// skips the records the file already holds.
    var walSequence: UInt64 = 0

    /// Largest vector dimension an index accepts.
    public static let maxDimension = 1 << 16

    /// Creates an empty index.
    /// - Throws: `.invalidArgument` for a dimension outside 1...`maxDimension` or a factory
    ///   description outside `IndexFactory`'s grammar and limits.
    public init(dimension: Int, factory: String, space: String? = nil) throws {
        guard dimension > 0, dimension <= Self.maxDimension else {
            throw StasisError.invalid("dimension must be in 1...\(Self.maxDimension), got \(dimension)")
        }
        let checked = try IndexFactory(factory, dimension: dimension)
        self.dimension = dimension
        self.factory = checked.canonical
        self.space = space
        self.faiss = try FaissIndex(dimension: dimension, factory: checked.canonical)
        self.slots = SlotTable()
        self.defaults = SearchOptions()
    }

    /// Creates an empty index for vectors of `space` (dimension = the space's d).
    public convenience init(space: Space, factory: String) throws {
        try self.init(dimension: space.dimension, factory: factory, space: space.fingerprint)
    }

    /// Reassembles an index read from a file (see `IndexFile`).
    init(
        dimension: Int, factory: String, space: String?, faiss: FaissIndex, slots: SlotTable, defaults: SearchOptions,
        walSequence: UInt64
    ) {
        self.walSequence = walSequence
        self.dimension = dimension
        self.factory = factory
        self.space = space
        self.faiss = faiss
        self.slots = slots
        self.defaults = defaults
    }

    // MARK: Reading

    /// Whether vectors can be added (Flat and HNSW always; IVF and PQ after `train`).
    public var isTrained: Bool { lock.reading { faiss.isTrained } }

    /// Number of live vectors.
    public var count: Int { lock.reading { slots.liveCount } }

    /// Live vectors per model version (versions with none are absent).
    public var countsByVersion: [UInt32: Int] { lock.reading { slots.countByVersion } }

    /// Live vectors stamped with `version`.
    public func count(version: UInt32) -> Int { lock.reading { slots.countByVersion[version] ?? 0 } }

    /// The model version of each id, nil where the id is not in the index.
    public func versions(of ids: [Int64]) -> [UInt32?] {
        lock.reading { ids.map { slots.version(of: $0) } }
    }

    /// Live ids stamped with `version`, ascending (used by the mixed gallery's backfill planner).
    func liveIDs(version: UInt32) -> [Int64] {
        lock.reading { slots.slotOfID.compactMap { slots.versions[$0.value] == version ? $0.key : nil }.sorted() }
    }

    /// All live ids, ascending.
    func liveIDs() -> [Int64] { lock.reading { slots.slotOfID.keys.sorted() } }

    /// Search parameters used when a search leaves them at zero; saved with the index.
    public var searchDefaults: SearchOptions { lock.reading { defaults } }

    /// Sets the default efSearch / nprobe (zero fields keep Faiss's own defaults).
    public func setSearchDefaults(_ options: SearchOptions) throws {
        let valid = try options.validated()
        lock.writing { defaults = SearchOptions(efSearch: valid.efSearch, nprobe: valid.nprobe) }
    }

    // MARK: Mutating

    /// Trains the index on representative vectors (`count` rows of `dimension` floats).
    /// - Throws: `.invalidArgument` for bad values or too few rows, `.dimensionMismatch`.
    public func train(_ vectors: [Float], count: Int, dimension: Int) throws {
        try checkDimension(dimension)
        let rows = try UnitRows(vectors, count: count, dimension: dimension, role: "training vector")
        guard count > 0 else { throw StasisError.invalid("training needs at least one vector") }
        try lock.writing {
            guard slots.slotCount == 0 else {
                throw StasisError(.unsupported, "index already holds vectors; train before adding")
            }
            try faiss.train(rows)
        }
    }

    /// Adds `ids.count` vectors stamped with `version`. An id already present is replaced (upsert).
    /// - Throws: `.invalidArgument` (bad values, negative or repeated ids), `.dimensionMismatch`,
    ///   `.notTrained`.
    public func add(_ vectors: consuming [Float], dimension: Int, ids: [Int64], version: UInt32) throws {
        if isFlat {
            let rows = consume vectors
            return try rows.withUnsafeBufferPointer { try add($0, dimension: dimension, ids: ids, version: version) }
        }
        try checkDimension(dimension)
        let rows = try UnitRows(consume vectors, count: ids.count, dimension: dimension, role: "vector")
        try Self.checkIDs(ids)
        guard !ids.isEmpty else { return }
        try lock.writing {
            try logged(.add, ids: ids, version: version, vectors: rows.values) { try applyAdd(rows, ids: ids, version: version) }
        }
    }

    /// Adds `ids.count` vectors read from the caller's buffer, stamped with `version`; the same
    /// contract as the array form. Without a write-ahead log the rows are validated and normalised
    /// in the shim on the library's threads with no normalised copy of the batch (a Flat index
    /// appends them in one pass straight into its storage; see fshim_add_unit); with a log they are
    /// copied, since the log record holds the normalised batch.
    public func add(_ vectors: UnsafeBufferPointer<Float>, dimension: Int, ids: [Int64], version: UInt32) throws {
        try checkDimension(dimension)
        let (expected, overflow) = ids.count.multipliedReportingOverflow(by: dimension)
        guard !overflow, vectors.count == expected else {
            throw StasisError.invalid("vector buffer holds \(vectors.count) floats, expected \(ids.count) x \(dimension)")
        }
        try Self.checkIDs(ids)
        guard !ids.isEmpty else { return }
        try lock.writing {
            guard wal == nil, !forceCopyAdd else {
                let rows = try UnitRows(Array(vectors), count: ids.count, dimension: dimension, role: "vector")
                try logged(.add, ids: ids, version: version, vectors: rows.values) { try applyAdd(rows, ids: ids, version: version) }
                return
            }
            let before = faiss.count
            let refused: Int?
            do {
                refused = try faiss.addUnitRows(vectors, count: ids.count)
            } catch {
                // Keep labels aligned with slots if a piece landed before a later one failed.
                let added = faiss.count - before
                if added > 0 { slots.appendDead(added) }
                throw error
            }
            if let bad = refused {
                let start = bad * dimension
                throw UnitRows.rejection(UnsafeBufferPointer(rebasing: vectors[start..<(start + dimension)]), row: bad, role: "vector")
            }
            guard faiss.count == before + ids.count else {
                slots.appendDead(faiss.count - before)
                throw StasisError(.internalError, "Faiss added \(faiss.count - before) of \(ids.count) vectors")
            }
            slots.append(ids, version: version)
        }
    }

    /// Whether the index is Flat (fixed at creation: compaction keeps the factory).
    private var isFlat: Bool { lock.reading { faiss.kind == .flat } }

    /// Test hook: routes buffer adds through the copy path (UnitRows, then Faiss's add), the
    /// reference the fused add is compared against.
    var forceCopyAdd = false

    /// The add itself, under the exclusive lock (also what replaying a log record runs).
    func applyAdd(_ rows: UnitRows, ids: [Int64], version: UInt32) throws {
        let before = faiss.count
        do {
            try faiss.add(rows)
        } catch {
            // Keep labels aligned with slots if Faiss appended some rows before failing.
            let added = faiss.count - before
            if added > 0 { slots.appendDead(added) }
            throw error
        }
        guard faiss.count == before + ids.count else {
            slots.appendDead(faiss.count - before)
            throw StasisError(.internalError, "Faiss added \(faiss.count - before) of \(ids.count) vectors")
        }
        slots.append(ids, version: version)
    }

    /// Removes vectors by id. All ids must be present; otherwise nothing is removed.
    /// - Throws: `.notFound` naming the first unknown id.
    public func remove(ids: [Int64]) throws {
        try lock.writing {
            guard !ids.isEmpty else { return }
            try logged(.remove, ids: ids, version: 0, vectors: []) { try applyRemove(ids) }
        }
    }

    /// The removal itself, under the exclusive lock (also what replaying a log record runs).
    func applyRemove(_ ids: [Int64]) throws {
        if let unknown = ids.first(where: { slots.version(of: $0) == nil }) {
            throw StasisError(.notFound, "id \(unknown) is not in the index; nothing was removed")
        }
        for id in ids { slots.remove(id) }
    }

    // MARK: Searching

    /// Finds the `k` most similar live vectors for each of `count` queries.
    /// - Throws: `.invalidArgument` (k <= 0, bad values), `.dimensionMismatch`, `.notTrained`.
    public func search(
        _ queries: consuming [Float], count: Int, dimension: Int, k: Int, options: SearchOptions = SearchOptions()
    ) throws -> SearchResult {
        guard k > 0 else { throw StasisError.invalid("k must be > 0, got \(k)") }
        guard k <= 1 << 20 else { throw StasisError.invalid("k must be <= \(1 << 20), got \(k)") }
        let (results, overflow) = count.multipliedReportingOverflow(by: k)
        guard !overflow, results <= 1 << 30 else {
            throw StasisError.invalid("\(count) queries x k = \(k) results is too many for one call; split the batch")
        }
        try checkDimension(dimension)
        let options = try options.validated()
        let rows = try UnitRows(consume queries, count: count, dimension: dimension, role: "query")
        guard count > 0 else { return SearchResult(count: 0, k: k, scores: [], ids: [], versions: []) }
        return try lock.reading {
            let effective = options.filled(from: defaults)
            let raw = try withFilter(version: effective.version) { filter in
                try faiss.search(rows, k: k, options: effective, filter: filter)
            }
            var ids = [Int64](repeating: -1, count: raw.labels.count)
            var versions = [UInt32](repeating: 0, count: raw.labels.count)
            for (i, label) in raw.labels.enumerated() where label >= 0 && Int(label) < slots.slotCount {
                ids[i] = slots.ids[Int(label)]
                versions[i] = slots.versions[Int(label)]
            }
            return SearchResult(count: count, k: k, scores: raw.scores, ids: ids, versions: versions)
        }
    }

    /// Calls `body` with the filter a search needs: none when every slot is eligible.
    private func withFilter<R>(version: UInt32?, _ body: (fshim_filter?) throws -> R) rethrows -> R {
        guard slots.hasDeadSlots || version != nil else { return try body(nil) }
        return try slots.alive.withUnsafeBufferPointer { alive in
            try slots.versions.withUnsafeBufferPointer { versions in
                try body(fshim_filter(
                    alive: alive.baseAddress, versions: versions.baseAddress,
                    restrict_version: version == nil ? 0 : 1, version: version ?? 0))
            }
        }
    }

    // MARK: Persistence

    /// Writes the index to `path` atomically (temporary file, fsync, rename, directory fsync).
    /// Concurrent searches may continue while it saves.
    public func save(to path: String) throws {
        // The payload streams from the index into the file (never held in memory), so the writes
        // happen under the read lock (searches continue, mutations wait); the fsync after it.
        let file = try lock.reading {
            let snapshot = IndexFile.Contents(
                dimension: dimension, factory: factory, space: space, defaults: defaults, isTrained: faiss.isTrained,
                slots: slots, walSequence: walSequence)
            return try IndexFile.prepare(snapshot, payload: try faiss.payload(), to: path)
        }
        try file.commit()
    }

    /// Opens an index saved by `save(to:)`.
    /// - Throws: `.io`, `.corruptFile` (not an index, truncated, checksum), `.unsupportedFormat`.
    public static func open(_ path: String) throws -> VersionedIndex {
        let mapped = try IndexFile.read(path)
        let contents = mapped.contents
        let faiss = try FaissIndex(mapped: mapped)
        guard faiss.count == contents.slots.slotCount else {
            throw StasisError(.corruptFile,
                "'\(path)': Faiss payload holds \(faiss.count) vectors but the header lists \(contents.slots.slotCount)")
        }
        return VersionedIndex(
            dimension: contents.dimension, factory: contents.factory, space: contents.space, faiss: faiss,
            slots: contents.slots, defaults: contents.defaults, walSequence: contents.walSequence)
    }

    // MARK: Encoding on the way in

    /// Encodes backbone features with `encoder` and adds them, stamped with the encoder's version.
    /// - Throws: `.incompatible` for an encoder of another space, `.dimensionMismatch` when the
    ///   encoder's output or the features' width does not fit, plus everything `add` throws.
    public func add(features: [Float], dimension featureDimension: Int, encoder: VersionedEncoder, ids: [Int64]) throws {
        try checkEncoder(encoder, featureDimension: featureDimension)
        let vectors = try encoder.encode(features, count: ids.count)
        try add(vectors, dimension: dimension, ids: ids, version: encoder.version)
    }

    /// Encodes query features with `encoder` and searches.
    public func search(
        features: [Float], count: Int, dimension featureDimension: Int, encoder: VersionedEncoder, k: Int,
        options: SearchOptions = SearchOptions()
    ) throws -> SearchResult {
        try checkEncoder(encoder, featureDimension: featureDimension)
        let queries = try encoder.encode(features, count: count)
        return try search(queries, count: count, dimension: dimension, k: k, options: options)
    }

    private func checkEncoder(_ encoder: VersionedEncoder, featureDimension: Int) throws {
        if let space, encoder.spaceFingerprint != space {
            throw StasisError(.incompatible,
                "encoder version \(encoder.version) belongs to space \(encoder.spaceFingerprint); this index holds space \(space)")
        }
        guard encoder.outputDimension == dimension else {
            throw StasisError(.dimensionMismatch,
                "encoder version \(encoder.version) outputs \(encoder.outputDimension) dimensions, index has \(dimension)")
        }
        guard featureDimension == encoder.inputDimension else {
            throw StasisError(.dimensionMismatch,
                "features have dimension \(featureDimension), encoder version \(encoder.version) expects \(encoder.inputDimension)")
        }
    }

    // MARK: Checks

    private func checkDimension(_ given: Int) throws {
        guard given == dimension else {
            throw StasisError(.dimensionMismatch, "vectors have dimension \(given), index has \(dimension)")
        }
    }

    private static func checkIDs(_ ids: [Int64]) throws {
        if let negative = ids.firstIndex(where: { $0 < 0 }) {
            throw StasisError.invalid("id \(ids[negative]) at position \(negative) is negative; ids must be >= 0")
        }
        // Strictly increasing ids (a range, the usual bulk load) cannot repeat: skip the set.
        if zip(ids, ids.dropFirst()).allSatisfy({ $0 < $1 }) { return }
        var seen = Set<Int64>(minimumCapacity: ids.count)
        for (position, id) in ids.enumerated() where !seen.insert(id).inserted {
            throw StasisError.invalid("id \(id) appears twice in one batch (again at position \(position))")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}

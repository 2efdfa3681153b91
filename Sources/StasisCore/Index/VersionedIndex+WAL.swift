/// The optional write-ahead log of an index: adds, upserts and removes acknowledged since the last
/// save are appended to a log file before the call returns, and replayed when the log is enabled
/// again on the saved index after a crash. docs/durability.md states the contract.
extension VersionedIndex {
    /// Attaches the write-ahead log at `path`. When the file exists, its records newer than the
    /// index (sequence above the one saved in the index file) are applied first, so enabling the
    /// log on a freshly opened index recovers every change acknowledged before a crash; a torn
    /// tail is cut off. When it does not exist, an empty log continuing the index is created.
    /// Training and search defaults are not logged: checkpoint after changing them.
    /// - Throws: `.unsupported` when a log is already enabled; `.io` (cannot create, read or lock
    ///   the file: one log serves one index at a time); `.corruptFile` (a damaged record with
    ///   intact ones after it, a log that does not continue this index, a record that does not
    ///   apply); `.unsupportedFormat`. On error the index is unchanged and no log is attached.
    public func enableWAL(path: String, syncMode: WALSyncMode) throws {
        if case .interval(let milliseconds) = syncMode, !(1...3_600_000).contains(milliseconds) {
            throw StasisError.invalid("WAL sync interval must be 1...3600000 ms, got \(milliseconds)")
        }
        try lock.writing {
            guard wal == nil else {
                throw StasisError(.unsupported, "a write-ahead log is already enabled on this index; disable it first")
            }
            // Locked before anything is read or replayed: a log in use by another index is
            // refused with this index untouched.
            let log = try WriteAheadLog(path: path, syncMode: syncMode, baseSequence: walSequence)
            if !log.created {
                let scan = try WALRecord.scan(try log.contents(), dimension: dimension, path: path)
                try log.cut(to: scan.validLength)
                try replay(scan, path: path)
            }
            wal = log
        }
    }

    /// Syncs and detaches the log (the file stays; later mutations are not logged). No-op without one.
    public func disableWAL() {
        lock.writing {
            wal?.close()
            wal = nil
        }
    }

    /// Path of the attached log, nil when none.
    public var walPath: String? { lock.reading { wal?.path } }

    /// Sequence number of the last logged mutation this index holds.
    public var lastWALSequence: UInt64 { lock.reading { walSequence } }

    /// Folds the log into the index file: saves to `path` atomically, then restarts the log empty.
    /// Searches continue meanwhile; mutations wait. A crash after the save and before the restart
    /// is harmless: the file records the last sequence it holds and replay skips those records.
    /// Without a log this is `save(to:)`.
    public func checkpoint(to path: String) throws {
        try lock.reading {
            let snapshot = IndexFile.Contents(
                dimension: dimension, factory: factory, space: space, defaults: defaults,
                isTrained: faiss.isTrained, slots: slots, walSequence: walSequence)
            try IndexFile.write(snapshot, payload: try faiss.payload(), to: path)
            try wal?.restart(baseSequence: walSequence)
        }
    }

    /// Runs `apply` (a mutation, under the exclusive lock) with its record appended to the log
    /// first; a mutation that fails takes its record back out, so the log holds exactly the
    /// acknowledged changes.
    func logged(
        _ operation: WALRecord.Operation, ids: [Int64], version: UInt32, vectors: [Float], _ apply: () throws -> Void
    ) throws {
        guard let wal else { return try apply() }
        let sequence = walSequence &+ 1
        let record = WALRecord.encode(WALRecord.Entry(
            sequence: sequence, operation: operation, version: version, ids: ids,
            dimension: operation == .add ? dimension : 0, vectors: vectors))
        let mark = try wal.append(record)
        do {
            try apply()
        } catch {
            wal.rollBack(to: mark)
            throw error
        }
        walSequence = sequence
    }

    /// Applies the records after the index's sequence. Replaying is idempotent: records the index
    /// already holds (up to `walSequence`) are skipped. All or nothing: on a record that does not
    /// apply, the index is restored to its state before the replay.
    private func replay(_ scan: WALRecord.Scan, path: String) throws {
        guard scan.baseSequence <= walSequence else {
            throw StasisError(.corruptFile,
                "'\(path)' continues an index at sequence \(scan.baseSequence) but this index holds sequence \(walSequence): "
                + "it is the log of another index or of a later save")
        }
        let pending = scan.entries.filter { $0.sequence > walSequence }
        guard !pending.isEmpty else { return }
        guard pending[0].sequence == walSequence &+ 1 else {
            throw StasisError(.corruptFile, "'\(path)' lacks records \(walSequence + 1)...\(pending[0].sequence - 1)")
        }
        let savedSlots = slots, savedSequence = walSequence, savedCount = faiss.count
        for entry in pending {
            do {
                switch entry.operation {
                case .add:
                    // WALRecord.scan checked the shape and finiteness; the rows were unit when logged.
                    let rows = UnitRows(alreadyUnit: entry.vectors, count: entry.ids.count, dimension: dimension)
                    try applyAdd(rows, ids: entry.ids, version: entry.version)
                case .remove:
                    try applyRemove(entry.ids)
                }
            } catch let error as StasisError {
                // Faiss cannot drop appended rows; keep them as dead slots so labels stay aligned.
                slots = savedSlots
                slots.appendDead(faiss.count - savedCount)
                walSequence = savedSequence
                throw StasisError(.corruptFile,
                    "'\(path)': record \(entry.sequence) does not apply to this index (\(error.message)); nothing was replayed")
            }
            walSequence = entry.sequence
        }
    }
}

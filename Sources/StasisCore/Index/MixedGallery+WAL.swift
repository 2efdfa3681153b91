/// The optional write-ahead log of a mixed gallery (docs/durability.md): upserts and removes
/// acknowledged since the last save are appended to one log file before the call returns (one
/// record per call, so an upsert that moves items between parts is replayed whole or not at all),
/// and replayed when the log is enabled again on the saved gallery after a crash. The file format
/// and its writer are the index log's (`WriteAheadLog`); the records are `GalleryWALRecord`.
/// Registering versions, adding bridges and calibrating are not logged: save or checkpoint after
/// them.
extension MixedGallery {
    /// Attaches the write-ahead log at `path`. When the file exists, its records newer than the
    /// gallery (sequence above the one saved in the manifest) are applied first, so enabling the
    /// log on a freshly opened gallery recovers every change acknowledged before a crash; a torn
    /// tail is cut off. When it does not exist, an empty log continuing the gallery is created.
    /// - Throws: `.invalidArgument` (bad interval); `.unsupported` when a log is already enabled;
    ///   `.io` (cannot create, read or lock the file: one log serves one gallery at a time);
    ///   `.corruptFile` (a damaged record with intact ones after it, a log of another gallery, of
    ///   a later save or of an index, a record that does not apply, e.g. its version is not
    ///   registered); `.unsupportedFormat`. Records are checked against the gallery before any
    ///   is applied: on error the gallery is unchanged and no log is attached.
    public func enableWAL(path: String, syncMode: WALSyncMode) throws {
        if case .interval(let milliseconds) = syncMode, !(1...3_600_000).contains(milliseconds) {
            throw StasisError.invalid("WAL sync interval must be 1...3600000 ms, got \(milliseconds)")
        }
        try lock.writing {
            guard wal == nil else {
                throw StasisError(.unsupported, "a write-ahead log is already enabled on this gallery; disable it first")
            }
            let log = try WriteAheadLog(path: path, syncMode: syncMode, baseSequence: walSequence)
            if !log.created {
                let scan = try GalleryWALRecord.scan(try log.contents(), path: path)
                try replay(scan, path: path)
                try log.cut(to: scan.validLength)
            }
            wal = log
        }
    }

    /// Syncs and detaches the log (the file stays; later changes are not logged). No-op without one.
    public func disableWAL() {
        lock.writing {
            wal?.close()
            wal = nil
        }
    }

    /// Path of the attached log, nil when none.
    public var walPath: String? { lock.reading { wal?.path } }

    /// Sequence number of the last logged change the gallery holds (0: none).
    public var lastWALSequence: UInt64 { lock.reading { walSequence } }

    /// Folds the log into the gallery directory: saves to `path` exactly like `save(to:)`, then
    /// restarts the log empty. Searches continue meanwhile; mutations wait. A crash between the
    /// two is harmless: the manifest records the last sequence it holds and replay skips those.
    /// Without a log this is `save(to:)`.
    public func checkpoint(to path: String) throws {
        try lock.reading {
            try saveLocked(to: path)
            try wal?.restart(baseSequence: walSequence)
        }
    }

    /// Runs `apply` (a mutation, under the exclusive lock) with its record appended to the log
    /// first; a mutation that fails takes its record back out, so the log holds exactly the
    /// acknowledged changes.
    func logged(
        _ operation: GalleryWALRecord.Operation, ids: [Int64], version: UInt32, dimension: Int, vectors: [Float],
        _ apply: () throws -> Void
    ) throws {
        guard let wal else { return try apply() }
        let sequence = walSequence &+ 1
        let mark = try wal.append(GalleryWALRecord.encode(GalleryWALRecord.Entry(
            sequence: sequence, operation: operation, version: version, ids: ids, dimension: dimension, vectors: vectors)))
        do {
            try apply()
        } catch {
            wal.rollBack(to: mark)
            throw error
        }
        walSequence = sequence
    }

    /// Applies the records after the gallery's sequence, all or nothing: every pending record is
    /// first checked against the gallery as it will be when its turn comes (version registered,
    /// width, ids present for a remove, finite non-zero rows, no repeated ids), and only then
    /// applied, so a record that does not apply leaves the gallery untouched.
    private func replay(_ scan: GalleryWALRecord.Scan, path: String) throws {
        guard scan.baseSequence <= walSequence else {
            throw StasisError(.corruptFile,
                "'\(path)' continues a gallery at sequence \(scan.baseSequence) but this gallery holds sequence \(walSequence): "
                + "it is the log of another gallery or of a later save")
        }
        let pending = scan.entries.filter { $0.sequence > walSequence }
        guard !pending.isEmpty else { return }
        guard pending[0].sequence == walSequence &+ 1 else {
            throw StasisError(.corruptFile, "'\(path)' lacks records \(walSequence + 1)...\(pending[0].sequence - 1)")
        }
        var live = Set<Int64>()
        for part in parts.values { live.formUnion(part.liveIDs()) }
        for entry in pending {
            func refuse(_ reason: String) -> StasisError {
                StasisError(.corruptFile, "'\(path)': record \(entry.sequence) does not apply to this gallery (\(reason)); nothing was replayed")
            }
            guard Set(entry.ids).count == entry.ids.count else { throw refuse("repeated ids") }
            switch entry.operation {
            case .upsert:
                guard let version = registered[entry.version] else {
                    throw refuse("version \(entry.version) is not registered; register it and reopen before replaying")
                }
                guard version.dimension == entry.dimension else {
                    throw refuse("version \(entry.version) has \(version.dimension) dimensions, the record \(entry.dimension)")
                }
                // The add's own rule (UnitRows: a finite, positive squared norm in float32), not
                // just "non-zero": rows too large or too small to normalise pass a zero check,
                // then fail in the add after earlier records were applied.
                do {
                    _ = try UnitRows(entry.vectors, count: entry.ids.count, dimension: entry.dimension, role: "row")
                } catch let error as StasisError {
                    throw refuse(error.message)
                }
                live.formUnion(entry.ids)
            case .remove:
                if let missing = entry.ids.first(where: { !live.contains($0) }) { throw refuse("id \(missing) is not in the gallery") }
                live.subtract(entry.ids)
            }
        }
        for entry in pending {
            do {
                switch entry.operation {
                case .upsert: try applyUpsert(entry.vectors, dimension: entry.dimension, ids: entry.ids, version: entry.version)
                case .remove: try applyRemove(entry.ids)
                }
            } catch let error as StasisError {
                throw StasisError(.corruptFile,
                    "'\(path)': record \(entry.sequence) does not apply to this gallery (\(error.message)); records before it were replayed")
            }
            walSequence = entry.sequence
        }
    }
}

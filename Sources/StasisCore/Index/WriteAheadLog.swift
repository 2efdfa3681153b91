import Glibc

/// When the log's appends are forced to stable storage (fdatasync).
public enum WALSyncMode: Sendable, Equatable {
    /// Before every mutating call returns: an acknowledged change survives a power loss.
    case everyCall
    /// By a background flush at most `milliseconds` after the append: a power loss may lose the
    /// last interval; a killed process loses nothing (the bytes are in the OS's cache).
    case interval(milliseconds: Int)
    /// Never by the log (the OS writes back when it chooses); checkpoints still fsync the index.
    case off
}

/// An open write-ahead log file: appends records, rolls back a record whose mutation failed,
/// forces them to disk per the sync mode, and restarts the file after a checkpoint.
///
/// Thread safety: appends and rollbacks come from `VersionedIndex` under its exclusive lock; the
/// interval flusher and `close` may run concurrently with them, so descriptor use is serialised
/// by `mutex`. An interval flush holds `mutex` only to take a duplicate of the descriptor and
/// note how many appends it covers; the fdatasync itself runs outside it, so writers never wait
/// for the disk in interval mode. `syncing` serialises flushes with each other and with `close`
/// (which therefore never returns while a flush still holds the file and its flock).
/// The file is locked with flock so two indexes cannot append to one log.
final class WriteAheadLog: @unchecked Sendable {
    let path: String
    let syncMode: WALSyncMode
    private let mutex = ReadWriteLock()
    private var descriptor: Int32
    private var length: Int
    private var dirty = false
    /// Appends so far; a flush clears `dirty` only if none came after the point it covers.
    private var appends: UInt64 = 0
    private let syncing = ReadWriteLock()
    private var closed = false
    /// Tests only: runs inside `sync()` after the lock is released, before the fdatasync.
    var afterSyncCapture: (() -> Void)?
    /// Set when the interval flusher could not start: every append syncs instead.
    private var fallbackSync = false

    /// Whether `init` created the file (else it holds earlier records to scan and replay).
    let created: Bool

    /// Opens and locks the log at `path`, creating it with `baseSequence` when missing.
    init(path: String, syncMode: WALSyncMode, baseSequence: UInt64) throws {
        self.path = path
        self.syncMode = syncMode
        var status = stat()
        created = lstat(path, &status) != 0 && errno == ENOENT
        if created {
            try AtomicFile.write(WALRecord.fileHeader(baseSequence: baseSequence), to: path)
        }
        descriptor = try Self.openLocked(path)
        fstat(descriptor, &status)
        length = Int(status.st_size)
        if case .interval(let milliseconds) = syncMode { startFlusher(milliseconds) }
    }

    /// The whole file, read through the locked descriptor.
    func contents() throws -> [UInt8] {
        try mutex.writing {
            var bytes = [UInt8](repeating: 0, count: length)
            var offset = 0
            while offset < length {
                let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + offset, length - offset, off_t(offset)) }
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { throw StasisError(.io, "cannot read write-ahead log '\(path)': \(systemErrorText())") }
                offset += got
            }
            return bytes
        }
    }

    /// Cuts a torn tail off, so new records follow the last intact one.
    func cut(to validLength: Int) throws {
        try mutex.writing {
            guard validLength < length else { return }
            guard ftruncate(descriptor, off_t(validLength)) == 0 else {
                throw StasisError(.io, "cannot cut the torn tail of '\(path)': \(systemErrorText())")
            }
            fdatasync(descriptor)
            length = validLength
        }
    }

    deinit { close() }

    /// Appends one encoded record; returns the length before it, for `rollBack(to:)`.
    /// - Throws: `.io` (disk full, fsync failure); the file is cut back so no partial record stays.
    func append(_ record: [UInt8]) throws -> Int {
        try mutex.writing {
            guard descriptor >= 0 else { throw StasisError(.io, "write-ahead log '\(path)' is closed") }
            let before = length
            var offset = 0
            let failure: String? = record.withUnsafeBytes { bytes in
                while offset < bytes.count {
                    let written = pwrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset, off_t(before + offset))
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return systemErrorText() }
                    offset += written
                }
                return nil
            }
            if let failure {
                _ = ftruncate(descriptor, off_t(before))
                throw StasisError(.io, "cannot append to write-ahead log '\(path)': \(failure)")
            }
            if syncMode == .everyCall || fallbackSync, fdatasync(descriptor) != 0 {
                let reason = systemErrorText()
                _ = ftruncate(descriptor, off_t(before))
                throw StasisError(.io, "cannot fsync write-ahead log '\(path)': \(reason)")
            }
            length = before + record.count
            dirty = true
            appends &+= 1
            return before
        }
    }

    /// Removes the record appended last (its mutation failed after all).
    func rollBack(to mark: Int) {
        mutex.writing {
            guard descriptor >= 0, mark <= length else { return }
            _ = ftruncate(descriptor, off_t(mark))
            if syncMode == .everyCall { fdatasync(descriptor) }
            length = mark
        }
    }

    /// Forces the records appended before the call to disk (interval flushes and checkpoints use
    /// it). The fdatasync runs on a duplicate of the descriptor outside `mutex`, so appends go on
    /// meanwhile: a duplicate shares the open file, so it syncs every byte written to it before the
    /// call, and stays valid even if `restart` replaces the descriptor meanwhile. Records appended
    /// during the sync keep the log dirty for the next flush. A failed sync keeps it dirty too.
    func sync() {
        syncing.writing {
            let target: (descriptor: Int32, appends: UInt64)? = mutex.writing {
                guard descriptor >= 0, dirty else { return nil }
                let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
                guard copy >= 0 else {
                    // No descriptor to spare: sync under the lock as a fallback.
                    if fdatasync(descriptor) == 0 { dirty = false }
                    return nil
                }
                return (copy, appends)
            }
            guard let target else { return }
            afterSyncCapture?()
            let synced = fdatasync(target.descriptor) == 0
            Glibc.close(target.descriptor)
            guard synced else { return }
            mutex.writing {
                if appends == target.appends { dirty = false }
            }
        }
    }

    /// Whether records were appended since the last successful sync (tests).
    var hasUnsyncedRecords: Bool { mutex.writing { dirty } }

    /// Replaces the file by an empty log continuing after `baseSequence` (a checkpoint has
    /// saved everything up to it). The new file is written atomically: a crash leaves either
    /// the old log, whose records up to `baseSequence` the saved index skips, or the new one.
    func restart(baseSequence: UInt64) throws {
        try mutex.writing {
            try AtomicFile.write(WALRecord.fileHeader(baseSequence: baseSequence), to: path)
            let fresh = try Self.openLocked(path)
            Glibc.close(descriptor)
            descriptor = fresh
            length = WALRecord.headerLength
            dirty = false
        }
    }

    /// Syncs and closes; later appends fail. Idempotent.
    func close() {
        syncing.writing {
            mutex.writing {
                closed = true
                guard descriptor >= 0 else { return }
                if dirty { fdatasync(descriptor) }
                Glibc.close(descriptor)
                descriptor = -1
            }
        }
    }

    /// A detached thread that syncs every `milliseconds` while the log is open. It holds the log
    /// weakly, so dropping the index closes the log; the thread ends at its next wake-up.
    private func startFlusher(_ milliseconds: Int) {
        let context = Unmanaged.passRetained(FlusherContext(log: self, milliseconds: milliseconds)).toOpaque()
        var thread = pthread_t()
        guard pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let context = Unmanaged<FlusherContext>.fromOpaque(raw).takeRetainedValue()
            var pause = timespec(tv_sec: context.milliseconds / 1000, tv_nsec: (context.milliseconds % 1000) * 1_000_000)
            while true {
                nanosleep(&pause, nil)
                guard let log = context.log, !log.isClosed else { return nil }
                log.sync()
            }
        }, context) == 0 else {
            // No thread: fall back to syncing every call rather than never.
            Unmanaged<FlusherContext>.fromOpaque(context).release()
            fallbackSync = true
            return
        }
        pthread_detach(thread)
    }

    private var isClosed: Bool { mutex.writing { closed } }

    private static func openLocked(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StasisError(.io, "cannot open write-ahead log '\(path)': \(systemErrorText())")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "it is in use by another index" : systemErrorText()
            Glibc.close(descriptor)
            throw StasisError(.io, "cannot lock write-ahead log '\(path)': \(reason)")
        }
        return descriptor
    }
}

private final class FlusherContext: @unchecked Sendable {
    weak var log: WriteAheadLog?
    let milliseconds: Int

    init(log: WriteAheadLog, milliseconds: Int) {
        self.log = log
        self.milliseconds = milliseconds
    }
}

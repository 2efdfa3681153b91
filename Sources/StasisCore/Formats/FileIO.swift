import Glibc

/// Message for the current `errno`, e.g. "No such file or directory".
func systemErrorText() -> String { String(cString: strerror(errno)) }

/// Writes a file so that readers see either the old file or the complete new one, never a torn
/// mix: bytes go to a temporary file in the same directory, which is fsynced and renamed over the
/// target; then the directory is fsynced so the rename itself survives a crash.
final class AtomicFileWriter {
    private let path: String
    let temporaryPath: String
    /// The temporary file's descriptor, for writers that stream into it (IndexFile's payload).
    private(set) var descriptor: Int32

    /// - Throws: `.io` when `path` exists and is not a regular file (see `saveTarget`), or the
    ///   temporary file cannot be created.
    init(path: String) throws {
        let path = try Self.saveTarget(path)
        self.path = path
        // Unique per process and per call: concurrent saves to one path each get their own file.
        temporaryPath = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        descriptor = Glibc.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StasisError(.io, "cannot create '\(temporaryPath)': \(systemErrorText())")
        }
    }

    deinit {
        // Reached without commit() only when writing failed: leave no temporary file behind.
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw StasisError(.io, "cannot write '\(temporaryPath)': \(systemErrorText())")
            }
            offset += written
        }
    }

    func write<T>(array: [T]) throws { try array.withUnsafeBytes { try write($0) } }

    /// Overwrites bytes already written, at `offset` (a header completed after the data it
    /// describes); the sequential write position does not move.
    func write(_ bytes: [UInt8], at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw StasisError(.io, "cannot write '\(temporaryPath)': \(systemErrorText())")
            }
            done += written
        }
    }

    func commit() throws {
        guard fsync(descriptor) == 0 else {
            throw StasisError(.io, "cannot fsync '\(temporaryPath)': \(systemErrorText())")
        }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else {
            unlink(temporaryPath)
            throw StasisError(.io, "cannot close '\(temporaryPath)': \(systemErrorText())")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = systemErrorText()
            unlink(temporaryPath)
            throw StasisError(.io, "cannot rename '\(temporaryPath)' to '\(path)': \(reason)")
        }
        let directory = Self.directory(of: path)
        let dirDescriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirDescriptor >= 0 {
            fsync(dirDescriptor)
            close(dirDescriptor)
        }
    }

    /// The file a save replaces. Renaming over a device node, FIFO or socket would replace it with
    /// a regular file (saving to /dev/full used to "succeed" that way), and over a directory it
    /// fails only after all bytes are written: such targets are refused up front. A symbolic link
    /// is followed: the file it points to is replaced atomically and the link stays a link. A link
    /// to a missing location is refused. (A target swapped between this check and the rename is
    /// replaced as usual: the check is for mistakes, not for an adversary sharing the directory.)
    static func saveTarget(_ path: String) throws -> String {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return path }
            throw StasisError(.io, "cannot stat '\(path)': \(systemErrorText())")
        }
        var target = path
        if (status.st_mode & S_IFMT) == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw StasisError(.io,
                    "'\(path)' is a symbolic link whose target cannot be resolved: \(systemErrorText())")
            }
            target = String(cString: resolved)
            free(resolved)
            guard stat(target, &status) == 0 else {
                throw StasisError(.io, "cannot stat '\(target)': \(systemErrorText())")
            }
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw StasisError(.io,
                "'\(target)' exists and is not a regular file (a directory, device, FIFO or socket); saves replace only regular files")
        }
        return target
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Opens a regular file read-only and returns its descriptor (the caller closes it) and size.
/// Throws `.io` naming the path when it cannot be opened or stat'ed, or is not a regular file.
func openRegularFile(_ path: String) throws -> (descriptor: Int32, size: Int) {
    let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw StasisError(.io, "cannot open '\(path)': \(systemErrorText())") }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
        let reason = systemErrorText()
        close(descriptor)
        throw StasisError(.io, "cannot stat '\(path)': \(reason)")
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
        close(descriptor)
        throw StasisError(.io, "'\(path)' is not a regular file")
    }
    return (descriptor, Int(status.st_size))
}

/// Reads up to `limit` bytes from the start of a file (all of it when `limit` is nil).
func readFile(_ path: String, limit: Int? = nil) throws -> [UInt8] {
    let (descriptor, fileSize) = try openRegularFile(path)
    defer { close(descriptor) }
    let size = min(fileSize, limit ?? Int.max)
    var bytes = [UInt8](repeating: 0, count: size)
    var offset = 0
    try bytes.withUnsafeMutableBytes { buffer in
        while offset < size {
            let got = read(descriptor, buffer.baseAddress! + offset, size - offset)
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw StasisError(.io, "cannot read '\(path)': \(systemErrorText())") }
            if got == 0 { break }
            offset += got
        }
    }
    return offset == size ? bytes : Array(bytes[..<offset])
}

/// Whole-file atomic writes for callers outside the library's own formats (the CLI's JSON and HTML
/// outputs): the bytes go to a temporary file beside the target, are fsynced and renamed over it,
/// so a reader sees the old file or the new one, never a torn one.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    /// - Throws: `.io` when the folder is not writable or the disk is full (the target is left as
    ///   it was); `.invalidArgument` when the target is a directory, device, FIFO or socket.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(array: bytes)
        try writer.commit()
    }

    /// Writes `text` as UTF-8 to `path` atomically (see `write(_:to:)`).
    public static func write(text: String, to path: String) throws { try write(Array(text.utf8), to: path) }
}

/// The self-describing header of an index file, readable without loading any vectors
/// (`IndexFile.inspect`). Stored as JSON right after the magic bytes and format number.
public struct IndexFileInfo: Codable, Equatable, Sendable {
    /// Live vectors stamped with one model version.
    public struct VersionCount: Codable, Equatable, Sendable {
        public var version: UInt32
        public var count: Int
    }

    /// Container format number (see `IndexFile.formatVersion`).
    public var format: Int
    /// Version of the library that wrote the file.
    public var library: String
    public var dimension: Int
    /// Always "cosine": inner product over L2-normalised vectors.
    public var metric: String
    /// Faiss factory description.
    public var factory: String
    /// Fingerprint of the space the index is bound to; absent for unbound indexes.
    public var space: String?
    public var trained: Bool
    /// Live vectors.
    public var count: Int
    /// Stored slots, live or removed (removed ones still occupy the Faiss payload).
    public var slots: Int
    public var versions: [VersionCount]
    public var searchDefaults: SearchOptions
    /// Byte length of the Faiss payload that closes the file.
    public var payloadBytes: Int
    /// Checksum (hex) over the slot columns and the payload: CRC-32C, 8 digits, from format 2;
    /// FNV-1a 64, 16 digits, in format 1.
    public var checksum: String
    /// Sequence number of the last write-ahead log record folded into the file (absent when no
    /// log was ever checkpointed into it); replay skips records up to it.
    public var walSequence: UInt64? = nil
}

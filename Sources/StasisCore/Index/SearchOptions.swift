/// Per-search knobs. Zero (or nil) means "use the index's default".
public struct SearchOptions: Equatable, Sendable, Codable {
    /// HNSW beam width; higher is slower and more accurate. Ignored by other index types.
    public var efSearch: Int
    /// IVF lists visited per query; higher is slower and more accurate. Ignored by other types.
    public var nprobe: Int
    /// When set, only vectors stamped with this model version are eligible.
    public var version: UInt32?

    public init(efSearch: Int = 0, nprobe: Int = 0, version: UInt32? = nil) {
        self.efSearch = efSearch
        self.nprobe = nprobe
        self.version = version
    }

    func validated() throws -> SearchOptions {
        guard efSearch >= 0, efSearch <= 1 << 20 else {
            throw StasisError.invalid("efSearch must be in 0...\(1 << 20) (0 = default), got \(efSearch)")
        }
        guard nprobe >= 0, nprobe <= 1 << 24 else {
            throw StasisError.invalid("nprobe must be in 0...\(1 << 24) (0 = default), got \(nprobe)")
        }
        return self
    }

    /// Fields left at zero take `defaults`' values.
    func filled(from defaults: SearchOptions) -> SearchOptions {
        SearchOptions(
            efSearch: efSearch > 0 ? efSearch : defaults.efSearch,
            nprobe: nprobe > 0 ? nprobe : defaults.nprobe,
            version: version)
    }
}

/// Results of a batch search: `count` queries x `k` hits, row-major, best first.
/// Missing hits (fewer eligible vectors than k) have id -1, score -infinity and version 0.
public struct SearchResult: Sendable {
    public let count: Int
    public let k: Int
    /// Cosine similarities.
    public var scores: [Float]
    public var ids: [Int64]
    /// Model version of each hit.
    public var versions: [UInt32]
}

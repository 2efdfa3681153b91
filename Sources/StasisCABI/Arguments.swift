import StasisCore

/// Validation of raw C arguments, done before anything could trap (NULL, counts, overflow).
enum Arguments {
    static func required<T>(_ pointer: T?, _ name: String) throws -> T {
        guard let pointer else { throw StasisError(.invalidArgument, "\(name) is NULL") }
        return pointer
    }

    static func count(_ n: Int64, _ name: String = "n") throws -> Int {
        guard n >= 0 else { throw StasisError(.invalidArgument, "\(name) must be >= 0, got \(n)") }
        guard n <= Int64(Int32.max) * 64 else { throw StasisError(.invalidArgument, "\(name) = \(n) is too large") }
        return Int(n)
    }

    static func string(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
        String(cString: try required(pointer, name))
    }

    /// Copies `rows` x `dimension` values from a caller buffer that may be NULL only when empty.
    static func array<T>(_ pointer: UnsafePointer<T>?, rows: Int, dimension: Int = 1, _ name: String) throws -> [T] {
        let (total, overflow) = rows.multipliedReportingOverflow(by: max(dimension, 0))
        guard !overflow else { throw StasisError(.invalidArgument, "\(name): \(rows) x \(dimension) overflows") }
        if total == 0 { return [] }
        return Array(UnsafeBufferPointer(start: try required(pointer, name), count: total))
    }

    /// The caller's `rows` x `dimension` values in place (no copy); NULL only when empty. Valid
    /// for the duration of the call that received the pointer.
    static func buffer<T>(_ pointer: UnsafePointer<T>?, rows: Int, dimension: Int = 1, _ name: String) throws
        -> UnsafeBufferPointer<T>
    {
        let (total, overflow) = rows.multipliedReportingOverflow(by: max(dimension, 0))
        guard !overflow else { throw StasisError(.invalidArgument, "\(name): \(rows) x \(dimension) overflows") }
        if total == 0 { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: try required(pointer, name), count: total)
    }

    static func dimension(_ dim: Int64, max: Int64 = 1 << 20) throws -> Int {
        guard dim > 0, dim <= max else {
            throw StasisError(.invalidArgument, "dimension must be in 1...\(max), got \(dim)")
        }
        return Int(dim)
    }

    static func k(_ k: Int64) throws -> Int {
        guard k > 0 else { throw StasisError(.invalidArgument, "k must be > 0, got \(k)") }
        guard k <= 1 << 20 else { throw StasisError(.invalidArgument, "k must be <= \(1 << 20), got \(k)") }
        return Int(k)
    }
}

/// Copies a search result into the caller's n × k buffers (versions optional).
enum SearchOutput {
    static func write(
        _ result: SearchResult, scores: UnsafeMutablePointer<Float>?, ids: UnsafeMutablePointer<Int64>?,
        versions: UnsafeMutablePointer<UInt32>?
    ) throws {
        try Arguments.required(scores, "out_scores").update(from: result.scores, count: result.scores.count)
        try Arguments.required(ids, "out_ids").update(from: result.ids, count: result.ids.count)
        versions?.update(from: result.versions, count: result.versions.count)
    }
}

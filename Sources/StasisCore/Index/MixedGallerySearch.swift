/// Per-route score calibration: a search of one part through one route (query version → part
/// space) gives cosines whose level depends on the adapters on the way (an adapted query scores
/// lower than a native one for an equally good match). The rule: fit on a held-out sample of
/// queries the mean μ and standard deviation σ of all top-k scores of that route; a score s is
/// then compared across parts as z = (s − μ) / σ. Unfitted routes use the identity (z = s).
public struct ScoreCalibration: Codable, Sendable, Equatable {
    /// Mean of the held-out top-k scores.
    public let mean: Double
    /// Their standard deviation (floored at 1e-6).
    public let deviation: Double

    /// Standardised score.
    func apply(_ score: Float) -> Float { Float((Double(score) - mean) / deviation) }
}

/// Results of a mixed-gallery search: `count` queries × `k` hits, row-major, best first by the
/// calibrated score. Missing hits have id -1, score -infinity, version 0.
public struct MixedSearchResult: Sendable {
    /// Number of queries.
    public let count: Int
    /// Hits per query.
    public let k: Int
    /// Calibrated scores (comparable across parts; equal to cosines where no calibration is fitted).
    public var scores: [Float]
    /// Cosine similarity in the part's own space.
    public var cosines: [Float]
    /// Item ids.
    public var ids: [Int64]
    /// Model version of each hit.
    public var versions: [UInt32]
}

extension MixedGallery {
    /// Searches every non-empty part (or only the part of `space`) with `count` queries of
    /// `version` and merges the calibrated hits into one top-`k` list per query (ties: smaller id).
    /// - Throws: `.notFound` for an unregistered version or space; `.dimensionMismatch`;
    ///   `.incompatible` when a non-empty part cannot be reached from the query's space by any
    ///   bridge; `.invalidArgument` for k <= 0 or NaN/Inf/zero queries.
    public func search(
        _ queries: [Float], count: Int, dimension: Int, version: UInt32, k: Int, space: String? = nil,
        calibrated: Bool = true
    ) throws -> MixedSearchResult {
        guard k > 0, k <= 1 << 16 else { throw StasisError.invalid("k must be in 1...\(1 << 16), got \(k)") }
        guard count >= 0, count <= 1 << 24 else { throw StasisError.invalid("query count must be in 0...\(1 << 24), got \(count)") }
        guard count * k <= 1 << 28 else {
            throw StasisError.invalid("\(count) queries x k = \(k) results is too many for one call; split the batch")
        }
        return try lock.reading {
            let origin = try entry(version, role: "query")
            guard dimension == origin.dimension else {
                throw StasisError(.dimensionMismatch, "version \(version) queries have \(origin.dimension) dimensions, got \(dimension)")
            }
            let checked = try UnitRows(queries, count: count, dimension: dimension, role: "query").values
            if let space, parts[space] == nil { throw StasisError(.notFound, "space '\(space)' is not in the gallery") }
            var hits = Array(repeating: [(score: Float, cosine: Float, id: Int64, version: UInt32)](), count: count)
            for name in parts.keys.sorted() where space == nil || name == space {
                guard let part = parts[name], part.count > 0, count > 0 else { continue }
                guard let path = route(from: origin.space, to: name) else {
                    throw StasisError(.incompatible,
                        "no adapter path from version \(version) (space '\(origin.space)') to space '\(name)'; add an adapter or chain")
                }
                var mapped = checked
                for adapter in path { mapped = try adapter.apply(mapped, count: count) }
                let result = try part.search(mapped, count: count, dimension: part.dimension, k: k)
                let rule = calibrated ? calibration[RouteKey(version: version, space: name)] : nil
                for q in 0..<count {
                    for j in 0..<k where result.ids[q * k + j] >= 0 {
                        let cosine = result.scores[q * k + j]
                        hits[q].append((rule?.apply(cosine) ?? cosine, cosine, result.ids[q * k + j], result.versions[q * k + j]))
                    }
                }
            }
            var merged = MixedSearchResult(
                count: count, k: k, scores: Array(repeating: -.infinity, count: count * k),
                cosines: Array(repeating: -.infinity, count: count * k), ids: Array(repeating: -1, count: count * k),
                versions: Array(repeating: 0, count: count * k))
            for q in 0..<count {
                let best = hits[q].sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(k)
                for (j, hit) in best.enumerated() {
                    merged.scores[q * k + j] = hit.score
                    merged.cosines[q * k + j] = hit.cosine
                    merged.ids[q * k + j] = hit.id
                    merged.versions[q * k + j] = hit.version
                }
            }
            return merged
        }
    }

    /// Fits the calibration of every route from `version` to a non-empty part on held-out
    /// queries (not items of the gallery): mean and deviation of their top-`k` scores per part.
    /// Replaces earlier calibrations of these routes.
    /// - Throws: as `search`; `.invalidArgument` when fewer than 2 queries are given.
    public func calibrate(_ queries: [Float], count: Int, dimension: Int, version: UInt32, k: Int = 10) throws {
        guard count >= 2 else { throw StasisError.invalid("calibration needs at least 2 held-out queries, got \(count)") }
        var fitted: [RouteKey: ScoreCalibration] = [:]
        let names = lock.reading { parts.keys.sorted() }
        for name in names {
            let part = lock.reading { parts[name] }
            guard let part, part.count > 0 else { continue }
            let result = try search(queries, count: count, dimension: dimension, version: version, k: k, space: name, calibrated: false)
            let scores = result.cosines.filter { $0.isFinite }.map(Double.init)
            guard scores.count >= 2 else { continue }
            let mean = scores.reduce(0, +) / Double(scores.count)
            let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count - 1)
            fitted[RouteKey(version: version, space: name)] = ScoreCalibration(mean: mean, deviation: max(variance.squareRoot(), 1e-6))
        }
        lock.writing { calibration.merge(fitted) { $1 } }
    }

    /// Every fitted route rule, sorted by query version then space.
    public var calibrations: [(version: UInt32, space: String, rule: ScoreCalibration)] {
        lock.reading {
            calibration.sorted { ($0.key.version, $0.key.space) < ($1.key.version, $1.key.space) }
                .map { (version: $0.key.version, space: $0.key.space, rule: $0.value) }
        }
    }

    /// The fitted calibration of the route from `version` to `space`, nil when none is fitted.
    public func calibration(version: UInt32, space: String) -> ScoreCalibration? {
        lock.reading { calibration[RouteKey(version: version, space: space)] }
    }
}

extension MixedGallery {
    /// Fits the route from `version` to the part of `storedVersion` by **paired regression**
    /// instead of the z-score rule: with a paired sample (row j of `pairedQuery` and of
    /// `pairedStored` embed the same item in `version` and `storedVersion`), each held-out query
    /// is mapped along the route and its top-`k` paired items are found by adapted cosine a; their
    /// native cosine n (query against the item's `version` row) is the score a native search
    /// would have given. Least squares n ≈ α + β·a (β floored at 1e-3) then turns adapted cosines
    /// into predicted native cosines, and the query's own part keeps raw cosines (identity): all
    /// parts are ranked in the query model's units, and a noisy route is shrunk towards its mean.
    /// - Throws: `.notFound` (unregistered versions), `.invalidArgument` (both versions in one
    ///   space, fewer than 2 queries or pairs, bad values), `.dimensionMismatch`, `.incompatible`
    ///   (no bridge path).
    public func calibrate(
        _ queries: [Float], count: Int, dimension: Int, version: UInt32, storedVersion: UInt32,
        pairedQuery: [Float], pairedStored: [Float], pairCount: Int, k: Int = 10
    ) throws {
        guard count >= 2, pairCount >= 2 else {
            throw StasisError.invalid("paired calibration needs at least 2 held-out queries and 2 pairs, got \(count) and \(pairCount)")
        }
        guard k > 0, k <= 1024 else { throw StasisError.invalid("k must be in 1...1024, got \(k)") }
        let (origin, stored, path) = try lock.reading { () -> (Version, Version, [Adapter]) in
            let origin = try entry(version, role: "query")
            let stored = try entry(storedVersion, role: "stored")
            guard origin.space != stored.space else {
                throw StasisError.invalid("versions \(version) and \(storedVersion) share space '\(origin.space)'; nothing to calibrate")
            }
            guard let path = route(from: origin.space, to: stored.space) else {
                throw StasisError(.incompatible, "no adapter path from version \(version) to space '\(stored.space)'")
            }
            return (origin, stored, path)
        }
        guard dimension == origin.dimension else {
            throw StasisError(.dimensionMismatch, "version \(version) queries have \(origin.dimension) dimensions, got \(dimension)")
        }
        let q = try UnitRows(queries, count: count, dimension: dimension, role: "query").values
        let pq = try UnitRows(pairedQuery, count: pairCount, dimension: origin.dimension, role: "paired query row").values
        let ps = try UnitRows(pairedStored, count: pairCount, dimension: stored.dimension, role: "paired stored row").values
        var mapped = q
        for adapter in path { mapped = try adapter.apply(mapped, count: count) }
        let sample = try VersionedIndex(dimension: stored.dimension, factory: "Flat")
        try sample.add(ps, dimension: stored.dimension, ids: Array(0..<Int64(pairCount)), version: storedVersion)
        let top = min(k, pairCount)
        let hits = try sample.search(mapped, count: count, dimension: stored.dimension, k: top)
        var sa = 0.0, sn = 0.0, saa = 0.0, san = 0.0, m = 0.0
        for i in 0..<count {
            for j in 0..<top {
                let id = Int(hits.ids[i * top + j])
                guard id >= 0 else { continue }
                let a = Double(hits.scores[i * top + j])
                var n = 0.0
                for c in 0..<dimension { n += Double(q[i * dimension + c]) * Double(pq[id * dimension + c]) }
                sa += a; sn += n; saa += a * a; san += a * n; m += 1
            }
        }
        let varianceA = saa / m - (sa / m) * (sa / m)
        let beta = max(varianceA > 1e-12 ? (san / m - (sa / m) * (sn / m)) / varianceA : 0, 1e-3)
        let alpha = sn / m - beta * sa / m
        // z = α + β s written as (s − mean) / deviation.
        let rule = ScoreCalibration(mean: -alpha / beta, deviation: 1 / beta)
        lock.writing {
            calibration[RouteKey(version: version, space: stored.space)] = rule
            calibration[RouteKey(version: version, space: origin.space)] = ScoreCalibration(mean: 0, deviation: 1)
        }
    }
}

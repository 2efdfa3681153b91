/// Builds `BackfillPlan`s for the ids a gallery still holds on an old version.
///
/// The scored policies need the old vectors of those items (an index does not hand its vectors
/// back) and the forward adapter old → new; every id on the old version must be given exactly once.
public enum BackfillPlanner {
    /// Seeded random order (xorshift64* Fisher–Yates over the ascending ids).
    /// - Throws: `.notFound` for unregistered versions; `.invalidArgument` when they are equal.
    public static func random(gallery: MixedGallery, from: UInt32, to: UInt32, seed: UInt64 = 0) throws -> BackfillPlan {
        try checkVersions(gallery, from: from, to: to)
        var ids = gallery.ids(version: from)
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        if ids.count > 1 {
            for i in stride(from: ids.count - 1, to: 0, by: -1) { ids.swapAt(i, Int(next() % UInt64(i + 1))) }
        }
        return BackfillPlan(fromVersion: from, toVersion: to, policy: .random, order: ids, priorities: nil)
    }

    /// The caller's own order: `order` must hold every id on `from` exactly once (ids first are
    /// re-encoded first), so a policy computed elsewhere can be followed, resumed and measured.
    /// - Throws: `.notFound` for unregistered versions or ids not on `from`; `.invalidArgument`
    ///   for repeated or missing ids, or from == to.
    public static func custom(gallery: MixedGallery, from: UInt32, to: UInt32, order: [Int64]) throws -> BackfillPlan {
        try checkVersions(gallery, from: from, to: to)
        var seen = Set<Int64>(minimumCapacity: order.count)
        for (i, version) in gallery.versions(of: order).enumerated() {
            guard seen.insert(order[i]).inserted else { throw StasisError.invalid("id \(order[i]) is given twice") }
            guard version == from else { throw StasisError(.notFound, "id \(order[i]) is not on version \(from) in the gallery") }
        }
        if let missing = gallery.ids(version: from).first(where: { !seen.contains($0) }) {
            throw StasisError.invalid("id \(missing) is on version \(from) but not in the order; give every old item")
        }
        return BackfillPlan(fromVersion: from, toVersion: to, policy: .custom, order: order, priorities: nil)
    }

    /// Largest predicted adapter error first (see `AdapterErrorModel`).
    /// - Throws: as `scored`; plus the model's adapter must be the forward adapter from → to.
    public static func predictedError(
        gallery: MixedGallery, from: UInt32, to: UInt32, ids: [Int64], vectors: [Float], dimension: Int,
        model: AdapterErrorModel
    ) throws -> BackfillPlan {
        try checkAdapter(model.adapter, from: from, to: to, dimension: dimension)
        return try scored(gallery, from: from, to: to, ids: ids, vectors: vectors, dimension: dimension, policy: .predictedError) {
            try model.predict($0, count: ids.count)
        }
    }

    /// Farthest from their neighbourhood after the transform first: each old vector x is mapped
    /// by the forward adapter, and scored 1 − mean cosine of F(x) to its `neighbours` nearest
    /// other mapped items.
    /// - Throws: as `scored`; `.invalidArgument` for neighbours outside 1...1024.
    public static func neighbourhood(
        gallery: MixedGallery, from: UInt32, to: UInt32, ids: [Int64], vectors: [Float], dimension: Int,
        adapter: Adapter, neighbours: Int = 10
    ) throws -> BackfillPlan {
        try checkAdapter(adapter, from: from, to: to, dimension: dimension)
        guard (1...1024).contains(neighbours) else { throw StasisError.invalid("neighbours must be in 1...1024, got \(neighbours)") }
        return try scored(gallery, from: from, to: to, ids: ids, vectors: vectors, dimension: dimension, policy: .neighbourhood) { rows in
            try mappedNeighbours(rows, count: ids.count, adapter: adapter, neighbours: neighbours, version: to).map { $0.isEmpty ? 1 : 1 - $0.map(\.cosine).reduce(0, +) / Double($0.count) }
        }
    }

    /// Hubs first: each old vector x is mapped by the forward adapter and scored by its
    /// **in-degree** in the `neighbours`-nearest-neighbour graph of the mapped items (how many
    /// other items count F(x) among their nearest), ties by density (mean cosine of F(x) to its
    /// own nearest). The items most often near others are the likeliest top hits of queries, so
    /// re-encoding them first moves the answers that matter into the new space early; ordering
    /// by in-degree also spreads the first batches over every dense region (docs/gallery.md).
    /// - Throws: as `neighbourhood`.
    public static func hubs(
        gallery: MixedGallery, from: UInt32, to: UInt32, ids: [Int64], vectors: [Float], dimension: Int,
        adapter: Adapter, neighbours: Int = 10
    ) throws -> BackfillPlan {
        try checkAdapter(adapter, from: from, to: to, dimension: dimension)
        guard (1...1024).contains(neighbours) else { throw StasisError.invalid("neighbours must be in 1...1024, got \(neighbours)") }
        return try scored(gallery, from: from, to: to, ids: ids, vectors: vectors, dimension: dimension, policy: .hubs) { rows in
            let lists = try mappedNeighbours(rows, count: ids.count, adapter: adapter, neighbours: neighbours, version: to)
            var indegree = [Int](repeating: 0, count: ids.count)
            for list in lists { for hit in list { indegree[hit.row] += 1 } }
            return (0..<ids.count).map { i in
                let density = lists[i].isEmpty ? 0 : lists[i].map(\.cosine).reduce(0, +) / Double(lists[i].count)
                return Double(indegree[i]) + 0.49 * (1 + min(max(density, -1), 1))
            }
        }
    }

    /// For each of `count` unit rows, its `neighbours` nearest other rows after the forward
    /// adapter (row number and cosine), found exactly.
    static func mappedNeighbours(
        _ rows: [Float], count: Int, adapter: Adapter, neighbours: Int, version: UInt32
    ) throws -> [[(row: Int, cosine: Double)]] {
        let mapped = try adapter.apply(rows, count: count)
        let index = try VersionedIndex(dimension: adapter.targetDimension, factory: "Flat")
        try index.add(mapped, dimension: adapter.targetDimension, ids: Array(0..<Int64(count)), version: version)
        let k = min(neighbours + 1, count)
        let result = try index.search(mapped, count: count, dimension: adapter.targetDimension, k: k)
        return (0..<count).map { i in
            var list: [(row: Int, cosine: Double)] = []
            for j in 0..<k where result.ids[i * k + j] >= 0 && result.ids[i * k + j] != Int64(i) && list.count < neighbours {
                list.append((Int(result.ids[i * k + j]), Double(result.scores[i * k + j])))
            }
            return list
        }
    }

    /// Orders `ids` by descending score (ties: smaller id first).
    /// - Throws: `.notFound` for unregistered versions or ids not on `from`; `.invalidArgument`
    ///   for repeated ids, an id of `from` left out, NaN/Inf rows; `.dimensionMismatch`.
    static func scored(
        _ gallery: MixedGallery, from: UInt32, to: UInt32, ids: [Int64], vectors: [Float], dimension: Int,
        policy: BackfillPolicy, score: ([Float]) throws -> [Double]
    ) throws -> BackfillPlan {
        try checkVersions(gallery, from: from, to: to)
        let registered = gallery.versions.first { $0.version == from }
        guard dimension == registered?.dimension else {
            throw StasisError(.dimensionMismatch, "version \(from) vectors have \(registered?.dimension ?? 0) dimensions, got \(dimension)")
        }
        let (expected, overflow) = ids.count.multipliedReportingOverflow(by: dimension)
        guard !overflow, vectors.count == expected else {
            throw StasisError(.dimensionMismatch, "\(vectors.count) values for \(ids.count) vectors of \(dimension)")
        }
        var seen = Set<Int64>()
        for (i, version) in gallery.versions(of: ids).enumerated() {
            guard seen.insert(ids[i]).inserted else { throw StasisError.invalid("id \(ids[i]) is given twice") }
            guard version == from else {
                throw StasisError(.notFound, "id \(ids[i]) is not on version \(from) in the gallery")
            }
        }
        let onOld = gallery.ids(version: from)
        if let missing = onOld.first(where: { !seen.contains($0) }) {
            throw StasisError.invalid("id \(missing) is on version \(from) but its vector was not given; give every old item")
        }
        guard !ids.isEmpty else {
            return BackfillPlan(fromVersion: from, toVersion: to, policy: policy, order: [], priorities: [])
        }
        let rows = try UnitRows(vectors, count: ids.count, dimension: dimension, role: "old vector").values
        let scores = try score(rows)
        let ranked = zip(ids, scores).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return BackfillPlan(fromVersion: from, toVersion: to, policy: policy, order: ranked.map(\.0), priorities: ranked.map(\.1))
    }

    static func checkVersions(_ gallery: MixedGallery, from: UInt32, to: UInt32) throws {
        guard from != to else { throw StasisError.invalid("backfill from version \(from) to itself") }
        let known = Set(gallery.versions.map(\.version))
        for (role, version) in [("from", from), ("to", to)] where !known.contains(version) {
            throw StasisError(.notFound, "\(role) version \(version) is not registered in the gallery")
        }
    }

    static func checkAdapter(_ adapter: Adapter, from: UInt32, to: UInt32, dimension: Int) throws {
        guard adapter.sourceVersion == from, adapter.targetVersion == to else {
            throw StasisError(.incompatible,
                "the planner needs the forward adapter \(from)->\(to); got \(adapter.sourceVersion)->\(adapter.targetVersion)")
        }
        guard adapter.sourceDimension == dimension else {
            throw StasisError(.dimensionMismatch, "adapter reads \(adapter.sourceDimension) dimensions, vectors have \(dimension)")
        }
    }
}

/// Predicts how badly a forward adapter serves an item from its old vector alone: a ridge
/// regression (with intercept) from the unit old vector x to the residual norm ‖F(x) − y‖ of the
/// unit new vector y, fitted on the paired sample. Immutable once fitted.
public struct AdapterErrorModel: Sendable {
    /// The forward adapter whose error is predicted.
    public let adapter: Adapter
    let weights: [Double]
    let intercept: Double
    /// Mean residual norm on the paired sample.
    public let meanResidual: Double

    /// - Throws: `.invalidArgument` for fewer than 2 pairs, NaN/Inf rows, ridge <= 0;
    ///   `.dimensionMismatch` when the buffers do not match the adapter's widths.
    public static func fit(
        adapter: Adapter, source: [Float], target: [Float], count: Int, ridge: Double = 1.0
    ) throws -> AdapterErrorModel {
        guard count >= 2 else { throw StasisError.invalid("the error model needs at least 2 pairs, got \(count)") }
        guard ridge.isFinite, ridge > 0 else { throw StasisError.invalid("ridge must be finite and > 0, got \(ridge)") }
        let ds = adapter.sourceDimension, dt = adapter.targetDimension
        let mapped = try adapter.apply(source, count: count)
        let x = try UnitRows(source, count: count, dimension: ds, role: "source row").values
        guard target.count == count * dt else {
            throw StasisError(.dimensionMismatch, "target holds \(target.count) values, expected \(count) x \(dt)")
        }
        let y = try UnitRows(target, count: count, dimension: dt, role: "target row").values
        var residual = [Double](repeating: 0, count: count)
        for i in 0..<count {
            var sum = 0.0
            for j in 0..<dt { let d = Double(mapped[i * dt + j] - y[i * dt + j]); sum += d * d }
            residual[i] = sum.squareRoot()
        }
        let meanR = residual.reduce(0, +) / Double(count)
        let matrix = DenseMatrix(rows: count, columns: ds, values: x.map(Double.init))
        let means = matrix.columnMeans
        let centered = matrix.centered(means)
        var gram = centered.multiplied(transposed: true, by: centered)
        for i in 0..<ds { gram[i, i] += ridge }
        let rhs = centered.multiplied(transposed: true, by: DenseMatrix(rows: count, columns: 1, values: residual.map { $0 - meanR }))
        let w: [Double] = try Lapack.solveSymmetricPositiveDefinite(gram, rhs).values
        var intercept = meanR
        for j in 0..<ds { intercept -= w[j] * means[j] }
        return AdapterErrorModel(adapter: adapter, weights: w, intercept: intercept, meanResidual: meanR)
    }

    /// Predicted residual norm of each of `count` unit rows.
    func predict(_ rows: [Float], count: Int) throws -> [Double] {
        let d = weights.count
        return (0..<count).map { i in
            var sum = intercept
            for j in 0..<d { sum += weights[j] * Double(rows[i * d + j]) }
            return sum
        }
    }

    /// Predicted residual norm of each of `count` old vectors (`adapter.sourceDimension` wide).
    public func predict(_ vectors: [Float], count rows: Int, dimension: Int) throws -> [Double] {
        guard dimension == weights.count, vectors.count == rows * dimension else {
            throw StasisError(.dimensionMismatch, "the error model reads \(weights.count)-dimensional rows")
        }
        return try predict(try UnitRows(vectors, count: rows, dimension: dimension, role: "vector").values, count: rows)
    }
}

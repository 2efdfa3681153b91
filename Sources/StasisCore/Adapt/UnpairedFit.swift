import COpenBLAS

/// Fitting an adapter when no item has both embeddings (vectors made on clients, an old model that
/// cannot run any more), in the spirit of mini-vec2vec (arXiv 2510.02348): k-means anchors in both
/// spaces, anchors matched by the shape of their similarity structure, an orthogonal map fitted on
/// the matched anchors, then refined on nearest-neighbour pseudo-pairs. Nothing ties an item to
/// its other embedding, so the result can only be as good as the two spaces are isometric; the
/// adapter records `unpaired` and its validation has no held-out pairs (docs/adapters.md).
extension Adapter {
    /// Rows of each side used by the refinement's nearest-neighbour search (a seeded sample).
    static let unpairedSample = 3_000
    /// Target rows averaged into each pseudo-pair (their mean is less noisy than one neighbour).
    static let unpairedNeighbours = 5
    /// Source rows whose neighbours make each refinement round's pseudo-pairs.
    static let unpairedRoundRows = 1_500

    /// Fits an `orthogonal`-kind adapter (y = x W + b, W semi-orthogonal) from `sourceRows`
    /// source vectors and `targetRows` target vectors of *different* items.
    /// Options used: `clusters` (anchors per side; default min(64, rows / 16)), `epochs`
    /// (refinement rounds, default 20 — the field's default), `seed`, the spaces.
    /// - Throws: `.invalidArgument` for too few rows (8 per anchor on each side, and at least
    ///   the smaller dimension), NaN/Inf or zero rows, equal versions, bad options;
    ///   `.dimensionMismatch` for buffers of the wrong size.
    public static func fitUnpaired(
        sourceVersion: UInt32, targetVersion: UInt32,
        source: [Float], sourceRows: Int, sourceDimension: Int,
        target: [Float], targetRows: Int, targetDimension: Int,
        options: AdapterFitOptions = AdapterFitOptions()
    ) throws -> Adapter {
        guard sourceVersion != targetVersion else {
            throw StasisError.invalid("source and target versions are both \(sourceVersion); an adapter maps between two versions")
        }
        for (name, rows, dimension, values) in [("source", sourceRows, sourceDimension, source), ("target", targetRows, targetDimension, target)] {
            guard (1...maxDimension).contains(dimension) else {
                throw StasisError.invalid("\(name) dimension must be in 1...\(maxDimension), got \(dimension)")
            }
            let (expected, overflow) = rows.multipliedReportingOverflow(by: dimension)
            guard rows >= 0, !overflow, values.count == expected else {
                throw StasisError(.dimensionMismatch, "\(name) buffer holds \(values.count) floats, expected \(rows) x \(dimension)")
            }
        }
        guard options.epochs >= 1, options.epochs <= 10_000 else {
            throw StasisError.invalid("epochs (refinement rounds) must be in 1...10000, got \(options.epochs)")
        }
        let smaller = min(sourceRows, targetRows)
        let anchors = options.clusters ?? max(2, min(64, smaller / 16))
        guard anchors >= 2, anchors <= 4096 else { throw StasisError.invalid("clusters (anchors) must be in 2...4096, got \(anchors)") }
        let needed = max(8 * anchors, min(sourceDimension, targetDimension))
        guard smaller >= needed else {
            throw StasisError.invalid(
                "too few rows: an unpaired fit with \(anchors) anchors \(sourceDimension) -> \(targetDimension) needs at least \(needed) "
                + "rows on each side, got \(sourceRows) source and \(targetRows) target rows")
        }
        let x = try UnitRows(source, count: sourceRows, dimension: sourceDimension, role: "source row")
        let y = try UnitRows(target, count: targetRows, dimension: targetDimension, role: "target row")
        var generator = SeededGenerator(seed: options.seed)
        let xs = sampleRows(x.values, rows: sourceRows, dimension: sourceDimension, limit: unpairedSample, &generator)
        let ys = sampleRows(y.values, rows: targetRows, dimension: targetDimension, limit: unpairedSample, &generator)
        let meanX = xs.columnMeans, meanY = ys.columnMeans
        let xc = xs.centered(meanX), yc = ys.centered(meanY)

        // Anchors: centroids of each side, matched by their similarity structure.
        let sourceAnchors = try anchorMatrix(xc, k: anchors, seed: options.seed)
        let targetAnchors = try anchorMatrix(yc, k: anchors, seed: options.seed &+ 1)
        let matching = AnchorMatching.match(sourceAnchors.multiplied(by: sourceAnchors, otherTransposed: true),
                                            targetAnchors.multiplied(by: targetAnchors, otherTransposed: true))
        var matched = DenseMatrix(zeros: anchors, targetAnchors.columns)
        for i in 0..<anchors {
            for c in 0..<targetAnchors.columns { matched[i, c] = targetAnchors[matching[i], c] }
        }
        // Relative representations: each row described by its cosines to the matched anchors,
        // comparable across the two spaces; nearest neighbours there give full-rank pseudo-pairs.
        let sourceRelative = relative(xc, to: sourceAnchors), targetRelative = relative(yc, to: matched)
        var w = try polar(xc.multiplied(transposed: true, by: neighbourMeans(
            queries: sourceRelative, keys: targetRelative, values: yc, k: unpairedNeighbours)))

        // Refinement: pseudo-pairs from each mapped source row's nearest target rows, on a fresh
        // subset of source rows each round; the map moves halfway to each round's fit.
        let targetKeys = floats(yc)
        for _ in 0..<options.epochs {
            var subset = Array(0..<xc.rows)
            subset.shuffle(using: &generator)
            let chosen = rows(of: floats(xc), Array(subset.prefix(unpairedRoundRows)).sorted(), xc.columns)
            let mapped = floats(chosen.multiplied(by: w))
            let pseudo = neighbourMeans(queries: mapped, keys: targetKeys, values: yc, k: unpairedNeighbours)
            let next = try polar(chosen.multiplied(transposed: true, by: pseudo))
            var blended = w
            for i in blended.values.indices { blended.values[i] = 0.5 * (w.values[i] + next.values[i]) }
            w = try polar(blended)
        }
        var settings = AdapterSettings()
        settings.clusters = anchors
        settings.epochs = options.epochs
        settings.unpaired = true
        return Adapter(
            kind: .orthogonal, sourceVersion: sourceVersion, targetVersion: targetVersion,
            sourceDimension: sourceDimension, targetDimension: targetDimension, settings: settings,
            sourceSpace: options.sourceSpace, targetSpace: options.targetSpace,
            validation: AdapterValidation(trainPairs: 0, validationPairs: 0, meanCosine: nil, recallAt1: nil),
            map: .layers([linear(w, bias: bias(w, meanX, meanY))]))
    }

    /// U Vᵀ of the thin SVD of m: the nearest (semi-)orthogonal matrix.
    private static func polar(_ m: DenseMatrix) throws -> DenseMatrix {
        let (u, _, vt) = try Lapack.svd(m)
        return u.multiplied(by: vt)
    }

    /// Centroids of the centred rows' directions (k-means on the unit sphere).
    private static func anchorMatrix(_ rows: DenseMatrix, k: Int, seed: UInt64) throws -> DenseMatrix {
        var values = floats(rows)
        for r in 0..<rows.rows {
            var norm: Float = 0
            for c in 0..<rows.columns { norm += values[r * rows.columns + c] * values[r * rows.columns + c] }
            let scale = norm > 0 ? 1 / norm.squareRoot() : 0
            for c in 0..<rows.columns { values[r * rows.columns + c] *= scale }
        }
        let centroids = try SphericalKMeans.centroids(of: values, rows: rows.rows, dimension: rows.columns, k: k, seed: seed)
        return DenseMatrix(rows: k, columns: rows.columns, values: centroids.map(Double.init))
    }

    /// Rows as unit vectors of their cosines to `anchors` (centred per anchor first, so a
    /// direction every row shares does not dominate).
    private static func relative(_ rows: DenseMatrix, to anchors: DenseMatrix) -> [Float] {
        let similarities = unitRows(rows).multiplied(by: anchors, otherTransposed: true)
        return floats(unitRows(similarities.centered(similarities.columnMeans)))
    }

    /// Rows scaled to unit length; a zero row stays zero (centred rows may be, and are then
    /// simply similar to nothing).
    private static func unitRows(_ matrix: DenseMatrix) -> DenseMatrix {
        var result = matrix
        for r in 0..<matrix.rows {
            var norm = 0.0
            for c in 0..<matrix.columns { norm += matrix[r, c] * matrix[r, c] }
            let scale = norm > 0 ? 1 / norm.squareRoot() : 0
            for c in 0..<matrix.columns { result[r, c] *= scale }
        }
        return result
    }

    /// For each row of `queries` (n × w floats), the mean of the `values` rows whose `keys`
    /// rows (m × w floats) have the k largest inner products with it. Blocked sgemm.
    private static func neighbourMeans(queries: [Float], keys: [Float], values: DenseMatrix, k: Int) -> DenseMatrix {
        let width = keys.count / values.rows, poolSize = values.rows
        let count = queries.count / width
        let take = min(k, poolSize), block = 256
        var result = DenseMatrix(zeros: count, values.columns)
        var scores = [Float](repeating: 0, count: block * poolSize)
        for start in stride(from: 0, to: count, by: block) {
            let rowsHere = min(block, count - start)
            queries.withUnsafeBufferPointer { q in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rowsHere), Int32(poolSize), Int32(width),
                            1, q.baseAddress! + start * width, Int32(width), keys, Int32(width), 0, &scores, Int32(poolSize))
            }
            for r in 0..<rowsHere {
                var best = [(score: Float, index: Int)](repeating: (-.infinity, 0), count: take)
                for j in 0..<poolSize {
                    let s = scores[r * poolSize + j]
                    guard s > best[take - 1].score else { continue }
                    var position = take - 1
                    while position > 0 && best[position - 1].score < s {
                        best[position] = best[position - 1]
                        position -= 1
                    }
                    best[position] = (s, j)
                }
                for (_, j) in best {
                    for c in 0..<values.columns { result[start + r, c] += values[j, c] / Double(take) }
                }
            }
        }
        return result
    }

    private static func sampleRows(_ values: [Float], rows: Int, dimension: Int, limit: Int,
                                   _ generator: inout SeededGenerator) -> DenseMatrix {
        var indices = Array(0..<rows)
        if rows > limit {
            indices.shuffle(using: &generator)
            indices = Array(indices.prefix(limit)).sorted()
        }
        return Self.rows(of: values, indices, dimension)
    }
}

/// Matching the anchors of two spaces without pairs: anchor i of the source is taken to be anchor
/// π(i) of the target when π maximises Σ_ij S[i,j] T[π(i),π(j)] (S, T the anchors' cosine
/// matrices): a quadratic assignment, started from the most similar sorted similarity profiles
/// and improved by pairwise swaps until none helps.
enum AnchorMatching {
    static func match(_ s: DenseMatrix, _ t: DenseMatrix) -> [Int] {
        let k = s.rows
        func profile(_ m: DenseMatrix, _ i: Int) -> [Double] {
            (0..<k).filter { $0 != i }.map { m[i, $0] }.sorted(by: >)
        }
        let sourceProfiles = (0..<k).map { profile(s, $0) }, targetProfiles = (0..<k).map { profile(t, $0) }
        // Greedy assignment on profile distance: closest remaining pair first.
        var candidates: [(Double, Int, Int)] = []
        for i in 0..<k {
            for j in 0..<k {
                let distance = zip(sourceProfiles[i], targetProfiles[j]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                candidates.append((distance, i, j))
            }
        }
        candidates.sort { $0.0 < $1.0 }
        var assignment = [Int](repeating: -1, count: k)
        var taken = [Bool](repeating: false, count: k)
        for (_, i, j) in candidates where assignment[i] < 0 && !taken[j] {
            assignment[i] = j
            taken[j] = true
        }
        // 2-opt: swap the targets of two anchors while that raises the objective.
        func gain(_ a: Int, _ b: Int) -> Double {
            let pa = assignment[a], pb = assignment[b]
            var delta = 0.0
            for c in 0..<k where c != a && c != b {
                let pc = assignment[c]
                delta += 2 * (s[a, c] * (t[pb, pc] - t[pa, pc]) + s[b, c] * (t[pa, pc] - t[pb, pc]))
            }
            return delta
        }
        for _ in 0..<50 {
            var improved = false
            for a in 0..<k {
                for b in (a + 1)..<k where gain(a, b) > 1e-12 {
                    assignment.swapAt(a, b)
                    improved = true
                }
            }
            if !improved { break }
        }
        return assignment
    }
}

/// Closed-form fitting of adapters on paired samples: row i of `source` and row i of `target`
/// are the same item embedded by the two models. Rows are L2-normalised first (as `apply` does),
/// a seeded shuffle holds out a validation split, the map is fitted in double precision on the
/// rest, and the held-out pairs are scored (see AdapterValidation). Nothing is written anywhere.
extension Adapter {
    /// Largest dimension an adapter accepts on either side.
    public static let maxDimension = 1 << 16

    /// Fits an adapter of `kind` mapping `sourceVersion` vectors to `targetVersion` vectors.
    /// - Parameters: `source` is sourceRows × sourceDimension, `target` targetRows × targetDimension,
    ///   both row-major float32.
    /// - Throws: `.invalidArgument` for mismatched row counts, equal versions, NaN/Inf or zero
    ///   rows (named), bad options, or too few training pairs for the kind's parameters (the
    ///   message gives the minimum); `.unsupported` for planned kinds; `.dimensionMismatch` when a
    ///   buffer does not hold rows × dimension values.
    public static func fit(
        kind: AdapterKind, sourceVersion: UInt32, targetVersion: UInt32,
        source: [Float], sourceRows: Int, sourceDimension: Int,
        target: [Float], targetRows: Int, targetDimension: Int,
        options: AdapterFitOptions = AdapterFitOptions()
    ) throws -> Adapter {
        guard sourceRows == targetRows else {
            throw StasisError.invalid(
                "paired samples need the same number of rows: source has \(sourceRows), target has \(targetRows)")
        }
        guard sourceVersion != targetVersion else {
            throw StasisError.invalid("source and target versions are both \(sourceVersion); an adapter maps between two versions")
        }
        for (name, dimension) in [("source", sourceDimension), ("target", targetDimension)] {
            guard (1...maxDimension).contains(dimension) else {
                throw StasisError.invalid("\(name) dimension must be in 1...\(maxDimension), got \(dimension)")
            }
        }
        for (name, values, dimension) in [("source", source, sourceDimension), ("target", target, targetDimension)] {
            let (expected, overflow) = sourceRows.multipliedReportingOverflow(by: dimension)
            guard !overflow, values.count == expected else {
                throw StasisError(.dimensionMismatch,
                    "\(name) buffer holds \(values.count) floats, expected \(sourceRows) x \(dimension)")
            }
        }
        try check(options, kind: kind, sourceDimension: sourceDimension, targetDimension: targetDimension)
        let x = try UnitRows(source, count: sourceRows, dimension: sourceDimension, role: "source row")
        let y = try UnitRows(target, count: targetRows, dimension: targetDimension, role: "target row")

        let split = Split(count: sourceRows, fraction: options.validationFraction, seed: options.seed)
        let rank = kind == .lowrank ? options.rank ?? max(1, min(sourceDimension, targetDimension) / 2) : nil
        let needed = minimumTrainingPairs(kind, sourceDimension: sourceDimension, targetDimension: targetDimension)
        guard split.train.count >= needed else {
            throw StasisError.invalid(
                "too few pairs: a \(kind.rawValue) adapter \(sourceDimension) -> \(targetDimension) needs at least \(needed) "
                + "training pairs, got \(split.train.count) (\(sourceRows) pairs, \(split.validation.count) held out)")
        }
        let trainX = rows(of: x.values, split.train, sourceDimension)
        let trainY = rows(of: y.values, split.train, targetDimension)
        var settings = AdapterSettings()
        let map: AdapterMap
        switch kind {
        case .procrustes:
            map = .layers([try procrustes(trainX, trainY)])
        case .ridge:
            settings.ridge = options.ridge
            map = .layers([try ridgeLayer(trainX, trainY, alpha: options.ridge)])
        case .lowrank:
            settings.ridge = options.ridge
            settings.rank = rank
            map = .layers(try lowRank(trainX, trainY, alpha: options.ridge, rank: rank ?? 1))
        case .orthogonal:
            settings.ridge = options.ridge
            settings.orthogonality = options.orthogonality
            map = .layers([try orthogonalAffine(trainX, trainY, alpha: options.ridge, lambda: options.orthogonality)])
        case .local:
            let clusters = options.clusters ?? defaultClusters(trainingPairs: split.train.count)
            settings.clusters = clusters
            settings.routing = min(options.routing, clusters)
            settings.temperature = Double(LocalMap.defaultTemperature)
            map = .local(try localMap(trainX, trainY, clusters: clusters, routing: min(options.routing, clusters),
                                      seed: options.seed))
        case .mlp:
            settings.ridge = options.ridge
            settings.hidden = options.hidden
            settings.epochs = options.epochs
            map = .layers(try residualMLP(trainX, trainY, options: options))
        }
        let unscored = Adapter(
            kind: kind, sourceVersion: sourceVersion, targetVersion: targetVersion, sourceDimension: sourceDimension,
            targetDimension: targetDimension, settings: settings,
            sourceSpace: options.sourceSpace, targetSpace: options.targetSpace,
            validation: AdapterValidation(trainPairs: split.train.count, validationPairs: 0, meanCosine: nil, recallAt1: nil),
            map: map)
        guard !split.validation.isEmpty else { return unscored }
        let heldOutX = floats(rows(of: x.values, split.validation, sourceDimension))
        let heldOutY = floats(rows(of: y.values, split.validation, targetDimension))
        let mapped = try unscored.apply(heldOutX, count: split.validation.count)
        let scores = ValidationScores.measure(mapped: mapped, truth: heldOutY, count: split.validation.count, dimension: targetDimension)
        return unscored.validated(AdapterValidation(
            trainPairs: split.train.count, validationPairs: split.validation.count,
            meanCosine: scores.meanCosine, recallAt1: scores.recallAt1))
    }

    /// Training pairs below which the fit is not determined by the data: one equation per
    /// unknown of each output column (d_source + 1 with the bias) for the affine kinds, and
    /// min(d_source, d_target) for Procrustes (the rank its cross-covariance needs).
    public static func minimumTrainingPairs(_ kind: AdapterKind, sourceDimension: Int, targetDimension: Int) -> Int {
        switch kind {
        case .procrustes: min(sourceDimension, targetDimension)
        case .ridge, .lowrank, .orthogonal, .mlp: sourceDimension + 1
        // Each cluster's rotation leans on the global one, so the clusters need pairs to place
        // their centroids, not to determine a rotation each: 8 per cluster, and the global minimum.
        case .local: max(min(sourceDimension, targetDimension), 2 * 8)
        }
    }

    private static func check(_ options: AdapterFitOptions, kind: AdapterKind, sourceDimension: Int, targetDimension: Int) throws {
        guard options.ridge.isFinite, options.ridge > 0 else {
            throw StasisError.invalid("ridge must be a finite number > 0, got \(options.ridge)")
        }
        guard options.validationFraction.isFinite, options.validationFraction >= 0, options.validationFraction < 1 else {
            throw StasisError.invalid("validation fraction must be in [0, 1), got \(options.validationFraction)")
        }
        guard options.orthogonality.isFinite, options.orthogonality > 0 else {
            throw StasisError.invalid("orthogonality must be a finite number > 0, got \(options.orthogonality)")
        }
        guard options.routing >= 1 else { throw StasisError.invalid("routing must be >= 1, got \(options.routing)") }
        guard (1...65_536).contains(options.hidden) else {
            throw StasisError.invalid("hidden width must be in 1...65536, got \(options.hidden)")
        }
        guard (1...10_000).contains(options.epochs) else {
            throw StasisError.invalid("epochs must be in 1...10000, got \(options.epochs)")
        }
        if let clusters = options.clusters {
            guard kind == .local else { throw StasisError.invalid("clusters apply to local adapters only, not \(kind.rawValue)") }
            guard (2...4096).contains(clusters) else { throw StasisError.invalid("clusters must be in 2...4096, got \(clusters)") }
        }
        if let rank = options.rank {
            guard kind == .lowrank else { throw StasisError.invalid("rank applies to lowrank adapters only, not \(kind.rawValue)") }
            let limit = min(sourceDimension, targetDimension)
            guard (1...limit).contains(rank) else {
                throw StasisError.invalid("rank must be in 1...\(limit) (the smaller dimension), got \(rank)")
            }
        }
    }

    // MARK: The three closed forms (row vectors: y ≈ x · W + b, W d_source × d_target)

    /// W = U Vᵀ from the thin SVD Xᵀ Y = U Σ Vᵀ: the (semi-)orthogonal W maximising trace(Wᵀ Xᵀ Y),
    /// i.e. minimising ‖X W − Y‖ over matrices with orthonormal rows or columns. No centring, no
    /// bias: the map stays a rotation (plus a projection or embedding when the dimensions differ).
    static func procrustes(_ x: DenseMatrix, _ y: DenseMatrix) throws -> Layer {
        let cross = x.multiplied(transposed: true, by: y)
        let (u, _, vt) = try Lapack.svd(cross)
        return linear(u.multiplied(by: vt), bias: nil)
    }

    /// W = (Xcᵀ Xc + n α I)⁻¹ Xcᵀ Yc on column-centred rows (Cholesky), b = ȳ − x̄ W.
    static func ridgeMap(_ x: DenseMatrix, _ y: DenseMatrix, alpha: Double) throws -> (DenseMatrix, [Double], [Double]) {
        let meanX = x.columnMeans, meanY = y.columnMeans
        let xc = x.centered(meanX), yc = y.centered(meanY)
        var gram = xc.multiplied(transposed: true, by: xc)
        let shift = alpha * Double(x.rows)
        for i in 0..<gram.rows { gram[i, i] += shift }
        let w = try Lapack.solveSymmetricPositiveDefinite(gram, xc.multiplied(transposed: true, by: yc))
        return (w, meanX, meanY)
    }

    private static func ridgeLayer(_ x: DenseMatrix, _ y: DenseMatrix, alpha: Double) throws -> Layer {
        let (w, meanX, meanY) = try ridgeMap(x, y, alpha: alpha)
        return linear(w, bias: bias(w, meanX, meanY))
    }

    /// Ridge W, then its best rank-r approximation W_r = U_r Σ_r V_rᵀ (Eckart–Young), stored as
    /// two layers: down = (U_r Σ_r)ᵀ (r × d_source), up = V_r (d_target × r); b = ȳ − x̄ W_r.
    private static func lowRank(_ x: DenseMatrix, _ y: DenseMatrix, alpha: Double, rank: Int) throws -> [Layer] {
        let (w, meanX, meanY) = try ridgeMap(x, y, alpha: alpha)
        let (u, s, vt) = try Lapack.svd(w)
        var down = DenseMatrix(zeros: w.rows, rank)      // U_r Σ_r, d_source × r
        for i in 0..<w.rows {
            for j in 0..<rank { down[i, j] = u[i, j] * s[j] }
        }
        var up = DenseMatrix(zeros: rank, w.columns)      // V_rᵀ, r × d_target
        for j in 0..<rank {
            for c in 0..<w.columns { up[j, c] = vt[j, c] }
        }
        let truncated = down.multiplied(by: up)
        return [linear(down, bias: nil), linear(up, bias: bias(truncated, meanX, meanY))]
    }

    /// b = ȳ − x̄ W.
    static func bias(_ w: DenseMatrix, _ meanX: [Double], _ meanY: [Double]) -> [Double] {
        let projected = DenseMatrix(rows: 1, columns: meanX.count, values: meanX).multiplied(by: w)
        return zip(meanY, projected.values).map { $0 - $1 }
    }

    /// A linear layer for y = x · W + b (W d_in × d_out), stored in PyTorch's out × in layout.
    static func linear(_ w: DenseMatrix, bias: [Double]?) -> Layer {
        .linear(weight: floats(w.transposed.values), bias: bias.map(floats), inputs: w.rows, outputs: w.columns)
    }

    static func rows(of values: [Float], _ indices: [Int], _ dimension: Int) -> DenseMatrix {
        var result = DenseMatrix(zeros: indices.count, dimension)
        for (r, index) in indices.enumerated() {
            for c in 0..<dimension { result.values[r * dimension + c] = Double(values[index * dimension + c]) }
        }
        return result
    }

    static func floats(_ values: [Double]) -> [Float] { values.map { Float($0) } }
    static func floats(_ matrix: DenseMatrix) -> [Float] { floats(matrix.values) }
}

/// The reproducible train / held-out split: a seeded Fisher–Yates shuffle of 0..<count (SplitMix64);
/// the first ⌊fraction · count⌋ rows of the shuffle are held out (at least one when fraction > 0,
/// at most count − 1); the training rows are returned in ascending order, the held-out rows in
/// shuffled order.
struct Split {
    let train: [Int]
    let validation: [Int]

    init(count: Int, fraction: Double, seed: UInt64) {
        guard fraction > 0, count > 1 else {
            train = Array(0..<count)
            validation = []
            return
        }
        let held = min(count - 1, max(1, Int((Double(count) * fraction).rounded(.down))))
        var order = Array(0..<count)
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(next() % UInt64(i + 1)))
        }
        validation = Array(order[0..<held])  // shuffled: R@1 may score a prefix (ValidationScores)
        train = order[held...].sorted()
    }
}

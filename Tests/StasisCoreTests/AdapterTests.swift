import Testing
@testable import StasisCore

@Suite struct AdapterTests {
    private func unit(_ values: [Float], _ count: Int, _ dimension: Int) throws -> [Float] {
        try UnitRows(values, count: count, dimension: dimension, role: "row").values
    }

    /// y = x · M (row vectors), M given row-major d_in × d_out.
    private func multiply(_ x: [Float], _ count: Int, _ m: [Float], _ dIn: Int, _ dOut: Int) -> [Float] {
        var y = [Float](repeating: 0, count: count * dOut)
        for r in 0..<count {
            for j in 0..<dOut {
                var sum: Float = 0
                for k in 0..<dIn { sum += x[r * dIn + k] * m[k * dOut + j] }
                y[r * dOut + j] = sum
            }
        }
        return y
    }

    /// A random orthogonal d × d matrix (the u · vt of an SVD of a random matrix).
    private func rotation(_ d: Int, seed: UInt64) throws -> [Float] {
        let random = DenseMatrix(rows: d, columns: d, values: TestVectors.make(count: d, dimension: d, seed: seed).map(Double.init))
        let (u, _, vt) = try Lapack.svd(random)
        return u.multiplied(by: vt).values.map { Float($0) }
    }

    private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test func procrustesRecoversARotation() throws {
        let n = 200, d = 8
        let x = TestVectors.make(count: n, dimension: d, seed: 3)
        let q = try rotation(d, seed: 5)
        let y = multiply(x, n, q, d, d)
        let adapter = try Adapter.fit(kind: .procrustes, sourceVersion: 2, targetVersion: 1,
                                      source: x, sourceRows: n, sourceDimension: d, target: y, targetRows: n, targetDimension: d)
        #expect(adapter.direction == "backward")
        #expect(adapter.validation.trainPairs == 180 && adapter.validation.validationPairs == 20)
        #expect(try #require(adapter.validation.meanCosine) > 0.9999)
        #expect(adapter.validation.recallAt1 == 1)
        #expect(maxDifference(try adapter.apply(x, count: n), try unit(y, n, d)) < 1e-5)
    }

    @Test func procrustesBetweenDimensionsIsSemiOrthogonal() throws {
        let n = 100, ds = 6, dt = 10
        let x = TestVectors.make(count: n, dimension: ds, seed: 8)
        let y = TestVectors.make(count: n, dimension: dt, seed: 9)
        for (source, target, dIn, dOut) in [(x, y, ds, dt), (y, x, dt, ds)] {
            let adapter = try Adapter.fit(kind: .procrustes, sourceVersion: 1, targetVersion: 2, source: source, sourceRows: n,
                                          sourceDimension: dIn, target: target, targetRows: n, targetDimension: dOut)
            let w = try #require(adapter.tensors["weight"])
            #expect(w.shape == [dOut, dIn])
            // The smaller side's basis is kept orthonormal: Wᵀ W = I (ds < dt) or W Wᵀ = I.
            let small = min(dIn, dOut)
            for a in 0..<small {
                for b in 0..<small {
                    var dot: Float = 0
                    if dIn < dOut {
                        for k in 0..<dOut { dot += w.values[k * dIn + a] * w.values[k * dIn + b] }
                    } else {
                        for k in 0..<dIn { dot += w.values[a * dIn + k] * w.values[b * dIn + k] }
                    }
                    #expect(abs(dot - (a == b ? 1 : 0)) < 1e-5)
                }
            }
        }
    }

    @Test func ridgeAndLowRankFitAnAffineMap() throws {
        let n = 400, ds = 12, dt = 9
        let x = try unit(TestVectors.make(count: n, dimension: ds, seed: 21), n, ds)
        let m = TestVectors.make(count: ds, dimension: dt, seed: 22)
        var y = multiply(x, n, m, ds, dt)
        for r in 0..<n { for j in 0..<dt { y[r * dt + j] += 0.3 } }
        var options = AdapterFitOptions()
        options.ridge = 1e-6
        let ridge = try Adapter.fit(kind: .ridge, sourceVersion: 1, targetVersion: 2, source: x, sourceRows: n,
                                    sourceDimension: ds, target: y, targetRows: n, targetDimension: dt, options: options)
        #expect(try #require(ridge.validation.meanCosine) > 0.97)
        #expect(ridge.tensors["bias"]?.shape == [dt])
        options.rank = 3
        let low = try Adapter.fit(kind: .lowrank, sourceVersion: 1, targetVersion: 2, source: x, sourceRows: n,
                                  sourceDimension: ds, target: y, targetRows: n, targetDimension: dt, options: options)
        #expect(low.rank == 3)
        #expect(low.tensors["down.weight"]?.shape == [3, ds] && low.tensors["up.weight"]?.shape == [dt, 3])
        #expect(try #require(low.validation.meanCosine) <= ridge.validation.meanCosine! + 1e-6)
    }

    @Test func fileRoundTripAndInspect() throws {
        let n = 120, ds = 10, dt = 6
        let x = TestVectors.make(count: n, dimension: ds, seed: 31)
        let y = TestVectors.make(count: n, dimension: dt, seed: 32)
        let directory = scratchDirectory()
        for kind in AdapterKind.allCases {
            var options = AdapterFitOptions()
            options.sourceSpace = "s-new"
            let adapter = try Adapter.fit(kind: kind, sourceVersion: 3, targetVersion: 2, source: x, sourceRows: n,
                                          sourceDimension: ds, target: y, targetRows: n, targetDimension: dt, options: options)
            let path = directory + "/\(kind.rawValue).safetensors"
            try AdapterFile.save(adapter, to: path)
            let loaded = try AdapterFile.open(path)
            #expect(loaded.kind == kind && loaded.sourceVersion == 3 && loaded.targetVersion == 2)
            #expect(loaded.sourceSpace == "s-new" && loaded.targetSpace == nil)
            #expect(loaded.validation == adapter.validation)
            #expect(try loaded.apply(x, count: n) == adapter.apply(x, count: n))
            #expect(try StasisFile.kind(of: path) == .adapter)
            let json = String(decoding: try AdapterFile.inspectJSON(path), as: UTF8.self)
            #expect(json.contains("\"adapter.kind\":\"\(kind.rawValue)\"") && json.contains("\"adapter.direction\":\"backward\""))
        }
        #expect(throws: StasisError.self) { try AdapterFile.open(directory) }
    }

    @Test func refusesDamagedFiles() throws {
        let n = 60
        let adapter = try Adapter.fit(kind: .ridge, sourceVersion: 2, targetVersion: 1,
                                      source: TestVectors.make(count: n, dimension: 5, seed: 51), sourceRows: n, sourceDimension: 5,
                                      target: TestVectors.make(count: n, dimension: 3, seed: 52), targetRows: n, targetDimension: 3)
        let path = scratchDirectory() + "/a.safetensors"
        try AdapterFile.save(adapter, to: path)
        let good = try Safetensors.read(path)
        func damaged(_ change: (inout Safetensors.Contents) -> Void) throws -> StasisError? {
            var contents = good
            change(&contents)
            try Safetensors.write(contents, to: path)
            do {
                _ = try AdapterFile.open(path)
                return nil
            } catch let error as StasisError {
                return error
            }
        }
        #expect(try damaged { $0.tensors["weight"] = .init(shape: [5, 3], values: Array(repeating: 0, count: 15)) }?.code == .corruptFile)
        #expect(try damaged { $0.tensors["bias"]?.values[1] = .infinity }?.message.contains("non-finite") == true)
        #expect(try damaged { $0.tensors["extra"] = .init(shape: [1], values: [0]) }?.message.contains("unexpected tensor 'extra'") == true)
        #expect(try damaged { $0.metadata["adapter.kind"] = "quadratic" }?.code == .unsupportedFormat)
        #expect(try damaged { $0.metadata["adapter.kind"] = "local" }?.code == .corruptFile)  // no clusters / tensors
        #expect(try damaged { $0.metadata["stasis.format"] = "2" }?.code == .unsupportedFormat)
        #expect(try damaged { $0.metadata["adapter.target_version"] = "-1" }?.code == .corruptFile)
        #expect(try damaged { $0.metadata["adapter.train_pairs"] = "-3" }?.code == .corruptFile)
        #expect(try damaged { $0.metadata["stasis.kind"] = "encoder" }?.code == .invalidArgument)
        #expect(try damaged { _ in } == nil)
    }

    @Test func refusesBadInput() throws {
        let x = TestVectors.make(count: 50, dimension: 4, seed: 1)
        let y = TestVectors.make(count: 50, dimension: 4, seed: 2)
        func fit(kind: AdapterKind = .procrustes, _ x: [Float], rows: Int = 50, _ y: [Float], targetRows: Int = 50,
                 sourceVersion: UInt32 = 2, options: AdapterFitOptions = AdapterFitOptions()) throws -> Adapter {
            try Adapter.fit(kind: kind, sourceVersion: sourceVersion, targetVersion: 1, source: x, sourceRows: rows,
                            sourceDimension: 4, target: y, targetRows: targetRows, targetDimension: 4, options: options)
        }
        #expect(throws: StasisError.invalid("paired samples need the same number of rows: source has 50, target has 49")) {
            try fit(x, Array(y[0..<196]), targetRows: 49)
        }
        var bad = x
        bad[4 * 7 + 2] = .nan
        #expect(throws: StasisError.invalid("source row 7 has a non-finite value (nan) at component 2")) { try fit(bad, y) }
        #expect(throws: StasisError.invalid(
            "too few pairs: a ridge adapter 4 -> 4 needs at least 5 training pairs, got 4 (5 pairs, 1 held out)")) {
            try fit(kind: .ridge, Array(x[0..<20]), rows: 5, Array(y[0..<20]), targetRows: 5)
        }
        #expect(throws: StasisError.self) { try fit(x, y, sourceVersion: 1) }
        var options = AdapterFitOptions()
        options.rank = 5
        #expect(throws: StasisError.invalid("rank must be in 1...4 (the smaller dimension), got 5")) {
            try fit(kind: .lowrank, x, y, options: options)
        }
        options = AdapterFitOptions()
        options.validationFraction = 1
        #expect(throws: StasisError.self) { try fit(x, y, options: options) }
        #expect(throws: StasisError.invalid(
            "unknown adapter kind 'rotate'; expected one of procrustes, ridge, lowrank, orthogonal, mlp, local")) {
            try AdapterKind(parsing: "rotate")
        }
        let adapter = try fit(x, y)
        #expect(throws: StasisError(.dimensionMismatch,
            "adapter 2->1 reads rows of 4 values; got 5 values for 1 rows")) { try adapter.apply([1, 2, 3, 4, 5], count: 1) }
        #expect(throws: StasisError.invalid("input row 0 is a zero vector; cosine similarity needs a direction")) {
            try adapter.apply([0, 0, 0, 0], count: 1)
        }
    }

    @Test func chainsApplyInOrderAndRefuseGaps() throws {
        let n = 80
        let v3 = TestVectors.make(count: n, dimension: 6, seed: 41)
        let v2 = TestVectors.make(count: n, dimension: 5, seed: 42)
        let v1 = TestVectors.make(count: n, dimension: 4, seed: 43)
        let a32 = try Adapter.fit(kind: .ridge, sourceVersion: 3, targetVersion: 2, source: v3, sourceRows: n,
                                  sourceDimension: 6, target: v2, targetRows: n, targetDimension: 5)
        let a21 = try Adapter.fit(kind: .procrustes, sourceVersion: 2, targetVersion: 1, source: v2, sourceRows: n,
                                  sourceDimension: 5, target: v1, targetRows: n, targetDimension: 4)
        let a31 = try Adapter.fit(kind: .procrustes, sourceVersion: 3, targetVersion: 1, source: v3, sourceRows: n,
                                  sourceDimension: 6, target: v1, targetRows: n, targetDimension: 4)
        let chain = try AdapterChain([a32, a21])
        #expect(chain.sourceVersion == 3 && chain.targetVersion == 1 && chain.targetDimension == 4)
        #expect(try chain.apply(v3, count: n) == a21.apply(a32.apply(v3, count: n), count: n))
        #expect(throws: StasisError(.incompatible,
            "adapter chain has a gap at position 1: adapter 0 produces version 1, adapter 1 reads version 3")) {
            try AdapterChain([a21, a32])
        }
        #expect(throws: StasisError(.incompatible,
            "adapter chain has a gap at position 1: adapter 0 produces version 1, adapter 1 reads version 2")) {
            try AdapterChain([a31, a21])
        }
        #expect(throws: StasisError.self) { try AdapterChain([]) }

        // Versions that meet but widths that do not; spaces recorded on both sides that differ.
        let a10 = try Adapter.fit(kind: .procrustes, sourceVersion: 1, targetVersion: 0, source: v2, sourceRows: n,
                                  sourceDimension: 5, target: v1, targetRows: n, targetDimension: 4)
        #expect(throws: StasisError(.dimensionMismatch,
            "adapter chain breaks at position 1: adapter 0 produces 4 dimensions, adapter 1 reads 5")) {
            try AdapterChain([a21, a10])
        }
        var produces = AdapterFitOptions(), reads = AdapterFitOptions()
        produces.targetSpace = "space-a"
        reads.sourceSpace = "space-b"
        let into = try Adapter.fit(kind: .ridge, sourceVersion: 3, targetVersion: 2, source: v3, sourceRows: n,
                                   sourceDimension: 6, target: v2, targetRows: n, targetDimension: 5, options: produces)
        let from = try Adapter.fit(kind: .procrustes, sourceVersion: 2, targetVersion: 1, source: v2, sourceRows: n,
                                   sourceDimension: 5, target: v1, targetRows: n, targetDimension: 4, options: reads)
        #expect(throws: StasisError(.incompatible,
            "adapter chain breaks at position 1: space space-a is followed by an adapter reading space space-b")) {
            try AdapterChain([into, from])
        }
        #expect(try AdapterChain([into, a21]).targetVersion == 1)  // a space recorded on one side only is no gap
    }

    @Test func recallAt1IsMeasuredAmongTheFirstRowsOnly() {
        // Truth: the 4 unit axes of R^4. Mapped row 0 points at truth 3; rows 1-3 at their own.
        let truth: [Float] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
        var mapped = truth
        mapped[0] = 0.6
        mapped[3] = 0.8
        let all = ValidationScores.measure(mapped: mapped, truth: truth, count: 4, dimension: 4)
        #expect(all.recallAt1 == 0.75 && abs(all.meanCosine - 0.9) < 1e-6)
        let prefix = ValidationScores.measure(mapped: mapped, truth: truth, count: 4, dimension: 4, limit: 3)
        #expect(prefix.recallAt1 == 1 && abs(prefix.meanCosine - 0.9) < 1e-6)
    }

    @Test func splitIsReproducibleAndDisjoint() {
        let a = Split(count: 100, fraction: 0.25, seed: 9), b = Split(count: 100, fraction: 0.25, seed: 9)
        #expect(a.validation == b.validation && a.validation.count == 25 && a.train.count == 75)
        #expect(Set(a.train).isDisjoint(with: a.validation) && Set(a.train + a.validation).count == 100)
        #expect(Split(count: 5, fraction: 0.01, seed: 0).validation.count == 1)
        #expect(Split(count: 5, fraction: 0, seed: 0).validation.isEmpty)
    }
}

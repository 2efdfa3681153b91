import Glibc
import Testing
@testable import StasisCore

/// The orthogonal, mlp and local kinds and the unpaired fit, on synthetic data where the right
/// answer is known: each must beat the closed-form kinds where its model fits the data better.
@Suite struct AdapterKindsTests {
    private func rotation(_ d: Int, seed: UInt64) throws -> [Float] {
        let random = DenseMatrix(rows: d, columns: d, values: TestVectors.make(count: d, dimension: d, seed: seed).map(Double.init))
        let (u, _, vt) = try Lapack.svd(random)
        return u.multiplied(by: vt).values.map { Float($0) }
    }

    private func multiply(_ x: [Float], _ count: Int, _ m: [Float], _ d: Int) -> [Float] {
        var y = [Float](repeating: 0, count: count * d)
        for r in 0..<count { for j in 0..<d { for k in 0..<d { y[r * d + j] += x[r * d + k] * m[k * d + j] } } }
        return y
    }

    private func fit(_ kind: AdapterKind, _ x: [Float], _ y: [Float], rows: Int, d: Int,
                     _ change: (inout AdapterFitOptions) -> Void = { _ in }) throws -> Adapter {
        var options = AdapterFitOptions()
        options.validationFraction = 0.2
        change(&options)
        return try Adapter.fit(kind: kind, sourceVersion: 2, targetVersion: 1, source: x, sourceRows: rows, sourceDimension: d,
                               target: y, targetRows: rows, targetDimension: d, options: options)
    }

    private func heldOutCosine(_ adapter: Adapter) throws -> Double { try #require(adapter.validation.meanCosine) }

    /// Rows in a few tight clusters, so a region-wise map has regions to find.
    private func clustered(rows: Int, d: Int, clusters: Int, seed: UInt64) -> ([Float], [Int]) {
        let centres = TestVectors.make(count: clusters, dimension: d, seed: seed)
        let noise = TestVectors.make(count: rows, dimension: d, seed: seed &+ 1)
        var values = [Float](repeating: 0, count: rows * d), which = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            which[r] = r % clusters
            for c in 0..<d { values[r * d + c] = 4 * centres[which[r] * d + c] + 0.5 * noise[r * d + c] }
        }
        return (values, which)
    }

    @Test func orthogonalSitsBetweenRidgeAndProcrustes() throws {
        let n = 400, d = 12
        let x = TestVectors.make(count: n, dimension: d, seed: 21)
        // A map that is not a rotation: a rotation with the first axes stretched.
        var y = multiply(x, n, try rotation(d, seed: 22), d)
        for r in 0..<n { for c in 0..<3 { y[r * d + c] *= 3 } }
        let ridge = try fit(.ridge, x, y, rows: n, d: d)
        let procrustes = try fit(.procrustes, x, y, rows: n, d: d)
        func offOrthogonality(_ adapter: Adapter) throws -> Float {
            let w = try #require(adapter.tensors["weight"]).values  // d × d (out × in)
            var total: Float = 0
            for a in 0..<d {
                for b in 0..<d {
                    var dot: Float = 0
                    for k in 0..<d { dot += w[a * d + k] * w[b * d + k] }
                    total += (dot - (a == b ? 1 : 0)) * (dot - (a == b ? 1 : 0))
                }
            }
            return total
        }
        let weak = try fit(.orthogonal, x, y, rows: n, d: d) { $0.orthogonality = 1e-4 }
        let strong = try fit(.orthogonal, x, y, rows: n, d: d) { $0.orthogonality = 10 }
        #expect(try offOrthogonality(strong) < offOrthogonality(weak))
        #expect(try offOrthogonality(strong) < 0.05)
        // λ → 0 is the least-squares fit; a strong λ gives up fit quality for the rotation.
        #expect(try abs(heldOutCosine(weak) - heldOutCosine(ridge)) < 0.01)
        #expect(try heldOutCosine(strong) < heldOutCosine(weak))
        #expect(try heldOutCosine(strong) > heldOutCosine(procrustes) - 0.05)
        #expect(strong.settings.orthogonality == 10 && strong.kind == .orthogonal)
    }

    @Test func localBeatsOneRotationWhenRegionsRotateDifferently() throws {
        let n = 1200, d = 8, regions = 3
        let (x, which) = clustered(rows: n, d: d, clusters: regions, seed: 31)
        let rotations = try (0..<regions).map { try rotation(d, seed: 40 + UInt64($0)) }
        var y = [Float](repeating: 0, count: n * d)
        for r in 0..<n {
            let m = rotations[which[r]]
            for j in 0..<d { for k in 0..<d { y[r * d + j] += x[r * d + k] * m[k * d + j] } }
        }
        let global = try fit(.procrustes, x, y, rows: n, d: d)
        let local = try fit(.local, x, y, rows: n, d: d) { $0.clusters = 6; $0.routing = 2 }
        let localCosine = try heldOutCosine(local), globalCosine = try heldOutCosine(global)
        #expect(localCosine > globalCosine + 0.04)
        #expect(localCosine > 0.97)
        #expect(local.settings.clusters == 6 && local.settings.routing == 2)
        #expect(local.tensors["rotations"]?.shape == [6, d, d] && local.tensors["centroids"]?.shape == [6, d])
    }

    @Test func mlpLearnsWhatNoLinearMapCan() throws {
        let n = 1500, d = 6
        let x = try UnitRows(TestVectors.make(count: n, dimension: d, seed: 51), count: n, dimension: d, role: "row").values
        // y = x + 2·relu(x₀)·e₁: a kink no affine map reproduces.
        var y = x
        for r in 0..<n { y[r * d + 1] += 2 * max(x[r * d], 0) }
        let ridge = try fit(.ridge, x, y, rows: n, d: d)
        let mlp = try fit(.mlp, x, y, rows: n, d: d) { $0.hidden = 32; $0.epochs = 60 }
        #expect(try heldOutCosine(mlp) > heldOutCosine(ridge) + 0.005)
        // Seeded: the same fit twice gives the same weights.
        let again = try fit(.mlp, x, y, rows: n, d: d) { $0.hidden = 32; $0.epochs = 60 }
        #expect(again.tensors == mlp.tensors)
        #expect(mlp.tensors["hidden.weight"]?.shape == [32, d] && mlp.tensors["skip.weight"]?.shape == [d, d])
    }

    @Test func everyKindSurvivesTheFile() throws {
        let n = 600, d = 8
        let (x, _) = clustered(rows: n, d: d, clusters: 4, seed: 61)
        let y = multiply(x, n, try rotation(d, seed: 62), d)
        let directory = "/tmp/stasis-adapter-kinds-\(getpid())"
        for kind in AdapterKind.allCases {
            let adapter = try fit(kind, x, y, rows: n, d: d) { if kind == .mlp { $0.epochs = 2; $0.hidden = 16 } }
            let path = directory + "-\(kind.rawValue).safetensors"
            try AdapterFile.save(adapter, to: path)
            let opened = try AdapterFile.open(path)
            #expect(opened.kind == kind && opened.settings == adapter.settings && opened.validation == adapter.validation)
            #expect(try opened.apply(x, count: n) == adapter.apply(x, count: n))
            unlink(path)
        }
    }

    @Test func unpairedRecoversARotationOfClusteredData() throws {
        // Two samples of the same clustered distribution (different items), the target rotated.
        let d = 10, regions = 8
        let centres = TestVectors.make(count: regions, dimension: d, seed: 71)
        func sample(_ rows: Int, seed: UInt64) -> [Float] {
            let noise = TestVectors.make(count: rows, dimension: d, seed: seed)
            var values = [Float](repeating: 0, count: rows * d)
            for r in 0..<rows {
                let cluster = r % regions
                for c in 0..<d { values[r * d + c] = 3 * centres[cluster * d + c] + 0.3 * noise[r * d + c] }
            }
            return values
        }
        let q = try rotation(d, seed: 72)
        let source = sample(3000, seed: 73)
        let target = multiply(sample(2500, seed: 74), 2500, q, d)
        var options = AdapterFitOptions()
        options.clusters = regions
        let adapter = try Adapter.fitUnpaired(sourceVersion: 2, targetVersion: 1, source: source, sourceRows: 3000,
                                              sourceDimension: d, target: target, targetRows: 2500, targetDimension: d,
                                              options: options)
        #expect(adapter.settings.unpaired && adapter.kind == .orthogonal)
        #expect(adapter.validation.trainPairs == 0 && adapter.validation.meanCosine == nil)
        // Measured on true pairs it never saw: rows of the source and their rotated selves.
        let probe = Array(source[0..<(200 * d)])
        let mapped = try adapter.apply(probe, count: 200)
        let truth = try UnitRows(multiply(probe, 200, q, d), count: 200, dimension: d, role: "row").values
        var cosine: Float = 0
        for i in 0..<(200 * d) { cosine += mapped[i] * truth[i] }
        #expect(cosine / 200 > 0.9)
        // The flag survives the file.
        let path = "/tmp/stasis-unpaired-\(getpid()).safetensors"
        try AdapterFile.save(adapter, to: path)
        #expect(try AdapterFile.open(path).settings.unpaired)
        unlink(path)
    }

    @Test func newKindsRefuseBadSettings() throws {
        let n = 300, d = 6
        let x = TestVectors.make(count: n, dimension: d, seed: 81), y = TestVectors.make(count: n, dimension: d, seed: 82)
        #expect(throws: StasisError.self) { try fit(.orthogonal, x, y, rows: n, d: d) { $0.orthogonality = -1 } }
        #expect(throws: StasisError.self) { try fit(.orthogonal, x, y, rows: n, d: d) { $0.orthogonality = .nan } }
        #expect(throws: StasisError.self) { try fit(.mlp, x, y, rows: n, d: d) { $0.hidden = 0 } }
        #expect(throws: StasisError.self) { try fit(.mlp, x, y, rows: n, d: d) { $0.epochs = 0 } }
        #expect(throws: StasisError.self) { try fit(.local, x, y, rows: n, d: d) { $0.routing = 0 } }
        #expect(throws: StasisError.self) { try fit(.ridge, x, y, rows: n, d: d) { $0.clusters = 4 } }
        do {
            _ = try fit(.local, x, y, rows: n, d: d) { $0.clusters = 100 }
            Issue.record("100 clusters from 240 pairs should be refused")
        } catch let error as StasisError {
            #expect(error.code == .invalidArgument && error.message.contains("too few pairs"))
        }
        do {
            _ = try Adapter.fitUnpaired(sourceVersion: 2, targetVersion: 1, source: x, sourceRows: n, sourceDimension: d,
                                        target: Array(y[0..<(10 * d)]), targetRows: 10, targetDimension: d)
            Issue.record("an unpaired fit from 10 target rows should be refused")
        } catch let error as StasisError {
            #expect(error.code == .invalidArgument && error.message.contains("too few rows"))
        }
    }
}

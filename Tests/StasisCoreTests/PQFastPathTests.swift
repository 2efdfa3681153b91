import CFaissShim
import Testing
@testable import StasisCore

/// IVF-PQ search on the shim's PQ kernels (table scans) against Faiss's own IVF-PQ search of the
/// same index, and the PQ kernels themselves against a double-precision reference.
@Suite struct PQFastPathTests {
    /// (dimension, factory): 8-float sub-vectors (the AVX2 table path) and 5-float ones (the
    /// generic table path), M from 12 to 25 (gather tails of 8 and 16 lanes).
    static let layouts: [(Int, String)] = [(96, "IVF32,PQ12"), (100, "IVF32,PQ20"), (100, "IVF32,PQ25")]

    static func fixture(dimension: Int, factory: String, count: Int = 3000, queries: Int) throws -> FastPathTests.Fixture {
        let all = TestVectors.clustered(count: count + queries, dimension: dimension)
        let rows = try UnitRows(Array(all[..<(count * dimension)]), count: count, dimension: dimension, role: "vector")
        let q = try UnitRows(Array(all[(count * dimension)...]), count: queries, dimension: dimension, role: "query")
        let index = try FaissIndex(dimension: dimension, factory: factory)
        try index.train(rows)
        try index.add(rows)
        return FastPathTests.Fixture(index: index, queries: q, rows: rows)
    }

    /// The coarse scores come from the kernels per query group, except from 20 queries on one
    /// thread, where one BLAS product scores the whole batch (these tests run on several);
    /// below 16 each query builds its table alone, from 16 on four at a time (150 and 17 end on
    /// partial blocks of four).
    @Test(arguments: [0, 1, 2], [9, 17, 150])
    func sameResultsAsFaiss(layout: Int, queries: Int) throws {
        let (dimension, factory) = Self.layouts[layout]
        let f = try Self.fixture(dimension: dimension, factory: factory, queries: queries)
        for nprobe in [1, 4, 32] {
            let options = SearchOptions(nprobe: nprobe)
            FastPathTests.expectSameUpToTies(
                try FastPathTests.search(f, k: 10, options: options),
                try FastPathTests.search(f, k: 10, options: options, faissOnly: true))
        }
    }

    @Test func filtersAreHonoured() throws {
        let f = try Self.fixture(dimension: 96, factory: "IVF32,PQ12", queries: 40)
        let table = FastPathTests.Table(count: f.index.count)
        for version: UInt32? in [nil, 2] {
            let options = SearchOptions(nprobe: 8, version: version)
            let fast = try FastPathTests.search(f, k: 10, options: options, table: table)
            for label in fast.labels where label >= 0 {
                #expect(table.eligible(label, version: version))
            }
            FastPathTests.expectSameUpToTies(
                fast, try FastPathTests.search(f, k: 10, options: options, table: table, faissOnly: true))
        }
    }

    @Test func singleQueriesMatchTheBatch() throws {
        let dimension = 96
        let f = try Self.fixture(dimension: dimension, factory: "IVF32,PQ12", queries: 70)
        let options = SearchOptions(nprobe: 6)
        let batch = try FastPathTests.search(f, k: 5, options: options)
        for q in 0..<70 {
            let one = try UnitRows(
                Array(f.queries.values[(q * dimension)..<((q + 1) * dimension)]),
                count: 1, dimension: dimension, role: "query")
            let single = try f.index.search(one, k: 5, options: options, filter: nil)
            FastPathTests.expectSameUpToTies(
                single, (Array(batch.scores[(q * 5)..<(q * 5 + 5)]), Array(batch.labels[(q * 5)..<(q * 5 + 5)])))
        }
    }

    /// Training skips Faiss's polysemous permutation of the centroids (search never uses Hamming
    /// filtering): a factory asking for it ("PQ12") trains the same codebooks, byte for byte in
    /// the saved payload, as one refusing it ("PQ12np"); with the permutation the centroid order
    /// (and every code) would differ. Results are the same either way.
    @Test func polysemousTrainingIsSkipped() throws {
        let a = try Self.fixture(dimension: 96, factory: "IVF32,PQ12", queries: 50)
        let b = try Self.fixture(dimension: 96, factory: "IVF32,PQ12np", queries: 50)
        #expect(try a.index.serialized() == b.index.serialized())
        let options = SearchOptions(nprobe: 8)
        let ra = try FastPathTests.search(a, k: 10, options: options)
        let rb = try FastPathTests.search(b, k: 10, options: options)
        #expect(ra.labels == rb.labels)
        #expect(ra.scores == rb.scores)
    }

    static let codeLengths = [1, 7, 8, 12, 15, 16, 17, 20, 25, 48, 64]

    @Test(arguments: KernelTests.variants, codeLengths)
    func tableScanMatchesReference(variant: Int32, M: Int) throws {
        guard fshim_kernel_available(variant) == 1 else { return }
        let lut = TestVectors.make(count: M, dimension: 256, seed: UInt64(M))
        var state: UInt64 = 0x1234_5678 &+ UInt64(M)
        let n = 37
        let codes: [UInt8] = (0..<(n * M)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        var out = [Float](repeating: 0, count: n)
        #expect(fshim_kernel_pq_scan(variant, lut, codes, n, M, &out) == Int32(FSHIM_OK))
        for j in 0..<n {
            var value = 0.0, magnitude = 0.0
            for m in 0..<M {
                let entry = Double(lut[m * 256 + Int(codes[j * M + m])])
                value += entry
                magnitude += abs(entry)
            }
            #expect(abs(Double(out[j]) - value) <= Double(M) * Double(Float.ulpOfOne) * magnitude + 1e-30)
        }
        // The same codes reached through pointers, in reverse order (a graph walk's gather).
        var gathered = [Float](repeating: 0, count: n)
        let status = codes.withUnsafeBufferPointer { base -> Int32 in
            let pointers: [UnsafePointer<UInt8>?] = (0..<n).map { base.baseAddress! + (n - 1 - $0) * M }
            return pointers.withUnsafeBufferPointer { fshim_kernel_pq_scan_gathered(variant, lut, $0.baseAddress, n, M, &gathered) }
        }
        #expect(status == Int32(FSHIM_OK))
        for j in 0..<n { #expect(gathered[j] == out[n - 1 - j]) }
    }

    @Test(arguments: KernelTests.variants, [(12, 8), (20, 5), (3, 16), (2, 1)])
    func queryTableMatchesReference(variant: Int32, shape: (Int, Int)) throws {
        guard fshim_kernel_available(variant) == 1 else { return }
        let (M, dsub) = shape
        let q = TestVectors.make(count: 1, dimension: M * dsub, seed: 17)
        let centroids = TestVectors.make(count: M * 256, dimension: dsub, seed: 19)
        var lut = [Float](repeating: 0, count: M * 256)
        #expect(fshim_kernel_pq_lut(variant, q, centroids, M, dsub, &lut) == Int32(FSHIM_OK))
        for m in 0..<M {
            for j in 0..<256 {
                var value = 0.0, magnitude = 0.0
                for t in 0..<dsub {
                    let p = Double(q[m * dsub + t]) * Double(centroids[(m * 256 + j) * dsub + t])
                    value += p
                    magnitude += abs(p)
                }
                #expect(abs(Double(lut[m * 256 + j]) - value) <= Double(dsub) * Double(Float.ulpOfOne) * magnitude + 1e-30)
            }
        }
    }

    /// The batch tables (transposed centroids, up to four queries per pass) against the same
    /// reference, for every count and for the sub-vector lengths of queryTableMatchesReference.
    @Test(arguments: KernelTests.variants, [(12, 8), (20, 5), (3, 16), (2, 1)])
    func blockTablesMatchReference(variant: Int32, shape: (Int, Int)) throws {
        guard fshim_kernel_available(variant) == 1 else { return }
        let (M, dsub) = shape
        let centroids = TestVectors.make(count: M * 256, dimension: dsub, seed: 23)
        for count in 1...4 {
            let q = TestVectors.make(count: count, dimension: M * dsub, seed: UInt64(29 + count))
            var lut = [Float](repeating: .nan, count: count * M * 256)
            #expect(fshim_kernel_pq_lut_block(variant, q, count, centroids, M, dsub, &lut) == Int32(FSHIM_OK))
            var worst = 0.0
            for i in 0..<count {
                for m in 0..<M {
                    for j in 0..<256 {
                        var value = 0.0, magnitude = 0.0
                        for t in 0..<dsub {
                            let p = Double(q[i * M * dsub + m * dsub + t]) * Double(centroids[(m * 256 + j) * dsub + t])
                            value += p
                            magnitude += abs(p)
                        }
                        let error = abs(Double(lut[(i * M + m) * 256 + j]) - value)
                        let bound = Double(dsub) * Double(Float.ulpOfOne) * magnitude + 1e-30
                        if !(error <= bound) { worst = max(worst, error / bound) }
                    }
                }
            }
            #expect(worst == 0, "count \(count): error up to \(worst) x the bound")
        }
        var lut = [Float](repeating: 0, count: 5 * M * 256)
        let q = [Float](repeating: 0, count: 5 * M * dsub)
        #expect(fshim_kernel_pq_lut_block(variant, q, 0, centroids, M, dsub, &lut) == Int32(FSHIM_INVALID))
        #expect(fshim_kernel_pq_lut_block(variant, q, 5, centroids, M, dsub, &lut) == Int32(FSHIM_INVALID))
    }

    @Test func unavailableVariantIsRefused() {
        var out: Float = 0
        let lut = [Float](repeating: 0, count: 256)
        let code: [UInt8] = [0]
        #expect(fshim_kernel_pq_scan(7, lut, code, 1, 1, &out) == Int32(FSHIM_INVALID))
        #expect(fshim_kernel_pq_lut(-1, lut, lut, 1, 1, &out) == Int32(FSHIM_INVALID))
    }
}

/// The PQ scan on the portable kernels gives the SIMD kernels' results (runs with the other
/// kernel-switching suites, in a process of their own: scripts/test.sh filters on the suffix).
@Suite(.serialized) struct PQPortableKernelTests {
    @Test func portableAndSimdPathsAgree() throws {
        for (dimension, factory) in PQFastPathTests.layouts {
            let f = try PQFastPathTests.fixture(dimension: dimension, factory: factory, queries: 100)
            let options = SearchOptions(nprobe: 4)
            Kernels.setPortable(true)
            defer { Kernels.setPortable(false) }
            #expect(Kernels.name == "portable")
            let portable = try FastPathTests.search(f, k: 10, options: options)
            Kernels.setPortable(false)
            let simd = try FastPathTests.search(f, k: 10, options: options)
            FastPathTests.expectSameUpToTies(portable, simd)
        }
    }
}

import CFaissShim
import Testing
@testable import StasisCore

/// Every kernel variant the CPU runs, against a double-precision reference, for dimensions that
/// hit each tail case (below, at and above the 8- and 16-lane widths).
@Suite struct KernelTests {
    static let dimensions = [1, 7, 8, 15, 16, 17, 100, 384, 1024]
    /// 0 portable, 1 AVX2+FMA, 2 AVX-512 (fshim_kernel_* numbering).
    static let variants: [Int32] = [0, 1, 2]

    /// Reference inner product and the scale of its rounding error (sum of |x_i y_i|).
    private func reference(_ x: [Float], _ y: ArraySlice<Float>) -> (value: Double, magnitude: Double) {
        var value = 0.0, magnitude = 0.0
        for (a, b) in zip(x, y) {
            value += Double(a) * Double(b)
            magnitude += abs(Double(a) * Double(b))
        }
        return (value, magnitude)
    }

    /// float32 accumulation over d terms: error bounded by about d * epsilon * magnitude.
    private func tolerance(_ d: Int, _ magnitude: Double) -> Double {
        Double(d) * Double(Float.ulpOfOne) * magnitude + 1e-30
    }

    @Test func portableKernelsAlwaysExist() {
        #expect(fshim_kernel_available(0) == 1)
        #expect(fshim_kernel_available(3) == 0)
        #expect(fshim_kernel_available(-1) == 0)
    }

    @Test(arguments: variants, dimensions)
    func innerProductMatchesDoubleReference(variant: Int32, d: Int) throws {
        guard fshim_kernel_available(variant) == 1 else { return }  // CPU without this variant
        let x = TestVectors.make(count: 1, dimension: d, seed: 3)
        let rows = TestVectors.make(count: 4, dimension: d, seed: UInt64(d))
        var single: Float = 0
        #expect(fshim_kernel_ip(variant, x, rows, d, &single) == Int32(FSHIM_OK))
        let first = reference(x, rows[0..<d])
        #expect(abs(Double(single) - first.value) <= tolerance(d, first.magnitude))

        var four = [Float](repeating: 0, count: 4)
        let status = rows.withUnsafeBufferPointer { base -> Int32 in
            let pointers: [UnsafePointer<Float>?] = (0..<4).map { base.baseAddress! + $0 * d }
            return pointers.withUnsafeBufferPointer { fshim_kernel_ip4(variant, x, $0.baseAddress, d, &four) }
        }
        #expect(status == Int32(FSHIM_OK))
        for j in 0..<4 {
            let expected = reference(x, rows[(j * d)..<((j + 1) * d)])
            #expect(abs(Double(four[j]) - expected.value) <= tolerance(d, expected.magnitude))
        }
    }

    @Test(arguments: variants, dimensions)
    func tileOfFourByFourMatchesDoubleReference(variant: Int32, d: Int) throws {
        guard fshim_kernel_available(variant) == 1 else { return }
        let queries = TestVectors.make(count: 4, dimension: d, seed: 5)
        let rows = TestVectors.make(count: 4, dimension: d, seed: UInt64(d) + 9)
        var tile = [Float](repeating: 0, count: 16)
        let status = queries.withUnsafeBufferPointer { q in
            rows.withUnsafeBufferPointer { r -> Int32 in
                let qs: [UnsafePointer<Float>?] = (0..<4).map { q.baseAddress! + $0 * d }
                let rs: [UnsafePointer<Float>?] = (0..<4).map { r.baseAddress! + $0 * d }
                return fshim_kernel_ip4x4(variant, qs, rs, d, &tile)
            }
        }
        #expect(status == Int32(FSHIM_OK))
        for i in 0..<4 {
            for j in 0..<4 {
                let expected = reference(Array(queries[(i * d)..<((i + 1) * d)]), rows[(j * d)..<((j + 1) * d)])
                #expect(abs(Double(tile[4 * i + j]) - expected.value) <= tolerance(d, expected.magnitude))
            }
        }
    }

    @Test func unavailableVariantIsRefused() {
        var out: Float = 0
        let x: [Float] = [1]
        #expect(fshim_kernel_ip(7, x, x, 1, &out) == Int32(FSHIM_INVALID))
    }
}

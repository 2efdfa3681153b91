import Glibc
import Testing
@testable import StasisCore

@Suite struct VecsTests {
    private let directory = scratchDirectory()
    private func path(_ name: String) -> String { directory + "/" + name }

    private func writeRaw(_ words: [UInt32], to file: String) throws {
        let writer = try AtomicFileWriter(path: file)
        try writer.write(array: words)
        try writer.commit()
    }

    @Test func floatsAndIdsRoundTrip() throws {
        let values: [Float] = [1, -2.5, 3, 0.25, 5, -6]
        try Vecs.write(values, rows: 2, columns: 3, to: path("a.fvecs"))
        let read = try Vecs.readFloats(path("a.fvecs"))
        #expect(read.rows == 2 && read.columns == 3 && read.values == values)
        let ids: [Int64] = [7, -1, 2_147_483_647, 0]
        try Vecs.writeIntegers(ids, rows: 4, columns: 1, to: path("a.ivecs"))
        let back = try Vecs.readIntegers(path("a.ivecs"))
        #expect(back.rows == 4 && back.columns == 1 && back.values == ids)
    }

    @Test func layoutIsWidthThenValuesPerRow() throws {
        try writeRaw([2, Float(1.5).bitPattern, Float(-1).bitPattern], to: path("b.fvecs"))
        let read = try Vecs.readFloats(path("b.fvecs"))
        #expect(read.rows == 1 && read.columns == 2 && read.values == [1.5, -1])
    }

    @Test(arguments: [
        ([UInt32](), "shorter than one row"),
        ([0, 0], "row width of 0"),
        ([UInt32(bitPattern: -3), 0], "row width of -3"),
        ([70_000], "row width of 70000"),
        ([2, 0, 0, 2, 0], "not a whole number"),
        ([2, 0, 0, 3, 0, 0], "row 1 has width 3"),
        ([1, 0, 2, 0], "row 1 has width 2"),
    ] as [([UInt32], String)])
    func damagedFilesAreRefused(words: [UInt32], needle: String) throws {
        let file = path("bad.fvecs")
        try writeRaw(words, to: file)
        do {
            _ = try Vecs.readFloats(file)
            Issue.record("accepted \(words)")
        } catch let error as StasisError {
            #expect(error.code == .corruptFile)
            #expect(error.message.contains(needle), "\(error.message)")
        }
    }

    @Test func nonFiniteValuesAndWideIdsAreRefused() throws {
        try writeRaw([1, Float.nan.bitPattern], to: path("nan.fvecs"))
        #expect(throws: StasisError.self) { _ = try Vecs.readFloats(path("nan.fvecs")) }
        #expect(throws: StasisError.self) { try Vecs.writeIntegers([Int64(1) << 40], rows: 1, columns: 1, to: path("wide.ivecs")) }
        #expect(access(path("wide.ivecs"), F_OK) != 0)
    }
}

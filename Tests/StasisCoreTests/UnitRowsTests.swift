import Testing
@testable import StasisCore

@Suite struct UnitRowsTests {
    @Test func normalisesEveryRow() throws {
        let rows = try UnitRows([3, 4, 0, 0, 0, 2], count: 2, dimension: 3, role: "vector")
        #expect(rows.values == [0.6, 0.8, 0, 0, 0, 1])
    }

    @Test func refusesZeroVectorsNamingTheRow() {
        #expect(throws: StasisError(.invalidArgument, "vector 1 is a zero vector; cosine similarity needs a direction")) {
            try UnitRows([1, 0, 0, 0], count: 2, dimension: 2, role: "vector")
        }
    }

    @Test func refusesNonFiniteValues() {
        for bad in [Float.nan, .infinity, -.infinity] {
            #expect(throws: StasisError.self) { try UnitRows([1, bad], count: 1, dimension: 2, role: "query") }
        }
    }

    @Test func refusesShapeMismatch() {
        #expect(throws: StasisError.self) { try UnitRows([1, 2, 3], count: 2, dimension: 2, role: "vector") }
        #expect(throws: StasisError.self) { try UnitRows([], count: -1, dimension: 2, role: "vector") }
        #expect(throws: StasisError.self) { try UnitRows([], count: 0, dimension: 0, role: "vector") }
    }

    @Test func refusesOverflowingNorms() {
        #expect(throws: StasisError.self) {
            try UnitRows([Float.greatestFiniteMagnitude, Float.greatestFiniteMagnitude], count: 1, dimension: 2, role: "vector")
        }
    }
}

import Testing
@testable import StasisCore

@Suite struct SpaceTests {
    private func dot(_ v: [Float], _ a: Int, _ b: Int, _ d: Int) -> Double {
        (0..<d).reduce(0.0) { $0 + Double(v[a * d + $1]) * Double(v[b * d + $1]) }
    }

    @Test(arguments: [2, 3, 5, 64, 257])
    func simplexIsRegularCentredAndUnit(classes k: Int) throws {
        let space = try Space(kind: .simplex, classes: k)
        let d = space.dimension
        #expect(d == k - 1)
        for a in 0..<k {
            #expect(abs(dot(space.vertices, a, a, d) - 1) < 1e-6)
            for b in (a + 1)..<k where b < k { #expect(abs(dot(space.vertices, a, b, d) + 1 / Double(k - 1)) < 1e-6) }
        }
        for j in 0..<d {
            #expect(abs((0..<k).reduce(0.0) { $0 + Double(space.vertices[$1 * d + j]) }) < 1e-5)
        }
    }

    @Test func sphericalCodeMaxCosineIsExact() throws {
        let space = try Space(kind: .sphericalCode, classes: 400, dimension: 20, seed: 1)
        var worst = -1.0
        for a in 0..<400 { for b in (a + 1)..<400 { worst = max(worst, dot(space.vertices, a, b, 20)) } }
        #expect(abs(worst - space.maxCosine) < 1e-6)
        #expect(space.maxCosine < 0.8)
    }

    @Test func fingerprintDependsOnGeometryOnly() throws {
        let a = try Space(kind: .sphericalCode, classes: 100, dimension: 16, seed: 2)
        let b = try Space(kind: .sphericalCode, classes: 100, dimension: 16, seed: 2)
        let c = try Space(kind: .sphericalCode, classes: 100, dimension: 16, seed: 3)
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
        _ = try a.assign([.id(1)])
        #expect(a.fingerprint == b.fingerprint)  // the registry is not part of the geometry
        #expect(try Space(kind: .simplex, classes: 10).fingerprint == "5da353cf4c8b0739")
    }

    @Test func registryAssignsInOrderAndRefusesOverflowAtomically() throws {
        let space = try Space(kind: .orthoplex, classes: 4)
        #expect(try space.assign([.name("a"), .id(1), .name("a")]) == [0, 1, 0])
        #expect(throws: StasisError.self) { try space.assign([.id(5), .id(6), .id(7)]) }
        #expect(space.labelCount == 2)
        #expect(try space.assign([.id(5), .id(6)]) == [2, 3])
        #expect(space.lookup([.id(6), .name("b")]) == [3, nil])
    }

    @Test func spaceFileRoundTrip() throws {
        let path = scratchDirectory() + "/space.safetensors"
        let space = try Space(kind: .cube, classes: 7)
        _ = try space.assign([.name("x"), .id(-3)])
        try SpaceFile.save(space, to: path)
        let loaded = try SpaceFile.open(path)
        #expect(loaded.fingerprint == space.fingerprint)
        #expect(loaded.vertices == space.vertices)
        #expect(loaded.labels == [.name("x"), .id(-3)])
        #expect(try StasisFile.kind(of: path) == .space)
    }
}

@Suite struct SphericalCodeBoundTests {
    @Test func boundStaysMeaningfulForWideCodes() {
        // 2^-d underflows a Double beyond d ≈ 1074; the bound must still reflect the binomial tail
        // (about 4.4 standard deviations, sqrt(d), for K = 100k) instead of collapsing to d.
        for d in [256, 1024, 1536, 2048, 4096] {
            let bound = SphericalCode.initialBound(classes: 100_000, dimension: d)
            let sigmas = Double(bound) / Double(d).squareRoot()
            #expect(sigmas > 4 && sigmas < 5, "d = \(d): bound \(bound)")
            #expect((d - bound) % 2 == 0)
        }
    }

    @Test func wideCodeHasItsSeparation() throws {
        let space = try Space(kind: .sphericalCode, classes: 300, dimension: 2048, seed: 1)
        #expect(space.maxCosine < 0.1)
    }
}

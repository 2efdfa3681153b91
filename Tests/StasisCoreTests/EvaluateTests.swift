import Testing
@testable import StasisCore

/// Hand-computed values for the evaluation metrics (2-D vectors, so every score is checkable).
@Suite struct EvaluateTests {
    func set(_ rows: [[Float]], _ labels: [Int64], _ role: String = "set") throws -> LabelledVectors {
        try LabelledVectors(vectors: rows.flatMap { $0 }, labels: labels, dimension: rows.first?.count ?? 2, role: role)
    }

    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-6) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test func tiesCountAgainstTheQuery() throws {
        // Query A=(1,0) ties between its A item and a B item: pessimistic rank 2.
        // Query B=(0,1): B items at scores 1 and 0, the A item at 0 ties the second: ranks 1 and 3.
        let gallery = try set([[1, 0], [0, 1], [1, 0]], [0, 1, 1])
        let queries = try set([[1, 0], [0, 1]], [0, 1])
        let m = try Retrieval.evaluate(queries: queries, gallery: gallery, ks: [2, 1])
        #expect(m.ks == [1, 2])
        #expect(m.top1 == 0.5)
        #expect(m.recall(at: 1) == 0.5)
        #expect(m.recall(at: 2) == 1)
        // AP: 1/2 for the first query, (1/1 + 2/3)/2 = 5/6 for the second.
        #expect(close(m.map, (0.5 + 5.0 / 6) / 2))
    }

    @Test func aConstantModelScoresZeroNotOneOverN() throws {
        let gallery = try set([[1, 0], [1, 0], [1, 0]], [0, 1, 2])
        let queries = try set([[1, 0], [1, 0], [1, 0]], [0, 1, 2])
        let m = try Retrieval.evaluate(queries: queries, gallery: gallery, ks: [1, 3])
        #expect(m.top1 == 0)
        #expect(m.recall(at: 3) == 1)
        #expect(close(m.map, 1.0 / 3))
    }

    @Test func templatesAreNormalisedClassMeans() throws {
        // Class 0 template = normalise((1,0)+(0,1)) = (0.707, 0.707); class 1 = (-1, 0).
        let gallery = try set([[1, 0], [0, 1], [-1, 0]], [0, 0, 1])
        let queries = try set([[0.2, 1], [-1, -0.9]], [0, 1])
        let m = try Retrieval.evaluate(queries: queries, gallery: gallery, ks: [1], mode: .templates)
        #expect(m.top1 == 1)
        #expect(m.map == 1)
    }

    @Test func aClassWithoutQueriesStillCompetes() throws {
        // Class 2 has gallery items but no query (an empty class on the query side): its template
        // (0.8,0.6) outscores class 0's (1,0) for the query (1,0.5)/‖·‖: 0.984 vs 0.894. Without
        // it both queries are right.
        let gallery = try set([[1, 0], [0, 1], [0.8, 0.6]], [0, 1, 2])
        let queries = try set([[1, 0.5], [0, 1]], [0, 1])
        let with = try Retrieval.evaluate(queries: queries, gallery: gallery, ks: [1, 2], mode: .templates)
        #expect(with.top1 == 0.5 && with.recall(at: 2) == 1 && close(with.map, 0.75))
        let without = try Retrieval.evaluate(queries: queries, gallery: try set([[1, 0], [0, 1]], [0, 1]), ks: [1], mode: .templates)
        #expect(without.top1 == 1)
    }

    @Test func leaveOneOutTemplatesDropTheQueryFromItsOwnClassMean() throws {
        // A: (1,0), (0.8,0.6); B: (0.6,0.8), (0,1). Query (0.8,0.6) without itself sees A = (1,0):
        // 0.8, and B = normalise((0.6,1.8)): 0.822, so it is wrong (with itself in A it would be
        // right: 0.949). By symmetry the same for (0.6,0.8); the two outer items are right.
        let items = try set([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]], [0, 0, 1, 1])
        let m = try Retrieval.evaluate(queries: items, ks: [1, 2], mode: .templates)
        #expect(m.top1 == 0.5)
        #expect(m.recall(at: 2) == 1)
        #expect(close(m.map, 0.75))
    }

    @Test func leaveOneOutItemsSkipTheQueryItself() throws {
        // Item 4 = (1,1)/√2 scores exactly 0.707 against the A items and the B items alike: a
        // tie with a wrong item, so it is wrong. Every other item finds its twin at score 1.
        let items = try set([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1]], [0, 0, 1, 1, 1])
        let m = try Retrieval.evaluate(queries: items, ks: [1])
        #expect(m.top1 == 0.8)
    }

    @Test func badInputsAreNamed() throws {
        #expect(throws: StasisError.self) { try LabelledVectors(vectors: [1, 0, 0], labels: [0, 1], dimension: 2, role: "q") }
        #expect(throws: StasisError.self) { try LabelledVectors(vectors: [1, .nan], labels: [0], dimension: 2, role: "q") }
        #expect(throws: StasisError.self) { try LabelledVectors(vectors: [], labels: [], dimension: 2, role: "q") }
        let gallery = try set([[1, 0], [0, 1]], [0, 1])
        let queries = try set([[1, 0]], [7])
        do {
            _ = try Retrieval.evaluate(queries: queries, gallery: gallery)
            Issue.record("a label missing from the gallery must fail")
        } catch let error as StasisError {
            #expect(error.message.contains("label 7") && error.message.contains("missing from the gallery"))
        }
        // Leave-one-out with a singleton class.
        #expect(throws: StasisError.self) { try Retrieval.evaluate(queries: try set([[1, 0], [0, 1]], [0, 1])) }
        #expect(throws: StasisError.self) { try Retrieval.evaluate(queries: queries, gallery: gallery, ks: [0]) }
        #expect(throws: StasisError.self) { try Retrieval.evaluate(queries: try set([[1, 0, 0]], [0]), gallery: gallery) }
    }

    @Test func summaryKeepsZerosAndUsesStrictCompatibility() throws {
        let m: [[Double]] = [[0.5, .nan, .nan], [0.6, 0.7, .nan], [0.5, 0.0, 0.8]]
        let s = try CompatibilitySummary(matrix: m)
        #expect(close(s.ac, 1.0 / 3))  // 0.6 > 0.5 only; 0.5 vs 0.5 is a tie, not compatible
        #expect(close(s.am, 3.1 / 6))  // the genuine 0 counts in the mean
        #expect(close(s.bc, -0.35))
        #expect(close(s.fc, -0.45))
    }

    @Test func singleVersionSummary() throws {
        let s = try CompatibilitySummary(matrix: [[0.4]])
        #expect(s.ac == 0 && s.am == 0.4 && s.bc == nil && s.fc == nil)
        #expect(throws: StasisError.self) { try CompatibilitySummary(matrix: []) }
        #expect(throws: StasisError.self) { try CompatibilitySummary(matrix: [[0.1, 0], [0.2]]) }
        #expect(throws: StasisError.self) { try CompatibilitySummary(matrix: [[0.1, 0], [.nan, 0.2]]) }
    }

    @Test func gateNamesFailingCellsAndHonoursTheMargin() throws {
        let m: [[Double?]] = [[0.5, nil, nil], [0.6, 0.7, nil], [0.5, 0.0, 0.8]]
        let strict = try GateVerdict.evaluate(matrix: m, versions: [1, 2, 3], metric: "top1", serve: 3, galleries: [1, 2], margin: 0)
        #expect(!strict.passed && strict.failing == ["v3/v1", "v3/v2"])
        let tolerant = try GateVerdict.evaluate(matrix: m, versions: [1, 2, 3], metric: "top1", serve: 3, galleries: [1], margin: -0.01)
        #expect(tolerant.passed && tolerant.failing.isEmpty)
        let older = try GateVerdict.evaluate(matrix: m, versions: [1, 2, 3], metric: "top1", serve: 2, galleries: [1, 2], margin: 0)
        #expect(older.passed)
        #expect(throws: StasisError.self) {
            try GateVerdict.evaluate(matrix: m, versions: [1, 2, 3], metric: "top1", serve: 1, galleries: [2], margin: 0)
        }
        #expect(throws: StasisError.self) {
            try GateVerdict.evaluate(matrix: m, versions: [1, 2, 3], metric: "top1", serve: 4, galleries: [1], margin: 0)
        }
        #expect(throws: StasisError.self) {
            try GateVerdict.evaluate(matrix: m, versions: [1, 2, 3], metric: "top1", serve: 3, galleries: [], margin: 0)
        }
    }

    @Test func matrixFlipsAndPairs() throws {
        // v1 answers both queries; v2 moves query 0 next to the B item: flip, ECC fails.
        let gallery = try set([[1, 0], [0, 1]], [0, 1])
        let v1 = EvaluationVersion(version: 1, queries: try set([[1, 0.1], [0.1, 1]], [0, 1]), gallery: gallery)
        let v2 = EvaluationVersion(version: 2, queries: try set([[0.1, 1], [0.1, 1]], [0, 1]), gallery: gallery)
        let report = try Evaluation.run([v1, v2])
        #expect(report.matrix[0][0] == 1 && report.matrix[1][0] == 0.5 && report.matrix[1][1] == 0.5)
        #expect(report.matrix[0][1] == nil)
        #expect(report.ecc[1][0] == false)
        #expect(report.summary.ac == 0)
        #expect(report.negativeFlips?[1][0] == 0.5)
        #expect(!report.gate.passed && report.gate.failing == ["v2/v1"])
        let pairs = try #require(report.pairSatisfaction?.cells.first)
        #expect(pairs.sameClass.pairs == 10_000 && pairs.differentClass.pairs == 10_000)
        // Query 1 is unchanged (ties satisfy both inequalities), query 0 breaks both: about half.
        #expect(close(pairs.sameClass.rate, 0.5, 0.03) && close(pairs.differentClass.rate, 0.5, 0.03))
        let again = try Evaluation.run([v1, v2])
        #expect(again.pairSatisfaction == report.pairSatisfaction)
    }

    @Test func evaluationInputErrors() throws {
        #expect(throws: StasisError.self) { try Evaluation.run([]) }
        let q = try set([[1, 0], [0.9, 0.1]], [0, 0])
        let gallery = try set([[1, 0]], [0])
        #expect(throws: StasisError.self) {
            try Evaluation.run([EvaluationVersion(version: 1, queries: q, gallery: gallery), EvaluationVersion(version: 2, queries: q)])
        }
        #expect(throws: StasisError.self) {
            try Evaluation.run([EvaluationVersion(version: 1, queries: q), EvaluationVersion(version: 1, queries: q)])
        }
        var options = EvaluationOptions()
        options.metric = try MatrixMetric(parsing: "recall@3")
        let single = try Evaluation.run([EvaluationVersion(version: 4, queries: q)], options: options)
        #expect(single.ks == [1, 3, 5, 10] && single.summary.bc == nil && single.gate.passed)
        #expect(throws: StasisError.self) { try MatrixMetric(parsing: "recall@0") }
    }

    @Test func updateGainUsesTheReference() throws {
        let gallery = try set([[1, 0], [0, 1]], [0, 1])
        let v1 = EvaluationVersion(version: 1, queries: try set([[1, 0.1], [1, 0.1]], [0, 1]), gallery: gallery)  // 0.5
        let v2 = EvaluationVersion(version: 2, queries: try set([[1, 0.1], [0.1, 1]], [0, 1]), gallery: gallery)  // 1.0 on v1
        var options = EvaluationOptions()
        options.reference = EvaluationVersion(version: 9, queries: try set([[1, 0.1], [0.1, 1]], [0, 1]), gallery: gallery)
        let report = try Evaluation.run([v1, v2], options: options)
        #expect(report.summary.referenceMetric == 1)
        #expect(report.summary.updateGain?.first == 1.0)  // (1 − 0.5) / (1 − 0.5)
        #expect(report.negativeFlips?[1][0] == 0)
    }

    @Test func reportJSONRoundTripsAndRefusesBadShapes() throws {
        let gallery = try set([[1, 0], [0, 1]], [0, 1])
        let v1 = EvaluationVersion(version: 1, queries: try set([[1, 0.1], [0.1, 1]], [0, 1]), gallery: gallery)
        let v2 = EvaluationVersion(version: 2, queries: try set([[0.1, 1], [0.1, 1]], [0, 1]), gallery: gallery)
        var report = try Evaluation.run([v1, v2])
        report.attach(backfill: try EvaluationReport.BackfillCurve(fractions: [0, 1], values: [0.5, 1], label: "all"))
        let text = String(decoding: try report.json(), as: UTF8.self)
        #expect(text.contains("\"update_gain\" : null"))  // documented keys are present even when unmeasured
        let back = try EvaluationReport.parse(json: try report.json(), source: "mem")
        #expect(back.matrix == report.matrix && back.backfill == report.backfill && back.gate == report.gate)
        var flipped = report
        flipped.attach(backfill: try EvaluationReport.BackfillCurve(fractions: [0, 1], values: [0.5, 1], label: "all", negativeFlips: [0, 0.25]))
        #expect(try EvaluationReport.parse(json: try flipped.json(), source: "mem").backfill?.negativeFlips == [0, 0.25])
        #expect(!text.contains("\"negative_flips\" : [\n      0")) // absent when not measured
        #expect(throws: StasisError.self) {
            _ = try EvaluationReport.BackfillCurve(fractions: [0, 1], values: [0.5, 1], label: "", negativeFlips: [0])
        }
        let short = text.replacing("\"query_counts\" : [\n    2,\n    2\n  ]", with: "\"query_counts\" : [2]")
        #expect(short != text)
        #expect(throws: StasisError.self) { try EvaluationReport.parse(json: Array(short.utf8), source: "mem") }
        let unordered = text.replacing("\"fractions\" : [\n      0,\n      1\n    ]", with: "\"fractions\" : [1, 0]")
        #expect(unordered != text)
        #expect(throws: StasisError.self) { try EvaluationReport.parse(json: Array(unordered.utf8), source: "mem") }
        #expect(throws: StasisError.self) { try EvaluationReport.parse(json: Array("{}".utf8), source: "mem") }
        let newer = text.replacing("\"format_version\" : 1", with: "\"format_version\" : 2")
        #expect(throws: StasisError(.unsupportedFormat,
            "'mem' is a version 2 evaluation report; this library (\(LibraryVersion.string)) reads version 1")) {
            try EvaluationReport.parse(json: Array(newer.utf8), source: "mem")
        }
    }

    @Test func pageMarksFailingCellsAndEscapesText() throws {
        let gallery = try set([[1, 0], [0, 1]], [0, 1])
        let v1 = EvaluationVersion(version: 1, queries: try set([[1, 0.1], [0.1, 1]], [0, 1]), gallery: gallery)
        let v2 = EvaluationVersion(version: 2, queries: try set([[0.1, 1], [0.1, 1]], [0, 1]), gallery: gallery)
        var options = EvaluationOptions()
        options.title = "<script>alert(1)</script>"
        let page = try Evaluation.run([v1, v2], options: options).html()
        #expect(!page.contains("<script>") && page.contains("&lt;script&gt;"))
        #expect(page.contains("<svg") && page.contains("stroke=\"#dc2626\"") && page.contains(">FAIL<"))
        #expect(!page.contains("http://") || !page.contains("src=\"http"))  // no network assets
        #expect(ReportFormat.fixed(-0.04, 1) == "0.0" && ReportFormat.fixed(2.345, 2) == "2.35" && ReportFormat.points(-0.031) == "−3.1")
    }

    /// The optimised ranking against a plain sort (wrong entries first among equal scores), on
    /// rows with many exact ties (scores on a coarse grid) and on continuous rows.
    @Test func rankingMatchesANaiveSort() throws {
        var state: UInt64 = 12345
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var relevant: [Float] = [], wrongBefore: [Int] = [], grid: [Int] = []
        for trial in 0..<400 {
            let n = 1 + Int(next() % 300)
            let coarse = trial % 2 == 0
            let scores: [Float] = (0..<n).map { _ in coarse ? Float(next() % 7) / 7 - 0.4 : Float(next() % 1_000_000) / 500_000 - 1 }
            let labels: [Int64] = (0..<n).map { _ in Int64(next() % 4) }
            let excluded = trial % 3 == 0 ? Int(next() % UInt64(n)) : -1
            let label = labels[Int(next() % UInt64(n))]
            let got = scores.withUnsafeBufferPointer { s in
                labels.withUnsafeBufferPointer { l in
                    QueryRanking.rank(scores: s, labels: l, label: label, excluded: excluded,
                                      relevant: &relevant, wrongBefore: &wrongBefore, grid: &grid)
                }
            }
            let order = (0..<n).filter { $0 != excluded }.sorted { a, b in
                scores[a] != scores[b] ? scores[a] > scores[b] : (labels[a] != label && labels[b] == label)
            }
            let ranks = order.enumerated().filter { labels[$0.element] == label }.map { $0.offset + 1 }
            guard !ranks.isEmpty else {
                #expect(got == nil)
                continue
            }
            let ap = ranks.enumerated().reduce(0.0) { $0 + Double($1.offset + 1) / Double($1.element) } / Double(ranks.count)
            #expect(got?.firstCorrectRank == ranks[0], "trial \(trial)")
            #expect(abs((got?.averagePrecision ?? -1) - ap) < 1e-12, "trial \(trial)")
        }
        // Correct scores a denormal apart: the grid's scale overflows to +inf; no trap, exact ranks.
        let tiny: [Float] = [Float.leastNonzeroMagnitude, 0, 0, Float.leastNonzeroMagnitude / 2]
        let tinyLabels: [Int64] = [1, 1, 2, 2]
        let ranked = tiny.withUnsafeBufferPointer { s in
            tinyLabels.withUnsafeBufferPointer { l in
                QueryRanking.rank(scores: s, labels: l, label: 1, excluded: -1, relevant: &relevant,
                                  wrongBefore: &wrongBefore, grid: &grid)
            }
        }
        #expect(ranked?.firstCorrectRank == 1)
        #expect(ranked.map { abs($0.averagePrecision - (1.0 + 2.0 / 4) / 2) < 1e-12 } == true)
    }
}

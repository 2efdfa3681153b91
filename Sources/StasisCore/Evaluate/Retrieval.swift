import COpenBLAS

/// Exact retrieval metrics: every query is scored against every gallery entry with BLAS sgemm over
/// unit vectors, so a metric never depends on an approximate index's recall.
public enum Retrieval {
    /// Top-1, Recall@k and mAP of `queries` against `gallery`.
    ///
    /// With no gallery the queries search each other, leaving each query out of its own gallery
    /// (in template mode, out of its own class mean).
    /// - Throws: `.invalidArgument` when dimensions differ, a k is out of range, or a query's class
    ///   has no gallery entry to find (under leave-one-out: a class with a single item).
    public static func evaluate(
        queries: LabelledVectors, gallery: LabelledVectors? = nil, ks: [Int] = [1, 5, 10], mode: GalleryMode = .items
    ) throws -> RetrievalMetrics {
        let ks = try RetrievalMetrics.checkedKs(ks)
        let rankings = try rank(queries: queries, gallery: gallery ?? queries, leaveOneOut: gallery == nil, mode: mode)
        return RetrievalMetrics(rankings: rankings, ks: ks)
    }

    /// Per-query rankings. Under `leaveOneOut`, query i and gallery entry i are the same item
    /// (possibly encoded by different model versions), so gallery entry i is left out for query i.
    static func rank(
        queries: LabelledVectors, gallery: LabelledVectors, leaveOneOut: Bool, mode: GalleryMode,
        queryRole: String = "queries", galleryRole: String = "gallery"
    ) throws -> [QueryRanking] {
        guard queries.dimension == gallery.dimension else {
            throw StasisError(.dimensionMismatch,
                "\(queryRole) have dimension \(queries.dimension) but \(galleryRole) has \(gallery.dimension)")
        }
        guard gallery.count <= Int(Int32.max), queries.dimension <= Int(Int32.max) else {
            throw StasisError.invalid("\(galleryRole) holds \(gallery.count) rows; at most \(Int32.max) are supported")
        }
        if leaveOneOut && (gallery.count != queries.count || gallery.labels != queries.labels) {
            throw StasisError.invalid(
                "leave-one-out needs the same items in the same order in \(queryRole) and \(galleryRole)")
        }
        try checkCoverage(queries: queries, gallery: gallery, leaveOneOut: leaveOneOut, mode: mode,
                          queryRole: queryRole, galleryRole: galleryRole)
        switch mode {
        case .items:
            return try scan(queries: queries, entries: gallery.vectors, labels: gallery.labels, dimension: gallery.dimension) {
                _, _ in
            } excluded: { leaveOneOut ? $0 : -1 }
        case .templates:
            let templates = try ClassTemplates(gallery: gallery, role: galleryRole, keepSums: leaveOneOut)
            if !leaveOneOut {
                return try scan(queries: queries, entries: templates.vectors, labels: templates.labels,
                                dimension: gallery.dimension) { _, _ in } excluded: { _ in -1 }
            }
            return try scan(queries: queries, entries: templates.vectors, labels: templates.labels, dimension: gallery.dimension) {
                query, row in try templates.leaveOut(item: query, of: gallery, query: queries, scores: row)
            } excluded: { _ in -1 }
        }
    }

    /// Clear errors before any arithmetic: every query must have something correct to find.
    private static func checkCoverage(
        queries: LabelledVectors, gallery: LabelledVectors, leaveOneOut: Bool, mode: GalleryMode,
        queryRole: String, galleryRole: String
    ) throws {
        let sizes = gallery.classSizes
        for (i, label) in queries.labels.enumerated() {
            let size = sizes[label] ?? 0
            if size == 0 {
                throw StasisError.invalid(
                    "label \(label) of \(queryRole) row \(i) is missing from the \(galleryRole): a query needs at least one entry of its class to find")
            }
            if leaveOneOut && size == 1 {
                throw StasisError.invalid(
                    "row \(i) is the only item of class \(label) in \(queryRole): leave-one-out needs at least 2 items per class (drop singleton classes or pass a gallery)")
            }
        }
    }

    /// Scores queries against `entries` in blocks (sgemm, BLAS threads) and then ranks the
    /// block's rows on every core (`ThreadSettings.count`); the two phases alternate, so the pools
    /// never compete. `adjust` may rewrite a score row before ranking (leave-one-out templates);
    /// it runs concurrently on distinct rows.
    private static func scan(
        queries: LabelledVectors, entries: [Float], labels: [Int64], dimension: Int,
        adjust: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void, excluded: (Int) -> Int
    ) throws -> [QueryRanking] {
        let n = labels.count
        let blockRows = max(1, min(queries.count, (8 << 20) / max(n, 1)))
        let threads = ThreadSettings.count
        var scores = [Float](repeating: 0, count: blockRows * n)
        var rankings = [QueryRanking](repeating: QueryRanking(firstCorrectRank: 0, averagePrecision: 0), count: queries.count)
        var failures = [StasisError?](repeating: nil, count: threads)
        try queries.vectors.withUnsafeBufferPointer { q in
            try entries.withUnsafeBufferPointer { g in
                try labels.withUnsafeBufferPointer { galleryLabels in
                    try scores.withUnsafeMutableBufferPointer { s in
                        try rankings.withUnsafeMutableBufferPointer { out in
                            try failures.withUnsafeMutableBufferPointer { errors in
                                for start in stride(from: 0, to: queries.count, by: blockRows) {
                                    let rows = min(blockRows, queries.count - start)
                                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(dimension),
                                                1, q.baseAddress! + start * dimension, Int32(dimension), g.baseAddress, Int32(dimension),
                                                0, s.baseAddress, Int32(n))
                                    let parts = min(threads, rows)
                                    runParallel(parts: parts) { part in
                                        var relevant: [Float] = []
                                        var wrongBefore: [Int] = []
                                        var grid: [Int] = []
                                        do {
                                            for r in stride(from: part, to: rows, by: parts) {
                                                let i = start + r
                                                let row = UnsafeMutableBufferPointer(rebasing: s[(r * n)..<((r + 1) * n)])
                                                try adjust(i, row)
                                                guard let ranking = QueryRanking.rank(
                                                    scores: UnsafeBufferPointer(row), labels: galleryLabels, label: queries.labels[i],
                                                    excluded: excluded(i), relevant: &relevant, wrongBefore: &wrongBefore, grid: &grid)
                                                else {
                                                    throw StasisError(.internalError, "query \(i) found no entry of its class after the coverage check")
                                                }
                                                out[i] = ranking
                                            }
                                        } catch {
                                            errors[part] = error as? StasisError ?? StasisError(.internalError, "\(error)")
                                        }
                                    }
                                    if let failure = errors.compactMap({ $0 }).first { throw failure }
                                }
                            }
                        }
                    }
                }
            }
        }
        return rankings
    }
}

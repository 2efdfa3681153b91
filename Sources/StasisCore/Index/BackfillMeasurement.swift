/// Backfill curves on labelled data: how retrieval quality grows as a plan's order is followed.
public enum BackfillMeasurement {
    /// Follows `plan` on `gallery` (which must hold every planned id on the plan's old version):
    /// at fractions 0, 1/steps, ..., 1 of the plan re-encoded (the new vectors upserted in plan
    /// order), it searches `queries` (of `queryVersion`) and records top-1 accuracy: the share of
    /// queries whose best hit has the query's label, and **negative flips**: the share of queries
    /// right at fraction 0 (the gallery as it was before the backfill) that are wrong at this
    /// point. The gallery ends fully backfilled.
    /// - Parameters: `ids`, `labels` and `newVectors` (ids.count × the plan's new version width)
    ///   describe the gallery's items; `queryLabels` has one label per query.
    /// - Throws: `.invalidArgument` for steps outside 1...1000, mismatched lengths, planned ids
    ///   without a new vector or label; plus what `upsert` and `search` throw.
    public static func curve(
        gallery: MixedGallery, plan: BackfillPlan, ids: [Int64], labels: [Int32], newVectors: [Float],
        queries: [Float], queryCount: Int, queryVersion: UInt32, queryLabels: [Int32], steps: Int = 10
    ) throws -> EvaluationReport.BackfillCurve {
        guard (1...1000).contains(steps) else { throw StasisError.invalid("steps must be in 1...1000, got \(steps)") }
        guard labels.count == ids.count, queryLabels.count == queryCount else {
            throw StasisError.invalid("need one label per item (\(ids.count)) and per query (\(queryCount))")
        }
        guard let target = gallery.versions.first(where: { $0.version == plan.toVersion }),
              let query = gallery.versions.first(where: { $0.version == queryVersion }) else {
            throw StasisError(.notFound, "version \(plan.toVersion) or \(queryVersion) is not registered in the gallery")
        }
        let width = target.dimension
        guard newVectors.count == ids.count * width else {
            throw StasisError(.dimensionMismatch, "new vectors hold \(newVectors.count) values, expected \(ids.count) x \(width)")
        }
        var row: [Int64: Int] = [:]
        for (i, id) in ids.enumerated() where row.updateValue(i, forKey: id) != nil {
            throw StasisError.invalid("id \(id) appears twice")
        }
        if let missing = plan.order.first(where: { row[$0] == nil }) {
            throw StasisError.invalid("planned id \(missing) has no new vector or label")
        }
        var fractions: [Double] = [], values: [Double] = [], flips: [Double] = []
        var rightBefore: [Bool] = []
        var done = 0
        for step in 0...steps {
            let until = plan.order.count * step / steps
            if until > done {
                let batch = Array(plan.order[done..<until])
                var vectors: [Float] = []
                vectors.reserveCapacity(batch.count * width)
                for id in batch { let r = row[id] ?? 0; vectors.append(contentsOf: newVectors[(r * width)..<((r + 1) * width)]) }
                try gallery.upsert(vectors, dimension: width, ids: batch, version: plan.toVersion)
                done = until
            }
            let result = try gallery.search(queries, count: queryCount, dimension: query.dimension, version: queryVersion, k: 1)
            var correct = 0, flipped = 0
            var right = [Bool](repeating: false, count: queryCount)
            for q in 0..<queryCount {
                if let r = row[result.ids[q]], labels[r] == queryLabels[q] { correct += 1; right[q] = true }
            }
            if step == 0 { rightBefore = right }
            for q in 0..<queryCount where rightBefore[q] && !right[q] { flipped += 1 }
            fractions.append(Double(step) / Double(steps))
            values.append(queryCount == 0 ? 0 : Double(correct) / Double(queryCount))
            flips.append(queryCount == 0 ? 0 : Double(flipped) / Double(queryCount))
        }
        return try EvaluationReport.BackfillCurve(
            fractions: fractions, values: values, label: "\(plan.policy.rawValue) \(plan.fromVersion)->\(plan.toVersion), top-1",
            negativeFlips: flips)
    }

    /// Area under a curve by the trapezoid rule over its fractions.
    public static func area(_ curve: EvaluationReport.BackfillCurve) -> Double {
        var total = 0.0
        for i in 1..<curve.fractions.count {
            total += (curve.fractions[i] - curve.fractions[i - 1]) * (curve.values[i] + curve.values[i - 1]) / 2
        }
        return total
    }
}

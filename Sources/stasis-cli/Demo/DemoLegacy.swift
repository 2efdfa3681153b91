import StasisCore

/// Stage 3: a legacy gallery that holds raw old-model embeddings, never trained for compatibility.
///
/// A backward adapter (new → old, ridge) fitted on a small paired sample lets new-model queries
/// search the old vectors at once; then the gallery is re-encoded in a planner's order and the
/// curve of top-1 against the fraction re-encoded is measured for each policy. Half of the
/// queries (every other one) are held out to fit the score calibration that merges the two parts
/// while both are live; the other half are measured.
struct DemoLegacy {
    struct Policy {
        let name: String
        let curve: EvaluationReport.BackfillCurve
        let auc: Double
    }

    let pairs: Int
    let adapterKind: String
    let adapterValidation: AdapterValidation
    let oldOld: RetrievalMetrics
    let newOldAdapted: RetrievalMetrics
    let newNew: RetrievalMetrics
    /// Top-1 through the mixed gallery's own search before any re-encoding (the serving path).
    let servedTop1: Double
    let policies: [Policy]
    let measuredQueries: Int
    let calibrationQueries: Int
    let backward: Adapter

    static func run(_ data: DemoData, pairCount: Int, steps: Int, progress: DemoProgress) throws -> DemoLegacy {
        progress.stage("3/5", "Legacy gallery: raw old embeddings, a backward adapter, then ordered backfill")
        let calibrationRows = data.queries.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let queryRows = data.queries.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let pairRows = data.pairedSample(pairCount)
        let (dOld, dNew) = (data.old.columns, data.new.columns)

        let backward = try Adapter.fit(
            kind: .ridge, sourceVersion: 2, targetVersion: 1,
            source: data.rows(pairRows, of: data.new), sourceRows: pairRows.count, sourceDimension: dNew,
            target: data.rows(pairRows, of: data.old), targetRows: pairRows.count, targetDimension: dOld)
        let forward = try Adapter.fit(
            kind: .ridge, sourceVersion: 1, targetVersion: 2,
            source: data.rows(pairRows, of: data.old), sourceRows: pairRows.count, sourceDimension: dOld,
            target: data.rows(pairRows, of: data.new), targetRows: pairRows.count, targetDimension: dNew)
        progress.note("adapter v2 -> v1 (ridge) fitted on \(pairRows.count) paired items")

        let newQueries = data.rows(queryRows, of: data.new)
        let queryLabels = queryRows.map { Int64(data.labels[$0]) }
        let galleryLabels = data.gallery.map { Int64(data.labels[$0]) }
        func labelled(_ values: [Float], _ labels: [Int64], _ dimension: Int, _ role: String) throws -> LabelledVectors {
            try LabelledVectors(vectors: values, labels: labels, dimension: dimension, role: role)
        }
        let oldGallery = try labelled(data.rows(data.gallery, of: data.old), galleryLabels, dOld, "old gallery")
        let adaptedQueries = try backward.apply(newQueries, count: queryRows.count)
        let oldOld = try Retrieval.evaluate(queries: try labelled(data.rows(queryRows, of: data.old), queryLabels, dOld, "old queries"), gallery: oldGallery)
        let newOld = try Retrieval.evaluate(queries: try labelled(adaptedQueries, queryLabels, dOld, "adapted queries"), gallery: oldGallery)
        let newNew = try Retrieval.evaluate(
            queries: try labelled(newQueries, queryLabels, dNew, "new queries"),
            gallery: try labelled(data.rows(data.gallery, of: data.new), galleryLabels, dNew, "new gallery"))

        let ids = data.gallery.map(Int64.init)
        let oldVectors = data.rows(data.gallery, of: data.old)
        func legacyGallery() throws -> MixedGallery {
            let gallery = try MixedGallery()
            try gallery.register(version: 1, dimension: dOld)
            try gallery.register(version: 2, dimension: dNew)
            try gallery.add(adapter: backward)
            try gallery.upsert(oldVectors, dimension: dOld, ids: ids, version: 1)
            try gallery.calibrate(
                data.rows(calibrationRows, of: data.new), count: calibrationRows.count, dimension: dNew, version: 2,
                storedVersion: 1, pairedQuery: data.rows(pairRows, of: data.new), pairedStored: data.rows(pairRows, of: data.old),
                pairCount: pairRows.count)
            return gallery
        }
        let probe = try legacyGallery()
        let served = try probe.search(newQueries, count: queryRows.count, dimension: dNew, version: 2, k: 1)
        let servedTop1 = top1(served.ids, queryRows, data)

        let newVectors = data.rows(data.gallery, of: data.new)
        let itemLabels = data.gallery.map { Int32(data.labels[$0]) }
        let queryLabels32 = queryLabels.map(Int32.init)
        var policies: [Policy] = []
        let errorModel = try AdapterErrorModel.fit(
            adapter: forward, source: data.rows(pairRows, of: data.old), target: data.rows(pairRows, of: data.new), count: pairRows.count)
        for name in ["random", "predicted-error", "neighbourhood", "hubs"] {
            let gallery = try legacyGallery()
            let plan: BackfillPlan
            switch name {
            case "random": plan = try BackfillPlanner.random(gallery: gallery, from: 1, to: 2, seed: 1)
            case "predicted-error":
                plan = try BackfillPlanner.predictedError(
                    gallery: gallery, from: 1, to: 2, ids: ids, vectors: oldVectors, dimension: dOld, model: errorModel)
            case "neighbourhood":
                plan = try BackfillPlanner.neighbourhood(
                    gallery: gallery, from: 1, to: 2, ids: ids, vectors: oldVectors, dimension: dOld, adapter: forward)
            default:
                plan = try BackfillPlanner.hubs(
                    gallery: gallery, from: 1, to: 2, ids: ids, vectors: oldVectors, dimension: dOld, adapter: forward)
            }
            let curve = try BackfillMeasurement.curve(
                gallery: gallery, plan: plan, ids: ids, labels: itemLabels, newVectors: newVectors,
                queries: newQueries, queryCount: queryRows.count, queryVersion: 2, queryLabels: queryLabels32, steps: steps)
            policies.append(Policy(name: name, curve: curve, auc: BackfillMeasurement.area(curve)))
            progress.note("backfill curve, \(name) order: AUC \(DemoFormat.percent(BackfillMeasurement.area(curve)))")
        }

        return DemoLegacy(pairs: pairRows.count, adapterKind: backward.kind.rawValue, adapterValidation: backward.validation,
                          oldOld: oldOld, newOldAdapted: newOld, newNew: newNew, servedTop1: servedTop1,
                          policies: policies, measuredQueries: queryRows.count, calibrationQueries: calibrationRows.count,
                          backward: backward)
    }

    private static func top1(_ ids: [Int64], _ queryRows: [Int], _ data: DemoData) -> Double {
        guard !queryRows.isEmpty else { return 0 }
        var right = 0
        for (q, row) in queryRows.enumerated() where ids[q] >= 0 && data.labels[Int(ids[q])] == data.labels[row] { right += 1 }
        return Double(right) / Double(queryRows.count)
    }
}

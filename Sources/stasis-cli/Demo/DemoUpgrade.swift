import StasisCore

/// Stages 1 and 2: a stationary space from day one, then the model upgrade served against the
/// untouched v1 gallery.
///
/// Recipe (chosen on this corpus, see docs/demo.md for the runs behind it): a d-Simplex with room
/// for more classes than either version knows; raw features, logit scale 10; v1 a linear head;
/// v2 a residual head (a 2048-wide hidden layer plus a linear skip), aligned with v1 by HOC (mu 20) on its labelled rows
/// plus an unlabelled paired sample of gallery items. Softmax features made v2 "pass" only by
/// crippling v1 on classes it never saw (old→old 27.6 against 47.9), so the demo does not use them.
struct DemoUpgrade {
    struct Recipe {
        var epochs = 20
        var seed: UInt64 = 0
        var spaceClasses = 128
        var feature = TrainingOptions.FeatureKind.raw
        var logitScale = 10.0
        var alignment = TrainingOptions.Alignment.hoc
        var alignmentScale = 20.0
        /// Hidden widths of the v2 head (v1 stays linear: a day-one model kept simple).
        var v2Hidden: [Int] = [2048]
        /// A linear skip from input to output around v2's hidden layer (a residual head).
        var v2Residual = true
        /// Gallery items whose features both models give, unlabelled, for v2's alignment term.
        var pairs = 0
    }

    let space: Space
    let v1: VersionedEncoder
    let v2: VersionedEncoder
    /// The v1 gallery index (every gallery item, encoded once by v1; never re-encoded).
    let index: VersionedIndex
    /// Old→old, new→old and new→new over all queries, with the gate "v2 serves the v1 gallery".
    let report: EvaluationReport
    /// The same matrix restricted to the queries of each class role (both / v2 only / unseen).
    let byRole: [DemoData.Role: EvaluationReport]
    /// Top-1 of v2 queries searched in the v1 index itself (the serving path, not the evaluator).
    let servedTop1: Double
    let v1TrainRows: Int
    let v2TrainRows: Int

    static func run(_ data: DemoData, recipe: Recipe, progress: DemoProgress) throws -> DemoUpgrade {
        let space = try Space(kind: .simplex, classes: recipe.spaceClasses)

        progress.stage("1/5", "Stationary from day one: v1 on the old model, \(DemoData.v1Classes) classes known")
        let v1Rows = data.trainingRows(classes: DemoData.v1Classes)
        var v1Options = TrainingOptions(version: 1)
        configure(&v1Options, recipe)
        v1Options.backbone = data.oldName
        let v1 = try Trainer.train(
            space: space,
            data: TrainingData(features: data.rows(v1Rows, of: data.old), count: v1Rows.count,
                               dimension: data.old.columns, labels: data.classLabels(v1Rows)),
            options: v1Options, progress: progress.training("v1"))

        let index = try VersionedIndex(dimension: space.dimension, factory: "Flat", space: space.fingerprint)
        try index.add(features: data.rows(data.gallery, of: data.old), dimension: data.old.columns, encoder: v1,
                      ids: data.gallery.map(Int64.init))
        progress.note("gallery indexed with v1: \(data.gallery.count) items")

        progress.stage("2/5", "Upgrade: v2 on the new model, \(DemoData.v1Classes + DemoData.v2Classes) classes, aligned with v1")
        let v2Rows = data.trainingRows(classes: DemoData.v1Classes + DemoData.v2Classes)
        var v2Options = TrainingOptions(version: 2)
        configure(&v2Options, recipe)
        v2Options.alignment = recipe.alignment
        v2Options.hidden = recipe.v2Hidden
        v2Options.residual = recipe.v2Residual && !recipe.v2Hidden.isEmpty
        v2Options.backbone = data.newName
        var v2Data = TrainingData(features: data.rows(v2Rows, of: data.new), count: v2Rows.count,
                                  dimension: data.new.columns, labels: data.classLabels(v2Rows))
        v2Data.previous = v1
        v2Data.previousFeatures = data.rows(v2Rows, of: data.old)
        let pairRows = data.pairedSample(recipe.pairs)
        if !pairRows.isEmpty {
            v2Data.pairedFeatures = data.rows(pairRows, of: data.new)
            v2Data.pairedPreviousFeatures = data.rows(pairRows, of: data.old)
            v2Data.pairedCount = pairRows.count
        }
        let v2 = try Trainer.train(space: space, data: v2Data, options: v2Options, progress: progress.training("v2"))

        // Served at once: v2 queries straight into the v1 index.
        let queryFeatures = data.rows(data.queries, of: data.new)
        let served = try index.search(features: queryFeatures, count: data.queries.count, dimension: data.new.columns,
                                      encoder: v2, k: 1)
        var right = 0
        for (q, row) in data.queries.enumerated() where served.ids[q] >= 0 && data.labels[Int(served.ids[q])] == data.labels[row] {
            right += 1
        }

        let report = try evaluate(data, data.queries, v1, v2, title: "Stasis demo: v1 → v2 upgrade on the untouched v1 gallery")
        var byRole: [DemoData.Role: EvaluationReport] = [:]
        for role in DemoData.Role.allCases {
            let rows = data.queries.filter { data.role(ofClass: data.labels[$0]) == role }
            if !rows.isEmpty { byRole[role] = try evaluate(data, rows, v1, v2, title: "") }
        }
        return DemoUpgrade(space: space, v1: v1, v2: v2, index: index, report: report, byRole: byRole,
                           servedTop1: data.queries.isEmpty ? 0 : Double(right) / Double(data.queries.count),
                           v1TrainRows: v1Rows.count, v2TrainRows: v2Rows.count)
    }

    private static func configure(_ options: inout TrainingOptions, _ recipe: Recipe) {
        options.feature = recipe.feature
        options.logitScale = recipe.logitScale
        options.epochs = recipe.epochs
        options.batchSize = 256
        options.learningRate = 1e-3
        options.seed = recipe.seed
        options.alignmentScale = recipe.alignmentScale
    }

    /// The compatibility matrix of `queryRows` against the whole gallery, v1 and v2.
    private static func evaluate(
        _ data: DemoData, _ queryRows: [Int], _ v1: VersionedEncoder, _ v2: VersionedEncoder, title: String
    ) throws -> EvaluationReport {
        func labelled(_ rows: [Int], _ encoder: VersionedEncoder, _ matrix: Npy.Array2D<Float>, _ role: String) throws -> LabelledVectors {
            try LabelledVectors(vectors: encoder.encode(data.rows(rows, of: matrix), count: rows.count),
                                labels: rows.map { Int64(data.labels[$0]) }, dimension: encoder.outputDimension, role: role)
        }
        let versions = [
            EvaluationVersion(version: 1, queries: try labelled(queryRows, v1, data.old, "v1 queries"),
                              gallery: try labelled(data.gallery, v1, data.old, "v1 gallery")),
            EvaluationVersion(version: 2, queries: try labelled(queryRows, v2, data.new, "v2 queries"),
                              gallery: try labelled(data.gallery, v2, data.new, "v2 gallery")),
        ]
        var options = EvaluationOptions()
        options.title = title
        options.pairSamples = 2000
        var report = try Evaluation.run(versions, options: options)
        report.gate = try report.gate(serve: 2, galleries: [1])
        return report
    }
}

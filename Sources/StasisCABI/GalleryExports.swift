import StasisCore

// Exports for the "Mixed-version gallery and backfill" section of include/stasis.h.

typealias GalleryHandle = Handle<MixedGallery>

/// A backfill plan is a value in the core; its handle holds it under a lock because
/// `stasis_backfill_plan_next_batch` moves the cursor.
final class BackfillPlanBox {
    private let lock = ReadWriteLock()
    private var plan: BackfillPlan
    init(_ plan: BackfillPlan) { self.plan = plan }
    var value: BackfillPlan { lock.reading { plan } }
    func nextBatch(size: Int, in gallery: MixedGallery) throws -> [Int64] {
        try lock.writing { try plan.nextBatch(size: size, in: gallery) }
    }
}

typealias PlanHandle = Handle<BackfillPlanBox>

private func gallery(_ pointer: OpaquePointer?) throws -> MixedGallery { try GalleryHandle.object(pointer, "gallery") }

/// The caller's width for rows of `version`, refused before its buffer is read when the version
/// is registered with another width: the caller sized the buffer for one of the two, and copying
/// n x (wrong width) values could read past its end (found by the AddressSanitizer run of the C
/// tests on the index calls). An unregistered version is left to the gallery (NOT_FOUND).
private func width(_ dimension: Int64, of version: UInt32, in target: MixedGallery, _ role: String) throws -> Int {
    let dim = try Arguments.dimension(dimension)
    if let entry = target.versions.first(where: { $0.version == version }), entry.dimension != dim {
        throw StasisError(.dimensionMismatch, "version \(version) \(role) have \(entry.dimension) dimensions, got \(dim)")
    }
    return dim
}
private func plan(_ pointer: OpaquePointer?) throws -> BackfillPlanBox { try PlanHandle.object(pointer, "backfill_plan") }

@_cdecl("stasis_gallery_new")
public func stasis_gallery_new(_ factory: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary {
        try GalleryHandle.produce(into: out) { try MixedGallery(factory: factory.map { String(cString: $0) } ?? "Flat") }
    }
}

@_cdecl("stasis_gallery_free")
public func stasis_gallery_free(_ pointer: OpaquePointer?) { GalleryHandle.release(pointer) }

@_cdecl("stasis_gallery_register")
public func stasis_gallery_register(
    _ pointer: OpaquePointer?, _ version: UInt32, _ dimension: Int64, _ space: UnsafePointer<CChar>?
) -> Int32 {
    boundary {
        let target = try gallery(pointer)
        let dim = try Arguments.dimension(dimension, max: Int64(VersionedIndex.maxDimension))
        try target.register(version: version, dimension: dim, space: space.map { String(cString: $0) })
    }
}

@_cdecl("stasis_gallery_add_chain")
public func stasis_gallery_add_chain(_ pointer: OpaquePointer?, _ adapters: UnsafePointer<OpaquePointer?>?, _ count: Int64) -> Int32 {
    boundary {
        let target = try gallery(pointer)
        guard count >= 1, count <= 4096 else { throw StasisError(.invalidArgument, "count must be in 1...4096 adapters, got \(count)") }
        let list = try Arguments.required(adapters, "adapters")
        let links = try (0..<Int(count)).map { try AdapterHandle.object(list[$0], "adapter") }
        try target.add(chain: try AdapterChain(links))
    }
}

@_cdecl("stasis_gallery_upsert")
public func stasis_gallery_upsert(
    _ pointer: OpaquePointer?, _ n: Int64, _ dimension: Int64, _ vectors: UnsafePointer<Float>?,
    _ ids: UnsafePointer<Int64>?, _ version: UInt32
) -> Int32 {
    boundary {
        let target = try gallery(pointer)
        let rows = try Arguments.count(n)
        let dim = try width(dimension, of: version, in: target, "vectors")
        try target.upsert(try Arguments.array(vectors, rows: rows, dimension: dim, "vectors"), dimension: dim,
                          ids: try Arguments.array(ids, rows: rows, "ids"), version: version)
    }
}

@_cdecl("stasis_gallery_remove")
public func stasis_gallery_remove(_ pointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?) -> Int32 {
    boundary { try gallery(pointer).remove(ids: try Arguments.array(ids, rows: try Arguments.count(n), "ids")) }
}

@_cdecl("stasis_gallery_count")
public func stasis_gallery_count(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try GalleryHandle.read(pointer, "gallery", into: out) { Int64($0.count) } }
}

@_cdecl("stasis_gallery_count_version")
public func stasis_gallery_count_version(_ pointer: OpaquePointer?, _ version: UInt32, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try GalleryHandle.read(pointer, "gallery", into: out) { Int64($0.countsByVersion[version] ?? 0) } }
}

@_cdecl("stasis_gallery_versions_of")
public func stasis_gallery_versions_of(
    _ pointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?, _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary {
        let target = try gallery(pointer)
        let list = try Arguments.array(ids, rows: try Arguments.count(n), "ids")
        guard !list.isEmpty else { return }
        let versions = target.versions(of: list).map { $0.map(Int64.init) ?? -1 }
        try Arguments.required(out, "out_versions").update(from: versions, count: versions.count)
    }
}

@_cdecl("stasis_gallery_search")
public func stasis_gallery_search(
    _ pointer: OpaquePointer?, _ n: Int64, _ dimension: Int64, _ queries: UnsafePointer<Float>?, _ version: UInt32,
    _ k: Int64, _ space: UnsafePointer<CChar>?, _ calibrated: Int32, _ outScores: UnsafeMutablePointer<Float>?,
    _ outIDs: UnsafeMutablePointer<Int64>?, _ outVersions: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    boundary {
        let target = try gallery(pointer)
        let rows = try Arguments.count(n)
        let dim = try width(dimension, of: version, in: target, "queries")
        let k = try Arguments.k(k)
        let values = try Arguments.array(queries, rows: rows, dimension: dim, "queries")
        guard rows > 0 else { return }
        let scores = try Arguments.required(outScores, "out_scores")
        let ids = try Arguments.required(outIDs, "out_ids")
        let result = try target.search(values, count: rows, dimension: dim, version: version, k: k,
                                       space: space.map { String(cString: $0) }, calibrated: calibrated != 0)
        scores.update(from: result.scores, count: result.scores.count)
        ids.update(from: result.ids, count: result.ids.count)
        outVersions?.update(from: result.versions, count: result.versions.count)
    }
}

@_cdecl("stasis_gallery_calibrate")
public func stasis_gallery_calibrate(
    _ pointer: OpaquePointer?, _ n: Int64, _ dimension: Int64, _ queries: UnsafePointer<Float>?, _ version: UInt32, _ k: Int64
) -> Int32 {
    boundary {
        let target = try gallery(pointer)
        let rows = try Arguments.count(n)
        let dim = try width(dimension, of: version, in: target, "queries")
        let k = try Arguments.k(k)
        try target.calibrate(try Arguments.array(queries, rows: rows, dimension: dim, "queries"), count: rows, dimension: dim,
                             version: version, k: k)
    }
}

@_cdecl("stasis_gallery_calibrate_paired")
public func stasis_gallery_calibrate_paired(
    _ pointer: OpaquePointer?, _ n: Int64, _ dimension: Int64, _ queries: UnsafePointer<Float>?, _ version: UInt32,
    _ storedVersion: UInt32, _ pairs: Int64, _ pairedQuery: UnsafePointer<Float>?, _ storedDimension: Int64,
    _ pairedStored: UnsafePointer<Float>?, _ k: Int64
) -> Int32 {
    boundary {
        let target = try gallery(pointer)
        let rows = try Arguments.count(n), paired = try Arguments.count(pairs, "pairs")
        let dim = try width(dimension, of: version, in: target, "queries"), storedDim = try Arguments.dimension(storedDimension)
        guard let stored = target.versions.first(where: { $0.version == storedVersion }) else {
            throw StasisError(.notFound, "stored version \(storedVersion) is not registered in the gallery; register it first")
        }
        guard stored.dimension == storedDim else {
            throw StasisError(.dimensionMismatch, "version \(storedVersion) rows have \(stored.dimension) dimensions, got \(storedDim)")
        }
        try target.calibrate(
            try Arguments.array(queries, rows: rows, dimension: dim, "queries"), count: rows, dimension: dim, version: version,
            storedVersion: storedVersion, pairedQuery: try Arguments.array(pairedQuery, rows: paired, dimension: dim, "paired_query"),
            pairedStored: try Arguments.array(pairedStored, rows: paired, dimension: storedDim, "paired_stored"),
            pairCount: paired, k: Int(try Arguments.k(k)))
    }
}

@_cdecl("stasis_gallery_save")
public func stasis_gallery_save(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary { try gallery(pointer).save(to: try Arguments.string(path, "path")) }
}

@_cdecl("stasis_gallery_open")
public func stasis_gallery_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary { try GalleryHandle.produce(into: out) { try MixedGallery.open(try Arguments.string(path, "path")) } }
}

// MARK: Backfill plans

@_cdecl("stasis_backfill_plan_random")
public func stasis_backfill_plan_random(
    _ pointer: OpaquePointer?, _ from: UInt32, _ to: UInt32, _ seed: UInt64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try PlanHandle.produce(into: out) {
            BackfillPlanBox(try BackfillPlanner.random(gallery: try gallery(pointer), from: from, to: to, seed: seed))
        }
    }
}

@_cdecl("stasis_backfill_plan_custom")
public func stasis_backfill_plan_custom(
    _ pointer: OpaquePointer?, _ from: UInt32, _ to: UInt32, _ n: Int64, _ order: UnsafePointer<Int64>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try PlanHandle.produce(into: out) {
            BackfillPlanBox(try BackfillPlanner.custom(
                gallery: try gallery(pointer), from: from, to: to, order: try Arguments.array(order, rows: try Arguments.count(n), "order")))
        }
    }
}

@_cdecl("stasis_backfill_plan_predicted_error")
public func stasis_backfill_plan_predicted_error(
    _ pointer: OpaquePointer?, _ from: UInt32, _ to: UInt32, _ n: Int64, _ dimension: Int64, _ vectors: UnsafePointer<Float>?,
    _ ids: UnsafePointer<Int64>?, _ forward: OpaquePointer?, _ pairs: Int64, _ pairedOld: UnsafePointer<Float>?,
    _ pairedNew: UnsafePointer<Float>?, _ ridge: Double, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        try PlanHandle.produce(into: out) {
            let target = try gallery(pointer)
            let adapter = try AdapterHandle.object(forward, "adapter")
            let rows = try Arguments.count(n), dim = try width(dimension, of: from, in: target, "vectors"), paired = try Arguments.count(pairs, "pairs")
            guard !ridge.isNaN else { throw StasisError(.invalidArgument, "ridge is NaN") }
            let model = try AdapterErrorModel.fit(
                adapter: adapter,
                source: try Arguments.array(pairedOld, rows: paired, dimension: adapter.sourceDimension, "paired_old"),
                target: try Arguments.array(pairedNew, rows: paired, dimension: adapter.targetDimension, "paired_new"),
                count: paired, ridge: ridge == 0 ? 1.0 : ridge)
            return BackfillPlanBox(try BackfillPlanner.predictedError(
                gallery: target, from: from, to: to, ids: try Arguments.array(ids, rows: rows, "ids"),
                vectors: try Arguments.array(vectors, rows: rows, dimension: dim, "vectors"), dimension: dim, model: model))
        }
    }
}

@_cdecl("stasis_backfill_plan_neighbourhood")
public func stasis_backfill_plan_neighbourhood(
    _ pointer: OpaquePointer?, _ from: UInt32, _ to: UInt32, _ n: Int64, _ dimension: Int64, _ vectors: UnsafePointer<Float>?,
    _ ids: UnsafePointer<Int64>?, _ forward: OpaquePointer?, _ neighbours: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    neighbourPlan(pointer, from, to, n, dimension, vectors, ids, forward, neighbours, out, BackfillPlanner.neighbourhood)
}

@_cdecl("stasis_backfill_plan_hubs")
public func stasis_backfill_plan_hubs(
    _ pointer: OpaquePointer?, _ from: UInt32, _ to: UInt32, _ n: Int64, _ dimension: Int64, _ vectors: UnsafePointer<Float>?,
    _ ids: UnsafePointer<Int64>?, _ forward: OpaquePointer?, _ neighbours: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    neighbourPlan(pointer, from, to, n, dimension, vectors, ids, forward, neighbours, out, BackfillPlanner.hubs)
}

/// Shared body of the two plans that rank items by their neighbourhood after a forward adapter
/// (same arguments, same checks; only the ranking differs).
private func neighbourPlan(
    _ pointer: OpaquePointer?, _ from: UInt32, _ to: UInt32, _ n: Int64, _ dimension: Int64, _ vectors: UnsafePointer<Float>?,
    _ ids: UnsafePointer<Int64>?, _ forward: OpaquePointer?, _ neighbours: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ policy: (MixedGallery, UInt32, UInt32, [Int64], [Float], Int, Adapter, Int) throws -> BackfillPlan
) -> Int32 {
    boundary {
        try PlanHandle.produce(into: out) {
            let target = try gallery(pointer)
            let adapter = try AdapterHandle.object(forward, "adapter")
            let rows = try Arguments.count(n), dim = try width(dimension, of: from, in: target, "vectors")
            guard neighbours >= 0, neighbours <= 1024 else { throw StasisError(.invalidArgument, "neighbours must be in 0...1024 (0 = 10)") }
            return BackfillPlanBox(try policy(
                target, from, to, try Arguments.array(ids, rows: rows, "ids"),
                try Arguments.array(vectors, rows: rows, dimension: dim, "vectors"), dim, adapter,
                neighbours == 0 ? 10 : Int(neighbours)))
        }
    }
}

@_cdecl("stasis_backfill_plan_free")
public func stasis_backfill_plan_free(_ pointer: OpaquePointer?) { PlanHandle.release(pointer) }

@_cdecl("stasis_backfill_plan_length")
public func stasis_backfill_plan_length(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary { try PlanHandle.read(pointer, "backfill_plan", into: out) { Int64($0.value.order.count) } }
}

@_cdecl("stasis_backfill_plan_order")
public func stasis_backfill_plan_order(_ pointer: OpaquePointer?, _ capacity: Int64, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    boundary {
        let order = try plan(pointer).value.order
        guard capacity >= Int64(order.count) else {
            throw StasisError(.invalidArgument, "capacity \(capacity) is smaller than the plan's \(order.count) ids")
        }
        guard !order.isEmpty else { return }
        try Arguments.required(out, "out_ids").update(from: order, count: order.count)
    }
}

@_cdecl("stasis_backfill_plan_next_batch")
public func stasis_backfill_plan_next_batch(
    _ pointer: OpaquePointer?, _ galleryPointer: OpaquePointer?, _ size: Int64, _ outIDs: UnsafeMutablePointer<Int64>?,
    _ outCount: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary {
        let box = try plan(pointer)
        let target = try gallery(galleryPointer)
        guard size > 0, size <= 1 << 24 else { throw StasisError(.invalidArgument, "size must be in 1...\(1 << 24), got \(size)") }
        let ids = try Arguments.required(outIDs, "out_ids")
        let count = try Arguments.required(outCount, "out_count")
        let batch = try box.nextBatch(size: Int(size), in: target)
        ids.update(from: batch, count: batch.count)
        count.pointee = Int64(batch.count)
    }
}

@_cdecl("stasis_backfill_plan_progress")
public func stasis_backfill_plan_progress(
    _ pointer: OpaquePointer?, _ galleryPointer: OpaquePointer?, _ outDone: UnsafeMutablePointer<Int64>?,
    _ outRemaining: UnsafeMutablePointer<Int64>?
) -> Int32 {
    boundary {
        let progress = try plan(pointer).value.progress(in: try gallery(galleryPointer))
        try Arguments.required(outDone, "out_done").pointee = Int64(progress.done)
        try Arguments.required(outRemaining, "out_remaining").pointee = Int64(progress.remaining)
    }
}

@_cdecl("stasis_backfill_plan_save")
public func stasis_backfill_plan_save(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary { try plan(pointer).value.save(to: try Arguments.string(path, "path")) }
}

@_cdecl("stasis_backfill_plan_open")
public func stasis_backfill_plan_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    boundary { try PlanHandle.produce(into: out) { BackfillPlanBox(try BackfillPlan.open(try Arguments.string(path, "path"))) } }
}

@_cdecl("stasis_backfill_curve")
public func stasis_backfill_curve(
    _ galleryPointer: OpaquePointer?, _ planPointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?,
    _ labels: UnsafePointer<Int32>?, _ newDimension: Int64, _ newVectors: UnsafePointer<Float>?, _ queryCount: Int64,
    _ queryDimension: Int64, _ queries: UnsafePointer<Float>?, _ queryVersion: UInt32, _ queryLabels: UnsafePointer<Int32>?,
    _ steps: Int64, _ outFractions: UnsafeMutablePointer<Double>?, _ outValues: UnsafeMutablePointer<Double>?,
    _ outArea: UnsafeMutablePointer<Double>?
) -> Int32 {
    boundary {
        try backfillCurve(galleryPointer, planPointer, n, ids, labels, newDimension, newVectors, queryCount, queryDimension,
                          queries, queryVersion, queryLabels, steps, outFractions, outValues, nil, outArea, flipsRequired: false)
    }
}

@_cdecl("stasis_backfill_curve_flips")
public func stasis_backfill_curve_flips(
    _ galleryPointer: OpaquePointer?, _ planPointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?,
    _ labels: UnsafePointer<Int32>?, _ newDimension: Int64, _ newVectors: UnsafePointer<Float>?, _ queryCount: Int64,
    _ queryDimension: Int64, _ queries: UnsafePointer<Float>?, _ queryVersion: UInt32, _ queryLabels: UnsafePointer<Int32>?,
    _ steps: Int64, _ outFractions: UnsafeMutablePointer<Double>?, _ outValues: UnsafeMutablePointer<Double>?,
    _ outNegativeFlips: UnsafeMutablePointer<Double>?, _ outArea: UnsafeMutablePointer<Double>?
) -> Int32 {
    boundary {
        try backfillCurve(galleryPointer, planPointer, n, ids, labels, newDimension, newVectors, queryCount, queryDimension,
                          queries, queryVersion, queryLabels, steps, outFractions, outValues, outNegativeFlips, outArea,
                          flipsRequired: true)
    }
}

/// Both curve entry points: every argument is checked before the gallery changes.
private func backfillCurve(
    _ galleryPointer: OpaquePointer?, _ planPointer: OpaquePointer?, _ n: Int64, _ ids: UnsafePointer<Int64>?,
    _ labels: UnsafePointer<Int32>?, _ newDimension: Int64, _ newVectors: UnsafePointer<Float>?, _ queryCount: Int64,
    _ queryDimension: Int64, _ queries: UnsafePointer<Float>?, _ queryVersion: UInt32, _ queryLabels: UnsafePointer<Int32>?,
    _ steps: Int64, _ outFractions: UnsafeMutablePointer<Double>?, _ outValues: UnsafeMutablePointer<Double>?,
    _ outNegativeFlips: UnsafeMutablePointer<Double>?, _ outArea: UnsafeMutablePointer<Double>?, flipsRequired: Bool
) throws {
    let target = try gallery(galleryPointer)
    let box = try plan(planPointer)
    let rows = try Arguments.count(n), dim = try Arguments.dimension(newDimension)
    let qRows = try Arguments.count(queryCount, "query_count"), qDim = try Arguments.dimension(queryDimension)
    guard steps >= 1, steps <= 1000 else { throw StasisError(.invalidArgument, "steps must be in 1...1000, got \(steps)") }
    let fractions = try Arguments.required(outFractions, "out_fractions")
    let values = try Arguments.required(outValues, "out_values")
    let flips = flipsRequired ? try Arguments.required(outNegativeFlips, "out_negative_flips") : nil
    guard target.versions.first(where: { $0.version == queryVersion })?.dimension == qDim else {
        throw StasisError(.dimensionMismatch, "queries are \(qDim)-dimensional; version \(queryVersion) is not registered with that width")
    }
    let queryValues = try Arguments.array(queries, rows: qRows, dimension: qDim, "queries")
    let curve = try BackfillMeasurement.curve(
        gallery: target, plan: box.value, ids: try Arguments.array(ids, rows: rows, "ids"),
        labels: try Arguments.array(labels, rows: rows, "labels"),
        newVectors: try Arguments.array(newVectors, rows: rows, dimension: dim, "new_vectors"),
        queries: queryValues, queryCount: qRows, queryVersion: queryVersion,
        queryLabels: try Arguments.array(queryLabels, rows: qRows, "query_labels"), steps: Int(steps))
    fractions.update(from: curve.fractions, count: curve.fractions.count)
    values.update(from: curve.values, count: curve.values.count)
    if let flips, let measured = curve.negativeFlips { flips.update(from: measured, count: measured.count) }
    outArea?.pointee = BackfillMeasurement.area(curve)
}

// MARK: Write-ahead log of a gallery (docs/durability.md)

@_cdecl("stasis_gallery_enable_wal")
public func stasis_gallery_enable_wal(
    _ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ options: UnsafeRawPointer?
) -> Int32 {
    boundary {
        let target = try gallery(pointer)
        let path = try Arguments.string(path, "wal_path")
        try target.enableWAL(path: path, syncMode: try WALOptionsABI.read(options))
    }
}

@_cdecl("stasis_gallery_disable_wal")
public func stasis_gallery_disable_wal(_ pointer: OpaquePointer?) -> Int32 {
    boundary { try gallery(pointer).disableWAL() }
}

@_cdecl("stasis_gallery_checkpoint")
public func stasis_gallery_checkpoint(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    boundary { try gallery(pointer).checkpoint(to: try Arguments.string(path, "path")) }
}

@_cdecl("stasis_gallery_wal_sequence")
public func stasis_gallery_wal_sequence(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<UInt64>?) -> Int32 {
    boundary { try GalleryHandle.read(pointer, "gallery", into: out) { $0.lastWALSequence } }
}

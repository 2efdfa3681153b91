import Testing
@testable import StasisCore

@Suite struct BackfillTests {
    /// 5 of 20 classes are embedded by the old model through another map: the global adapters
    /// serve them badly, so re-encoding them first should pay most.
    let models = TwoModels(badClasses: 5, spread: 1.2)
    static let items = 400

    func setUp() throws -> (MixedGallery, Adapter, (old: [Float], new: [Float], labels: [Int32]), AdapterErrorModel) {
        let (gallery, _, forward) = try MixedGalleryTests().makeGallery(models)
        let data = models.items(0, Self.items, seed: 21)
        try gallery.upsert(data.old, dimension: 24, ids: (0..<Self.items).map(Int64.init), version: 1)
        let paired = models.items(10_000, 600, seed: 7)
        let model = try AdapterErrorModel.fit(adapter: forward, source: paired.old, target: paired.new, count: 600)
        return (gallery, forward, data, model)
    }

    @Test func plansAreOrderedResumableAndSaved() throws {
        let (gallery, forward, data, model) = try setUp()
        let ids = (0..<Self.items).map(Int64.init)
        let random = try BackfillPlanner.random(gallery: gallery, from: 1, to: 2, seed: 3)
        #expect(random.order.sorted() == ids)
        #expect(try BackfillPlanner.random(gallery: gallery, from: 1, to: 2, seed: 3) == random)
        #expect(try BackfillPlanner.random(gallery: gallery, from: 1, to: 2, seed: 4).order != random.order)

        var plan = try BackfillPlanner.predictedError(gallery: gallery, from: 1, to: 2, ids: ids, vectors: data.old, dimension: 24, model: model)
        #expect(plan.order.sorted() == ids)
        let priorities = plan.priorities ?? []
        #expect(zip(priorities, priorities.dropFirst()).allSatisfy { $0 >= $1 })
        // The first quarter of the order is mostly the badly served classes (25% of all items).
        let bad = plan.order.prefix(100).filter { data.labels[Int($0)] < 5 }.count
        #expect(bad > 60)

        let first = try plan.nextBatch(size: 10, in: gallery)
        #expect(first == Array(plan.order.prefix(10)))
        #expect(try plan.nextBatch(size: 10, in: gallery) == first)  // not upserted yet: same batch again
        let rows = first.flatMap { TestVectors.row(data.new, Int($0), dimension: 32) }
        try gallery.upsert(rows, dimension: 32, ids: first, version: 2)
        let second = try plan.nextBatch(size: 10, in: gallery)
        #expect(second == Array(plan.order[10..<20]))
        #expect(plan.cursor == 10)
        #expect(plan.progress(in: gallery) == .init(done: 10, remaining: 390))

        let own = try BackfillPlanner.custom(gallery: gallery, from: 1, to: 2, order: Array(plan.order.dropFirst(10).reversed()))
        #expect(own.policy == .custom && own.order.count == 390)
        #expect(throws: StasisError.self) { _ = try BackfillPlanner.custom(gallery: gallery, from: 1, to: 2, order: Array(plan.order)) }
        #expect(throws: StasisError.self) { _ = try BackfillPlanner.custom(gallery: gallery, from: 1, to: 2, order: Array(plan.order.dropFirst(11))) }
        let path = scratchDirectory() + "/plan.json"
        try plan.save(to: path)
        #expect(try BackfillPlan.open(path) == plan)

        let near = try BackfillPlanner.neighbourhood(
            gallery: try MixedGalleryTests().makeGallery(models).0.filled(data.old),
            from: 1, to: 2, ids: ids, vectors: data.old, dimension: 24, adapter: forward, neighbours: 5)
        #expect(near.order.sorted() == ids)
    }

    @Test func badInputIsRefused() throws {
        let (gallery, forward, data, model) = try setUp()
        let ids = (0..<Self.items).map(Int64.init)
        func code(_ body: () throws -> Void) -> StasisError.Code? {
            do { try body(); return nil } catch { return (error as? StasisError)?.code }
        }
        #expect(code { _ = try BackfillPlanner.random(gallery: gallery, from: 1, to: 9) } == .notFound)
        #expect(code { _ = try BackfillPlanner.random(gallery: gallery, from: 1, to: 1) } == .invalidArgument)
        // Unknown id, a missing id, a NaN, wrong widths, the wrong adapter direction.
        #expect(code {
            _ = try BackfillPlanner.predictedError(gallery: gallery, from: 1, to: 2, ids: ids.dropLast() + [999],
                                                   vectors: data.old, dimension: 24, model: model)
        } == .notFound)
        #expect(code {
            _ = try BackfillPlanner.predictedError(gallery: gallery, from: 1, to: 2, ids: Array(ids.dropLast()),
                                                   vectors: Array(data.old.dropLast(24)), dimension: 24, model: model)
        } == .invalidArgument)
        var nan = data.old; nan[5] = .nan
        #expect(code {
            _ = try BackfillPlanner.predictedError(gallery: gallery, from: 1, to: 2, ids: ids, vectors: nan, dimension: 24, model: model)
        } == .invalidArgument)
        #expect(code {
            _ = try BackfillPlanner.neighbourhood(gallery: gallery, from: 1, to: 2, ids: ids, vectors: data.old, dimension: 32, adapter: forward)
        } == .dimensionMismatch)
        #expect(code {
            _ = try BackfillPlanner.neighbourhood(gallery: gallery, from: 2, to: 1, ids: ids, vectors: data.old, dimension: 24, adapter: forward)
        } == .incompatible)
        #expect(gallery.countsByVersion == [1: Self.items])
    }

    @Test func predictedErrorOrderBeatsRandomOnTheBackfillCurve() throws {
        let queries = models.items(30_000, 200, seed: 41)
        let ids = (0..<Self.items).map(Int64.init)
        var areas: [BackfillPolicy: Double] = [:]
        for policy: BackfillPolicy in [.random, .predictedError, .neighbourhood, .hubs] {
            let (gallery, forward, data, model) = try setUp()
            let plan: BackfillPlan
            switch policy {
            case .random: plan = try BackfillPlanner.random(gallery: gallery, from: 1, to: 2, seed: 1)
            case .predictedError:
                plan = try BackfillPlanner.predictedError(gallery: gallery, from: 1, to: 2, ids: ids, vectors: data.old, dimension: 24, model: model)
            case .hubs:
                plan = try BackfillPlanner.hubs(gallery: gallery, from: 1, to: 2, ids: ids, vectors: data.old, dimension: 24, adapter: forward)
                #expect(Set(plan.order) == Set(ids) && plan.policy == .hubs)
                let file = scratchDirectory() + "/hubs.json"
                try plan.save(to: file)
                #expect(try BackfillPlan.open(file).policy == .hubs)
            default:
                plan = try BackfillPlanner.neighbourhood(gallery: gallery, from: 1, to: 2, ids: ids, vectors: data.old, dimension: 24, adapter: forward)
            }
            let curve = try BackfillMeasurement.curve(
                gallery: gallery, plan: plan, ids: ids, labels: data.labels, newVectors: data.new,
                queries: queries.new, queryCount: 200, queryVersion: 2, queryLabels: queries.labels, steps: 10)
            #expect(curve.fractions.count == 11)
            #expect(gallery.countsByVersion == [2: Self.items])
            // Negative flips against the gallery before the backfill: none at fraction 0, and
            // never more than the queries wrong at that point.
            let flips = try #require(curve.negativeFlips)
            #expect(flips.count == 11 && flips[0] == 0)
            #expect(zip(flips, curve.values).allSatisfy { $0 >= 0 && $0 <= 1 - $1 + 1e-12 })
            areas[policy] = BackfillMeasurement.area(curve)
            print("backfill \(policy.rawValue): AUC \(areas[policy] ?? 0), curve \(curve.values)")
        }
        #expect((areas[.predictedError] ?? 0) > (areas[.random] ?? 1))
    }
}

extension MixedGallery {
    /// The gallery with items 0..<n holding `old` (v1) rows.
    func filled(_ old: [Float]) throws -> MixedGallery {
        try upsert(old, dimension: 24, ids: (0..<Int64(old.count / 24)).map { $0 }, version: 1)
        return self
    }
}

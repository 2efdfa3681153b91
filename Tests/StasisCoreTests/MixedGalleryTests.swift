import Testing
import Glibc
@testable import StasisCore

/// Two synthetic "models" over one latent class structure: old (v1, 24-d) and new (v2, 32-d).
/// Classes below `badClasses` are embedded by the old model through a different map, so a
/// globally fitted adapter serves them badly: the case a backfill order should fix first.
struct TwoModels {
    static let latent = 16, oldDim = 24, newDim = 32, classes = 20
    let badClasses: Int
    let aOld: [Float], bOld: [Float], aNew: [Float], centres: [Float]

    init(badClasses: Int = 0, spread: Float = 3) {
        self.badClasses = badClasses
        aOld = TestVectors.make(count: Self.latent, dimension: Self.oldDim, seed: 101)
        bOld = TestVectors.make(count: Self.latent, dimension: Self.oldDim, seed: 102)
        aNew = TestVectors.make(count: Self.latent, dimension: Self.newDim, seed: 103)
        centres = TestVectors.make(count: Self.classes, dimension: Self.latent, seed: 104).map { $0 * spread }
    }

    /// Latent rows of items `first..<first+count` (label = item % classes).
    func items(_ first: Int, _ count: Int, seed: UInt64) -> (old: [Float], new: [Float], labels: [Int32]) {
        let noise = TestVectors.make(count: count, dimension: Self.latent, seed: seed)
        let oldNoise = TestVectors.make(count: count, dimension: Self.oldDim, seed: seed &+ 1)
        var old: [Float] = [], new: [Float] = [], labels: [Int32] = []
        for i in 0..<count {
            let label = (first + i) % Self.classes
            let z = (0..<Self.latent).map { centres[label * Self.latent + $0] + noise[i * Self.latent + $0] }
            let map = label < badClasses ? bOld : aOld
            old += (0..<Self.oldDim).map { j in
                (0..<Self.latent).reduce(Float(0)) { $0 + z[$1] * map[$1 * Self.oldDim + j] } + 0.6 * oldNoise[i * Self.oldDim + j]
            }
            new += (0..<Self.newDim).map { j in (0..<Self.latent).reduce(Float(0)) { $0 + z[$1] * aNew[$1 * Self.newDim + j] } }
            labels.append(Int32(label))
        }
        return (old, new, labels)
    }
}

@Suite struct MixedGalleryTests {
    let models = TwoModels()

    /// Gallery with v1 (space a, 24-d) and v2 (space b, 32-d), bridged both ways by ridge adapters.
    func makeGallery(_ models: TwoModels) throws -> (MixedGallery, backward: Adapter, forward: Adapter) {
        let paired = models.items(10_000, 600, seed: 7)
        let backward = try Adapter.fit(kind: .ridge, sourceVersion: 2, targetVersion: 1,
            source: paired.new, sourceRows: 600, sourceDimension: 32, target: paired.old, targetRows: 600, targetDimension: 24)
        let forward = try Adapter.fit(kind: .ridge, sourceVersion: 1, targetVersion: 2,
            source: paired.old, sourceRows: 600, sourceDimension: 24, target: paired.new, targetRows: 600, targetDimension: 32)
        let gallery = try MixedGallery()
        try gallery.register(version: 1, dimension: 24, space: "a")
        try gallery.register(version: 2, dimension: 32, space: "b")
        try gallery.add(adapter: backward)
        try gallery.add(adapter: forward)
        return (gallery, backward, forward)
    }

    /// Mean R-precision: share of the R same-label gallery items found in the top R.
    func rPrecision(_ result: MixedSearchResult, queryLabels: [Int32], label: (Int64) -> Int32, relevant: Int) -> Double {
        var total = 0.0
        for q in 0..<result.count {
            let hits = (0..<relevant).filter { j in
                let id = result.ids[q * result.k + j]
                return id >= 0 && label(id) == queryLabels[q]
            }.count
            total += Double(hits) / Double(relevant)
        }
        return total / Double(result.count)
    }

    @Test func upsertMovesAnIdBetweenPartsAndBadInputChangesNothing() throws {
        let (gallery, _, _) = try makeGallery(models)
        let data = models.items(0, 4, seed: 1)
        try gallery.upsert(data.old, dimension: 24, ids: [0, 1, 2, 3], version: 1)
        try gallery.upsert(Array(data.new[0..<64]), dimension: 32, ids: [0, 1], version: 2)
        #expect(gallery.versions(of: [0, 1, 2, 3, 9]) == [2, 2, 1, 1, nil])
        #expect(gallery.count == 4)
        #expect(gallery.countsByVersion == [1: 2, 2: 2])
        #expect(gallery.ids(version: 1) == [2, 3])

        var nan = Array(data.new[0..<32]); nan[3] = .nan
        #expect(throws: StasisError.self) { try gallery.upsert(nan, dimension: 32, ids: [2], version: 2) }
        #expect(throws: StasisError.self) { try gallery.upsert(Array(data.old[0..<24]), dimension: 24, ids: [0], version: 9) }
        #expect(throws: StasisError.self) { try gallery.upsert(Array(data.old[0..<24]), dimension: 32, ids: [0], version: 2) }
        #expect(throws: StasisError.self) { try gallery.remove(ids: [2, 77]) }
        #expect(gallery.versions(of: [0, 1, 2, 3]) == [2, 2, 1, 1])
        try gallery.remove(ids: [0, 3])
        #expect(gallery.count == 2)
    }

    @Test func bridgesAreCheckedAgainstRegisteredVersions() throws {
        let (gallery, backward, forward) = try makeGallery(models)
        let loose = try MixedGallery()
        try loose.register(version: 1, dimension: 24)
        do {
            try loose.add(adapter: backward)  // source version 2 is not registered
            Issue.record("expected an error")
        } catch let error as StasisError {
            #expect(error.code == .notFound)
            #expect(error.message.contains("version 2"))
        }
        #expect(loose.bridgeCount == 0)
        // A chain with a gap: 2 -> 1 followed by 2 -> 1 again.
        #expect(throws: StasisError.self) { _ = try AdapterChain([backward, backward]) }
        // Wrong widths: version 3 registered with 30 dimensions, adapter reads 32.
        try gallery.register(version: 3, dimension: 30, space: "c")
        #expect(throws: StasisError.self) { try gallery.register(version: 3, dimension: 31) }
        #expect(throws: StasisError.self) { try gallery.register(version: 4, dimension: 31, space: "a") }
        #expect(gallery.bridgeCount == 2)
        _ = forward
        // Too many results for one call is refused before anything is allocated.
        #expect(throws: StasisError.self) {
            _ = try gallery.search([], count: 1 << 20, dimension: 32, version: 2, k: 1 << 10)
        }
        // A query from a version with no path to a non-empty part is refused.
        let data = models.items(0, 2, seed: 1)
        try gallery.upsert(data.old, dimension: 24, ids: [0, 1], version: 1)
        #expect(throws: StasisError.self) {
            _ = try gallery.search(Array(repeating: 1, count: 30), count: 1, dimension: 30, version: 3, k: 1)
        }
    }

    @Test func calibratedMergeBeatsEitherPartAlone() throws {
        let (gallery, _, _) = try makeGallery(models)
        let items = models.items(0, 400, seed: 21)
        // Even ids on the old version, odd ids on the new one: every class is split across parts.
        let evens = stride(from: 0, to: 400, by: 2), odds = stride(from: 1, to: 400, by: 2)
        try gallery.upsert(evens.flatMap { TestVectors.row(items.old, $0, dimension: 24) }, dimension: 24,
                           ids: evens.map(Int64.init), version: 1)
        try gallery.upsert(odds.flatMap { TestVectors.row(items.new, $0, dimension: 32) }, dimension: 32,
                           ids: odds.map(Int64.init), version: 2)
        let heldOut = models.items(20_000, 100, seed: 31)
        try gallery.calibrate(heldOut.new, count: 100, dimension: 32, version: 2, k: 20)
        let queries = models.items(30_000, 200, seed: 41)
        let label = { (id: Int64) in items.labels[Int(id)] }
        func score(space: String?, calibrated: Bool) throws -> Double {
            let result = try gallery.search(queries.new, count: 200, dimension: 32, version: 2, k: 20, space: space, calibrated: calibrated)
            return rPrecision(result, queryLabels: queries.labels, label: label, relevant: 20)
        }
        let merged = try score(space: nil, calibrated: true)
        let raw = try score(space: nil, calibrated: false)
        let oldOnly = try score(space: "a", calibrated: true)
        let newOnly = try score(space: "b", calibrated: true)
        print("R-precision: merged calibrated \(merged), merged raw \(raw), old part \(oldOnly), new part \(newOnly)")
        #expect(merged > oldOnly + 0.05)
        #expect(merged > newOnly + 0.05)
        #expect(merged >= raw)
        #expect(gallery.calibration(version: 2, space: "a") != nil)

        // The paired-regression rule: adapted cosines mapped to predicted native cosines.
        let paired = models.items(40_000, 300, seed: 51)
        try gallery.calibrate(heldOut.new, count: 100, dimension: 32, version: 2, storedVersion: 1,
                              pairedQuery: paired.new, pairedStored: paired.old, pairCount: 300, k: 20)
        #expect(gallery.calibration(version: 2, space: "b") == ScoreCalibration(mean: 0, deviation: 1))
        let regressed = try score(space: nil, calibrated: true)
        print("R-precision: merged, paired regression \(regressed)")
        #expect(regressed > oldOnly + 0.05 && regressed > newOnly + 0.05)
        #expect(throws: StasisError.self) {
            try gallery.calibrate(heldOut.new, count: 100, dimension: 32, version: 2, storedVersion: 2,
                                  pairedQuery: paired.new, pairedStored: paired.new, pairCount: 300)
        }
    }

    @Test func saveAndOpenKeepsEverything() throws {
        let (gallery, _, _) = try makeGallery(models)
        let items = models.items(0, 40, seed: 5)
        try gallery.upsert(Array(items.old[0..<(20 * 24)]), dimension: 24, ids: Array(0..<20), version: 1)
        try gallery.upsert(Array(items.new[(20 * 32)...]), dimension: 32, ids: Array(20..<40), version: 2)
        try gallery.calibrate(Array(items.new[0..<(10 * 32)]), count: 10, dimension: 32, version: 2, k: 5)
        let directory = scratchDirectory() + "/gallery"
        try gallery.save(to: directory)
        try gallery.save(to: directory)  // a second generation replaces the first
        let reopened = try MixedGallery.open(directory)
        #expect(reopened.versions == gallery.versions)
        #expect(reopened.countsByVersion == [1: 20, 2: 20])
        #expect(reopened.bridgeCount == 2)
        #expect(reopened.calibration(version: 2, space: "b") == gallery.calibration(version: 2, space: "b"))
        let queries = Array(items.new[0..<(5 * 32)])
        let a = try gallery.search(queries, count: 5, dimension: 32, version: 2, k: 8)
        let b = try reopened.search(queries, count: 5, dimension: 32, version: 2, k: 8)
        #expect(a.ids == b.ids)
        // A manifest naming a file outside the directory is refused.
        let manifest = directory + "/gallery.json"
        var text = String(decoding: try readFile(manifest), as: UTF8.self)
        text = text.replacingAll("part-2-0.stasis", with: "../x.stasis")
        let writer = try AtomicFileWriter(path: manifest)
        try writer.write(array: Array(text.utf8))
        try writer.commit()
        #expect { _ = try MixedGallery.open(directory) } throws: { ($0 as? StasisError)?.code == .corruptFile }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        var result = "", rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

@Suite struct MixedGalleryFileTests {
    /// A saved two-part gallery (v1 in space a with id 1, v2 in space b with id 2) and its directory.
    func saved() throws -> String {
        let gallery = try MixedGallery()
        try gallery.register(version: 1, dimension: 4, space: "a")
        try gallery.register(version: 2, dimension: 6, space: "b")
        try gallery.upsert([1, 0, 0, 0], dimension: 4, ids: [1], version: 1)
        try gallery.upsert([0, 1, 0, 0, 0, 0], dimension: 6, ids: [2], version: 2)
        let directory = scratchDirectory() + "/g"
        try gallery.save(to: directory)
        return directory
    }

    func code(_ body: () throws -> Void) -> StasisError.Code? {
        do { try body(); return nil } catch { return (error as? StasisError)?.code }
    }

    @Test func damagedDirectoriesAreRefused() throws {
        // An id stored in two parts.
        var directory = try saved()
        let twice = try VersionedIndex(dimension: 6, factory: "Flat")
        try twice.add([0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0], dimension: 6, ids: [1, 2], version: 2)
        try twice.save(to: directory + "/part-1-1.stasis")
        #expect(code { _ = try MixedGallery.open(directory) } == .corruptFile)

        // A part holding a version not registered in its space.
        directory = try saved()
        let stranger = try VersionedIndex(dimension: 6, factory: "Flat")
        try stranger.add([0, 0, 1, 0, 0, 0], dimension: 6, ids: [2], version: 7)
        try stranger.save(to: directory + "/part-1-1.stasis")
        #expect(code { _ = try MixedGallery.open(directory) } == .corruptFile)

        // A part of the wrong width.
        directory = try saved()
        let narrow = try VersionedIndex(dimension: 4, factory: "Flat")
        try narrow.save(to: directory + "/part-1-1.stasis")
        #expect(code { _ = try MixedGallery.open(directory) } == .corruptFile)

        // A missing part file; a manifest that is not JSON; a missing directory.
        directory = try saved()
        unlink(directory + "/part-1-0.stasis")
        #expect(code { _ = try MixedGallery.open(directory) } == .io)
        directory = try saved()
        let writer = try AtomicFileWriter(path: directory + "/gallery.json")
        try writer.write(array: Array("{\"kind\": 3".utf8))
        try writer.commit()
        #expect(code { _ = try MixedGallery.open(directory) } == .corruptFile)
        #expect(code { _ = try MixedGallery.open("/nonexistent/gallery") } == .io)
    }

    @Test func damagedPlansAreRefused() throws {
        let path = scratchDirectory() + "/plan.json"
        for text in ["{}", "[1, 2]",
                     "{\"fromVersion\":1,\"toVersion\":2,\"policy\":\"random\",\"order\":[1,2],\"cursor\":5}",
                     "{\"fromVersion\":1,\"toVersion\":2,\"policy\":\"random\",\"order\":[1,1],\"cursor\":0}",
                     "{\"fromVersion\":1,\"toVersion\":2,\"policy\":\"best\",\"order\":[1],\"cursor\":0}",
                     "{\"fromVersion\":1,\"toVersion\":2,\"policy\":\"random\",\"order\":[1],\"priorities\":[1,2],\"cursor\":0}"] {
            let writer = try AtomicFileWriter(path: path)
            try writer.write(array: Array(text.utf8))
            try writer.commit()
            #expect(code { _ = try BackfillPlan.open(path) } == .corruptFile, "\(text)")
        }
    }
}

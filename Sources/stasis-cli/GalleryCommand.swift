import ArgumentParser
import Glibc
import StasisCore

extension Stasis {
    /// `stasis gallery create|upsert|remove|search|inspect|calibrate`: mixed-version gallery
    /// directories (docs/gallery.md) from the terminal. A command that changes a gallery opens it,
    /// applies the change in memory and saves it (the manifest is the commit point), so a refused
    /// change leaves the directory as it was.
    struct GalleryCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gallery", abstract: "Create, fill, search and calibrate mixed-version galleries (docs/gallery.md).",
            discussion: """
                Examples:
                  stasis gallery create --version 1:256 --version 2:384 \\
                      --adapter v2to1.safetensors g/
                  stasis gallery upsert g/ --version 2 --ids ids.npy new.npy
                  stasis gallery search g/ --version 2 queries.npy --k 10 --json
                  stasis gallery inspect g/
                """,
            subcommands: [Create.self, Upsert.self, Remove.self, Search.self, Inspect.self, Calibrate.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create an empty gallery: its versions, their widths and spaces, and the adapter bridges.",
                discussion: """
                    --version VERSION:DIM[:SPACE] registers a model version (versions given one SPACE are \
                    searched together directly; without one a version gets a space of its own). --adapter \
                    FILE adds one adapter as a bridge; --chain A,B,... adds a chain (source of each link = \
                    target of the previous). Both ends of every bridge must be registered. Refuses a \
                    directory that already holds a gallery. --json prints the gallery as `gallery inspect \
                    --json` does.

                    Examples:
                      stasis gallery create --version 1:256 --version 2:384 \\
                          --adapter v2to1.safetensors --adapter v1to2.safetensors g/
                      stasis gallery create --factory HNSW32 --version 1:64:simplex \\
                          --version 2:64:simplex g/
                      stasis gallery create --version 1:8 --version 3:6 \\
                          --chain v3to2.safetensors,v2to1.safetensors g/
                    """)

            @Option(help: "Faiss factory of every part: Flat or HNSW<M> (untrained kinds only).")
            var factory = "Flat"

            @Option(name: .customLong("version"), help: "VERSION:DIM[:SPACE], repeatable.")
            var versions: [String] = []

            @Option(name: .customLong("adapter"), help: "An adapter (.safetensors) as one bridge; repeatable.")
            var adapters: [String] = []

            @Option(name: .customLong("chain"), help: "Adapters A,B,... (.safetensors) chained into one bridge; repeatable.")
            var chains: [String] = []

            @Flag(help: "Print the new gallery as JSON (as `gallery inspect --json`) instead of text.")
            var json = false

            @Argument(help: "Gallery directory to create.")
            var directory: String

            func run() throws {
                do {
                    if access("\(directory)/gallery.json", F_OK) == 0 {
                        throw StasisError(.invalidArgument, "'\(directory)' already holds a gallery; nothing was changed")
                    }
                    guard !versions.isEmpty else { throw StasisError(.invalidArgument, "give at least one --version VERSION:DIM[:SPACE]") }
                    let gallery = try MixedGallery(factory: factory)
                    for text in versions {
                        let (version, dimension, space) = try parseVersion(text)
                        try gallery.register(version: version, dimension: dimension, space: space)
                    }
                    for file in adapters { try gallery.add(adapter: try AdapterFile.open(file)) }
                    for list in chains {
                        let files = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                        guard !files.contains(where: \.isEmpty) else {
                            throw StasisError(.invalidArgument, "--chain '\(list)' has an empty file name")
                        }
                        try gallery.add(chain: try AdapterChain(try files.map { try AdapterFile.open($0) }))
                    }
                    try gallery.save(to: directory)
                    if json {
                        try printJSON(GalleryJSON(gallery))
                        return
                    }
                    print("\(directory): \(gallery.versions.count) versions, \(gallery.bridgeCount) bridges, factory \(gallery.factory)")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Upsert: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add or replace items with vectors of one version; an item stored under another version moves.",
                discussion: """
                    All or nothing: unregistered version, wrong width, NaN, repeated ids change nothing. \
                    --json prints {"gallery", "version", "upserted", "count", "versions": {version: items}}.

                    Examples:
                      stasis gallery upsert g/ --version 2 --ids ids.npy new.npy
                      stasis gallery upsert g/ --version 1 --ids ids.ivecs old.fvecs --json
                    """)

            @Argument(help: "Gallery directory.")
            var directory: String

            @Option(parsing: .unconditional, help: "Model version of the vectors.")
            var version: Int64

            @Option(help: "Item ids (.npy int64/int32 or .ivecs), one per row of the vectors.")
            var ids: String

            @Argument(help: "Vectors (.npy or .fvecs, n x dim of the version).")
            var vectors: String

            @Flag(help: "Print the counts as JSON instead of a line of text.")
            var json = false

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(directory)
                    let version = try modelVersion(self.version, "--version")
                    let x = try readVectors(vectors)
                    let list = try readIntegers(ids).values
                    guard list.count == x.rows else {
                        throw StasisError(.invalidArgument, "--ids has \(list.count) ids, the vectors \(x.rows) rows; nothing was changed")
                    }
                    try gallery.upsert(x.values, dimension: x.columns, ids: list, version: version)
                    try gallery.save(to: directory)
                    try printCounts(gallery, directory, changed: ("upserted", list.count), version: version, json: json)
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove items by id (all present, or nothing is removed).",
                discussion: """
                    --json prints {"gallery", "version": null, "removed", "count", "versions": {version: items}}.

                    Example:
                      stasis gallery remove g/ --ids deleted.npy
                    """)

            @Argument(help: "Gallery directory.")
            var directory: String

            @Option(help: "Ids to remove (.npy int64/int32 or .ivecs).")
            var ids: String

            @Flag(help: "Print the counts as JSON instead of a line of text.")
            var json = false

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(directory)
                    let list = try readIntegers(ids).values
                    try gallery.remove(ids: list)
                    try gallery.save(to: directory)
                    try printCounts(gallery, directory, changed: ("removed", list.count), version: nil, json: json)
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Search: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Search with queries of one version: each part through its adapter route, merged by calibrated score.",
                discussion: """
                    --json prints every query's hits instead of the text lines: {"queries": n, "k": k, \
                    "ids": n x k (-1 = no hit), "scores": n x k calibrated scores (null = no hit), \
                    "cosines": n x k cosines in the hit's own space (null = no hit), "versions": n x k \
                    (0 = no hit)}. --raw merges uncalibrated cosines; --space searches one part only.

                    Examples:
                      stasis gallery search g/ --version 2 queries.npy --k 10
                      stasis gallery search g/ --version 2 queries.fvecs --k 5 \\
                          --ids-out I.npy --json
                    """)

            @Argument(help: "Gallery directory.")
            var directory: String

            @Option(parsing: .unconditional, help: "Model version of the queries.")
            var version: Int64

            @Argument(help: "Queries (.npy or .fvecs, n x dim of the version).")
            var queries: String

            @Option(parsing: .unconditional, help: "Results per query.")
            var k = 10

            @Option(help: "Search only the part of this space.")
            var space: String?

            @Flag(help: "Merge raw cosines instead of calibrated scores (diagnostics).")
            var raw = false

            @Option(name: .customLong("ids-out"), help: "Write the ids (.npy n x k int64, or .ivecs; -1 = no hit).")
            var idsOut: String?

            @Option(name: .customLong("scores-out"), help: "Write the calibrated scores (.npy n x k float32, or .fvecs).")
            var scoresOut: String?

            @Option(parsing: .unconditional, help: "Queries to print (0 = none).")
            var show = 3

            @Flag(help: "Print all results as JSON (ids, scores, cosines, versions) instead of text.")
            var json = false

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(directory)
                    let version = try modelVersion(self.version, "--version")
                    let q = try readVectors(queries)
                    let result = try gallery.search(q.values, count: q.rows, dimension: q.columns, version: version, k: k,
                                                    space: space, calibrated: !raw)
                    if let idsOut { try writeIntegers(result.ids, rows: q.rows, columns: k, to: idsOut) }
                    if let scoresOut { try writeVectors(result.scores, rows: q.rows, columns: k, to: scoresOut) }
                    if json {
                        try printJSON(GallerySearchJSON(result))
                        return
                    }
                    for row in 0..<min(max(show, 0), q.rows) {
                        let hits = (0..<k).compactMap { j -> String? in
                            let at = row * k + j
                            guard result.ids[at] >= 0 else { return nil }
                            return "\(result.ids[at]) (v\(result.versions[at]), \(format(Double(result.scores[at]))))"
                        }
                        print("query \(row): " + (hits.isEmpty ? "no hits" : hits.joined(separator: ", ")))
                    }
                    print("\(q.rows) queries of version \(version), k = \(k)\(raw ? ", raw cosines" : "")")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Inspect: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Describe a gallery: versions, items per version, bridges, calibration.",
                discussion: """
                    --json prints {"factory", "count", "versions": [{"version", "dimension", "space", \
                    "count"}], "bridges": [{"source", "target", "links": [{"source", "target", "kind"}]}], \
                    "calibration": [{"version", "space", "mean", "deviation"}]}.

                    Example:
                      stasis gallery inspect --json g/
                    """)

            @Argument(help: "Gallery directory.")
            var directory: String

            @Flag(help: "Print the description as JSON instead of text.")
            var json = false

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(directory)
                    let description = GalleryJSON(gallery)
                    if json {
                        try printJSON(description)
                        return
                    }
                    print("factory     \(description.factory)")
                    print("items       \(description.count)")
                    for v in description.versions {
                        print("version \(v.version)   \(v.dimension) dimensions, space '\(v.space)', \(v.count) items")
                    }
                    for b in description.bridges {
                        let path = ([b.links[0].source] + b.links.map(\.target)).map { String($0) }.joined(separator: " -> ")
                        print("bridge      \(path) (\(b.links.map(\.kind).joined(separator: ", ")))")
                    }
                    for c in description.calibration {
                        print("calibration version \(c.version) -> space '\(c.space)': mean \(format(c.mean)), deviation \(format(c.deviation))")
                    }
                    if description.calibration.isEmpty { print("calibration none (raw cosines are merged)") }
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Calibrate: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Fit the score calibration of a query version's routes on held-out queries (docs/gallery.md).",
                discussion: """
                    Without --stored-version: the z-score rule for every route from --version to a \
                    non-empty part. With --stored-version W, --paired-query and --paired-stored (the \
                    same items embedded by both versions): the paired-regression rule of the route to \
                    W's part. --json prints the gallery as `gallery inspect --json` does.

                    Examples:
                      stasis gallery calibrate g/ --version 2 heldout.npy --k 10
                      stasis gallery calibrate g/ --version 2 heldout.npy --stored-version 1 \\
                          --paired-query pairs_v2.npy --paired-stored pairs_v1.npy
                    """)

            @Argument(help: "Gallery directory.")
            var directory: String

            @Option(parsing: .unconditional, help: "Model version of the held-out queries.")
            var version: Int64

            @Argument(help: "Held-out queries (.npy or .fvecs; not items of the gallery).")
            var queries: String

            @Option(parsing: .unconditional, help: "Hits per query used by the fit.")
            var k = 10

            @Option(name: .customLong("stored-version"), parsing: .unconditional, help: "Paired regression towards this version's part.")
            var storedVersion: Int64?

            @Option(name: .customLong("paired-query"), help: "Paired sample, rows of --version (.npy or .fvecs).")
            var pairedQuery: String?

            @Option(name: .customLong("paired-stored"), help: "Paired sample, rows of --stored-version (same items, same order).")
            var pairedStored: String?

            @Flag(help: "Print the gallery as JSON instead of text.")
            var json = false

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(directory)
                    let version = try modelVersion(self.version, "--version")
                    let q = try readVectors(queries)
                    if let storedVersion {
                        let stored = try modelVersion(storedVersion, "--stored-version")
                        guard let pairedQuery, let pairedStored else {
                            throw StasisError(.invalidArgument, "--stored-version needs --paired-query and --paired-stored")
                        }
                        let pq = try readVectors(pairedQuery), ps = try readVectors(pairedStored)
                        guard pq.rows == ps.rows else {
                            throw StasisError(.invalidArgument, "paired samples differ in rows: \(pq.rows) and \(ps.rows)")
                        }
                        if let entry = gallery.versions.first(where: { $0.version == stored }), entry.dimension != ps.columns {
                            throw StasisError(.dimensionMismatch, "version \(stored) rows have \(entry.dimension) dimensions, --paired-stored \(ps.columns)")
                        }
                        if let entry = gallery.versions.first(where: { $0.version == version }), entry.dimension != pq.columns {
                            throw StasisError(.dimensionMismatch, "version \(version) rows have \(entry.dimension) dimensions, --paired-query \(pq.columns)")
                        }
                        try gallery.calibrate(q.values, count: q.rows, dimension: q.columns, version: version, storedVersion: stored,
                                              pairedQuery: pq.values, pairedStored: ps.values, pairCount: pq.rows, k: k)
                    } else {
                        guard pairedQuery == nil, pairedStored == nil else {
                            throw StasisError(.invalidArgument, "--paired-query and --paired-stored need --stored-version")
                        }
                        try gallery.calibrate(q.values, count: q.rows, dimension: q.columns, version: version, k: k)
                    }
                    try gallery.save(to: directory)
                    let description = GalleryJSON(gallery)
                    if json {
                        try printJSON(description)
                        return
                    }
                    for c in description.calibration where c.version == version {
                        print("version \(c.version) -> space '\(c.space)': mean \(format(c.mean)), deviation \(format(c.deviation))")
                    }
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }
    }
}

/// VERSION:DIM[:SPACE] of `gallery create --version`.
private func parseVersion(_ text: String) throws -> (UInt32, Int, String?) {
    let fields = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    guard fields.count >= 2, let version = Int64(fields[0]), let dimension = Int(fields[1]) else {
        throw StasisError(.invalidArgument, "--version '\(text)' is not VERSION:DIM[:SPACE]")
    }
    return (try modelVersion(version, "--version"), dimension, fields.count == 3 ? fields[2] : nil)
}

private func printCounts(_ gallery: MixedGallery, _ directory: String, changed: (String, Int), version: UInt32?, json: Bool) throws {
    let counts = gallery.countsByVersion
    if json {
        try printJSON(CountsJSON(gallery: directory, version: version, changedKey: changed.0, changed: changed.1, count: gallery.count,
                                 versions: Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) })))
        return
    }
    let perVersion = counts.sorted { $0.key < $1.key }.map { "v\($0.key) \($0.value)" }.joined(separator: ", ")
    print("\(directory): \(changed.0) \(changed.1), \(gallery.count) items (\(perVersion.isEmpty ? "empty" : perVersion))")
}

/// `gallery upsert|remove --json` (keys in docs/cli.md).
private struct CountsJSON: Encodable {
    let gallery: String
    let version: UInt32?
    let changedKey: String
    let changed: Int
    let count: Int
    let versions: [String: Int]

    func encode(to encoder: any Encoder) throws {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(gallery, forKey: Key("gallery"))
        try c.encode(version, forKey: Key("version"))
        try c.encode(changed, forKey: Key(changedKey))
        try c.encode(count, forKey: Key("count"))
        try c.encode(versions, forKey: Key("versions"))
    }
}

/// `gallery inspect --json` (keys in docs/cli.md).
private struct GalleryJSON: Encodable {
    struct Version: Encodable { let version: UInt32; let dimension: Int; let space: String; let count: Int }
    struct Link: Encodable { let source: UInt32; let target: UInt32; let kind: String }
    struct Bridge: Encodable { let source: UInt32; let target: UInt32; let links: [Link] }
    struct Rule: Encodable { let version: UInt32; let space: String; let mean: Double; let deviation: Double }
    let factory: String
    let count: Int
    let versions: [Version]
    let bridges: [Bridge]
    let calibration: [Rule]

    init(_ gallery: MixedGallery) {
        let counts = gallery.countsByVersion
        factory = gallery.factory
        count = gallery.count
        versions = gallery.versions.map { .init(version: $0.version, dimension: $0.dimension, space: $0.space, count: counts[$0.version] ?? 0) }
        bridges = gallery.bridgeChains.compactMap { chain in
            guard let first = chain.first, let last = chain.last else { return nil }
            return .init(source: first.sourceVersion, target: last.targetVersion,
                         links: chain.map { .init(source: $0.sourceVersion, target: $0.targetVersion, kind: $0.kind.rawValue) })
        }
        calibration = gallery.calibrations.map { .init(version: $0.version, space: $0.space, mean: $0.rule.mean, deviation: $0.rule.deviation) }
    }
}

/// `gallery search --json` (keys in docs/cli.md).
private struct GallerySearchJSON: Encodable {
    let queries: Int
    let k: Int
    let ids: [[Int64]]
    let scores: [[Float?]]
    let cosines: [[Float?]]
    let versions: [[UInt32]]

    init(_ result: MixedSearchResult) {
        (queries, k) = (result.count, result.k)
        let rows = (0..<result.count).map { $0 * result.k..<($0 + 1) * result.k }
        ids = rows.map { Array(result.ids[$0]) }
        scores = rows.map { r in r.map { result.ids[$0] >= 0 && result.scores[$0].isFinite ? result.scores[$0] : nil } }
        cosines = rows.map { r in r.map { result.ids[$0] >= 0 && result.cosines[$0].isFinite ? result.cosines[$0] : nil } }
        versions = rows.map { Array(result.versions[$0]) }
    }
}

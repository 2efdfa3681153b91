import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis index create|add|search|remove|inspect`: index files from the terminal, on .npy
    /// arrays. Every command that changes an index rewrites its file atomically.
    struct IndexCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "index", abstract: "Create, fill, search and edit index files (.npy or .fvecs/.ivecs in and out).",
            discussion: """
                Examples:
                  stasis index create --space space.safetensors --factory HNSW32 gallery.stasis
                  stasis index add gallery.stasis vectors.npy --ids ids.npy --version 1
                  stasis index search gallery.stasis queries.npy --k 10 --json
                """,
            subcommands: [Create.self, Add.self, Search.self, Remove.self, Inspect.self, Compact.self, Checkpoint.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create an empty index file (factories and limits: docs/formats.md).",
                discussion: """
                    Examples:
                      stasis index create --space space.safetensors --factory HNSW32 gallery.stasis
                      stasis index create --dim 128 --factory IVF1024,SQ8 --train x.fvecs g.stasis
                      stasis index create --dim 384 --json g.stasis
                    """)

            @Option(parsing: .unconditional, help: "Vector dimension (taken from --space when given).")
            var dim: Int?

            @Option(help: "Factory: Flat, HNSW32, HNSW32,SQ8, IVF1024,Flat, IVF1024,SQ8, IVF1024,PQ16, ...")
            var factory = "Flat"

            @Option(help: "Bind the index to this space file: encoders of other spaces are refused.")
            var space: String?

            @Option(help: "Train on these vectors (.npy or .fvecs) now; IVF, PQ and SQ types need it before add.")
            var train: String?

            @Argument(help: "Index file to write.")
            var output: String

            @Flag(help: "Print the written file's header as JSON (as `stasis inspect --json`) instead of a line of text.")
            var json = false

            func run() throws {
                do {
                    let index: VersionedIndex
                    if let space {
                        let loaded = try SpaceFile.open(space)
                        if let dim, dim != loaded.dimension {
                            throw StasisError(.dimensionMismatch, "--dim \(dim) differs from the space's dimension \(loaded.dimension)")
                        }
                        index = try VersionedIndex(space: loaded, factory: factory)
                    } else {
                        guard let dim else { throw StasisError(.invalidArgument, "give --dim or --space") }
                        index = try VersionedIndex(dimension: dim, factory: factory)
                    }
                    if let train {
                        let x = try readVectors(train)
                        try index.train(x.values, count: x.rows, dimension: x.columns)
                    }
                    try index.save(to: output)
                    if json { return printJSON(bytes: try IndexFile.inspectJSON(output)) }
                    print("\(output): \(index.factory), d = \(index.dimension)"
                        + (index.isTrained ? "" : " (untrained: run `stasis index add` or create with --train)"))
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add (or replace: upsert) vectors stamped with a model version; trains an untrained index on them first.",
                discussion: """
                    Examples:
                      stasis index add gallery.stasis vectors.npy --ids ids.npy --version 1
                      stasis index add g.stasis base.fvecs --ids base.ivecs --version 2 --json
                    """)

            @Argument(help: "Index file, rewritten atomically.")
            var index: String

            @Argument(help: "Vectors (.npy, n x d, float32/16/64; or .fvecs).")
            var vectors: String

            @Option(help: "Ids (.npy int64/int32 or .ivecs); default 0...n-1.")
            var ids: String?

            @Option(parsing: .unconditional, help: "Model version stamped on every vector.")
            var version: Int64

            @Flag(help: "Print the written file's header as JSON (as `stasis inspect --json`) instead of a line of text.")
            var json = false

            func run() throws {
                do {
                    let stamp = try modelVersion(version, "--version")
                    let opened = try VersionedIndex.open(index)
                    let x = try readVectors(vectors)
                    let keys = try ids.map { try idColumn($0, rows: x.rows) } ?? (0..<Int64(x.rows)).map { $0 }
                    var trained = ""
                    if !opened.isTrained {
                        try opened.train(x.values, count: x.rows, dimension: x.columns)
                        trained = " (trained on them first)"
                    }
                    try opened.add(x.values, dimension: x.columns, ids: keys, version: stamp)
                    try opened.save(to: index)
                    if json { return printJSON(bytes: try IndexFile.inspectJSON(index)) }
                    print("\(index): added \(x.rows) vectors as version \(stamp)\(trained); \(opened.count) in all")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Search: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Find the k most similar vectors for each query; print the first results, write all as .npy.",
                discussion: """
                    --json prints every query's hits instead of the text lines: {"queries": n, "k": k, \
                    "ids": n x k (-1 = no hit), "scores": n x k (null = no hit), "versions": n x k (0 = no hit)}.

                    Examples:
                      stasis index search g.stasis q.npy --k 10 --ids-out I.npy --scores-out D.npy
                      stasis index search g.stasis q.fvecs --k 5 --only-version 2 --json
                    """)

            @Argument(help: "Index file.")
            var index: String

            @Argument(help: "Queries (.npy or .fvecs, n x d).")
            var queries: String

            @Option(parsing: .unconditional, help: "Results per query.")
            var k = 10

            @Option(name: .customLong("ef-search"), parsing: .unconditional, help: "HNSW beam width (0 = the index default).")
            var efSearch = 0

            @Option(parsing: .unconditional, help: "IVF lists visited (0 = the index default).")
            var nprobe = 0

            @Option(name: .customLong("only-version"), parsing: .unconditional, help: "Only hits stamped with this model version.")
            var onlyVersion: Int64?

            @Option(name: .customLong("ids-out"), help: "Write the ids (.npy n x k int64, or .ivecs; -1 = no hit).")
            var idsOut: String?

            @Option(name: .customLong("scores-out"), help: "Write the cosine similarities (.npy n x k float32, or .fvecs).")
            var scoresOut: String?

            @Option(parsing: .unconditional, help: "Queries to print (0 = none).")
            var show = 3

            @Flag(help: "Print all results as JSON (ids, scores, versions) instead of text.")
            var json = false

            func run() throws {
                do {
                    let opened = try VersionedIndex.open(index)
                    let q = try readVectors(queries)
                    let filter = try onlyVersion.map { try modelVersion($0, "--only-version") }
                    let options = SearchOptions(efSearch: efSearch, nprobe: nprobe, version: filter)
                    let result = try opened.search(q.values, count: q.rows, dimension: q.columns, k: k, options: options)
                    if let idsOut { try writeIntegers(result.ids, rows: q.rows, columns: k, to: idsOut) }
                    if let scoresOut { try writeVectors(result.scores, rows: q.rows, columns: k, to: scoresOut) }
                    if json {
                        try printJSON(SearchJSON(result, rows: q.rows, k: k))
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
                    print("\(q.rows) queries, k = \(k)")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove vectors by id (all must be present, else nothing is removed).",
                discussion: """
                    Examples:
                      stasis index remove gallery.stasis --ids deleted.npy
                      stasis index remove gallery.stasis --ids deleted.ivecs --json
                    """)

            @Argument(help: "Index file, rewritten atomically.")
            var index: String

            @Option(help: "Ids to remove (.npy int64/int32 or .ivecs).")
            var ids: String

            @Flag(help: "Print the written file's header as JSON (as `stasis inspect --json`) instead of a line of text.")
            var json = false

            func run() throws {
                do {
                    let opened = try VersionedIndex.open(index)
                    let keys = try idColumn(ids, rows: nil)
                    try opened.remove(ids: keys)
                    try opened.save(to: index)
                    if json { return printJSON(bytes: try IndexFile.inspectJSON(index)) }
                    print("\(index): removed \(Set(keys).count) vectors; \(opened.count) left")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        /// The same description as `stasis inspect`, for an index file.
        struct Inspect: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Describe an index file without loading its vectors.",
                discussion: """
                    Examples:
                      stasis index inspect gallery.stasis
                      stasis index inspect --json gallery.stasis
                    """)

            @Argument(help: "Index file.")
            var index: String

            @Flag(help: "Print the header as JSON.")
            var json = false

            func run() throws {
                do {
                    guard try StasisFile.kind(of: index) == .index else {
                        throw StasisError(.invalidArgument, "'\(index)' is not an index file (see `stasis inspect`)")
                    }
                } catch let error as StasisError {
                    reportFailure(error)
                }
                try Stasis.Inspect.parse((json ? ["--json"] : []) + ["--", index]).run()
            }
        }
    }
}

/// Ids from a .npy or .ivecs file: one column (or a flat vector) of int64 or int32, `rows` of them if given.
private func idColumn(_ path: String, rows: Int?) throws -> [Int64] {
    let ids = try readIntegers(path)
    guard ids.columns == 1 || ids.rows == 1 else {
        throw StasisError(.invalidArgument, "'\(path)' holds a \(ids.rows) x \(ids.columns) matrix; ids are one column")
    }
    if let rows, ids.values.count != rows {
        throw StasisError(.invalidArgument, "'\(path)' holds \(ids.values.count) ids for \(rows) vectors")
    }
    return ids.values
}

/// `stasis index search --json`: every query's k results, rows in query order (keys in docs/cli.md).
private struct SearchJSON: Encodable {
    let queries: Int
    let k: Int
    let ids: [[Int64]]
    /// Cosine similarities; null where there is no hit (the library's -infinity).
    let scores: [[Float?]]
    let versions: [[UInt32]]

    init(_ result: SearchResult, rows: Int, k: Int) {
        (queries, self.k) = (rows, k)
        let rowRanges = (0..<rows).map { $0 * k..<($0 + 1) * k }
        ids = rowRanges.map { Array(result.ids[$0]) }
        scores = rowRanges.map { range in range.map { result.ids[$0] >= 0 && result.scores[$0].isFinite ? result.scores[$0] : nil } }
        versions = rowRanges.map { Array(result.versions[$0]) }
    }
}

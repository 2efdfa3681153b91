import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis backfill plan|status`: orders the items of a mixed-version gallery still on an old
    /// version and shows how far the re-encoding has come.
    struct BackfillCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backfill", abstract: "Plan and follow the re-encoding of a mixed-version gallery.",
            discussion: """
                Examples:
                  stasis backfill plan --gallery g/ --from 1 --to 2 plan.json
                  stasis backfill status --gallery g/ --batch 1000 --next-output ids.npy \\
                      plan.json
                """,
            subcommands: [Plan.self, Status.self])

        struct Plan: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Order the ids still on --from: random, predicted-error, neighbourhood or hubs.",
                discussion: """
                    Ids are .npy int64/int32 or .ivecs; vectors .npy or .fvecs. --json prints \
                    {"output", "policy", "from", "to", "count"} instead of a line of text.

                    Examples:
                      stasis backfill plan --gallery g/ --from 1 --to 2 --seed 3 plan.json
                      stasis backfill plan --gallery g/ --from 1 --to 2 --policy neighbourhood \\
                          --ids ids.npy --vectors old.npy --adapter v1to2.safetensors \\
                          --json plan.json
                    """)

            @Option(help: "Gallery directory (saved by stasis_gallery_save / stasis.Gallery.save).")
            var gallery: String

            @Option(parsing: .unconditional, help: "Version the items move away from.")
            var from: Int64

            @Option(parsing: .unconditional, help: "Version they are re-encoded into.")
            var to: Int64

            @Option(help: "random, predicted-error, neighbourhood, hubs or custom (--ids is the order).")
            var policy: String = "random"

            @Option(help: "Seed of the random order.")
            var seed: UInt64 = 0

            @Option(help: "Ids of every item on --from (.npy int64/int32 or .ivecs), for the scored policies.")
            var ids: String?

            @Option(help: "Their old vectors (.npy or .fvecs, same order), for the scored policies.")
            var vectors: String?

            @Option(help: "Forward adapter --from -> --to (.safetensors), for the scored policies.")
            var adapter: String?

            @Option(help: "Paired sample, old side (.npy or .fvecs), for predicted-error.")
            var pairedOld: String?

            @Option(help: "Paired sample, new side (.npy or .fvecs), for predicted-error.")
            var pairedNew: String?

            @Option(parsing: .unconditional, help: "Neighbours for the neighbourhood and hubs policies.")
            var neighbours: Int = 10

            @Flag(help: "Print the summary as JSON instead of a line of text.")
            var json = false

            @Argument(help: "Output plan (.json).")
            var output: String

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(self.gallery)
                    let from = try modelVersion(self.from, "--from"), to = try modelVersion(self.to, "--to")
                    guard let policy = BackfillPolicy(rawValue: self.policy) else {
                        throw StasisError(.invalidArgument, "unknown policy '\(self.policy)'; use random, predicted-error, neighbourhood, hubs or custom")
                    }
                    let plan: BackfillPlan
                    if policy == .random {
                        plan = try BackfillPlanner.random(gallery: gallery, from: from, to: to, seed: seed)
                    } else if policy == .custom {
                        let order = try readIntegers(try required(self.ids, "--ids")).values
                        plan = try BackfillPlanner.custom(gallery: gallery, from: from, to: to, order: order)
                    } else {
                        let ids = try readIntegers(try required(self.ids, "--ids")).values
                        let old = try readVectors(try required(vectors, "--vectors"))
                        guard old.rows == ids.count else {
                            throw StasisError(.invalidArgument, "--vectors has \(old.rows) rows, --ids \(ids.count)")
                        }
                        let forward = try AdapterFile.open(try required(adapter, "--adapter"))
                        if policy == .predictedError {
                            let px = try readVectors(try required(pairedOld, "--paired-old"))
                            let py = try readVectors(try required(pairedNew, "--paired-new"))
                            guard px.rows == py.rows else {
                                throw StasisError(.invalidArgument, "paired samples differ in rows: \(px.rows) and \(py.rows)")
                            }
                            let model = try AdapterErrorModel.fit(adapter: forward, source: px.values, target: py.values, count: px.rows)
                            plan = try BackfillPlanner.predictedError(
                                gallery: gallery, from: from, to: to, ids: ids, vectors: old.values, dimension: old.columns, model: model)
                        } else if policy == .hubs {
                            plan = try BackfillPlanner.hubs(
                                gallery: gallery, from: from, to: to, ids: ids, vectors: old.values, dimension: old.columns,
                                adapter: forward, neighbours: neighbours)
                        } else {
                            plan = try BackfillPlanner.neighbourhood(
                                gallery: gallery, from: from, to: to, ids: ids, vectors: old.values, dimension: old.columns,
                                adapter: forward, neighbours: neighbours)
                        }
                    }
                    try plan.save(to: output)
                    if json {
                        try printJSON(PlanJSON(output: output, policy: plan.policy.rawValue, from: from, to: to, count: plan.order.count))
                        return
                    }
                    print("\(output): \(plan.policy.rawValue) \(from) -> \(to), \(plan.order.count) ids")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show done / remaining per plan and per version; optionally hand out the next batch.",
                discussion: """
                    The next batch's ids are written as .ivecs (one id per row) when --next-output says so, \
                    else as a 1-D .npy int64. --json prints {"plan", "policy", "from", "to", "done", \
                    "remaining", "total", "versions": {version: items}, "next_batch": null or \
                    {"output", "ids"}} instead of the text.

                    Examples:
                      stasis backfill status --gallery g/ plan.json
                      stasis backfill status --gallery g/ --batch 1000 --next-output next.ivecs \\
                          --json plan.json
                    """)

            @Option(help: "Gallery directory.")
            var gallery: String

            @Option(parsing: .unconditional, help: "Write the next N ids still to re-encode to --next-output and save the plan's cursor.")
            var batch: Int?

            @Option(help: "Where the next batch's ids go (.npy int64 or .ivecs).")
            var nextOutput: String?

            @Flag(help: "Print the status as JSON instead of text.")
            var json = false

            @Argument(help: "Plan (.json) written by `stasis backfill plan`.")
            var plan: String

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(self.gallery)
                    var plan = try BackfillPlan.open(self.plan)
                    let progress = plan.progress(in: gallery)
                    var batchIds: [Int64]?
                    if let batch {
                        let output = try required(nextOutput, "--next-output")
                        let ids = try plan.nextBatch(size: batch, in: gallery)
                        if output.lowercased().hasSuffix(".ivecs") {
                            try writeIntegers(ids, rows: ids.count, columns: 1, to: output)
                        } else {
                            try Npy.write(ids, count: ids.count, to: output)
                        }
                        try plan.save(to: self.plan)
                        batchIds = ids
                    }
                    if json {
                        try printJSON(StatusJSON(
                            plan: self.plan, policy: plan.policy.rawValue, from: plan.fromVersion, to: plan.toVersion,
                            done: progress.done, remaining: progress.remaining, total: progress.total,
                            versions: Dictionary(uniqueKeysWithValues: gallery.countsByVersion.map { (String($0.key), $0.value) }),
                            next_batch: batchIds.map { .init(output: nextOutput ?? "", ids: $0) }))
                        return
                    }
                    let share = progress.total == 0 ? 1.0 : Double(progress.done) / Double(progress.total)
                    let filled = Int((share * 30).rounded(.down))
                    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                    let percent = (share * 1000).rounded() / 10
                    print("\(plan.policy.rawValue) \(plan.fromVersion) -> \(plan.toVersion): [\(bar)] \(progress.done)/\(progress.total) done (\(percent)%), \(progress.remaining) remaining")
                    for (version, count) in gallery.countsByVersion.sorted(by: { $0.key < $1.key }) {
                        print("version \(version): \(count) items")
                    }
                    if let batchIds, let nextOutput {
                        print("next batch: \(batchIds.count) ids -> \(nextOutput)")
                    }
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }
    }
}

private func required(_ value: String?, _ name: String) throws -> String {
    guard let value else { throw StasisError(.invalidArgument, "\(name) is required for this policy or option") }
    return value
}

/// `stasis backfill plan --json` (keys in docs/cli.md).
private struct PlanJSON: Encodable {
    let output: String
    let policy: String
    let from: UInt32
    let to: UInt32
    let count: Int
}

/// `stasis backfill status --json` (keys in docs/cli.md); `next_batch` is null without --batch.
private struct StatusJSON: Encodable {
    struct Batch: Encodable {
        let output: String
        let ids: [Int64]
    }
    let plan: String
    let policy: String
    let from: UInt32
    let to: UInt32
    let done: Int
    let remaining: Int
    let total: Int
    /// Items per model version in the gallery, keyed by the version as text (JSON keys are strings).
    let versions: [String: Int]
    let next_batch: Batch?

    func encode(to encoder: any Encoder) throws {
        enum Key: String, CodingKey { case plan, policy, from, to, done, remaining, total, versions, next_batch }
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(plan, forKey: .plan)
        try c.encode(policy, forKey: .policy)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(done, forKey: .done)
        try c.encode(remaining, forKey: .remaining)
        try c.encode(total, forKey: .total)
        try c.encode(versions, forKey: .versions)
        try c.encode(next_batch, forKey: .next_batch)
    }
}

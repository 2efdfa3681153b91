import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis backfill plan|status`: orders the items of a mixed-version gallery still on an old
    /// version and shows how far the re-encoding has come.
    struct BackfillCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backfill", abstract: "Plan and follow the re-encoding of a mixed-version gallery.",
            subcommands: [Plan.self, Status.self])

        struct Plan: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Order the ids still on --from: random, predicted-error or neighbourhood.")

            @Option(help: "Gallery directory (saved by stasis_gallery_save / stasis.Gallery.save).")
            var gallery: String

            @Option(parsing: .unconditional, help: "Version the items move away from.")
            var from: Int64

            @Option(parsing: .unconditional, help: "Version they are re-encoded into.")
            var to: Int64

            @Option(help: "random, predicted-error, neighbourhood or custom (--ids is the order).")
            var policy: String = "random"

            @Option(help: "Seed of the random order.")
            var seed: UInt64 = 0

            @Option(help: "Ids of every item on --from (.npy int64), for the scored policies.")
            var ids: String?

            @Option(help: "Their old vectors (.npy, same order), for the scored policies.")
            var vectors: String?

            @Option(help: "Forward adapter --from -> --to (.safetensors), for the scored policies.")
            var adapter: String?

            @Option(help: "Paired sample, old side (.npy), for predicted-error.")
            var pairedOld: String?

            @Option(help: "Paired sample, new side (.npy), for predicted-error.")
            var pairedNew: String?

            @Option(parsing: .unconditional, help: "Neighbours for the neighbourhood policy.")
            var neighbours: Int = 10

            @Argument(help: "Output plan (.json).")
            var output: String

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(self.gallery)
                    let from = try modelVersion(self.from, "--from"), to = try modelVersion(self.to, "--to")
                    guard let policy = BackfillPolicy(rawValue: self.policy) else {
                        throw StasisError(.invalidArgument, "unknown policy '\(self.policy)'; use random, predicted-error, neighbourhood or custom")
                    }
                    let plan: BackfillPlan
                    if policy == .random {
                        plan = try BackfillPlanner.random(gallery: gallery, from: from, to: to, seed: seed)
                    } else if policy == .custom {
                        let order = try Npy.readIntegers(try required(self.ids, "--ids")).values
                        plan = try BackfillPlanner.custom(gallery: gallery, from: from, to: to, order: order)
                    } else {
                        let ids = try Npy.readIntegers(try required(self.ids, "--ids")).values
                        let old = try Npy.readFloats(try required(vectors, "--vectors"))
                        guard old.rows == ids.count else {
                            throw StasisError(.invalidArgument, "--vectors has \(old.rows) rows, --ids \(ids.count)")
                        }
                        let forward = try AdapterFile.open(try required(adapter, "--adapter"))
                        if policy == .predictedError {
                            let px = try Npy.readFloats(try required(pairedOld, "--paired-old"))
                            let py = try Npy.readFloats(try required(pairedNew, "--paired-new"))
                            guard px.rows == py.rows else {
                                throw StasisError(.invalidArgument, "paired samples differ in rows: \(px.rows) and \(py.rows)")
                            }
                            let model = try AdapterErrorModel.fit(adapter: forward, source: px.values, target: py.values, count: px.rows)
                            plan = try BackfillPlanner.predictedError(
                                gallery: gallery, from: from, to: to, ids: ids, vectors: old.values, dimension: old.columns, model: model)
                        } else {
                            plan = try BackfillPlanner.neighbourhood(
                                gallery: gallery, from: from, to: to, ids: ids, vectors: old.values, dimension: old.columns,
                                adapter: forward, neighbours: neighbours)
                        }
                    }
                    try plan.save(to: output)
                    print("\(output): \(plan.policy.rawValue) \(from) -> \(to), \(plan.order.count) ids")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show done / remaining per plan and per version; optionally hand out the next batch.")

            @Option(help: "Gallery directory.")
            var gallery: String

            @Option(parsing: .unconditional, help: "Write the next N ids still to re-encode to --next-output and save the plan's cursor.")
            var batch: Int?

            @Option(help: "Where the next batch's ids go (.npy int64).")
            var nextOutput: String?

            @Argument(help: "Plan (.json) written by `stasis backfill plan`.")
            var plan: String

            func run() throws {
                do {
                    let gallery = try MixedGallery.open(self.gallery)
                    var plan = try BackfillPlan.open(self.plan)
                    let progress = plan.progress(in: gallery)
                    let share = progress.total == 0 ? 1.0 : Double(progress.done) / Double(progress.total)
                    let filled = Int((share * 30).rounded(.down))
                    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                    let percent = (share * 1000).rounded() / 10
                    print("\(plan.policy.rawValue) \(plan.fromVersion) -> \(plan.toVersion): [\(bar)] \(progress.done)/\(progress.total) done (\(percent)%), \(progress.remaining) remaining")
                    for (version, count) in gallery.countsByVersion.sorted(by: { $0.key < $1.key }) {
                        print("version \(version): \(count) items")
                    }
                    if let batch {
                        let output = try required(nextOutput, "--next-output")
                        let ids = try plan.nextBatch(size: batch, in: gallery)
                        try Npy.write(ids, count: ids.count, to: output)
                        try plan.save(to: self.plan)
                        print("next batch: \(ids.count) ids -> \(output)")
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

import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis adapt fit|apply|inspect`: adapters between model versions, on .npy or .fvecs files.
    struct AdaptCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adapt", abstract: "Fit, apply and inspect adapters between model versions.",
            discussion: """
                Examples:
                  stasis adapt fit --source-version 2 --target-version 1 \\
                      new.npy old.npy v2to1.safetensors
                  stasis adapt apply --adapter v2to1.safetensors q_v2.npy q_in_v1.npy
                  stasis adapt inspect --json v2to1.safetensors
                """,
            subcommands: [Fit.self, Apply.self, InspectAdapter.self])

        /// Metadata shown by `stasis inspect` and `stasis adapt inspect` for an adapter file.
        static let inspectKeys: [(String, String)] = [
            ("kind", "adapter.kind"), ("source", "adapter.source_version"), ("target", "adapter.target_version"),
            ("direction", "adapter.direction"), ("source dim", "adapter.source_dim"), ("target dim", "adapter.target_dim"),
            ("fit", "adapter.fit"), ("rank", "adapter.rank"), ("ridge", "adapter.ridge"),
            ("orthogonal", "adapter.orthogonality"), ("clusters", "adapter.clusters"), ("routing", "adapter.routing"),
            ("hidden", "adapter.hidden"), ("epochs", "adapter.epochs"), ("src space", "adapter.source_space"),
            ("tgt space", "adapter.target_space"), ("train", "adapter.train_pairs"),
            ("held out", "adapter.validation_pairs"), ("val cosine", "adapter.validation_mean_cosine"),
            ("val R@1", "adapter.validation_recall_at_1")]

        struct Fit: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Fit an adapter on paired samples: row i of SOURCE and TARGET embed the same item.",
                discussion: """
                    With --unpaired, SOURCE and TARGET are different items (row counts may differ): anchors \
                    are matched between the two spaces and an orthogonal map refined on them; the file \
                    says it was unpaired and has no held-out numbers.

                    --json prints the new file's description (as `stasis adapt inspect --json`), with the \
                    held-out numbers, instead of a line of text. Kinds and their knobs: docs/adapters.md.

                    Examples:
                      stasis adapt fit --source-version 2 --target-version 1 \\
                          new.npy old.npy v2to1.safetensors
                      stasis adapt fit --kind ridge --ridge 0.01 --json \\
                          --source-version 2 --target-version 1 \\
                          new.fvecs old.fvecs v2to1.safetensors
                      stasis adapt fit --kind local --clusters 32 \\
                          --source-version 1 --target-version 2 old.npy new.npy v1to2.safetensors
                      stasis adapt fit --unpaired --source-version 2 --target-version 1 \\
                          new_items.npy old_items.npy v2to1.safetensors
                    """)

            @Option(help: "procrustes, ridge, lowrank, orthogonal, mlp or local (ignored with --unpaired).")
            var kind: String = "procrustes"

            @Flag(help: "SOURCE and TARGET are different items: fit without pairs (mini-vec2vec style).")
            var unpaired = false

            @Option(parsing: .unconditional, help: "Model version of the source rows (new for a backward adapter).")
            var sourceVersion: Int64

            @Option(parsing: .unconditional, help: "Model version of the target rows (old for a backward adapter).")
            var targetVersion: Int64

            @Option(parsing: .unconditional, help: "Ridge strength α (ridge, lowrank).")
            var ridge: Double = 1e-3

            @Option(parsing: .unconditional, help: "Rank of a lowrank adapter (default: half the smaller dimension).")
            var rank: Int?

            @Option(parsing: .unconditional, help: "Orthogonality penalty λ of an orthogonal adapter.")
            var orthogonality: Double = 0.1

            @Option(parsing: .unconditional, help: "Regions of a local adapter, or anchors per side with --unpaired (default: from the sample size).")
            var clusters: Int?

            @Option(parsing: .unconditional, help: "Nearest regions a local adapter mixes per row.")
            var routing: Int = 3

            @Option(parsing: .unconditional, help: "Hidden width of an mlp adapter.")
            var hidden: Int = 512

            @Option(parsing: .unconditional, help: "Training passes of an mlp adapter, or refinement rounds with --unpaired.")
            var epochs: Int = 20

            @Option(parsing: .unconditional, help: "Fraction of pairs held out for validation (0 = none).")
            var validation: Double = 0.1

            @Option(help: "Seed of the held-out split.")
            var seed: UInt64 = 0

            @Option(help: "Fingerprint of the source space, recorded in the file.")
            var sourceSpace: String?

            @Option(help: "Fingerprint of the target space, recorded in the file.")
            var targetSpace: String?

            @Flag(help: "Print the new file's description as JSON instead of a line of text.")
            var json = false

            @Argument(help: "Source vectors (.npy or .fvecs, n x d_source).")
            var source: String

            @Argument(help: "Target vectors (.npy or .fvecs, n x d_target), same rows in the same order.")
            var target: String

            @Argument(help: "Output adapter (.safetensors); written only when the fit succeeds.")
            var output: String

            func run() throws {
                do {
                    var options = AdapterFitOptions()
                    options.ridge = ridge
                    options.rank = rank
                    options.validationFraction = validation
                    options.seed = seed
                    options.sourceSpace = sourceSpace
                    options.targetSpace = targetSpace
                    options.orthogonality = orthogonality
                    options.clusters = clusters
                    options.routing = routing
                    options.hidden = hidden
                    options.epochs = epochs
                    let kind = try AdapterKind(parsing: self.kind)
                    let x = try readVectors(source)
                    let y = try readVectors(target)
                    let from = try modelVersion(sourceVersion, "--source-version")
                    let to = try modelVersion(targetVersion, "--target-version")
                    let adapter = unpaired
                        ? try Adapter.fitUnpaired(
                            sourceVersion: from, targetVersion: to,
                            source: x.values, sourceRows: x.rows, sourceDimension: x.columns,
                            target: y.values, targetRows: y.rows, targetDimension: y.columns, options: options)
                        : try Adapter.fit(
                            kind: kind, sourceVersion: from, targetVersion: to,
                            source: x.values, sourceRows: x.rows, sourceDimension: x.columns,
                            target: y.values, targetRows: y.rows, targetDimension: y.columns, options: options)
                    try AdapterFile.save(adapter, to: output)
                    if json {
                        printJSON(bytes: try AdapterFile.inspectJSON(output))
                        return
                    }
                    let v = adapter.validation
                    var line = "\(output): \(adapter.kind.rawValue)\(unpaired ? " (unpaired)" : "") \(adapter.sourceVersion) -> \(adapter.targetVersion) (\(adapter.direction)), "
                        + "\(adapter.sourceDimension) -> \(adapter.targetDimension), "
                        + (unpaired ? "fitted WITHOUT pairs on \(x.rows) + \(y.rows) rows: no held-out numbers"
                                    : "\(v.trainPairs) training pairs")
                    if let cosine = v.meanCosine, let recall = v.recallAt1 {
                        line += "; held out \(v.validationPairs): mean cosine \(format(cosine)), R@1 \(format(recall))"
                    }
                    print(line)
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct Apply: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Map vectors through one adapter, or a chain given in order (--adapter v3to2 --adapter v2to1).",
                discussion: """
                    The output's format follows its extension: .fvecs, else .npy.

                    Examples:
                      stasis adapt apply --adapter v2to1.safetensors q_v2.npy q_in_v1.npy
                      stasis adapt apply --adapter v3to2.safetensors --adapter v2to1.safetensors \\
                          queries_v3.fvecs queries_in_v1.fvecs
                    """)

            @Option(help: "Adapter file (.safetensors); repeat for a chain, applied in the order given.")
            var adapter: [String] = []

            @Argument(help: "Input vectors (.npy or .fvecs, n x d_source).")
            var input: String

            @Argument(help: "Output vectors (.npy float32 or .fvecs, unit rows).")
            var output: String

            func run() throws {
                do {
                    let chain = try AdapterChain(try adapter.map { try AdapterFile.open($0) })
                    let x = try readVectors(input)
                    guard x.columns == chain.sourceDimension else {
                        throw StasisError(.dimensionMismatch,
                            "'\(input)' has \(x.columns) columns, the adapter reads \(chain.sourceDimension)")
                    }
                    let y = try chain.apply(x.values, count: x.rows)
                    try writeVectors(y, rows: x.rows, columns: chain.targetDimension, to: output)
                    print("\(output): \(x.rows) x \(chain.targetDimension), version \(chain.sourceVersion) -> \(chain.targetVersion)")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct InspectAdapter: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "inspect", abstract: "Describe an adapter file without loading its weights.",
                discussion: """
                    The same description as `stasis inspect`, refusing files that are not adapters.

                    Examples:
                      stasis adapt inspect v2to1.safetensors
                      stasis adapt inspect --json v2to1.safetensors
                    """)

            @Argument(help: "The adapter file.")
            var file: String

            @Flag(help: "Print the header as JSON.")
            var json = false

            func run() throws {
                do {
                    _ = try AdapterFile.inspectJSON(file)  // refuses other kinds of file
                } catch let error as StasisError {
                    reportFailure(error)
                }
                // The same description as `stasis inspect`, which knows every kind of file.
                try Inspect.parse((json ? ["--json"] : []) + ["--", file]).run()
            }
        }
    }
}

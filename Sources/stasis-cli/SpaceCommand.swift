import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis space create|inspect`: space files.
    struct SpaceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "space", abstract: "Create and describe stationary spaces.",
            discussion: """
                Examples:
                  stasis space create --kind simplex --classes 1000 space.safetensors
                  stasis space inspect --json space.safetensors
                """,
            subcommands: [Create.self, InspectSpace.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a space file (fixed class vertices plus an empty class registry).",
                discussion: """
                    Examples:
                      stasis space create --kind simplex --classes 1000 space.safetensors
                      stasis space create --kind spherical-code --classes 5000 --dim 256 \\
                          --seed 7 --json space.safetensors
                    """)

            @Option(help: "simplex, orthoplex, cube or spherical-code.")
            var kind: String = "simplex"

            // .unconditional: "--classes -5" reaches the range check instead of reading as a flag.
            @Option(parsing: .unconditional, help: "Number of pre-allocated classes (K); allocate for future classes too.")
            var classes: Int

            @Option(parsing: .unconditional, help: "Dimension; implied for polytopes (0), required for spherical-code.")
            var dim: Int = 0

            @Option(help: "Seed of a spherical code.")
            var seed: UInt64 = 0

            @Flag(help: "Print the new file's description as JSON (as `stasis inspect --json`) instead of a line of text.")
            var json = false

            @Argument(help: "Output file (.safetensors).")
            var output: String

            func run() throws {
                do {
                    let parsed = try SpaceKind(parsing: kind)
                    let space = try Space(kind: parsed, classes: classes, dimension: dim, seed: seed)
                    try SpaceFile.save(space, to: output)
                    if json {
                        printJSON(bytes: try SpaceFile.inspectJSON(output))
                    } else {
                        print("\(output): \(parsed.rawValue), K = \(space.classCount), d = \(space.dimension), "
                            + "max cosine \(space.maxCosine), fingerprint \(space.fingerprint)")
                    }
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }

        struct InspectSpace: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "inspect", abstract: "Describe a space file without loading its vertices.",
                discussion: """
                    The same description as `stasis inspect`, refusing files that are not spaces.

                    Examples:
                      stasis space inspect space.safetensors
                      stasis space inspect --json space.safetensors
                    """)

            @Argument(help: "The space file.")
            var file: String

            @Flag(help: "Print the header as JSON.")
            var json = false

            func run() throws {
                do {
                    _ = try SpaceFile.inspectJSON(file)  // refuses other kinds of file
                } catch let error as StasisError {
                    reportFailure(error)
                }
                try Inspect.parse((json ? ["--json"] : []) + ["--", file]).run()
            }
        }
    }
}

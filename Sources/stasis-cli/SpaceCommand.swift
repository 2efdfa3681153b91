import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis space create`: builds a space file.
    struct SpaceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "space", abstract: "Create stationary spaces.", subcommands: [Create.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a space file (fixed class vertices plus an empty class registry).")

            @Option(help: "simplex, orthoplex, cube or spherical-code.")
            var kind: String = "simplex"

            // .unconditional: "--classes -5" reaches the range check instead of reading as a flag.
            @Option(parsing: .unconditional, help: "Number of pre-allocated classes (K); allocate for future classes too.")
            var classes: Int

            @Option(parsing: .unconditional, help: "Dimension; implied for polytopes (0), required for spherical-code.")
            var dim: Int = 0

            @Option(help: "Seed of a spherical code.")
            var seed: UInt64 = 0

            @Argument(help: "Output file (.safetensors).")
            var output: String

            func run() throws {
                do {
                    let parsed = try SpaceKind(parsing: kind)
                    let space = try Space(kind: parsed, classes: classes, dimension: dim, seed: seed)
                    try SpaceFile.save(space, to: output)
                    print("\(output): \(parsed.rawValue), K = \(space.classCount), d = \(space.dimension), "
                        + "max cosine \(space.maxCosine), fingerprint \(space.fingerprint)")
                } catch let error as StasisError {
                    reportFailure(error)
                }
            }
        }
    }
}

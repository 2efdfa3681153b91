import ArgumentParser
import StasisCore

/// The `stasis` command: the library's operations for people at a terminal.
@main
struct Stasis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stasis",
        abstract: "Upgrade an embedding model without re-encoding the gallery.",
        version: LibraryVersion.string,
        subcommands: [
            Version.self, Inspect.self, SpaceCommand.self, IndexCommand.self, Encode.self, Train.self,
            EvaluateCommand.self, GateCommand.self, AdaptCommand.self, BackfillCommand.self, Demo.self,
        ]
    )
}

extension Stasis {
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the library and ABI versions.")

        func run() {
            print("stasis \(LibraryVersion.string) (ABI \(LibraryVersion.abi))")
        }
    }
}

import ArgumentParser
import StasisCore

/// The `stasis` command: the library's operations for people at a terminal.
@main
struct Stasis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stasis",
        abstract: "Upgrade an embedding model without re-encoding the gallery.",
        discussion: Stasis.overview,
        version: LibraryVersion.string,
        subcommands: [
            Version.self, Inspect.self, SpaceCommand.self, IndexCommand.self, Encode.self, Train.self,
            EvaluateCommand.self, GateCommand.self, AdaptCommand.self, GalleryCommand.self, BackfillCommand.self, Demo.self,
        ]
    )

    /// Names OpenBLAS's kernels before anything runs (OpenBLASKernels), then parses and runs.
    static func main() {
        OpenBLASKernels.reexecuteIfUseful()
        main(nil)
    }
}

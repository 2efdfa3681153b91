import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis version`: which library and C ABI this binary carries.
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the library and ABI versions.",
            discussion: """
                Examples:
                  stasis version
                  stasis version --json        # {"abi":1,"library":"0.1.0"}
                """)

        @Flag(help: "Print {\"library\": ..., \"abi\": ...} as JSON.")
        var json = false

        func run() throws {
            guard json else {
                print("stasis \(LibraryVersion.string) (ABI \(LibraryVersion.abi))")
                return
            }
            struct Output: Encodable {
                let library: String
                let abi: Int
            }
            do {
                try printJSON(Output(library: LibraryVersion.string, abi: Int(LibraryVersion.abi)))
            } catch let error as StasisError {
                reportFailure(error)
            }
        }
    }
}

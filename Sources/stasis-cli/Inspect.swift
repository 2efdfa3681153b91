import ArgumentParser
import StasisCore

extension Stasis {
    /// Reads a Stasis file's header without loading its vectors.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a Stasis index file without loading its vectors.")

        @Argument(help: "The file to describe.")
        var file: String

        @Flag(help: "Print the header as JSON.")
        var json = false

        func run() throws {
            do {
                if json {
                    print(String(decoding: try IndexFile.inspectJSON(file), as: UTF8.self))
                    return
                }
                let info = try IndexFile.inspect(file)
                print("""
                    index       \(file)
                    format      \(info.format) (written by stasis \(info.library))
                    dimension   \(info.dimension), \(info.metric)
                    factory     \(info.factory)\(info.trained ? "" : " (untrained)")
                    vectors     \(info.count) live, \(info.slots - info.count) removed or replaced
                    defaults    efSearch \(info.searchDefaults.efSearch), nprobe \(info.searchDefaults.nprobe) (0 = Faiss default)
                    """)
                for entry in info.versions {
                    print("version \(entry.version)".padding(12) + "\(entry.count) vectors")
                }
            } catch let error as StasisError {
                reportFailure(error)
            }
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

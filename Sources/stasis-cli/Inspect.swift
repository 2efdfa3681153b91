import ArgumentParser
import StasisCore

extension Stasis {
    /// Reads a Stasis file's header without loading its vectors or weights.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a Stasis index, space, encoder or adapter file without loading its data.",
            discussion: """
                The kind of file is read from the file itself. --json prints the header: an index's \
                fields, or a safetensors file's {"metadata": {...}, "tensors": {name: shape}}.

                Examples:
                  stasis inspect gallery.stasis
                  stasis inspect --json encoder_v2.safetensors
                """)

        @Argument(help: "The file to describe.")
        var file: String

        @Flag(help: "Print the header as JSON.")
        var json = false

        func run() throws {
            do {
                switch try StasisFile.kind(of: file) {
                case .index: try describeIndex()
                case .space: try describeSafetensors(SpaceFile.inspectJSON, keys: [
                    ("kind", "space.kind"), ("classes", "space.classes"), ("dimension", "space.dimension"),
                    ("seed", "space.seed"), ("max cosine", "space.max_cosine"), ("fingerprint", "space.fingerprint")])
                case .encoder: try describeSafetensors(EncoderFile.inspectJSON, keys: [
                    ("version", "stasis.version"), ("space", "stasis.space"), ("input dim", "stasis.input_dim"),
                    ("output dim", "stasis.output_dim"), ("backbone", "stasis.backbone"), ("layers", "stasis.layers"),
                    ("notes", "stasis.notes")])
                case .adapter: try describeSafetensors(AdapterFile.inspectJSON, keys: AdaptCommand.inspectKeys)
                }
            } catch let error as StasisError {
                reportFailure(error)
            }
        }

        private func describeIndex() throws {
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
                space       \(info.space ?? "none")
                vectors     \(info.count) live, \(info.slots - info.count) removed or replaced
                defaults    efSearch \(info.searchDefaults.efSearch), nprobe \(info.searchDefaults.nprobe) (0 = Faiss default)
                """)
            for entry in info.versions {
                print("version \(entry.version)".padding(12) + "\(entry.count) vectors")
            }
        }

        private func describeSafetensors(_ inspectJSON: (String) throws -> [UInt8], keys: [(String, String)]) throws {
            let description = try inspectJSON(file)  // validates kind and format
            if json {
                print(String(decoding: description, as: UTF8.self))
                return
            }
            let (metadata, shapes) = try StasisFile.metadata(of: file)
            print("\(metadata["stasis.kind"] ?? "file")".padding(12) + file)
            let writer = metadata["stasis.library"].map { " (written by stasis \($0))" } ?? ""
            print("format".padding(12) + "\(metadata["stasis.format"] ?? "?")\(writer)")
            for (label, key) in keys {
                if let value = metadata[key], !value.isEmpty { print(label.padding(12) + value) }
            }
            for (name, shape) in shapes.sorted(by: { $0.key < $1.key }) {
                print("tensor".padding(12) + "\(name) \(shape)")
            }
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis encode`: features (.npy or .fvecs) through an encoder into unit vectors (same formats).
    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encode backbone features (n x in_dim) into a space (n x d float32 unit rows); .npy or .fvecs.",
            discussion: """
                The output's format follows its extension: .fvecs, else .npy.

                Examples:
                  stasis encode --encoder encoder_v2.safetensors features.npy vectors.npy
                  stasis encode --encoder encoder_v2.safetensors base.fvecs base_v2.fvecs --json
                """)

        @Option(help: "Encoder file (.safetensors).")
        var encoder: String

        @Option(parsing: .unconditional, help: "Threads (0 = all processors).")
        var threads: Int = 0

        @Argument(help: "Input features (.npy: float32, float16 or float64; or .fvecs).")
        var input: String

        @Argument(help: "Output vectors (.npy float32, or .fvecs).")
        var output: String

        @Flag(help: "Print {\"output\", \"rows\", \"dimension\", \"version\"} as JSON instead of a line of text.")
        var json = false

        func run() throws {
            do {
                try ThreadSettings.set(threads)
                let model = try EncoderFile.open(encoder)
                let features = try readVectors(input)
                guard features.columns == model.inputDimension else {
                    throw StasisError(.dimensionMismatch,
                        "'\(input)' has \(features.columns) columns, encoder version \(model.version) expects \(model.inputDimension)")
                }
                let vectors = try model.encode(features.values, count: features.rows)
                try writeVectors(vectors, rows: features.rows, columns: model.outputDimension, to: output)
                if json {
                    struct Summary: Encodable {
                        let output: String
                        let rows: Int
                        let dimension: Int
                        let version: UInt32
                    }
                    return try printJSON(Summary(output: output, rows: features.rows, dimension: model.outputDimension, version: model.version))
                }
                print("\(output): \(features.rows) x \(model.outputDimension), model version \(model.version)")
            } catch let error as StasisError {
                reportFailure(error)
            }
        }
    }
}

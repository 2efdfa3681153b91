import ArgumentParser
import Glibc
import StasisCore

extension Stasis {
    /// `stasis train`: a stationary encoder head from features (.npy or .fvecs) and labels.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an encoder head into a space from backbone features (.npy or .fvecs) and labels.",
            discussion: """
                Labels: a .npy (or .ivecs) of integers, or a text file with one string label per line. New \
                labels take the next free vertices and the space file is updated in place (atomically) before \
                the encoder is written; on any error (or Ctrl-C) nothing is written. Progress goes to stderr; \
                --json prints the summary (with the encoder's training record) on stdout. Recipes: \
                docs/training.md.

                Examples:
                  stasis train --space space.safetensors --features old.npy \\
                      --labels y.npy --version 1 --output v1.safetensors
                  stasis train --space space.safetensors --features new.npy \\
                      --labels names.txt --version 2 --output v2.safetensors \\
                      --previous v1.safetensors --previous-features old.npy \\
                      --alignment hoc --quiet --json
                """)

        @Option(help: "Space file (.safetensors); updated when new labels are assigned.")
        var space: String
        @Option(help: "Backbone features (.npy n x dim float32/16/64, or .fvecs).")
        var features: String
        @Option(help: "Labels: .npy or .ivecs integers (n) or a text file with one label per line.")
        var labels: String
        @Option(help: "Model version of the new encoder.")
        var version: UInt32
        @Option(help: "Output encoder file (.safetensors).")
        var output: String

        @Option(help: "Previous encoder (.safetensors), for alignment.")
        var previous: String?
        @Option(help: "The previous backbone's features of the same rows (.npy or .fvecs).")
        var previousFeatures: String?
        @Option(help: "Unlabelled paired sample: new-backbone features (.npy or .fvecs).")
        var pairedFeatures: String?
        @Option(help: "Unlabelled paired sample: old-backbone features of the same items (.npy or .fvecs).")
        var pairedPreviousFeatures: String?
        @Option(help: "none, hoc or cl2r.")
        var alignment: String = "none"
        @Option(help: "Alignment weight, the compatibility/accuracy knob (default: the recipe's).")
        var alignmentWeight: Double?
        @Option(help: "HOC similarity scale mu.")
        var alignmentScale: Double = 10
        @Option(help: "raw or softmax.")
        var feature: String = "raw"
        @Option(help: "Softmax temperature (default: chosen on the validation split).")
        var temperature: Double?
        @Option(help: "Hidden layer widths, comma-separated (e.g. 1024,1024).")
        var hidden: String = ""
        @Flag(help: "Residual head: a trained linear skip from the input to the output (needs --hidden).")
        var residual = false
        @Option(help: "relu or gelu.")
        var activation: String = "relu"
        @Option(help: "none, layernorm or batchnorm.")
        var normalization: String = "none"
        @Flag(help: "Linear layers without bias.")
        var noBias = false
        @Option var epochs: Int = 10
        @Option var batchSize: Int = 128
        @Option(help: "adamw or sgd.")
        var optimizer: String = "adamw"
        @Option var lr: Double = 1e-3
        @Option var weightDecay: Double = 1e-4
        @Option var momentum: Double = 0.9
        @Option var warmupEpochs: Int = 0
        @Option var seed: UInt64 = 0
        @Option(help: "Fraction held out for validation.")
        var validation: Double = 0.1
        @Option(help: "Early-stopping patience in epochs (0 = off).")
        var patience: Int = 0
        @Option var logitScale: Double = 1
        @Option(help: "Recorded as stasis.backbone.")
        var backbone: String = ""
        @Option(help: "Threads (0 = all processors).")
        var threads: Int = 0
        @Flag(help: "No progress output.")
        var quiet = false
        @Flag(help: "Print the summary as JSON on stdout instead of a line of text.")
        var json = false

        func run() throws {
            do {
                try ThreadSettings.set(threads)
                let target = try SpaceFile.open(space)
                let x = try readVectors(features)
                var data = TrainingData(features: x.values, count: x.rows, dimension: x.columns, labels: try readLabels())
                if let previous {
                    let model = try EncoderFile.open(previous)
                    data.previous = model
                    if let previousFeatures { data.previousFeatures = try matrix(previousFeatures, columns: model.inputDimension).values }
                    if let pairedFeatures, let pairedPreviousFeatures {
                        let new = try matrix(pairedFeatures, columns: x.columns)
                        let old = try matrix(pairedPreviousFeatures, columns: model.inputDimension)
                        guard new.rows == old.rows else {
                            throw StasisError(.invalidArgument, "paired samples have \(new.rows) and \(old.rows) rows; they must pair up")
                        }
                        (data.pairedFeatures, data.pairedPreviousFeatures, data.pairedCount) = (new.values, old.values, new.rows)
                    }
                } else if previousFeatures != nil || pairedFeatures != nil {
                    throw StasisError(.invalidArgument, "--previous-features and --paired-features need --previous")
                }
                let options = try makeOptions()
                let assignedBefore = target.labelCount
                let bar = ProgressLine(quiet: quiet)
                let encoder = try Trainer.train(space: target, data: data, options: options) { bar.show($0) }
                bar.finish()
                if target.labelCount > assignedBefore { try SpaceFile.save(target, to: space) }
                try EncoderFile.save(encoder, to: output)
                let summary = encoder.trainingSummary
                if json {
                    try printJSON(TrainJSON(
                        output: output, version: encoder.version, inputDimension: x.columns,
                        outputDimension: encoder.outputDimension, feature: encoder.feature, temperature: encoder.temperature,
                        space: space, newLabels: target.labelCount - assignedBefore, training: summary))
                    return
                }
                let accuracy = summary?.validationAccuracy.map { ", validation accuracy \(ProgressLine.format(100 * $0, 1))%" } ?? ""
                print("\(output): version \(version), \(x.columns) -> \(encoder.outputDimension), \(encoder.feature) features"
                    + (encoder.temperature.map { " (T = \($0))" } ?? "") + ", \(summary?.epochs ?? 0) epochs" + accuracy
                    + (target.labelCount > assignedBefore ? "; \(target.labelCount - assignedBefore) new labels saved in \(space)" : ""))
            } catch let error as StasisError {
                reportFailure(error)
            }
        }

        private func matrix(_ path: String, columns: Int) throws -> Npy.Array2D<Float> {
            let m = try readVectors(path)
            guard m.columns == columns else {
                throw StasisError(.dimensionMismatch, "'\(path)' has \(m.columns) columns, expected \(columns)")
            }
            return m
        }

        private func readLabels() throws -> [ClassLabel] {
            if labels.hasSuffix(".npy") || labels.hasSuffix(".ivecs") {
                let values = try readIntegers(labels)
                guard values.columns == 1 else { throw StasisError(.invalidArgument, "'\(labels)' must be 1-D (one label per row)") }
                return values.values.map(ClassLabel.id)
            }
            var result = try TextLines.read(labels).map(ClassLabel.name)
            while result.last == .name("") { result.removeLast() }
            return result
        }

        private func makeOptions() throws -> TrainingOptions {
            var o = TrainingOptions(version: version)
            func parse<T: RawRepresentable & CaseIterable>(_ text: String, _ name: String) throws -> T where T.RawValue == String {
                guard let value = T(rawValue: text) else {
                    throw StasisError(.invalidArgument, "--\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
                }
                return value
            }
            o.alignment = try parse(alignment, "alignment")
            o.feature = try parse(feature, "feature")
            o.optimizer = try parse(optimizer, "optimizer")
            o.alignmentWeight = alignmentWeight
            o.alignmentScale = alignmentScale
            o.temperature = temperature
            o.hidden = try hidden.split(separator: ",").map {
                guard let width = Int($0.filter { $0 != " " }) else { throw StasisError(.invalidArgument, "--hidden: '\($0)' is not a width") }
                return width
            }
            o.activation = activation
            guard !residual || !o.hidden.isEmpty else {
                throw StasisError(.invalidArgument, "--residual needs --hidden: a linear head has no skip to add")
            }
            o.residual = residual
            o.normalization = normalization
            o.bias = !noBias
            o.epochs = epochs
            o.batchSize = batchSize
            o.learningRate = lr
            o.weightDecay = weightDecay
            o.momentum = momentum
            o.warmupEpochs = warmupEpochs
            o.seed = seed
            o.validation = validation
            o.patience = patience
            o.logitScale = logitScale
            o.backbone = backbone
            o.progressInterval = isatty(STDERR_FILENO) != 0 && !quiet ? 10 : 0
            return o
        }
    }
}

/// `stasis train --json` (keys in docs/cli.md); absent values are null, so every key is always there.
private struct TrainJSON: Encodable {
    let output: String
    let version: UInt32
    let inputDimension: Int
    let outputDimension: Int
    let feature: String
    let temperature: Double?
    let space: String
    let newLabels: Int
    /// The encoder's training record (its `stasis.training` metadata; docs/training.md).
    let training: TrainingSummary?

    enum CodingKeys: String, CodingKey {
        case output, version, feature, temperature, space, training
        case inputDimension = "input_dim", outputDimension = "output_dim", newLabels = "new_labels"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(output, forKey: .output)
        try c.encode(version, forKey: .version)
        try c.encode(inputDimension, forKey: .inputDimension)
        try c.encode(outputDimension, forKey: .outputDimension)
        try c.encode(feature, forKey: .feature)
        try c.encode(temperature, forKey: .temperature)
        try c.encode(space, forKey: .space)
        try c.encode(newLabels, forKey: .newLabels)
        try c.encode(training, forKey: .training)
    }
}

/// One stderr line per epoch, plus an in-place bar inside epochs when stderr is a terminal.
/// Ctrl-C (SIGINT) cancels the run through the callback, so nothing is written.
final class ProgressLine {
    private let quiet: Bool
    nonisolated(unsafe) static var interrupted: sig_atomic_t = 0

    init(quiet: Bool) {
        self.quiet = quiet
        signal(SIGINT) { _ in ProgressLine.interrupted = 1 }
    }

    func show(_ p: TrainingProgress) -> Bool {
        if !quiet {
            let width = 24
            let filled = p.steps > 0 ? min(width, p.step * width / p.steps) : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            var text = "epoch \(p.epoch)/\(p.epochs) [\(bar)] loss \(Self.format(p.loss, 4)) train \(Self.format(100 * p.trainAccuracy, 1))%"
            if p.endOfEpoch && !p.validationAccuracy.isNaN { text += " val \(Self.format(100 * p.validationAccuracy, 1))%" }
            text = "\r" + text + (p.endOfEpoch ? "\n" : "")
            _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
        return ProgressLine.interrupted == 0
    }

    func finish() { signal(SIGINT, SIG_DFL) }

    static func format(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "nan" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return String(rounded)
    }
}

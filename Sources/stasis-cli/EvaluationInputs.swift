import ArgumentParser
import StasisCore

/// The input convention shared by `stasis evaluate` and `stasis gate`: one array file per version and
/// role (.npy, or .fvecs for vectors and .ivecs for labels).
///
/// Options are kept as text and parsed here, so every malformed value becomes a StasisError with a
/// clear message (and `stasis gate` can exit 2 for any bad input, not ArgumentParser's 64).
struct EvaluationInputs: ParsableArguments {
    @Option(name: .customLong("queries"),
            help: "Query vectors of one version (.npy n x d float32/16/64, or .fvecs); repeat once per version, oldest first.")
    var queries: [String] = []

    @Option(name: .customLong("query-labels"),
            help: "Query labels (.npy n int64/int32, or .ivecs): once (shared by every version) or once per version.")
    var queryLabels: [String] = []

    @Option(name: .customLong("gallery"),
            help: "Gallery vectors of one version (.npy or .fvecs), once per version. Omit for leave-one-out (queries search each other).")
    var galleries: [String] = []

    @Option(name: .customLong("gallery-labels"), help: "Gallery labels (.npy or .ivecs): once (shared) or once per version.")
    var galleryLabels: [String] = []

    @Option(name: .customLong("encoder"),
            help: "Encoder of one version (.safetensors), once per version: the vector files then hold backbone features.")
    var encoders: [String] = []

    @Option(help: "Comma-separated version numbers, one per --queries (default 1,2,...; taken from --encoder when given).")
    var versions: String?

    @Option(help: "Matrix metric: top1, map or recall@K.")
    var metric = "top1"

    @Option(help: "Gallery mode: items or templates (one L2-normalised mean per class).")
    var mode = "items"

    @Option(help: "Comma-separated k values of the Recall@k matrices.")
    var k = "1,5,10"

    @Option(name: .customLong("pair-samples"), help: "Pairs per cell and kind for the pair inequalities (0: skip).")
    var pairSamples = "10000"

    @Option(help: "Seed of the pair sampling.")
    var seed = "0"

    @Option(name: .customLong("reference-queries"),
            help: "Query vectors of an unconstrained reference model (new*), for the update gain.")
    var referenceQueries: String?

    @Option(name: .customLong("reference-gallery"), help: "Gallery vectors of the reference model (with --gallery).")
    var referenceGallery: String?

    @Option(help: "Report title.")
    var title: String?

    @Option(help: "Threads (0 = all processors).")
    var threads = "0"

    /// True when no input at all was given (lets `stasis gate` require either inputs or --report).
    var isEmpty: Bool { queries.isEmpty }

    /// Reads every file and runs the evaluation; `margin` is the default gate's margin.
    func evaluate(margin: Double) throws -> EvaluationReport {
        try ThreadSettings.set(try Self.integer(threads, "--threads"))
        let count = queries.count
        guard count > 0 else { throw StasisError(.invalidArgument, "no --queries given (T = 0): pass one .npy or .fvecs per model version") }
        guard galleries.isEmpty || galleries.count == count else {
            throw StasisError(.invalidArgument, "\(galleries.count) --gallery files for \(count) --queries files: give one per version or none")
        }
        guard encoders.isEmpty || encoders.count == count else {
            throw StasisError(.invalidArgument, "\(encoders.count) --encoder files for \(count) --queries files: give one per version or none")
        }
        let models = try encoders.map { try EncoderFile.open($0) }
        var numbers = models.map(\.version)
        if let versions {
            numbers = try versions.split(separator: ",").map { try Self.version(String($0)) }
            guard numbers.count == count else {
                throw StasisError(.invalidArgument, "--versions lists \(numbers.count) versions for \(count) --queries files")
            }
        } else if numbers.isEmpty {
            numbers = (1...count).map { UInt32($0) }
        }
        let qLabels = try Self.labels(queryLabels, count: count, option: "--query-labels")
        let gLabels = galleries.isEmpty ? [] : try Self.labels(galleryLabels, count: count, option: "--gallery-labels")
        if galleries.isEmpty && !galleryLabels.isEmpty {
            throw StasisError(.invalidArgument, "--gallery-labels given without --gallery")
        }
        var inputs: [EvaluationVersion] = []
        for i in 0..<count {
            let model = models.isEmpty ? nil : models[i]
            let q = try Self.set(queries[i], qLabels[i], model: model)
            let g = galleries.isEmpty ? nil : try Self.set(galleries[i], gLabels[i], model: model)
            inputs.append(EvaluationVersion(version: numbers[i], queries: q, gallery: g))
        }
        var options = EvaluationOptions()
        options.metric = try MatrixMetric(parsing: metric)
        options.mode = try GalleryMode(parsing: mode)
        options.ks = try k.split(separator: ",").map { try Self.integer(String($0), "--k") }
        options.pairSamples = try Self.integer(pairSamples, "--pair-samples")
        guard let parsedSeed = UInt64(seed) else { throw StasisError(.invalidArgument, "--seed must be an unsigned integer, got '\(seed)'") }
        options.seed = parsedSeed
        options.margin = margin
        if let title { options.title = title }
        if let referenceQueries {
            guard galleries.isEmpty == (referenceGallery == nil) else {
                throw StasisError(.invalidArgument, "give --reference-gallery exactly when the versions have --gallery files")
            }
            options.reference = EvaluationVersion(
                version: 0, queries: try Self.set(referenceQueries, qLabels[count - 1], model: nil),
                gallery: try referenceGallery.map { try Self.set($0, gLabels[count - 1], model: nil) })
        } else if referenceGallery != nil {
            throw StasisError(.invalidArgument, "--reference-gallery needs --reference-queries")
        }
        return try Evaluation.run(inputs, options: options)
    }

    /// One set: vectors (or features through `model`) and labels, with the file names in errors.
    private static func set(_ path: String, _ labels: (path: String, values: [Int64]), model: VersionedEncoder?) throws -> LabelledVectors {
        let array = try readVectors(path)
        guard array.rows == labels.values.count else {
            throw StasisError(.invalidArgument, "'\(path)' has \(array.rows) rows but '\(labels.path)' has \(labels.values.count) labels")
        }
        guard let model else {
            return try LabelledVectors(vectors: array.values, labels: labels.values, dimension: array.columns, role: "'\(path)'")
        }
        guard array.columns == model.inputDimension else {
            throw StasisError(.dimensionMismatch,
                "'\(path)' has \(array.columns) columns, encoder version \(model.version) expects \(model.inputDimension)")
        }
        let vectors = try model.encode(array.values, count: array.rows)
        return try LabelledVectors(vectors: vectors, labels: labels.values, dimension: model.outputDimension, role: "'\(path)'")
    }

    private static func labels(_ paths: [String], count: Int, option: String) throws -> [(path: String, values: [Int64])] {
        guard paths.count == 1 || paths.count == count else {
            throw StasisError(.invalidArgument, "give \(option) once (shared by every version) or \(count) times (one per version), got \(paths.count)")
        }
        let read = try paths.map { path -> (path: String, values: [Int64]) in
            let array = try readIntegers(path)
            guard array.columns == 1 else {
                throw StasisError(.invalidArgument, "'\(path)' must be a 1-D label array, got \(array.rows) x \(array.columns)")
            }
            return (path, array.values)
        }
        return read.count == 1 ? Array(repeating: read[0], count: count) : read
    }

    static func integer(_ text: String, _ option: String) throws -> Int {
        guard let value = Int(text.filter { $0 != " " }) else {
            throw StasisError(.invalidArgument, "\(option) must be an integer, got '\(text)'")
        }
        return value
    }

    static func version(_ text: String) throws -> UInt32 {
        guard let value = UInt32(text.filter { $0 != " " }) else {
            throw StasisError(.invalidArgument, "a version must be an integer in 0...\(UInt32.max), got '\(text)'")
        }
        return value
    }
}

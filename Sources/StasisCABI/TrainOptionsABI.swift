import StasisCore

/// Reads a caller's `stasis_train_options` by byte offset, honouring `struct_size` like
/// SearchOptionsABI: fields beyond an older caller's struct take their defaults.
///
///     0 size_t struct_size        8 int32 epochs             12 int32 batch_size
///     16 int32 optimizer          20 int32 warmup_epochs     24 double learning_rate
///     32 double weight_decay      40 double momentum         48 uint64 seed
///     56 double validation        64 int32 patience          68 int32 alignment
///     72 double alignment_weight  80 double alignment_scale  88 int32 feature
///     92 int32 activation         96 double temperature      104 double logit_scale
///     112 const int64* hidden     120 int64 hidden_count     128 int32 normalization
///     132 int32 no_bias             136 int64 paired_count     144 const float* paired_features
///     152 const float* paired_previous_features              160 progress function
///     168 void* progress_user_data 176 const char* backbone  184 const char* notes
///     192 int64 progress_interval  200 int32 residual (+4 padding)
enum TrainOptionsABI {
    static let knownSize = 208

    typealias ProgressFunction = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32

    struct Parsed {
        var options: TrainingOptions
        var pairedCount = 0
        var pairedFeatures: UnsafePointer<Float>?
        var pairedPreviousFeatures: UnsafePointer<Float>?
        var progress: ProgressFunction?
        var userData: UnsafeMutableRawPointer?
    }

    static func read(_ raw: UnsafeRawPointer?, version: UInt32) throws -> Parsed {
        var parsed = Parsed(options: TrainingOptions(version: version))
        guard let raw else { return parsed }
        let layout = try VersionedStruct(raw, name: "stasis_train_options", initializer: "STASIS_TRAIN_OPTIONS_INIT", knownSize: knownSize)
        func choice<T: RawRepresentable>(_ offset: Int, _ values: [T], _ name: String) throws -> T? where T.RawValue == String {
            guard let index = layout.field(offset, Int32.self) else { return nil }
            guard index >= 0, Int(index) < values.count else {
                throw StasisError(.invalidArgument, "\(name) must be in 0...\(values.count - 1), got \(index)")
            }
            return values[Int(index)]
        }
        var o = parsed.options
        // Zero means the default everywhere (header rule); where zero is also a meaningful value
        // (weight decay, momentum, validation) a negative value asks for none.
        func positive(_ offset: Int, _ apply: (Double) -> Void) {
            if let v = layout.field(offset, Double.self), v != 0 { apply(v) }
        }
        func orNone(_ offset: Int, _ apply: (Double) -> Void) {
            if let v = layout.field(offset, Double.self), v != 0 { apply(v < 0 ? 0 : v) }
        }
        if let v = layout.field(8, Int32.self), v != 0 { o.epochs = Int(v) }
        if let v = layout.field(12, Int32.self), v != 0 { o.batchSize = Int(v) }
        if let v = try choice(16, [TrainingOptions.OptimizerKind.adamw, .sgd], "optimizer") { o.optimizer = v }
        if let v = layout.field(20, Int32.self) { o.warmupEpochs = Int(v) }
        positive(24) { o.learningRate = $0 }
        orNone(32) { o.weightDecay = $0 }
        orNone(40) { o.momentum = $0 }
        if let v = layout.field(48, UInt64.self) { o.seed = v }
        orNone(56) { o.validation = $0 }
        if let v = layout.field(64, Int32.self) { o.patience = Int(v) }
        if let v = try choice(68, [TrainingOptions.Alignment.none, .hoc, .cl2r], "alignment") { o.alignment = v }
        if let v = layout.field(72, Double.self) { o.alignmentWeight = v <= 0 ? nil : v }
        positive(80) { o.alignmentScale = $0 }
        if let v = try choice(88, [TrainingOptions.FeatureKind.raw, .softmax], "feature") { o.feature = v }
        if let v = layout.field(92, Int32.self) {
            guard (0...1).contains(v) else { throw StasisError(.invalidArgument, "activation must be 0 (relu) or 1 (gelu), got \(v)") }
            o.activation = v == 0 ? "relu" : "gelu"
        }
        if let v = layout.field(96, Double.self) { o.temperature = v == 0 ? nil : v }
        positive(104) { o.logitScale = $0 }
        if let count = layout.field(120, Int64.self) {
            guard (0...16).contains(count) else { throw StasisError(.invalidArgument, "hidden_count must be in 0...16, got \(count)") }
            o.hidden = try Arguments.array(layout.field(112, UnsafePointer<Int64>?.self) ?? nil, rows: Int(count), "hidden").map {
                guard (1...65536).contains($0) else { throw StasisError(.invalidArgument, "hidden widths must be in 1...65536, got \($0)") }
                return Int($0)
            }
        }
        if let v = layout.field(128, Int32.self) {
            let kinds = ["none", "layernorm", "batchnorm"]
            guard v >= 0, Int(v) < kinds.count else { throw StasisError(.invalidArgument, "normalization must be in 0...2, got \(v)") }
            o.normalization = kinds[Int(v)]
        }
        if let v = layout.field(132, Int32.self) { o.bias = v == 0 }
        if let count = layout.field(136, Int64.self) {
            parsed.pairedCount = try Arguments.count(count, "paired_count")
            parsed.pairedFeatures = layout.field(144, UnsafePointer<Float>?.self) ?? nil
            parsed.pairedPreviousFeatures = layout.field(152, UnsafePointer<Float>?.self) ?? nil
        }
        parsed.progress = layout.field(160, ProgressFunction?.self) ?? nil
        parsed.userData = layout.field(168, UnsafeMutableRawPointer?.self) ?? nil
        if let text = layout.field(176, UnsafePointer<CChar>?.self) ?? nil { o.backbone = String(cString: text) }
        if let text = layout.field(184, UnsafePointer<CChar>?.self) ?? nil { o.notes = String(cString: text) }
        if let v = layout.field(192, Int64.self) {
            guard v >= 0, v <= Int64(Int32.max) else { throw StasisError(.invalidArgument, "progress_interval must be >= 0, got \(v)") }
            o.progressInterval = Int(v)
        }
        if let v = layout.field(200, Int32.self) { o.residual = v != 0 }
        parsed.options = o
        return parsed
    }

    /// Calls the C callback with a `stasis_train_progress` (80 bytes, laid out as in the header);
    /// true to continue.
    static func call(_ function: ProgressFunction, _ userData: UnsafeMutableRawPointer?, _ p: TrainingProgress) -> Bool {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 80, alignment: 8)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 80)
        raw.storeBytes(of: 80, toByteOffset: 0, as: Int.self)
        raw.storeBytes(of: Int32(clamping: p.epoch), toByteOffset: 8, as: Int32.self)
        raw.storeBytes(of: Int32(clamping: p.epochs), toByteOffset: 12, as: Int32.self)
        raw.storeBytes(of: Int64(p.step), toByteOffset: 16, as: Int64.self)
        raw.storeBytes(of: Int64(p.steps), toByteOffset: 24, as: Int64.self)
        raw.storeBytes(of: p.loss, toByteOffset: 32, as: Double.self)
        raw.storeBytes(of: p.trainAccuracy, toByteOffset: 40, as: Double.self)
        raw.storeBytes(of: p.validationLoss, toByteOffset: 48, as: Double.self)
        raw.storeBytes(of: p.validationAccuracy, toByteOffset: 56, as: Double.self)
        raw.storeBytes(of: p.learningRate, toByteOffset: 64, as: Double.self)
        raw.storeBytes(of: Int32(p.endOfEpoch ? 1 : 0), toByteOffset: 72, as: Int32.self)
        return function(UnsafeRawPointer(raw), userData) == 0
    }
}

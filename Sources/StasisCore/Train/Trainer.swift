import Glibc

/// Trains a stationary encoder head: backbone features → head → z, logits = z·Wᵀ against the
/// space's fixed vertex matrix W (never updated), optionally aligned with the previous version.
///
/// Thread safety: a run touches only its own state and, on success only, the space's registry
/// (new labels take the next free vertices). Runs may proceed concurrently on different spaces.
public enum Trainer {
    /// Progress callback: return false to cancel (the run then throws `.cancelled` and changes nothing).
    public typealias Progress = (TrainingProgress) -> Bool

    /// Trains and returns the new version's encoder (not saved: the caller saves it, and the space
    /// when new labels were assigned). On any error, including cancellation, the space is unchanged.
    /// - Throws: `.invalidArgument` (shapes, NaN/Inf, options, divergence), `.incompatible` (a
    ///   previous encoder of another space), `.unsupported` (labels do not fit in the space),
    ///   `.cancelled` (the callback returned false).
    public static func train(space: Space, data: TrainingData, options: TrainingOptions, progress: Progress? = nil) throws
        -> VersionedEncoder
    {
        try TrainingValidation.check(space: space, data: data, options: options)
        let plan = try VertexPlan(space: space, labels: data.labels)
        var run = try TrainingRun(space: space, data: data, options: options, targets: plan.vertices,
                                  active: plan.activeCount, progress: progress)
        let summary = try run.execute(newClasses: plan.newCount)
        let projection = try run.projection()
        // Commit the labels last: a failed or cancelled run leaves the registry untouched.
        let assigned = try space.assign(data.labels)
        guard assigned == plan.vertices else {
            throw StasisError(.internalError, "the space's registry changed during training; train again")
        }
        return try run.encoder(summary: summary, projection: projection)
    }
}

/// Vertices the labels will take, computed without assigning (the registry's rule: known labels
/// keep theirs, new ones take the next free vertices in order of first appearance).
struct VertexPlan {
    let vertices: [Int]
    let activeCount: Int
    let newCount: Int
    let previousCount: Int

    init(space: Space, labels: [ClassLabel]) throws {
        let known = space.lookup(labels)
        previousCount = space.labelCount
        var next = previousCount
        var fresh: [ClassLabel: Int] = [:]
        var vertices = [Int](repeating: 0, count: labels.count)
        for (i, label) in labels.enumerated() {
            if let vertex = known[i] {
                vertices[i] = vertex
            } else if let vertex = fresh[label] {
                vertices[i] = vertex
            } else {
                fresh[label] = next
                vertices[i] = next
                next += 1
            }
        }
        guard next <= space.classCount else {
            throw StasisError(.unsupported,
                "space has \(space.classCount) vertices, \(previousCount) already assigned; \(fresh.count) new labels do not fit (the space is full)")
        }
        self.vertices = vertices
        activeCount = next
        newCount = fresh.count
    }
}

/// A stationary space: the fixed classifier geometry every model version is trained against,
/// plus the append-only class registry.
///
/// Identified by `fingerprint`, a hash of (kind, K, d, vertex matrix): two spaces with the same
/// fingerprint are interchangeable; vectors from different fingerprints must not be mixed.
/// Thread safety: reads are safe from any thread; registry updates are serialised internally.
public final class Space: @unchecked Sendable {
    public let kind: SpaceKind
    /// Number of pre-allocated class vertices (K).
    public let classCount: Int
    /// Vertex dimension (d), the dimension of every encoder output in this space.
    public let dimension: Int
    /// Seed of the construction (used by spherical codes; 0 for polytopes).
    public let seed: UInt64
    /// K × d, row-major, unit rows.
    public let vertices: [Float]
    /// Largest cosine between two distinct vertices.
    public let maxCosine: Double
    /// Stable identity of the geometry, 16 hex digits.
    public let fingerprint: String

    private let lock = ReadWriteLock()
    private var registry: ClassRegistry

    /// Largest number of classes a space can pre-allocate.
    public static let maxClasses = 1 << 24
    /// Largest vertex matrix (K × d floats, 1 GiB).
    public static let maxVertexFloats = 1 << 28

    /// Builds a space. `dimension` may be 0 for polytopes (implied by K); when given it must
    /// match the kind's dimension. Spherical codes need an explicit dimension.
    public convenience init(kind: SpaceKind, classes: Int, dimension: Int = 0, seed: UInt64 = 0) throws {
        guard classes >= 2 else { throw StasisError.invalid("a space needs at least 2 classes, got \(classes)") }
        guard classes <= Self.maxClasses else {
            throw StasisError.invalid("a space holds at most \(Self.maxClasses) classes, got \(classes)")
        }
        guard dimension >= 0 else { throw StasisError.invalid("dimension must be >= 0 (0 = implied), got \(dimension)") }
        guard kind != .simplex || classes <= Polytopes.maxSimplexClasses else {
            throw StasisError.invalid(
                "a simplex with \(classes) classes needs \(classes - 1) dimensions; above \(Polytopes.maxSimplexClasses) classes use spherical-code")
        }
        let d: Int
        if let implied = kind.impliedDimension(classes: classes) {
            guard dimension == 0 || dimension == implied else {
                throw StasisError.invalid("a \(kind.rawValue) with \(classes) classes has dimension \(implied), not \(dimension)")
            }
            d = implied
        } else {
            guard dimension > 0 else { throw StasisError.invalid("\(kind.rawValue) needs an explicit dimension") }
            d = dimension
        }
        guard d <= 1 << 16 else { throw StasisError.invalid("dimension \(d) is too large (max 65536)") }
        // Checked before allocating: the vertex matrix must stay a reasonable size (1 GiB).
        guard classes * d <= Self.maxVertexFloats else {
            throw StasisError.invalid(
                "\(classes) classes x \(d) dimensions = \(classes * d) floats exceeds the limit of \(Self.maxVertexFloats)")
        }
        let vertices: [Float]
        let maxCosine: Double
        switch kind {
        case .simplex:
            vertices = Polytopes.simplex(classes: classes)
            maxCosine = -1 / Double(classes - 1)
        case .orthoplex:
            vertices = Polytopes.orthoplex(classes: classes, dimension: d)
            maxCosine = classes > 2 ? 0 : -1
        case .cube:
            vertices = Polytopes.cube(classes: classes, dimension: d)
            maxCosine = Double(d - 2) / Double(d)
        case .sphericalCode:
            guard classes <= SphericalCode.maxClasses else {
                throw StasisError.invalid("spherical-code supports up to \(SphericalCode.maxClasses) classes, got \(classes)")
            }
            let code = try SphericalCode(classes: classes, dimension: d, seed: seed)
            vertices = code.vertices
            maxCosine = code.maxCosine
        }
        self.init(kind: kind, classes: classes, dimension: d, seed: kind == .sphericalCode ? seed : 0,
                  vertices: vertices, maxCosine: maxCosine, registry: ClassRegistry())
    }

    init(kind: SpaceKind, classes: Int, dimension: Int, seed: UInt64, vertices: [Float], maxCosine: Double,
         registry: ClassRegistry) {
        self.kind = kind
        self.classCount = classes
        self.dimension = dimension
        self.seed = seed
        self.vertices = vertices
        self.maxCosine = maxCosine
        self.fingerprint = Self.fingerprint(kind: kind, classes: classes, dimension: dimension, vertices: vertices)
        self.registry = registry
    }

    static func fingerprint(kind: SpaceKind, classes: Int, dimension: Int, vertices: [Float]) -> String {
        var checksum = Checksum()
        Array("stasis.space:\(kind.rawValue):\(classes):\(dimension):".utf8).withUnsafeBytes { checksum.update($0) }
        checksum.update(array: vertices.map { $0.bitPattern.littleEndian })
        return checksum.hex
    }

    // MARK: Class registry

    /// Labels assigned so far, in vertex order.
    public var labels: [ClassLabel] { lock.reading { registry.labels } }

    /// Number of labels assigned.
    public var labelCount: Int { lock.reading { registry.count } }

    /// Vertex indices of `labels`, assigning free vertices to labels seen for the first time.
    /// - Throws: `.unsupported` when the new labels do not fit (nothing is assigned then).
    public func assign(_ labels: [ClassLabel]) throws -> [Int] {
        try lock.writing { try registry.assign(labels, capacity: classCount) }
    }

    /// Vertex indices of `labels`, nil for labels never assigned. Never assigns.
    public func lookup(_ labels: [ClassLabel]) -> [Int?] {
        lock.reading { labels.map { registry.vertex(of: $0) } }
    }

    var registrySnapshot: ClassRegistry { lock.reading { registry } }
}

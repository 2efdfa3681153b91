/// A class label: an integer id or a string name. 7 and "7" are different labels.
public enum ClassLabel: Hashable, Sendable {
    case id(Int64)
    case name(String)
}

/// The append-only map from class labels to vertex indices.
///
/// A label, once assigned, keeps its vertex forever (the map is part of the space's identity:
/// change it and stored vectors stop matching their classes). New labels take unused vertices
/// in order 0, 1, 2, ...
struct ClassRegistry: Equatable {
    /// Labels in vertex order: labels[v] owns vertex v.
    private(set) var labels: [ClassLabel] = []
    private var vertexOf: [ClassLabel: Int] = [:]

    init() {}

    init(labels: [ClassLabel]) throws {
        for label in labels {
            guard vertexOf.updateValue(self.labels.count, forKey: label) == nil else {
                throw StasisError(.corruptFile, "class registry lists label \(label) twice")
            }
            self.labels.append(label)
        }
    }

    var count: Int { labels.count }

    func vertex(of label: ClassLabel) -> Int? { vertexOf[label] }

    /// Vertices for `batch`, assigning new ones to unseen labels. All-or-nothing: when the space
    /// has too few free vertices for the new labels, nothing is assigned.
    mutating func assign(_ batch: [ClassLabel], capacity: Int) throws -> [Int] {
        var fresh: [ClassLabel] = []
        var seenFresh = Set<ClassLabel>()
        for label in batch where vertexOf[label] == nil && seenFresh.insert(label).inserted {
            fresh.append(label)
        }
        guard labels.count + fresh.count <= capacity else {
            throw StasisError(.unsupported,
                "space has \(capacity) vertices, \(labels.count) already assigned; \(fresh.count) new labels do not fit")
        }
        for label in fresh {
            vertexOf[label] = labels.count
            labels.append(label)
        }
        return batch.map { vertexOf[$0]! }
    }
}

extension ClassLabel: CustomStringConvertible {
    public var description: String {
        switch self {
        case .id(let value): String(value)
        case .name(let value): "\"\(value)\""
        }
    }
}

/// JSON form in files: integers as JSON numbers, names as JSON strings.
extension ClassLabel: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int64.self) {
            self = .id(value)
        } else {
            self = .name(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .id(let value): try container.encode(value)
        case .name(let value): try container.encode(value)
        }
    }
}

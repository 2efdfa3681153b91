import FoundationEssentials
import StasisCore

/// Every number the demo printed, written as demo.json so a test (or a release review) can check
/// them against a direct computation. Fractions in 0...1; keys are stable.
struct DemoSummary: Codable {
    struct Cells: Codable {
        let oldOld: Double
        let newOld: Double
        let newNew: Double
        var ecc: Bool { newOld > oldOld }

        enum CodingKeys: String, CodingKey { case oldOld, newOld, newNew, ecc }

        init(oldOld: Double, newOld: Double, newNew: Double) {
            (self.oldOld, self.newOld, self.newNew) = (oldOld, newOld, newNew)
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            (oldOld, newOld, newNew) = (try c.decode(Double.self, forKey: .oldOld), try c.decode(Double.self, forKey: .newOld),
                                        try c.decode(Double.self, forKey: .newNew))
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(oldOld, forKey: .oldOld)
            try c.encode(newOld, forKey: .newOld)
            try c.encode(newNew, forKey: .newNew)
            try c.encode(ecc, forKey: .ecc)
        }

        init(_ report: EvaluationReport) {
            self.init(oldOld: report.matrix[0][0] ?? .nan, newOld: report.matrix[1][0] ?? .nan, newNew: report.matrix[1][1] ?? .nan)
        }
    }

    struct Data: Codable {
        let folder: String
        let items: Int
        let classes: Int
        let queries: Int
        let gallery: Int
        let perClass: Int?
        let v1Classes: Int
        let v2Classes: Int
        let oldModel: String
        let newModel: String
    }

    struct Upgrade: Codable {
        let spaceKind: String
        let spaceClasses: Int
        let dimension: Int
        let epochs: Int
        let v2Hidden: [Int]
        let v2Residual: Bool
        let alignment: String
        let pairs: Int
        let v1TrainRows: Int
        let v2TrainRows: Int
        let v1Temperature: Double?
        let v2Temperature: Double?
        let metric: String
        let top1: Cells
        let map: Cells
        let byRole: [String: Cells]
        let servedTop1: Double
        let gatePassed: Bool
        let gateFailing: [String]
    }

    struct Policy: Codable {
        let name: String
        let auc: Double
        let fractions: [Double]
        let values: [Double]
    }

    struct Legacy: Codable {
        let pairs: Int
        let adapter: String
        let adapterValidationMeanCosine: Double?
        let queries: Int
        let calibrationQueries: Int
        let top1: Cells
        let servedTop1: Double
        let policies: [Policy]
        let bestPolicy: String
        let gainOverRandom: Double
    }

    /// The class roles' keys in `Upgrade.byRole`, in display order, with their names.
    static let roleNames = [("both", "classes known at v1"), ("v2Only", "classes added at v2"), ("unseen", "classes never trained on")]

    var format = "stasis.demo"
    var formatVersion = 1
    var libraryVersion = LibraryVersion.string
    let data: Data
    let upgrade: Upgrade
    let legacy: Legacy?
    let examples: [DemoExample]
    let files: [String: String]
    let seconds: Double

    /// demo.json's bytes: pretty-printed, sorted keys, a final newline.
    func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return Array(try encoder.encode(self)) + [10] } catch {
            throw StasisError(.invalidArgument, "cannot encode the demo summary: \(error)")
        }
    }
}

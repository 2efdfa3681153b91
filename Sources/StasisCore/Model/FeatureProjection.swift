import COpenBLAS
import Glibc

/// The softmax feature kind (science.md §6): f = softmax(z Wᵀ / T) W, normalised afterwards by
/// the encoder, with W the space's K × d vertex matrix stored in the encoder file
/// (`projection.vertices`) and T in its metadata (`stasis.temperature`).
struct FeatureProjection: Equatable {
    static let tensorName = "projection.vertices"
    static let featureKey = "stasis.feature"
    static let temperatureKey = "stasis.temperature"
    /// Largest K of a softmax projection (the encoder's scratch holds rows x K floats).
    static let maxClasses = 1 << 20

    let vertices: [Float]
    let classes: Int
    let dimension: Int
    let temperature: Float

    /// Reads the projection an encoder's metadata and tensors describe; nil for raw features
    /// (every file written before feature kinds existed).
    static func from(metadata: [String: String], tensors: [String: Safetensors.Tensor], dimension: Int) throws -> FeatureProjection? {
        switch metadata[featureKey] ?? "raw" {
        case "raw":
            return nil
        case "softmax":
            guard let text = metadata[temperatureKey], let t = Double(text), t.isFinite, t > 0 else {
                throw StasisError.invalid("softmax features need a positive \(temperatureKey), got '\(metadata[temperatureKey] ?? "")'")
            }
            guard let tensor = tensors[tensorName], tensor.shape.count == 2, (2...maxClasses).contains(tensor.shape[0]),
                  tensor.shape[1] == dimension else {
                throw StasisError.invalid("softmax features need a tensor '\(tensorName)' of shape [K, \(dimension)], 2 <= K <= \(maxClasses)")
            }
            return FeatureProjection(vertices: tensor.values, classes: tensor.shape[0], dimension: dimension, temperature: Float(t))
        case let other:
            throw StasisError.invalid("unknown feature kind '\(other)' in \(featureKey) (raw, softmax)")
        }
    }

    /// Replaces `rows` head outputs in `z` by their projections, using `scratch` (rows × classes).
    func apply(_ z: UnsafeMutablePointer<Float>, rows: Int, scratch: UnsafeMutablePointer<Float>) {
        vertices.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(classes), Int32(dimension),
                        1 / temperature, z, Int32(dimension), w.baseAddress, Int32(dimension), 0, scratch, Int32(classes))
            for r in 0..<rows {
                let row = scratch + r * classes
                var peak = row[0]
                for k in 1..<classes { peak = max(peak, row[k]) }
                var total: Float = 0
                for k in 0..<classes {
                    row[k] = expf(row[k] - peak)
                    total += row[k]
                }
                let inverse = 1 / total
                for k in 0..<classes { row[k] *= inverse }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(dimension), Int32(classes),
                        1, scratch, Int32(classes), w.baseAddress, Int32(dimension), 0, z, Int32(dimension))
        }
    }
}

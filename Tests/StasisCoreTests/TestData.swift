import Glibc
@testable import StasisCore

/// Deterministic vectors for tests: rows of `dimension` values from a fixed-seed generator.
struct TestVectors {
    static func make(count: Int, dimension: Int, seed: UInt64 = 7) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<(count * dimension)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float((state >> 40) & 0xFF_FFFF) / Float(0x100_0000) - 0.5
        }
    }

    static func row(_ values: [Float], _ index: Int, dimension: Int) -> [Float] {
        Array(values[(index * dimension)..<((index + 1) * dimension)])
    }
}

/// A fresh directory under /tmp, unique per call.
func scratchDirectory() -> String {
    var template = Array("/tmp/stasis-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return made.map { String(cString: $0) } ?? "/tmp"
}

extension TestVectors {
    /// Embedding-shaped rows: `topics` random centres plus per-row noise, so neighbourhoods are
    /// clustered like real embeddings rather than uniform (a worst case for graphs and IVF).
    static func clustered(count: Int, dimension: Int, topics: Int = 40, seed: UInt64 = 11) -> [Float] {
        let centres = make(count: topics, dimension: dimension, seed: seed)
        let noise = make(count: count, dimension: dimension, seed: seed &+ 1)
        var out = [Float](repeating: 0, count: count * dimension)
        for row in 0..<count {
            let topic = (row &* 2_654_435_761) % topics
            for j in 0..<dimension {
                out[row * dimension + j] = centres[topic * dimension + j] + 0.45 * noise[row * dimension + j]
            }
        }
        return out
    }
}

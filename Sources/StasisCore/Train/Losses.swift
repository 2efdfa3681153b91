import COpenBLAS
import Glibc

/// The loss terms of training, each returning its value and adding `weight ×` its gradient with
/// respect to the head output z (rows × d) into `dz`. Means are over the rows each term covers.
enum Losses {
    /// Cross-entropy of logits = scale · z Wᵀ against the fixed vertex matrix W (K × d, never
    /// updated, no bias) over all K vertices. Returns the mean loss and the number of rows whose
    /// argmax over the first `active` vertices (the assigned labels) is their target.
    static func crossEntropy(
        z: [Float], rows: Int, dimension: Int, vertices: [Float], classes: Int, active: Int, targets: [Int],
        scale: Float, weight: Float, dz: inout [Float]
    ) -> (loss: Double, correct: Int) {
        guard rows > 0 else { return (0, 0) }
        var logits = [Float](repeating: 0, count: rows * classes)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(classes), Int32(dimension),
                    scale, z, Int32(dimension), vertices, Int32(dimension), 0, &logits, Int32(classes))
        var loss: Double = 0
        var correct = 0
        for r in 0..<rows {
            let base = r * classes
            var best = 0
            for k in 1..<max(active, 1) where logits[base + k] > logits[base + best] { best = k }
            if best == targets[r] { correct += 1 }
            var peak = logits[base]
            for k in 1..<classes { peak = max(peak, logits[base + k]) }
            var total: Double = 0
            for k in 0..<classes {
                let e = expf(logits[base + k] - peak)
                logits[base + k] = e
                total += Double(e)
            }
            loss += log(total) - Double(logf(logits[base + targets[r]]))
            // dlogits = (softmax − onehot) · weight / rows, reusing the logits buffer.
            let factor = Float(1 / total) * weight / Float(rows)
            for k in 0..<classes { logits[base + k] *= factor }
            logits[base + targets[r]] -= weight / Float(rows)
        }
        // dz += scale · dlogits W (skipped when only the value is wanted).
        guard weight != 0 else { return (loss / Double(rows), correct) }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(dimension), Int32(classes),
                    scale, logits, Int32(classes), vertices, Int32(dimension), 1, &dz, Int32(dimension))
        return (loss / Double(rows), correct)
    }

    /// L2-normalises each row; returns the unit rows and the norms.
    static func normalize(_ z: [Float], rows: Int, dimension: Int) -> (unit: [Float], norms: [Float]) {
        var unit = z
        var norms = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var squares: Float = 0
            for j in 0..<dimension { squares += z[r * dimension + j] * z[r * dimension + j] }
            let norm = max(squares.squareRoot(), 1e-12)
            norms[r] = norm
            for j in 0..<dimension { unit[r * dimension + j] /= norm }
        }
        return (unit, norms)
    }

    /// Adds the gradient with respect to z of a loss whose gradient with respect to f = z/‖z‖ is
    /// `df`: dz = (df − f (f·df)) / ‖z‖.
    static func normalizeBackward(unit: [Float], norms: [Float], df: [Float], rows: Int, dimension: Int, dz: inout [Float]) {
        for r in 0..<rows {
            let base = r * dimension
            var dot: Float = 0
            for j in 0..<dimension { dot += unit[base + j] * df[base + j] }
            for j in 0..<dimension { dz[base + j] += (df[base + j] - unit[base + j] * dot) / norms[r] }
        }
    }

    /// HOC's InfoNCE between new unit features f (rows × d) and the frozen previous version's unit
    /// features g of the same items: anchor f_i, positive g_i, negatives g_j of the other items,
    /// except items of the anchor's own class (masked: they are not negatives). `classes[i]` < 0
    /// marks an unlabelled item, which masks nothing. s_ij = scale · ⟨f_i, g_j⟩.
    /// Returns the mean loss; adds weight × ∂loss/∂f into `df`.
    static func infoNCE(
        f: [Float], g: [Float], rows: Int, dimension: Int, classes: [Int], scale: Float, weight: Float, df: inout [Float]
    ) -> Double {
        guard rows > 0 else { return 0 }
        var s = [Float](repeating: 0, count: rows * rows)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(rows), Int32(dimension),
                    scale, f, Int32(dimension), g, Int32(dimension), 0, &s, Int32(rows))
        var loss: Double = 0
        for i in 0..<rows {
            let base = i * rows
            var peak = s[base + i]
            for j in 0..<rows where j != i && !(classes[i] >= 0 && classes[j] == classes[i]) { peak = max(peak, s[base + j]) }
            var total: Double = 0
            for j in 0..<rows {
                if j != i && classes[i] >= 0 && classes[j] == classes[i] {
                    s[base + j] = 0
                    continue
                }
                let e = expf(s[base + j] - peak)
                s[base + j] = e
                total += Double(e)
            }
            loss += log(total) - Double(logf(s[base + i]))
            // ∂/∂s_ij = (p_ij − δ_ij) · weight / rows; masked entries are 0.
            let factor = Float(1 / total) * weight / Float(rows)
            for j in 0..<rows { s[base + j] *= factor }
            s[base + i] -= weight / Float(rows)
        }
        // df += scale · P g.
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(dimension), Int32(rows),
                    scale, s, Int32(rows), g, Int32(dimension), 1, &df, Int32(dimension))
        return loss / Double(rows)
    }

    /// CL2R's cosine term: mean of 1 − ⟨f_i, g_i⟩ over unit rows. Adds weight × ∂/∂f into `df`.
    static func cosine(f: [Float], g: [Float], rows: Int, dimension: Int, weight: Float, df: inout [Float]) -> Double {
        guard rows > 0 else { return 0 }
        var loss: Double = 0
        let factor = weight / Float(rows)
        for i in 0..<(rows * dimension) {
            loss -= Double(f[i] * g[i])
            df[i] -= factor * g[i]
        }
        return 1 + loss / Double(rows)
    }
}

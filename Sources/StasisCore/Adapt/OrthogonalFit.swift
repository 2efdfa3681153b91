import Glibc

/// The λ-orthogonality-regularised affine adapter (after arXiv 2509.16664, which penalises
/// ‖W Wᵀ − I‖ so the map stays close to a rotation and keeps the geometry of the space).
extension Adapter {
    /// Gradient steps of the orthogonal fit. Each step costs three d × d products on the
    /// covariances, never a pass over the pairs, so the count does not grow with the sample.
    static let orthogonalSteps = 400

    /// Minimises (1/n)‖Xc W − Yc‖² + α‖W‖² + λ‖G − I‖² (G = W Wᵀ when d_s ≤ d_t, else Wᵀ W) with
    /// Adam from the ridge solution; b = ȳ − x̄ W. Only the covariances Cxx = Xcᵀ Xc / n and
    /// Cxy = Xcᵀ Yc / n enter the gradient 2(Cxx W − Cxy) + 2αW + 4λ(G − I)W (or 4λW(G − I)).
    static func orthogonalAffine(_ x: DenseMatrix, _ y: DenseMatrix, alpha: Double, lambda: Double) throws -> Layer {
        let (start, meanX, meanY) = try ridgeMap(x, y, alpha: alpha)
        let xc = x.centered(meanX), yc = y.centered(meanY)
        let n = Double(x.rows)
        var cxx = xc.multiplied(transposed: true, by: xc)
        var cxy = xc.multiplied(transposed: true, by: yc)
        for i in cxx.values.indices { cxx.values[i] /= n }
        for i in cxy.values.indices { cxy.values[i] /= n }
        let sourceIsSmaller = x.columns <= y.columns
        var w = start
        var first = [Double](repeating: 0, count: w.values.count)
        var second = first
        let rate = 1e-3, beta1 = 0.9, beta2 = 0.999
        for step in 1...orthogonalSteps {
            var gradient = cxx.multiplied(by: w)
            for i in gradient.values.indices { gradient.values[i] = 2 * (gradient.values[i] - cxy.values[i]) + 2 * alpha * w.values[i] }
            var gram = sourceIsSmaller ? w.multiplied(by: w, otherTransposed: true) : w.multiplied(transposed: true, by: w)
            for i in 0..<gram.rows { gram[i, i] -= 1 }
            let penalty = sourceIsSmaller ? gram.multiplied(by: w) : w.multiplied(by: gram)
            for i in gradient.values.indices { gradient.values[i] += 4 * lambda * penalty.values[i] }
            let correction1 = 1 - pow(beta1, Double(step)), correction2 = 1 - pow(beta2, Double(step))
            for i in w.values.indices {
                let g = gradient.values[i]
                first[i] = beta1 * first[i] + (1 - beta1) * g
                second[i] = beta2 * second[i] + (1 - beta2) * g * g
                w.values[i] -= rate * (first[i] / correction1) / ((second[i] / correction2).squareRoot() + 1e-12)
            }
        }
        guard w.values.allSatisfy(\.isFinite) else {
            throw StasisError(.internalError, "orthogonal adapter fit diverged; try a smaller orthogonality")
        }
        return linear(w, bias: bias(w, meanX, meanY))
    }
}

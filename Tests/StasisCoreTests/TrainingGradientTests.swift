import Testing
@testable import StasisCore

/// Finite-difference checks of every layer's backward pass and every loss term's gradient: the
/// analytic gradient of a scalar loss must match central differences of the forward pass.
@Suite struct TrainingGradientTests {
    /// Largest |analytic − numeric| relative to the largest numeric component.
    private func mismatch(_ analytic: [Float], _ numeric: [Double]) -> Double {
        let scale = max(numeric.map(abs).max() ?? 0, 1e-3)
        return zip(analytic, numeric).map { abs(Double($0) - $1) }.max()! / scale
    }

    /// Central differences of `loss` around `values`.
    private func numeric(_ values: [Float], step: Float = 1e-2, _ loss: ([Float]) -> Double) -> [Double] {
        (0..<values.count).map { i in
            var moved = values
            moved[i] = values[i] + step
            let up = loss(moved)
            moved[i] = values[i] - step
            let down = loss(moved)
            return (up - down) / Double(2 * step)
        }
    }

    /// L = Σ u ⊙ layer(x): checks dL/dx and every parameter gradient of one layer.
    private func checkLayer(_ kind: TrainableLayer.Kind, width: Int, rows: Int = 5) {
        var generator = SeededGenerator(seed: 3)
        let layer = TrainableLayer.make(kind, width: width, bias: true, generator: &generator)
        for parameter in layer.parameters { parameter.values = parameter.values.map { $0 + generator.uniform(0.5) } }
        let x = (0..<(rows * width)).map { _ in generator.uniform(2) }
        let outWidth = layer.outputWidth(width)
        let u = (0..<(rows * outWidth)).map { _ in generator.uniform(1) }
        func loss(_ input: [Float]) -> Double {
            zip(layer.forward(input, rows: rows, width: width, training: true), u).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = layer.forward(x, rows: rows, width: width, training: true)
        let dx = layer.backward(u, rows: rows, width: width)
        let analytic = layer.parameters.map(\.gradient)
        #expect(mismatch(dx, numeric(x, loss)) < 2e-2, "input gradient of \(kind)")
        for (parameter, gradient) in zip(layer.parameters, analytic) {
            let saved = parameter.values
            let numericGradient = numeric(saved) { values in
                parameter.values = values
                return loss(x)
            }
            parameter.values = saved
            #expect(mismatch(gradient, numericGradient) < 2e-2, "\(parameter.name) gradient of \(kind)")
        }
    }

    /// A residual head (hidden ReLU layer plus the linear skip): every parameter's gradient,
    /// the skip's included, through Head's forward and backward.
    @Test func residualHead() {
        var generator = SeededGenerator(seed: 5)
        var options = TrainingOptions(version: 1)
        options.hidden = [5]
        options.residual = true
        let head = Head(inputWidth: 4, outputWidth: 3, options: options, generator: &generator)
        #expect(head.skip != nil)
        let rows = 4
        let x = (0..<(rows * 4)).map { _ in generator.uniform(2) }
        let u = (0..<(rows * 3)).map { _ in generator.uniform(1) }
        func loss() -> Double {
            zip(head.forward(x, rows: rows, training: true), u).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = head.forward(x, rows: rows, training: true)
        head.backward(u, rows: rows)
        for parameter in head.parameters {
            let analytic = parameter.gradient, saved = parameter.values
            let numericGradient = numeric(saved) { values in
                parameter.values = values
                return loss()
            }
            parameter.values = saved
            #expect(mismatch(analytic, numericGradient) < 2e-2, "\(parameter.name) gradient of the residual head")
        }
    }

    @Test func linear() { checkLayer(.linear(inputs: 4, outputs: 3), width: 4) }
    @Test func relu() { checkLayer(.relu, width: 4) }
    @Test func geluExact() { checkLayer(.gelu(tanhApproximation: false), width: 4) }
    @Test func geluTanh() { checkLayer(.gelu(tanhApproximation: true), width: 4) }
    @Test func layerNorm() { checkLayer(.layerNorm(eps: 1e-5), width: 6) }
    @Test func batchNorm() { checkLayer(.batchNorm(eps: 1e-5, momentum: 0.1), width: 3, rows: 6) }

    /// The check itself can fail: a wrong gradient is caught.
    @Test func detectsAWrongGradient() {
        let numericGradient = numeric([1, 2]) { x in Double(x[0] * x[0] + x[1]) }
        #expect(mismatch([2, 1], numericGradient) < 1e-2)
        #expect(mismatch([1, 1], numericGradient) > 0.3)
    }

    private func space() throws -> Space { try Space(kind: .simplex, classes: 6) }

    @Test func crossEntropyAgainstFixedVertices() throws {
        let s = try space()
        var generator = SeededGenerator(seed: 5)
        let rows = 4, d = s.dimension
        let z = (0..<(rows * d)).map { _ in generator.uniform(1.5) }
        let targets = [0, 3, 5, 3]
        func loss(_ z: [Float]) -> Double {
            var unused: [Float] = []
            return Losses.crossEntropy(z: z, rows: rows, dimension: d, vertices: s.vertices, classes: s.classCount, active: 6,
                                       targets: targets, scale: 2, weight: 0, dz: &unused).loss
        }
        var dz = [Float](repeating: 0, count: rows * d)
        _ = Losses.crossEntropy(z: z, rows: rows, dimension: d, vertices: s.vertices, classes: s.classCount, active: 6,
                                targets: targets, scale: 2, weight: 1, dz: &dz)
        #expect(mismatch(dz, numeric(z, step: 1e-3, loss)) < 2e-2)
    }

    /// The alignment terms through the normalisation f = z/‖z‖, as training applies them.
    private func checkAlignment(_ term: (_ f: [Float], _ df: inout [Float]) -> Double) {
        var generator = SeededGenerator(seed: 9)
        let rows = 5, d = 4
        let z = (0..<(rows * d)).map { _ in generator.uniform(1) + 0.2 }
        func loss(_ z: [Float]) -> Double {
            var unused = [Float](repeating: 0, count: rows * d)
            return term(Losses.normalize(z, rows: rows, dimension: d).unit, &unused)
        }
        let (unit, norms) = Losses.normalize(z, rows: rows, dimension: d)
        var df = [Float](repeating: 0, count: rows * d), dz = df
        _ = term(unit, &df)
        Losses.normalizeBackward(unit: unit, norms: norms, df: df, rows: rows, dimension: d, dz: &dz)
        #expect(mismatch(dz, numeric(z, step: 1e-3, loss)) < 2e-2)
    }

    private let old: [Float] = Losses.normalize(TestVectors.make(count: 5, dimension: 4, seed: 2), rows: 5, dimension: 4).unit

    @Test func infoNCEWithClassMask() {
        // Items 0 and 2 share a class (masked as negatives of each other); item 4 is unlabelled.
        checkAlignment { f, df in
            Losses.infoNCE(f: f, g: old, rows: 5, dimension: 4, classes: [1, 2, 1, 3, -1], scale: 10, weight: 1, df: &df)
        }
    }

    @Test func cosineTerm() {
        checkAlignment { f, df in Losses.cosine(f: f, g: old, rows: 5, dimension: 4, weight: 1, df: &df) }
    }
}

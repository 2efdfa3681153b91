import Testing
@testable import StasisCore

@Suite struct EncoderTests {
    /// 3 -> 2 linear with bias, ReLU, then a folded BatchNorm.
    private func encoder(version: UInt32 = 1) throws -> VersionedEncoder {
        try VersionedEncoder(
            spaceFingerprint: "abc", version: version, inputDimension: 3,
            layerSpecs: [LayerSpec(type: "linear", bias: true), LayerSpec(type: "relu"), LayerSpec(type: "batchnorm", eps: 0)],
            tensors: [
                "layers.0.weight": ([2, 3], [1, 0, 0, 0, 1, 0]),
                "layers.0.bias": ([2], [0, 1]),
                "layers.2.running_mean": ([2], [0, 0]),
                "layers.2.running_var": ([2], [4, 1]),
            ])
    }

    @Test func encodesThroughTheStack() throws {
        let model = try encoder()
        // x = (6, 2, 9): linear -> (6, 3), relu -> (6, 3), batchnorm -> (3, 3), normalise.
        let y = try model.encode([6, 2, 9], count: 1)
        let s = Float(1 / 2.0.squareRoot())
        #expect(abs(y[0] - s) < 1e-6 && abs(y[1] - s) < 1e-6)
        #expect(model.outputDimension == 2)
    }

    @Test func refusesNonFiniteRowsByIndex() throws {
        #expect(throws: StasisError.invalid("feature row 1 has a non-finite value (nan) at column 2")) {
            try encoder().encode([1, 1, 1, 1, 1, .nan], count: 2)
        }
    }

    @Test func refusesBadTensors() {
        #expect(throws: StasisError.self) {
            try VersionedEncoder(spaceFingerprint: "a", version: 1, inputDimension: 3,
                                 layerSpecs: [LayerSpec(type: "linear")], tensors: ["layers.0.weight": ([2, 4], Array(repeating: 1, count: 8))])
        }
        #expect(throws: StasisError.self) {
            try VersionedEncoder(spaceFingerprint: "a", version: 1, inputDimension: 3,
                                 layerSpecs: [LayerSpec(type: "linear")],
                                 tensors: ["layers.0.weight": ([1, 3], [1, 1, 1]), "layers.1.weight": ([1], [1])])
        }
    }

    @Test func encoderFileRoundTripKeepsTensorsAndMetadata() throws {
        let path = scratchDirectory() + "/encoder.safetensors"
        let model = try VersionedEncoder(
            spaceFingerprint: "abc", version: 4, inputDimension: 3, layerSpecs: [LayerSpec(type: "linear")],
            tensors: ["layers.0.weight": ([2, 3], [1, 2, 3, 4, 5, 6])], metadata: ["stasis.backbone": "bb"])
        try EncoderFile.save(model, to: path)
        let loaded = try EncoderFile.open(path)
        #expect(loaded.version == 4 && loaded.spaceFingerprint == "abc" && loaded.backbone == "bb")
        #expect(try loaded.encode([1, 0, 0], count: 1) == model.encode([1, 0, 0], count: 1))
        #expect(try StasisFile.kind(of: path) == .encoder)
    }

    @Test func indexRefusesEncodersOfAnotherSpace() throws {
        let space = try Space(kind: .simplex, classes: 3)
        let index = try VersionedIndex(space: space, factory: "Flat")
        let model = try encoder()
        #expect(throws: StasisError.self) { try index.add(features: [1, 2, 3], dimension: 3, encoder: model, ids: [1]) }
        do {
            try index.add(features: [1, 2, 3], dimension: 3, encoder: model, ids: [1])
        } catch let error as StasisError {
            #expect(error.code == .incompatible)
        }
        #expect(index.count == 0)
    }

    @Test func npyRoundTrip() throws {
        let directory = scratchDirectory()
        try Npy.write([1, 2, 3, 4, 5, 6], rows: 2, columns: 3, to: directory + "/a.npy")
        let back = try Npy.readFloats(directory + "/a.npy")
        #expect(back.rows == 2 && back.columns == 3 && back.values == [1, 2, 3, 4, 5, 6])
        try Npy.write([7, -8], count: 2, to: directory + "/b.npy")
        #expect(try Npy.readIntegers(directory + "/b.npy").values == [7, -8])
        #expect(throws: StasisError.self) { try Npy.readFloats(directory + "/b.npy") }
    }
}

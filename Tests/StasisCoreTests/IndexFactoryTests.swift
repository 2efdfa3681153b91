import Testing
@testable import StasisCore

@Suite struct IndexFactoryTests {
    @Test(arguments: [
        ("Flat", "Flat"), (" HNSW ", "HNSW32"), ("HNSW2", "HNSW2"), ("HNSW256,Flat", "HNSW256"),
        ("HNSW16,SQ8", "HNSW16,SQ8"), ("IVF1,Flat", "IVF1,Flat"), ("IVF1048576,SQfp16", "IVF1048576,SQfp16"),
        ("IVF16,PQ8x8", "IVF16,PQ8"), ("IVF16,PQ8x4np", "IVF16,PQ8x4np"), ("IVF16,PQ32", "IVF16,PQ32"),
        ("IVF16,PQ1x1", "IVF16,PQ1x1"),
    ])
    func acceptedDescriptionsAreCanonical(description: String, canonical: String) throws {
        #expect(try IndexFactory(description, dimension: 32).canonical == canonical)
    }

    @Test(arguments: [
        ("", "empty"), ("HNSW0", "2...256"), ("HNSW1", "2...256"), ("HNSW257", "2...256"),
        ("HNSW16,PQ8", "L2"), ("HNSW16,SQ3", "unknown vector codes"), ("HNSWx", "decimal"),
        ("IVF0,Flat", "1...1048576"), ("IVF1048577,Flat", "1...1048576"),
        ("IVF99999999999999999999,Flat", "1...1048576"), ("IVF16", "not a supported"),
        ("IVF16,PQ0", "divide"), ("IVF16,PQ7", "divide"), ("IVF16,PQ64", "divide"),
        ("IVF16,PQ8x0", "1...8"), ("IVF16,PQ8x9", "1...8"), ("IVF16,PQ8x", "decimal"),
        ("IVF16,PQ8x4x2", "PQ<m>x<bits>"), ("IVF+1,Flat", "decimal"), ("PQ8", "not a supported"),
        ("Flat,IDMap", "IDMap"), ("PCA16,Flat", "not a supported"), ("IVF16,Flat,Flat", "not a supported"),
    ])
    func refusedDescriptionsNameTheProblem(description: String, needle: String) {
        do {
            _ = try IndexFactory(description, dimension: 32)
            Issue.record("'\(description)' was accepted")
        } catch let error as StasisError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(needle), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

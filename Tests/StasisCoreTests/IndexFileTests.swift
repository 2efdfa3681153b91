import Glibc
import Testing
@testable import StasisCore

@Suite struct IndexFileTests {
    @Test(arguments: ["Flat", "HNSW8", "IVF4,PQ4x4"])
    func roundTripGivesIdenticalResults(factory: String) throws {
        let dimension = 16
        let directory = scratchDirectory()
        let path = "\(directory)/index.stasis"
        let data = TestVectors.make(count: 500, dimension: dimension)
        let index = try VersionedIndex(dimension: dimension, factory: factory)
        if !index.isTrained { try index.train(data, count: 500, dimension: dimension) }
        try index.add(Array(data[..<(300 * dimension)]), dimension: dimension, ids: Array(0..<300), version: 1)
        try index.add(Array(data[(300 * dimension)...]), dimension: dimension, ids: Array(300..<500), version: 2)
        try index.remove(ids: [4, 301])
        try index.setSearchDefaults(SearchOptions(efSearch: 32, nprobe: 2))
        let queries = Array(data[..<(10 * dimension)])
        let before = try index.search(queries, count: 10, dimension: dimension, k: 5)
        try index.save(to: path)

        let info = try IndexFile.inspect(path)
        #expect(info.count == 498 && info.slots == 500 && info.dimension == dimension && info.factory == factory)
        #expect(info.versions == [.init(version: 1, count: 299), .init(version: 2, count: 199)])
        #expect(info.searchDefaults == SearchOptions(efSearch: 32, nprobe: 2))

        let reopened = try VersionedIndex.open(path)
        let after = try reopened.search(queries, count: 10, dimension: dimension, k: 5)
        #expect(after.ids == before.ids)
        #expect(after.scores == before.scores)
        #expect(after.versions == before.versions)
        #expect(reopened.countsByVersion == [1: 299, 2: 199])
        #expect(reopened.searchDefaults == SearchOptions(efSearch: 32, nprobe: 2))
    }

    /// Save streams the Faiss payload into the file and fills the checksum in afterwards: the
    /// file must be byte for byte the one the in-memory writer produced (checksum over the slot
    /// columns and `serialized()`, then prefix, header, columns, payload), here rebuilt by hand.
    @Test(arguments: ["Flat", "HNSW8", "IVF4,Flat", "IVF4,PQ4x4"])
    func streamedSaveMatchesTheInMemoryLayout(factory: String) throws {
        let dimension = 16
        let path = "\(scratchDirectory())/streamed.stasis"
        let data = TestVectors.make(count: 400, dimension: dimension)
        let index = try VersionedIndex(dimension: dimension, factory: factory)
        if !index.isTrained { try index.train(data, count: 400, dimension: dimension) }
        try index.add(data, dimension: dimension, ids: Array(0..<400), version: 3)
        try index.remove(ids: [7])
        try index.setSearchDefaults(SearchOptions(efSearch: 24, nprobe: 2))
        try index.save(to: path)

        let payload = try index.faiss.serialized()
        #expect(try index.faiss.serializedSize() == payload.count)
        let expected = try Self.container(index, factory: factory, payload: payload, format: IndexFile.formatVersion)
        let written = try readFile(path)
        #expect(written.count == expected.count)
        #expect(written == expected)
        _ = try VersionedIndex.open(path)

        // The same index laid out as format 1 (FNV-1a 64 checksums) still opens, and searches alike.
        let old = "\(scratchDirectory())/format1.stasis"
        let writer = try AtomicFileWriter(path: old)
        try writer.write(array: try Self.container(index, factory: factory, payload: payload, format: 1))
        try writer.commit()
        #expect(try IndexFile.inspect(old).format == 1)
        let reopened = try VersionedIndex.open(old)
        let queries = Array(data[..<(5 * dimension)])
        #expect(try reopened.search(queries, count: 5, dimension: dimension, k: 5).ids
                == index.search(queries, count: 5, dimension: dimension, k: 5).ids)
    }

    /// An index file built by hand: prefix, header, slot columns, payload, with the checksums of
    /// `format`.
    static func container(_ index: VersionedIndex, factory: String, payload: [UInt8], format: Int) throws -> [UInt8] {
        let algorithm = IndexFile.checksumAlgorithm(format: format)
        let slots = index.slots
        var checksum = Checksum(algorithm)
        checksum.update(array: slots.ids)
        checksum.update(array: slots.versions)
        checksum.update(array: slots.alive)
        checksum.update(array: payload)
        let info = IndexFileInfo(
            format: format, library: LibraryVersion.string, dimension: index.dimension, metric: "cosine",
            factory: factory, space: nil, trained: true, count: 399, slots: 400,
            versions: [.init(version: 3, count: 399)], searchDefaults: SearchOptions(efSearch: 24, nprobe: 2),
            payloadBytes: payload.count, checksum: checksum.hex, walSequence: nil)
        let header = try IndexFile.encodeHeader(info)
        var headerChecksum = Checksum(algorithm)
        headerChecksum.update(array: header)
        var bytes = IndexFile.magic
        withUnsafeBytes(of: UInt32(format).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: headerChecksum.value.littleEndian) { bytes.append(contentsOf: $0) }
        bytes += header
        slots.ids.withUnsafeBytes { bytes.append(contentsOf: $0) }
        slots.versions.withUnsafeBytes { bytes.append(contentsOf: $0) }
        slots.alive.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes + payload
    }

    /// CRC-32C's check value, and a checksum continued over pieces equals the one over the whole.
    @Test func checksumsContinueAcrossPieces() {
        var check = Checksum(.crc32c)
        check.update(array: Array("123456789".utf8))
        #expect(check.value == 0xE306_9283)
        #expect(check.hex == "e3069283")
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 5) }
        for algorithm in [Checksum.Algorithm.crc32c, .fnv1a64] {
            var whole = Checksum(algorithm)
            whole.update(array: bytes)
            var pieces = Checksum(algorithm)
            for start in stride(from: 0, to: bytes.count, by: 333) {
                pieces.update(array: Array(bytes[start..<min(start + 333, bytes.count)]))
            }
            let continued = Checksum(algorithm, continuing: pieces.value)
            #expect(continued.value == whole.value)
            #expect(whole.hex.count == (algorithm == .crc32c ? 8 : 16))
        }
    }

    /// A payload larger than the streaming writer's 1 MiB buffer, written in one piece and in
    /// buffered scalars, keeps its checksum (open verifies it) and its bytes.
    @Test func streamedSaveOfSeveralMegabytesReopens() throws {
        let dimension = 64
        let count = 6_000
        let path = "\(scratchDirectory())/big.stasis"
        let data = TestVectors.make(count: count, dimension: dimension)
        let index = try VersionedIndex(dimension: dimension, factory: "HNSW8")
        try index.add(data, dimension: dimension, ids: (0..<count).map { Int64($0) }, version: 1)
        try index.save(to: path)
        let payload = try index.faiss.serialized()
        let written = try readFile(path)
        #expect(Array(written[(written.count - payload.count)...]) == payload)
        let reopened = try VersionedIndex.open(path)
        #expect(reopened.count == count)
    }

    /// Open reads the payload straight from the file mapping and drops pages behind it in 8 MiB
    /// chunks, and moves each HNSW array of 8 MiB or more onto huge pages before filling it
    /// (dropping the zero pages Faiss wrote there): a payload over several chunks, an HNSW storage
    /// over 8 MiB (and one under both sizes) must come back exact, byte for byte.
    @Test(arguments: [("Flat", 30_000), ("HNSW8", 6_000), ("HNSW8", 2_000)])
    func openingFromTheMappingGivesIdenticalResults(factory: String, count: Int) throws {
        let dimension = 384
        let path = "\(scratchDirectory())/large.stasis"
        let data = TestVectors.make(count: count, dimension: dimension)
        let index = try VersionedIndex(dimension: dimension, factory: factory)
        try index.add(data, dimension: dimension, ids: (0..<count).map { Int64($0) * 3 }, version: 1)
        let queries = Array(data[(count - 20) * dimension ..< count * dimension])
        let before = try index.search(queries, count: 20, dimension: dimension, k: 10)
        try index.save(to: path)
        let reopened = try VersionedIndex.open(path)
        let after = try reopened.search(queries, count: 20, dimension: dimension, k: 10)
        #expect(after.ids == before.ids)
        #expect(after.scores == before.scores)
        #expect(reopened.countsByVersion == [1: count])
        #expect(try reopened.faiss.serialized() == index.faiss.serialized())
    }

    @Test func mappedBytesStayReadableAfterRelease() throws {
        let path = "\(scratchDirectory())/bytes.bin"
        let original = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
        let writer = try AtomicFileWriter(path: path)
        try writer.write(array: original)
        try writer.commit()
        let file = try MappedFile(path: path)
        for algorithm in [Checksum.Algorithm.crc32c, .fnv1a64] {
            var whole = Checksum(algorithm)
            whole.update(array: original)
            #expect(file.checksum(0..<file.count, algorithm).value == whole.value)  // releases every chunk it hashed
        }
        file.release(100..<(2 << 20) + 7)
        #expect(Array(file.bytes) == original)
        #expect(throws: StasisError.self) { try MappedFile(path: scratchDirectory()) }
    }

    @Test func savingLeavesNoTemporaryFiles() throws {
        let directory = scratchDirectory()
        let index = try VersionedIndex(dimension: 4, factory: "Flat")
        try index.add([1, 2, 3, 4], dimension: 4, ids: [9], version: 1)
        try index.save(to: "\(directory)/a.stasis")
        try index.save(to: "\(directory)/a.stasis")
        let listing = try listDirectory(directory)
        #expect(listing == ["a.stasis"])
    }

    @Test func refusesDamagedFiles() throws {
        let directory = scratchDirectory()
        let path = "\(directory)/good.stasis"
        let index = try VersionedIndex(dimension: 4, factory: "Flat")
        try index.add([1, 2, 3, 4, 4, 3, 2, 1], dimension: 4, ids: [1, 2], version: 1)
        try index.save(to: path)
        let bytes = try readFile(path)

        func expectOpen(_ damaged: [UInt8], fails code: StasisError.Code) throws {
            let bad = "\(directory)/bad.stasis"
            let writer = try AtomicFileWriter(path: bad)
            try writer.write(array: damaged)
            try writer.commit()
            do {
                _ = try VersionedIndex.open(bad)
                Issue.record("opened a damaged file")
            } catch let error as StasisError {
                #expect(error.code == code, "\(error.message)")
            }
        }
        // Every truncation point fails cleanly (never traps, never opens).
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            try expectOpen(Array(bytes[..<length]), fails: .corruptFile)
        }
        // A flipped byte anywhere after the header is caught by the checksum or the header parser.
        var flipped = bytes
        flipped[bytes.count - 3] ^= 0xFF
        try expectOpen(flipped, fails: .corruptFile)
        var future = bytes
        future[8] = UInt8(IndexFile.formatVersion + 1)
        try expectOpen(future, fails: .unsupportedFormat)
        try expectOpen(Array("not an index".utf8), fails: .corruptFile)
    }

    private func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

import FoundationEssentials
import Glibc

/// The mixed-gallery directory (see docs/formats.md):
///
///     <dir>/gallery.json                 manifest, written atomically last (the commit point)
///     <dir>/part-<gen>-<i>.stasis        one index file per space (IndexFile)
///     <dir>/bridge-<gen>-<i>-<j>.safetensors   link j of bridge i (AdapterFile)
///
/// A save writes generation gen+1's files next to the old ones, then replaces the manifest,
/// then deletes the files the old manifest named: a reader sees the old or the new gallery.
/// Saves to one directory must not run concurrently.
struct MixedGalleryManifest: Codable {
    struct Part: Codable { var space: String; var file: String }
    struct Calibration: Codable { var version: UInt32; var space: String; var mean: Double; var deviation: Double }
    var format: Int
    var library: String
    var kind: String
    var factory: String
    var generation: UInt64
    var versions: [MixedGallery.Version]
    var parts: [Part]
    var bridges: [[String]]
    var calibration: [Calibration]
    /// Sequence number of the last write-ahead log record the saved gallery holds (absent in
    /// galleries saved before the log existed, and when it is 0).
    var walSequence: UInt64?

    static let formatVersion = 1
    static let name = "gallery.json"

    var files: [String] { parts.map(\.file) + bridges.flatMap { $0 } }
}

extension MixedGallery {
    /// Saves the gallery into directory `path` (created when missing), atomically per the
    /// manifest. Concurrent searches may continue; concurrent mutations wait.
    /// - Throws: `.io` when the directory cannot be created or written.
    public func save(to path: String) throws {
        try lock.reading { try saveLocked(to: path) }
    }

    /// `save(to:)` under the caller's lock (save and checkpoint).
    func saveLocked(to path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw StasisError(.io, "cannot create directory '\(path)': \(systemErrorText())")
        }
        let previous = try? Self.readManifest(path)
        let generation = (previous?.generation ?? 0) &+ 1
        do {
            var manifest = MixedGalleryManifest(
                format: MixedGalleryManifest.formatVersion, library: LibraryVersion.string, kind: "stasis-mixed-gallery",
                factory: factory, generation: generation, versions: registered.values.sorted { $0.version < $1.version },
                parts: [], bridges: [], calibration: [], walSequence: walSequence == 0 ? nil : walSequence)
            for (i, name) in parts.keys.sorted().enumerated() {
                let file = "part-\(generation)-\(i).stasis"
                try parts[name]?.save(to: "\(path)/\(file)")
                manifest.parts.append(.init(space: name, file: file))
            }
            for (i, bridge) in bridges.enumerated() {
                var files: [String] = []
                for (j, adapter) in bridge.enumerated() {
                    let file = "bridge-\(generation)-\(i)-\(j).safetensors"
                    try AdapterFile.save(adapter, to: "\(path)/\(file)")
                    files.append(file)
                }
                manifest.bridges.append(files)
            }
            manifest.calibration = calibration.sorted { ($0.key.version, $0.key.space) < ($1.key.version, $1.key.space) }
                .map { .init(version: $0.key.version, space: $0.key.space, mean: $0.value.mean, deviation: $0.value.deviation) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            let bytes: [UInt8]
            do { bytes = Array(try encoder.encode(manifest)) } catch {
                throw StasisError(.internalError, "cannot encode the gallery manifest: \(error)")
            }
            let writer = try AtomicFileWriter(path: "\(path)/\(MixedGalleryManifest.name)")
            try writer.write(array: bytes)
            try writer.commit()
            let kept = Set(manifest.files)
            for file in previous?.files ?? [] where !kept.contains(file) { unlink("\(path)/\(file)") }
        }
    }

    /// Opens a gallery saved by `save(to:)`.
    /// - Throws: `.io`, `.corruptFile` (unreadable manifest, unsafe file names, parts or bridges
    ///   that contradict the registered versions, an id in two parts), `.unsupportedFormat`.
    public static func open(_ path: String) throws -> MixedGallery {
        let manifest = try readManifest(path)
        func corrupt(_ message: String) -> StasisError { StasisError(.corruptFile, "'\(path)': \(message)") }
        guard manifest.kind == "stasis-mixed-gallery" else { throw corrupt("not a mixed gallery (kind '\(manifest.kind)')") }
        guard manifest.format <= MixedGalleryManifest.formatVersion else {
            throw StasisError(.unsupportedFormat, "'\(path)' has gallery format \(manifest.format); this library reads up to \(MixedGalleryManifest.formatVersion)")
        }
        for file in manifest.files where file.isEmpty || file.contains("/") || file.hasPrefix(".") {
            throw corrupt("manifest names an unsafe file '\(file)'")
        }
        let gallery: MixedGallery
        do { gallery = try MixedGallery(factory: manifest.factory) } catch let error as StasisError {
            throw corrupt("factory: \(error.message)")
        }
        do {
            for version in manifest.versions {
                try gallery.register(version: version.version, dimension: version.dimension, space: version.space)
            }
        } catch let error as StasisError { throw corrupt("versions: \(error.message)") }
        var seen = Set<Int64>()
        for part in manifest.parts {
            guard let existing = gallery.parts[part.space], !gallery.registered.isEmpty else {
                throw corrupt("part '\(part.file)' names space '\(part.space)', which no version uses")
            }
            let index = try VersionedIndex.open("\(path)/\(part.file)")
            guard index.dimension == existing.dimension, index.factory == gallery.factory else {
                throw corrupt("part '\(part.file)' has dimension \(index.dimension) / factory \(index.factory); space '\(part.space)' needs \(existing.dimension) / \(gallery.factory)")
            }
            for (version, _) in index.countsByVersion where gallery.registered[version]?.space != part.space {
                throw corrupt("part '\(part.file)' holds version \(version), which is not registered in space '\(part.space)'")
            }
            for id in index.liveIDs() where !seen.insert(id).inserted {
                throw corrupt("id \(id) is stored in two parts")
            }
            gallery.parts[part.space] = index
        }
        for files in manifest.bridges {
            let adapters = try files.map { try AdapterFile.open("\(path)/\($0)") }
            do { try gallery.add(chain: try AdapterChain(adapters)) } catch let error as StasisError {
                throw corrupt("bridge \(files): \(error.message)")
            }
        }
        for rule in manifest.calibration {
            guard gallery.registered[rule.version] != nil, gallery.parts[rule.space] != nil,
                  rule.mean.isFinite, rule.deviation.isFinite, rule.deviation > 0 else {
                throw corrupt("invalid calibration for version \(rule.version), space '\(rule.space)'")
            }
            gallery.calibration[RouteKey(version: rule.version, space: rule.space)] = ScoreCalibration(mean: rule.mean, deviation: rule.deviation)
        }
        gallery.walSequence = manifest.walSequence ?? 0
        return gallery
    }

    static func readManifest(_ path: String) throws -> MixedGalleryManifest {
        let bytes = try readFile("\(path)/\(MixedGalleryManifest.name)", limit: 1 << 26)
        do { return try JSONDecoder().decode(MixedGalleryManifest.self, from: Data(bytes)) } catch {
            throw StasisError(.corruptFile, "'\(path)/\(MixedGalleryManifest.name)' is not a readable gallery manifest: \(error)")
        }
    }
}

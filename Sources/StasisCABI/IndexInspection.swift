import StasisCore

/// JSON rendering of an index file's header for `stasis_index_inspect`.
enum IndexInspection {
    static func json(path: String) throws -> String {
        String(decoding: try IndexFile.inspectJSON(path), as: UTF8.self)
    }
}

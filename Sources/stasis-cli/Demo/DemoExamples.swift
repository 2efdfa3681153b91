import StasisCore

/// Stage 4: real queries as text, with their top hits in the v1 gallery before the upgrade (v1
/// query, old model) and right after it (v2 query, new model, same untouched gallery).
struct DemoExample: Codable {
    struct Hit: Codable {
        let id: Int64
        let text: String
        let className: String
        let sameClass: Bool
        let score: Float
    }

    let queryId: Int64
    let text: String
    let className: String
    let role: String
    let before: [Hit]
    let after: [Hit]

    /// One query per class role (the first query of the role's middle class), `hits` hits each.
    static func pick(_ data: DemoData, upgrade: DemoUpgrade, hits: Int = 3) throws -> [DemoExample] {
        var rows: [Int] = []
        let ranges = [(0, DemoData.v1Classes), (DemoData.v1Classes, DemoData.v1Classes + DemoData.v2Classes),
                      (DemoData.v1Classes + DemoData.v2Classes, data.classNames.count)]
        for (low, high) in ranges {
            let middle = (low + high) / 2
            if let row = data.queries.first(where: { data.labels[$0] == middle }) { rows.append(row) }
        }
        guard !rows.isEmpty else { return [] }
        let before = try upgrade.index.search(features: data.rows(rows, of: data.old), count: rows.count,
                                              dimension: data.old.columns, encoder: upgrade.v1, k: hits)
        let after = try upgrade.index.search(features: data.rows(rows, of: data.new), count: rows.count,
                                             dimension: data.new.columns, encoder: upgrade.v2, k: hits)
        func hitList(_ result: SearchResult, _ q: Int, _ row: Int) -> [Hit] {
            (0..<hits).compactMap { j in
                let id = result.ids[q * hits + j]
                guard id >= 0, Int(id) < data.texts.count else { return nil }
                let label = data.labels[Int(id)]
                return Hit(id: id, text: data.texts[Int(id)], className: displayName(data.classNames[label]),
                           sameClass: label == data.labels[row], score: result.scores[q * hits + j])
            }
        }
        return rows.enumerated().map { q, row in
            let role = ["known at v1", "added at v2", "never trained"][data.role(ofClass: data.labels[row]).rawValue]
            return DemoExample(queryId: Int64(row), text: data.texts[row], className: displayName(data.classNames[data.labels[row]]),
                               role: role, before: hitList(before, q, row), after: hitList(after, q, row))
        }
    }

    /// "beverage 07881800" → "beverage" (the synset offset only disambiguates equal lemmas).
    static func displayName(_ name: String) -> String {
        guard let space = name.lastIndex(of: " "), name[name.index(after: space)...].allSatisfy(\.isNumber) else { return name }
        return String(name[..<space])
    }
}

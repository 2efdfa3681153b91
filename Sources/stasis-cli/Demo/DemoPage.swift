import StasisCore

/// demo.html: the demo's front page, in the evaluation report's style, every number from the
/// summary (so the page and demo.json cannot disagree). Self-contained: inline CSS and SVG.
struct DemoPage {
    let summary: DemoSummary
    let command: String

    func render() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Stasis upgrade demo</title>
            <style>\(EvaluationReport.pageStyle)\(Self.extraCSS)</style></head><body><main>

            """
        page += header() + verdict() + cards() + upgradePanel() + legacyPanel() + examplesPanel() + footer()
        page += "</main></body></html>\n"
        return page
    }

    private typealias F = DemoFormat
    private var up: DemoSummary.Upgrade { summary.upgrade }

    private func header() -> String {
        let d = summary.data
        return """
            <header><div class="brand">STASIS · UPGRADE DEMO</div>
            <h1>A model upgrade without re-encoding the gallery</h1>
            <p class="sub">WordNet noun synsets (\(d.items) items, \(d.classes) classes; \(d.gallery) in the gallery, \(d.queries) queries). \
            Old model: \(esc(d.oldModel)). New model: \(esc(d.newModel)). Every number below was computed by this run.</p></header>

            """
    }

    private func verdict() -> String {
        let c = up.top1
        let pass = up.gatePassed
        let headline = pass
            ? "v2 queries can search the untouched v1 gallery today"
            : "v2 queries must not search the v1 gallery yet"
        var detail = pass
            ? "Over all queries, new→old top-1 \(F.percent(c.newOld))% beats old→old \(F.percent(c.oldOld))% (ECC holds): the upgrade ships without re-encoding a single item."
            : "Over all queries, new→old top-1 \(F.percent(c.newOld))% does not beat old→old \(F.percent(c.oldOld))% (ECC fails). Keep serving v1 queries on the v1 gallery, or re-encode (backfill) it before switching."
        detail += " By group: " + DemoSummary.roleNames.compactMap { key, name in
            up.byRole[key].map { "\(name) \(F.points($0.newOld - $0.oldOld)) (\($0.ecc ? "holds" : "fails"))" }
        }.joined(separator: "; ") + "."
        return """
            <section class="verdict \(pass ? "pass" : "fail")"><div class="badge">\(pass ? "PASS" : "FAIL")</div><div>
            <h2>\(headline)</h2><p>\(detail)</p></div></section>

            """
    }

    private func cards() -> String {
        let c = up.top1
        func card(_ key: String, _ title: String, _ value: String, _ note: String, _ tone: String) -> String {
            "<div class=\"card \(tone)\"><div class=\"key\">\(key)</div><div class=\"title\">\(title)</div><div class=\"value\">\(value)</div><div class=\"note\">\(note)</div></div>"
        }
        var items = [
            card("OLD→OLD", "v1 queries, v1 gallery", F.percent(c.oldOld) + "%", "before the upgrade", "neutral"),
            card("NEW→OLD", "v2 queries, v1 gallery", F.percent(c.newOld) + "%", F.points(c.newOld - c.oldOld) + " vs old→old", c.ecc ? "good" : "bad"),
            card("NEW→NEW", "after a full backfill", F.percent(c.newNew) + "%", F.points(c.newNew - c.oldOld) + " vs old→old", "neutral"),
            card("SERVED", "v2 in the v1 index", F.percent(up.servedTop1) + "%", "top-1 through the index", "neutral"),
        ]
        if let legacy = summary.legacy {
            items.append(card("LEGACY", "adapter, at once", F.percent(legacy.top1.newOld) + "%",
                              "raw old→old " + F.percent(legacy.top1.oldOld) + "%", legacy.top1.ecc ? "good" : "warn"))
            items.append(card("BACKFILL", "best order: " + esc(legacy.bestPolicy), "AUC " + F.percent(legacy.policies.first { $0.name == legacy.bestPolicy }?.auc ?? .nan),
                              F.points(legacy.gainOverRandom) + " vs random", legacy.gainOverRandom > 0 ? "good" : "warn"))
        }
        return "<section class=\"cards\">" + items.joined() + "</section>\n"
    }

    private func upgradePanel() -> String {
        var rows = ""
        for (key, name) in DemoSummary.roleNames {
            guard let c = up.byRole[key] else { continue }
            rows += "<tr><td>\(name)</td><td>\(F.percent(c.oldOld))</td><td>\(F.percent(c.newOld)) <small>\(F.points(c.newOld - c.oldOld))</small></td><td>\(F.percent(c.newNew))</td>"
                + "<td>\(c.ecc ? "<span class=\"pill pass\">holds</span>" : "<span class=\"pill fail\">fails</span>")</td></tr>"
        }
        let all = up.top1, m = up.map
        rows += "<tr class=\"total\"><td>all queries (top-1)</td><td>\(F.percent(all.oldOld))</td><td>\(F.percent(all.newOld))</td><td>\(F.percent(all.newNew))</td><td>\(all.ecc ? "<span class=\"pill pass\">holds</span>" : "<span class=\"pill fail\">fails</span>")</td></tr>"
        rows += "<tr class=\"total\"><td>all queries (mAP)</td><td>\(F.percent(m.oldOld))</td><td>\(F.percent(m.newOld))</td><td>\(F.percent(m.newNew))</td><td>\(m.ecc ? "<span class=\"pill pass\">holds</span>" : "<span class=\"pill fail\">fails</span>")</td></tr>"
        return """
            <section class="panel"><h3>Stages 1–2 · Stationary from day one, then the upgrade</h3>
            <p class="hint">A d-Simplex space with \(up.spaceClasses) pre-allocated classes (\(up.dimension)-d). v1: a head on the old model's features, \(summary.data.v1Classes) classes, \(up.v1TrainRows) rows\(temperature(up.v1Temperature)). \
            v2: \(up.v2Residual ? "a residual head (hidden layer \(up.v2Hidden.map(String.init).joined(separator: ", ")) plus a linear skip)" : up.v2Hidden.isEmpty ? "a linear head" : "a head with hidden layer \(up.v2Hidden.map(String.init).joined(separator: ", "))") on the new model's features, \(summary.data.v1Classes + summary.data.v2Classes) classes, \(up.v2TrainRows) rows, aligned with v1 (HOC) on them and on \(up.pairs) unlabelled paired gallery items\(temperature(up.v2Temperature)); \(up.epochs) epochs each. \
            Top-1 (%) of the queries of each group against the whole gallery. ECC: new→old beats old→old. <a href="upgrade-report.html">Full compatibility report</a>.</p>
            <table><tr><th>queries of</th><th>old→old</th><th>new→old</th><th>new→new</th><th>ECC</th></tr>\(rows)</table></section>

            """
    }

    private func temperature(_ t: Double?) -> String { t.map { ", softmax features T = \(F.fixed($0, 2))" } ?? "" }

    private func legacyPanel() -> String {
        guard let legacy = summary.legacy else { return "" }
        let c = legacy.top1
        let table = """
            <table><tr><th></th><th>top-1 (%)</th></tr>
            <tr><td>old model queries on the old gallery</td><td>\(F.percent(c.oldOld))</td></tr>
            <tr><td>new model queries through the adapter, at once</td><td>\(F.percent(c.newOld)) <small>(\(F.points(c.newOld - c.oldOld)))</small></td></tr>
            <tr><td>the same through the mixed gallery's search</td><td>\(F.percent(legacy.servedTop1))</td></tr>
            <tr><td>new model on a fully re-encoded gallery</td><td>\(F.percent(c.newNew))</td></tr>
            \(legacy.policies.map { "<tr><td>backfill order: \(esc($0.name))</td><td>AUC \(F.percent($0.auc))</td></tr>" }.joined())</table>
            """
        return """
            <section class="panel"><h3>Stage 3 · Legacy gallery: raw old embeddings, never trained for compatibility</h3>
            <p class="hint">A \(esc(legacy.adapter)) adapter new → old fitted on \(legacy.pairs) paired items\(legacy.adapterValidationMeanCosine.map { " (held-out mean cosine \(F.fixed($0, 3)))" } ?? "") serves new-model queries at once; \
            then the gallery is re-encoded in each planner's order and top-1 of \(legacy.queries) queries is measured at each step (\(legacy.calibrationQueries) other queries fitted the score calibration that merges the two parts).</p>
            <div class="row"><div>\(table)</div><div>\(chart(legacy.policies))</div></div></section>

            """
    }

    private func chart(_ policies: [DemoSummary.Policy]) -> String {
        let width = 520.0, height = 240.0, left = 52.0, right = 16.0, top = 14.0, bottom = 40.0
        let values = policies.flatMap(\.values)
        let low = values.min() ?? 0, high = values.max() ?? 1
        let pad = max((high - low) * 0.12, 0.01)
        let y0 = max(0, low - pad), y1 = max(min(1, high + pad), y0 + 0.02)
        func px(_ f: Double) -> Double { left + f * (width - left - right) }
        func py(_ v: Double) -> Double { top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom) }
        var svg = "<svg class=\"chart\" role=\"img\" aria-label=\"backfill curves\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for i in 0...4 {
            let f = Double(i) / 4, v = y0 + (y1 - y0) * f
            svg += "<line x1=\"\(px(f))\" y1=\"\(top)\" x2=\"\(px(f))\" y2=\"\(height - bottom)\" class=\"grid\"/>"
            svg += "<text x=\"\(px(f))\" y=\"\(height - bottom + 16)\" class=\"legend\" text-anchor=\"middle\">\(i * 25)%</text>"
            svg += "<line x1=\"\(left)\" y1=\"\(py(v))\" x2=\"\(width - right)\" y2=\"\(py(v))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(v) + 4)\" class=\"legend\" text-anchor=\"end\">\(F.percent(v))</text>"
        }
        let colours = ["random": "#94a3b8", "predicted-error": "#f97316", "neighbourhood": "#2563eb", "hubs": "#16a34a"]
        for (n, policy) in policies.enumerated() {
            let colour = colours[policy.name] ?? "#16a34a"
            let points = zip(policy.fractions, policy.values).map { "\(px($0)),\(py($1))" }.joined(separator: " ")
            svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2.5\"\(policy.name == "random" ? " stroke-dasharray=\"6 4\"" : "")/>"
            svg += "<rect x=\"\(left + 10)\" y=\"\(top + 6 + Double(n) * 16)\" width=\"14\" height=\"4\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(left + 30)\" y=\"\(top + 12 + Double(n) * 16)\" class=\"legend\">\(esc(policy.name)) (AUC \(F.percent(policy.auc)))</text>"
        }
        svg += "<text x=\"\((width + left) / 2)\" y=\"\(height - 6)\" class=\"axis\" text-anchor=\"middle\">fraction of the gallery re-encoded → top-1 (%)</text></svg>"
        return svg
    }

    private func examplesPanel() -> String {
        guard !summary.examples.isEmpty else { return "" }
        var html = """
            <section class="panel"><h3>Stage 4 · Real queries, top hits in the v1 gallery</h3>
            <p class="hint">Before: the v1 query (old model). After: the v2 query (new model) on the same, untouched gallery. ✓ marks a hit of the query's class.</p>
            """
        for example in summary.examples {
            func list(_ hits: [DemoExample.Hit]) -> String {
                "<ol>" + hits.map { "<li class=\"\($0.sameClass ? "hit" : "miss")\">\($0.sameClass ? "✓ " : "✗ ")\(esc(F.clip($0.text, 90))) <small>\(esc($0.className))</small></li>" }.joined() + "</ol>"
            }
            html += """
                <div class="example"><p class="q">“\(esc(F.clip(example.text, 140)))” <small>\(esc(example.className)) · \(esc(example.role))</small></p>
                <div class="row"><div><h4>before (v1)</h4>\(list(example.before))</div><div><h4>after (v2)</h4>\(list(example.after))</div></div></div>
                """
        }
        return html + "</section>\n"
    }

    private func footer() -> String {
        """
        <footer><p>Generated by Stasis \(esc(summary.libraryVersion)) with <code>\(esc(command))</code> in \(F.seconds(summary.seconds)). \
        Files: \(summary.files.keys.sorted().map { "<code>\(esc(summary.files[$0] ?? ""))</code>" }.joined(separator: " ")). demo.json holds every number on this page.</p></footer>

        """
    }

    private func esc(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static let extraCSS = """
        .cards{grid-template-columns:repeat(6,1fr)}.card.neutral{border-top-color:#2563eb}
        .panel .row{margin-bottom:0}tr.total td{font-weight:700;border-top:1px solid #e2e8f0}
        .example{border-top:1px solid #f1f5f9;padding-top:8px;margin-top:8px}.example .q{font-weight:600;margin:0 0 4px}
        .example h4{margin:4px 0;font-size:13px;color:#64748b}.example ol{margin:0;padding-left:20px;font-size:13.5px}
        li.hit{color:#166534}li.miss{color:#991b1b}li small,.q small{color:#64748b;font-weight:400}
        a{color:#2563eb}
        """
}

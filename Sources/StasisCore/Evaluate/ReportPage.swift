extension EvaluationReport {
    /// The report as one self-contained HTML page (the same page from C, Python and the CLI).
    public func html() -> String { ReportPage(report: self).render() }

    /// The page's style sheet, for other pages that should look like the report (the CLI's demo page).
    public static var pageStyle: String { ReportPage.css }
}

/// Renders an `EvaluationReport` as one self-contained HTML page: inline CSS and SVG, no script,
/// no network asset, so it opens the same from a CI artefact, an e-mail or an air-gapped laptop.
/// Layout, top to bottom: title, gate verdict, summary cards, heatmap next to the gate's cells,
/// negative flips and pair inequalities, backfill curve (or its placeholder), definitions, inputs.
struct ReportPage {
    let report: EvaluationReport
    private typealias F = ReportFormat

    func render() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="Stasis \(F.escape(report.libraryVersion))">
            <title>\(F.escape(report.title))</title>
            <style>\(Self.css)</style></head><body><main>

            """
        page += header() + verdict() + cards()
        page += "<section class=\"row\">" + heatmapPanel() + gatePanel() + "</section>\n"
        page += "<section class=\"row\">" + flipsPanel() + pairsPanel() + "</section>\n"
        page += backfillPanel() + definitions() + footer()
        page += "</main></body></html>\n"
        return page
    }

    // MARK: names

    private var metricName: String {
        switch report.metric {
        case "top1": "top-1"
        case "map": "mAP"
        default: "Recall@" + report.metric.dropFirst(7)
        }
    }

    private var versions: [UInt32] { report.versions }
    private var count: Int { versions.count }

    private func name(_ index: Int) -> String { "v\(versions[index])" }

    // MARK: sections

    private func header() -> String {
        let protocolText = report.protocol == "leave_one_out" ? "leave-one-out (queries search each other)" : "separate query and gallery sets"
        let modeText = report.mode == "templates" ? "class-template gallery" : "per-item gallery"
        return """
            <header><div class="brand">STASIS · COMPATIBILITY REPORT</div>
            <h1>\(F.escape(report.title))</h1>
            <p class="sub">\(count) model version\(count == 1 ? "" : "s") (\(versions.map { "v\($0)" }.joined(separator: " → "))) · metric <b>\(metricName)</b> · \(modeText) · \(protocolText)</p>
            </header>

            """
    }

    private func verdict() -> String {
        let gate = report.gate
        let older = gate.galleries.filter { $0 != gate.serve }
        let scope = older.isEmpty ? "its own gallery only" : "the galleries of " + older.map { "v\($0)" }.joined(separator: ", ")
        let marginText = gate.margin == 0 ? "strictly better than each gallery's own model" : "better than each gallery's own model by more than \(F.points(gate.margin)) points"
        if older.isEmpty {
            return """
                <section class="verdict pass"><div class="badge">PASS</div><div>
                <h2>v\(gate.serve) serves \(scope)</h2>
                <p>No older gallery to check: compatibility needs at least two versions.</p></div></section>

                """
        }
        if gate.passed {
            return """
                <section class="verdict pass"><div class="badge">PASS</div><div>
                <h2>v\(gate.serve) may serve queries against \(scope)</h2>
                <p>Every checked cell is \(marginText) (\(metricName)).</p></div></section>

                """
        }
        let failing = gate.cells.filter { !$0.passed }.map { cell in
            "<b>\(F.escape(cell.name))</b> \(F.percent(cell.value)) vs \(F.percent(cell.baseline)) (\(F.points(cell.value - cell.baseline)) pts)"
        }
        return """
            <section class="verdict fail"><div class="badge">FAIL</div><div>
            <h2>v\(gate.serve) must not serve queries against \(scope) yet</h2>
            <p>Required: \(marginText) (\(metricName)). Failing: \(failing.joined(separator: "; ")).</p></div></section>

            """
    }

    private func cards() -> String {
        let s = report.summary
        let pairs = count * (count - 1) / 2
        let compatiblePairs = Int((s.ac * Double(pairs)).rounded())
        var cards: [String] = []
        cards.append(card("AC", "Average compatibility", F.fixed(s.ac, 2),
                          pairs == 0 ? "no version pair" : "\(compatiblePairs) of \(pairs) pairs satisfy ECC",
                          tone: pairs == 0 ? "neutral" : s.ac >= 1 ? "good" : s.ac > 0 ? "warn" : "bad"))
        cards.append(card("AM", "Average multi-model \(metricName)", F.percent(s.am) + "%", "mean of the \(count * (count + 1) / 2) cells on and below the diagonal", tone: "neutral"))
        cards.append(delta("BC", "Backward compatibility", s.bc, "newest model on every older gallery vs each gallery's own model"))
        cards.append(delta("FC", "Forward compatibility", s.fc, "each model on its predecessor's gallery vs on its own"))
        if let gains = s.updateGain, let reference = s.referenceMetric {
            let worst = gains.compactMap { $0 }.min()
            cards.append(card("G", "Update gain (worst)", worst.map { F.fixed($0, 2) } ?? "–",
                              "reference new* scores \(F.percent(reference))%; 1 = full gain of the unconstrained model",
                              tone: worst.map { $0 >= 1 ? "good" : $0 > 0 ? "warn" : "bad" } ?? "neutral"))
        } else {
            cards.append(card("G", "Update gain", "–", "no unconstrained reference model given", tone: "neutral"))
        }
        if let flips = report.negativeFlips {
            var worst: (Double, String)?
            for t in 0..<count { for k in 0..<t { if let v = flips[t][k], v > (worst?.0 ?? -1) { worst = (v, "\(name(t))/\(name(k))") } } }
            cards.append(card("NF", "Negative flips (worst cell)", worst.map { F.percent($0.0) + "%" } ?? "–",
                              worst.map { "queries right before, wrong after: \($0.1)" } ?? "needs two versions",
                              tone: worst.map { $0.0 == 0 ? "good" : $0.0 < 0.02 ? "warn" : "bad" } ?? "neutral"))
        } else {
            cards.append(card("NF", "Negative flips", "–", "query sets differ between versions", tone: "neutral"))
        }
        return "<section class=\"cards\">" + cards.joined() + "</section>\n"
    }

    private func card(_ key: String, _ title: String, _ value: String, _ note: String, tone: String) -> String {
        "<div class=\"card \(tone)\"><div class=\"key\">\(key)</div><div class=\"title\">\(F.escape(title))</div>"
            + "<div class=\"value\">\(value)</div><div class=\"note\">\(F.escape(note))</div></div>"
    }

    private func delta(_ key: String, _ title: String, _ value: Double?, _ note: String) -> String {
        guard let value else { return card(key, title, "–", "needs two versions", tone: "neutral") }
        return card(key, title, F.points(value) + " pts", note, tone: value > 0 ? "good" : value == 0 ? "warn" : "bad")
    }

    // MARK: heatmap

    private func heatmapPanel() -> String {
        let cell = count <= 4 ? 96.0 : max(40, 440 / Double(count))
        let left = 70.0, top = 52.0
        let size = cell * Double(count)
        let legend = max(size, 240)  // wide enough for its three labels even for one version
        let width = left + legend + 16, height = top + size + 74
        var values: [Double] = []
        for t in 0..<count { for k in 0...t { if let v = report.matrix[t][k] { values.append(v) } } }
        let low = values.min() ?? 0, high = values.max() ?? 1
        let span = high - low
        func shade(_ v: Double) -> Double { span < 1e-12 ? 0.5 : (v - low) / span }
        var svg = """
            <svg class="heatmap" role="img" aria-label="compatibility matrix" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" xmlns="http://www.w3.org/2000/svg">
            <defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f1f5f9"/><line x1="0" y1="0" x2="0" y2="8" stroke="#e2e8f0" stroke-width="3"/></pattern>
            <linearGradient id="scale" x1="0" x2="1" y1="0" y2="0">\((0...8).map { "<stop offset=\"\(Double($0) / 8)\" stop-color=\"\(F.colour(Double($0) / 8))\"/>" }.joined())</linearGradient></defs>
            <text x="\(left + size / 2)" y="14" class="axis" text-anchor="middle">gallery version →</text>
            <text x="14" y="\(top + size / 2)" class="axis" text-anchor="middle" transform="rotate(-90 14 \(top + size / 2))">← query version</text>

            """
        for k in 0..<count {
            svg += "<text x=\"\(left + (Double(k) + 0.5) * cell)\" y=\"\(top - 10)\" class=\"head\" text-anchor=\"middle\">\(name(k))</text>"
        }
        for t in 0..<count {
            let y = top + Double(t) * cell
            svg += "<text x=\"\(left - 10)\" y=\"\(y + cell / 2 + 5)\" class=\"head\" text-anchor=\"end\">\(name(t))</text>\n"
            for k in 0..<count {
                let x = left + Double(k) * cell
                guard k <= t, let value = report.matrix[t][k] else {
                    svg += "<rect x=\"\(x + 2)\" y=\"\(y + 2)\" width=\"\(cell - 4)\" height=\"\(cell - 4)\" rx=\"6\" fill=\"url(#hatch)\"/>"
                    continue
                }
                let tone = shade(value)
                let ink = tone > 0.45 ? "#ffffff" : "#0f172a"
                let fails = k < t && report.ecc[t][k] == false
                let stroke = fails ? " stroke=\"#dc2626\" stroke-width=\"4\"" : k == t ? " stroke=\"#475569\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"" : ""
                svg += "<g><title>\(name(t)) queries on \(name(k)) gallery: \(metricName) \(F.percent(value))%</title>"
                svg += "<rect x=\"\(x + 2)\" y=\"\(y + 2)\" width=\"\(cell - 4)\" height=\"\(cell - 4)\" rx=\"6\" fill=\"\(F.colour(tone))\"\(stroke)/>"
                let big = cell >= 64
                svg += "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + (big ? 2 : 5))\" class=\"value\" font-size=\"\(Int(max(11, cell * 0.2)))\" fill=\"\(ink)\" text-anchor=\"middle\">\(F.percent(value))</text>"
                if big, k < t, let baseline = report.matrix[k][k] {
                    svg += "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 20)\" class=\"delta\" fill=\"\(ink)\" text-anchor=\"middle\">\(F.points(value - baseline)) vs \(name(k))</text>"
                } else if big, k == t {
                    svg += "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 20)\" class=\"delta\" fill=\"\(ink)\" text-anchor=\"middle\">baseline</text>"
                }
                if k < t {
                    let mark = fails ? "✗" : "✓"
                    let colour = fails ? "#dc2626" : "#16a34a"
                    svg += "<circle cx=\"\(x + cell - 13)\" cy=\"\(y + 13)\" r=\"8.5\" fill=\"\(colour)\" stroke=\"#ffffff\" stroke-width=\"1.5\"/>"
                    svg += "<text x=\"\(x + cell - 13)\" y=\"\(y + 17.5)\" class=\"mark\" text-anchor=\"middle\">\(mark)</text>"
                }
                svg += "</g>\n"
            }
        }
        let legendY = top + size + 22
        svg += """
            <rect x="\(left)" y="\(legendY)" width="\(legend)" height="10" rx="3" fill="url(#scale)"/>
            <text x="\(left)" y="\(legendY + 26)" class="legend">\(F.percent(low))</text>
            <text x="\(left + legend)" y="\(legendY + 26)" class="legend" text-anchor="end">\(F.percent(high))</text>
            <text x="\(left + legend / 2)" y="\(legendY + 26)" class="legend" text-anchor="middle">\(metricName), %</text>
            </svg>
            """
        return """
            <div class="panel wide"><h3>Compatibility matrix</h3>
            <p class="hint">Cell [t][k]: \(metricName) (%) of version t's queries on version k's gallery. Dashed: each model on its own gallery (the baseline). <span class="ok">✓</span> ECC holds (strictly above the gallery's baseline); <span class="ko">✗</span> with a red frame: ECC fails.</p>
            \(svg)</div>

            """
    }

    private func gatePanel() -> String {
        let gate = report.gate
        var rows = ""
        for cell in gate.cells {
            let own = cell.queryVersion == cell.galleryVersion
            rows += "<tr><td><b>\(F.escape(cell.name))</b></td><td>\(F.percent(cell.value))</td><td>\(F.percent(cell.baseline))</td>"
                + "<td>\(own ? "own gallery" : F.points(cell.value - cell.baseline))</td>"
                + "<td><span class=\"pill \(cell.passed ? "pass" : "fail")\">\(cell.passed ? "pass" : "fail")</span></td></tr>"
        }
        return """
            <div class="panel"><h3>Cutover gate</h3>
            <p class="hint">May v\(gate.serve) serve queries against each gallery? A gallery k passes when M[v\(gate.serve)][k] − M[k][k] &gt; margin (\(F.points(gate.margin)) pts).</p>
            <table><thead><tr><th>cell</th><th>\(metricName)</th><th>baseline</th><th>Δ pts</th><th></th></tr></thead><tbody>\(rows)</tbody></table>
            <p class="hint">Other questions: <code>stasis gate --serve T --galleries k1,k2 --margin m</code>, <code>Report.gate(...)</code>, <code>stasis_report_gate</code>.</p></div>

            """
    }

    private func flipsPanel() -> String {
        guard let flips = report.negativeFlips else {
            return "<div class=\"panel\"><h3>Negative flips</h3><p class=\"hint\">Not measured: the versions' query sets are not the same items.</p></div>"
        }
        var rows = ""
        // Bars are relative to the worst cell, so small differences between cells stay visible.
        let worst = flips.joined().compactMap { $0 }.max() ?? 0
        for t in 0..<count {
            for k in 0..<t {
                guard let v = flips[t][k] else { continue }
                let width = worst > 0 ? v / worst * 100 : 0
                rows += "<tr><td><b>\(name(t))/\(name(k))</b></td><td>\(F.percent(v))%</td><td><div class=\"bar\"><span style=\"width:\(F.fixed(width, 1))%\"></span></div></td></tr>"
            }
        }
        if rows.isEmpty { rows = "<tr><td colspan=\"3\">one version: nothing to compare</td></tr>" }
        return """
            <div class="panel"><h3>Negative flips</h3>
            <p class="hint">Queries answered right at top-1 by version k on its own gallery and wrong by version t's queries on that gallery: what users notice at cutover.</p>
            <table><thead><tr><th>cell</th><th>flips</th><th></th></tr></thead><tbody>\(rows)</tbody></table></div>

            """
    }

    private func pairsPanel() -> String {
        guard let pairs = report.pairSatisfaction else {
            let reason = count < 2 ? "one version: no pair of versions" : report.negativeFlips == nil ? "the versions' query sets are not the same items" : "sampling was switched off"
            return "<div class=\"panel\"><h3>Pair inequalities</h3><p class=\"hint\">Not measured: \(reason).</p></div>"
        }
        var rows = ""
        for cell in pairs.cells {
            func rate(_ p: PairSatisfaction) -> String { p.rate.map { F.percent($0) + "%" } ?? "–" }
            rows += "<tr><td><b>v\(cell.queryVersion)/v\(cell.galleryVersion)</b></td><td>\(rate(cell.sameClass)) <small>(\(cell.sameClass.pairs))</small></td>"
                + "<td>\(rate(cell.differentClass)) <small>(\(cell.differentClass.pairs))</small></td></tr>"
        }
        return """
            <div class="panel"><h3>Pair inequalities</h3>
            <p class="hint">Share of sampled pairs satisfying Definition 1: same class, the new query is at least as close to the old gallery item as the old query; different class, at least as far. \(pairs.samplesRequested) pairs per kind and cell, seed \(pairs.seed) (pairs drawn in parentheses).</p>
            <table><thead><tr><th>cell</th><th>same class</th><th>different class</th></tr></thead><tbody>\(rows)</tbody></table></div>

            """
    }

    private func backfillPanel() -> String {
        guard let curve = report.backfill else {
            return """
                <section class="panel placeholder"><h3>Backfill curve</h3>
                <p>No backfill curve in this report. When only part of the gallery can be re-encoded, the curve shows the metric after re-encoding each fraction of it, in the order a backfill policy chooses; attach it with <code>Report.set_backfill</code> or <code>stasis_report_set_backfill</code>.</p></section>

                """
        }
        let width = 640.0, height = 240.0, left = 56.0, right = 20.0, top = 16.0, bottom = 40.0
        let flips = curve.negativeFlips ?? []
        let low = min(curve.values.min() ?? 0, flips.min() ?? 1), high = max(curve.values.max() ?? 1, flips.max() ?? 0)
        let pad = max((high - low) * 0.15, 0.01)
        let y0 = max(0, low - pad), y1 = min(1, high + pad) > y0 ? min(1, high + pad) : y0 + 0.02
        func px(_ f: Double) -> Double { left + f * (width - left - right) }
        func py(_ v: Double) -> Double { top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom) }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for i in 0...4 {
            let f = Double(i) / 4
            svg += "<line x1=\"\(px(f))\" y1=\"\(top)\" x2=\"\(px(f))\" y2=\"\(height - bottom)\" class=\"grid\"/>"
            svg += "<text x=\"\(px(f))\" y=\"\(height - bottom + 18)\" class=\"legend\" text-anchor=\"middle\">\(i * 25)%</text>"
            let v = y0 + (y1 - y0) * f
            svg += "<line x1=\"\(left)\" y1=\"\(py(v))\" x2=\"\(width - right)\" y2=\"\(py(v))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 8)\" y=\"\(py(v) + 4)\" class=\"legend\" text-anchor=\"end\">\(F.percent(v))</text>"
        }
        let points = zip(curve.fractions, curve.values).map { "\(px($0)),\(py($1))" }.joined(separator: " ")
        svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2.5\"/>"
        for (f, v) in zip(curve.fractions, curve.values) {
            svg += "<circle cx=\"\(px(f))\" cy=\"\(py(v))\" r=\"3.5\" fill=\"#1e40af\"><title>\(F.percent(f))% re-encoded: \(F.percent(v))%</title></circle>"
        }
        if !flips.isEmpty {
            let line = zip(curve.fractions, flips).map { "\(px($0)),\(py($1))" }.joined(separator: " ")
            svg += "<polyline points=\"\(line)\" fill=\"none\" stroke=\"#dc2626\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
            for (f, v) in zip(curve.fractions, flips) {
                svg += "<circle cx=\"\(px(f))\" cy=\"\(py(v))\" r=\"3\" fill=\"#b91c1c\"><title>\(F.percent(f))% re-encoded: negative flips \(F.percent(v))%</title></circle>"
            }
            svg += "<text x=\"\(width - right)\" y=\"\(top + 12)\" class=\"legend\" text-anchor=\"end\" fill=\"#b91c1c\">dashed: negative flips (right before the backfill, wrong now)</text>"
        }
        svg += "<text x=\"\((width + left) / 2)\" y=\"\(height - 4)\" class=\"axis\" text-anchor=\"middle\">fraction of the gallery re-encoded</text></svg>"
        var area = 0.0
        for i in 1..<curve.fractions.count {
            area += (curve.fractions[i] - curve.fractions[i - 1]) * (curve.values[i] + curve.values[i - 1]) / 2
        }
        let coverage = curve.fractions[curve.fractions.count - 1] - curve.fractions[0]
        return """
            <section class="panel"><h3>Backfill curve</h3>
            <p class="hint">\(F.escape(curve.label.isEmpty ? "Metric after re-encoding each fraction of the gallery." : curve.label)) · mean over the curve (AUC) \(F.percent(coverage > 0 ? area / coverage : curve.values[0]))%\(flips.isEmpty ? "" : " · negative flips at most \(F.percent(flips.max() ?? 0))%")</p>
            \(svg)</section>

            """
    }

    private func definitions() -> String {
        let items: [(String, String)] = [
            ("Top-1", "Fraction of queries whose first-ranked gallery entry has the query's class (CMC@1)."),
            ("Recall@k", "Fraction of queries with an entry of their class among the first k (CMC@k)."),
            ("mAP", "Mean over queries of the average precision over all gallery entries of the query's class."),
            ("ECC", "Empirical compatibility criterion: M[t][k] > M[k][k], the new model's queries beat the old model's own queries on the old gallery."),
            ("AC", "Average compatibility: share of version pairs t > k satisfying ECC, 2/(T(T−1)) · Σ 1[M[t][k] > M[k][k]] (0 when T = 1)."),
            ("AM", "Average multi-model accuracy: mean of the T(T+1)/2 cells on and below the diagonal, zeros included."),
            ("BC", "Backward compatibility: mean over k < T of M[T][k] − M[k][k]."),
            ("FC", "Forward compatibility: mean over t ≥ 2 of M[t][t−1] − M[t][t]."),
            ("Update gain", "[M(new, old) − M(old, old)] / [M(new*, new*) − M(old, old)], new* trained without compatibility constraints."),
            ("Negative flips", "Share of queries right at top-1 with the old model on its gallery and wrong with the new model's queries on it."),
            ("Pair inequalities", "Definition 1 (cosine distance d): same class d(φt(xi), φk(xj)) ≤ d(φk(xi), φk(xj)); different class ≥."),
            ("Ties", report.tiePolicy),
        ]
        return "<section class=\"panel defs\"><h3>Definitions</h3><dl>"
            + items.map { "<dt>\(F.escape($0.0))</dt><dd>\(F.escape($0.1))</dd>" }.joined()
            + "</dl></section>\n"
    }

    private func footer() -> String {
        let sizes = (0..<count).map { i in
            "\(name(i)): \(report.queryCounts[i]) queries, \(report.galleryCounts[i]) gallery \(report.protocol == "leave_one_out" ? "items (leave-one-out)" : "items")"
        }.joined(separator: " · ")
        let notes = report.notes.isEmpty ? "" : "<ul class=\"notes\">" + report.notes.map { "<li>\(F.escape($0))</li>" }.joined() + "</ul>"
        return """
            <footer>\(notes)<p>\(F.escape(sizes))</p>
            <p>Exact search (all query–gallery cosine similarities). Generated by Stasis \(F.escape(report.libraryVersion)), report format \(report.formatVersion). The JSON report holds every number on this page.</p></footer>

            """
    }

    static let css = """
        *{box-sizing:border-box}body{margin:0;background:#f1f5f9;color:#0f172a;font:15px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans","Liberation Sans",sans-serif}
        main{max-width:1200px;margin:0 auto;padding:28px 32px 40px}
        header .brand{font-size:12px;letter-spacing:.14em;color:#2563eb;font-weight:700}
        h1{margin:4px 0 2px;font-size:28px}h2{margin:0 0 4px;font-size:21px}h3{margin:0 0 6px;font-size:16px}
        .sub{margin:0 0 18px;color:#475569}
        .verdict{display:flex;gap:18px;align-items:center;border-radius:14px;padding:16px 22px;margin-bottom:18px;border:1px solid}
        .verdict p{margin:0;color:#334155}.verdict .badge{font-weight:800;font-size:26px;letter-spacing:.06em;border-radius:10px;padding:10px 18px;color:#fff}
        .verdict.pass{background:#f0fdf4;border-color:#86efac}.verdict.pass .badge{background:#16a34a}
        .verdict.fail{background:#fef2f2;border-color:#fca5a5}.verdict.fail .badge{background:#dc2626}
        .cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:18px}
        .card{background:#fff;border-radius:12px;padding:12px 14px;border-top:4px solid #94a3b8;box-shadow:0 1px 2px rgba(15,23,42,.08)}
        .card.good{border-top-color:#16a34a}.card.warn{border-top-color:#f59e0b}.card.bad{border-top-color:#dc2626}
        .card .key{font-size:11px;font-weight:700;color:#64748b;letter-spacing:.08em}.card .title{font-size:13px;color:#334155}
        .card .value{font-size:26px;font-weight:700;margin:4px 0 2px;font-variant-numeric:tabular-nums}.card .note{font-size:12px;color:#64748b}
        .row{display:grid;grid-template-columns:minmax(0,1.25fr) minmax(0,1fr);gap:16px;margin-bottom:16px}
        .panel{background:#fff;border-radius:12px;padding:16px 18px;box-shadow:0 1px 2px rgba(15,23,42,.08);margin-bottom:16px}
        .row .panel{margin-bottom:0}.hint{color:#64748b;font-size:13px;margin:0 0 10px}
        .ok{color:#16a34a;font-weight:700}.ko{color:#dc2626;font-weight:700}
        svg text{font-family:system-ui,"DejaVu Sans","Liberation Sans",sans-serif}
        svg .axis{font-size:12px;fill:#64748b}svg .head{font-size:14px;font-weight:700;fill:#334155}
        svg .value{font-weight:700;font-variant-numeric:tabular-nums}svg .delta{font-size:11px;opacity:.85}
        svg .mark{font-size:12px;font-weight:700;fill:#fff}svg .legend{font-size:12px;fill:#475569}svg .grid{stroke:#e2e8f0}
        .heatmap{max-width:100%;height:auto}.chart{max-width:100%;height:auto}
        table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
        th{text-align:left;font-size:12px;color:#64748b;font-weight:600;border-bottom:1px solid #e2e8f0;padding:6px 8px}
        td{padding:6px 8px;border-bottom:1px solid #f1f5f9;font-size:14px}td small{color:#94a3b8}
        .pill{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:700;color:#fff}
        .pill.pass{background:#16a34a}.pill.fail{background:#dc2626}
        .bar{background:#f1f5f9;border-radius:4px;height:8px;width:120px}.bar span{display:block;height:8px;border-radius:4px;background:#f97316}
        .placeholder{border:2px dashed #cbd5e1;background:#f8fafc;box-shadow:none}.placeholder p{color:#64748b;margin:0}
        code{background:#f1f5f9;border-radius:4px;padding:1px 5px;font-size:12.5px}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0}dt{font-weight:700}dd{margin:0;color:#334155}
        footer{color:#64748b;font-size:12.5px}footer .notes{color:#b45309}
        @media (max-width:900px){.cards{grid-template-columns:repeat(2,1fr)}.row{grid-template-columns:1fr}}
        """
}

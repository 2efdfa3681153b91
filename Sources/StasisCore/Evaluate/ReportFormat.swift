/// Number and text formatting for the HTML report (no Foundation formatters in library targets).
enum ReportFormat {
    /// `value` with exactly `digits` decimals ("0.250", "-3.5").
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 1e15 else { return "\(value)" }
        let whole = Int(scaled) / Int(scale)
        var fraction = String(Int(scaled) % Int(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        let sign = value < 0 && scaled != 0 ? "−" : ""
        return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// A fraction as a percentage with one decimal ("87.5").
    static func percent(_ value: Double) -> String { fixed(value * 100, 1) }

    /// A difference of fractions in percentage points with an explicit sign ("+1.2", "−3.4").
    static func points(_ value: Double) -> String {
        let text = fixed(value * 100, 1)
        return value * 100 >= 0.05 ? "+" + text : text
    }

    /// Escapes text for HTML element content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Colour of a heatmap cell: `t` in [0, 1] along a light-to-deep blue scale (readable in
    /// greyscale and by the common colour-vision deficiencies).
    static func colour(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(239, 246, 255), (147, 197, 253), (59, 130, 246), (30, 64, 175), (23, 37, 84)]
        let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Double(i)
        func mix(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * f).rounded()) }
        let (a, b) = (stops[i], stops[i + 1])
        return "rgb(\(mix(a.0, b.0)),\(mix(a.1, b.1)),\(mix(a.2, b.2)))"
    }
}

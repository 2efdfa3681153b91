import Glibc
import StasisCore

/// How the demo talks while it runs: stage headers and notes on stdout, training bars on stderr
/// (in place when stderr is a terminal, one line per epoch otherwise), nothing with --quiet.
final class DemoProgress {
    let quiet: Bool
    private let started = DemoClock.now()

    init(quiet: Bool) { self.quiet = quiet }

    func stage(_ number: String, _ title: String) {
        guard !quiet else { return }
        print("\n[\(number)] \(title)  (\(DemoFormat.seconds(DemoClock.now() - started)) elapsed)")
    }

    func note(_ text: String) {
        guard !quiet else { return }
        print("      \(text)")
    }

    /// A training callback that draws the run's bar; Ctrl-C cancels the run.
    func training(_ name: String) -> Trainer.Progress {
        let bar = ProgressLine(quiet: quiet)
        return { progress in
            let going = bar.show(progress)
            if progress.endOfEpoch && progress.epoch == progress.epochs { bar.finish() }
            return going
        }
    }

    var elapsed: Double { DemoClock.now() - started }
}

/// Monotonic seconds.
enum DemoClock {
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// Number formatting shared by the terminal table and the HTML page.
enum DemoFormat {
    /// A fraction as a percentage with one decimal ("45.3").
    static func percent(_ fraction: Double) -> String { fixed(100 * fraction, 1) }

    /// A difference of fractions in points with a sign ("+3.1", "−2.0").
    static func points(_ delta: Double) -> String {
        let text = fixed(abs(100 * delta), 1)
        return (delta < 0 ? "−" : "+") + text
    }

    static func seconds(_ value: Double) -> String { fixed(value, value < 10 ? 1 : 0) + " s" }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "n/a" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale), part = scaled % Int64(scale)
        var text = "\(value < 0 && scaled != 0 ? "-" : "")\(whole)"
        if digits > 0 {
            let fraction = String(part)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }

    /// Left-aligned columns, the first row a header, a rule under it.
    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, cell in cell + String(repeating: " ", count: max(0, widths[i] - cell.count)) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = ["      " + line(first), "      " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.dropFirst().map { "      " + line($0) }
        return out.joined(separator: "\n")
    }

    /// At most `limit` characters, an ellipsis when cut.
    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

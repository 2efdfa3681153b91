import ArgumentParser
import StasisCore

extension Stasis {
    /// `stasis evaluate`: the compatibility matrix over model versions, as JSON and HTML reports.
    struct EvaluateCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "Measure compatibility between model versions; write the JSON and HTML reports.",
            discussion: """
                Inputs: one array file per model version and role, oldest version first, e.g. \
                --queries v1_q.npy --queries v2_q.npy --query-labels q_labels.npy \
                [--gallery v1_g.npy --gallery v2_g.npy --gallery-labels g_labels.npy]. \
                Vectors are .npy n x d float32/float16/float64 or .fvecs; labels are .npy 1-D int64/int32 or \
                .ivecs, given once (shared by every version) or once per version.

                Cell [t][k] of the matrix ranks version t's queries against version k's gallery (k <= t). \
                Without --gallery the queries search each other, leaving each query out; row i must then be the \
                same item in every version. With --encoder (one per version) the vector files hold backbone \
                features, encoded first. --json - prints the JSON report on stdout instead of the summary.

                Exit status: 0 reports written; 1 bad input or I/O error (all exit codes: docs/cli.md). \
                Formulas and JSON keys: docs/evaluation.md.

                Examples:
                  stasis evaluate --queries v1_q.npy --queries v2_q.npy --query-labels y.npy \\
                      --gallery v1_g.npy --gallery v2_g.npy --gallery-labels g_y.npy
                  stasis evaluate --encoder v1.safetensors --encoder v2.safetensors \\
                      --queries features.npy --queries features.npy --query-labels labels.npy \\
                      --metric map --json - --html report.html
                """)

        @OptionGroup var inputs: EvaluationInputs

        @Option(parsing: .unconditional, help: "Margin of the report's gate (newest version against every older gallery).")
        var margin: Double = 0

        @Option(help: "JSON report to write (- = print it on stdout instead of the summary).")
        var json: String = "stasis-report.json"

        @Option(help: "HTML report to write.")
        var html: String = "stasis-report.html"

        func run() throws {
            do {
                let report = try inputs.evaluate(margin: margin)
                try report.writeHTML(to: html)
                if isStdout(json) {
                    printJSON(bytes: try report.json())
                    return
                }
                try report.writeJSON(to: json)
                let s = report.summary
                print("\(report.versions.count) versions, metric \(report.metric): AC \(format(s.ac)), AM \(format(s.am))"
                    + (s.bc.map { ", BC \(format($0))" } ?? "") + (s.fc.map { ", FC \(format($0))" } ?? ""))
                print("gate (v\(report.gate.serve) on every gallery, margin \(report.gate.margin)): "
                    + (report.gate.passed ? "pass" : "FAIL " + report.gate.failing.joined(separator: ", ")))
                print("wrote \(json) and \(html)")
            } catch let error as StasisError {
                reportFailure(error)
            }
        }
    }
}

/// A metric for a terminal: 4 decimals.
func format(_ value: Double) -> String {
    let scaled = (value * 10_000).rounded() / 10_000
    return "\(scaled)"
}

import ArgumentParser
import Glibc
import StasisCore

extension Stasis {
    /// `stasis gate`: the cutover decision as an exit status a deployment pipeline can act on.
    struct GateCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gate",
            abstract: "May version T serve queries against the galleries of older versions? Exit 0 yes, 1 no, 2 bad input.",
            discussion: """
                Reads a JSON report (--report, written by `stasis evaluate`) or evaluates inputs given as for \
                `stasis evaluate`. Gallery version k passes when M[T][k] - M[k][k] > margin (strict; a negative \
                margin tolerates a small loss). Prints one line per checked cell.

                Exit status: 0 every cell passes; 1 at least one cell fails (named "vT/vk"); 2 bad input \
                (unreadable files, unknown versions, a gallery newer than T, malformed or unknown options). \
                Only an option given without its value keeps the usage-error status of every stasis command (64). \
                --json - prints the verdict as JSON on stdout instead of the text lines (same exit status). \
                All exit codes: docs/cli.md.

                Examples:
                  stasis gate --report report.json --serve 3 --galleries 1,2 --margin -0.01
                  stasis gate --report report.json --json - | python3 -m json.tool
                  stasis gate --queries v1_q.npy --queries v2_q.npy --query-labels labels.npy
                """)

        @Option(help: "JSON report written by `stasis evaluate` (instead of evaluation inputs).")
        var report: String?

        @Option(help: "Version that would serve queries (default: the newest).")
        var serve: String?

        @Option(help: "Comma-separated gallery versions it must serve (default: every version up to --serve).")
        var galleries: String?

        @Option(parsing: .unconditional, help: "Required gain over each gallery's own baseline (may be negative: -0.01).")
        var margin = "0"

        @Option(help: "Also write the verdict as JSON to this file (- = print it on stdout instead of the text).")
        var json: String?

        @OptionGroup var inputs: EvaluationInputs

        /// Anything ArgumentParser does not recognise lands here, so it can exit 2 like other bad input.
        @Argument(parsing: .allUnrecognized, help: .hidden)
        var unexpected: [String] = []

        func run() throws {
            do {
                guard unexpected.isEmpty else {
                    throw StasisError(.invalidArgument, "unexpected arguments: \(unexpected.joined(separator: " ")) (see stasis gate --help)")
                }
                guard let parsedMargin = Double(margin), parsedMargin.isFinite else {
                    throw StasisError(.invalidArgument, "--margin must be a finite number, got '\(margin)'")
                }
                let evaluated: EvaluationReport
                if let report {
                    guard inputs.isEmpty else { throw StasisError(.invalidArgument, "give --report or evaluation inputs (--queries ...), not both") }
                    evaluated = try EvaluationReport.open(report)
                } else {
                    guard !inputs.isEmpty else { throw StasisError(.invalidArgument, "give --report FILE or evaluation inputs (--queries ...)") }
                    evaluated = try inputs.evaluate(margin: parsedMargin)
                }
                let serving = try serve.map { try EvaluationInputs.version($0) } ?? evaluated.versions[evaluated.versions.count - 1]
                let listed = try galleries.map { try $0.split(separator: ",").map { try EvaluationInputs.version(String($0)) } }
                    ?? evaluated.versions.prefix { $0 != serving } + [serving]
                let verdict = try evaluated.gate(serve: serving, galleries: listed, margin: parsedMargin)
                if let json, isStdout(json) {
                    printJSON(bytes: try verdict.json())
                    if !verdict.passed { Stasis.exit(withError: ExitCode(1)) }
                    return
                }
                if let json { try verdict.writeJSON(to: json) }
                for cell in verdict.cells {
                    let status = cell.passed ? "pass" : "FAIL"
                    print("\(status)  \(cell.name)  \(verdict.metric) \(format(cell.value)) vs v\(cell.galleryVersion) baseline \(format(cell.baseline))"
                        + (cell.galleryVersion == cell.queryVersion ? " (own gallery)" : ", margin \(verdict.margin)"))
                }
                print(verdict.passed
                    ? "gate passed: v\(serving) may serve galleries \(listed.map { "v\($0)" }.joined(separator: ", "))"
                    : "gate failed: \(verdict.failing.joined(separator: ", "))")
                if !verdict.passed { Stasis.exit(withError: ExitCode(1)) }
            } catch let error as StasisError {
                let message = "stasis gate: \(error.message)\n"
                _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                Stasis.exit(withError: ExitCode(2))
            }
        }
    }
}

import FoundationEssentials
import StasisCore

// `--json` on the command line: one JSON document on stdout, keys sorted, nothing else on stdout,
// so a pipeline can pipe it into a parser. The keys of every document are listed in docs/cli.md.

/// Prints `value` as one line of JSON with sorted keys.
/// - Throws: `.internalError` when the value cannot be encoded (e.g. a NaN where a number belongs).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    do {
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    } catch {
        throw StasisError(.internalError, "cannot encode the output as JSON: \(error)")
    }
}

/// Prints JSON bytes produced by the library (reports, verdicts, file headers) as they are.
func printJSON(bytes: [UInt8]) {
    print(String(decoding: bytes, as: UTF8.self))
}

/// "-" as an output path: the JSON goes to stdout instead of a file (evaluate, gate).
func isStdout(_ path: String) -> Bool { path == "-" }

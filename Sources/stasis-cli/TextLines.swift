import Glibc
import StasisCore

/// Reads a UTF-8 text file as lines without their "\n" / "\r\n" terminators (every line kept,
/// trailing empty ones included: callers decide what an empty line means).
enum TextLines {
    /// - Throws: `.io` naming the file (and `hint`, when given) when it cannot be opened.
    static func read(_ path: String, hint: String = "") throws -> [String] {
        guard let file = fopen(path, "r") else {
            throw StasisError(.io, "cannot open '\(path)': \(String(cString: strerror(errno)))\(hint)")
        }
        defer { fclose(file) }
        var lines: [String] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) >= 0, let line {
            var text = String(cString: line)
            while text.last == "\n" || text.last == "\r" { text.removeLast() }
            lines.append(text)
        }
        return lines
    }
}

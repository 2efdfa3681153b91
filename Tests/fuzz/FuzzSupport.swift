// Shared by the Swift harnesses: a per-process scratch file the fuzzer's bytes are written to
// (the readers take paths, as the CLI gives them).
import Glibc

func fuzzScratchPath(_ name: String) -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    return "\(base.isEmpty ? "/tmp" : base)/stasis-fuzz-\(getpid())-\(name)"
}

func fuzzWrite(_ path: String, _ data: UnsafePointer<UInt8>, _ size: Int) {
    guard let file = fopen(path, "wb") else { abort() }
    if size > 0 && fwrite(data, 1, size, file) != size { abort() }
    fclose(file)
}

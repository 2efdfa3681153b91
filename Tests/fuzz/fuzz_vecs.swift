// libFuzzer harness: the .fvecs / .ivecs reader of StasisCore (the CLI's benchmark formats),
// compiled from the reader's sources with swiftc -sanitize=fuzzer,address (scripts/fuzz.sh).
// Byte 0 picks the reader ('i': integers, else floats); the rest is the file.
import Glibc

private let path = fuzzScratchPath("input.vecs")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVecs(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    fuzzWrite(path, data + 1, size - 1)
    if data[0] == UInt8(ascii: "i") { _ = try? Vecs.readIntegers(path) } else { _ = try? Vecs.readFloats(path) }
    return 0
}

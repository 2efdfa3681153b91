// libFuzzer harness: the .npy reader of StasisCore (used by the CLI for every array argument).
// Not reachable through the C ABI, so it is compiled from the reader's own sources with
// swiftc -sanitize=fuzzer,address (scripts/fuzz.sh): the parser itself is instrumented.
import Glibc

private let path = fuzzScratchPath("input.npy")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzWrite(path, data, size)
    _ = try? Npy.readFloats(path)
    _ = try? Npy.readIntegers(path)
    return 0
}

#if canImport(Glibc)
import Glibc
#endif

/// Debian's OpenBLAS picks its kernels from the CPU *model*; on CPUs it does not know (common on
/// virtual machines) it falls back to generic SSE3 kernels that run every product 2-5x slower
/// (docs/benchmarks.md, "Adapter apply cost"). It reads `OPENBLAS_CORETYPE` once, when the library
/// loads, before any of our code runs, so the command names the kernel family from the CPU's
/// instruction-set flags and re-executes itself once with the variable set, as the Python
/// binding sets it before loading the library. A value the caller set, or
/// `STASIS_OPENBLAS_AUTO=0`, wins.
enum OpenBLASKernels {
    /// Kernel families by the flags they need, best first.
    static let families: [(name: String, flags: Set<String>)] = [
        ("SkylakeX", ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]),
        ("Haswell", ["avx2", "fma"]),
    ]

    static func family(for flags: Set<String>) -> String? {
        families.first { $0.flags.isSubset(of: flags) }?.name
    }

    /// Re-executes the process with `OPENBLAS_CORETYPE` set when it is unset and a family fits;
    /// returns (and the command runs as it is) otherwise or when the re-execution fails.
    static func reexecuteIfUseful() {
        guard getenv("OPENBLAS_CORETYPE") == nil else { return }
        if let auto = getenv("STASIS_OPENBLAS_AUTO"), String(cString: auto) == "0" { return }
        guard let flags = cpuFlags(), let name = family(for: flags) else { return }
        setenv("OPENBLAS_CORETYPE", name, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when execv failed: run on the kernels OpenBLAS chose.
    }

    /// The first "flags" line of /proc/cpuinfo, nil when unreadable.
    private static func cpuFlags() -> Set<String>? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("flags"), let colon = text.firstIndex(of: ":") else { continue }
            return Set(text[text.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init))
        }
        return nil
    }
}

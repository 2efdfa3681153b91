import CFaissShim

/// The distance kernels behind searches and HNSW construction, chosen once from the CPU's
/// features (AVX-512, AVX2+FMA, or portable C++). Forcing the portable kernels lets tests and
/// users compare the paths; results agree up to floating-point summation order.
///
/// Thread safety: every member is safe to use from any thread. A switch affects operations that
/// start after it; a running search keeps the kernels it started with.
public enum Kernels {
    /// "avx512", "avx2" or "portable": what operations starting now use.
    public static var name: String { String(cString: fshim_kernel_name()) }

    /// The same name as a C string with static storage (for the C interface).
    public static var namePointer: UnsafePointer<CChar> { fshim_kernel_name() }

    /// Forces the portable kernels (`true`) or returns to the best the CPU runs (`false`).
    /// The environment variable STASIS_PORTABLE_KERNELS=1 sets the initial state.
    public static func setPortable(_ portable: Bool) { fshim_set_portable_kernels(portable ? 1 : 0) }
}

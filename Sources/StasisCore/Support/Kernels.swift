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

    /// Whether Flat searches on AVX2 go through an 8-bit copy of the index's rows (a quarter of
    /// their size, built by the first search, exact results; docs/design.md). On by default;
    /// STASIS_FLAT_PREFILTER=0 in the environment starts it off. Turning it off frees each
    /// index's copy at that index's next search.
    public static var flatPrefilter: Bool {
        get { fshim_flat_prefilter_enabled() != 0 }
        set { fshim_set_flat_prefilter(newValue ? 1 : 0) }
    }
}

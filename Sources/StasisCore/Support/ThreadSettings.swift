import CFaissShim
import Synchronization

/// The library's one thread setting, applied to Faiss (OpenMP, per call) and OpenBLAS (global).
///
/// One setting instead of two because the pools share the cores: Stasis decides per operation
/// which pool gets them (see CFaissShim's search), so callers never oversubscribe by accident.
public enum ThreadSettings {
    private static let configured = Atomic<Int>(0)
    /// Whether a count has been applied to OpenBLAS yet.
    private static let applied = Atomic<Bool>(false)

    /// Number of processors the runtime sees.
    public static var available: Int { max(1, Int(fshim_num_procs())) }

    /// Threads used by parallel operations: the configured count, or every processor when unset.
    public static var count: Int {
        let value = configured.load(ordering: .relaxed)
        return value > 0 ? value : available
    }

    /// Sets the thread count; 0 restores the default (all processors). Negative is refused.
    public static func set(_ threads: Int) throws {
        guard threads >= 0 else {
            throw StasisError.invalid("thread count must be >= 0 (0 = all processors), got \(threads)")
        }
        guard threads <= 4096 else {
            throw StasisError.invalid("thread count \(threads) is implausibly large (max 4096)")
        }
        let previous = configured.exchange(threads, ordering: .relaxed)
        // OpenBLAS's setting is process-wide and costs tens of microseconds (it touches its thread
        // pool); callers that re-apply the same count before every search should not pay for it.
        // The first call always applies it: OpenBLAS starts with its own default.
        let firstTime = !applied.exchange(true, ordering: .relaxed)
        guard previous != threads || firstTime else { return }
        fshim_set_blas_threads(Int32(threads > 0 ? threads : available))
    }
}

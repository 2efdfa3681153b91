import Glibc
import StasisCore

/// Thread-local storage for `stasis_last_error`: each thread sees the message of its own last call,
/// so concurrent callers never read each other's errors.
private let errorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()

/// Returned while a thread has no message; never freed.
nonisolated(unsafe) private let emptyMessage: UnsafeMutablePointer<CChar> = strdup("")!

func setLastError(_ message: String) {
    let old = pthread_getspecific(errorKey)
    pthread_setspecific(errorKey, strdup(message))
    free(old)
}

func clearLastError() {
    guard let old = pthread_getspecific(errorKey) else { return }
    pthread_setspecific(errorKey, nil)
    free(old)
}

func lastErrorPointer() -> UnsafePointer<CChar> {
    guard let message = pthread_getspecific(errorKey) else { return UnsafePointer(emptyMessage) }
    return UnsafePointer(message.assumingMemoryBound(to: CChar.self))
}

/// Runs one exported call: maps a thrown `StasisError` to its status and message, clears the
/// message on success. Every `@_cdecl` function that can fail goes through here.
func boundary(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        clearLastError()
        return 0
    } catch let error as StasisError {
        setLastError(error.message)
        return error.code.rawValue
    } catch {
        setLastError("unexpected error: \(error)")
        return StasisError.Code.internalError.rawValue
    }
}

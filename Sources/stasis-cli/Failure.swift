import ArgumentParser
import Glibc
import StasisCore

/// Prints a library error on stderr and exits with status 1 (no usage text: the arguments were
/// well-formed; the file or data was not).
func reportFailure(_ error: StasisError) -> Never {
    let message = "stasis: \(error.message)\n"
    _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    Stasis.exit(withError: ExitCode.failure)
}

import Glibc

/// A regular file mapped read-only and private. Pages are resident only once touched, and
/// `release` drops them again, so a reader that walks the file front to back keeps only what it
/// is looking at in memory (opening an index holds Faiss's copy of the payload, not a second one).
///
/// The file is opened, checked to be a regular file and mapped in `init`; the descriptor is closed
/// at once (the mapping keeps the inode). Saves replace index files by rename, never in place, so
/// a file being read is not truncated under the mapping by this library.
final class MappedFile {
    let path: String
    let count: Int
    private let base: UnsafeRawPointer?

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// - Throws: `.io` when the file cannot be opened, is not a regular file or cannot be mapped.
    init(path: String) throws {
        self.path = path
        let (descriptor, size) = try openRegularFile(path)
        defer { close(descriptor) }
        count = size
        guard count > 0 else {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw StasisError(.io, "cannot map '\(path)' (\(count) bytes): \(systemErrorText())")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The whole file. Valid while `self` is alive.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Drops the resident pages that lie wholly inside `range` (byte offsets); the bytes stay
    /// readable and fault back in from the file. Best effort: a failure leaves them resident.
    func release(_ range: Range<Int>) {
        guard let base else { return }
        let first = (range.lowerBound + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        let last = min(range.upperBound, count) / Self.pageSize * Self.pageSize
        guard last > first else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + first), last - first, MADV_DONTNEED)
    }

    /// Checksum of `range`, computed front to back and dropping each chunk once it is hashed.
    func checksum(_ range: Range<Int>, _ algorithm: Checksum.Algorithm) -> Checksum {
        var checksum = Checksum(algorithm)
        let chunk = 8 << 20
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + chunk, range.upperBound)
            checksum.update(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            release(start..<end)
            start = end
        }
        return checksum
    }
}

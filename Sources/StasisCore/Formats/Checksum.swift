import CFaissShim

/// The checksums of Stasis's own file sections: they catch corrupted bytes before they reach
/// Faiss's reader, which trusts its input. Not cryptographic; a guard against torn writes and bit
/// rot, not tampering.
struct Checksum {
    /// Which checksum a file section carries.
    enum Algorithm {
        /// FNV-1a, 64-bit: index files of format 1 and space files. About a byte per nanosecond,
        /// which made it 42 % of opening a 1.7 GB index.
        case fnv1a64
        /// CRC-32C (Castagnoli) through `fshim_crc32c`, SSE4.2's crc32 instruction where the CPU
        /// has it (a table otherwise): index files from format 2, and the write-ahead log. It
        /// detects every burst error of up to 32 bits, which FNV does not guarantee.
        case crc32c
    }

    let algorithm: Algorithm
    private(set) var value: UInt64

    init(_ algorithm: Algorithm = .fnv1a64) {
        self.algorithm = algorithm
        value = algorithm == .fnv1a64 ? 0xcbf2_9ce4_8422_2325 : 0
    }

    /// Continues a checksum computed elsewhere (the shim's streaming writer checksums the Faiss
    /// payload).
    init(_ algorithm: Algorithm, continuing value: UInt64) {
        self.algorithm = algorithm
        self.value = value
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch algorithm {
        case .fnv1a64:
            var hash = value
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            value = hash
        case .crc32c:
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            value = UInt64(fshim_crc32c(UInt32(truncatingIfNeeded: value), base, bytes.count))
        }
    }

    mutating func update<T>(array: [T]) {
        array.withUnsafeBytes { update($0) }
    }

    /// Lower-case hex, zero-padded to the checksum's width (16 digits for FNV-1a 64, 8 for
    /// CRC-32C).
    var hex: String {
        let width = algorithm == .fnv1a64 ? 16 : 8
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

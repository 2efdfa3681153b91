/// FNV-1a, 64-bit: detects corrupted file sections before their bytes reach Faiss's reader, which
/// trusts its input. Not cryptographic; a guard against torn writes and bit rot, not tampering.
struct Checksum {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    init() {}

    /// Continues a hash computed elsewhere (the shim's streaming writer hashes the Faiss payload).
    init(continuing value: UInt64) { self.value = value }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        value = hash
    }

    mutating func update<T>(array: [T]) {
        array.withUnsafeBytes { update($0) }
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

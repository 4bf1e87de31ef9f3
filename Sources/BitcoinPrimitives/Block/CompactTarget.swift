/// A proof-of-work target decoded from a header's compact `bits` (Bitcoin Core's
/// `arith_uint256::SetCompact`): a 256-bit number `mantissa × 256^(exponent − 3)`.
public struct CompactTarget: Hashable, Sendable {
    /// The target as 32 big-endian bytes.
    public let bigEndianBytes: [UInt8]

    /// Decodes `bits`; `nil` when it encodes a negative number, zero, or a number of more than
    /// 256 bits (the cases Core's `CheckProofOfWork` refuses).
    public init?(bits: UInt32) {
        let exponent = Int(bits >> 24)
        let mantissa = bits & 0x007f_ffff
        let negative = bits & 0x0080_0000 != 0
        guard mantissa != 0, !negative else { return nil }
        // Core's overflow test: the number does not fit in 256 bits.
        if exponent > 34 || (mantissa > 0xff && exponent > 33) || (mantissa > 0xffff && exponent > 32) {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        let mantissaBytes = [16, 8, 0].map { UInt8(truncatingIfNeeded: mantissa >> $0) }
        // Mantissa byte i (big-endian) has weight 256^(exponent − 1 − i); a weight below 1 is
        // shifted out, as in Core.
        for (i, byte) in mantissaBytes.enumerated() where byte != 0 {
            let power = exponent - 1 - i
            guard power >= 0 else { continue }
            guard power < 32 else { return nil }
            bytes[31 - power] = byte
        }
        guard bytes.contains(where: { $0 != 0 }) else { return nil }
        bigEndianBytes = bytes
    }

    /// Whether `hash`, read as a 256-bit little-endian number (as Core compares it), is at most
    /// the target.
    public func isMet(by hash: Hash256) -> Bool {
        let value = hash.displayBytes  // big-endian
        for (a, b) in zip(value, bigEndianBytes) where a != b { return a < b }
        return true
    }
}

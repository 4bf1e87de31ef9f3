/// Hexadecimal encoding and decoding of byte arrays.
extension Array where Element == UInt8 {
    /// Decodes a hex string (upper or lower case, no prefix, even length). Returns `nil` on any
    /// other character or an odd length.
    public init?(hex: some StringProtocol) {
        let utf8 = [UInt8](hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var result = [UInt8]()
        result.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = hexNibble(utf8[index]), let low = hexNibble(utf8[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        self = result
    }

    /// The bytes as lower-case hex.
    public var hex: String {
        let digits: [UInt8] = [UInt8]("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(count * 2)
        for byte in self {
            chars.append(digits[Int(byte >> 4)])
            chars.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}

private func hexNibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// Bitcoin's script numbers: little-endian sign-magnitude integers, minimally encoded.
public enum ScriptNumber {
    /// The minimal encoding of `value` (empty for zero).
    public static func encode(_ value: Int64) -> [UInt8] {
        if value == 0 { return [] }
        var result: [UInt8] = []
        let negative = value < 0
        var magnitude = value.magnitude
        while magnitude > 0 {
            result.append(UInt8(magnitude & 0xff))
            magnitude >>= 8
        }
        if result[result.count - 1] & 0x80 != 0 {
            result.append(negative ? 0x80 : 0x00)
        } else if negative {
            result[result.count - 1] |= 0x80
        }
        return result
    }

    /// Decodes a script number of at most `maxLength` bytes. With `requireMinimal`, refuses
    /// encodings with superfluous bytes (as the interpreter's MINIMALDATA rule does).
    public static func decode(_ bytes: [UInt8], maxLength: Int = 4, requireMinimal: Bool = true) throws(ParseError)
        -> Int64
    {
        guard bytes.count <= maxLength, bytes.count <= 8 else {
            throw .invalid("script number of \(bytes.count) bytes is longer than \(maxLength)")
        }
        guard let last = bytes.last else { return 0 }
        if requireMinimal && last & 0x7f == 0 {
            if bytes.count <= 1 || bytes[bytes.count - 2] & 0x80 == 0 {
                throw .invalid("script number is not minimally encoded")
            }
        }
        var magnitude: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            let b = i == bytes.count - 1 ? byte & 0x7f : byte
            magnitude |= UInt64(b) << (8 * UInt64(i))
        }
        // With at most 8 bytes and the sign bit removed, the magnitude fits in 63 bits.
        guard magnitude <= UInt64(Int64.max) else { throw .invalid("script number out of range") }
        return last & 0x80 != 0 ? -Int64(magnitude) : Int64(magnitude)
    }
}

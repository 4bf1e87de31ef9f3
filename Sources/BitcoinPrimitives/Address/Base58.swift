/// Base58, Bitcoin's alphabet: big-endian base-58 digits, one `1` per leading zero byte.
public enum Base58 {
    /// The 58 digits, in order.
    static let alphabet = [UInt8]("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// The digit value of each ASCII character, -1 for characters outside the alphabet.
    private static let digitValues: [Int8] = {
        var values = [Int8](repeating: -1, count: 128)
        for (value, character) in alphabet.enumerated() { values[Int(character)] = Int8(value) }
        return values
    }()

    /// The longest string ``decode(_:maxLength:)`` accepts by default: ample for addresses and
    /// extended keys, and a bound on the quadratic work a hostile string can cause.
    public static let defaultMaxLength = 512

    /// Encodes bytes as base58.
    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        // Base-58 digits, least significant first.
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 138 / 100 + 1)
        for byte in bytes.dropFirst(zeros) {
            var carry = Int(byte)
            for index in digits.indices {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        var characters = [UInt8](repeating: alphabet[0], count: zeros)
        characters.reserveCapacity(zeros + digits.count)
        for digit in digits.reversed() { characters.append(alphabet[Int(digit)]) }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Decodes a base58 string; throws on any character outside the alphabet (whitespace
    /// included) or a string longer than `maxLength`.
    public static func decode(_ string: String, maxLength: Int = defaultMaxLength) throws(Base58Error) -> [UInt8] {
        let characters = Array(string.utf8)
        guard characters.count <= maxLength else { throw .tooLong(length: characters.count, maximum: maxLength) }
        let zeros = characters.prefix { $0 == alphabet[0] }.count
        // Bytes, least significant first.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count * 733 / 1000 + 1)
        for offset in zeros..<characters.count {
            let character = characters[offset]
            guard character < 128, case let value = digitValues[Int(character)], value >= 0 else {
                throw .invalidCharacter(offset: offset)
            }
            var carry = Int(value)
            for index in bytes.indices {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xff))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed()
    }
}

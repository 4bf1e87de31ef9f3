/// Bech32 (BIP173) and bech32m (BIP350): a human-readable part, the separator `1`, then 5-bit
/// values and a 6-character BCH checksum. The two variants differ only in the checksum
/// constant; no string is valid in both.
public enum Bech32 {
    /// The checksum variant.
    public enum Variant: Hashable, Sendable {
        /// BIP173: segwit version 0 addresses.
        case bech32
        /// BIP350: segwit version 1 and later.
        case bech32m

        var constant: UInt32 { self == .bech32 ? 1 : 0x2bc8_30a3 }
    }

    /// A decoded string: its human-readable part (lower case), its data values (each 0...31,
    /// without the checksum) and the checksum variant that matched.
    public struct Decoded: Hashable, Sendable {
        /// The part before the separator, in lower case.
        public let humanReadablePart: String
        /// The data values (each 0...31), without the checksum.
        public let values: [UInt8]
        /// The checksum variant the string carries.
        public let variant: Variant
    }

    /// The longest string BIP173 allows.
    public static let maxLength = 90

    /// The 32 data characters, in value order.
    static let alphabet = [UInt8]("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    /// The value of each lower-case ASCII character, -1 for characters outside the alphabet.
    private static let characterValues: [Int8] = {
        var values = [Int8](repeating: -1, count: 128)
        for (value, character) in alphabet.enumerated() { values[Int(character)] = Int8(value) }
        return values
    }()

    private static let separator = UInt8(ascii: "1")
    private static let checksumLength = 6

    /// Encodes `values` (each below 32) under `humanReadablePart` (1 to 83 characters in
    /// US-ASCII 33...126, written in lower case) with the checksum of `variant`.
    public static func encode(
        humanReadablePart: String, values: [UInt8], variant: Variant, maxLength: Int = maxLength
    ) throws(Bech32Error) -> String {
        let hrp = Array(humanReadablePart.utf8)
        guard !hrp.isEmpty else { throw .emptyHumanReadablePart }
        if let offset = hrp.firstIndex(where: { !(33...126).contains($0) }) { throw .invalidCharacter(offset: offset) }
        if let value = values.first(where: { $0 >= 32 }) { throw .invalidValue(value) }
        let length = hrp.count + 1 + values.count + checksumLength
        guard length <= maxLength else { throw .tooLong(length: length, maximum: maxLength) }
        return encode(lowercasedHRP: hrp.map(lowercased), values: values, variant: variant)
    }

    /// Encodes already validated input.
    static func encode(lowercasedHRP hrp: [UInt8], values: [UInt8], variant: Variant) -> String {
        let polymod =
            checksum(hrp: hrp, values: values + [UInt8](repeating: 0, count: checksumLength))
            ^ variant.constant
        var characters = hrp
        characters.append(separator)
        for value in values { characters.append(alphabet[Int(value)]) }
        for index in 0..<checksumLength {
            characters.append(alphabet[Int((polymod >> (5 * (5 - UInt32(index)))) & 31)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Decodes a bech32 or bech32m string of at most `maxLength` characters, reporting which
    /// checksum variant it carries. Upper-case strings are accepted; mixed case is not.
    public static func decode(_ string: String, maxLength: Int = maxLength) throws(Bech32Error) -> Decoded {
        var characters = Array(string.utf8)
        guard characters.count <= maxLength else { throw .tooLong(length: characters.count, maximum: maxLength) }
        var hasLower = false
        var hasUpper = false
        for offset in characters.indices {
            let character = characters[offset]
            guard (33...126).contains(character) else { throw .invalidCharacter(offset: offset) }
            hasLower = hasLower || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(character)
            hasUpper = hasUpper || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(character)
        }
        guard !(hasLower && hasUpper) else { throw .mixedCase }
        characters = characters.map(lowercased)
        guard let separatorIndex = characters.lastIndex(of: separator) else { throw .missingSeparator }
        guard separatorIndex > 0 else { throw .emptyHumanReadablePart }
        guard characters.count - separatorIndex - 1 >= checksumLength else { throw .checksumTooShort }
        let hrp = Array(characters[..<separatorIndex])
        var values: [UInt8] = []
        values.reserveCapacity(characters.count - separatorIndex - 1)
        for offset in (separatorIndex + 1)..<characters.count {
            let value = characterValues[Int(characters[offset])]
            guard value >= 0 else { throw .invalidCharacter(offset: offset) }
            values.append(UInt8(value))
        }
        let variant: Variant
        switch checksum(hrp: hrp, values: values) {
        case Variant.bech32.constant: variant = .bech32
        case Variant.bech32m.constant: variant = .bech32m
        default: throw .invalidChecksum
        }
        return Decoded(
            humanReadablePart: String(decoding: hrp, as: UTF8.self), values: Array(values.dropLast(checksumLength)),
            variant: variant)
    }

    /// The BCH polynomial remainder over the expanded human-readable part and `values`.
    private static func checksum(hrp: [UInt8], values: [UInt8]) -> UInt32 {
        var check: UInt32 = 1
        for character in hrp { check = step(check, character >> 5) }
        check = step(check, 0)
        for character in hrp { check = step(check, character & 31) }
        for value in values { check = step(check, value) }
        return check
    }

    /// One step of the checksum: multiply by x, add `value`, reduce by the BCH generator.
    private static func step(_ check: UInt32, _ value: UInt8) -> UInt32 {
        let top = check >> 25
        var next = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
        if top & 1 != 0 { next ^= 0x3b6a_57b2 }
        if top & 2 != 0 { next ^= 0x2650_8e6d }
        if top & 4 != 0 { next ^= 0x1ea1_19fa }
        if top & 8 != 0 { next ^= 0x3d42_33dd }
        if top & 16 != 0 { next ^= 0x2a14_62b3 }
        return next
    }

    private static func lowercased(_ character: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(character) ? character | 0x20 : character
    }

    /// Regroups a bit string from `from`-bit to `to`-bit values (each at most 8 bits). With
    /// `pad`, a short final group is padded with zeros; without, the leftover bits must be fewer
    /// than `from` and all zero, else the result is `nil`. Also `nil` when an input value does
    /// not fit in `from` bits.
    static func regroup(_ input: some Sequence<UInt8>, from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator: UInt32 = 0
        var bits = 0
        let mask = UInt32(1) << UInt32(to) - 1
        var output: [UInt8] = []
        for value in input {
            guard UInt32(value) >> UInt32(from) == 0 else { return nil }
            accumulator = (accumulator << UInt32(from) | UInt32(value)) & 0xffff
            bits += from
            while bits >= to {
                bits -= to
                output.append(UInt8((accumulator >> UInt32(bits)) & mask))
            }
        }
        if pad {
            if bits > 0 { output.append(UInt8((accumulator << UInt32(to - bits)) & mask)) }
        } else if bits >= from || (accumulator << UInt32(to - bits)) & mask != 0 {
            return nil
        }
        return output
    }
}

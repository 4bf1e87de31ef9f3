/// Why a bech32 or bech32m string was refused, or could not be built.
public enum Bech32Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// A string longer than allowed (90 characters for segwit addresses).
    case tooLong(length: Int, maximum: Int)
    /// A character outside US-ASCII 33...126, or a data character outside the bech32 alphabet,
    /// at this UTF-8 offset.
    case invalidCharacter(offset: Int)
    /// Both upper- and lower-case letters.
    case mixedCase
    /// No `1` separating the human-readable part from the data.
    case missingSeparator
    /// Nothing before the separator.
    case emptyHumanReadablePart
    /// Fewer than the 6 checksum characters after the separator.
    case checksumTooShort
    /// A checksum that is neither a valid bech32 nor a valid bech32m one.
    case invalidChecksum
    /// A value above 31 given to the encoder.
    case invalidValue(UInt8)

    /// A one-line explanation for logs and error messages.
    public var description: String {
        switch self {
        case .tooLong(let length, let maximum): return "bech32 string of \(length) characters (at most \(maximum))"
        case .invalidCharacter(let offset): return "invalid bech32 character at offset \(offset)"
        case .mixedCase: return "bech32 string mixes upper and lower case"
        case .missingSeparator: return "bech32 string has no separator '1'"
        case .emptyHumanReadablePart: return "bech32 string has an empty human-readable part"
        case .checksumTooShort: return "bech32 data part is shorter than its checksum"
        case .invalidChecksum: return "invalid bech32 checksum"
        case .invalidValue(let value): return "bech32 value \(value) does not fit in 5 bits"
        }
    }
}

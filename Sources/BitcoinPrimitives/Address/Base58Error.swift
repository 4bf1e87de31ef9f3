/// Why a base58 or base58check string was refused.
public enum Base58Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// A character outside the base58 alphabet, at this UTF-8 offset.
    case invalidCharacter(offset: Int)
    /// A string longer than the decoder accepts.
    case tooLong(length: Int, maximum: Int)
    /// A base58check string that decodes to fewer than the 4 checksum bytes.
    case missingChecksum
    /// A base58check string whose last 4 bytes are not the checksum of the rest.
    case checksumMismatch

    /// A one-line explanation for logs and error messages.
    public var description: String {
        switch self {
        case .invalidCharacter(let offset): return "invalid base58 character at offset \(offset)"
        case .tooLong(let length, let maximum): return "base58 string of \(length) characters (at most \(maximum))"
        case .missingChecksum: return "base58check string too short for its checksum"
        case .checksumMismatch: return "base58check checksum mismatch"
        }
    }
}

/// Why a byte string could not be decoded. Every parser in BitcoinPrimitives throws this type
/// (or a more specific one) instead of trapping.
public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before `needed` more bytes could be read at `offset`.
    case truncated(offset: Int, needed: Int)
    /// A CompactSize integer was not in its shortest form.
    case nonCanonicalCompactSize(offset: Int)
    /// A length or count is larger than the protocol allows.
    case sizeTooLarge(offset: Int, size: UInt64)
    /// Bytes were left over after a complete value.
    case trailingBytes(count: Int)
    /// The value is structurally invalid; `reason` says how.
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed): return "input truncated at byte \(offset) (needed \(needed) more)"
        case .nonCanonicalCompactSize(let offset): return "non-canonical CompactSize at byte \(offset)"
        case .sizeTooLarge(let offset, let size): return "size \(size) at byte \(offset) is too large"
        case .trailingBytes(let count): return "\(count) unexpected trailing bytes"
        case .invalid(let reason): return reason
        }
    }
}

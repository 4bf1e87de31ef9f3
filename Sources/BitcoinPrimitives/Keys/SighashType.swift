/// A signature hash type: which parts of a transaction a signature commits to.
///
/// Legacy sighashes put the whole 32-bit value into the preimage, so the raw value is kept in
/// full; the behaviour depends only on the low five bits and the ANYONECANPAY bit.
public struct SighashType: Hashable, Sendable, CustomStringConvertible {
    /// The full 32-bit value, as committed to by the signature hash.
    public let rawValue: UInt32

    /// The sighash type with this value (any value; see ``base`` for how it is interpreted).
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `SIGHASH_ALL`: the signature commits to every input and output.
    public static let all = SighashType(rawValue: 0x01)
    /// `SIGHASH_NONE`: the signature commits to no output.
    public static let none = SighashType(rawValue: 0x02)
    /// `SIGHASH_SINGLE`: the signature commits to the output of its own input's index.
    public static let single = SighashType(rawValue: 0x03)
    /// The `SIGHASH_ANYONECANPAY` bit: the signature commits to its own input only.
    public static let anyoneCanPayFlag: UInt32 = 0x80
    /// `SIGHASH_ALL | SIGHASH_ANYONECANPAY`.
    public static let allAnyoneCanPay = SighashType(rawValue: 0x81)
    /// `SIGHASH_NONE | SIGHASH_ANYONECANPAY` (a channel payment that pays everything, and the v1
    /// refund's server signature).
    public static let noneAnyoneCanPay = SighashType(rawValue: 0x82)
    /// `SIGHASH_SINGLE | SIGHASH_ANYONECANPAY` (a channel payment that leaves the client change).
    public static let singleAnyoneCanPay = SighashType(rawValue: 0x83)

    /// The base mode as the interpreter sees it.
    public enum Base: Sendable, Equatable {
        /// `ALL`, `NONE` or `SINGLE`.
        case all, none, single
    }

    /// `none` for 2, `single` for 3, `all` for everything else (as Bitcoin Core treats them).
    public var base: Base {
        switch rawValue & 0x1f {
        case 2: return .none
        case 3: return .single
        default: return .all
        }
    }

    /// Whether the `SIGHASH_ANYONECANPAY` bit is set.
    public var anyoneCanPay: Bool { rawValue & Self.anyoneCanPayFlag != 0 }

    /// The byte appended to a signature.
    public var byte: UInt8 { UInt8(truncatingIfNeeded: rawValue) }

    /// Whether this is one of the six defined types (1, 2, 3, 0x81, 0x82, 0x83), the only ones
    /// standard policy (`SCRIPT_VERIFY_STRICTENC`) accepts.
    public var isDefined: Bool { [0x01, 0x02, 0x03, 0x81, 0x82, 0x83].contains(rawValue) }

    public var description: String {
        let name: String
        switch rawValue & ~Self.anyoneCanPayFlag {
        case 1: name = "ALL"
        case 2: name = "NONE"
        case 3: name = "SINGLE"
        default: name = "0x" + String(rawValue, radix: 16)
        }
        return anyoneCanPay ? name + "|ANYONECANPAY" : name
    }
}

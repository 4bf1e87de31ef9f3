/// A signature hash type: which parts of a transaction a signature commits to.
///
/// Legacy sighashes put the whole 32-bit value into the preimage, so the raw value is kept in
/// full; the behaviour depends only on the low five bits and the ANYONECANPAY bit.
public struct SighashType: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let all = SighashType(rawValue: 0x01)
    public static let none = SighashType(rawValue: 0x02)
    public static let single = SighashType(rawValue: 0x03)
    public static let anyoneCanPayFlag: UInt32 = 0x80
    public static let allAnyoneCanPay = SighashType(rawValue: 0x81)
    public static let noneAnyoneCanPay = SighashType(rawValue: 0x82)
    public static let singleAnyoneCanPay = SighashType(rawValue: 0x83)

    /// The base mode as the interpreter sees it.
    public enum Base: Sendable, Equatable {
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

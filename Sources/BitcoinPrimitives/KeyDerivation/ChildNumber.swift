/// A BIP32 child number: an index below 2³¹, plus 2³¹ when the child is hardened.
public struct ChildNumber: Hashable, Sendable, CustomStringConvertible {
    /// The flag added to hardened indexes.
    public static let hardenedFlag: UInt32 = 0x8000_0000

    /// The 32-bit value as serialized and as fed to the derivation function.
    public let rawValue: UInt32

    /// Wraps any 32-bit value (values of 2³¹ and more are hardened).
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A normal (non-hardened) child; throws for indexes of 2³¹ or more.
    public static func normal(_ index: UInt32) throws(KeyDerivationError) -> ChildNumber {
        guard index < hardenedFlag else { throw .indexOutOfRange(index) }
        return ChildNumber(rawValue: index)
    }

    /// A hardened child; throws for indexes of 2³¹ or more.
    public static func hardened(_ index: UInt32) throws(KeyDerivationError) -> ChildNumber {
        guard index < hardenedFlag else { throw .indexOutOfRange(index) }
        return ChildNumber(rawValue: index | hardenedFlag)
    }

    /// Whether the child is hardened (derivable from the private key only).
    public var isHardened: Bool { rawValue & Self.hardenedFlag != 0 }

    /// The index without the hardened flag.
    public var index: UInt32 { rawValue & ~Self.hardenedFlag }

    /// The index, followed by `'` when hardened.
    public var description: String { isHardened ? "\(index)'" : "\(index)" }
}

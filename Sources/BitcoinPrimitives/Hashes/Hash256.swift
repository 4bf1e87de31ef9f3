/// A 32-byte double-SHA-256 value such as a txid or a block hash.
///
/// Bitcoin stores these in *internal* byte order (as the hash function outputs them) but shows
/// them reversed (*display* order, as in block explorers and RPC). The two orders are separate
/// accessors so they cannot be confused.
public struct Hash256: Hashable, Sendable, CustomStringConvertible {
    /// The bytes as hashed and as serialized inside transactions.
    public let internalBytes: [UInt8]

    /// The all-zero hash (the previous output of a coinbase input).
    public static let zero = Hash256(unchecked: [UInt8](repeating: 0, count: 32))

    private init(unchecked bytes: [UInt8]) { internalBytes = bytes }

    /// Feeds the 32 bytes to the hasher in one call (the synthesized conformance would feed
    /// them one at a time, which dominated set and dictionary lookups keyed by txids).
    public func hash(into hasher: inout Hasher) {
        internalBytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// Wraps 32 bytes in internal order. Other lengths are refused.
    public init?(internalOrder bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        internalBytes = bytes
    }

    /// Wraps 32 bytes in display order (reversed). Other lengths are refused.
    public init?(displayOrder bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        internalBytes = bytes.reversed()
    }

    /// Parses 64 hex digits in display order, as txids are usually written.
    public init?(displayHex: String) {
        guard let bytes = [UInt8](hex: displayHex) else { return nil }
        self.init(displayOrder: bytes)
    }

    init(internalBytes: [UInt8]) { self.internalBytes = internalBytes }

    /// The bytes in display order.
    public var displayBytes: [UInt8] { internalBytes.reversed() }

    /// Hex in display order (how txids are written).
    public var displayHex: String { displayBytes.hex }

    public var description: String { displayHex }
}

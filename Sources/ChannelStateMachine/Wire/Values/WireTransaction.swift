import BitcoinPrimitives

/// A transaction carried in a message: the exact bytes received (or to send) and their parse.
///
/// The two always agree: ``init(bytes:)`` parses the bytes, ``init(_:)`` serializes the
/// transaction. Equality and hashing use the bytes.
public struct WireTransaction: Hashable, Sendable {
    /// The serialized transaction, exactly as on the wire.
    public let bytes: [UInt8]
    /// The parsed transaction.
    public let transaction: Transaction

    /// Parses a serialized transaction (legacy or BIP144, no trailing bytes). Throws a
    /// ``WireError`` with code ``ErrorCode/badTransaction`` when it does not parse.
    public init(bytes: [UInt8]) throws(WireError) {
        do {
            transaction = try Transaction(bytes: bytes)
        } catch {
            throw WireError(
                reason: .invalidTransaction, code: .badTransaction,
                explanation: "transaction does not parse: \(error)", messageType: nil)
        }
        self.bytes = bytes
    }

    /// Wraps a transaction, serializing it once.
    public init(_ transaction: Transaction) {
        self.transaction = transaction
        self.bytes = transaction.serialized
    }

    /// The transaction id.
    public var txid: Hash256 { transaction.txid }

    /// Whether the two carry the same bytes.
    public static func == (lhs: WireTransaction, rhs: WireTransaction) -> Bool { lhs.bytes == rhs.bytes }
    /// Hashes the bytes.
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}

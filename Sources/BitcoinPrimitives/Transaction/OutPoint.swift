/// A reference to one output of an earlier transaction.
public struct OutPoint: Hashable, Sendable, CustomStringConvertible {
    /// The txid of the transaction holding the output.
    public var txid: Hash256
    /// The output's index in that transaction.
    public var index: UInt32

    /// The output at `index` of the transaction `txid`.
    public init(txid: Hash256, index: UInt32) {
        self.txid = txid
        self.index = index
    }

    /// The null outpoint a coinbase input spends.
    public static let null = OutPoint(txid: .zero, index: 0xffff_ffff)

    /// Whether this is the null outpoint a coinbase input spends.
    public var isNull: Bool { self == .null }

    public var description: String { "\(txid.displayHex):\(index)" }
}

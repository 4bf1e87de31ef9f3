import BitcoinPrimitives

/// `ProvideRefund` (protocol version 1): the client's key and its unsigned refund, for the server
/// to sign.
public struct ProvideRefund: Hashable, Sendable {
    /// The client's public key for the 2-of-2 contract.
    public var multisigKey: PublicKey
    /// The refund transaction: one input spending contract output 0, lock time equal to the
    /// expiry, one output to the client.
    public var tx: WireTransaction

    /// Creates the message.
    public init(multisigKey: PublicKey, tx: WireTransaction) {
        self.multisigKey = multisigKey
        self.tx = tx
    }
}

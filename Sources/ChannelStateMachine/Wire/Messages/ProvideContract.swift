import BitcoinPrimitives

/// `ProvideContract`: the client's signed, broadcastable contract and its first payment.
public struct ProvideContract: Hashable, Sendable {
    /// The contract transaction; its output 0 is the channel output.
    public var tx: WireTransaction
    /// The opening payment.
    public var initialPayment: UpdatePayment
    /// The client's public key (protocol version 2; version 1 sends it in ``ProvideRefund``).
    /// `nil` when the field is absent.
    public var clientKey: PublicKey?

    /// Creates the message.
    public init(tx: WireTransaction, initialPayment: UpdatePayment, clientKey: PublicKey? = nil) {
        self.tx = tx
        self.initialPayment = initialPayment
        self.clientKey = clientKey
    }
}

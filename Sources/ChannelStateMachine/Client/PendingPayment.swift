import BitcoinPrimitives

/// A payment a ``ClientChannel`` has accounted for (``ClientChannel/beginPayment(_:info:)``)
/// whose `UPDATE_PAYMENT` is still to be signed.
///
/// Its order is fixed: persist ``balanceUpdate``, and send ``signedUpdate()`` only once that
/// write is durable. Signing is pure and may run on any thread, before or during the write;
/// the signature is deterministic (RFC 6979), so signing twice gives the same bytes.
public struct PendingPayment: Sendable {
    /// The channel paid on.
    public let contractTxid: Hash256
    /// What the client keeps after this payment (the payment transaction's change).
    public let change: Amount
    /// The application data sent with the payment.
    public let info: [UInt8]?
    let transaction: PaymentTransaction
    let key: PrivateKey

    /// The write that must be durable before the payment is sent: the channel's lower balance.
    public var balanceUpdate: ClientStoreUpdate { .payment(contractTxid: contractTxid, valueLeft: change) }

    /// Signs the payment transaction leaving ``change`` to the client and returns the
    /// `UPDATE_PAYMENT` carrying that signature.
    public func signedUpdate() -> ChannelMessage {
        let signature = transaction.sign(change: change, key: key)
        return .updatePayment(
            UpdatePayment(clientChangeValue: change.unsignedSatoshis, signature: signature.encoded, info: info))
    }
}
